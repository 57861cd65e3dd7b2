"""Benefit designs (保障方案): deductible, payout ratio, cap, bands, franchise → a stack of layers.

Semantics (decided here and documented in ``docs/losses_and_benefits.md``): with bands starting at
``t_0 = d < t_1 < … < t_m`` and ratios ``r_0 … r_m``, the *uncapped* ordinary payout is

    g(x) = Σ_i r_i · (min(x, t_{i+1}) − min(x, t_i)),     t_{m+1} = ∞,

the cap (封顶线) applies to the PAYOUT: ``pay(x) = min(g(x), cap)``; a franchise deductible pays
from 0 once ``x > d``: ``pay(x) = 1{x > d} · min(cap, r_0 d + g(x))``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from puhui.benefits.layer import Layer, LayerStack, _as_float, _where
from puhui.errors import ParameterError

__all__ = ["Benefit"]

#: Largest grid :class:`Benefit` builds, in design cells (designs × bands). Building the layer
#: stack needs about 80 bytes of working memory per cell (measured with tracemalloc: 81 bytes
#: per design with one band, 147 with two) and keeps 24, so the limit is about 1.6 GB of peak
#: memory. A larger grid is refused with its size rather than exhausting the machine (a grid
#: of 1e9 designs reached ~20 GB before the kernel killed the process). Raise it knowingly:
#: ``puhui.benefits.benefit.MAX_DESIGN_CELLS = …``.
MAX_DESIGN_CELLS = 20_000_000
_BYTES_PER_CELL = 80


def _check_size(grid: tuple[int, ...], bands: int) -> None:
    """Refuse a grid of more than :data:`MAX_DESIGN_CELLS` designs × bands."""
    import math

    designs = math.prod(grid)
    cells = designs * bands
    if cells > MAX_DESIGN_CELLS:
        gib = cells * _BYTES_PER_CELL / 2**30
        raise ParameterError(
            f"Benefit: the grid of shape {grid} has {designs:,} designs × {bands} band(s) = "
            f"{cells:,} cells, above the limit of {MAX_DESIGN_CELLS:,} (it would need about "
            f"{gib:,.1f} GiB of memory); evaluate a smaller grid, or loop over chunks of one "
            "axis (e.g. deductible[i:i + k]) and concatenate the results")


def _broadcast(named: dict[str, np.ndarray]) -> tuple[int, ...]:
    try:
        return np.broadcast_shapes(*(v.shape for v in named.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {v.shape}" for k, v in named.items())
        raise ParameterError(f"Benefit: parameter shapes do not broadcast: {shapes}") from None


@dataclass(frozen=True, eq=False)
class Benefit:
    """A benefit design as a stack of layers: 起付线, 赔付比例, 封顶线, bands, franchise.

    Parameters
    ----------
    deductible : float or array_like, default 0
        Deductible d (起付线 / 免赔额) in yuan, finite and ``≥ 0``. Losses up to ``d`` pay nothing.
    payout_ratio : float or array_like, default 1
        Payout ratio r₀ (赔付比例) of the first band, in ``[0, 1]`` (0.8, not 80). ``0`` is
        allowed (a design paying nothing, useful at the edge of a grid).
    cap : float, array_like or None, default None
        Cap (封顶线) on the PAYOUT per loss, in yuan, ``> 0``; ``None`` or ``inf`` for no cap.
        With ``r = 0.7`` and ``cap = 2_000_000`` the payout stops at 2,000,000 — reached at a
        loss of ``d + cap / r``.
    franchise : bool or array_like of bool, default False
        Franchise deductible: once the loss exceeds ``d`` the whole loss is paid at ``r₀`` from 0
        (``x ≤ d`` still pays nothing). Default: ordinary deductible (pays the excess over d).
    bands : sequence of (threshold, ratio), optional
        Further bands above the deductible: from each ``threshold`` (yuan of loss, strictly
        increasing and ``> d``) the loss is paid at ``ratio``. E.g. ``deductible=20_000,
        payout_ratio=0.6, bands=[(100_000, 0.8)]``: 60 % of the loss between 20,000 and 100,000,
        80 % above.
    name : str, optional
        Label used in tables and reports.

    Notes
    -----
    Every parameter broadcasts (NumPy rules) into a *grid of designs*: ``Benefit(deductible=d[:,
    None, None], payout_ratio=r[None, :, None], cap=c)`` describes ``len(d) × len(r) × len(c)``
    designs at once. ``pay(x)`` returns ``grid + x.shape`` (grid axes first) and the expected
    payout functions of :mod:`puhui.losses.payout` return ``grid``.

    The layer stack (see :meth:`stack`): band ``i`` is the layer ``(t_i, l_i, r_i)`` with
    ``l_i = clip((C − P_i)/r_i, 0, t_{i+1} − t_i)``, where ``P_i = Σ_{j<i} r_j (t_{j+1} − t_j)``
    is the payout reached at ``t_i`` and ``C`` is the cap left after the franchise jump
    ``J = min(cap, r₀ d)`` (``J = 0`` for an ordinary deductible). A single band with a cap is
    the layer ``(d, cap/r, r)``. This is actuar's ``coverage(deductible = d, limit = u,
    coinsurance = r)`` with ``u = d + cap/r`` (ordinary) or ``u = cap/r`` (franchise).

    Examples
    --------
    >>> b = Benefit(deductible=20_000, payout_ratio=0.7, cap=2_000_000)
    >>> b.pay([10_000, 120_000, 5_000_000]).tolist()
    [0.0, 70000.0, 2000000.0]
    >>> grid = Benefit(deductible=[10_000, 20_000], payout_ratio=[[0.6], [0.8]])
    >>> grid.grid_shape
    (2, 2)
    """

    deductible: object = 0.0
    payout_ratio: object = 1.0
    cap: object = None
    franchise: object = False
    bands: Sequence = ()
    name: str | None = None
    _stack: LayerStack = field(init=False, repr=False)

    def __post_init__(self):
        d = _as_float(self.deductible, "deductible")
        if np.any(~np.isfinite(d) | (d < 0)):
            bad = ~np.isfinite(d) | (d < 0)
            raise ParameterError(f"deductible: 起付线 must be finite and ≥ 0{_where(bad)}")
        r0 = self._check_ratio(self.payout_ratio, "payout_ratio")
        cap = np.asarray(np.inf) if self.cap is None else _as_float(self.cap, "cap")
        if np.any(cap <= 0):
            raise ParameterError(f"cap: 封顶线 must be > 0 (None for no cap){_where(cap <= 0)}")
        try:
            franchise = np.asarray(self.franchise)
        except (TypeError, ValueError):  # pragma: no cover - np.asarray accepts anything
            raise ParameterError("franchise: must be a bool or an array of bools") from None
        if franchise.dtype != bool:
            raise ParameterError(
                f"franchise: must be bool (True for a franchise deductible), got {franchise.dtype}"
            )
        starts = [d]
        ratios = [r0]
        try:
            bands = [tuple(band) for band in self.bands]
        except TypeError:
            raise ParameterError("bands: expected a sequence of (threshold, ratio) pairs") from None
        for i, band in enumerate(bands):
            if len(band) != 2:
                raise ParameterError(f"bands[{i}]: expected (threshold, ratio), got {band!r}")
            t = _as_float(band[0], f"bands[{i}] threshold")
            if np.any(~np.isfinite(t)):
                raise ParameterError(f"bands[{i}] threshold: must be finite")
            with np.errstate(invalid="ignore"):
                bad = ~(t > starts[-1])
            if np.any(bad):
                prev = "the deductible" if i == 0 else f"bands[{i - 1}] threshold"
                raise ParameterError(
                    f"bands[{i}] threshold: must be strictly above {prev}{_where(bad)}"
                )
            starts.append(t)
            ratios.append(self._check_ratio(band[1], f"bands[{i}] ratio"))
        named = {"deductible": d, "payout_ratio": r0, "cap": cap, "franchise": franchise}
        for i in range(1, len(starts)):
            named[f"bands[{i - 1}] threshold"] = starts[i]
            named[f"bands[{i - 1}] ratio"] = ratios[i]
        grid = _broadcast(named)
        _check_size(grid, len(starts))
        object.__setattr__(self, "_stack", self._build(grid, starts, ratios, cap, franchise))

    @staticmethod
    def _check_ratio(value, name: str) -> np.ndarray:
        r = _as_float(value, name)
        if np.any((r < 0) | (r > 1)):
            bad = (r < 0) | (r > 1)
            raise ParameterError(f"{name}: 赔付比例 must lie in [0, 1] (0.8, not 80){_where(bad)}")
        return r

    @staticmethod
    def _build(grid, starts, ratios, cap, franchise) -> LayerStack:
        t = np.stack([np.broadcast_to(s, grid) for s in starts], axis=-1)
        r = np.stack([np.broadcast_to(q, grid) for q in ratios], axis=-1)
        cap = np.broadcast_to(cap, grid)
        d = t[..., 0]
        width = np.concatenate([np.diff(t, axis=-1), np.full(grid + (1,), np.inf)], axis=-1)
        jump = np.where(np.broadcast_to(franchise, grid), np.minimum(cap, r[..., 0] * d), 0.0)
        remaining = cap - jump
        paid_before = np.concatenate(
            [np.zeros(grid + (1,)), np.cumsum(r[..., :-1] * width[..., :-1], axis=-1)], axis=-1
        )
        room = remaining[..., None] - paid_before
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            by_cap = np.where(r > 0, room / np.where(r > 0, r, 1.0), np.where(room > 0, np.inf, 0))
        limit = np.clip(by_cap, 0.0, width)
        if np.any(np.asarray(franchise)):
            return LayerStack(t, limit, r, jump_at=d, jump_size=jump)
        return LayerStack(t, limit, r)

    @property
    def grid_shape(self) -> tuple[int, ...]:
        """Shape of the grid of designs (``()`` for one design)."""
        return self._stack.grid_shape

    def stack(self) -> LayerStack:
        """The design as a :class:`LayerStack` (band layers plus franchise jump)."""
        return self._stack

    def layers(self) -> tuple[Layer, ...]:
        """The band layers ``(t_i, l_i, r_i)`` with grid-shaped parameters."""
        return self._stack.layers()

    def pay(self, losses):
        """Payout (赔款) on each loss in yuan; shape ``grid + losses.shape``."""
        return self._stack.pay(losses)

    def max_payout(self):
        """Largest possible payout per loss (the cap when it binds), shape ``grid``."""
        return self._stack.max_payout()

    def summary(self):
        """The layer table: one row per design and band (design index, attachment, top, …)."""
        import pandas as pd

        st = self._stack
        n_designs = int(np.prod(st.grid_shape, dtype=int))
        flat = [v.reshape(n_designs, st.n_layers) for v in (st.attachment, st.limit, st.share)]
        design, band = np.meshgrid(np.arange(n_designs), np.arange(st.n_layers), indexing="ij")
        frame = pd.DataFrame({
            "design": design.ravel(),
            "band": band.ravel(),
            "attachment": flat[0].ravel(),
            "top": (flat[0] + flat[1]).ravel(),
            "payout_ratio": flat[2].ravel(),
            "max_payout": np.where(flat[2] > 0, flat[2] * flat[1], 0.0).ravel(),
        })
        if st.jump_size is not None:
            frame["franchise_jump"] = np.repeat(st.jump_size.reshape(-1), st.n_layers)
        if self.name:
            frame.insert(0, "benefit", self.name)
        return frame
