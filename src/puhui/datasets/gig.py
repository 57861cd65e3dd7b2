"""Seeded platform activity log and claims for gig-worker cover (骑手作业记录与理赔, example).

One calendar year (2024) of a delivery business on two platforms (``A``, ``B``) in three
Zhejiang cities (``hangzhou``, ``ningbo``, ``wenzhou``):

* **activity log** — one row per rider × day worked: ``worker``, ``platform``, ``city``,
  ``date``, ``orders`` (单量) and ``hours`` (在线时长). 2,400 riders; a rider works a day with
  probability ``p_w ~ Beta(4, 3)`` (less around the Spring Festival in February), delivers
  ``Poisson(μ_w)`` orders with ``μ_w ~ Gamma(mean 25, CV 0.35)`` (an assumption: about 25 orders
  an average day) and is online about 0.36 h per order (≈ 9 h a day);
* **claims** — one row per accident: ``line`` (death / disability / medical / liability), the
  ground-up ``loss`` (元: the sum insured for death, sum × grade share for disability, the
  medical cost or the third party's damages) and the disability ``grade`` (0 otherwise). Events
  of each line on a rider-day are ``Poisson(orders × λ_line × f_city × f_season × f_platform)``.

The **planted truth** (``TRUTH``): the filed rates of ``puhui.gig``'s example product file at
level 1, city factors hangzhou 1.00 / ningbo 0.85 / wenzhou 1.25, season (quarter) factors
Q1 0.90 / Q2 1.00 / Q3 1.25 / Q4 0.95 (summer heat and typhoon rain), and platform ``B`` 1.20
against ``A`` 1.00 (a platform with tighter delivery times) — what the GLM and the A/E
by platform × city should find. Losses: medical lognormal (median 800 元, σ 1.1), liability
lognormal (median 1,500 元, σ 1.4), disability grades with the product's probabilities.

The data are generated in memory from :data:`SEED` (≈ 0.5 s) and cached; everything is
vectorised (loops run over the four lines only). ``frequency_multiplier`` scales every planted
rate for a small book with as many claims (:func:`generate_gig`; sources and assumptions in
``docs/datasets.md``).

>>> d = load_gig()
>>> len(d["log"]) > 400_000, sorted(d["log"]["city"].unique())
(True, ['hangzhou', 'ningbo', 'wenzhou'])
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from ..errors import ParameterError

SEED = 20240101
YEAR = 2024
WORKERS = 2_400
PLATFORMS = {"A": 0.6, "B": 0.4}
CITIES = {"hangzhou": 0.5, "ningbo": 0.3, "wenzhou": 0.2}
#: The planted truth: frequency per million orders (the example product's filed basis) and
#: the factors the review should recover.
TRUTH = {
    "per_million_orders": {"death": 0.02, "disability": 0.10, "medical": 25.0, "liability": 7.0},
    "city": {"hangzhou": 1.00, "ningbo": 0.85, "wenzhou": 1.25},
    "season": {"Q1": 0.90, "Q2": 1.00, "Q3": 1.25, "Q4": 0.95},
    "platform": {"A": 1.00, "B": 1.20},
    "medical": {"median": 800.0, "sigma": 1.1},
    "liability": {"median": 1_500.0, "sigma": 1.4},
    "sums_insured": {"death": 600_000.0, "disability": 600_000.0},
    "grade_probabilities": [0.01, 0.01, 0.02, 0.03, 0.04, 0.06, 0.09, 0.14, 0.25, 0.35],
    "orders_per_day": {"mean": 25.0, "cv": 0.35}, "hours_per_order": 0.36,
}


def generate_gig(seed: int = SEED, workers: int = WORKERS,
                 frequency_multiplier: float = 1.0) -> dict:
    """Generate the activity log, the claims and the truth (see the module docstring).

    ``frequency_multiplier`` k multiplies every line's planted rate (the returned ``truth``
    states the rates used): a book of ``workers / k`` riders at ``k`` times the rates has as
    many claims as the full book on ``1/k`` of its rows — the same statistical power for the
    factors and the A/E, a fraction of the memory (the tests use it). ``k = 1`` is the
    example data.
    """
    if not (isinstance(workers, (int, np.integer)) and workers >= 1):
        raise ParameterError(f"workers must be a whole number ≥ 1, got {workers!r}")
    k = float(frequency_multiplier)
    if not (np.isfinite(k) and k > 0):
        raise ParameterError(f"frequency_multiplier must be > 0, got {frequency_multiplier!r}")
    rng = np.random.default_rng(seed)
    t = TRUTH if k == 1.0 else {**TRUTH, "per_million_orders": {
        line: rate * k for line, rate in TRUTH["per_million_orders"].items()}}
    days = pd.date_range(f"{YEAR}-01-01", f"{YEAR}-12-31", freq="D")
    # integer codes (the same draws as choosing the names), names attached once at the end
    platform = rng.choice(len(PLATFORMS), size=workers, p=list(PLATFORMS.values()))
    city = rng.choice(len(CITIES), size=workers, p=list(CITIES.values()))
    p_work = rng.beta(4.0, 3.0, size=workers)
    cv = t["orders_per_day"]["cv"]
    mu = rng.gamma(1 / cv**2, t["orders_per_day"]["mean"] * cv**2, size=workers)
    month = days.month.to_numpy()
    day_factor = np.where(month == 2, 0.6, 1.0)                    # Spring Festival
    active = rng.random((workers, len(days))) < p_work[:, None] * day_factor[None, :]
    w, d = np.nonzero(active)
    orders = rng.poisson(mu[w])
    keep = orders > 0
    w, d, orders = w[keep], d[keep], orders[keep]
    hours = np.round(orders * t["hours_per_order"] * rng.lognormal(0.0, 0.15, orders.size), 2)
    pc, cc = platform[w], city[w]
    log = pd.DataFrame({
        "worker": (w + 1).astype(np.int32),
        "platform": pd.Categorical.from_codes(pc, categories=list(PLATFORMS)),
        "city": pd.Categorical.from_codes(cc, categories=list(CITIES)),
        "date": days[d], "orders": orders.astype(np.int64), "hours": hours})
    quarter = (month[d] - 1) // 3
    f = (np.array([t["city"][c] for c in CITIES])[cc]
         * np.array([t["season"][f"Q{q + 1}"] for q in range(4)])[quarter]
         * np.array([t["platform"][p] for p in PLATFORMS])[pc])
    frames = []
    for line, per_million in t["per_million_orders"].items():
        n = rng.poisson(orders * per_million / 1e6 * f)
        row = np.repeat(np.arange(orders.size), n)
        m = row.size
        grade = np.zeros(m, np.int64)
        if line == "death":
            loss = np.full(m, t["sums_insured"]["death"])
        elif line == "disability":
            grade = rng.choice(np.arange(1, 11), size=m, p=t["grade_probabilities"])
            loss = t["sums_insured"]["disability"] * (11 - grade) / 10.0
        else:
            loss = np.round(rng.lognormal(np.log(t[line]["median"]), t[line]["sigma"], m), 2)
        frames.append(pd.DataFrame({"row": row, "line": line, "loss": loss, "grade": grade}))
    c = pd.concat(frames, ignore_index=True)
    src = log.iloc[c["row"].to_numpy()].reset_index(drop=True)
    claims = pd.concat([src[["worker", "platform", "city", "date"]],
                        c[["line", "loss", "grade"]]], axis=1)
    claims = claims.sort_values(["date", "worker", "line"], kind="stable").reset_index(drop=True)
    claims.insert(0, "claim_id", np.arange(1, len(claims) + 1))
    return {"log": log, "claims": claims, "truth": t, "seed": seed}


@lru_cache(maxsize=4)
def _cached(seed: int, workers: int, frequency_multiplier: float) -> dict:
    return generate_gig(seed, workers, frequency_multiplier)


def load_gig(seed: int = SEED, workers: int = WORKERS, frequency_multiplier: float = 1.0) -> dict:
    """The example data (cached): ``{"log", "claims", "truth", "seed"}``; the frames are
    copies, safe to change. ``workers`` and ``frequency_multiplier`` as in
    :func:`generate_gig` (a small test book: ``load_gig(workers=300, frequency_multiplier=8)``)."""
    d = _cached(int(seed), int(workers), float(frequency_multiplier))
    return {"log": d["log"].copy(), "claims": d["claims"].copy(), "truth": d["truth"],
            "seed": d["seed"]}


__all__ = ["SEED", "TRUTH", "generate_gig", "load_gig"]
