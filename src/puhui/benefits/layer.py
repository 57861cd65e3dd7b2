"""Layers (责任层) and stacks of layers: the one shape every benefit in the toolkit reduces to.

A layer ``(attachment a, limit l, share s)`` pays ``s · (min(x, a + l) − min(x, a))`` on a loss
``x``: nothing up to ``a``, then ``s`` per yuan of loss until ``l`` yuan of loss are covered.
A :class:`LayerStack` is several layers plus an optional franchise jump (``J`` paid as soon as the
loss exceeds ``d``). All parameters are NumPy arrays whose leading axes form a *grid of designs*;
the layer axis is the last one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from puhui.errors import ParameterError

__all__ = ["Layer", "LayerStack", "as_stack", "check_losses"]


def _as_float(value, name: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: must be a number or an array of numbers") from None
    if np.any(np.isnan(arr)):
        raise ParameterError(f"{name}: contains NaN")
    return arr


def _where(mask: np.ndarray) -> str:
    if mask.ndim == 0:
        return ""
    return f" at grid index {tuple(int(i) for i in np.argwhere(mask)[0])}"


def check_losses(losses) -> np.ndarray:
    """Losses as a float array; ParameterError if any is NaN or negative (+inf is allowed)."""
    x = _as_float(losses, "losses")
    if np.any(x < 0):
        bad = x < 0
        raise ParameterError(f"losses: must be ≥ 0{_where(bad)} (value {x[bad].flat[0]!r})")
    return x


@dataclass(frozen=True, eq=False)
class Layer:
    """One layer of cover: ``pay(x) = share · (min(x, attachment + limit) − min(x, attachment))``.

    Parameters
    ----------
    attachment : float or array_like, default 0
        Loss (yuan) at which the layer starts paying — the 起付线/免赔额 of a single band.
    limit : float or array_like, default inf
        Width of the layer in yuan of *loss* covered; the most it pays is ``share · limit``.
    share : float or array_like, default 1
        Share of each yuan of loss inside the layer that is paid (赔付比例), in ``[0, 1]``.

    Notes
    -----
    Array arguments broadcast into a grid of layers; ``pay`` returns ``grid + losses.shape``.

    Examples
    --------
    >>> Layer(attachment=20_000, limit=100_000, share=0.8).pay([10_000, 50_000, 500_000]).tolist()
    [0.0, 24000.0, 80000.0]
    """

    attachment: object = 0.0
    limit: object = np.inf
    share: object = 1.0

    def __post_init__(self):
        a = _as_float(self.attachment, "attachment")
        lim = _as_float(self.limit, "limit")
        s = _as_float(self.share, "share")
        if np.any(~np.isfinite(a) | (a < 0)):
            bad = ~np.isfinite(a) | (a < 0)
            raise ParameterError(f"attachment: must be finite and ≥ 0{_where(bad)}")
        if np.any(lim < 0):
            raise ParameterError(f"limit: must be ≥ 0 (inf for no limit){_where(lim < 0)}")
        if np.any((s < 0) | (s > 1)):
            bad = (s < 0) | (s > 1)
            raise ParameterError(f"share: must lie in [0, 1] (0.8, not 80){_where(bad)}")
        try:
            np.broadcast_shapes(a.shape, lim.shape, s.shape)
        except ValueError:
            raise ParameterError(
                f"Layer: shapes do not broadcast: attachment {a.shape}, limit {lim.shape}, "
                f"share {s.shape}"
            ) from None

    @property
    def top(self):
        """``attachment + limit``: the loss at which the layer is exhausted."""
        return np.asarray(self.attachment, dtype=float) + np.asarray(self.limit, dtype=float)

    def stack(self) -> LayerStack:
        """This layer as a one-layer :class:`LayerStack`."""
        return LayerStack.from_layers([self])

    def pay(self, losses):
        """Payout on each loss (yuan); shape ``grid + losses.shape``."""
        return self.stack().pay(losses)

    def pay_elementwise(self, losses):
        """Payout when the layer's parameters broadcast *elementwise* with the losses (NumPy rules,
        no grid axes): ``share · clip(x − attachment, 0, limit)``.

        For contracts whose terms vary with the observation (one design per year or per cell),
        where :meth:`pay` would form the grid × losses product.

        Examples
        --------
        >>> Layer(0.0, [100.0, 50.0], 1.0).pay_elementwise([80.0, 80.0]).tolist()
        [80.0, 50.0]
        """
        x = check_losses(losses)
        a, lim, s = (np.asarray(v, dtype=float) for v in (self.attachment, self.limit, self.share))
        try:
            np.broadcast_shapes(x.shape, a.shape, lim.shape, s.shape)
        except ValueError:
            raise ParameterError(
                f"losses: shape {x.shape} does not broadcast with the layer's parameters"
            ) from None
        return s * np.clip(x - a, 0.0, lim)


class LayerStack:
    """A stack of layers with an optional franchise jump: the canonical form of a benefit.

    ``pay(x) = Σ_b share_b · clip(x − attachment_b, 0, limit_b) + jump_size · 1{x > jump_at}``.

    Parameters
    ----------
    attachment, limit, share : array_like, shape ``grid + (B,)``
        One entry per layer on the last axis (see :class:`Layer`).
    jump_at, jump_size : array_like, shape ``grid``, optional
        Franchise jump: ``jump_size`` yuan paid as soon as the loss exceeds ``jump_at``.

    Notes
    -----
    Layers may overlap here (a reinsurance programme, several benefit lines summed); the
    invariant ``payout ≤ loss`` is guaranteed by :class:`puhui.benefits.Benefit`, not by a
    general stack.
    """

    def __init__(self, attachment, limit, share, jump_at=None, jump_size=None):
        a = _as_float(attachment, "attachment")
        lim = _as_float(limit, "limit")
        s = _as_float(share, "share")
        if a.ndim == 0:
            a, lim, s = a[None], lim.reshape(-1), s.reshape(-1)
        try:
            shape = np.broadcast_shapes(a.shape, lim.shape, s.shape)
        except ValueError:
            raise ParameterError(
                f"LayerStack: shapes do not broadcast: attachment {a.shape}, limit {lim.shape}, "
                f"share {s.shape}"
            ) from None
        self.attachment = np.broadcast_to(a, shape)
        self.limit = np.broadcast_to(lim, shape)
        self.share = np.broadcast_to(s, shape)
        grid = shape[:-1]
        if (jump_at is None) != (jump_size is None):
            raise ParameterError("jump_at, jump_size: give both or neither")
        if jump_at is None:
            self.jump_at = None
            self.jump_size = None
        else:
            at = _as_float(jump_at, "jump_at")
            size = _as_float(jump_size, "jump_size")
            if np.any(size < 0):
                raise ParameterError("jump_size: must be ≥ 0")
            try:
                grid = np.broadcast_shapes(grid, at.shape, size.shape)
            except ValueError:
                raise ParameterError(
                    "jump_at, jump_size: shapes do not broadcast with the layers"
                ) from None
            self.jump_at = np.broadcast_to(at, grid)
            self.jump_size = np.broadcast_to(size, grid)
            self.attachment = np.broadcast_to(self.attachment, grid + shape[-1:])
            self.limit = np.broadcast_to(self.limit, grid + shape[-1:])
            self.share = np.broadcast_to(self.share, grid + shape[-1:])
        self.grid_shape: tuple[int, ...] = tuple(grid)

    @classmethod
    def from_layers(cls, layers, jump_at=None, jump_size=None) -> LayerStack:
        """Stack :class:`Layer` objects (their parameters broadcast into one grid)."""
        layers = list(layers)
        if not layers:
            raise ParameterError("layers: at least one layer is needed")
        parts = [np.broadcast_arrays(*(np.asarray(v, dtype=float)
                                       for v in (ly.attachment, ly.limit, ly.share)))
                 for ly in layers]
        try:
            grid = np.broadcast_shapes(*(p[0].shape for p in parts))
        except ValueError:
            raise ParameterError("layers: the layers' grids do not broadcast") from None
        stacked = [np.stack([np.broadcast_to(p[i], grid) for p in parts], axis=-1)
                   for i in range(3)]
        return cls(*stacked, jump_at=jump_at, jump_size=jump_size)

    @property
    def n_layers(self) -> int:
        """Number of layers ``B`` (the last axis)."""
        return self.attachment.shape[-1]

    @property
    def top(self) -> np.ndarray:
        """``attachment + limit`` of every layer, shape ``grid + (B,)``."""
        return self.attachment + self.limit

    def stack(self) -> LayerStack:
        return self

    def layers(self) -> tuple[Layer, ...]:
        """The layers, each with grid-shaped parameters (the jump is not a layer)."""
        return tuple(
            Layer(self.attachment[..., b], self.limit[..., b], self.share[..., b])
            for b in range(self.n_layers)
        )

    def max_payout(self) -> np.ndarray:
        """Largest possible payout per loss (yuan), shape ``grid``."""
        with np.errstate(invalid="ignore"):
            per_layer = np.where(self.share > 0, self.share * self.limit, 0.0)
        total = per_layer.sum(axis=-1)
        return total if self.jump_size is None else total + self.jump_size

    def pay(self, losses):
        """Payout per loss in yuan, shape ``grid + losses.shape`` (grid axes first).

        Memory is ``grid size × number of losses``; for large grids use
        :func:`puhui.losses.payout.expected_payout`, which never forms that product.
        """
        x = check_losses(losses)
        expand = (Ellipsis,) + (None,) * x.ndim
        out = np.zeros(self.grid_shape + x.shape)
        for b in range(self.n_layers):  # a loop over the few layers of a design, not designs
            a = self.attachment[..., b][expand]
            lim = self.limit[..., b][expand]
            s = self.share[..., b][expand]
            out += s * np.clip(x - a, 0.0, lim)
        if self.jump_size is not None:
            out += self.jump_size[expand] * (x > self.jump_at[expand])
        return out

    def __repr__(self) -> str:
        jump = "" if self.jump_size is None else ", franchise jump"
        return f"LayerStack(grid={self.grid_shape}, layers={self.n_layers}{jump})"


def as_stack(benefit) -> LayerStack:
    """The :class:`LayerStack` of a Layer, Benefit or LayerStack (anything with ``stack()``)."""
    method = getattr(benefit, "stack", None)
    if method is None:
        raise ParameterError(
            f"benefit: {type(benefit).__name__} is not a Layer, Benefit or LayerStack"
        )
    return method()
