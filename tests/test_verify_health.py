"""puhui verify for the special-group health family (特定人群普惠健康险): the bundled clean and
planted filings, the rate card against an independent computation, the report in both
languages, the command line and refused filings."""

from __future__ import annotations

import shutil

import numpy as np
import openpyxl
import pandas as pd
import pytest
from scipy import integrate, stats

from puhui.cli import main
from puhui.errors import DataError, ParameterError
from puhui.report.labels import language
from puhui.repro import Manifest
from puhui.verify import example_filing, read_filing, verify
from puhui.verify.examples import PLANTED, example_data
from puhui.verify.filing import FAMILIES
from puhui.verify.report import build_report


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """The example data the bundled filings were recomputed from (puhui datasets example
    health --out DIR)."""
    return example_data("health", tmp_path_factory.mktemp("verify_health") / "data")


@pytest.fixture(scope="module")
def results(data):
    return {k: verify(example_filing("health", k), data) for k in ("clean", "planted")}


def test_clean_verifies_and_planted_gives_exactly_the_planted_findings(results):
    clean = results["clean"]
    assert clean.status == 0 and clean.findings() == set()
    assert clean.verdict.startswith("VERIFIED")
    fam = FAMILIES["health"]
    assert clean.filing.family is fam
    # every documented figure is filed: 9 rows × 2 rate figures, 3 groups × required premium,
    # 6 group/line × (ae, credible_ae), 3 years × 3 ratios and the 4 book figures
    bases = {f.split(".", 1)[0] for f in clean.figures["figure"]}
    assert bases == {g.id for g in fam.figures}
    assert len(clean.figures) == 18 + 3 + 12 + 9 + 4
    assert set(clean.rules["quantity"]) == {"combined_ratio", "premium_max", "share_paid"}
    assert (clean.rules["kind"] == "policy").all()            # no regulation applies
    planted = results["planted"]
    assert planted.status == 1
    assert planted.findings() == set(PLANTED["health"])
    failed = planted.rules[~planted.rules["passed"].astype(bool)]
    assert failed["rule"].tolist() == ["policy.health.combined_ratio"]
    assert (failed["sheet"].iat[0], failed["cell"].iat[0]) == ("assumptions.toml",
                                                               "target_combined_ratio")


def test_planted_errors_are_the_ones_described(results):
    figs = results["planted"].figures.set_index("figure")
    # 脱贫人口's required premium filed at 90 % of the recomputed one (results.csv C4)
    row = figs.loc["required_premium.poverty_alleviated"]
    assert row["cell"] == "C4" and row["filed"] == pytest.approx(0.9 * row["puhui"], abs=0.01)
    # the typed-wrong gross premium is the 残疾人 50-59 row, off by more than a rounding
    row = figs.loc["gross_premium.disabled.50-59"]
    assert row["cell"] == "K6" and 0.5 < row["abs_diff"] < 5
    # τ = 0.97 refiles the rates and required premiums (lower than at 0.95) and nothing else
    clean = results["clean"].figures.set_index("figure")
    assert figs.at["required_premium.elderly", "puhui"] == pytest.approx(
        clean.at["required_premium.elderly", "puhui"] * (0.95 - 0.2) / (0.97 - 0.2), rel=1e-9)
    for k in ("expected_cr", "prob_cr_above_100", "combined_ratio.all", "ae.elderly/medical"):
        assert figs.at[k, "puhui"] == clean.at[k, "puhui"]


def _layer_mean(median, sigma, d, r, c):
    """E[min(r (X − d)+, C)] of a lognormal X by quadrature (independent of puhui.losses)."""
    law = stats.lognorm(s=sigma, scale=median)
    top = d + c / r

    def f(x):
        return r * (x - d) * law.pdf(x)

    body = integrate.quad(f, d, top, limit=200)[0]
    return body + c * law.sf(top)


def test_the_rate_card_against_an_independent_computation():
    """One-year cover (T = 1, ä = 1): P(x) = v^½ [S (1 − q/2) gι + m (1 − q/2 − gι/2)], ι the
    Gompertz curve at the NCC 2015 level (cumulative 0–74 = 21.44 %, 国家癌症中心), q the
    CL1 2010–2013 table × the loading, m = λ E[min(r(X − d)+, C)] by quadrature; gross
    (P + e)/(τ − v) with v = 5 % + 14.2 % + 0.8 %, e = 5 元. The filed card is the mean over the
    band's whole entry ages, to the 分."""
    from puhui.life import load_table

    f = read_filing(example_filing("health", "clean"))
    r = f.rates.set_index(["group", "age_band"])
    table = load_table("CL1_2010_2013")
    mids = np.arange(15) * 5 + 2.5
    a = 0.2144 / np.sum(5 * np.exp(0.08 * mids))
    v = 1 / 1.025
    layer = _layer_mean(800.0, 1.0, 500.0, 0.7, 20_000.0)
    for group, band, ages in (("elderly", "70+", range(70, 80)),
                              ("disabled", "30-39", range(30, 40)),
                              ("poverty_alleviated", "60-69", range(60, 65))):
        row = r.loc[(group, band)]
        x = np.asarray(ages)
        q = np.minimum(row["mortality_loading"] * table.qx[x - table.first_age], 1.0)
        inc = row["incidence_loading"] * np.minimum(a * np.exp(0.08 * x), 0.1)
        m = row["hospital_stays"] * layer
        net = v**0.5 * (10_000 * (1 - q / 2) * inc + m * (1 - q / 2 - inc / 2))
        gross = (net + 5.0) / (0.95 - 0.2)
        assert row["net_premium"] == pytest.approx(net.mean(), abs=0.006)
        assert row["gross_premium"] == pytest.approx(gross.mean(), abs=0.006)


def test_book_figures_match_the_pricing_route(results, data):
    """required_premium and expected_cr (through health_review.tune) equal the route of
    ``puhui price`` (HealthProduct.gross_premium over next year's book; expected claims of
    HealthProduct.expected_claims at the filed premiums)."""
    from puhui.life.health_product import HealthPlan, example_product_path
    from puhui.life.health_review import next_year_book

    plan = HealthPlan.from_toml(example_product_path())
    book = next_year_book(pd.read_csv(data / "members.csv"))
    figs = results["clean"].figures.set_index("figure")["puhui"]
    e = plan.expenses
    cost = income = 0.0
    for g, t in plan.groups.items():
        ages = book.loc[book["group"] == g, "age"].to_numpy()
        p = plan.product(g)
        assert figs[f"required_premium.{g}"] == pytest.approx(
            np.mean(p.gross_premium(ages, 0.95)), rel=1e-9)
        exp = p.expected_claims(ages, np.ones(len(ages)))
        cost += float((exp["cancer_amount"] + exp["medical_amount"]).sum()) + 5.0 * len(ages)
        income += t.premium * len(ages)
    assert figs["expected_cr"] == pytest.approx(cost / income + e.variable_rate, rel=1e-9)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_report_in_both_languages(results, lang):
    for res in results.values():
        with language(lang):
            rep = build_report(res, Manifest(command="puhui verify test"))
        text = rep.markdown()
        assert rep.untranslated == []
        if lang == "zh":
            assert text.startswith("# 报备核验") and "特定人群普惠健康险" in text
            assert "无适用的监管规则库" in text and "特定人群健康险" in text
        else:
            assert text.startswith("# Filing verification") and res.verdict in text
            assert "No regulation rulebook applies" in text and "special-group health" in text


def test_cli_writes_the_report_and_exits_1_on_the_planted_filing(tmp_path, capsys):
    # the planted filing without its 结果 (no --data needed, to keep the test fast; the full
    # planted filing with --data is verified above): the 费率表 and 假设 errors remain
    folder = shutil.copytree(example_filing("health", "planted"), tmp_path / "f")
    head = (folder / "results.csv").read_text(encoding="utf-8").splitlines()[0]
    (folder / "results.csv").write_text(head + "\n", encoding="utf-8")
    out = tmp_path / "o"
    code = main(["verify", str(folder), "--out", str(out)])
    assert code == 1
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == ("NOT VERIFIED: 1 figure(s) beyond tolerance, 1 rule check(s) failed — at "
                    "assumptions.toml!target_combined_ratio, rates.csv!K6")
    for name in ("report.md", "report.html", "tables.xlsx", "verify.csv", "rules.csv",
                 "manifest.json"):
        assert (out / name).is_file()
    assert {"verify", "findings", "rules"} <= set(openpyxl.load_workbook(
        out / "tables.xlsx").sheetnames)
    table = pd.read_csv(out / "verify.csv")
    assert len(table) == 18 and set(zip(table.loc[~table["passed"], "sheet"],
                                        table.loc[~table["passed"], "cell"],
                                        strict=True)) == {("rates.csv", "K6")}
    rules = pd.read_csv(out / "rules.csv")
    assert rules.loc[~rules["passed"], "cell"].tolist() == ["target_combined_ratio"]


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_bad_filing_exits_2_naming_file_sheet_and_field(tmp_path, capsys):
    folder = shutil.copytree(example_filing("health", "clean"), tmp_path / "f")
    _edit(folder / "assumptions.toml", "lump_sum = 10000.0", 'lump_sum = "ten thousand"')
    assert main(["verify", str(folder), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "assumptions.toml" in err and "lump_sum" in err and "a number" in err
    assert not (tmp_path / "o").exists()
    # the results need the data
    clean = example_filing("health", "clean")
    assert main(["verify", str(clean), "--out", str(tmp_path / "o")]) == 2
    assert "puhui datasets example health" in capsys.readouterr().err
    # a workbook names the sheet and the field
    book = tmp_path / "h.xlsx"
    assert main(["template", "filing", "--family", "health", "--example", "clean",
                 str(book)]) == 0
    wb = openpyxl.load_workbook(book)
    next(r for r in wb["假设"].iter_rows() if r[0].value == "payout_ratio")[2].value = "abc"
    wb.save(book)
    assert main(["verify", str(book), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "h.xlsx" in err and "假设" in err and "payout_ratio" in err


def test_inconsistent_rates_and_bad_terms_are_refused(tmp_path):
    folder = shutil.copytree(example_filing("health", "clean"), tmp_path / "f")
    rates = pd.read_csv(folder / "rates.csv", encoding="utf-8")
    rates.iloc[1, 7] = 280.0                                   # elderly 70+: another premium
    rates.to_csv(folder / "rates.csv", index=False)
    with pytest.raises(DataError, match="one premium per group"):
        verify(folder)
    folder = shutil.copytree(example_filing("health", "clean"), tmp_path / "b")
    rates = pd.read_csv(folder / "rates.csv", encoding="utf-8")
    rates.iloc[2, 8] = "20-29"                                 # no 残疾人 is 20-29
    rates.to_csv(folder / "rates.csv", index=False)
    with pytest.raises(DataError, match="no entry age of the group in the band '20-29'"):
        verify(folder)
    folder = shutil.copytree(example_filing("health", "clean"), tmp_path / "r")
    _edit(folder / "assumptions.toml", "payout_ratio = 0.7", "payout_ratio = 70.0")
    with pytest.raises(ParameterError, match="payout_ratio"):
        verify(folder)
    _edit(folder / "assumptions.toml", "payout_ratio = 70.0", "payout_ratio = 0.7")
    _edit(folder / "product.toml", 'age_bands = "30, 40, 50, 60, 70"',
          'age_bands = "30, forty"')
    with pytest.raises(ParameterError, match="product.toml age_bands"):
        verify(folder)


def test_template_round_trips(tmp_path):
    blank = tmp_path / "blank.xlsx"
    assert main(["template", "filing", "--family", "health", str(blank)]) == 0
    text = " ".join(str(c.value) for row in openpyxl.load_workbook(blank)["说明"].iter_rows()
                    for c in row)
    fam = FAMILIES["health"]
    assert all(s.key in text for s in fam.info + fam.assumptions + fam.rates)
    assert all(f"figure: {g.id}" in text for g in fam.figures)
    assert "required_premium.GROUP" in text and "ae.GROUP/LINE" in text
    book = tmp_path / "f.xlsx"
    assert main(["template", "filing", "--family", "health", "--example", "planted",
                 str(book)]) == 0
    a, b = read_filing(example_filing("health", "planted")), read_filing(book)
    assert {k: c.value for k, c in a.info.items()} == {k: c.value for k, c in b.info.items()}
    pd.testing.assert_frame_equal(a.rates, b.rates)
    pd.testing.assert_frame_equal(a.results.drop(columns="sheet"),
                                  b.results.drop(columns="sheet"))
