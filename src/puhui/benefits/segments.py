"""Per-segment benefit terms: e.g. healthy members vs members with 既往症 (pre-existing conditions).

惠民保 products pay members with pre-existing conditions at a lower ratio (30–50 % instead of
70–90 %) and often after a doubled deductible. :class:`SegmentedBenefit` keeps one
:class:`~puhui.benefits.Benefit` per segment and the segment mix of the insured population.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from puhui.benefits.layer import check_losses
from puhui.errors import ParameterError

__all__ = ["SegmentedBenefit"]


class SegmentedBenefit:
    """One benefit design per segment of members (分人群责任), with the segments' mix.

    Parameters
    ----------
    terms : mapping of str → Benefit (or Layer / LayerStack)
        The design of each segment, e.g. ``{"healthy": Benefit(20_000, 0.8, 3e6),
        "preexisting": Benefit(40_000, 0.4, 3e6)}``. Grids of the segments must broadcast.
    mix : mapping of str → float, optional
        Share of members in each segment, ``≥ 0`` and summing to 1 (within 1e-9). Needed for the
        expected payout per member; :meth:`pay` does not use it.

    Notes
    -----
    The payout of a member drawn at random is a mixture over segments, so
    ``E[pay] = Σ_s mix_s E_s[pay]`` and ``E[pay²] = Σ_s mix_s E_s[pay²]`` (see
    :func:`puhui.losses.payout.expected_payout`).

    Examples
    --------
    >>> from puhui.benefits.benefit import Benefit
    >>> sb = SegmentedBenefit({"healthy": Benefit(20_000, 0.8), "preexisting": Benefit(40_000, 0.4)},
    ...                       mix={"healthy": 0.9, "preexisting": 0.1})
    >>> sb.pay([50_000, 50_000], segment=["healthy", "preexisting"]).tolist()
    [24000.0, 4000.0]
    """

    def __init__(self, terms: Mapping, mix: Mapping | None = None):
        if not isinstance(terms, Mapping) or not terms:
            raise ParameterError("terms: expected a non-empty mapping segment → Benefit")
        for key, value in terms.items():
            if not hasattr(value, "stack"):
                raise ParameterError(f"terms['{key}']: expected a Benefit, Layer or LayerStack")
        self.terms = dict(terms)
        self.mix = None if mix is None else self._check_mix(mix)
        try:
            self.grid_shape = np.broadcast_shapes(
                *(v.stack().grid_shape for v in self.terms.values())
            )
        except ValueError:
            raise ParameterError("terms: the segments' design grids do not broadcast") from None

    def _check_mix(self, mix: Mapping) -> dict[str, float]:
        unknown = set(mix) - set(self.terms)
        missing = set(self.terms) - set(mix)
        if unknown or missing:
            raise ParameterError(
                f"mix: segments must match terms (unknown {sorted(unknown)}, missing "
                f"{sorted(missing)})"
            )
        values = {k: float(v) for k, v in mix.items()}
        if any(not np.isfinite(v) or v < 0 for v in values.values()):
            raise ParameterError("mix: shares must be finite and ≥ 0")
        total = sum(values.values())
        if abs(total - 1.0) > 1e-9:
            raise ParameterError(f"mix: shares must sum to 1, got {total!r}")
        return values

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.terms)

    def pay(self, losses, segment):
        """Payout of each member's loss under the terms of its segment; shape ``grid + losses``."""
        x = check_losses(losses)
        seg = np.asarray(segment)
        if seg.shape != x.shape:
            raise ParameterError(f"segment: shape {seg.shape} does not match losses {x.shape}")
        unknown = set(np.unique(seg).tolist()) - set(self.terms)
        if unknown:
            raise ParameterError(
                f"segment: unknown segment(s) {sorted(map(str, unknown))}; known: "
                f"{sorted(self.terms)}"
            )
        out = np.zeros(self.grid_shape + x.shape)
        for name, benefit in self.terms.items():  # one pass per segment, not per member
            mask = seg == name
            if np.any(mask):
                paid = benefit.stack().pay(x[mask])
                out[..., mask] = np.broadcast_to(paid, self.grid_shape + paid.shape[-1:])
        return out

    def __repr__(self) -> str:
        return f"SegmentedBenefit(segments={list(self.terms)}, grid={self.grid_shape})"
