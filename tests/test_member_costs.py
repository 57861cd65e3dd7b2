"""The one member × line cost table (:func:`puhui.experience.member_costs.cost_table`): tuning's
``MemberCosts`` and pricing's ``member_payouts`` read the same trended table, checked against an
independent computation (a plain loop over the cost rows), and every table problem is named with
its table, column, row and value.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import puhui.datasets
from puhui.errors import DataError, ParameterError
from puhui.experience.member_costs import MemberCosts, cost_table, segment_codes
from puhui.huiminbao import Product, example_product_path, member_payouts


@pytest.fixture(scope="module")
def slice_book():
    """Every 40th member-year of the bundled 惠民保 book (three policy years) and its costs."""
    src = puhui.datasets.data_dir() / "huiminbao"
    pol = pd.read_parquet(src / "policies.parquet", columns=[
        "policy_id", "segment", "policy_year", "exposure"]).iloc[::40].reset_index(drop=True)
    cst = pd.read_parquet(src / "costs.parquet", columns=["policy_id", "benefit_line", "cost"])
    cst = cst[cst["policy_id"].isin(pol["policy_id"])].reset_index(drop=True)
    return pol, cst


def loop_reference(pol, cst, lines, trend, to_year, years=None):
    """Cost per (policy_id, line), trended, by a plain loop over the rows (independent)."""
    year_of = dict(zip(pol["policy_id"], pol["policy_year"], strict=True))
    total = defaultdict(float)
    for r in cst.itertuples():
        total[(r.policy_id, r.benefit_line)] += r.cost
    kept = pol if years is None else pol[pol["policy_year"].isin(years)]
    return np.array([[total.get((pid, ln), 0.0) * (1 + trend) ** (to_year - year_of[pid])
                      for ln in lines] for pid in kept["policy_id"]])


def test_tuning_and_pricing_read_one_cost_table(slice_book):
    pol, cst = slice_book
    product = Product.from_toml(example_product_path())
    lines = [ln.name for ln in product.lines]
    mp = member_payouts(product, pol, cst, years=[2024, 2025])  # trend 6%, to 2026
    mc = MemberCosts.from_tables(pol, cst, lines=lines, policy_year=[2024, 2025], trend=0.06,
                                 segments=product.segments)
    ref = loop_reference(pol, cst, lines, 0.06, 2026, years=[2024, 2025])
    np.testing.assert_allclose(mp.cost, ref, rtol=1e-13, atol=0)
    for k, s in enumerate(product.segments):  # the same numbers, to the last bit
        x, w = mc.matrix(s)
        assert np.array_equal(x, mp.cost[mp.segment == k])
        assert np.array_equal(w, mp.weight[mp.segment == k])
    assert mp.pricing_year == 2026 and mp.segments == mc.segments == product.segments


def test_cost_table_rows_years_and_trend():
    pol = pd.DataFrame({"policy_id": ["a", "b", "c"], "segment": ["h", "p", "h"],
                        "policy_year": [2023, 2024, 2025], "exposure": [1.0, 0.5, 1.0]})
    cst = pd.DataFrame({"policy_id": ["c", "a", "c", "b"], "benefit_line": ["y", "x", "y", "x"],
                        "cost": [1.0, 100.0, 2.0, 10.0]})
    t = cost_table(pol, cst, years=[2023, 2025], trend=0.1, to_year=2026)
    assert t.lines == ("x", "y") and t.segments == ("h", "p")
    assert t.rows.tolist() == [0, 2] and t.year.tolist() == [2023, 2025]
    np.testing.assert_allclose(t.cost, [[100.0 * 1.1**3, 0.0], [0.0, 3.0 * 1.1]], rtol=1e-15)
    assert t.weight.tolist() == [1.0, 1.0] and t.segment.tolist() == [0, 0]
    # no policy years: no trend is possible, and none is applied
    u = cost_table(pol.drop(columns="policy_year"), cst, segments=["p", "h"])
    assert u.year is None and u.to_year is None and u.segment.tolist() == [1, 0, 1]
    assert u.cost.tolist() == [[100.0, 0.0], [10.0, 0.0], [0.0, 3.0]]


def _err(call) -> str:
    with pytest.raises(DataError) as err:
        call()
    return str(err.value)


def test_every_table_problem_names_table_column_row_and_value():
    pol = pd.DataFrame({"policy_id": ["a", "b", "c"], "segment": ["h", "p", "h"],
                        "policy_year": [2024, 2025, 2025]})
    cst = pd.DataFrame({"policy_id": ["a", "b"], "benefit_line": ["x", "x"],
                        "cost": [1.0, 2.0]})
    assert "costs, column 'cost': [missing_column]" in _err(
        lambda: cost_table(pol, cst.drop(columns="cost")))
    assert "column 'policy_year': [missing_column] required column is missing (needed for the " \
        "medical trend)" in _err(lambda: cost_table(pol.drop(columns="policy_year"), cst,
                                                    trend=0.05))
    assert "policies, column 'policy_id', row 3: [duplicate_id] one row per member-year is " \
        "required (value: 'a')" in _err(lambda: cost_table(pol.assign(policy_id=["a", "b", "a"]),
                                                           cst))
    assert "policies, column 'policy_year', row 2: [not_a_number] policy_year must be a whole " \
        "year (value: 2025.5)" in _err(lambda: cost_table(pol.assign(
            policy_year=[2024, 2025.5, 2025]), cst))
    assert "policies, column 'exposure', row 1: [negative_or_missing]" in _err(
        lambda: cost_table(pol.assign(exposure=[-1.0, 1.0, 1.0]), cst))
    assert "costs, column 'policy_id', row 2: [unknown_id] policy_id not in policies " \
        "(value: 'zz')" in _err(lambda: cost_table(pol, cst.assign(policy_id=["a", "zz"])))
    msg = _err(lambda: cost_table(pol, cst.assign(benefit_line=["dental", "eye"]), lines=["x"],
                                  owner="product T"))
    assert "row 1: [unknown_value] not a line of product T: ['x'] (value: 'dental')" in msg
    assert "row 2: [unknown_value] not a line of product T: ['x'] (value: 'eye')" in msg
    assert "costs, column 'cost', row 2: [negative_or_missing] cost must be a number ≥ 0 (元) " \
        "(value: 'n/a')" in _err(lambda: cost_table(pol, cst.assign(cost=[1.0, "n/a"])))
    assert "policies, column 'segment', row 2: [missing]" in _err(
        lambda: cost_table(pol.assign(segment=["h", None, "h"]), cst))
    with pytest.raises(ParameterError, match="trend: the medical trend must be finite and > −1"):
        cost_table(pol, cst, trend=-1.0)
    with pytest.raises(ParameterError, match=r"no member-years in the policy years \[2019\]"):
        cost_table(pol, cst, years=[2019])
    with pytest.raises(ParameterError, match="distinct, non-empty names"):
        segment_codes(["h"], ["h", "h"])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), trend=st.sampled_from([0.0, 0.03, -0.2]),
       years=st.sampled_from([None, [2024], [2023, 2025]]))
def test_cost_table_equals_a_loop_over_the_rows(seed, trend, years):
    """Random books (several rows per member and line, members without costs, shuffled rows):
    the table is the loop's sums trended by (1 + g)^(Y − y)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 30))
    pol = pd.DataFrame({"policy_id": rng.permutation(n) * 7,
                        "segment": rng.choice(["a", "b", "c"], n),
                        "policy_year": rng.choice([2023, 2024, 2025], n)})
    if years is not None and not pol["policy_year"].isin(years).any():
        pol.loc[0, "policy_year"] = years[0]
    m = int(rng.integers(0, 60))
    cst = pd.DataFrame({"policy_id": rng.choice(pol["policy_id"], m),
                        "benefit_line": rng.choice(["l1", "l2"], m),
                        "cost": np.round(rng.exponential(1000.0, m), 2)})
    lines = ["l2", "l1"]
    t = cost_table(pol, cst, lines=lines, trend=trend, years=years, to_year=2027)
    ref = loop_reference(pol, cst, lines, trend, 2027, years=years)
    np.testing.assert_allclose(t.cost, ref.reshape(t.cost.shape), rtol=1e-12, atol=1e-9)
    kept = pol if years is None else pol[pol["policy_year"].isin(years)]
    assert np.array(t.segments)[t.segment].tolist() == kept["segment"].tolist()
    assert t.segments == tuple(sorted(set(pol["segment"])))
