"""Maximum-likelihood fit of claim counts (出险次数) with exposure.

Each record i has a count ``n_i`` and an exposure ``e_i`` (member-years, policies, mu).

* Poisson: ``N_i ~ Poisson(λ e_i)``; the MLE is ``λ̂ = Σ n_i / Σ e_i``.
* Negative binomial (NB2): ``N_i`` has mean ``μ e_i`` and variance ``μ e_i + α (μ e_i)^2``,
  i.e. NB(r = 1/α, β = α μ e_i) -- the ``exposure_scales="beta"`` convention of
  :class:`~puhui.losses.frequency.NegativeBinomial`.

Both are fitted with statsmodels (``GLM(family=Poisson)`` and the discrete ``NegativeBinomial``
model with ``loglike_method="nb2"``), an intercept only and ``offset = log(exposure)``.

Example
-------
>>> import numpy as np
>>> fit = ClaimCountFitter("poisson").fit([0, 2, 1, 0], exposure=[1.0, 2.0, 1.0, 0.5])
>>> round(fit.rate_, 6)
0.666667
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from puhui.errors import ParameterError
from puhui.losses.frequency import NegativeBinomial, Poisson

__all__ = ["ClaimCountFitter"]


def _as_1d(name: str, values) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ParameterError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ParameterError(f"{name} is empty")
    return arr


class ClaimCountFitter:
    """Fit a Poisson or NB2 claim-count model with exposure by maximum likelihood.

    Parameters
    ----------
    family : {"poisson", "negbin"}
        Count law.

    Attributes (after :meth:`fit`)
    ------------------------------
    rate_ : float
        Expected claims per unit of exposure (出险率).
    rate_se_ : float
        Standard error of ``rate_`` (delta method on the log-rate).
    alpha_ : float
        NB2 dispersion α (0 for Poisson).
    model_ : Poisson | NegativeBinomial
        The fitted law for one unit of exposure; ``model_.with_exposure(e)`` for others.
    loglik_, aic_, bic_ : float
        Log-likelihood and information criteria.
    n_obs_, total_exposure_, total_claims_ : float
        Data totals.
    result_ : statsmodels results object.

    Examples
    --------
    >>> fit = ClaimCountFitter("negbin").fit([0, 0, 3, 1, 0, 5, 0, 2], exposure=np.ones(8))
    >>> fit.model_.exposure_scales
    'beta'
    """

    def __init__(self, family: str = "poisson"):
        self.family = family

    def fit(self, counts, exposure=None) -> ClaimCountFitter:
        """Fit to ``counts`` (non-negative integers) with ``exposure`` (> 0; default 1)."""
        if self.family not in ("poisson", "negbin"):
            raise ParameterError(f"family must be 'poisson' or 'negbin', got {self.family!r}")
        n = _as_1d("counts", counts)
        e = np.ones_like(n) if exposure is None else _as_1d("exposure", exposure)
        if e.shape != n.shape:
            raise ParameterError(
                f"exposure has {e.size} values but counts has {n.size}; they must match"
            )
        bad = np.flatnonzero(~np.isfinite(n) | (n < 0) | (n != np.round(n)))
        if bad.size:
            raise ParameterError(
                f"counts must be non-negative whole numbers; counts[{bad[0]}] = {n[bad[0]]!r}"
            )
        bad = np.flatnonzero(~np.isfinite(e) | (e <= 0))
        if bad.size:
            raise ParameterError(
                f"exposure must be finite and > 0; exposure[{bad[0]}] = {e[bad[0]]!r}"
            )
        if n.sum() == 0:
            raise ParameterError("counts are all zero: the claim rate cannot be estimated")

        import statsmodels.api as sm

        exog = np.ones((n.size, 1))
        offset = np.log(e)
        if self.family == "poisson":
            res = sm.GLM(n, exog, family=sm.families.Poisson(), offset=offset).fit()
            log_rate, log_rate_se = float(res.params[0]), float(res.bse[0])
            self.alpha_ = 0.0
            self.model_ = Poisson(math.exp(log_rate))
            self.loglik_ = float(res.llf)
            k = 1
        else:
            from statsmodels.discrete.discrete_model import NegativeBinomial as SMNegBin

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # statsmodels convergence chatter; checked below
                res = SMNegBin(n, exog, loglike_method="nb2", offset=offset).fit(
                    disp=0, maxiter=200
                )
            if not res.mle_retvals.get("converged", True):
                warnings.warn(
                    "negative binomial fit did not converge; check for under-dispersed data",
                    RuntimeWarning,
                    stacklevel=2,
                )
            log_rate, log_rate_se = float(res.params[0]), float(res.bse[0])
            self.alpha_ = float(res.params[1])
            if self.alpha_ <= 1e-8:
                raise ParameterError(
                    "no over-dispersion found (NB2 alpha ≈ 0): use family='poisson'"
                )
            rate = math.exp(log_rate)
            self.model_ = NegativeBinomial(
                1.0 / self.alpha_, self.alpha_ * rate, exposure_scales="beta"
            )
            self.loglik_ = float(res.llf)
            k = 2
        self.rate_ = math.exp(log_rate)
        self.rate_se_ = self.rate_ * log_rate_se
        self.n_obs_ = int(n.size)
        self.total_exposure_ = float(e.sum())
        self.total_claims_ = float(n.sum())
        self.aic_ = 2 * k - 2 * self.loglik_
        self.bic_ = k * math.log(n.size) - 2 * self.loglik_
        self.result_ = res
        return self

    def predict(self, exposure: float):
        """The fitted count law for ``exposure`` units."""
        self._check_fitted()
        return self.model_.with_exposure(exposure)

    def summary(self) -> pd.DataFrame:
        """One-row table of the fit."""
        self._check_fitted()
        return pd.DataFrame(
            [
                {
                    "family": self.family,
                    "rate": self.rate_,
                    "rate_se": self.rate_se_,
                    "alpha": self.alpha_,
                    "loglik": self.loglik_,
                    "aic": self.aic_,
                    "bic": self.bic_,
                    "n_obs": self.n_obs_,
                    "exposure": self.total_exposure_,
                    "claims": self.total_claims_,
                }
            ]
        )

    def _check_fitted(self):
        if not hasattr(self, "model_"):
            raise ParameterError("call fit() first")
