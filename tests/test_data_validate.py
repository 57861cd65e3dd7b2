"""Validation rules of puhui.data: every rule has a bad table that triggers it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import puhui
from puhui.data import validate


def policies(**overrides) -> pd.DataFrame:
    base = {
        "policy_id": ["P1", "P2", "P3"],
        "product": ["HMB", "HMB", "RICE"],
        "region": ["杭州", "杭州", "德清"],
        "segment": ["healthy", "preexisting", "rice"],
        "start_date": ["2024-01-01", "2024/01/01", "2024年3月1日"],
        "end_date": ["2024-12-31", "2024-12-31", "20240930"],
        "sum_insured": ["3,000,000", "3000000", "11000"],
        "premium": ["89", "89", "495.0"],
        "exposure": ["1", "1", "10"],
    }
    base.update(overrides)
    return pd.DataFrame(base)


def claims(**overrides) -> pd.DataFrame:
    base = {
        "claim_id": ["C1", "C2"],
        "policy_id": ["P1", "P3"],
        "accident_date": ["2024-03-05", "2024-07-20"],
        "report_date": ["2024-04-01", "2024-08-01"],
        "paid": ["12000", "0"],
        "case_reserve": ["0", "3000"],
        "status": ["closed", "open"],
    }
    base.update(overrides)
    return pd.DataFrame(base)


def rules(err: puhui.DataError) -> set[tuple]:
    return {(p.rule, p.column, p.row) for p in err.problems}


def test_valid_policies_are_typed():
    out = validate(policies(), "policies")
    assert out["start_date"].dtype == "datetime64[ns]"
    assert out["start_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-01", "2024-01-01", "2024-03-01"]
    assert out["end_date"].iloc[2] == pd.Timestamp("2024-09-30")
    # thousands separators are read, not guessed: "3,000,000" is 3 million
    assert out["sum_insured"].tolist() == [3_000_000.0, 3_000_000.0, 11_000.0]
    assert out["premium"].dtype == np.float64
    assert list(out.columns) == list(policies().columns)


def test_missing_and_unknown_columns_are_both_reported():
    df = policies().drop(columns=["premium", "exposure"]).assign(colour="red")
    with pytest.raises(puhui.DataError) as info:
        validate(df, "policies")
    found = rules(info.value)
    assert ("missing_column", "premium", None) in found
    assert ("missing_column", "exposure", None) in found
    assert ("unknown_column", "colour", None) in found
    kept = validate(policies().assign(colour="red"), "policies", extra_columns="keep")
    assert kept["colour"].tolist() == ["red"] * 3


def test_every_cell_problem_is_listed_not_only_the_first():
    df = policies(premium=["89", "abc", "-5"], start_date=["2024-01-01", "soon", "2024-03-01"],
                  exposure=["1", "", "10"])
    with pytest.raises(puhui.DataError) as info:
        validate(df, "policies")
    assert rules(info.value) == {
        ("not_a_number", "premium", 2),
        ("negative", "premium", 3),
        ("not_a_date", "start_date", 2),
        ("missing_value", "exposure", 2),
    }
    text = str(info.value)
    assert "policies, column 'premium', row 2" in text and "'abc'" in text


def test_ambiguous_day_month_dates_are_rejected_not_guessed():
    with pytest.raises(puhui.DataError) as info:
        validate(policies(start_date=["03/04/2024", "2024-01-01", "2024-03-01"]), "policies")
    assert ("not_a_date", "start_date", 1) in rules(info.value)


def test_negative_money_and_exposure():
    with pytest.raises(puhui.DataError) as info:
        validate(policies(sum_insured=["-1", "1", "1"], exposure=["1", "-0.5", "1"]), "policies")
    assert {("negative", "sum_insured", 1), ("negative", "exposure", 2)} <= rules(info.value)


def test_ratio_outside_unit_interval():
    df = policies(subsidy_share=["0.75", "1.2", ""], payout_ratio=["0.8", "0.4", "-0.1"])
    with pytest.raises(puhui.DataError) as info:
        validate(df, "policies")
    assert rules(info.value) == {("ratio_out_of_range", "subsidy_share", 2),
                                 ("ratio_out_of_range", "payout_ratio", 3)}


def test_end_before_start_and_duplicate_ids():
    df = policies(policy_id=["P1", "P1", "P3"], end_date=["2023-12-31", "2024-12-31",
                                                           "2024-09-30"])
    with pytest.raises(puhui.DataError) as info:
        validate(df, "policies")
    found = rules(info.value)
    assert ("end_before_start", "end_date", 1) in found
    assert ("duplicate_id", "policy_id", 1) in found and ("duplicate_id", "policy_id", 2) in found


def test_optional_columns_rules():
    df = policies(age=["45", "130", "40.5"], sex=["M", "F", "X"], preexisting=["是", "否", "maybe"])
    with pytest.raises(puhui.DataError) as info:
        validate(df, "policies")
    assert rules(info.value) == {("out_of_range", "age", 2), ("not_an_integer", "age", 3),
                                 ("not_allowed", "sex", 3), ("not_a_boolean", "preexisting", 3)}
    ok = validate(policies(age=["45", "", "40"], preexisting=["是", "否", "1"]), "policies")
    assert ok["age"].dtype == "Int64" and ok["age"].isna().tolist() == [False, True, False]
    assert ok["preexisting"].tolist() == [True, False, True]


def test_claim_rules_within_the_table():
    df = claims(report_date=["2024-03-01", "2024-08-01"], status=["closed", "pending"],
                payment_date=["2024-02-01", ""])
    with pytest.raises(puhui.DataError) as info:
        validate(df, "claims")
    assert rules(info.value) == {("report_before_accident", "report_date", 1),
                                 ("payment_before_report", "payment_date", 1),
                                 ("not_allowed", "status", 2)}


def test_closed_claim_with_a_reserve():
    with pytest.raises(puhui.DataError) as info:
        validate(claims(status=["closed", "closed"]), "claims")
    assert rules(info.value) == {("closed_with_reserve", "case_reserve", 2)}


def test_claim_cross_table_rules():
    pol = validate(policies(), "policies")
    df = claims(policy_id=["P9", "P3"], accident_date=["2024-03-05", "2024-10-02"],
                report_date=["2024-04-01", "2024-10-05"])
    with pytest.raises(puhui.DataError) as info:
        validate(df, "claims", policies=pol)
    assert rules(info.value) == {("unknown_policy", "policy_id", 1),
                                 ("claim_outside_policy", "accident_date", 2)}
    # the last day of cover is covered (end_date is inclusive)
    ok = validate(claims(accident_date=["2024-12-31", "2024-09-30"],
                         report_date=["2025-01-02", "2024-10-01"]), "claims", policies=policies())
    assert len(ok) == 2


def test_payments_and_costs_cross_table_rules():
    cl = validate(claims(), "claims")
    pay = pd.DataFrame({"claim_id": ["C1", "C7", "C2"],
                        "payment_date": ["2024-04-02", "2024-05-01", "2024-07-01"],
                        "amount": ["12000", "5", "1"]})
    with pytest.raises(puhui.DataError) as info:
        validate(pay, "payments", claims=cl)
    assert rules(info.value) == {("unknown_claim", "claim_id", 2),
                                 ("payment_before_accident", "payment_date", 3)}
    cost = pd.DataFrame({"policy_id": ["P1", "P1", "P8"],
                         "benefit_line": ["in_catalogue", "in_catalogue", "special_drugs"],
                         "cost": ["25000", "100", "3"]})
    with pytest.raises(puhui.DataError) as info:
        validate(cost, "costs", policies=policies())
    assert rules(info.value) == {("duplicate_id", "policy_id+benefit_line", 1),
                                 ("duplicate_id", "policy_id+benefit_line", 2),
                                 ("unknown_policy", "policy_id", 3)}


def test_yields_index_and_prices():
    y = pd.DataFrame({"region": ["A", "A"], "crop": ["rice"] * 2, "year": ["2020", "1700"],
                      "yield": ["480.5", "x"]})
    with pytest.raises(puhui.DataError) as info:
        validate(y, "yields")
    assert rules(info.value) == {("out_of_range", "year", 2), ("not_a_number", "yield", 2)}
    idx = pd.DataFrame({"station": ["S1", "S1"], "date": ["2024-07-01", "2024-07-01"],
                        "value": ["-3.5", "2"]})  # temperatures may be negative
    with pytest.raises(puhui.DataError) as info:
        validate(idx, "index_series")
    assert {p.rule for p in info.value.problems} == {"duplicate_id"}
    pr = pd.DataFrame({"market": ["M"], "product": ["茭白"], "date": ["2024-06-01"],
                       "price": ["-2"]})
    with pytest.raises(puhui.DataError) as info:
        validate(pr, "prices")
    assert rules(info.value) == {("negative", "price", 1)}


def test_rows_are_never_dropped_and_order_is_kept():
    df = policies()
    out = validate(df.iloc[::-1], "policies")
    assert out["policy_id"].tolist() == ["P3", "P2", "P1"]


def test_typed_input_is_checked_too():
    typed = validate(policies(), "policies")
    again = validate(typed, "policies")
    pd.testing.assert_frame_equal(typed, again)
    typed.loc[1, "premium"] = -1.0
    with pytest.raises(puhui.DataError) as info:
        validate(typed, "policies")
    assert rules(info.value) == {("negative", "premium", 2)}


def test_unknown_kind_and_non_frame():
    with pytest.raises(puhui.ParameterError, match="unknown table kind"):
        validate(policies(), "policy")
    with pytest.raises(puhui.ParameterError):
        validate([1, 2], "policies")


# --- property: a valid generated table always validates, and round-trips its values ---------

@st.composite
def valid_policy_tables(draw):
    n = draw(st.integers(1, 30))
    starts = draw(st.lists(st.dates(min_value=pd.Timestamp("2000-01-01").date(),
                                    max_value=pd.Timestamp("2030-12-31").date()),
                           min_size=n, max_size=n))
    lengths = draw(st.lists(st.integers(0, 800), min_size=n, max_size=n))
    money = st.floats(0, 1e8, allow_nan=False)
    return pd.DataFrame({
        "policy_id": [f"P{i}" for i in range(n)],
        "product": draw(st.lists(st.sampled_from(["HMB", "RICE", "意外险"]), min_size=n,
                                 max_size=n)),
        "region": "R",
        "segment": "s",
        "start_date": pd.to_datetime(starts),
        "end_date": pd.to_datetime(starts) + pd.to_timedelta(lengths, unit="D"),
        "sum_insured": draw(st.lists(money, min_size=n, max_size=n)),
        "premium": draw(st.lists(money, min_size=n, max_size=n)),
        "exposure": draw(st.lists(st.floats(0, 1e5, allow_nan=False), min_size=n, max_size=n)),
        "age": draw(st.lists(st.integers(0, 120), min_size=n, max_size=n)),
    })


@given(valid_policy_tables())
def test_valid_generated_policies_always_validate(df):
    out = validate(df, "policies")
    assert len(out) == len(df)
    np.testing.assert_array_equal(out["premium"].to_numpy(), df["premium"].to_numpy())
    # and the same table written as text (as a CSV would hold it) validates to the same values
    text = df.astype(str)
    again = validate(text, "policies")
    np.testing.assert_allclose(again["premium"], out["premium"], rtol=1e-15)
    assert (again["end_date"] == out["end_date"]).all()


@given(valid_policy_tables(), st.data())
def test_one_corrupted_cell_is_always_found(df, data):
    row = data.draw(st.integers(0, len(df) - 1))
    text = df.astype(str)
    text.loc[row, "premium"] = data.draw(st.sampled_from(["abc", "-1", "1.2.3", "¥5"]))
    with pytest.raises(puhui.DataError) as info:
        validate(text, "policies")
    assert [(p.column, p.row) for p in info.value.problems] == [("premium", row + 1)]
