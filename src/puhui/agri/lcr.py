"""County rates by the loss-cost-ratio method with credibility (县级费率: 损失成本率与信度).

The US RMA loss-cost-ratio (LCR) method (Josephson, Lord & Mitchell 2000, *Actuarial
documentation of multiple peril crop insurance ratemaking procedures*, Milliman for USDA-RMA;
Coble et al. 2010, *Review of the premium rating methodology for the federal crop insurance
program*), as implemented here:

1. LCR_ct = indemnity_ct / liability_ct per county c and year t (赔款 / 保险金额);
2. catastrophe cap, in the spirit of RMA's historic "80/20" rule (the exact historic cap
   differs in detail; here the percentile is a parameter): each county's LCRs are capped at the
   ``cat_quantile`` (default 80th) percentile of its own LCR history; the excess
   Σ (LCR_ct − cap_c)₊ · liability_ct is spread over all counties as a loading per unit of
   liability, L = Σ excess / Σ liability;
3. credibility: the capped LCRs (counties × years, weighted by liability) go through
   Bühlmann–Straub (:class:`puhui.credibility.BuhlmannStraub`), Z_c = P_c/(P_c + K) with
   K = s²/a; the complement of credibility is the county's neighbour group (the
   liability-weighted capped LCR of all counties in its group, itself included);
4. pure rate_c = Z_c · LCR̄_c + (1 − Z_c) · LCR̄_group(c) + L.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError, Problem


@dataclass(frozen=True)
class CountyRates:
    """Result of :func:`county_rates`: the per-county table and the structure parameters."""

    table: pd.DataFrame
    cat_load: float
    credibility_constant: float
    within_variance: float
    between_variance: float
    cat_quantile: float

    def summary(self) -> pd.DataFrame:
        """The per-county table with K, s², a and the catastrophe loading in ``attrs``."""
        df = self.table.copy()
        df.attrs.update(cat_load=self.cat_load, credibility_constant=self.credibility_constant,
                        within_variance=self.within_variance,
                        between_variance=self.between_variance, cat_quantile=self.cat_quantile)
        return df


def county_rates(experience: pd.DataFrame, groups=None, *, cat_quantile: float = 0.8,
                 method: str = "unbiased") -> CountyRates:
    """Credibility-weighted county pure rates from indemnity and liability by county-year.

    Parameters
    ----------
    experience : DataFrame
        Columns ``region``, ``year``, ``indemnity`` (赔款, 元) and ``liability`` (保险金额, 元,
        > 0), one row per county-year; optional ``group`` (neighbour group).
    groups : Mapping or Series, optional
        Region → neighbour group; by default the ``group`` column, else one group for all.
    cat_quantile : float
        Percentile of each county's own LCRs above which a year counts as catastrophic
        (1.0 disables the cap).
    method : {"unbiased", "iterative"}
        Bühlmann–Straub estimator of the between-county variance.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> exp = pd.DataFrame({"region": np.repeat(list("abcd"), 10), "year": np.tile(range(10), 4),
    ...                     "liability": 1e6, "indemnity": rng.gamma(2, 2e4, 40)})
    >>> res = county_rates(exp, cat_quantile=0.9)
    >>> bool((res.table["z"].between(0, 1)).all())
    True
    """
    from ..credibility import BuhlmannStraub

    need = ("region", "year", "indemnity", "liability")
    missing = [c for c in need if c not in experience.columns]
    if missing:
        raise DataError([Problem("experience", c, None, "missing_column",
                                 "county experience needs region, year, indemnity, liability")
                         for c in missing])
    if not 0 < cat_quantile <= 1:
        raise ParameterError(f"cat_quantile must be in (0, 1], got {cat_quantile}")
    e = experience.loc[:, list(need)].copy()
    ind, liab = e["indemnity"].to_numpy(float), e["liability"].to_numpy(float)
    bad = ~np.isfinite(ind) | (ind < 0) | ~np.isfinite(liab) | (liab <= 0)
    if bad.any():
        raise DataError([Problem("experience", "indemnity/liability", int(i) + 1, "out_of_range",
                                 "indemnity must be ≥ 0 and liability > 0",
                                 (ind[i], liab[i])) for i in np.flatnonzero(bad)[:200]])
    if e.duplicated(["region", "year"]).any():
        raise DataError([Problem("experience", "year", int(i) + 1, "duplicate_id",
                                 "region × year repeats")
                         for i in np.flatnonzero(e.duplicated(["region", "year"]))[:200]])
    e["lcr"] = ind / liab
    cap = e.groupby("region")["lcr"].quantile(cat_quantile)
    e["cap"] = e["region"].map(cap)
    e["lcr_capped"] = np.minimum(e["lcr"], e["cap"])
    excess = ((e["lcr"] - e["lcr_capped"]) * e["liability"]).sum()
    cat_load = float(excess / e["liability"].sum())

    ratios = e.pivot(index="region", columns="year", values="lcr_capped")
    weights = e.pivot(index="region", columns="year", values="liability")
    bs = BuhlmannStraub(method=method).fit(ratios, weights)

    if groups is None:
        groups = (experience.drop_duplicates("region").set_index("region")["group"]
                  if "group" in experience.columns else pd.Series("all", index=ratios.index))
    grp = pd.Series(ratios.index.map(pd.Series(groups)), index=ratios.index)
    if grp.isna().any():
        raise ParameterError(f"no neighbour group for regions {list(grp.index[grp.isna()])[:10]}")
    liability = weights.sum(axis=1)
    own = (ratios * weights).sum(axis=1) / liability
    lcr_raw = e.groupby("region")["indemnity"].sum() / e.groupby("region")["liability"].sum()
    group_lcr = ((own * liability).groupby(grp).sum() / liability.groupby(grp).sum())
    z = pd.Series(np.asarray(bs.z_, float), index=ratios.index)
    comp = grp.map(group_lcr)
    cred = z * own + (1 - z) * comp
    table = pd.DataFrame({
        "region": ratios.index, "group": grp.to_numpy(),
        "n_years": ratios.notna().sum(axis=1).to_numpy(), "liability": liability.to_numpy(),
        "lcr": lcr_raw.reindex(ratios.index).to_numpy(), "cap": cap.reindex(ratios.index).to_numpy(),
        "lcr_capped": own.to_numpy(), "z": z.to_numpy(), "group_lcr": comp.to_numpy(),
        "credibility_lcr": cred.to_numpy(), "cat_load": cat_load,
        "pure_rate": (cred + cat_load).to_numpy()})
    return CountyRates(table.reset_index(drop=True), cat_load, float(bs.credibility_constant_),
                       float(bs.within_variance_), float(bs.between_variance_), cat_quantile)
