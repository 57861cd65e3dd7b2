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
from .pricing import (
    employer_moments,
    employer_rates,
    gross,
    liability_design_moments,
    price_groups,
    price_property,
    property_moments,
)
from .product import Product

__all__ = ["employer_prob_loss", "evaluate_designs", "experience_rate", "liability_prob_loss", "property_prob_loss", "review_employer", "review_liability",
           "tune_employer", "tune_liability", "tune_property"]


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


def _book_ratios(frame: pd.DataFrame, e, *, paid: str, units: str, claims: str) -> None:
    """Add ``loss_ratio = paid / premium`` (赔付率), ``expense_ratio = v + (F·units +
    k·claims) / premium`` (费用率; F per policy or head, k per claim) and ``combined_ratio``
    (综合成本率, :func:`puhui.ratios.combined_ratio_from`) to ``frame``, in place."""
    frame["loss_ratio"] = frame[paid] / frame["premium"]
    frame["expense_ratio"] = e.variable_rate + (e.per_member * frame[units]
                                                + e.per_claim * frame[claims]) / frame["premium"]
    frame["combined_ratio"] = combined_ratio_from(frame["loss_ratio"].to_numpy(),
                                                  frame["expense_ratio"].to_numpy())


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
    _book_ratios(by, e, paid="actual", units="policies", claims="claims")
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


def review_employer(product: Product, groups: pd.DataFrame, *, table: str = "groups"
                    ) -> pd.DataFrame:
    """综合赔付率, 综合费用率 and 综合成本率 of an employer book by year: ``groups`` one row per
    group × year with ``claim_count``, ``claims_paid`` and ``premium`` (earned, 元; without the
    column the manual class-rate premium is taken as earned). ``expense_ratio = v + (F·heads +
    k·claims) / premium`` (F per head, as priced), ``combined_ratio`` by
    :func:`puhui.ratios.combined_ratio_from`. Columns ``year, premium, claims_paid,
    claim_count, heads, loss_ratio, expense_ratio, combined_ratio``; ``.attrs``
    ``premium_by_group`` (the premium used, per row of ``groups``)."""
    nums = _numbers(groups, ("claim_count", "claims_paid"), table)
    if "year" not in groups.columns:
        raise DataError([Problem(table, "year", None, "missing_column",
                                 "required column is missing")])
    priced = price_groups(product, groups, table=table)
    e = product.expenses
    prem = (_numbers(groups, ("premium",), table)["premium"] if "premium" in groups.columns
            else priced["manual_premium"].to_numpy(float))
    t = product.terms
    heads = priced["exposure"].to_numpy(float) if t.exposure_base == "headcount" \
        else priced["payroll"].to_numpy(float) / t.average_salary
    years = pd.DataFrame({"year": groups["year"].to_numpy(), "premium": prem,
                          "claims_paid": nums["claims_paid"],
                          "claim_count": nums["claim_count"],
                          "heads": heads}).groupby("year").sum().reset_index()
    _book_ratios(years, e, paid="claims_paid", units="heads", claims="claim_count")
    years.attrs["premium_by_group"] = prem
    return years


def employer_prob_loss(product: Product, groups: pd.DataFrame, premium=None, *,
                       cv: float = 0.0, table: str = "groups") -> float:
    """P(CR > 100%) of one year of an employer book: ``groups`` (one row per group, the
    columns of :func:`puhui.smallbiz.pricing.price_groups`) at ``premium`` (per group; default
    the manual premium). The book's payout cumulants are the heads' sums of
    :func:`puhui.smallbiz.pricing.employer_moments` by 职业类别; CR > 100 % when claims exceed
    ``Σ P (1 − v) − F·heads − k·E[claims]``; NP2 by :func:`puhui.ratios.exceedance_probability`.
    NaN when the product file gives no ``grade_probabilities``."""
    priced = price_groups(product, groups, table=table)
    prem = priced["manual_premium"].to_numpy(float) if premium is None else np.broadcast_to(
        np.asarray(premium, dtype=float), (len(priced),))
    t = product.terms
    heads = priced["headcount" if t.exposure_base == "headcount" else "payroll"].to_numpy(float)
    if t.exposure_base == "payroll":
        heads = heads / t.average_salary
    k = pd.to_numeric(priced["occupation_class"]).to_numpy(int)
    by_class = np.bincount(k, weights=heads, minlength=7)[1:]
    k1, k2, k3 = (by_class @ c for c in employer_moments(product))
    paid = by_class @ employer_rates(product)["claims_per_head"].to_numpy(float)
    e = product.expenses
    threshold = prem.sum() * (1.0 - e.variable_rate) - e.per_member * heads.sum() \
        - e.per_claim * paid
    if not (np.isfinite(k2) and np.isfinite(k3)):
        return float("nan")
    return float(exceedance_probability(threshold, k1, k2, k3, cv=cv))


def review_liability(product: Product, policies: pd.DataFrame, claims: pd.DataFrame, *,
                     as_of, ibnr: str = "bornhuetter_ferguson", p: float = 0.90,
                     k: float = 0.05, table: str = "policies",
                     claims_table: str = "liability_claims") -> pd.DataFrame:
    """A/E, IBNR, credibility and 综合成本率 of a 公众责任 book by accident year (and ``all``).

    ``policies``: one row per policy × year with ``policy, year, units`` (exposure units) and
    ``premium`` (earned, 元). ``claims``: one row per claim reported by ``as_of`` with
    ``policy, accident_date, paid`` and ``case_reserve`` (元; incurred = paid + case reserve),
    and ``report_date`` (报案日期) when known; the accident year must be a policy year of the
    policy.

    * expected = the filed limited cost ``E[min(S, A)]`` per policy-year of its size
      (:func:`puhui.smallbiz.pricing.liability_premium`, the product's limits and deductible);
    * with report dates, the reported incurred triangle ``C[i, j]`` (accident year i ×
      development period j: the incurred of the claims of year i reported by the end of the
      (j + 1)-th 12-month period, the periods ending at ``as_of`` — the calendar years
      i … i + j for a year-end ``as_of``), built by the project's one triangle builder
      :func:`puhui.experience.triangles.triangle` (origins from the first policy year to the
      valuation year), gives the IBNR (未报案) by :mod:`puhui.experience.ibnr` (chainladder) —
      by default :func:`~puhui.experience.ibnr.bornhuetter_ferguson` with the filed expected
      loss ratio ``expected / premium`` of each year as the a-priori: ``IBNR_i = E_i (1 −
      1/CDF_i)``, the expected unreported part of the filed cost, the usual choice for a thin
      long-tailed book whose latest years have few claims — or ``ibnr="chain_ladder"``
      (:func:`~puhui.experience.ibnr.chain_ladder`): ``IBNR_i = C_i,latest (CDF_i − 1)``;
      ``CDF_i`` the product of the volume-weighted link ratios from year i's latest age (a
      link ratio over a column without incurred is taken as 1 and named in the notes);
      no tail factor beyond the oldest year's age (claims reported later than that are not
      estimated, and ``.attrs["notes"]`` says so); ``ultimate = reported_incurred +
      ibnr_amount``, ``unreported_share = ibnr_amount / ultimate`` (the share of the ultimate
      not yet reported at ``as_of``). Without report dates the IBNR is not estimated (NaN) and
      the A/E rests on the reported claims;
    * ``ae = ultimate / expected`` (``ae_reported`` on the reported amount), the
      limited-fluctuation credibility ``Z = min(1, √(n/n_F))`` of the reported claim count
      with ``n_F = (z/k)²(1 + CV²)``, CV that of the limited payout per accident
      (:func:`puhui.credibility.partial_credibility`), ``credible_ae = Z·ae + (1 − Z)``;
    * ``loss_ratio = ultimate / premium`` (赔付率 on the regulatory definition: incurred
      including IBNR over earned premium), ``expense_ratio = v + (F·policies + k·claims) /
      premium`` and ``combined_ratio`` by :func:`puhui.ratios.combined_ratio_from`.

    ``.attrs``: ``full_standard``, ``ibnr_method`` and ``notes`` (what the IBNR rests on).
    """
    from ..benefits import Benefit
    from ..losses import coverage
    from .pricing import liability_premium, liability_severity

    if ibnr not in _IBNR_METHODS:
        raise ParameterError(f"ibnr must be 'bornhuetter_ferguson' or 'chain_ladder', got "
                             f"{ibnr!r}")
    t = product.terms
    nums = _numbers(policies, ("units", "premium"), table)
    if "year" not in policies.columns or "policy" not in policies.columns:
        raise DataError([Problem(table, c, None, "missing_column", "required column is missing")
                         for c in ("policy", "year") if c not in policies.columns])
    cnums = _numbers(claims, ("paid", "case_reserve"), claims_table)
    for c in ("policy", "accident_date"):
        if c not in claims.columns:
            raise DataError([Problem(claims_table, c, None, "missing_column",
                                     "required column is missing")])
    acc = pd.to_datetime(claims["accident_date"], errors="coerce")
    bad = acc.isna().to_numpy()
    if bad.any():
        raise DataError([Problem(claims_table, "accident_date", int(i) + 1, "not_a_date",
                                 "must be a date", claims["accident_date"].iloc[i])
                         for i in np.flatnonzero(bad)[:20]])
    key = policies["policy"].astype(str) + "/" + policies["year"].astype(int).astype(str)
    ckey = claims["policy"].astype(str) + "/" + acc.dt.year.astype(str)
    unknown = ~ckey.isin(key)
    if unknown.any():
        raise DataError([Problem(claims_table, "policy", int(i) + 1, "unknown_policy",
                                 "no policy-year of this policy covers the accident date",
                                 ckey.iloc[i]) for i in np.flatnonzero(unknown.to_numpy())[:20]])
    units = nums["units"]
    card = liability_premium(product, units).set_index("units")
    e = product.expenses
    frame = pd.DataFrame({"year": policies["year"].astype(int).to_numpy(), "policies": 1.0,
                          "units": units, "premium": nums["premium"],
                          "expected": card["pure_premium"].reindex(units).to_numpy()})
    by = frame.groupby("year", sort=True).sum()
    incurred = cnums["paid"] + cnums["case_reserve"]
    cl = pd.DataFrame({"year": acc.dt.year.to_numpy(), "reported": incurred, "count": 1.0})
    rep = cl.groupby("year").sum().reindex(by.index, fill_value=0.0)
    by["reported_count"] = rep["count"]
    by["reported_incurred"] = rep["reported"]
    as_of = pd.Timestamp(as_of)
    notes = []
    if "report_date" in claims.columns and len(claims):
        tri_in = pd.DataFrame({"accident_date": acc,
                               "report_date": pd.to_datetime(claims["report_date"],
                                                             errors="coerce"),
                               "paid": cnums["paid"], "case_reserve": cnums["case_reserve"]})
        if tri_in["report_date"].isna().any() or (tri_in["report_date"] < acc).any():
            i = int(np.flatnonzero((tri_in["report_date"].isna() | (tri_in["report_date"]
                                                                     < acc)).to_numpy())[0])
            raise DataError([Problem(claims_table, "report_date", i + 1, "not_a_date",
                                     "must be a date on or after the accident date",
                                     claims["report_date"].iloc[i])])
        late = (tri_in["report_date"] > as_of).to_numpy()
        if late.any():
            i = int(np.flatnonzero(late)[0])
            raise DataError([Problem(claims_table, "report_date", i + 1, "out_of_range",
                                     f"reported after the valuation date {as_of.date()}",
                                     claims["report_date"].iloc[i])])
        first = int(min(by.index.min(), acc.dt.year.min()))
        ibnr_by, method, dev_notes = _liability_ibnr(tri_in, by["expected"], first, as_of,
                                                     ibnr)
        by["ibnr_amount"] = ibnr_by.reindex(by.index).fillna(0.0).clip(lower=0.0)
        n_years = as_of.year - first + 1
        notes.append(f"IBNR on {n_years} accident years; no tail factor: claims reported "
                     f"more than {n_years - 1} years after their accident year are not "
                     "estimated")
        notes += dev_notes
    else:
        by["ibnr_amount"] = np.nan
        method = "not estimated (no report dates)"
        notes.append("no report_date column: IBNR and the unreported share are not estimated; "
                     "A/E rests on the reported claims only")
    by.loc["all"] = by.sum(min_count=1)
    by["ultimate"] = by["reported_incurred"] + by["ibnr_amount"].fillna(0.0)
    by["unreported_share"] = by["ibnr_amount"] / by["ultimate"].where(by["ultimate"] > 0)
    by["ae_reported"] = by["reported_incurred"] / by["expected"]
    by["ae"] = by["ultimate"] / by["expected"]
    pay = coverage(liability_severity(product),
                   Benefit(deductible=t.deductible, cap=t.limit_per_accident))
    cv = float(pay.std() / pay.mean())
    z = np.asarray(partial_credibility(by["reported_count"].to_numpy(), p, k, cv))
    by["z"] = z
    by["credible_ae"] = z * by["ae"] + (1.0 - z)
    _book_ratios(by, e, paid="ultimate", units="policies", claims="reported_count")
    by.attrs.update(full_standard=full_credibility_standard(p, k, cv), severity_cv=cv,
                    ibnr_method=method, notes=notes)
    out = by.reset_index().rename(columns={"index": "year"})
    out["year"] = out["year"].astype(str)
    return out


def _liability_ibnr(claims: pd.DataFrame, expected: pd.Series, first: int, as_of: pd.Timestamp,
                    method: str) -> tuple[pd.Series, str, list[str]]:
    """IBNR by accident year of the reported incurred triangle, by the project's one home of
    the development methods: the triangle of :func:`puhui.experience.triangles.triangle`
    (``value="incurred"``, annual origins from ``first`` to the valuation year, 12-month
    development periods ending at ``as_of``) and :func:`puhui.experience.ibnr.chain_ladder` or
    :func:`puhui.experience.ibnr.bornhuetter_ferguson` (chainladder) with the filed expected
    cost of each accident year as the a-priori ultimate (premium = expected, ELR = 1).
    A year with no expected cost (no policy-year) has a BF IBNR of 0 (``E_i (1 − 1/CDF_i)``)."""
    from ..experience.ibnr import bornhuetter_ferguson, chain_ladder
    from ..experience.triangles import triangle

    years = np.arange(first, as_of.year + 1)
    if years.size == 1:                          # one development age: nothing to develop
        return (pd.Series(0.0, index=years), _IBNR_METHODS[method],
                ["one accident year at its first age: no development, IBNR 0"])
    tri = triangle(claims, value="incurred", as_of=as_of,
                   origin_span=(f"{first}-01-01", f"{as_of.year}-01-01"))
    origins = np.asarray(tri.origin.year, dtype=int)
    if method == "chain_ladder":
        res = chain_ladder(tri)
        ibnr = res.by_origin["ibnr"].to_numpy(float)
    else:
        e = expected.reindex(origins, fill_value=0.0).to_numpy(float)
        none = e <= 0
        res = bornhuetter_ferguson(tri, premium=np.where(none, 1.0, e), apriori=1.0)
        ibnr = np.where(none, 0.0, res.by_origin["ibnr"].to_numpy(float))
    # chainladder reads a zero cell as a missing one: an accident year with nothing reported
    # at one age and some at the next is left out of that link ratio (the textbook
    # Σ C[i, j+1] / Σ C[i, j] would count it), and a link ratio with no origin left is taken
    # as 1. Both are named, so that a thin book's IBNR is read with them in mind.
    raw = np.asarray(tri.values, float)[0, 0]
    cells = np.nan_to_num(raw)
    ages = np.asarray(tri.development, dtype=int)
    seen = np.isfinite(raw) | (np.arange(len(origins))[:, None] + np.arange(len(ages))[None, :]
                               < len(origins))
    notes = [f"accident year {origins[i]}: no incurred reported by {ages[j]} months and "
             f"{cells[i, j + 1]:,.0f} by {ages[j + 1]} months; chainladder leaves the year out "
             f"of the {ages[j]}–{ages[j + 1]} link ratio (a zero cell is a missing cell)"
             for i, j in zip(*np.nonzero((cells[:, :-1] == 0) & (cells[:, 1:] > 0)
                                         & seen[:, 1:]), strict=True)]
    ldf = res.factors["ldf"].to_numpy(float)
    notes += [f"no incurred reported by age {ages[j]} months in any accident year observed "
              f"at {ages[j + 1]}: link ratio {ages[j]}–{ages[j + 1]} months taken as 1"
              for j in np.flatnonzero(~np.isfinite(ldf)) if cells[:, j + 1].sum() > 0]
    return pd.Series(ibnr, index=origins), _IBNR_METHODS[method], notes


_IBNR_METHODS = {
    "chain_ladder": "chain ladder on reported incurred (accident year × development year)",
    "bornhuetter_ferguson": ("Bornhuetter–Ferguson on reported incurred (accident year × "
                             "development year), a-priori the filed expected loss ratio")}


def liability_prob_loss(product: Product, units, premium, *, cv: float = 0.0) -> float:
    """P(CR > 100%) of one year of a 公众责任 book: ``units`` and ``premium`` (earned, 元) per
    policy; the payout of a policy is ``min(S, A)`` with the cumulants of
    :func:`puhui.smallbiz.pricing.liability_premium` (``moments=True``), summed over the
    independent policies; CR > 100 % when claims exceed ``Σ P (1 − v) − F·policies −
    k·E[paid claims]``; NP2 by :func:`puhui.ratios.exceedance_probability`."""
    from .pricing import liability_premium, liability_severity

    u = np.asarray(units, dtype=float)
    prem = np.broadcast_to(np.asarray(premium, dtype=float), u.shape)
    card = liability_premium(product, u, moments=True).set_index("units")
    per = card.reindex(u)
    k1, k2, k3 = (float(per[c].sum()) for c in ("pure_premium", "claims_var", "claims_third"))
    e = product.expenses
    paid = float(per["expected_accidents"].sum()) * float(
        liability_severity(product).sf(product.terms.deductible))
    threshold = float(prem.sum()) * (1.0 - e.variable_rate) - e.per_member * u.size \
        - e.per_claim * paid
    return float(exceedance_probability(threshold, k1, k2, k3, cv=cv))


def evaluate_designs(product: Product, designs: pd.DataFrame, k1, k2, k3, paid_claims, *,
                     policies: float, claims: float, ground_up: float, cv: float = 0.0,
                     benefit: str = "share_paid", objective=("share_paid", "indemnity_share"),
                     max_price: float | None = None, max_prob_loss: float | None = None,
                     risk_loading: bool = False):
    """The one grid evaluator of the family's tuning studies (property, liability, employer).

    Given, per design, the cumulants ``κ₁, κ₂, κ₃`` of the book's yearly payout and the
    expected number of paid claims ``n_paid`` over ``policies`` policies (or heads), with
    ``claims`` the expected number of losses and ``ground_up`` their expected amount:

    * ``pure_premium = κ₁ / policies`` and ``premium_at_target`` its gross-up at the target
      综合成本率 (:func:`puhui.smallbiz.pricing.gross`, the one gross-up);
    * ``required_premium``: ``premium_at_target``, or with ``risk_loading`` (and
      ``max_prob_loss`` = α) the larger of it and the premium at which P(CR > 100%) = α
      (``P_α = (t_α + F·policies + k·n_paid)/(1 − v)`` with ``t_α`` the NP2 (1 − α)-quantile
      of S, found by bisection on :func:`puhui.ratios.exceedance_probability` for all designs
      at once) — the premium that meets both the target and the risk appetite, for a book too
      small for the target's margin to hold the year's spread (a 公众责任 book);
    * ``expected_cr`` at the required premium (:func:`puhui.ratios.expected_combined_ratio`:
      the target by construction, below it where the risk loading binds);
    * ``prob_cr_above_100 = P(S > P(1 − v) − F·policies − k·n_paid)`` by NP2
      (:func:`puhui.ratios.exceedance_probability`, ``cv`` the parameter-risk factor; NaN
      where κ₂ is NaN: not computed);
    * ``share_paid = n_paid / claims``, ``indemnity_share = κ₁ / ground_up``;
    * ``frontier``: :func:`puhui.tuning.pareto_mask` of the price against ``benefit``.

    The choice is :func:`puhui.tuning.optimise` of ``objective`` under
    ``Constraints(max_price, max_prob_loss)``. Returns ``(table, choice)``; ``designs`` gives
    the design columns (one row per design) and the order of the arrays.
    """
    e = product.expenses
    n = float(policies)
    k1, k2, k3, paid = (np.asarray(v, dtype=float) for v in (k1, k2, k3, paid_claims))
    at_target = np.asarray(gross(product, k1 / n, paid / n), dtype=float) * n
    known = np.isfinite(k2) & np.isfinite(k3)
    total_gross = at_target
    if risk_loading and max_prob_loss is not None:
        t_alpha = np.full(k1.shape, -np.inf)
        t_alpha[known] = _np2_threshold(float(max_prob_loss), k1[known], k2[known], k3[known],
                                        cv)
        at_alpha = (t_alpha + e.per_member * n + e.per_claim * paid) / (1.0 - e.variable_rate)
        total_gross = np.maximum(at_target, at_alpha)
    threshold = total_gross * (1.0 - e.variable_rate) - e.per_member * n - e.per_claim * paid
    prob = np.full(k1.shape, np.nan)
    if known.any():
        prob[known] = exceedance_probability(threshold[known], k1[known], k2[known],
                                             k3[known], cv=cv)
    cr = expected_combined_ratio((k1 + e.per_claim * paid) / n, total_gross / n,
                                 variable_rate=e.variable_rate, fixed_expenses=e.per_member)
    table = designs.reset_index(drop=True).copy()
    table.insert(0, "design", np.arange(len(table)))
    table["pure_premium"] = k1 / n
    table["premium_at_target"] = at_target / n
    table["required_premium"] = total_gross / n
    table["expected_cr"] = cr
    table["prob_cr_above_100"] = prob
    table["share_paid"] = paid / float(claims)
    table["indemnity_share"] = k1 / float(ground_up)
    table["frontier"] = pareto_mask(table["required_premium"], table[benefit])
    choice = optimise(table, Constraints(max_price=max_price, max_prob_loss=max_prob_loss),
                      objective=list(objective))
    return table, choice


def _np2_threshold(alpha: float, k1, k2, k3, cv: float) -> np.ndarray:
    """``t`` with ``P(Θ·S > t) = α`` for every design (vectorised bisection, 80 halvings, on
    :func:`puhui.ratios.exceedance_probability`, which falls in ``t``)."""
    if not 0.0 < alpha < 1.0:
        raise ParameterError(f"max_prob_loss must be in (0, 1), got {alpha!r}")
    sd = np.sqrt(k2)
    lo = np.zeros_like(k1)
    hi = k1 + 60.0 * sd * (1.0 + cv) + 1.0
    for _ in range(80):                       # halvings, each over all designs at once
        mid = 0.5 * (lo + hi)
        over = np.asarray(exceedance_probability(mid, k1, k2, k3, cv=cv)) > alpha
        lo = np.where(over, mid, lo)
        hi = np.where(over, hi, mid)
    return hi


def _axis(name: str, values) -> np.ndarray:
    x = np.atleast_1d(np.asarray(values, dtype=float))
    if x.ndim != 1 or x.size == 0 or not np.all(np.isfinite(x)):
        raise ParameterError(f"{name}: a non-empty 1-D list of finite numbers")
    return x


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
    share paid (then the indemnity share) under ``max_price`` (mean gross per risk) and
    ``max_prob_loss``. The evaluation is :func:`evaluate_designs` (shared with the liability
    and employer studies).
    """
    d = np.asarray(deductibles, dtype=float)
    r = np.asarray(payout_ratios, dtype=float)
    if d.ndim != 1 or r.ndim != 1 or d.size == 0 or r.size == 0:
        raise ParameterError("deductibles and payout_ratios must be non-empty 1-D lists")
    dd, rr = np.meshgrid(d, r, indexing="ij")
    base = price_property(product, risks)                      # checks the risks once
    k1, k2, k3, n_paid = property_moments(product, risks, dd.ravel(), rr.ravel())
    designs = pd.DataFrame({"deductible": dd.ravel(), "payout_ratio": rr.ravel()})
    return evaluate_designs(product, designs, k1, k2, k3, n_paid, policies=len(base),
                            claims=float(base["frequency"].sum()),
                            ground_up=float(base["expected_loss"].sum()), cv=cv,
                            max_price=max_price, max_prob_loss=max_prob_loss)


def tune_liability(product: Product, units, limits_per_accident, aggregate_limits, deductibles,
                   *, max_price: float | None = None, max_prob_loss: float | None = None,
                   cv: float = 0.0, risk_loading: bool = True, step: float | None = None):
    """Evaluate every 每次事故赔偿限额 × 累计赔偿限额 × 免赔额 design of a 公众责任 book.

    ``units``: the book's policies (exposure units of each); ``aggregate_limits`` are
    multiples of the limit per accident (A = m·L, the usual way a 累计赔偿限额 is written:
    1–5 times the 每次事故赔偿限额). The book's payout cumulants for all designs come from
    :func:`puhui.smallbiz.pricing.liability_design_moments` (one batched FFT; the limited
    expected cost of :func:`liability_premium` to the discretisation error), evaluated by
    :func:`evaluate_designs` with the risk loading (``risk_loading=True``): a book of a few
    hundred small policies has a yearly payout too spread for the target's 5 % margin, so
    each design's ``required_premium`` (mean gross premium per policy) is the larger of the
    target-CR premium and the premium with P(CR > 100%) = ``max_prob_loss``;
    ``indemnity_share`` the share of the ground-up liability losses paid (the benefit of
    higher limits; frontier: price against it) and the choice maximises it, then the share of
    accidents paid, under ``max_price`` (mean per policy) and ``max_prob_loss``.
    """
    L = _axis("limits_per_accident", limits_per_accident)
    m = _axis("aggregate_limits", aggregate_limits)
    d = _axis("deductibles", deductibles)
    if np.any(m < 1):
        raise ParameterError("aggregate_limits are multiples of the limit per accident: ≥ 1")
    ll, mm, dd = (a.ravel() for a in np.meshgrid(L, m, d, indexing="ij"))
    units = np.asarray(units, dtype=float)
    mom = liability_design_moments(product, units, ll, ll * mm, dd, step=step)
    designs = pd.DataFrame({"limit_per_accident": ll, "aggregate_multiple": mm,
                            "aggregate_limit": ll * mm, "deductible": dd})
    table, choice = evaluate_designs(
        product, designs, mom["k1"], mom["k2"], mom["k3"], mom["paid_accidents"],
        policies=units.size, claims=float(mom["accidents"][0]),
        ground_up=float(mom["ground_up"][0]), cv=cv, benefit="indemnity_share",
        objective=("indemnity_share", "share_paid"), max_price=max_price,
        max_prob_loss=max_prob_loss, risk_loading=risk_loading)
    table.attrs["step"] = mom["step"]
    return table, choice


def tune_employer(product: Product, groups: pd.DataFrame, death_disability_limits,
                  medical_deductibles, medical_ratios, *, medical_limits=None,
                  max_price: float | None = None, max_prob_loss: float | None = None,
                  cv: float = 0.0, risk_loading: bool = False, table: str = "groups"):
    """Evaluate every 每人伤亡责任限额 × 医疗免赔额 × 赔付比例 (× 每人医疗费用限额) design of a
    雇主责任 book, by 职业类别.

    The rates per head of every class and design come from one broadcast call of
    :func:`puhui.smallbiz.pricing.employer_rates` (no loop over designs); the book's cost is
    the groups' heads by class × the class rates (:func:`price_groups` checks the groups).
    The evaluation is :func:`evaluate_designs` per head of the book: ``required_premium`` is
    the mean gross premium per head on the book's class mix, with one column
    ``gross_class_k`` per 职业类别 k. P(CR > 100%) at the required premium is NP2 on the
    book's cumulants ``κ_j = Σ_k n_k κ_j(k)`` (:func:`puhui.smallbiz.pricing.employer_moments`,
    the heads n_k of each class, one broadcast call for all designs) when the product file
    gives the grades' distribution (``grade_probabilities``); NaN with only the mean share s̄
    (the higher cumulants are then not defined, and ``max_prob_loss`` cannot be met). With
    ``risk_loading`` (and ``max_prob_loss``) the required premium is raised, where needed, to
    the premium at which P(CR > 100%) = ``max_prob_loss`` (:func:`evaluate_designs`). The
    choice maximises the indemnity share (expected payout / the injuries' expected medical
    cost and the full 伤亡 limit … see docs/smallbiz.md), then the share of claims paid, under
    ``max_price`` per head and ``max_prob_loss``.
    """
    t = product.terms
    L = _axis("death_disability_limits", death_disability_limits)
    d = _axis("medical_deductibles", medical_deductibles)
    r = _axis("medical_ratios", medical_ratios)
    M = _axis("medical_limits", t.medical_limit if medical_limits is None else medical_limits)
    ll, mm, dd, rr = (a.ravel() for a in np.meshgrid(L, M, d, r, indexing="ij"))
    priced = price_groups(product, groups, table=table)
    rates = employer_rates(product, death_disability_limit=ll, medical_limit=mm,
                           medical_deductible=dd, medical_ratio=rr)
    _, c2, c3 = employer_moments(product, death_disability_limit=ll, medical_limit=mm,
                                 medical_deductible=dd, medical_ratio=rr)   # class × design
    k = pd.to_numeric(priced["occupation_class"]).to_numpy(int)
    heads_col = "headcount" if t.exposure_base == "headcount" else "payroll"
    heads = priced[heads_col].to_numpy(float)
    if heads_col == "payroll":
        heads = heads / t.average_salary
    by_class = np.bincount(k, weights=heads, minlength=7)[1:]          # heads of class 1–6
    pure = rates["pure_per_head"].to_numpy().reshape(6, -1)             # class × design
    paid = rates["claims_per_head"].to_numpy().reshape(6, -1)
    gross_head = rates["gross_per_head"].to_numpy().reshape(6, -1)
    n_heads = float(by_class.sum())
    phi = np.asarray(t.class_factors)
    # ground-up: every injury's medical cost in full and the death/disability benefit at the
    # largest limit of the grid (the benefit the designs share out)
    ground = float(by_class @ phi) * ((t.death_rate + t.disability_rate * t.disability_share)
                                      * float(L.max()) + t.medical_frequency
                                      * float(np.exp(np.log(t.medical_median)
                                                     + t.medical_sigma**2 / 2)))
    injuries = float(by_class @ phi) * (t.death_rate + t.disability_rate + t.medical_frequency)
    designs = pd.DataFrame({"death_disability_limit": ll, "medical_limit": mm,
                            "medical_deductible": dd, "medical_ratio": rr})
    out, choice = evaluate_designs(
        product, designs, by_class @ pure, by_class @ c2, by_class @ c3, by_class @ paid,
        policies=n_heads, claims=injuries, ground_up=ground, cv=cv, max_price=max_price,
        max_prob_loss=max_prob_loss, risk_loading=risk_loading, benefit="indemnity_share",
        objective=("indemnity_share", "share_paid"))
    for j in range(6):
        out[f"gross_class_{j + 1}"] = gross_head[j]
    return out, choice
