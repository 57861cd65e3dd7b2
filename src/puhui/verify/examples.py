"""The bundled example filings (``src/puhui/datasets/filings/``), built from the bundled data and
puhui's own results, deterministically: one clean filing per family that verifies, and one with
planted errors that ``puhui verify`` must name, each by sheet and cell, and nothing else.

Planted errors (:data:`PLANTED`):

* 惠民保 — IBNR of the latest policy year understated by 30% (结果); the expense ratio of that
  year under-allocated (the 0.8% 保险保障基金 left out, 结果);
* crop — a rate typed wrong in one cell, a loading above the 25% cap, a rate factor outside the
  [0.75, 1.25] band, a sum insured above 80% of the planting income (all 费率表) and the
  综合费用率 under-allocated (结果: below the sum of the expense items);
* life — a gross premium typed wrong in one cell (费率表).

Regenerate with ``python -m puhui.verify.examples`` (rewrites the folders byte for byte).
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
}


def example_path(family: str, kind: str = "clean") -> Path:
    """The folder of a bundled example filing."""
    from ..errors import ParameterError

    if kind not in KINDS:
        raise ParameterError(f"example kind must be one of {KINDS}, got {kind!r}")
    path = FILINGS_DIR / f"{family}_{kind}"
    if not path.is_dir():
        raise ParameterError(f"no bundled example filing {path.name} (families: huiminbao, "
                             "crop, life)")
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


BUILDERS = {"huiminbao": (huiminbao_content, huiminbao_planted),
            "crop": (crop_content, crop_planted), "life": (life_content, life_planted)}


def build(families=("huiminbao", "crop", "life"), out: Path | None = None) -> list[Path]:
    """Write the example filings (clean and planted) of ``families`` under ``out``."""
    from .template import write_folder

    out = Path(out) if out is not None else FILINGS_DIR
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for fam in families:
        content, plant = BUILDERS[fam]
        clean = content()
        for kind, c in (("clean", clean), ("planted", plant(clean))):
            target = out / f"{fam}_{kind}"
            if target.exists():
                shutil.rmtree(target)
            written.append(write_folder(target, fam, *c))
    return written


if __name__ == "__main__":  # pragma: no cover
    import sys

    for p in build(sys.argv[1:] or ("huiminbao", "crop", "life")):
        print(p)
