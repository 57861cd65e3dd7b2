"""Earned premium and exposure: hand day counts, identities, and a brute-force daily check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from puhui.errors import DataError, ParameterError
from puhui.experience.exposure import earned, earned_by_policy, policy_term_years


def book(rows, **extra):
    """Policies from (start, end, premium, exposure) tuples."""
    df = pd.DataFrame(rows, columns=["start_date", "end_date", "premium", "exposure"])
    df["start_date"] = pd.to_datetime(df["start_date"])
    df["end_date"] = pd.to_datetime(df["end_date"])
    df.insert(0, "product", extra.pop("product", "P"))
    for k, v in extra.items():
        df[k] = v
    return df


def by_period(out: pd.DataFrame) -> dict:
    return {str(p): r for p, r in zip(out["period"], out.to_dict("records"), strict=True)}


# ---------------------------------------------------------------------------------------------
# Hand counts
# ---------------------------------------------------------------------------------------------

def test_leap_calendar_year_is_one_year_and_fully_earned_in_2024():
    # 2024-01-01 … 2024-12-31 inclusive: 366 days, one policy year, all earned in 2024.
    out = earned(book([("2024-01-01", "2024-12-31", 1000.0, 1.0)]))
    assert len(out) == 1 and str(out["period"][0]) == "2024"
    row = out.iloc[0]
    assert row["written_premium"] == 1000.0
    assert row["earned_premium"] == pytest.approx(1000.0, rel=1e-15)
    assert row["earned_exposure"] == pytest.approx(1.0, rel=1e-15)
    assert row["unearned_premium"] == 0.0


def test_march_31_policy_splits_276_and_89_over_365():
    # 2024-03-31 … 2025-03-30: n = 365 days (no 29 February inside).
    # 2024: Mar 31 (1) + Apr 30 + May 31 + Jun 30 + Jul 31 + Aug 31 + Sep 30 + Oct 31 + Nov 30
    #       + Dec 31 = 1 + 275 = 276 days;  2025: Jan 31 + Feb 28 + Mar 30 = 89 days.
    out = by_period(earned(book([("2024-03-31", "2025-03-30", 365.0, 1.0)])))
    assert out["2024"]["earned_premium"] == pytest.approx(276.0)
    assert out["2025"]["earned_premium"] == pytest.approx(89.0)
    assert out["2024"]["earned_exposure"] == pytest.approx(276 / 365)
    assert out["2025"]["earned_exposure"] == pytest.approx(89 / 365)
    assert out["2024"]["written_premium"] == 365.0 and out["2025"]["written_premium"] == 0.0
    # UPR at 2024-12-31: the 89 days still to run; at 2025-12-31 nothing.
    assert out["2024"]["unearned_premium"] == pytest.approx(89.0)
    assert out["2025"]["unearned_premium"] == 0.0


def test_february_29_start():
    # 2024-02-29 … 2025-02-28: 2024 has Feb 29 (1) + Mar…Dec (31+30+31+30+31+31+30+31+30+31
    # = 306) = 307 days, 2025 has Jan 31 + Feb 28 = 59 days; n = 366, and it is one year.
    assert policy_term_years(["2024-02-29"], ["2025-02-28"])[0] == 1.0
    out = by_period(earned(book([("2024-02-29", "2025-02-28", 366.0, 1.0)])))
    assert out["2024"]["earned_premium"] == pytest.approx(307.0)
    assert out["2025"]["earned_premium"] == pytest.approx(59.0)
    assert out["2024"]["earned_exposure"] == pytest.approx(307 / 366)
    months = by_period(earned(book([("2024-02-29", "2025-02-28", 366.0, 1.0)]), period="month"))
    assert months["2024-02"]["earned_premium"] == pytest.approx(1.0)  # one day in February
    assert months["2024-03"]["earned_premium"] == pytest.approx(31.0)
    assert months["2025-02"]["earned_premium"] == pytest.approx(28.0)
    assert len(months) == 13


def test_quarters_of_the_march_31_policy():
    # Q1-2024: 1 day; Q2: 30+31+30 = 91; Q3: 31+31+30 = 92; Q4: 31+30+31 = 92; Q1-2025: 89.
    out = by_period(earned(book([("2024-03-31", "2025-03-30", 365.0, 1.0)]), period="quarter"))
    got = [out[q]["earned_premium"] for q in ("2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1")]
    assert got == pytest.approx([1.0, 91.0, 92.0, 92.0, 89.0])
    # UPR after each quarter: 365 − cumulative earned.
    upr = [out[q]["unearned_premium"] for q in ("2024Q1", "2024Q2", "2024Q3", "2024Q4",
                                                  "2025Q1")]
    assert upr == pytest.approx([364.0, 273.0, 181.0, 89.0, 0.0])


def test_as_of_cuts_earning_and_gives_the_upr():
    # as_of 2024-06-30 (inclusive): earned Mar 31 + Apr…Jun = 1 + 91 = 92 days of 365.
    p = book([("2024-03-31", "2025-03-30", 365.0, 1.0),
              ("2024-07-01", "2025-06-30", 100.0, 1.0)])  # starts after as_of: not written
    out = earned(p, as_of="2024-06-30")
    assert len(out) == 1
    row = out.iloc[0]
    assert row["written_premium"] == 365.0
    assert row["earned_premium"] == pytest.approx(92.0)
    assert row["earned_exposure"] == pytest.approx(92 / 365)
    assert row["unearned_premium"] == pytest.approx(273.0)
    total = earned(p, period=None, as_of="2024-06-30").iloc[0]
    assert total["written_premium"] - total["earned_premium"] == pytest.approx(
        total["unearned_premium"])


def test_short_terms_and_units():
    # Half a year for 2 人: 6 whole months = 0.5 year each, 1.0 member-year in all.
    # One month (2024-01-31 … 2024-02-29: the 31st rolls to 1 March) = 1/12 year.
    assert policy_term_years(["2024-01-01", "2024-01-31", "2023-01-01"],
                             ["2024-06-30", "2024-02-29", "2023-01-10"]).tolist() == \
        pytest.approx([0.5, 1 / 12, 10 / 365])
    out = earned(book([("2024-01-01", "2024-06-30", 50.0, 2.0)]))
    assert out["earned_exposure"].iloc[0] == pytest.approx(1.0)


def test_group_by_policy_year_without_calendar_split():
    p = book([("2023-01-01", "2023-12-31", 89.0, 1.0), ("2024-01-01", "2024-12-31", 99.0, 1.0),
              ("2024-01-01", "2024-12-31", 99.0, 1.0)], policy_year=[2023, 2024, 2024])
    out = earned(p, by=("product", "policy_year"), period=None, as_of="2024-06-30")
    assert list(out.columns) == ["product", "policy_year", "written_premium", "earned_premium",
                                 "earned_exposure", "unearned_premium"]
    r23, r24 = out.iloc[0], out.iloc[1]
    assert r23["earned_premium"] == pytest.approx(89.0) and r23["unearned_premium"] == 0.0
    # 2024-01-01 … 2024-06-30 = 31+29+31+30+31+30 = 182 days of 366, two members.
    assert r24["earned_premium"] == pytest.approx(2 * 99.0 * 182 / 366)
    assert r24["earned_exposure"] == pytest.approx(2 * 182 / 366)
    assert r24["unearned_premium"] == pytest.approx(2 * 99.0 * 184 / 366)


def test_empty_by_gives_one_total_and_columns_in_order():
    p = book([("2024-01-01", "2024-12-31", 10.0, 1.0)], region="R")
    out = earned(p, by=(), period="year")
    assert list(out.columns) == ["period", "written_premium", "earned_premium",
                                 "earned_exposure", "unearned_premium"]
    assert earned(p, by="region")["region"].tolist() == ["R"]


def test_earned_by_policy_matches_the_table():
    p = book([("2024-03-31", "2025-03-30", 365.0, 1.0), ("2025-01-01", "2025-12-31", 10.0, 3.0)])
    per = earned_by_policy(p, as_of="2024-12-31")
    assert per["earned_days"].tolist() == [276, 0]
    assert per["term_days"].tolist() == [365, 365]
    assert per["written"].tolist() == [True, False]
    assert per["unearned_premium"].tolist() == pytest.approx([89.0, 0.0])


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------

def test_missing_column_is_named():
    p = book([("2024-01-01", "2024-12-31", 10.0, 1.0)]).drop(columns="exposure")
    with pytest.raises(ParameterError, match="exposure"):
        earned(p)
    with pytest.raises(ParameterError, match="segment"):
        earned(book([("2024-01-01", "2024-12-31", 10.0, 1.0)]), by=("segment",))


def test_bad_rows_raise_data_error_with_row_numbers():
    p = book([("2024-01-01", "2024-12-31", 10.0, 1.0), ("2024-05-01", "2024-04-30", 10.0, 1.0)])
    with pytest.raises(DataError) as err:
        earned(p)
    assert err.value.problems[0].row == 2 and err.value.problems[0].rule == "end_before_start"
    p = book([("2024-01-01", "2024-12-31", -10.0, 1.0)])
    with pytest.raises(DataError, match="premium"):
        earned(p)


def test_bad_arguments():
    p = book([("2024-01-01", "2024-12-31", 10.0, 1.0)])
    with pytest.raises(ParameterError, match="period"):
        earned(p, period="week")
    with pytest.raises(ParameterError, match="as_of"):
        earned(p, as_of="not a date")


# ---------------------------------------------------------------------------------------------
# Properties and an independent daily computation
# ---------------------------------------------------------------------------------------------

@st.composite
def books(draw, max_size=8):
    n = draw(st.integers(1, max_size))
    starts = draw(st.lists(st.integers(0, 3 * 366), min_size=n, max_size=n))
    lengths = draw(st.lists(st.integers(1, 800), min_size=n, max_size=n))
    prem = draw(st.lists(st.floats(0, 1e4, allow_nan=False), min_size=n, max_size=n))
    units = draw(st.lists(st.floats(0, 50, allow_nan=False), min_size=n, max_size=n))
    prods = draw(st.lists(st.sampled_from(["A", "B"]), min_size=n, max_size=n))
    s = np.datetime64("2023-01-01") + np.array(starts).astype("timedelta64[D]")
    e = s + (np.array(lengths) - 1).astype("timedelta64[D]")
    return pd.DataFrame({"product": prods, "start_date": pd.to_datetime(s),
                         "end_date": pd.to_datetime(e), "premium": prem, "exposure": units})


def daily_reference(p: pd.DataFrame, freq: str, as_of=None) -> pd.DataFrame:
    """Earned premium by expanding each policy into its days (independent, slow)."""
    rows = []
    for r in p.itertuples():
        days = pd.date_range(r.start_date, r.end_date, freq="D")
        if as_of is not None:
            days = days[days <= pd.Timestamp(as_of)]
        rows.append(pd.DataFrame({"product": r.product, "period": days.to_period(freq),
                                  "earned": r.premium / ((r.end_date - r.start_date).days + 1)}))
    d = pd.concat(rows)
    return d.groupby(["product", "period"])["earned"].sum()


@settings(max_examples=40, deadline=None)
@given(books(), st.sampled_from(["year", "quarter", "month"]))
def test_matches_a_daily_expansion(p, period):
    freq = {"year": "Y", "quarter": "Q", "month": "M"}[period]
    out = earned(p, period=period, as_of="2025-09-15").set_index(["product", "period"])
    ref = daily_reference(p, freq, as_of="2025-09-15")
    ref = ref.reindex(out.index, fill_value=0.0)
    np.testing.assert_allclose(out["earned_premium"], ref, rtol=1e-9, atol=1e-6)


@settings(max_examples=50, deadline=None)
@given(books())
def test_totals_agree_across_grains_and_tie_out(p):
    year = earned(p, period="year").groupby("product")[list(
        ("written_premium", "earned_premium", "earned_exposure"))].sum()
    month = earned(p, period="month").groupby("product")[list(year.columns)].sum()
    np.testing.assert_allclose(year.to_numpy(), month.to_numpy(), rtol=1e-9, atol=1e-6)
    # earned over the whole term = written premium; exposure = units × term years
    total = p.groupby("product")["premium"].sum()
    np.testing.assert_allclose(year["earned_premium"], total, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(year["written_premium"], total, rtol=1e-12, atol=1e-9)
    units = (p["exposure"] * policy_term_years(p["start_date"], p["end_date"])).groupby(
        p["product"]).sum()
    np.testing.assert_allclose(year["earned_exposure"], units, rtol=1e-9, atol=1e-9)


@settings(max_examples=50, deadline=None)
@given(books(), st.integers(0, 4 * 366))
def test_earned_equals_written_minus_change_in_upr(p, offset):
    # 已赚保费 = 保费收入 − 提取未到期责任准备金, period by period (gross of reinsurance).
    as_of = np.datetime64("2023-01-01") + np.timedelta64(offset, "D")
    out = earned(p, period="quarter", as_of=as_of)
    for _, g in out.groupby("product"):
        change = np.diff(np.r_[0.0, g["unearned_premium"].to_numpy()])
        np.testing.assert_allclose(g["earned_premium"], g["written_premium"] - change,
                                   rtol=1e-9, atol=1e-6)
    tot = earned(p, period=None, as_of=as_of)
    np.testing.assert_allclose(tot["written_premium"] - tot["earned_premium"],
                               tot["unearned_premium"], rtol=1e-9, atol=1e-6)


def test_600k_policies_by_year_and_product():
    # speed is measured in benchmarks/bench_exposure.py, not here
    rng = np.random.default_rng(7)
    n = 600_000
    start = np.datetime64("2023-01-01") + rng.integers(0, 3 * 365, n).astype("timedelta64[D]")
    p = pd.DataFrame({
        "product": rng.choice(["A", "B", "C", "D"], n),
        "start_date": pd.to_datetime(start),
        "end_date": pd.to_datetime(start + np.timedelta64(364, "D")),
        "premium": rng.uniform(50, 200, n), "exposure": np.ones(n)})
    out = earned(p, by=("product",), period="year", as_of="2025-06-30")
    assert out["written_premium"].sum() == pytest.approx(
        p.loc[p["start_date"] <= "2025-06-30", "premium"].sum())


# ---------------------------------------------------------------------------------------------
# Exposure bases other than policy-years: units earned by day, and an activity log
# ---------------------------------------------------------------------------------------------

def test_units_base_earns_the_count_by_day_without_the_term_factor():
    # 3,000 orders over 2024-01-01 … 2024-06-30 (182 days; term 0.5 year): by hand, January
    # (31 days) earns 3000·31/182 = 510.989… orders, and the half-year 3000 in all — against
    # 3000 · 0.5 = 1500 order-years under the default base.
    p = book([("2024-01-01", "2024-06-30", 546.0, 3000.0)])
    units = by_period(earned(p, period="month", exposure_base="units"))
    assert units["2024-01"]["earned_exposure"] == pytest.approx(3000 * 31 / 182, rel=1e-14)
    assert units["2024-01"]["earned_premium"] == pytest.approx(546 * 31 / 182, rel=1e-14)
    total = earned(p, period=None, exposure_base="units")["earned_exposure"].item()
    assert total == pytest.approx(3000.0, rel=1e-14)
    assert earned(p, period=None)["earned_exposure"].item() == pytest.approx(1500.0, rel=1e-14)
    e = earned_by_policy(p, as_of="2024-01-31", exposure_base="units")
    assert e["earned_exposure"].item() == pytest.approx(3000 * 31 / 182, rel=1e-14)


def test_default_base_is_unchanged_byte_for_byte():
    p = book([("2024-03-31", "2025-03-30", 365.0, 2.0), ("2024-07-01", "2024-09-30", 90.0, 5.0)])
    a = earned(p, period="quarter", as_of="2024-12-31")
    b = earned(p, period="quarter", as_of="2024-12-31", exposure_base="unit_years")
    pd.testing.assert_frame_equal(a, b)
    # and for an annual policy both bases agree (term_years = 1)
    one = book([("2024-01-01", "2024-12-31", 100.0, 4.0)])
    pd.testing.assert_frame_equal(earned(one, exposure_base="units"), earned(one))


def test_unknown_exposure_base_is_refused():
    p = book([("2024-01-01", "2024-12-31", 100.0, 1.0)])
    with pytest.raises(ParameterError, match="exposure_base"):
        earned(p, exposure_base="orders")
    with pytest.raises(ParameterError, match="exposure_base"):
        earned_by_policy(p, exposure_base="years")


def activity_log():
    return pd.DataFrame({
        "worker": ["a", "a", "b", "b", "c", "a"],
        "platform": ["X", "X", "X", "X", "Y", "X"],
        "date": pd.to_datetime(["2024-03-30", "2024-03-31", "2024-03-31", "2024-04-01",
                                "2024-04-02", "2024-04-03"]),
        "orders": [30, 28, 10, 12, 40, 33], "hours": [9.0, 8.5, 3.0, 4.0, 11.0, 9.5]})


def test_activity_exposure_by_hand():
    from puhui.experience.exposure import activity_exposure

    out = activity_exposure(activity_log(), by="platform", period="month")
    # X in March: a (30 + 28), b (10) → 68 orders, 20.5 hours, 3 worker-days, 2 workers;
    # X in April: b 12, a 33 → 45 orders, 13.5 hours, 2 worker-days, 2 workers; Y April: c 40
    assert out["platform"].tolist() == ["X", "X", "Y"]
    assert [str(p) for p in out["period"]] == ["2024-03", "2024-04", "2024-04"]
    assert out["orders"].tolist() == [68.0, 45.0, 40.0]
    assert out["hours"].tolist() == [20.5, 13.5, 11.0]
    assert out["worker_days"].tolist() == [3, 2, 1]
    assert out["workers"].tolist() == [2, 2, 1]
    whole = activity_exposure(activity_log(), period=None)
    assert whole[["orders", "worker_days", "workers"]].to_numpy().tolist() == [[153.0, 6, 3]]
    q = activity_exposure(activity_log(), by=["platform"], period="quarter", measures=())
    assert q["worker_days"].tolist() == [3, 2, 1]


@settings(max_examples=25)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 90), st.integers(0, 50)),
                min_size=1, max_size=40, unique_by=lambda t: (t[0], t[1])))
def test_activity_exposure_totals_match_a_groupby(rows):
    from puhui.experience.exposure import activity_exposure

    log = pd.DataFrame(rows, columns=["worker", "day", "orders"])
    log["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(log["day"], unit="D")
    log["city"] = np.where(log["worker"] % 2 == 0, "HZ", "NB")
    out = activity_exposure(log, by="city", period="month", measures=["orders"])
    ref = log.assign(period=log["date"].dt.to_period("M")).groupby(["city", "period"]).agg(
        orders=("orders", "sum"), worker_days=("orders", "size"),
        workers=("worker", "nunique")).reset_index()
    assert out["orders"].tolist() == ref["orders"].astype(float).tolist()
    assert out["worker_days"].tolist() == ref["worker_days"].tolist()
    assert out["workers"].tolist() == ref["workers"].tolist()
    assert [str(p) for p in out["period"]] == [str(p) for p in ref["period"]]


def test_activity_exposure_refuses_bad_logs():
    from puhui.experience.exposure import activity_exposure

    log = activity_log()
    with pytest.raises(ParameterError, match="no column"):
        activity_exposure(log, by="city")
    with pytest.raises(ParameterError, match="period"):
        activity_exposure(log, period="week")
    with pytest.raises(ParameterError, match="DataFrame"):
        activity_exposure(log.to_dict())
    bad = log.copy()
    bad.loc[2, "orders"] = -1
    with pytest.raises(DataError):
        activity_exposure(bad)
    twice = pd.concat([log, log.iloc[[0]]], ignore_index=True)
    with pytest.raises(DataError, match="twice"):
        activity_exposure(twice)
    text = log.assign(date=log["date"].astype(str))
    with pytest.raises(ParameterError, match="datetime64"):
        activity_exposure(text)
