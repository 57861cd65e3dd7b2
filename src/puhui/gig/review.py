"""Review of gig-worker cover: factors by GLM, A/E by platform × city, ratios, rule check.

* **Season** (季节) is the calendar quarter of the day worked, ``Q1 … Q4``.
* **Paid amounts** are recomputed from each claim's ground-up loss under the product's terms
  (:func:`paid_amounts`), so a design change is reviewed on the same claims.
* **Factors** (:func:`fit_factors`): claims of each platform × city × season cell
  ``N_c ~ Poisson(O_c λ_c)``, ``log λ_c = β₀ + β_city + β_season + β_platform`` with offset
  ``log O_c`` (orders), fitted by :func:`puhui.experience.glm.fit_rate_groups` (statsmodels
  GLM, platform as a control, credibility-weighted relativities); the factors are rescaled to
  an order-weighted mean of 1 so they move the price between cells, not its level.
* **A/E** (:func:`experience`): expected count ``O f Σ λ_l P(Y_l > 0)`` and amount
  ``O f Σ λ_l E[Y_l]`` per cell against the paid claims, by platform × city through
  :func:`puhui.experience.actual_vs_expected` (intervals, limited-fluctuation credibility
  ``Z = min(1, √(n/n_F))``); and Bühlmann–Straub across platform × city on the monthly
  amount A/E weighted by expected amount (:class:`puhui.credibility.BuhlmannStraub`).
* **Ratios**: the year's statement (premium earned on the day worked, no UPR at year end;
  claims fully settled — an assumption of the example) through
  :func:`puhui.ratios.combined_ratio`, and P(CR > 100 %) of the next year by NP2 on the
  compound-Poisson cumulants (:func:`puhui.ratios.exceedance_probability`).
* **Rules**: :func:`puhui.rules.check` on the combined and loss ratios.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..credibility import BuhlmannStraub
from ..errors import ParameterError
from ..experience.ae import AEResult, actual_vs_expected
from ..experience.exposure import activity_exposure
from ..experience.glm import RateGroups, credible_relativity, fit_rate_groups
from ..ratios import combined_ratio, exceedance_probability
from ..ratios.definitions import Statement
from ..rules import check
from .pricing import line_moments, per_order, premium_income
from .product import LINES, GigProduct

CLAIM_COLUMNS = ("platform", "city", "date", "line", "loss")


def season_of(dates) -> np.ndarray:
    """Season label ``Q1 … Q4`` (calendar quarter) of each date, as a Categorical."""
    q = pd.DatetimeIndex(dates).quarter.to_numpy()
    return pd.Categorical.from_codes(q - 1, ["Q1", "Q2", "Q3", "Q4"])


def _check_claims(claims: pd.DataFrame) -> None:
    if not isinstance(claims, pd.DataFrame):
        raise ParameterError(f"claims must be a DataFrame, got {type(claims).__name__}")
    missing = [c for c in CLAIM_COLUMNS if c not in claims.columns]
    if missing:
        raise ParameterError(f"claims lack column(s) {missing}")
    bad = ~claims["line"].isin(LINES)
    if bad.any():
        raise ParameterError(f"unknown claim line(s) {sorted(claims['line'][bad].unique())}; "
                             f"lines are {', '.join(LINES)}")
    loss = claims["loss"].to_numpy(float)
    if np.any(~np.isfinite(loss)) or np.any(loss < 0):
        raise ParameterError("claim losses must be finite and ≥ 0")


def paid_amounts(product: GigProduct, claims: pd.DataFrame, **terms) -> np.ndarray:
    """Payout of every claim under the product's terms (``terms`` override the medical
    deductible / payout_ratio / cap): ``pay_line(loss)``."""
    _check_claims(claims)
    out = np.zeros(len(claims))
    line = claims["line"].to_numpy()
    loss = claims["loss"].to_numpy(float)
    for name in LINES:
        m = line == name
        if m.any():
            b = product.benefit(name, **terms) if name == "medical" else product.benefit(name)
            out[m] = np.asarray(b.pay(loss[m]), float)
    return out


def _cells(product: GigProduct, log: pd.DataFrame, claims: pd.DataFrame, by, period):
    """Activity, expected and actual claims per ``by`` × period cell."""
    _check_claims(claims)
    season = season_of(log["date"])
    f = product.factor(log["city"], season)
    cols = [*by]
    act = activity_exposure(log.assign(season=season, weighted_orders=log["orders"] * f),
                            by=cols, period=period,
                            measures=("orders", "hours", "weighted_orders"))
    q = per_order(product)
    act["expected_count"] = act["weighted_orders"] * float(q["claims"])
    act["expected_amount"] = act["weighted_orders"] * float(q["pure"])
    c = claims.assign(paid=paid_amounts(product, claims), season=season_of(claims["date"]))
    c = c[c["paid"] > 0]
    if period is not None:
        c = c.assign(period=pd.PeriodIndex(c["date"], freq=act["period"].dt.freq)
                     if len(act) else c["date"])
    keys = cols + (["period"] if period is not None else [])
    agg = c.groupby(keys, observed=True).agg(
        actual_count=("paid", "size"), actual_amount=("paid", "sum"),
        amount_sq=("paid", lambda x: float(np.sum(np.square(x))))).reset_index()
    out = act.merge(agg, on=keys, how="left") if keys else act.assign(
        actual_count=len(c), actual_amount=float(c["paid"].sum()),
        amount_sq=float(np.sum(c["paid"] ** 2)))
    for col in ("actual_count", "actual_amount", "amount_sq"):
        out[col] = out[col].fillna(0.0)
    out["premium"] = premium_income(product, out["orders"], out["worker_days"], out["hours"])
    return out


def fit_factors(product: GigProduct, log: pd.DataFrame, claims: pd.DataFrame,
                credibility: str | None = None) -> tuple[RateGroups, GigProduct]:
    """City and season frequency factors by a Poisson GLM with offset log(orders).

    The GLM is fitted on the medical and liability claims (the lines with enough claims; the
    factors are applied to every line, an assumption: death and disability are too rare —
    a few a year — to show a factor of their own).

    Returns the :class:`~puhui.experience.glm.RateGroups` fit and a copy of the product with
    ``city_factors`` and ``season_factors`` set to the frequency relativities ``exp(β)`` —
    with ``credibility`` the credible relativity by the GLM module's rule
    (:func:`puhui.experience.glm.credible_relativity`: ``Z exp(β) + (1 − Z)`` for
    ``"limited_fluctuation"``, ``exp(Z β)`` for ``"buhlmann"``) — rescaled to an
    order-weighted mean of 1 (``f_l / Σ_l O_l f_l · Σ_l O_l``).
    """
    _check_claims(claims)
    frequent = claims[claims["line"].isin(("medical", "liability"))]
    cells = _cells(product.with_terms(city_factors={}, season_factors={}), log, frequent,
                   ("platform", "city", "season"), None)
    fit = fit_rate_groups(cells.rename(columns={"actual_count": "claim_count",
                                                "actual_amount": "loss"}),
                          ["city", "season"], exposure="orders", controls=["platform"],
                          credibility=credibility)
    t = fit.factor_table
    factors = {}
    for name in ("city", "season"):
        rows = t[t["factor"] == name]
        rel = rows["frequency_relativity"].to_numpy(float)
        if credibility is not None:  # the GLM module's Z and rule, on the frequency relativity
            rel = credible_relativity(np.log(rel), rows["credibility"].to_numpy(float),
                                      credibility)
        o = rows["exposure"].to_numpy(float)
        rel = rel * o.sum() / (o @ rel)
        factors[name] = dict(zip(rows["level"].astype(str), np.round(rel, 4).tolist(),
                                 strict=True))
    return fit, product.with_terms(city_factors=factors["city"], season_factors=factors["season"])


@dataclass(frozen=True)
class GigReview:
    """Result of :func:`review`.

    ``cells`` (platform × city × month activity, expected and actual medical and liability
    claims, premium), ``ae`` (A/E of those lines by platform × city), ``large_losses`` (death
    and disability, actual against expected, too rare for a cell), ``buhlmann`` (Bühlmann–Straub on the monthly amount A/E: one row
    per platform × city with ``weight``, ``ae``, ``z``, ``credible_ae``), ``ratios`` (the
    year's 综合赔付率 / 综合费用率 / 综合成本率, and the loss and combined ratios with the large
    lines at their expected cost, ``*_large_at_expected``), ``prob_cr_above_100`` (next year at the same
    activity and price), ``rules`` (the rule check)."""

    cells: pd.DataFrame
    ae: AEResult
    buhlmann: pd.DataFrame
    large_losses: pd.DataFrame
    ratios: dict
    prob_cr_above_100: float
    rules: pd.DataFrame


def review(product: GigProduct, log: pd.DataFrame, claims: pd.DataFrame, *,
           parameter_cv: float = 0.0, policies=("example.company_policy",)) -> GigReview:
    """Review a year of experience by platform × city (see the module docstring)."""
    _check_claims(claims)
    large = ("death", "disability")
    attritional = product.with_terms(death_rate=0.0, disability_rate=0.0)
    cells = _cells(attritional, log, claims[~claims["line"].isin(large)],
                   ("platform", "city"), "month")
    cells["premium"] = premium_income(product, cells["orders"], cells["worker_days"],
                                      cells["hours"])
    ae = actual_vs_expected(cells, by=["platform", "city"])
    big = _large_losses(product, log, claims)
    wide = cells.assign(key=cells["platform"].astype(str) + "/" + cells["city"].astype(str),
                        ratio=cells["actual_amount"] / cells["expected_amount"])
    ratios_m = wide.pivot(index="key", columns="period", values="ratio")
    weights_m = wide.pivot(index="key", columns="period", values="expected_amount")
    bs = BuhlmannStraub().fit(ratios_m, weights_m)
    buhl = pd.DataFrame({"weight": bs.weights_, "ae": bs.individual_means_, "z": bs.z_,
                         "credible_ae": bs.premiums_}).rename_axis("platform_city").reset_index()
    premium = float(cells["premium"].sum())
    paid = float(cells["actual_amount"].sum())
    n = float(cells["actual_count"].sum())
    actual = _ratios(product, premium, paid + big["actual_amount"].sum(),
                     n + big["actual_count"].sum())
    smoothed = _ratios(product, premium, paid + big["expected_amount"].sum(),
                       n + big["expected_count"].sum())
    ratios = {**actual, **{f"{k}_large_at_expected": v for k, v in smoothed.items()
                          if k in ("loss_ratio", "combined_ratio")}}
    prob = prob_cr_above(product, log, premium=premium, parameter_cv=parameter_cv)
    rules = check({"combined_ratio": ratios["combined_ratio"],
                   "loss_ratio": ratios["loss_ratio"]}, books=[],
                  policies=list(policies))
    return GigReview(cells, ae, buhl, big, ratios, float(prob), rules)


def _ratios(product: GigProduct, premium: float, paid: float, n: float) -> dict:
    """The year's statement: premium earned on the day worked (no UPR at year end), claims
    settled (no reserve: an assumption of the example), claim handling in 业务及管理费."""
    e = product.expenses
    st = Statement(gross_written_premium=premium, change_in_upr=0.0, claims_paid=paid,
                   change_in_claim_reserves=0.0, commission=e.commission * premium,
                   admin_expenses=(e.admin + e.premium_share + e.catastrophe_reserve) * premium
                   + e.per_claim * n,
                   taxes_and_surcharges=e.taxes * premium,
                   protection_fund=e.protection_fund * premium)
    r = combined_ratio(st)
    return {k: float(getattr(r, k)) for k in ("earned_premium", "loss_ratio", "expense_ratio",
                                              "combined_ratio", "underwriting_result")}


def _large_losses(product: GigProduct, log: pd.DataFrame, claims: pd.DataFrame) -> pd.DataFrame:
    """Death and disability (大额、稀少): actual against expected count and amount, with the
    exact Poisson interval of the count (:func:`puhui.experience.ae.poisson_interval`)."""
    from ..experience.ae import poisson_interval

    f = product.factor(log["city"], season_of(log["date"]))
    weighted = float(np.sum(log["orders"].to_numpy(float) * f))
    paid = paid_amounts(product, claims)
    rows = []
    for line in ("death", "disability"):
        m1, _, _, prob = line_moments(product, line)
        lam = product.rate(line)
        mask = (claims["line"] == line).to_numpy() & (paid > 0)
        lo, hi = poisson_interval(np.array([float(mask.sum())]), 0.95)
        rows.append({"line": line, "actual_count": float(mask.sum()),
                     "expected_count": weighted * lam * float(prob),
                     "count_lower": float(lo[0]), "count_upper": float(hi[0]),
                     "actual_amount": float(paid[mask].sum()),
                     "expected_amount": weighted * lam * float(m1)})
    return pd.DataFrame(rows)


def prob_cr_above(product: GigProduct, log: pd.DataFrame, *, premium: float | None = None,
                  threshold: float = 1.0, parameter_cv: float = 0.0, scale: float = 1.0,
                  **terms):
    """P(CR > ``threshold``) over a year with the log's activity (NP2 on the cumulants
    ``κ_j = Σ_cells O f Σ_l λ_l E[Y_l^j]``); ``premium`` defaults to the product's income on
    the log. ``terms`` (medical grid) broadcast, like ``premium`` (an array of premiums).
    ``scale`` multiplies the log's activity (a book ``scale`` times the log's size, same mix:
    the cumulants and the premium scale with it)."""
    if not (np.isfinite(scale) and scale > 0):
        raise ParameterError(f"scale must be > 0, got {scale!r}")
    season = season_of(log["date"])
    f = product.factor(log["city"], season)
    weighted = float(np.sum(log["orders"].to_numpy(float) * f))
    k = [0.0, 0.0, 0.0, 0.0]
    for line in LINES:
        m = line_moments(product, line, **terms)
        lam = product.rate(line)
        k = [k[j] + lam * m[j] for j in range(4)]
    mean, var, third, count = (scale * weighted * v for v in k)
    if premium is None:
        premium = float(np.sum(premium_income(product, log["orders"].sum(), len(log),
                                              log["hours"].sum())))
    premium = scale * np.asarray(premium, float)
    e = product.expenses
    t = (threshold - e.variable_rate) * np.asarray(premium, float) - e.per_claim * count
    return exceedance_probability(t, mean, var, third, method="np2", cv=parameter_cv)


__all__ = ["GigReview", "fit_factors", "paid_amounts", "prob_cr_above", "review", "season_of"]
