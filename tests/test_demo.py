"""`puhui demo`: the report, its figures and manifest, byte-identical on a re-run."""

from __future__ import annotations

import json

import pandas as pd

from puhui.cli import main
from puhui.repro import sha256_file


def test_demo_writes_a_reproducible_report(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "a")]) == 0
    assert "report.md" in capsys.readouterr().out
    out = tmp_path / "a"
    doc = (out / "report.md").read_text(encoding="utf-8")
    assert "Experience by product and policy year" in doc
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {"huiminbao/policies", "crops/yields", "index/prices"} <= set(man["inputs"])
    assert all(len(v["sha256"]) == 64 for v in man["inputs"].values())
    assert man["assumptions"]["valuation_date"] == "2026-02-28"
    for rel, digest in man["outputs"].items():
        assert sha256_file(out / rel) == digest
    exp = pd.read_csv(out / "tables" / "experience_by_product_year.csv", encoding="utf-8-sig")
    assert {"HMB-XC", "XN-FC-rice"} <= set(exp["product"])
    # the loss ratio column is incurred / earned premium, row by row
    pd.testing.assert_series_equal(exp["incurred_loss_ratio"],
                                   exp["incurred"] / exp["earned_premium"], check_names=False)
    # the pricing section: the portfolio's gross premium is the pricing API's, and the
    # anti-selection path starts at today's price and ends at the equilibrium it reports
    from puhui import datasets
    from puhui.huiminbao import Product, example_product_path, price_from_experience
    from puhui.huiminbao.pricing_report import scenario_for
    from puhui.pricing import equilibrium_price

    assert "anti-selection" in doc
    price = pd.read_csv(out / "tables" / "pricing_summary.csv", encoding="utf-8-sig")
    total = price[(price["segment"] == "total") & (price["line"] == "all lines")]
    hmb = datasets.load_huiminbao()
    product = Product.from_toml(example_product_path())
    res = price_from_experience(product, hmb.policies, hmb.costs)
    assert abs(float(total["gross_premium"].iloc[0]) - res.gross_premium) < 1e-9
    path = pd.read_csv(out / "tables" / "participation_path.csv", encoding="utf-8-sig")
    assert path["price"].iloc[0] == product.flat_price
    eq = equilibrium_price(scenario_for(product, res).scenario)
    assert abs(path["price"].iloc[-1] - eq.price) < 1e-3 * eq.price
    assert (out / "figures" / "participation_equilibrium.png").stat().st_size > 10_000
    assert main(["demo", "--out", str(tmp_path / "b")]) == 0
    for rel in man["outputs"]:
        assert sha256_file(tmp_path / "b" / rel) == sha256_file(out / rel), rel
