"""Seeded special-group experience (特定人群经验数据): a disabled cohort's term life, an
elderly accident product with community groups, and a renewal census.

Three parts, each with a planted truth recorded in ``special_groups/planted.json``:

1. **Term life records** (``lives.parquet``): the 5-year level-premium term product
   ``DIS-TERM`` sold to disabled people (残疾人定期寿险, priced at 150 % of CL1/CL2 of
   中国人身保险业经验生命表（2010－2013）) and the same cover ``STD-TERM`` sold to a standard
   cohort (priced at 100 %), entry 2018–2023, observed to 2024-12-31. True mortality:
   **1.6 × table** for the disabled cohort, 1.0 × for the standard one; constant force
   within each year of age, ``μ_x = −ln(1 − min(f·q_x, 1))``. Lapses at 3 % (disabled) and
   5 % (standard) a year; maturity after 5 years.
2. **Elderly accident cover** ``YL-ACC`` (老年人意外险 "银龄安康", illustrative) sold to
   community groups (社区/村) for the policy years 2022–2024: one ``policies`` row per community
   × year × age band (exposure = members), claims valued at 2025-01-31 (claims not yet reported
   are IBNR, open claims carry a case reserve). Lines: 意外身故 30,000 元; 意外伤残 30,000 ×
   grade share; 意外医疗 cost X lognormal (median 1,500 元, σ 1.0) paid
   ``min(0.9 (X − 100)₊, 10,000)``. True event rates equal the filed basis except medical at
   80–89 (**0.056 against 0.045**, A/E 1.244); every community has its own frequency factor
   θ ~ Gamma(mean 1, CV 0.15), recorded in the truth.
3. **Renewal census** (``census.csv``) of the communities for 2025: lives by age and sex.

Everything is vectorised; loops run over the three policy years, the lines or the cohorts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SEED = 20190101
VALUATION_DATE = "2025-01-31"
STUDY_START, STUDY_END = "2019-01-01", "2024-12-31"
POLICY_YEARS = (2022, 2023, 2024)
CENSUS_YEAR = 2025

#: Term life products: basis loading (pricing), true loading (planted), lapse rate, lives.
TERM_LIFE = {
    "term": 5, "interest": 0.025, "min_entry_age": 18, "max_entry_age": 60, "max_expiry_age": 65,
    "expenses": {"initial_premium_share": 0.15, "premium_share": 0.10, "per_policy": 15.0},
    "profit_margin": 0.03, "tables": {"M": "CL1_2010_2013", "F": "CL2_2010_2013"},
    "cohorts": {
        "disabled": {"product": "DIS-TERM", "basis_loading": 1.5, "true_loading": 1.6,
                     "lapse_rate": 0.03, "lives": 12_000, "age_beta": (2.2, 1.3),
                     "male_share": 0.58, "sums_insured": (50_000, 100_000),
                     "si_weights": (0.7, 0.3)},
        "standard": {"product": "STD-TERM", "basis_loading": 1.0, "true_loading": 1.0,
                     "lapse_rate": 0.05, "lives": 6_000, "age_beta": (1.8, 1.6),
                     "male_share": 0.52, "sums_insured": (100_000, 200_000),
                     "si_weights": (0.6, 0.4)},
    },
    "entry_from": "2018-01-01", "entry_to": "2023-12-31",
}

BANDS = (60, 70, 80)
BAND_LABELS = ("60-69", "70-79", "80-89")
#: Elderly accident product: benefits, basis (filed) and true event rates per band.
ACCIDENT = {
    "product": "YL-ACC", "min_entry_age": 60, "max_entry_age": 89,
    "death_sum": 30_000.0, "disability_sum": 30_000.0,
    "disability_grade_probabilities": (0.01, 0.02, 0.03, 0.04, 0.06, 0.08, 0.11, 0.15, 0.20, 0.30),
    "medical": {"deductible": 100.0, "payout_ratio": 0.9, "cap": 10_000.0,
                "median": 1_500.0, "sigma": 1.0},
    "basis_frequency": {"death": (0.0006, 0.0012, 0.0030),
                        "disability": (0.0010, 0.0016, 0.0026),
                        "medical": (0.020, 0.030, 0.045)},
    "true_frequency": {"death": (0.0006, 0.0012, 0.0030),
                       "disability": (0.0010, 0.0016, 0.0026),
                       "medical": (0.020, 0.030, 0.056)},
    "community_cv": 0.15, "communities": 40, "median_members": 550, "members_sigma": 0.6,
    "expenses": {"premium_share": 0.20, "per_policy": 2.0}, "profit_margin": 0.03,
    # delays in days: lognormal (median, sigma) from accident to report, report to settlement
    "report_delay": {"death": (7, 0.8), "disability": (45, 0.8), "medical": (12, 1.0)},
    "settle_delay": {"death": (20, 0.6), "disability": (60, 0.6), "medical": (15, 0.7)},
    "case_reserve_sigma": 0.15,
}
LINES = ("death", "disability", "medical")


def term_products() -> dict:
    """The filed term products by cohort (:class:`puhui.life.products.TermLifeProduct`)."""
    from ..life import Expenses, load_table
    from ..life.products import TermLifeProduct

    c = TERM_LIFE
    tables = {s: load_table(n) for s, n in c["tables"].items()}
    return {name: TermLifeProduct(tables, term=c["term"], interest=c["interest"],
                                  mortality_loading=k["basis_loading"],
                                  min_entry_age=c["min_entry_age"],
                                  max_entry_age=c["max_entry_age"],
                                  max_expiry_age=c["max_expiry_age"],
                                  expenses=Expenses(**c["expenses"]),
                                  profit_margin=c["profit_margin"], name=k["product"])
            for name, k in c["cohorts"].items()}


def accident_product(frequency: str = "basis"):
    """The elderly accident product ``YL-ACC`` on the ``"basis"`` or ``"true"`` rates."""
    from scipy import stats

    from ..benefits import Benefit
    from ..life import Expenses
    from ..life.accident import AccidentLine, AccidentProduct, disability_grades, fixed_sum

    a = ACCIDENT
    rates = a[f"{frequency}_frequency"]
    med = a["medical"]
    lines = [
        AccidentLine("death", dict(zip(BANDS, rates["death"], strict=True)), fixed_sum(a["death_sum"])),
        AccidentLine("disability", dict(zip(BANDS, rates["disability"], strict=True)),
                     disability_grades(a["disability_sum"], a["disability_grade_probabilities"])),
        AccidentLine("medical", dict(zip(BANDS, rates["medical"], strict=True)),
                     stats.lognorm(s=med["sigma"], scale=med["median"]),
                     Benefit(deductible=med["deductible"], payout_ratio=med["payout_ratio"],
                             cap=med["cap"])),
    ]
    return AccidentProduct(lines, min_entry_age=a["min_entry_age"],
                           max_entry_age=a["max_entry_age"], expenses=Expenses(**a["expenses"]),
                           profit_margin=a["profit_margin"], name=a["product"])


# ---------------------------------------------------------------------- term life records
def _lives(rng, scale: float) -> tuple[pd.DataFrame, dict]:
    from ..experience.mortality import exact_age
    from ..life import load_table

    c = TERM_LIFE
    tables = {s: load_table(n) for s, n in c["tables"].items()}
    products = term_products()
    start = np.datetime64(c["entry_from"])
    span = int((np.datetime64(c["entry_to"]) - start).astype(int)) + 1
    study_end = np.datetime64(STUDY_END)
    frames, truth = [], {}
    for name, k in c["cohorts"].items():  # two cohorts
        n = max(int(round(k["lives"] * scale)), 100)
        entry = start + rng.integers(0, span, n).astype("timedelta64[D]")
        lo, hi = c["min_entry_age"], c["max_entry_age"]
        whole = lo + np.floor((hi + 1 - lo) * rng.beta(*k["age_beta"], n))  # 周岁 at entry
        part = rng.uniform(0.02, 0.98, n)             # away from birthdays: 周岁 stays whole
        birth = entry - np.round((whole + part) * 365.25).astype("timedelta64[D]")
        a0 = exact_age(birth, entry)
        sex = np.where(rng.random(n) < k["male_share"], "M", "F")
        # death age by inverting the cumulative force of the true (loaded) table
        death_age = np.empty(n)
        for s, t in tables.items():
            m = sex == s
            q = np.minimum(k["true_loading"] * t.qx, 1.0)
            with np.errstate(divide="ignore"):
                mu = -np.log1p(-np.minimum(q, 1 - 1e-12))
            knots = np.concatenate([[0.0], np.cumsum(mu)])
            ages = np.arange(knots.size, dtype=float) + t.first_age
            h0 = np.interp(a0[m], ages, knots)
            death_age[m] = np.interp(h0 + rng.exponential(1.0, m.sum()), knots, ages)
        to_death = np.maximum(np.ceil((death_age - a0) * 365.25), 1).astype("timedelta64[D]")
        to_lapse = np.maximum(np.ceil(rng.exponential(1 / k["lapse_rate"], n) * 365.25),
                              1).astype("timedelta64[D]")
        maturity = (pd.DatetimeIndex(entry) + pd.DateOffset(years=c["term"])).to_numpy(
            "datetime64[D]")
        candidates = np.stack([entry + to_death, entry + to_lapse, maturity,
                               np.full(n, study_end)])
        which = np.argmin(candidates, axis=0)
        exit_ = candidates[which, np.arange(n)]
        reason = np.array(["death", "lapse", "maturity", "censor"])[which]
        si = rng.choice(k["sums_insured"], n, p=k["si_weights"]).astype(float)
        premium = products[name].gross_premium(whole, sex, si).round(2)
        frames.append(pd.DataFrame({
            "group": name, "product": k["product"], "sex": sex,
            "birth_date": birth.astype("datetime64[ns]"),
            "entry_date": entry.astype("datetime64[ns]"),
            "exit_date": exit_.astype("datetime64[ns]"), "exit_reason": reason,
            "sum_insured": si, "premium": premium}))
        truth[name] = {"lives": n, "true_loading": k["true_loading"],
                       "basis_loading": k["basis_loading"], "lapse_rate": k["lapse_rate"],
                       "exits": {r: int(np.sum(reason == r)) for r in
                                 ("death", "lapse", "maturity", "censor")}}
    lives = pd.concat(frames, ignore_index=True)
    lives.insert(0, "policy_id", [f"SGL{i:06d}" for i in range(1, len(lives) + 1)])
    return lives, truth


# ---------------------------------------------------------------------- accident groups
def _members(rng, communities: int) -> tuple[np.ndarray, np.ndarray]:
    """Members by community × year (2022–2025) × age 60–89 × sex (0 = M, 1 = F)."""
    a = ACCIDENT
    base = np.clip(np.round(a["median_members"] * np.exp(a["members_sigma"]
                                                        * rng.standard_normal(communities))),
                   120, 2_500)
    growth = np.exp(np.cumsum(0.03 + 0.04 * rng.standard_normal((communities, 4)), axis=1))
    sizes = np.round(base[:, None] * growth).astype(np.int64)
    ages = np.arange(60, 90)
    ageing = 0.05 + 0.04 * rng.random(communities)            # older rural communities
    w_age = np.exp(-ageing[:, None] * (ages - 60)[None, :])
    f_share = np.clip(0.5 + 0.006 * (ages - 60), 0, 1)
    p = np.stack([w_age * (1 - f_share), w_age * f_share], axis=-1).reshape(communities, -1)
    p /= p.sum(axis=1, keepdims=True)
    counts = rng.multinomial(sizes, p[:, None, :])            # (communities, years, ages·2)
    return counts.reshape(communities, 4, ages.size, 2), ages


def _accident(rng, scale: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    from ..benefits import Benefit

    a = ACCIDENT
    n_comm = max(int(round(a["communities"] * scale)), 6)
    comm = np.array([f"C{i:02d}" for i in range(1, n_comm + 1)])
    counts, ages = _members(rng, n_comm)
    shape = 1 / a["community_cv"] ** 2
    theta = rng.gamma(shape, 1 / shape, n_comm)
    band = np.searchsorted(np.array(BANDS), ages, side="right") - 1
    by_band = np.stack([counts[:, :, band == b, :].sum(axis=(2, 3)) for b in range(3)], -1)
    gross = accident_product("basis").gross_premium(np.array(BANDS, dtype=float)).round(2)

    yrs = np.array(POLICY_YEARS)
    ci, yi, bi = np.meshgrid(np.arange(n_comm), np.arange(len(yrs)), np.arange(3),
                             indexing="ij")
    ci, yi, bi = ci.ravel(), yi.ravel(), bi.ravel()
    members = by_band[ci, yi, bi].astype(float)
    pid = np.char.add(np.char.add(np.char.add("YL-", yrs[yi].astype(str)),
                                  np.char.add("-", comm[ci])),
                      np.char.add("-", np.array(["60", "70", "80"])[bi]))
    policies = pd.DataFrame({
        "policy_id": pid, "product": a["product"], "region": comm[ci],
        "segment": np.array(BAND_LABELS)[bi],
        "start_date": pd.to_datetime(yrs[yi].astype(str)),
        "end_date": pd.to_datetime(np.char.add(yrs[yi].astype(str), "-12-31")),
        "sum_insured": members * a["death_sum"], "premium": (members * gross[bi]).round(2),
        "exposure": members, "exposure_unit": "人", "policy_year": yrs[yi]})

    med = a["medical"]
    benefit = Benefit(deductible=med["deductible"], payout_ratio=med["payout_ratio"],
                      cap=med["cap"])
    val = np.datetime64(VALUATION_DATE)
    parts, expected = [], {}
    for line in LINES:  # three benefit lines
        lam = np.array(a["true_frequency"][line])[bi] * theta[ci]
        n = rng.poisson(lam * members)
        expected[line] = {"basis": float(np.sum(np.array(a["basis_frequency"][line])[bi]
                                                * members)),
                          "true": float(np.sum(lam * members)), "events": int(n.sum())}
        row = np.repeat(np.arange(members.size), n)
        days = np.where(yrs[yi[row]] % 4 == 0, 366, 365)
        acc = (pd.to_datetime(yrs[yi[row]].astype(str)).to_numpy("datetime64[D]")
               + np.floor(rng.random(row.size) * days).astype("timedelta64[D]"))
        if line == "medical":
            cost = np.exp(np.log(med["median"]) + med["sigma"] * rng.standard_normal(row.size))
            pay = benefit.pay(cost)
        elif line == "death":
            pay = np.full(row.size, a["death_sum"])
        else:
            grade = rng.choice(10, row.size, p=a["disability_grade_probabilities"])
            pay = a["disability_sum"] * (10 - grade) / 10.0
        rm, rs = a["report_delay"][line]
        sm, ss = a["settle_delay"][line]
        rep = acc + np.floor(rm * np.exp(rs * rng.standard_normal(row.size))).astype(
            "timedelta64[D]")
        stl = rep + np.floor(sm * np.exp(ss * rng.standard_normal(row.size))).astype(
            "timedelta64[D]")
        noise = np.exp(a["case_reserve_sigma"] * rng.standard_normal(row.size))
        parts.append(pd.DataFrame({"policy_id": pid[row], "accident_date": acc,
                                   "report_date": rep, "settle": stl, "payout": pay,
                                   "noise": noise, "benefit_line": line, "year": yrs[yi[row]]}))
    allc = pd.concat(parts, ignore_index=True)
    allc = allc[allc["payout"] > 0]                       # a cost under the 免赔额 is no claim
    ibnr = allc[allc["report_date"].to_numpy() > val]
    claims = allc[allc["report_date"].to_numpy() <= val].sort_values(
        ["accident_date", "policy_id", "benefit_line"], kind="stable").reset_index(drop=True)
    closed = claims["settle"].to_numpy() <= val
    claims = pd.DataFrame({
        "claim_id": [f"YLC{i:06d}" for i in range(1, len(claims) + 1)],
        "policy_id": claims["policy_id"],
        "accident_date": claims["accident_date"].astype("datetime64[ns]"),
        "report_date": claims["report_date"].astype("datetime64[ns]"),
        "paid": np.where(closed, claims["payout"], 0.0).round(2),
        "case_reserve": np.where(closed, 0.0, (claims["payout"] * claims["noise"]).round(0)),
        "status": np.where(closed, "closed", "open"),
        "payment_date": pd.Series(claims["settle"].astype("datetime64[ns]")).where(closed),
        "benefit_line": claims["benefit_line"]})

    cen = counts[:, 3]                                    # 2025 renewal
    gi, ai, si = np.nonzero(cen)
    census = pd.DataFrame({"group": comm[gi], "age": ages[ai], "sex": np.array(["M", "F"])[si],
                           "lives": cen[gi, ai, si]})
    truth = {
        "communities": n_comm, "community_factor": dict(zip(comm.tolist(), theta.tolist(), strict=True)),
        "members_by_year": {str(y): int(by_band[:, i].sum()) for i, y in enumerate(yrs)},
        "lines": expected,
        "paying_claims_by_year": {str(y): int(np.sum(allc["year"] == y)) for y in yrs},
        "ibnr_claims_by_year": {str(y): int(np.sum(ibnr["year"] == y)) for y in yrs},
        "ibnr_amount_by_year": {str(y): float(ibnr.loc[ibnr["year"] == y, "payout"].sum())
                                for y in yrs},
        "gross_premium_by_band": dict(zip(BAND_LABELS, gross.tolist(), strict=True)),
        "census_lives": int(cen.sum()),
    }
    return policies, claims, census, truth


def generate_special_groups(seed: int = SEED, scale: float = 1.0) -> dict:
    """All special-group tables and the truth, as written to ``data/special_groups/``.

    Term life records use ``default_rng([seed, 0])``, the accident groups ``[seed, 1]``.
    ``scale`` shrinks the number of lives (12,000 + 6,000 × scale, at least 100 a cohort) and
    communities (40 × scale, at least 6).
    """
    lives, life_truth = _lives(np.random.default_rng([seed, 0]), scale)
    policies, claims, census, acc_truth = _accident(np.random.default_rng([seed, 1]), scale)
    planted = {
        "seed": seed, "study_start": STUDY_START, "study_end": STUDY_END,
        "valuation_date": VALUATION_DATE, "policy_years": list(POLICY_YEARS),
        "census_year": CENSUS_YEAR,
        "term_life": {**{k: v for k, v in TERM_LIFE.items() if k != "cohorts"},
                      "cohorts": life_truth},
        "accident": {**{k: v for k, v in ACCIDENT.items()}, "bands": list(BAND_LABELS),
                     "truth": acc_truth},
    }
    return {"lives": lives, "accident_policies": policies, "accident_claims": claims,
            "census": census, "planted": planted}


# ---------------------------------------------------------------------- checks
# The rules of the two tables that are not data-model kinds; the loader
# (:func:`puhui.datasets.loaders.load_special_groups`) applies them.
def _raise_if(checks, table):
    from ..errors import DataError, Problem

    problems = [Problem(table, col, int(r) + 1, rule, "value breaks the rule")
                for col, mask, rule in checks for r in np.flatnonzero(np.asarray(mask))]
    if problems:
        raise DataError(problems)


def _checked_lives(df: pd.DataFrame) -> pd.DataFrame:
    for c in ("birth_date", "entry_date", "exit_date"):
        df[c] = pd.to_datetime(df[c], errors="coerce")
    _raise_if([("policy_id", df["policy_id"].duplicated(keep=False), "duplicate_id"),
               ("sex", ~df["sex"].isin(["M", "F"]), "not_allowed"),
               ("exit_reason", ~df["exit_reason"].isin(["death", "lapse", "maturity", "censor"]),
                "not_allowed"),
               ("entry_date", df["entry_date"].isna() | (df["entry_date"] <= df["birth_date"]),
                "end_before_start"),
               ("exit_date", df["exit_date"].isna() | (df["exit_date"] < df["entry_date"]),
                "end_before_start"),
               ("sum_insured", ~(df["sum_insured"] > 0), "out_of_range"),
               ("premium", ~(df["premium"] > 0), "out_of_range")], "lives.parquet")
    return df


def _checked_census(df: pd.DataFrame) -> pd.DataFrame:
    _raise_if([("group", df.duplicated(["group", "age", "sex"], keep=False), "duplicate_key"),
               ("age", ~df["age"].between(ACCIDENT["min_entry_age"], ACCIDENT["max_entry_age"]),
                "out_of_range"),
               ("sex", ~df["sex"].isin(["M", "F"]), "not_allowed"),
               ("lives", ~(df["lives"] > 0), "out_of_range")], "census.csv")
    return df


__all__ = ["SEED", "accident_product", "generate_special_groups", "term_products"]
