"""Writing filings: the blank workbook of ``puhui template filing`` (with the 说明 sheet that
explains every field), and a filled filing as a workbook or as a folder (TOML + CSV)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .. import repro
from ..errors import ParameterError
from .filing import FAMILIES, KV_COLUMNS, PER_LABELS, README_SHEET, RESULT_COLUMNS, SHEETS, Family

_HOW = [
    ("说明", "How to fill in this filing (报备材料填写说明)"),
    ("产品信息 product", "one row per field: 字段 key (do not change), 值 value; yes/no fields "
     "take 是/否 or yes/no; dates YYYY-MM-DD"),
    ("假设 assumptions", "the pricing basis, one row per field; ratios are fractions (15% = "
     "0.15)"),
    ("费率表 rates", "one row per cell; the columns are listed below"),
    ("结果 results", "the filed results: 指标 figure (an id from the list below; by year as "
     "id.YEAR, e.g. ibnr.2025; by occupancy as id.OCCUPANCY, e.g. ae.retail or ae.all; by "
     "platform/city as id.PLATFORM/CITY, e.g. ae.A/hangzhou; by health group as id.GROUP or id.GROUP/LINE, e.g. required_premium.elderly), 值 value, 单位 unit, optional 容差 tolerance (absolute; default: "
     "money 0.5 元 or 1e-4 relative, ratios 1e-4)"),
    ("verify", "puhui verify FILING.xlsx [--data DIR] --out DIR: exit 0 all hold, 1 a figure "
     "or rule fails, 2 the filing cannot be read or recomputed; smallbiz, gig and health data: "
     "puhui datasets example smallbiz|gig|health --out DIR"),
]


def _header(names: dict[str, str]) -> list[str]:
    return [f"{zh} {k}" for k, zh in names.items()]


def readme_rows(fam: Family) -> list[list[str]]:
    """The 说明 sheet: how to fill in, then every field, column and figure id of the family."""
    rows = [["项目 item", "说明 explanation"]] + [list(r) for r in _HOW]
    rows.append(["", ""])
    rows.append([f"family = {fam.name}", f"{fam.zh}: the fields, columns and figure ids below"])
    for sheet, specs in (("产品信息", fam.info), ("假设", fam.assumptions), ("费率表", fam.rates)):
        for s in specs:
            need = "required" if s.required else "optional"
            rows.append([f"{sheet}: {s.key}", f"{s.zh} — {s.description} [{s.kind}"
                         f"{', ' + s.unit if s.unit else ''}; {need}]"])
    for g in fam.figures:
        where = "费率表, one per row" if g.per == "row" else (
            "结果, " + (f"{g.id}.{PER_LABELS[g.per]}" if g.per else g.id))
        rows.append([f"figure: {g.id}", f"{g.zh} — {g.description} [{g.unit or 'ratio'}; "
                     f"tolerance {g.tolerance}; {where}]"])
    return rows


def _kv_rows(specs, values: dict | None) -> list[list]:
    rows = [_header(KV_COLUMNS)]
    for s in specs:
        v = None if values is None else values.get(s.key)
        rows.append([s.key, s.zh, v, s.unit, s.description])
    return rows


def _results_rows(fam: Family, results: pd.DataFrame | None) -> list[list]:
    rows = [_header(RESULT_COLUMNS)]
    specs = {g.id: g for g in fam.figures}
    if results is None:
        for g in fam.figures:
            if g.per != "row":
                rows.append([g.id if g.per is None else f"{g.id}.{PER_LABELS[g.per]}", g.zh,
                             None, g.unit, None])
        return rows
    for _, r in results.iterrows():
        g = specs[r["figure"].split(".", 1)[0]]
        rows.append([r["figure"], g.zh, r["value"], g.unit, r.get("tolerance")])
    return rows


def sheets_of(family: str, info=None, assumptions=None, rates=None, results=None) -> dict:
    """Sheet name → rows (first row the header) of a filing (blank where not given);
    ``family`` a name or a :class:`~puhui.verify.filing.Family` (a smallbiz kind)."""
    fam = FAMILIES[family] if isinstance(family, str) else family
    family = fam.name
    info_rows = _kv_rows(fam.info, info)
    info_rows.insert(1, ["family", "险种", family, "", " | ".join(FAMILIES)])
    rate_rows = [_header({s.key: s.zh for s in fam.rates})]
    if rates is not None:
        rate_rows += [[None if pd.isna(v) else v for v in row]
                      for row in rates[[s.key for s in fam.rates]].itertuples(index=False)]
    return {README_SHEET: readme_rows(fam), SHEETS["info"][0]: info_rows,
            SHEETS["assumptions"][0]: _kv_rows(fam.assumptions, assumptions),
            SHEETS["rates"][0]: rate_rows, SHEETS["results"][0]: _results_rows(fam, results)}


def write_workbook(path, sheets: dict) -> Path:
    """Write ``sheets`` as an .xlsx workbook (atomically)."""
    import openpyxl

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ParameterError(f"{path}: the filing workbook is an .xlsx file")
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append([None if v is None or (isinstance(v, float) and v != v) else v
                       for v in r])
        ws.freeze_panes = "A2"
        for col, width in zip("ABCDE", (24, 18, 16, 10, 60), strict=True):
            ws.column_dimensions[col].width = width
    tmp = path.with_name(f".{path.name}.puhui-tmp-{os.getpid()}")
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def write_template(family: str, path) -> Path:
    """``puhui template filing --family FAMILY OUT.xlsx``: the blank workbook."""
    if family not in FAMILIES:
        raise ParameterError(f"unknown family {family!r}: one of {', '.join(FAMILIES)}")
    return write_workbook(path, sheets_of(family))


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def toml_text(values: dict, specs, *, family: str | None = None) -> str:
    """A flat TOML file, one ``key = value  # 中文名 (unit)`` line per field given."""
    lines = [f'family = "{family}"'] if family else []
    for s in specs:
        if values.get(s.key) is not None:
            unit = f", {s.unit}" if s.unit else ""
            lines.append(f"{s.key} = {_toml_value(values[s.key])}  # {s.zh}{unit}")
    return "\n".join(lines) + "\n"


def write_folder(folder, family: str, info, assumptions, rates: pd.DataFrame,
                 results: pd.DataFrame, *, encoding: str = "utf-8") -> Path:
    """Write a filing as a folder (product.toml, assumptions.toml, rates.csv, results.csv),
    whole or not at all. ``family``: a family name, or a :class:`~puhui.verify.filing.Family`
    (a smallbiz kind of :data:`~puhui.verify.filing.SMALLBIZ_KINDS`)."""
    fam = FAMILIES[family] if isinstance(family, str) else family
    family = fam.name
    rates_out = rates[[s.key for s in fam.rates]].copy()
    rates_out.columns = _header({s.key: s.zh for s in fam.rates})
    res = pd.DataFrame(_results_rows(fam, results)[1:], columns=_header(RESULT_COLUMNS))
    with repro.staged_folder(folder) as tmp:
        repro.write_bytes(tmp / "product.toml",
                          toml_text(info, fam.info, family=family).encode("utf-8"))
        repro.write_bytes(tmp / "assumptions.toml",
                          toml_text(assumptions, fam.assumptions).encode("utf-8"))
        repro.write_bytes(tmp / "rates.csv", rates_out.to_csv(index=False, lineterminator="\n")
                          .encode(encoding))
        repro.write_bytes(tmp / "results.csv", res.to_csv(index=False, lineterminator="\n")
                          .encode(encoding))
    return Path(folder)


def workbook_from_folder(folder, path) -> Path:
    """Write the filing of ``folder`` as an .xlsx workbook (the same content)."""
    from .filing import read_filing

    f = read_filing(folder)
    info = {k: c.value for k, c in f.info.items()}
    assumptions = {k: c.value for k, c in f.assumptions.items()}
    return write_workbook(path, sheets_of(f.family, info, assumptions, f.rates, f.results))
