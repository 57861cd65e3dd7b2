"""Pareto frontier, constraints and the optimiser (checked by brute force), and the plots."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from puhui.errors import ParameterError
from puhui.huiminbao import Product, example_product_path
from puhui.tuning.costs import MemberCosts
from puhui.tuning.evaluate import evaluate
from puhui.tuning.frontier import pareto_frontier, pareto_mask
from puhui.tuning.grid import DesignGrid
from puhui.tuning.optimise import Constraints, optimise
from puhui.tuning.plots import plot_frontier, plot_heatmap
from test_tuning import LINES, synthetic_costs


def dominated_brute_force(c, b):
    out = []
    for i in range(len(c)):
        if np.isnan(c[i]) or np.isnan(b[i]):
            out.append(True)
            continue
        out.append(any(c[j] <= c[i] and b[j] >= b[i] and (c[j] < c[i] or b[j] > b[i])
                       for j in range(len(c)) if not (np.isnan(c[j]) or np.isnan(b[j]))))
    return np.array(out)


points = st.lists(st.tuples(st.integers(0, 8), st.integers(0, 8)), min_size=1, max_size=40)


@settings(max_examples=80, deadline=None)
@given(pts=points)
def test_frontier_is_exactly_the_non_dominated_set(pts):
    """Small integer values force many ties: the frontier holds every non-dominated design
    (duplicates included) and nothing else."""
    c = np.array([p[0] for p in pts], float)
    b = np.array([p[1] for p in pts], float)
    assert np.array_equal(pareto_mask(c, b), ~dominated_brute_force(c, b))


def test_frontier_ignores_nan_and_orders_rows():
    table = pd.DataFrame({"design": range(6), "required_premium": [100, 90, 90, np.nan, 120, 90],
                          "share_paid": [80, 70, 75, 99, 80, 75]})
    front = pareto_frontier(table)
    assert front["design"].tolist() == [2, 5, 0]
    with pytest.raises(ParameterError, match="price"):
        pareto_frontier(table, cost="price")


table_rows = st.lists(st.tuples(st.integers(50, 150), st.integers(0, 30), st.floats(0, 0.3),
                                st.floats(0.7, 1.2)), min_size=1, max_size=40)


@settings(max_examples=80, deadline=None)
@given(rows=table_rows, budget=st.integers(50, 150), alpha=st.floats(0, 0.3))
def test_optimiser_is_feasible_optimal_and_deterministic(rows, budget, alpha):
    table = pd.DataFrame(rows, columns=["required_premium", "pure_premium", "prob_cr_above_100",
                                        "expected_cr"])
    table.insert(0, "design", np.arange(len(table)))
    cons = Constraints(max_price=budget, max_prob_loss=alpha, max_combined_ratio=1.0)
    choice = optimise(table, cons)
    ok = ((table["required_premium"] <= budget) & (table["prob_cr_above_100"] <= alpha)
          & (table["expected_cr"] <= 1.0))
    assert choice.feasible_designs == int(ok.sum())
    if not ok.any():
        assert choice.design is None and choice.row is None
        return
    feasible = table[ok]
    best = feasible["pure_premium"].max()
    # brute force: best objective, then the lower premium, then the lower design number
    expected = feasible[feasible["pure_premium"] == best].sort_values(
        ["required_premium", "design"]).iloc[0]["design"]
    assert choice.design == expected
    assert (choice.slack.to_numpy() >= 0).all()
    assert choice.summary()["value"].notna().all()


def test_constraints_bounds_minimum_and_summary():
    table = pd.DataFrame({"design": [0, 1, 2], "required_premium": [100.0, 110.0, 120.0],
                          "pure_premium": [60.0, 70.0, 80.0], "benefit_ratio": [0.7, 0.8, 0.9],
                          "share_paid": [0.01, 0.02, 0.03], "cap": [1e6, 2e6, 3e6]})
    cons = Constraints(max_price=115.0, min_benefit_ratio=0.75, min_share_paid=0.015,
                       bounds={"cap": (None, 2e6)})
    choice = optimise(table, cons)
    assert choice.design == 1
    summ = choice.summary()
    assert summ["constraint"].tolist() == ["required_premium <=", "benefit_ratio >=",
                                           "share_paid >=", "cap <="]
    assert summ["binding"].tolist() == [False, False, False, True]
    cheapest = optimise(table, objective="required_premium", maximize=False)
    assert cheapest.design == 0
    # lexicographic: the most members paid, then the most generous among them
    lex = pd.DataFrame({"design": [0, 1, 2, 3], "required_premium": [90.0, 95.0, 99.0, 80.0],
                        "share_paid": [0.02, 0.02, 0.02, 0.01],
                        "pure_premium": [60.0, 70.0, 65.0, 99.0]})
    assert optimise(lex, objective="share_paid").design == 0  # tie → lower premium
    assert optimise(lex, objective=["share_paid", "pure_premium"]).design == 1
    assert optimise(lex, objective=["share_paid", "pure_premium"],
                    maximize=[True, False]).design == 0
    with pytest.raises(ParameterError, match="direction"):
        optimise(lex, objective=["share_paid"], maximize=[True, False])
    with pytest.raises(ParameterError, match="no column"):
        optimise(table, objective="nothing")
    with pytest.raises(ParameterError, match="no such column"):
        optimise(table, Constraints(max_prob_loss=0.05))


@pytest.fixture(scope="module")
def evaluation():
    product = Product.from_toml(example_product_path())
    x, seg, w = synthetic_costs(n=800, seed=5)
    costs = MemberCosts(x, lines=LINES, segment=seg, weights=w)
    grid = DesignGrid.from_product(product, deductible=[5_000.0, 10_000.0, 15_000.0, 20_000.0],
                                   payout_ratio=[0.6, 0.7, 0.8, 0.9], cap=[5e4, 1e6],
                                   lines=["in_catalogue", "out_of_catalogue"])
    # the synthetic book is costly (≈ 6,600 元 per member-year: its members' payouts over
    # their part-year exposures, pricing's Σ pay / Σ w): price it accordingly
    return evaluate(grid, costs, product, price=8_000.0, members=100_000, claim_cv=0.05)


def test_optimiser_on_an_evaluated_grid(evaluation):
    t = evaluation.table
    budget = float(t["required_premium"].median())
    cons = Constraints(max_price=budget, max_prob_loss=0.3)
    choice = evaluation.optimise(cons)
    ok = cons.feasible(t)
    assert 0 < ok.sum() < len(t)
    assert ok[choice.design]
    assert t["pure_premium"][choice.design] == t["pure_premium"][ok].max()
    # the most members paid within the budget: on the (required premium, share paid) frontier,
    # because ties go to the lower premium
    best_share = evaluation.optimise(Constraints(max_price=budget), objective="share_paid")
    assert best_share.design in set(evaluation.frontier()["design"])
    # against the expected payout the required premium is affine: no trade-off, all designs
    assert len(evaluation.frontier(benefit="pure_premium")) == len(t)


def test_plots_mark_frontier_current_and_chosen(evaluation):
    choice = evaluation.optimise(Constraints(max_price=8_000.0))
    assert choice.design is not None
    ax = plot_frontier(evaluation, chosen=choice.design)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(labels) == 4  # designs, frontier, current, chosen
    front = evaluation.frontier()
    line = ax.get_lines()[0]
    assert np.allclose(np.sort(line.get_xdata()), np.sort(front["required_premium"]))
    assert 0 < len(front) < len(evaluation.table)
    plt.close(ax.figure)

    ax = plot_heatmap(evaluation, "required_premium", where={"cap": 1e6})
    img = ax.get_images()[0].get_array()
    t = evaluation.table
    sel = t[(t["cap"] == 1e6) & (t["deductible"] == 5_000.0) & (t["payout_ratio"] == 0.6)]
    assert img.shape == (4, 4)
    assert img[0, 0] == pytest.approx(sel["required_premium"].iloc[0])
    plt.close(ax.figure)
    with pytest.raises(ParameterError, match="where"):
        plot_heatmap(evaluation, "prob_cr_above_100")
    with pytest.raises(ParameterError, match="chosen"):
        plot_frontier(evaluation, chosen=10_000)
