"""Readers: CSV in UTF-8 / UTF-8-BOM / GBK, Parquet, Excel; and the `puhui validate` command."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

import puhui
from puhui.cli import main
from puhui.data import load, read_table

ROWS = [
    "policy_id,product,region,segment,start_date,end_date,sum_insured,premium,exposure,"
    "exposure_unit",
    "P1,完全成本水稻,德清县,水稻,2024-01-01,2024-12-31,11000,495,10,亩",
    "P2,完全成本水稻,德清县,水稻,2024-01-01,2024-12-31,22000,990,20,亩",
]
BAD_ROWS = ROWS[:2] + ["P2,完全成本水稻,德清县,水稻,2024-01-01,2023-12-31,-5,990,20,亩"]


def write(path, rows, encoding):
    path.write_bytes(("\n".join(rows) + "\n").encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_read_the_same_chinese_text(tmp_path, encoding):
    path = write(tmp_path / f"policies_{encoding}.csv", ROWS, encoding)
    out = load(path, "policies")
    assert out["region"].tolist() == ["德清县", "德清县"]
    assert out["exposure_unit"].tolist() == ["亩", "亩"]
    assert list(out.columns)[0] == "policy_id"  # the BOM does not leak into the first name


def test_gbk_csv_with_bad_rows_reports_file_column_row_and_rule(tmp_path):
    path = write(tmp_path / "保单.csv", BAD_ROWS, "gbk")
    with pytest.raises(puhui.DataError) as info:
        load(path, "policies")
    got = {(p.table, p.rule, p.column, p.row) for p in info.value.problems}
    assert got == {("保单.csv", "end_before_start", "end_date", 2),
                   ("保单.csv", "negative", "sum_insured", 2)}


def test_undecodable_csv_is_a_data_error(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"policy_id\n\x81\x30\xff\xff\n")
    with pytest.raises(puhui.DataError) as info:
        read_table(path)
    assert info.value.problems[0].rule == "encoding"


def test_excel_file_is_validated(tmp_path):
    df = pd.DataFrame([r.split(",") for r in BAD_ROWS[1:]], columns=BAD_ROWS[0].split(","))
    df["premium"] = [495.0, "九百九十"]
    path = tmp_path / "policies.xlsx"
    df.to_excel(path, index=False)
    with pytest.raises(puhui.DataError) as info:
        load(path, "policies")
    assert {(p.rule, p.column, p.row) for p in info.value.problems} == {
        ("end_before_start", "end_date", 2), ("negative", "sum_insured", 2),
        ("not_a_number", "premium", 2)}
    good = pd.DataFrame([r.split(",") for r in ROWS[1:]], columns=ROWS[0].split(","))
    good["start_date"] = pd.to_datetime(good["start_date"])  # real Excel dates
    good["premium"] = good["premium"].astype(float)
    good.to_excel(path, index=False)
    out = load(path, "policies")
    assert out["start_date"].iloc[0] == pd.Timestamp("2024-01-01")
    assert out["premium"].tolist() == [495.0, 990.0]
    assert out["policy_id"].tolist() == ["P1", "P2"]


def test_parquet_round_trip(tmp_path):
    typed = load(write(tmp_path / "p.csv", ROWS, "utf-8"), "policies")
    typed.to_parquet(tmp_path / "p.parquet")
    again = load(tmp_path / "p.parquet", "policies")
    pd.testing.assert_frame_equal(typed, again)


def test_unsupported_files(tmp_path):
    (tmp_path / "a.xls").write_bytes(b"")
    (tmp_path / "a.json").write_text("{}")
    with pytest.raises(puhui.ParameterError, match="xlsx"):
        read_table(tmp_path / "a.xls")
    with pytest.raises(puhui.ParameterError, match="unknown file type"):
        read_table(tmp_path / "a.json")
    with pytest.raises(puhui.ParameterError, match="no such file"):
        read_table(tmp_path / "missing.csv")


def test_cli_validate_good_and_bad(tmp_path, capsys):
    good = write(tmp_path / "good.csv", ROWS, "gbk")
    bad = write(tmp_path / "bad.csv", BAD_ROWS, "gbk")
    assert main(["validate", "policies", str(good)]) == 0
    assert "OK" in capsys.readouterr().out
    assert main(["validate", "policies", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.csv, column 'end_date', row 2: [end_before_start]" in err
    assert "Traceback" not in err
    assert main(["validate", "policies", str(tmp_path / "nope.csv")]) == 2


def test_cli_validate_claims_against_policies(tmp_path, capsys):
    pol = write(tmp_path / "pol.csv", ROWS, "utf-8")
    cl = write(tmp_path / "cl.csv", [
        "claim_id,policy_id,accident_date,report_date,paid,case_reserve,status",
        "C1,P1,2024-07-01,2024-07-03,300,0,closed",
        "C2,P7,2024-07-01,2024-07-03,300,0,closed",
        "C3,P2,2025-02-01,2025-02-03,300,0,closed"], "utf-8")
    assert main(["validate", "claims", str(cl), "--policies", str(pol)]) == 2
    err = capsys.readouterr().err
    assert "[unknown_policy]" in err and "[claim_outside_policy]" in err


def test_console_script_exit_status(tmp_path):
    bad = write(tmp_path / "bad.csv", BAD_ROWS, "gbk")
    proc = subprocess.run([sys.executable, "-m", "puhui.cli", "validate", "policies", str(bad)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "[negative]" in proc.stderr


def test_gbk_file_with_rare_characters_is_still_gbk(tmp_path):
    # a few 生僻字 outside GB2312 (镕, 喆) are normal in names; they must not trip the
    # mojibake check (at least 3 unusual characters and 20 % of the text are needed)
    rows = [ROWS[0], *(r.replace("德清县", "朱镕基") for r in ROWS[1:2]),
            ROWS[2].replace("德清县", "陶喆")]
    out = load(write(tmp_path / "gbk.csv", rows, "gbk"), "policies")
    assert out["region"].tolist() == ["朱镕基", "陶喆"]


def test_big5_file_reads_with_its_encoding_named(tmp_path):
    rows = [r.replace("德清县", "臺北市").replace("完全成本水稻", "醫療").replace("水稻", "稻米")
            .replace("亩", "畝") for r in ROWS]
    path = write(tmp_path / "big5.csv", rows, "big5")
    with pytest.raises(puhui.DataError, match="Big5"):
        read_table(path)
    out = read_table(path, encoding="big5")
    assert out["region"].tolist() == ["臺北市", "臺北市"]


def test_crlf_and_quoted_csv_fields(tmp_path):
    rows = [ROWS[0], 'P1,"完全成本水稻, 二期",德清县,水稻,2024-01-01,2024-12-31,"11,000",495,10,亩']
    path = tmp_path / "crlf.csv"
    path.write_bytes("\r\n".join(rows + [""]).encode("utf-8"))
    out = load(path, "policies")
    assert out["product"].tolist() == ["完全成本水稻, 二期"]
    assert out["sum_insured"].tolist() == [11000.0]
