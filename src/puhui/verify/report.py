"""Writing a verification like every other puhui report, whole or not at all
(:func:`puhui.repro.staged_folder`), every output hashed in the manifest:

==================  ===========================================================================
``verify.csv``      one row per filed figure beside puhui's (the regulator's file; raw numbers)
``rules.csv``       the rule checklist with the sheet and cell of each checked value
``report.md``       the verdict, the figures beyond tolerance, every figure, the checklist, notes
``report.html``     the same as one self-contained page
``tables.xlsx``     every table (中文 and English headers, a 说明 sheet)
``tables/*.csv``    the report's tables (``verify``, ``findings``, ``rules``)
``manifest.json``   the filing's and the data's files with their SHA-256, tolerances, exit status
==================  ===========================================================================

The report is written in the language in force (``puhui verify --lang zh|en``,
:func:`puhui.report.labels.language`): every heading, paragraph and caption has its Chinese, so a
``zh`` report has ``Report.untranslated == []``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .. import repro
from ..report import Report, csv_bytes
from ..repro import Manifest

RULE_COLUMNS = ["rule", "quantity", "row", "sheet", "cell", "value", "limit", "passed", "kind",
                "source", "confirmed", "note", "book"]

#: Families whose checklist is a company policy book only (no regulation applies).
POLICY_ONLY = ("smallbiz", "gig", "health")


def rules_table(rules: pd.DataFrame) -> pd.DataFrame:
    """The checklist in a fixed column order (an empty table keeps the columns)."""
    rules = rules.copy() if len(rules) else pd.DataFrame(columns=RULE_COLUMNS)
    for c in RULE_COLUMNS:
        if c not in rules:
            rules[c] = ""
    return rules[RULE_COLUMNS]


def verdict_zh(result) -> str:
    """The verdict line in Chinese (the command prints :attr:`Verification.verdict`)."""
    n_fig = int((~result.figures["passed"]).sum())
    n_rule = int((~result.rules["passed"].astype(bool)).sum())
    if result.status == 0:
        return (f"核验通过：全部 {len(result.figures)} 项数字在容差范围内，全部 "
                f"{len(result.rules)} 项规则检查通过")
    where = "、".join(f"{s}!{c}" for s, c in sorted(result.findings()))
    return (f"核验未通过：{n_fig} 项数字超出容差，{n_rule} 项规则检查未通过——位置：{where}")


def build_report(result, manifest: Manifest) -> Report:
    """The :class:`puhui.report.Report` of a :class:`puhui.verify.Verification`."""
    f = result.filing
    fam = f.family
    name = f.value("name")
    rep = Report(f"Filing verification — {name} ({fam.zh}, {fam.name})", manifest=manifest,
                 title_zh=f"报备核验 — {name}（{fam.zh}）")
    cmp, rules = result.figures, result.rules
    bad = cmp[~cmp["passed"]]
    failed = rules[~rules["passed"].astype(bool)] if len(rules) else rules
    rep.text(f"Filing `{f.source.name}` ({fam.zh}, family `{fam.name}`); every filed figure "
             f"recomputed with puhui's own functions; rules in force on {f.as_of}.",
             zh=f"报备材料 `{f.source.name}`（{fam.zh}，险种代码 `{fam.name}`）；每一项报备数字均"
                f"由 puhui 的同一套函数重算；规则按 {f.as_of} 有效的版本检查。")
    rep.text(f"**{result.verdict}**", zh=f"**{verdict_zh(result)}**")

    rep.heading("1. Figures", zh="1. 数值核对")
    rep.text(f"{len(cmp)} filed figures recomputed; {len(bad)} differ beyond tolerance "
             "(`verify.csv`: filed, recomputed, difference, tolerance, passed).",
             zh=f"共重算 {len(cmp)} 项报备数字，其中 {len(bad)} 项超出容差（`verify.csv`："
                "报备值、重算值、差额、容差、是否通过）。")
    if len(bad):
        rep.table("findings", bad, caption="Figures beyond tolerance, by sheet and cell",
                  caption_zh="超出容差的数字（按工作表和单元格）", floatfmt=",.6g")
    rep.table("verify", cmp, caption="Every filed figure beside puhui's",
              caption_zh="全部报备数字与 puhui 重算值对照", floatfmt=",.6g", max_rows=40)

    rep.heading("2. Rule checklist", zh="2. 规则检查")
    if fam.name in POLICY_ONLY:
        rep.text("**No regulation rulebook applies to this family**: puhui's regulation books "
                 "are scoped to agriculture and 惠民保, and none sets a figure for small-business, "
                 "gig-worker or special-group health cover. The checklist below is the "
                 "family's EXAMPLE company policy book (not a regulation), applied to the filed "
                 "pricing basis.",
                 zh="**本险种无适用的监管规则库**：puhui 收录的监管规则库仅适用于农业保险和惠民保，"
                    "均未对小微企业保险、灵活就业人员保险或特定人群健康险设定数值。"
                    "下表为该险种的示例公司政策（非监管规定），仅用于检查报备的定价基础。")
    rep.text(f"{len(rules)} rule checks; {len(failed)} failed (`rules.csv`).",
             zh=f"共 {len(rules)} 项规则检查，{len(failed)} 项未通过（`rules.csv`）。")
    if len(rules):
        rep.table("rules", rules[["rule", "quantity", "row", "sheet", "cell", "value", "limit",
                                  "passed", "kind", "source"]],
                  caption="Rules checked (puhui.rules.check): the value at its sheet and cell, "
                          "the limit, whether it holds",
                  caption_zh="规则检查（puhui.rules.check）：所在工作表和单元格的数值、限值、是否通过",
                  floatfmt=",.6g")
    else:
        rep.text("No shipped rulebook applies to this filing: the checklist is empty.",
                 zh="puhui 收录的规则库均不适用于本报备：规则检查表为空。")

    if result.notes:
        rep.heading("3. Notes", zh="3. 说明")
        zh_notes = result.notes_zh if len(result.notes_zh) == len(result.notes) else [
            None] * len(result.notes)
        for en, zh in zip(result.notes, zh_notes, strict=True):
            rep.text(f"* {en}", zh=None if zh is None else f"* {zh}")
    return rep


def write(result, out_dir, *, data=None, argv_options: dict | None = None) -> Path:
    """Write the verification to ``out_dir`` (replaced whole): the report folder of
    :func:`build_report` plus ``verify.csv`` and ``rules.csv`` at the top level."""
    f = result.filing
    inputs = [f.source] + ([Path(data)] if data is not None else [])
    manifest = Manifest(command=f"puhui verify {f.source.name}",
                        assumptions={"family": f.family.name, "as_of": f.as_of,
                                     "tolerances": result.tolerances,
                                     "options": argv_options or {},
                                     "exit_status": result.status})
    root = f.source if f.source.is_dir() else f.source.parent
    for p in f.files:
        manifest.add_input(f"filing:{p.name}", p, relative_to=root)
    if data is not None:
        for p in sorted(Path(data).iterdir()):
            if p.is_file():
                manifest.add_input(f"data:{p.name}", p, relative_to=Path(data))
    rep = build_report(result, manifest)
    with repro.staged_folder(os.fspath(out_dir), inputs=inputs) as tmp:
        rep._write_into(tmp)  # report.md, report.html, tables.xlsx, tables/, manifest.json
        for name, df in (("verify.csv", result.figures), ("rules.csv", result.rules)):
            manifest.add_output(repro.write_bytes(tmp / name, csv_bytes(df)), tmp)
        repro.write_bytes(tmp / repro.MANIFEST_NAME, manifest.to_bytes())
    return Path(out_dir)
