"""The ``puhui`` command line.

    puhui demo [--out DIR]                     the main job on the bundled data
    puhui validate KIND PATH [--policies P]    check a table; exit 0 if good, 2 if not
    puhui review PRODUCT.toml --data DIR --out DIR   retrospective review (精算回溯)
    puhui tune PRODUCT.toml --data DIR --out DIR     起付线 × 赔付比例 tuning
    puhui price PRODUCT.toml --data DIR --out DIR    next year's price and anti-selection
    puhui reprice YIELDS --coverage 0.7 0.8 0.9 --out RATES   batch crop rates
    puhui crop-review --experience F --filed F [--zones F] --as-of DATE --out DIR   农险费率回溯
    puhui rerun MANIFEST --out DIR [--allow-changed]   re-execute a run, compare outputs
    puhui verify FILING [--data DIR] --out DIR  recompute a filing; exit 0 holds, 1 not, 2 bad
    puhui template filing --family F OUT.xlsx  blank filing workbook (--example clean|planted)
    puhui template book DIR                    blank 惠民保 book: tables, product file, README
    puhui datasets regenerate [--out DIR]      rewrite the bundled data (byte-identical)
    puhui datasets example smallbiz|gig|health --out DIR   a family's example data and product files
    puhui rules list | show ID|PATH           rulebooks: regulation and company policy

Errors in the input are printed as a report (table, column, row, rule) without a traceback,
with exit status 2.

Exit status: 0 success; 2 an error puhui explains (bad data, a bad option or product file, a
breached rule, an output that cannot or must not be written — disk full, read-only, an --out
that is a file, a link, an input or someone else's folder), in one message without a traceback;
3 an internal error (a bug: one line, and ``PUHUI_DEBUG=1`` shows the traceback); 130 Ctrl-C
(SIGINT), 143 SIGTERM. An error or interrupt leaves the previous output as it was
(:func:`puhui.repro.staged_folder`). Every run pins the BLAS/OpenMP thread count
(``PUHUI_THREADS``, default 1; ``0`` leaves the libraries' own) so its numbers do not depend on
the machine's core count, and records it in the manifest.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence

from ..errors import DataError, PuhuiError

#: Exit statuses of :func:`main`.
EXIT_ERROR, EXIT_INTERNAL, EXIT_SIGINT, EXIT_SIGTERM = 2, 3, 130, 143

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}
#: Commands that write a report (report.md …): they take ``--lang``.
REPORT_COMMANDS = ("demo", "review", "tune", "price", "crop-review", "verify")


def command(name: str):
    def register(fn):
        COMMANDS[name] = fn
        return fn

    return register


def _number_in(bound) -> Callable[[str], float]:
    """An argparse type: a finite number within ``bound`` (a
    :class:`puhui.huiminbao.product.Bound`), else a one-line usage error (exit status 2)."""
    from math import isfinite

    def parse(text: str) -> float:
        try:
            x = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not isfinite(x):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
        if not bound.holds(x):
            hint = f" ({bound.hint})" if bound.hint and abs(x) > 1 else ""
            raise argparse.ArgumentTypeError(f"must be {bound}, got {text}{hint}")
        return x

    return parse


def _iso_date(text: str) -> str:
    """An argparse type: a date YYYY-MM-DD, returned as YYYY-MM-DD."""
    from datetime import datetime

    try:
        return datetime.strptime(text, "%Y-%m-%d").date().isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__
    from ..data.bounds import Bound
    from ..data.schema import SCHEMAS
    from ..huiminbao.product import BOUNDS

    # Option bounds; the product's own keys (trend, 起付线, 赔付比例) share the product file's.
    trend, deductible, ratio = (_number_in(BOUNDS[k]) for k in ("medical_trend", "deductible",
                                                                "payout_ratio"))
    probability = _number_in(Bound(0.0, 1.0, lo_open=True, hi_open=True))
    share = _number_in(Bound(0.0, 1.0, lo_open=True, hi_open=False,
                             hint="a fraction: write 15% as 0.15"))
    positive, non_negative = _number_in(Bound(0.0, lo_open=True)), _number_in(Bound(0.0))

    parser = argparse.ArgumentParser(
        prog="puhui",
        description="Actuarial toolkit for Chinese inclusive insurance (普惠保险).")
    parser.add_argument("--version", action="version", version=f"puhui {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("demo", help="run the main job on the bundled data and write a report")
    p.add_argument("--out", default="out", help="output folder (default: out)")

    p = sub.add_parser("validate", help="validate a table file; exit 2 on bad data")
    p.add_argument("kind", choices=sorted(SCHEMAS), help="table kind")
    p.add_argument("path", help="CSV (UTF-8 or GBK), Parquet or .xlsx file; headers in English, "
                   "Chinese or both (保单号 policy_id)")
    p.add_argument("--policies", help="policies file, for the claim/cost cross-table rules")
    p.add_argument("--claims", help="claims file, for the payment cross-table rules")
    p.add_argument("--keep-extra", action="store_true",
                   help="keep columns the schema does not know instead of reporting them")
    p.add_argument("--sheet", default=0, help="Excel sheet name or number (default: first)")

    p = sub.add_parser("review", help="retrospective review (精算回溯) of a 惠民保 book")
    p.add_argument("product", help="product file (TOML)")
    p.add_argument("--data", required=True, help="folder with policies, claims, basis …")
    p.add_argument("--out", required=True, help="output folder for the report")
    p.add_argument("--as-of", default=None, type=_iso_date,
                   help="valuation date YYYY-MM-DD (default: the data folder's, if stated)")
    p.add_argument("--ibnr", default="bornhuetter_ferguson",
                   choices=["bornhuetter_ferguson", "chain_ladder"],
                   help="IBNR method spread into the A/E cells")
    p.add_argument("--expenses", default=None,
                   help="actual expenses by policy year (an 'expenses' table; default: the data "
                   "folder's expenses.*, else the product file's assumed expenses, flagged)")
    p.add_argument("--bf-apriori", default="updated", choices=["updated", "filed"],
                   help="Bornhuetter-Ferguson a-priori: the basis loss ratio updated by the "
                   "review's A/E (default) or as filed")
    p.add_argument("--policy", action="append", default=[], metavar="BOOK",
                   help="company policy rulebook (id or .toml) to check the indication against; "
                   "its yearly rate cap caps the adopted change (repeatable)")

    p = sub.add_parser("price", help="price a 惠民保 product for next year from member costs")
    p.add_argument("product", help="product file (TOML)")
    p.add_argument("--data", required=True, help="folder with policies and member costs")
    p.add_argument("--out", required=True, help="output folder for the report")
    p.add_argument("--pricing-year", type=int, default=None,
                   help="year priced for, 1 to 5 years after the latest policy year "
                   "(default: the year after it)")
    p.add_argument("--trend", type=trend, default=None,
                   help="medical trend a year, in (-0.5, 0.5) (default: the product's)")
    p.add_argument("--level", type=probability, default=0.95,
                   help="VaR level of the risk margin, in (0, 1): P(CR > 100%%) ≤ 1 − level")
    p.add_argument("--participation", type=share, default=0.15,
                   help="participation at the current price, in (0, 1], for the "
                   "anti-selection scenario")
    p.add_argument("--no-anti-selection", action="store_true",
                   help="leave out the participation scenario")
    p.add_argument("--example-take-up", action="store_true",
                   help="for a product other than the bundled example, apply the example's "
                   "take-up shape anyway, as an illustration (left out otherwise)")

    p = sub.add_parser("tune", help="起付线 × 赔付比例 tuning of a 惠民保 product on experience")
    p.add_argument("product", help="product file (TOML)")
    p.add_argument("--data", required=True, help="folder with policies and member costs")
    p.add_argument("--out", required=True, help="output folder for the report")
    p.add_argument("--years", nargs="+", type=int, default=None,
                   help="experience policy years, among the book's (default: the latest)")
    p.add_argument("--trend", type=trend, default=None,
                   help="medical trend a year, in (-0.5, 0.5) (default: the product's)")
    p.add_argument("--deductible", nargs="+", type=deductible, default=None,
                   help="起付线 values of the grid (元, ≥ 0)")
    p.add_argument("--payout-ratio", nargs="+", type=ratio, default=None,
                   help="healthy 赔付比例 values of the grid, in (0, 1]")
    p.add_argument("--alpha", type=probability, default=0.10,
                   help="max P(CR > 100%%), in (0, 1)")
    p.add_argument("--claim-cv", type=non_negative, default=0.05,
                   help="CV of next year's claim level (parameter risk), ≥ 0")
    p.add_argument("--max-price", type=positive, default=None,
                   help="budget: max required premium (元, > 0)")
    p.add_argument("--price", nargs="+", default=None, metavar="PRICE|SEGMENT=PRICE",
                   help="price per member the designs are held to (元; default the product's "
                   "flat price), or one price per segment for a 既往症 tier, e.g. "
                   "healthy=120 preexisting=180")
    p.add_argument("--objective", nargs="+", default=None, metavar="COLUMN",
                   help="what to maximise, lexicographically (default: share_paid "
                   "pure_premium — the most members paid, then the most paid per member; the "
                   "tuning notebook's)")
    p.add_argument("--constraint", action="append", default=[], metavar="NAME<=VALUE",
                   help="a constraint on any column of the designs table, 'NAME<=VALUE' or "
                   "'NAME>=VALUE' (quoted for the shell; repeatable), e.g. 'expected_cr<=0.9', "
                   "'share_paid>=0.015', 'benefit_ratio_min_group>=0.6'; replaces the default "
                   "on the same column")
    p.add_argument("--participation", type=share, default=0.15,
                   help="participation at today's price, in (0, 1], anchoring the take-up "
                   "(default 0.15)")
    p.add_argument("--fixed-membership", action="store_true",
                   help="evaluate every design at today's membership (no take-up response)")
    p.add_argument("--example-take-up", action="store_true",
                   help="for a product other than the bundled example, apply the example's "
                   "take-up anyway, as an illustration (fixed membership otherwise)")

    p = sub.add_parser("reprice", help="batch premium rates for every region × crop × coverage")
    p.add_argument("yields", help="yields table (region, crop, year, yield[, area]): CSV, "
                   "Parquet or .xlsx")
    p.add_argument("--coverage", nargs="+", type=share, default=[0.7, 0.8, 0.9],
                   help="coverage levels θ (保障水平) in (0, 1], e.g. 0.7 0.8 0.9")
    p.add_argument("--out", required=True, help="rate table to write (.csv or .parquet); a "
                   "manifest is written beside it as OUT.manifest.json")
    p.add_argument("--detrend", default="linear", choices=["linear", "quadratic", "robust",
                                                           "none"])
    p.add_argument("--adjustment", default="additive",
                   choices=["additive", "multiplicative", "heteroscedastic"])
    p.add_argument("--bandwidth", default="silverman", choices=["silverman", "scott", "cv"])
    p.add_argument("--skip-invalid", action="store_true",
                   help="leave out cells that cannot be rated (listed in the manifest) instead "
                   "of stopping")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--engine", default="local", choices=["local", "dask"],
                   help="validate the yields chunk by chunk here (local) or on a "
                   "dask.distributed cluster (dask: a LocalCluster unless --scheduler)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="with --engine dask: the scheduler of a running cluster, "
                   "tcp://host:8786")
    p.add_argument("--chunk-rows", type=int, default=None, metavar="N",
                   help="rows per chunk (default 250,000 for a .csv rate table, rated as "
                   "the file is read; 1,000,000 for .parquet)")

    p = sub.add_parser("crop-review", help="rate review (费率回溯) of filed county crop rates "
                       "against county × year experience, with the 保费不足准备金 test")
    p.add_argument("--experience", required=True, help="experience table: region, [crop], "
                   "year, liability, premium, indemnity, [area], [start_date, end_date] (CSV)")
    p.add_argument("--filed", required=True, help="filed rates: region, [crop], "
                   "benchmark_rate, loading, factor, [subsidised] (CSV)")
    p.add_argument("--zones", default=None, help="zone map: region, [crop], zone (CSV), the "
                   "credibility complement (default: one group per crop)")
    p.add_argument("--as-of", required=True, type=_iso_date,
                   help="valuation date YYYY-MM-DD: rules in force, policies in force")
    p.add_argument("--out", required=True, help="output folder for the report")
    p.add_argument("--level", type=probability, default=0.95,
                   help="confidence level of the A/E interval, in (0, 1)")
    p.add_argument("--no-year-effect", action="store_true",
                   help="fit the credibility on the A/E ratios as they are, without removing "
                   "the province's common year effect")

    p = sub.add_parser("rerun", help="re-execute the run a manifest describes and compare its "
                       "outputs with the recorded ones")
    p.add_argument("manifest", help="a run's manifest.json (or its folder) or a reprice "
                   "OUT.manifest.json")
    p.add_argument("--out", required=True, help="folder for the rerun's outputs (never the "
                   "original output)")
    p.add_argument("--allow-changed", action="store_true",
                   help="rerun even when an input differs from its recorded SHA-256 (the "
                   "differences are then expected)")

    p = sub.add_parser("verify", help="recompute a filing (报备) and check the rules in force")
    p.add_argument("filing", help="filing: an .xlsx workbook or a folder (product.toml, "
                   "assumptions.toml, rates.csv, results.csv)")
    p.add_argument("--data", default=None, help="experience data folder (惠民保: as for review; "
                   "smallbiz, gig, health: puhui datasets example FAMILY --out DIR)")
    p.add_argument("--out", required=True, help="output folder: verify.csv, rules.csv, report.md, "
                   "report.html, tables.xlsx, tables/, manifest.json")
    p.add_argument("--tolerance", nargs="+", default=[], metavar="ID=VALUE",
                   help="absolute tolerance by figure id or base id, e.g. ibnr.2025=1000")

    p = sub.add_parser("template", help="write a blank filing workbook (说明 sheet included) or "
                       "a blank 惠民保 book folder (tables, product file, README)")
    p.add_argument("what", choices=["filing", "book"])
    p.add_argument("out", help="filing: workbook to write (.xlsx); book: new folder to write")
    p.add_argument("--family", default=None,
                   choices=["huiminbao", "crop", "life", "smallbiz", "gig", "health"],
                   help="filing family (required for a filing)")
    p.add_argument("--example", default=None, choices=["clean", "planted"],
                   help="write a bundled example filing instead of a blank one")
    p.add_argument("--kind", default=None, choices=["property", "liability", "employer"],
                   help="smallbiz filing kind (default property); only with --family smallbiz")

    p = sub.add_parser("datasets", help="bundled example data")
    p.add_argument("action", choices=["regenerate", "list", "example"],
                   help="example: write a family's example data folder and product files "
                   "(puhui datasets example smallbiz|gig|health --out DIR)")
    p.add_argument("family", nargs="?", default=None, choices=["smallbiz", "gig", "health"],
                   help="for example: the product family")
    p.add_argument("--out", default=None, help="folder to write to (default: the repo's data/; "
                   "required for example)")
    p.add_argument("--size", type=int, default=None,
                   help="for example: firms of the smallbiz property book (groups: a tenth) or "
                   "riders of the gig log or members of the health book (default: the bundled sizes, "
                   "1,500, 2,400 and 3,300)")

    p = sub.add_parser("rules", help="rulebooks: regulation and company policy (list, show)")
    p.add_argument("action", choices=["list", "show"])
    p.add_argument("book", nargs="?", default=None,
                   help="for show: a shipped book id (see `puhui rules list`) or a rulebook "
                   ".toml file (validated)")
    p.add_argument("--as-of", default=None, type=_iso_date,
                   help="for list: only the books in force on YYYY-MM-DD")
    _add_common_options(sub)
    return parser


def _add_common_options(sub) -> None:
    """Options shared by several commands, added to each of them: ``--lang`` on every
    command that writes a report (:data:`REPORT_COMMANDS`)."""
    from ..report.labels import LANGS

    for name in REPORT_COMMANDS:
        if name in sub.choices:
            sub.choices[name].add_argument(
                "--lang", choices=LANGS, default=None,
                help="language of the report — its prose, headings, captions, table headers "
                "and figure labels: zh (中文) or en (default: English prose with Chinese terms, "
                "Chinese figure labels where a CJK font is installed)")


@command("validate")
def _validate(args: argparse.Namespace) -> int:
    from ..data import load

    related = {}
    if args.policies:
        related["policies"] = load(args.policies, "policies", extra_columns="keep")
    if args.claims:
        related["claims"] = load(args.claims, "claims", extra_columns="keep")
    sheet = int(args.sheet) if str(args.sheet).isdigit() else args.sheet
    from pathlib import Path

    from ..data import read_table, validate

    df = read_table(args.path, sheet_name=sheet)
    table = validate(df, args.kind, table=Path(args.path).name,
                     extra_columns="keep" if args.keep_extra else "error", **related)
    if args.kind == "basis":  # and the bands, as the review reads them
        from ..huiminbao.basis import check_basis

        check_basis(table, table=Path(args.path).name)
    print(f"OK: {args.path} is a valid '{args.kind}' table "
          f"({len(table):,} rows, {table.shape[1]} columns).")
    return 0


#: Product families ``puhui price|review|tune`` take, by the product file (:func:`product_family`).
FAMILIES = ("huiminbao", "smallbiz", "gig", "health")


def product_family(path) -> str:
    """The family of a product file: its top-level ``family`` key (``smallbiz`` or ``gig``; a
    value outside :data:`FAMILIES` is an error naming them), else ``smallbiz`` when
    ``[product] kind`` is a smallbiz kind, else ``huiminbao`` (惠民保 files have neither key and
    stay as they are). A file that cannot be read or parsed is left to the 惠民保 reader, whose
    message names the problem."""
    import difflib
    import tomllib
    from pathlib import Path

    from ..errors import ParameterError
    from ..smallbiz.product import KINDS

    try:
        doc = tomllib.loads(Path(path).read_bytes().removeprefix(b"\xef\xbb\xbf").decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return "huiminbao"
    if "family" in doc:
        family = doc["family"]
        if family not in FAMILIES:
            near = difflib.get_close_matches(str(family), FAMILIES, n=1, cutoff=0.6)
            raise ParameterError(f"{path}: family must be one of {', '.join(FAMILIES)}, got "
                                 f"{family!r}" + (f" (did you mean {near[0]!r}?)" if near else ""))
        if family == "huiminbao":
            raise ParameterError(f"{path}: a 惠民保 product file has no family key (a file without "
                                 "one is read as 惠民保); remove the line family = \"huiminbao\"")
        return family
    product = doc.get("product")
    kind = product.get("kind") if isinstance(product, dict) else None
    if kind is not None:
        if kind not in KINDS:
            raise ParameterError(f"{path}: [product] kind {kind!r} is not a product family's; "
                                 f"smallbiz kinds are {', '.join(KINDS)} (or set family = one of "
                                 f"{', '.join(FAMILIES[1:])}; 惠民保 files have no kind)")
        return "smallbiz"
    return "huiminbao"


#: Options of price / review / tune that only the 惠民保 runner reads (dest names).
_HUIMINBAO_ONLY = {
    "review": ("as_of", "ibnr", "expenses", "bf_apriori"),
    "price": ("pricing_year", "trend", "level", "participation", "no_anti_selection",
              "example_take_up"),
    "tune": ("years", "trend", "claim_cv", "objective", "constraint", "participation",
             "fixed_membership", "example_take_up"),
}


def _runner(family: str):
    """The runner module of a family other than 惠民保 (``puhui.cli.smallbiz``, ``.gig``,
    ``.health``)."""
    if family == "smallbiz":
        from . import smallbiz

        return smallbiz
    if family == "health":
        from . import health

        return health
    from . import gig

    return gig


def _family(args: argparse.Namespace) -> str:
    """The product file's family; an option given that the family's runner does not read is
    an error (never silently ignored)."""
    from ..errors import ParameterError

    family = product_family(args.product)
    if family == "huiminbao":
        return family
    defaults = build_parser().parse_args([args.command, "P", "--data", "D", "--out", "O"])
    given = [name for name in _HUIMINBAO_ONLY[args.command]
             if getattr(args, name) != getattr(defaults, name)]
    if family == "smallbiz" and args.command == "tune" and args.price:
        given.append("price")
    if given:
        shown = ", ".join("--" + g.replace("_", "-") for g in given)
        raise ParameterError(f"puhui {args.command}: {shown} apply to 惠民保 products only, not "
                             f"to this {family} product")
    return family


@command("review")
def _review(args: argparse.Namespace) -> int:
    family = _family(args)
    if family != "huiminbao":
        folder = _runner(family).run_review(args.product, args.data, args.out, policy_books=args.policy)
        print(f"Review written to {folder}/report.md")
        return 0
    from .huiminbao import run_review

    folder = run_review(args.product, args.data, args.out, as_of=args.as_of,
                        ibnr_method=args.ibnr, expenses=args.expenses,
                        bf_apriori=args.bf_apriori, policy_books=args.policy)
    print(f"Review written to {folder}/report.md")
    return 0


def _family_tune(args: argparse.Namespace, family: str) -> int:
    """``puhui tune`` of a smallbiz (property: 免赔额 × 赔付比例) or gig product (medical
    免赔额 × 赔付比例 × premium per order, ``--price`` the premiums per order)."""
    from ..errors import ParameterError

    runner = _runner(family)
    grid = {"deductibles": args.deductible, "payout_ratios": args.payout_ratio,
            "max_prob_loss": args.alpha}
    if family == "gig":
        premiums = None
        if args.price:
            try:
                premiums = [float(p) for p in args.price]
            except ValueError:
                raise ParameterError("puhui tune: --price of a gig product lists premiums per "
                                     f"order (元), got {' '.join(args.price)}") from None
            if any(not (p > 0 and p < float("inf")) for p in premiums):
                raise ParameterError("puhui tune: --price premiums must be finite and > 0")
        folder = runner.run_tune(args.product, args.data, args.out, premiums=premiums,
                                 max_premium_per_day=(3.0 if args.max_price is None
                                                      else args.max_price), **grid)
    elif family == "health":  # at the filed premiums: no --price or --max-price
        if args.price or args.max_price is not None:
            raise ParameterError("a health product is tuned at the filed premiums of its "
                                 "groups; --price and --max-price do not apply")
        folder = runner.run_tune(args.product, args.data, args.out, **grid)
    else:
        folder = runner.run_tune(args.product, args.data, args.out, max_price=args.max_price,
                                 **grid)
    print(f"Tuning report written to {folder}/report.md")
    return 0


@command("tune")
def _tune(args: argparse.Namespace) -> int:
    family = _family(args)
    if family != "huiminbao":
        return _family_tune(args, family)
    from ..huiminbao.tuning import (
        DEFAULT_DEDUCTIBLES,
        DEFAULT_OBJECTIVE,
        DEFAULT_RATIOS,
        price_option,
    )
    from .huiminbao import run_tune

    folder = run_tune(args.product, args.data, args.out, years=args.years, trend=args.trend,
                      deductibles=args.deductible or DEFAULT_DEDUCTIBLES,
                      ratios=args.payout_ratio or DEFAULT_RATIOS, alpha=args.alpha,
                      claim_cv=args.claim_cv, max_price=args.max_price,
                      price=price_option(args.price),
                      objective=list(args.objective or DEFAULT_OBJECTIVE),
                      constraints=list(args.constraint), participation=args.participation,
                      take_up=None if args.fixed_membership else "auto",
                      example_take_up=args.example_take_up)
    print(f"Tuning report written to {folder}/report.md")
    return 0


@command("price")
def _price(args: argparse.Namespace) -> int:
    family = _family(args)
    if family != "huiminbao":
        folder = _runner(family).run_price(args.product, args.data, args.out)
        print(f"Pricing report written to {folder}/report.md")
        return 0
    from .huiminbao import run_price

    folder = run_price(args.product, args.data, args.out, pricing_year=args.pricing_year,
                       trend=args.trend, level=args.level, participation=args.participation,
                       anti_selection=not args.no_anti_selection,
                       example_take_up=args.example_take_up)
    print(f"Pricing report written to {folder}/report.md")
    return 0


@command("reprice")
def _reprice(args: argparse.Namespace) -> int:
    from .agri import run_reprice

    path = run_reprice(args.yields, args.out, coverage_levels=args.coverage,
                       detrend=args.detrend, adjustment=args.adjustment,
                       bandwidth=args.bandwidth, skip_invalid=args.skip_invalid,
                       progress=not args.no_progress, engine=args.engine,
                       scheduler=args.scheduler, chunk_rows=args.chunk_rows)
    print(f"Rates written to {path}")
    return 0


@command("crop-review")
def _crop_review(args: argparse.Namespace) -> int:
    from .agri import run_crop_review

    folder = run_crop_review(args.experience, args.filed, args.out, as_of=args.as_of,
                             zones_path=args.zones, level=args.level,
                             year_effect=not args.no_year_effect)
    print(f"Rate review written to {folder}/report.md")
    return 0


@command("datasets")
def _datasets(args: argparse.Namespace) -> int:
    from .. import datasets

    if args.action == "list":
        for name, path in datasets.files().items():
            print(f"{name:28s} {path}")
        from ..datasets.crop_review import crop_review_files

        for name, path in crop_review_files().items():  # the puhui crop-review example
            print(f"{'crop_review/' + name:28s} {path}")
        return 0
    from pathlib import Path

    from ..datasets.store import repo_data_dir
    from ..errors import ParameterError
    from ..repro import staged_folder

    if args.action == "example":
        if args.family is None or args.out is None:
            raise ParameterError("puhui datasets example needs a family and --out: puhui "
                                 "datasets example smallbiz|gig|health --out DIR")
        from ..repro import MANIFEST_NAME, Manifest, write_bytes

        with staged_folder(Path(args.out)) as tmp:
            written = _runner(args.family).write_example(tmp, size=args.size)
            manifest = Manifest(command=f"puhui datasets example {args.family}",
                                assumptions={"size": args.size})
            for path in written:
                manifest.add_output(path, tmp)
            write_bytes(tmp / MANIFEST_NAME, manifest.to_bytes())
        for path in written:
            print(Path(args.out) / path.relative_to(tmp))
        return 0
    if args.family is not None or args.size is not None:
        raise ParameterError(f"puhui datasets {args.action}: a family and --size belong to "
                             "`puhui datasets example`")
    target = Path(args.out) if args.out is not None else repo_data_dir()
    # the data folder is replaced whole; files regenerate does not write (README) are kept
    with staged_folder(target, keep_foreign=True) as tmp:
        written = datasets.regenerate(tmp)
    for path in written:
        print(target / path.relative_to(tmp))
    return 0


@command("rules")
def _rules(args: argparse.Namespace) -> int:
    from .rules import list_books, show_book

    if args.action == "list":
        print(list_books(as_of=args.as_of))
        return 0
    print(show_book(args.book))
    return 0


@command("rerun")
def _rerun(args: argparse.Namespace) -> int:
    from .rerun import run_rerun

    return run_rerun(args.manifest, args.out, allow_changed=args.allow_changed)


@command("verify")
def _verify(args: argparse.Namespace) -> int:
    from .verify import run_verify

    return run_verify(args.filing, args.out, data=args.data, tolerances=args.tolerance)


@command("template")
def _template(args: argparse.Namespace) -> int:
    from ..errors import ParameterError

    if args.what == "book":
        from ..huiminbao.book_template import write_book_template

        if args.family not in (None, "huiminbao") or args.example is not None \
                or args.kind is not None:
            raise ParameterError("puhui template book writes a 惠民保 book: --family and "
                                 "--example belong to `puhui template filing`")
        folder = write_book_template(args.out)
        print(f"Blank 惠民保 book written to {folder}/ (README.md explains every column; the "
              "steps are in docs/own_book.md)")
        return 0
    if args.family is None:
        raise ParameterError("puhui template filing needs --family (huiminbao, crop, life, "
                             "smallbiz, gig or health)")
    from .verify import run_template

    path = run_template(args.what, args.family, args.out, example=args.example,
                        kind=args.kind)
    print(f"Filing workbook written to {path}")
    return 0


@command("demo")
def _demo(args: argparse.Namespace) -> int:
    from ..demo import run_demo

    folder = run_demo(args.out)
    print(f"Report written to {folder}/report.md")
    return 0


def _report_language(lang: str | None):
    """The block runs in the report language ``lang`` (``--lang``; nothing to set when None)."""
    if lang is None:
        from contextlib import nullcontext

        return nullcontext()
    from ..report.labels import language

    return language(lang)


class _Terminated(BaseException):
    """Raised in the main thread on SIGTERM, so staged outputs are cleaned like on Ctrl-C."""


def _on_sigterm(signum, frame):
    raise _Terminated


def _one_line(err: BaseException, limit: int = 300) -> str:
    text = str(err).strip().splitlines()
    text = text[0] if text else ""
    return text if len(text) <= limit else text[:limit] + "…"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status (see the module docstring)."""
    import traceback

    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    name = f"puhui {args.command}"
    debug = os.environ.get("PUHUI_DEBUG", "").strip() not in ("", "0")
    threads = os.environ.get("PUHUI_THREADS", "1").strip() or "1"
    if not threads.isdigit():
        print(f"{name}: PUHUI_THREADS must be a whole number ≥ 0, got {threads!r}",
              file=sys.stderr)
        return EXIT_ERROR
    on_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if on_main else None

    def fail(message: str, status: int) -> int:
        if debug:
            traceback.print_exc()
        print(message, file=sys.stderr)
        return status

    from ..repro import invocation, pinned_threads

    try:
        with invocation(argv, vars(args)), pinned_threads(int(threads) or None), \
                _report_language(getattr(args, "lang", None)):
            return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        return fail(f"{name}: interrupted; the previous output is unchanged", EXIT_SIGINT)
    except _Terminated:
        return fail(f"{name}: terminated (SIGTERM); the previous output is unchanged",
                    EXIT_SIGTERM)
    except DataError as err:
        return fail(f"{name}: invalid data — {err}", EXIT_ERROR)
    except PuhuiError as err:
        return fail(f"{name}: {err}", EXIT_ERROR)
    except OSError as err:  # a file that cannot be read: an environment problem, not a bug
        where = f" {err.filename}" if err.filename else ""
        return fail(f"{name}: cannot read or write{where}: {err.strerror or err}", EXIT_ERROR)
    except MemoryError:
        return fail(f"{name}: not enough memory for this run; use a smaller grid or book",
                    EXIT_ERROR)
    except Exception as err:
        return fail(f"{name}: internal error ({type(err).__name__}: {_one_line(err)}); please "
                    "report it — re-run with PUHUI_DEBUG=1 to see the traceback", EXIT_INTERNAL)
    finally:
        if on_main:
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
