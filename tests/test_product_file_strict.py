"""Strict product files and command options: every mistake is an error naming its place, never a
silently wrong number (a typo'd table, a negative commission, a boolean payout ratio, a trend
of 6 meaning 6%, a GBK file, a pricing year of 1900, another product's book, ``--alpha 2`` …).

Each bad product file is the bundled example with one edit; it is read through the API
(``Product.from_toml``) and through the command line (``puhui review|tune|price``, exit status 2,
a one-line message, no traceback, no output folder). Every case fails before any data is read,
or on a small slice of the bundled book, so the file runs in a few seconds.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import puhui
from puhui.cli import main
from puhui.errors import ParameterError
from puhui.huiminbao import Product, example_product_path
from puhui.huiminbao.folder import check_pricing_year, check_product, check_years
from puhui.huiminbao.product import BOUNDS, SEGMENT_KEYS, TABLES, check_number

EXAMPLE = example_product_path().read_text(encoding="utf-8")
LINE1_HEALTHY = "healthy = { deductible = 20_000, payout_ratio = 0.80 }"


def edit(old: str, new: str) -> str:
    assert EXAMPLE.count(old) >= 1, old
    return EXAMPLE.replace(old, new, 1)


# (case id, product file text, fragment the error must contain)
BAD_FILES = [
    # -- mistyped tables and keys at every level, with the near name suggested --------------
    ("table_expense", edit("[expenses]", "[expense]"),
     "unknown tables or keys: [expense] (did you mean [expenses]?)"),
    ("table_assumption", edit("[assumptions]", "[assumption]"),
     "[assumption] (did you mean [assumptions]?)"),
    ("key_target", edit("target_combined_ratio =", "target_combined_ration ="),
     "[product] has unknown keys: 'target_combined_ration' (did you mean "
     "'target_combined_ratio'?)"),
    ("key_trend", edit("medical_trend", "medical_trnd"),
     "[assumptions] has unknown keys: 'medical_trnd' (did you mean 'medical_trend'?)"),
    ("key_commission", edit("commission =", "comission ="),
     "[expenses] has unknown keys: 'comission' (did you mean 'commission'?)"),
    ("key_cap_in_line", edit("cap = 1_000_000", "capp = 1_000_000"),
     "[[lines]] #1 (in_catalogue) has unknown keys: 'capp' (did you mean 'cap'?)"),
    ("key_in_segment", edit("{ deductible = 20_000, payout_ratio = 0.80 }",
                            "{ deductable = 20_000, payout_ratio = 0.80 }"),
     "[[lines]] #1 (in_catalogue).healthy has unknown keys: 'deductable' (did you mean "
     "'deductible'?)"),
    ("segment_name", edit("healthy = {", "healty = {"),
     "'healty' (did you mean 'healthy'?)"),
    ("key_in_wrong_table", edit("[price]", "medical_trend = 0.06\n\n[price]"),
     "[product] has unknown keys: 'medical_trend' (it belongs in [assumptions])"),
    ("top_level_key", 'code = "HMB-XC"\n' + EXAMPLE,
     "unknown tables or keys: 'code' (it belongs in [product])"),
    ("lines_as_table", EXAMPLE.split("[[lines]]")[0] + '[lines]\nname = "a"\n'
     "healthy = { deductible = 0, payout_ratio = 0.5 }\n",
     "write each benefit line as an array table [[lines]], not [lines]"),
    # -- required tables and keys ---------------------------------------------------------
    ("no_expenses", EXAMPLE.split("[expenses]")[0] + "[assumptions]"
     + EXAMPLE.split("[assumptions]")[1], "[top level] lacks 'expenses'"),
    ("no_target", edit("target_combined_ratio = 0.95", ""), "[product] lacks "
     "'target_combined_ratio'"),
    ("no_code", edit('code = "HMB-XC"', ""), "[product] lacks 'code'"),
    ("no_price", edit("flat = 109.0", ""), "give exactly one of a flat price or age bands"),
    ("two_prices", edit("flat = 109.0", "flat = 109.0\nage_bands = [[0, 121, 109.0]]"),
     "give exactly one of a flat price or age bands"),
    ("no_healthy", edit(LINE1_HEALTHY, ""), "needs a 'healthy' terms table"),
    ("no_payout_ratio", edit(LINE1_HEALTHY, "healthy = { deductible = 20_000 }"),
     "[[lines]] #1 (in_catalogue).healthy lacks 'payout_ratio'"),
    ("segment_not_table", edit(LINE1_HEALTHY, "healthy = 0.8"),
     "[[lines]] #1 (in_catalogue).healthy must be a table such as"),
    ("repeated_line", edit('name = "out_of_catalogue"', 'name = "in_catalogue"'),
     "benefit line names repeat"),
    # -- types: numbers are TOML numbers, strings are strings --------------------------------
    ("ratio_bool", edit("payout_ratio = 0.80", "payout_ratio = true"),
     "payout_ratio (赔付比例) must be a number, got true (a boolean)"),
    ("price_string", edit("flat = 109.0", 'flat = "109"'),
     "[price] flat (price per member, 元) must be a number, got '109' (a string"),
    ("deductible_string", edit("deductible = 20_000", 'deductible = "20000"'),
     "deductible (起付线) must be a number"),
    ("code_number", edit('code = "HMB-XC"', "code = 5"), "[product] code must be a string"),
    ("code_empty", edit('code = "HMB-XC"', 'code = "  "'), "[product] code must not be empty"),
    ("zh_number", edit('zh = "特药"', "zh = 3"), "[[lines]] #3 (special_drugs) zh must be a "
     "string"),
    # -- bounds, finite everywhere ---------------------------------------------------------
    ("commission_negative", edit("commission = 0.03", "commission = -0.5"),
     "[expenses] commission (手续费及佣金) must be in [0, 1), got -0.5"),
    ("commission_nan", edit("commission = 0.03", "commission = nan"),
     "[expenses] commission (手续费及佣金) must be a finite number, got nan"),
    ("admin_inf", edit("admin = 0.06", "admin = inf"), "admin (业务及管理费) must be a finite"),
    ("admin_percent", edit("admin = 0.06", "admin = 6"),
     "admin (业务及管理费) must be in [0, 1), got 6 (a fraction of premium: write 4% as 0.04)"),
    ("expenses_sum", edit("commission = 0.03", "commission = 0.5").replace(
        "admin = 0.06", "admin = 0.6"), "variable expenses must take less than 100%"),
    ("expenses_above_target", edit("commission = 0.03", "commission = 0.9"),
     "variable expenses (0.968 of premium) must be below the target_combined_ratio (0.95)"),
    ("per_member_negative", edit("per_member = 0.0", "per_member = -1"),
     "per_member (元 per member) must be ≥ 0, got -1"),
    ("trend_percent", edit("medical_trend = 0.06", "medical_trend = 6"),
     "[assumptions] medical_trend (医疗费用趋势) must be in (-0.5, 0.5), got 6 (a yearly rate"),
    ("trend_minus_half", edit("medical_trend = 0.06", "medical_trend = -0.5"),
     "must be in (-0.5, 0.5), got -0.5"),
    ("target_percent", edit("target_combined_ratio = 0.95", "target_combined_ratio = 95"),
     "target_combined_ratio (目标综合成本率) must be in [0.5, 1.5], got 95 (write 95% as 0.95)"),
    ("target_tiny", edit("target_combined_ratio = 0.95", "target_combined_ratio = 0.1"),
     "must be in [0.5, 1.5], got 0.1"),
    ("price_zero", edit("flat = 109.0", "flat = 0"), "[price] flat (price per member, 元) must "
     "be > 0, got 0"),
    ("deductible_negative", edit("deductible = 20_000", "deductible = -1"),
     "deductible (起付线) must be ≥ 0, got -1"),
    ("ratio_zero", edit("payout_ratio = 0.80", "payout_ratio = 0"),
     "payout_ratio (赔付比例) must be in (0, 1], got 0"),
    ("ratio_percent", edit("payout_ratio = 0.80", "payout_ratio = 80"),
     "got 80 (a fraction: write 80% as 0.8)"),
    ("cap_zero", edit("cap = 1_000_000", "cap = 0"),
     "[[lines]] #1 (in_catalogue) cap (封顶线) must be > 0, got 0"),
    ("cap_in_segment_nan", edit("{ deductible = 20_000, payout_ratio = 0.80 }",
                                "{ deductible = 20_000, payout_ratio = 0.80, cap = nan }"),
     "cap (封顶线) must be a finite number"),
    # -- age bands --------------------------------------------------------------------------
    ("bands_gap", edit("flat = 109.0", "age_bands = [[0, 60, 89.0], [65, 121, 139.0]]"),
     "[price] age_bands #2 starts at 65 but the band before ends at 60"),
    ("bands_reversed", edit("flat = 109.0", "age_bands = [[60, 0, 89.0]]"),
     "[price] age_bands #1: lower age 60 must be below upper age 0"),
    ("bands_price_zero", edit("flat = 109.0", "age_bands = [[0, 60, 0], [60, 121, 139.0]]"),
     "[price] age_bands #1 price (元) must be > 0, got 0"),
    ("bands_age_200", edit("flat = 109.0", "age_bands = [[0, 60, 89.0], [60, 200, 139.0]]"),
     "[price] age_bands #2 upper age must be in [0, 150], got 200"),
    ("bands_shape", edit("flat = 109.0", "age_bands = [[0, 60], [60, 121, 139.0]]"),
     "[price] age_bands #1 must be [lower, upper, price]"),
    # -- syntax ---------------------------------------------------------------------------
    ("syntax", edit("[product]", "[product"), "not valid TOML"),
]


@pytest.fixture
def write(tmp_path):
    def _write(text: str | bytes, name: str = "bad.toml"):
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return _write


def run(argv, capsys) -> tuple[int, str]:
    """``puhui ARGV`` → (exit status, stderr); argparse usage errors exit via SystemExit."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as stop:
        code = stop.code
    return code, capsys.readouterr().err


def assert_clean_error(code: int, err: str, fragment: str) -> None:
    assert code == 2
    assert fragment in err, err
    assert "Traceback" not in err
    # one message line (argparse puts its usage lines before it)
    assert len([ln for ln in err.splitlines() if ln.startswith("puhui ")]) == 1, err


@pytest.mark.parametrize("text, fragment", [c[1:] for c in BAD_FILES],
                         ids=[c[0] for c in BAD_FILES])
def test_bad_product_file_is_an_error_naming_the_place(write, tmp_path, capsys, text, fragment):
    path = write(text)
    with pytest.raises(ParameterError) as err:
        Product.from_toml(path)
    assert fragment in str(err.value)
    assert str(path) in str(err.value)  # the message names the file
    # every command reads the product through the same loader: the same message, exit 2,
    # before any data is read (the data folder does not even exist)
    command = ("review", "tune", "price")[sum(map(ord, fragment)) % 3]
    code, out = run([command, path, "--data", tmp_path / "nodata", "--out", tmp_path / "o"],
                    capsys)
    assert_clean_error(code, out, fragment)
    assert not (tmp_path / "o").exists()


def test_the_catalogue_starts_from_the_valid_example():
    p = Product.from_toml(example_product_path())
    assert (p.code, p.flat_price, p.target_combined_ratio, p.medical_trend) == (
        "HMB-XC", 109.0, 0.95, 0.06)
    assert p.expenses.variable_rate == pytest.approx(0.098, abs=1e-15)
    assert len({c[0] for c in BAD_FILES}) == len(BAD_FILES)
    assert all(c[1] != EXAMPLE for c in BAD_FILES)


def test_several_mistakes_are_reported_at_once(write):
    text = edit("commission = 0.03", "commission = -1").replace("[assumptions]", "[assumption]")
    with pytest.raises(ParameterError) as err:
        Product.from_toml(write(text))
    msg = str(err.value)
    assert "commission (手续费及佣金) must be in [0, 1)" in msg
    assert "did you mean [assumptions]?" in msg


# -- encodings ---------------------------------------------------------------------------


def test_utf8_with_bom_is_read_like_utf8(write, tmp_path, capsys):
    path = write(b"\xef\xbb\xbf" + EXAMPLE.encode("utf-8"), "bom.toml")
    assert Product.from_toml(path) == Product.from_toml(example_product_path())
    # the command gets past the product file: the next error is the (missing) data folder
    code, err = run(["review", path, "--data", tmp_path / "nodata", "--out", tmp_path / "o"],
                    capsys)
    assert_clean_error(code, err, "no such data folder")


@pytest.mark.parametrize("encoding, fragment", [
    ("gbk", "not UTF-8 text (byte 0xbb at position 14) — it looks like GBK/GB18030; save the "
            "file as UTF-8"),
    ("gb18030", "save the file as UTF-8"),
    ("utf-16", "the file is saved as UTF-16 (or UTF-32); save it as UTF-8"),
    ("utf-16-le", "saved as UTF-16"),  # no byte-order mark: found by its NUL bytes
])
def test_other_encodings_say_to_save_as_utf8(write, tmp_path, capsys, encoding, fragment):
    path = write(EXAMPLE.encode(encoding), f"{encoding}.toml")
    with pytest.raises(ParameterError, match="UTF-8") as err:
        Product.from_toml(path)
    assert fragment in str(err.value) and str(path) in str(err.value)
    code, out = run(["price", path, "--data", tmp_path / "nodata", "--out", tmp_path / "o"], capsys)
    assert_clean_error(code, out, fragment)


def test_unreadable_paths(tmp_path, capsys):
    with pytest.raises(ParameterError, match="no such product file"):
        Product.from_toml(tmp_path / "missing.toml")
    with pytest.raises(ParameterError, match="cannot read the product file"):
        Product.from_toml(tmp_path)
    code, err = run(["tune", tmp_path / "missing.toml", "--data", tmp_path / "nodata", "--out",
                     tmp_path / "o"], capsys)
    assert_clean_error(code, err, "no such product file")


# -- the Python API holds the same bounds --------------------------------------------------


def test_api_objects_hold_the_file_bounds():
    p = Product.from_toml(example_product_path())
    with pytest.raises(ParameterError, match=r"commission \(手续费及佣金\) must be in \[0, 1\)"):
        replace(p, expenses=replace(p.expenses, commission=-0.5))
    with pytest.raises(ParameterError, match="must be a finite number, got nan"):
        replace(p.expenses, admin=float("nan"))
    with pytest.raises(ParameterError, match="payout_ratio .* must be a number, got true"):
        p.with_terms("in_catalogue", "healthy", payout_ratio=True)
    with pytest.raises(ParameterError, match=r"medical_trend .* \(-0.5, 0.5\), got 6"):
        replace(p, medical_trend=6)
    with pytest.raises(ParameterError, match="below the target_combined_ratio"):
        replace(p, target_combined_ratio=0.5, expenses=replace(p.expenses, admin=0.47))
    with pytest.raises(ParameterError, match="code must not be empty"):
        replace(p, code="")
    with pytest.raises(ParameterError, match="at least one benefit line"):
        replace(p, lines=())
    # numpy numbers are numbers (the tuning grid passes them); they are stored as floats
    q = p.with_terms("in_catalogue", "healthy", deductible=np.float64(15_000), cap=None)
    t = q.line("in_catalogue").for_segment("healthy")
    assert (t.deductible, t.cap) == (15_000.0, None) and type(t.deductible) is float


@pytest.mark.parametrize("key", [k for keys in TABLES.values() for k in keys] + list(
    SEGMENT_KEYS))
def test_a_key_missing_its_last_letter_suggests_the_key(key):
    table = next((t for t, keys in TABLES.items() if key in keys), "lines")
    known = TABLES[table] if key in TABLES[table] else SEGMENT_KEYS
    from puhui.huiminbao.product import _unknown

    msg = _unknown({key[:-1]: 1}, known, "[t]")[0]
    assert f"'{key[:-1]}' (did you mean '{key}'?)" in msg


# Independent statement of the bounds (docs/huiminbao.md, "Product file schema"): value → ok?
ORACLE = {
    "commission": lambda x: 0 <= x < 1 and x + 0.06 + 0.0 + 0.008 < 0.95,
    "medical_trend": lambda x: -0.5 < x < 0.5,
    "payout_ratio": lambda x: 0 < x <= 1,
    "deductible": lambda x: x >= 0,
    "target_combined_ratio": lambda x: 0.5 <= x <= 1.5 and x > 0.098,
    "flat": lambda x: x > 0,
}
SITES = {"commission": "commission = 0.03", "medical_trend": "medical_trend = 0.06",
         "payout_ratio": "payout_ratio = 0.80", "deductible": "deductible = 20_000",
         "target_combined_ratio": "target_combined_ratio = 0.95", "flat": "flat = 109.0"}
VALUES = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                   st.floats(-2.0, 2.0), st.integers(-10, 10),
                   st.sampled_from([0.0, 1.0, 0.5, -0.5, 1.5, 0.882, 0.852]))


@settings(max_examples=30, deadline=None)
@given(key=st.sampled_from(sorted(ORACLE)), value=VALUES)
def test_file_accepts_a_value_exactly_when_it_is_in_bounds(tmp_path_factory, key, value):
    """Any number written into the file: read back unchanged if the bound holds, else an error
    naming the key — never a silent substitute."""
    path = tmp_path_factory.mktemp("p") / "p.toml"
    name = SITES[key].split(" = ")[0]
    path.write_text(EXAMPLE.replace(SITES[key], f"{name} = {value!r}", 1), encoding="utf-8")
    ok = math.isfinite(value) and ORACLE[key](float(value))
    try:
        p = Product.from_toml(path)
    except ParameterError as err:
        assert not ok, f"{key} = {value!r} rejected: {err}"
        assert name in str(err) or "variable expenses" in str(err)
        return
    assert ok, f"{key} = {value!r} accepted"
    got = {"commission": p.expenses.commission, "medical_trend": p.medical_trend,
           "payout_ratio": p.lines[0].terms["healthy"].payout_ratio,
           "deductible": p.lines[0].terms["healthy"].deductible,
           "target_combined_ratio": p.target_combined_ratio, "flat": p.flat_price}[key]
    assert got == float(value)


def test_check_number_rejects_non_numbers():
    for bad in (True, np.bool_(False), "0.5", None, [0.5]):
        with pytest.raises(ParameterError, match="must be a number"):
            check_number(bad, "payout_ratio")
    assert str(BOUNDS["payout_ratio"]) == "in (0, 1]" and str(BOUNDS["deductible"]) == "≥ 0"


# -- command options -------------------------------------------------------------------------

P = str(example_product_path())
OPTIONS = [
    (["tune", "--alpha", "2"], "argument --alpha: must be in (0, 1), got 2"),
    (["tune", "--alpha", "0"], "argument --alpha: must be in (0, 1), got 0"),
    (["tune", "--claim-cv", "-0.1"], "argument --claim-cv: must be ≥ 0, got -0.1"),
    (["tune", "--max-price", "0"], "argument --max-price: must be > 0, got 0"),
    (["tune", "--deductible", "10000", "-5"], "argument --deductible: must be ≥ 0, got -5"),
    (["tune", "--payout-ratio", "0.6", "1.2"],
     "argument --payout-ratio: must be in (0, 1], got 1.2"),
    (["tune", "--payout-ratio", "nan"], "argument --payout-ratio: must be a finite number"),
    (["tune", "--trend", "6"], "argument --trend: must be in (-0.5, 0.5), got 6 (a yearly rate"),
    (["tune", "--years", "2025.5"], "argument --years: invalid int value"),
    (["price", "--participation", "0"], "argument --participation: must be in (0, 1], got 0"),
    (["price", "--participation", "1.5"], "must be in (0, 1], got 1.5"),
    (["price", "--level", "1"], "argument --level: must be in (0, 1), got 1"),
    (["price", "--level", "x"], "argument --level: expected a number, got 'x'"),
    (["price", "--trend", "-0.5"], "argument --trend: must be in (-0.5, 0.5), got -0.5"),
    (["price", "--trend", "inf"], "argument --trend: must be a finite number"),
    (["review", "--as-of", "2026-13-01"],
     "argument --as-of: expected a date YYYY-MM-DD, got '2026-13-01'"),
    (["review", "--as-of", "yesterday"], "expected a date YYYY-MM-DD"),
]


@pytest.mark.parametrize("argv, fragment", OPTIONS, ids=[" ".join(a[:3]) for a, _ in OPTIONS])
def test_option_out_of_bounds_is_a_usage_error(tmp_path, capsys, argv, fragment):
    code, err = run([argv[0], P, "--data", tmp_path / "nodata", "--out", tmp_path / "o", *argv[1:]],
                    capsys)
    assert_clean_error(code, err, fragment)


def test_reprice_coverage_is_bounded(tmp_path, capsys):
    code, err = run(["reprice", tmp_path / "y.csv", "--out", tmp_path / "r.csv",
                     "--coverage", "0.8", "0"], capsys)
    assert_clean_error(code, err, "argument --coverage: must be in (0, 1], got 0")


def test_valid_options_parse_to_the_same_values():
    from puhui.cli import build_parser

    args = build_parser().parse_args(["tune", P, "--data", "d", "--out", "o", "--alpha",
                                      "0.05", "--trend", "-0.1", "--payout-ratio", "1",
                                      "--deductible", "0", "--claim-cv", "0"])
    assert (args.alpha, args.trend, args.payout_ratio, args.deductible, args.claim_cv) == (
        0.05, -0.1, [1.0], [0.0], 0.0)
    args = build_parser().parse_args(["review", P, "--data", "d", "--out", "o", "--as-of",
                                      "2026-2-28"])
    assert args.as_of == "2026-02-28"
    args = build_parser().parse_args(["price", P, "--data", "d", "--out", "o"])
    assert (args.level, args.participation, args.trend) == (0.95, 0.15, None)


# -- books: the product code and the years -------------------------------------------------


@pytest.fixture(scope="module")
def slice_book(tmp_path_factory):
    """Every 400th member-year of the bundled book (all three policy years) with its costs and
    claims (``puhui tune`` reads the claims and the basis too)."""
    src = puhui.datasets.data_dir() / "huiminbao"
    pol = pd.read_parquet(src / "policies.parquet").iloc[::400].reset_index(drop=True)
    costs = pd.read_parquet(src / "costs.parquet")
    costs = costs[costs["policy_id"].isin(pol["policy_id"])].reset_index(drop=True)
    claims = pd.read_csv(src / "claims.csv", encoding="utf-8-sig")
    claims = claims[claims["policy_id"].isin(pol["policy_id"])]
    root = tmp_path_factory.mktemp("books")
    books = {}
    for name, codes in {"same": "HMB-XC", "other": "HMB-YC",
                        "mixed": np.where(np.arange(len(pol)) % 7 == 0, "HMB-ZZ", "HMB-XC")
                        }.items():
        folder = root / name
        folder.mkdir()
        pol.assign(product=codes).to_parquet(folder / "policies.parquet", index=False)
        costs.to_parquet(folder / "costs.parquet", index=False)
        claims.to_csv(folder / "claims.csv", index=False)
        shutil.copy(src / "planted.json", folder / "planted.json")
        books[name] = folder
    return books, pol


@pytest.mark.parametrize("command", ["review", "tune", "price"])
def test_another_products_book_is_an_error(slice_book, tmp_path, capsys, command):
    books, _ = slice_book
    code, err = run([command, P, "--data", books["other"], "--out", tmp_path / "o"], capsys)
    assert_clean_error(code, err, "policies.parquet: the policies are of product 'HMB-YC' but "
                                  "the product file is for 'HMB-XC'")
    code, err = run([command, P, "--data", books["mixed"], "--out", tmp_path / "o"], capsys)
    assert_clean_error(code, err, "the book holds 2 products (HMB-XC, HMB-ZZ)")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("year", ["1900", "2025", "2031"])
def test_pricing_year_outside_what_the_data_support(slice_book, tmp_path, capsys, year):
    books, _ = slice_book
    code, err = run(["price", P, "--data", books["same"], "--out", tmp_path / "o",
                     "--pricing-year", year], capsys)
    assert_clean_error(code, err, f"--pricing-year {year}: the book's policy years are "
                                  "2023–2025; price a year after the latest, 2026–2030")


def test_tune_years_outside_the_book(slice_book, tmp_path, capsys):
    books, _ = slice_book
    code, err = run(["tune", P, "--data", books["same"], "--out", tmp_path / "o",
                     "--years", "2024", "1900"], capsys)
    assert_clean_error(code, err, "years [1900]: the book's policy years are 2023–2025")


def test_book_checks_in_the_api(slice_book):
    _, pol = slice_book
    product = Product.from_toml(example_product_path())
    check_product(pol, product)  # the bundled book is the bundled product's
    assert check_years(pol, [2023, 2025]) == [2023, 2025]
    assert check_pricing_year(pol, 2026) == 2026 and check_pricing_year(pol, 2030) == 2030
    gap = pol[pol["policy_year"] != 2024]
    with pytest.raises(ParameterError, match=r"2023–2025 \(2023, 2025\); choose among them"):
        check_years(gap, [2024])
    with pytest.raises(ParameterError, match="of product 'HMB-XC' but the product file is for "
                                             "'OTHER'"):
        check_product(pol, replace(product, code="OTHER"))
    from puhui.huiminbao import review, tune

    with pytest.raises(ParameterError, match="'OTHER'"):
        review(replace(product, code="OTHER"), pol, pol.iloc[:0], None, as_of="2026-02-28")
    with pytest.raises(ParameterError, match="as_of: give the valuation date as YYYY-MM-DD"):
        review(product, pol, pol.iloc[:0], None, as_of="2026-02-30")
    with pytest.raises(ParameterError, match=r"years \[2019\]"):
        tune(product, pol, None, years=[2019])


def test_the_slice_book_itself_passes(slice_book, tmp_path):
    """The checks above fail for their own reason: the same slice with the right code and
    years is read and checked without error."""
    from puhui.huiminbao.folder import read_book

    books, _ = slice_book
    book = read_book(books["same"], for_review=False,
                     product=Product.from_toml(example_product_path()))
    assert len(book.policies) == 1460 and book.costs is not None
