"""Earned exposure and earned premium (已赚保费), pro rata by day, by period and group.

Conventions (see ``docs/review.md``):

* ``end_date`` is the **last day of cover, inclusive** (保险止期 "至 … 二十四时止"), so a policy
  from 2024-01-01 to 2024-12-31 covers ``n = end − start + 1 = 366`` days;
* premium is earned **pro rata temporis by day** (日均法, the 1/365 method): a day of cover earns
  ``premium / n``, so a policy earns exactly its premium over its term, whatever the year length;
* the **term in years** of a policy counts whole calendar months from the start date plus the
  leftover days over 365, so a one-year policy is exactly 1.0 year in leap and common years
  (see :func:`policy_term_years`); earned exposure is ``exposure × term_years × earned share``;
* premium is **written** (保费收入) on the start date (the data model has no issue date); a
  policy that starts after ``as_of`` is not yet written and is left out;
* the unearned premium (未到期责任准备金, UPR) at a date ``t`` is ``premium × (days of cover
  after t) / n`` over the policies written by ``t``.

**Exposure bases** (风险单位). ``exposure_base="unit_years"`` (the default) counts
``exposure × term_years`` — member-years (人年), 亩年 — as above. ``exposure_base="units"`` counts
the policy's ``exposure`` column itself, earned pro rata by day **without** the term-years factor:
a policy for 3,000 orders (单) or 120 worker-days (人天) over its period earns
``units × earned days / n`` units, whatever the period's length. Exposure that is not spread
evenly over a period — orders, hours or days actually worked on a platform (平台作业记录) — is
read from an activity log by :func:`activity_exposure`, which sums the log's measures by group ×
calendar period.

Everything is vectorised: a policy is expanded into the few calendar periods its cover touches
(``np.repeat``), and the cells are summed with ``np.bincount``; no Python loop runs per policy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from puhui.errors import DataError, ParameterError, Problem

#: Calendar periods understood by :func:`earned`, as (months per period, pandas frequency).
PERIODS = {"year": (12, "Y"), "quarter": (3, "Q"), "month": (1, "M")}
OUTPUT_COLUMNS = ("written_premium", "earned_premium", "earned_exposure", "unearned_premium")
_NEEDED = ("start_date", "end_date", "premium", "exposure")
#: Exposure bases of :func:`earned` and :func:`earned_by_policy`.
EXPOSURE_BASES = ("unit_years", "units")


def _check_base(exposure_base: str) -> None:
    if exposure_base not in EXPOSURE_BASES:
        raise ParameterError(f"exposure_base must be one of {', '.join(EXPOSURE_BASES)}, got "
                             f"{exposure_base!r}")


def _lookup(func, values: np.ndarray) -> np.ndarray:
    """``func(values)`` through a table over ``min(values) … max(values)``: books span few
    distinct days or months, and numpy's calendar conversions are the slow part here."""
    values = np.asarray(values, np.int64)
    if values.size == 0:
        return func(values)
    lo, hi = int(values.min()), int(values.max())
    if hi - lo + 1 > max(4 * values.size, 1 << 16):
        return func(values)
    return func(np.arange(lo, hi + 1))[values - lo]


def _month_of_day(days: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of dates given as days since 1970-01-01."""
    return _lookup(lambda d: d.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64),
                   days)


def _first_day(months: np.ndarray) -> np.ndarray:
    """Day number (since 1970-01-01) of the first day of months given since 1970-01."""
    return _lookup(lambda m: m.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64),
                   months)


def _anniversary(start: np.ndarray, months: np.ndarray) -> np.ndarray:
    """``start + months`` calendar months (day numbers); a day missing in the target month rolls
    to the 1st of the next month (2024-02-29 + 12 months = 2025-03-01)."""
    m0 = _month_of_day(start)
    day = start - _first_day(m0)  # 0-based day of month
    first = _first_day(m0 + months)
    length = _first_day(m0 + months + 1) - first
    return first + np.minimum(day, length)


def _day_number(values) -> np.ndarray:
    return np.asarray(values, dtype="datetime64[D]").astype(np.int64)


def policy_term_years(start, end) -> np.ndarray:
    """Length of cover in years: whole calendar months / 12 + leftover days / 365.

    ``end`` is the last day of cover (inclusive). Months are counted from ``start`` to the day
    after ``end`` by anniversaries; when the start day does not exist in a month the anniversary
    is the first day of the next month, so 2024-02-29 … 2025-02-28 is exactly one year.

    Parameters
    ----------
    start, end : array-like of dates
        First and last day of cover.

    Returns
    -------
    ndarray of float
        Term in years (年): 1.0 for every annual policy, 0.5 for 2024-01-01 … 2024-06-30.

    Examples
    --------
    >>> policy_term_years(["2024-01-01", "2024-03-31"], ["2024-12-31", "2025-03-30"]).tolist()
    [1.0, 1.0]
    """
    s, after = _day_number(start), _day_number(end) + 1
    months = _month_of_day(after) - _month_of_day(s)
    months = np.where(_anniversary(s, months) > after, months - 1, months)
    return months / 12.0 + (after - _anniversary(s, months)) / 365.0


def _problems(mask: np.ndarray, column: str, rule: str, message: str, table: str = "policies"):
    rows = np.flatnonzero(mask)
    return [Problem(table, column, int(r) + 1, rule, message) for r in rows[:20]]


def _check_policies(policies: pd.DataFrame, by: tuple[str, ...]) -> None:
    if not isinstance(policies, pd.DataFrame):
        raise ParameterError(f"policies must be a pandas DataFrame, got {type(policies).__name__}")
    for col in (*_NEEDED, *by):
        if col not in policies.columns:
            raise ParameterError(f"policies has no column {col!r}, which earned() needs")
    problems = []
    for col in ("start_date", "end_date"):
        if not pd.api.types.is_datetime64_any_dtype(policies[col]):
            raise ParameterError(f"policies column {col!r} must hold datetime64 dates, got "
                                 f"{policies[col].dtype}; validate the table first")
        problems += _problems(policies[col].isna().to_numpy(), col, "missing_value",
                              "a date is needed to earn the premium")
    for col in ("premium", "exposure"):
        v = pd.to_numeric(policies[col], errors="coerce").to_numpy(float)
        problems += _problems(~np.isfinite(v), col, "not_a_number", "must be a finite number")
        problems += _problems(v < 0, col, "negative", "must not be negative")
    if not problems:
        bad = policies["end_date"].to_numpy() < policies["start_date"].to_numpy()
        problems += _problems(bad, "end_date", "end_before_start",
                              "last day of cover is before the first day")
    if problems:
        raise DataError(problems)


def _as_of_day(as_of) -> int | None:
    """Day number (since 1970-01-01) of ``as_of``, or None."""
    if as_of is None:
        return None
    try:
        stamp = pd.Timestamp(as_of)
    except (ValueError, TypeError) as exc:
        raise ParameterError(f"as_of must be a date, got {as_of!r}") from exc
    if pd.isna(stamp):
        raise ParameterError(f"as_of must be a date, got {as_of!r}")
    return int(np.datetime64(stamp.normalize().date(), "D").astype(np.int64))


def earned_by_policy(policies: pd.DataFrame, as_of=None,
                     exposure_base: str = "unit_years") -> pd.DataFrame:
    """Earned share, premium and exposure of each policy up to ``as_of`` (inclusive).

    ``earned_days = max(0, min(end, as_of) − start + 1)``, ``earned_share = earned_days / n``
    with ``n = end − start + 1``; earned premium (已赚保费) ``= premium × earned_share``;
    earned exposure ``= exposure × term_years × earned_share`` (e.g. member-years, 人年;
    ``exposure_base="unit_years"``) or ``= exposure × earned_share`` (orders, worker-days …;
    ``exposure_base="units"``);
    unearned premium (未到期责任准备金) ``= premium × (days after as_of) / n`` for policies
    written by ``as_of`` (start ≤ as_of), 0 for policies not yet written.

    Parameters
    ----------
    policies : DataFrame
        ``start_date``, ``end_date`` (inclusive), ``premium`` and ``exposure`` columns.
    as_of : date, optional
        Valuation date (评估日); ``None`` earns every policy to the end of its term.
    exposure_base : {"unit_years", "units"}
        Whether ``exposure`` is multiplied by the term in years (see the module docstring).

    Returns
    -------
    DataFrame
        Same index as ``policies``; columns ``term_days``, ``term_years``, ``earned_days``,
        ``earned_share``, ``written`` (bool), ``earned_premium``, ``earned_exposure``,
        ``unearned_premium``.

    Examples
    --------
    >>> p = pd.DataFrame({"start_date": pd.to_datetime(["2024-03-31"]),
    ...                   "end_date": pd.to_datetime(["2025-03-30"]),
    ...                   "premium": [365.0], "exposure": [1.0]})
    >>> earned_by_policy(p, as_of="2024-12-31")["earned_premium"].tolist()
    [276.0]
    """
    _check_base(exposure_base)
    _check_policies(policies, ())
    s, e = _day_number(policies["start_date"]), _day_number(policies["end_date"])
    n = e - s + 1
    a = _as_of_day(as_of)
    eff = e if a is None else np.minimum(e, a)
    days = np.maximum(eff - s + 1, 0)
    share = days / n
    premium = policies["premium"].to_numpy(float)
    years = policy_term_years(policies["start_date"], policies["end_date"])
    factor = years if exposure_base == "unit_years" else 1.0
    written = np.ones(len(s), bool) if a is None else s <= a
    after = np.zeros(len(s), np.int64) if a is None else np.maximum(e - a, 0)
    return pd.DataFrame({
        "term_days": n, "term_years": years, "earned_days": days, "earned_share": share,
        "written": written, "earned_premium": premium * share,
        "earned_exposure": policies["exposure"].to_numpy(float) * factor * share,
        "unearned_premium": np.where(written, premium * np.minimum(after, n) / n, 0.0),
    }, index=policies.index)


def _groups(policies: pd.DataFrame, by: tuple[str, ...]):
    """Group code of every row and the key frame of each code (sorted keys)."""
    if not by:
        return np.zeros(len(policies), np.int64), pd.DataFrame(index=range(1))
    grouped = policies.groupby(list(by), sort=True, dropna=False, observed=True)
    codes = grouped.ngroup().to_numpy(np.int64)
    keys = grouped.size().index.to_frame(index=False)
    return codes, keys


def earned(policies: pd.DataFrame, by: Sequence[str] | str = ("product",),
           period: str | None = "year", as_of=None,
           exposure_base: str = "unit_years") -> pd.DataFrame:
    """Written premium, earned premium, earned exposure and UPR by group and calendar period.

    For a policy with first day ``s``, last day ``e`` (inclusive), ``n = e − s + 1`` days of
    cover, premium ``P`` and ``u`` exposure units, and a calendar period ``[b, f]`` (inclusive):

    * earned days ``d = max(0, min(e, f, as_of) − max(s, b) + 1)``;
    * earned premium (已赚保费) ``P · d / n`` (pro rata temporis by day, the 1/365 method);
    * earned exposure ``u · T · d / n`` in exposure-unit-years (人年, 亩年 …), where ``T`` is
      the term in years from :func:`policy_term_years` (1.0 for an annual policy)
      (``exposure_base="unit_years"``), or ``u · d / n`` units (orders 单, worker-days 人天,
      hours 小时 …) with ``exposure_base="units"``;
    * written premium (保费收入) ``P`` in the period that contains ``s`` (policies starting after
      ``as_of`` are not written);
    * unearned premium (未到期责任准备金) at ``t = min(f, as_of)``:
      ``P · max(0, e − t) / n`` over policies written by ``t``.

    Over the periods of a group, ``Σ written − Σ earned = unearned premium`` at the last period,
    and for each period ``earned = written − (UPR_end − UPR_start)``: the income-statement
    identity 已赚保费 = 保费收入 − 提取未到期责任准备金 (gross of reinsurance).

    Parameters
    ----------
    policies : DataFrame
        Validated ``policies`` table: ``start_date``, ``end_date``, ``premium``, ``exposure``
        and the ``by`` columns.
    by : str or sequence of str
        Columns to group by, e.g. ``("product", "region", "segment")`` or ``("policy_year",)``
        (保单年度); ``()`` for one total.
    period : {"year", "quarter", "month"} or None
        Calendar period to split by; ``None`` gives one row per group with everything up to
        ``as_of`` (e.g. the earned premium of each policy year, 满期保费).
    as_of : date, optional
        Valuation date (inclusive: cover on ``as_of`` is earned). ``None`` earns every policy to
        the end of its term.
    exposure_base : {"unit_years", "units"}
        ``"unit_years"`` (default): exposure × term in years; ``"units"``: the exposure column
        as a count of units, earned pro rata by day without the term-years factor.

    Returns
    -------
    DataFrame
        Columns ``[*by, "period", "written_premium", "earned_premium", "earned_exposure",
        "unearned_premium"]`` (no ``period`` column when ``period=None``); ``period`` holds
        pandas ``Period`` values (``2024``, ``2024Q3``, ``2024-07``). One row per group ×
        period in which a policy of the group was in force; money in yuan.

    Raises
    ------
    ParameterError
        A needed column is missing, or ``period`` / ``as_of`` is invalid.
    DataError
        Missing dates, ``end_date`` before ``start_date``, negative or missing premium.

    Examples
    --------
    >>> p = pd.DataFrame({"product": ["A"], "start_date": pd.to_datetime(["2024-03-31"]),
    ...                   "end_date": pd.to_datetime(["2025-03-30"]),
    ...                   "premium": [365.0], "exposure": [1.0]})
    >>> earned(p)[["period", "earned_premium", "unearned_premium"]].to_numpy().tolist()
    [[Period('2024', 'Y-DEC'), 276.0, 89.0], [Period('2025', 'Y-DEC'), 89.0, 0.0]]
    """
    by = (by,) if isinstance(by, str) else tuple(by)
    if period is not None and period not in PERIODS:
        raise ParameterError(f"period must be one of {', '.join(PERIODS)} or None, got "
                             f"{period!r}")
    _check_base(exposure_base)
    _check_policies(policies, by)
    a = _as_of_day(as_of)
    s, e = _day_number(policies["start_date"]), _day_number(policies["end_date"])
    premium = policies["premium"].to_numpy(float)
    units = policies["exposure"].to_numpy(float)
    if exposure_base == "unit_years":
        units = units * policy_term_years(policies["start_date"], policies["end_date"])
    codes, keys = _groups(policies, by)
    if a is not None:  # policies written after as_of are not in the book yet
        keep = s <= a
        s, e, premium, units, codes = s[keep], e[keep], premium[keep], units[keep], codes[keep]
    n = e - s + 1
    eff = e if a is None else np.minimum(e, a)
    big = (int(e.max()) + 1 if len(e) else 0) if a is None else a

    if period is None:
        k = np.ones(len(s), np.int64)
        row, p = np.arange(len(s)), np.zeros(len(s), np.int64)
        lo, hi, t = s, eff, np.full(len(s), big)
        p_min, n_periods = 0, 1
    else:
        g = PERIODS[period][0]
        p_first = _month_of_day(s) // g
        p_last = _month_of_day(eff) // g
        k = p_last - p_first + 1
        row = np.repeat(np.arange(len(s)), k)
        p = p_first[row] + (np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k))
        b = _first_day(p * g)
        f = _first_day((p + 1) * g) - 1
        lo, hi = np.maximum(s[row], b), np.minimum(eff[row], f)
        t = f if a is None else np.minimum(f, a)
        p_min = int(p.min()) if len(p) else 0
        n_periods = int(p.max()) - p_min + 1 if len(p) else 1
    days = np.maximum(hi - lo + 1, 0)
    share = days / n[row]
    written = premium[row] * (p == p[np.repeat(np.cumsum(k) - k, k)])
    upr = premium[row] * np.maximum(e[row] - t, 0) / n[row]

    cell = codes[row] * n_periods + (p - p_min)
    size = len(keys) * n_periods
    sums = {name: np.bincount(cell, weights=w, minlength=size) for name, w in (
        ("written_premium", written), ("earned_premium", premium[row] * share),
        ("earned_exposure", units[row] * share), ("unearned_premium", upr))}
    present = np.bincount(cell, minlength=size) > 0
    out = keys.loc[np.repeat(np.arange(len(keys)), n_periods)[present]].reset_index(drop=True)
    if period is not None:
        ordinals = (np.tile(np.arange(n_periods), len(keys)) + p_min)[present]
        out["period"] = pd.PeriodIndex.from_ordinals(ordinals, freq=PERIODS[period][1])
    for name in OUTPUT_COLUMNS:
        out[name] = sums[name][present]
    return out


#: Columns :func:`activity_exposure` writes besides the measures.
ACTIVITY_COUNTS = ("worker_days", "workers")


def activity_exposure(log: pd.DataFrame, by: Sequence[str] | str = (), period: str | None = "month",
                      *, measures: Sequence[str] = ("orders", "hours"), date: str = "date",
                      worker: str | None = "worker") -> pd.DataFrame:
    """Exposure from a platform's activity log (平台作业记录): orders, hours, days worked.

    A log has one row per worker × day worked (``worker``, ``date``) with the day's activity in
    the ``measures`` columns (orders delivered 单量, hours online 在线时长 …). For a group ``g``
    (platform, city …) and a calendar period ``p``:

    * each measure ``m``: ``Σ_{rows of g dated in p} m`` (orders, hours);
    * ``worker_days``: the number of rows, i.e. insured worker-days (人天) when cover is bought
      by the day a worker is active;
    * ``workers``: the number of distinct workers active in the cell (needs ``worker``).

    Exposure counted this way is the exposure base of cover sold per order, per hour or per
    day worked: the expected claims of a cell are ``λ_m × Σ m`` with ``λ_m`` the claim rate per
    unit of the measure. Nothing is spread pro rata — a day's orders belong to that day.

    Parameters
    ----------
    log : DataFrame
        ``date`` (datetime64), the ``measures`` (finite, ≥ 0), optionally ``worker``, and the
        ``by`` columns.
    by : str or sequence of str
        Columns to group by (``("platform", "city")``); ``()`` for one total.
    period : {"year", "quarter", "month"} or None
        Calendar period; ``None`` sums over the whole log.
    measures : sequence of str
        Numeric activity columns to sum (may be empty: worker-days only).
    date, worker : str
        Names of the date and worker-id columns; ``worker=None`` when the log has no ids (then
        no ``workers`` column, and no check that a worker appears once a day).

    Returns
    -------
    DataFrame
        ``[*by, "period", *measures, "worker_days", "workers"]``, one row per group × period with
        activity, groups sorted, periods in order (``period`` holds pandas ``Period`` values).

    Raises
    ------
    ParameterError
        A column is missing, ``period`` is unknown, or ``log`` is not a DataFrame.
    DataError
        Missing dates, negative or non-finite activity, a worker twice on one day.

    Examples
    --------
    >>> log = pd.DataFrame({"worker": [1, 1, 2], "city": ["HZ", "HZ", "HZ"],
    ...     "date": pd.to_datetime(["2024-01-31", "2024-02-01", "2024-02-01"]),
    ...     "orders": [30, 25, 12], "hours": [9.0, 8.0, 4.5]})
    >>> activity_exposure(log, by="city").drop(columns="city").to_numpy().tolist()
    [[Period('2024-01', 'M'), 30.0, 9.0, 1, 1], [Period('2024-02', 'M'), 37.0, 12.5, 2, 2]]
    """
    if not isinstance(log, pd.DataFrame):
        raise ParameterError(f"log must be a pandas DataFrame, got {type(log).__name__}")
    by = (by,) if isinstance(by, str) else tuple(by)
    measures = (measures,) if isinstance(measures, str) else tuple(measures)
    if period is not None and period not in PERIODS:
        raise ParameterError(f"period must be one of {', '.join(PERIODS)} or None, got "
                             f"{period!r}")
    needed = (date, *measures, *by, *((worker,) if worker is not None else ()))
    for col in needed:
        if col not in log.columns:
            raise ParameterError(f"the activity log has no column {col!r}")
    if len(set(measures)) != len(measures) or set(measures) & set(ACTIVITY_COUNTS):
        raise ParameterError(f"measures must be distinct and not named {ACTIVITY_COUNTS}")
    if not pd.api.types.is_datetime64_any_dtype(log[date]):
        raise ParameterError(f"log column {date!r} must hold datetime64 dates, got "
                             f"{log[date].dtype}")
    problems = _problems(log[date].isna().to_numpy(), date, "missing_value",
                         "a date is needed to place the activity", "activity")
    values = {}
    for col in measures:
        v = pd.to_numeric(log[col], errors="coerce").to_numpy(float)
        problems += _problems(~np.isfinite(v), col, "not_a_number", "must be a finite number",
                              "activity")
        problems += _problems(v < 0, col, "negative", "must not be negative", "activity")
        values[col] = v
    if worker is not None and not problems:
        twice = log.duplicated([worker, date], keep="first").to_numpy()
        problems += _problems(twice, worker, "duplicate_worker_day",
                              "a worker appears twice on one day; sum the day first", "activity")
    if problems:
        raise DataError(problems)
    codes, keys = _groups(log, by)
    days = _day_number(log[date])
    if period is None:
        p, p_min, n_periods = np.zeros(len(log), np.int64), 0, 1
    else:
        p = _month_of_day(days) // PERIODS[period][0]
        p_min = int(p.min()) if len(p) else 0
        n_periods = int(p.max()) - p_min + 1 if len(p) else 1
    cell = codes * n_periods + (p - p_min)
    size = len(keys) * n_periods
    rows = np.bincount(cell, minlength=size)
    present = rows > 0
    out = keys.loc[np.repeat(np.arange(len(keys)), n_periods)[present]].reset_index(drop=True)
    if not by:
        out = out.drop(columns=list(out.columns))
    if period is not None:
        ordinals = (np.tile(np.arange(n_periods), len(keys)) + p_min)[present]
        out["period"] = pd.PeriodIndex.from_ordinals(ordinals, freq=PERIODS[period][1])
    for col in measures:
        out[col] = np.bincount(cell, weights=values[col], minlength=size)[present]
    out["worker_days"] = rows[present]
    if worker is not None:
        wcode = pd.factorize(log[worker])[0].astype(np.int64)
        pairs = np.unique(cell * (int(wcode.max()) + 1 if len(wcode) else 1) + wcode)
        distinct = np.bincount(pairs // (int(wcode.max()) + 1 if len(wcode) else 1),
                               minlength=size)
        out["workers"] = distinct[present]
    return out
