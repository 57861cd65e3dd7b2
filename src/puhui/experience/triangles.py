"""Claim development triangles (赔案进展三角形) from claim records, as ``chainladder.Triangle``.

:func:`development_cells` turns claim records into incremental cells (origin period ×
development period); :func:`triangle` hands them to ``chainladder.Triangle``. The date logic is
done here, in months, so that the grain of the triangle never depends on which periods happen to
hold data (chainladder infers grains from the dates it is given; this module pads and checks).

Development periods end on the valuation date
---------------------------------------------
Development periods are counted **back from** ``as_of``: the latest one ends at the end of the
month of ``as_of``, the one before a development grain earlier, and so on. With ``as_of`` at a
period end (2025-12-31 for an annual grain) the ages are the usual 12, 24, 36 months; with
``as_of`` = 2026-02-28 and annual development they are 2, 14, 26, 38 months, so every cell
still spans a whole development period and the chain-ladder factors compare like with like. (A
calendar grid would leave a two-month last diagonal next to twelve-month ones.) The age of a
cell is counted in months from the start of its origin period to the end of its development
period, chainladder's convention.

Money paid is money paid
------------------------
A paid triangle (已决) holds every payment dated on or before ``as_of``, whatever the claim's
report date says, so it needs no ``report_date``: payment records (one row per payment with an
origin date, ``payment_date`` and ``paid``) are enough. The report date is needed only where it
is used: incurred amounts and counts by report date (the claims reported by ``as_of``). A
payment dated before its claim's report date is inconsistent data: it stays in the triangle and
an :class:`InconsistentDatesWarning` names the rows, so that the report dates can be corrected.

Speed
-----
Claim ids are matched once (one hash pass over the ids of ``claims`` and ``payments``
together); everything after runs on integer positions. Dates become day and month numbers
(a month lookup table over the span of the days), and the sum of each cell is one
``np.bincount`` over integer cell codes.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from puhui.errors import DataError, ParameterError, Problem

#: Months in a period of each grain letter.
GRAIN_MONTHS = {"Y": 12, "Q": 3, "M": 1}
VALUES = ("paid", "incurred", "count")
_DEFAULT_DEVELOPMENT = {"paid": "payment_date", "incurred": "report_date", "count": "report_date"}
_NAT = np.iinfo(np.int64).min  # an empty date as a day number (numpy's NaT)
_SHOWN = 20  # rows named in an error or a warning


class ExcludedRecordsWarning(UserWarning):
    """Claims or payments after the valuation date were left out of a triangle."""


class InconsistentDatesWarning(UserWarning):
    """Payments dated before their claim's report date were kept in a triangle (data to check)."""


@dataclass(frozen=True)
class DevelopmentCells:
    """Incremental development cells built from claim records.

    Attributes
    ----------
    frame : DataFrame
        ``[*by, origin, development, age, *values]``: ``origin`` is the first day of the origin
        period, ``development`` the last day of the development period (month end), ``age`` the
        months from origin start to development end; values are incremental.
    origins : DataFrame
        ``[*by, origin]`` of every origin period that holds a claim known at ``as_of`` (reported
        by then, or paid by then), also those with no amount (e.g. only zero-payment claims).
    as_of : Timestamp
        Valuation date (评估日); records after it are excluded.
    grain : str
        ``"O?D?"`` grain, e.g. ``"OYDQ"``.
    excluded : dict
        Counts of records left out because they come after ``as_of``:
        ``claims_reported_after_as_of`` (for incurred values and counts by report date),
        ``payments_after_as_of`` and ``paid_after_as_of`` (yuan; for paid values).
    inconsistent : dict
        Records kept although their dates disagree: ``payments_before_report`` (payments dated
        on or before ``as_of`` but before their claim's report date) and ``paid_before_report``
        (their amount, yuan). Empty when there are none.
    problems : tuple of Problem
        The first of those records by table, column and row.
    """

    frame: pd.DataFrame
    origins: pd.DataFrame
    as_of: pd.Timestamp
    grain: str
    by: tuple[str, ...]
    values: tuple[str, ...]
    excluded: dict = field(default_factory=dict)
    inconsistent: dict = field(default_factory=dict)
    problems: tuple = ()

    def summary(self) -> pd.DataFrame:
        """Totals of each value by origin period; exclusion and inconsistency counts in ``attrs``."""
        out = self.frame.groupby([*self.by, "origin"], sort=True)[list(self.values)].sum()
        out.attrs["excluded"] = dict(self.excluded)
        out.attrs["inconsistent"] = dict(self.inconsistent)
        return out


def parse_grain(grain: str) -> tuple[int, int]:
    """Months per origin and per development period of a chainladder grain such as ``"OYDQ"``.

    Origin and development grains are Y (year), Q (quarter) or M (month); the development
    period must not be longer than the origin period.

    Examples
    --------
    >>> parse_grain("OYDQ")
    (12, 3)
    """
    m = re.fullmatch(r"O([YQM])D([YQM])", str(grain).upper())
    if m is None:
        raise ParameterError(f"grain must look like 'OYDY', 'OYDQ', 'OQDQ', 'OQDM', 'OMDM' … "
                             f"(O = origin, D = development; Y/Q/M), got {grain!r}")
    og, dg = GRAIN_MONTHS[m.group(1)], GRAIN_MONTHS[m.group(2)]
    if dg > og:
        raise ParameterError(f"grain {grain!r}: the development period cannot be longer than "
                             "the origin period")
    return og, dg


def _months(values) -> np.ndarray:
    """Months since 1970-01 of datetime values (NaT → a large negative sentinel)."""
    v = pd.to_datetime(pd.Series(values)).to_numpy("datetime64[M]")
    out = v.astype(np.int64)
    out[np.isnat(v)] = np.iinfo(np.int64).min // 2
    return out


def _days(values: pd.Series, table: str, column: str) -> np.ndarray:
    """Day numbers (days since 1970-01-01) of a date column; ``_NAT`` where it is empty."""
    if not pd.api.types.is_datetime64_any_dtype(values.dtype):
        raise ParameterError(f"{table} column {column!r} must hold dates, got {values.dtype}")
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)  # the local calendar day
    return np.asarray(values.to_numpy()).astype("datetime64[D]").view(np.int64)


def _months_of_days(days: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of day numbers (none empty), through a table over their span."""
    days = np.asarray(days, dtype=np.int64)
    if days.size == 0:
        return days.copy()
    lo, hi = int(days.min()), int(days.max())
    if hi - lo > 200_000:  # dates more than ~550 years apart: no table
        return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    table = np.arange(lo, hi + 1).astype("datetime64[D]").astype("datetime64[M]")
    return table.astype(np.int64)[days - lo]


def _months_or_nat(days: np.ndarray, step: int = 1) -> np.ndarray:
    """First month of the ``step``-month period of each day number; ``_NAT`` stays ``_NAT``."""
    empty = days == _NAT
    if not empty.any():
        out = _months_of_days(days)
        if step != 1:
            out //= step
            out *= step
        return out
    out = np.full(days.shape, _NAT)
    out[~empty] = (_months_of_days(days[~empty]) // step) * step
    return out


def _month_stamp(months: np.ndarray, end: bool) -> pd.DatetimeIndex:
    """First (``end=False``) or last day of months given as months since 1970-01."""
    m = np.asarray(months, np.int64) + (1 if end else 0)
    days = m.astype("datetime64[M]").astype("datetime64[D]")
    if end:
        days = days - np.timedelta64(1, "D")
    return pd.DatetimeIndex(days.astype("datetime64[ns]"))


def _need(df: pd.DataFrame, cols, table: str, purpose: str) -> None:
    for c in cols:
        if c not in df.columns:
            raise ParameterError(f"{table} has no column {c!r}, which {purpose} needs")


def _problems(table: str, column: str, rows: np.ndarray, rule: str, message: str,
              values=None) -> list[Problem]:
    """Problems for the first rows (0-based positions) of a table, numbered from 1."""
    rows = np.asarray(rows)[:_SHOWN]
    return [Problem(table, column, int(r) + 1, rule, message,
                    None if values is None else values.iloc[int(r)]) for r in rows]


def _columns(claims: pd.DataFrame, cols: Sequence[str],
             policies: pd.DataFrame | None) -> dict[str, pd.Series]:
    """The columns ``cols`` of claims, taken from ``policies`` (on policy_id) where claims lacks them."""
    wanted = list(dict.fromkeys(cols))
    out = {c: claims[c] for c in wanted if c in claims.columns}
    missing = [c for c in wanted if c not in claims.columns]
    if not missing:
        return out
    if policies is None:
        raise ParameterError(f"claims has no column {missing[0]!r}; pass policies= to take it "
                             "from the policies table (joined on policy_id)")
    _need(policies, ("policy_id", *missing), "policies", "the origin/by columns")
    _need(claims, ("policy_id",), "claims", "the join with policies")
    if policies["policy_id"].duplicated().any():
        raise ParameterError("policies.policy_id is not unique; cannot join claims to policies")
    lookup = policies.set_index("policy_id")[missing]
    pos = lookup.index.get_indexer(claims["policy_id"])
    if (pos < 0).any():
        raise DataError(_problems("claims", "policy_id", np.flatnonzero(pos < 0), "unknown_policy",
                                  "policy_id not found in policies", claims["policy_id"]))
    for c in missing:
        out[c] = pd.Series(lookup[c].to_numpy()[pos], name=c)
    return out


def _origin_months(values: pd.Series, og: int, column: str) -> np.ndarray:
    """First month of the origin period of each claim (``_NAT`` where the date is empty)."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return _months_or_nat(_days(values, "claims", column), og)
    if pd.api.types.is_integer_dtype(values.dtype):  # a year label such as policy_year (保单年度)
        if og != 12:
            raise ParameterError(f"origin column {column!r} holds years; use an annual origin "
                                 "grain ('OY…')")
        return (values.to_numpy(np.int64) - 1970) * 12
    raise ParameterError(f"origin column {column!r} must hold dates or integer years, got "
                         f"{values.dtype}")


def _default_as_of(claims: pd.DataFrame, payments: pd.DataFrame | None) -> pd.Timestamp:
    dates = [claims[c] for c in ("report_date", "payment_date") if c in claims.columns]
    if payments is not None and "payment_date" in payments.columns:
        dates.append(payments["payment_date"])
    latest = max((d.max() for d in dates if d.notna().any()), default=pd.NaT)
    if pd.isna(latest):
        raise ParameterError("as_of is needed: claims have no report or payment dates")
    return pd.Timestamp(latest)


def _id_codes(first: pd.Series, second: pd.Series) -> np.ndarray:
    """Codes of the ids of two columns in one numbering, first seen first; −1 where empty.

    String ids are hashed by pyarrow (contiguous UTF-8 buffers, about a third faster than
    hashing Python strings); anything else by ``pandas.factorize``. Both number the distinct
    ids in order of first appearance, so the codes are the same.
    """
    def text(col: pd.Series) -> bool:
        return col.dtype == object or isinstance(col.dtype, pd.StringDtype)

    if text(first) and text(second):
        import pyarrow as pa

        try:
            chunks = [pa.array(np.asarray(col, dtype=object), type=pa.large_string(),
                               from_pandas=True) for col in (first, second)]
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # not all strings: pandas below
            pass
        else:
            encoded = pa.chunked_array(chunks).dictionary_encode()
            return np.concatenate([c.indices.fill_null(-1).to_numpy().astype(np.int64)
                                   for c in encoded.chunks] or [np.zeros(0, np.int64)])
    codes, _ = pd.factorize(pd.concat([first, second], ignore_index=True))
    return codes.astype(np.int64, copy=False)


def _claim_positions(claims: pd.DataFrame, payments: pd.DataFrame) -> np.ndarray:
    """Row of ``claims`` of each payment. The ids of both tables are hashed once, together."""
    _need(claims, ("claim_id",), "claims", "the join with payments")
    n = len(claims)
    codes = _id_codes(claims["claim_id"], payments["claim_id"])
    own, pos = codes[:n], codes[n:]
    # With unique, non-empty claim ids the codes of claims are 0 … n-1 in order (first seen).
    if not np.array_equal(own, np.arange(n)):
        empty = own < 0
        repeated = pd.Series(own).duplicated().to_numpy() & ~empty
        raise DataError(
            _problems("claims", "claim_id", np.flatnonzero(empty), "missing_value",
                      "claim_id is empty")
            + _problems("claims", "claim_id", np.flatnonzero(repeated), "duplicate_key",
                        "claim_id repeats an earlier claim, so payments cannot be matched",
                        claims["claim_id"]))
    unknown = (pos < 0) | (pos >= n)
    if unknown.any():
        raise DataError(_problems("payments", "claim_id", np.flatnonzero(unknown),
                                  "unknown_claim", "claim_id not found in claims",
                                  payments["claim_id"]))
    return pos


@dataclass
class _Payments:
    """Payment records: one per row of ``table`` (payments, or claims without payments)."""

    table: str
    claim: np.ndarray  # row of claims of each record
    days: np.ndarray  # payment date as a day number (``_NAT``: none)
    amount: np.ndarray | None  # yuan, None where not needed
    months: np.ndarray | None = None  # month of the payment date (``_NAT``: none)


def _load_payments(claims: pd.DataFrame, payments: pd.DataFrame | None,
                   need_amount: bool) -> _Payments:
    if payments is not None:
        cols = ("claim_id", "payment_date", "amount") if need_amount else ("claim_id",
                                                                             "payment_date")
        _need(payments, cols, "payments", "a triangle by payment date")
        claim = _claim_positions(claims, payments)
        days = _days(payments["payment_date"], "payments", "payment_date")
        if (days == _NAT).any():
            raise DataError(_problems("payments", "payment_date", np.flatnonzero(days == _NAT),
                                      "missing_value", "a payment without a payment date"))
        amount = payments["amount"].to_numpy(float) if need_amount else None
        if amount is not None and np.isnan(amount).any():
            raise DataError(_problems("payments", "amount", np.flatnonzero(np.isnan(amount)),
                                      "missing_value", "a payment without an amount"))
        return _Payments("payments", claim, days, amount)
    _need(claims, ("paid", "payment_date") if need_amount else ("payment_date",), "claims",
          "a triangle by payment date without payments")
    days = _days(claims["payment_date"], "claims", "payment_date")
    amount = None
    if need_amount:
        amount = claims["paid"].to_numpy(float)
        if np.isnan(amount).any():
            raise DataError(_problems("claims", "paid", np.flatnonzero(np.isnan(amount)),
                                      "missing_value", "paid is empty"))
        undated = (amount != 0) & (days == _NAT)
        if undated.any():
            raise DataError(_problems("claims", "payment_date", np.flatnonzero(undated),
                                      "missing_value", "a payment without a payment date"))
    return _Payments("claims", np.arange(len(claims)), days, amount)


def _check_against_report(pay: _Payments, report: np.ndarray | None, asof: int,
                          inconsistent: dict, problems: list) -> None:
    """Count and name the payments up to ``as_of`` dated before their claim's report date."""
    if report is None:
        return
    r = report[pay.claim]
    early = (pay.days != _NAT) & (pay.days <= asof) & (r != _NAT) & (pay.days < r)
    if not early.any():
        return
    rows = np.flatnonzero(early)
    inconsistent["payments_before_report"] = int(rows.size)
    if pay.amount is not None:
        inconsistent["paid_before_report"] = float(pay.amount[rows].sum())
    for i in rows[:_SHOWN]:
        problems.append(Problem(
            pay.table, "payment_date", int(i) + 1, "payment_before_report",
            f"paid on {np.datetime64(int(pay.days[i]), 'D')}, before the claim's report date "
            f"{np.datetime64(int(r[i]), 'D')}"))


def _groups(cols: dict[str, pd.Series], by: Sequence[str], n: int):
    """Group number of each claim (sorted by the ``by`` values) and the values of each group."""
    if not by:
        return np.zeros(n, np.int64), pd.DataFrame(index=pd.RangeIndex(1))
    code = np.zeros(n, np.int64)
    for c in by:
        k, u = pd.factorize(cols[c], sort=True)
        code, _ = pd.factorize(code * len(u) + k, sort=True)  # lexicographic order kept
    _, first = np.unique(code, return_index=True)
    keys = pd.DataFrame({c: cols[c].iloc[first].to_numpy() for c in by})
    return code.astype(np.int64), keys


def _present(codes: Sequence[np.ndarray], size: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """Sorted distinct codes in ``[0, size)`` and each array's codes as positions among them."""
    total = sum(c.size for c in codes)
    if size <= max(1 << 22, 4 * total):  # a dense table of flags
        seen = np.zeros(size, bool)
        for c in codes:
            seen[c] = True
        cells = np.flatnonzero(seen)
        where = np.zeros(size, np.int64)
        where[cells] = np.arange(cells.size)
        return cells, [where[c] for c in codes]
    cells, inverse = np.unique(np.concatenate(codes), return_inverse=True)
    bounds = np.cumsum([0, *(c.size for c in codes)])
    return cells, [inverse[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _build(claims: pd.DataFrame, origin: str, development: str | None, value, grain: str,
           as_of, payments: pd.DataFrame | None, policies: pd.DataFrame | None,
           by) -> DevelopmentCells:
    """Incremental cells; warns (at the caller's caller) about kept inconsistent payments."""
    if not isinstance(claims, pd.DataFrame):
        raise ParameterError(f"claims must be a DataFrame, got {type(claims).__name__}")
    if payments is not None and not isinstance(payments, pd.DataFrame):
        raise ParameterError(f"payments must be a DataFrame, got {type(payments).__name__}")
    values = (value,) if isinstance(value, str) else tuple(dict.fromkeys(value))
    if not values or any(v not in VALUES for v in values):
        raise ParameterError(f"value must be one of {', '.join(VALUES)} (or a list of them), "
                             f"got {value!r}")
    by = () if by is None else ((by,) if isinstance(by, str) else tuple(by))
    og, dg = parse_grain(grain)
    devs = {v: development or _DEFAULT_DEVELOPMENT[v] for v in values}
    if "paid" in values and devs["paid"] != "payment_date":
        raise ParameterError("a paid triangle develops by payment date: use "
                             "development='payment_date'")
    by_payment = [v for v in values if v != "incurred" and devs[v] == "payment_date"]
    by_report = [v for v in values if v not in by_payment]  # the claims reported by as_of
    if by_report:
        _need(claims, ("report_date",), "claims",
              f"a {by_report[0]} triangle (of the claims reported by as_of)")
    as_of = _default_as_of(claims, payments) if as_of is None else pd.Timestamp(as_of)
    if pd.isna(as_of):
        raise ParameterError("as_of must be a date")
    as_of = as_of.normalize()
    asof = int(np.datetime64(as_of.date(), "D").astype(np.int64))
    a_month = int(_months_of_days(np.array([asof]))[0])
    cols = _columns(claims, (origin, *by), policies)
    for c in by:
        if cols[c].isna().any():
            raise ParameterError(f"by column {c!r} has empty values in "
                                 f"{int(cols[c].isna().sum())} claim(s)")
    n = len(claims)
    o_month = _origin_months(cols[origin], og, origin)
    report = (_days(claims["report_date"], "claims", "report_date")
              if "report_date" in claims.columns else None)
    known = np.zeros(n, bool)  # claims known at as_of: they give their origin a row
    excluded: dict = {}
    inconsistent: dict = {}
    problems: list[Problem] = []
    if report is not None:
        reported = (report != _NAT) & (report <= asof)
        known |= reported
    if by_report:
        excluded["claims_reported_after_as_of"] = int(n - reported.sum())
    pay = None
    if by_payment:
        pay = _load_payments(claims, payments, "paid" in by_payment)
        pay.months = _months_or_nat(pay.days)
        before = (pay.days <= asof) & (pay.months < o_month[pay.claim])
        before &= pay.days != _NAT
        if before.any():
            raise DataError(_problems(pay.table, "payment_date", np.flatnonzero(before),
                                      "development_before_origin",
                                      f"a payment before the start of the {origin} period"))
        _check_against_report(pay, report, asof, inconsistent, problems)

    parts = []  # (value, claim rows, development months, amounts or None)
    for v in values:
        dev = devs[v]
        if v == "paid":
            rec = np.flatnonzero(pay.amount != 0) if pay.table == "claims" else None
            if rec is not None and rec.size == pay.amount.size:  # every row is a payment
                rec = None
            days = pay.days if rec is None else pay.days[rec]
            amount = pay.amount if rec is None else pay.amount[rec]
            late = days > asof
            excluded["payments_after_as_of"] = int(late.sum())
            excluded["paid_after_as_of"] = float(amount[late].sum())
            if late.any():
                keep = np.flatnonzero(~late)
                rec = keep if rec is None else rec[keep]
                amount = amount[keep]
            if rec is None:  # every payment is in
                parts.append((v, pay.claim, pay.months, amount))
            else:
                parts.append((v, pay.claim[rec], pay.months[rec], amount))
        elif v == "count" and dev == "payment_date":  # claims counted at their first payment
            if pay.table == "payments":
                first = np.full(n, np.iinfo(np.int64).max)
                np.minimum.at(first, pay.claim, pay.days)
            else:
                first = np.where(pay.days == _NAT, np.iinfo(np.int64).max, pay.days)
            claim = np.flatnonzero(first <= asof)
            parts.append((v, claim, _months_of_days(first[claim]), None))
        else:
            _need(claims, (dev,), "claims", f"a {v} triangle")
            days = _days(claims[dev], "claims", dev)
            amount = None
            if v == "incurred":
                _need(claims, ("paid", "case_reserve"), "claims", "an incurred triangle")
                amount = claims["paid"].to_numpy(float) + claims["case_reserve"].to_numpy(float)
                if np.isnan(amount).any():
                    raise DataError(_problems("claims", "paid", np.flatnonzero(np.isnan(amount)),
                                              "missing_value", "paid or case_reserve is empty"))
                undated = reported & (days == _NAT) & (amount != 0)
                if undated.any():
                    raise DataError(_problems("claims", dev, np.flatnonzero(undated),
                                              "missing_value",
                                              "an incurred amount without a development date"))
                if "payment_date" in claims.columns:
                    pd_days = _days(claims["payment_date"], "claims", "payment_date")
                    later = int((reported & (pd_days != _NAT) & (pd_days > asof)).sum())
                    if later:
                        warnings.warn(
                            f"{later} claim(s) have payments after as_of {as_of.date()}: an "
                            "incurred triangle uses paid + case reserve as held in claims (its "
                            "own valuation), not as at as_of", UserWarning, stacklevel=3)
            claim = np.flatnonzero(reported & (days != _NAT) & (days <= asof))
            months = _months_of_days(days[claim])
            before = months < o_month[claim]
            if before.any():
                raise DataError(_problems("claims", dev, claim[before],
                                          "development_before_origin",
                                          f"{dev} falls before the start of the {origin} period"))
            parts.append((v, claim, months, None if amount is None else amount[claim]))
        known[parts[-1][1]] = True

    empty_origin = known & (o_month == _NAT)
    if empty_origin.any():
        raise DataError(_problems("claims", origin, np.flatnonzero(empty_origin), "missing_value",
                                  "origin date is empty"))
    group, keys = _groups(cols, by, n)
    frame_cols = {c: [] for c in by}
    frame = pd.DataFrame({**frame_cols, "origin": pd.DatetimeIndex([]),
                          "development": pd.DatetimeIndex([]), "age": np.zeros(0, np.int64),
                          **{v: np.zeros(0) for v in values}})
    origins = pd.DataFrame({**frame_cols, "origin": pd.DatetimeIndex([])})
    if known.any():
        o_known = o_month[known]
        o_lo, o_hi = int(o_known.min()), int(o_known.max())
        n_o = (o_hi - o_lo) // og + 1
        n_g = len(keys)
        # origin rows: distinct (group, origin period) of the known claims
        orow, _ = _present([group[known] * n_o + (o_known - o_lo) // og], n_g * n_o)
        origins = keys.iloc[orow // n_o].reset_index(drop=True)
        origins["origin"] = _month_stamp(o_lo + (orow % n_o) * og, end=False)
        # cells: distinct (group, origin period, development period); development periods end
        # at as_of's month and step back by the grain
        ends, codes = [], []
        for _v, claim, months, _amount in parts:
            end = a_month - months  # months before as_of's month …
            end //= dg  # … in whole development periods back from as_of
            ends.append(end)
            code = o_month[claim]
            code -= o_lo
            code //= og
            if by:
                code += group[claim] * n_o
            codes.append(code)
        n_e = max((int(e.max()) for e in ends if e.size), default=0) + 1
        for code, back in zip(codes, ends, strict=True):
            code *= n_e
            code += n_e - 1 - back  # the latest development period last
        cells, where = _present(codes, n_g * n_o * n_e)
        go, e_i = np.divmod(cells, n_e)
        g_i, o_i = np.divmod(go, n_o)
        origin_m, dev_m = o_lo + o_i * og, a_month - (n_e - 1 - e_i) * dg
        frame = keys.iloc[g_i].reset_index(drop=True)
        frame["origin"] = _month_stamp(origin_m, end=False)
        frame["development"] = _month_stamp(dev_m, end=True)
        frame["age"] = (dev_m - origin_m + 1).astype(np.int64)
        for (v, _claim, _months, amount), w in zip(parts, where, strict=True):
            frame[v] = np.bincount(w, weights=amount, minlength=cells.size).astype(float)

    if problems:
        total = inconsistent.get("paid_before_report")
        money = "" if total is None else f" ({total:,.2f} yuan)"
        warnings.warn(InconsistentDatesWarning(
            f"{inconsistent['payments_before_report']} payment(s){money} are dated before their "
            "claim's report date; they are kept in the triangle (money paid is money paid), but "
            "the report dates look wrong:\n  " + "\n  ".join(str(p) for p in problems[:5])
            + ("" if inconsistent["payments_before_report"] <= 5 else
               f"\n  … and {inconsistent['payments_before_report'] - 5} more (the first "
               f"{_SHOWN} in development_cells(...).problems)")), stacklevel=3)
    return DevelopmentCells(frame, origins, as_of, grain.upper(), by, values, excluded,
                            inconsistent, tuple(problems))


def development_cells(claims: pd.DataFrame, *, origin: str = "accident_date",
                      development: str | None = None, value: str | Sequence[str] = "paid",
                      grain: str = "OYDY", as_of=None, payments: pd.DataFrame | None = None,
                      policies: pd.DataFrame | None = None,
                      by: Sequence[str] | str | None = None) -> DevelopmentCells:
    """Incremental development cells of claim records (see :func:`triangle` for arguments).

    Records after ``as_of`` are counted in ``.excluded`` (no warning here; :func:`triangle`
    warns); payments dated before their claim's report date are kept, counted in
    ``.inconsistent``, named in ``.problems`` and announced by an
    :class:`InconsistentDatesWarning`.
    """
    return _build(claims, origin, development, value, grain, as_of, payments, policies, by)


def _state_exclusions(excluded: dict, as_of) -> None:
    parts = []
    if excluded.get("claims_reported_after_as_of"):
        parts.append(f"{excluded['claims_reported_after_as_of']} claim(s) reported after as_of")
    if excluded.get("payments_after_as_of"):
        parts.append(f"{excluded['payments_after_as_of']} payment(s) dated after as_of "
                     f"({excluded['paid_after_as_of']:,.2f} yuan)")
    if parts:
        warnings.warn(f"triangle at as_of {pd.Timestamp(as_of).date()} excludes "
                      + "; ".join(parts), ExcludedRecordsWarning, stacklevel=3)


def triangle(claims: pd.DataFrame, origin: str = "accident_date", development: str | None = None,
             value: str | Sequence[str] = "paid", grain: str = "OYDY", as_of=None,
             payments: pd.DataFrame | None = None, by: Sequence[str] | str | None = None,
             cumulative: bool = True, policies: pd.DataFrame | None = None,
             origin_span=None):
    """Build a ``chainladder.Triangle`` from claim records.

    Each record is placed in an origin period (出险/报案/保单年度 …) and a development period;
    the cell value is the sum over its records. Development periods end on the month of
    ``as_of`` and step back by the development grain (see the module notes), so the age of a
    cell is ``months(development end) − months(origin start) + 1``.

    Values:

    * ``"paid"`` (已决赔款): each payment at its payment date — from ``payments`` (one row per
      payment: instalments, reopened claims) or, without it, each row's ``paid`` at its
      ``payment_date`` (a claims table, or payment records with one row per payment). Every
      payment dated up to ``as_of`` is in, whatever the report date: a paid triangle needs no
      ``report_date`` column;
    * ``"incurred"`` (已发生 = paid + case reserve): the claim's incurred amount as held in
      ``claims`` placed at its ``report_date``. ``claims`` is one valuation, so this measures
      late reporting (pure IBNR, 未报案) only; the development of case estimates on reported
      claims (IBNER) needs a history of valuations that the data model does not hold;
    * ``"count"`` (件数): each claim counted once at its development date (report date by
      default; with ``development="payment_date"``, at its first payment in ``payments``, or
      at ``claims.payment_date`` without it; unpaid claims are then not counted). Claims
      closed without payment count by report date but add nothing to amounts.

    ``report_date`` is needed only by incurred values and counts by report date, which hold
    the claims reported by ``as_of``. Claims reported after ``as_of`` (for those values) and
    payments dated after it are excluded and counted in an :class:`ExcludedRecordsWarning`
    (never silently). A payment dated up to ``as_of`` but before its claim's report date stays
    in the triangle, and an :class:`InconsistentDatesWarning` names its row.

    Parameters
    ----------
    claims : DataFrame
        Validated ``claims`` table, or payment records (one row per payment) for a paid
        triangle.
    origin : str
        Column giving the origin: a date column (``accident_date``, ``report_date``, a policy
        ``start_date`` …) or an integer year column (``policy_year``, 保单年度). A column not in
        ``claims`` is taken from ``policies`` through ``policy_id``.
    development : str, optional
        Date column the value develops by; default ``payment_date`` for paid, ``report_date``
        for incurred and count.
    value : {"paid", "incurred", "count"} or list of them
        Triangle column(s).
    grain : str
        chainladder grain ``"O?D?"`` with Y, Q or M, e.g. ``"OYDY"``, ``"OYDQ"``, ``"OQDQ"``.
    as_of : date, optional
        Valuation date (评估日); default the latest report or payment date in the data.
    payments : DataFrame, optional
        ``payments`` table (claim_id, payment_date, amount) for paid triangles.
    by : str or list of str, optional
        Columns for the triangle index (benefit line, segment …), from claims or policies.
    cumulative : bool
        Return a cumulative triangle (default) or the incremental one.
    policies : DataFrame, optional
        ``policies`` table, to take ``origin`` / ``by`` columns claims lack.
    origin_span : (date, date), optional
        First and last origin dates the triangle must cover even where they hold no claim
        (rows of zeros), e.g. the policy years of a book whose first or latest years have no
        claim reported yet; the span is widened, never narrowed, by the claims' origins. The
        last date must not be after ``as_of``.

    Returns
    -------
    chainladder.Triangle
        Origins from the first to the last origin period holding a claim known at ``as_of``
        (reported, or paid, by then), widened to ``origin_span``; development ages in months.
        chainladder shows zero cells as NaN.

    Examples
    --------
    >>> claims = pd.DataFrame({
    ...     "claim_id": ["c1", "c2"], "accident_date": pd.to_datetime(["2023-05-01", "2024-02-01"]),
    ...     "report_date": pd.to_datetime(["2023-06-01", "2024-03-01"]),
    ...     "payment_date": pd.to_datetime(["2024-01-15", "2024-04-01"]),
    ...     "paid": [100.0, 50.0], "case_reserve": [0.0, 0.0]})
    >>> triangle(claims, as_of="2024-12-31").to_frame().fillna(0).to_numpy().tolist()
    [[0.0, 100.0], [50.0, 0.0]]

    Payment records need no report date:

    >>> records = pd.DataFrame({
    ...     "accident_date": pd.to_datetime(["2023-05-01", "2023-05-01", "2024-02-01"]),
    ...     "payment_date": pd.to_datetime(["2023-07-01", "2024-01-15", "2024-04-01"]),
    ...     "paid": [30.0, 70.0, 50.0]})
    >>> triangle(records, as_of="2024-12-31").to_frame().fillna(0).to_numpy().tolist()
    [[30.0, 100.0], [50.0, 0.0]]
    """
    import chainladder as cl

    cells = _build(claims, origin, development, value, grain, as_of, payments, policies, by)
    _state_exclusions(cells.excluded, cells.as_of)
    og, dg = parse_grain(cells.grain)
    by, values = cells.by, list(cells.values)
    origin_m = _months(cells.origins["origin"])
    if len(origin_m) == 0:
        raise ParameterError("no claim is reported or paid by as_of: the triangle would be "
                             "empty")
    o_lo, o_hi = int(origin_m.min()), int(origin_m.max())
    if origin_span is not None:
        o_lo, o_hi = _widen(origin_span, og, o_lo, o_hi)
    a_month = int(_months([cells.as_of])[0])
    if o_hi > a_month:
        raise ParameterError(f"an origin period starts after as_of {cells.as_of.date()}")
    first_age = (a_month - o_hi) % dg + 1
    ages = np.arange(first_age, a_month - o_lo + 2, dg)
    # Zero rows so that chainladder sees every origin, the whole latest diagonal (valuation =
    # as_of), and one extra origin period with two consecutive development periods: its
    # grain inference then cannot mistake a quarter for a year. The extra origin is dropped.
    key = {c: cells.frame[c].iloc[0] if len(cells.frame) else cells.origins[c].iloc[0]
           for c in by}
    real = np.arange(o_lo, o_hi + 1, og)
    extra = o_lo - og
    pad = pd.DataFrame({
        "origin": _month_stamp(np.r_[real, extra, extra], False),
        "development": _month_stamp(np.r_[np.full(len(real), a_month),
                                          extra + first_age - 1 + np.array([0, dg])], True)})
    for c in by:
        pad[c] = key[c]
    for v in values:
        pad[v] = 0.0
    long = pd.concat([pad, cells.frame.drop(columns="age")], ignore_index=True)
    tri = cl.Triangle(long, origin="origin", development="development", columns=values,
                      index=list(by) or None, cumulative=False)
    # keep the real origins and the ages of the real grid
    origin_start = tri.origin.to_timestamp(how="s")
    keep_o = np.flatnonzero((origin_start >= _month_stamp([o_lo], False)[0])
                            & (origin_start <= _month_stamp([o_hi], False)[0]))
    dev = np.asarray(tri.development, dtype=np.int64)
    keep_d = np.flatnonzero(np.isin(dev, ages))
    tri = tri.iloc[:, :, keep_o[0]:keep_o[-1] + 1, keep_d[0]:keep_d[-1] + 1]
    _check_built(tri, og, dg, ages, o_lo, o_hi, a_month)
    return tri.incr_to_cum() if cumulative else tri


def _widen(span, og: int, o_lo: int, o_hi: int) -> tuple[int, int]:
    """The origin months ``[o_lo, o_hi]`` widened to the origin periods of the two dates of
    ``span`` (months since 1970-01, on the origin grain)."""
    try:
        first, last = (pd.Timestamp(d) for d in span)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"origin_span must be two dates (first, last), got {span!r}"
                             ) from exc
    if pd.isna(first) or pd.isna(last) or first > last:
        raise ParameterError(f"origin_span must be two dates with first ≤ last, got {span!r}")
    lo, hi = (int(m) // og * og for m in _months([first, last]))
    return min(o_lo, lo), max(o_hi, hi)


def _check_built(tri, og, dg, ages, o_lo, o_hi, a_month) -> None:
    """Guard against chainladder inferring another grain or grid than the one asked for."""
    letter = {12: "Y", 3: "Q", 1: "M"}
    problems = []
    if tri.origin_grain[0] != letter[og]:
        problems.append(f"origin grain {tri.origin_grain} instead of {letter[og]}")
    if tri.development_grain[0] != letter[dg]:
        problems.append(f"development grain {tri.development_grain} instead of {letter[dg]}")
    if list(np.asarray(tri.development, dtype=np.int64)) != list(ages):
        problems.append(f"development ages {list(tri.development)} instead of {list(ages)}")
    if len(tri.origin) != (o_hi - o_lo) // og + 1:
        problems.append(f"{len(tri.origin)} origin periods instead of {(o_hi - o_lo) // og + 1}")
    if problems:  # pragma: no cover - a guard on chainladder's date inference
        raise RuntimeError("chainladder built a different triangle than intended: "
                           + "; ".join(problems))
