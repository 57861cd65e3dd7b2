"""Loss models built from other laws: a point mass at zero, finite mixtures, a spliced GPD tail.

Each model speaks the same small language as a frozen ``scipy.stats`` law and
:class:`~puhui.losses.empirical.Empirical`: ``cdf``, ``sf``, ``ppf``, ``mean()``, ``var()``,
``rvs(size, seed)``, and the limited moments ``lev(u)`` / ``lev_moment(u, k)`` that price layers.
Components may be frozen scipy laws, Empirical samples or other models of this module.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.optimize.elementwise import find_root

from puhui.errors import ParameterError
from puhui.losses.lev import _is_frozen_scipy, lev_moment

__all__ = ["ZeroInflated", "Mixture", "Spliced"]


# -- uniform access to component laws -------------------------------------------------------------


def _check_component(model, name: str) -> None:
    if _is_frozen_scipy(model):
        low = np.asarray(model.support()[0], dtype=float)
        if np.any(np.isnan(low)) or np.any(low < 0):
            raise ParameterError(f"{name}: needs a valid non-negative loss law (check loc/shape)")
        return
    missing = [m for m in ("cdf", "sf", "lev_moment", "mean") if not hasattr(model, m)]
    if missing:
        raise ParameterError(
            f"{name}: {type(model).__name__} is not a loss law (missing {', '.join(missing)})"
        )


def _arr(values) -> np.ndarray:
    return np.asarray(values, dtype=float)


def _ppf(model, q):
    method = getattr(model, "ppf", None) or getattr(model, "quantile", None)
    if method is None:
        raise ParameterError(f"model: {type(model).__name__} has no ppf/quantile")
    return _arr(method(q))


def _rvs(model, size, rng):
    if _is_frozen_scipy(model):
        return _arr(model.rvs(size=size, random_state=rng))
    return _arr(model.rvs(size=size, seed=rng))


def _moment(model, k: float) -> float:
    return float(lev_moment(model, np.inf, k))


class _LossModel:
    """Shared derived quantities: ``lev``, ``mean``, ``var``, ``std``, ``moment``."""

    def lev_moment(self, u, k: float = 2):  # pragma: no cover - overridden
        raise NotImplementedError

    def lev(self, u):
        """Limited expected value ``E[min(X, u)]`` (有限期望值); ``u ≤ 0`` gives 0."""
        return self.lev_moment(u, 1)

    def moment(self, k: float) -> float:
        """Raw moment ``E[X^k]`` (``inf`` if it does not exist)."""
        return float(self.lev_moment(np.inf, k))

    def mean(self) -> float:
        """``E[X]`` in yuan."""
        return self.moment(1)

    def var(self) -> float:
        """``Var[X]`` in yuan²."""
        m = self.mean()
        return self.moment(2) - m * m

    def std(self) -> float:
        return float(np.sqrt(self.var()))


# -- zero-inflated ------------------------------------------------------------------------------


class ZeroInflated(_LossModel):
    """Loss per insured member with a point mass at zero (零赔付概率): most members claim nothing.

    ``X = 0`` with probability ``p0`` and ``X ~ severity`` otherwise:
    ``F(x) = p0 + (1 − p0) F_sev(x)`` for ``x ≥ 0``, ``E[min(X, u)^k] = (1 − p0) E[min(Y, u)^k]``.

    Parameters
    ----------
    p0 : float
        Probability of no loss, in ``[0, 1)``.
    severity : loss law
        Law of the loss given a loss occurs (frozen scipy law, Empirical, …).

    Examples
    --------
    >>> from scipy import stats
    >>> member = ZeroInflated(0.95, stats.lognorm(1.0, scale=10_000))
    >>> round(member.mean(), 2)  # 0.05 · 10000 · e^{1/2}
    824.36
    """

    def __init__(self, p0: float, severity):
        p0 = float(p0)
        if not (0.0 <= p0 < 1.0):
            raise ParameterError(f"p0: probability of no loss must lie in [0, 1), got {p0!r}")
        _check_component(severity, "severity")
        self.p0 = p0
        self.severity = severity

    def __repr__(self) -> str:
        return f"ZeroInflated(p0={self.p0}, severity={self.severity!r})"

    def cdf(self, x):
        x = _arr(x)
        return np.where(x < 0, 0.0, self.p0 + (1 - self.p0) * _arr(self.severity.cdf(x)))[()]

    def sf(self, x):
        x = _arr(x)
        return np.where(x < 0, 1.0, (1 - self.p0) * _arr(self.severity.sf(x)))[()]

    def ppf(self, q):
        q = _arr(q)
        inner = np.clip((q - self.p0) / (1 - self.p0), 0.0, 1.0)
        return np.where(q <= self.p0, 0.0, _ppf(self.severity, inner))[()]

    def lev_moment(self, u, k: float = 2):
        return ((1 - self.p0) * _arr(lev_moment(self.severity, u, k)))[()]

    def rvs(self, size=None, seed=None):
        """Draws: a uniform per member decides claim / no claim, then severities for claimants."""
        rng = np.random.default_rng(seed)
        claims = rng.random(size) >= self.p0
        out = np.zeros(np.shape(claims))
        out[claims] = _rvs(self.severity, int(np.count_nonzero(claims)), rng)
        return out[()]


# -- finite mixture -------------------------------------------------------------------------------


class Mixture(_LossModel):
    """Finite mixture of loss laws (混合分布): ``F = Σ_i w_i F_i``.

    Parameters
    ----------
    weights : array_like
        Mixing weights, ``≥ 0`` and summing to 1 (within 1e-9; they are not renormalised).
    models : sequence of loss laws
        Component laws (frozen scipy laws, Empirical, other models).

    Notes
    -----
    Every limited moment is linear in the law: ``E[min(X, u)^k] = Σ_i w_i E[min(X_i, u)^k]``.
    Quantiles solve ``F(x) = q`` with scipy's vectorised bracketing root finder between the
    smallest and largest component quantiles (for a mixture with atoms the left-continuous
    inverse is approximated to the root tolerance).

    Examples
    --------
    >>> from scipy import stats
    >>> mix = Mixture([0.7, 0.3], [stats.expon(scale=1000), stats.expon(scale=10_000)])
    >>> mix.mean()
    3700.0
    """

    def __init__(self, weights, models):
        w = _arr(weights)
        models = list(models)
        if w.ndim != 1 or w.size != len(models) or w.size == 0:
            raise ParameterError(
                f"weights: expected one weight per model ({len(models)}), got shape {w.shape}"
            )
        if np.any(~np.isfinite(w)) or np.any(w < 0):
            raise ParameterError("weights: must be finite and ≥ 0")
        if abs(w.sum() - 1.0) > 1e-9:
            raise ParameterError(f"weights: must sum to 1, got {w.sum()!r}")
        for i, m in enumerate(models):
            _check_component(m, f"models[{i}]")
        self.weights = w
        self.models = tuple(models)

    def __repr__(self) -> str:
        return f"Mixture(weights={self.weights.tolist()}, models={list(self.models)!r})"

    def _sum(self, func):
        return sum(w * _arr(func(m)) for w, m in zip(self.weights, self.models, strict=True))

    def cdf(self, x):
        x = _arr(x)
        return self._sum(lambda m: m.cdf(x))[()]

    def sf(self, x):
        x = _arr(x)
        return self._sum(lambda m: m.sf(x))[()]

    def lev_moment(self, u, k: float = 2):
        return self._sum(lambda m: lev_moment(m, u, k))[()]

    def ppf(self, q):
        q = _arr(q)
        if np.any(~((q >= 0) & (q <= 1))):
            raise ParameterError("q: probabilities must lie in [0, 1]")
        comps = np.stack([np.broadcast_to(_ppf(m, q), q.shape) for m in self.models])
        lo, hi = comps.min(axis=0), comps.max(axis=0)
        out = np.array(hi, dtype=float)
        todo = (hi > lo) & np.isfinite(hi)
        if np.any(todo):
            res = find_root(lambda x, qq: _arr(self.cdf(x)) - qq, (lo[todo], hi[todo]),
                            args=(q[todo],), tolerances={"xrtol": 1e-13})
            out[todo] = res.x
        return out[()]

    def rvs(self, size=None, seed=None):
        """Draws: a component index per draw (``rng.choice``), then that component's law."""
        rng = np.random.default_rng(seed)
        which = rng.choice(len(self.models), size=size, p=self.weights)
        out = np.zeros(np.shape(which))
        for i, m in enumerate(self.models):  # loop over the few components
            mask = which == i
            if np.any(mask):
                out[mask] = _rvs(m, int(np.count_nonzero(mask)), rng)
        return out[()]


# -- spliced body + generalized Pareto tail -----------------------------------------------------


class Spliced(_LossModel):
    """Body law below a threshold, generalized Pareto above it (拼接分布 / 超阈值尾部).

    ``F(x) = (1 − w) F_b(x)/F_b(t)`` for ``0 ≤ x ≤ t`` and ``F(x) = 1 − w + w G(x − t)`` above,
    with ``G`` the generalized Pareto law ``1 − (1 + ξ y/β)^(−1/ξ)`` (``scipy.stats.genpareto(ξ,
    scale=β)``) and ``w`` the tail weight (share of losses above ``t``).

    Parameters
    ----------
    body : loss law
        Law of the body; it is truncated to ``[0, t]`` (its own tail is discarded).
    threshold : float
        Splice point ``t > 0`` in yuan (e.g. the 95th percentile of the losses).
    tail_xi : float
        GPD shape ξ (``ξ > 0`` heavy tail, ``ξ = 0`` exponential, ``ξ < 0`` bounded).
    tail_beta : float
        GPD scale β ``> 0`` in yuan.
    tail_weight : float, optional
        ``w = P(X > t)`` in ``(0, 1)``. Default: the body's own ``S_b(t)``, which keeps ``F``
        continuous at ``t``.

    Notes
    -----
    With ``Y`` the truncated body, ``E[min(Y, u)^k] = (E[min(X_b, m)^k] − m^k S_b(t)) / F_b(t)``
    for ``m = min(u, t)``, and ``E[min(t + G, u)^k]`` is the limited moment of
    ``genpareto(ξ, loc=t, scale=β)``; the spliced moment is ``(1 − w)·body + w·tail``.

    Examples
    --------
    >>> from scipy import stats
    >>> sp = Spliced(stats.lognorm(1.0, scale=5000), threshold=50_000, tail_xi=0.3,
    ...              tail_beta=20_000, tail_weight=0.02)
    >>> round(float(sp.sf(50_000)), 6)
    0.02
    """

    def __init__(self, body, threshold: float, tail_xi: float, tail_beta: float,
                 tail_weight: float | None = None):
        _check_component(body, "body")
        t = float(threshold)
        if not (np.isfinite(t) and t > 0):
            raise ParameterError(f"threshold: must be finite and > 0, got {threshold!r}")
        xi, beta = float(tail_xi), float(tail_beta)
        if not np.isfinite(xi):
            raise ParameterError(f"tail_xi: must be finite, got {tail_xi!r}")
        if not (np.isfinite(beta) and beta > 0):
            raise ParameterError(f"tail_beta: must be finite and > 0, got {tail_beta!r}")
        f_t = float(_arr(body.cdf(t)))
        if not f_t > 0:
            raise ParameterError("threshold: the body has no mass below the threshold")
        w = float(_arr(body.sf(t))) if tail_weight is None else float(tail_weight)
        if not (0.0 < w < 1.0):
            raise ParameterError(
                f"tail_weight: must lie in (0, 1), got {w!r}"
                + (" (the body's S(t); pass tail_weight)" if tail_weight is None else "")
            )
        self.body = body
        self.threshold = t
        self.tail_xi = xi
        self.tail_beta = beta
        self.tail_weight = w
        self._f_t = f_t
        self._s_t = float(_arr(body.sf(t)))
        self.tail = stats.genpareto(xi, loc=t, scale=beta)

    def __repr__(self) -> str:
        return (f"Spliced(body={self.body!r}, threshold={self.threshold}, "
                f"tail_xi={self.tail_xi}, tail_beta={self.tail_beta}, "
                f"tail_weight={self.tail_weight})")

    def cdf(self, x):
        x = _arr(x)
        t, w = self.threshold, self.tail_weight
        below = (1 - w) * _arr(self.body.cdf(np.minimum(x, t))) / self._f_t
        # 1 − w·S_G, not 1 − w + w·G: scipy's genpareto.cdf is wrong for |ξ| < ~1e−17
        above = 1 - w * _arr(self.tail.sf(x))
        return np.where(x < 0, 0.0, np.where(x <= t, below, above))[()]

    def sf(self, x):
        x = _arr(x)
        t, w = self.threshold, self.tail_weight
        body_s = (self._f_t - _arr(self.body.cdf(np.minimum(x, t)))) / self._f_t
        below = w + (1 - w) * body_s
        above = w * _arr(self.tail.sf(x))
        return np.where(x < 0, 1.0, np.where(x <= t, below, above))[()]

    def ppf(self, q):
        q = _arr(q)
        if np.any(~((q >= 0) & (q <= 1))):
            raise ParameterError("q: probabilities must lie in [0, 1]")
        w = self.tail_weight
        in_body = q <= 1 - w
        body_q = np.clip(q / (1 - w), 0.0, 1.0) * self._f_t
        tail_q = np.clip((q - (1 - w)) / w, 0.0, 1.0)
        return np.where(in_body, _ppf(self.body, body_q), _arr(self.tail.ppf(tail_q)))[()]

    def lev_moment(self, u, k: float = 2):
        u = _arr(u)
        t, w = self.threshold, self.tail_weight
        m = np.minimum(u, t)
        with np.errstate(invalid="ignore"):
            body = (_arr(lev_moment(self.body, m, k)) - np.power(np.maximum(m, 0), k) * self._s_t)
        body = np.where(u > 0, body / self._f_t, 0.0)
        tail = _arr(lev_moment(self.tail, u, k))
        return ((1 - w) * body + w * tail)[()]

    def rvs(self, size=None, seed=None):
        """Draws by inverse transform: ``ppf`` of uniforms from ``seed``."""
        rng = np.random.default_rng(seed)
        return self.ppf(rng.random(size))
