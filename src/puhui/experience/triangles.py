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


class ExcludedRecordsWarning(UserWarning):
    """Claims or payments after the valuation date were left out of a triangle."""


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
        ``[*by, origin]`` of every origin period that holds a claim (also those with no amount,
        e.g. only zero-payment claims).
    as_of : Timestamp
        Valuation date (评估日); records after it are excluded.
    grain : str
        ``"O?D?"`` grain, e.g. ``"OYDQ"``.
    excluded : dict
        Counts of records left out because they come after ``as_of``:
        ``claims_reported_after_as_of``, ``payments_after_as_of``, ``paid_after_as_of`` (yuan).
    """

    frame: pd.DataFrame
    origins: pd.DataFrame
    as_of: pd.Timestamp
    grain: str
    by: tuple[str, ...]
    values: tuple[str, ...]
    excluded: dict = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Totals of each value by origin period, and the exclusion counts in ``attrs``."""
        out = self.frame.groupby([*self.by, "origin"], sort=True)[list(self.values)].sum()
        out.attrs["excluded"] = dict(self.excluded)
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


def _attach(claims: pd.DataFrame, cols: Sequence[str], policies: pd.DataFrame | None):
    """``claims`` with the columns in ``cols`` taken from ``policies`` where claims lacks them."""
    missing = [c for c in cols if c not in claims.columns]
    if not missing:
        return claims
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
        rows = np.flatnonzero(pos < 0)
        raise DataError([Problem("claims", "policy_id", int(r) + 1, "unknown_policy",
                                 "policy_id not found in policies", claims["policy_id"].iloc[r])
                         for r in rows[:20]])
    out = claims.copy()
    for c in missing:
        out[c] = lookup[c].to_numpy()[pos]
    return out


def _origin_months(values: pd.Series, og: int, column: str) -> np.ndarray:
    """First month of the origin period of each record."""
    if pd.api.types.is_datetime64_any_dtype(values):
        if values.isna().any():
            raise DataError([Problem("claims", column, int(r) + 1, "missing_value",
                                     "origin date is empty")
                             for r in np.flatnonzero(values.isna().to_numpy())[:20]])
        return (_months(values) // og) * og
    if pd.api.types.is_integer_dtype(values):  # a year label such as policy_year (保单年度)
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


def _records(claims, payments, value, development, as_of, excluded):
    """(row positions into claims, development dates, amounts) for one value."""
    n = len(claims)
    if value == "paid":
        if development != "payment_date":
            raise ParameterError("a paid triangle develops by payment date: use "
                                 "development='payment_date'")
        if payments is not None:
            _need(payments, ("claim_id", "payment_date", "amount"), "payments", "a paid triangle")
            _need(claims, ("claim_id",), "claims", "the join with payments")
            pos = pd.Index(claims["claim_id"]).get_indexer(payments["claim_id"])
            if (pos < 0).any():
                rows = np.flatnonzero(pos < 0)
                raise DataError([Problem("payments", "claim_id", int(r) + 1, "unknown_claim",
                                         "claim_id not found in claims",
                                         payments["claim_id"].iloc[r]) for r in rows[:20]])
            dates, amounts = payments["payment_date"], payments["amount"].to_numpy(float)
        else:
            _need(claims, ("paid", "payment_date"), "claims", "a paid triangle without payments")
            amounts = claims["paid"].to_numpy(float)
            pos = np.flatnonzero(amounts != 0)
            dates, amounts = claims["payment_date"].iloc[pos], amounts[pos]
        missing = dates.isna().to_numpy()
        if missing.any():
            table = "payments" if payments is not None else "claims"
            rows = np.flatnonzero(missing) if payments is not None else pos[missing]
            raise DataError([Problem(table, "payment_date", int(r) + 1, "missing_value",
                                     "a payment without a payment date") for r in rows[:20]])
        late = (dates > as_of).to_numpy()
        excluded["payments_after_as_of"] = excluded.get("payments_after_as_of", 0) + int(
            late.sum())
        excluded["paid_after_as_of"] = excluded.get("paid_after_as_of", 0.0) + float(
            amounts[late].sum())
        return np.asarray(pos)[~late], dates[~late], amounts[~late]
    _need(claims, (development,), "claims", f"a {value} triangle")
    dates = claims[development]
    if not pd.api.types.is_datetime64_any_dtype(dates):
        raise ParameterError(f"development column {development!r} must hold dates")
    if value == "incurred":
        _need(claims, ("paid", "case_reserve"), "claims", "an incurred triangle")
        amounts = claims["paid"].to_numpy(float) + claims["case_reserve"].to_numpy(float)
        later = int((claims["payment_date"] > as_of).sum()) if "payment_date" in claims else 0
        if later:
            warnings.warn(f"{later} claim(s) have payments after as_of {as_of.date()}: an "
                          "incurred triangle uses paid + case reserve as held in claims (its own "
                          "valuation), not as at as_of", UserWarning, stacklevel=4)
    else:
        amounts = np.ones(n)
        if development == "payment_date" and payments is not None:
            # claims counted at their first payment (已决件数)
            _need(payments, ("claim_id", "payment_date"), "payments", "a paid-count triangle")
            first = payments.groupby("claim_id")["payment_date"].min()
            dates = pd.Series(first.reindex(claims["claim_id"]).to_numpy(), index=claims.index)
    has = dates.notna().to_numpy()
    if value == "incurred" and (~has & (amounts != 0)).any():
        rows = np.flatnonzero(~has & (amounts != 0))
        raise DataError([Problem("claims", development, int(r) + 1, "missing_value",
                                 "an incurred amount without a development date")
                         for r in rows[:20]])
    keep = has & (dates <= as_of).to_numpy()
    return np.flatnonzero(keep), dates[keep], amounts[keep]


def development_cells(claims: pd.DataFrame, *, origin: str = "accident_date",
                      development: str | None = None, value: str | Sequence[str] = "paid",
                      grain: str = "OYDY", as_of=None, payments: pd.DataFrame | None = None,
                      policies: pd.DataFrame | None = None,
                      by: Sequence[str] | str | None = None) -> DevelopmentCells:
    """Incremental development cells of claim records (see :func:`triangle` for arguments)."""
    if not isinstance(claims, pd.DataFrame):
        raise ParameterError(f"claims must be a DataFrame, got {type(claims).__name__}")
    values = (value,) if isinstance(value, str) else tuple(value)
    if not values or any(v not in VALUES for v in values):
        raise ParameterError(f"value must be one of {', '.join(VALUES)} (or a list of them), "
                             f"got {value!r}")
    by = () if by is None else ((by,) if isinstance(by, str) else tuple(by))
    og, dg = parse_grain(grain)
    _need(claims, ("report_date",), "claims", "a triangle")
    as_of = _default_as_of(claims, payments) if as_of is None else pd.Timestamp(as_of)
    if pd.isna(as_of):
        raise ParameterError("as_of must be a date")
    as_of = as_of.normalize()
    claims = _attach(claims, (origin, *by), policies)
    for c in by:
        if claims[c].isna().any():
            raise ParameterError(f"by column {c!r} has empty values in "
                                 f"{int(claims[c].isna().sum())} claim(s)")

    reported = (claims["report_date"] <= as_of).to_numpy()
    excluded = {"claims_reported_after_as_of": int((~reported).sum())}
    kept = claims.loc[reported].reset_index(drop=True)
    pay = payments
    if payments is not None and "claim_id" in payments.columns:
        late = ~payments["claim_id"].isin(kept["claim_id"]) & payments["claim_id"].isin(
            claims["claim_id"])
        excluded["payments_of_excluded_claims"] = int(late.sum())
        pay = payments.loc[~late.to_numpy()].reset_index(drop=True)
    o_month = _origin_months(kept[origin], og, origin)
    a_month = int(_months([as_of])[0])

    parts = []
    for v in values:
        dev = development or _DEFAULT_DEVELOPMENT[v]
        pos, dates, amounts = _records(kept, pay, v, dev, as_of, excluded)
        o = o_month[pos]
        d = _months(dates.to_numpy())
        before = d < o
        if before.any():
            rows = np.asarray(pos)[before]
            raise DataError([Problem("claims", dev, int(r) + 1, "development_before_origin",
                                     f"{dev} falls before the start of the {origin} period")
                             for r in rows[:20]])
        end = a_month - ((a_month - d) // dg) * dg  # development periods end at as_of's month
        cell = pd.DataFrame({c: kept[c].to_numpy()[pos] for c in by})
        cell["origin_m"], cell["dev_m"], cell[v] = o, end, amounts
        parts.append(cell)
    cells = pd.concat(parts, ignore_index=True).fillna({v: 0.0 for v in values})
    cells = cells.groupby([*by, "origin_m", "dev_m"], sort=True, as_index=False)[
        list(values)].sum()
    frame = cells[list(by)].copy()
    frame["origin"] = _month_stamp(cells["origin_m"].to_numpy(), end=False)
    frame["development"] = _month_stamp(cells["dev_m"].to_numpy(), end=True)
    frame["age"] = (cells["dev_m"] - cells["origin_m"] + 1).to_numpy(np.int64)
    for v in values:
        frame[v] = cells[v].to_numpy(float)
    origins = pd.DataFrame({c: kept[c].to_numpy() for c in by})
    origins["origin_m"] = o_month
    origins = origins.drop_duplicates().sort_values([*by, "origin_m"]).reset_index(drop=True)
    origins.insert(len(by), "origin", _month_stamp(origins.pop("origin_m").to_numpy(), False))
    return DevelopmentCells(frame, origins, as_of, grain.upper(), by, values, excluded)


def _state_exclusions(excluded: dict, as_of) -> None:
    parts = []
    if excluded.get("claims_reported_after_as_of"):
        parts.append(f"{excluded['claims_reported_after_as_of']} claim(s) reported after as_of")
    if excluded.get("payments_of_excluded_claims"):
        parts.append(f"{excluded['payments_of_excluded_claims']} payment(s) of those claims")
    if excluded.get("payments_after_as_of"):
        parts.append(f"{excluded['payments_after_as_of']} payment(s) dated after as_of "
                     f"({excluded['paid_after_as_of']:,.2f} yuan)")
    if parts:
        warnings.warn(f"triangle at as_of {pd.Timestamp(as_of).date()} excludes "
                      + "; ".join(parts), ExcludedRecordsWarning, stacklevel=3)


def triangle(claims: pd.DataFrame, origin: str = "accident_date", development: str | None = None,
             value: str | Sequence[str] = "paid", grain: str = "OYDY", as_of=None,
             payments: pd.DataFrame | None = None, by: Sequence[str] | str | None = None,
             cumulative: bool = True, policies: pd.DataFrame | None = None):
    """Build a ``chainladder.Triangle`` from claim records.

    Each record is placed in an origin period (出险/报案/保单年度 …) and a development period;
    the cell value is the sum over its records. Development periods end on the month of
    ``as_of`` and step back by the development grain (see the module notes), so the age of a
    cell is ``months(development end) − months(origin start) + 1``.

    Values:

    * ``"paid"`` (已决赔款): each payment at its payment date — from ``payments`` (one row per
      payment: instalments, reopened claims) or, without it, the claim's ``paid`` at its
      ``payment_date`` (one payment per claim);
    * ``"incurred"`` (已发生 = paid + case reserve): the claim's incurred amount as held in
      ``claims`` placed at its ``report_date``. ``claims`` is one valuation, so this measures
      late reporting (pure IBNR, 未报案) only; the development of case estimates on reported
      claims (IBNER) needs a history of valuations that the data model does not hold;
    * ``"count"`` (件数): each claim counted once at its development date (report date by
      default; with ``development="payment_date"``, at its first payment in ``payments``, or
      at ``claims.payment_date`` without it; unpaid claims are then not counted). Claims
      closed without payment count by report date but add nothing to amounts.

    Claims reported after ``as_of`` and payments dated after it are excluded and counted in an
    :class:`ExcludedRecordsWarning` (never silently).

    Parameters
    ----------
    claims : DataFrame
        Validated ``claims`` table.
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

    Returns
    -------
    chainladder.Triangle
        Origins from the first to the last origin period holding a claim; development ages in
        months. chainladder shows zero cells as NaN.

    Examples
    --------
    >>> claims = pd.DataFrame({
    ...     "claim_id": ["c1", "c2"], "accident_date": pd.to_datetime(["2023-05-01", "2024-02-01"]),
    ...     "report_date": pd.to_datetime(["2023-06-01", "2024-03-01"]),
    ...     "payment_date": pd.to_datetime(["2024-01-15", "2024-04-01"]),
    ...     "paid": [100.0, 50.0], "case_reserve": [0.0, 0.0]})
    >>> triangle(claims, as_of="2024-12-31").to_frame().fillna(0).to_numpy().tolist()
    [[0.0, 100.0], [50.0, 0.0]]
    """
    import chainladder as cl

    cells = development_cells(claims, origin=origin, development=development, value=value,
                              grain=grain, as_of=as_of, payments=payments, policies=policies,
                              by=by)
    _state_exclusions(cells.excluded, cells.as_of)
    og, dg = parse_grain(cells.grain)
    by, values = cells.by, list(cells.values)
    origin_m = _months(cells.origins["origin"])
    if len(origin_m) == 0:
        raise ParameterError("no claim is reported by as_of: the triangle would be empty")
    o_lo, o_hi = int(origin_m.min()), int(origin_m.max())
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
