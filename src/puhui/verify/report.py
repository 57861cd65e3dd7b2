"""Writing a verification: ``verify.csv``, ``rules.csv``, ``report.md`` and ``manifest.json``,
whole or not at all (:func:`puhui.repro.staged_folder`), every output hashed in the manifest."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .. import repro
from ..report import csv_bytes, markdown_table
from ..repro import Manifest

RULE_COLUMNS = ["rule", "quantity", "row", "sheet", "cell", "value", "limit", "passed", "kind",
                "source", "confirmed", "note", "book"]


def rules_table(rules: pd.DataFrame) -> pd.DataFrame:
    """The checklist in a fixed column order (an empty table keeps the columns)."""
    rules = rules.copy() if len(rules) else pd.DataFrame(columns=RULE_COLUMNS)
    for c in RULE_COLUMNS:
        if c not in rules:
            rules[c] = ""
    return rules[RULE_COLUMNS]


def markdown(result) -> str:
    """report.md of a :class:`puhui.verify.Verification`."""
    f = result.filing
    cmp, rules = result.figures, result.rules
    bad = cmp[~cmp["passed"]]
    failed = rules[~rules["passed"].astype(bool)] if len(rules) else rules
    parts = [f"# 报备核验 — {f.value('name')} ({f.family.zh}, {f.family.name})",
             f"Filing `{f.source.name}`; rules in force on {f.as_of}.",
             f"**{result.verdict}**",
             "## 数值核对 Figures",
             f"{len(cmp)} filed figures recomputed; {len(bad)} differ beyond tolerance "
             "(`verify.csv`)."]
    if len(bad):
        parts.append(markdown_table(bad, floatfmt=",.6g"))
    parts += ["## 规则检查 Rule checklist",
              f"{len(rules)} rule checks; {len(failed)} failed (`rules.csv`)."]
    if len(failed):
        parts.append(markdown_table(failed[["rule", "row", "sheet", "cell", "value", "limit",
                                            "kind", "source"]], floatfmt=",.6g"))
    if result.notes:
        parts += ["## Notes", "\n".join(f"* {n}" for n in result.notes)]
    return "\n\n".join(parts) + "\n"


def write(result, out_dir, *, data=None, argv_options: dict | None = None) -> Path:
    """Write the verification to ``out_dir`` (replaced whole)."""
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
    with repro.staged_folder(os.fspath(out_dir), inputs=inputs) as tmp:
        for name, df in (("verify.csv", result.figures), ("rules.csv", result.rules)):
            manifest.add_output(repro.write_bytes(tmp / name, csv_bytes(df)), tmp)
        manifest.add_output(repro.write_bytes(tmp / "report.md",
                                              markdown(result).encode("utf-8")), tmp)
        repro.write_bytes(tmp / repro.MANIFEST_NAME, manifest.to_bytes())
    return Path(out_dir)
