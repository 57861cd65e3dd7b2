"""`puhui price`: the pricing report from a data folder, reproducible, with clear errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import puhui
from puhui.cli import main
from puhui.huiminbao import Product, example_product_path, price_from_experience
from puhui.huiminbao.pricing_report import scenario_for
from puhui.pricing import equilibrium_price
from puhui.repro import sha256_file


def test_cli_price_writes_a_reproducible_report(tmp_path, capsys, bundled_price):
    data = puhui.datasets.data_dir() / "huiminbao"
    args = ["price", str(example_product_path()), "--data", str(data)]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert "report.md" in capsys.readouterr().out
    out = tmp_path / "a"
    doc = (out / "report.md").read_text(encoding="utf-8")
    assert "anti-selection" in doc and "Gross premium at the current design" in doc
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    # pricing reads the member-years and their costs only: claims and basis are not inputs
    assert set(man["inputs"]) == {"product", "policies", "costs"}
    assert man["assumptions"]["pricing_year"] == 2026 and man["assumptions"]["trend"] == 0.06
    assert man["assumptions"]["years"] == [2023, 2024, 2025]

    # the report's numbers are the API's (price_from_experience on the bundled tables, computed
    # once per test process in conftest.py and shared with the demo's test)
    product = Product.from_toml(example_product_path())
    res = bundled_price
    table = pd.read_csv(out / "tables" / "pricing_summary.csv", encoding="utf-8-sig")
    total = table[(table["segment"] == "total") & (table["line"] == "all lines")]
    assert float(total["gross_premium"].iloc[0]) == pytest.approx(res.gross_premium, rel=1e-12)
    eq = equilibrium_price(scenario_for(product, res).scenario)
    path = pd.read_csv(out / "tables" / "participation_path.csv", encoding="utf-8-sig")
    assert path["price"].iloc[0] == 109.0 and path["price"].is_monotonic_increasing
    assert path["price"].iloc[-1] == pytest.approx(eq.price, rel=1e-3)
    calib = pd.read_csv(out / "tables" / "participation_calibration.csv", encoding="utf-8-sig")
    assert calib["residual"].abs().max() < 0.01

    # the same inputs give byte-identical outputs
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    for rel in man["outputs"]:
        assert sha256_file(tmp_path / "b" / rel) == sha256_file(out / rel), rel


def test_cli_price_options_and_errors(tmp_path, capsys, book):
    # The options on the small book of conftest.py (1,500 members a year; the full bundled book
    # costs a minute per run here and proves nothing more about the options): no trend, priced
    # for 2026, no scenario. The report's pure premium is the API's without trend, below the
    # trended one.
    from puhui.huiminbao.folder import read_book

    product = Product.from_toml(example_product_path())
    assert main(["price", str(example_product_path()), "--data", str(book), "--out",
                 str(tmp_path / "flat"), "--trend", "0", "--no-anti-selection"]) == 0
    doc = (tmp_path / "flat" / "report.md").read_text(encoding="utf-8")
    assert "anti-selection" in doc and "Participation scenario" not in doc
    flat = pd.read_csv(tmp_path / "flat" / "tables" / "pricing_summary.csv",
                       encoding="utf-8-sig").set_index(["segment", "line"])
    data = read_book(book, for_review=False, product=product)
    untrended = price_from_experience(product, data.policies, data.costs, trend=0.0)
    trended = price_from_experience(product, data.policies, data.costs)
    pure = flat.loc[("total", "all lines"), "pure_premium"]
    assert pure == pytest.approx(untrended.pure_premium, rel=1e-12)
    assert pure < trended.pure_premium
    # a folder without member costs is a clear error, exit status 2
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "policies.parquet").write_bytes((book / "policies.parquet").read_bytes())
    assert main(["price", str(example_product_path()), "--data", str(bare), "--out",
                 str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "no costs file" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()
