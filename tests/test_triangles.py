"""Triangles from claim records: published triangles rebuilt, and small books written by hand."""

from __future__ import annotations

import warnings

import chainladder as cl
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from puhui.errors import DataError, ParameterError
from puhui.experience.triangles import (
    ExcludedRecordsWarning,
    InconsistentDatesWarning,
    development_cells,
    parse_grain,
    triangle,
)


def grid(tri) -> np.ndarray:
    """The triangle's values as origin × development with zeros for chainladder's NaN."""
    assert tri.shape[:2] == (1, 1)
    return np.nan_to_num(np.asarray(tri.values, float)[0, 0])


def as_records(published, seed: int = 0, with_payments: bool = False):
    """One synthetic claim record per incremental cell of an annual triangle.

    Accident on a random day of the origin year, reported the same day; the cell's amount paid
    on a random day of the development year. ``with_payments``: one claim per origin whose
    payments (one per cell) go in a ``payments`` table instead.
    """
    rng = np.random.default_rng(seed)
    inc = published.cum_to_incr().to_frame(origin_as_datetime=True)
    rows = []
    for origin, row in inc.iterrows():
        for age, amount in row.items():
            if np.isnan(amount):
                continue
            acc = pd.Timestamp(origin.year, 1, 1) + pd.Timedelta(days=int(rng.integers(0, 90)))
            year = origin.year + int(age) // 12 - 1
            pay = pd.Timestamp(year, 1, 1) + pd.Timedelta(days=int(rng.integers(90, 365)))
            rows.append((origin.year, acc, pay, float(amount)))
    rec = pd.DataFrame(rows, columns=["year", "accident_date", "payment_date", "paid"])
    if not with_payments:
        rec["claim_id"] = [f"C{i:04d}" for i in range(len(rec))]
        rec["report_date"], rec["case_reserve"], rec["status"] = rec["accident_date"], 0.0, "closed"
        return rec, None
    first = rec.groupby("year").first()
    claims = pd.DataFrame({
        "claim_id": [f"Y{y}" for y in first.index], "accident_date": first["accident_date"].values,
        "report_date": first["accident_date"].values, "paid": rec.groupby("year")["paid"].sum().values,
        "case_reserve": 0.0, "status": "closed",
        "payment_date": rec.groupby("year")["payment_date"].max().values})
    payments = pd.DataFrame({"claim_id": [f"Y{y}" for y in rec["year"]],
                             "payment_date": rec["payment_date"], "amount": rec["paid"]})
    return claims, payments


# ---------------------------------------------------------------------------------------------
# Published triangles rebuilt from records
# ---------------------------------------------------------------------------------------------

def test_raa_rebuilt_from_one_record_per_cell_is_the_published_triangle():
    # RAA (Reinsurance Association of America), as in Mack (1994) and chainladder.load_sample.
    raa = cl.load_sample("raa")
    claims, _ = as_records(raa)
    tri = triangle(claims, origin="accident_date", value="paid", grain="OYDY",
                   as_of="1990-12-31")
    assert list(tri.development) == list(raa.development)
    assert list(tri.origin.astype(str)) == [str(y) for y in range(1981, 1991)]
    assert tri.valuation_date == raa.valuation_date
    np.testing.assert_array_equal(grid(tri), grid(raa))
    inc = triangle(claims, value="paid", as_of="1990-12-31", cumulative=False)
    np.testing.assert_array_equal(grid(inc), grid(raa.cum_to_incr()))


def test_taylor_ashe_rebuilt_with_a_payments_table_is_the_published_triangle():
    # Taylor & Ashe (1983) / GenIns of R ChainLadder: chainladder.load_sample("genins").
    genins = cl.load_sample("genins")
    claims, payments = as_records(genins, seed=1, with_payments=True)
    tri = triangle(claims, value="paid", payments=payments, as_of="2010-12-31")
    np.testing.assert_array_equal(grid(tri), grid(genins))
    assert tri.origin_grain == "Y" and tri.development_grain == "Y"


# ---------------------------------------------------------------------------------------------
# A small book written out by hand (valuation 2024-12-31 unless stated)
# ---------------------------------------------------------------------------------------------
#   c1  accident 2023-03-10, reported 2023-03-20, paid 100 on 2023-04-01, closed
#   c2  accident 2023-11-20, reported 2024-01-15 (late), paid 200 on 2024-02-01
#   c3  accident 2023-06-01, reported 2023-06-05, closed without payment
#   c4  accident 2023-08-01, reported 2023-08-10, paid 300 on 2023-09-01, reopened, 50 more
#       on 2024-05-01, case reserve 40
#   c5  accident 2024-02-01, reported 2024-02-10, paid 80 on 2024-03-01, open, reserve 20
#   c6  accident 2024-12-20, reported 2025-01-10 (after as_of), paid 500 on 2025-01-20
#   c7  accident 2024-06-01, reported 2024-06-10, paid 60 on 2025-01-05 (after as_of)

def hand_book():
    d = pd.to_datetime
    claims = pd.DataFrame({
        "claim_id": ["c1", "c2", "c3", "c4", "c5", "c6", "c7"],
        "policy_id": ["p1", "p2", "p1", "p3", "p3", "p4", "p4"],
        "accident_date": d(["2023-03-10", "2023-11-20", "2023-06-01", "2023-08-01",
                            "2024-02-01", "2024-12-20", "2024-06-01"]),
        "report_date": d(["2023-03-20", "2024-01-15", "2023-06-05", "2023-08-10",
                          "2024-02-10", "2025-01-10", "2024-06-10"]),
        "paid": [100.0, 200.0, 0.0, 350.0, 80.0, 500.0, 60.0],
        "case_reserve": [0.0, 0.0, 0.0, 40.0, 20.0, 0.0, 0.0],
        "status": ["closed", "closed", "closed", "reopened", "open", "closed", "closed"],
        "payment_date": d(["2023-04-01", "2024-02-01", None, "2024-05-01", "2024-03-01",
                           "2025-01-20", "2025-01-05"]),
        "benefit_line": ["in", "in", "out", "out", "out", "out", "out"]})
    payments = pd.DataFrame({
        "claim_id": ["c1", "c2", "c4", "c4", "c5", "c6", "c7"],
        "payment_date": d(["2023-04-01", "2024-02-01", "2023-09-01", "2024-05-01",
                           "2024-03-01", "2025-01-20", "2025-01-05"]),
        "amount": [100.0, 200.0, 300.0, 50.0, 80.0, 500.0, 60.0]})
    policies = pd.DataFrame({
        "policy_id": ["p1", "p2", "p3", "p4"],
        "start_date": d(["2023-01-01", "2023-01-01", "2023-07-01", "2024-01-01"]),
        "policy_year": [2023, 2023, 2023, 2024]})
    return claims, payments, policies


def build(value, **kw):
    claims, payments, policies = hand_book()
    kw.setdefault("as_of", "2024-12-31")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tri = triangle(claims, value=value, **kw)
    return tri, [w for w in caught if issubclass(w.category, UserWarning)]


def test_paid_with_payments_handles_reopened_and_late_payments():
    claims, payments, _ = hand_book()
    tri, caught = build("paid", payments=payments)
    # AY2023: 2023 payments c1 100 + c4 300 = 400; 2024: c2 200 + c4 50 → cumulative 650.
    # AY2024: c5 80 (c7's 60 and c6's 500 are paid after as_of).
    np.testing.assert_array_equal(grid(tri), [[400, 650], [80, 0]])
    assert list(tri.development) == [12, 24]
    (w,) = caught
    assert w.category is ExcludedRecordsWarning
    # a paid triangle does not use report dates: only the payment dates exclude money
    assert str(w.message) == ("triangle at as_of 2024-12-31 excludes 2 payment(s) dated after "
                              "as_of (560.00 yuan)")


def test_paid_without_payments_puts_the_whole_paid_on_the_last_payment_date():
    # c4's 350 all lands on 2024-05-01: AY2023 = 100 in 2023, 100 + 200 + 350 = 650 by 2024.
    tri, _ = build("paid")
    np.testing.assert_array_equal(grid(tri), [[100, 650], [80, 0]])


def test_counts_include_zero_payment_and_late_reported_claims():
    # By report date. AY2023: c1, c3, c4 in 2023 (3), c2 in 2024 (4). AY2024: c5, c7 (2).
    tri, caught = build("count")
    np.testing.assert_array_equal(grid(tri), [[3, 4], [2, 0]])
    assert "1 claim(s) reported after as_of" in str(caught[0].message)
    # By first payment: c3 never paid, c7 not paid by as_of.
    _, payments, _ = hand_book()
    tri, _ = build("count", development="payment_date", payments=payments)
    np.testing.assert_array_equal(grid(tri), [[2, 3], [1, 0]])


def test_incurred_by_report_date():
    # paid + case reserve at the report date. AY2023: c1 100 + c3 0 + c4 (350 + 40) = 490 in
    # 2023, + c2 200 = 690. AY2024: c5 (80 + 20) + c7 60 = 160.
    tri, caught = build("incurred")
    np.testing.assert_array_equal(grid(tri), [[490, 690], [160, 0]])
    # c7's payment is after as_of: the amounts are the claims table's, and the user is told.
    assert any("1 claim(s) have payments after as_of" in str(w.message) for w in caught)


def test_quarterly_development_lags():
    _, payments, _ = hand_book()
    tri, _ = build("paid", payments=payments, grain="OYDQ")
    # AY2023 by quarter of payment: Q2-23 c1 100 (age 6), Q3-23 c4 300 (9), Q1-24 c2 200 (15),
    # Q2-24 c4 50 (18). AY2024: Q1-24 c5 80 (age 3).
    assert list(tri.development) == [3, 6, 9, 12, 15, 18, 21, 24]
    np.testing.assert_array_equal(grid(tri), [
        [0, 100, 400, 400, 600, 650, 650, 650],
        [80, 80, 80, 80, 0, 0, 0, 0]])
    tri, _ = build("paid", payments=payments, grain="OQDQ")
    # Origins 2023Q1 … 2024Q2 (c6 of 2024Q4 is reported after as_of). 2023Q1: c1 in Q2 (age 6).
    # 2023Q2: only the zero claim c3. 2023Q3: c4 300 in Q3 (3), 50 in Q2-24 (age 12).
    # 2023Q4: c2 in Q1-24 (6). 2024Q1: c5 in Q1 (3). 2024Q2: c7 paid after as_of.
    assert [str(o) for o in tri.origin] == ["2023Q1", "2023Q2", "2023Q3", "2023Q4", "2024Q1",
                                            "2024Q2"]
    g = grid(tri)
    assert g.shape == (6, 8)
    np.testing.assert_array_equal(g[0, :3], [0, 100, 100])
    np.testing.assert_array_equal(g[1], 0)
    np.testing.assert_array_equal(g[2, :5], [300, 300, 300, 350, 350])
    np.testing.assert_array_equal(g[3, :4], [0, 200, 200, 200])
    np.testing.assert_array_equal(g[4, :3], [80, 80, 80])
    assert tri.origin_grain == "Q" and tri.development_grain == "Q"


def test_valuation_inside_a_year_gives_trailing_annual_periods():
    # as_of 2024-06-30: development years end on 30 June, ages 6 and 18 months.
    # AY2023: to 2023-06-30 c1 100; to 2024-06-30 + c4 300 + c2 200 + c4 50 = 650.
    # AY2024: c5 80 by 2024-06-30.
    _, payments, _ = hand_book()
    tri, caught = build("paid", payments=payments, as_of="2024-06-30")
    assert list(tri.development) == [6, 18]
    np.testing.assert_array_equal(grid(tri), [[100, 650], [80, 0]])
    assert tri.valuation_date.strftime("%Y-%m-%d") == "2024-06-30"
    # c7's 60 and c6's 500 are paid after 2024-06-30
    assert "2 payment(s) dated after as_of (560.00 yuan)" in str(caught[0].message)


def test_single_quarter_origin_keeps_its_grain():
    # chainladder infers grains from the dates it sees; one quarter of data must stay a quarter.
    claims, _, _ = hand_book()
    one = claims.iloc[[0]]  # c1: accident 2023-03-10, reported 2023-03-20
    tri = triangle(one, value="count", grain="OQDQ", as_of="2023-06-30")
    assert [str(o) for o in tri.origin] == ["2023Q1"]
    assert list(tri.development) == [3, 6]
    np.testing.assert_array_equal(grid(tri), [[1, 1]])


def test_policy_year_origin_from_policies():
    # c5 (accident 2024-02-01) is under p3, a 2023 policy year: PY2023 = 400 in 2023, then
    # 200 + 50 + 80 → 730. PY2024 holds only c7, paid after as_of: a zero row.
    claims, payments, policies = hand_book()
    tri, _ = build("paid", payments=payments, origin="policy_year", policies=policies)
    np.testing.assert_array_equal(grid(tri), [[400, 730], [0, 0]])
    # the policy start date as origin (underwriting year): 2023 policies p1, p2, p3 have c1, c3,
    # c4 reported in 2023 (3), then c2 and c5 in 2024 (5); the 2024 policy p4 has c7 (1).
    tri, _ = build("count", origin="start_date", policies=policies, grain="OYDY")
    np.testing.assert_array_equal(grid(tri), [[3, 5], [1, 0]])


def test_by_gives_one_triangle_per_key_summing_to_the_total():
    _, payments, _ = hand_book()
    total, _ = build("paid", payments=payments)
    split, _ = build("paid", payments=payments, by="benefit_line")
    assert list(split.index["benefit_line"]) == ["in", "out"]
    vals = np.nan_to_num(np.asarray(split.values, float))
    np.testing.assert_array_equal(vals.sum(axis=0)[0], grid(total))
    np.testing.assert_array_equal(vals[0, 0], [[100, 300], [0, 0]])  # c1, then c2


def test_several_values_at_once():
    _, payments, _ = hand_book()
    tri, _ = build(["paid", "count"], payments=payments)
    assert list(tri.columns) == ["paid", "count"]
    np.testing.assert_array_equal(np.nan_to_num(tri["count"].values[0, 0]), [[3, 4], [2, 0]])


def test_development_cells_report_exclusions():
    claims, payments, _ = hand_book()
    cells = development_cells(claims, value="paid", payments=payments, as_of="2024-12-31")
    assert cells.excluded == {"payments_after_as_of": 2, "paid_after_as_of": 560.0}
    assert cells.inconsistent == {} and cells.problems == ()
    assert cells.frame["paid"].sum() == 730.0
    cells = development_cells(claims, value=["paid", "count"], payments=payments,
                              as_of="2024-12-31")
    assert cells.excluded == {"claims_reported_after_as_of": 1, "payments_after_as_of": 2,
                              "paid_after_as_of": 560.0}
    assert cells.summary().attrs["excluded"]["claims_reported_after_as_of"] == 1


# ---------------------------------------------------------------------------------------------
# A paid triangle needs no report date, and paid money is never dropped
# ---------------------------------------------------------------------------------------------

def payment_records():
    """The hand book's payments as payment records: one row per payment, no report date."""
    claims, payments, _ = hand_book()
    rec = payments.merge(claims[["claim_id", "accident_date"]], on="claim_id", how="left")
    return rec.rename(columns={"amount": "paid"})


def test_paid_triangle_from_payment_records_needs_no_report_date():
    rec = payment_records()
    assert "report_date" not in rec.columns
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tri = triangle(rec, origin="accident_date", development="payment_date", value="paid",
                       as_of="2024-12-31")
    # as from claims + payments: AY2023 400 in 2023, 650 by 2024; AY2024 c5's 80
    np.testing.assert_array_equal(grid(tri), [[400, 650], [80, 0]])
    (w,) = caught
    assert str(w.message) == ("triangle at as_of 2024-12-31 excludes 2 payment(s) dated after "
                              "as_of (560.00 yuan)")
    # the default as_of is the latest payment, 2025-01-20: then everything is in
    cells = development_cells(rec)
    assert cells.frame["paid"].sum() == rec["paid"].sum() == 1290.0
    # counts by report date do need it
    with pytest.raises(ParameterError, match="no column 'report_date'.*count"):
        triangle(rec, value="count", as_of="2024-12-31")


def late_reports():
    """The hand book with c2 reported after its payment, and c5 (the only paid claim of AY2024
    by as_of) reported after as_of although paid on 2024-03-01."""
    claims, payments, _ = hand_book()
    claims.loc[claims["claim_id"] == "c2", "report_date"] = pd.Timestamp("2024-03-01")
    claims.loc[claims["claim_id"] == "c5", "report_date"] = pd.Timestamp("2025-02-01")
    return claims, payments


def test_a_payment_before_its_report_date_stays_in_and_its_row_is_named():
    claims, payments = late_reports()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tri = triangle(claims, value="paid", payments=payments, as_of="2024-12-31")
    # every yuan paid by as_of is in: c2's 200 in AY2023's second year, c5's 80 in AY2024
    np.testing.assert_array_equal(grid(tri), [[400, 650], [80, 0]])
    (w,) = [w for w in caught if w.category is InconsistentDatesWarning]
    text = str(w.message)
    assert text.startswith("2 payment(s) (280.00 yuan) are dated before their claim's report "
                           "date; they are kept in the triangle")
    # c2's payment is row 2 of payments, c5's row 5 (rows counted from 1 under the header)
    assert ("payments, column 'payment_date', row 2: [payment_before_report] paid on "
            "2024-02-01, before the claim's report date 2024-03-01") in text
    assert "row 5: [payment_before_report] paid on 2024-03-01" in text
    with pytest.warns(InconsistentDatesWarning):
        cells = development_cells(claims, value="paid", payments=payments, as_of="2024-12-31")
    assert cells.inconsistent == {"payments_before_report": 2, "paid_before_report": 280.0}
    assert [(p.table, p.column, p.row, p.rule) for p in cells.problems] == [
        ("payments", "payment_date", 2, "payment_before_report"),
        ("payments", "payment_date", 5, "payment_before_report")]
    assert cells.frame["paid"].sum() == 730.0
    # reported counts still go by the report date: c5 and c6 are not reported by as_of
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        count = triangle(claims, value="count", as_of="2024-12-31")
    np.testing.assert_array_equal(grid(count), [[3, 4], [1, 0]])
    assert "2 claim(s) reported after as_of" in str(caught[0].message)


def test_without_payments_the_claims_row_is_named():
    claims, _ = late_reports()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRecordsWarning)  # c6 and c7, paid in 2025
        with pytest.warns(InconsistentDatesWarning, match=r"claims, column 'payment_date', row 5"):
            tri = triangle(claims, value="paid", as_of="2024-12-31")
    # one payment per claim at its last payment date (c4's 350 in 2024)
    np.testing.assert_array_equal(grid(tri), [[100, 650], [80, 0]])


def test_an_origin_paid_only_on_claims_reported_after_as_of_keeps_its_money():
    # Before: claims reported after as_of were dropped with their payments, and AY2024 (c5
    # only) disappeared from the paid triangle.
    claims, payments = late_reports()
    claims, payments = claims[claims["claim_id"] != "c7"], payments[payments["claim_id"] != "c7"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        tri = triangle(claims, value="paid", payments=payments, as_of="2024-12-31")
    assert [str(o) for o in tri.origin] == ["2023", "2024"]
    np.testing.assert_array_equal(grid(tri), [[400, 650], [80, 0]])


def test_payments_table_matches_the_prejoined_records_and_chainladder():
    # An independent aggregation: chainladder.Triangle on the joined payment records, at an
    # as_of on a period end (where its calendar grid and ours coincide).
    rng = np.random.default_rng(11)
    n = 400
    acc = np.datetime64("2020-01-01") + rng.integers(0, 5 * 365, n).astype("timedelta64[D]")
    rep = acc + rng.integers(0, 60, n).astype("timedelta64[D]")
    ids = np.array([f"CL-{i:05d}" for i in range(n)], dtype=object)
    claims = pd.DataFrame({"claim_id": ids, "accident_date": acc.astype("datetime64[ns]"),
                           "report_date": rep.astype("datetime64[ns]")})
    k = rng.integers(0, n, 3 * n)
    pay = rep[k] + rng.integers(0, 700, k.size).astype("timedelta64[D]")
    payments = pd.DataFrame({"claim_id": ids[k], "payment_date": pay.astype("datetime64[ns]"),
                             "amount": np.round(rng.lognormal(7, 1, k.size), 2)})
    payments = payments[payments["payment_date"] <= "2024-12-31"].sample(frac=1, random_state=3)
    records = payment_records_of(claims, payments)
    for grain in ("OYDY", "OQDQ"):
        ours = triangle(claims, payments=payments, grain=grain, as_of="2024-12-31",
                        cumulative=False)
        from_records = triangle(records.drop(columns="report_date"), grain=grain,
                                as_of="2024-12-31", cumulative=False)
        peer = cl.Triangle(records, origin="accident_date", development="payment_date",
                           columns="paid", cumulative=False).grain(grain)
        assert list(ours.development) == list(peer.development)
        np.testing.assert_allclose(grid(ours), grid(peer), rtol=1e-12, atol=1e-6)
        np.testing.assert_allclose(grid(from_records), grid(ours), rtol=1e-12, atol=1e-6)


def payment_records_of(claims, payments):
    rec = payments.merge(claims, on="claim_id", how="left")
    return rec.rename(columns={"amount": "paid"})


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------

def test_errors_name_the_problem():
    claims, payments, policies = hand_book()
    with pytest.raises(ParameterError, match="grain"):
        triangle(claims, grain="ODY")
    with pytest.raises(ParameterError, match="longer"):
        parse_grain("OQDY")
    with pytest.raises(ParameterError, match="value"):
        triangle(claims, value="reserve")
    with pytest.raises(ParameterError, match="payment_date"):
        triangle(claims.drop(columns="payment_date"), value="paid")
    with pytest.raises(ParameterError, match="policies="):
        triangle(claims, origin="policy_year")
    with pytest.raises(ParameterError, match="development='payment_date'"):
        triangle(claims, value="paid", development="report_date")
    bad = payments.copy()
    bad.loc[0, "claim_id"] = "nope"
    with pytest.raises(DataError, match="unknown_claim"):
        triangle(claims, value="paid", payments=bad, as_of="2024-12-31")
    early = claims.copy()
    early.loc[0, "payment_date"] = pd.Timestamp("2022-12-01")
    with pytest.raises(DataError, match="development_before_origin"):
        triangle(early, value="paid", as_of="2024-12-31")
    nopay = claims.copy()
    nopay.loc[0, "payment_date"] = pd.NaT
    with pytest.raises(DataError, match="payment_date"):
        triangle(nopay, value="paid", as_of="2024-12-31")
    with pytest.raises(ParameterError, match="annual"):
        triangle(claims, origin="policy_year", policies=policies, grain="OQDQ")


def test_claim_ids_of_any_type_are_matched_alike():
    # string ids go through pyarrow's hashing, others through pandas.factorize
    claims, payments, _ = hand_book()
    want = development_cells(claims, payments=payments, as_of="2024-12-31").frame
    number = {f"c{i}": i for i in range(1, 8)}
    for convert in (lambda s: s.map(number), lambda s: s.astype("string[pyarrow]"),
                    lambda s: s.astype("category"), lambda s: s.astype("string[python]")):
        c, p = claims.assign(claim_id=convert(claims["claim_id"])), payments.assign(
            claim_id=convert(payments["claim_id"]))
        got = development_cells(c, payments=p, as_of="2024-12-31").frame
        pd.testing.assert_frame_equal(got, want)
    mixed = payments.assign(claim_id=payments["claim_id"].astype(object))
    mixed.loc[0, "claim_id"] = 1  # an int among strings: unknown, whichever way it is hashed
    with pytest.raises(DataError, match=r"payments, column 'claim_id', row 1: \[unknown_claim\]"):
        development_cells(claims, payments=mixed, as_of="2024-12-31")


def test_payment_table_errors_name_table_column_and_row():
    claims, payments, _ = hand_book()
    twice = pd.concat([claims, claims.iloc[[1]]], ignore_index=True)  # c2 again, row 8
    with pytest.raises(DataError, match=r"claims, column 'claim_id', row 8: \[duplicate_key\]"):
        triangle(twice, payments=payments, as_of="2024-12-31")
    no_id = claims.copy()
    no_id.loc[2, "claim_id"] = None
    with pytest.raises(DataError, match=r"claims, column 'claim_id', row 3: \[missing_value\]"):
        triangle(no_id, payments=payments, as_of="2024-12-31")
    early = payments.copy()
    early.loc[3, "payment_date"] = pd.Timestamp("2022-12-01")  # c4, accident 2023-08-01
    with pytest.raises(DataError, match=r"payments, column 'payment_date', row 4: "
                                        r"\[development_before_origin\]"):
        triangle(claims, payments=early, as_of="2024-12-31")
    with pytest.raises(DataError, match=r"payments, column 'payment_date', row 4: "
                                        r"\[development_before_origin\]"):
        triangle(claims, payments=early, value="count", development="payment_date",
                 as_of="2024-12-31")
    undated = payments.copy()
    undated.loc[1, "payment_date"] = pd.NaT
    with pytest.raises(DataError, match=r"payments, column 'payment_date', row 2: "
                                        r"\[missing_value\]"):
        triangle(claims, payments=undated, as_of="2024-12-31")
    no_amount = payments.copy()
    no_amount.loc[0, "amount"] = np.nan
    with pytest.raises(DataError, match=r"payments, column 'amount', row 1"):
        triangle(claims, payments=no_amount, as_of="2024-12-31")
    text = payments.astype({"payment_date": str})
    with pytest.raises(ParameterError, match="payment_date.*must hold dates"):
        triangle(claims, payments=text, as_of="2024-12-31")


# ---------------------------------------------------------------------------------------------
# Properties on random books
# ---------------------------------------------------------------------------------------------

@st.composite
def random_claims(draw):
    n = draw(st.integers(1, 12))
    acc = draw(st.lists(st.integers(0, 900), min_size=n, max_size=n))
    lag = draw(st.lists(st.integers(0, 400), min_size=n, max_size=n))
    pay = draw(st.lists(st.integers(0, 400), min_size=n, max_size=n))
    amt = draw(st.lists(st.floats(0, 1e5, allow_nan=False).map(lambda x: round(x, 2)),
                        min_size=n, max_size=n))
    base = np.datetime64("2022-01-01")
    a = base + np.array(acc).astype("timedelta64[D]")
    r = a + np.array(lag).astype("timedelta64[D]")
    p = r + np.array(pay).astype("timedelta64[D]")
    return pd.DataFrame({"claim_id": [f"k{i}" for i in range(n)],
                         "accident_date": pd.to_datetime(a), "report_date": pd.to_datetime(r),
                         "payment_date": pd.to_datetime(p), "paid": amt, "case_reserve": 0.0})


@settings(max_examples=20, deadline=None)
@given(random_claims(), st.sampled_from(["OYDY", "OYDQ", "OQDQ", "OQDM", "OMDM"]),
       st.integers(200, 1400))
def test_latest_diagonal_holds_everything_up_to_as_of(claims, grain, offset):
    as_of = pd.Timestamp("2022-01-01") + pd.Timedelta(days=offset)
    reported = claims[claims["report_date"] <= as_of]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRecordsWarning)
        if reported.empty:
            with pytest.raises(ParameterError, match="no claim"):
                triangle(claims, value="count", grain=grain, as_of=as_of)
            return
        count = triangle(claims, value="count", grain=grain, as_of=as_of)
        paid = triangle(claims, value="paid", grain=grain, as_of=as_of)
        increments = triangle(claims, value="count", grain=grain, as_of=as_of,
                              cumulative=False)
    assert np.nansum(count.latest_diagonal.values) == len(reported)
    expected = reported.loc[reported["payment_date"] <= as_of, "paid"].sum()
    assert np.nansum(paid.latest_diagonal.values) == pytest.approx(expected, rel=1e-12, abs=1e-6)
    # every claim sits in exactly one incremental cell, none below zero
    inc = np.nan_to_num(np.asarray(increments.values, float))
    assert inc.min() >= 0 and inc.sum() == len(reported)
    ages = np.asarray(count.development, dtype=int)
    og, dg = parse_grain(grain)
    assert np.all(np.diff(ages) == dg)
