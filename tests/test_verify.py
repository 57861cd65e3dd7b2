"""``puhui verify`` and ``puhui template filing`` on the bundled crop and life filings: clean
filings verify (exit 0), planted errors are named by sheet and cell and nothing else (exit 1),
bad input exits 2 naming the file, sheet and column. The 惠民保 filings (slower: a review on
the bundled book) are in tests/test_verify_huiminbao.py."""

from __future__ import annotations

import shutil

import numpy as np
import openpyxl
import pandas as pd
import pytest

from puhui.agri import filed_rate
from puhui.cli import main
from puhui.errors import DataError, ParameterError
from puhui.verify import example_filing, read_filing, verify
from puhui.verify.compare import compare, parse_tolerances
from puhui.verify.examples import PLANTED, life_content
from puhui.verify.template import workbook_from_folder, write_template

XLSX_SHEET = {"rates.csv": "费率表", "results.csv": "结果"}


def _as_xlsx(planted: dict) -> set:
    return {(XLSX_SHEET[s], c) for s, c in planted}


@pytest.mark.parametrize("family", ["crop", "life"])
def test_clean_filing_verifies(family):
    v = verify(example_filing(family, "clean"))
    assert v.status == 0, v.verdict
    assert v.findings() == set()
    assert len(v.figures) > 10 and v.figures["passed"].all()


@pytest.mark.parametrize("family", ["crop", "life"])
def test_planted_errors_named_exactly(family):
    v = verify(example_filing(family, "planted"))
    assert v.status == 1
    assert v.findings() == set(PLANTED[family])


def test_crop_rates_recomputed_by_the_2023_formula():
    # 费率 = 基准纯风险损失率 / (1 − 附加费率) × 费率调整系数 (银保监规〔2023〕4号 二); by hand for
    # the row XN001 rice of the clean filing: 0.032926 / 0.8 × 0.95 = 0.039099625
    v = verify(example_filing("crop", "clean"))
    row = v.figures.set_index("figure").loc["rate.XN001.rice"]
    assert row["puhui"] == pytest.approx(0.032926 / 0.8 * 0.95, abs=1e-15)
    # and equal to puhui.agri.filed_rate on every row of a filing within the rules
    f = read_filing(example_filing("crop", "clean"))
    r = f.rates
    ours = v.figures[v.figures["figure"].str.startswith("rate.")]["puhui"].to_numpy()
    np.testing.assert_allclose(ours, filed_rate(r["benchmark_rate"], r["loading"],
                                                r["factor"]).rate, rtol=0, atol=1e-15)
    # 综合费用率 = 0.05 + 0.08 + 0.04 + 0.02
    e = v.figures.set_index("figure").loc["expense_ratio"]
    assert e["puhui"] == pytest.approx(0.19, abs=1e-15)


def test_life_rates_by_hand():
    # one-year term, 150% of CL1 (2010-2013) at age 40, i = 2.5%, per 1000:
    # P = 1000 · v · 1.5 q40; G = P / (1 − 0.25 − 0.05)
    from puhui.life import load_table

    q40 = float(load_table("CL1_2010_2013").qx[40])
    v = verify(example_filing("life", "clean")).figures.set_index("figure")
    assert v.loc["net_premium.40.M", "puhui"] == pytest.approx(1000 * 1.5 * q40 / 1.025,
                                                               rel=1e-12)
    assert v.loc["gross_premium.40.M", "puhui"] == pytest.approx(
        1000 * 1.5 * q40 / 1.025 / 0.70, rel=1e-12)


def test_xlsx_input_same_findings(tmp_path):
    book = workbook_from_folder(example_filing("crop", "planted"), tmp_path / "planted.xlsx")
    v = verify(book)
    assert v.findings() == _as_xlsx(PLANTED["crop"])
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == ["说明", "产品信息", "假设", "费率表", "结果"]
    # the address points at the planted cell: the wrong rate typed in 费率表!F3
    assert wb["费率表"]["F3"].value == pytest.approx(0.03901)


def test_gbk_csv_input(tmp_path):
    folder = shutil.copytree(example_filing("crop", "planted"), tmp_path / "gbk")
    for name in ("rates.csv", "results.csv"):
        text = (folder / name).read_text(encoding="utf-8")
        (folder / name).write_bytes(text.encode("gbk"))
    assert (folder / "rates.csv").read_bytes().decode("gbk").startswith("县 county")
    v = verify(folder)
    assert v.findings() == set(PLANTED["crop"])


def test_missing_sheet_exits_2(tmp_path, capsys):
    book = workbook_from_folder(example_filing("crop", "clean"), tmp_path / "f.xlsx")
    wb = openpyxl.load_workbook(book)
    del wb["结果"]
    wb.save(book)
    assert main(["verify", str(book), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "f.xlsx" in err and "结果" in err and "missing_sheet" in err
    assert not (tmp_path / "out").exists()


def test_missing_column_exits_2(tmp_path, capsys):
    folder = shutil.copytree(example_filing("crop", "clean"), tmp_path / "f")
    rates = pd.read_csv(folder / "rates.csv", dtype=str)
    rates.drop(columns=["费率调整系数 factor"]).to_csv(folder / "rates.csv", index=False)
    assert main(["verify", str(folder), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "rates.csv" in err and "factor" in err and "missing_column" in err


def test_unknown_figure_suggests_the_near_id(tmp_path):
    folder = shutil.copytree(example_filing("crop", "clean"), tmp_path / "f")
    text = (folder / "results.csv").read_text(encoding="utf-8")
    (folder / "results.csv").write_text(text.replace("expense_ratio,", "expense_ration,"),
                                        encoding="utf-8")
    with pytest.raises(DataError, match="did you mean 'expense_ratio'"):
        read_filing(folder)


def test_cli_exit_codes_and_outputs(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["verify", str(example_filing("crop", "clean")), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("VERIFIED")
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "report.html", "report.md",
                                                     "rules.csv", "tables", "tables.xlsx",
                                                     "verify.csv"]
    table = pd.read_csv(out / "verify.csv")
    assert list(table.columns) == ["figure", "sheet", "cell", "filed", "puhui", "abs_diff",
                                   "rel_diff", "tolerance", "passed"]
    assert main(["verify", str(example_filing("crop", "planted")), "--out", str(out)]) == 1
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("NOT VERIFIED") and "rates.csv!F3" in last
    # a looser tolerance on the one figure clears it; the rule breaches stay
    assert main(["verify", str(example_filing("life", "planted")), "--out", str(out),
                 "--tolerance", "gross_premium.45.M=1"]) == 0
    assert main(["verify", str(example_filing("life", "planted")), "--out", str(out),
                 "--tolerance", "gross_premium=-1"]) == 2


def test_tolerances():
    assert parse_tolerances(["ibnr=1000", "ae.2025=0.001"]) == {"ibnr": 1000.0, "ae.2025": 0.001}
    with pytest.raises(ParameterError):
        parse_tolerances(["ibnr"])
    rows = [{"figure": "ibnr.2025", "sheet": "结果", "cell": "C9", "filed": 100.4, "puhui": 100.0,
             "kind": "money"}]
    assert compare(rows)["passed"].iat[0]                       # within 0.5 元
    assert not compare([{**rows[0], "filed": 100.6}])["passed"].iat[0]
    assert compare([{**rows[0], "filed": 100.6}], {"ibnr": 1.0})["passed"].iat[0]


def test_template_blank_workbook(tmp_path):
    for fam in ("huiminbao", "crop", "life"):
        path = write_template(fam, tmp_path / f"{fam}.xlsx")
        wb = openpyxl.load_workbook(path)
        assert wb.sheetnames == ["说明", "产品信息", "假设", "费率表", "结果"]
        text = " ".join(str(c.value) for row in wb["说明"].iter_rows() for c in row)
        # every field and figure of the family is explained
        from puhui.verify.filing import FAMILIES
        for spec in FAMILIES[fam].info + FAMILIES[fam].assumptions + FAMILIES[fam].rates:
            assert spec.key in text
        for g in FAMILIES[fam].figures:
            assert f"figure: {g.id}" in text


def test_life_example_content_is_deterministic():
    a, b = life_content(), life_content()
    pd.testing.assert_frame_equal(a[2], b[2])
