"""Tuning at the participation equilibrium, prices per segment, fairness groups, ranking and
constraints written as text (issue 15, section 十).

The references are independent computations: the scalar participation API
(:meth:`ParticipationScenario.participation`, ``pool_shares``; :func:`equilibrium_price` by
brentq) called design by design in a plain loop, members' payouts applied by hand
(``min(r (x − d)₊, C)``), and sorts written out with pandas.
"""

from __future__ import annotations

from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from puhui.errors import ParameterError
from puhui.huiminbao import Product, example_product_path
from puhui.pricing.participation import ParticipationScenario, equilibrium_price
from puhui.ratios.exceedance import exceedance_probability
from puhui.tuning import (
    Constraints,
    DesignGrid,
    MemberCosts,
    evaluate,
    optimise,
    plot_heatmap,
    ranking,
)
from test_tuning import LINES, synthetic_costs

SEGMENTS = ("healthy", "preexisting")


@pytest.fixture(scope="module")
def product():
    return Product.from_toml(example_product_path())


@pytest.fixture(scope="module")
def scenario():
    """Three risk classes (costs 0.6 / 1 / 1.6), values following them (a = b = 0.5), on the
    synthetic book's price scale (a member-year costs about 6,600 元)."""
    return ParticipationScenario.from_costs([60.0, 100.0, 160.0], [0.3, 0.5, 0.2],
                                            population=1e6, mean_value=4_000.0, awareness=0.5,
                                            sensitivity=1.7)


@pytest.fixture(scope="module")
def case(product):
    x, seg, w = synthetic_costs(n=700, seed=8)
    costs = MemberCosts(x, lines=LINES, segment=seg, weights=w)
    grid = DesignGrid.from_product(product, deductible=[5_000.0, 10_000.0, 20_000.0],
                                   payout_ratio=[0.5, 0.8],
                                   lines=["in_catalogue", "out_of_catalogue"])
    return grid, costs, x, seg, w


def hand_payouts(grid, x, seg, w):
    """Payout per member-year (Σ pay / Σ w) and the cumulants per member-year (a member's
    divided by the mean exposure) of every design and segment, by a loop over designs."""
    out = []
    for k in range(len(grid)):
        row = {}
        for j, s in enumerate(SEGMENTS):
            m = seg == s
            t = grid.terms[k, :, j]
            y = np.minimum(t[:, 1] * np.maximum(x[m] - t[:, 0], 0.0), t[:, 2]).sum(axis=1)
            expo = w[m].sum() / m.sum()
            raw = [np.mean(y), np.mean(y**2), np.mean(y**3)]
            row[s] = {"mean": y.sum() / w[m].sum(), "raw": raw, "expo": expo,
                      "share": (y > 0).sum() / w[m].sum()}
        out.append(row)
    return out


def test_equilibrium_at_a_fixed_price_design_by_design(case, product, scenario):
    """Members, pool cost, combined ratio and P(CR > 100%) at each design's equilibrium,
    recomputed design by design from the scalar scenario API and hand-applied payouts."""
    grid, costs, x, seg, w = case
    price, ref = 5_000.0, 3_000.0
    ev = evaluate(grid, costs, product, price=price, claim_cv=0.05, participation=scenario,
                  reference_price=ref)
    t = ev.table
    pays = hand_payouts(grid, x, seg, w)
    cur = int(np.flatnonzero(grid.current)[0])
    years = {s: w[seg == s].sum() for s in SEGMENTS}
    n_total = sum(years.values())
    v, e = product.expenses.variable_rate, product.expenses.per_member
    lam = np.array([c.cost for c in scenario.classes])
    part_ref = float(scenario.participation(ref))
    lam_ref = float(scenario.pool_shares(ref) @ lam)
    for k in range(len(grid)):
        n, claims, kap, paid = 0.0, 0.0, np.zeros(3), 0.0
        for s in SEGMENTS:
            b = pays[k][s]["mean"] / pays[cur][s]["mean"]
            part = float(scenario.participation(price, b))
            f = float(scenario.pool_shares(price, b) @ lam) / lam_ref
            n_s = years[s] * part / part_ref
            assert t[f"members_{s}"][k] == pytest.approx(n_s, rel=1e-10)
            assert t[f"pool_cost_{s}"][k] == pytest.approx(f * pays[k][s]["mean"], rel=1e-10)
            assert t[f"benefit_{s}"][k] == pytest.approx(b, rel=1e-12)
            r1, r2, r3 = (f * r for r in pays[k][s]["raw"])  # a pool f times as likely to claim
            cum = np.array([r1, r2 - r1**2, r3 - 3 * r1 * r2 + 2 * r1**3]) / pays[k][s]["expo"]
            n += n_s
            claims += n_s * f * pays[k][s]["mean"]
            kap += n_s * cum
            paid += n_s * f * pays[k][s]["share"]
        assert t["members"][k] == pytest.approx(n, rel=1e-10)
        assert t["members_paid"][k] == pytest.approx(paid, rel=1e-10)
        assert t["participation"][k] == pytest.approx(n / n_total * part_ref, rel=1e-10)
        assert t["pool_cost"][k] == pytest.approx(claims / n, rel=1e-10)
        assert t["expected_cr"][k] == pytest.approx((claims / n + e) / price + v, rel=1e-10)
        # the third cumulant of a member's total adds the lines' (cross terms omitted), so the
        # variance is checked exactly and P(CR > 100%) against the evaluation's own κ₃
        assert ev.moments["aggregate"]["var"][k] == pytest.approx(kap[1], rel=1e-8)
        prob = exceedance_probability(n * (price * (1 - v) - e), kap[0], kap[1],
                                      ev.moments["aggregate"]["third"][k], cv=0.05)
        assert t["prob_cr_above_100"][k] == pytest.approx(float(prob), rel=1e-8, abs=1e-12)
    # the take-up moves: members and pool risk differ across designs
    assert t["members"].max() > 1.5 * t["members"].min()
    assert t["pool_cost_healthy"].max() / t["pure_premium_healthy"].max() != pytest.approx(
        t["pool_cost_healthy"].min() / t["pure_premium_healthy"].min(), rel=1e-3)
    # today's design at today's price keeps today's members
    same = evaluate(grid, costs, product, price=ref, participation=scenario, reference_price=ref)
    assert same.table["members"][cur] == pytest.approx(n_total, rel=1e-12)
    assert same.table["expected_cr"][cur] == pytest.approx(same.table["expected_cr_fixed"][cur],
                                                           rel=1e-12)


def test_equilibrium_price_equals_the_scalar_brentq_search(case, product, scenario):
    """One segment: every design's equilibrium price is equilibrium_price of the scenario
    with its class costs scaled to today's pure premium and the design's benefit ratio; at
    price="required" each design sits at that price and at the target combined ratio."""
    grid, costs, x, seg, w = case
    keep = seg == "healthy"
    one = MemberCosts(x[keep], lines=LINES, segment=seg[keep], weights=w[keep])
    ref = 3_000.0
    ev = evaluate(grid, one, product, price="required", participation=scenario,
                  reference_price=ref)
    t = ev.table
    pure0 = float(t.loc[t["current"], "pure_premium"].iloc[0])
    unit = pure0 / float(scenario.average_cost(ref))
    scaled = replace(scenario, classes=tuple(replace(c, cost=c.cost * unit)
                                             for c in scenario.classes),
                     target_combined_ratio=product.target_combined_ratio,
                     variable_rate=product.expenses.variable_rate,
                     expense_per_member=product.expenses.per_member)
    for k in range(len(grid)):
        eq = equilibrium_price(scaled, benefit=float(t["benefit_healthy"][k]))
        assert eq.exists
        assert t["equilibrium_price"][k] == pytest.approx(eq.price, rel=1e-10)
        assert t["required_premium"][k] == pytest.approx(eq.price, rel=1e-10)
        assert t["price"][k] == pytest.approx(eq.price, rel=1e-10)
        assert t["members"][k] == pytest.approx(
            one.members()["healthy"] * eq.participation / float(scenario.participation(ref)),
            rel=1e-8)
    assert np.allclose(t["expected_cr"], product.target_combined_ratio, rtol=1e-9)
    # the fixed-membership figures are kept beside
    assert np.allclose(t["expected_cr_fixed"], product.target_combined_ratio, rtol=1e-12)
    assert (t["required_premium"] != t["required_premium_fixed"]).any()


def test_a_richer_design_keeps_more_members_at_the_same_price(case, product, scenario):
    grid, costs, *_ = case
    t = evaluate(grid, costs, product, price=5_000.0, participation=scenario,
                 reference_price=3_000.0).table
    body = t[~t["current"]]
    for _, same in body.groupby("deductible"):
        same = same.sort_values("payout_ratio")
        assert same["members"].is_monotonic_increasing
    price_only = evaluate(grid, costs, product, price=5_000.0, reference_price=3_000.0,
                          participation=replace(scenario, benefit_elasticity=0.0)).table
    assert np.allclose(price_only["members"], price_only["members"].iloc[0], rtol=1e-12)


def test_prices_per_segment_and_relativities(case, product):
    """A 既往症 tier: premium per member Σ π_s P_s, benefit ratio by segment at its own price,
    P(CR > 100%) at the tiered premium income; price='required' with a relativity keeps the
    tier and the average at the required premium."""
    grid, costs, x, seg, w = case
    pays = hand_payouts(grid, x, seg, w)
    years = {s: w[seg == s].sum() for s in SEGMENTS}
    pi = {s: years[s] / sum(years.values()) for s in SEGMENTS}
    tier = {"healthy": 4_000.0, "preexisting": 9_000.0}
    ev = evaluate(grid, costs, product, price=tier, claim_cv=0.05)
    flat_avg = sum(pi[s] * tier[s] for s in SEGMENTS)
    flat = evaluate(grid, costs, product, price=flat_avg, claim_cv=0.05)
    v = product.expenses.variable_rate
    t = ev.table
    for k in range(len(grid)):
        pure = sum(pi[s] * pays[k][s]["mean"] for s in SEGMENTS)
        assert t["price"][k] == pytest.approx(flat_avg, rel=1e-12)
        assert t["expected_cr"][k] == pytest.approx(pure / flat_avg + v, rel=1e-10)
        for s in SEGMENTS:
            assert t[f"benefit_ratio_{s}"][k] == pytest.approx(pays[k][s]["mean"] / tier[s],
                                                               rel=1e-10)
            assert t[f"price_{s}"][k] == tier[s]
    # the premium income is the same as the flat average's: the same risk
    assert np.allclose(t["prob_cr_above_100"], flat.table["prob_cr_above_100"], rtol=1e-12)
    assert ev.assumptions["price"] == tier
    req = evaluate(grid, costs, product, price="required", relativity={"preexisting": 2.0})
    r = req.table
    assert np.allclose(r["price_preexisting"] / r["price_healthy"], 2.0, rtol=1e-12)
    assert np.allclose(r["price"], r["required_premium"], rtol=1e-12)
    assert np.allclose(r["expected_cr"], product.target_combined_ratio, rtol=1e-12)
    for kwargs, match in (({"price": {"healthy": 100.0}}, "no price for the segments"),
                          ({"price": {"sick": 1.0, "healthy": 1.0}}, "unknown segments"),
                          ({"price": 100.0, "relativity": {"preexisting": 2.0}}, "relativity"),
                          ({"price": "required", "relativity": {"healthy": -1.0}}, "> 0"),
                          ({"participation": "yes"}, "ParticipationScenario")):
        with pytest.raises(ParameterError, match=match):
            evaluate(grid, costs, product, **kwargs)


def test_fairness_groups_by_hand(case, product, scenario):
    """Each group's payout, share paid and benefit ratio at its premium; the least over the
    segments and groups; group prices (age-banded) override the segment price."""
    grid, costs, x, seg, w = case
    old = np.arange(len(x)) % 3 == 0  # a made-up 'age 60+' group
    groups = {name: MemberCosts(x[m], lines=LINES, segment=seg[m], weights=w[m])
              for name, m in (("old", old), ("young", ~old))}
    price = 6_000.0
    ev = evaluate(grid, costs, product, price=price, groups=groups,
                  group_prices={"old": 9_000.0})
    t = ev.table
    for name, m in (("old", old), ("young", ~old)):
        gp = hand_payouts(grid, x[m], seg[m], w[m])
        yrs = {s: w[m & (seg == s)].sum() for s in SEGMENTS}
        tot = sum(yrs.values())
        premium = 9_000.0 if name == "old" else price
        for k in range(len(grid)):
            pure = sum(yrs[s] / tot * gp[k][s]["mean"] for s in SEGMENTS)
            share = sum(yrs[s] / tot * gp[k][s]["share"] for s in SEGMENTS)
            assert t[f"pure_premium[{name}]"][k] == pytest.approx(pure, rel=1e-10)
            assert t[f"share_paid[{name}]"][k] == pytest.approx(share, rel=1e-10)
            assert t[f"benefit_ratio[{name}]"][k] == pytest.approx(pure / premium, rel=1e-10)
    cols = ["benefit_ratio_healthy", "benefit_ratio_preexisting", "benefit_ratio[old]",
            "benefit_ratio[young]"]
    assert np.allclose(t["benefit_ratio_min_group"], t[cols].min(axis=1), rtol=1e-15)
    cols = ["share_paid_healthy", "share_paid_preexisting", "share_paid[old]",
            "share_paid[young]"]
    assert np.allclose(t["share_paid_min_group"], t[cols].min(axis=1), rtol=1e-15)
    choice = optimise(ev, Constraints(min_group_benefit_ratio=0.3), objective="share_paid")
    assert choice.design is not None
    assert t["benefit_ratio_min_group"][choice.design] >= 0.3
    # with participation the groups' members and claims follow their segments'
    eq = evaluate(grid, costs, product, price=price, groups=groups, participation=scenario,
                  reference_price=3_000.0).table
    scale = {s: eq[f"members_{s}"] / (w[seg == s].sum()) for s in SEGMENTS}
    yrs = {s: w[old & (seg == s)].sum() for s in SEGMENTS}
    assert np.allclose(eq["members[old]"], sum(yrs[s] * scale[s] for s in SEGMENTS),
                       rtol=1e-10)
    with pytest.raises(ParameterError, match="group_prices"):
        evaluate(grid, costs, product, groups=groups, group_prices={"middle": 1.0})


# -- ranking, constraints as text, heat-map marks -----------------------------------------------


rows = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(50, 150),
                          st.floats(0, 0.3)), min_size=1, max_size=30)


@settings(max_examples=30, deadline=None)
@given(rows=rows, alpha=st.floats(0, 0.3))
def test_ranking_is_the_sorted_feasible_set_and_starts_with_the_choice(rows, alpha):
    table = pd.DataFrame(rows, columns=["share_paid", "pure_premium", "required_premium",
                                        "prob_cr_above_100"])
    table.insert(0, "design", np.arange(len(table)))
    cons = Constraints(max_prob_loss=alpha)
    ranked = ranking(table, cons, objective=["share_paid", "pure_premium"])
    ok = table[table["prob_cr_above_100"] <= alpha]
    expected = ok.sort_values(["share_paid", "pure_premium", "required_premium", "design"],
                              ascending=[False, False, True, True])
    assert ranked["design"].tolist() == expected["design"].tolist()
    assert ranked["rank"].tolist() == list(range(1, len(ok) + 1))
    choice = optimise(table, cons, objective=["share_paid", "pure_premium"])
    assert choice.design == (ranked["design"].iloc[0] if len(ranked) else None)
    assert len(ranking(table, cons, objective=["share_paid", "pure_premium"], top=2)) == min(
        2, len(ok))


def test_constraints_parse():
    base = Constraints(max_combined_ratio=0.95, max_prob_loss=0.1)
    c = Constraints.parse(["expected_cr<=0.9", "share_paid >= 0.015",
                           "benefit_ratio_preexisting>=0.5", "benefit_ratio_preexisting<=2",
                           "benefit_ratio_min_group>=0.1"], base=base)
    assert c.max_combined_ratio == 0.9 and c.max_prob_loss == 0.1
    assert c.min_share_paid == 0.015 and c.min_group_benefit_ratio == 0.1
    assert c.bounds == {"benefit_ratio_preexisting": (0.5, 2.0)}
    # a column with a field of the other direction is a bound
    assert Constraints.parse("expected_cr>=0.8").bounds == {"expected_cr": (0.8, None)}
    for bad in ("expected_cr=0.9", "expected_cr<=cheap", "<=0.9", "a<=1<=2"):
        with pytest.raises(ParameterError, match="constraint"):
            Constraints.parse([bad])


def test_heatmap_marks_the_current_and_the_chosen_design(case, product):
    grid, costs, *_ = case
    ev = evaluate(grid, costs, product, price=6_000.0)
    choice = optimise(ev, objective="share_paid")
    ax = plot_heatmap(ev, "expected_cr", chosen=choice.design, current=(20_000, 0.8, "80/70"))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(labels) == 2 and "80/70" in labels[0]
    star = [ln for ln in ax.get_lines() if ln.get_marker() == "*"][0]
    row = ev.table.loc[choice.design]
    deds, ratios = [5_000.0, 10_000.0, 20_000.0], [0.5, 0.8]
    assert star.get_xdata()[0] == deds.index(row["deductible"])
    assert star.get_ydata()[0] == ratios.index(row["payout_ratio"])
    square = [ln for ln in ax.get_lines() if ln.get_marker() == "s"][0]
    assert (square.get_xdata()[0], square.get_ydata()[0]) == (2.0, 1.0)
    plt.close(ax.figure)
    with pytest.raises(ParameterError, match="chosen"):
        plot_heatmap(ev, "expected_cr", chosen=10_000)


def test_tune_prices_an_age_banded_product_by_its_bands(product):
    """A product priced by age band: tune holds each design at the experience's premium per
    member-year (Σ w · band price / Σ w) and each band's fairness group at its own price; the
    membership stays fixed (take-up needs one observed price) and the report's text says so."""
    from puhui.huiminbao import tune

    rng = np.random.default_rng(5)
    n = 600
    pol = pd.DataFrame({"policy_id": [f"M{i:04d}" for i in range(n)], "product": "HMB-XC",
                        "segment": np.where(rng.random(n) < 0.2, "preexisting", "healthy"),
                        "policy_year": 2025, "age": rng.integers(18, 95, n),
                        "exposure": rng.choice([1.0, 0.5], n, p=[0.8, 0.2])})
    has = np.flatnonzero(rng.random(n) < 0.3)
    cst = pd.DataFrame({"policy_id": pol["policy_id"].to_numpy()[has],
                        "benefit_line": "in_catalogue",
                        "cost": np.round(rng.lognormal(9.5, 1.2, has.size), 2)})
    banded = replace(product, flat_price=None, age_bands=((0, 60, 89.0), (60, 121, 139.0)))
    ev, _, _ = tune(banded, pol, cst, deductibles=[10_000, 20_000], ratios=[0.6, 0.8])
    w = pol["exposure"].to_numpy()
    band_price = np.where(pol["age"] < 60, 89.0, 139.0)
    assert ev.assumptions["price"] == pytest.approx(w @ band_price / w.sum(), rel=1e-12)
    assert ev.assumptions["take_up"].startswith("Membership held fixed")
    t = ev.table
    assert "members" not in t.columns
    for name, price in (("age 0-60", 89.0), ("age 60-121", 139.0)):
        assert np.allclose(t[f"benefit_ratio[{name}]"], t[f"pure_premium[{name}]"] / price,
                           rtol=1e-12)
