"""What a benefit design is priced or tuned on (成本数据): member × line costs, or fitted laws.

* :class:`MemberCosts` — experience: the one member × benefit-line cost table of puhui, one row
  per member-year with the annual covered cost on every line (0 where the member had none),
  trended to the pricing year by :meth:`MemberCosts.from_tables` (``x · (1 + g)^(Y − y)``), and
  the member's segment. Evaluating on it is exact for the empirical law: each line × segment
  becomes a :class:`puhui.losses.empirical.Empirical` (the positive costs plus one atom at 0
  weighted by the members without a cost), and the joint costs across lines are kept for the
  share of members paid and the covariance of the lines.
* :class:`CostModel` — a fitted model: for each line × segment the probability ``q`` that a
  member has a covered cost and the law of that cost when positive (a frozen ``scipy.stats``
  law or any object with ``lev_moment`` and ``sf``). Lines are then taken as independent.
  :class:`puhui.huiminbao.CostModelFitter` fits one.

Both are product-neutral (segments, lines and laws only), so pricing (:mod:`puhui.pricing`) and
tuning (:mod:`puhui.tuning`, which re-exports both) read the same tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from puhui.errors import DataError, ParameterError, Problem
from puhui.losses.empirical import Empirical
from puhui.losses.models import ZeroInflated

__all__ = ["MemberCosts", "CostModel"]

SEGMENTS = ("healthy", "preexisting")


class MemberCosts:
    """Annual covered cost per member-year and benefit line (经验数据), by segment.

    Parameters
    ----------
    costs : DataFrame or 2-D array, shape ``(n, lines)``
        Cost in yuan of each member-year on each line (0 = no covered cost); finite, ``≥ 0``.
    lines : sequence of str
        Line names of the columns (taken from the DataFrame's columns when omitted).
    segment : array_like of str, length n
        ``"healthy"`` or ``"preexisting"`` (既往症) per member-year.
    weights : array_like, length n, optional
        Exposure of each row in member-years (default 1 each).

    Examples
    --------
    >>> mc = MemberCosts([[0.0, 0.0], [30_000.0, 500.0]], lines=["a", "b"],
    ...                  segment=["healthy", "preexisting"])
    >>> mc.members()
    {'healthy': 1.0, 'preexisting': 1.0}
    """

    def __init__(self, costs, lines: Sequence[str] | None = None, segment=None, weights=None):
        if isinstance(costs, pd.DataFrame):
            lines = tuple(costs.columns) if lines is None else tuple(lines)
            x = costs.to_numpy(dtype=float)
        else:
            x = np.asarray(costs, dtype=float)
        if x.ndim != 2 or x.shape[0] == 0:
            raise ParameterError(f"costs: expected a non-empty 2-D table (members × lines), "
                                 f"got shape {x.shape}")
        if lines is None or len(lines) != x.shape[1]:
            raise ParameterError(f"lines: give one name per cost column ({x.shape[1]})")
        self.lines = tuple(str(v) for v in lines)
        bad = ~np.isfinite(x) | (x < 0)
        if np.any(bad):
            r, c = (int(v) for v in np.argwhere(bad)[0])
            raise DataError([Problem("costs", self.lines[c], r + 1, "negative_or_missing",
                                     "costs must be finite and ≥ 0", x[r, c])])
        if segment is None:
            raise ParameterError("segment: give each member-year's segment "
                                 "(healthy / preexisting)")
        seg = np.asarray(segment).astype(str)
        if seg.shape != (x.shape[0],):
            raise ParameterError(f"segment: expected {x.shape[0]} values, got shape {seg.shape}")
        unknown = sorted(set(np.unique(seg).tolist()) - set(SEGMENTS))
        if unknown:
            raise ParameterError(f"segment: unknown values {unknown}; use {SEGMENTS}")
        w = np.ones(x.shape[0]) if weights is None else np.asarray(weights, dtype=float)
        if w.shape != (x.shape[0],) or np.any(~np.isfinite(w) | (w < 0)):
            raise ParameterError("weights: need one finite weight ≥ 0 per member-year")
        self._x = {s: np.ascontiguousarray(x[seg == s]) for s in SEGMENTS}
        self._w = {s: w[seg == s] for s in SEGMENTS}
        self._laws: dict[tuple[str, str], Empirical] = {}

    @classmethod
    def from_tables(cls, policies: pd.DataFrame, costs: pd.DataFrame, *, lines=None,
                    policy_year=None, trend: float = 0.0, to_year=None) -> MemberCosts:
        """Member × line costs from a ``policies`` table and a long ``costs`` table.

        Parameters
        ----------
        policies : DataFrame
            One row per member-year: ``policy_id``, ``segment`` and optionally ``policy_year``
            and ``exposure`` (member-years, used as weights).
        costs : DataFrame
            ``policy_id``, ``benefit_line``, ``cost`` (annual covered cost, yuan); a member
            with no row on a line had no cost there.
        lines : sequence of str, optional
            The lines, in this order (default: the lines found, sorted); every cost row must be
            on one of them.
        policy_year : int or sequence of int, optional
            Keep only these policy years (保单年度).
        trend : float, default 0
            Medical trend (医疗费用趋势) per year: a cost of year ``y`` is multiplied by
            ``(1 + trend)^(to_year − y)``.
        to_year : int, optional
            Year the costs are trended to (default: the last policy year kept + 1).
        """
        for col in ("policy_id", "segment"):
            if col not in policies.columns:
                raise ParameterError(f"policies: column '{col}' is required")
        for col in ("policy_id", "benefit_line", "cost"):
            if col not in costs.columns:
                raise ParameterError(f"costs: column '{col}' is required")
        pol = policies
        has_year = "policy_year" in pol.columns
        if policy_year is not None:
            if not has_year:
                raise ParameterError("policies: column 'policy_year' is needed to select years")
            keep = np.atleast_1d(policy_year)
            pol = pol[pol["policy_year"].isin(keep)]
            if len(pol) == 0:
                raise ParameterError(f"policy_year: no member-years in {keep.tolist()}")
        found = sorted(costs["benefit_line"].dropna().unique().tolist())
        lines = tuple(found) if lines is None else tuple(lines)
        ids = pd.Index(pol["policy_id"])
        if not ids.is_unique:
            raise ParameterError("policies: policy_id must be unique (one row per member-year)")
        pos = ids.get_indexer(costs["policy_id"])
        line_idx = pd.Index(lines).get_indexer(costs["benefit_line"])
        other = sorted(set(costs["benefit_line"][line_idx < 0].astype(str)))
        if other:
            raise ParameterError(f"costs: benefit lines {other} are not among lines={list(lines)}"
                                 "; filter the costs table first to leave a line out")
        keep_rows = (pos >= 0) & (line_idx >= 0)
        if policy_year is None and np.any(pos < 0):
            raise ParameterError("costs: rows for policy_ids not in policies")
        amount = costs["cost"].to_numpy(float)[keep_rows]
        x = np.zeros((len(pol), len(lines)))
        np.add.at(x, (pos[keep_rows], line_idx[keep_rows]), amount)
        if trend != 0.0:
            if not has_year:
                raise ParameterError("policies: column 'policy_year' is needed for the trend")
            years = pol["policy_year"].to_numpy(int)
            target = years.max() + 1 if to_year is None else int(to_year)
            x *= ((1.0 + float(trend)) ** (target - years))[:, None]
        weights = pol["exposure"].to_numpy(float) if "exposure" in pol.columns else None
        return cls(x, lines=lines, segment=pol["segment"].to_numpy(), weights=weights)

    # -- access ---------------------------------------------------------------------------------

    @property
    def segments(self) -> tuple[str, ...]:
        return SEGMENTS

    def members(self) -> dict[str, float]:
        """Member-years (the weight total) per segment."""
        return {s: float(self._w[s].sum()) for s in SEGMENTS}

    def matrix(self, segment: str) -> tuple[np.ndarray, np.ndarray]:
        """``(costs (n_s, lines), weights (n_s,))`` of one segment (read-only)."""
        return self._x[segment], self._w[segment]

    def law(self, line: str, segment: str) -> Empirical:
        """Empirical law of the annual cost on ``line`` for members of ``segment``, zeros
        included (the positive costs plus one atom at 0 carrying the zero-cost weight)."""
        key = (line, segment)
        if key not in self._laws:
            if line not in self.lines:
                raise ParameterError(f"line {line!r} not in the costs; lines: {list(self.lines)}")
            x, w = self._x[segment][:, self.lines.index(line)], self._w[segment]
            if w.sum() == 0:
                raise ParameterError(f"segment {segment!r} has no member-years")
            pos = x > 0
            sample = np.concatenate([[0.0], x[pos]])
            weights = np.concatenate([[w[~pos].sum()], w[pos]])
            self._laws[key] = Empirical(sample, weights)
        return self._laws[key]

    def __repr__(self) -> str:
        m = self.members()
        return (f"MemberCosts(lines={list(self.lines)}, healthy={m['healthy']:.0f}, "
                f"preexisting={m['preexisting']:.0f} member-years)")


class CostModel:
    """A fitted cost model per line × segment: cost probability and positive-cost law.

    Parameters
    ----------
    laws : mapping ``(line, segment) → law`` or ``→ (q, severity)``
        The law of a member's annual cost on the line, zeros included: a loss model with
        ``lev_moment(u, k)`` and ``sf(x)`` (e.g. :class:`puhui.losses.models.ZeroInflated`), or a
        pair ``(q, severity)`` — the probability ``0 < q ≤ 1`` of a covered cost in the year and
        the law of the cost when positive (a frozen ``scipy.stats`` law with closed-form limited
        moments, see :func:`puhui.losses.lev.lev_moment`, or any loss model), turned into
        ``ZeroInflated(1 − q, severity)``.
    members : mapping segment → float
        Member-years per segment (the portfolio mix and size).

    Notes
    -----
    A model carries no joint law of the lines: the share of members paid uses
    ``1 − Π_l (1 − P_l)`` and the variance ``Σ_l Var(Y_l)`` (lines independent).

    Examples
    --------
    >>> from scipy import stats
    >>> model = CostModel({("drugs", "healthy"): (0.01, stats.lognorm(1.0, scale=3000.0)),
    ...                    ("drugs", "preexisting"): (0.02, stats.lognorm(1.0, scale=3500.0))},
    ...                   members={"healthy": 9000, "preexisting": 1000})
    >>> model.lines
    ('drugs',)
    """

    def __init__(self, laws: Mapping, members: Mapping[str, float]):
        if not isinstance(laws, Mapping) or not laws:
            raise ParameterError("laws: expected a mapping (line, segment) → (q, law)")
        self._laws = {}
        lines = []
        for key, value in laws.items():
            try:
                line, seg = key
            except (TypeError, ValueError):
                raise ParameterError(f"laws: key {key!r} is not (line, segment)") from None
            if seg not in SEGMENTS:
                raise ParameterError(f"laws[{key!r}]: unknown segment {seg!r}; use {SEGMENTS}")
            if isinstance(value, tuple):
                try:
                    q, severity = value
                    q = float(q)
                except (TypeError, ValueError):
                    raise ParameterError(f"laws[{key!r}]: expected (q, severity)") from None
                if not 0 < q <= 1:
                    raise ParameterError(f"laws[{key!r}]: probability q must lie in (0, 1], "
                                         f"got {q!r}")
                value = ZeroInflated(1.0 - q, severity)
            if not (hasattr(value, "sf") and hasattr(value, "lev_moment")
                    or hasattr(value, "dist")):
                raise ParameterError(f"laws[{key!r}]: the law needs lev_moment and sf")
            self._laws[(str(line), seg)] = value
            if line not in lines:
                lines.append(str(line))
        missing = [(ln, s) for ln in lines for s in SEGMENTS if (ln, s) not in self._laws]
        if missing:
            raise ParameterError(f"laws: missing line × segment {missing}")
        self.lines = tuple(lines)
        m = {s: float(members.get(s, 0.0)) for s in SEGMENTS}
        if any(not np.isfinite(v) or v < 0 for v in m.values()) or sum(m.values()) <= 0:
            raise ParameterError("members: need member-years ≥ 0 per segment, not all 0")
        unknown = set(members) - set(SEGMENTS)
        if unknown:
            raise ParameterError(f"members: unknown segments {sorted(unknown)}")
        self._members = m

    @property
    def segments(self) -> tuple[str, ...]:
        return SEGMENTS

    def members(self) -> dict[str, float]:
        return dict(self._members)

    def law(self, line: str, segment: str):
        try:
            return self._laws[(line, segment)]
        except KeyError:
            raise ParameterError(f"no law for line {line!r}, segment {segment!r}") from None
