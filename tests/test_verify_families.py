"""puhui verify for the smallbiz (小微企业财产险, 公众责任险, 雇主责任险) and gig (灵活就业人员保险) families, and the
verification report written through puhui.report.Report (report.md, report.html, tables.xlsx,
tables/*.csv; both languages)."""

from __future__ import annotations

import json
import shutil

import openpyxl
import pandas as pd
import pytest

from puhui.cli import main
from puhui.errors import DataError, ParameterError
from puhui.report.labels import language
from puhui.repro import Manifest
from puhui.verify import example_filing, read_filing, verify
from puhui.verify.examples import PLANTED, example_data
from puhui.verify.filing import FAMILIES
from puhui.verify.report import build_report
from puhui.verify.template import workbook_from_folder, write_template

FAMS = ("smallbiz", "gig")
#: Every bundled example of these families: the smallbiz kinds liability and employer have their
#: own folders (smallbiz_liability_*, smallbiz_employer_*) and the smallbiz data.
EXAMPLES = ("smallbiz", "gig", "smallbiz_liability", "smallbiz_employer")
DATA_OF = {"smallbiz": "smallbiz", "gig": "gig", "smallbiz_liability": "smallbiz",
           "smallbiz_employer": "smallbiz"}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """The example data the bundled filings were recomputed from (puhui datasets example
    smallbiz --out DIR; puhui datasets example gig --size 200 --out DIR)."""
    root = tmp_path_factory.mktemp("verify_families")
    return {f: example_data(f, root / f) for f in FAMS}


@pytest.fixture(scope="module")
def results(data):
    """Every bundled smallbiz and gig filing verified once (family, kind) → Verification."""
    return {(f, k): verify(example_filing(f, k), data[DATA_OF[f]]) for f in EXAMPLES
            for k in ("clean", "planted")}


@pytest.mark.parametrize("family", EXAMPLES)
def test_clean_verifies_and_planted_gives_exactly_the_planted_findings(results, family):
    clean = results[(family, "clean")]
    assert clean.status == 0 and clean.findings() == set()
    assert clean.verdict.startswith("VERIFIED")
    # every documented figure id is filed, and the rates are checked per row
    bases = {f.split(".", 1)[0] for f in clean.figures["figure"]}
    assert bases == {g.id for g in clean.filing.family.figures}
    assert clean.filing.family.name == DATA_OF[family]
    planted = results[(family, "planted")]
    assert planted.status == 1
    assert planted.findings() == set(PLANTED[family])
    # one rule (the example company policy) fails, each figure finding is a figure
    failed = planted.rules[~planted.rules["passed"].astype(bool)]
    assert len(failed) == 1 and (failed["kind"] == "policy").all()
    assert (planted.rules["kind"] != "regulation").all()     # no regulation applies


def test_planted_errors_are_the_ones_described(results):
    sb = results[("smallbiz", "planted")].figures.set_index("cell")
    # the workshop class filed with full credibility: the filed credible A/E is its raw A/E
    raw = results[("smallbiz", "clean")].figures.set_index("figure").at["ae.workshop", "puhui"]
    assert sb.at["C14", "filed"] == pytest.approx(raw, abs=1e-6)
    gig = results[("gig", "planted")]
    per_day = gig.rules.set_index("quantity").at["premium_per_day", "value"]
    assert 3.0 < per_day < 3.2                               # 0.12 元 an order × ~25.8 orders
    figs = gig.figures.set_index("figure")
    assert figs.at["combined_ratio", "filed"] == pytest.approx(
        figs.at["combined_ratio_large_at_expected", "puhui"], abs=1e-6)
    # liability: the 2024 IBNR filed at 70 % of the recomputed one (the planted filing is at
    # τ = 0.97, which does not move the IBNR)
    li = results[("smallbiz_liability", "planted")].figures.set_index("figure")
    assert li.at["ibnr.2024", "filed"] == pytest.approx(0.7 * li.at["ibnr.2024", "puhui"],
                                                        abs=0.01)
    assert li.at["ibnr.2024", "cell"] == "C7"
    # employer: the experience-rated premium filed as the manual one
    em = results[("smallbiz_employer", "planted")].figures.set_index("figure")
    assert em.at["rated_premium", "filed"] == pytest.approx(em.at["book_manual_premium",
                                                                  "puhui"], abs=0.01)
    assert abs(em.at["rated_premium", "puhui"] / em.at["rated_premium", "filed"] - 1) > 0.01


def test_the_filing_describes_the_example_product_file(data):
    """The smallbiz filing is the example product file: the same Product, the same rates."""
    from puhui.smallbiz import Product, example_product_path, price_property
    from puhui.verify.smallbiz import product_of

    f = read_filing(example_filing("smallbiz", "clean"))
    assert product_of(f) == Product.from_toml(example_product_path("property"))
    r = f.rates
    risks = r[["sum_insured", "occupancy", "location_grade"]]
    priced = price_property(Product.from_toml(example_product_path("property")), risks)
    # independent of verify: rate = gross / sum insured × 1000, and the filed gross to the 分
    assert (priced["gross_premium"].round(2).to_numpy() == r["gross_premium"].to_numpy()).all()
    assert ((r["gross_premium"] / r["sum_insured"] * 1000 - r["rate_permille"]).abs()
            < 5e-5).all()


def test_the_liability_and_employer_filings_describe_the_example_product_files():
    """product_of gives back the example product files; the filed rates are theirs (to the 分),
    from the loss core independently of puhui.verify."""
    import numpy as np

    from puhui.smallbiz import Product, employer_rates, example_product_path, liability_premium
    from puhui.verify.smallbiz import product_of

    f = read_filing(example_filing("smallbiz_liability", "clean"))
    liability = Product.from_toml(example_product_path("liability"))
    assert product_of(f) == liability and f.family.zh == "小微企业公众责任险"
    card = liability_premium(liability, f.rates["units"]).set_index("units")
    assert (card["gross_premium"].reindex(f.rates["units"]).round(2).to_numpy()
            == f.rates["gross_premium"].to_numpy()).all()
    f = read_filing(example_filing("smallbiz_employer", "clean"))
    employer = Product.from_toml(example_product_path("employer"))
    assert product_of(f) == employer and employer.terms.grade_probabilities is not None
    assert np.array_equal(employer_rates(employer)["gross_per_head"].round(2),
                          f.rates["gross_premium"])


def test_gig_rates_follow_the_factors(data):
    """premium per order ∝ city × season factor at the filed expense basis (gross-up linear in
    the pure premium and the claim count, both ∝ f): P(c, s) / f(c, s) is one number."""
    f = read_filing(example_filing("gig", "clean"))
    r = f.rates
    ratio = r["premium_per_order"] / (r["city_factor"] * r["season_factor"])
    assert ratio.max() - ratio.min() < 2e-5


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_report_in_both_languages(results, lang):
    from puhui.verify import verify as run

    cases = [*results.values(), run(example_filing("crop", "planted")),
             run(example_filing("life", "clean"))]
    for res in cases:
        with language(lang):
            rep = build_report(res, Manifest(command="puhui verify test"))
        text = rep.markdown()
        assert rep.untranslated == []
        if lang == "zh":
            assert text.startswith("# 报备核验") and "1. 数值核对" in text
            assert ("核验通过" if res.status == 0 else "核验未通过") in text
        else:
            assert text.startswith("# Filing verification") and "## 1. Figures" in text
            assert res.verdict in text
        if res.filing.family.name in FAMS:
            assert ("无适用的监管规则库" if lang == "zh" else
                    "No regulation rulebook applies") in text


def test_cli_writes_the_full_report(data, tmp_path, capsys):
    out = tmp_path / "o"
    code = main(["verify", str(example_filing("smallbiz", "planted")), "--data",
                 str(data["smallbiz"]), "--out", str(out), "--lang", "zh"])
    assert code == 1
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("NOT VERIFIED") and "rates.csv!I6" in last  # the verdict, in English
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert names == ["manifest.json", "report.html", "report.md", "rules.csv", "tables.xlsx",
                     "tables/findings.csv", "tables/rules.csv", "tables/verify.csv",
                     "verify.csv"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<html" in html and "报备核验" in html
    wb = openpyxl.load_workbook(out / "tables.xlsx")
    assert {"verify", "findings", "rules"} <= set(wb.sheetnames)
    # the regulator's files at the top level are the tables of the run, byte for byte
    assert (out / "verify.csv").read_bytes() == (out / "tables" / "verify.csv").read_bytes()
    table = pd.read_csv(out / "verify.csv")
    assert set(zip(table.loc[~table["passed"], "sheet"], table.loc[~table["passed"], "cell"],
                   strict=True)) == {("rates.csv", "I6"), ("results.csv", "C14")}
    doc = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(doc["outputs"]) == set(names) - {"manifest.json"}
    assert doc["assumptions"]["exit_status"] == 1 and doc["assumptions"]["family"] == "smallbiz"
    assert any(k.startswith("data:firms") for k in doc["inputs"])


def test_results_need_the_data(capsys, tmp_path):
    assert main(["verify", str(example_filing("smallbiz", "clean")), "--out",
                 str(tmp_path / "o")]) == 2
    assert "--data DIR" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_bad_filing_exits_2_naming_file_sheet_and_field(tmp_path, capsys):
    folder = shutil.copytree(example_filing("smallbiz", "clean"), tmp_path / "f")
    _edit(folder / "assumptions.toml", "commission = 0.12", 'commission = "twelve"')
    assert main(["verify", str(folder), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "assumptions.toml" in err and "commission" in err and "a number" in err
    # a workbook names the sheet
    book = workbook_from_folder(example_filing("gig", "clean"), tmp_path / "g.xlsx")
    wb = openpyxl.load_workbook(book)
    ws = wb["产品信息"]
    row = next(r for r in ws.iter_rows() if r[0].value == "premium_basis")
    row[2].value = 12
    wb.save(book)
    with pytest.raises(ParameterError, match="premium_basis"):
        verify(book)
    wb["产品信息"].cell(row=row[0].row, column=3, value="order")
    ws = wb["假设"]
    next(r for r in ws.iter_rows() if r[0].value == "target_combined_ratio")[2].value = "abc"
    wb.save(book)
    assert main(["verify", str(book), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "g.xlsx" in err and "假设" in err and "target_combined_ratio" in err


def test_inconsistent_rates_and_an_unfiled_kind_are_refused(tmp_path):
    folder = shutil.copytree(example_filing("smallbiz", "clean"), tmp_path / "f")
    rates = pd.read_csv(folder / "rates.csv", encoding="utf-8")
    rates.iloc[1, 3] = 0.009                                   # office, grade B: 损失频率
    rates.to_csv(folder / "rates.csv", index=False)
    with pytest.raises(DataError, match="one frequency per occupancy"):
        verify(folder)
    folder = shutil.copytree(example_filing("smallbiz", "clean"), tmp_path / "k")
    _edit(folder / "product.toml", 'kind = "property"', 'kind = "marine"')
    with pytest.raises(ParameterError, match="smallbiz kind.*property, liability, employer"):
        verify(folder)
    # a property filing relabelled employer is read with the employer fields: refused by name
    _edit(folder / "product.toml", 'kind = "marine"', 'kind = "employer"')
    with pytest.raises((DataError, ParameterError), match="cover|death_disability_limit"):
        verify(folder)
    # an employer filing must give the six 职业类别 and all ten grades or none
    folder = shutil.copytree(example_filing("smallbiz_employer", "clean"), tmp_path / "e")
    rates = pd.read_csv(folder / "rates.csv", encoding="utf-8")
    rates.iloc[:5].to_csv(folder / "rates.csv", index=False)
    with pytest.raises(DataError, match="职业类别 1–6"):
        verify(folder)
    folder = shutil.copytree(example_filing("smallbiz_employer", "clean"), tmp_path / "g")
    _edit(folder / "assumptions.toml", "disability_grade_3 = 0.001", "")
    with pytest.raises(ParameterError, match="all ten"):
        verify(folder)


@pytest.mark.parametrize("name", ["smallbiz_liability", "smallbiz_employer"])
def test_the_kinds_round_trip_through_a_workbook(name, tmp_path):
    # (puhui template --family takes the family names; a kind's workbook through the API)
    book = workbook_from_folder(example_filing(name, "planted"), tmp_path / "f.xlsx")
    a, b = read_filing(example_filing(name, "planted")), read_filing(book)
    assert "说明" in openpyxl.load_workbook(book).sheetnames
    assert a.family is b.family and b.family.name == "smallbiz"
    assert {k: c.value for k, c in a.info.items()} == {k: c.value for k, c in b.info.items()}
    assert ({k: c.value for k, c in a.assumptions.items()}
            == {k: c.value for k, c in b.assumptions.items()})
    pd.testing.assert_frame_equal(a.rates, b.rates)


@pytest.mark.parametrize("kind", ["liability", "employer"])
def test_template_filing_writes_each_smallbiz_kind(kind, tmp_path):
    from puhui.verify.filing import SMALLBIZ_KINDS

    blank = tmp_path / "blank.xlsx"
    assert main(["template", "filing", "--family", "smallbiz", "--kind", kind,
                 str(blank)]) == 0
    wb = openpyxl.load_workbook(blank)
    text = " ".join(str(c.value) for row in wb["说明"].iter_rows() for c in row)
    fam = SMALLBIZ_KINDS[kind]
    assert all(f"figure: {g.id}" in text for g in fam.figures)
    assert all(s.key in text for s in fam.info + fam.assumptions + fam.rates)
    kinds = [r for ws in wb.worksheets[1:] for r in ws.iter_rows(values_only=True)
             if r[0] == "kind"]
    assert kinds and kinds[0][2] == kind                  # the kind picks the fields on reading
    book = tmp_path / "example.xlsx"
    assert main(["template", "filing", "--family", "smallbiz", "--kind", kind, "--example",
                 "planted", str(book)]) == 0
    a, b = read_filing(example_filing(f"smallbiz_{kind}", "planted")), read_filing(book)
    assert b.family is fam and a.family is b.family
    pd.testing.assert_frame_equal(a.rates, b.rates)


def test_template_filing_kind_only_for_smallbiz(tmp_path, capsys):
    assert main(["template", "filing", "--family", "gig", "--kind", "liability",
                 str(tmp_path / "x.xlsx")]) == 2
    assert "--kind is a smallbiz kind" in capsys.readouterr().err
    assert not (tmp_path / "x.xlsx").exists()
    assert main(["template", "book", str(tmp_path / "b"), "--kind", "employer"]) == 2
    assert "--family and" in capsys.readouterr().err
    # without --kind: the property filing, as before
    assert main(["template", "filing", "--family", "smallbiz", "--example", "clean",
                 str(tmp_path / "p.xlsx")]) == 0
    assert read_filing(tmp_path / "p.xlsx").family is FAMILIES["smallbiz"]


@pytest.mark.parametrize("family", FAMS)
def test_template_round_trips(family, tmp_path):
    blank = write_template(family, tmp_path / "blank.xlsx")
    wb = openpyxl.load_workbook(blank)
    text = " ".join(str(c.value) for row in wb["说明"].iter_rows() for c in row)
    fam = FAMILIES[family]
    for spec in fam.info + fam.assumptions + fam.rates:
        assert spec.key in text
    for g in fam.figures:
        assert f"figure: {g.id}" in text
    folder = example_filing(family, "planted")
    book = tmp_path / "f.xlsx"
    assert main(["template", "filing", "--family", family, "--example", "planted",
                 str(book)]) == 0
    a, b = read_filing(folder), read_filing(book)
    assert {k: c.value for k, c in a.info.items()} == {k: c.value for k, c in b.info.items()}
    assert ({k: c.value for k, c in a.assumptions.items()}
            == {k: c.value for k, c in b.assumptions.items()})
    pd.testing.assert_frame_equal(a.rates, b.rates)
    pd.testing.assert_frame_equal(a.results.drop(columns="sheet"),
                                  b.results.drop(columns="sheet"))
    assert set(b.rate_cells.stack()) == set(a.rate_cells.stack())   # the same cells
