"""Catalogue of bad input files (issue 11): every way a file can be wrong ends in ONE clean error
that names the file and what is wrong — through the API (`puhui.data.load`) and through the
command (`puhui validate KIND PATH` exits 2 and prints no traceback).

Each case builds its bad file in tmp_path. The silent wrong results these cases used to give
are in the comments (reproduced on the code before this catalogue)."""

from __future__ import annotations

import builtins
import gzip
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import puhui
from puhui.cli import main
from puhui.data import io as data_io
from puhui.data import load, read_table
from puhui.errors import DataWarning, shown_value

PAY = "claim_id,payment_date,amount\n"
POL_HEAD = ("policy_id,product,region,segment,start_date,end_date,sum_insured,premium,"
            "exposure\n")
POL_ROW = "P1,惠民保,杭州,healthy,2024-01-01,2024-12-31,3000000,89,1\n"
SIMPLIFIED = ["杭州市", "德清县", "宁波", "温州", "绍兴市上虞区", "湖州", "嘉兴", "金华"]
TRADITIONAL = ["臺北市", "高雄市", "新竹縣", "賠款", "醫療費用", "桃園", "臺中"]


def policies_frame(**overrides) -> pd.DataFrame:
    base = {"policy_id": ["P1", "P2"], "product": ["惠民保"] * 2, "region": ["杭州"] * 2,
            "segment": ["healthy"] * 2,
            "start_date": pd.to_datetime(["2024-01-01"] * 2),
            "end_date": pd.to_datetime(["2024-12-31"] * 2),
            "sum_insured": [3e6, 3e6], "premium": [89.0, 89.5], "exposure": [1.0, 1.0]}
    base.update(overrides)
    return pd.DataFrame(base)


def _bytes(name, data):
    def build(tmp):
        path = tmp / name
        path.write_bytes(data)
        return path
    return build


def _text(name, text, encoding="utf-8"):
    return _bytes(name, text.encode(encoding))


def _parquet(name, frame=None, table=None):
    def build(tmp):
        path = tmp / name
        if table is not None:
            pq.write_table(table, path)
        else:
            frame.to_parquet(path)
        return path
    return build


def _xlsx(name, rows, hide_row=None):
    def build(tmp):
        path = tmp / name
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "data"
        for r in rows:
            ws.append(r)
        if hide_row:
            ws.row_dimensions[hide_row].hidden = True
        wb.save(path)
        return path
    return build


def _truncated(name, build_good):
    def build(tmp):
        good = build_good(tmp)
        data = good.read_bytes()
        path = tmp / name
        path.write_bytes(data[: len(data) // 2])
        return path
    return build


def _directory(tmp):
    path = tmp / "policies.csv"
    path.mkdir()
    return path


def _gz_corrupt(tmp):
    path = tmp / "payments.csv.gz"
    path.write_bytes(gzip.compress((PAY + "C1,2024-06-01,5\n").encode())[:-12])
    return path


_PAY_ROWS = [["claim_id", "payment_date", "amount"], ["C1", "2024-06-01", 5.0]]

# id → (build(tmp_path) → path, kind, error type, rule, fragments the message must hold,
#       (column, row) of the problem or None, extra CLI arguments)
CASES = {
    # --- encodings: each used to pass, as mojibake or with every Chinese value garbled -----
    "big5_file": (_text("payments.csv", PAY + "".join(
        f"{t},2024-06-01,5\n" for t in TRADITIONAL), "big5"), "payments", puhui.DataError,
        "encoding", ["payments.csv", "Big5", "UTF-8"], None, []),
    "gbk_row_in_utf8_file": (_bytes("payments.csv", (PAY + "".join(
        f"{t},2024-06-01,5\n" for t in SIMPLIFIED)).encode() + "赔案九,2024-06-01,5\n".encode(
        "gbk")), "payments", puhui.DataError, "encoding", ["payments.csv", "line 10",
                                                            "not valid UTF-8"], None, []),
    "utf8_row_in_gbk_file": (_bytes("payments.csv", (PAY + "".join(
        f"{t},2024-06-01,5\n" for t in SIMPLIFIED)).encode("gbk") + "赔案九,2024-06-01,5\n"
        .encode()), "payments", puhui.DataError, "encoding", ["payments.csv", "line 10"], None,
        []),
    "shift_jis_file": (_text("payments.csv", PAY + "東京都,2024-06-01,5\n大阪府,2024-06-01,5\n",
                             "shift_jis"), "payments", puhui.DataError, "encoding",
                       ["payments.csv", "line 2", "UTF-8"], None, []),
    "undecodable_bytes": (_bytes("payments.csv", PAY.encode() + b"\x81\x30\xff\xff,x,1\n"),
                          "payments", puhui.DataError, "encoding", ["payments.csv"], None, []),
    "invalid_utf8_after_bom": (_bytes("payments.csv", b"\xef\xbb\xbf" + (
        PAY + "赔案一,2024-06-01,5\n").encode() + "赔案二,2024-06-01,5\n".encode("gbk")),
        "payments", puhui.DataError, "encoding", ["payments.csv", "line 3"], None, []),
    "utf16_without_bom": (_text("payments.csv", PAY + "C1,2024-06-01,5\n", "utf-16-le"),
                          "payments", puhui.DataError, "nul_byte", ["payments.csv", "UTF-16"],
                          None, []),
    "nul_byte": (_bytes("payments.csv", (PAY + "C1,2024-06-01,5\nC2\0,2024-06-01,5\n").encode()),
                 "payments", puhui.DataError, "nul_byte", ["payments.csv", "line 3"], None, []),
    # --- dates: 2024111 was read as 2024-11-01 and 202431 as 2024-03-01 --------------------
    "date_with_7_digits": (_text("payments.csv", PAY + "C1,2024111,5\n"), "payments",
                           puhui.DataError, "not_a_date", ["payments.csv", "'2024111'"],
                           ("payment_date", 1), []),
    "date_with_6_digits": (_text("payments.csv", PAY + "C1,202431,5\n"), "payments",
                           puhui.DataError, "not_a_date", ["'202431'"], ("payment_date", 1),
                           []),
    "day_first_date": (_text("payments.csv", PAY + "C1,03/04/2024,5\n"), "payments",
                       puhui.DataError, "not_a_date", ["'03/04/2024'"], ("payment_date", 1),
                       []),
    # --- ids: 1e19 became -9223372036854775808, a 20-digit xlsx id lost digits ---------------
    "float_id_1e19": (_parquet("payments.parquet", pd.DataFrame(
        {"claim_id": [1.0, 1e19], "payment_date": ["2024-06-01"] * 2, "amount": [5.0, 6.0]})),
        "payments", puhui.DataError, "inexact_id", ["payments.parquet", "text"],
        ("claim_id", 2), []),
    "fractional_float_id": (_parquet("payments.parquet", pd.DataFrame(
        {"claim_id": [12.5], "payment_date": ["2024-06-01"], "amount": [5.0]})),
        "payments", puhui.DataError, "inexact_id", ["payments.parquet"], ("claim_id", 1), []),
    "xlsx_20_digit_number_id": (_xlsx("payments.xlsx", [
        _PAY_ROWS[0], [12345678901234567890.0, "2024-06-01", 5.0]]), "payments",
        puhui.DataError, "inexact_id", ["payments.xlsx", "文本"], ("claim_id", 1), []),
    # --- Parquet types: a bool premium and a list region passed ------------------------------
    "parquet_bool_premium": (_parquet("policies.parquet", policies_frame(premium=[True, False])),
                             "policies", puhui.DataError, "wrong_type",
                             ["policies.parquet", "bool", "numeric"], ("premium", None), []),
    "parquet_text_premium": (_parquet("policies.parquet", policies_frame(premium=["89", "90"])),
                             "policies", puhui.DataError, "wrong_type", ["string"],
                             ("premium", None), []),
    "parquet_number_date": (_parquet("policies.parquet", policies_frame(
        start_date=[20240101, 20240101])), "policies", puhui.DataError, "wrong_type",
        ["int64"], ("start_date", None), []),
    "parquet_list_region": (_parquet("policies.parquet", policies_frame(
        region=[["杭州", "宁波"], ["杭州"]])), "policies", puhui.DataError, "nested_column",
        ["policies.parquet", "list"], ("region", None), []),
    # --- missing-value tokens: "-" was missing in one column, rejected in another -----------
    "NA_in_a_number_column": (_text("payments.csv", PAY + "C1,2024-06-01,NA\n"), "payments",
                              puhui.DataError, "not_a_number", ["'NA'"], ("amount", 1), []),
    "dash_in_a_number_column": (_text("payments.csv", PAY + "C1,2024-06-01,-\n"), "payments",
                                puhui.DataError, "not_a_number", ["'-'"], ("amount", 1), []),
    "NONE_in_a_date_column": (_text("payments.csv", PAY + "C1,NONE,5\n"), "payments",
                              puhui.DataError, "not_a_date", ["'NONE'"], ("payment_date", 1),
                              []),
    # --- integers: 2025.5 was truncated to 2025 ---------------------------------------------
    "fractional_year": (_text("yields.csv", "region,crop,year,yield\nA,rice,2025.5,480\n"),
                        "yields", puhui.DataError, "not_an_integer", ["'2025.5'"],
                        ("year", 1), []),
    # --- bounds: premium 1e308 passed and earned premium came out inf -----------------------
    "premium_1e308": (_text("policies.csv", POL_HEAD + POL_ROW.replace(",89,", ",1e308,")),
                      "policies", puhui.DataError, "out_of_range", ["1e12", "1e+308"],
                      ("premium", 1), []),
    "premium_inf": (_text("policies.csv", POL_HEAD + POL_ROW.replace(",89,", ",inf,")),
                    "policies", puhui.DataError, "not_a_number", ["'inf'"], ("premium", 1),
                    []),
    "exposure_1e300": (_text("policies.csv", POL_HEAD + POL_ROW.replace(",1\n", ",1e300\n")),
                       "policies", puhui.DataError, "out_of_range", ["1e10"],
                       ("exposure", 1), []),
    # --- duplicates: a payment read twice passed --------------------------------------------
    "duplicate_payment_rows": (_text("payments.csv", PAY + "C1,2024-06-01,5\nC2,2024-06-01,5\n"
                                     "C1,2024-06-01,5\n"), "payments", puhui.DataError,
                               "duplicate_row", ["rows 1, 3", "payment_id"], (None, 3), []),
    # --- CSV structure: each was a raw pandas traceback --------------------------------------
    "empty_csv": (_bytes("payments.csv", b""), "payments", puhui.DataError, "empty_file",
                  ["payments.csv", "header"], None, []),
    "blank_csv": (_text("payments.csv", "\n \n\n"), "payments", puhui.DataError, "empty_file",
                  ["payments.csv"], None, []),
    "row_with_extra_field": (_text("payments.csv", PAY + "C1,2024-06-01,5\nC2,2024-06-01,5,7\n"),
                             "payments", puhui.DataError, "ragged_row", ["4 fields", "has 3"],
                             (None, 2), []),
    "row_with_missing_field": (_text("payments.csv", PAY + "C1,2024-06-01\n"), "payments",
                               puhui.DataError, "ragged_row", ["2 fields"], (None, 1), []),
    "blank_line_inside": (_text("payments.csv", PAY + "C1,2024-06-01,5\n\nC2,2024-06-01,5\n"),
                          "payments", puhui.DataError, "ragged_row", ["blank"], (None, 2), []),
    "quoted_row_with_extra_field": (_text("payments.csv", PAY + '"C1",2024-06-01,"5,5",9\n'),
                                    "payments", puhui.DataError, "ragged_row", ["4 fields"],
                                    (None, 1), []),
    "unbalanced_quote": (_text("payments.csv", PAY + 'C1,2024-06-01,5\n"C2,2024-06-01,5\n'),
                         "payments", puhui.DataError, "unbalanced_quote",
                         ["payments.csv", "line 3"], None, []),
    "corrupt_gz": (_gz_corrupt, "payments", puhui.DataError, "corrupt_file",
                   ["payments.csv.gz", ".gz"], None, []),
    # --- Excel ------------------------------------------------------------------------------
    "fake_xlsx": (_text("payments.xlsx", PAY), "payments", puhui.DataError, "corrupt_file",
                  ["payments.xlsx", "not a valid .xlsx"], None, []),
    "truncated_xlsx": (_truncated("cut.xlsx", _xlsx("payments.xlsx", _PAY_ROWS)), "payments",
                       puhui.DataError, "corrupt_file", ["cut.xlsx"], None, []),
    "old_xls_renamed": (_bytes("payments.xlsx", data_io._OLE2_MAGIC + b"\0" * 504),
                        "payments", puhui.DataError, "corrupt_file", [".xls workbook",
                                                                      "password"], None, []),
    "missing_sheet": (_xlsx("payments.xlsx", _PAY_ROWS), "payments", puhui.DataError,
                      "missing_sheet", ["payments.xlsx", "'nope'", "data"], None,
                      ["--sheet", "nope"]),
    # --- Parquet ----------------------------------------------------------------------------
    "corrupt_parquet": (_bytes("payments.parquet", b"PAR1 this is not parquet"), "payments",
                        puhui.DataError, "corrupt_file", ["payments.parquet"], None, []),
    "truncated_parquet": (_truncated("cut.parquet", _parquet("payments.parquet", pd.DataFrame(
        {"claim_id": ["C1"] * 50, "payment_date": ["2024-06-01"] * 50,
         "amount": np.arange(50.0)}))), "payments", puhui.DataError, "corrupt_file",
        ["cut.parquet"], None, []),
    "duplicate_parquet_columns": (_parquet("payments.parquet", table=pa.Table.from_arrays(
        [pa.array(["C1"]), pa.array(["2024-06-01"]), pa.array([5.0]), pa.array([6.0])],
        names=["claim_id", "payment_date", "amount", "amount"])), "payments", puhui.DataError,
        "duplicate_column", ["payments.parquet"], ("amount", None), []),
    # --- the path itself --------------------------------------------------------------------
    "directory": (_directory, "policies", puhui.ParameterError, None,
                  ["policies.csv", "directory"], None, []),
    "missing_file": (lambda tmp: tmp / "nope.csv", "policies", puhui.ParameterError, None,
                     ["no such file", "nope.csv"], None, []),
}


def _check(err, rule, fragments, where, name):
    text = str(err)
    for fragment in fragments:
        assert fragment in text, (fragment, text)
    if rule is None:
        return
    assert isinstance(err, puhui.DataError)
    found = [(p.rule, p.column, p.row) for p in err.problems]
    assert any(p.rule == rule for p in err.problems), found
    assert all(p.table == name for p in err.problems), found
    if where is not None:
        column, row = where
        assert (rule, column, row) in found, found


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_file_is_one_clean_error(tmp_path, capsys, case):
    build, kind, error, rule, fragments, where, cli_extra = CASES[case]
    path = build(tmp_path)
    kwargs = {}
    if "--sheet" in cli_extra:
        kwargs["sheet_name"] = cli_extra[cli_extra.index("--sheet") + 1]
    with pytest.raises(error) as info:
        from puhui.data import validate

        validate(read_table(path, **kwargs), kind, table=path.name)
    _check(info.value, rule, fragments, where, path.name)
    if not kwargs:
        with pytest.raises(error):
            load(path, kind)
    capsys.readouterr()
    assert main(["validate", kind, str(path), *cli_extra]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and path.name in err, err


def test_unreadable_file_is_a_parameter_error(tmp_path, monkeypatch, capsys):
    # (the tests may run as root, for whom chmod 000 does not stop reading: deny the open)
    path = tmp_path / "policies.csv"
    path.write_text(POL_HEAD + POL_ROW, encoding="utf-8")
    real_open = builtins.open

    def deny(file, *args, **kwargs):
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", deny)
    with pytest.raises(puhui.ParameterError, match="permission denied"):
        load(path, "policies")
    assert main(["validate", "policies", str(path)]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_xlsx_zip_bomb_is_refused_from_the_declared_sizes(tmp_path, monkeypatch):
    # a 786 MB sheet used to run 400 s at 2.5 GB; here the limit is lowered to 1 MiB so that
    # a 2 MiB sheet (8 kB on disk) stands in for it
    monkeypatch.setattr(data_io, "MAX_XLSX_UNPACKED_BYTES", 2**20)
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * 2**21 + b"</a>")
    assert path.stat().st_size < 20_000
    with pytest.raises(puhui.DataError) as info:
        read_table(path)
    assert info.value.problems[0].rule == "file_too_large"
    assert "2 MiB" in str(info.value) and "CSV" in str(info.value)
    assert main(["validate", "payments", str(path)]) == 2


def test_gz_bomb_is_refused_while_decompressing(tmp_path, monkeypatch):
    monkeypatch.setattr(data_io, "MAX_TEXT_BYTES", 2**20)
    path = tmp_path / "payments.csv.gz"
    path.write_bytes(gzip.compress(PAY.encode() + b"C1,2024-06-01,5\n" * 2**17))
    with pytest.raises(puhui.DataError) as info:
        read_table(path)
    assert info.value.problems[0].rule == "file_too_large"


def test_hidden_xlsx_rows_and_sheets_warn(tmp_path, capsys):
    rows = [_PAY_ROWS[0], ["C1", "2024-06-01", 5.0], ["C2", "2024-06-01", 6.0]]
    path = _xlsx("payments.xlsx", rows, hide_row=3)(tmp_path)
    with pytest.warns(DataWarning) as record:
        out = load(path, "payments")
    assert len(out) == 2  # the hidden row is read (it is data) …
    problems = [p for w in record for p in w.message.problems]
    assert [(p.rule, p.table) for p in problems] == [("hidden_rows", "payments.xlsx")]
    assert "data rows 2" in problems[0].message  # … and named
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("notes", 0).sheet_state = "hidden"
    wb.save(path)
    with pytest.warns(DataWarning, match="hidden_sheet"):
        read_table(path, sheet_name="notes")


def test_echoed_values_are_cut_and_id_numbers_masked(tmp_path):
    big = "x" * 1_000_000  # a 1 MB cell used to be echoed whole
    path = tmp_path / "payments.csv"
    path.write_text(PAY + f"C1,2024-06-01,{big}\n", encoding="utf-8")
    with pytest.raises(puhui.DataError) as info:
        load(path, "payments")
    assert len(str(info.value)) < 600
    assert "1,000,000 characters" in str(info.value)
    # a 身份证号 (GB 11643 example 11010519491231002X, valid check digit) as a key is masked
    ident = "11010519491231002X"
    path = tmp_path / "policies.csv"
    path.write_text(POL_HEAD + POL_ROW.replace("P1", ident) * 2, encoding="utf-8")
    with pytest.raises(puhui.DataError) as info:
        load(path, "policies")
    assert ident not in str(info.value) and "110105********002X" in str(info.value)
    assert shown_value("110105194912310021") == "110105194912310021"  # bad check digit: kept


def test_basis_years_are_not_truncated(tmp_path):
    from puhui.huiminbao.basis import read_basis

    path = tmp_path / "basis.csv"
    path.write_text("policy_year,segment,age_band,min_age,max_age,benefit_line,"
                    "claims_per_member,payout_per_member\n"
                    "2025.5,healthy,0-59,0,59,in_catalogue,0.01,100\n", encoding="utf-8")
    with pytest.raises(puhui.DataError) as info:
        read_basis(path)
    assert [(p.rule, p.column, p.row) for p in info.value.problems] == [
        ("not_an_integer", "policy_year", 1)]


def test_text_placeholder_in_a_required_column_warns(tmp_path):
    path = tmp_path / "policies.csv"
    path.write_text(POL_HEAD + POL_ROW.replace("杭州", "NA"), encoding="utf-8")
    with pytest.warns(DataWarning, match="placeholder_text") as record:
        out = load(path, "policies")
    assert out["region"].tolist() == ["NA"]  # kept as written, not turned into a gap
    assert [(p.column, p.row) for w in record for p in w.message.problems] == [("region", 1)]


def test_utf16_with_bom_is_read(tmp_path):
    path = tmp_path / "policies.txt"  # Excel's "Unicode text": UTF-16 with BOM, tab-separated
    path.write_bytes((POL_HEAD + POL_ROW).replace(",", "\t").encode("utf-16"))
    out = load(path, "policies")
    assert out["region"].tolist() == ["杭州"] and out["premium"].tolist() == [89.0]


def test_csv_floats_are_read_correctly_rounded(tmp_path):
    # pandas' default parser read 14 % of full-precision doubles one ulp off
    values = np.random.default_rng(12).random(2000) * 1e6
    path = tmp_path / "payments.csv"
    path.write_text(PAY + "".join(f"C{i},2024-06-01,{float(v)!r}\n" for i, v in enumerate(values)),
                    encoding="utf-8")
    out = load(path, "payments")
    assert np.array_equal(out["amount"].to_numpy(), values)
    naive = pd.read_csv(path)["amount"].to_numpy()
    assert (naive != values).mean() > 0.05  # the default parser is not round-trip exact
