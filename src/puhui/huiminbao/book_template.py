"""A blank 惠民保 book for an insurer's own data: ``puhui template book DIR``.

:func:`write_book_template` writes a new folder that the commands read as it is once filled in
(``docs/own_book.md`` walks through it)::

    policies.csv   保单 — one row per member-year                         price, tune, review
    costs.csv      医疗费用 — one row per member × benefit line with a cost  price, tune
    claims.csv     赔案 — one row per claim                                  review
    basis.csv      定价基础 — the filed expectations per cell                review
    product.toml   the product file: the bundled example's design, to edit (code, region,
                   price, expenses, 起付线 / 赔付比例 / 封顶线 of every line)
    README.md      every column in Chinese and English: type, unit, allowed values, meaning

The tables are empty: a header row and no data. Each header cell holds both names of the
column, ``中文 english`` (``保单号 policy_id``); the readers accept that, the Chinese term
alone or the English name alone (:meth:`puhui.data.schema.Schema.resolve`), so the header can be
kept, or replaced by either language. The files are UTF-8 with a byte-order mark, which Excel
opens with the Chinese intact; the readers also take GBK (``docs/data_model.md``). The columns
and the README come from the schemas (:mod:`puhui.data.schema`), so they cannot drift from what
validation enforces.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from ..data.schema import BOOL, DATE, FLOAT, INT, SCHEMAS, STR, schema
from ..errors import ParameterError
from .folder import NEEDED_BY
from .product import Product, example_product_path

#: The tables of the template, in the order of the README, and the optional columns written
#: besides the required ones (those a 惠民保 book uses: the others of the schema — crop,
#: subsidy_share … — belong to other products).
TABLES: dict[str, tuple[str, ...]] = {
    "policies": ("policy_year", "age", "sex", "preexisting"),
    "costs": (),
    "claims": ("payment_date", "benefit_line"),
    "basis": (),
}
#: The placeholder product code of the template's product file: the policies' 产品 column must
#: hold the code the file gives, so a file left unedited is an error naming both codes.
PLACEHOLDER_CODE = "CHANGE-ME"

_TYPE = {STR: "文本 text", FLOAT: "数字 number", INT: "整数 whole number",
         DATE: "日期 date", BOOL: "是/否 yes/no"}


def header_cell(kind: str, column: str) -> str:
    """The template's header of a column: ``中文 english``.

    >>> header_cell("policies", "policy_id")
    '保单号 policy_id'
    """
    return f"{schema(kind).column(column).zh} {column}"


def columns(kind: str) -> tuple[str, ...]:
    """The columns of a template table: the schema's required ones, then its optional ones
    that a 惠民保 book uses (:data:`TABLES`)."""
    sch = schema(kind)
    return (*sch.required, *(c for c in TABLES[kind] if c not in sch.required))


def _values(kind: str, name: str, product: Product) -> str:
    """The values a column takes, in words (both languages where they differ)."""
    col = schema(kind).column(name)
    if name == "segment":
        return ("the product file's segments: " + ", ".join(product.segments)
                + " (healthy 健康; preexisting 既往症)")
    if name == "benefit_line":
        return ("the product file's lines: " + ", ".join(
            f"{line.name} ({line.zh})" if line.zh else line.name for line in product.lines))
    if name == "product":
        return "the product file's code (product.toml [product] code)"
    if name == "region":
        return "the product file's region, when it names one (else a warning)"
    if name == "exposure":
        return ("member-years (人·年): 1 for a member covered the whole policy year, the share "
                "of the year covered otherwise; ≥ 0")
    if col.dtype == DATE:
        return "2025-01-31, 2025/1/31, 20250131 or 2025年1月31日"
    if col.dtype == BOOL:
        return "是/否, 有/无, true/false, yes/no, 1/0"
    return col.rule


def book_readme(book: str = "mybook", product: Product | None = None) -> str:
    """The README of the template (Markdown, Chinese and English): how to fill in the folder
    ``book``, the commands, and every column of every table with its type, unit, rule and
    meaning."""
    product = product or Product.from_toml(example_product_path())
    b = book
    lines = [
        "# 惠民保数据模板 — a blank 惠民保 book",
        "",
        "本文件夹由 `puhui template book` 生成。每个 CSV 文件是一张表：保留第一行表头，"
        "从第二行起每行填一条记录。表头可以用中文、英文或两者（如 `保单号 policy_id`），"
        "中英文可以混用；不要改文件名。保存为 CSV（UTF-8 或 GBK 均可）。金额单位为元，"
        "比例写成小数（15% 写 0.15），日期写成 2025-01-31。",
        "",
        "This folder was written by `puhui template book`. Each CSV file is one table: keep the "
        "header row and fill in one record per row below it. Headers may be Chinese, English "
        "or both (`保单号 policy_id`), mixed freely; keep the file names. Save as CSV (UTF-8 or "
        "GBK). Money in yuan (元), ratios as fractions (15% is 0.15), dates as 2025-01-31.",
        "",
        "`product.toml` is the product file (产品文件), a copy of the bundled example's design: "
        f"set `code` (产品代码) to the value of the 产品 column of policies.csv (it reads "
        f"`{PLACEHOLDER_CODE}` until you do), `region` (地区) to the 地区 column, then the price, "
        "the expenses and every line's 起付线 / 赔付比例 / 封顶线 (docs/huiminbao.md lists every "
        "key).",
        "",
        "## 命令 Commands",
        "",
        "```bash",
        f"puhui validate policies {b}/policies.csv",
        f"puhui validate costs {b}/costs.csv --policies {b}/policies.csv",
        f"puhui validate claims {b}/claims.csv --policies {b}/policies.csv",
        f"puhui validate basis {b}/basis.csv",
        f"puhui price {b}/product.toml --data {b} --out out/price",
        f"puhui tune {b}/product.toml --data {b} --out out/tune",
        f"puhui review {b}/product.toml --data {b} --out out/review --as-of 2026-02-28",
        "```",
        "",
        "`price` and `tune` read policies.csv and costs.csv only; `review` also needs "
        "claims.csv and basis.csv (and `--as-of`, the valuation date 评估日). "
        "`price` 与 `tune` 只读取保单与医疗费用两张表；`review` 还需要赔案表与定价基础表。",
    ]
    optional = [f"`{k}.csv` ({SCHEMAS[k].zh})" for k in ("payments", "expenses") if k in SCHEMAS]
    if optional:
        lines += ["", f"Optional for the review 回溯可选: {' and '.join(optional)}, with the "
                  "columns of docs/data_model.md."]
    for kind in TABLES:
        sch = schema(kind)
        lines += ["", f"## {kind}.csv — {sch.zh}", "", sch.description, ""]
        if kind in NEEDED_BY:
            lines += [f"Needed because {NEEDED_BY[kind]}.", ""]
        if sch.key:
            lines += [f"Unique key 唯一键: {' + '.join(sch.key)}.", ""]
        lines += ["| 表头 header | 类型 type | 单位 unit | 必填 required | 取值 values | "
                  "说明 meaning |", "|---|---|---|---|---|---|"]
        for name in columns(kind):
            col = sch.column(name)
            need = "是 yes" if col.required else (
                "否 no (may be empty)" if col.nullable else "否 no")
            lines.append(f"| `{header_cell(kind, name)}` | {_TYPE[col.dtype]} | {col.unit} | "
                         f"{need} | {_values(kind, name, product)} | {col.description} |")
    lines += ["", "Every rule is in docs/data_model.md (数据模型); the steps in "
              "docs/own_book.md.", ""]
    return "\n".join(lines)


def _product_file() -> str:
    """The example product file with the [product] table made the insurer's to fill in."""
    text = example_product_path().read_text(encoding="utf-8")
    start = text.index("[price]")
    head = (
        "# 产品文件 — the product file of your 惠民保 (docs/huiminbao.md lists every key).\n"
        "# A copy of the bundled example's design: set code and region to your book's, then\n"
        "# the price, the expenses and every line's 起付线 / 赔付比例 / 封顶线.\n\n"
        "[product]\n"
        f'code = "{PLACEHOLDER_CODE}"              # 产品代码: the 产品 (product) column of '
        "policies.csv\n"
        'name = "我的惠民保"                 # 产品名称\n'
        f'region = "{PLACEHOLDER_CODE}"            # 地区: the 地区 (region) column of '
        "policies.csv\n"
        "target_combined_ratio = 0.95      # 目标综合成本率\n\n")
    return head + text[start:]


def write_book_template(folder: str | os.PathLike) -> Path:
    """Write a blank 惠民保 book (the module notes) as the new folder ``folder``.

    A folder that exists and is not empty is refused: the template never overwrites a book.

    >>> import tempfile
    >>> out = write_book_template(Path(tempfile.mkdtemp()) / "mybook")
    >>> sorted(p.name for p in out.iterdir())
    ['README.md', 'basis.csv', 'claims.csv', 'costs.csv', 'policies.csv', 'product.toml']
    >>> (out / "costs.csv").read_text(encoding="utf-8-sig")
    '保单号 policy_id,责任类型 benefit_line,合规医疗费用 cost\\n'
    """
    from ..repro import staged_folder, write_bytes

    target = Path(folder)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ParameterError(f"{target} exists and is not an empty folder: `puhui template "
                             "book` writes a new folder and never overwrites one (a filled-in "
                             "book may be there); give a new folder name")
    product_text = _product_file()
    Product.from_dict(tomllib.loads(product_text), source="template")  # a valid product file
    with staged_folder(target) as tmp:
        for kind in TABLES:
            header = ",".join(header_cell(kind, c) for c in columns(kind)) + "\n"
            write_bytes(tmp / f"{kind}.csv", header.encode("utf-8-sig"))
        write_bytes(tmp / "product.toml", product_text.encode("utf-8"))
        write_bytes(tmp / "README.md", book_readme(str(folder)).encode("utf-8"))
    return target
