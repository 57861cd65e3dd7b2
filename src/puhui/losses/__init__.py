"""Loss models (损失模型): limited expected values, empirical and parametric severities, fitting
with deductibles and limits, claim-count models and aggregate distributions.

* :func:`lev` / :func:`lev_moment` — E[min(X, u)] and E[min(X, u)^k] (closed forms for ten
  scipy laws, a numerical fallback for any other);
* :class:`Empirical` — a (weighted) sample with prefix sums: K designs on N losses in
  O(N log N + K log N);
* :class:`ZeroInflated`, :class:`Mixture`, :class:`Spliced` — a point mass at zero, mixtures, a
  body with a generalized-Pareto tail;
* :class:`LossModel` — the contract every loss model meets (``lev``, ``lev_moment``, ``cdf``,
  ``sf``, ``mean``); :func:`as_loss_model` wraps a frozen scipy law;
* :func:`expected_payout`, :func:`payout_variance`, :func:`payout_probability` — a benefit's
  payout moments under a loss model, broadcast over a grid of designs;
* :func:`coverage` — the law of the payout per loss or per payment (R actuar ``coverage()``),
  itself a loss model;
* :class:`SeverityFitter`, :func:`compare_fits`, :func:`qq_plot`, :func:`pp_plot` — maximum
  likelihood with left truncation and right censoring;
* :class:`Poisson`, :class:`NegativeBinomial`, :class:`Binomial`, :class:`ZeroTruncated`,
  :class:`ZeroModified`, :class:`Logarithmic`, :class:`ExtendedTruncatedNB`,
  :class:`ClaimCountFitter` — the (a, b, 0) and (a, b, 1) classes;
* :func:`discretize`, :func:`aggregate` — the compound distribution by FFT, Panjer,
  simulation, normal or normal-power, with a moment self-check.
"""

from __future__ import annotations

from .aggregate import aggregate, exact_moments
from .aggregate_dist import AccuracyWarning, ApproxAggregate, DiscreteAggregate
from .coverage import Coverage, coverage
from .discretize import DiscreteSeverity, discretize
from .empirical import Empirical
from .fit import ConvergenceWarning, SeverityFitter, fit_severity
from .fit_compare import compare_fits
from .fit_likelihood import severity_loglik
from .fit_plots import pp_plot, qq_plot
from .frequency import (
    Binomial,
    FrequencyModel,
    NegativeBinomial,
    Poisson,
    ZeroModified,
    ZeroTruncated,
    as_frequency,
)
from .frequency_ab1 import ExtendedTruncatedNB, Logarithmic
from .frequency_fit import ClaimCountFitter
from .lev import CLOSED_FORM_LAWS, lev, lev_moment
from .models import Mixture, Spliced, ZeroInflated
from .payout import expected_payout, payout_probability, payout_second_moment, payout_variance
from .protocol import LossModel, ScipyLossModel, as_loss_model

__all__ = [
    "AccuracyWarning", "ApproxAggregate", "Binomial", "CLOSED_FORM_LAWS", "ClaimCountFitter",
    "ConvergenceWarning", "Coverage", "DiscreteAggregate", "DiscreteSeverity", "Empirical",
    "ExtendedTruncatedNB", "Logarithmic",
    "FrequencyModel", "LossModel", "Mixture", "NegativeBinomial", "Poisson", "SeverityFitter",
    "Spliced", "ScipyLossModel", "ZeroInflated", "ZeroModified", "ZeroTruncated", "aggregate",
    "as_frequency", "as_loss_model",
    "compare_fits", "coverage", "discretize", "exact_moments", "expected_payout", "fit_severity",
    "lev", "lev_moment", "payout_probability", "payout_second_moment", "payout_variance", "pp_plot",
    "qq_plot", "severity_loglik",
]
