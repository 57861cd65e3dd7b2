"""The life table (生命表) and its functions: l_x, d_x, p_x, ₜp_x, ₜq_x, e_x, e̊_x.

A :class:`LifeTable` holds one-year death probabilities ``q_x`` (死亡率) at consecutive integer
ages, closing with ``q = 1`` at the last age ω (极限年龄). Every function is vectorised over
ages; nothing is computed per policy in a Python loop.

Conventions (*standard*, Dickson–Hardy–Waters, *Actuarial Mathematics for Life Contingent
Risks*, ch. 3):

* ``l_{x+1} = l_x · p_x``, ``d_x = l_x − l_{x+1}``, ``ₖp_x = l_{x+k} / l_x``;
* between integer ages either **UDD** (uniform distribution of deaths, 死亡均匀分布假设):
  ``ₛp_x = 1 − s·q_x``, or **constant force** (常数死亡力假设): ``ₛp_x = p_x^s``, 0 ≤ s ≤ 1;
* curtate expectation of life (整数余命的期望) ``e_x = Σ_{k≥1} ₖp_x``; complete expectation
  (完全平均余命) ``e̊_x = ∫₀^∞ ₜp_x dt``, which under UDD is exactly ``e_x + 1/2``.

Special-group adjustments (特定人群调整: 残疾人, 老年人 …) return a new table:
:meth:`LifeTable.scaled` (multiplicative loading, e.g. 150% of table), :meth:`LifeTable.with_extra`
(additive extra mortality), :meth:`LifeTable.with_select` (select factors for the first policy
years, 选择期) and :meth:`LifeTable.with_age_limits` (entry-age limits 投保年龄 and an age cap
on cover, 保障终止年龄). The closing age keeps ``q = 1`` under every adjustment.

With select factors ``f_0 … f_{s−1}`` a life that entered at age x has
``q_{[x]+k} = min(f_k · q_{x+k}, 1)`` in policy year k < s and ``q_{x+k}`` afterwards; the
age argument ``x`` of every function is then the **entry (selection) age**.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError
from .validate import check_qx, parse_table_frame

FRACTIONAL = ("udd", "constant_force")


@dataclass(frozen=True, eq=False)
class LifeTable:
    """One-year death probabilities by integer age, with optional special-group adjustments.

    Parameters
    ----------
    ages : array of int
        Consecutive integer ages, e.g. 0 … 105.
    qx : array of float
        ``q_x`` in [0, 1], with ``q = 1`` at the last age.
    name : str
        Name used in messages and plots (e.g. ``CL1_2010_2013``).
    source : str
        Where the figures come from (a notice, a company study …).
    select_factors : tuple of float
        Factors on ``q`` for policy years 0, 1, … after entry (选择因子); empty for an
        ultimate (aggregate) table. Prefer :meth:`with_select`.
    min_entry_age, max_entry_age, max_expiry_age : int, optional
        Entry-age limits and the age at which cover must end. Prefer :meth:`with_age_limits`.
    adjustments : tuple of str
        Human-readable record of the adjustments applied (kept by the adjusting methods).

    Raises
    ------
    puhui.DataError
        When the table is not a valid life table; every problem is listed.

    Examples
    --------
    >>> from puhui.life import LifeTable
    >>> t = LifeTable(ages=[0, 1, 2], qx=[0.1, 0.5, 1.0], name="toy")
    >>> t.lx(radix=1000).tolist()
    [1000.0, 900.0, 450.0]
    >>> float(t.complete_expectation(0))  # UDD: e_0 + 1/2
    1.85
    """

    ages: np.ndarray
    qx: np.ndarray
    name: str = "life table"
    source: str = ""
    select_factors: tuple[float, ...] = ()
    min_entry_age: int | None = None
    max_entry_age: int | None = None
    max_expiry_age: int | None = None
    adjustments: tuple[str, ...] = ()

    def __post_init__(self):
        problems = check_qx(self.ages, self.qx, table=self.name)
        if problems:
            raise DataError(problems)
        ages = np.array(self.ages, dtype=float).astype(np.int64)
        qx = np.array(self.qx, dtype=float)
        ages.flags.writeable = False
        qx.flags.writeable = False
        object.__setattr__(self, "ages", ages)
        object.__setattr__(self, "qx", qx)
        factors = tuple(float(f) for f in self.select_factors)
        if any(not np.isfinite(f) or f < 0 for f in factors):
            raise ParameterError(f"select_factors must be finite and ≥ 0, got {factors}")
        object.__setattr__(self, "select_factors", factors)
        for attr in ("min_entry_age", "max_entry_age", "max_expiry_age"):
            value = getattr(self, attr)
            if value is not None and (float(value) != int(value) or value < 0):
                raise ParameterError(f"{attr} must be a whole number ≥ 0, got {value!r}")
        lo, hi = self.min_entry_age, self.max_entry_age
        if lo is not None and hi is not None and lo > hi:
            raise ParameterError(f"min_entry_age {lo} is above max_entry_age {hi}")

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_frame(cls, df: pd.DataFrame, *, column: str | None = None,
                   age_column: str = "age", name: str | None = None,
                   source: str = "") -> LifeTable:
        """Build a table from a DataFrame with an age column and one (or a chosen) q column.

        Every problem (missing column, text that is not a number, fractional or
        non-consecutive age, q outside [0, 1], last q ≠ 1 …) is collected and raised in one
        :class:`puhui.DataError` naming column and row.
        """
        table = name or (column or "life table")
        ages, qx, column, problems = parse_table_frame(df, column=column, age_column=age_column,
                                                       table=table)
        if not problems or all(p.rule == "not_a_number" for p in problems):
            unparsed = {(p.column, p.row) for p in problems}
            problems += [p for p in check_qx(ages, qx, table=table, age_column=age_column,
                                             q_column=column)
                         if not (p.rule == "missing_value" and (p.column, p.row) in unparsed)]
        if problems:
            raise DataError(problems)
        return cls(ages=ages, qx=qx, name=name or column, source=source)

    @classmethod
    def from_file(cls, path: str | os.PathLike, *, column: str | None = None,
                  age_column: str = "age", name: str | None = None, source: str = "",
                  sheet_name=0) -> LifeTable:
        """Read a table from CSV (UTF-8 or GBK), Parquet or ``.xlsx`` and validate it.

        Use this for any table not shipped with puhui: the 2025 industry table
        (中国人身保险业经验生命表（2025）) when you hold it, or a company's own table.
        """
        from ..data.io import read_table

        df = read_table(path, sheet_name=sheet_name)
        return cls.from_frame(df, column=column, age_column=age_column,
                              name=name or column or os.path.basename(str(path)),
                              source=source or str(path))

    # ------------------------------------------------------------------ basic columns
    @property
    def first_age(self) -> int:
        return int(self.ages[0])

    @property
    def last_age(self) -> int:
        """The closing age ω − 1 (the last age with a q; q there is 1)."""
        return int(self.ages[-1])

    @property
    def px(self) -> np.ndarray:
        """One-year survival probabilities ``p_x = 1 − q_x`` (ultimate)."""
        return 1.0 - self.qx

    def lx(self, radix: float = 100_000.0) -> np.ndarray:
        """Number living ``l_x`` at each age of the table, from ``radix`` at the first age."""
        radix = _positive(radix, "radix")
        return radix * np.concatenate([[1.0], np.cumprod(self.px)[:-1]])

    def dx(self, radix: float = 100_000.0) -> np.ndarray:
        """Deaths ``d_x = l_x · q_x`` between age x and x + 1."""
        return self.lx(radix) * self.qx

    def to_frame(self, radix: float = 100_000.0) -> pd.DataFrame:
        """The table as columns age, qx, px, lx, dx, ex (curtate), ex_complete (UDD)."""
        return pd.DataFrame({
            "age": self.ages, "qx": self.qx, "px": self.px, "lx": self.lx(radix),
            "dx": self.dx(radix), "ex": self.curtate_expectation(self.ages),
            "ex_complete": self.complete_expectation(self.ages),
        })

    # ------------------------------------------------------------------ survival
    def tpx(self, x, t, *, fractional: str = "udd") -> np.ndarray:
        """Probability ``ₜp_x`` that a life aged x survives t more years (broadcast over x, t).

        Ages and durations may be fractional; between integer ages the assumption is UDD
        (``fractional="udd"``) or constant force (``"constant_force"``). With select factors,
        x is the entry age and must be a whole number.
        """
        x, t = _broadcast_float(x, "x", t, "t")
        if np.any(t < 0) or not np.all(np.isfinite(t)):
            raise ParameterError("t must be finite and ≥ 0")
        self._check_ages(x, integer=bool(self.select_factors))
        base = np.floor(x).astype(np.int64)
        r = x - base
        uniq, inv = np.unique(base.ravel(), return_inverse=True)
        inv = inv.reshape(base.shape)
        paths, yearq = self._paths(uniq)
        den = _survival_within(paths, yearq, inv, r, fractional)
        num = _survival_within(paths, yearq, inv, r + t, fractional)
        if np.any(den <= 0):
            raise ParameterError("x lies where no life survives under constant force "
                                 "(inside the closing year of the table)")
        return num / den

    def tqx(self, x, t, *, fractional: str = "udd") -> np.ndarray:
        """Probability ``ₜq_x = 1 − ₜp_x`` of death within t years."""
        return 1.0 - self.tpx(x, t, fractional=fractional)

    def curtate_expectation(self, x) -> np.ndarray:
        """Curtate expectation of life ``e_x = Σ_{k≥1} ₖp_x`` (整数平均余命), x whole years."""
        paths, _, inv = self._paths_for(x)
        return paths[:, 1:].sum(axis=1)[inv]

    def complete_expectation(self, x, *, fractional: str = "udd") -> np.ndarray:
        """Complete expectation of life ``e̊_x = ∫₀^∞ ₜp_x dt`` (完全平均余命, 预期寿命).

        Under UDD ``e̊_x = e_x + 1/2``; under constant force each year of age contributes
        ``ₖp_x · (p − 1)/ln p`` with ``p = p_{x+k}``. The regulator's published expectations
        of life of the CL(2000–2003) tables (76.7, 80.9, 79.7, 83.7) are ``e̊_0`` under UDD.
        """
        paths, yearq, inv = self._paths_for(x)
        within = _year_integral(yearq, fractional)
        return (paths[:, :-1] * within).sum(axis=1)[inv]

    # ------------------------------------------------------------------ adjustments
    def scaled(self, factor, *, name: str | None = None) -> LifeTable:
        """Multiplicative mortality loading: ``q' = min(factor · q, 1)`` (死亡率加成).

        ``factor`` is a scalar (1.5 = 150% of table, e.g. for a disabled cohort) or one value
        per age. The closing age keeps q = 1. Ages whose loaded q reaches 1 are capped there
        and counted in :attr:`adjustments`.
        """
        f = np.broadcast_to(np.asarray(factor, dtype=float), self.qx.shape)
        if not np.all(np.isfinite(f)) or np.any(f < 0):
            raise ParameterError("factor must be finite and ≥ 0")
        raw = f * self.qx
        q = np.minimum(raw, 1.0)
        q[-1] = 1.0
        capped = int(np.sum(raw[:-1] > 1.0))
        label = (f"×{float(f[0]):.0%}" if np.all(f == f[0]) else "×(factor by age)")
        note = f"q {label} of table" + (f", capped at 1 at {capped} age(s)" if capped else "")
        return self._adjusted(q, note, name or f"{self.name} {label}")

    def with_extra(self, extra, *, name: str | None = None) -> LifeTable:
        """Additive extra mortality: ``q' = min(q + extra, 1)`` (额外死亡率, e.g. +2‰).

        ``extra`` ≥ 0 is a scalar or one value per age; the closing age keeps q = 1.
        """
        e = np.broadcast_to(np.asarray(extra, dtype=float), self.qx.shape)
        if not np.all(np.isfinite(e)) or np.any(e < 0):
            raise ParameterError("extra must be finite and ≥ 0")
        raw = self.qx + e
        q = np.minimum(raw, 1.0)
        q[-1] = 1.0
        capped = int(np.sum(raw[:-1] > 1.0))
        label = f"+{float(e[0]):g}" if np.all(e == e[0]) else "+(extra by age)"
        note = f"q {label} extra" + (f", capped at 1 at {capped} age(s)" if capped else "")
        return self._adjusted(q, note, name or f"{self.name} {label}")

    def with_select(self, factors, *, name: str | None = None) -> LifeTable:
        """Select factors for the first policy years (选择期): ``q_{[x]+k} = f_k · q_{x+k}``.

        E.g. ``(0.6, 0.8, 0.9)`` for a three-year select period after medical underwriting;
        factors above 1 model a cohort with higher early mortality. Capped at q ≤ 1.
        """
        factors = tuple(float(f) for f in np.atleast_1d(np.asarray(factors, dtype=float)))
        note = "select factors " + ", ".join(f"{f:g}" for f in factors)
        return dataclasses.replace(self, select_factors=factors, name=name or self.name,
                                   adjustments=self.adjustments + (note,))

    def with_age_limits(self, *, min_entry_age: int | None = None,
                        max_entry_age: int | None = None,
                        max_expiry_age: int | None = None) -> LifeTable:
        """Entry-age limits (投保年龄) and an age cap on cover (保障至 … 岁).

        Present values and premiums on the returned table raise :class:`puhui.ParameterError`
        for an entry age outside ``[min_entry_age, max_entry_age]`` or cover that runs past
        ``max_expiry_age`` (x + deferral + term > cap).
        """
        note = (f"entry ages {min_entry_age}–{max_entry_age}, cover to age {max_expiry_age}")
        return dataclasses.replace(self, min_entry_age=min_entry_age, max_entry_age=max_entry_age,
                                   max_expiry_age=max_expiry_age,
                                   adjustments=self.adjustments + (note,))

    def check_cover(self, x, term=None) -> None:
        """Raise :class:`puhui.ParameterError` if entry age x or cover to x + term is not allowed.

        ``term=None`` means whole-life cover, which is refused when the table has an age cap.
        """
        x = np.asarray(x)
        messages = []
        if self.min_entry_age is not None and np.any(x < self.min_entry_age):
            bad = np.unique(x[x < self.min_entry_age])
            messages.append(f"entry age(s) {bad.tolist()} below the minimum entry age "
                            f"{self.min_entry_age}")
        if self.max_entry_age is not None and np.any(x > self.max_entry_age):
            bad = np.unique(x[x > self.max_entry_age])
            messages.append(f"entry age(s) {bad.tolist()} above the maximum entry age "
                            f"{self.max_entry_age}")
        if self.max_expiry_age is not None:
            if term is None:
                messages.append(f"whole-life cover is not allowed: cover ends at age "
                                f"{self.max_expiry_age}; pass a term n ≤ {self.max_expiry_age} − x")
            else:
                xb, tb = np.broadcast_arrays(x, np.asarray(term))
                end = xb + tb
                if np.any(end > self.max_expiry_age):
                    bad = np.unique(end[end > self.max_expiry_age])
                    messages.append(f"cover would run to age(s) {bad.tolist()}, past the age cap "
                                    f"{self.max_expiry_age}")
        if messages:
            raise ParameterError(f"{self.name}: " + "; ".join(messages))

    # ------------------------------------------------------------------ internals
    def _adjusted(self, q, note, name) -> LifeTable:
        return dataclasses.replace(self, qx=q, name=name, adjustments=self.adjustments + (note,))

    def _check_ages(self, x, *, integer: bool) -> None:
        if not np.all(np.isfinite(x)):
            raise ParameterError("age x must be finite")
        if np.any(x < self.first_age) or np.any(x >= self.last_age + 1):
            raise ParameterError(f"age x must lie in [{self.first_age}, {self.last_age + 1}) for "
                                 f"{self.name}; got {np.unique(x[(x < self.first_age) | (x >= self.last_age + 1)]).tolist()[:5]}")
        if integer and np.any(x != np.floor(x)):
            raise ParameterError("age x must be a whole number here (entry age of a select "
                                 "table, or an age for expectations and present values)")

    def _paths_for(self, x):
        x = np.asarray(x, dtype=float)
        self._check_ages(x, integer=True)
        uniq, inv = np.unique(x.astype(np.int64).ravel(), return_inverse=True)
        paths, yearq = self._paths(uniq)
        return paths, yearq, inv.reshape(x.shape)

    def _paths(self, entry_ages: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Survival paths from each (integer) entry age.

        Returns ``paths`` of shape (len(entry_ages), K + 1) with ``paths[i, k] = ₖp_[x_i]`` and
        ``yearq`` of shape (len, K) with the q of policy year k (select factors applied; q = 1
        past the closing age), where K = ω − first age + 1 covers every life to extinction.
        """
        n_years = self.last_age - self.first_age + 2
        ages = entry_ages[:, None] + np.arange(n_years)[None, :]
        inside = ages <= self.last_age
        idx = np.clip(ages - self.first_age, 0, self.qx.size - 1)
        q = np.where(inside, self.qx[idx], 1.0)
        if self.select_factors:
            f = np.ones(n_years)
            s = min(len(self.select_factors), n_years)
            f[:s] = self.select_factors[:s]
            q = np.where(ages < self.last_age, np.minimum(q * f[None, :], 1.0), q)
        paths = np.concatenate([np.ones((q.shape[0], 1)), np.cumprod(1.0 - q, axis=1)], axis=1)
        return paths, q

    def __repr__(self) -> str:
        adj = f", adjustments={list(self.adjustments)}" if self.adjustments else ""
        return (f"LifeTable(name={self.name!r}, ages={self.first_age}–{self.last_age}"
                f"{adj})")


def _survival_within(paths, yearq, inv, u, fractional):
    """ᵤp from the integer base age of each row: full years from ``paths``, the rest by the
    fractional assumption within the year."""
    if fractional not in FRACTIONAL:
        raise ParameterError(f"fractional must be one of {FRACTIONAL}, got {fractional!r}")
    n_years = yearq.shape[1]
    k = np.floor(u).astype(np.int64)
    r = u - k
    beyond = k >= n_years
    kc = np.minimum(k, n_years - 1)
    base = paths[inv, kc]
    q = yearq[inv, kc]
    if fractional == "udd":
        part = 1.0 - r * q
    else:
        part = np.power(1.0 - q, r)
    return np.where(beyond, 0.0, base * part)


def _year_integral(q, fractional):
    """∫₀¹ ₛp ds within one year of age with one-year death probability q."""
    if fractional not in FRACTIONAL:
        raise ParameterError(f"fractional must be one of {FRACTIONAL}, got {fractional!r}")
    if fractional == "udd":
        return 1.0 - 0.5 * q
    p = 1.0 - q
    with np.errstate(divide="ignore", invalid="ignore"):
        val = (p - 1.0) / np.log(p)
    return np.where(p >= 1.0, 1.0, np.where(p <= 0.0, 0.0, val))


def _broadcast_float(a, a_name, b, b_name):
    try:
        a = np.asarray(a, dtype=float)
        b = np.asarray(b, dtype=float)
        return np.broadcast_arrays(a, b)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{a_name} and {b_name} must be numbers that broadcast: {exc}") \
            from None


def _positive(value, name):
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ParameterError(f"{name} must be a positive number, got {value!r}")
    return value


__all__ = ["LifeTable", "FRACTIONAL"]
