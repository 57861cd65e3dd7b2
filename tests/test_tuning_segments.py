"""Segments come from the product definition: a made-up product with a third segment
(``elderly``) priced and tuned end to end, and a book holding a segment the product does not
define stopped with its value, row and the product's segments.

The reference values are an independent computation: the costs are pivoted and trended with
pandas, every member is paid under the terms the product file states for its segment (written
out by hand below, including the rules by which the other segments follow the grid's healthy
axes), by :class:`puhui.benefits.Benefit`, and summed over the member-years: a member with
exposure ``w`` and the costs of that exposure is paid once, so the payout per member-year is
``Σ pay / Σ w`` — pricing's reading (``member_payouts``), which tuning follows.
"""

from __future__ import annotations

import tomllib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from puhui.benefits import Benefit
from puhui.errors import DataError, ParameterError
from puhui.experience.member_costs import CostModel, MemberCosts
from puhui.huiminbao import Product, member_payouts, price_from_experience, tune
from puhui.tuning import DesignGrid, evaluate

PRODUCT = """
[product]
code = "T3"
name = "three segments (made up)"
target_combined_ratio = 0.9

[price]
flat = 300.0

[expenses]
commission = 0.05
admin = 0.05
per_member = 2.0

[[lines]]
name = "inpatient"
cap = 200_000
healthy = { deductible = 10_000, payout_ratio = 0.8 }
preexisting = { deductible = 20_000, payout_ratio = 0.4 }
elderly = { deductible = 15_000, payout_ratio = 0.6, cap = 100_000 }

[[lines]]
name = "drugs"
cap = 50_000
healthy = { deductible = 0, payout_ratio = 0.6 }
elderly = { deductible = 0, payout_ratio = 0.5 }
"""
SEGMENTS = ("healthy", "preexisting", "elderly")
LINES = ("inpatient", "drugs")
TREND = 0.05


def expected_terms(d_h: float, r_h: float) -> dict:
    """(d, r, C) of each line × segment when the grid sets the healthy in-patient 起付线 d_h and
    赔付比例 r_h, stated from the file and docs/tuning.md: every other segment keeps the
    product's multiple of the healthy 起付线 (20,000/10,000 = 2; 15,000/10,000 = 1.5) and share
    of its 赔付比例 (0.4/0.8 = ½; 0.6/0.8 = ¾), and its own cap; ``drugs`` has no 既往症 terms,
    so 既往症 members are paid on its healthy terms."""
    return {
        ("inpatient", "healthy"): (d_h, r_h, 200_000.0),
        ("inpatient", "preexisting"): (2.0 * d_h, 0.5 * r_h, 200_000.0),
        ("inpatient", "elderly"): (1.5 * d_h, 0.75 * r_h, 100_000.0),
        ("drugs", "healthy"): (0.0, 0.6, 50_000.0),
        ("drugs", "preexisting"): (0.0, 0.6, 50_000.0),
        ("drugs", "elderly"): (0.0, 0.5, 50_000.0),
    }


@pytest.fixture(scope="module")
def product():
    return Product.from_dict(tomllib.loads(PRODUCT))


def make_book(seed: int, n: int = 900):
    """Member-years of 2024–2025 in three segments, with costs on both lines (some zero, some
    exactly at a deductible) and part-year exposures."""
    rng = np.random.default_rng(seed)
    pol = pd.DataFrame({
        "policy_id": [f"M{i:04d}" for i in range(n)],
        "product": "T3",
        "segment": rng.choice(SEGMENTS, n, p=[0.6, 0.25, 0.15]),
        "policy_year": rng.choice([2024, 2025], n),
        "exposure": rng.choice([1.0, 0.5, 0.25], n, p=[0.8, 0.1, 0.1]),
    })
    parts = []
    for line, q, scale in (("inpatient", 0.35, 12_000.0), ("drugs", 0.2, 3_000.0)):
        has = np.flatnonzero(rng.random(n) < q)
        cost = np.round(rng.lognormal(np.log(scale), 1.3, has.size), 2)
        parts.append(pd.DataFrame({"policy_id": pol["policy_id"].to_numpy()[has],
                                   "benefit_line": line, "cost": cost}))
    cst = pd.concat(parts, ignore_index=True)
    cst.loc[:4, "cost"] = 10_000.0  # costs exactly at the healthy 起付线
    return pol, cst


def by_hand(pol, cst, terms, trend=TREND, to_year=2026):
    """Per segment: payout and members paid per member-year, ``Σ pay / Σ w`` and
    ``#paid / Σ w`` (pandas pivot, Benefit.pay)."""
    wide = (cst.pivot_table(index="policy_id", columns="benefit_line", values="cost",
                            aggfunc="sum").reindex(pol["policy_id"]).fillna(0.0))
    factor = (1.0 + trend) ** (to_year - pol["policy_year"].to_numpy())
    w = pol["exposure"].to_numpy()
    seg = pol["segment"].to_numpy()
    out = {}
    for s in SEGMENTS:
        m = seg == s
        pay = sum(Benefit(*terms[(line, s)]).pay(wide[line].to_numpy()[m] * factor[m])
                  for line in LINES)
        out[s] = (float(pay.sum() / w[m].sum()), float((pay > 0).sum() / w[m].sum()))
    return out


def test_the_product_file_defines_the_segments(product):
    assert product.segments == SEGMENTS
    # the line without 既往症 terms pays them on its healthy terms (one rule: Product.benefit)
    drugs = product.benefit("drugs")
    assert drugs.segments == SEGMENTS
    assert drugs.pay([10_000.0] * 3, segment=list(SEGMENTS)).tolist() == [6_000.0, 6_000.0,
                                                                          5_000.0]
    grid = DesignGrid.current_design(product)
    assert grid.segments == SEGMENTS
    assert grid.terms[0, LINES.index("drugs"), SEGMENTS.index("preexisting")].tolist() == [
        0.0, 0.6, 50_000.0]


def test_three_segments_grid_to_evaluate_equal_benefit_by_hand(product):
    pol, cst = make_book(1)
    grid = DesignGrid.from_product(product, deductible=[5_000.0, 10_000.0],
                                   payout_ratio=[0.7, 0.8], lines=["inpatient"])
    assert grid.segments == SEGMENTS and len(grid) == 4  # the current design is on the grid
    costs = MemberCosts.from_tables(pol, cst, lines=LINES, trend=TREND,
                                    segments=product.segments, owner="product T3")
    ev = evaluate(grid, costs, product)
    t = ev.table
    w = pol.groupby("segment")["exposure"].sum()
    pi = w / w.sum()
    for k in range(len(grid)):
        d_h, r_h = t.loc[k, "deductible"], t.loc[k, "payout_ratio"]
        terms = expected_terms(d_h, r_h)
        for (line, s), (d, r, c) in terms.items():  # the grid holds the stated terms
            assert [t.loc[k, f"{line}.{s}.{x}"] for x in ("deductible", "payout_ratio", "cap")
                    ] == pytest.approx([d, r, c], rel=1e-15)
        ref = by_hand(pol, cst, terms)
        for s in SEGMENTS:
            assert t.loc[k, f"pure_premium_{s}"] == pytest.approx(ref[s][0], rel=1e-12)
            assert t.loc[k, f"share_paid_{s}"] == pytest.approx(ref[s][1], rel=1e-12)
        assert t.loc[k, "pure_premium"] == pytest.approx(
            sum(pi[s] * ref[s][0] for s in SEGMENTS), rel=1e-12)
    long = ev.by_segment()
    assert list(long["segment"].unique()) == sorted([*SEGMENTS, "total"])
    assert len(long) == 4 * len(grid)
    assert set(ev.moments) == {*SEGMENTS, "aggregate"}


def test_three_segments_tune_and_price_end_to_end(product):
    pol, cst = make_book(2)
    ev, choice, _ = tune(product, pol, cst, deductibles=[5_000, 10_000, 20_000],
                         ratios=[0.6, 0.8], lines=("inpatient",), trend=TREND)
    assert ev.grid.segments == SEGMENTS and ev.assumptions["experience_years"] == [2025]
    assert {f"share_paid_{s}" for s in SEGMENTS} <= set(ev.table.columns)
    last = pol[pol["policy_year"] == 2025]
    cur = ev.table[ev.table["current"]].iloc[0]
    ref = by_hand(last, cst[cst["policy_id"].isin(last["policy_id"])],
                  expected_terms(10_000.0, 0.8))
    for s in SEGMENTS:
        assert cur[f"pure_premium_{s}"] == pytest.approx(ref[s][0], rel=1e-12)
    # pricing reads the same segments and the same terms (member_payouts on the one cost table)
    res = price_from_experience(product, pol, cst, trend=TREND, measure="none")
    cells = res.cells.set_index(["line", "segment"])
    assert list(res.cells["segment"].unique()) == list(SEGMENTS)
    wide = (cst.pivot_table(index="policy_id", columns="benefit_line", values="cost",
                            aggfunc="sum").reindex(pol["policy_id"]).fillna(0.0))
    factor = (1.0 + TREND) ** (2026 - pol["policy_year"].to_numpy())
    w, seg = pol["exposure"].to_numpy(), pol["segment"].to_numpy()
    for (line, s), terms in expected_terms(10_000.0, 0.8).items():
        m = seg == s
        pay = Benefit(*terms).pay(wide[line].to_numpy()[m] * factor[m])
        # pricing's E_lc: the payouts of the cell over its member-years (Σ pay / Σ W)
        assert cells.loc[(line, s), "expected_payout"] == pytest.approx(
            pay.sum() / w[m].sum(), rel=1e-12)
    mp = member_payouts(product, pol, cst, trend=TREND)
    assert mp.segments == SEGMENTS
    assert np.array_equal(np.asarray(SEGMENTS)[mp.segment], seg)


def test_tune_and_price_agree_on_the_payout_per_member_year_with_part_year_members(product):
    """Exposures of 1, ½ and ¼: tuning and pricing give the same expected payout per
    member-year, by segment and in total (Σ pay / Σ w on both sides), and it is not the
    exposure-weighted mean Σ w·pay / Σ w (the old tuning reading, which differs here)."""
    pol, cst = make_book(4)
    assert set(pol["exposure"]) == {1.0, 0.5, 0.25}
    ev, _, _ = tune(product, pol, cst, deductibles=[10_000], ratios=[0.8],
                    lines=("inpatient",), trend=TREND, years=[2024, 2025], take_up=None)
    cur = ev.table[ev.table["current"]].iloc[0]
    res = price_from_experience(product, pol, cst, trend=TREND, measure="none", mix="all")
    cells = res.cells.set_index(["line", "segment"])
    w = pol.groupby("segment")["exposure"].sum()
    for s in SEGMENTS:
        priced = sum(cells.loc[(line, s), "expected_payout"] for line in LINES)
        assert cur[f"pure_premium_{s}"] == pytest.approx(priced, rel=1e-12)
    assert cur["pure_premium"] == pytest.approx(res.pure_premium, rel=1e-12)
    assert cur["pure_premium"] == pytest.approx(
        sum(w[s] / w.sum() * cur[f"pure_premium_{s}"] for s in SEGMENTS), rel=1e-12)
    # the exposure-weighted mean of the members' payouts is a different number on this book
    wide = (cst.pivot_table(index="policy_id", columns="benefit_line", values="cost",
                            aggfunc="sum").reindex(pol["policy_id"]).fillna(0.0))
    factor = (1.0 + TREND) ** (2026 - pol["policy_year"].to_numpy())
    pay = np.zeros(len(pol))
    seg = pol["segment"].to_numpy()
    for (line, s), terms in expected_terms(10_000.0, 0.8).items():
        m = seg == s
        pay[m] += Benefit(*terms).pay(wide[line].to_numpy()[m] * factor[m])
    ex = pol["exposure"].to_numpy()
    assert abs(ex @ pay / ex.sum() / cur["pure_premium"] - 1) > 0.02
    assert pay.sum() / ex.sum() == pytest.approx(cur["pure_premium"], rel=1e-12)


@pytest.mark.parametrize("call", ["tune", "price", "member_payouts", "member_costs"])
def test_a_segment_the_product_does_not_define_names_value_row_and_segments(product, call):
    pol, cst = make_book(3, n=60)
    pol.loc[6, "segment"] = "retired"
    pol.loc[9, "segment"] = "retired"
    pol.loc[11, "segment"] = "student"
    run = {
        "tune": lambda: tune(product, pol, cst, years=[2024, 2025], deductibles=[5_000],
                             ratios=[0.8], lines=("inpatient",)),
        "price": lambda: price_from_experience(product, pol, cst),
        "member_payouts": lambda: member_payouts(product, pol, cst),
        "member_costs": lambda: MemberCosts.from_tables(pol, cst, segments=product.segments,
                                                        owner="product T3"),
    }[call]
    with pytest.raises(DataError) as err:
        run()
    msg = str(err.value)
    shown = "not a segment of product T3: ['healthy', 'preexisting', 'elderly']"
    assert f"policies, column 'segment', row 7: [unknown_value] {shown} (value: 'retired')" in msg
    assert f"row 12: [unknown_value] {shown} (value: 'student')" in msg
    assert len(err.value.problems) == 2  # one problem per value, at its first row


def test_evaluate_refuses_costs_of_a_segment_the_grid_lacks(product):
    pol, cst = make_book(4, n=80)
    pol.loc[4, "segment"] = "retired"
    costs = MemberCosts.from_tables(pol, cst, trend=TREND)  # the segments found in the data
    assert costs.segments == ("elderly", "healthy", "preexisting", "retired")
    grid = DesignGrid.current_design(product)
    with pytest.raises(DataError, match=r"policies, column 'segment', row 5: \[unknown_value\] "
                                        r"not a segment of product T3: \['healthy', "
                                        r"'preexisting', 'elderly'\] \(value: 'retired'\)"):
        evaluate(grid, costs, product)
    # a segment of the grid without member-years has no share unless the mix gives it one
    ok = MemberCosts.from_tables(pol.drop(index=4), cst[cst["policy_id"] != "M0004"],
                                 trend=TREND)
    healthy_only = MemberCosts(ok.matrix("healthy")[0], lines=ok.lines,
                               segment=["healthy"] * len(ok.matrix("healthy")[1]))
    t = evaluate(grid, healthy_only, product).table
    assert np.isnan(t["pure_premium_elderly"].iloc[0])
    assert t["pure_premium"].iloc[0] == t["pure_premium_healthy"].iloc[0]
    with pytest.raises(ParameterError, match="no member-years there"):
        evaluate(grid, healthy_only, product, mix={"healthy": 0.5, "elderly": 0.5})
    # a fitted model: the segments of its laws; another one is named
    from scipy import stats

    law = (0.2, stats.lognorm(1.0, scale=5_000.0))
    model = CostModel({(ln, s): law for ln in LINES for s in ("healthy", "retired")},
                      members={"healthy": 900.0, "retired": 100.0})
    assert model.segments == ("healthy", "retired")
    with pytest.raises(ParameterError, match=r"segments \['retired'\] \(100 member-years\) are "
                                             r"not a segment of product T3"):
        evaluate(grid, model, product)


def test_segment_tables_in_the_product_file():
    doc = tomllib.loads(PRODUCT)
    # file order after healthy, whichever order a line writes its tables in
    doc["lines"][0] = {"name": "inpatient", "elderly": {"deductible": 0, "payout_ratio": 0.5},
                       "healthy": {"deductible": 0, "payout_ratio": 0.8}}
    assert Product.from_dict(doc).segments == ("healthy", "elderly")
    # a misspelt segment is an unknown key with the near name, not a new segment
    for typo, near in (("eldery", "elderly"), ("healty", "healthy"),
                       ("preexisitng", "preexisting")):
        bad = tomllib.loads(PRODUCT.replace("elderly = { deductible = 0",
                                            f"{typo} = {{ deductible = 0"))
        with pytest.raises(ParameterError, match=rf"\[\[lines\]\] #2 \(drugs\) has unknown "
                                                 rf"keys: '{typo}' \(did you mean '{near}'\?\)"):
            Product.from_dict(bad)
    # a product without 既往症 terms has no such segment: its members are refused by name
    one = tomllib.loads(PRODUCT.replace("preexisting = { deductible = 20_000, "
                                        "payout_ratio = 0.4 }\n", ""))
    assert Product.from_dict(one).segments == ("healthy", "elderly")
    with pytest.raises(ParameterError, match="segment name must be non-empty and without '.'"):
        Product.from_dict(tomllib.loads(PRODUCT.replace("elderly = {", '"el.derly" = {')))


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), d_h=st.sampled_from([0.0, 2_500.0, 10_000.0, 40_000.0]),
       r_h=st.sampled_from([0.3, 0.65, 1.0]), trend=st.sampled_from([0.0, 0.08]))
def test_three_segment_payouts_match_benefit_on_random_books(product, seed, d_h, r_h, trend):
    """Any book, any healthy 起付线 × 赔付比例: each segment's expected payout and share paid
    equal the product's stated terms applied with Benefit, and relabelling the segments' order
    in MemberCosts does not change them."""
    pol, cst = make_book(seed, n=120)
    grid = DesignGrid.from_product(product, deductible=[d_h], payout_ratio=[r_h],
                                   lines=["inpatient"], include_current=False)
    ref = by_hand(pol, cst, expected_terms(d_h, r_h), trend=trend)
    for order in (SEGMENTS, SEGMENTS[::-1]):
        costs = MemberCosts.from_tables(pol, cst, lines=LINES, trend=trend, segments=order)
        t = evaluate(grid, costs, product).table
        for s in SEGMENTS:
            assert t[f"pure_premium_{s}"].iloc[0] == pytest.approx(ref[s][0], rel=1e-12,
                                                                   abs=1e-12)
            assert t[f"share_paid_{s}"].iloc[0] == pytest.approx(ref[s][1], rel=1e-12,
                                                                 abs=1e-15)


def test_another_products_book_is_tuned_at_fixed_membership_unless_asked(product):
    """The bundled take-up was calibrated to the example's book: for product T3 the members
    are held fixed and the text says why; --example-take-up applies it, saying so."""
    pol, cst = make_book(5, n=300)
    ev, _, _ = tune(product, pol, cst, deductibles=[10_000], ratios=[0.8], lines=("inpatient",),
                    trend=TREND)
    assert "members" not in ev.table.columns
    assert ev.assumptions["take_up"].startswith(
        "Membership held fixed: no take-up model is calibrated for product T3")
    ev, _, _ = tune(product, pol, cst, deductibles=[10_000], ratios=[0.8], lines=("inpatient",),
                    trend=TREND, example_take_up=True)
    assert "members" in ev.table.columns
    assert "applied to product T3 at your request" in ev.assumptions["take_up"]
    cur = ev.table[ev.table["current"]].iloc[0]
    assert cur["members"] == pytest.approx(pol.loc[pol["policy_year"] == 2025,
                                                   "exposure"].sum(), rel=1e-12)
