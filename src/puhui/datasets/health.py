"""Seeded member-years and claims of special-group health cover (特定人群普惠健康险, example).

Two policy years (2024, 2025) of the example product file (``puhui.life``'s
``health_example.toml``) sold to three groups: **1,500 老年人** aged 60–79, **800 残疾人** aged
30–69 and **1,000 脱贫人口** aged 40–64 at entry — about 6,000 member-years, small enough for
fast tests.

* **member-years** — one row per member × policy year in force: ``member``, ``group``,
  ``age`` (at the start of the policy year), ``exposure`` (member-years, 0–1), ``policy_year``.
  In 2024 85 % of members are in force all year and 15 % join during it (exposure uniform on
  0.1–1). A member renews for 2025 unless the member died (table q × the group's mortality
  loading), had a cancer diagnosis (the cover ends at the first one), passed the group's
  highest age or lapsed (8 %); 10 % new members join during 2025 (partial exposure).
* **claims** — one row per cancer diagnosis (``line`` cancer, ``cost`` the 10,000 元 lump sum)
  or hospital stay (``line`` medical, ``cost`` the out-of-pocket cost after basic medical
  insurance, ground-up — every stay is listed, as an insurer settling with 医保 一站式结算
  sees them, so a review or a tuning can recompute the payout of any 起付线). Cancer
  ``~ Bernoulli(exposure · g ι(age))`` with the NCC-calibrated incidence ι, stays
  ``~ Poisson(exposure · λ)``, costs lognormal.

The **planted truth** (:data:`TRUTH`) departs from the product file's basis in two places, the
deviations a review should find: the 老年人 have **0.19 hospital stays** a year (priced 0.15:
frequency × 1.27) and the 残疾人's stays cost more, **median 1,100 元** (priced 800: severity).
Everything else is the basis (cancer incidence on the basis in every group: with ~40 diagnoses
in two years a review cannot test it credibly, and the report says so).

>>> d = load_health()
>>> sorted(d["members"]["group"].unique()), bool(4_000 < d["members"]["exposure"].sum() < 8_000)
(['disabled', 'elderly', 'poverty_alleviated'], True)
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..life.health import cancer_incidence
from ..life.health_product import HealthPlan, example_product_path

SEED = 20250317
YEARS = (2024, 2025)
#: Members at the start of 2024, by group.
MEMBERS = {"elderly": 1_500, "disabled": 800, "poverty_alleviated": 1_000}
#: The planted truth: where the experience departs from the example product file's basis.
TRUTH = {
    "hospital_stays": {"elderly": 0.19, "disabled": 0.20, "poverty_alleviated": 0.10},
    "cost_median": {"elderly": 800.0, "disabled": 1_100.0, "poverty_alleviated": 800.0},
    "cost_sigma": 1.0,
    "incidence_loading": {"elderly": 1.0, "disabled": 1.1, "poverty_alleviated": 1.2},
    "late_joiners": 0.15, "lapse": 0.08, "new_members": 0.10,
}


def generate_health(seed: int = SEED, scale: float = 1.0) -> dict:
    """Generate the member-years, the claims and the truth (see the module docstring);
    ``scale`` multiplies the number of members of every group (the example is 1)."""
    k = float(scale)
    if not (np.isfinite(k) and k > 0):
        raise ParameterError(f"scale must be > 0, got {scale!r}")
    plan = HealthPlan.from_toml(example_product_path())
    rng = np.random.default_rng(seed)
    t = TRUTH
    years, claims = [], []
    next_id = 1
    for group, n0 in MEMBERS.items():
        g = plan.group(group)
        n = max(1, int(round(n0 * k)))
        ids = np.arange(next_id, next_id + n)
        next_id += n
        age = rng.integers(g.min_age, g.max_age + 1, size=n)
        late = rng.random(n) < t["late_joiners"]
        exposure = np.where(late, np.round(rng.uniform(0.1, 1.0, n), 4), 1.0)
        had_cancer = np.zeros(n, bool)
        for y, year in enumerate(YEARS):
            if y > 0:  # renewals and new members
                q = np.minimum(g.mortality_loading * plan.table.qx[age - plan.table.first_age],
                               1.0)
                stay = ((rng.random(ids.size) >= q) & ~had_cancer
                        & (rng.random(ids.size) >= t["lapse"]) & (age + 1 <= g.max_age))
                m = max(1, int(round(n * t["new_members"])))
                new_ids = np.arange(next_id, next_id + m)
                next_id += m
                ids = np.concatenate([ids[stay], new_ids])
                age = np.concatenate([age[stay] + 1,
                                      rng.integers(g.min_age, g.max_age + 1, size=m)])
                exposure = np.concatenate([np.ones(int(stay.sum())),
                                           np.round(rng.uniform(0.1, 1.0, m), 4)])
            inc = np.minimum(t["incidence_loading"][group]
                             * cancer_incidence(age, plan.incidence_slope), 1.0)
            had_cancer = rng.random(ids.size) < exposure * inc
            stays = rng.poisson(exposure * t["hospital_stays"][group])
            cost = np.round(rng.lognormal(np.log(t["cost_median"][group]), t["cost_sigma"],
                                          int(stays.sum())), 2)
            who = np.concatenate([ids[had_cancer], np.repeat(ids, stays)])
            at = np.concatenate([age[had_cancer], np.repeat(age, stays)])
            years.append(pd.DataFrame({"member": ids, "group": group, "age": age,
                                       "exposure": exposure, "policy_year": year}))
            claims.append(pd.DataFrame({
                "member": who, "policy_year": year, "group": group, "age": at,
                "line": np.repeat(["cancer", "medical"],
                                  [int(had_cancer.sum()), int(stays.sum())]),
                "cost": np.concatenate([np.full(int(had_cancer.sum()), plan.lump_sum), cost])}))
    members = pd.concat(years, ignore_index=True)
    members["member"] = [f"H{i:06d}" for i in members["member"]]
    members = members.sort_values(["policy_year", "member"], kind="stable",
                                  ignore_index=True)
    c = pd.concat(claims, ignore_index=True)
    c["member"] = [f"H{i:06d}" for i in c["member"]]
    c = c.sort_values(["policy_year", "member", "line"], kind="stable", ignore_index=True)
    c.insert(0, "claim_id", [f"C{i:06d}" for i in range(1, len(c) + 1)])
    members["age"] = members["age"].astype(np.int64)
    members["policy_year"] = members["policy_year"].astype(np.int64)
    c["age"] = c["age"].astype(np.int64)
    c["policy_year"] = c["policy_year"].astype(np.int64)
    return {"members": members, "claims": c, "truth": t, "seed": seed}


@lru_cache(maxsize=4)
def _cached(seed: int, scale: float) -> dict:
    return generate_health(seed, scale)


def load_health(seed: int = SEED, scale: float = 1.0) -> dict:
    """The example data (cached): ``{"members", "claims", "truth", "seed"}``; the frames are
    copies, safe to change."""
    d = _cached(int(seed), float(scale))
    return {"members": d["members"].copy(), "claims": d["claims"].copy(), "truth": d["truth"],
            "seed": d["seed"]}


__all__ = ["MEMBERS", "SEED", "TRUTH", "YEARS", "generate_health", "load_health"]
