"""Review and tuning of special-group health cover (特定人群普惠健康险: 回溯与方案调优).

Data: **member-years** (``member``, ``group``, ``age``, ``exposure``, ``policy_year``) and
**claims** (``line`` cancer / medical, ``cost``: the lump sum paid, or the out-of-pocket cost
of a hospital stay) — :data:`puhui.life.health_product.MEMBERS` / ``CLAIMS``.

* **Paid** (:func:`paid_amounts`): a cancer claim pays its recorded lump sum; a hospital stay
  pays ``min(r (X − d)₊, C)`` of its cost under the product's terms, so a review or a tuning
  of another 起付线 × 赔付比例 × 限额 reads the same claims.
* **Expected** per member-year (one-year rates, :meth:`HealthProduct.expected_claims`): cancer
  count ``e · g ι(x)``, amount × S; paid stays ``e λ P(X > d)``, amount ``e λ E[pay(X)]``.
* **A/E** (:func:`review`) of cancer incidence and of the medical layer by group × age band
  through :func:`puhui.experience.actual_vs_expected` (exact Poisson interval of the count,
  compound-Poisson interval of the amount from ``Σ x²``, limited-fluctuation credibility
  ``Z = min(1, √(n/1082))`` of :func:`puhui.credibility.partial_credibility`, credible A/E
  ``Z·A/E + (1 − Z)``). The **revised basis** multiplies each group's incidence loading by the
  credible cancer A/E and its hospital-stay rate by the credible medical amount A/E.
* **Ratios**: each policy year's statement (premium earned in the year: policy years are
  calendar years; claims settled — an assumption of the example) through
  :func:`puhui.ratios.combined_ratio` (已赚保费, 综合赔付率, 综合费用率, 综合成本率).
* **P(CR > 100 %)** of next year's book (:func:`prob_cr_above`): NP2 on the cumulants of the
  year's claims (:func:`book_cumulants`) — a member-year's cancer claim is ``S·Bernoulli(p)``,
  ``p = e g ι``: ``κ₁ = pS``, ``κ₂ = p(1 − p)S²``, ``κ₃ = p(1 − p)(1 − 2p)S³``; the medical layer
  is compound Poisson, ``κ_j = e λ E[Y^j]`` (:func:`puhui.losses.payout.layer_moments`) —
  through :func:`puhui.ratios.exceedance_probability` at the threshold
  ``t = (1 − v) Σ P − e N``.
* **Tuning** (:func:`tune`): the grid 起付线 d × 赔付比例 r × 限额 C × lump sum S, vectorised, at
  each group's filed premium: expected claims, expected CR ``(E + eN)/P + v`` of the book and of
  each group, P(CR > 100 %), benefit ratio ``E/P``, the share of stays paid ``P(X > d)`` and the
  premium each group would need at the target CR (``(P_net + e)/(τ − v)``,
  :func:`puhui.pricing.gross_up`, on the present values of :meth:`HealthProduct.annuity_factors`).
  :func:`choose` takes the design paying the most stays (then the highest benefit ratio) within
  the target CR for the book and every group, P(CR > 100 %) ≤ α and a floor on the share paid
  (:func:`puhui.tuning.optimise`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..experience.ae import AEResult, actual_vs_expected
from ..losses.payout import layer_moments
from ..pricing import gross_up
from ..ratios import combined_ratio, exceedance_probability, expected_combined_ratio
from ..rules import check
from ..tuning import Constraints, optimise, pareto_mask
from .health import cancer_incidence
from .health_product import LINES, HealthPlan

MEMBER_COLUMNS = ("member", "group", "age", "exposure", "policy_year")
CLAIM_COLUMNS = ("member", "policy_year", "group", "age", "line", "cost")


def _check(plan: HealthPlan, members: pd.DataFrame, claims: pd.DataFrame | None = None):
    for name, df, cols in (("members", members, MEMBER_COLUMNS),
                           ("claims", claims, CLAIM_COLUMNS)):
        if df is None:
            continue
        if not isinstance(df, pd.DataFrame):
            raise ParameterError(f"{name} must be a DataFrame, got {type(df).__name__}")
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise ParameterError(f"{name} lack column(s) {missing}")
        unknown = sorted(set(df["group"].astype(str)) - set(plan.groups))
        if unknown:
            raise ParameterError(f"{name}: group(s) {unknown} are not in the product file "
                                 f"(groups: {', '.join(plan.groups)})")
    e = members["exposure"].to_numpy(float)
    if len(members) == 0 or np.any(~np.isfinite(e)) or np.any(e < 0) or np.any(e > 1):
        raise ParameterError("members: need at least one row, exposures in [0, 1]")
    if claims is not None:
        bad = ~claims["line"].isin(LINES)
        if bad.any():
            raise ParameterError(f"claims: unknown line(s) {sorted(claims['line'][bad].unique())}"
                                 f"; lines are {', '.join(LINES)}")
        cost = claims["cost"].to_numpy(float)
        if np.any(~np.isfinite(cost)) or np.any(cost < 0):
            raise ParameterError("claims: costs must be finite and ≥ 0")
        keys = ["member", "policy_year"]
        known = pd.MultiIndex.from_frame(members[keys].astype({"member": str}))
        orphan = ~pd.MultiIndex.from_frame(claims[keys].astype({"member": str})).isin(known)
        if orphan.any():
            first = claims.loc[orphan, keys].iloc[0].tolist()
            raise ParameterError(f"claims: {int(orphan.sum())} claim(s) of a member-year not in "
                                 f"the members table (e.g. member {first[0]}, policy year "
                                 f"{first[1]})")


def paid_amounts(plan: HealthPlan, claims: pd.DataFrame, **terms) -> np.ndarray:
    """Payout of every claim: the recorded lump sum of a cancer claim (``lump_sum=`` replaces
    it), ``min(r (X − d)₊, C)`` of a stay's cost (``deductible`` / ``payout_ratio`` /
    ``limit`` override the product's)."""
    cost = claims["cost"].to_numpy(float)
    cancer = (claims["line"] == "cancer").to_numpy()
    out = np.where(cancer, float(terms.pop("lump_sum", np.nan)), 0.0)
    out = np.where(cancer & np.isnan(out), cost, out)
    med = ~cancer
    if med.any():
        out[med] = np.asarray(plan.benefit(**terms).pay(cost[med]), float)
    return out


def expected_by_member(plan: HealthPlan, members: pd.DataFrame) -> pd.DataFrame:
    """Expected cancer and medical claims (count, amount) of each member-year, one-year rates
    (:meth:`HealthProduct.expected_claims` of the member's group)."""
    out = pd.DataFrame(0.0, index=members.index, columns=[
        "cancer_count", "cancer_amount", "medical_count", "medical_amount"])
    groups = members["group"].astype(str).to_numpy()
    for g in np.unique(groups):
        m = groups == g
        e = plan.product(g).expected_claims(members["age"].to_numpy()[m],
                                            members["exposure"].to_numpy(float)[m])
        out.loc[m, :] = e[out.columns].to_numpy()
    return out


def experience_cells(plan: HealthPlan, members: pd.DataFrame,
                     claims: pd.DataFrame) -> pd.DataFrame:
    """Group × age band × policy year: exposure, premium (filed × exposure), and for each line
    the expected and actual paid count and amount and ``Σ paid²``."""
    _check(plan, members, claims)
    keys = ["group", "age_band", "policy_year"]
    exp = expected_by_member(plan, members)
    premium = members["group"].astype(str).map(
        lambda g: plan.groups[g].premium if plan.groups[g].premium is not None else np.nan)
    m = pd.concat([members[["group", "policy_year", "exposure"]].assign(
        group=members["group"].astype(str), age_band=plan.band_of(members["age"]),
        premium=premium.to_numpy(float) * members["exposure"].to_numpy(float)),
        exp.add_prefix("expected_")], axis=1)
    cells = m.groupby(keys, sort=True).sum(min_count=1).reset_index()
    c = claims.assign(group=claims["group"].astype(str), age_band=plan.band_of(claims["age"]),
                      paid=paid_amounts(plan, claims))
    c = c[c["paid"] > 0]
    agg = c.groupby([*keys, "line"]).agg(count=("paid", "size"), amount=("paid", "sum"),
                                         amount_sq=("paid", lambda x: float(np.sum(x**2))))
    wide = agg.unstack("line")
    wide.columns = [f"{'actual_' if k != 'amount_sq' else ''}{line}_{k}" for k, line in
                    wide.columns]
    cells = cells.merge(wide.reset_index(), on=keys, how="left")
    for line in LINES:
        for col in (f"actual_{line}_count", f"actual_{line}_amount", f"{line}_amount_sq"):
            cells[col] = cells[col].fillna(0.0) if col in cells.columns else 0.0
    return cells


def line_cells(cells: pd.DataFrame, line: str) -> pd.DataFrame:
    """The cells of one line with the columns :func:`puhui.experience.actual_vs_expected` reads."""
    return cells[["group", "age_band", "policy_year", "exposure"]].assign(
        actual_count=cells[f"actual_{line}_count"], expected_count=cells[f"expected_{line}_count"],
        actual_amount=cells[f"actual_{line}_amount"],
        expected_amount=cells[f"expected_{line}_amount"], amount_sq=cells[f"{line}_amount_sq"])


def next_year_book(members: pd.DataFrame) -> pd.DataFrame:
    """Next year's book: the latest policy year's members, a full year each, same ages."""
    last = members["policy_year"].max()
    return members.loc[members["policy_year"] == last, ["group", "age"]].assign(
        exposure=1.0).reset_index(drop=True)


def _design(plan: HealthPlan, terms: dict):
    d = np.asarray(terms.get("deductible", plan.deductible), float)
    r = np.asarray(terms.get("payout_ratio", plan.payout_ratio), float)
    c = np.asarray(terms.get("limit", plan.limit), float)
    s = np.asarray(terms.get("lump_sum", plan.lump_sum), float)
    return d, r, c, s


def book_cumulants(plan: HealthPlan, book: pd.DataFrame, **terms) -> dict:
    """Cumulants of a year's claims S of ``book`` (``group``, ``age``, ``exposure``) and the
    expected claims by group; ``deductible``, ``payout_ratio``, ``limit``, ``lump_sum`` may be
    arrays that broadcast (a grid of designs).

    Returns ``{"mean", "var", "third", "by_group": {g: (expected claims, member-years)}}``."""
    d, r, c, s = _design(plan, terms)
    m1, m2, m3, _ = layer_moments(plan.severity, d, r, c)
    k1 = k2 = k3 = 0.0
    by_group = {}
    groups = book["group"].astype(str).to_numpy()
    for g in plan.groups:
        mask = groups == g
        if not mask.any():
            continue
        terms_g = plan.group(g)
        e = book["exposure"].to_numpy(float)[mask]
        p = np.minimum(e * terms_g.incidence_loading
                       * cancer_incidence(book["age"].to_numpy()[mask], plan.incidence_slope),
                       1.0)
        lam = terms_g.hospital_stays * e.sum()
        c1 = s * p.sum() + lam * m1
        k1 = k1 + c1
        k2 = k2 + s**2 * np.sum(p * (1 - p)) + lam * m2
        k3 = k3 + s**3 * np.sum(p * (1 - p) * (1 - 2 * p)) + lam * m3
        by_group[g] = (c1, float(e.sum()))
    return {"mean": k1, "var": k2, "third": k3, "by_group": by_group}


def _filed(plan: HealthPlan, groups) -> dict:
    missing = [g for g in groups if plan.groups[g].premium is None]
    if missing:
        raise ParameterError(f"no filed premium for group(s) {', '.join(missing)}: set "
                             "[groups.NAME] premium in the product file")
    return {g: float(plan.groups[g].premium) for g in groups}


def prob_cr_above(plan: HealthPlan, book: pd.DataFrame, *, threshold: float = 1.0,
                  parameter_cv: float = 0.0, **terms):
    """P(CR > ``threshold``) of a year of ``book`` at the filed premiums (NP2 on
    :func:`book_cumulants`; ``terms`` broadcast as there)."""
    k = book_cumulants(plan, book, **terms)
    prem = _filed(plan, k["by_group"])
    income = sum(prem[g] * n for g, (_, n) in k["by_group"].items())
    n = sum(n for _, n in k["by_group"].values())
    e = plan.expenses
    t = (threshold - e.variable_rate) * income - e.per_member * n
    return exceedance_probability(t, k["mean"], k["var"], k["third"], method="np2",
                                  cv=parameter_cv)


@dataclass(frozen=True)
class HealthReview:
    """Result of :func:`review`: ``cells`` (group × age band × policy year), ``cancer`` and
    ``medical`` (A/E by group × age band), ``by_group`` (A/E of both lines by group, with
    credibility), ``ratios`` (each policy year's and the total statement ratios),
    ``revised`` (the credibility-revised product), ``prob_cr_above_100`` (next year, filed and
    revised basis)."""

    cells: pd.DataFrame
    cancer: AEResult
    medical: AEResult
    by_group: pd.DataFrame
    ratios: pd.DataFrame
    revised: HealthPlan
    prob_cr_above_100: dict


def review(plan: HealthPlan, members: pd.DataFrame, claims: pd.DataFrame, *,
           level: float = 0.95, parameter_cv: float = 0.0) -> HealthReview:
    """Review the member-years and claims against the product's basis (module docstring)."""
    cells = experience_cells(plan, members, claims)
    groups = list(dict.fromkeys(cells["group"]))
    _filed(plan, groups)
    cancer = _fixed_sum(actual_vs_expected(line_cells(cells, "cancer"),
                                           by=["group", "age_band"], level=level))
    medical = actual_vs_expected(line_cells(cells, "medical"), by=["group", "age_band"],
                                 level=level)
    rows = []
    for line in LINES:
        ae = actual_vs_expected(line_cells(cells, line), by=["group"], level=level)
        t = (_fixed_sum(ae) if line == "cancer" else ae).table
        rows.append(t.assign(line=line))
    by_group = pd.concat(rows, ignore_index=True)[
        ["group", "line", "actual_count", "expected_count", "frequency_ae", "frequency_lower",
         "frequency_upper", "amount_ae", "amount_lower", "amount_upper", "credibility",
         "credible_ae", "significant"]]
    z = by_group.set_index(["group", "line"])["credible_ae"]
    revised = plan.with_terms(groups={g: _scaled(t, z, g) for g, t in plan.groups.items()})
    ratios = statement_ratios(plan, cells)
    book = next_year_book(members)
    prob = {"filed_basis": float(prob_cr_above(plan, book, parameter_cv=parameter_cv)),
            "revised_basis": float(prob_cr_above(revised, book, parameter_cv=parameter_cv))}
    return HealthReview(cells, cancer, medical, by_group, ratios, revised, prob)


def _fixed_sum(ae: AEResult) -> AEResult:
    """A/E of a fixed-sum benefit (the cancer lump sum): the amount is S × the count, so its
    interval is the exact Poisson interval of the count (the normal interval on ``Σ x²`` is
    degenerate at 0 claims)."""
    t = ae.table.copy()
    t["amount_lower"], t["amount_upper"] = t["frequency_lower"], t["frequency_upper"]
    t["amount_interval"] = "exact Poisson (fixed sum)"
    t["significant"] = (t["frequency_lower"] > 1) | (t["frequency_upper"] < 1)
    return AEResult(t, ae.by, ae.level, ae.full_standard)


def _scaled(terms, credible, group):
    from dataclasses import replace

    if group not in credible.index.get_level_values(0):
        return terms
    return replace(terms, incidence_loading=terms.incidence_loading * float(
        credible[(group, "cancer")]), hospital_stays=terms.hospital_stays * float(
        credible[(group, "medical")]))


def statement_ratios(plan: HealthPlan, cells: pd.DataFrame) -> pd.DataFrame:
    """已赚保费, 综合赔付率, 综合费用率, 综合成本率 of each policy year and of all of them
    (:func:`puhui.ratios.combined_ratio`; policy years are calendar years, claims settled)."""
    e = plan.expenses
    y = cells.groupby("policy_year").agg(
        premium=("premium", "sum"), exposure=("exposure", "sum"),
        paid=("actual_cancer_amount", "sum"), med=("actual_medical_amount", "sum"))
    y.loc["all"] = y.sum()
    gwp = y["premium"].to_numpy(float)
    st = pd.DataFrame({
        "policy_year": y.index.astype(str), "gross_written_premium": gwp, "change_in_upr": 0.0,
        "claims_paid": (y["paid"] + y["med"]).to_numpy(float), "change_in_claim_reserves": 0.0,
        "commission": e.commission * gwp,
        "admin_expenses": (e.admin + e.premium_share + e.catastrophe_reserve) * gwp
        + e.per_member * y["exposure"].to_numpy(float),
        "taxes_and_surcharges": e.taxes * gwp, "protection_fund": e.protection_fund * gwp})
    return combined_ratio(st)[["policy_year", "earned_premium", "net_claims_incurred",
                               "total_expenses", "loss_ratio", "expense_ratio",
                               "combined_ratio", "underwriting_result"]]


def rule_check(values: dict, *, as_of, policies=()) -> pd.DataFrame:
    """:func:`puhui.rules.check` of ``values`` against the regulations in force on ``as_of``
    (scope sector ``health``, line ``special_group_health``: no shipped regulation has it)
    and the family's example policy book plus ``policies``."""
    from pathlib import Path

    book = Path(__file__).with_name("health_policy_example.toml")
    return check(values, scope={"sector": "health", "line": "special_group_health"},
                 policies=[book, *policies], as_of=as_of)


# ---------------------------------------------------------------------------------- tuning
def tune(plan: HealthPlan, book: pd.DataFrame, *, deductibles, payout_ratios, limits,
         lump_sums, parameter_cv: float = 0.0) -> pd.DataFrame:
    """Evaluate the grid 起付线 × 赔付比例 × 限额 × lump sum on ``book`` (one row per design;
    see the module docstring for the columns)."""
    axes = [np.asarray(v, dtype=float).ravel() for v in (deductibles, payout_ratios, limits,
                                                         lump_sums)]
    if min(a.size for a in axes) == 0:
        raise ParameterError("give at least one deductible, payout ratio, limit and lump sum")
    for name, a, ok in (("deductibles", axes[0], axes[0] >= 0),
                        ("payout_ratios", axes[1], (axes[1] > 0) & (axes[1] <= 1)),
                        ("limits", axes[2], axes[2] > 0), ("lump_sums", axes[3], axes[3] >= 0)):
        if not np.all(ok & np.isfinite(a)):
            raise ParameterError(f"{name}: finite values, deductibles ≥ 0, ratios in (0, 1], "
                                 f"limits > 0, lump sums ≥ 0; got {a.tolist()}")
    shape = tuple(a.size for a in axes)
    d, r, c, s = (a.reshape([-1 if i == j else 1 for j in range(4)])
                  for i, a in enumerate(axes))
    k = book_cumulants(plan, book, deductible=d, payout_ratio=r, limit=c, lump_sum=s)
    groups = list(k["by_group"])
    prem = _filed(plan, groups)
    e = plan.expenses
    income = sum(prem[g] * k["by_group"][g][1] for g in groups)
    members = sum(k["by_group"][g][1] for g in groups)
    cr = expected_combined_ratio(k["mean"], income, variable_rate=e.variable_rate,
                                 fixed_expenses=e.per_member * members)
    cr_g = {g: expected_combined_ratio(k["by_group"][g][0], prem[g] * n,
                                       variable_rate=e.variable_rate,
                                       fixed_expenses=e.per_member * n)
            for g, (_, n) in k["by_group"].items()}
    t = (1.0 - e.variable_rate) * income - e.per_member * members
    prob = exceedance_probability(t, k["mean"], k["var"], k["third"], method="np2",
                                  cv=parameter_cv)
    share = layer_moments(plan.severity, d, r, c)[3]
    m1 = layer_moments(plan.severity, d, r, c)[0]
    cols = {"deductible": d, "payout_ratio": r, "limit": c, "lump_sum": s,
            "expected_claims": k["mean"], "expected_cr": cr,
            "expected_cr_max_group": np.max(np.broadcast_arrays(*cr_g.values()), axis=0),
            "prob_cr_above_100": prob, "benefit_ratio": k["mean"] / income,
            "share_paid": share}
    for g in groups:  # the premium each group needs at the target CR (pricing basis)
        book_g = book[book["group"].astype(str) == g]
        f = plan.product(g).annuity_factors(book_g["age"].to_numpy())
        w = book_g["exposure"].to_numpy(float)
        w = w / w.sum()
        lump, med = (float(np.sum(w * f[col] / f["annuity"])) for col in ("lump_factor",
                                                                        "medical_factor"))
        net = s * lump + plan.groups[g].hospital_stays * m1 * med
        cols[f"required_premium_{g}"] = gross_up(
            net, variable_rate=e.variable_rate, fixed=e.per_member,
            target_combined_ratio=plan.target_combined_ratio)
    out = pd.DataFrame({name: np.broadcast_to(v, shape).ravel() for name, v in cols.items()})
    out.insert(0, "design", np.arange(len(out)))
    out["frontier"] = pareto_mask(out["expected_cr"].to_numpy(), out["share_paid"].to_numpy())
    return out


def choose(table: pd.DataFrame, *, max_combined_ratio: float = 0.95,
           max_prob_loss: float = 0.10, min_share_paid: float = 0.5):
    """The design paying the most hospital stays, then with the highest benefit ratio, within
    the target CR (book and every group), P(CR > 100 %) ≤ α and share paid ≥ the floor
    (:func:`puhui.tuning.optimise`)."""
    c = Constraints(max_combined_ratio=max_combined_ratio, max_prob_loss=max_prob_loss,
                    min_share_paid=min_share_paid,
                    bounds={"expected_cr_max_group": (None, max_combined_ratio)})
    return optimise(table, c, objective=["share_paid", "benefit_ratio"], maximize=[True, True])


__all__ = ["CLAIM_COLUMNS", "HealthReview", "MEMBER_COLUMNS", "book_cumulants", "choose",
           "expected_by_member", "experience_cells", "line_cells", "next_year_book",
           "paid_amounts", "prob_cr_above", "review", "rule_check",
           "statement_ratios", "tune"]
