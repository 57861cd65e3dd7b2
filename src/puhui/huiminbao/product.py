"""惠民保 product definitions: benefit lines, prices, expenses and targets, from TOML or Python.

A product file (see ``huiminbao_example.toml``; every table, key, type and bound is listed in
``docs/huiminbao.md``)::

    [product]
    code = "HMB-XC"                       # 产品代码: must match the book's policies.product
    name = "西城惠民保 (示例)"
    region = "Xicheng"                    # 地区, optional: a book in another region is priced
                                          # with a warning naming both
    target_combined_ratio = 0.95          # 目标综合成本率, in [0.5, 1.5]

    [price]                               # flat price, or age bands
    flat = 109.0
    # age_bands = [[0, 60, 89.0], [60, 121, 139.0]]   # [lower, upper), price

    [expenses]                            # as fractions of premium, plus yuan per member
    commission = 0.04                     # 手续费及佣金
    admin = 0.06                          # 业务及管理费
    taxes = 0.0                           # 税金及附加 (health cover is VAT-exempt)
    protection_fund = 0.008               # 保险保障基金
    per_member = 0.0

    [assumptions]                         # optional
    medical_trend = 0.06                  # 医疗费用趋势 a year, in (−0.5, 0.5)

    [[lines]]                             # one table per benefit line (责任类型)
    name = "in_catalogue"
    zh = "医保目录内自付"
    cap = 1_000_000                       # 封顶线 (on the payout)
    healthy = { deductible = 20_000, payout_ratio = 0.8 }      # 起付线, 赔付比例
    preexisting = { deductible = 40_000, payout_ratio = 0.4 }  # 既往症 terms

**Segments come from the file.** Every terms table of a ``[[lines]]`` table names a segment
(人群) of members: ``healthy`` (required on every line: the base terms) and any other, e.g.
``preexisting`` (既往症) or ``elderly``. :attr:`Product.segments` lists them, ``healthy``
first, then in the order the file first names them; a line without terms for a segment pays
that segment's members on its ``healthy`` terms (:meth:`Product.benefit`). Pricing and tuning
read the segments from here, and a book whose ``segment`` column holds another value is an
error naming the value, its row and the product's segments. A terms table whose name looks like a misspelling of
``healthy``, ``preexisting`` or of a segment named on more lines (``healty``) is an unknown key
with the near name suggested, not a new segment.

The schema is strict, so a typo cannot silently drop an assumption: an unknown table or key at
any level is an error that suggests the near name; numbers must be TOML numbers (not strings
or booleans), finite and within the bounds of :data:`BOUNDS`; the file is UTF-8 (a byte-order
mark is accepted). The same checks run when a :class:`Product` is built in Python, so every
command and every API call sees the same bounds.

>>> Product.from_dict({"product": {"code": "T", "target_combined_ratio": 0.95},
...                    "price": {"flat": 100}, "expenses": {"comission": 0.04},
...                    "lines": [{"name": "a", "healthy": {"deductible": 0,
...                                                        "payout_ratio": 0.5}}]})
Traceback (most recent call last):
...
puhui.errors.ParameterError: product: [expenses] has unknown keys: 'comission' (did you mean...
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..benefits import SegmentedBenefit
from ..data.bounds import Bound, check_fields, describe, raise_all, unknown_keys
from ..data.bounds import check_number as _check_bounded
from ..errors import ParameterError
from ..pricing.expenses import EXPENSE_BOUNDS, EXPENSE_LABELS, Expenses

#: The segment every line must give terms for (its base terms), first in :attr:`Product.segments`.
BASE_SEGMENT = "healthy"
#: Segment names of the documented product file: a terms table with a name near one of these
#: (``healty``) is a misspelling, not a new segment.
SEGMENT_HINTS = (BASE_SEGMENT, "preexisting")
#: Keys of a ``[[lines]]`` table besides its segments' terms tables.
LINE_KEYS = ("name", "zh", "cap")
#: How alike (difflib ratio) a new segment's name may be to a known one before it is taken as
#: a misspelling of it.
SEGMENT_NAME_CUTOFF = 0.8


#: Bounds of every number of a product, by key — the one set used by the file reader and by the
#: dataclasses (so ``Product(...)``, ``replace`` and ``with_terms`` are held to them too).
BOUNDS: dict[str, Bound] = {
    **EXPENSE_BOUNDS,
    "target_combined_ratio": Bound(0.5, 1.5, hi_open=False, hint="write 95% as 0.95"),
    "flat": Bound(0.0, lo_open=True),
    "band_price": Bound(0.0, lo_open=True),
    "age": Bound(0.0, 150.0, hi_open=False),
    "medical_trend": Bound(-0.5, 0.5, lo_open=True, hint="a yearly rate: write 6% as 0.06"),
    "deductible": Bound(0.0),
    "payout_ratio": Bound(0.0, 1.0, lo_open=True, hi_open=False,
                          hint="a fraction: write 80% as 0.8"),
    "cap": Bound(0.0, lo_open=True),
}
LABELS = {
    **EXPENSE_LABELS,
    "target_combined_ratio": "target_combined_ratio (目标综合成本率)",
    "flat": "flat (price per member, 元)",
    "band_price": "price (元)",
    "medical_trend": "medical_trend (医疗费用趋势)",
    "deductible": "deductible (起付线)",
    "payout_ratio": "payout_ratio (赔付比例)",
    "cap": "cap (封顶线)",
}

#: Tables of a product file and their keys (``lines`` is an array of tables ``[[lines]]``; its
#: segment tables are ``healthy``, ``preexisting`` and any other segment the file names).
TABLES: dict[str, tuple[str, ...]] = {
    "product": ("code", "name", "target_combined_ratio", "region"),
    "price": ("flat", "age_bands"),
    "expenses": ("commission", "admin", "taxes", "protection_fund", "per_member"),
    "assumptions": ("medical_trend",),
    "lines": (*LINE_KEYS, *SEGMENT_HINTS),
}
REQUIRED_TABLES = ("product", "price", "expenses", "lines")
#: Keys of a segment's terms table, e.g. ``healthy = { deductible = 20_000, payout_ratio = 0.8 }``.
SEGMENT_KEYS = ("deductible", "payout_ratio", "cap")


def check_number(value, key: str, *, label: str | None = None) -> float:
    """``value`` as a float if it is a finite number within ``BOUNDS[key]``; else a
    :class:`ParameterError` naming the key, the bound and the value
    (:func:`puhui.data.bounds.check_number`).

    >>> check_number(0.8, "payout_ratio")
    0.8
    >>> check_number(6, "medical_trend")
    Traceback (most recent call last):
    ...
    puhui.errors.ParameterError: medical_trend (医疗费用趋势) must be in (-0.5, 0.5), got 6 (a...
    """
    return _check_bounded(value, BOUNDS[key], label or LABELS.get(key, key))


def _check_fields(obj, keys: dict[str, str], *, optional: tuple[str, ...] = ()) -> list[str]:
    return check_fields(obj, keys, check_number, optional=optional)


_raise = raise_all
_describe = describe


def _text(value, label: str, *, empty: bool = False) -> list[str]:
    if not isinstance(value, str):
        return [f"{label} must be a string, got {_describe(value)}"]
    if not empty and not value.strip():
        return [f"{label} must not be empty"]
    return []


@dataclass(frozen=True)
class LineTerms:
    """Terms of one benefit line for one segment: 起付线 (deductible ≥ 0), 赔付比例 (payout ratio
    in (0, 1]) and 封顶线 (cap > 0 on the payout; ``None`` = no cap)."""

    deductible: float
    payout_ratio: float
    cap: float | None

    def __post_init__(self):
        _raise(_check_fields(self, {"deductible": "deductible", "payout_ratio": "payout_ratio",
                                    "cap": "cap"}, optional=("cap",)))

    @property
    def benefit(self):
        """These terms as a :class:`puhui.Benefit` (a one-layer stack)."""
        from ..benefits import Benefit

        return Benefit(deductible=self.deductible, payout_ratio=self.payout_ratio, cap=self.cap)

    def pay(self, cost):
        """Payout r·(min(x, d + cap/r) − min(x, d)) for annual covered costs x (vectorised)."""
        return self.benefit.pay(np.asarray(cost, dtype=float))


@dataclass(frozen=True)
class BenefitLine:
    """A benefit line (责任类型) with its terms per segment: ``healthy`` (required) and any other
    segment, e.g. ``preexisting`` (既往症)."""

    name: str
    zh: str
    terms: dict[str, LineTerms]

    def __post_init__(self):
        problems = _text(self.name, "line name") + _text(self.zh, "zh", empty=True)
        if not isinstance(self.terms, dict):
            problems.append("terms must be a mapping segment → LineTerms")
        else:
            bad = [s for s in self.terms
                   if not isinstance(s, str) or not s.strip() or "." in s]
            if bad:
                problems.append(f"segment names must be non-empty strings without '.', got "
                                f"{bad}")
            if BASE_SEGMENT not in self.terms:
                problems.append(f"needs '{BASE_SEGMENT}' terms")
            if not all(isinstance(t, LineTerms) for t in self.terms.values()):
                problems.append("terms must be LineTerms")
        _raise(problems)

    def for_segment(self, segment: str) -> LineTerms:
        """This line's own terms for ``segment`` (see :meth:`Product.benefit` for the terms
        that pay a segment the line gives none for)."""
        try:
            return self.terms[segment]
        except KeyError:
            raise ParameterError(f"line {self.name!r} has no terms for segment {segment!r}; "
                                 f"known: {', '.join(self.terms)}") from None


@dataclass(frozen=True)
class Product:
    """A 惠民保 city medical product (城市定制型商业医疗保险).

    Every value is checked against :data:`BOUNDS` when the product is built (from a file, in
    Python, by ``dataclasses.replace`` or :meth:`with_terms`)."""

    code: str
    name: str
    lines: tuple[BenefitLine, ...]
    flat_price: float | None = None
    age_bands: tuple[tuple[float, float, float], ...] = ()
    target_combined_ratio: float = 1.0
    expenses: Expenses = field(default_factory=Expenses)
    medical_trend: float = 0.0
    region: str | None = None

    def __post_init__(self):
        problems = _text(self.code, "[product] code") + _text(self.name, "[product] name")
        if self.region is not None:
            problems += _text(self.region, "[product] region")
        target = _check_fields(self, {"target_combined_ratio": "target_combined_ratio"})
        problems += target + _check_fields(self, {"medical_trend": "medical_trend"})
        if not isinstance(self.expenses, Expenses):
            problems.append("expenses must be an Expenses")
        elif not target and not self.expenses.variable_rate < self.target_combined_ratio:
            problems.append(f"variable expenses ({self.expenses.variable_rate:g} of premium) "
                            f"must be below the target_combined_ratio "
                            f"({self.target_combined_ratio:g}): no price meets the target")
        if isinstance(self.expenses, Expenses) and self.expenses.per_claim:
            problems.append("expenses.per_claim: 惠民保 pricing and review have no per-claim "
                            "expense; fold it into per_member")
        lines = tuple(self.lines) if isinstance(self.lines, (list, tuple)) else None
        if not lines or not all(isinstance(ln, BenefitLine) for ln in lines):
            problems.append("a product needs at least one benefit line ([[lines]])")
        else:
            object.__setattr__(self, "lines", lines)
            names = [line.name for line in lines]
            if len(set(names)) != len(names):
                problems.append(f"benefit line names repeat: {names}")
        if (self.flat_price is None) == (not self.age_bands):
            problems.append("give exactly one of a flat price or age bands in [price]")
        elif self.flat_price is not None:
            problems += _check_fields(self, {"flat_price": "flat"})
        else:
            problems += self._check_bands()
        _raise(problems)

    def _check_bands(self) -> list[str]:
        """Age bands [lower, upper) with price: ages in [0, 150], lower < upper, contiguous in
        ascending order, price > 0."""
        raw = self.age_bands
        if isinstance(raw, (str, bytes, dict)) or not isinstance(raw, (list, tuple)):
            return [f"[price] age_bands must be a list of [lower, upper, price], got {raw!r}"]
        bands, problems = [], []
        for i, band in enumerate(raw, 1):
            where = f"[price] age_bands #{i}"
            if not isinstance(band, (list, tuple)) or len(band) != 3:
                problems.append(f"{where} must be [lower, upper, price], got {band!r}")
                continue
            try:
                lo = check_number(band[0], "age", label=f"{where} lower age")
                hi = check_number(band[1], "age", label=f"{where} upper age")
                price = check_number(band[2], "band_price", label=f"{where} price (元)")
            except ParameterError as err:
                problems.append(str(err))
                continue
            if not lo < hi:
                problems.append(f"{where}: lower age {lo:g} must be below upper age {hi:g}")
            elif bands and bands[-1][1] != lo:
                problems.append(f"{where} starts at {lo:g} but the band before ends at "
                                f"{bands[-1][1]:g}: bands must be contiguous [lower, upper) "
                                "in ascending order")
            bands.append((lo, hi, price))
        if not problems:
            object.__setattr__(self, "age_bands", tuple(bands))
        return problems

    @property
    def segments(self) -> tuple[str, ...]:
        """The segments (人群) the product's lines define: ``healthy`` first, then in the order
        the lines first name them (the file's order), e.g. ``("healthy", "preexisting")``."""
        out = [BASE_SEGMENT]
        for line in self.lines:
            out += [s for s in line.terms if s not in out]
        return tuple(out)

    def benefit(self, line: str, mix=None) -> SegmentedBenefit:
        """The terms of ``line`` for every segment of the product, as a
        :class:`puhui.benefits.SegmentedBenefit` (one :class:`puhui.benefits.Benefit` per
        segment, in :attr:`segments` order): the line's own terms for a segment, or its
        ``healthy`` terms when the line gives none for it. ``mix`` (segment → share) is passed
        on.

        >>> p = Product.from_toml(example_product_path())
        >>> b = p.benefit("in_catalogue")
        >>> b.segments
        ('healthy', 'preexisting')
        >>> b.pay([50_000.0, 50_000.0], segment=["healthy", "preexisting"]).tolist()
        [24000.0, 4000.0]
        """
        bl = self.line(line)
        return SegmentedBenefit({s: bl.terms.get(s, bl.terms[BASE_SEGMENT]).benefit
                                 for s in self.segments}, mix=mix)

    def line(self, name: str) -> BenefitLine:
        for line in self.lines:
            if line.name == name:
                return line
        raise ParameterError(f"product {self.code} has no benefit line {name!r}; "
                             f"lines: {', '.join(line.name for line in self.lines)}")

    def price(self, age=None):
        """Price per member (元): the flat price, or the age band's price (vectorised)."""
        if self.flat_price is not None:
            return self.flat_price if age is None else np.full(np.shape(age), self.flat_price)
        if age is None:
            raise ParameterError("this product is priced by age band: give age")
        age = np.asarray(age, dtype=float)
        lows = np.array([b[0] for b in self.age_bands])
        highs = np.array([b[1] for b in self.age_bands])
        idx = np.searchsorted(lows, age, side="right") - 1
        inside = (idx >= 0) & (age < highs[np.clip(idx, 0, None)])
        if not np.all(inside):
            raise ParameterError(f"ages outside the price bands: {np.unique(age[~inside])[:5]}")
        return np.array([b[2] for b in self.age_bands])[idx]

    def with_terms(self, line: str, segment: str, **changes) -> Product:
        """A copy with one line's terms changed, e.g. ``with_terms("in_catalogue", "healthy",
        deductible=15_000)``."""
        lines = []
        for bl in self.lines:
            if bl.name == line:
                terms = dict(bl.terms)
                terms[segment] = replace(bl.for_segment(segment), **changes)
                bl = replace(bl, terms=terms)
            lines.append(bl)
        self.line(line)
        return replace(self, lines=tuple(lines))

    @classmethod
    def from_toml(cls, path: str | Path) -> Product:
        """Read a product file (UTF-8, with or without a byte-order mark); errors name the file,
        the table and the key at fault."""
        path = Path(path)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise ParameterError(f"no such product file: {path}") from None
        except OSError as err:
            raise ParameterError(f"cannot read the product file {path}: "
                                 f"{err.strerror or err}") from None
        try:
            doc = tomllib.loads(_decode(raw, path))
        except tomllib.TOMLDecodeError as err:
            raise ParameterError(f"{path}: not valid TOML: {err}") from None
        return cls.from_dict(doc, source=str(path))

    @classmethod
    def from_dict(cls, doc: dict, *, source: str = "product") -> Product:
        """A product from the tables of a product file (a parsed TOML document); strict: every
        problem found is reported at once, each with its table and key."""
        problems: list[str] = []
        if not isinstance(doc, dict):
            raise ParameterError(f"{source}: expected the tables of a product file")
        problems += _unknown(doc, tuple(TABLES), "the file", tables=True)
        for name in REQUIRED_TABLES:
            if name not in doc:
                what = "[[lines]]" if name == "lines" else f"[{name}]"
                problems.append(f"[top level] lacks '{name}' (a {what} table)")
        tables = {}
        for name in ("product", "price", "expenses", "assumptions"):
            value = doc.get(name, {})
            if not isinstance(value, dict):
                problems.append(f"'{name}' must be a table [{name}], got {_describe(value)}")
                value = {}
            problems += _unknown(value, TABLES[name], f"[{name}]")
            tables[name] = value
        prod, price = tables["product"], tables["price"]

        for key in ("code", "target_combined_ratio"):
            if "product" in doc and key not in prod:
                problems.append(f"[product] lacks '{key}'")
        if "code" in prod:
            problems += _text(prod["code"], "[product] code")
        if "name" in prod:
            problems += _text(prod["name"], "[product] name")
        if "region" in prod:
            problems += _text(prod["region"], "[product] region")
        numbers = {}
        for table, key, bound in (("product", "target_combined_ratio", "target_combined_ratio"),
                                  ("price", "flat", "flat"),
                                  ("assumptions", "medical_trend", "medical_trend")):
            if key in tables[table]:
                try:
                    numbers[key] = check_number(tables[table][key], bound)
                except ParameterError as err:
                    problems.append(f"[{table}] {err}")
        expenses = None
        given = {k: v for k, v in tables["expenses"].items() if k in TABLES["expenses"]}
        try:
            expenses = Expenses(**given)
        except ParameterError as err:
            problems.append(f"[expenses] {err}")

        lines = []
        raw_lines = doc.get("lines", [])
        if isinstance(raw_lines, dict):
            problems.append("write each benefit line as an array table [[lines]], not [lines]")
            raw_lines = []
        elif not isinstance(raw_lines, list):
            problems.append(f"'lines' must be [[lines]] tables, got {_describe(raw_lines)}")
            raw_lines = []
        elif "lines" in doc and not raw_lines:
            problems.append("[[lines]]: a product needs at least one benefit line")
        segments = _segment_names(raw_lines)
        for i, raw in enumerate(raw_lines, 1):
            line, found = _read_line(raw, i, segments)
            problems += found
            lines.append(line)

        if problems:
            raise ParameterError(f"{source}: " + "; ".join(problems))
        try:
            return cls(
                code=prod["code"],
                name=prod.get("name", prod["code"]),
                lines=tuple(lines),
                flat_price=numbers.get("flat"),
                age_bands=price.get("age_bands", ()),
                target_combined_ratio=numbers["target_combined_ratio"],
                expenses=expenses,
                medical_trend=numbers.get("medical_trend", 0.0),
                region=prod.get("region"),
            )
        except ParameterError as err:
            raise ParameterError(f"{source}: {err}") from None


def _decode(raw: bytes, path: Path) -> str:
    """The text of a product file: UTF-8, with or without a byte-order mark (Notepad's
    default). UTF-16 and GBK files are errors that say to save the file as UTF-8."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw[:400]:
        raise ParameterError(f"{path}: the file is saved as UTF-16 (or UTF-32); save it as "
                             "UTF-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        try:
            raw.decode("gb18030")
            guess = " — it looks like GBK/GB18030"
        except UnicodeDecodeError:
            guess = ""
        raise ParameterError(f"{path}: not UTF-8 text (byte {raw[err.start]:#04x} at position "
                             f"{err.start}){guess}; save the file as UTF-8") from None


def _home(key: str) -> str | None:
    """The table a key belongs in, if it is a key of exactly one table."""
    homes = [t for t, keys in TABLES.items() if key in keys]
    if len(homes) == 1:
        return "[[lines]]" if homes[0] == "lines" else f"[{homes[0]}]"
    return None


def _unknown(table: dict, known: tuple[str, ...], where: str, *, tables: bool = False) -> list[str]:
    """The unknown keys (or tables) of ``table``, each with the nearest known name or the table
    it belongs in (:func:`puhui.data.bounds.unknown_keys`)."""
    return unknown_keys(table, known, where, grouped=True, tables=tables, arrays=("lines",),
                        home=_home)


def _segment_names(raw_lines) -> tuple[str, ...]:
    """The segment tables a file's ``[[lines]]`` name, in file order: ``healthy``,
    ``preexisting`` and every other key whose value is a table — except a name that looks like
    a misspelling (difflib ratio ≥ :data:`SEGMENT_NAME_CUTOFF`) of ``healthy``/``preexisting`` or
    of another segment named on more lines (on as many: earlier in the file). Such a name is
    left out, so that the line reports it as an unknown key with the near name."""
    count: dict[str, int] = {}
    for raw in raw_lines:
        if isinstance(raw, dict):
            for key, value in raw.items():
                if key not in LINE_KEYS and (isinstance(value, dict) or key in SEGMENT_HINTS):
                    count[key] = count.get(key, 0) + 1
    order = list(count)
    out = []
    for pos, key in enumerate(order):
        rivals = [*SEGMENT_HINTS] + [
            other for q, other in enumerate(order)
            if other != key and other not in SEGMENT_HINTS
            and (count[other], -q) > (count[key], -pos)]
        if key in SEGMENT_HINTS or not difflib.get_close_matches(
                key, rivals, n=1, cutoff=SEGMENT_NAME_CUTOFF):
            out.append(key)
    return tuple(out)


def _read_line(raw, i: int, segments: tuple[str, ...] = SEGMENT_HINTS
               ) -> tuple[BenefitLine | None, list[str]]:
    """One ``[[lines]]`` table: its line, or the problems found in it. ``segments``: the
    segment tables the file names (:func:`_segment_names`)."""
    if not isinstance(raw, dict):
        return None, [f"[[lines]] #{i} must be a table, got {_describe(raw)}"]
    name = raw.get("name")
    where = f"[[lines]] #{i}" + (f" ({name})" if isinstance(name, str) and name else "")
    known = (*LINE_KEYS, *dict.fromkeys((*SEGMENT_HINTS, *segments)))
    problems = _unknown(raw, known, where)
    if "name" not in raw:
        problems.append(f"{where} lacks 'name'")
    else:
        problems += [f"{where} {p}" for p in _text(raw["name"], "name")]
    if "zh" in raw:
        problems += [f"{where} {p}" for p in _text(raw["zh"], "zh", empty=True)]
    cap = raw.get("cap")
    if "cap" in raw:
        try:
            check_number(cap, "cap")
        except ParameterError as err:
            problems.append(f"{where} {err}")
            cap = None
    if "healthy" not in raw:
        problems.append(f"{where} needs a 'healthy' terms table, e.g. healthy = "
                        "{ deductible = 20_000, payout_ratio = 0.8 }")
    terms = {}
    for seg in (k for k in raw if k in known and k not in LINE_KEYS):
        if "." in seg or not seg.strip():
            problems.append(f"{where} segment {seg!r}: a segment name must be non-empty and "
                            "without '.'")
            continue
        t, at = raw[seg], f"{where}.{seg}"
        if not isinstance(t, dict):
            problems.append(f"{at} must be a table such as {{ deductible = 20_000, "
                            f"payout_ratio = 0.8 }}, got {_describe(t)}")
            continue
        found = _unknown(t, SEGMENT_KEYS, at)
        found += [f"{at} lacks '{k}'" for k in ("deductible", "payout_ratio") if k not in t]
        if not found:
            try:
                terms[seg] = LineTerms(t["deductible"], t["payout_ratio"], t.get("cap", cap))
            except ParameterError as err:
                found.append(f"{at} {err}")
        problems += found
    if problems:
        return None, problems
    return BenefitLine(raw["name"], raw.get("zh", ""), terms), []


def example_product_path() -> Path:
    """Path of the bundled 惠民保 product file (``huiminbao_example.toml``)."""
    return Path(__file__).with_name("huiminbao_example.toml")
