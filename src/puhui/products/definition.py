"""惠民保 product definitions: benefit lines, prices, expenses and targets, from TOML or Python.

A product file (see ``huiminbao_example.toml``)::

    [product]
    code = "HMB-XC"
    name = "西城惠民保 (示例)"
    target_combined_ratio = 0.95          # 目标综合成本率

    [price]                               # flat price, or age bands
    flat = 109.0
    # age_bands = [[0, 60, 89.0], [60, 121, 139.0]]   # [lower, upper), price

    [expenses]                            # as fractions of premium, plus yuan per member
    commission = 0.04                     # 手续费及佣金
    admin = 0.06                          # 业务及管理费
    taxes = 0.0                           # 税金及附加 (health cover is VAT-exempt)
    protection_fund = 0.008               # 保险保障基金
    per_member = 0.0

    [[lines]]                             # one table per benefit line (责任类型)
    name = "in_catalogue"
    zh = "医保目录内自付"
    cap = 1_000_000                       # 封顶线 (on the payout)
    healthy = { deductible = 20_000, payout_ratio = 0.8 }      # 起付线, 赔付比例
    preexisting = { deductible = 40_000, payout_ratio = 0.4 }  # 既往症 terms
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..errors import ParameterError

SEGMENTS = ("healthy", "preexisting")


@dataclass(frozen=True)
class LineTerms:
    """Terms of one benefit line for one segment: 起付线 (deductible), 赔付比例, 封顶线."""

    deductible: float
    payout_ratio: float
    cap: float | None

    def __post_init__(self):
        if not np.isfinite(self.deductible) or self.deductible < 0:
            raise ParameterError(f"deductible (起付线) must be ≥ 0, got {self.deductible}")
        if not 0 < self.payout_ratio <= 1:
            raise ParameterError(f"payout_ratio (赔付比例) must be in (0, 1], got "
                                 f"{self.payout_ratio}")
        if self.cap is not None and not self.cap > 0:
            raise ParameterError(f"cap (封顶线) must be > 0, got {self.cap}")

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
    """A benefit line (责任类型) with its terms for healthy and 既往症 members."""

    name: str
    zh: str
    terms: dict[str, LineTerms]

    def for_segment(self, segment: str) -> LineTerms:
        try:
            return self.terms[segment]
        except KeyError:
            raise ParameterError(f"line {self.name!r} has no terms for segment {segment!r}; "
                                 f"known: {', '.join(self.terms)}") from None


@dataclass(frozen=True)
class Expenses:
    """Expense assumptions: fractions of premium and a fixed amount per member (元)."""

    commission: float = 0.0
    admin: float = 0.0
    taxes: float = 0.0
    protection_fund: float = 0.0
    per_member: float = 0.0

    @property
    def variable_rate(self) -> float:
        """Share of premium consumed by variable expenses (综合费用率 before fixed costs)."""
        return self.commission + self.admin + self.taxes + self.protection_fund


@dataclass(frozen=True)
class Product:
    """A 惠民保 city medical product (城市定制型商业医疗保险)."""

    code: str
    name: str
    lines: tuple[BenefitLine, ...]
    flat_price: float | None = None
    age_bands: tuple[tuple[float, float, float], ...] = ()
    target_combined_ratio: float = 1.0
    expenses: Expenses = field(default_factory=Expenses)
    medical_trend: float = 0.0

    def __post_init__(self):
        if (self.flat_price is None) == (not self.age_bands):
            raise ParameterError("give exactly one of a flat price or age bands in [price]")
        if not 0 < self.target_combined_ratio <= 1.5:
            raise ParameterError("target_combined_ratio must be in (0, 1.5]")
        if self.expenses.variable_rate >= 1:
            raise ParameterError("variable expenses take 100% or more of the premium")
        names = [line.name for line in self.lines]
        if len(set(names)) != len(names):
            raise ParameterError(f"benefit line names repeat: {names}")
        nexts = [b[0] for b in self.age_bands[1:]] + [None] * bool(self.age_bands)
        for (lo, hi, price), nxt in zip(self.age_bands, nexts, strict=True):
            if not lo < hi or price < 0 or (nxt is not None and nxt != hi):
                raise ParameterError("age bands must be contiguous [lower, upper) with price ≥ 0")

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
        """Read a product file (see the module docstring); errors name the key at fault."""
        path = Path(path)
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ParameterError(f"no such product file: {path}") from None
        except tomllib.TOMLDecodeError as err:
            raise ParameterError(f"{path.name}: not valid TOML: {err}") from None
        return cls.from_dict(doc, source=path.name)

    @classmethod
    def from_dict(cls, doc: dict, *, source: str = "product") -> Product:
        def need(table: dict, key: str, where: str):
            if key not in table:
                raise ParameterError(f"{source}: [{where}] lacks '{key}'")
            return table[key]

        prod = need(doc, "product", "top level")
        price = doc.get("price", {})
        lines = []
        for i, raw in enumerate(need(doc, "lines", "top level")):
            where = f"lines #{i + 1}"
            cap = raw.get("cap")
            terms = {}
            for seg in SEGMENTS:
                if seg in raw:
                    t = raw[seg]
                    try:
                        terms[seg] = LineTerms(float(need(t, "deductible", f"{where}.{seg}")),
                                               float(need(t, "payout_ratio", f"{where}.{seg}")),
                                               None if t.get("cap", cap) is None
                                               else float(t.get("cap", cap)))
                    except ParameterError as err:
                        raise ParameterError(f"{source}: [{where}.{seg}] {err}") from None
            unknown = set(raw) - {"name", "zh", "cap", *SEGMENTS}
            if unknown:
                raise ParameterError(f"{source}: [{where}] unknown keys {sorted(unknown)}")
            if "healthy" not in terms:
                raise ParameterError(f"{source}: [{where}] needs a 'healthy' terms table")
            lines.append(BenefitLine(str(need(raw, "name", where)), str(raw.get("zh", "")),
                                     terms))
        bands = tuple(tuple(float(v) for v in b) for b in price.get("age_bands", ()))
        exp = doc.get("expenses", {})
        unknown = set(exp) - set(Expenses.__dataclass_fields__)
        if unknown:
            raise ParameterError(f"{source}: [expenses] unknown keys {sorted(unknown)}")
        return cls(
            code=str(need(prod, "code", "product")),
            name=str(prod.get("name", prod["code"])),
            lines=tuple(lines),
            flat_price=None if "flat" not in price else float(price["flat"]),
            age_bands=bands,
            target_combined_ratio=float(prod.get("target_combined_ratio", 1.0)),
            expenses=Expenses(**{k: float(v) for k, v in exp.items()}),
            medical_trend=float(doc.get("assumptions", {}).get("medical_trend", 0.0)),
        )
