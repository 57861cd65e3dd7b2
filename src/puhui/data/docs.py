"""Write the data-model documentation from the schemas (``python -m puhui.data.docs``).

`docs/data_model.md` is generated, so the documentation cannot drift from what
:func:`puhui.data.validate` enforces; a test checks that the file is current.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .schema import SCHEMAS

HEADER = """# Data model (数据模型)

*Generated from `src/puhui/data/schema.py` by `python -m puhui.data.docs`; do not edit by hand.*

Every table is read by `puhui.data.read_table` (CSV in UTF-8, UTF-8 with BOM or GB18030/GBK;
Parquet; Excel `.xlsx`; or a DataFrame) and checked by `puhui.data.validate(df, kind)`, which
returns the typed table or raises `puhui.DataError` listing **every** problem with its table,
column, row and rule. `puhui validate KIND PATH` prints the same report and exits 2 on bad data.

Conventions: money in yuan (元, float64); ratios as fractions in [0, 1]; dates as `datetime64`
(text dates as `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYYMMDD` or `YYYY年M月D日`; day-first or month-first
forms such as `03/04/2024` are rejected as ambiguous); `end_date` is the last day of cover,
inclusive; row 1 is the first data row under the header. Empty cells, `NA`, `NaN`, `null`, `-`
are read as missing. Numbers may carry thousands separators (`1,100`).

Rules checked: see the table at the top of `puhui/data/validate.py` (missing or unknown column,
missing value, not a number / whole number / date / yes-no, value not allowed, negative money or
exposure, ratio outside [0, 1], other range, duplicate id, end before start, report before
accident, payment before report, closed claim with a reserve, unknown policy, claim outside its
policy's period, unknown claim, payment before accident).
"""


def render() -> str:
    parts = [HEADER]
    for s in SCHEMAS.values():
        parts.append(f"\n## `{s.kind}` — {s.zh}\n\n{s.description}\n")
        if s.key:
            parts.append(f"Unique key: `{' + '.join(s.key)}`.\n")
        parts.append("| column | 中文 | type | unit | required | rule | meaning |")
        parts.append("|---|---|---|---|---|---|---|")
        for c in s.columns:
            parts.append(f"| `{c.name}` | {c.zh} | {c.dtype} | {c.unit} | "
                         f"{'yes' if c.required else 'optional'} | {c.rule} | {c.description} |")
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    target = Path(argv[0]) if argv else Path("docs/data_model.md")
    target.write_text(render(), encoding="utf-8")
    print(target)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
