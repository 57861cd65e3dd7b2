"""The special-group health product file (特定人群普惠健康险): groups, benefits, a strict TOML reader.

A :class:`HealthPlan` is one product sold to one or more target groups (目标人群) — ``elderly``
老年人, ``disabled`` 残疾人, ``poverty_alleviated`` 脱贫人口 — with shared benefits:

* a **cancer lump sum** S (癌症定额给付) on first diagnosis, at the incidence
  ``g ι(x)`` of :func:`puhui.life.health.cancer_incidence` (NCC 2015 level, Gompertz slope b)
  times the group's ``incidence_loading`` g;
* a **medical layer** (医疗补充) on the out-of-pocket cost X of a hospital stay, X ~
  lognormal(median, σ), paid ``min(r (X − d)₊, C)`` (起付线/免赔额 d, 赔付比例 r, 年度限额 C),
  ``hospital_stays`` λ stays a member-year (the group's);
* mortality from a bundled table (:func:`puhui.life.load_table`) × the group's
  ``mortality_loading`` (the cover ends at death), interest i, term T;
* expenses (:class:`puhui.pricing.Expenses`: shares of premium v and 元 per member-year e), the
  target 综合成本率 τ, and each group's filed premium (元 a year).

:meth:`HealthPlan.product` gives the :class:`~puhui.life.health.HealthProduct` of one group
(its premiums, present values and expected claims). The file is TOML, read strictly: an unknown
key is an error naming the nearest known one, every number is checked against its bound and
every problem is listed at once (:func:`puhui.data.bounds.unknown_keys`, ``check_number``).

>>> plan = HealthPlan.from_toml(example_product_path())
>>> sorted(plan.groups), plan.lump_sum, plan.payout_ratio
(['disabled', 'elderly', 'poverty_alleviated'], 10000.0, 0.7)
>>> plan.band_of([35, 60, 79]).tolist()
['30-39', '60-69', '70+']
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import numpy as np
from scipy import stats

from ..benefits import Benefit
from ..data.bounds import Bound, check_number, raise_all, unknown_keys
from ..data.schema import FLOAT, INT, STR, Column, Schema
from ..errors import ParameterError
from ..pricing import Expenses
from .catalogue import load_table
from .health import INCIDENCE_SLOPE, HealthProduct
from .table import LifeTable

#: Target groups (目标人群) a product file may name, with their Chinese terms.
GROUPS = {"elderly": "老年人", "disabled": "残疾人", "poverty_alleviated": "脱贫人口"}
#: Benefit lines of a claim.
LINES = ("cancer", "medical")

TABLES: dict[str, tuple[str, ...]] = {
    "product": ("name", "mortality_table", "interest", "term", "target_combined_ratio",
                "age_bands"),
    "groups": tuple(GROUPS),
    "cancer": ("lump_sum", "incidence_slope"),
    "medical": ("median", "sigma", "deductible", "payout_ratio", "limit"),
    "expenses": ("commission", "admin", "taxes", "protection_fund", "catastrophe_reserve",
                 "premium_share", "per_member"),
}
GROUP_KEYS = ("ages", "incidence_loading", "mortality_loading", "hospital_stays", "premium")
REQUIRED = {"product": ("name", "mortality_table", "interest", "term", "target_combined_ratio",
                        "age_bands"),
            "cancer": ("lump_sum",),
            "medical": ("median", "sigma", "deductible", "payout_ratio", "limit"),
            "expenses": ()}

_POS = Bound(0.0, lo_open=True)
_NONNEG = Bound(0.0)
_RATIO = Bound(0.0, 1.0, lo_open=True, hi_open=False, hint="a fraction: write 70% as 0.7")
BOUNDS = {
    "interest": Bound(-0.05, 0.2, hint="a rate: write 2.5% as 0.025"),
    "target_combined_ratio": Bound(0.0, 2.0, lo_open=True, hi_open=False),
    "lump_sum": _NONNEG, "incidence_slope": Bound(0.0, 0.5, lo_open=True),
    "median": _POS, "sigma": Bound(0.0, 5.0, lo_open=True, hi_open=False),
    "deductible": _NONNEG, "payout_ratio": _RATIO, "limit": _POS,
    "incidence_loading": Bound(0.0, 20.0), "mortality_loading": Bound(0.0, 20.0),
    "hospital_stays": Bound(0.0, 50.0), "premium": _POS,
}

#: The member-year table (参保人年度): one row per member × policy year in force.
MEMBERS = Schema("members", "参保人年度", "one row per member × policy year", (
    Column("member", STR, "参保人", "member id"),
    Column("group", STR, "人群", "target group", allowed=tuple(GROUPS)),
    Column("age", INT, "年龄", "age at the start of the policy year", minimum=0, maximum=120),
    Column("exposure", FLOAT, "暴露", "member-years in force (0–1)", minimum=0.0, maximum=1.0),
    Column("policy_year", INT, "保单年度", "policy year", minimum=1900, maximum=2200),
))
#: The claims table (理赔): one row per cancer diagnosis or hospital stay.
CLAIMS = Schema("claims", "理赔", "one row per cancer diagnosis or hospital stay", (
    Column("claim_id", STR, "赔案号", "claim id"),
    Column("member", STR, "参保人", "member id"),
    Column("policy_year", INT, "保单年度", "policy year", minimum=1900, maximum=2200),
    Column("group", STR, "人群", "target group", allowed=tuple(GROUPS)),
    Column("age", INT, "年龄", "age at the start of the policy year", minimum=0, maximum=120),
    Column("line", STR, "责任", "cancer (癌症) or medical (医疗)", allowed=LINES),
    Column("cost", FLOAT, "金额", "cancer: the lump sum paid; medical: the out-of-pocket cost "
           "of the stay (元, ground-up)", minimum=0.0, maximum=1e9),
))


@dataclass(frozen=True)
class GroupTerms:
    """One target group of a :class:`HealthPlan`: entry ages ``min_age … max_age``, loadings
    of cancer incidence and of mortality, hospital stays a member-year, filed premium (元)."""

    name: str
    min_age: int
    max_age: int
    incidence_loading: float
    mortality_loading: float
    hospital_stays: float
    premium: float | None = None

    @property
    def ages(self) -> np.ndarray:
        return np.arange(self.min_age, self.max_age + 1)

    @property
    def zh(self) -> str:
        return GROUPS[self.name]


@dataclass(frozen=True, eq=False)
class HealthPlan:
    """A special-group health product file (see the module docstring).

    Parameters
    ----------
    name : str
    mortality_table : str
        A bundled table name (:func:`puhui.life.available_tables`).
    interest : float
    term : int
        Years of cover (1: one-year renewable).
    target_combined_ratio : float
        τ of the gross-up ``G = (P + e)/(τ − v)``.
    age_bands : tuple of int
        Lower edges of the age bands of the A/E (the last band is open).
    groups : mapping name → GroupTerms
    lump_sum, incidence_slope : float
        Cancer sum S (元) and the Gompertz slope b.
    medical_median, medical_sigma : float
        Lognormal law of the out-of-pocket cost of a hospital stay (元; σ of log cost).
    deductible, payout_ratio, limit : float
        起付线 d, 赔付比例 r, 年度限额 C of the medical layer.
    expenses : puhui.pricing.Expenses
    """

    name: str
    mortality_table: str
    interest: float
    term: int
    target_combined_ratio: float
    age_bands: tuple
    groups: Mapping
    lump_sum: float
    medical_median: float
    medical_sigma: float
    deductible: float
    payout_ratio: float
    limit: float
    incidence_slope: float = INCIDENCE_SLOPE
    expenses: Expenses = field(default_factory=Expenses)
    table: LifeTable = field(init=False, repr=False)

    def __post_init__(self):
        problems = []
        for key, bound in (("interest", "interest"),
                           ("target_combined_ratio", "target_combined_ratio"),
                           ("lump_sum", "lump_sum"), ("incidence_slope", "incidence_slope"),
                           ("medical_median", "median"), ("medical_sigma", "sigma"),
                           ("deductible", "deductible"), ("payout_ratio", "payout_ratio"),
                           ("limit", "limit")):
            try:
                object.__setattr__(self, key, check_number(getattr(self, key), BOUNDS[bound],
                                                           key))
            except ParameterError as err:
                problems.append(str(err))
        if isinstance(self.term, bool) or not isinstance(self.term, (int, np.integer)) \
                or not 1 <= self.term <= 50:
            problems.append(f"term must be a whole number of years in 1–50, got {self.term!r}")
        try:
            object.__setattr__(self, "table", load_table(self.mortality_table))
        except ParameterError as err:
            problems.append(f"mortality_table: {err}")
        bands = self.age_bands
        if (not isinstance(bands, (list, tuple)) or not bands
                or any(isinstance(b, bool) or not isinstance(b, (int, np.integer)) for b in bands)
                or any(b >= c for b, c in zip(bands[:-1], bands[1:], strict=False))):
            problems.append(f"age_bands must be increasing whole ages (lower edges), got "
                            f"{bands!r}")
        else:
            object.__setattr__(self, "age_bands", tuple(int(b) for b in bands))
        if not isinstance(self.groups, Mapping) or not self.groups:
            problems.append("groups: give at least one target group ([groups.elderly] …)")
        else:
            for name, g in self.groups.items():
                if not isinstance(g, GroupTerms) or g.name != name:
                    problems.append(f"groups.{name} must be a GroupTerms named {name!r}")
                    continue
                if name not in GROUPS:
                    problems.append(f"groups: unknown group {name!r}; groups are "
                                    f"{', '.join(GROUPS)}")
                if not g.min_age <= g.max_age:
                    problems.append(f"groups.{name}: ages must be [lowest, highest], got "
                                    f"[{g.min_age}, {g.max_age}]")
                elif hasattr(self, "table") and isinstance(self.term, int) and (
                        g.min_age < self.table.first_age
                        or g.max_age + self.term - 1 > self.table.last_age):
                    problems.append(f"groups.{name}: ages {g.min_age}–{g.max_age} with a "
                                    f"{self.term}-year term leave the table "
                                    f"{self.table.first_age}–{self.table.last_age}")
                if isinstance(self.age_bands, tuple) and self.age_bands \
                        and g.min_age < self.age_bands[0]:
                    problems.append(f"groups.{name}: age {g.min_age} is below the first age "
                                    f"band {self.age_bands[0]}")
        if not isinstance(self.expenses, Expenses):
            problems.append("expenses must be a puhui.pricing.Expenses")
        elif self.expenses.per_claim:
            problems.append("expenses.per_claim does not apply: put claim handling in the "
                            "shares of premium or per_member")
        elif not problems and self.expenses.variable_rate >= self.target_combined_ratio:
            problems.append(f"the variable expense rate {self.expenses.variable_rate:g} leaves "
                            f"nothing for claims under the target {self.target_combined_ratio:g}")
        raise_all(problems)

    # ------------------------------------------------------------------ the model
    @property
    def severity(self):
        """Law of the out-of-pocket cost of one hospital stay (a frozen scipy lognormal)."""
        return stats.lognorm(s=self.medical_sigma, scale=self.medical_median)

    def benefit(self, **terms) -> Benefit:
        """The medical layer ``min(r (X − d)₊, C)``; ``deductible`` / ``payout_ratio`` /
        ``limit`` override it (arrays give a grid of designs)."""
        return Benefit(deductible=terms.get("deductible", self.deductible),
                       payout_ratio=terms.get("payout_ratio", self.payout_ratio),
                       cap=terms.get("limit", self.limit))

    def group(self, name: str) -> GroupTerms:
        if name not in self.groups:
            near = difflib.get_close_matches(str(name), list(self.groups), n=1, cutoff=0.6)
            raise ParameterError(f"no group {name!r} in {self.name}; groups are "
                                 f"{', '.join(self.groups)}"
                                 + (f" (did you mean {near[0]!r}?)" if near else ""))
        return self.groups[name]

    def product(self, group: str, **changes) -> HealthProduct:
        """The :class:`~puhui.life.health.HealthProduct` of one group; ``changes`` override its
        fields (``incidence_loading``, ``medical_rate``, ``lump_sum`` …)."""
        g = self.group(group)
        e = self.expenses
        base = dict(table=self.table, lump_sum=self.lump_sum, medical_severity=self.severity,
                    incidence_loading=g.incidence_loading, mortality_loading=g.mortality_loading,
                    medical_rate=g.hospital_stays, deductible=self.deductible,
                    payout_ratio=self.payout_ratio, cap=self.limit, term=int(self.term),
                    interest=self.interest, variable_rate=e.variable_rate,
                    per_policy=e.per_member, name=f"{self.name} / {group}",
                    incidence_slope=self.incidence_slope)
        base.update(changes)
        return HealthProduct(**base)

    def band_of(self, age) -> np.ndarray:
        """Age-band label of each age: ``"60-69"`` …, the last band ``"70+"``."""
        a = np.asarray(age, dtype=float)
        edges = np.asarray(self.age_bands)
        names = [f"{lo}-{hi - 1}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
        names.append(f"{edges[-1]}+")
        if np.any(a < edges[0]):
            raise ParameterError(f"ages below the first age band {edges[0]}")
        return np.asarray(names, dtype=object)[np.searchsorted(edges, a, side="right") - 1]

    def with_terms(self, **changes) -> HealthPlan:
        """A copy with some fields changed (``deductible=200``, ``lump_sum=20_000`` …)."""
        return replace(self, **changes)

    # ------------------------------------------------------------------ the file
    @classmethod
    def from_dict(cls, doc: Mapping, *, source: str = "the product") -> HealthPlan:
        """A product from a parsed TOML document (see :func:`example_product_path`)."""
        problems = unknown_keys({k: v for k, v in doc.items() if k != "family"}, tuple(TABLES),
                                source)
        if doc.get("family", "health") != "health":
            problems.append(f"{source}: family must be 'health' in a health product file, got "
                            f"{doc['family']!r}")
        for name in (*REQUIRED, "groups"):
            if name not in doc:
                problems.append(f"{source}: table [{name}] is missing")
        for name, value in doc.items():
            if name in TABLES:
                if not isinstance(value, Mapping):
                    problems.append(f"[{name}] must be a table")
                    continue
                problems += unknown_keys(value, TABLES[name], f"[{name}]")
                for key in REQUIRED.get(name, ()):
                    if key not in value:
                        problems.append(f"[{name}] {key} is missing")
        groups = {}
        for gname, raw in (doc.get("groups") or {}).items() if isinstance(
                doc.get("groups"), Mapping) else ():
            where = f"[groups.{gname}]"
            if not isinstance(raw, Mapping):
                problems.append(f"{where} must be a table")
                continue
            problems += unknown_keys(raw, GROUP_KEYS, where)
            missing = [k for k in GROUP_KEYS if k not in raw and k != "premium"]
            if missing:
                problems.append(f"{where} lacks {', '.join(missing)}")
                continue
            ages = raw["ages"]
            if (not isinstance(ages, list) or len(ages) != 2
                    or any(isinstance(a, bool) or not isinstance(a, int) for a in ages)):
                problems.append(f"{where} ages must be [lowest, highest] whole ages, got "
                                f"{ages!r}")
                continue
            values, before = {}, len(problems)
            for key in ("incidence_loading", "mortality_loading", "hospital_stays", "premium"):
                if key in raw:
                    try:
                        values[key] = check_number(raw[key], BOUNDS[key], f"{where} {key}")
                    except ParameterError as err:
                        problems.append(str(err))
            if len(problems) == before:
                groups[gname] = GroupTerms(gname, int(ages[0]), int(ages[1]), **values)
        raise_all(problems)
        p, c, m = doc["product"], doc["cancer"], doc["medical"]
        try:
            expenses = Expenses(**dict(doc["expenses"]))
        except (TypeError, ParameterError) as err:
            raise ParameterError(f"[expenses]: {err}") from None
        return cls(name=str(p["name"]), mortality_table=str(p["mortality_table"]),
                   interest=p["interest"], term=p["term"],
                   target_combined_ratio=p["target_combined_ratio"], age_bands=p["age_bands"],
                   groups=groups, lump_sum=c["lump_sum"],
                   incidence_slope=c.get("incidence_slope", INCIDENCE_SLOPE),
                   medical_median=m["median"], medical_sigma=m["sigma"],
                   deductible=m["deductible"], payout_ratio=m["payout_ratio"],
                   limit=m["limit"], expenses=expenses)

    @classmethod
    def from_toml(cls, path: str | Path) -> HealthPlan:
        """Read a product file (TOML, strict: unknown keys and bad numbers are all reported)."""
        path = Path(path)
        try:
            doc = tomllib.loads(path.read_bytes().removeprefix(b"\xef\xbb\xbf").decode("utf-8"))
        except FileNotFoundError:
            raise ParameterError(f"no product file {path}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise ParameterError(f"{path}: not a valid TOML file ({err})") from None
        return cls.from_dict(doc, source=str(path))


def example_product_path() -> Path:
    """Path of the shipped example product file ``health_example.toml``."""
    return Path(str(resources.files("puhui.life").joinpath("health_example.toml")))


__all__ = ["CLAIMS", "GROUPS", "GroupTerms", "HealthPlan", "LINES", "MEMBERS",
           "example_product_path"]
