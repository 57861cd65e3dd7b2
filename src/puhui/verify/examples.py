"""The bundled example filings (``src/puhui/datasets/filings/``), built from the bundled data and
puhui's own results, deterministically: one clean filing per family that verifies, and one with
planted errors that ``puhui verify`` must name, each by sheet and cell, and nothing else.

Planted errors (:data:`PLANTED`):

* 惠民保 — IBNR of the latest policy year understated by 30% (结果); the expense ratio of that
  year under-allocated (the 0.8% 保险保障基金 left out, 结果);
* crop — a rate typed wrong in one cell, a loading above the 25% cap, a rate factor outside the
  [0.75, 1.25] band, a sum insured above 80% of the planting income (all 费率表) and the
  综合费用率 under-allocated (结果: below the sum of the expense items);
* life — a gross premium typed wrong in one cell (费率表);
* smallbiz — a gross premium typed wrong in one cell (费率表); the credible A/E of the workshop
  class filed with full credibility (the raw A/E, 结果); the target 综合成本率 raised to 97%
  (假设; the rates refiled at it), above the example company policy's 95%;
* smallbiz, kind liability (公众责任, folder ``smallbiz_liability_*``) — a gross premium typed
  wrong in one cell (费率表, 10 units); the IBNR of accident year 2024 understated by 30%
  (结果); the target 综合成本率 raised to 97% (假设);
* smallbiz, kind employer (雇主责任, folder ``smallbiz_employer_*``) — a gross premium per head
  typed wrong (费率表, 职业类别 4); the experience-rated premium filed as the manual premium
  (结果: the experience rating left out); the target 综合成本率 raised to 97% (假设);
* gig — a premium per order typed wrong in one cell (费率表); the combined ratio filed with
  death and disability at their expected cost instead of the claims paid (结果); the filed
  premium raised to 0.12 元 an order (产品信息; the results refiled at it), 3.10 元 a rider-day,
  above the example company policy's daily budget of 3 元;
* health (特定人群普惠健康险) — a gross premium typed wrong in one cell (费率表, 残疾人 50-59); the
  required premium of the 脱贫人口 understated by 10% (结果); the target 综合成本率 raised to 97%
  (假设; the rates and required premiums refiled at it), above the example company policy's 95%.

The smallbiz, gig and health filings' results are recomputed from the families' example data:
``puhui datasets example smallbiz --out DIR``, ``puhui datasets example gig --size 200
--out DIR`` and ``puhui datasets example health --out DIR`` (:data:`EXAMPLE_DATA_SIZE`,
:func:`example_data`).

Regenerate with ``python -m puhui.verify.examples`` (rewrites the folders byte for byte;
``python -m puhui.verify.examples smallbiz`` rewrites the three smallbiz kinds).
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

FILINGS_DIR = Path(__file__).resolve().parents[1] / "datasets" / "filings"
KINDS = ("clean", "planted")

#: family → the (sheet, cell) of every planted error, with what was planted.
PLANTED = {
    "huiminbao": {("results.csv", "C19"): "ibnr.2025 understated by 30%",
                  ("results.csv", "C8"): "expense_ratio.2025 under-allocated (0.09, not 0.098)"},
    "crop": {("rates.csv", "F3"): "rate typed wrong",
             ("rates.csv", "D5"): "loading 0.30 above the 25% cap",
             ("rates.csv", "E7"): "rate factor 1.30 outside [0.75, 1.25]",
             ("rates.csv", "G9"): "sum insured 90% of planting income",
             ("results.csv", "C2"): "综合费用率 0.15 below the items' 0.19"},
    "life": {("rates.csv", "D12"): "gross premium typed wrong"},
    "smallbiz": {("rates.csv", "I6"): "gross premium (retail, grade B) typed wrong",
                 ("results.csv", "C14"): "credible_ae.workshop filed with Z = 1 (the raw A/E)",
                 ("assumptions.toml", "target_combined_ratio"):
                     "target 综合成本率 0.97, above the company policy's 0.95"},
    "gig": {("rates.csv", "F7"): "premium per order (ningbo, Q2) typed wrong",
            ("results.csv", "C8"): "combined_ratio filed with the large losses at expected",
            ("product.toml", "premium"): "0.12 元 an order: 3.10 元 a rider-day, above 3 元"},
    "smallbiz_liability": {
        ("rates.csv", "C5"): "gross premium (10 units) typed wrong",
        ("results.csv", "C7"): "ibnr.2024 understated by 30%",
        ("assumptions.toml", "target_combined_ratio"):
            "target 综合成本率 0.97, above the company policy's 0.95"},
    "smallbiz_employer": {
        ("rates.csv", "D5"): "gross premium per head (职业类别 4) typed wrong",
        ("results.csv", "C3"): "rated_premium filed as the manual premium (experience rating "
                               "left out)",
        ("assumptions.toml", "target_combined_ratio"):
            "target 综合成本率 0.97, above the company policy's 0.95"},
    "health": {
        ("rates.csv", "K6"): "gross premium (残疾人, 50-59) typed wrong",
        ("results.csv", "C4"): "required_premium.poverty_alleviated understated by 10%",
        ("assumptions.toml", "target_combined_ratio"):
            "target 综合成本率 0.97, above the company policy's 0.95"},
}

#: The size of the example data the smallbiz and gig filings are recomputed from (the
#: ``--size`` of ``puhui datasets example``; None: the default).
EXAMPLE_DATA_SIZE = {"smallbiz": None, "gig": 200, "health": None}


def example_path(family: str, kind: str = "clean") -> Path:
    """The folder of a bundled example filing."""
    from ..errors import ParameterError

    if kind not in KINDS:
        raise ParameterError(f"example kind must be one of {KINDS}, got {kind!r}")
    path = FILINGS_DIR / f"{family}_{kind}"
    if not path.is_dir():
        raise ParameterError(f"no bundled example filing {path.name} (families: "
                             f"{', '.join(BUILDERS)})")
    return path


# --- 惠民保 ----------------------------------------------------------------------------------

def huiminbao_content() -> tuple[dict, dict, pd.DataFrame, pd.DataFrame]:
    from ..datasets.store import repo_data_dir
    from ..huiminbao import Product, example_product_path, price_from_experience, review
    from ..huiminbao.folder import read_book

    p = Product.from_toml(example_product_path())
    book = read_book(repo_data_dir() / "huiminbao", product=p)
    pr = price_from_experience(p, book.policies, book.costs)
    rv = review(p, book.policies, book.claims, book.basis, as_of=book.valuation_date)
    year = pr.assumptions["pricing_year"]
    info = {"code": p.code, "name": "新城定制型商业医疗保险 (示例)", "region": "新城 Xincheng",
            "period_start": f"{year}-01-01", "period_end": f"{year}-12-31",
            "flat_price": p.flat_price, "valuation_date": str(book.valuation_date),
            "applicable_area_listed": True, "product_filed": True,
            "actuarial_review_done": True, "premium_matches_cover": True,
            "in_year_claim_condition_changes": 0}
    e = p.expenses
    assumptions = {"medical_trend": p.medical_trend, "commission": e.commission,
                   "admin": e.admin, "taxes": e.taxes, "protection_fund": e.protection_fund,
                   "per_member": e.per_member, "target_combined_ratio": p.target_combined_ratio,
                   "pricing_year": year, "ibnr_method": "bornhuetter_ferguson"}
    rates = pd.DataFrame([{"line": line.name, "line_zh": line.zh, "segment": seg,
                           "deductible": float(t.deductible), "payout_ratio": float(t.payout_ratio),
                           "cap": float(t.cap)}
                          for line in p.lines for seg, t in line.terms.items()])
    ratios = rv.ratios.set_index("policy_year")
    ibnr = rv.ibnr.set_index("policy_year")
    ae = rv.ae["policy_year"].table.set_index("policy_year")
    res = [("pure_premium", round(pr.pure_premium, 2)),
           ("gross_premium", round(float(pr.gross_premium), 2)),
           ("expected_cr", round(pr.expected_cr, 6)),
           ("indicated_change", round(float(pr.gross_premium) / p.flat_price - 1, 6))]
    for y in ratios.index:
        res += [(f"expense_ratio.{y}", round(float(ratios.at[y, "expense_ratio"]), 6))]
    for y in ratios.index:
        res += [(f"loss_ratio.{y}", round(float(ratios.at[y, "earned_loss_ratio"]), 6)),
                (f"combined_ratio.{y}", round(float(ratios.at[y, "combined_ratio"]), 6)),
                (f"ibnr.{y}", round(float(ibnr.at[y, "ibnr_amount"]), 2)),
                (f"ae.{y}", round(float(ae.at[y, "amount_ae"]), 6))]
    results = pd.DataFrame(res, columns=["figure", "value"]).assign(tolerance=None)
    return info, assumptions, rates, results


def huiminbao_planted(content):
    info, assumptions, rates, results = (dict(content[0]), dict(content[1]), content[2].copy(),
                                         content[3].copy())
    i = results.index[results["figure"] == "ibnr.2025"][0]
    results.loc[i, "value"] = round(0.7 * results.loc[i, "value"], 2)
    i = results.index[results["figure"] == "expense_ratio.2025"][0]
    results.loc[i, "value"] = round(results.loc[i, "value"] - assumptions["protection_fund"], 6)
    return info, assumptions, rates, results


# --- crop ----------------------------------------------------------------------------------------

COUNTIES = ("XN001", "XN002", "XN003", "XN004", "XN005", "XN006")
CROP_EXPENSES = {"commission": 0.05, "admin": 0.08, "loss_adjustment": 0.04,
                 "other_expenses": 0.02}
CROP_LOADING = 0.20
COVERAGE = 1.0


def crop_content():
    from ..agri import filed_rate, reprice
    from ..datasets.store import repo_data_dir

    folder = repo_data_dir() / "crops"
    planted = json.loads((folder / "planted.json").read_text(encoding="utf-8"))
    yields = pd.read_csv(folder / "yields.csv", dtype={"region": str, "crop": str})
    yields = yields[yields["region"].isin(COUNTIES)]
    rated = reprice(yields, [COVERAGE], density=("kde",), rating_year=2025)
    rated = rated.sort_values(["region", "crop"], kind="stable").reset_index(drop=True)
    bench = rated.groupby("crop")["kernel_rate"].mean().round(6)
    expected = {(c["region"], c["crop"]): c["expected_yield_2025"]
                for c in planted["county_crop"]}
    rows = []
    for _, r in rated.iterrows():
        b = float(bench[r["crop"]])
        factor = float(np.clip(round(r["kernel_rate"] / b, 2), 0.8, 1.2))
        sched = planted["schedule"][r["crop"]]
        income = round(expected[(r["region"], r["crop"])] * sched["price_per_kg"], 2)
        si = sched["sum_insured_per_mu"]
        if si > 0.8 * income:
            si = math.floor(0.8 * income / 10) * 10.0
        rate = round(float(filed_rate(b, CROP_LOADING, factor).rate), 6)
        rows.append({"county": r["region"], "crop": r["crop"], "benchmark_rate": b,
                     "loading": CROP_LOADING, "factor": factor, "rate": rate,
                     "sum_insured": si, "planting_income": income})
    rates = pd.DataFrame(rows)
    info = {"name": "湘南省水稻小麦玉米完全成本保险 (示例)", "product": "full_cost",
            "subsidised": True, "region": "Xiangnan", "period_start": "2025-01-01",
            "period_end": "2025-12-31"}
    assumptions = {**CROP_EXPENSES, "coverage": COVERAGE}
    results = pd.DataFrame({"figure": ["expense_ratio"],
                            "value": [round(sum(CROP_EXPENSES.values()), 6)], "tolerance": [None]})
    return info, assumptions, rates, results


def _typo(x: float, decimals: int) -> float:
    """``x`` written to ``decimals`` with two significant digits swapped (the 3rd and 4th, or the
    last two), the last one raised by one when they are equal: a typing slip."""
    t = list(f"{x:.{decimals}f}")
    first = next(i for i, ch in enumerate(t) if ch in "123456789")
    sig = [i for i in range(first, len(t)) if t[i].isdigit()]
    a, b = (sig[2], sig[3]) if len(sig) >= 4 else (sig[-2], sig[-1])
    if t[a] == t[b]:
        t[b] = str((int(t[b]) + 1) % 10)
    else:
        t[a], t[b] = t[b], t[a]
    return float("".join(t))


def crop_planted(content):
    from ..agri import base_rate

    info, assumptions, rates, results = (dict(content[0]), dict(content[1]), content[2].copy(),
                                         content[3].copy())

    def refile(i):
        rates.loc[i, "rate"] = round(float(base_rate(rates.loc[i, "benchmark_rate"],
                                                     rates.loc[i, "loading"], subsidised=False)
                                           * rates.loc[i, "factor"]), 6)

    rates.loc[1, "rate"] = _typo(rates.loc[1, "rate"], 6)         # rates.csv F3
    rates.loc[3, "loading"] = 0.30                                # D5
    refile(3)
    rates.loc[5, "factor"] = 1.30                                 # E7
    refile(5)
    rates.loc[7, "sum_insured"] = round(0.9 * rates.loc[7, "planting_income"], 2)   # G9
    results.loc[0, "value"] = 0.15                                # results.csv C2
    return info, assumptions, rates, results


# --- life ----------------------------------------------------------------------------------------

LIFE_AGES = tuple(range(20, 61, 5))


def life_content():
    from ..life import Expenses, TermLifeProduct, load_table

    info = {"name": "残疾人团体定期寿险 (示例)", "table_male": "CL1_2010_2013",
            "table_female": "CL2_2010_2013", "term": 1, "period_start": "2025-01-01",
            "period_end": "2025-12-31", "min_entry_age": 16, "max_entry_age": 65,
            "max_expiry_age": 70}
    assumptions = {"interest": 0.025, "mortality_loading": 1.5, "premium_share": 0.25,
                   "profit_margin": 0.05, "per": 1000.0}
    p = TermLifeProduct({"M": load_table("CL1_2010_2013"), "F": load_table("CL2_2010_2013")},
                        term=1, interest=0.025, mortality_loading=1.5, min_entry_age=16,
                        max_entry_age=65, max_expiry_age=70,
                        expenses=Expenses(premium_share=0.25), profit_margin=0.05)
    ages = np.repeat(LIFE_AGES, 2)
    sexes = np.tile(["M", "F"], len(LIFE_AGES))
    rates = pd.DataFrame({"age": ages, "sex": sexes,
                          "net_premium": np.round(p.net_premium(ages, sexes, 1000.0), 2),
                          "gross_premium": np.round(p.gross_premium(ages, sexes, 1000.0), 2)})
    return info, assumptions, rates, pd.DataFrame(columns=["figure", "value", "tolerance"])


def life_planted(content):
    info, assumptions, rates, results = content
    rates = rates.copy()
    rates.loc[10, "gross_premium"] = _typo(rates.loc[10, "gross_premium"], 2)   # D12 (age 45 M)
    return info, assumptions, rates, results


# --- small business (property) and gig ----------------------------------------------------------

def example_data(family: str, folder) -> Path:
    """Write the example data the ``family`` (smallbiz, gig) filings are recomputed from into
    ``folder`` — what ``puhui datasets example FAMILY [--size N] --out DIR`` writes
    (:data:`EXAMPLE_DATA_SIZE`)."""
    from ..cli import gig, health, smallbiz

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    writer = {"smallbiz": smallbiz.write_example, "gig": gig.write_example,
              "health": health.write_example}[family]
    writer(folder, size=EXAMPLE_DATA_SIZE[family])
    return folder


def _with_data(family: str, data, build):
    if data is not None:
        return build(Path(data))
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return build(example_data(family, Path(tmp) / "data"))


#: The sum insured each smallbiz 费率表 row is priced at (元).
SMALLBIZ_SUM_INSURED = 500_000.0


def smallbiz_content(data=None, *, target_combined_ratio: float | None = None):
    """The clean smallbiz property filing: the example product file's basis, its rates by
    occupancy × location grade at :data:`SMALLBIZ_SUM_INSURED`, and the results of the example
    data (``data``: a folder of :func:`example_data`; made in a temporary folder if None)."""
    from ..smallbiz import Product, example_product_path
    from .smallbiz import experience_values, rate_rows

    p = Product.from_toml(example_product_path("property"))
    t, e = p.terms, p.expenses
    target = p.target_combined_ratio if target_combined_ratio is None else target_combined_ratio
    info = {"code": p.code, "name": p.name, "kind": "property", "cover": t.cover,
            "region": "新城 Xincheng", "period_start": "2025-01-01", "period_end": "2025-12-31",
            "deductible": t.deductible, "payout_ratio": t.payout_ratio,
            "basic_share": t.basic_share}
    assumptions = {"commission": e.commission, "admin": e.admin, "taxes": e.taxes,
                   "protection_fund": e.protection_fund, "per_member": e.per_member,
                   "target_combined_ratio": target}
    if e.per_claim:
        assumptions["per_claim"] = e.per_claim
    rows = [{"occupancy": name, "occupancy_zh": o.zh, "location_grade": g,
             "frequency": o.frequency, "curve": o.curve, "grade_factor": f,
             "sum_insured": SMALLBIZ_SUM_INSURED}
            for name, o in t.occupancies.items() for g, f in t.location_grades.items()]
    rates = pd.DataFrame(rows)
    from dataclasses import replace

    product = replace(p, target_combined_ratio=target)
    priced = rate_rows(product, rates)
    rates["pure_premium"] = priced["pure_premium"].round(2).to_numpy()
    rates["gross_premium"] = priced["gross_premium"].round(2).to_numpy()
    rates["rate_permille"] = priced["rate_permille"].round(4).to_numpy()
    values = _with_data("smallbiz", data, lambda d: experience_values(product, d)[0])
    res = [("book_gross_premium", round(values["book_gross_premium"], 2))]
    classes = sorted(c.split(".", 1)[1] for c in values if c.startswith("ae."))
    for col in ("ae", "credible_ae", "loss_ratio", "expense_ratio", "combined_ratio"):
        res += [(f"{col}.{c}", round(values[f"{col}.{c}"], 6)) for c in classes]
    res.append(("prob_cr_above_100", round(values["prob_cr_above_100"], 6)))
    results = pd.DataFrame(res, columns=["figure", "value"]).assign(tolerance=None)
    return info, assumptions, rates, results


def smallbiz_planted(content, data=None):
    info, assumptions, rates, results = smallbiz_content(data, target_combined_ratio=0.97)
    rates.loc[4, "gross_premium"] = _typo(rates.loc[4, "gross_premium"], 2)   # rates.csv I6
    i = results.index[results["figure"] == "credible_ae.workshop"][0]          # results.csv C14
    results.loc[i, "value"] = float(results.loc[results["figure"] == "ae.workshop",
                                                "value"].iat[0])
    return info, assumptions, rates, results


def _smallbiz_head(p, kind: str, target) -> tuple[dict, dict]:
    e = p.expenses
    info = {"code": p.code, "name": p.name, "kind": kind, "region": "新城 Xincheng",
            "period_start": "2025-01-01", "period_end": "2025-12-31"}
    assumptions = {"commission": e.commission, "admin": e.admin, "taxes": e.taxes,
                   "protection_fund": e.protection_fund, "per_member": e.per_member,
                   "target_combined_ratio": target}
    if e.per_claim:
        assumptions["per_claim"] = e.per_claim
    return info, assumptions


def _smallbiz_results(values: dict, money: tuple[str, ...]) -> pd.DataFrame:
    """The 结果 rows of a liability or employer filing: every value, money to 2 decimals and
    ratios to 6, in the order the family documents the figures."""
    res = [(k, round(x, 2 if k.split(".", 1)[0] in money else 6)) for k, x in values.items()]
    return pd.DataFrame(res, columns=["figure", "value"]).assign(tolerance=None)


def smallbiz_liability_content(data=None, *, target_combined_ratio: float | None = None):
    """The clean smallbiz 公众责任 filing: the example liability product file's basis, its rate
    card for the policy sizes of the example book (:data:`puhui.datasets.smallbiz.
    LIABILITY_SIZES`) and the review of the example data (BF IBNR)."""
    from dataclasses import replace

    from ..datasets.smallbiz import LIABILITY_SIZES
    from ..smallbiz import Product, example_product_path
    from .smallbiz import experience_values, rate_rows

    p = Product.from_toml(example_product_path("liability"))
    t = p.terms
    target = p.target_combined_ratio if target_combined_ratio is None else target_combined_ratio
    product = replace(p, target_combined_ratio=target)
    info, assumptions = _smallbiz_head(p, "liability", target)
    info.update(exposure_base=t.exposure_base, deductible=t.deductible,
                limit_per_accident=t.limit_per_accident, aggregate_limit=t.aggregate_limit,
                ilf_base_limit=t.ilf_base_limit)
    assumptions.update(frequency=t.frequency, severity_median=t.severity_median,
                       severity_sigma=t.severity_sigma, ibnr_method="bornhuetter_ferguson")
    rates = pd.DataFrame({"units": np.asarray(LIABILITY_SIZES, dtype=float)})
    priced = rate_rows(product, rates)
    rates["pure_premium"] = priced["pure_premium"].round(2).to_numpy()
    rates["gross_premium"] = priced["gross_premium"].round(2).to_numpy()
    values = _with_data("smallbiz", data, lambda d: experience_values(product, d)[0])
    order = ("book_gross_premium", "ibnr", "ae", "credible_ae", "loss_ratio", "expense_ratio",
             "combined_ratio", "prob_cr_above_100")
    values = {k: values[k] for base in order for k in values if k.split(".", 1)[0] == base}
    return info, assumptions, rates, _smallbiz_results(values, ("book_gross_premium", "ibnr"))


def smallbiz_liability_planted(content, data=None):
    info, assumptions, rates, results = smallbiz_liability_content(data,
                                                                   target_combined_ratio=0.97)
    rates.loc[3, "gross_premium"] = _typo(rates.loc[3, "gross_premium"], 2)   # rates.csv C5
    i = results.index[results["figure"] == "ibnr.2024"][0]                    # results.csv C7
    results.loc[i, "value"] = round(0.7 * float(results.loc[i, "value"]), 2)
    return info, assumptions, rates, results


def smallbiz_employer_content(data=None, *, target_combined_ratio: float | None = None):
    """The clean smallbiz 雇主责任 filing: the example employer product file's basis (with the
    grades' distribution 伤残等级 1–10), its rates per head for 职业类别 1–6 and the review of
    the example data (years, experience rating, P(CR > 100%))."""
    from dataclasses import replace

    from ..smallbiz import Product, example_product_path
    from .smallbiz import experience_values, rate_rows

    p = Product.from_toml(example_product_path("employer"))
    t = p.terms
    target = p.target_combined_ratio if target_combined_ratio is None else target_combined_ratio
    product = replace(p, target_combined_ratio=target)
    info, assumptions = _smallbiz_head(p, "employer", target)
    info.update(exposure_base=t.exposure_base, death_disability_limit=t.death_disability_limit,
                medical_limit=t.medical_limit, medical_deductible=t.medical_deductible,
                medical_ratio=t.medical_ratio,
                ncd_relativities=", ".join(f"{x:g}" for x in t.ncd_relativities),
                ncd_start=t.ncd_start, ncd_penalty=t.ncd_penalty)
    assumptions.update(average_salary=t.average_salary, death_rate=t.death_rate,
                       disability_rate=t.disability_rate,
                       **{f"disability_grade_{k + 1}": x
                          for k, x in enumerate(t.grade_probabilities)},
                       disability_share=t.disability_share,
                       medical_frequency=t.medical_frequency, medical_median=t.medical_median,
                       medical_sigma=t.medical_sigma, credibility=t.credibility)
    rates = pd.DataFrame({"occupation_class": np.arange(1, 7),
                          "class_factor": np.asarray(t.class_factors)})
    priced = rate_rows(product, rates)
    rates["pure_premium"] = priced["pure_premium"].round(2).to_numpy()
    rates["gross_premium"] = priced["gross_premium"].round(2).to_numpy()
    values = _with_data("smallbiz", data, lambda d: experience_values(product, d)[0])
    return info, assumptions, rates, _smallbiz_results(
        values, ("book_manual_premium", "rated_premium"))


def smallbiz_employer_planted(content, data=None):
    info, assumptions, rates, results = smallbiz_employer_content(data,
                                                                  target_combined_ratio=0.97)
    rates.loc[3, "gross_premium"] = _typo(rates.loc[3, "gross_premium"], 2)   # rates.csv D5
    # experience rating left out: the rated premium filed as the manual premium  (results C3)
    results.loc[results["figure"] == "rated_premium", "value"] = float(
        results.loc[results["figure"] == "book_manual_premium", "value"].iat[0])
    return info, assumptions, rates, results


SEASONS = ("Q1", "Q2", "Q3", "Q4")


def gig_content(data=None, *, premium: float | None = None):
    """The clean gig filing: the example product file's basis with the credible city and season
    factors of the example data (:func:`puhui.gig.review.fit_factors`, limited fluctuation),
    its rates by city × season, and the results of the example data."""
    return _with_data("gig", data, lambda d: _gig_content(d, premium))


def _gig_content(data: Path, premium):
    from ..gig import GigProduct, example_product_path, per_order
    from ..gig.review import fit_factors
    from .gig import experience_values, read_data

    p = GigProduct.from_toml(example_product_path())
    log, claims = read_data(data)
    _, p = fit_factors(p, log, claims, credibility="limited_fluctuation")
    if premium is not None:
        p = p.with_terms(premium=premium)
    e = p.expenses
    info = {"name": p.name, "region": "浙江 Zhejiang", "period_start": "2025-01-01",
            "period_end": "2025-12-31", "premium_basis": p.premium_basis, "premium": p.premium,
            "death_sum": p.death_sum, "disability_sum": p.disability_sum,
            "medical_deductible": p.medical_deductible, "medical_ratio": p.medical_ratio,
            "medical_cap": p.medical_cap, "liability_deductible": p.liability_deductible,
            "liability_limit": p.liability_limit}
    assumptions = {"target_combined_ratio": p.target_combined_ratio,
                   "commission": e.commission, "admin": e.admin, "taxes": e.taxes,
                   "protection_fund": e.protection_fund, "per_claim": e.per_claim,
                   "death_per_million": p.death_rate, "disability_per_million": p.disability_rate,
                   "medical_per_million": p.medical_rate, "medical_median": p.medical_median,
                   "medical_sigma": p.medical_sigma, "liability_per_million": p.liability_rate,
                   "liability_median": p.liability_median,
                   "liability_sigma": p.liability_sigma,
                   **{f"disability_grade_{k + 1}": x
                      for k, x in enumerate(p.grade_probabilities)}}
    cities = sorted(p.city_factors)
    city = np.repeat(cities, len(SEASONS))
    season = np.tile(SEASONS, len(cities))
    q = per_order(p, city.astype(object), season.astype(object))
    rates = pd.DataFrame({"city": city, "season": season,
                          "city_factor": [p.city_factors[c] for c in city],
                          "season_factor": [p.season_factors[s] for s in season],
                          "pure_per_order": np.round(np.asarray(q["pure"], float), 6),
                          "premium_per_order": np.round(np.asarray(q["gross"], float), 6)})
    values = experience_values(p, data)[0]
    res = [("indicated_per_order", round(values["indicated_per_order"], 6))]
    res += [(k, round(values[k], 2)) for k in ("indicated_per_day", "indicated_per_hour",
                                               "filed_per_day")]
    res += [(k, round(values[k], 6)) for k in ("loss_ratio", "expense_ratio", "combined_ratio",
                                               "combined_ratio_large_at_expected",
                                               "prob_cr_above_100")]
    res += [(k, round(x, 6)) for k, x in values.items() if k.startswith(("ae.", "credible_ae."))]
    results = pd.DataFrame(res, columns=["figure", "value"]).assign(tolerance=None)
    return info, assumptions, rates, results


def gig_planted(content, data=None):
    info, assumptions, rates, results = gig_content(data, premium=0.12)      # product.toml
    rates.loc[5, "premium_per_order"] = _typo(rates.loc[5, "premium_per_order"], 6)  # F7
    smooth = results.loc[results["figure"] == "combined_ratio_large_at_expected", "value"]
    results.loc[results["figure"] == "combined_ratio", "value"] = float(smooth.iat[0])  # C8
    return info, assumptions, rates, results


# --- special-group health ------------------------------------------------------------------------

def health_content(data=None, *, target_combined_ratio: float | None = None):
    """The clean health filing: the example product file's basis (:mod:`puhui.life.
    health_product`), its rate card by group × age band and the price and review figures of the
    example data (``puhui datasets example health``)."""
    from ..life.health_product import GROUPS, HealthPlan, example_product_path
    from .health import EXPENSE_KEYS, experience_values, rate_rows

    plan = HealthPlan.from_toml(example_product_path())
    if target_combined_ratio is not None:
        plan = plan.with_terms(target_combined_ratio=target_combined_ratio)
    e = plan.expenses
    info = {"name": plan.name, "region": "新城 Xincheng", "period_start": "2026-01-01",
            "period_end": "2026-12-31", "mortality_table": plan.mortality_table,
            "term": int(plan.term), "age_bands": ", ".join(map(str, plan.age_bands))}
    assumptions = {"lump_sum": plan.lump_sum, "incidence_slope": plan.incidence_slope,
                   "medical_median": plan.medical_median, "medical_sigma": plan.medical_sigma,
                   "deductible": plan.deductible, "payout_ratio": plan.payout_ratio,
                   "limit": plan.limit, "interest": plan.interest,
                   **{k: getattr(e, k) for k in EXPENSE_KEYS if getattr(e, k)},
                   "target_combined_ratio": plan.target_combined_ratio}
    rows = []
    for name, g in plan.groups.items():
        for band in dict.fromkeys(plan.band_of(g.ages)):
            rows.append({"group": name, "group_zh": GROUPS[name], "min_age": g.min_age,
                         "max_age": g.max_age, "incidence_loading": g.incidence_loading,
                         "mortality_loading": g.mortality_loading,
                         "hospital_stays": g.hospital_stays, "premium": g.premium,
                         "age_band": band})
    rates = pd.DataFrame(rows)
    priced = rate_rows(plan, rates)
    rates["net_premium"] = priced["net_premium"].round(2).to_numpy()
    rates["gross_premium"] = priced["gross_premium"].round(2).to_numpy()
    values = _with_data("health", data, lambda d: experience_values(plan, d)[0])
    order = ("required_premium", "expected_cr", "expected_cr_max_group", "prob_cr_above_100",
             "prob_cr_above_100_revised", "ae", "credible_ae", "loss_ratio", "expense_ratio",
             "combined_ratio")
    res = [(k, round(values[k], 2 if base == "required_premium" else 6))
           for base in order for k in values if k.split(".", 1)[0] == base]
    results = pd.DataFrame(res, columns=["figure", "value"]).assign(tolerance=None)
    return info, assumptions, rates, results


def health_planted(content, data=None):
    info, assumptions, rates, results = health_content(data, target_combined_ratio=0.97)
    rates.loc[4, "gross_premium"] = _typo(rates.loc[4, "gross_premium"], 2)   # rates.csv K6
    i = results.index[results["figure"] == "required_premium.poverty_alleviated"][0]   # C4
    results.loc[i, "value"] = round(0.9 * float(results.loc[i, "value"]), 2)
    return info, assumptions, rates, results


BUILDERS = {"huiminbao": (huiminbao_content, huiminbao_planted),
            "crop": (crop_content, crop_planted), "life": (life_content, life_planted),
            "smallbiz": (smallbiz_content, smallbiz_planted), "gig": (gig_content, gig_planted),
            "smallbiz_liability": (smallbiz_liability_content, smallbiz_liability_planted),
            "smallbiz_employer": (smallbiz_employer_content, smallbiz_employer_planted),
            "health": (health_content, health_planted)}
#: Example filings of one family's other kinds: builder name → (family, kind) (the folder is
#: ``NAME_clean`` / ``NAME_planted``; the data is the family's).
KIND_OF = {"smallbiz_liability": ("smallbiz", "liability"),
           "smallbiz_employer": ("smallbiz", "employer")}


def build(families=tuple(BUILDERS), out: Path | None = None, *, data: dict | None = None
          ) -> list[Path]:
    """Write the example filings (clean and planted) of ``families`` under ``out``."""
    from .template import write_folder

    out = Path(out) if out is not None else FILINGS_DIR
    out.mkdir(parents=True, exist_ok=True)
    written = []
    data = data or {}
    from .filing import FAMILIES, SMALLBIZ_KINDS

    for fam in families:
        content, plant = BUILDERS[fam]
        base, kind = KIND_OF.get(fam, (fam, None))
        schema = SMALLBIZ_KINDS[kind] if kind else FAMILIES[fam]
        if base in EXAMPLE_DATA_SIZE:
            clean = content(data.get(base))
            planted = plant(clean, data.get(base))
        else:
            clean = content()
            planted = plant(clean)
        for kind, c in (("clean", clean), ("planted", planted)):
            target = out / f"{fam}_{kind}"
            if target.exists():
                shutil.rmtree(target)
            written.append(write_folder(target, schema, *c))
    return written


if __name__ == "__main__":  # pragma: no cover
    import sys

    args = sys.argv[1:]
    # ``smallbiz`` regenerates every kind of the family (property, liability, employer)
    names = [n for a in args for n in ([a, *(k for k, (f, _) in KIND_OF.items() if f == a)])]
    for p in build(names or tuple(BUILDERS)):
        print(p)
