"""Mortality experience studies (死亡率经验分析): exposure by age, actual vs expected deaths.

From policy records (one row per life: date of birth or entry age, entry date, exit date,
exit reason) the study computes, by integer age (age last birthday, 周岁) and any grouping
columns (sex, group, product …):

* **central exposure** (中心暴露) ``Eᶜₓ``: the exact time, in years of age, each life spends at
  age x inside the study window (a year of age counts 1 whether it has 365 or 366 days;
  within it, time is counted in days); a life is split over its birthdays, vectorised (no
  loop per policy);
* **initial exposure** (初始暴露) ``Eⁱₓ = Eᶜₓ + Σ_{deaths at x} (1 − r)``, where r is the
  fractional age at death: deaths are exposed to the end of their year of age (*standard*,
  Macdonald, Richards & Currie, *Modelling Mortality with Actuarial Applications*, 2018, ch. 2);
* deaths ``Dₓ`` (exit reason ``death`` inside the window); crude rates ``m̂ₓ = Dₓ/Eᶜₓ`` and
  ``q̂ₓ = Dₓ/Eⁱₓ``.

**Actual vs expected** (A/E, 实际/预期) against a table: expected deaths
``Σ Eᶜₓ mₓ`` with the table's central rate under UDD ``mₓ = qₓ/(1 − qₓ/2)`` (basis
``"central"``, default) or ``Σ Eⁱₓ qₓ`` (basis ``"initial"``); A/E = D/E by age band, sex and
group, with the exact (Garwood 1936) Poisson confidence interval for the deaths divided by
the expected deaths (:func:`poisson_interval`).

Ages (:func:`exact_age`): with a ``birth_date`` column, completed years by birthdays plus the
elapsed share of the current year of age; otherwise ``entry_age`` is taken as the exact age on
the entry date and the entry date's anniversaries play the birthdays (insurance age: ages
and policy years coincide).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError, ParameterError, Problem
from ..life.graduation import Graduation, whittaker_henderson
from ..life.table import LifeTable
from ..plots import label, new_axes

EXIT_REASONS = ("death", "lapse", "maturity", "censor")
DAYS_PER_YEAR = 365.25


def poisson_interval(count, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) two-sided confidence interval for a Poisson mean given ``count``.

    ``lower = χ²_{α/2}(2D) / 2`` (0 when D = 0), ``upper = χ²_{1−α/2}(2D + 2) / 2``, with
    α = 1 − level. Divide by the expected deaths for an A/E interval.

    Examples
    --------
    >>> from puhui.experience.mortality import poisson_interval
    >>> lo, hi = poisson_interval([0, 10])
    >>> [round(float(v), 3) for v in hi]
    [3.689, 18.39]
    """
    d = np.asarray(count, dtype=float)
    if np.any(~np.isfinite(d)) or np.any(d < 0) or np.any(d != np.floor(d)):
        raise ParameterError("count must be whole numbers ≥ 0")
    if not 0 < level < 1:
        raise ParameterError(f"level must lie in (0, 1), got {level}")
    alpha = 1.0 - level
    with np.errstate(invalid="ignore"):
        lower = np.where(d > 0, stats.chi2.ppf(alpha / 2, 2 * d) / 2, 0.0)
    upper = stats.chi2.ppf(1 - alpha / 2, 2 * d + 2) / 2
    return lower, upper


def exposure_by_age(records: pd.DataFrame, *, by: Sequence[str] = (), study_start=None,
                    study_end=None, birth_date: str = "birth_date", entry_age: str = "entry_age",
                    entry_date: str = "entry_date", exit_date: str = "exit_date",
                    exit_reason: str = "exit_reason", decrement: str = "death",
                    table: str = "records") -> pd.DataFrame:
    """Central and initial exposure and deaths by age (and ``by`` columns).

    Parameters
    ----------
    records : DataFrame
        One row per life. Needs ``entry_date``, ``exit_date`` (date of death, lapse,
        maturity, or the end of observation), ``exit_reason`` (one of
        ``death, lapse, maturity, censor``) and either ``birth_date`` or ``entry_age``.
    by : list of str
        Grouping columns (e.g. ``["sex", "group"]``).
    study_start, study_end : date-like, optional
        The study window; time outside it is not counted and deaths outside it are not
        counted. Default: the whole observation of every record.
    decrement : str
        The exit reason counted as the event in column ``deaths`` (default ``"death"``;
        ``"lapse"`` gives a lapse study by age, 退保率经验分析).

    Returns
    -------
    DataFrame
        ``by…, age, central_exposure, initial_exposure, deaths`` — one row per group and age
        with positive exposure or a death, sorted.

    Raises
    ------
    puhui.DataError
        Listing every bad row (missing or non-date values, exit before entry, unknown exit
        reason, birth after entry, negative entry age, unknown grouping column).
    """
    by = _as_list(by)
    frame = _validated(records, by=by, birth_date=birth_date, entry_age=entry_age,
                       entry_date=entry_date, exit_date=exit_date, exit_reason=exit_reason,
                       table=table)
    entry = frame[entry_date].to_numpy("datetime64[ns]")
    exit_ = frame[exit_date].to_numpy("datetime64[ns]")
    start = entry if study_start is None else np.maximum(entry, _date(study_start, "study_start"))
    end = exit_ if study_end is None else np.minimum(exit_, _date(study_end, "study_end"))
    if birth_date in frame.columns:
        origin = frame[birth_date].to_numpy("datetime64[ns]")
        age0 = np.zeros(len(frame))
    else:
        origin = entry
        age0 = frame[entry_age].to_numpy(dtype=float)
    a0 = age0 + exact_age(origin, start)
    a1 = age0 + exact_age(origin, end)
    inside = end >= start
    if decrement not in EXIT_REASONS:
        raise ParameterError(f"decrement must be one of {EXIT_REASONS}, got {decrement!r}")
    died = (frame[exit_reason].to_numpy() == decrement) & inside & (end == exit_)
    if study_start is not None:
        died &= exit_ >= _date(study_start, "study_start")

    idx = np.flatnonzero(inside)
    k0 = np.floor(a0[idx]).astype(np.int64)
    k1 = np.floor(a1[idx]).astype(np.int64)
    counts = k1 - k0 + 1
    rep = np.repeat(np.arange(idx.size), counts)
    offset = np.arange(rep.size) - np.repeat(np.cumsum(counts) - counts, counts)
    age = k0[rep] + offset
    central = np.minimum(a1[idx][rep], age + 1.0) - np.maximum(a0[idx][rep], age)
    is_last = offset == counts[rep] - 1
    death_here = died[idx][rep] & is_last
    initial = central + np.where(death_here, age + 1.0 - a1[idx][rep], 0.0)

    if by:
        seg = frame.iloc[idx[rep]][by].reset_index(drop=True)
    else:
        seg = pd.DataFrame(index=range(rep.size))
    seg["age"] = age
    seg["central_exposure"] = central
    seg["initial_exposure"] = initial
    seg["deaths"] = death_here.astype(np.int64)
    out = seg.groupby([*by, "age"], sort=True, observed=True, dropna=False).sum().reset_index()
    keep = (out["central_exposure"] > 0) | (out["deaths"] > 0)
    return out[keep].reset_index(drop=True)


@dataclass(frozen=True)
class MortalityAE:
    """Actual vs expected deaths with exact Poisson intervals, one row per cell."""

    table: pd.DataFrame
    by: tuple[str, ...]
    basis: str
    level: float
    expected_table: str

    def summary(self) -> pd.DataFrame:
        """The cells and an ``all`` row with the totals (just the one cell when ``by`` is empty)."""
        if not self.by:
            return self.table.copy()
        tot = self.table[["exposure", "deaths", "expected"]].sum()
        lo, hi = poisson_interval(tot["deaths"], self.level)
        total = {c: "all" for c in self.by}
        total.update(exposure=tot["exposure"], deaths=tot["deaths"], expected=tot["expected"],
                     ae=tot["deaths"] / tot["expected"], ae_lower=float(lo) / tot["expected"],
                     ae_upper=float(hi) / tot["expected"])
        return pd.concat([self.table, pd.DataFrame([total])], ignore_index=True)

    def plot(self, ax=None):
        """A/E by cell with its interval and the line A/E = 1; returns the Axes."""
        ax = new_axes(ax)
        t = self.table
        names = (t[list(self.by)].astype(str).agg(" / ".join, axis=1) if self.by
                 else pd.Series(["all"] * len(t)))
        y = np.arange(len(t))
        err = np.vstack([t["ae"] - t["ae_lower"], t["ae_upper"] - t["ae"]])
        ax.errorbar(t["ae"], y, xerr=err, fmt="o", capsize=3)
        ax.axvline(1.0, color="grey", lw=1, ls="--")
        ax.set_yticks(y, names)
        ax.set_xlabel(label("实际/预期 (A/E)", "actual / expected"))
        ax.set_title(f"A/E vs {self.expected_table} ({self.level:.0%} exact Poisson)")
        return ax


@dataclass(frozen=True)
class MortalityStudy:
    """Exposure and deaths by age and group, with A/E, graduation, summary and plot.

    Build with :func:`mortality_study`. ``cells`` has columns ``by…, age, central_exposure,
    initial_exposure, deaths``.
    """

    cells: pd.DataFrame
    by: tuple[str, ...] = ()

    def crude_rates(self) -> pd.DataFrame:
        """``cells`` plus ``m_crude = D/Eᶜ`` and ``q_crude = D/Eⁱ``."""
        c = self.cells.copy()
        with np.errstate(divide="ignore", invalid="ignore"):
            c["m_crude"] = np.where(c["central_exposure"] > 0,
                                    c["deaths"] / c["central_exposure"], np.nan)
            c["q_crude"] = np.where(c["initial_exposure"] > 0,
                                    c["deaths"] / c["initial_exposure"], np.nan)
        return c

    def summary(self) -> pd.DataFrame:
        """Totals by group: lives-years of exposure, deaths, crude central rate."""
        keys = list(self.by)
        cols = ["central_exposure", "initial_exposure", "deaths"]
        tot = (self.cells.groupby(keys, observed=True)[cols].sum().reset_index() if keys
               else self.cells[cols].sum().to_frame().T)
        tot["m_crude"] = tot["deaths"] / tot["central_exposure"]
        return tot

    def actual_vs_expected(self, table: LifeTable | Mapping[object, LifeTable], *,
                           by: Sequence[str] | None = None, bands: Sequence[int] | None = None,
                           basis: str = "central", level: float = 0.95,
                           table_by: str | None = None) -> MortalityAE:
        """A/E against ``table`` by the ``by`` columns and age bands.

        Parameters
        ----------
        table : LifeTable or mapping
            One table, or one per value of the column ``table_by`` (e.g.
            ``{"M": load_table("CL1_2010_2013"), "F": load_table("CL2_2010_2013")}`` with
            ``table_by="sex"``). Adjusted tables (e.g. ``.scaled(1.5)``) are fine; select
            tables are refused (the study splits by age, not by policy duration).
        by : list of str, optional
            Cell columns (a subset of the study's ``by``); default all of them.
        bands : list of int, optional
            Age band edges, e.g. ``[0, 40, 60, 80, 106]`` → 0–39, 40–59 …; every age must
            fall inside. Default: no banding (all ages together).
        basis : {"central", "initial"}
            Expected = ``Eᶜ · q/(1 − q/2)`` (UDD central rate) or ``Eⁱ · q``.
        level : float
            Confidence level of the exact Poisson interval.
        """
        if basis not in ("central", "initial"):
            raise ParameterError(f"basis must be 'central' or 'initial', got {basis!r}")
        by = list(self.by) if by is None else _as_list(by)
        unknown = [c for c in by if c not in self.by]
        if unknown:
            raise ParameterError(f"by columns {unknown} are not in the study's by {self.by}")
        c = self.cells
        q = _table_q(c, table, table_by)
        if basis == "central":
            expected = c["central_exposure"].to_numpy() * q / (1.0 - q / 2.0)
            exposure = c["central_exposure"].to_numpy()
        else:
            expected = c["initial_exposure"].to_numpy() * q
            exposure = c["initial_exposure"].to_numpy()
        cells = c[by].copy()
        if bands is not None:
            cells["age_band"] = _age_bands(c["age"].to_numpy(), bands)
            by = [*by, "age_band"]
        cells["exposure"] = exposure
        cells["deaths"] = c["deaths"].to_numpy()
        cells["expected"] = expected
        if by:
            agg = cells.groupby(by, observed=True, sort=True)[["exposure", "deaths", "expected"]] \
                .sum().reset_index()
        else:
            agg = cells[["exposure", "deaths", "expected"]].sum().to_frame().T
        lo, hi = poisson_interval(agg["deaths"].to_numpy(), level)
        with np.errstate(divide="ignore", invalid="ignore"):
            agg["ae"] = agg["deaths"] / agg["expected"]
            agg["ae_lower"] = lo / agg["expected"].to_numpy()
            agg["ae_upper"] = hi / agg["expected"].to_numpy()
        name = (table.name if isinstance(table, LifeTable)
                else ", ".join(f"{k}: {v.name}" for k, v in table.items()))
        return MortalityAE(table=agg, by=tuple(by), basis=basis, level=level, expected_table=name)

    def graduate(self, *, order: int = 2, smoothing: float = 100.0,
                 where: Mapping[str, object] | None = None) -> Graduation:
        """Whittaker–Henderson graduation of the crude central rates ``D/Eᶜ``, weights Eᶜ.

        ``where`` selects one group, e.g. ``{"sex": "M"}``; otherwise groups are pooled.
        Ages without exposure get weight 0. For a parametric fit use
        :class:`puhui.life.GompertzMakeham` on :meth:`by_age`.
        """
        agg = self.by_age(where)
        ex, d = agg["central_exposure"].to_numpy(), agg["deaths"].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            crude = np.where(ex > 0, d / ex, np.nan)
        return whittaker_henderson(crude, ex, order=order, smoothing=smoothing,
                                   ages=agg["age"].to_numpy(), deaths=d, exposure=ex)

    def by_age(self, where: Mapping[str, object] | None = None) -> pd.DataFrame:
        """Exposure and deaths by consecutive age (gaps filled with 0), optionally one group."""
        c = self.cells
        for col, value in (where or {}).items():
            if col not in self.by:
                raise ParameterError(f"{col!r} is not a by column of the study {self.by}")
            c = c[c[col] == value]
        if c.empty:
            raise ParameterError(f"no cells for {dict(where or {})}")
        agg = c.groupby("age")[["central_exposure", "initial_exposure", "deaths"]].sum()
        ages = np.arange(agg.index.min(), agg.index.max() + 1)
        return agg.reindex(ages, fill_value=0).rename_axis("age").reset_index()

    def plot(self, ax=None, *, table: LifeTable | None = None,
             where: Mapping[str, object] | None = None):
        """Crude central rates by age (log scale), with the table's rate if given."""
        ax = new_axes(ax)
        agg = self.by_age(where)
        ex = agg["central_exposure"].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            crude = np.where(ex > 0, agg["deaths"] / ex, np.nan)
        ax.plot(agg["age"], crude, "o", ms=3, label=label("粗死亡率", "crude m_x"))
        if table is not None:
            ax.plot(table.ages, table.qx / (1 - table.qx / 2), "-", label=table.name)
        ax.set_yscale("log")
        ax.set_xlabel(label("年龄", "age"))
        ax.set_ylabel(label("中心死亡率", "central death rate"))
        ax.legend()
        return ax


def mortality_study(records: pd.DataFrame, *, by: Sequence[str] = (), **kwargs) -> MortalityStudy:
    """Build a :class:`MortalityStudy` from policy records (see :func:`exposure_by_age`).

    Examples
    --------
    >>> import pandas as pd
    >>> from puhui.experience.mortality import mortality_study
    >>> recs = pd.DataFrame({"entry_age": [40, 41], "entry_date": ["2020-01-01"] * 2,
    ...                      "exit_date": ["2021-07-02", "2022-01-01"],
    ...                      "exit_reason": ["death", "censor"]})
    >>> s = mortality_study(recs)
    >>> int(s.cells["deaths"].sum())
    1
    """
    by = _as_list(by)
    return MortalityStudy(cells=exposure_by_age(records, by=by, **kwargs), by=tuple(by))


# ---------------------------------------------------------------------- internals
def _validated(records, *, by, birth_date, entry_age, entry_date, exit_date, exit_reason, table):
    if not isinstance(records, pd.DataFrame):
        raise ParameterError(f"records must be a DataFrame, got {type(records).__name__}")
    problems: list[Problem] = []
    cols = set(records.columns)
    age_col = birth_date if birth_date in cols else entry_age
    needed = [entry_date, exit_date, exit_reason, age_col, *by]
    for c in needed:
        if c not in cols:
            msg = (f"need '{birth_date}' or '{entry_age}'" if c == age_col
                   else "required column is missing")
            problems.append(Problem(table, c, None, "missing_column", msg))
    if problems:
        raise DataError(problems)
    frame = records.reset_index(drop=True).copy()
    date_cols = [entry_date, exit_date] + ([birth_date] if age_col == birth_date else [])
    for c in date_cols:
        raw = frame[c]
        parsed = pd.to_datetime(raw, errors="coerce")
        for i in np.flatnonzero(raw.isna().to_numpy()):
            problems.append(Problem(table, c, int(i) + 1, "missing_value", "date is empty"))
        for i in np.flatnonzero((parsed.isna() & raw.notna()).to_numpy()):
            problems.append(Problem(table, c, int(i) + 1, "not_a_date", "not a date",
                                    raw.iloc[i]))
        frame[c] = parsed
    if age_col == entry_age:
        raw = frame[entry_age]
        num = pd.to_numeric(raw, errors="coerce")
        for i in np.flatnonzero((num.isna() | (num < 0)).to_numpy()):
            problems.append(Problem(table, entry_age, int(i) + 1, "out_of_range",
                                    "entry age must be a number ≥ 0", raw.iloc[i]))
        frame[entry_age] = num
    reason = frame[exit_reason]
    for i in np.flatnonzero(~reason.isin(EXIT_REASONS).to_numpy()):
        problems.append(Problem(table, exit_reason, int(i) + 1, "not_allowed",
                                f"exit reason must be one of {EXIT_REASONS}", reason.iloc[i]))
    both = frame[entry_date].notna() & frame[exit_date].notna()
    for i in np.flatnonzero((both & (frame[exit_date] < frame[entry_date])).to_numpy()):
        problems.append(Problem(table, exit_date, int(i) + 1, "end_before_start",
                                "exit date is before the entry date", str(frame[exit_date][i])))
    if age_col == birth_date:
        ok = frame[birth_date].notna() & frame[entry_date].notna()
        for i in np.flatnonzero((ok & (frame[birth_date] > frame[entry_date])).to_numpy()):
            problems.append(Problem(table, birth_date, int(i) + 1, "out_of_range",
                                    "birth date is after the entry date",
                                    str(frame[birth_date][i])))
    for c in by:
        for i in np.flatnonzero(frame[c].isna().to_numpy()):
            problems.append(Problem(table, c, int(i) + 1, "missing_value",
                                    "grouping value is empty"))
    if problems:
        raise DataError(problems)
    return frame


def _table_q(cells, table, table_by):
    ages = cells["age"].to_numpy()
    if isinstance(table, LifeTable):
        return _q_at(table, ages)
    if not isinstance(table, Mapping) or table_by is None:
        raise ParameterError("table must be a LifeTable, or a mapping of tables with table_by=")
    if table_by not in cells.columns:
        raise ParameterError(f"table_by column {table_by!r} is not a by column of the study")
    keys = cells[table_by].to_numpy()
    missing = sorted(set(keys.tolist()) - set(table))
    if missing:
        raise ParameterError(f"no table for {table_by} = {missing}")
    q = np.empty(len(cells))
    for key, tab in table.items():  # a handful of tables, not a loop over policies
        sel = keys == key
        if sel.any():
            q[sel] = _q_at(tab, ages[sel])
    return q


def _q_at(table: LifeTable, ages):
    if not isinstance(table, LifeTable):
        raise ParameterError(f"expected a LifeTable, got {type(table).__name__}")
    if table.select_factors:
        raise ParameterError(f"{table.name} has select factors; A/E by attained age needs an "
                             "ultimate table")
    out = (ages < table.first_age) | (ages > table.last_age)
    if out.any():
        raise ParameterError(f"ages {np.unique(ages[out]).tolist()[:5]} are outside "
                             f"{table.name} ({table.first_age}–{table.last_age})")
    return table.qx[ages - table.first_age]


def _age_bands(ages, bands):
    edges = np.asarray(bands, dtype=float)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ParameterError("bands must be increasing age edges, at least two")
    if np.any(ages < edges[0]) or np.any(ages >= edges[-1]):
        raise ParameterError(f"ages {int(ages.min())}–{int(ages.max())} fall outside the bands "
                             f"[{edges[0]:g}, {edges[-1]:g})")
    labels = [f"{int(a)}-{int(b) - 1}" for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return pd.cut(ages, bins=edges, right=False, labels=labels)


def exact_age(origin, when) -> np.ndarray:
    """Exact age in years at ``when`` of a life born (or at age 0 of the clock) at ``origin``.

    Completed years are counted by anniversaries (a 29 February birthday falls on 28 February
    in common years); the fraction is the share of the current year of age elapsed, in days,
    so every year of age counts exactly 1 whether it has 365 or 366 days.
    """
    o = np.asarray(origin, dtype="datetime64[D]")
    t = np.asarray(when, dtype="datetime64[D]")
    oy = o.astype("datetime64[Y]").astype(np.int64) + 1970
    om = o.astype("datetime64[M]").astype(np.int64) % 12
    od = (o - o.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64)
    years = t.astype("datetime64[Y]").astype(np.int64) + 1970 - oy
    years = np.where(_anniversary(oy, om, od, years) > t, years - 1, years)
    prev = _anniversary(oy, om, od, years)
    nxt = _anniversary(oy, om, od, years + 1)
    return years + (t - prev).astype(np.int64) / (nxt - prev).astype(np.int64)


def _anniversary(year, month0, day0, add):
    """The date ``add`` years after (year, month0 + 1, day0 + 1), clipped to the month's end."""
    month = ((year + add - 1970) * 12 + month0).astype("datetime64[M]")
    first = month.astype("datetime64[D]")
    length = ((month + 1).astype("datetime64[D]") - first).astype(np.int64)
    return first + np.minimum(day0, length - 1)


def _years(delta) -> np.ndarray:
    return delta.astype("timedelta64[ns]").astype(np.int64) / (86_400e9 * DAYS_PER_YEAR)


def _date(value, name):
    try:
        return np.datetime64(pd.Timestamp(value), "ns")
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a date, got {value!r}") from None


def _as_list(by) -> list[str]:
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)
