"""Frozen scipy laws for the limited moments: reading their parameters, checking that they are
non-negative, deciding whether the raw moment ``E[X^k]`` exists (:func:`_tail_index`), and the
numerical fallback ``E[min(X, u)^k] = ∫_0^u k x^(k−1) S(x) dx`` for laws without a closed form
(Gauss–Legendre on geometrically refined panels, scipy ``quad`` for the raw moment beyond the
largest limit).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import lru_cache

import numpy as np
from scipy import integrate, stats

from puhui.errors import ParameterError

# ---------------------------------------------------------------------------------------------
# frozen scipy laws: parameters, validation
# ---------------------------------------------------------------------------------------------


def _is_frozen_scipy(model) -> bool:
    dist = getattr(model, "dist", None)
    return isinstance(dist, stats.rv_continuous | stats.rv_discrete) and hasattr(model, "args")


def _frozen_params(model) -> tuple[tuple[np.ndarray, ...], np.ndarray, np.ndarray]:
    """(shapes, loc, scale) of a frozen scipy law, read from its args and kwds."""
    dist = model.dist
    names = [s.strip() for s in dist.shapes.split(",")] if dist.shapes else []
    names += ["loc", "scale"]
    if len(model.args) > len(names):
        raise ParameterError(f"model: too many positional parameters for scipy.stats.{dist.name}")
    values = dict(zip(names, model.args, strict=False))
    values.update(model.kwds)
    loc = np.asarray(values.pop("loc", 0.0), dtype=float)
    scale = np.asarray(values.pop("scale", 1.0), dtype=float)
    try:
        shapes = tuple(np.asarray(values[n], dtype=float) for n in names[:-2])
    except KeyError as missing:  # pragma: no cover - scipy refuses to freeze without shapes
        raise ParameterError(f"model: shape {missing} of {dist.name} is missing") from None
    return shapes, loc, scale


def _check_frozen(model) -> None:
    dist = model.dist
    if isinstance(dist, stats.rv_discrete):
        raise ParameterError(
            f"model: scipy.stats.{dist.name} is a discrete law; lev() takes a continuous law "
            "(for a sample of losses use puhui.losses.empirical.Empirical)"
        )
    with np.errstate(invalid="ignore"):
        low, _high = model.support()
    low = np.asarray(low, dtype=float)
    if np.any(np.isnan(low)):
        raise ParameterError(
            f"model: invalid parameters for scipy.stats.{dist.name} "
            f"(args={model.args}, kwds={model.kwds})"
        )
    if np.any(low < 0):
        raise ParameterError(
            f"model: scipy.stats.{dist.name} with these parameters puts mass below 0 "
            f"(support starts at {np.min(low)}); limited expected values need a non-negative "
            "loss law — check loc"
        )

# ---------------------------------------------------------------------------------------------
# existence of the raw moments: the tail index
# ---------------------------------------------------------------------------------------------

_ALL_MOMENTS = frozenset({
    "chi", "chi2", "erlang", "expon", "exponpow", "exponweib", "fatiguelife", "foldnorm",
    "gamma", "genexpon", "geninvgauss", "gibrat", "gompertz", "halfgennorm", "halflogistic",
    "halfnorm", "invgauss", "kstwobign", "lognorm", "maxwell", "nakagami", "ncx2", "pearson3",
    "powerlognorm", "rayleigh", "recipinvgauss", "rice", "truncexpon", "truncnorm",
    "truncweibull_min", "wald", "weibull_min",
})

#: scipy law → its tail index ι(shapes): ``E[X^k] < ∞`` exactly when ``k < ι``, for laws
#: whose survival function falls like a power, ``S(x) ~ C x^(−ι)``. Derived from scipy's
#: densities (scipy.stats documentation); each is checked against the local slope
#: ``−d ln S / d ln x`` far in the tail in tests/test_lev_properties.py.
_POWER_TAILS: dict[str, Callable[..., object]] = {
    "alpha": lambda a: 1.0,                        # f ~ φ(a)/(Φ(a) x²)
    "betaprime": lambda a, b: b,                   # f ~ x^(−b−1)
    "burr": lambda c, d: c,                        # S = 1 − (1 + x^−c)^−d ~ d x^−c
    "burr12": lambda c, d: c * d,                  # S = (1 + x^c)^−d
    "dpareto_lognorm": lambda u, s, a, b: a,       # upper Pareto tail of index a
    "f": lambda dfn, dfd: dfd / 2.0,               # f ~ x^(−dfd/2 − 1)
    "fisk": lambda c: c,                           # S = 1/(1 + x^c)
    "foldcauchy": lambda c: 1.0,
    "genextreme": lambda c: np.where(c < 0, -1.0 / np.where(c < 0, c, -1.0), np.inf),
    "gengamma": lambda a, c: np.where(c < 0, -a * c, np.inf),  # (X)^c ~ Gamma(a)
    "genpareto": lambda c: np.where(c > 0, 1.0 / np.where(c > 0, c, 1.0), np.inf),
    "halfcauchy": lambda: 1.0,
    "invgamma": lambda a: a,                       # S ~ x^−a / Γ(a+1)
    "invweibull": lambda c: c,                     # S = 1 − exp(−x^−c) ~ x^−c
    "kappa3": lambda a: a,                         # f ~ a x^(−a−1)
    "kappa4": lambda h, k: np.where(k < 0, -1.0 / np.where(k < 0, k, -1.0), np.inf),
    "levy": lambda: 0.5,                           # S ~ (2/(π x))^½
    "loglaplace": lambda c: c,                     # S = x^−c / 2 for x ≥ 1
    "lomax": lambda c: c,                          # S = (1 + x)^−c
    "mielke": lambda k, s: s,                      # f ~ k x^(−s−1)
    "ncf": lambda dfn, dfd, nc: dfd / 2.0,
    "pareto": lambda b: b,                         # S = x^−b
    "rel_breitwigner": lambda rho: 3.0,            # f ~ x^−4
    "studentized_range": lambda k, df: df,         # S ~ C x^−df (the studentizing χ)
}


def _known_family(model) -> bool:
    name = model.dist.name
    return type(model.dist) is type(getattr(stats, name, None))


def _tail_index(model) -> np.ndarray:
    """Tail index ι of a frozen law: the raw moment ``E[X^k]`` exists exactly when ``k < ι``.

    ``inf`` for bounded support and for the scipy families with all moments; the explicit
    ι(shapes) of :data:`_POWER_TAILS` for scipy's power-tailed families (scipy's own
    ``moment``/``expect`` are not reliable here: ``invgamma(3).moment(3)`` is finite).
    Any other law (a user's ``rv_continuous`` subclass, a scipy family added later) gets the
    estimate of :func:`_estimated_tail_index`. Broadcast over array-valued parameters.
    """
    shapes, _loc, scale = _frozen_params(model)
    shape = np.broadcast_shapes(np.shape(scale), *map(np.shape, shapes))
    name = model.dist.name
    with np.errstate(invalid="ignore"):
        high = np.asarray(model.support()[1], dtype=float)
    if _known_family(model):
        if name in _ALL_MOMENTS:
            return np.full(shape, np.inf)
        rule = _POWER_TAILS.get(name)
        if rule is not None:
            index = np.broadcast_to(np.asarray(rule(*shapes), dtype=float), shape)
            return np.where(np.isfinite(high), np.inf, index)
    if np.all(np.isfinite(high)):
        return np.full(shape, np.inf)
    if shape != ():
        raise ParameterError(
            f"model: scipy.stats.{name} needs scalar parameters here; freeze one law per "
            "parameter set"
        )
    return np.asarray(_estimated_tail_index(model))


def _estimated_tail_index(model) -> float:
    """Local tail index ``−Δ ln S / Δ ln x`` of an unknown law between its far quantiles.

    Slopes between the quantiles at 1 − 10⁻⁸, 10⁻¹⁰, 10⁻¹², 10⁻¹⁴: a power tail gives a
    steady slope ι (the answer); a lighter tail (lognormal, Weibull, gamma …) gives slopes that
    keep growing, so every moment exists. Raises where the decision is not clear-cut.
    """
    levels = np.array([1e-8, 1e-10, 1e-12, 1e-14])
    with np.errstate(all="ignore"):
        x = np.asarray(model.isf(levels), dtype=float)
        s = np.asarray(model.sf(x), dtype=float)
    ok = np.isfinite(x) & (x > 0) & (s > 0) & np.isfinite(s)
    if np.count_nonzero(ok) < 3 or np.any(np.diff(x[ok]) <= 0):
        raise ParameterError(
            f"model: cannot tell whether the moments of scipy.stats.{model.dist.name} exist "
            "(its far quantiles or survival function are not usable); give a closed-form law "
            "or a model with its own lev_moment"
        )
    lx, ls = np.log(x[ok]), np.log(s[ok])
    slopes = -np.diff(ls) / np.diff(lx)
    if slopes[-1] > 1.2 * slopes[0]:
        return np.inf  # the slope keeps growing: lighter than any power
    return float(slopes[-1])


def _check_moment_decidable(model, index: float, k: float) -> None:
    """For an estimated tail index, refuse orders too close to it to call."""
    if not _known_family(model) and np.isfinite(index) and abs(k - index) <= 0.05 * index:
        raise ParameterError(
            f"model: scipy.stats.{model.dist.name} has an estimated tail index {index:.3g}; "
            f"whether E[X^{k:g}] exists cannot be decided numerically so close to it"
        )


# ---------------------------------------------------------------------------------------------
# numerical fallback: E[min(X,u)^k] = ∫_0^u k x^(k−1) S(x) dx  (X ≥ 0)
# ---------------------------------------------------------------------------------------------

_GL_NODES = 20


@lru_cache(maxsize=1)
def _gauss_legendre():
    nodes, weights = np.polynomial.legendre.leggauss(_GL_NODES)
    return 0.5 * (nodes + 1.0), 0.5 * weights  # on [0, 1]


def _numeric_lev(model, u: np.ndarray, k: float) -> np.ndarray:
    """Composite Gauss–Legendre over quantile breakpoints (written here: no scipy routine
    integrates one survival function up to many limits at once).

    The breakpoints are the law's quantiles at 1e−14 … 1 − 1e−14 (so S changes little on each
    piece), every requested limit, and geometric subdivisions where consecutive points are more
    than a factor 1.5 apart; 20-point Gauss–Legendre on each piece. Below the 1e−14 quantile q₀
    the integrand is ``k x^(k−1)`` to a relative 1e−14, so ``E = x^k`` there. ``u = inf`` is
    ``inf`` when ``k`` reaches the tail index (:func:`_tail_index`); otherwise scipy's moment
    for integer ``k``, or the panels up to the 1 − 1e−14 quantile plus an adaptive quad tail.
    """
    shapes, loc, scale = _frozen_params(model)
    if any(np.ndim(p) for p in (*shapes, loc, scale)):
        raise ParameterError(
            f"model: scipy.stats.{model.dist.name} has no closed-form LEV here and its numerical "
            "integration needs scalar parameters; freeze one law per parameter set"
        )
    flat = u.ravel()
    result = np.zeros(flat.shape)
    positive = np.isfinite(flat) & (flat > 0)
    infinite = np.isinf(flat) & (flat > 0)
    levels = np.concatenate(
        [10.0 ** -np.arange(14.0, 1.0, -1.0), np.linspace(0.02, 0.98, 49),
         1.0 - 10.0 ** -np.arange(2.0, 15.0)]
    )
    with np.errstate(all="ignore"), warnings.catch_warnings():
        # breakpoints only: scipy's boost quantiles (invgauss) warn where they give up
        warnings.simplefilter("ignore", RuntimeWarning)
        quantiles = np.asarray(model.ppf(levels), dtype=float)
    quantiles = quantiles[np.isfinite(quantiles) & (quantiles > 0)]
    q0 = quantiles.min() if quantiles.size else np.inf
    targets = flat[positive]
    top, top_value = (q0, q0**k) if np.isfinite(q0) else (0.0, 0.0)
    points = np.unique(np.concatenate([quantiles, targets[targets > q0]]))
    if points.size >= 2 and (np.any(positive) or np.any(infinite)):
        points = _geometric_refine(points)
        t, w = _gauss_legendre()
        left, right = points[:-1], points[1:]
        x = left[:, None] + (right - left)[:, None] * t[None, :]
        with np.errstate(all="ignore"):
            surv = _clean_survival(model, x.ravel(), _survival(model, x.ravel()))
            f = k * np.power(x, k - 1.0) * surv.reshape(x.shape)
        pieces = (right - left) * (f @ w)
        cumulative = np.concatenate([[points[0] ** k], points[0] ** k + np.cumsum(pieces)])
        idx = np.searchsorted(points, targets)
        result[positive] = np.where(targets <= q0, np.power(targets, k),
                                    cumulative[np.minimum(idx, len(points) - 1)])
        top, top_value = points[-1], cumulative[-1]
    elif np.any(positive):
        result[positive] = np.power(targets, k)  # all limits below the 1e−14 quantile
    infinite = np.isinf(flat) & (flat > 0)
    if np.any(infinite):
        index = float(_tail_index(model))
        _check_moment_decidable(model, index, k)
        result[infinite] = np.inf if k >= index else _numeric_moment(model, k, top, top_value)
    result[np.isnan(flat)] = np.nan
    return result.reshape(u.shape)


def _survival(model, x: np.ndarray) -> np.ndarray:
    """``S(x)`` as ``1 − F(x)`` below the median and scipy's ``sf`` above it.

    Both are exact to an absolute rounding error on their side of the median, but some scipy
    laws lose the small ``F`` inside ``sf`` (``exponweib.sf`` is 1.0 below x ≈ 1e−8, where
    ``F(x) ≈ x^(ca)`` is still 1e−5).
    """
    with np.errstate(all="ignore"):
        median = float(model.ppf(0.5))
        lower = x < median
        out = np.empty(x.shape)
        out[lower] = 1.0 - np.asarray(model.cdf(x[lower]), dtype=float)
        out[~lower] = np.asarray(model.sf(x[~lower]), dtype=float)
    return out


def _clean_survival(model, x: np.ndarray, surv) -> np.ndarray:
    """scipy's ``sf`` at increasing ``x``, made trustworthy or rejected.

    ``S`` is non-increasing in [0, 1]: values are clipped to [0, 1] and replaced by their
    running minimum (rounding noise of a ``1 − cdf`` upward is removed; once ``S`` is exactly 0
    it stays 0, which also covers the NaN some scipy laws return past the underflow, e.g.
    ``wald``). A NaN before that, or a rise above the running minimum by more than 10⁻⁹
    (scipy's ``geninvgauss.sf`` returns 1.0 far in the tail), raises instead of integrating a
    wrong function.
    """
    surv = np.asarray(surv, dtype=float)
    finite = np.isfinite(surv)
    clipped = np.where(finite, np.clip(surv, 0.0, 1.0), np.inf)
    running = np.minimum.accumulate(np.concatenate([[1.0], clipped]))
    before, after = running[:-1], running[1:]
    broken = (~finite & (before > 0)) | (finite & (clipped > before + 1e-9))
    if np.any(broken):
        where = x[np.argmax(broken)]
        raise ParameterError(
            f"model: the survival function of scipy.stats.{model.dist.name} is not usable at "
            f"x = {where:.6g} (NaN, or rising although S must fall); the limited moment cannot "
            "be integrated numerically that far — lower the limit or use a closed-form law"
        )
    return after


def _geometric_refine(points: np.ndarray, ratio: float = 1.5) -> np.ndarray:
    """Insert geometric points wherever consecutive breakpoints differ by more than ``ratio``."""
    left, right = points[:-1], points[1:]
    with np.errstate(divide="ignore"):
        n_sub = np.ceil(np.log(right / left) / np.log(ratio)).astype(int)
    n_sub = np.clip(n_sub, 1, 4000)
    extra = [points]
    for i in np.flatnonzero(n_sub > 1):  # a loop over gaps, not over policies or designs
        extra.append(np.geomspace(left[i], right[i], n_sub[i] + 1)[1:-1])
    return np.unique(np.concatenate(extra))


def _numeric_moment(model, k: float, top: float, top_value: float) -> float:
    """``E[X^k]`` of a law whose moment exists (:func:`_tail_index` says so): the limited moment
    up to ``top`` (the 1 − 1e−14 quantile, from the panels) plus the tail ``∫_top^∞ k x^(k−1)
    S(x) dx`` by adaptive ``quad`` in ``t = ln(x/top)``, where a power tail decays like
    ``e^{−(ι−k)t}``. (scipy's own ``moment`` is not used: for laws without an analytic moment
    it integrates with ~1e−10 accuracy, e.g. ``exponweib``.)"""

    def integrand(t):
        s = float(model.sf(top * np.exp(t)))
        if not (np.isfinite(s) and s > 0):
            return 0.0
        return k * np.exp(k * (np.log(top) + t) + np.log(min(s, 1.0)))

    if top <= 0:  # pragma: no cover - a law with no positive finite quantile
        raise ParameterError(f"model: scipy.stats.{model.dist.name} has no usable quantiles")
    with np.errstate(all="ignore"):  # scipy sf far out: log1p(−1), exp overflow → S = 0
        tail, _err = integrate.quad(integrand, 0.0, np.inf, epsabs=0.0, epsrel=1e-11, limit=400)
    return top_value + tail
