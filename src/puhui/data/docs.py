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

Every table is read by `puhui.data.read_table` (CSV, Parquet, Excel `.xlsx`, or a DataFrame)
and checked by `puhui.data.validate(df, kind)`, which returns the typed table or raises
`puhui.DataError` listing **every** problem with its table, column, row and rule.
`puhui validate KIND PATH` prints the same report and exits 2 on bad data or an unreadable file.
Row 1 is the first data row under the header (line 2 of a CSV file, row 2 of a spreadsheet).

Conventions: money in yuan (元, float64); ratios as fractions in [0, 1]; dates as `datetime64`;
`end_date` is the last day of cover, inclusive.

## Column headers: English, Chinese or both

Every column has an English name and a Chinese term (the `column` and `中文` columns of the
tables below). A header may be either, or both in one cell, and the two languages may be mixed
in one file; the table read always has the English names:

| header written | read as |
|---|---|
| `policy_id` | `policy_id` |
| `保单号` | `policy_id` |
| `保单号 policy_id`, `保单号/policy_id`, `保单号(policy_id)`, `policy_id（保单号）` | `policy_id` |
| `风险单位数/承保数量`, `风险单位数` or `承保数量` (a term with alternatives: whole or either part) | `exposure` |
| `未决赔款准备金(已报案)` or `未决赔款准备金` (a qualifier in parentheses may be left out) | `case_reserve` |

Headers are compared after Unicode NFKC normalisation (full-width letters and parentheses typed
with a Chinese input method read as ASCII) without the blanks around them; English names are
case-sensitive. Two headers naming the same column (`保单号` and `policy_id`) are a
`duplicate_column` error naming both. A header that names no column is an `unknown_column`
error naming the file, the table and the header, with the nearest known column in both languages
(`保单编号` → "did you mean policy_id (保单号)?") and the table's full English = 中文 mapping.
`puhui template book DIR` writes blank tables of a 惠民保 book headed `中文 english`
(see [own_book.md](own_book.md)).

## Reading rules

**Encodings (CSV).** Decided strictly for the whole file, never cell by cell:

- UTF-8, with or without BOM, when the *whole* file is valid UTF-8; UTF-16/UTF-32 with a BOM
  (Excel's "Unicode text") are read too.
- A UTF-8 file with a few rows in another encoding (a row pasted from a GBK file) is an error
  naming those lines — it is not re-read as GBK, which would turn every other Chinese value
  into mojibake.
- Otherwise GB18030 (a superset of GBK/GB2312), when the text reads as simplified Chinese. A file
  that reads better as Big5, that holds private-use characters, that mixes UTF-8 and GBK lines,
  or in which at least 20 % of the non-ASCII characters (and at least 3) are outside GB2312 and
  common punctuation (the signature of another encoding read as GB18030) is refused, naming the
  first suspicious line. (A few 生僻字 such as 镕 are normal; a GBK file written in traditional
  characters is refused too: save it as UTF-8.)
- NUL bytes are an error naming the lines.

The fix is always the same: save the file as UTF-8 (Excel: 另存为 → "CSV UTF-8 (逗号分隔)"), or
pass `encoding=` to `read_table` when the encoding is known.

**File structure.** An empty file, a row with more or fewer fields than the header (a blank line
inside the data counts; blank lines at the end do not), an unclosed quote, a damaged `.gz`,
`.xlsx` or Parquet file, a missing sheet, a repeated or nested (list/struct) Parquet column: each
is a `DataError` naming the file and what is wrong; a missing file, a directory or a file without
read permission is a `ParameterError`. Neither is ever a raw traceback.

**Size limits.** A CSV/text file above 2 GiB (after `.gz` decompression) and an `.xlsx` whose
parts unpack to more than 256 MiB (read from the zip directory before anything is unpacked, so a
"zip bomb" is refused at once) are refused: convert such tables to CSV or Parquet
(`puhui.data.io.MAX_TEXT_BYTES`, `MAX_XLSX_UNPACKED_BYTES`).

**Excel.** Cells are read as Excel stored them (numbers, text, dates). Hidden rows, hidden
columns and a hidden sheet are read but produce a `DataWarning` (`hidden_rows`,
`hidden_columns`, `hidden_sheet`): the person who checked the sheet in Excel did not see them.

**Parquet.** Columns keep their types and must match the schema (`wrong_type` otherwise):
numbers numeric and not boolean; text as strings (integers accepted for ids); dates as
date/timestamp, or ISO text; yes/no as boolean, 0/1 or yes/no text.

## Value rules

**Missing values.** Only an empty cell (or one holding only blanks) and a real null (an empty
spreadsheet cell, a Parquet null) are missing. Tokens such as `NA`, `NaN`, `NULL`, `None`, `-`,
`#N/A` are *not*: in a number, date or yes/no column they are errors (`not_a_number` …) naming
the value; in a text column they are kept as text with a `placeholder_text` warning.

**Numbers.** ASCII decimal numbers, optionally with thousands separators (`1,100`), parsed with
correct rounding (as Python's `float()`), so values written at full precision read back bit for
bit; `inf`/`nan` are not numbers. Whole-number columns accept `2025` and `2025.0`; `2025.5` is an
error (never truncated).

**Dates.** Only forms that cannot be misread: `YYYY-MM-DD`, `YYYY/MM/DD` (month and day may have
one digit: `2024/3/1`), `YYYYMMDD` with exactly 8 digits, `YYYY年M月D日`, and the same with a
midnight time (`2024-03-01 00:00:00`, as spreadsheets export dates). `2024111`, `202431` and
day-first or month-first forms such as `03/04/2024` are rejected as ambiguous; a time of day
other than midnight is an error.

**Ids and text.** Ids are text. A number that arrives in a text column (a numeric spreadsheet
cell, a Parquet float column) is written as its digits only when that is exact — a whole number
of at most 2^53 ≈ 9.0e15; a fraction or a larger float (a 20-digit id or an 18-digit 身份证号
stored as a number has already lost its last digits) is an `inexact_id` error: format the column
as text (Excel: 设置单元格格式 → 文本) and enter the ids again. Integers stored exactly (Parquet
int64, a spreadsheet cell written as an integer) are read exactly.

**Bounds.** Money columns are in [0, 1e12] 元 and exposure/area in [0, 1e10] units, so that sums
over millions of rows stay finite; the other bounds are in the tables below.

**Duplicates.** A table's key (below) must be unique (`duplicate_id`). In a table without a key
— `payments`, when it has no `payment_id` — two rows identical in every column are an error
(`duplicate_row`): a payment read twice doubles the paid amount. If two payments of the same
amount on the same day of the same claim are real, add a `payment_id` column (or keep an extra
column that tells them apart, `extra_columns="keep"`).

**Messages.** An echoed cell value is cut to 200 characters, and the middle of a valid 18-digit
身份证号 is masked (`110105********002X`).

Rules checked: see the tables at the top of `puhui/data/validate.py` and `puhui/data/io.py`
(missing or unknown column, missing value, not a number / whole number / date / yes-no, value not
allowed, negative money or exposure, ratio outside [0, 1], other range, duplicate id or row, end
before start, report before accident, payment before report, closed claim with a reserve,
unknown policy, claim outside its policy's period, unknown claim, payment before accident,
inexact id, wrong Parquet type; encoding, NUL bytes, ragged rows, unclosed quotes, damaged files,
size limits).
"""


def render() -> str:
    parts = [HEADER]
    for s in SCHEMAS.values():
        parts.append(f"\n## `{s.kind}` — {s.zh}\n\n{s.description}\n")
        if s.key:
            optional = [k for k in s.key if k not in s.required]
            if len(optional) == len(s.key):
                parts.append(f"Unique key, when the column is present: `{' + '.join(s.key)}`; "
                             "without it no two rows may be identical (`duplicate_row`).\n")
            else:
                note = f" (`{'`, `'.join(optional)}` when present)" if optional else ""
                parts.append(f"Unique key: `{' + '.join(s.key)}`{note}.\n")
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
