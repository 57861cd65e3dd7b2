"""The law of the payout of a benefit (赔付额分布) under any loss model: R actuar's ``coverage()``.

For a loss law X, an inflation rate i and a benefit ``pay`` (a stack of layers, see
:mod:`puhui.benefits`: 起付线 d / franchise, 赔付比例 r, 封顶线 cap, bands), :func:`coverage`
returns the law of

* the payment per loss ``Y_L = pay((1 + i) X)`` (``per="loss"``, with a point mass at 0), or
* the payment per payment ``Y_P = Y_L | Y_L > 0`` (``per="payment"``; given X beyond the
  deductible),

as a loss model itself (``cdf``, ``sf``, ``pdf``, ``point_masses``, ``lev``, ``lev_moment``,
``moment``, ``quantile``), so it can be priced again (:func:`puhui.losses.expected_payout`),
discretised and compounded (:func:`puhui.losses.aggregate`).

Method. ``pay`` is non-decreasing and piecewise linear in the (inflated) loss ``Z = (1 + i) X``:
knots ``z_0 = 0 < z_1 < … < z_n`` (the layers' attachments and tops, the franchise point),
value ``v_j`` just right of knot ``z_j`` (a franchise jump makes it larger than ``pay(z_j)``)
and slope ``s_j`` on ``(z_j, z_{j+1})`` — the sum of the shares of the layers covering the piece.
The generalized inverse

    z*(y) = sup{z ≥ 0 : pay(z) ≤ y} = min(z_j + (y − v_j)/s_j, z_{j+1}),   j = max{j : v_j ≤ y}

(``∞`` once y reaches the largest payout) gives the whole law:

* ``F_L(y) = F_X(z*(y)/(1+i))`` and ``S_L(y) = S_X(z*(y)/(1+i))`` for ``y ≥ 0``;
* ``F_P(y) = (F_L(y) − F_L(0)) / S_L(0)``, ``S_P(y) = S_L(y) / S_L(0)``;
* density of the continuous part ``f_L(y) = f_X(z*/(1+i)) / ((1+i) s_j)`` inside a rising piece;
* point masses where ``pay`` is flat: ``P(Y_L = 0) = F_L(0)``, ``P(Y = v) = S_X(lo⁻) − S_X(hi)``
  for a flat stretch ``[lo, hi]`` at level v (the cap when it binds; a band paid at 0 %);
  a franchise jump leaves a gap ``(0, J)`` in the support, not a point mass;
* quantiles ``Q_L(p) = pay((1+i) Q_X(p))`` (pay is non-decreasing and left-continuous).

Moments use the layer algebra of :mod:`puhui.losses.payout`: ``E[Y_L] = expected_payout``,
``E[Y_L²] = payout_second_moment``, and ``E[min(Y_L, u)^k]`` is the same algebra applied to the
stack of pieces truncated where the payout reaches u. For ``k ≥ 3`` each rising piece
contributes ``Σ_{m=1..k} C(k, m) w^{k−m} s^m (E[min(Z, e)^m] − E[min(Z, a)^m])`` with
``w = v − s a`` (the line through the piece evaluated at 0), ``a`` its start and ``e`` its end,
plus ``(min(v⁺, u)^k − min(v⁻, u)^k) S_Z(d)`` for a franchise jump. Per payment, every moment is
divided by ``P(Y_L > 0)``.

A discrete law — :class:`~puhui.losses.empirical.Empirical`, the
:class:`~puhui.losses.aggregate_dist.DiscreteAggregate` of :func:`puhui.losses.aggregate`, a
:class:`~puhui.losses.discretize.DiscreteSeverity` — is carried through exactly: its atoms
``x_j`` become atoms ``pay((1+i) x_j)`` (equal payouts merged), and cdf, quantiles and limited
moments are sums over them (prefix sums and binary searches). Probability a discrete law does
not place on its support (``truncated_mass`` / ``lost_mass``) is kept as ``truncated_mass``
here: the cdf then stops short of 1 by that amount and the moments leave it out, as those of
the law itself do.

Mapping to R actuar ``coverage(pdf, cdf, deductible, franchise, limit, coinsurance, inflation,
per.loss)``: ``per.loss = TRUE`` ↔ ``per="loss"``; ``deductible`` ↔ ``Benefit(deductible=)``;
``franchise`` ↔ ``Benefit(franchise=)``; ``coinsurance`` α ↔ ``payout_ratio``; ``inflation`` ↔
``inflation`` (the same rate r: X becomes ``(1 + r) X``); actuar's ``limit`` u caps the LOSS,
puhui's ``cap`` caps the PAYOUT, so ``cap = α (u − d)`` for an ordinary deductible and
``cap = α u`` for a franchise. actuar's "pdf" returns the point masses at 0 and at the cap in
place of a density; here they are in :attr:`Coverage.point_masses` and :meth:`Coverage.pdf` is
the density of the continuous part only.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import special

from puhui.benefits.layer import LayerStack, as_stack
from puhui.benefits.segments import SegmentedBenefit
from puhui.errors import ParameterError
from puhui.losses.aggregate_dist import DiscreteAggregate
from puhui.losses.discretize import DiscreteSeverity
from puhui.losses.empirical import Empirical
from puhui.losses.lev import _is_frozen_scipy, lev_moment
from puhui.losses.lev_numeric import _check_frozen
from puhui.losses.payout import _check_model, expected_payout, payout_second_moment

__all__ = ["Coverage", "PointMasses", "coverage"]

PER = ("loss", "payment")


class PointMasses(NamedTuple):
    """Atoms of a payout law: ``location`` (yuan, increasing) and ``probability``."""

    location: np.ndarray
    probability: np.ndarray


def coverage(model, benefit, per: str = "loss", inflation: float = 0.0) -> Coverage:
    """The law of the payout of ``benefit`` on losses from ``model`` (actuar ``coverage()``).

    Parameters
    ----------
    model : loss model
        A frozen ``scipy.stats`` law, :class:`~puhui.losses.empirical.Empirical`, the result of
        :func:`puhui.losses.aggregate` (:class:`~puhui.losses.aggregate_dist.DiscreteAggregate`),
        a :class:`~puhui.losses.discretize.DiscreteSeverity`, a model of
        :mod:`puhui.losses.models`, another :class:`Coverage`, or any object with ``cdf`` or
        ``sf`` and ``lev`` (``lev_moment`` for moments of order ≥ 2, ``pdf`` for :meth:`pdf`,
        ``ppf``/``quantile`` for :meth:`quantile`).
    benefit : Benefit, Layer or LayerStack
        One design (not a grid): 起付线, 赔付比例, 封顶线 (on the payout), bands, franchise.
    per : {"loss", "payment"}
        ``"loss"``: ``Y_L = pay((1 + i) X)``, zero when nothing is paid (actuar
        ``per.loss = TRUE``); ``"payment"``: ``Y_P = Y_L | Y_L > 0`` (actuar's default).
    inflation : float, default 0
        The inflation RATE i, as actuar's ``inflation``: losses become ``(1 + i) X`` while the
        deductible, bands and cap stay fixed. Must be ``> −1``; ``0.05`` is 5 %, not a factor.

    Returns
    -------
    Coverage

    Examples
    --------
    >>> from scipy import stats
    >>> from puhui.benefits import Benefit
    >>> b = Benefit(deductible=500.0, payout_ratio=0.8, cap=4_000.0)
    >>> y = coverage(stats.expon(scale=1_000.0), b)
    >>> round(float(y.cdf(0.0)), 6)          # P(X ≤ 500) = 1 − e^{−0.5}
    0.393469
    >>> round(float(y.point_masses.probability[-1]), 6)   # at the cap: P(X ≥ 5500) = e^{−5.5}
    0.004087
    >>> round(y.mean(), 4)                  # 0.8 · 1000 · (e^{−0.5} − e^{−5.5})
    481.9551
    >>> yp = coverage(stats.expon(scale=1_000.0), b, per="payment")
    >>> round(yp.mean(), 4)                 # memoryless: 0.8 · 1000 · (1 − e^{−5})
    794.6096
    """
    return Coverage(model, benefit, per=per, inflation=inflation)


def _atoms(model):
    """``(x, w, missing)`` of a law known to be discrete (raw weights; ``missing`` in the same
    units: weight not on the support), or None."""
    if isinstance(model, Empirical):
        x = np.asarray(model.values, dtype=float)
        w = model.weights
        w = np.ones(x.size) if w is None else np.asarray(w, dtype=float)
        return x, w, 0.0
    if isinstance(model, DiscreteAggregate):
        return (np.asarray(model.x, dtype=float), np.asarray(model.pmf, dtype=float),
                max(0.0, float(model.truncated_mass)))
    if isinstance(model, DiscreteSeverity):
        return (np.asarray(model.nodes, dtype=float), np.asarray(model.pmf, dtype=float),
                max(0.0, float(model.lost_mass)))
    if isinstance(model, Coverage) and model.is_discrete:
        return model._y, model._w, model._missing
    return None


def _check_inflation(inflation) -> float:
    try:
        rate = float(inflation)
    except (TypeError, ValueError):
        raise ParameterError(f"inflation: the inflation rate must be a number, got "
                             f"{inflation!r}") from None
    if not (math.isfinite(rate) and rate > -1.0):
        raise ParameterError(f"inflation: the rate must be finite and > −1 (0.05 for 5 %), got "
                             f"{inflation!r}")
    return rate


def _check_k(k) -> float:
    try:
        k = float(k)
    except (TypeError, ValueError):
        raise ParameterError(f"k: the order must be a positive number, got {k!r}") from None
    if not (math.isfinite(k) and k > 0):
        raise ParameterError(f"k: the order must be a positive finite number, got {k!r}")
    return k


def _float_array(values, name: str) -> np.ndarray:
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: must be numbers, got {values!r}") from None


class Coverage:
    """Law of the payout per loss or per payment of one benefit design (see :func:`coverage`).

    Attributes
    ----------
    model, benefit, per, inflation
        As given to :func:`coverage`.
    payout_probability : float
        ``P(Y_L > 0)``, the probability that a loss leads to a payment.
    is_discrete : bool
        True when the loss law is discrete (the payout law is then a finite set of atoms).
    truncated_mass : float
        Probability of the payout law not placed anywhere (a discrete loss law's mass beyond
        its support); 0 otherwise.
    """

    def __init__(self, model, benefit, per: str = "loss", inflation: float = 0.0):
        if per not in PER:
            raise ParameterError(f"per: use 'loss' or 'payment', got {per!r}")
        if isinstance(benefit, SegmentedBenefit):
            raise ParameterError("benefit: a SegmentedBenefit mixes several designs; take the "
                                 "coverage of each segment's design")
        stack = as_stack(benefit)
        if stack.grid_shape != ():
            raise ParameterError(f"benefit: coverage needs one design, not a grid "
                                 f"{stack.grid_shape}")
        self.model = model
        self.benefit = benefit
        self.per = per
        self.inflation = _check_inflation(inflation)
        self._c = 1.0 + self.inflation
        self._stack = stack
        cap = getattr(benefit, "cap", None)
        self._cap = math.inf if cap is None else float(np.asarray(cap, dtype=float))
        self._pieces()
        atoms = _atoms(model)
        self.is_discrete = atoms is not None
        if self.is_discrete:
            self._init_discrete(*atoms)
        else:
            self._init_continuous()

    # -- the payout function as pieces --------------------------------------------------------

    def _pieces(self) -> None:
        """Knots ``z``, values ``pay(z)`` (left) and just right of each knot, slopes."""
        st = self._stack
        a = st.attachment.reshape(-1)
        lim = st.limit.reshape(-1)
        share = st.share.reshape(-1)
        top = a + lim
        parts = [np.zeros(1), a, top]
        jump_at = None if st.jump_at is None else float(st.jump_at)
        if jump_at is not None:
            parts.append(np.array([jump_at]))
        knots = np.unique(np.concatenate(parts))
        knots = knots[np.isfinite(knots)]
        left = np.asarray(st.pay(knots), dtype=float)
        jump = np.zeros_like(knots)
        if jump_at is not None:
            jump[knots == jump_at] = float(st.jump_size)
        right = left + jump
        left = np.minimum(left, self._cap)  # the cap is exact: pay = min(·, cap)
        right = np.minimum(right, self._cap)
        nxt = np.append(knots[1:], np.inf)
        covers = (a[:, None] <= knots[None, :]) & (top[:, None] >= nxt[None, :]) & (lim[:, None] > 0)
        slope = np.where(covers, share[:, None], 0.0).sum(axis=0)
        self._z, self._left, self._right, self._slope, self._nxt = knots, left, right, slope, nxt
        self._max_payout = float(right[-1]) if slope[-1] == 0 else math.inf

    def _to_x(self, z):
        """Loss ``X`` for an inflated loss ``Z = (1 + i) X`` (exact when i = 0)."""
        return z if self._c == 1.0 else z / self._c

    def _z_star(self, y: np.ndarray) -> np.ndarray:
        """``sup{z : pay(z) ≤ y}`` for ``y ≥ 0`` (``inf`` once y reaches the largest payout)."""
        j = np.searchsorted(self._right, y, side="right") - 1
        jj = np.maximum(j, 0)
        s = self._slope[jj]
        with np.errstate(divide="ignore", invalid="ignore"):
            inside = np.where(s > 0, self._z[jj] + (y - self._right[jj]) / np.where(s > 0, s, 1.0),
                              np.inf)
        return np.where(j < 0, 0.0, np.minimum(inside, self._nxt[jj]))

    def _pay(self, z: np.ndarray) -> np.ndarray:
        return np.minimum(np.asarray(self._stack.pay(z), dtype=float), self._cap)

    # -- access to the loss model -------------------------------------------------------------

    def _model_cdf(self, x):
        m = self.model
        if hasattr(m, "cdf"):
            return np.asarray(m.cdf(x), dtype=float)
        return 1.0 - np.asarray(m.sf(x), dtype=float)

    def _model_sf(self, x):
        m = self.model
        if hasattr(m, "sf"):
            return np.asarray(m.sf(x), dtype=float)
        return 1.0 - np.asarray(m.cdf(x), dtype=float)

    # -- continuous (general) loss laws -------------------------------------------------------

    def _init_continuous(self) -> None:
        m = self.model
        if _is_frozen_scipy(m):
            _check_model(m)  # one law, not an array of parameter sets
            _check_frozen(m)  # continuous, support in [0, ∞)
        elif not (hasattr(m, "cdf") or hasattr(m, "sf")):
            raise ParameterError(f"model: {type(m).__name__} is not a loss law (it has neither "
                                 "cdf nor sf)")
        z0 = float(self._z_star(np.array(0.0)))
        self._x0 = math.inf if math.isinf(z0) else float(self._to_x(z0))
        if math.isinf(self._x0):
            self._f0, self._s0 = 1.0, 0.0
        else:
            self._f0 = float(self._model_cdf(self._x0))
            self._s0 = float(self._model_sf(self._x0))
        self.payout_probability = self._s0
        self.truncated_mass = 0.0
        if self.per == "payment" and not self._s0 > 0:
            raise ParameterError("per='payment': the benefit never pays under this loss law "
                                 "(P(pay > 0) = 0)")
        self._mean_loss = None
        self._second_loss = None

    def _loss_law_at(self, y: np.ndarray, upper: bool) -> np.ndarray:
        """``F_L(y)`` (or ``S_L(y)`` when ``upper``) for ``y ≥ 0``."""
        zs = self._z_star(y)
        inf = np.isinf(zs)
        x = self._to_x(np.where(inf, 0.0, zs))
        if upper:
            return np.where(inf, 0.0, self._model_sf(x))
        return np.where(inf, 1.0, self._model_cdf(x))

    # -- discrete loss laws -------------------------------------------------------------------

    def _init_discrete(self, x, w, missing) -> None:
        keep = w > 0
        x, w = x[keep], w[keep]
        z = x if self._c == 1.0 else self._c * x
        y = self._pay(z) if x.size else np.zeros(0)
        # atoms of Y: equal payouts merged (x sorted and pay non-decreasing, so y is sorted)
        if y.size:
            start = np.flatnonzero(np.concatenate([[True], np.diff(y) > 0]))
            y_u, w_u = y[start], np.add.reduceat(w, start)
        else:
            y_u, w_u = y, w
        w_loss_total = float(np.sum(w_u)) + missing
        self.payout_probability = float((np.sum(w_u[y_u > 0]) + missing) / w_loss_total)
        if self.per == "payment":
            if not self.payout_probability > 0:
                raise ParameterError("per='payment': the benefit never pays under this loss law "
                                     "(P(pay > 0) = 0)")
            y_u, w_u = y_u[y_u > 0], w_u[y_u > 0]
        self._y, self._w, self._missing = y_u, w_u, float(missing)
        self._total = float(np.sum(w_u)) + missing
        self._cumw = np.cumsum(w_u)
        self._sufw = np.concatenate([np.cumsum(w_u[::-1])[::-1], [0.0]])
        self._powsums: dict[float, np.ndarray] = {}
        self.truncated_mass = float(missing / self._total)

    def _prefix(self, k: float) -> np.ndarray:
        """``Σ_{j<i} y_j^k w_j`` for i = 0..n (cached per order)."""
        if k not in self._powsums:
            v = self._w * (self._y if k == 1 else np.power(self._y, k))
            self._powsums[k] = np.concatenate([[0.0], np.cumsum(v)])
        return self._powsums[k]

    # -- the law ------------------------------------------------------------------------------

    def cdf(self, y):
        """``P(Y ≤ y)``: ``F_X(z*(y)/(1+i))`` per loss, ``(F_L(y) − F_L(0))/S_L(0)`` per
        payment."""
        y = _float_array(y, "y")
        nan = np.isnan(y)
        yy = np.where(nan | (y < 0), 0.0, y)
        if self.is_discrete:
            i = np.searchsorted(self._y, yy, side="right")
            out = np.where(i > 0, self._cumw[np.maximum(i - 1, 0)], 0.0) / self._total
        elif self.per == "loss":
            out = self._loss_law_at(yy, upper=False)
        else:
            s0 = self._s0
            if self._f0 <= 0.5:
                out = (self._loss_law_at(yy, upper=False) - self._f0) / s0
            else:
                out = (s0 - self._loss_law_at(yy, upper=True)) / s0
            out = np.clip(out, 0.0, 1.0)
        out = np.where(y < 0, 0.0, out)
        return np.where(nan, np.nan, out)[()]

    def sf(self, y):
        """``P(Y > y)``: ``S_X(z*(y)/(1+i))`` per loss, divided by ``S_L(0)`` per payment."""
        y = _float_array(y, "y")
        nan = np.isnan(y)
        yy = np.where(nan | (y < 0), 0.0, y)
        if self.is_discrete:
            i = np.searchsorted(self._y, yy, side="right")
            out = (self._sufw[i] + self._missing) / self._total
        elif self.per == "loss":
            out = self._loss_law_at(yy, upper=True)
        else:
            out = np.clip(self._loss_law_at(yy, upper=True) / self._s0, 0.0, 1.0)
        out = np.where(y < 0, 1.0, out)
        return np.where(nan, np.nan, out)[()]

    def pdf(self, y):
        """Density of the continuous part (point masses excluded, see :attr:`point_masses`):
        ``f_X(z*/(1+i)) / ((1+i) s_j)`` inside a rising piece j of ``pay``, 0 elsewhere (and 0
        everywhere for a discrete loss law). Per payment, divided by ``P(Y_L > 0)``."""
        y = _float_array(y, "y")
        if self.is_discrete:
            return np.where(np.isnan(y), np.nan, np.zeros_like(y))[()]
        pdf = getattr(self.model, "pdf", None)
        if not callable(pdf):
            raise ParameterError(f"model: {type(self.model).__name__} has no pdf(x); the "
                                 "density of the payout needs it")
        yy = np.where(np.isnan(y) | (y < 0), 0.0, y)
        j = np.searchsorted(self._right, yy, side="right") - 1
        jj = np.maximum(j, 0)
        s = self._slope[jj]
        end = np.append(self._left[1:], np.inf)[jj]  # pay just left of the next knot
        rising = (j >= 0) & (s > 0) & (yy > self._right[jj]) & (yy < end)
        zs = np.where(rising, self._z_star(yy), 0.0)
        dens = np.asarray(pdf(self._to_x(zs)), dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(rising, dens / (self._c * np.where(s > 0, s, 1.0)), 0.0)
        if self.per == "payment":
            out = out / self._s0
        out = np.where(y < 0, 0.0, out)
        return np.where(np.isnan(y), np.nan, out)[()]

    @property
    def point_masses(self) -> PointMasses:
        """Atoms of the payout law (locations increasing, probabilities > 0).

        Per loss: ``P(Y_L = 0) = F_L(0)``; the cap when it binds, ``P(Y = cap) = S_X(u⁻)`` with
        ``u`` the loss where the cap is reached; any other flat stretch of ``pay`` (a band paid at
        0 %). A discrete loss law gives only atoms. For another model with atoms of its own
        (e.g. a mixture with an Empirical component) only the atoms at flat stretches and at 0
        are listed; the cdf stays exact.
        """
        if self.is_discrete:
            return PointMasses(self._y.copy(), self._w / self._total)
        locs, probs = [], []
        if self.per == "loss" and self._f0 > 0:
            locs.append(0.0)
            probs.append(self._f0)
        n = self._z.size
        j = 0
        while j < n:  # the few pieces of one design
            level = self._right[j]
            if self._slope[j] > 0 or level <= 0:
                j += 1
                continue
            end = j
            while (end + 1 < n and self._slope[end + 1] == 0 and self._left[end + 1] == level
                   and self._right[end + 1] == level):
                end += 1
            lo, hi = self._to_x(self._z[j]), self._to_x(self._nxt[end])
            if self._left[j] == level:  # pay(lo) = level: lo itself belongs to the stretch
                lo = np.nextafter(lo, -np.inf)
            s_hi = 0.0 if math.isinf(hi) else float(self._model_sf(hi))
            mass = float(self._model_sf(lo)) - s_hi
            if mass > 0:
                locs.append(float(level))
                probs.append(mass if self.per == "loss" else mass / self._s0)
            j = end + 1
        return PointMasses(np.array(locs, dtype=float), np.array(probs, dtype=float))

    def quantile(self, p):
        """Generalized inverse ``min{y : F(y) ≥ p}``: ``pay((1+i) Q_X(p))`` per loss and
        ``pay((1+i) Q_X(F_X(x₀) + p S_X(x₀)))`` per payment (x₀ the loss below which nothing is
        paid), so p inside a point mass returns its location. For a discrete loss law, read
        from the atoms (NaN above the mass the law places, as for DiscreteAggregate)."""
        p = _float_array(p, "p")
        if np.any(~((p >= 0) & (p <= 1))):
            raise ParameterError("p: probabilities must lie in [0, 1]")
        if self.is_discrete:
            if self._y.size == 0:
                return np.full(p.shape, np.nan)[()]
            i = np.searchsorted(self._cumw / self._total, p, side="left")
            out = np.where(i >= self._y.size, np.nan, self._y[np.minimum(i, self._y.size - 1)])
            return out[()]
        m = self.model
        if self.per == "loss":
            x = self._model_quantile(p)
        else:
            isf = getattr(m, "isf", None)
            q_up = (1.0 - p) * self._s0
            x = (np.asarray(isf(q_up), dtype=float) if callable(isf)
                 else self._model_quantile(np.clip(1.0 - q_up, 0.0, 1.0)))
        z = x if self._c == 1.0 else self._c * x
        return self._pay(np.maximum(z, 0.0)).reshape(p.shape)[()]

    ppf = quantile

    def _model_quantile(self, p):
        for attr in ("ppf", "quantile"):
            f = getattr(self.model, attr, None)
            if callable(f):
                return np.asarray(f(p), dtype=float)
        raise ParameterError(f"model: {type(self.model).__name__} has neither ppf nor quantile")

    # -- limited moments ----------------------------------------------------------------------

    def _capped_stack(self, u: np.ndarray) -> LayerStack:
        """``min(pay(Z), u)`` as a stack over a grid of limits u, in units of the loss X."""
        rising = self._slope > 0
        z, v, s, nxt = self._z[rising], self._right[rising], self._slope[rising], self._nxt[rising]
        if z.size == 0:
            z, v, s, nxt = np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1)
        grid = u.shape
        with np.errstate(invalid="ignore", divide="ignore"):
            room = np.where(s > 0, (u[..., None] - v) / np.where(s > 0, s, 1.0), 0.0)
        limit = np.clip(room, 0.0, nxt - z)
        att = np.broadcast_to(self._to_x(z), grid + z.shape)
        share = s if self._c == 1.0 else s * self._c
        st = self._stack
        if st.jump_at is None:
            return LayerStack(att, self._to_x(limit), np.broadcast_to(share, grid + z.shape))
        d = float(st.jump_at)
        k = int(np.flatnonzero(self._z == d)[0])
        size = np.clip(u - self._left[k], 0.0, self._right[k] - self._left[k])
        return LayerStack(att, self._to_x(limit), np.broadcast_to(share, grid + z.shape),
                          jump_at=np.full(grid, self._to_x(d)), jump_size=size)

    def _loss_stack(self):
        """The benefit in units of X: layers ``(a/(1+i), l/(1+i), (1+i)s)``."""
        if self._c == 1.0:
            return self.benefit
        st, c = self._stack, self._c
        if st.jump_at is None:
            return LayerStack(st.attachment / c, st.limit / c, st.share * c)
        return LayerStack(st.attachment / c, st.limit / c, st.share * c,
                          jump_at=st.jump_at / c, jump_size=st.jump_size)

    def _loss_mean(self) -> float:
        if self._mean_loss is None:
            self._mean_loss = float(expected_payout(self.model, self._loss_stack()))
        return self._mean_loss

    def _loss_second(self) -> float:
        if self._second_loss is None:
            self._second_loss = float(payout_second_moment(self.model, self._loss_stack()))
        return self._second_loss

    def _piece_moment(self, u: np.ndarray, k: int) -> np.ndarray:
        """``E[min(Y_L, u)^k]`` for an integer ``k ≥ 1`` from the limited moments of X."""
        c = self._c
        out = np.zeros(u.shape)
        for j in np.flatnonzero(self._slope > 0):  # the few rising pieces of one design
            a, v, s = self._z[j], self._right[j], self._slope[j]
            with np.errstate(invalid="ignore", divide="ignore"):
                e = np.minimum(self._nxt[j], a + np.maximum(u - v, 0.0) / s)
            w = v - s * a
            term = np.zeros(u.shape)
            grows = e > a
            e_x = np.where(grows, e / c, a / c)
            lm_k = None
            for m in range(1, k + 1):
                hi = c**m * np.asarray(lev_moment(self.model, e_x, m), dtype=float)
                lo = c**m * float(lev_moment(self.model, a / c, m))
                with np.errstate(invalid="ignore", over="ignore"):
                    coef = special.comb(k, m, exact=True) * w ** (k - m) * s**m
                    term = term + np.where(grows, coef * (hi - lo), 0.0)
                lm_k = hi
            term = np.where(grows & np.isinf(lm_k), np.inf, term)
            out = out + term
        st = self._stack
        if st.jump_at is not None:
            d = float(st.jump_at)
            kk = int(np.flatnonzero(self._z == d)[0])
            gain = (np.minimum(self._right[kk], u) ** k - np.minimum(self._left[kk], u) ** k)
            out = out + gain * float(self._model_sf(self._to_x(d)))
        return out

    def lev_moment(self, u, k: float = 2):
        """``E[min(Y, u)^k]`` in yuan^k; ``u ≤ 0`` gives 0, ``u = inf`` gives ``E[Y^k]``.

        Per loss, for a general law: ``k = 1`` and ``2`` by :func:`expected_payout` and
        :func:`payout_second_moment` on the stack ``min(pay, u)``; other whole orders from the
        pieces (module notes). Per payment: the per-loss value divided by ``P(Y_L > 0)``.
        Any order ``k > 0`` for a discrete loss law; whole orders otherwise.
        """
        k = _check_k(k)
        u = _float_array(u, "u")
        nan = np.isnan(u)
        uu = np.where(nan, 0.0, np.maximum(u, 0.0))
        if self.is_discrete:
            i = np.searchsorted(self._y, uu, side="right")
            with np.errstate(invalid="ignore", over="ignore"):
                capped = np.where(self._sufw[i] > 0, np.power(uu, k) * self._sufw[i], 0.0)
            out = (self._prefix(k)[i] + capped) / self._total
        else:
            out = self._continuous_lev_moment(uu, k)
            if self.per == "payment":
                out = out / self._s0
        out = np.where(u > 0, out, 0.0)
        return np.where(nan, np.nan, out)[()]

    def _continuous_lev_moment(self, u: np.ndarray, k: float) -> np.ndarray:
        full = u >= self._max_payout
        if k == 1 or k == 2:
            whole = self._loss_mean() if k == 1 else self._loss_second()
            out = np.full(u.shape, whole)
            if not np.all(full):
                part = u[~full]
                func = expected_payout if k == 1 else payout_second_moment
                out[~full] = np.asarray(func(self.model, self._capped_stack(part)), dtype=float)
            return out
        if not float(k).is_integer():
            raise ParameterError(f"k: orders other than whole numbers need a discrete loss law "
                                 f"(got k = {k})")
        return self._piece_moment(np.where(full, np.inf, u), int(k))

    def lev(self, u):
        """Limited expected value ``E[min(Y, u)]`` (有限期望值) of the payout; ``u ≤ 0`` gives 0."""
        return self.lev_moment(u, 1)

    def moment(self, k: float) -> float:
        """Raw moment ``E[Y^k]`` (``inf`` if it does not exist)."""
        return float(self.lev_moment(np.inf, k))

    def mean(self) -> float:
        """``E[Y]``: ``expected_payout(model, benefit)`` per loss, divided by ``P(Y_L > 0)`` per
        payment."""
        return self.moment(1)

    def var(self) -> float:
        """``Var[Y] = E[Y²] − E[Y]²`` (round-off below 0 returned as 0)."""
        m1 = self.mean()
        with np.errstate(invalid="ignore"):
            return float(max(self.moment(2) - m1 * m1, 0.0))

    def std(self) -> float:
        """Standard deviation of the payout."""
        return math.sqrt(self.var())

    @property
    def max_payout(self) -> float:
        """The largest payout (the cap when it binds; ``inf`` when the payout is unbounded)."""
        return self._max_payout

    # -- reporting ----------------------------------------------------------------------------

    def summary(self) -> pd.DataFrame:
        """One column ``value``: mean, standard deviation, ``P(Y_L > 0)``, the point mass at 0
        (per loss) and at the largest payout, the largest payout and the 50/90/99 % quantiles.
        ``.attrs`` holds the settings and the full list of point masses."""
        pm = self.point_masses
        at_max = (float(pm.probability[-1]) if pm.location.size
                  and pm.location[-1] == self._max_payout else 0.0)
        at_zero = float(pm.probability[0]) if pm.location.size and pm.location[0] == 0 else 0.0
        q = np.atleast_1d(self.quantile(np.array([0.5, 0.9, 0.99])))
        rows = {
            "mean": self.mean(), "std": self.std(),
            "payout_probability": self.payout_probability,
            "mass_at_zero": at_zero, "mass_at_max": at_max, "max_payout": self._max_payout,
            "q50": float(q[0]), "q90": float(q[1]), "q99": float(q[2]),
        }
        frame = pd.DataFrame({"value": list(rows.values())},
                             index=pd.Index(list(rows), name="quantity"))
        frame.attrs.update(per=self.per, inflation=self.inflation,
                           model=type(self.model).__name__, discrete=self.is_discrete,
                           truncated_mass=self.truncated_mass,
                           point_masses=pd.DataFrame({"location": pm.location,
                                                      "probability": pm.probability}))
        return frame

    def plot(self, ax=None, n: int = 400):
        """The cdf of the payout, point masses marked; returns the Axes."""
        from puhui.plots import label, new_axes

        ax = new_axes(ax)
        top = self._max_payout
        if not math.isfinite(top):
            top = float(self.quantile(0.995))
        if not (math.isfinite(top) and top > 0):
            top = 1.0
        ys = np.linspace(0.0, 1.05 * top, n)
        pm = self.point_masses
        ys = np.unique(np.concatenate([ys, pm.location]))
        ax.step(ys, self.cdf(ys), where="post", lw=1.2)
        if pm.location.size:
            ax.plot(pm.location, self.cdf(pm.location), "o", ms=4,
                    label=label("点质量", "point mass"))
            ax.legend(loc="lower right")
        who = label("每次损失", "per loss") if self.per == "loss" else label("每次赔付",
                                                                         "per payment")
        ax.set_xlabel(label("赔付额 Y（元）", "payout Y (yuan)"))
        ax.set_ylabel(label("累计概率 F(y)", "F(y)"))
        ax.set_title(who)
        return ax

    def __repr__(self) -> str:
        return (f"Coverage(model={type(self.model).__name__}, per={self.per!r}, "
                f"inflation={self.inflation:g}, P(pay > 0)={self.payout_probability:.6g}, "
                f"max_payout={self._max_payout:.6g})")
