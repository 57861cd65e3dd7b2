"""Seeded generator of the bundled 惠民保 city product (members, costs, claims, planted truth).

Members (参保人) of the fictitious city product ``HMB-XC`` over the policy years 2023–2025:

* **entry**: age 18–95 as ``18 + ⌊78·B⌋`` with ``B ~ Beta(1.8, 2.0)`` (mean ≈ 54: 惠民保 skews
  old, DOMAIN.md "anti-selection"), sex 52% F, 既往症 with probability
  ``logistic(−2.3 + 0.055·(age − 55))`` (≈ 12% overall, 3% under 40, 34% at 80+), and a
  latent frailty (individual risk level) 0.6 / 1.0 / 1.6 with weights 0.3 / 0.5 / 0.2 (mean 1);
* **renewal** (续保) with churn: the probability of renewing falls with the price rise
  (89 → 99 → 109 元) and is lowest for the healthiest (low-frailty) members; members who received
  a payout renew more often. New members refill the book toward a falling target (participation
  100% → 98% → 94% of the first year), so the book drifts toward higher frailty: anti-selection;
* **costs**: each member × benefit line has a covered cost with probability
  ``q_basis × planted × frailty`` and a cost drawn from the line's severity mixture
  (``huiminbao_basis``), rounded up to the fen;
* **claims**: see :mod:`puhui.datasets.huiminbao_claims`.

All randomness comes from ``numpy.random.default_rng(seed)``; no loop runs per member.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import huiminbao_basis as B

SEED = 20230101
VALUATION_DATE = "2026-02-28"
FRAILTY_LEVELS = np.array([0.6, 1.0, 1.6])
FRAILTY_WEIGHTS = np.array([0.3, 0.5, 0.2])
#: Renewal probability into ``year`` by frailty class (low, mid, high) after the price rise.
RETENTION = {2024: (0.70, 0.78, 0.86), 2025: (0.62, 0.74, 0.85)}
RETENTION_CLAIMANT = 0.92  # members who received a payout in the previous year
PARTICIPATION = {2023: 1.00, 2024: 0.98, 2025: 0.94}  # target size relative to 2023
FEMALE_SHARE = 0.52


@dataclass
class MemberYear:
    """The members of one policy year as arrays (one entry per member)."""

    year: int
    member_no: np.ndarray
    age: np.ndarray
    female: np.ndarray
    preexisting: np.ndarray
    frailty_class: np.ndarray
    renewed: np.ndarray

    def take(self, mask: np.ndarray) -> MemberYear:
        return MemberYear(self.year, *(getattr(self, f)[mask] for f in
                                       ("member_no", "age", "female", "preexisting",
                                        "frailty_class", "renewed")))

    @property
    def band(self) -> np.ndarray:
        return B.age_band_index(self.age)

    @property
    def segment(self) -> np.ndarray:
        return np.where(self.preexisting, "preexisting", "healthy").astype(object)

    @property
    def frailty(self) -> np.ndarray:
        return FRAILTY_LEVELS[self.frailty_class]


def _entrants(rng: np.random.Generator, n: int, first_no: int, year: int) -> MemberYear:
    age = B.MIN_AGE + np.floor((B.MAX_AGE - B.MIN_AGE + 1) * rng.beta(1.8, 2.0, n)).astype(
        np.int64)
    p_pre = 1.0 / (1.0 + np.exp(-(-2.3 + 0.055 * (age - 55))))
    return MemberYear(
        year=year,
        member_no=np.arange(first_no, first_no + n, dtype=np.int64),
        age=age,
        female=rng.random(n) < FEMALE_SHARE,
        preexisting=rng.random(n) < p_pre,
        frailty_class=rng.choice(3, size=n, p=FRAILTY_WEIGHTS),
        renewed=np.zeros(n, bool),
    )


def _renew(rng: np.random.Generator, prev: MemberYear, had_payout: np.ndarray, year: int,
           target: int) -> MemberYear:
    p = np.asarray(RETENTION[year])[prev.frailty_class]
    p = np.where(had_payout, RETENTION_CLAIMANT, p)
    keep = (rng.random(len(p)) < p) & (prev.age + 1 <= B.MAX_AGE)
    stay = prev.take(keep)
    stay = MemberYear(year, stay.member_no, stay.age + 1, stay.female, stay.preexisting,
                      stay.frailty_class, np.ones(len(stay.age), bool))
    new = _entrants(rng, max(target - len(stay.age), 0), int(prev.member_no.max()) + 1, year)
    return MemberYear(year, *(np.concatenate([getattr(stay, f), getattr(new, f)]) for f in
                              ("member_no", "age", "female", "preexisting", "frailty_class",
                               "renewed")))


def design_arrays(line: str, preexisting: np.ndarray):
    """起付线, 赔付比例 and 封顶线 of ``line`` for each member (by 既往症 flag)."""
    h, p = B.DESIGN[line]["healthy"], B.DESIGN[line]["preexisting"]
    return tuple(np.where(preexisting, p[i], h[i]) for i in range(3))


def payout(cost, deductible, ratio, cap) -> np.ndarray:
    """Payout of a layer, ``min(r·(x − d)₊, C)``, rounded to the fen (0.01 元)."""
    return np.round(np.minimum(ratio * np.maximum(np.asarray(cost) - deductible, 0.0), cap), 2)


@dataclass
class LineDraw:
    """Costs and payouts of the members of one year on one benefit line."""

    line: str
    probability: np.ndarray  # true probability of a cost (individual)
    cost: np.ndarray  # 0 where no cost
    payout: np.ndarray


def draw_costs(rng: np.random.Generator, members: MemberYear) -> list[LineDraw]:
    """Annual covered costs and payouts of every member on every line."""
    band, seg, n = members.band, members.segment, len(members.age)
    out = []
    for line in B.LINES:
        q = (B.basis_frequency(seg, band, line)
             * B.planted_multipliers("frequency", members.year, seg, band, line)
             * members.frailty)
        if q.max() > 1.0:  # pragma: no cover - guards the constants above
            raise AssertionError(f"cost probability above 1 on {line}")
        scale = (B.basis_scale(members.year, seg, band)
                 * B.planted_multipliers("severity", members.year, seg, band, line))
        has = rng.random(n) < q
        z = B.sample_base(line, n, rng)
        cost = np.where(has, np.ceil(scale * z * 100.0) / 100.0, 0.0)
        d, r, c = design_arrays(line, members.preexisting)
        out.append(LineDraw(line, q, cost, np.where(has, payout(cost, d, r, c), 0.0)))
    return out


def simulate_members(seed: int = SEED, members: int = 200_000):
    """Member rosters and their cost draws for every policy year.

    Returns
    -------
    list of (MemberYear, list[LineDraw])
        One entry per policy year. The stream is ``default_rng([seed, 0])``; claims use their
        own stream so that a change in claim handling leaves the members and costs unchanged.
    """
    rng = np.random.default_rng([seed, 0])
    out = []
    roster = _entrants(rng, members, 1, B.YEARS[0])
    for k, year in enumerate(B.YEARS):
        if k:
            prev, draws = out[-1][0], out[-1][1]
            had_payout = np.any([d.payout > 0 for d in draws], axis=0)
            roster = _renew(rng, prev, had_payout, year, round(members * PARTICIPATION[year]))
        draws = draw_costs(rng, roster)
        out.append((roster, draws))
    return out


def _ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    if len(numbers) == 0:
        return np.empty(0, object)
    return np.char.add(prefix, np.char.zfill(numbers.astype(str), width)).astype(object)


def policy_ids(year: int, member_no: np.ndarray) -> np.ndarray:
    """``HMB-XC-<year>-<member number>``: the member number is the same across renewals."""
    return _ids(f"{B.PRODUCT}-{year}-", member_no, 7)


def policies_table(members: MemberYear) -> pd.DataFrame:
    """The ``policies`` rows of one policy year (one per member, annual cover 1 人)."""
    n, year = len(members.age), members.year
    return pd.DataFrame({
        "policy_id": policy_ids(year, members.member_no),
        "product": np.full(n, B.PRODUCT, object),
        "region": np.full(n, B.REGION, object),
        "segment": members.segment,
        "start_date": np.full(n, np.datetime64(f"{year}-01-01", "ns")),
        "end_date": np.full(n, np.datetime64(f"{year}-12-31", "ns")),
        "sum_insured": np.full(n, B.SUM_INSURED),
        "premium": np.full(n, B.PRICES[year]),
        "exposure": np.ones(n),
        "exposure_unit": np.full(n, "人", object),
        "policy_year": np.full(n, year, np.int64),
        "age": members.age.astype(np.int64),
        "sex": np.where(members.female, "F", "M").astype(object),
        "preexisting": members.preexisting.astype(bool),
    })


def costs_table(members: MemberYear, draws: list[LineDraw]) -> pd.DataFrame:
    """The ``costs`` rows of one policy year (member × line with a positive cost)."""
    ids = policy_ids(members.year, members.member_no)
    parts = []
    for d in draws:
        has = d.cost > 0
        parts.append(pd.DataFrame({"policy_id": ids[has],
                                   "benefit_line": np.full(int(has.sum()), d.line, object),
                                   "cost": d.cost[has]}))
    out = pd.concat(parts, ignore_index=True)
    order = np.lexsort((pd.Categorical(out["benefit_line"], B.LINES).codes,
                        out["policy_id"].to_numpy(str)))
    return out.iloc[order].reset_index(drop=True)
