"""`puhui tune` and the tuning workflow on the bundled 惠民保 book."""

from __future__ import annotations

import json

import numpy as np
import pytest

import puhui.datasets
from puhui.cli import main
from puhui.huiminbao import Product, example_product_path, tune


@pytest.fixture(scope="module")
def book():
    return puhui.datasets.load_huiminbao()


def test_tune_choice_is_feasible_and_best_by_brute_force(book):
    product = Product.from_toml(example_product_path())
    ev, choice, constraints = tune(product, book.policies, book.costs,
                                   deductibles=[15_000, 20_000, 25_000, 30_000],
                                   ratios=[0.6, 0.7, 0.8], alpha=0.10)
    t = ev.table
    ok = (t["expected_cr"] <= product.target_combined_ratio) & (t["prob_cr_above_100"] <= 0.10)
    assert choice.design is not None
    best = t[ok].sort_values(["pure_premium", "share_paid"], ascending=False).iloc[0]
    assert choice.row["design"] == best["design"]
    # the expected payout per member of the chosen design, by brute force over the members
    pol = book.policies[book.policies["policy_year"] == 2025]
    cost = book.costs.pivot_table(index="policy_id", columns="benefit_line", values="cost",
                                  aggfunc="sum").reindex(pol["policy_id"]).fillna(0.0)
    trend = 1.06
    row = choice.row
    total = np.zeros(len(pol))
    pre = pol["segment"].to_numpy() == "preexisting"
    for line in product.lines:
        x = cost[line.name].to_numpy() * trend
        for seg, mask in (("healthy", ~pre), ("preexisting", pre)):
            d = row[f"{line.name}.{seg}.deductible"]
            r = row[f"{line.name}.{seg}.payout_ratio"]
            c = row[f"{line.name}.{seg}.cap"]
            total[mask] += np.minimum(r * np.maximum(x[mask] - d, 0.0), c)
    assert row["pure_premium"] == pytest.approx(total.mean(), rel=1e-9)


def test_cli_tune_writes_a_report(tmp_path, capsys):
    data = puhui.datasets.data_dir() / "huiminbao"
    assert main(["tune", str(example_product_path()), "--data", str(data), "--out",
                 str(tmp_path), "--deductible", "20000", "30000", "--payout-ratio", "0.6",
                 "0.8"]) == 0
    doc = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "Chosen design" in doc or "No design meets" in doc
    man = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert man["assumptions"]["experience_years"] == [2025]
    assert (tmp_path / "figures" / "tuning_heatmap.png").exists()


def test_grid_of_the_current_design_alone():
    from puhui.tuning import DesignGrid

    grid = DesignGrid.from_product(Product.from_toml(example_product_path()))
    assert len(grid) == 1 and bool(grid.designs["current"].iloc[0])
