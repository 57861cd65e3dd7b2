"""Limited expected values (有限期望值) ``E[min(X, u)^k]`` of non-negative loss laws.

``lev(model, u)`` is the one number every layer price is built from: a layer from ``a`` to
``a + l`` costs ``LEV(a + l) − LEV(a)`` per loss. ``model`` is either

* a frozen ``scipy.stats`` continuous law (``stats.lognorm(s, scale=...)``) — closed forms are
  used for ``expon``, ``gamma``, ``lognorm``, ``weibull_min``, ``pareto`` (single-parameter),
  ``lomax`` (two-parameter Pareto), ``genpareto``, ``fisk`` (log-logistic), ``burr12``
  (Burr XII) and ``burr`` (Burr III / inverse Burr); every other non-negative law is integrated
  numerically over its survival function; or
* any object with a ``lev(u)`` method (and ``lev_moment(u, k)`` for higher orders), such as
  :class:`puhui.losses.empirical.Empirical` or the models of :mod:`puhui.losses.models`.

Conventions (those of R's actuar ``lev*`` functions):

* ``u`` broadcasts against array-valued model parameters; ``u = inf`` gives the raw moment
  ``E[X^k]`` (``inf`` when it does not exist);
* a limit ``u ≤ 0`` returns 0 — a zero limit pays nothing (strictly ``E[min(X, u)] = u`` for
  ``u < 0``, but limits are non-negative money amounts);
* ``loc ≠ 0`` is handled exactly: with ``X = loc + Y``, ``min(X, u) = loc + min(Y, u − loc)``;
  a law whose support reaches below zero is rejected (losses are non-negative).

The closed forms are those of Klugman, Panjer & Willmot, *Loss Models: From Data to Decisions*
(Wiley, 4th ed. 2012), Appendix A, rewritten where noted in numerically stable form (no
cancellation at ``u → 0``, no ``inf·0`` at ``u = inf``).
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from puhui.errors import ParameterError

from .lev_closed import _CLOSED, CLOSED_FORM_LAWS, _lev_lomax
from .lev_numeric import (
    _check_frozen,
    _frozen_params,
    _is_frozen_scipy,
    _numeric_lev,
    _tail_index,
)

# _frozen_params, _is_frozen_scipy and _numeric_lev are re-exported for puhui.losses.payout,
# puhui.losses.models and the tests
_REEXPORTED = (_frozen_params, _is_frozen_scipy, _numeric_lev)

__all__ = ["lev", "lev_moment", "CLOSED_FORM_LAWS"]


def _closed_form(model, k: float, shapes: tuple):
    """The closed form for this frozen law and order, or None."""
    name = model.dist.name
    entry = _CLOSED.get(name)
    if entry is None or type(model.dist) is not type(getattr(stats, name, None)):
        return None
    func, covers = entry
    if covers is not None and not covers(k, shapes):
        return None
    return func


def _check_k(k) -> float:
    try:
        k = float(k)
    except (TypeError, ValueError):
        raise ParameterError(f"k: the order must be a positive number, got {k!r}") from None
    if not (np.isfinite(k) and k > 0):
        raise ParameterError(f"k: the order must be a positive finite number, got {k!r}")
    return k


def _frozen_lev(model, u: np.ndarray, k: float) -> np.ndarray:
    _check_frozen(model)
    shapes, loc, scale = _frozen_params(model)
    func = _closed_form(model, k, shapes)
    integer_k = float(k).is_integer()
    if func is None or (np.any(loc != 0) and not integer_k):
        return _numeric_lev(model, u, k)
    if model.dist.name == "pareto" and np.all(loc == -scale):
        # pareto(b, loc=-scale, scale) is the Lomax law: compute it without cancellation
        func, loc = _lev_lomax, np.zeros_like(loc)
    v = u - loc
    vpos = np.maximum(v, 0.0)
    with np.errstate(invalid="ignore"):
        if np.all(loc == 0):
            out = func(shapes, scale, vpos, k)
        else:
            # min(X, u) = loc + min(Y, v); for v < 0, min(Y, v) = v exactly
            ki = int(k)
            out = np.zeros(np.broadcast_shapes(np.shape(v), np.shape(scale), *map(np.shape, shapes)))
            for j in range(ki + 1):
                mom_j = np.ones(()) if j == 0 else func(shapes, scale, vpos, j)
                out = out + special.comb(ki, j) * np.power(loc, ki - j) * mom_j
            # below the support (0 < u ≤ loc) min(X, u) = u exactly; no binomial cancellation
            out = np.where(v > 0, out, np.power(u, k))
    if np.any(np.isposinf(u)):
        # E[X^k] exists exactly when k is below the tail index: inf, never a finite remainder
        out = np.where(np.isposinf(u) & (k >= _tail_index(model)), np.inf, out)
    out = np.where(u > 0, out, 0.0)
    return np.where(np.isnan(u), np.nan, out)


# ---------------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------------


def _as_limits(u) -> np.ndarray:
    try:
        arr = np.asarray(u, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"u: limits must be numbers, got {u!r}") from None
    return arr


def lev_moment(model, u, k: float = 2):
    """Limited moment ``E[min(X, u)^k]`` of a non-negative loss law (有限矩).

    Parameters
    ----------
    model : frozen scipy.stats continuous law, or object with ``lev_moment(u, k)``
        The loss (severity) law, in yuan.
    u : float or array_like
        Limits ``u`` in yuan; broadcast against array-valued model parameters.
    k : float, default 2
        Order ``k > 0``.

    Returns
    -------
    numpy.ndarray or numpy.float64
        ``E[min(X, u)^k]`` in yuan^k, with the broadcast shape (a NumPy scalar for scalar
        input). ``u ≤ 0`` gives 0; ``u = inf`` gives ``E[X^k]`` (``inf`` if it does not exist).

    Notes
    -----
    Closed forms (KPW Appendix A, see :data:`CLOSED_FORM_LAWS`) for every ``k > 0``, except
    ``genpareto`` (``k`` ∈ {1, 2}); otherwise composite Gauss–Legendre over the survival
    function, ``E[min(X,u)^k] = ∫_0^u k x^(k−1) S(x) dx``.

    Examples
    --------
    >>> from scipy import stats
    >>> round(float(lev_moment(stats.expon(scale=1000.0), float("inf"), 2)))
    2000000
    """
    k = _check_k(k)
    u = _as_limits(u)
    if _is_frozen_scipy(model):
        return _frozen_lev(model, u, k)[()]
    method = getattr(model, "lev_moment", None)
    if method is None:
        if k == 1 and hasattr(model, "lev"):
            return np.asarray(model.lev(u), dtype=float)[()]
        raise ParameterError(
            f"model: {type(model).__name__} is neither a frozen scipy.stats law nor has a "
            "lev_moment(u, k) method"
        )
    return np.asarray(method(u, k), dtype=float)[()]


def lev(model, u):
    """Limited expected value ``LEV(u) = E[min(X, u)]`` (有限期望值).

    Parameters
    ----------
    model : frozen scipy.stats continuous law, or object with a ``lev(u)`` method
        The loss (severity) law, in yuan; e.g. ``stats.lognorm(s=1.2, scale=8000)`` or
        :class:`puhui.losses.empirical.Empirical`.
    u : float or array_like
        Limits in yuan.

    Returns
    -------
    numpy.ndarray or numpy.float64
        ``E[min(X, u)]`` in yuan, broadcast over ``u`` (and array-valued model parameters);
        a NumPy scalar for scalar input. ``u ≤ 0`` gives 0 (actuar's convention); ``u = inf``
        gives the mean. For ``X ≥ 0``, ``LEV(u) = ∫_0^u S(x) dx`` is concave and non-decreasing.

    Notes
    -----
    A layer ``(a, a + l]`` costs ``LEV(a + l) − LEV(a)`` per loss; an ordinary deductible (免赔额)
    ``d`` removes ``LEV(d)``. Closed forms from Klugman–Panjer–Willmot, *Loss Models*,
    Appendix A; other scipy laws are integrated numerically.

    Examples
    --------
    >>> from scipy import stats
    >>> round(float(lev(stats.expon(scale=1000.0), 1000.0)), 6)  # 1000 (1 − e^{−1})
    632.120559
    """
    u = _as_limits(u)
    if _is_frozen_scipy(model):
        return _frozen_lev(model, u, 1.0)[()]
    method = getattr(model, "lev", None)
    if method is None:
        raise ParameterError(
            f"model: {type(model).__name__} is neither a frozen scipy.stats law nor has a "
            "lev(u) method"
        )
    return np.asarray(method(u), dtype=float)[()]
