"""`puhui demo`: the report, its figures and manifest, byte-identical on a re-run."""

from __future__ import annotations

import contextlib
import io
import json
from types import SimpleNamespace

import pandas as pd
import pytest

from puhui.cli import main
from puhui.repro import sha256_file


@pytest.fixture(scope="module")
def demo(tmp_path_factory, bundled_huiminbao):
    """`puhui demo` twice in this process (folders ``a`` and ``b``, threads pinned to 1 as on
    the command line), built once for every test of this file. (A second run in a child
    process with PUHUI_THREADS=2 was tried: it cost ~25 s instead of the ~15 s of a second run
    here, whose imports and font cache are warm, and 2 BLAS threads beside the other busy
    worker of `make test` would oversubscribe the 2 cores; thread independence is proved for the
    price tables by tests/test_manifest_complete.py.)

    The first run gets the 惠民保 tables of the session fixture ``bundled_huiminbao`` (the
    very ``datasets.load_huiminbao()`` the demo calls, which this process makes once anyway for
    ``bundled_price``: ~2 s saved); the rerun loads them from the files itself, as a rerun
    does, so the two runs still rest on two independent loads. The demo still reads and hashes
    every input file for its manifest, and the fixture's end-of-session fingerprint now also
    proves the demo leaves its input tables unchanged."""
    from puhui import datasets

    load = datasets.load_huiminbao

    def shared(folder=None):
        return bundled_huiminbao if folder is None else load(folder)

    root = tmp_path_factory.mktemp("demo")
    runs = {}
    for folder in ("a", "b"):
        printed = io.StringIO()
        with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(printed):
            mp.setenv("PUHUI_THREADS", "1")
            if folder == "a":
                mp.setattr(datasets, "load_huiminbao", shared)
            status = main(["demo", "--out", str(root / folder)])
        runs[folder] = (status, printed.getvalue())
    return SimpleNamespace(out=root / "a", again=root / "b", status=runs["a"][0],
                           printed=runs["a"][1], again_status=runs["b"][0])


def test_demo_writes_a_report_with_its_manifest(demo):
    assert demo.status == 0
    assert "report.md" in demo.printed
    out = demo.out
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


def test_demo_pricing_section_is_the_pricing_api(demo, bundled_price):
    # the portfolio's gross premium is the pricing API's (price_from_experience on the same
    # bundled tables, shared with the price-command tests), and the anti-selection path starts
    # at today's price and ends at the equilibrium it reports
    from puhui.huiminbao import Product, example_product_path
    from puhui.huiminbao.pricing_report import scenario_for
    from puhui.pricing import equilibrium_price

    out = demo.out
    assert "anti-selection" in (out / "report.md").read_text(encoding="utf-8")
    price = pd.read_csv(out / "tables" / "pricing_summary.csv", encoding="utf-8-sig")
    total = price[(price["segment"] == "total") & (price["line"] == "all lines")]
    assert abs(float(total["gross_premium"].iloc[0]) - bundled_price.gross_premium) < 1e-9
    product = Product.from_toml(example_product_path())
    path = pd.read_csv(out / "tables" / "participation_path.csv", encoding="utf-8-sig")
    assert path["price"].iloc[0] == product.flat_price
    eq = equilibrium_price(scenario_for(product, bundled_price).scenario)
    assert abs(path["price"].iloc[-1] - eq.price) < 1e-3 * eq.price
    assert (out / "figures" / "participation_equilibrium.png").stat().st_size > 10_000


def test_demo_is_byte_identical_on_a_rerun(demo):
    assert demo.again_status == 0
    man = json.loads((demo.out / "manifest.json").read_text(encoding="utf-8"))
    assert len(man["outputs"]) > 20
    for rel in man["outputs"]:
        assert sha256_file(demo.again / rel) == sha256_file(demo.out / rel), rel
