"""Bundled seeded livestock and 农房 data: herd × year pig histories and a county's farm-house
losses (synthetic, calibrated to published schedules; docs/datasets.md, "Livestock and
农房").

Nothing is read from disk: :func:`generate_livestock` draws every table from a fixed seed in a
few tens of milliseconds, and :func:`load_livestock` returns a fresh copy of the cached result —
the same bytes on every machine with the same library versions.

* **能繁母猪** (``sow_herds``): 60 herds × policy years 2008–2024, insured heads (存栏), sum insured
  1,000 元/头 to 2018 and 1,500 from 2019 (the 2019 raise), rate 6%, deaths and paid;
* **育肥猪** (``finishing_herds``): 80 herds × 2008–2024, insured heads (出栏), sum insured 500 then
  800 元/头, rate 5% then 5.5%, deaths by weight class (20 / 30 / 40 / 60 / 90 kg) and paid by the
  class schedule (30 / 40 / 60 / 80 / 100% of the sum insured);
* **农房** (``farmhouse_exposure``, ``farmhouse_events``, ``farmhouse_claims``): 20,000 households
  of a coastal county, 40,000 元 each, 20 元 a household a year; every catastrophe event and every
  damaged house (household id, damage ratio, collapsed, paid).

Deaths follow :class:`puhui.agri.livestock.HerdMortality` (mixed Poisson with epidemic years) with
the truth in ``planted``; the epidemic years are **planted**: 2018 and 2019 (an African swine
fever-like epidemic), every other year ordinary; herd sizes fall by 28% in 2019 (能繁母猪存栏
−28.28% in 2019, as reported). Farm houses follow
:class:`puhui.agri.farmhouse.FarmhouseModel` with :data:`puhui.agri.farmhouse.DEFAULT_PERILS`.

>>> data = load_livestock()
>>> data.sow_herds.groupby("year")["deaths"].sum().loc[[2017, 2018, 2019]].tolist()
[351, 1497, 1142]
>>> data.planted["epidemic_years"]
[2018, 2019]
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, fields
from functools import lru_cache

import numpy as np
import pandas as pd

from ..agri.farmhouse import DEFAULT_PERILS, FarmhouseCover, FarmhouseModel
from ..agri.livestock import (
    FINISHING_DEATH_SHARES,
    FINISHING_PAYOUT_SHARES,
    FINISHING_WEIGHT_CLASSES,
    HerdMortality,
    finishing_pig_cover,
    sow_cover,
)
from ..errors import ParameterError

__all__ = ["EPIDEMIC_YEARS", "FINISHING_TRUTH", "SEED", "SOW_TRUTH", "YEARS", "LivestockData",
           "generate_livestock", "load_livestock"]

#: Seed of every draw (``numpy.random.default_rng([SEED, k])``: sows k = 0, finishing 1, 农房 2).
SEED = 20180803
#: Policy years of the histories.
YEARS = tuple(range(2008, 2025))
#: Planted epidemic years (疫病年).
EPIDEMIC_YEARS = (2018, 2019)
#: The true herd laws (assumptions: pure rates 4.55% and 6.45% × 0.655 = 4.22%, below the
#: schedules' 6% and 5.5% by a 20% loading and a factor of about 1.05).
SOW_TRUTH = HerdMortality(0.035, 0.14, 0.10, ordinary_dispersion=8.0, epidemic_dispersion=3.0)
FINISHING_TRUTH = HerdMortality(0.055, 0.15, 0.10, ordinary_dispersion=6.0,
                                epidemic_dispersion=3.0)
#: Schedules by period: (first year, sum insured 元/头, rate).
SOW_SCHEDULE = ((2008, 1000.0, 0.06), (2019, 1500.0, 0.06))
FINISHING_SCHEDULE = ((2008, 500.0, 0.05), (2019, 800.0, 0.055))
#: Herd-size index by year (1 = 2008 level × trend); 2019 −28%, recovery in 2020–2021.
_SHOCK = {2019: 0.72, 2020: 1.20, 2021: 1.10}
HOUSEHOLDS = 20_000
HOUSE_SUM_INSURED = 40_000.0
HOUSE_PREMIUM = 20.0


@dataclass(frozen=True)
class LivestockData:
    """The bundled livestock and 农房 tables (see the module docstring) and the truth."""

    sow_herds: pd.DataFrame
    finishing_herds: pd.DataFrame
    farmhouse_exposure: pd.DataFrame
    farmhouse_events: pd.DataFrame
    farmhouse_claims: pd.DataFrame
    planted: dict

    def summary(self) -> pd.DataFrame:
        """Heads (households), premium, paid and the burn loss ratio by line and year."""
        parts = []
        for line, t, n in (("能繁母猪", self.sow_herds, "heads"),
                           ("育肥猪", self.finishing_herds, "heads")):
            g = t.groupby("year")[[n, "premium", "paid"]].sum().rename(columns={n: "exposure"})
            parts.append(g.assign(line=line))
        e = self.farmhouse_exposure.set_index("year")
        paid = self.farmhouse_claims.groupby("year")["paid"].sum().reindex(e.index, fill_value=0)
        parts.append(pd.DataFrame({"exposure": e["households"], "premium": e["premium"],
                                   "paid": paid, "line": "农房"}))
        out = pd.concat(parts).reset_index().set_index(["line", "year"])
        out["loss_ratio"] = out["paid"] / out["premium"]
        return out


def _schedule(years: np.ndarray, schedule) -> tuple[np.ndarray, np.ndarray]:
    si = np.empty(years.size)
    rate = np.empty(years.size)
    for start, s, r in schedule:                    # two periods
        on = years >= start
        si[on], rate[on] = s, r
    return si, rate


def _herd_sizes(rng, herds: int, median: float, sigma: float, lo: float, hi: float):
    """Heads by year × herd: a lognormal 2008 size, a 3% ± 8% yearly growth and the shocks."""
    base = np.clip(np.exp(rng.normal(np.log(median), sigma, herds)), lo, hi)
    growth = rng.normal(0.03, 0.08, (len(YEARS), herds))
    growth[0] = 0.0
    shock = np.array([_SHOCK.get(y, 1.0) for y in YEARS])
    level = np.exp(np.cumsum(growth, axis=0)) * np.cumprod(shock)[:, None]
    return np.maximum(np.round(base[None, :] * level), 1.0)


def _deaths(rng, truth: HerdMortality, heads: np.ndarray) -> tuple[np.ndarray, int]:
    """Deaths (years × herds) in the planted states; capped at the heads (the count returned)."""
    epidemic = np.isin(np.array(YEARS), EPIDEMIC_YEARS)
    out = np.empty(heads.shape, dtype=np.int64)
    for flag in (False, True):                      # two states
        q, alpha = truth._state(flag)
        rows = epidemic == flag
        rate = rng.gamma(alpha, q / alpha, heads[rows].shape)
        out[rows] = rng.poisson(rate * heads[rows])
    capped = int((out > heads).sum())
    return np.minimum(out, heads.astype(np.int64)), capped


def _herd_table(heads, deaths, si, rate) -> pd.DataFrame:
    n_years, herds = heads.shape
    return pd.DataFrame({
        "herd": np.tile([f"H{i + 1:03d}" for i in range(herds)], n_years),
        "year": np.repeat(np.array(YEARS), herds),
        "heads": heads.ravel().astype(np.int64),
        "sum_insured": np.repeat(si, herds),
        "premium": (heads * (si * rate)[:, None]).ravel(),
        "deaths": deaths.ravel().astype(np.int64)})


def _sows(rng) -> tuple[pd.DataFrame, int]:
    heads = _herd_sizes(rng, 60, 100.0, 0.9, 20.0, 2_000.0)
    deaths, capped = _deaths(rng, SOW_TRUTH, heads)
    si, rate = _schedule(np.array(YEARS), SOW_SCHEDULE)
    table = _herd_table(heads, deaths, si, rate)
    per_head = np.repeat(si, heads.shape[1]) * (1.0 - sow_cover().deductible)
    table["paid"] = table["deaths"] * per_head
    return table, capped


def _finishing(rng) -> tuple[pd.DataFrame, int]:
    heads = _herd_sizes(rng, 80, 1_000.0, 0.9, 50.0, 20_000.0)
    deaths, capped = _deaths(rng, FINISHING_TRUTH, heads)
    si, rate = _schedule(np.array(YEARS), FINISHING_SCHEDULE)
    table = _herd_table(heads, deaths, si, rate)
    by_class = rng.multinomial(table["deaths"].to_numpy(), FINISHING_DEATH_SHARES)
    cols = [f"deaths_{int(w)}kg" for w in FINISHING_WEIGHT_CLASSES]
    for j, c in enumerate(cols):
        table[c] = by_class[:, j]
    paid = np.zeros(len(table))
    for s in np.unique(table["sum_insured"]):       # two schedules
        rows = table["sum_insured"].to_numpy() == s
        paid[rows] = finishing_pig_cover(float(s)).pay(by_class[rows])
    table["paid"] = paid
    return table, capped


def _farmhouse(rng) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    model = FarmhouseModel(HOUSEHOLDS, FarmhouseCover(HOUSE_SUM_INSURED), DEFAULT_PERILS)
    events, houses = model.simulate(len(YEARS), rng, houses=True)
    events["year"] = np.array(YEARS)[events["year"].to_numpy()]
    events["event"] = [f"E{y}-{i:02d}" for y, i in zip(
        events["year"], events.groupby("year").cumcount() + 1, strict=True)]
    number = events["event"].to_numpy()
    ids = np.empty(len(houses), dtype=np.int64)
    for i in np.flatnonzero(events["households"].to_numpy() > 0):   # a few dozen events
        rows = houses["event"].to_numpy() == i
        ids[rows] = rng.choice(HOUSEHOLDS, int(rows.sum()), replace=False)
    claims = pd.DataFrame({
        "year": events["year"].to_numpy()[houses["event"].to_numpy()],
        "event": number[houses["event"].to_numpy()],
        "peril": events["peril"].to_numpy()[houses["event"].to_numpy()],
        "household": [f"F{i + 1:05d}" for i in ids],
        "damage_ratio": houses["damage_ratio"].round(4),
        "collapsed": houses["collapsed"].astype(bool),
        "paid": model.cover.pay(houses["damage_ratio"].round(4).to_numpy()).round(2)})
    events["loss"] = claims.groupby("event")["paid"].sum().reindex(number, fill_value=0.0
                                                                   ).to_numpy()
    exposure = pd.DataFrame({"year": np.array(YEARS), "households": HOUSEHOLDS,
                             "sum_insured": HOUSE_SUM_INSURED,
                             "premium": HOUSEHOLDS * HOUSE_PREMIUM})
    return exposure, events, claims


def generate_livestock(seed: int = SEED) -> LivestockData:
    """Draw every table (``default_rng([seed, k])``, k = 0 sows, 1 finishing pigs, 2 农房)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(f"seed: a whole number ≥ 0, got {seed!r}")
    sows, capped_s = _sows(np.random.default_rng([int(seed), 0]))
    fin, capped_f = _finishing(np.random.default_rng([int(seed), 1]))
    exposure, events, claims = _farmhouse(np.random.default_rng([int(seed), 2]))
    planted = {
        "seed": int(seed), "years": [YEARS[0], YEARS[-1]],
        "epidemic_years": list(EPIDEMIC_YEARS),
        "sow_truth": SOW_TRUTH.summary()["value"].to_dict(),
        "finishing_truth": FINISHING_TRUTH.summary()["value"].to_dict(),
        "sow_schedule": [list(s) for s in SOW_SCHEDULE],
        "finishing_schedule": [list(s) for s in FINISHING_SCHEDULE],
        "finishing_payout_shares": list(FINISHING_PAYOUT_SHARES),
        "finishing_death_shares": list(FINISHING_DEATH_SHARES),
        "herd_size_shocks": {str(k): v for k, v in _SHOCK.items()},
        "deaths_capped_at_heads": {"sow": capped_s, "finishing": capped_f},
        "farmhouse": {"households": HOUSEHOLDS, "sum_insured": HOUSE_SUM_INSURED,
                      "premium_per_household": HOUSE_PREMIUM,
                      "perils": [{"name": p.name, "frequency": p.frequency,
                                  "share_damaged": p.share_damaged, "share_cv": p.share_cv,
                                  "collapse_probability": p.collapse_probability,
                                  "damage_mean": p.damage_mean, "damage_cv": p.damage_cv}
                                 for p in DEFAULT_PERILS]},
    }
    return LivestockData(sows, fin, exposure, events, claims, planted)


@lru_cache(maxsize=2)
def _cached(seed: int) -> LivestockData:
    return generate_livestock(seed)


def load_livestock(seed: int = SEED) -> LivestockData:
    """The bundled tables (a fresh copy: changing them changes nothing for the next caller)."""
    data = _cached(int(seed))
    return LivestockData(**{f.name: copy.deepcopy(getattr(data, f.name))
                            for f in fields(LivestockData)})
