"""tables.xlsx: every table of a report in one workbook (报告表格工作簿).

One sheet per table (the sheet name is the table's name, cut to Excel's 31 characters and made
unique), two header rows — 中文 then English, each with its unit — and the numbers stored as
numbers with the number format of their quantity (:func:`puhui.report.formats.
excel_number_format`: a percentage keeps its fraction 0.8501 and shows 85.01%). The first sheet,
说明, lists the tables and defines every column: its name in the CSV file, 中文 and English
labels, unit, format and meaning (formula where known) from :mod:`puhui.report.labels`.

Text cells that a spreadsheet would run as a formula get a leading ``'`` (as in the CSV files,
:func:`puhui.report.excel_safe`). The same tables give the same bytes: the workbook's
created/modified times are a constant (:data:`FIXED_TIME`; a run's manifest holds no clock time
either) and every zip entry carries the date 1980-01-01.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime

import numpy as np
import pandas as pd

from .formats import cell_quantities, excel_number_format
from .labels import Quantity, lookup

#: The workbook's created and modified times (constant: same tables, same bytes).
FIXED_TIME = datetime(2000, 1, 1)
#: Date of every zip entry (the earliest a zip file can hold).
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
README_SHEET = "说明"
#: Excel's limits: characters of a sheet name, rows of a sheet.
MAX_SHEET_NAME, MAX_ROWS = 31, 1_048_576
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")

_README_HEAD = {
    "title": "说明 About this workbook",
    "about": ("本工作簿收录报告的全部表格，每表一页；表头两行：第一行中文，第二行英文（含单位）。"
              "数字以数值保存：百分比保存为小数并以 % 显示，金额单位为元（两位小数），人数、件数为整数。"
              " / Every table of the report, one sheet each; two header rows: Chinese, then "
              "English (with units). Numbers are stored as numbers: percentages as fractions "
              "shown with %, money in 元 with 2 decimals, counts as integers. The CSV files in "
              "tables/ hold the same numbers."),
    "tables": ("工作表 sheet", "表名 table (tables/NAME.csv)", "标题 caption", "行数 rows"),
    "columns": ("列名 column (CSV)", "中文", "English", "单位 unit", "格式 format",
                "含义 meaning", "所在工作表 sheets"),
}

_KIND_TEXT = {"count": "整数 integer", "year": "年份 year", "code": "编号 code",
              "money": "金额 money", "percent": "百分比 percent", "factor": "系数 factor",
              "number": "数值 number", "flag": "是/否 flag", "text": "文本 text",
              "date": "日期 date", "label": "按行而定 by row / as in the CSV"}


def sheet_names(names, reserved=(README_SHEET,)) -> list[str]:
    """Sheet names for the tables ``names``: Excel's forbidden characters ``[]:*?/\\``
    replaced by ``_``, at most 31 characters, unique (Excel compares them without case; a
    repeat gets ``~2``, ``~3`` …).

    >>> sheet_names(["review_significant_deviations_by_segment_line", "a/b", "A_B"])
    ['review_significant_deviations_b', 'a_b', 'A_B~2']
    """
    used = {r.lower() for r in reserved}
    out = []
    for name in names:
        base = _BAD_SHEET_CHARS.sub("_", str(name)).strip("'") or "table"
        candidate = base[:MAX_SHEET_NAME]
        k = 1
        while candidate.lower() in used:
            k += 1
            suffix = f"~{k}"
            candidate = base[: MAX_SHEET_NAME - len(suffix)] + suffix
        used.add(candidate.lower())
        out.append(candidate)
    return out


def _width(texts) -> float:
    """A column width (in characters) fitting the longest text; a CJK character counts two."""
    longest = 0
    for t in texts:
        n = sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(t))
        longest = max(longest, n)
    return float(min(max(longest + 2, 8), 60))


def _safe_text(value: str) -> str:
    """Text a spreadsheet would run as a formula, with a leading ``'`` (as in the CSV files)."""
    from . import FORMULA_START

    return "'" + value if value.startswith(FORMULA_START) else value


def _cell_value(v):
    """A value as openpyxl stores it: None for a missing one, Python numbers, naive dates."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        x = float(v)
        return None if np.isnan(x) else (str(x) if np.isinf(x) else x)
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime().replace(tzinfo=None) if v.tzinfo is None else v.isoformat()
    if isinstance(v, datetime):
        return v if v.tzinfo is None else v.isoformat()
    if isinstance(v, date):
        return v
    if isinstance(v, (int, float, str)):
        return v
    return str(v)


def _table_sheet(ws, df: pd.DataFrame, *, floatfmt: str) -> None:
    """Write one table: header rows (中文, English), then the values with number formats."""
    from openpyxl.cell.cell import Cell
    from openpyxl.styles import Alignment, Font, PatternFill

    from . import excel_safe

    plan = cell_quantities(df)
    safe = excel_safe(df)
    ncol = df.shape[1]
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="EEF1F5")
    zh = [_safe_text(plan.header(j, "zh")) for j in range(ncol)]
    en = [_safe_text(plan.header(j, "en")) for j in range(ncol)]
    ws.append(zh)
    ws.append(en)
    for row in ws.iter_rows(min_row=1, max_row=2, max_col=ncol):
        for cell in row:
            cell.font = bold
            cell.fill = fill
            cell.alignment = Alignment(wrap_text=False, vertical="top")
    n = min(len(df), MAX_ROWS - 2)
    integer_col = [pd.api.types.is_integer_dtype(df.iloc[:, j].dtype) for j in range(ncol)]
    formats: dict[tuple, str] = {}

    def number_format(q, j: int, integer: bool) -> str:
        key = (q, j, integer)
        fmt = formats.get(key)
        if fmt is None:
            fmt = formats[key] = excel_number_format(q, plan.columns[j], integer=integer,
                                                     floatfmt=floatfmt)
        return fmt

    widths = [_width([zh[j], en[j]]) for j in range(ncol)]
    for i, row in enumerate(safe.head(n).itertuples(index=False)):
        cells = []
        for j, raw in enumerate(row):
            v = _cell_value(raw)
            cell = Cell(ws, value=v)
            if isinstance(v, bool) or v is None:
                pass
            elif isinstance(v, (int, float)):
                cell.number_format = number_format(plan.quantity(i, j), j,
                                                   isinstance(v, int) or integer_col[j])
            elif isinstance(v, datetime | date):
                cell.number_format = "yyyy-mm-dd"
            if i < 200:  # column widths from the first rows
                shown = f"{v:,.2f}" if isinstance(v, float) else str(v)
                widths[j] = max(widths[j], _width([shown]))
            cells.append(cell)
        ws.append(cells)
    from openpyxl.utils import get_column_letter

    for j in range(ncol):
        ws.column_dimensions[get_column_letter(j + 1)].width = widths[j]
    ws.freeze_panes = "A3"


def _readme_sheet(ws, title: str, tables: list[tuple[str, str, str, pd.DataFrame]]) -> None:
    """The 说明 sheet: what the workbook is, the tables, and every column's definition."""
    from openpyxl.styles import Alignment, Font

    bold = Font(bold=True)
    ws.append([_README_HEAD["title"]])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([_safe_text(title)])
    ws.append([_README_HEAD["about"]])
    ws.append([])
    ws.append(list(_README_HEAD["tables"]))
    for cell in ws[ws.max_row]:
        cell.font = bold
    for sheet, name, caption, df in tables:
        ws.append([sheet, _safe_text(name), _safe_text(caption), len(df)])
        ws.cell(row=ws.max_row, column=4).number_format = "#,##0"
    ws.append([])
    ws.append(list(_README_HEAD["columns"]))
    for cell in ws[ws.max_row]:
        cell.font = bold
    seen: dict[str, tuple[Quantity | None, list[str]]] = {}
    for sheet, _name, _caption, df in tables:
        plan = cell_quantities(df)
        keys = list(zip(plan.columns, plan.column_q, strict=True))
        if plan.row_q is not None:  # the quantities named by the rows of a long table
            keys += [(str(v), q) for v, q in zip(df.iloc[:, 0].tolist(), plan.row_q,
                                                 strict=True) if q is not None]
        for name, q in keys:
            entry = seen.setdefault(name, (q, []))
            if sheet not in entry[1]:
                entry[1].append(sheet)
    for name, (q, sheets) in seen.items():
        if q is None:
            q = lookup(name)
        if q is None:
            ws.append([_safe_text(name), "", "", "", "", "（未登记 not registered: shown as in the CSV）",
                       ", ".join(sheets)])
            continue
        ws.append([_safe_text(name), q.zh, q.en, q.unit_for("zh"), _KIND_TEXT[q.kind]
                   + (f", {q.decimals} 位小数 decimals" if q.numeric and q.kind not in
                      ("count", "year", "code") else ""),
                   q.definition, ", ".join(sheets)])
    for col, width in zip("ABCDEFG", (30, 22, 30, 10, 26, 70, 40), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=3, max_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[3].height = 60


def _fixed_zip(raw: bytes) -> bytes:
    """The same zip package with every entry dated :data:`ZIP_DATE` (same order, deflated)."""
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def workbook_bytes(title: str, tables: list[tuple[str, str, pd.DataFrame, str]]) -> bytes:
    """The bytes of tables.xlsx for ``tables``: (name, caption, DataFrame, floatfmt) each.

    >>> import io, openpyxl
    >>> data = workbook_bytes("T", [("t", "A table", pd.DataFrame({"loss_ratio": [0.8123]}),
    ...                               ",.2f")])
    >>> wb = openpyxl.load_workbook(io.BytesIO(data))
    >>> wb.sheetnames, [c.value for c in wb["t"][1]], wb["t"]["A3"].number_format
    (['说明', 't'], ['综合赔付率（%）'], '0.00%')
    >>> data == workbook_bytes("T", [("t", "A table", pd.DataFrame({"loss_ratio": [0.8123]}),
    ...                               ",.2f")])
    True
    """
    import openpyxl
    from openpyxl.writer.excel import ExcelWriter

    wb = openpyxl.Workbook()
    readme = wb.active
    readme.title = README_SHEET
    names = sheet_names([name for name, *_ in tables])
    listed = []
    for sheet, (name, caption, df, floatfmt) in zip(names, tables, strict=True):
        _table_sheet(wb.create_sheet(sheet), df, floatfmt=floatfmt)
        listed.append((sheet, name, caption, df))
    _readme_sheet(readme, title, listed)
    props = wb.properties
    props.creator = "puhui"
    props.title = title
    props.created = props.modified = FIXED_TIME
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()  # not openpyxl's save(): that stamps the clock time
    return _fixed_zip(buf.getvalue())
