"""Column headers in English, Chinese or both (issue 15, "An insurer's own book").

Every table kind, in every format the readers take (CSV in UTF-8 and GBK, Parquet, .xlsx),
reads to the same typed table whichever name each header uses — the English name, the Chinese
term or an alternative of it, or both in one cell — mixed freely in one file. A header that
names no column, or two headers naming one column, are errors that say which and suggest the
mapping."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import puhui
from puhui.cli import main
from puhui.data import SCHEMAS, load, validate
from puhui.data.schema import STR, Column, Schema, schema, zh_headers
from test_table_roundtrip import SUFFIX, _write, valid_tables


def _forms(col: Column) -> list[str]:
    """Ways a spreadsheet user may head the column: each Chinese form alone, and with the
    English name beside it or in (full-width) parentheses."""
    zh = zh_headers(col.zh)
    return [col.name, *zh, f"{zh[0]} {col.name}", f"{col.name} ({zh[-1]})",
            f"{zh[-1]}（{col.name}）", f"{zh[0]}/{col.name}", f" {zh[-1]} "]


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
@settings(max_examples=3)
@given(data=st.data())
def test_any_mix_of_header_languages_reads_as_the_english_table(tmp_path_factory, kind, data):
    df = data.draw(valid_tables(kind, digits=15))
    fmt = data.draw(st.sampled_from(sorted(SUFFIX)))
    sch = schema(kind)
    headed = df.rename(columns={c: data.draw(st.sampled_from(_forms(sch.column(c))))
                                for c in df.columns})
    path = tmp_path_factory.mktemp("h") / f"{kind}{SUFFIX[fmt]}"
    _write(headed, path, fmt)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = load(path, kind)
    pd.testing.assert_frame_equal(got, validate(df, kind), check_exact=True)


def test_the_chinese_terms_of_a_table_never_name_two_columns():
    for sch in SCHEMAS.values():
        owners = {}
        for col in sch.columns:
            for h in col.headers:
                assert owners.setdefault(h, col.name) == col.name, (sch.kind, h)
    with pytest.raises(ValueError, match="header '编号' would name both 'a' and 'b'"):
        Schema("t", "表", "", (Column("a", STR, "编号", ""), Column("b", STR, "编号/号码", "")))


def _problems(err: puhui.DataError) -> list[tuple]:
    return [(p.rule, p.column) for p in err.problems]


def test_a_column_named_twice_is_an_error_naming_both_headers():
    pol = pd.DataFrame({"保单号": ["P1"], "product": ["X"]})
    both = pol.assign(policy_id=["P2"])
    with pytest.raises(puhui.DataError) as info:
        validate(both, "policies", extra_columns="keep")
    assert _problems(info.value) == [("duplicate_column", "policy_id")]
    assert "the headers '保单号', 'policy_id' all name column 'policy_id' (保单号): keep one" \
        in str(info.value)
    same = pd.DataFrame([["C1", "C2"]], columns=["赔案号", "赔案号"])
    with pytest.raises(puhui.DataError, match="column name appears more than once"):
        validate(same, "payments")


def test_an_unknown_header_names_file_table_header_and_the_nearest_name(tmp_path, capsys):
    path = tmp_path / "policies.csv"
    path.write_text("保单编号,产品,地区,细分/人群,保险起期,保险止期,保险金额,保费,风险单位数,Colour\n"
                    "P1,X,杭州,healthy,2024-01-01,2024-12-31,100,89,1,red\n", encoding="gbk")
    assert main(["validate", "policies", str(path)]) == 2
    err = capsys.readouterr().err
    assert ("policies.csv, column '保单编号': [unknown_column] not a column of the 'policies' "
            "table (保单) — did you mean policy_id (保单号)? Headers may be English, Chinese or "
            "both (e.g. 保单号 policy_id); the columns (English = 中文): policy_id = 保单号, "
            "product = 产品, region = 地区") in err
    assert "column 'Colour': [unknown_column] not a column of the 'policies' table (保单)." in err
    assert ("column 'policy_id': [missing_column] required column is missing: head it "
            "policy_id or 保单号") in err
    assert "the header '保单编号' may be meant for it" in err
    # a cell with the names of two different columns is not read as either
    assert schema("policies").resolve("保单号 premium") is None
    assert schema("policies").suggest("Premium") == "premium"  # case-sensitive, suggested


def test_related_tables_with_chinese_headers_serve_the_cross_table_rules():
    pol = pd.DataFrame({"保单号": ["P1"], "产品": ["X"], "地区": ["杭州"], "细分/人群": ["healthy"],
                        "保险起期": ["2024-01-01"], "保险止期": ["2024-12-31"], "保险金额": ["100"],
                        "保费": ["89"], "风险单位数": ["1"]})
    claims = pd.DataFrame({"赔案号": ["C1"], "保单号": ["P9"], "出险日期": ["2024-03-01"],
                           "报案日期": ["2024-03-02"], "已决赔款": ["1"], "未决赔款准备金": ["0"],
                           "赔案状态": ["closed"]})
    with pytest.raises(puhui.DataError) as info:
        validate(claims, "claims", policies=pol)
    assert _problems(info.value) == [("unknown_policy", "policy_id")]
    assert validate(claims.assign(保单号=["P1"]), "claims", policies=pol)["policy_id"].tolist() \
        == ["P1"]


def test_a_parquet_type_error_is_reported_under_the_english_name(tmp_path):
    path = tmp_path / "costs.parquet"
    pd.DataFrame({"保单号": ["P1"], "责任类型": ["in_catalogue"], "合规医疗费用": [True]}).to_parquet(
        path)
    with pytest.raises(puhui.DataError) as info:
        load(path, "costs")
    (p,) = info.value.problems
    assert (p.rule, p.column) == ("wrong_type", "cost")
    assert "the Parquet column holds bool values" in p.message


def test_a_workbook_with_chinese_headers_reads_as_english(tmp_path):
    path = tmp_path / "costs.xlsx"
    pd.DataFrame({"保单号 policy_id": ["P1", "P2"], "责任类型": ["in_catalogue", "特药"],
                  "cost（合规医疗费用）": [1200.5, 80.0]}).to_excel(path, index=False)
    got = load(path, "costs")
    assert list(got.columns) == ["policy_id", "benefit_line", "cost"]
    assert got["cost"].tolist() == [1200.5, 80.0] and got["benefit_line"].iloc[1] == "特药"
