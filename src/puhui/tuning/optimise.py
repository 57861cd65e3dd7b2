"""Constraints and the best design over a grid (最优方案), exact and deterministic.

The actuary states what a design must satisfy — the price within the budget (预算), the
expected combined ratio (综合成本率) at or below target, the probability of a loss
(P(CR > 100%)) at most α, a minimum benefit ratio (赔付率) or share of members paid — and what to
maximise (usually the expected payout per member, i.e. the benefit handed back to members, or the
share of members paid — several objectives are taken lexicographically). Over a grid the optimum
is found exactly by sorting; ties (objective values within a relative 1e-12 of the next) go to
the lower required premium, then to the lower design number. :func:`ranking` lists every
feasible design in that order, best first — the fixed-price question "which designs spend the
margin on members?" — and :func:`optimise` returns its first row.

Fairness (公平性) constraints bound the least benefit ratio or share paid over the groups the
evaluation was given (its segments — healthy / 既往症 — and ``groups=`` such as age bands,
urban / rural, 医保 type): ``min_group_benefit_ratio`` and ``min_group_share_paid``; any one
group's column (``benefit_ratio_preexisting``, ``share_paid[age 80+]`` …) through ``bounds``.
:meth:`Constraints.parse` reads constraints written as ``NAME<=VALUE`` / ``NAME>=VALUE`` (the
``--constraint`` option of ``puhui tune``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from puhui.errors import ParameterError

__all__ = ["Constraints", "Choice", "optimise", "ranking", "DEFAULT_OBJECTIVE"]

TIE_RTOL = 1e-12
#: The objective of `puhui tune` and the tuning notebook: the most members paid (获赔率; a lower
#: 起付线 reaches more people), then the most paid per member (人均赔付, on today's mix).
DEFAULT_OBJECTIVE = ("share_paid", "pure_premium")

#: Constraint fields: attribute → (column, operator).
_FIELDS = {
    "max_price": ("required_premium", "<="),
    "max_combined_ratio": ("expected_cr", "<="),
    "max_prob_loss": ("prob_cr_above_100", "<="),
    "min_benefit_ratio": ("benefit_ratio", ">="),
    "min_share_paid": ("share_paid", ">="),
    "min_group_benefit_ratio": ("benefit_ratio_min_group", ">="),
    "min_group_share_paid": ("share_paid_min_group", ">="),
}


@dataclass(frozen=True)
class Constraints:
    """Constraints on a design's metrics (any left as ``None`` is not imposed).

    Parameters
    ----------
    max_price : float, optional
        Budget (预算): ``required_premium ≤ max_price`` (元 per member).
    max_combined_ratio : float, optional
        ``expected_cr ≤ max_combined_ratio`` at the evaluation's price (e.g. the target 0.95).
    max_prob_loss : float, optional
        α: ``prob_cr_above_100 ≤ α``.
    min_benefit_ratio : float, optional
        ``benefit_ratio ≥`` this (expected claims / premium at the evaluation's price).
    min_share_paid : float, optional
        ``share_paid ≥`` this (share of members receiving a payout).
    min_group_benefit_ratio : float, optional
        Fairness: every group's benefit ratio (expected payout / premium of its members) at
        least this — ``benefit_ratio_min_group ≥`` (an evaluation with groups, or its segments).
    min_group_share_paid : float, optional
        Fairness: every group's share of members paid at least this — ``share_paid_min_group``.
    bounds : mapping column → (low, high), optional
        Any other column of the evaluation table within ``[low, high]`` (``None`` = open).

    Examples
    --------
    >>> Constraints(max_price=109.0, max_prob_loss=0.05).limits()
    [('required_premium', '<=', 109.0), ('prob_cr_above_100', '<=', 0.05)]
    >>> Constraints.parse(["expected_cr<=0.95", "benefit_ratio_preexisting>=0.5"]).limits()
    [('expected_cr', '<=', 0.95), ('benefit_ratio_preexisting', '>=', 0.5)]
    """

    max_price: float | None = None
    max_combined_ratio: float | None = None
    max_prob_loss: float | None = None
    min_benefit_ratio: float | None = None
    min_share_paid: float | None = None
    min_group_benefit_ratio: float | None = None
    min_group_share_paid: float | None = None
    bounds: Mapping = field(default_factory=dict)

    @classmethod
    def parse(cls, texts, base: Constraints | None = None) -> Constraints:
        """Constraints written ``NAME<=VALUE`` or ``NAME>=VALUE`` (NAME a column of the
        evaluation table), over ``base``: a column with a field of its direction sets the field
        (``expected_cr<=0.9`` → ``max_combined_ratio``), any other goes to ``bounds``.

        Raises
        ------
        ParameterError
            A text without ``<=`` / ``>=``, an empty name or a value that is not a number.
        """
        from dataclasses import replace

        base = cls() if base is None else base
        if isinstance(texts, str):
            texts = [texts]
        by_column = {(col, op): attr for attr, (col, op) in _FIELDS.items()}
        fields, bounds = {}, {k: list(v) for k, v in dict(base.bounds).items()}
        for text in texts:
            raw = str(text)
            ops = [op for op in ("<=", ">=") if op in raw]
            if len(ops) != 1 or raw.count(ops[0]) != 1:
                raise ParameterError(f"constraint {raw!r}: write NAME<=VALUE or NAME>=VALUE, "
                                     "e.g. expected_cr<=0.95 or share_paid>=0.015")
            name, value = (part.strip() for part in raw.split(ops[0]))
            try:
                number = float(value)
            except ValueError:
                number = np.nan
            if not name or not np.isfinite(number):
                raise ParameterError(f"constraint {raw!r}: need a column name and a finite "
                                     "number")
            attr = by_column.get((name, ops[0]))
            if attr is not None:
                fields[attr] = number
            else:
                pair = bounds.setdefault(name, [None, None])
                pair[0 if ops[0] == ">=" else 1] = number
        return replace(base, **fields, bounds={k: tuple(v) for k, v in bounds.items()})

    def limits(self) -> list[tuple[str, str, float]]:
        """The constraints as ``(column, "<=" or ">=", value)``."""
        out = []
        for attr, (col, op) in _FIELDS.items():
            value = getattr(self, attr)
            if value is not None:
                value = float(value)
                if np.isnan(value):
                    raise ParameterError(f"{attr}: must be a number, got NaN")
                out.append((col, op, value))
        for col, pair in dict(self.bounds).items():
            try:
                lo, hi = pair
            except (TypeError, ValueError):
                raise ParameterError(f"bounds[{col!r}]: expected (low, high)") from None
            if lo is not None:
                out.append((col, ">=", float(lo)))
            if hi is not None:
                out.append((col, "<=", float(hi)))
        return out

    def slack(self, table: pd.DataFrame) -> pd.DataFrame:
        """Slack of every design on every constraint (≥ 0 satisfied), one column each."""
        out = {}
        for col, op, value in self.limits():
            if col not in table.columns:
                raise ParameterError(f"constraint on {col!r}: no such column in the table")
            x = table[col].to_numpy(float)
            out[f"{col} {op} {value:g}"] = value - x if op == "<=" else x - value
        return pd.DataFrame(out, index=table.index)

    def feasible(self, table: pd.DataFrame) -> np.ndarray:
        """Mask of the designs meeting every constraint (NaN metrics fail)."""
        s = self.slack(table)
        if s.shape[1] == 0:
            return np.ones(len(table), bool)
        return np.all(s.to_numpy() >= 0, axis=1)


@dataclass(frozen=True, eq=False)
class Choice:
    """The chosen design (result of :func:`optimise`).

    Attributes
    ----------
    design : int or None
        The chosen design's number (``None`` when no design is feasible).
    row : Series or None
        Its row of the evaluation table.
    objective, maximize : str, bool
        What was optimised (several objectives joined by " > "; the first one's direction).
    constraints : Constraints
    feasible_designs, designs : int
        How many designs meet the constraints, out of how many.
    slack : DataFrame
        Slack of the chosen design on each constraint (0 = binding).
    """

    design: int | None
    row: pd.Series | None
    objective: str
    maximize: bool
    constraints: Constraints
    feasible_designs: int
    designs: int
    slack: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """One row per constraint: limit, the chosen design's value, slack, binding."""
        rows = []
        for col, op, value in self.constraints.limits():
            got = np.nan if self.row is None else float(self.row[col])
            slack = (value - got) if op == "<=" else (got - value)
            rows.append({"constraint": f"{col} {op}", "limit": value, "value": got,
                         "slack": slack, "binding": bool(np.isclose(slack, 0.0, atol=1e-9,
                                                                     rtol=1e-9))})
        out = pd.DataFrame(rows, columns=["constraint", "limit", "value", "slack", "binding"])
        out.attrs.update(design=self.design, objective=self.objective, maximize=self.maximize,
                         feasible_designs=self.feasible_designs, designs=self.designs)
        return out


def _order(table: pd.DataFrame, constraints, keys, senses) -> tuple[np.ndarray, int]:
    """Positions of the feasible designs, best first (lexicographic objectives, ties within
    TIE_RTOL to the lower required premium, then the lower design number)."""
    ok = constraints.feasible(table)
    for key in keys:
        ok &= ~np.isnan(table[key].to_numpy(float))
    cand = np.flatnonzero(ok)
    if cand.size == 0:
        return cand, 0
    # each objective in tie classes: sorted from the best, a new class starts where a value
    # falls more than TIE_RTOL below the one before it (values within 1e-12 are one class)
    sort_keys = []
    for key, up in zip(keys, senses, strict=True):
        vals = table[key].to_numpy(float)[cand]
        vals = vals if up else -vals
        order = np.argsort(-vals, kind="stable")
        v = vals[order]
        gap = v[:-1] - v[1:] > TIE_RTOL * np.maximum(np.abs(v[:-1]), 1.0)
        cls = np.empty(cand.size, dtype=np.int64)
        cls[order] = np.concatenate([[0], np.cumsum(gap)])
        sort_keys.append(cls)
    price = (table["required_premium"].to_numpy(float)[cand]
             if "required_premium" in table.columns else np.zeros(cand.size))
    price = np.where(np.isnan(price), np.inf, price)
    ids = table["design"].to_numpy()[cand] if "design" in table.columns else cand
    order = np.lexsort((ids, price, *reversed(sort_keys)))
    return cand[order], int(ok.sum())


def _keys(table, objective, maximize):
    keys = [objective] if isinstance(objective, str) else list(objective)
    senses = [maximize] * len(keys) if isinstance(maximize, bool) else list(maximize)
    if not keys or len(senses) != len(keys):
        raise ParameterError("objective, maximize: give one direction per objective column")
    for key in keys:
        if key not in table.columns:
            raise ParameterError(f"objective: no column {key!r} in the table")
    return keys, senses


def ranking(evaluation, constraints: Constraints | None = None, *,
            objective: str | Sequence[str] = "pure_premium",
            maximize: bool | Sequence[bool] = True, top: int | None = None) -> pd.DataFrame:
    """The designs that meet the constraints, best first (fixed-price mode: which designs spend
    the margin on members).

    Parameters
    ----------
    evaluation : Evaluation or DataFrame
        E.g. :func:`puhui.tuning.evaluate.evaluate` at the price held.
    constraints : Constraints, optional
        Typically ``expected_cr ≤ τ`` and ``P(CR > 100%) ≤ α`` at that price.
    objective, maximize
        As for :func:`optimise` (lexicographic; ties to the lower required premium, then the
        lower design number).
    top : int, optional
        Keep the first ``top`` rows.

    Returns
    -------
    DataFrame
        Rows of the evaluation table, best first, with ``rank`` (1 = :func:`optimise`'s choice).

    Examples
    --------
    >>> table = pd.DataFrame({"design": [0, 1, 2], "required_premium": [90.0, 105.0, 120.0],
    ...                       "pure_premium": [70.0, 82.0, 95.0]})
    >>> ranking(table, Constraints(max_price=109.0))["design"].tolist()
    [1, 0]
    """
    table = getattr(evaluation, "table", evaluation)
    if not isinstance(table, pd.DataFrame):
        raise ParameterError("evaluation: expected an Evaluation or a DataFrame")
    keys, senses = _keys(table, objective, maximize)
    constraints = Constraints() if constraints is None else constraints
    order, _ = _order(table, constraints, keys, senses)
    if top is not None:
        if isinstance(top, bool) or int(top) != top or top < 1:
            raise ParameterError(f"top: a whole number ≥ 1, got {top!r}")
        order = order[:int(top)]
    out = table.iloc[order].copy()
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out


def optimise(evaluation, constraints: Constraints | None = None, *,
             objective: str | Sequence[str] = "pure_premium",
             maximize: bool | Sequence[bool] = True) -> Choice:
    """The best design of an evaluated grid under the constraints (exact over the grid).

    Parameters
    ----------
    evaluation : Evaluation or DataFrame
        Result of :func:`puhui.tuning.evaluate.evaluate` (or its ``table``).
    constraints : Constraints, optional
        What a design must meet (default: nothing).
    objective : str or sequence of str, default "pure_premium"
        Column(s) to optimise, e.g. ``pure_premium`` (expected payout per member),
        ``share_paid``, ``required_premium`` (with ``maximize=False``). Several columns are
        optimised lexicographically: the second decides among designs tied on the first, …
        (:data:`DEFAULT_OBJECTIVE` is `puhui tune`'s).
    maximize : bool or sequence of bool, default True
        Direction of each objective column.

    Returns
    -------
    Choice
        ``design is None`` when no design meets the constraints. Remaining ties (within a
        relative 1e-12 on every objective) go to the lower required premium, then to the lower
        design number: the first row of :func:`ranking`.

    Examples
    --------
    >>> table = pd.DataFrame({"design": [0, 1, 2], "required_premium": [90.0, 105.0, 120.0],
    ...                       "pure_premium": [70.0, 82.0, 95.0]})
    >>> optimise(table, Constraints(max_price=109.0)).design
    1
    """
    table = getattr(evaluation, "table", evaluation)
    if not isinstance(table, pd.DataFrame):
        raise ParameterError("evaluation: expected an Evaluation or a DataFrame")
    keys, senses = _keys(table, objective, maximize)
    constraints = Constraints() if constraints is None else constraints
    order, n_ok = _order(table, constraints, keys, senses)
    label = keys[0] if len(keys) == 1 else " > ".join(keys)
    if n_ok == 0:
        return Choice(None, None, label, bool(senses[0]), constraints, 0, len(table),
                      constraints.slack(table.iloc[:0]))
    pick = order[0]
    row = table.iloc[pick]
    design = int(row["design"]) if "design" in table.columns else int(pick)
    return Choice(design, row, label, bool(senses[0]), constraints, n_ok, len(table),
                  constraints.slack(table.iloc[[pick]]))
