"""The distribution of a 惠民保 portfolio's claims in one year (总赔款分布), for the risk margin.

Two constructions, both ending in :func:`puhui.losses.aggregate`:

* **experience** (individual risk model, exact for independent members): member ``i`` of the
  pricing mix has total payout ``Y_i = Σ_l pay_il`` over the lines with probability ``ω_i``
  (the cell's mix weight shared over its member-years). A portfolio of ``N`` members drawn
  from that law has ``S = Σ_{k≤K} Z_k`` with ``K ~ Binomial(N, q)``, ``q = Σ_{Y_i>0} ω_i`` the
  share of members paid, and ``Z`` the law of the positive ``Y_i`` (an
  :class:`~puhui.losses.empirical.Empirical` with weights ``ω``). The lines' joint law is kept.
  Drawing each member's segment from the mix (rather than fixing the segment counts) adds the
  variance of the counts: a slightly prudent margin.
* **model** (lines independent given the fitted laws): every line × segment pays a member with
  probability ``p_ls = q_ls S_ls(d)`` an amount with the law of ``Y | Y > 0``
  (:class:`PaidLayer`). For FFT and Panjer the sum over members and lines is taken as compound
  Poisson with rate ``Λ = Σ N_s p_ls`` and the mixture of the paid-amount laws (the Poisson
  stands in for each binomial count, overstating the variance by the factor
  ``1/(1 − p)``-order terms, ≤ p_ls ≈ 1–5%); the ``"normal"`` and ``"np2"`` methods use the exact
  cumulants of independent members and lines, ``κ_j = Σ N_s κ_j(Y_ls)``.

The FFT / Panjer grid has ``2^15`` nodes spanning ``max(E[S] + 12 σ(S), largest payout)``,
refined until the step is at most the mean paid amount / 16, up to :data:`MAX_NODES`. A grid
whose mean or variance is then off by more than :data:`GRID_RTOL` (a national book of 1.6e8
members needs about 2^25 nodes; capped at 2^22 its variance was 1.4% off) is **refused** with a
:class:`~puhui.errors.ParameterError` naming the numbers and the ways out (``method="np2"`` or
``"normal"``, exact cumulants; ``"simulation"``; a larger :data:`MAX_NODES`) — never returned with
only a warning.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from puhui.benefits.benefit import Benefit
from puhui.errors import ParameterError
from puhui.losses.aggregate import aggregate
from puhui.losses.aggregate_dist import AccuracyWarning, ApproxAggregate
from puhui.losses.coverage import Coverage
from puhui.losses.discretize import DiscreteSeverity, discretize
from puhui.losses.empirical import Empirical
from puhui.losses.frequency import Binomial, Poisson
from puhui.losses.payout import layer_moments, payout_probability

__all__ = ["METHODS", "PaidLayer", "experience_aggregate", "model_aggregate"]

METHODS = ("fft", "panjer", "simulation", "normal", "np2")
N_NODES = 2**15


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ParameterError(f"method: use one of {METHODS}, got {method!r}")


MAX_NODES = 2**22
STEPS_PER_CLAIM = 16  # step ≤ mean paid amount / 16: Var(S) within ~0.02%, VaR within a step
#: Largest relative error of the grid's mean or variance (against the exact moments) that
#: :func:`experience_aggregate` / :func:`model_aggregate` return; above it they refuse.
GRID_RTOL = 0.01


def _grid(mean: float, var: float, top: float, claim_mean: float) -> tuple[float, int]:
    """Step and node count for FFT / Panjer: the grid spans ``[0, E S + 12 σ(S)]`` (and the
    largest single payout) with at least :data:`N_NODES` nodes, refined to a power of two so
    that the step stays below ``claim_mean / STEPS_PER_CLAIM`` — a large book has a wide span,
    and a fixed node count would coarsen the step until the variance drifts by over 1%
    (:class:`~puhui.losses.aggregate_dist.AccuracyWarning`). Capped at :data:`MAX_NODES`."""
    span = max(mean + 12.0 * math.sqrt(max(var, 0.0)), top)
    want = span / max(claim_mean / STEPS_PER_CLAIM, 1e-300)
    nodes = int(min(MAX_NODES, max(N_NODES, 2 ** math.ceil(math.log2(max(want, 2.0))))))
    return span / (nodes - 1), nodes


def _on_grid(freq, severity, method: str, h: float, nodes: int, claim_mean: float, size: str):
    """``aggregate(freq, severity, method, step=h, n_nodes=nodes)``, refused with a
    ParameterError when its mean or variance is off by more than :data:`GRID_RTOL` (the grid
    capped at :data:`MAX_NODES` is too coarse for the book), instead of a warning.

    The ways out are named: ``method="np2"`` / ``"normal"`` (exact cumulants of the book — at
    national size the skewness is small and NP2 is accurate), ``"simulation"`` (experience), or
    a larger ``puhui.pricing.portfolio.MAX_NODES`` when memory allows (16 bytes per node for
    the FFT)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AccuracyWarning)
        result = aggregate(freq, severity, method, step=h, n_nodes=nodes, check_rtol=GRID_RTOL)
    off = [str(w.message) for w in caught if issubclass(w.category, AccuracyWarning)]
    for w in caught:
        if not issubclass(w.category, AccuracyWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    errors = (abs(result.mean_rel_error), abs(result.var_rel_error))
    if off or any(math.isfinite(e) and e > GRID_RTOL for e in errors):
        need = 2 ** math.ceil(math.log2(max(h * (nodes - 1) / max(
            claim_mean / STEPS_PER_CLAIM, 1e-300), 2.0)))
        raise ParameterError(
            f"{method.upper()} grid too coarse for {size}: the grid spans "
            f"{h * (nodes - 1):,.0f} 元 in {nodes:,} nodes (step {h:,.4g} 元, mean paid amount "
            f"{claim_mean:,.4g} 元; a step of mean/{STEPS_PER_CLAIM} needs {need:,} nodes, "
            f"above MAX_NODES = {MAX_NODES:,}), and its mean is off by {errors[0]:.3%}, its "
            f"variance by {errors[1]:.3%} (limit GRID_RTOL = {GRID_RTOL:.0%}). Use "
            "method='np2' or 'normal' (exact cumulants; at this size the distribution is close "
            "to normal), method='simulation' (experience pricing), or raise "
            "puhui.pricing.portfolio.MAX_NODES if memory allows (about 16 bytes per node)")
    return result


def experience_aggregate(totals, weights, members, *, method: str = "fft", seed=None,
                         n_sim: int = 100_000):
    """Aggregate claims of ``members`` members drawn from the experience law of a member.

    Parameters
    ----------
    totals : array_like
        Each member-year's total payout over the lines (元, ``≥ 0``).
    weights : array_like
        Probability of each member-year in the pricing mix (``≥ 0``, summing to 1).
    members : float
        Portfolio size ``N`` (rounded to whole members for the binomial count).
    method : {"fft", "panjer", "simulation", "normal", "np2"}
    seed : int or Generator
        Required by ``"simulation"``.

    Returns
    -------
    distribution or None
        ``None`` when nobody is paid (``S = 0``).
    """
    _check_method(method)
    y = np.asarray(totals, dtype=float)
    w = np.asarray(weights, dtype=float)
    n = int(round(float(members)))
    if n < 1:
        raise ParameterError(f"members: the portfolio needs at least one member, got {members!r}")
    paid = y > 0
    q = float(w[paid].sum())
    if q <= 0:
        return None
    if q >= 1.0 - 1e-12:
        raise ParameterError("every member-year in the experience has a payout: the number of "
                             "claimants is not random; the binomial model does not apply")
    severity = Empirical(y[paid], w[paid] / q)
    freq = Binomial(1, q, exposure=n)
    if method in ("fft", "panjer"):
        m1, m2 = severity.mean(), severity.moment(2)
        h, nodes = _grid(n * q * m1, n * q * m2 - n * q * q * m1 * m1, float(y.max()), m1)
        return _on_grid(freq, severity, method, h, nodes, m1, f"{n:,} members")
    if method == "simulation":
        if seed is None:
            raise ParameterError("seed: simulation needs an explicit seed")
        return aggregate(freq, severity, method, seed=seed, n_sim=n_sim)
    return aggregate(freq, severity, method)


class PaidLayer(Coverage):
    """Law of the payout ``Y = min(r (X − d)₊, C)`` given ``Y > 0`` (i.e. ``X > d``).

    ``coverage(law, Benefit(d, r, C), per="payment")`` (:mod:`puhui.losses.coverage`):
    ``S_Y(y) = S_X(d + y/r) / S_X(d)`` for ``0 ≤ y < C`` (0 from ``C`` on) and
    ``E[min(Y, u)] = r (LEV_X(d + min(u, C)/r) − LEV_X(d)) / S_X(d)``.

    Parameters
    ----------
    law : loss law of the annual cost ``X`` (zeros included), with ``sf`` and ``lev``
    deductible, payout_ratio, cap : float
        起付线 ``d``, 赔付比例 ``r``, 封顶线 ``C`` (``None`` or ``inf`` for no cap).
    """

    def __init__(self, law, deductible: float, payout_ratio: float, cap: float | None):
        self.law = law
        self.d = float(deductible)
        self.r = float(payout_ratio)
        self.cap = math.inf if cap is None else float(cap)
        try:
            super().__init__(law, Benefit(deductible=self.d, payout_ratio=self.r, cap=cap),
                             per="payment")
        except ParameterError as err:
            if "never pays" in str(err):
                raise ParameterError("PaidLayer: the cost never exceeds the deductible "
                                     "(S(d) = 0)") from None
            raise
        self.s_d = self.payout_probability


def model_aggregate(components, *, method: str = "fft"):
    """Aggregate claims of independent members and lines under fitted laws.

    Parameters
    ----------
    components : sequence of (law, deductible, payout_ratio, cap, members)
        One per line × segment: the law of a member's annual cost on the line (zeros included),
        the segment's terms, and the segment's members ``N_s``.
    method : {"fft", "panjer", "normal", "np2"}

    Returns
    -------
    distribution or None
        ``None`` when no component can pay.
    """
    _check_method(method)
    if method == "simulation":
        raise ParameterError("method: simulation is offered for experience pricing only; use "
                             "'fft', 'panjer', 'normal' or 'np2' with a model")
    kappa = np.zeros(3)
    second = 0.0
    claims = 0.0  # expected number of paid member-lines
    paying, caps = [], []
    for law, d, r, cap, n in components:
        c = math.inf if cap is None else float(cap)
        m1, m2, m3, p = (float(np.asarray(v).reshape(-1)[0])
                         for v in layer_moments(law, np.array([d]), np.array([r]),
                                                np.array([c])))
        kappa += n * np.array([m1, m2 - m1**2, m3 - 3 * m1 * m2 + 2 * m1**3])
        second += n * m2
        claims += n * p
        if n > 0 and p > 0:
            paying.append((law, d, r, cap, n))
            caps.append(c)
    if not paying:
        return None
    if method in ("normal", "np2"):
        return ApproxAggregate(method, float(kappa[0]), float(kappa[1]),
                               float(kappa[2] / kappa[1] ** 1.5))
    top = max(caps)
    if not math.isfinite(top):
        raise ParameterError("a line without 封顶线 (cap) has no bounded payout for the FFT grid; "
                             "use method='np2' or 'normal'")
    h, nodes = _grid(float(kappa[0]), second, top, float(kappa[0]) / claims)
    upper = h * (nodes - 1)
    rates, pmfs = [], []
    for law, d, r, cap, n in paying:
        b = Benefit(deductible=d, payout_ratio=r, cap=cap)
        rates.append(n * float(payout_probability(law, b)))
        pmfs.append(discretize(PaidLayer(law, d, r, cap), h, upper, "unbiased").pmf)
    rates = np.array(rates)
    pmf = np.asarray(rates @ np.array(pmfs)) / rates.sum()
    severity = DiscreteSeverity(pmf, h, "unbiased", max(0.0, 1.0 - float(pmf.sum())))
    return _on_grid(Poisson(float(rates.sum())), severity, method, h, nodes,
                    float(kappa[0]) / claims, f"{sum(c[4] for c in paying):,.0f} member-lines")
