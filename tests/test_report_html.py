"""report.html, tables.xlsx and the formatting of report tables (issue 16, "Reports").

The page is self-contained (figures as data URIs, no outside resource), its tables carry the same
formatted numbers as report.md (one convention per quantity, by column name: puhui.report.labels),
both new files are byte-identical run to run and listed in the manifest, tables.xlsx holds every
table with Chinese and English headers, number formats and a 说明 sheet, and ``--lang`` switches
headers, the report's own texts and figure labels. One test opens the page in headless Chromium
and keeps a screenshot (skipped where Chromium is not installed)."""

from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from puhui import repro
from puhui.plots import label, new_axes
from puhui.report import Report, markdown_table
from puhui.report.formats import format_number, format_value, present
from puhui.report.labels import (
    REGISTRY,
    ROW_KEY_COLUMNS,
    current_language,
    language,
    lookup,
)
from puhui.report.xlsx import sheet_names, workbook_bytes
from puhui.repro import Manifest

EXPERIENCE = pd.DataFrame({
    "product": ["HMB", "HMB"],
    "policy_year": [2024, 2025],
    "members": [514547.0, 69453.0],          # a count held as a float: shown 514,547
    "loss_ratio": [0.8123, 1.0456],
    "paid": [1234.5, -20000.0],
    "significant": [True, False],
    "x": [0.5, np.nan],                      # unregistered: the table's floatfmt, never a %
})
SUMMARY = pd.DataFrame({"metric": ["expected_cr", "members", "pure_premium"],
                        "current": [1.2602, 188000.0, 126.68], "max": [3.9554, 585289.73, 463.83]})


def _report(lang=None, *, figure: bool = True) -> Report:
    rep = Report("报告 Report <T>", manifest=Manifest(command="puhui test"), lang=lang)
    rep.text("Product **<script>alert(1)</script>** with `code` and a list:\n\n* one\n* two")
    rep.heading("1. 经验数据 Experience")
    rep.table("experience", EXPERIENCE, caption="Experience by policy year")
    rep.heading("Tuning", level=3)
    rep.table("tuning_summary", SUMMARY, caption="Current design and range", floatfmt=",.3f")
    if figure:
        ax = new_axes(figsize=(6.0, 3.0))
        ax.plot([2023, 2024, 2025], [85.0, 95.1, 93.9], marker="o")
        ax.set_xticks([2023, 2024, 2025], ["2023", "2024", "2025"])
        ax.set_title(label("已报告赔付率（%）", "reported loss ratio (%)"))
        rep.figure("loss_ratio", ax.figure, caption="Loss ratio 赔付率")
    return rep


class _Page(HTMLParser):
    """Every tag with its attributes, the text of table cells and headers, and the style text."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.cells: list[str] = []
        self.headers: list[str] = []
        self.style = ""
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("td", "th", "style"):
            self._in = tag
            if tag in ("td", "th"):
                (self.cells if tag == "td" else self.headers).append("")

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in == "td":
            self.cells[-1] += data
        elif self._in == "th":
            self.headers[-1] += data
        elif self._in == "style":
            self.style += data


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    return _report().write(tmp_path_factory.mktemp("rep") / "out")


def test_html_is_self_contained_and_its_tables_are_formatted(written):
    page = _parse(written / "report.html")
    tags = [t for t, _ in page.tags]
    assert "script" not in tags and "link" not in tags and "iframe" not in tags
    imgs = [a for t, a in page.tags if t == "img"]
    assert len(imgs) == 1
    for attrs in imgs:  # every figure embedded, the very bytes of figures/NAME.png
        src = attrs["src"]
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]) == (written / "figures" /
                                                          "loss_ratio.png").read_bytes()
    for _, attrs in page.tags:  # nothing fetched from elsewhere
        for key in ("src", "href"):
            value = attrs.get(key) or ""
            assert not value.startswith(("http:", "https:", "//")), (key, value)
    assert "url(" not in page.style and "@import" not in page.style
    # the prose's "<script>" is text, not a tag
    assert "&lt;script&gt;" in (written / "report.html").read_text(encoding="utf-8")
    # one convention per quantity, units in the headers
    for cell in ("514,547", "69,453", "2025", "81.23%", "104.56%", "1,234.50", "-20,000.00",
                 "0.50", "—", "126.02%", "395.54%", "188,000", "126.68"):
        assert cell in page.cells, cell
    assert not any(c.endswith(".000") for c in page.cells)  # no 514,547.000
    assert "50.00%" not in page.cells  # x = 0.5 is unregistered: not a ratio by its size
    for header in ("policy year", "members", "loss ratio (%)", "paid (元)", "x"):
        assert header in page.headers
    assert "expected CR (%)" in page.cells  # the row of a long table, named with its unit


def test_markdown_and_html_show_the_same_numbers(written):
    md = (written / "report.md").read_text(encoding="utf-8")
    assert ("| HMB | 2025 | 69,453 | 104.56% | -20,000.00 | False | — |" in md)
    assert "| expected CR (%) | 126.02% | 395.54% |" in md
    assert "| members | 188,000 | 585,290 |" in md
    assert "| pure premium (元) | 126.68 | 463.83 |" in md
    page = _parse(written / "report.html")
    shown = present(EXPERIENCE)
    for row in shown.rows:
        for cell in row:
            assert cell in page.cells


def test_new_outputs_are_in_the_manifest_and_byte_identical(written, tmp_path):
    man = json.loads((written / "manifest.json").read_text(encoding="utf-8"))
    assert {"report.md", "report.html", "tables.xlsx"} <= set(man["outputs"])
    files = {p.relative_to(written).as_posix() for p in written.rglob("*") if p.is_file()}
    assert files == set(man["outputs"]) | {"manifest.json"}
    for rel, digest in man["outputs"].items():
        assert repro.sha256_file(written / rel) == digest
    again = _report().write(tmp_path / "again")
    for name in ("report.md", "report.html", "tables.xlsx", "manifest.json"):
        assert (again / name).read_bytes() == (written / name).read_bytes(), name


def test_xlsx_every_table_two_header_rows_number_formats_and_definitions(written):
    import openpyxl

    wb = openpyxl.load_workbook(written / "tables.xlsx")
    assert wb.sheetnames == ["说明", "experience", "tuning_summary"]
    ws = wb["experience"]
    assert [c.value for c in ws[1]] == ["产品", "保单年度", "参保人数", "综合赔付率（%）",
                                        "已决赔款（元）", "显著", "x"]
    assert [c.value for c in ws[2]] == ["product", "policy year", "members", "loss ratio (%)",
                                        "paid (元)", "significant", "x"]
    # numbers stay numbers (a ratio its fraction), shown by the same convention
    assert ws["D3"].value == pytest.approx(0.8123) and ws["D3"].number_format == "0.00%"
    assert ws["C3"].value == 514547 and ws["C3"].number_format == "#,##0"
    assert ws["E4"].value == -20000 and ws["E4"].number_format == "#,##0.00"
    assert ws["B3"].number_format == "0" and ws["F3"].value is True
    assert ws["G4"].value is None and ws["G3"].number_format == "#,##0.00"
    assert ws.freeze_panes == "A3"
    summary = wb["tuning_summary"]  # a long table: each row by its quantity
    assert summary["B3"].number_format == "0.00%" and summary["B4"].number_format == "#,##0"
    assert summary["B5"].number_format == "#,##0.00"
    readme = [[c.value for c in row] for row in wb["说明"].iter_rows()]
    tables = {r[0]: r for r in readme if r and r[0] in wb.sheetnames[1:]}
    assert tables["experience"][2] == "Experience by policy year" and tables["experience"][3] == 2
    columns = {r[0]: r for r in readme if r and isinstance(r[0], str)}
    assert columns["loss_ratio"][1] == "综合赔付率" and "已赚保费" in columns["loss_ratio"][5]
    assert columns["paid"][3] == "元" and columns["expected_cr"][6] == "tuning_summary"
    assert "not registered" in columns["x"][5]
    props = wb.properties
    assert props.created == props.modified  # a constant, not the clock


def test_sheet_names_are_short_unique_and_legal():
    names = sheet_names(["a" * 40, "a" * 40, "x/y:z", "说明", "A" * 31])
    assert names == ["a" * 31, "a" * 29 + "~2", "x_y_z", "说明~2", "A" * 29 + "~3"]
    assert len({n.lower() for n in names}) == len(names)
    assert all(len(n) <= 31 for n in names)
    data = workbook_bytes("T", [("=cmd", "cap", pd.DataFrame({"=x": ["=1+2"]}), ",.2f")])
    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(data))["=cmd"]
    assert ws["A1"].value == "'=x" and ws["A3"].value == "'=1+2"  # text, never a formula


def test_language_switches_headers_texts_and_figure_labels(tmp_path):
    rep = _report(lang="zh", figure=False)
    md = rep.markdown()
    assert "| 产品 | 保单年度 | 参保人数 | 综合赔付率（%） | 已决赔款（元） | 显著 | x |" in md
    assert "| HMB | 2024 | 514,547 | 81.23% | 1,234.50 | 是 | 0.50 |" in md
    assert "| 预期综合成本率（%） | 126.02% | 395.54% |" in md
    assert "输入文件及其 SHA-256" in md and "（`tables/experience.csv`）" in md
    assert b'<html lang="zh-CN">' in rep.html()
    assert "| loss ratio (%) |" in _report(lang="en", figure=False).markdown()
    assert "| yes |" in markdown_table(pd.DataFrame({"ok": [True]}), lang="en")
    assert current_language() is None
    with language("en"):
        assert label("赔付率", "loss ratio") == "loss ratio"
        assert Report("T", manifest=Manifest(command="puhui t")).lang == "en"
        assert "| loss ratio (%) |" in markdown_table(EXPERIENCE)
    with language("zh"):  # Chinese where a CJK font is installed, else English (no boxes)
        from puhui.plots import use_cjk_font

        assert label("赔付率", "loss ratio") == ("赔付率" if use_cjk_font() else "loss ratio")
    from puhui.errors import ParameterError

    with pytest.raises(ParameterError, match="'zh' or 'en'"):
        Report("T", manifest=Manifest(command="puhui t"), lang="fr")


def test_lang_is_an_option_of_every_command_that_writes_a_report(capsys):
    from puhui.cli import REPORT_COMMANDS, build_parser

    parser = build_parser()
    argv = {"demo": ["demo"], "review": ["review", "p.toml", "--data", "d", "--out", "o"],
            "tune": ["tune", "p.toml", "--data", "d", "--out", "o"],
            "price": ["price", "p.toml", "--data", "d", "--out", "o"],
            "crop-review": ["crop-review", "--experience", "e", "--filed", "f", "--as-of",
                            "2024-12-31", "--out", "o"],
            "verify": ["verify", "f.xlsx", "--out", "o"]}
    assert set(argv) == set(REPORT_COMMANDS)
    for args in argv.values():
        assert parser.parse_args(args).lang is None
        assert parser.parse_args([*args, "--lang", "zh"]).lang == "zh"
    with pytest.raises(SystemExit):
        parser.parse_args(["demo", "--lang", "fr"])
    assert "invalid choice" in capsys.readouterr().err


def test_the_cli_runs_the_command_in_the_language(tmp_path, monkeypatch):
    from puhui import cli

    seen = {}

    def run(args):
        seen["lang"] = current_language()
        seen["label"] = label("赔付率", "loss ratio")
        return 0

    monkeypatch.setitem(cli.COMMANDS, "demo", run)
    assert cli.main(["demo", "--out", str(tmp_path / "o"), "--lang", "en"]) == 0
    assert seen == {"lang": "en", "label": "loss ratio"} and current_language() is None


def test_lookup_registry_qualifiers_naming_rules_and_fallback():
    assert all(q.name == name for name, q in REGISTRY.items())
    assert lookup("expected_cr_fixed").kind == "percent"
    assert lookup("benefit_ratio_min_group").header("en") == "benefit ratio, lowest group (%)"
    assert lookup("ae_lower").kind == "factor"
    assert lookup("retention low").kind == "percent"  # a row key with a space
    assert lookup("prob_claim").kind == "percent" and lookup("net_premium").kind == "money"
    assert lookup("expected_frequency") is None  # a registered prefix, unknown qualifier
    assert lookup("claims_in_catalogue").header("zh") == "期望赔款·医保目录内（元）"
    assert "metric" in ROW_KEY_COLUMNS
    # a text column with a money name keeps its text and gets no unit
    t = present(pd.DataFrame({"expenses": ["actual"], "policy_year": [2025]}))
    assert t.headers == ["expenses", "policy year"] and t.rows == [["actual", "2025"]]


@settings(max_examples=25)
@given(x=st.floats(-1e9, 1e9, allow_nan=False),
       name=st.sampled_from(sorted(n for n, q in REGISTRY.items() if q.kind == "percent")))
def test_a_percentage_reads_back_as_its_value(x, name):
    q = REGISTRY[name]
    s = format_number(x, q)
    assert s.endswith("%")
    assert float(s[:-1].replace(",", "")) == pytest.approx(round(100 * x, q.decimals),
                                                            abs=10 ** -q.decimals)


@settings(max_examples=25)
@given(x=st.floats(-1e12, 1e12, allow_nan=False),
       name=st.sampled_from(sorted(n for n, q in REGISTRY.items()
                                   if q.kind in ("count", "money"))))
def test_counts_have_no_decimals_and_money_two(x, name):
    q = REGISTRY[name]
    s = format_number(x, q)
    whole = s.replace(",", "").lstrip("-")
    if q.kind == "count":
        assert "." not in s and float(whole) == pytest.approx(abs(round(x)), abs=1)
    else:
        assert len(whole.split(".")[1]) == 2
    assert ",," not in s and not s.startswith(",")


@settings(max_examples=30)
@given(x=st.floats(0, 1, allow_nan=False))
def test_an_unregistered_fraction_is_never_shown_as_a_percentage(x):
    assert not format_value(x, None, "share").endswith("%")
    assert format_value(x, None, "share") == f"{x:,.2f}".replace("-0.00", "0.00")


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def test_report_html_renders_in_headless_chromium(written, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    shot = tmp_path / "report_html.png"
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
           "--window-size=1200,2000", f"--screenshot={shot}",
           (written / "report.html").resolve().as_uri()]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail(f"Chromium did not finish the screenshot in 120 s: {' '.join(cmd)}")
    assert shot.is_file(), proc.stderr.decode("utf-8", "replace")[-2000:]
    import matplotlib.image as mpimg

    pixels = mpimg.imread(shot)
    assert pixels.shape[:2] == (2000, 1200)
    assert float(pixels[..., :3].std()) > 0.05  # not a blank page
    print(f"screenshot of report.html: {shot}")
