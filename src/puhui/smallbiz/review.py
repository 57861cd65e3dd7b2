"""Retrospective review (回溯分析) and tuning of the small-business covers.

**Property book review** (:func:`review_property`): per occupancy class, the claims paid A
against the claims E expected on the product's basis (pure premium × risk-years), ``A/E``, the
limited-fluctuation credibility ``Z = min(1, √(n/n_F))`` of the class's claim count
(:func:`puhui.credibility.partial_credibility`; ``n_F = 1,082`` for p = 90 %, k = 5 %,
Longley-Cook 1962) and the credibility-weighted factor ``Z·A/E + (1 − Z)``; the loss ratio
(赔付率, paid / earned premium), the expense ratio (费用率: ``v + F·policies / premium``) and
the 综合成本率 by :func:`puhui.ratios.combined_ratio_from`.

**Group experience rating** (:func:`experience_rate`): each group's A/E against its class rate,
weighted by credibility between the group and the class rate — Bühlmann–Straub across groups or
limited fluctuation per group (:class:`puhui.credibility.experience_rating.ExperienceRating`,
the method named in the product file) — and next year's premium = manual premium × factor.

**P(CR > 100%)** of a property book (:func:`property_prob_loss`): the yearly claims paid are a
sum of compound Poisson risks with cumulants ``κ_j = Σ λ_i E[Y_i^j]``
(:func:`puhui.smallbiz.pricing.property_moments`); CR > 100 % when claims exceed
``Σ P_i (1 − v) − F·policies``; NP2 by :func:`puhui.ratios.exceedance_probability`.

**Tuning** (:func:`tune_property`): a grid of 免赔额 × 赔付比例 evaluated at once (the
cumulants broadcast over the designs), the required premium by the one gross-up, P(CR > 100%)
at that premium, the share of losses paid; the frontier by :func:`puhui.tuning.pareto_mask`
and the choice by :func:`puhui.tuning.optimise` under :class:`puhui.tuning.Constraints`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..credibility import full_credibility_standard, partial_credibility
from ..credibility.experience_rating import ExperienceRating
from ..errors import DataError, ParameterError, Problem
from ..ratios import combined_ratio_from, exceedance_probability, expected_combined_ratio
from ..tuning import Constraints, optimise, pareto_mask
from .pricing import gross, price_groups, price_property, property_moments
from .product import Product

__all__ = ["experience_rate", "property_prob_loss", "review_property", "tune_property"]


def _numbers(frame, cols, table):
    problems = []
    out = {}
    for c in cols:
        if c not in frame.columns:
            problems.append(Problem(table, c, None, "missing_column", "required column is missing"))
            continue
        x = pd.to_numeric(frame[c], errors="coerce").to_numpy(float)
        for i in np.flatnonzero(~np.isfinite(x) | (x < 0)):
            problems.append(Problem(table, c, int(i) + 1, "out_of_range",
                                    "must be a number ≥ 0", frame[c].iloc[i]))
        out[c] = x
    if problems:
        raise DataError(problems)
    return out


def review_property(product: Product, book: pd.DataFrame, *, p: float = 0.90,
                    k: float = 0.05, table: str = "book") -> pd.DataFrame:
    """A/E, credibility and 综合成本率 of a property book by occupancy class (and ``all``).

    ``book``: one row per risk × year with ``sum_insured``, ``occupancy``, ``location_grade``,
    ``exposure`` (risk-years earned), ``premium`` (earned, 元), ``claim_count`` and
    ``claims_paid`` (元, incurred).
    """
    nums = _numbers(book, ("exposure", "premium", "claim_count", "claims_paid"), table)
    priced = price_property(product, book, table=table)
    e = product.expenses
    frame = pd.DataFrame({"occupancy": priced["occupancy"].to_numpy(object),
                          "exposure": nums["exposure"],
                          "expected": priced["pure_premium"].to_numpy() * nums["exposure"],
                          "actual": nums["claims_paid"], "claims": nums["claim_count"],
                          "premium": nums["premium"], "policies": 1.0})
    by = frame.groupby("occupancy", sort=True).sum(numeric_only=True)
    by.loc["all"] = by.sum()
    by["ae"] = by["actual"] / by["expected"]
    z = np.asarray(partial_credibility(by["claims"].to_numpy(), p, k))
    by["z"] = z
    by["credible_ae"] = z * by["ae"] + (1.0 - z)
    by["loss_ratio"] = by["actual"] / by["premium"]
    by["expense_ratio"] = e.variable_rate + (e.per_member * by["policies"]
                                             + e.per_claim * by["claims"]) / by["premium"]
    by["combined_ratio"] = combined_ratio_from(by["loss_ratio"].to_numpy(),
                                               by["expense_ratio"].to_numpy())
    by.attrs["full_standard"] = full_credibility_standard(p, k)
    return by.reset_index()


def experience_rate(product: Product, experience: pd.DataFrame, *, method: str | None = None,
                    table: str = "experience") -> pd.DataFrame:
    """Experience-rated premium of every group (经验费率) of an employer product.

    ``experience``: one row per group × year with ``group, year, occupation_class,
    headcount`` (or ``payroll``), ``claim_count`` and ``claims_paid`` (元). The expected claims
    are the class rate × exposure (:func:`puhui.smallbiz.pricing.price_groups`); the factor is
    the credibility-weighted A/E (``method``: the product's, or ``buhlmann_straub`` /
    ``limited_fluctuation``). Returns per group: ``occupation_class, exposure (last year),
    actual, expected, ae, z, factor, manual_premium`` (last year's exposure at the class
    rate) and ``rated_premium = manual_premium × factor``; ``.attrs`` holds the structure
    (collective, within and between variance, credibility constant, full standard).
    """
    if not isinstance(experience, pd.DataFrame):
        raise ParameterError(f"{table} must be a DataFrame")
    nums = _numbers(experience, ("claim_count", "claims_paid"), table)
    if "year" not in experience.columns:
        raise DataError([Problem(table, "year", None, "missing_column",
                                 "required column is missing")])
    priced = price_groups(product, experience, table=table)
    exp = pd.DataFrame({"group": priced["group"].to_numpy(), "period": priced["year"].to_numpy(),
                        "actual": nums["claims_paid"],
                        "expected": priced["expected_claims"].to_numpy(),
                        "claims": nums["claim_count"]})
    rating = ExperienceRating(method or product.terms.credibility, cv=1.0).fit(
        exp, claims="claims")
    last = priced.sort_values("year").groupby("group", sort=True).tail(1).set_index("group")
    t = rating.table_.set_index("group")
    out = pd.DataFrame({
        "group": t.index, "occupation_class": last["occupation_class"].reindex(t.index).to_numpy(),
        "exposure": last["exposure"].reindex(t.index).to_numpy(),
        "actual": t["actual"].to_numpy(), "expected": t["expected"].to_numpy(),
        "claims": t["claims"].to_numpy(), "ae": t["ae"].to_numpy(), "z": t["z"].to_numpy(),
        "factor": t["credible_ae"].to_numpy(),
        "manual_premium": last["manual_premium"].reindex(t.index).to_numpy()})
    out["rated_premium"] = out["manual_premium"] * out["factor"]
    out.attrs.update(rating.summary().attrs)
    return out


def property_prob_loss(product: Product, risks: pd.DataFrame, premium=None, *, cv: float = 0.0,
                       deductible=None, payout_ratio=None) -> float:
    """P(CR > 100%) of a property book for one year at ``premium`` (per risk; default the
    product's gross premium), NP2 from the book's cumulants; ``cv`` the parameter-risk factor
    of :func:`puhui.ratios.exceedance_probability`."""
    t = product.terms
    d = t.deductible if deductible is None else deductible
    r = t.payout_ratio if payout_ratio is None else payout_ratio
    priced = price_property(product, risks, deductible=d, payout_ratio=r)
    prem = priced["gross_premium"].to_numpy() if premium is None else np.broadcast_to(
        np.asarray(premium, float), (len(risks),))
    k1, k2, k3, _ = property_moments(product, risks, d, r)
    e = product.expenses
    threshold = prem.sum() * (1.0 - e.variable_rate) - e.per_member * len(risks)
    return float(exceedance_probability(threshold, k1, k2, k3, cv=cv))


def tune_property(product: Product, risks: pd.DataFrame, deductibles, payout_ratios, *,
                  max_price: float | None = None, max_prob_loss: float | None = None,
                  cv: float = 0.0):
    """Evaluate every 免赔额 × 赔付比例 design on a book of risks and choose one.

    Returns ``(table, choice)``: ``table`` one row per design with ``design, deductible,
    payout_ratio, pure_premium`` (mean per risk), ``required_premium`` (mean gross per risk,
    the one gross-up at the target 综合成本率), ``expected_cr`` (at the required premium: the
    target by construction), ``prob_cr_above_100`` (at the required premium, NP2),
    ``share_paid`` (expected paid claims / expected losses), ``indemnity_share`` (expected
    payout / expected ground-up loss), ``frontier`` (Pareto: price
    against share paid); ``choice`` the :func:`puhui.tuning.optimise` result maximising the
    share paid (then the indemnity share) under ``max_price`` (mean gross per risk) and ``max_prob_loss``.
    """
    d = np.asarray(deductibles, dtype=float)
    r = np.asarray(payout_ratios, dtype=float)
    if d.ndim != 1 or r.ndim != 1 or d.size == 0 or r.size == 0:
        raise ParameterError("deductibles and payout_ratios must be non-empty 1-D lists")
    dd, rr = np.meshgrid(d, r, indexing="ij")
    base = price_property(product, risks)                      # checks the risks once
    k1, k2, k3, n_paid = property_moments(product, risks, dd.ravel(), rr.ravel())
    n_loss = float(base["frequency"].sum())
    n_risks = len(base)
    e = product.expenses
    total_gross = np.asarray(gross(product, k1 / n_risks, n_paid / n_risks)) * n_risks
    threshold = total_gross * (1.0 - e.variable_rate) - e.per_member * n_risks
    prob = exceedance_probability(threshold, k1, k2, k3, cv=cv)
    cr = expected_combined_ratio(k1 / n_risks, total_gross / n_risks,
                                 variable_rate=e.variable_rate,
                                 fixed_expenses=e.per_member)
    table = pd.DataFrame({"design": np.arange(dd.size), "deductible": dd.ravel(),
                          "payout_ratio": rr.ravel(), "pure_premium": k1 / n_risks,
                          "required_premium": total_gross / n_risks, "expected_cr": cr,
                          "prob_cr_above_100": prob, "share_paid": n_paid / n_loss,
                          "indemnity_share": k1 / float((base["expected_loss"]).sum())})
    table["frontier"] = pareto_mask(table["required_premium"], table["share_paid"])
    choice = optimise(table, Constraints(max_price=max_price, max_prob_loss=max_prob_loss),
                      objective=["share_paid", "indemnity_share"])
    return table, choice
