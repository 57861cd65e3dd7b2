"""County rates by the loss-cost-ratio method with credibility (县级费率: 损失成本率与信度).

The US RMA loss-cost-ratio (LCR) method (Josephson, Lord & Mitchell 2000, *Actuarial
documentation of multiple peril crop insurance ratemaking procedures*, Milliman & Robertson for
USDA-RMA; Schnapp, Driscoll, Zacharias & Josephson, *Ratemaking considerations for multiple
peril crop insurance*, CAS / NCIS; Coble et al. 2010, *Review of the premium rating methodology
for the federal crop insurance program*, Sumaria Systems for USDA-RMA), as implemented here:

1. LCR_ct = indemnity_ct / liability_ct per county c and year t (赔款 / 保险金额);
2. catastrophe cap — one **provincial** threshold (RMA: statewide, the "80/20 rule"): τ is the
   ``cat_quantile`` (default 80th) percentile of the pooled, liability-weighted LCRs of every
   county-year, the inverse of F(x) = Σ_{LCR_ct ≤ x} liability_ct / Σ liability_ct. Every
   county-year is capped at the same τ; a county's own quantile would call every county's
   worst years catastrophic, however small, and a flood-prone county's floods ordinary
   (issue 14). The excess E_ct = (LCR_ct − τ)₊ is removed from the experience;
3. the excess is spread back per unit of liability (``cat_spread``):

   * ``"liability"`` — RMA's statewide loading, "a statewide loading for the losses
     that were removed by the 80/20 rule" (Schnapp et al.; Josephson et al. 2000): the same
     L = Σ E_ct·liability_ct / Σ liability_ct for every county;
   * ``"credibility"`` (default) — each county's share from its own excess history with Bühlmann–Straub
     credibility (the excess ratios E_ct weighted by liability): L_c = Z^E_c · Ē_c + (1 −
     Z^E_c) · L̂, with L̂ the credibility-weighted collective, so that Σ_c liability_c · L_c =
     Σ excess (the Bühlmann–Straub balance). Where the excess shows no county-to-county
     difference (between variance ≤ 0) every Z^E_c = 0 and this is the statewide loading; a
     structurally flood-prone county keeps more of its floods. This is puhui's default, not
     RMA's: the statewide loading rates a county whose floods recur below a steady county of
     lower loss cost (issue 14's example: 3.77% against 5.39% for raw 6.70% and 4.00%), which
     an actuary reviewing a county's 费率回溯 would not accept; the credibility spread keeps the
     statewide loading wherever the data show no county signal (6.08% and 4.27% there).

   Either way the loading collected equals the excess removed, and a county whose LCRs are
   year by year at least another's (same liability) gets a loading at least as large;
4. credibility: the capped LCRs (counties × years, weighted by liability) go through
   Bühlmann–Straub (:class:`puhui.credibility.BuhlmannStraub`), Z_c = P_c/(P_c + K) with
   K = s²/a; the complement of credibility is the county's neighbour group (the
   liability-weighted capped LCR of all counties in its group, itself included);
5. pure rate_c = Z_c · LCR̄_c + (1 − Z_c) · LCR̄_group(c) + L_c.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError, Problem

CAT_SPREADS = ("liability", "credibility")


def weighted_quantile(values, weights, q: float) -> float:
    """The ``q`` quantile of ``values`` under weights: the inverse of the weighted distribution
    function, min{x : Σ_{v ≤ x} w / Σ w ≥ q} (with equal weights numpy's ``inverted_cdf``,
    Hyndman & Fan type 1).

    >>> weighted_quantile([0.01, 0.02, 0.10], [1.0, 1.0, 2.0], 0.5)   # F(0.02) = 2/4
    0.02
    >>> weighted_quantile([0.01, 0.02, 0.10], [1.0, 1.0, 2.0], 0.6)
    0.1
    """
    x = np.asarray(values, float).ravel()
    w = np.asarray(weights, float).ravel()
    if x.size == 0 or x.shape != w.shape:
        raise ParameterError("weighted_quantile needs as many weights as values (at least one)")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(w)) and np.all(w >= 0)
            and w.sum() > 0):
        raise ParameterError("weighted_quantile needs finite values and weights ≥ 0, not all 0")
    if not 0 <= q <= 1:
        raise ParameterError(f"q must be in [0, 1], got {q}")
    order = np.argsort(x, kind="stable")
    cum = np.cumsum(w[order])
    # first position whose cumulative share reaches q (a relative tolerance absorbs rounding)
    i = int(np.searchsorted(cum, q * cum[-1] * (1 - 1e-10), side="left"))
    return float(x[order][min(i, x.size - 1)])


@dataclass(frozen=True)
class CountyRates:
    """Result of :func:`county_rates`: the per-county table and the structure parameters.

    ``threshold`` is the provincial catastrophe cap τ, ``cat_load`` the provincial loading
    L = Σ excess / Σ liability (each county's own share is the table's ``cat_load`` column).
    """

    table: pd.DataFrame
    cat_load: float
    credibility_constant: float
    within_variance: float
    between_variance: float
    cat_quantile: float
    threshold: float = np.inf
    cat_spread: str = "credibility"

    def summary(self) -> pd.DataFrame:
        """The per-county table with K, s², a, τ and the catastrophe loading in ``attrs``."""
        df = self.table.copy()
        df.attrs.update(cat_load=self.cat_load, credibility_constant=self.credibility_constant,
                        within_variance=self.within_variance,
                        between_variance=self.between_variance, cat_quantile=self.cat_quantile,
                        threshold=self.threshold, cat_spread=self.cat_spread)
        return df


def _fit_quietly(bs, ratios, weights):
    """Bühlmann–Straub on the excess ratios: no heterogeneity (z = 0, the statewide loading) is
    an expected outcome here, not a warning."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="estimated between-contract variance",
                                category=RuntimeWarning)
        return bs.fit(ratios, weights)


def county_rates(experience: pd.DataFrame, groups=None, *, cat_quantile: float = 0.8,
                 cat_spread: str = "credibility", method: str = "unbiased") -> CountyRates:
    """Credibility-weighted county pure rates from indemnity and liability by county-year.

    Parameters
    ----------
    experience : DataFrame
        Columns ``region``, ``year``, ``indemnity`` (赔款, 元) and ``liability`` (保险金额, 元,
        > 0), one row per county-year; optional ``group`` (neighbour group).
    groups : Mapping or Series, optional
        Region → neighbour group; by default the ``group`` column, else one group for all.
    cat_quantile : float
        Percentile of the pooled, liability-weighted LCRs of all county-years above which a
        county-year's loss cost counts as catastrophic (the provincial threshold; 1.0 disables
        the cap).
    cat_spread : {"liability", "credibility"}
        How the removed excess comes back: each county's credibility-weighted share of its own
        excess history (default), or the same loading per unit of liability everywhere
        (``"liability"``, RMA's statewide loading); see the module notes.
    method : {"unbiased", "iterative"}
        Bühlmann–Straub estimator of the between-county variance.

    Returns
    -------
    CountyRates
        ``table``: one row per county — ``region, group, n_years, liability, lcr`` (raw,
        Σ indemnity / Σ liability), ``cap`` (the provincial threshold τ), ``excess`` (Σ excess /
        Σ liability, the county's own catastrophe history), ``lcr_capped, z, group_lcr,
        credibility_lcr``, ``cat_z`` (credibility of its excess history; 0 with
        ``"liability"``), ``cat_load`` (its loading L_c) and ``pure_rate``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> exp = pd.DataFrame({"region": np.repeat(list("abcd"), 10), "year": np.tile(range(10), 4),
    ...                     "liability": 1e6,
    ...                     "indemnity": rng.gamma(2, 2e4, 40) * np.repeat([1, 2, 3, 4], 10)})
    >>> res = county_rates(exp, cat_quantile=0.9)
    >>> bool((res.table["z"].between(0, 1)).all()), bool((res.table["cap"] == res.threshold).all())
    (True, True)
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
    if cat_spread not in CAT_SPREADS:
        raise ParameterError(f"cat_spread={cat_spread!r}; use 'liability' (the statewide "
                             "loading) or 'credibility' (each county's own excess history)")
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
    lcr = ind / liab
    e["lcr"] = lcr
    # 2. one provincial threshold on the pooled liability-weighted LCRs (1.0: no cap)
    threshold = np.inf if cat_quantile >= 1 else weighted_quantile(lcr, liab, cat_quantile)
    e["lcr_capped"] = np.minimum(lcr, threshold)
    e["excess"] = lcr - e["lcr_capped"].to_numpy()
    cat_load = float((e["excess"] * e["liability"]).sum() / e["liability"].sum())

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
    by_region = e.groupby("region")
    lcr_raw = (by_region["indemnity"].sum() / by_region["liability"].sum()).reindex(ratios.index)
    excess_own = ((e["excess"] * e["liability"]).groupby(e["region"]).sum()
                  / by_region["liability"].sum()).reindex(ratios.index)
    group_lcr = ((own * liability).groupby(grp).sum() / liability.groupby(grp).sum())
    z = pd.Series(np.asarray(bs.z_, float), index=ratios.index)
    comp = grp.map(group_lcr)
    cred = z * own + (1 - z) * comp

    # 3. the excess comes back: flat per unit of liability, or by the county's own history
    if cat_spread == "liability" or cat_load == 0:
        cat_z = pd.Series(0.0, index=ratios.index)
        cat_c = pd.Series(cat_load, index=ratios.index)
    else:
        x_ratios = e.pivot(index="region", columns="year", values="excess")
        bx = _fit_quietly(BuhlmannStraub(method=method), x_ratios, weights)
        cat_z = pd.Series(np.asarray(bx.z_, float), index=ratios.index)
        # Z·own + (1 − Z)·collective with the Z-weighted collective: Σ P_c·L_c = Σ excess
        cat_c = pd.Series(np.asarray(bx.premiums_, float), index=ratios.index)
    table = pd.DataFrame({
        "region": ratios.index, "group": grp.to_numpy(),
        "n_years": ratios.notna().sum(axis=1).to_numpy(), "liability": liability.to_numpy(),
        "lcr": lcr_raw.to_numpy(), "cap": threshold, "excess": excess_own.to_numpy(),
        "lcr_capped": own.to_numpy(), "z": z.to_numpy(), "group_lcr": comp.to_numpy(),
        "credibility_lcr": cred.to_numpy(), "cat_z": cat_z.to_numpy(),
        "cat_load": cat_c.to_numpy(), "pure_rate": (cred + cat_c).to_numpy()})
    return CountyRates(table.reset_index(drop=True), cat_load, float(bs.credibility_constant_),
                       float(bs.within_variance_), float(bs.between_variance_), cat_quantile,
                       float(threshold), cat_spread)
