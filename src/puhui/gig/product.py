"""The gig-worker cover product (新就业形态/灵活就业人员专属意外险): definition and strict file.

A :class:`GigProduct` is accident and third-party liability cover for platform workers (外卖骑手,
网约车司机, 快递员) bought **by the order, the day or the hour worked** (按单/按天/按小时计费).
Claim frequencies are stated per million orders (百万单出险率), the exposure base in which the
risk is run (a rider's time on the road grows with the orders delivered); the premium may be
charged per order, per day or per hour and is converted with the activity log's orders per
worker-day and per hour (:func:`puhui.gig.pricing.unit_premiums`).

Benefit lines (保险责任), each a stack of layers of :mod:`puhui.benefits`:

* 意外身故 ``death``: a fixed sum S_d;
* 意外伤残 ``disability``: S_b × the grade's share (1 级 100 % … 10 级 10 %,
  《人身保险伤残评定标准》JR/T 0083—2013), with the grades' probabilities;
* 意外医疗 ``medical``: cost X ~ lognormal(median, σ), paid ``min(r (X − d)₊, C)`` (免赔额 d,
  赔付比例 r, 限额 C);
* 第三者责任 ``liability``: damages Y ~ lognormal(median, σ), paid ``min((Y − d)₊, L)`` (每次事故
  免赔额 d, 责任限额 L).

Seasonal (季节) and city (城市) factors multiply every line's frequency: ``λ_{line, c, s} =
λ_line · f_city(c) · f_season(s)``. The product file is TOML, read strictly: an unknown key is an
error that names the nearest known one, and every number is checked against its bound (all
problems listed at once).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from ..benefits import Benefit
from ..benefits.disability import DISABILITY_GRADE_SHARES
from ..data.bounds import Bound, check_number, raise_all, unknown_keys
from ..errors import ParameterError
from ..losses import Empirical
from ..pricing import Expenses

#: Premium bases (计费方式): the unit the premium is charged per.
PREMIUM_BASES = ("order", "day", "hour")
LINES = ("death", "disability", "medical", "liability")
#: Payout share of the ten disability grades (伤残等级 1–10), JR/T 0083—2013 (one home:
#: :data:`puhui.benefits.disability.DISABILITY_GRADE_SHARES`, shared with puhui.smallbiz).
GRADE_SHARES = DISABILITY_GRADE_SHARES

_POS = Bound(0.0, lo_open=True)
_NONNEG = Bound(0.0)
_RATIO = Bound(0.0, 1.0, hi_open=False, hint="a fraction: write 90% as 0.9")
_SHARE = Bound(0.0, 1.0, hint="a fraction: write 20% as 0.2")
_SIGMA = Bound(0.0, 5.0, lo_open=True, hi_open=False)

TABLES: dict[str, tuple[str, ...]] = {
    "product": ("name", "premium_basis", "premium", "target_combined_ratio"),
    "death": ("sum_insured", "per_million_orders"),
    "disability": ("sum_insured", "per_million_orders", "grade_probabilities"),
    "medical": ("per_million_orders", "median", "sigma", "deductible", "payout_ratio", "cap"),
    "liability": ("per_million_orders", "median", "sigma", "deductible", "limit"),
    "factors": ("city", "season"),
    "expenses": ("commission", "admin", "taxes", "protection_fund", "catastrophe_reserve",
                 "premium_share", "per_claim"),
}
REQUIRED = ("product", "death", "disability", "medical", "liability", "expenses")


@dataclass(frozen=True, eq=False)
class GigProduct:
    """Gig-worker accident and liability cover priced on orders (see the module docstring).

    Parameters
    ----------
    name : str
    premium_basis : {"order", "day", "hour"}
        The unit the premium is charged per (按单 / 按天 / 按小时).
    premium : float or None
        The filed premium per unit of ``premium_basis`` (元); ``None`` before it is priced.
    target_combined_ratio : float
        Target 综合成本率 τ of the gross-up.
    death_sum, disability_sum : float
        Sums insured (元) of 意外身故 and 意外伤残.
    death_rate, disability_rate, medical_rate, liability_rate : float
        Events per million orders (百万单出险率), before the city and season factors.
    grade_probabilities : sequence of 10 floats
        P(grade k | a disability), grades 1 … 10; sum 1.
    medical_median, medical_sigma : float
        Lognormal law of the medical cost of an accident (元; σ of log cost).
    medical_deductible, medical_ratio, medical_cap : float
        免赔额 d, 赔付比例 r, 限额 C of 意外医疗.
    liability_median, liability_sigma, liability_deductible, liability_limit : float
        Lognormal law of third-party damages, 免赔额 and 责任限额 of 第三者责任.
    city_factors, season_factors : mapping name → factor
        Frequency factors (default: none, i.e. 1 everywhere).
    expenses : puhui.pricing.Expenses
        Shares of premium and the cost per claim (理赔费用).
    """

    name: str
    premium_basis: str
    premium: float | None
    target_combined_ratio: float
    death_sum: float
    death_rate: float
    disability_sum: float
    disability_rate: float
    grade_probabilities: tuple
    medical_rate: float
    medical_median: float
    medical_sigma: float
    medical_deductible: float
    medical_ratio: float
    medical_cap: float
    liability_rate: float
    liability_median: float
    liability_sigma: float
    liability_deductible: float
    liability_limit: float
    city_factors: Mapping = field(default_factory=dict)
    season_factors: Mapping = field(default_factory=dict)
    expenses: Expenses = field(default_factory=Expenses)

    def __post_init__(self):
        problems = []
        if self.premium_basis not in PREMIUM_BASES:
            problems.append(f"premium_basis must be one of {', '.join(PREMIUM_BASES)}, got "
                            f"{self.premium_basis!r}")
        numbers = {
            "target_combined_ratio": Bound(0.0, 2.0, lo_open=True, hi_open=False),
            "death_sum": _POS, "disability_sum": _POS, "death_rate": _NONNEG,
            "disability_rate": _NONNEG, "medical_rate": _NONNEG, "liability_rate": _NONNEG,
            "medical_median": _POS, "medical_sigma": _SIGMA, "medical_deductible": _NONNEG,
            "medical_ratio": _RATIO, "medical_cap": _POS, "liability_median": _POS,
            "liability_sigma": _SIGMA, "liability_deductible": _NONNEG, "liability_limit": _POS,
        }
        if self.premium is not None:
            numbers["premium"] = _POS
        for key, bound in numbers.items():
            try:
                object.__setattr__(self, key, check_number(getattr(self, key), bound, key))
            except ParameterError as err:
                problems.append(str(err))
        p = np.asarray(self.grade_probabilities, dtype=float) if _numeric_list(
            self.grade_probabilities) else None
        if p is None or p.shape != (10,) or np.any(~np.isfinite(p)) or np.any(p < 0):
            problems.append("grade_probabilities must be 10 numbers ≥ 0 (grades 1 … 10)")
        elif abs(p.sum() - 1.0) > 1e-9:
            problems.append(f"grade_probabilities must sum to 1, got {p.sum():.12g}")
        else:
            object.__setattr__(self, "grade_probabilities", tuple(p.tolist()))
        for what in ("city_factors", "season_factors"):
            table = getattr(self, what)
            if not isinstance(table, Mapping):
                problems.append(f"{what} must be a table name → factor")
                continue
            clean = {}
            for k, v in table.items():
                try:
                    clean[str(k)] = check_number(v, _POS, f"{what}.{k}")
                except ParameterError as err:
                    problems.append(str(err))
            object.__setattr__(self, what, clean)
        if not isinstance(self.expenses, Expenses):
            problems.append("expenses must be a puhui.pricing.Expenses")
        elif self.expenses.per_member:
            problems.append("expenses.per_member does not apply: the premium is per order / day "
                            "/ hour; put fixed costs in the shares of premium")
        elif problems == [] and self.expenses.variable_rate >= self.target_combined_ratio:
            problems.append(f"the variable expense rate {self.expenses.variable_rate:g} leaves "
                            f"nothing for claims under the target {self.target_combined_ratio:g}")
        raise_all(problems)

    # ------------------------------------------------------------------ the lines' loss laws
    def severity(self, line: str):
        """Loss law of one event of ``line`` (a frozen scipy law or an Empirical)."""
        if line == "death":
            return Empirical([self.death_sum])
        if line == "disability":
            return Empirical(self.disability_sum * GRADE_SHARES,
                             weights=np.asarray(self.grade_probabilities))
        if line == "medical":
            return stats.lognorm(s=self.medical_sigma, scale=self.medical_median)
        if line == "liability":
            return stats.lognorm(s=self.liability_sigma, scale=self.liability_median)
        raise ParameterError(f"no line {line!r}; lines are {', '.join(LINES)}")

    def benefit(self, line: str, **terms) -> Benefit:
        """The line's terms as a :class:`~puhui.benefits.Benefit`; ``terms`` override the
        medical ``deductible`` / ``payout_ratio`` / ``cap`` (arrays give a grid of designs)."""
        if line in ("death", "disability"):
            return Benefit()
        if line == "medical":
            return Benefit(deductible=terms.get("deductible", self.medical_deductible),
                           payout_ratio=terms.get("payout_ratio", self.medical_ratio),
                           cap=terms.get("cap", self.medical_cap))
        if line == "liability":
            return Benefit(deductible=self.liability_deductible, cap=self.liability_limit)
        raise ParameterError(f"no line {line!r}; lines are {', '.join(LINES)}")

    def rate(self, line: str) -> float:
        """Events per order (the file's per-million rate / 10⁶), before factors."""
        if line not in LINES:
            raise ParameterError(f"no line {line!r}; lines are {', '.join(LINES)}")
        return getattr(self, f"{line}_rate") / 1e6

    def factor(self, city=None, season=None) -> np.ndarray:
        """``f_city(c) · f_season(s)`` (vectorised; a name missing from a table is 1)."""
        out = np.asarray(1.0)
        for table, values in ((self.city_factors, city), (self.season_factors, season)):
            if values is not None and not table:           # no factors: 1 in every cell
                out = out * np.ones(np.shape(values))
            elif values is not None:
                if isinstance(values, (pd.Series, pd.Categorical, pd.Index)):
                    codes, names = pd.factorize(values)
                else:
                    codes, names = pd.factorize(np.asarray(values, dtype=object).ravel())
                f = np.array([float(table.get(str(n), 1.0)) for n in names] + [1.0])
                out = out * f[codes].reshape(np.shape(values))
        return out

    def with_terms(self, **changes) -> GigProduct:
        """A copy with some fields changed (``medical_deductible=200``, ``premium=0.12`` …)."""
        from dataclasses import replace

        return replace(self, **changes)

    # ------------------------------------------------------------------ the file
    @classmethod
    def from_dict(cls, doc: Mapping, *, source: str = "the product") -> GigProduct:
        """A product from a parsed TOML document (see :func:`example_product_path`)."""
        problems = unknown_keys({k: v for k, v in doc.items() if k != "family"}, tuple(TABLES),
                            source)
        if doc.get("family", "gig") != "gig":  # the key `puhui price` dispatches on
            problems.append(f"{source}: family must be 'gig' in a gig product file, got "
                            f"{doc['family']!r}")
        for name in REQUIRED:
            if name not in doc:
                problems.append(f"{source}: table [{name}] is missing")
        for name, value in doc.items():
            if name in TABLES:
                if not isinstance(value, Mapping):
                    problems.append(f"[{name}] must be a table")
                else:
                    problems += unknown_keys(value, TABLES[name], f"[{name}]")
        raise_all(problems)
        p, d, b, m, li = (doc[k] for k in ("product", "death", "disability", "medical",
                                           "liability"))
        f = doc.get("factors", {})
        need = [f"[{t}] {k}" for t, tab in (("product", p), ("death", d), ("disability", b),
                                             ("medical", m), ("liability", li))
                for k in TABLES[t] if k not in tab and k not in ("premium",)]
        if need:
            raise ParameterError("missing keys: " + ", ".join(need))
        try:
            expenses = Expenses(**dict(doc["expenses"]))
        except (TypeError, ParameterError) as err:
            raise ParameterError(f"[expenses]: {err}") from None
        return cls(
            name=str(p["name"]), premium_basis=p["premium_basis"], premium=p.get("premium"),
            target_combined_ratio=p["target_combined_ratio"],
            death_sum=d["sum_insured"], death_rate=d["per_million_orders"],
            disability_sum=b["sum_insured"], disability_rate=b["per_million_orders"],
            grade_probabilities=b["grade_probabilities"],
            medical_rate=m["per_million_orders"], medical_median=m["median"],
            medical_sigma=m["sigma"], medical_deductible=m["deductible"],
            medical_ratio=m["payout_ratio"], medical_cap=m["cap"],
            liability_rate=li["per_million_orders"], liability_median=li["median"],
            liability_sigma=li["sigma"], liability_deductible=li["deductible"],
            liability_limit=li["limit"], city_factors=f.get("city", {}),
            season_factors=f.get("season", {}), expenses=expenses)

    @classmethod
    def from_toml(cls, path: str | Path) -> GigProduct:
        """Read a product file (TOML, strict: unknown keys and bad numbers are all reported).

        Examples
        --------
        >>> p = GigProduct.from_toml(example_product_path())
        >>> p.premium_basis, p.death_sum, p.medical_ratio
        ('order', 600000.0, 0.9)
        """
        path = Path(path)
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ParameterError(f"no product file {path}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise ParameterError(f"{path}: not a valid TOML file ({err})") from None
        return cls.from_dict(doc, source=str(path))


def example_product_path() -> Path:
    """Path of the shipped example product file ``gig_example.toml``."""
    return Path(str(resources.files("puhui.gig").joinpath("gig_example.toml")))


def _numeric_list(x) -> bool:
    try:
        return all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                   for v in x)
    except TypeError:
        return False


__all__ = ["GRADE_SHARES", "GigProduct", "LINES", "PREMIUM_BASES", "example_product_path"]
