"""Small-business product files (小微企业 / 个体工商户产品定义), read strictly.

One TOML format for the three kinds of cover, told apart by ``[product] kind``:

* ``"property"`` — 财产基本险 / 综合险: ``[property]`` (cover, 每次事故免赔额, 赔付比例),
  ``[property.occupancy.NAME]`` (占用性质: loss frequency a risk-year and the Swiss Re curve c of
  its damage ratio) and ``[property.location_grade]`` (地段风险等级 → frequency factor);
* ``"liability"`` — 公众责任: ``[liability]`` (exposure base 营业面积 per 100 m² or 营业收入
  per 10,000 元, accident frequency per unit, lognormal severity, 免赔额, 每次事故赔偿限额,
  累计赔偿限额, the ILF base limit);
* ``"employer"`` — 雇主责任 and staff group cover: ``[employer]`` (exposure base 人数 or
  工资总额, 每人伤亡责任限额 with death and disability rates, 每人医疗费用限额 with frequency,
  lognormal cost, 免赔额 and 赔付比例, the 职业类别 1–6 class factors, the credibility method)
  and ``[employer.ncd]`` (无赔款优待 scale: relativities, start class, classes up per claim).

Every file has ``[product]`` (code, name, kind, target_combined_ratio) and ``[expenses]`` (the
keys of :class:`puhui.pricing.Expenses`). The reader is strict like the 惠民保 one: an unknown
table or key is an error that suggests the near name; numbers must be TOML numbers, finite and
within :data:`BOUNDS` (checked by :func:`puhui.data.bounds.check_number`); every problem of
the file is listed at once. ``example_product_path(kind)`` gives the bundled examples.

>>> Product.from_dict({"product": {"code": "P", "kind": "liability",
...                                "target_combined_ratio": 0.95},
...                    "expenses": {"commision": 0.1}, "liability": {}})
Traceback (most recent call last):
...
puhui.errors.ParameterError: product: [expenses] has unknown keys: 'commision' (did you mean...
"""

from __future__ import annotations

import difflib
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..benefits.disability import check_grade_probabilities, grade_share_moments
from ..data.bounds import Bound, check_number, unknown_keys
from ..errors import ParameterError
from ..pricing.expenses import EXPENSE_BOUNDS, EXPENSE_LABELS, Expenses

__all__ = ["BOUNDS", "KINDS", "EmployerTerms", "LiabilityTerms", "Occupancy", "Product",
           "PropertyTerms", "example_product_path", "load_product"]

KINDS = ("property", "liability", "employer")
_SHARE = Bound(0.0, 1.0, lo_open=True, hi_open=False, hint="a fraction: write 90% as 0.9")
_RATE = Bound(0.0, 1.0, lo_open=True, hint="a rate a year: write 0.5% as 0.005")

#: Bounds of every number of a product file, by key.
BOUNDS: dict[str, Bound] = {
    **EXPENSE_BOUNDS,
    "target_combined_ratio": Bound(0.5, 1.5, hi_open=False, hint="write 95% as 0.95"),
    "basic_share": _SHARE,
    "deductible": Bound(0.0),
    "payout_ratio": _SHARE,
    "frequency": Bound(0.0, 5.0, lo_open=True),
    "curve": Bound(0.0, 10.0, hi_open=False),
    "grade_factor": Bound(0.0, 10.0, lo_open=True, hi_open=False),
    "severity_median": Bound(0.0, lo_open=True),
    "severity_sigma": Bound(0.0, 5.0, lo_open=True, hi_open=False),
    "limit_per_accident": Bound(0.0, lo_open=True),
    "aggregate_limit": Bound(0.0, lo_open=True),
    "ilf_base_limit": Bound(0.0, lo_open=True),
    "average_salary": Bound(0.0, lo_open=True),
    "death_disability_limit": Bound(0.0, lo_open=True),
    "death_rate": _RATE,
    "disability_rate": _RATE,
    "disability_share": _SHARE,
    "medical_limit": Bound(0.0, lo_open=True),
    "medical_deductible": Bound(0.0),
    "medical_ratio": _SHARE,
    "medical_frequency": Bound(0.0, 5.0, lo_open=True),
    "medical_median": Bound(0.0, lo_open=True),
    "medical_sigma": Bound(0.0, 5.0, lo_open=True, hi_open=False),
    "class_factor": Bound(0.0, 20.0, lo_open=True, hi_open=False),
    "relativity": Bound(0.0, 10.0, lo_open=True, hi_open=False),
}
LABELS = {**EXPENSE_LABELS,
          "deductible": "deductible (每次事故免赔额, 元)",
          "payout_ratio": "payout_ratio (赔付比例)",
          "limit_per_accident": "limit_per_accident (每次事故赔偿限额, 元)",
          "aggregate_limit": "aggregate_limit (累计赔偿限额, 元)",
          "death_disability_limit": "death_disability_limit (每人伤亡责任限额, 元)",
          "medical_limit": "medical_limit (每人医疗费用限额, 元)"}

#: Tables and their keys; a value ``"text"`` is a string, ``"table"`` a sub-table, else the
#: bound key of a number.
SCHEMA: dict[str, dict[str, str]] = {
    "product": {"code": "text", "name": "text", "kind": "text",
                "target_combined_ratio": "target_combined_ratio"},
    "expenses": {k: k for k in ("commission", "admin", "taxes", "protection_fund", "per_member",
                                "per_claim")},
    "property": {"cover": "text", "basic_share": "basic_share", "deductible": "deductible",
                 "payout_ratio": "payout_ratio", "occupancy": "table",
                 "location_grade": "table"},
    "occupancy": {"zh": "text", "frequency": "frequency", "curve": "curve"},
    "liability": {"exposure_base": "text", "frequency": "frequency",
                  "severity_median": "severity_median", "severity_sigma": "severity_sigma",
                  "deductible": "deductible", "limit_per_accident": "limit_per_accident",
                  "aggregate_limit": "aggregate_limit", "ilf_base_limit": "ilf_base_limit"},
    "employer": {"exposure_base": "text", "average_salary": "average_salary",
                 "death_disability_limit": "death_disability_limit",
                 "death_rate": "death_rate", "disability_rate": "disability_rate",
                 "disability_share": "disability_share", "medical_limit": "medical_limit",
                 "medical_deductible": "medical_deductible", "medical_ratio": "medical_ratio",
                 "medical_frequency": "medical_frequency", "medical_median": "medical_median",
                 "medical_sigma": "medical_sigma", "class_factors": "list",
                 "grade_probabilities": "list", "credibility": "text", "ncd": "table"},
    "ncd": {"relativities": "list", "start": "int", "penalty": "int"},
}
CHOICES = {"kind": KINDS, "cover": ("basic", "comprehensive"),
           "liability.exposure_base": ("floor_area", "turnover"),
           "employer.exposure_base": ("headcount", "payroll"),
           "credibility": ("buhlmann_straub", "limited_fluctuation")}
#: Exposure units of the liability and payroll bases (元 or m² per unit).
UNITS = {"floor_area": 100.0, "turnover": 10_000.0, "payroll": 10_000.0, "headcount": 1.0}


@dataclass(frozen=True)
class Occupancy:
    """占用性质: loss ``frequency`` a risk-year (综合险 perils, location grade 1.0) and the
    Swiss Re curve ``c`` of the damage ratio (:mod:`puhui.smallbiz.exposure_curve`)."""

    name: str
    frequency: float
    curve: float
    zh: str = ""


@dataclass(frozen=True)
class PropertyTerms:
    """财产基本险 / 综合险 terms. ``basic_share``: the share of the 综合险 loss frequency that
    the 基本险 perils (火灾、爆炸、雷击、飞行物体坠落) cover."""

    cover: str
    deductible: float
    payout_ratio: float
    basic_share: float
    occupancies: dict
    location_grades: dict


@dataclass(frozen=True)
class LiabilityTerms:
    """公众责任 terms: exposure units of ``exposure_base`` (``floor_area``: 100 m²,
    ``turnover``: 10,000 元), accident ``frequency`` per unit a year, lognormal severity."""

    exposure_base: str
    frequency: float
    severity_median: float
    severity_sigma: float
    deductible: float
    limit_per_accident: float
    aggregate_limit: float
    ilf_base_limit: float


@dataclass(frozen=True)
class EmployerTerms:
    """雇主责任 / staff group cover terms (rates of 职业类别 1, per head-year).

    ``grade_probabilities``: P(伤残等级 g | a disability), g = 1 … 10 (payout shares of
    :data:`puhui.benefits.disability.DISABILITY_GRADE_SHARES`), or None where the file gives
    only the mean share ``disability_share`` s̄ (then the book's higher cumulants, and
    P(CR > 100%), are not defined). With the grades, ``disability_share`` = Σ p_g s_g."""

    exposure_base: str
    average_salary: float
    death_disability_limit: float
    death_rate: float
    disability_rate: float
    disability_share: float
    medical_limit: float
    medical_deductible: float
    medical_ratio: float
    medical_frequency: float
    medical_median: float
    medical_sigma: float
    class_factors: tuple
    credibility: str
    ncd_relativities: tuple
    ncd_start: int
    ncd_penalty: int
    grade_probabilities: tuple | None = None


@dataclass(frozen=True)
class Product:
    """A small-business product: identity, target 综合成本率, expenses and its terms."""

    code: str
    name: str
    kind: str
    target_combined_ratio: float
    expenses: Expenses
    terms: PropertyTerms | LiabilityTerms | EmployerTerms

    @classmethod
    def from_toml(cls, path: str | Path) -> Product:
        """Read a product file (UTF-8, a byte-order mark accepted)."""
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as err:
            raise ParameterError(f"{path}: cannot read the product file ({err.strerror})") from None
        try:
            text = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
        except UnicodeDecodeError:
            raise ParameterError(f"{path}: not UTF-8 text; save the file as UTF-8") from None
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise ParameterError(f"{path}: not valid TOML: {err}") from None
        return cls.from_dict(doc, source=str(path))

    @classmethod
    def from_dict(cls, doc: dict, *, source: str = "product") -> Product:
        """Build from the parsed file; every problem is listed in one ParameterError."""
        problems: list[str] = []
        kind = doc.get("product", {}).get("kind") if isinstance(doc.get("product"), dict) \
            else None
        known = ("family", "product", "expenses", *((kind,) if kind in KINDS else KINDS))
        problems += _unknown(doc, known, "the file", tables=True)
        if doc.get("family", "smallbiz") != "smallbiz":  # the key `puhui price` dispatches on
            problems.append(f"family must be 'smallbiz' in a smallbiz product file, got "
                            f"{doc['family']!r}")
        prod = _table(doc, "product", problems, required=True)
        expenses_raw = _table(doc, "expenses", problems, required=True)
        vals = _read(prod, "product", "[product]", problems)
        for key in ("code", "kind", "target_combined_ratio"):
            if key not in prod:
                problems.append(f"[product] lacks '{key}'")
        expenses = None
        exp_given = {k: v for k, v in expenses_raw.items() if k in SCHEMA["expenses"]}
        problems += _unknown(expenses_raw, tuple(SCHEMA["expenses"]), "[expenses]")
        try:
            expenses = Expenses(**exp_given)
        except ParameterError as err:
            problems.append(f"[expenses] {err}")
        terms = None
        if kind in KINDS:
            body = _table(doc, kind, problems, required=True)
            terms = {"property": _property, "liability": _liability,
                     "employer": _employer}[kind](body, problems)
        if problems:
            raise ParameterError(f"{source}: " + "; ".join(problems))
        return cls(code=vals["code"], name=vals.get("name", vals["code"]), kind=kind,
                   target_combined_ratio=vals["target_combined_ratio"], expenses=expenses,
                   terms=terms)


def load_product(path: str | Path) -> Product:
    """:meth:`Product.from_toml`."""
    return Product.from_toml(path)


def example_product_path(kind: str = "property") -> Path:
    """The bundled example product file of ``kind`` (``property``, ``liability``,
    ``employer``)."""
    if kind not in KINDS:
        raise ParameterError(f"kind must be one of {KINDS}, got {kind!r}")
    return Path(__file__).with_name(f"smallbiz_{kind}_example.toml")


# ---------------------------------------------------------------- reading helpers
def _table(doc: dict, name: str, problems: list[str], *, required: bool = False,
           where: str | None = None) -> dict:
    where = where or f"[{name}]"
    if name not in doc:
        if required:
            problems.append(f"the file lacks the table {where}")
        return {}
    value = doc[name]
    if not isinstance(value, dict):
        problems.append(f"{where} must be a table, got {value!r}")
        return {}
    return value


def _unknown(table: dict, known: tuple[str, ...], where: str, *, tables: bool = False
             ) -> list[str]:
    return unknown_keys(table, known, where, grouped=True, tables=tables)


def _number(value, key: str, where: str, problems: list[str]) -> float | None:
    try:
        return check_number(value, BOUNDS[key], LABELS.get(key, key))
    except ParameterError as err:
        problems.append(f"{where} {err}")
        return None


def _read(raw: dict, schema: str, where: str, problems: list[str], *,
          choices_prefix: str = "") -> dict:
    """The known keys of ``raw`` checked by type; unknown keys reported."""
    spec = SCHEMA[schema]
    problems += _unknown(raw, tuple(spec), where)
    out = {}
    for key, kind in spec.items():
        if key not in raw or kind == "table":
            continue
        value = raw[key]
        if kind == "text":
            if not isinstance(value, str) or not value.strip():
                problems.append(f"{where} {key} must be a non-empty string, got {value!r}")
                continue
            allowed = CHOICES.get(f"{choices_prefix}{key}", CHOICES.get(key))
            if allowed and value not in allowed:
                near = difflib.get_close_matches(value, allowed, n=1, cutoff=0.6)
                problems.append(f"{where} {key} must be one of {', '.join(allowed)}, got "
                                f"{value!r}" + (f" (did you mean {near[0]!r}?)" if near else ""))
                continue
            out[key] = value
        elif kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                problems.append(f"{where} {key} must be a whole number, got {value!r}")
                continue
            out[key] = value
        elif kind == "list":
            if not isinstance(value, list) or not value:
                problems.append(f"{where} {key} must be a non-empty list of numbers, got "
                                f"{value!r}")
                continue
            out[key] = value
        else:
            x = _number(value, kind, where, problems)
            if x is not None:
                out[key] = x
    return out


def _need(vals: dict, raw: dict, keys: tuple[str, ...], where: str, problems: list[str]) -> bool:
    missing = [k for k in keys if k not in raw]
    for k in missing:
        problems.append(f"{where} lacks '{k}'")
    return not missing and all(k in vals for k in keys)


def _property(raw: dict, problems: list[str]) -> PropertyTerms | None:
    vals = _read(raw, "property", "[property]", problems)
    ok = _need(vals, raw, ("cover", "deductible"), "[property]", problems)
    occ_raw = _table(raw, "occupancy", problems, required=True, where="[property.occupancy]")
    occupancies = {}
    for name, body in occ_raw.items():
        where = f"[property.occupancy.{name}]"
        if not isinstance(body, dict):
            problems.append(f"{where} must be a table {{ frequency = …, curve = … }}")
            continue
        v = _read(body, "occupancy", where, problems)
        if _need(v, body, ("frequency", "curve"), where, problems):
            occupancies[name] = Occupancy(name, v["frequency"], v["curve"], v.get("zh", ""))
    if "occupancy" in raw and not occ_raw:
        problems.append("[property.occupancy] needs at least one occupancy class")
    grade_raw = _table(raw, "location_grade", problems, required=True,
                       where="[property.location_grade]")
    grades = {}
    for name, value in grade_raw.items():
        x = _number(value, "grade_factor", f"[property.location_grade] {name}:", problems)
        if x is not None:
            grades[name] = x
    if "location_grade" in raw and not grade_raw:
        problems.append("[property.location_grade] needs at least one grade")
    if not ok:
        return None
    return PropertyTerms(cover=vals["cover"], deductible=vals["deductible"],
                         payout_ratio=vals.get("payout_ratio", 1.0),
                         basic_share=vals.get("basic_share", 1.0),
                         occupancies=occupancies, location_grades=grades)


def _liability(raw: dict, problems: list[str]) -> LiabilityTerms | None:
    vals = _read(raw, "liability", "[liability]", problems, choices_prefix="liability.")
    keys = ("exposure_base", "frequency", "severity_median", "severity_sigma",
            "limit_per_accident", "aggregate_limit")
    if not _need(vals, raw, keys, "[liability]", problems):
        return None
    if vals["aggregate_limit"] < vals["limit_per_accident"]:
        problems.append("[liability] aggregate_limit (累计赔偿限额) must be ≥ limit_per_accident "
                        f"(每次事故赔偿限额), got {vals['aggregate_limit']:g} < "
                        f"{vals['limit_per_accident']:g}")
        return None
    return LiabilityTerms(exposure_base=vals["exposure_base"], frequency=vals["frequency"],
                          severity_median=vals["severity_median"],
                          severity_sigma=vals["severity_sigma"],
                          deductible=vals.get("deductible", 0.0),
                          limit_per_accident=vals["limit_per_accident"],
                          aggregate_limit=vals["aggregate_limit"],
                          ilf_base_limit=vals.get("ilf_base_limit", vals["limit_per_accident"]))


def _employer(raw: dict, problems: list[str]) -> EmployerTerms | None:
    vals = _read(raw, "employer", "[employer]", problems, choices_prefix="employer.")
    keys = ("exposure_base", "death_disability_limit", "death_rate", "disability_rate",
            "medical_limit", "medical_frequency", "medical_median", "medical_sigma",
            "class_factors")
    ok = _need(vals, raw, keys, "[employer]", problems)
    grades, share = _grades(vals, raw, problems)
    ok = ok and share is not None
    factors = None
    if "class_factors" in vals:
        cf = vals["class_factors"]
        if len(cf) != 6:
            problems.append(f"[employer] class_factors must list 6 factors (职业类别 1–6), got "
                            f"{len(cf)}")
        else:
            xs = [_number(v, "class_factor", f"[employer] class_factors[{i}]:", problems)
                  for i, v in enumerate(cf)]
            if None not in xs:
                factors = tuple(xs)
    if vals.get("exposure_base") == "payroll" and "average_salary" not in raw:
        problems.append("[employer] exposure_base = 'payroll' needs average_salary (元 a year "
                        "per head) to turn the per-head cost into a rate per 10,000 元 payroll")
    ncd_raw = _table(raw, "ncd", problems, required=True, where="[employer.ncd]")
    ncd = _read(ncd_raw, "ncd", "[employer.ncd]", problems)
    rel = None
    if "relativities" in ncd:
        xs = [_number(v, "relativity", f"[employer.ncd] relativities[{i}]:", problems)
              for i, v in enumerate(ncd["relativities"])]
        if len(xs) < 2:
            problems.append("[employer.ncd] relativities needs at least two classes")
        elif None not in xs:
            rel = tuple(xs)
    ok = _need(ncd, ncd_raw, ("relativities", "start"), "[employer.ncd]", problems) and ok
    if rel is not None and "start" in ncd and not 0 <= ncd["start"] < len(rel):
        problems.append(f"[employer.ncd] start must be a class 0…{len(rel) - 1}, got "
                        f"{ncd['start']}")
        ok = False
    if "penalty" in ncd and ncd["penalty"] < 1:
        problems.append(f"[employer.ncd] penalty must be ≥ 1, got {ncd['penalty']}")
        ok = False
    if not ok or factors is None or rel is None:
        return None
    return EmployerTerms(
        exposure_base=vals["exposure_base"],
        average_salary=vals.get("average_salary", math.nan),
        death_disability_limit=vals["death_disability_limit"], death_rate=vals["death_rate"],
        disability_rate=vals["disability_rate"], disability_share=share,
        medical_limit=vals["medical_limit"],
        medical_deductible=vals.get("medical_deductible", 0.0),
        medical_ratio=vals.get("medical_ratio", 1.0),
        medical_frequency=vals["medical_frequency"], medical_median=vals["medical_median"],
        medical_sigma=vals["medical_sigma"], class_factors=factors,
        credibility=vals.get("credibility", "buhlmann_straub"),
        ncd_relativities=rel, ncd_start=ncd["start"], ncd_penalty=ncd.get("penalty", 1),
        grade_probabilities=grades)


def _grades(vals: dict, raw: dict, problems: list[str]) -> tuple[tuple | None, float | None]:
    """The grades' probabilities (or None) and the mean disability share s̄: from the grades
    when given (a ``disability_share`` given too must equal Σ p_g s_g), else the file's
    ``disability_share``."""
    if "grade_probabilities" not in raw:
        if "disability_share" not in raw:
            problems.append("[employer] lacks 'grade_probabilities' (P(伤残等级 1 … 10), the "
                            "grades' distribution) or at least 'disability_share' (their mean "
                            "payout share)")
        return None, vals.get("disability_share")
    if "grade_probabilities" not in vals:
        return None, None
    try:
        p = check_grade_probabilities(vals["grade_probabilities"], tol=1e-6)
    except ParameterError as err:
        problems.append(f"[employer] {err}")
        return None, None
    p = p / p.sum()
    (mean,) = grade_share_moments(p, orders=(1,))
    given = vals.get("disability_share")
    if "disability_share" in raw and (given is None or abs(given - mean) > 1e-6):
        if given is not None:
            problems.append(f"[employer] disability_share {given:g} is not the mean payout share "
                            f"of grade_probabilities (Σ p_g s_g = {mean:.6g}); give one of them")
        return None, None
    return tuple(p.tolist()), (given if "disability_share" in raw else mean)
