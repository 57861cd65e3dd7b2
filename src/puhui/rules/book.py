"""Rulebooks: regulation and company policy as versioned TOML files (规则手册).

A rulebook is one document — a regulation (监管规定, e.g. 银保监规〔2023〕4号) or a company's own
policy (公司政策) — written as a ``[book]`` table and ``[[rule]]`` entries (the format is in
docs/rules.md). Each rule bounds one named quantity (``loading``, ``rate_factor``,
``expense_ratio`` …) by a comparison:

==========  ========================  =================================================
comparison  value                     holds when
==========  ========================  =================================================
max         a number v                x ≤ v
min         a number v                x ≥ v
band        [lo, hi]                  lo ≤ x ≤ hi
equals      a number, bool or text    x = v
contains    a text t                  t is part of the text x
duty        (none)                    x is true (a duty stated yes / no)
==========  ========================  =================================================

Numbers compare with an absolute tolerance of 1e-12. Every rule carries its article (条), a
``confirmed`` flag (was the figure read in the official text?) and a ``note`` saying where it
comes from when it was not.

Loading is strict: unknown keys (with the nearest known name), wrong types, bad dates and
inconsistent values are all reported at once, as one :class:`puhui.errors.ParameterError`
naming the file, the table and the key.

>>> book = load_rulebook(shipped_path("cn.agri.actuarial_2023"))
>>> book.document, book.kind, len(book.rules) > 3
('银保监规〔2023〕4号', 'regulation', True)
>>> r = book.rule("agri.factor_band.subsidised")
>>> r.value, r.limit_text
((0.75, 1.25), '[0.75, 1.25]')
>>> r.holds([0.7, 1.0, 1.3]).tolist()
[False, True, False]
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.bounds import unknown_keys
from ..errors import ParameterError, RuleError

KINDS = ("regulation", "policy")
COMPARISONS = ("max", "min", "band", "equals", "contains", "duty")
#: Absolute tolerance of numeric comparisons.
TOLERANCE = 1e-12

#: Quantities a rule may bound: name → (type, description). A book may declare more in a
#: ``[quantities]`` table (name = "description"; numeric).
QUANTITIES: dict[str, tuple[str, str]] = {
    "loading": ("number", "附加费率, a fraction of the premium"),
    "rate_factor": ("number", "费率调整系数"),
    "expense_ratio": ("number", "综合费用率, a fraction of earned premium"),
    "sum_insured_share": ("number", "sum insured / planting income (产值)"),
    "rate_change": ("number", "year-on-year rate change, new / old − 1"),
    "premium_adequacy_ratio": ("number", "(expected claims + expenses of the unexpired risk) / "
                               "未赚保费准备金, at a valuation date"),
    "central_subsidy_share": ("number", "中央财政保费补贴, a fraction of the premium"),
    "provincial_subsidy_share": ("number", "省级财政保费补贴, a fraction of the premium"),
    "combined_ratio": ("number", "综合成本率"),
    "loss_ratio": ("number", "赔付率"),
    "in_year_claim_condition_changes": ("number", "changes of claim conditions in a policy year"),
    "product_name": ("text", "the product's name"),
    "rate_backtest_done": ("bool", "费率回溯 done"),
    "industry_benchmark_used": ("bool", "industry 基准纯风险损失率 used where published"),
    "rates_break_even_small_profit": ("bool", "rates set on 保本微利"),
    "applicable_area_listed": ("bool", "适用地区 listed in clauses or rates"),
    "product_filed": ("bool", "product filed (备案)"),
    "actuarial_review_done": ("bool", "损益核算和精算回溯 done"),
    "premium_matches_cover": ("bool", "保费与保障相适配"),
}

#: Keys a rule's ``scope`` may use, and what they mean.
SCOPE_KEYS: dict[str, str] = {
    "sector": "agriculture | health | …",
    "line": "crop | livestock | public_forest | commercial_forest | huiminbao | …",
    "subsidised": "财政补贴性产品 (true / false)",
    "product": "full_cost | planting_income | yield | index | …",
    "crop": "rice | wheat | maize | …",
    "region_type": "central | western | northeastern | eastern",
}

BOOK_KEYS = ("id", "kind", "title", "title_en", "document", "issuer", "issued", "in_force_from",
             "in_force_to", "url", "version", "confirmed", "note", "example")
BOOK_REQUIRED = ("id", "kind", "title", "title_en", "document", "issuer", "issued",
                 "in_force_from", "version", "confirmed")
RULE_KEYS = ("id", "description", "quantity", "comparison", "value", "scope", "article",
             "confirmed", "note")
RULE_REQUIRED = ("id", "description", "quantity", "comparison", "article", "confirmed")
TOP_KEYS = ("book", "rule", "quantities")


class RuleBreach(RuleError):
    """A rule of a rulebook is breached. ``kind`` says whose rule: ``"regulation"`` (监管规定)
    or ``"policy"`` (公司政策, never a regulatory breach); ``rule`` and ``book`` are the ids,
    ``source`` the document, article and date."""

    kind = "regulation"

    def __init__(self, message: str, *, rule: str | None = None, book: str | None = None,
                 source: str | None = None):
        super().__init__(message)
        self.rule, self.book, self.source = rule, book, source


class RegulationBreach(RuleBreach):
    """A regulatory rule (监管规定) is breached."""

    kind = "regulation"


class PolicyBreach(RuleBreach):
    """A company policy (公司政策) is breached — a company's own limit, not a regulation."""

    kind = "policy"


def policy_breach(message: str, *, what: str) -> PolicyBreach:
    """A :class:`PolicyBreach` for a limit the caller gave directly (``what`` names it)."""
    return PolicyBreach(f"company policy ({what}; not a regulation): {message}")


def _shown(x) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, float):
        return f"{x:g}"
    return str(x)


@dataclass(frozen=True)
class Rule:
    """One rule of a rulebook (the ``book_*`` fields repeat its book's identity)."""

    id: str
    description: str
    quantity: str
    comparison: str
    value: object
    scope: Mapping[str, tuple]
    article: str
    confirmed: bool
    note: str
    book: str = field(default="", repr=False)
    kind: str = field(default="regulation", repr=False)
    document: str = field(default="", repr=False)
    issued: date | None = field(default=None, repr=False)
    example: bool = field(default=False, repr=False)

    @property
    def limit_text(self) -> str:
        """The bound as text: ``≤ 0.25``, ``[0.75, 1.25]``, ``≥ 0.25``, ``= 0.45`` …"""
        v = self.value
        if self.comparison == "band":
            return f"[{_shown(v[0])}, {_shown(v[1])}]"
        return {"max": f"≤ {_shown(v)}", "min": f"≥ {_shown(v)}", "equals": f"= {_shown(v)}",
                "contains": f"contains {v!r}", "duty": "duty (true)"}[self.comparison]

    @property
    def source(self) -> str:
        """Document, article and date, e.g. ``银保监规〔2023〕4号, 二、费率构成, 2023-04-21``."""
        when = self.issued.isoformat() if self.issued else "undated"
        return f"{self.document}, {self.article}, {when}"

    @property
    def label(self) -> str:
        """Who sets the rule, for messages: ``regulation (文号, 条, date)`` or ``company policy
        (…)``."""
        if self.kind == "policy":
            example = "EXAMPLE " if self.example else ""
            return (f"company policy ({example}policy book '{self.book}', rule '{self.id}': "
                    f"{self.description}; not a regulation)")
        return f"regulation ({self.source})"

    def holds(self, x) -> np.ndarray:
        """Whether values ``x`` (scalar or array) satisfy the rule, element-wise."""
        c, v, tol = self.comparison, self.value, TOLERANCE
        if c == "contains":
            return np.array([isinstance(s, str) and v in s for s in np.ravel(np.asarray(x, object))])
        if c == "duty":
            return np.asarray(x, dtype=bool)
        if c == "equals" and isinstance(v, bool | str):
            return np.asarray(np.asarray(x, dtype=object) == v, dtype=bool)
        a = np.asarray(x, dtype=float)
        if c == "max":
            return a <= v + tol
        if c == "min":
            return a >= v - tol
        if c == "band":
            return (a >= v[0] - tol) & (a <= v[1] + tol)
        return np.abs(a - v) <= tol                                     # equals, numeric

    def breach(self, message: str) -> RuleBreach:
        """The error to raise when this rule fails: the message starts with the rule's label
        (regulation with its source, or company policy) and ends with a pointer to the note
        where the figure is not confirmed."""
        cls = PolicyBreach if self.kind == "policy" else RegulationBreach
        show = f"`puhui rules show {self.book}`"
        if self.kind == "policy":
            tail = (f" [an example policy — see {show}]" if self.example else
                    "" if self.confirmed else f" [figure not confirmed — see {show}]")
        else:
            tail = ("" if self.confirmed else
                    f" [figure not confirmed against the official text — see {show}]")
        return cls(f"{self.label}: {message}{tail}", rule=self.id, book=self.book,
                   source=self.source)

    def applies(self, scope: Mapping[str, object]) -> bool:
        """Whether the rule applies to a design described by ``scope`` (every scope key of the
        rule must be given and match)."""
        return all(k in scope and scope[k] in allowed for k, allowed in self.scope.items())


@dataclass(frozen=True)
class Rulebook:
    """One document's rules (a ``[book]`` table and its ``[[rule]]`` entries)."""

    id: str
    kind: str
    title: str
    title_en: str
    document: str
    issuer: str
    issued: date
    in_force_from: date
    in_force_to: date | None
    version: int
    confirmed: bool
    rules: tuple[Rule, ...]
    note: str = ""
    url: str = ""
    example: bool = False
    quantities: Mapping[str, str] = field(default_factory=dict)
    path: str = ""

    def in_force(self, on: date) -> bool:
        """Whether the book is in force on ``on`` (from ≤ on, and on ≤ to where set)."""
        return self.in_force_from <= on and (self.in_force_to is None or on <= self.in_force_to)

    @property
    def in_force_text(self) -> str:
        if self.in_force_to is None:
            return f"from {self.in_force_from.isoformat()}"
        return f"{self.in_force_from.isoformat()} – {self.in_force_to.isoformat()}"

    def rule(self, rule_id: str) -> Rule:
        """The rule with id ``rule_id``; ParameterError naming the nearest id otherwise."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise ParameterError(f"rulebook '{self.id}' has no rule '{rule_id}'"
                             f"{_near(rule_id, [r.id for r in self.rules])}")

    def applicable(self, quantity: str, **scope) -> list[Rule]:
        """The rules bounding ``quantity`` that apply to ``scope`` (e.g. ``line="crop"``)."""
        return [r for r in self.rules if r.quantity == quantity and r.applies(scope)]

    def table(self) -> pd.DataFrame:
        """The rules as a table: id, quantity, comparison, limit, scope, article, confirmed,
        description, note."""
        rows = [{"id": r.id, "quantity": r.quantity, "comparison": r.comparison,
                 "limit": r.limit_text,
                 "scope": ", ".join(f"{k}={'|'.join(_shown(x) for x in v)}"
                                    for k, v in r.scope.items()),
                 "article": r.article, "confirmed": r.confirmed, "description": r.description,
                 "note": r.note} for r in self.rules]
        return pd.DataFrame(rows, columns=["id", "quantity", "comparison", "limit", "scope",
                                           "article", "confirmed", "description", "note"])


# --------------------------------------------------------------------------- loading

def _near(name: str, known: Iterable[str]) -> str:
    near = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"; did you mean '{near[0]}'?" if near else ""


def _type_name(x) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "a list", dict: "a table"}.get(type(x), type(x).__name__)


def _unknown(table: Mapping, known: tuple[str, ...], where: str) -> list[str]:
    """The unknown keys of a rulebook table (:func:`puhui.data.bounds.unknown_keys`)."""
    return unknown_keys(table, known, where)


def _date(value, where: str, problems: list[str]) -> date | None:
    """A TOML date (2023-04-21) or an ISO text '2023-04-21'; anything else is a problem."""
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems.append(f"{where} must be a date YYYY-MM-DD (e.g. 2023-04-21), got {value!r}")
    return None


def _number(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _text(table: Mapping, key: str, where: str, problems: list[str], *, required=True) -> str:
    value = table.get(key)
    if value is None:
        if required:
            problems.append(f"{where}: missing key '{key}'")
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        problems.append(f"{where}.{key} must be a non-empty string, got {_type_name(value)}")
        return ""
    return value


def _bool(table: Mapping, key: str, where: str, problems: list[str], default=None) -> bool:
    value = table.get(key, default)
    if value is None:
        problems.append(f"{where}: missing key '{key}'")
        return False
    if not isinstance(value, bool):
        problems.append(f"{where}.{key} must be true or false, got {value!r}")
        return False
    return value


def _scope(raw, where: str, problems: list[str]) -> dict[str, tuple]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(f"{where}.scope must be a table, e.g. {{ sector = \"agriculture\" }}")
        return {}
    problems += _unknown(raw, tuple(SCOPE_KEYS), f"{where}.scope")
    out = {}
    for key, value in raw.items():
        values = tuple(value) if isinstance(value, list) else (value,)
        if not values or not all(isinstance(v, str | bool) for v in values):
            problems.append(f"{where}.scope.{key} must be a string, a boolean or a list of "
                            f"strings, got {value!r}")
            continue
        out[key] = values
    return out


def _value(raw: Mapping, comparison: str, qtype: str, where: str, problems: list[str]):
    value = raw.get("value")
    if comparison == "duty":
        if value is not None:
            problems.append(f"{where}: a 'duty' rule takes no value (got {value!r})")
        if qtype != "bool":
            problems.append(f"{where}: a 'duty' rule needs a yes/no quantity, "
                            f"'{raw.get('quantity')}' is {qtype}")
        return None
    if value is None:
        problems.append(f"{where}: missing key 'value' (a '{comparison}' rule needs one)")
        return None
    if comparison in ("max", "min"):
        if not _number(value):
            problems.append(f"{where}.value must be a finite number for '{comparison}', got "
                            f"{value!r}")
            return None
        return float(value)
    if comparison == "band":
        if not (isinstance(value, list) and len(value) == 2 and all(map(_number, value))):
            problems.append(f"{where}.value must be [low, high] for 'band', got {value!r}")
            return None
        if not value[0] < value[1]:
            problems.append(f"{where}.value: band low {value[0]} must be below high {value[1]}")
            return None
        return (float(value[0]), float(value[1]))
    if comparison == "contains":
        if not isinstance(value, str) or not value:
            problems.append(f"{where}.value must be a non-empty string for 'contains', got "
                            f"{value!r}")
            return None
        if qtype != "text":
            problems.append(f"{where}: 'contains' needs a text quantity, "
                            f"'{raw.get('quantity')}' is {qtype}")
        return value
    # equals
    if _number(value):
        return float(value)
    if isinstance(value, bool | str):
        return value
    problems.append(f"{where}.value must be a number, a boolean or a string for 'equals', got "
                    f"{value!r}")
    return None


def _read_rule(raw, i: int, book: dict, quantities: Mapping[str, tuple[str, str]],
               problems: list[str]) -> Rule | None:
    where = f"[[rule]] #{i + 1}"
    if not isinstance(raw, dict):
        problems.append(f"{where} must be a table")
        return None
    if isinstance(raw.get("id"), str):
        where = f"[[rule]] '{raw['id']}'"
    n = len(problems)
    problems += _unknown(raw, RULE_KEYS, where)
    for key in RULE_REQUIRED:
        if key not in raw:
            problems.append(f"{where}: missing key '{key}'")
    rule_id = _text(raw, "id", where, problems) if "id" in raw else ""
    description = _text(raw, "description", where, problems) if "description" in raw else ""
    article = _text(raw, "article", where, problems) if "article" in raw else ""
    note = _text(raw, "note", where, problems, required=False)
    confirmed = _bool(raw, "confirmed", where, problems, default=False)
    if raw.get("confirmed") is False and not note.strip():
        problems.append(f"{where}: confirmed = false needs a 'note' saying where the figure "
                        "comes from and what could not be confirmed")
    quantity = raw.get("quantity")
    qtype = "number"
    if quantity is not None:
        if not isinstance(quantity, str) or quantity not in quantities:
            problems.append(f"{where}.quantity: unknown quantity {quantity!r}"
                            f"{_near(str(quantity), quantities)} (declare a new one in a "
                            "[quantities] table)")
        else:
            qtype = quantities[quantity][0]
    comparison = raw.get("comparison")
    if comparison is not None and comparison not in COMPARISONS:
        problems.append(f"{where}.comparison must be one of {', '.join(COMPARISONS)}, got "
                        f"{comparison!r}{_near(str(comparison), COMPARISONS)}")
        comparison = None
    if comparison in ("max", "min", "band") and qtype != "number":
        problems.append(f"{where}: '{comparison}' needs a numeric quantity, '{quantity}' is "
                        f"{qtype}")
    value = _value(raw, comparison, qtype, where, problems) if comparison else None
    scope = _scope(raw.get("scope"), where, problems)
    if len(problems) > n:
        return None
    return Rule(rule_id, description, quantity, comparison, value, scope, article, confirmed,
                note, book=book.get("id", ""), kind=book.get("kind", "regulation"),
                document=book.get("document", ""), issued=book.get("issued"),
                example=bool(book.get("example", False)))


def rulebook_from_dict(doc: Mapping, *, source: str = "rulebook") -> Rulebook:
    """A rulebook from a parsed TOML document; strict — every problem is reported at once."""
    problems: list[str] = []
    problems += _unknown(doc, TOP_KEYS, source)
    raw_book = doc.get("book")
    if not isinstance(raw_book, dict):
        raise ParameterError(f"{source}: missing the [book] table (id, kind, title, title_en, "
                             "document, issuer, issued, in_force_from, version, confirmed)")
    problems += _unknown(raw_book, BOOK_KEYS, "[book]")
    for key in BOOK_REQUIRED:
        if key not in raw_book:
            problems.append(f"[book]: missing key '{key}'")
    book: dict = {}
    for key in ("id", "title", "title_en", "document", "issuer"):
        if key in raw_book:
            book[key] = _text(raw_book, key, "[book]", problems)
    for key in ("note", "url"):
        book[key] = _text(raw_book, key, "[book]", problems, required=False)
    kind = raw_book.get("kind")
    if kind is not None and kind not in KINDS:
        problems.append(f"[book].kind must be 'regulation' or 'policy', got {kind!r}"
                        f"{_near(str(kind), KINDS)}")
    book["kind"] = kind if kind in KINDS else "regulation"
    for key in ("issued", "in_force_from", "in_force_to"):
        if key in raw_book:
            book[key] = _date(raw_book[key], f"[book].{key}", problems)
    if book.get("in_force_from") and book.get("in_force_to") and \
            book["in_force_to"] < book["in_force_from"]:
        problems.append(f"[book]: in_force_to {book['in_force_to']} is before in_force_from "
                        f"{book['in_force_from']}")
    version = raw_book.get("version")
    if version is not None and not (isinstance(version, int) and not isinstance(version, bool)
                                    and version >= 1):
        problems.append(f"[book].version must be a whole number ≥ 1 (the book's revision), "
                        f"got {version!r}")
    if "confirmed" in raw_book:
        book["confirmed"] = _bool(raw_book, "confirmed", "[book]", problems)
        if raw_book["confirmed"] is False and not book["note"].strip():
            problems.append("[book]: confirmed = false needs a 'note' saying what could not be "
                            "confirmed")
    book["example"] = _bool(raw_book, "example", "[book]", problems, default=False)
    # quantities declared by the book
    quantities = dict(QUANTITIES)
    declared = doc.get("quantities", {})
    if not isinstance(declared, dict):
        problems.append("[quantities] must be a table of name = \"description\"")
        declared = {}
    for name, text in declared.items():
        if not isinstance(text, str):
            problems.append(f"[quantities].{name} must be a description string")
        elif name in QUANTITIES:
            problems.append(f"[quantities].{name} is already a known quantity")
        else:
            quantities[name] = ("number", text)
    raw_rules = doc.get("rule", [])
    if not isinstance(raw_rules, list) or not raw_rules:
        problems.append(f"{source}: no [[rule]] entries (write each rule as [[rule]])")
        raw_rules = []
    rules = [_read_rule(r, i, book, quantities, problems) for i, r in enumerate(raw_rules)]
    ids = [r.id for r in rules if r is not None]
    for dup in sorted({x for x in ids if ids.count(x) > 1}):
        problems.append(f"rule id '{dup}' is used more than once")
    if problems:
        raise ParameterError(f"{source}: {len(problems)} problem(s):\n  " + "\n  ".join(problems))
    return Rulebook(book["id"], book["kind"], book["title"], book["title_en"], book["document"],
                    book["issuer"], book["issued"], book["in_force_from"],
                    book.get("in_force_to"), int(version), book["confirmed"], tuple(rules),
                    note=book["note"], url=book["url"], example=book["example"],
                    quantities={k: v[1] for k, v in quantities.items() if k in declared},
                    path=source)


def load_rulebook(path: str | Path) -> Rulebook:
    """Read and validate a rulebook TOML file (UTF-8, with or without a byte-order mark).

    Raises ParameterError listing every problem (file, table, key; the nearest known name for
    an unknown key).
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ParameterError(f"no such rulebook file: {path}") from None
    except OSError as err:
        raise ParameterError(f"cannot read the rulebook {path}: {err.strerror or err}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ParameterError(f"{path}: not UTF-8 text (byte {raw[err.start]:#04x} at position "
                             f"{err.start}); save the file as UTF-8") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ParameterError(f"{path}: not valid TOML: {err}") from None
    return rulebook_from_dict(doc, source=str(path))


# --------------------------------------------------------------------------- shipped books

def _books_dir():
    return resources.files("puhui.rules").joinpath("books")


@lru_cache(maxsize=1)
def _shipped() -> tuple[Rulebook, ...]:
    books = []
    for entry in sorted(_books_dir().iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            with resources.as_file(entry) as path:
                books.append(load_rulebook(path))
    ids = [b.id for b in books]
    dup = sorted({x for x in ids if ids.count(x) > 1})
    if dup:                                                            # pragma: no cover
        raise ParameterError(f"shipped rulebooks share ids: {', '.join(dup)}")
    return tuple(books)


def shipped_path(book_id: str) -> Path:
    """The file of a shipped rulebook."""
    return Path(rulebook(book_id).path)


def rulebook(book_id: str) -> Rulebook:
    """The shipped rulebook ``book_id``; ParameterError naming the nearest id otherwise.

    >>> rulebook("cn.agri.full_cost_income_2024").rule("agri.expense_ratio.full_cost_income").value
    0.2
    """
    for b in _shipped():
        if b.id == book_id:
            return b
    ids = [b.id for b in _shipped()]
    raise ParameterError(f"no shipped rulebook '{book_id}'{_near(book_id, ids)} "
                         f"(known: {', '.join(ids)})")


def rulebooks(kind: str | None = None, as_of: date | str | None = None) -> list[Rulebook]:
    """The shipped rulebooks, optionally only one ``kind`` ("regulation" / "policy") and only
    those in force on ``as_of`` (a date or 'YYYY-MM-DD'; None: every book, whatever its dates).

    >>> [b.id for b in rulebooks("regulation", as_of="2024-06-30")]  # doctest: +NORMALIZE_WHITESPACE
    ['cn.agri.actuarial_2023', 'cn.agri.full_cost_income_2024', 'cn.agri.premium_subsidy_2021']
    """
    if kind is not None and kind not in KINDS:
        raise ParameterError(f"kind={kind!r}; use 'regulation', 'policy' or None"
                             f"{_near(str(kind), KINDS)}")
    on = as_date(as_of) if as_of is not None else None
    return [b for b in _shipped()
            if (kind is None or b.kind == kind) and (on is None or b.in_force(on))]


def as_date(value) -> date:
    """A date from a ``datetime.date`` or a 'YYYY-MM-DD' text."""
    if isinstance(value, date):
        return value if not hasattr(value, "date") else value.date()
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ParameterError(f"expected a date YYYY-MM-DD, got {value!r}") from None


def rule(rule_id: str, book: str | None = None) -> Rule:
    """A shipped rule by id (searched in ``book`` if given, else in every shipped book).

    >>> rule("agri.loading_cap.subsidised").value
    0.2
    """
    books = [rulebook(book)] if book is not None else _shipped()
    for b in books:
        for r in b.rules:
            if r.id == rule_id:
                return r
    ids = [r.id for b in books for r in b.rules]
    raise ParameterError(f"no shipped rule '{rule_id}'{_near(rule_id, ids)}")
