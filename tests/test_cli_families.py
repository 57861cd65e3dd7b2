"""`puhui price|review|tune` on the smallbiz and gig product files, end to end (in process), the
family dispatch (惠民保 files still go to the 惠民保 runner; an unknown family is an error naming
the allowed ones) and the strict data folders (issue 17)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from puhui.cli import FAMILIES, main, product_family


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The two example data folders, written by `puhui datasets example` (small sizes)."""
    root = tmp_path_factory.mktemp("families")
    assert main(["datasets", "example", "smallbiz", "--out", str(root / "sb"),
                 "--size", "120"]) == 0
    assert main(["datasets", "example", "gig", "--out", str(root / "gg"), "--size", "80"]) == 0
    return root


def _run(args) -> int:
    return main([str(a) for a in args])


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def test_example_folders_hold_data_and_product_files(example):
    assert sorted(p.name for p in (example / "sb").iterdir()) == [
        "claims.csv", "employer.toml", "firms.csv", "groups.csv", "liability.toml",
        "liability_claims.csv", "manifest.json", "policies.csv", "property.toml"]
    assert sorted(p.name for p in (example / "gg").iterdir()) == [
        "activity.csv", "claims.csv", "gig.toml", "manifest.json"]
    assert product_family(example / "sb" / "property.toml") == "smallbiz"
    assert product_family(example / "gg" / "gig.toml") == "gig"


@pytest.mark.parametrize("command", ["price", "review", "tune"])
def test_smallbiz_property_commands(example, tmp_path, command):
    from puhui.smallbiz import Product, price_property

    sb = example / "sb"
    out = tmp_path / command
    assert _run([command, sb / "property.toml", "--data", sb, "--out", out]) == 0
    m = _manifest(out)
    assert m["assumptions"]["family"] == "smallbiz" and m["assumptions"]["kind"] == "property"
    assert {"product", "firms"} <= set(m["inputs"])
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "No regulation rulebook in force for this family" in report
    name = "tuning" if command == "tune" else command
    rules = pd.read_csv(out / "tables" / f"{name}_rule_check.csv", encoding="utf-8-sig")
    assert set(rules["kind"]) <= {"policy"}                  # the example policy book only
    if command == "price":
        # the report's risks are the latest year's firms priced by the family's own function
        firms = pd.read_csv(sb / "firms.csv", encoding="utf-8-sig")
        latest = firms[firms["year"] == firms["year"].max()].reset_index(drop=True)
        expect = price_property(Product.from_toml(sb / "property.toml"), latest)
        got = pd.read_csv(out / "tables" / "price_risks.csv", encoding="utf-8-sig")
        np.testing.assert_allclose(got["gross_premium"], expect["gross_premium"], rtol=1e-12)
    if command == "review":
        t = pd.read_csv(out / "tables" / "review_by_occupancy.csv", encoding="utf-8-sig")
        whole = t[t["occupancy"] == "all"].iloc[0]
        firms = pd.read_csv(sb / "firms.csv", encoding="utf-8-sig")
        claims = pd.read_csv(sb / "claims.csv", encoding="utf-8-sig")
        # CR = loss ratio + expense ratio; the loss ratio is the folder's paid / premium
        assert whole["actual_paid"] == pytest.approx(claims["claims_paid"].sum(), rel=1e-12)
        assert whole["loss_ratio"] == pytest.approx(claims["claims_paid"].sum()
                                                    / firms["premium"].sum(), rel=1e-12)
        assert whole["combined_ratio"] == pytest.approx(whole["loss_ratio"]
                                                        + whole["expense_ratio"], rel=1e-12)
    if command == "tune":
        t = pd.read_csv(out / "tables" / "tuning_designs.csv", encoding="utf-8-sig")
        assert len(t) == 24 and t["frontier"].any()          # 6 免赔额 × 4 赔付比例
        # the required premium meets the target CR by construction
        np.testing.assert_allclose(t["expected_cr"], 0.95, rtol=1e-9)


def test_smallbiz_employer_and_liability(example, tmp_path):
    from puhui.smallbiz import Product, liability_premium

    sb = example / "sb"
    assert _run(["price", sb / "employer.toml", "--data", sb, "--out", tmp_path / "ep"]) == 0
    rates = pd.read_csv(tmp_path / "ep" / "tables" / "price_class_rates.csv",
                        encoding="utf-8-sig")
    assert rates["gross_per_head"].iloc[0] == pytest.approx(152.11, abs=0.005)  # the doctest's
    assert _run(["review", sb / "employer.toml", "--data", sb, "--out", tmp_path / "er"]) == 0
    years = pd.read_csv(tmp_path / "er" / "tables" / "review_years.csv", encoding="utf-8-sig")
    np.testing.assert_allclose(years["combined_ratio"],
                               years["loss_ratio"] + years["expense_ratio"], rtol=1e-12)
    assert _run(["price", sb / "liability.toml", "--data", sb, "--out", tmp_path / "lp"]) == 0
    card = pd.read_csv(tmp_path / "lp" / "tables" / "price_rate_card.csv", encoding="utf-8-sig")
    expect = liability_premium(Product.from_toml(sb / "liability.toml"), [1, 2, 5, 10, 20, 50])
    np.testing.assert_allclose(card["gross_premium"], expect["gross_premium"], rtol=1e-12)


def test_smallbiz_commands_a_kind_does_not_have(example, tmp_path, capsys):
    sb = example / "sb"
    assert _run(["tune", sb / "liability.toml", "--data", sb, "--out", tmp_path / "t",
                 "--payout-ratio", "0.8"]) == 2
    assert "--payout-ratio does not apply to a smallbiz liability" in capsys.readouterr().err
    assert not (tmp_path / "t").exists()


@pytest.mark.parametrize("command", ["price", "review", "tune"])
def test_gig_commands(example, tmp_path, command):
    from puhui.experience.exposure import activity_exposure
    from puhui.gig import GigProduct, unit_premiums

    gg = example / "gg"
    out = tmp_path / command
    assert _run([command, gg / "gig.toml", "--data", gg, "--out", out]) == 0
    m = _manifest(out)
    assert m["assumptions"]["family"] == "gig" and m["assumptions"]["as_of"] == "2024-12-31"
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "No regulation rulebook in force for this family" in report
    if command == "price":
        log = pd.read_csv(gg / "activity.csv", encoding="utf-8-sig", parse_dates=["date"])
        act = activity_exposure(log, by=["city"], period=None)
        expect = unit_premiums(GigProduct.from_toml(gg / "gig.toml"), act, by=["city"])
        got = pd.read_csv(out / "tables" / "price_by_city.csv", encoding="utf-8-sig")
        np.testing.assert_allclose(got["premium_per_day"], expect["premium_per_day"],
                                   rtol=1e-12)
    if command == "review":
        r = pd.read_csv(out / "tables" / "review_ratios.csv", encoding="utf-8-sig")
        v = dict(zip(r["quantity"], r["value"], strict=True))
        assert v["combined_ratio"] == pytest.approx(v["loss_ratio"] + v["expense_ratio"],
                                                    rel=1e-12)
    if command == "tune":
        t = pd.read_csv(out / "tables" / "tuning_designs.csv", encoding="utf-8-sig")
        assert len(t) == 4 * 5 * 5
        # expected CR of a design by hand: (E + k n)/P + v needs n; check E/P = benefit ratio
        np.testing.assert_allclose(t["benefit_ratio"],
                                   t["pure_per_order"] / t["premium_per_order"], rtol=1e-12)


def test_gig_tune_options_reach_the_grid(example, tmp_path):
    gg = example / "gg"
    out = tmp_path / "t"
    assert _run(["tune", gg / "gig.toml", "--data", gg, "--out", out, "--deductible", "0",
                 "100", "--payout-ratio", "0.8", "--price", "0.11", "0.12",
                 "--max-price", "3.5", "--alpha", "0.5"]) == 0
    t = pd.read_csv(out / "tables" / "tuning_designs.csv", encoding="utf-8-sig")
    assert sorted(set(t["premium_per_order"])) == [0.11, 0.12] and len(t) == 4
    assert _manifest(out)["assumptions"]["options"]["max_premium_per_day"] == 3.5


def test_huiminbao_file_still_goes_to_the_huiminbao_runner(tmp_path, monkeypatch):
    import puhui.cli.huiminbao as hmb
    from puhui.huiminbao.product import example_product_path

    path = example_product_path()
    assert product_family(path) == "huiminbao"
    calls = []

    def fake(product, data, out, **kw):
        calls.append((Path(product), kw))
        return Path(out)

    monkeypatch.setattr(hmb, "run_price", fake)
    assert _run(["price", path, "--data", tmp_path, "--out", tmp_path / "o",
                 "--trend", "0.05"]) == 0
    assert calls and calls[0][0] == Path(path) and calls[0][1]["trend"] == 0.05


def test_unknown_family_is_an_error_naming_the_families(tmp_path, capsys):
    bad = tmp_path / "p.toml"
    bad.write_text('family = "smalbiz"\n[product]\ncode = "X"\n', encoding="utf-8")
    assert _run(["price", bad, "--data", tmp_path, "--out", tmp_path / "o"]) == 2
    err = capsys.readouterr().err
    assert all(f in err for f in FAMILIES) and "did you mean 'smallbiz'" in err
    kind = tmp_path / "k.toml"
    kind.write_text('[product]\ncode = "X"\nkind = "propery"\n', encoding="utf-8")
    assert _run(["review", kind, "--data", tmp_path, "--out", tmp_path / "o"]) == 2
    assert "smallbiz kinds are property, liability, employer" in capsys.readouterr().err


def test_huiminbao_only_option_on_a_family_file_is_an_error(example, tmp_path, capsys):
    gg = example / "gg"
    assert _run(["price", gg / "gig.toml", "--data", gg, "--out", tmp_path / "o",
                 "--trend", "0.05"]) == 2
    assert "--trend apply to 惠民保 products only" in capsys.readouterr().err


def test_data_folder_is_read_strictly(example, tmp_path, capsys):
    import shutil

    folder = tmp_path / "sb"
    shutil.copytree(example / "sb", folder)
    firms = pd.read_csv(folder / "firms.csv", encoding="utf-8-sig")
    firms.rename(columns={"sum_insured": "sum_insurd"}).assign(extra=1).to_csv(
        folder / "firms.csv", index=False)
    assert _run(["price", folder / "property.toml", "--data", folder,
                 "--out", tmp_path / "o"]) == 2
    err = capsys.readouterr().err
    assert "did you mean sum_insured (保险金额)" in err and "'extra'" in err
    firms.assign(year=firms["year"].astype(str).replace("2024", "2024x", regex=False)).to_csv(
        folder / "firms.csv", index=False)
    assert _run(["price", folder / "property.toml", "--data", folder,
                 "--out", tmp_path / "o"]) == 2
    assert "[not_a_number]" in capsys.readouterr().err
    (folder / "firms.csv").unlink()
    assert _run(["price", folder / "property.toml", "--data", folder,
                 "--out", tmp_path / "o"]) == 2
    assert "no firms.csv" in capsys.readouterr().err


def test_product_readers_accept_their_own_family_key_only(tmp_path):
    from puhui.errors import ParameterError
    from puhui.gig.product import GigProduct, example_product_path

    text = example_product_path().read_text(encoding="utf-8")
    GigProduct.from_toml(example_product_path())                 # family = "gig" accepted
    other = tmp_path / "g.toml"
    other.write_text(text.replace('family = "gig"', 'family = "smallbiz"'), encoding="utf-8")
    with pytest.raises(ParameterError, match="family must be 'gig'"):
        GigProduct.from_toml(other)
