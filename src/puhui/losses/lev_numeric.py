"""Frozen scipy laws for the limited moments: reading their parameters, checking that they are
non-negative, and the numerical fallback ``E[min(X, u)^k] = ∫_0^u k x^(k−1) S(x) dx`` for laws
without a closed form (Gauss–Legendre on geometrically refined panels, scipy ``quad`` for the
raw moment beyond the largest limit).
"""

from __future__ import annotations

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
    the integrand is ``k x^(k−1)`` to a relative 1e−14, so ``E = x^k`` there. ``u = inf`` uses
    scipy's moment for integer ``k`` and adds an adaptive quad tail otherwise.
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
    levels = np.concatenate(
        [10.0 ** -np.arange(14.0, 1.0, -1.0), np.linspace(0.02, 0.98, 49),
         1.0 - 10.0 ** -np.arange(2.0, 15.0)]
    )
    with np.errstate(all="ignore"):
        quantiles = np.asarray(model.ppf(levels), dtype=float)
    quantiles = quantiles[np.isfinite(quantiles) & (quantiles > 0)]
    q0 = quantiles.min() if quantiles.size else np.inf
    if np.any(positive):
        targets = flat[positive]
        points = np.unique(np.concatenate([quantiles, targets[targets > q0]]))
        points = _geometric_refine(points)
        t, w = _gauss_legendre()
        left, right = points[:-1], points[1:]
        x = left[:, None] + (right - left)[:, None] * t[None, :]
        with np.errstate(all="ignore"):
            f = k * np.power(x, k - 1.0) * model.sf(x)
        pieces = (right - left) * (f @ w)
        cumulative = np.concatenate([[points[0] ** k], points[0] ** k + np.cumsum(pieces)])
        idx = np.searchsorted(points, targets)
        below = targets <= q0
        vals = np.where(below, np.power(targets, k),
                        cumulative[np.minimum(idx, len(points) - 1)])
        result[positive] = vals
        top, top_value = points[-1], cumulative[-1]
    else:
        top = q0 if np.isfinite(q0) else 0.0
        top_value = top**k
    infinite = np.isinf(flat) & (flat > 0)
    if np.any(infinite):
        result[infinite] = _numeric_moment(model, k, top, top_value)
    result[np.isnan(flat)] = np.nan
    return result.reshape(u.shape)


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
    if float(k).is_integer():
        with np.errstate(all="ignore"):
            value = float(model.moment(int(k)))
        if not np.isnan(value):
            return value

    def integrand(x):
        return k * x ** (k - 1.0) * model.sf(x)

    tail, _err = integrate.quad(integrand, top, np.inf, limit=200)
    return top_value + tail

