"""Claims of the bundled 惠民保 product at the valuation date, and the planted truth.

One claim per member × benefit line with a payout (the annual payout of the line), plus a few
claims closed without payment (members whose cost stayed under the 起付线 but who claimed):

* accident date uniform over the policy year;
* report delay (报案延迟) ``round(45·e^{1.0·N})`` days: lognormal, median 45 days, mean ≈ 74 days,
  5% of claims after 230 days, so the last policy year has real IBNR at the valuation date;
* decision / payment delay ``3 + round(18·e^{0.7·N})`` days after the report;
* at the valuation date 2026-02-28: claims reported later are **not** in the claims file (IBNR,
  recorded in the planted truth); claims reported but not yet paid are ``open`` with a case
  reserve ``payout·e^{0.3·N − 0.045}`` (unbiased); 3% of the paid claims (paid ≥ 30 days before
  the valuation) are ``reopened`` after a first payment of 60–90% of the payout, with a case
  reserve for the rest; claims without payout are ``closed`` at zero (or ``open`` with a formula
  reserve of 5,000 元 while undecided).

The truth (``planted``) records the pricing basis, the planted deviations, expected and actual
counts and amounts per policy year × segment × age band × line, and per policy year the true
ultimate, IBNR and the case-reserve error — so a retrospective review can be tested against it.

The **actual expenses** of each policy year (:func:`expenses_table`, the ``expenses`` table of
the 损益核算), to the valuation date, from their own stream ``default_rng([seed, 2])``): 手续费及
佣金 3% of the written premium (:data:`COMMISSION`), 业务及管理费 6% × U(0.95, 1.15) of it (the
product file assumes 6%), no 税金及附加 (short-term health cover is VAT-exempt), 保险保障基金
0.8%, and a 20% quota share (:data:`QUOTA_SHARE`): 20% of the premium ceded, 20% of the claims
paid recovered (摊回赔付支出), a ceding commission of 10% of the ceded premium (摊回分保费用).
The reinsurers' share of the outstanding claims is not in the table: a review estimates it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import huiminbao as H
from . import huiminbao_basis as B

ZERO_CLAIM_SHARE = 0.005  # of members with a cost under the 起付线, who claim and get nothing
REOPEN_SHARE = 0.03
REPORT_DELAY_MEDIAN, REPORT_DELAY_SIGMA = 45.0, 1.0
PAYMENT_DELAY_MIN, PAYMENT_DELAY_MEDIAN, PAYMENT_DELAY_SIGMA = 3.0, 18.0, 0.7
RESERVE_SIGMA = 0.3
FORMULA_RESERVE = 5_000.0
#: Actual expenses of the bundled book (shares of the written premium; admin × U(lo, hi)).
COMMISSION, ADMIN, ADMIN_SPREAD, PROTECTION_FUND = 0.03, 0.06, (0.95, 1.15), 0.008
#: The bundled book's quota share: share ceded and ceding commission (of the ceded premium).
QUOTA_SHARE, CEDING_COMMISSION = 0.20, 0.10


def _claim_records(rng, members: H.MemberYear, draws: list[H.LineDraw]) -> pd.DataFrame:
    """All claims of one policy year, including those reported after the valuation date."""
    ids = H.policy_ids(members.year, members.member_no)
    parts = []
    for d in draws:
        zero = (d.cost > 0) & (d.payout == 0) & (rng.random(len(d.cost)) < ZERO_CLAIM_SHARE)
        take = (d.payout > 0) | zero
        parts.append(pd.DataFrame({"policy_id": ids[take],
                                   "benefit_line": np.full(int(take.sum()), d.line, object),
                                   "ultimate": d.payout[take]}))
    rec = pd.concat(parts, ignore_index=True)
    n = len(rec)
    start = np.datetime64(f"{members.year}-01-01", "D")
    days = int((np.datetime64(f"{members.year + 1}-01-01", "D") - start).astype(int))
    accident = start + np.floor(rng.random(n) * days).astype("timedelta64[D]")
    report_delay = np.rint(REPORT_DELAY_MEDIAN * np.exp(REPORT_DELAY_SIGMA
                                                        * rng.standard_normal(n)))
    pay_delay = PAYMENT_DELAY_MIN + np.rint(PAYMENT_DELAY_MEDIAN * np.exp(
        PAYMENT_DELAY_SIGMA * rng.standard_normal(n)))
    rec["policy_year"] = members.year
    rec["accident_date"] = accident.astype("datetime64[ns]")
    rec["report_date"] = (accident + report_delay.astype("timedelta64[D]")).astype(
        "datetime64[ns]")
    rec["decision_date"] = rec["report_date"].to_numpy() + pay_delay.astype("timedelta64[D]")
    rec["u_reopen"] = rng.random(n)
    rec["u_share"] = rng.uniform(0.6, 0.9, n)
    rec["z_reserve"] = rng.standard_normal(n)
    return rec


def _ceil_fen(x):
    return np.ceil(np.asarray(x) * 100.0 - 1e-9) / 100.0


def value_claims(rec: pd.DataFrame, valuation: np.datetime64) -> pd.DataFrame:
    """Status, paid, case reserve and payment date of each record at ``valuation``."""
    valuation = np.datetime64(valuation, "ns")
    ult = rec["ultimate"].to_numpy()
    report = rec["report_date"].to_numpy("datetime64[ns]")
    decided = rec["decision_date"].to_numpy("datetime64[ns]") <= valuation
    positive = ult > 0
    reopen = (positive & decided & (rec["u_reopen"].to_numpy() < REOPEN_SHARE)
              & (rec["decision_date"].to_numpy("datetime64[ns]")
                 <= valuation - np.timedelta64(30, "D")))
    first = np.round(ult * rec["u_share"].to_numpy(), 2)
    noise = np.exp(RESERVE_SIGMA * rec["z_reserve"].to_numpy() - RESERVE_SIGMA**2 / 2)
    paid = np.where(positive & decided, np.where(reopen, first, ult), 0.0)
    reserve = np.where(~decided, np.where(positive, _ceil_fen(ult * noise), FORMULA_RESERVE),
                       np.where(reopen, _ceil_fen((ult - first) * noise), 0.0))
    status = np.where(reopen, "reopened", np.where(decided, "closed", "open")).astype(object)
    pay_date = np.where(positive & decided, rec["decision_date"].to_numpy("datetime64[ns]"),
                        np.datetime64("NaT", "ns"))
    out = rec.assign(reported=report <= valuation, paid=paid, case_reserve=reserve,
                     status=status, payment_date=pay_date)
    return out


def claims_and_payments(records: pd.DataFrame):
    """The ``claims`` and ``payments`` tables: reported records, numbered in report order."""
    rep = records[records["reported"]].copy()
    line_code = pd.Categorical(rep["benefit_line"], B.LINES).codes
    order = np.lexsort((line_code, rep["policy_id"].to_numpy(str),
                        rep["report_date"].to_numpy("datetime64[ns]")))
    rep = rep.iloc[order].reset_index(drop=True)
    rep["claim_id"] = H._ids(f"{B.PRODUCT}-C", np.arange(1, len(rep) + 1), 6)
    claims = rep[["claim_id", "policy_id", "accident_date", "report_date", "paid",
                  "case_reserve", "status", "payment_date", "benefit_line"]].copy()
    paid = rep[rep["paid"] > 0]
    payments = pd.DataFrame({"claim_id": paid["claim_id"].to_numpy(),
                             "payment_date": paid["payment_date"].to_numpy("datetime64[ns]"),
                             "amount": paid["paid"].to_numpy()}).reset_index(drop=True)
    return claims, payments, rep


def cell_truth(members: H.MemberYear, draws: list[H.LineDraw]) -> pd.DataFrame:
    """Expected (basis and true) and actual counts and amounts per segment × age band × line.

    Expected values are exact for the members present: ``Σ_i q_i`` over members for counts and
    ``Σ_i q_i · E[payout | cost]`` for amounts, with the closed-form layer expectations.
    """
    seg, band, year = members.segment, members.band, members.year
    rows = []
    for d in draws:
        q_basis = B.basis_frequency(seg, band, d.line)
        frame = pd.DataFrame({
            "segment": seg, "band": band, "members": 1, "q_basis": q_basis,
            "q_true": d.probability, "costs": (d.cost > 0).astype(int), "cost_amount": d.cost,
            "claims": (d.payout > 0).astype(int), "payout": d.payout})
        g = frame.groupby(["segment", "band"], sort=True).sum().reset_index()
        g.insert(0, "benefit_line", d.line)
        g.insert(0, "policy_year", year)
        rows.append(g)
    cells = pd.concat(rows, ignore_index=True)
    sg, bd, ln = cells["segment"].to_numpy(object), cells["band"].to_numpy(), cells[
        "benefit_line"].to_numpy(object)
    pre = sg == "preexisting"
    s_basis = B.basis_scale(year, sg, bd)
    s_true = s_basis * B.planted_multipliers("severity", year, sg, bd, ln)
    for kind, scale, q in (("basis", s_basis, "q_basis"), ("true", s_true, "q_true")):
        p_claim, e_pay, e_cost = (np.empty(len(cells)) for _ in range(3))
        for line in B.LINES:
            m = ln == line
            d, r, c = H.design_arrays(line, pre[m])
            p_claim[m], e_pay[m] = B.layer_expectation(line, scale[m], d, r, c)
            e_cost[m] = scale[m] * B.base_mean(line)
        cells[f"{kind}_costs"] = cells[q]
        cells[f"{kind}_cost_amount"] = cells[q] * e_cost
        cells[f"{kind}_claims"] = cells[q] * p_claim
        cells[f"{kind}_payout"] = cells[q] * e_pay
    cells["age_band"] = np.asarray(B.AGE_BAND_LABELS, object)[bd]
    cols = ["policy_year", "segment", "age_band", "benefit_line", "members",
            "basis_costs", "true_costs", "costs", "basis_cost_amount", "true_cost_amount",
            "cost_amount", "basis_claims", "true_claims", "claims", "basis_payout",
            "true_payout", "payout"]
    return cells[cols]


def year_truth(year: int, members: H.MemberYear, valued: pd.DataFrame,
               cells: pd.DataFrame) -> dict:
    """Per policy year: exposure, premium, true ultimate, IBNR and case-reserve error."""
    rec = valued[valued["policy_year"] == year]
    c = cells[cells["policy_year"] == year]
    rep = rec[rec["reported"]]
    ult = float(rec["ultimate"].sum())
    paid = float(rep["paid"].sum())
    case = float(rep["case_reserve"].sum())
    outstanding = float((rep["ultimate"] - rep["paid"]).sum())
    ibnr = rec[~rec["reported"]]
    return {
        "policy_year": year,
        "members": int(len(members.age)),
        "renewed_members": int(members.renewed.sum()),
        "premium": float(len(members.age) * B.PRICES[year]),
        "mean_frailty": float(members.frailty.mean()),
        "basis_expected_payout": float(c["basis_payout"].sum()),
        "true_expected_payout": float(c["true_payout"].sum()),
        "ultimate_claims": int((rec["ultimate"] > 0).sum()),
        "ultimate": ult,
        "reported_claims": int((rep["ultimate"] > 0).sum()),
        "reported_zero_claims": int((rep["ultimate"] == 0).sum()),
        "paid": paid,
        "case_reserve": case,
        "true_outstanding_reported": outstanding,
        "case_reserve_error": case - outstanding,
        "ibnr_claims": int((ibnr["ultimate"] > 0).sum()),
        "ibnr": float(ibnr["ultimate"].sum()),
        "true_reserve": ult - paid,
        "ultimate_loss_ratio": ult / (len(members.age) * B.PRICES[year]),
    }


def expenses_table(seed: int, policies: pd.DataFrame, claims: pd.DataFrame) -> pd.DataFrame:
    """The actual expenses and reinsurance of each policy year (an ``expenses`` table), to the
    valuation date of ``claims``; amounts rounded to the fen (see the module docstring)."""
    rng = np.random.default_rng([seed, 2])
    years = np.unique(policies["policy_year"].to_numpy())
    written = policies.groupby("policy_year")["premium"].sum().reindex(years).to_numpy(float)
    year_of = pd.Series(policies["policy_year"].to_numpy(),
                        index=policies["policy_id"].to_numpy())
    paid = claims.groupby(year_of.reindex(claims["policy_id"]).to_numpy())["paid"].sum()
    paid = paid.reindex(years).fillna(0.0).to_numpy(float)
    admin = ADMIN * rng.uniform(*ADMIN_SPREAD, size=len(years))
    ceded = np.round(QUOTA_SHARE * written, 2)
    return pd.DataFrame({
        "policy_year": years.astype(np.int64),
        "commission": np.round(COMMISSION * written, 2),
        "admin_expenses": np.round(admin * written, 2),
        "taxes_and_surcharges": np.zeros(len(years)),
        "protection_fund": np.round(PROTECTION_FUND * written, 2),
        "ceded_premium": ceded,
        "ceded_claims_paid": np.round(QUOTA_SHARE * paid, 2),
        "ceded_reinsurance_expenses": np.round(CEDING_COMMISSION * ceded, 2),
    })


def basis_definition() -> dict:
    """The stated pricing basis and the filed design, as plain data (for ``planted.json``)."""
    return {
        "product": B.PRODUCT,
        "region": B.REGION,
        "prices": {str(y): p for y, p in B.PRICES.items()},
        "target_loss_ratio": B.TARGET_LOSS_RATIO,
        "payout_formula": "payout = min(payout_ratio * max(cost - deductible, 0), cap)",
        "design": {line: {seg: {"deductible": d, "payout_ratio": r, "cap": c}
                          for seg, (d, r, c) in B.DESIGN[line].items()} for line in B.LINES},
        "age_bands": [{"label": lab, "min_age": lo, "max_age": hi}
                      for lab, (lo, hi) in zip(B.AGE_BAND_LABELS, B.AGE_BANDS, strict=True)],
        "severity_model": "cost | cost>0 = scale * Z; Z = Lognormal(log(median), sigma) w.p. "
                          "1-tail_prob, classical Pareto(xm, alpha) w.p. tail_prob; scale = "
                          "level * age_factor * segment_factor * (1+trend)^(year-base_year)",
        "severity": {line: dict(B.SEVERITY[line]) for line in B.LINES},
        "severity_level": B.SEVERITY_LEVEL,
        "severity_age_factor": list(B.SEVERITY_AGE_FACTOR),
        "segment_severity_factor": dict(B.SEGMENT_SEVERITY_FACTOR),
        "cost_frequency_healthy": {line: list(B.COST_FREQUENCY[line]) for line in B.LINES},
        "segment_frequency_factor": dict(B.SEGMENT_FREQUENCY_FACTOR),
        "trend": B.TREND,
        "base_year": B.BASE_YEAR,
    }


def generate_huiminbao(seed: int = H.SEED, members: int = 200_000,
                       valuation_date: str = H.VALUATION_DATE) -> dict:
    """Generate the bundled 惠民保 data set.

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng`` (members and costs use ``[seed, 0]``, claims
        ``[seed, 1]``). The bundled files use ``SEED = 20230101``.
    members : int
        Members in the first policy year (the later years follow the renewal model).
    valuation_date : str
        Date at which claims are valued (评估日).

    Returns
    -------
    dict
        ``policies``, ``costs``, ``claims``, ``payments``, ``expenses`` (DataFrames in the puhui
        data model) and ``planted`` (the truth, JSON-ready).

    Examples
    --------
    >>> from puhui.datasets.huiminbao_claims import generate_huiminbao
    >>> data = generate_huiminbao(seed=1, members=2_000)
    >>> sorted(data)
    ['claims', 'costs', 'expenses', 'payments', 'planted', 'policies']
    """
    from ..errors import ParameterError

    if int(members) != members or members < 1:
        raise ParameterError(f"members must be a positive whole number, got {members!r}")
    valuation = np.datetime64(valuation_date, "D")
    years = H.simulate_members(seed, int(members))
    rng = np.random.default_rng([seed, 1])
    policies, costs, records, cells = [], [], [], []
    for roster, draws in years:
        policies.append(H.policies_table(roster))
        costs.append(H.costs_table(roster, draws))
        records.append(_claim_records(rng, roster, draws))
        cells.append(cell_truth(roster, draws))
    valued = value_claims(pd.concat(records, ignore_index=True), valuation)
    claims, payments, _ = claims_and_payments(valued)
    cells = pd.concat(cells, ignore_index=True)
    planted = {
        "dataset": "huiminbao",
        "seed": int(seed),
        "members_first_year": int(members),
        "valuation_date": str(valuation),
        "pricing_basis": basis_definition(),
        "planted_deviations": [dict(p) for p in B.PLANTED],
        "anti_selection": {
            "frailty_levels": H.FRAILTY_LEVELS.tolist(),
            "frailty_weights_at_entry": H.FRAILTY_WEIGHTS.tolist(),
            "retention_by_frailty": {str(y): list(v) for y, v in H.RETENTION.items()},
            "retention_of_claimants": H.RETENTION_CLAIMANT,
            "participation_target": {str(y): v for y, v in H.PARTICIPATION.items()},
            "text": "individual cost probability = basis x planted x frailty; low-frailty "
                    "(healthier) members leave more after each price rise",
        },
        "claims_process": {
            "report_delay_days": {"distribution": "lognormal", "median": REPORT_DELAY_MEDIAN,
                                  "sigma": REPORT_DELAY_SIGMA},
            "payment_delay_days": {"minimum": PAYMENT_DELAY_MIN, "median_extra":
                                   PAYMENT_DELAY_MEDIAN, "sigma": PAYMENT_DELAY_SIGMA},
            "case_reserve_noise_sigma": RESERVE_SIGMA,
            "zero_claim_share": ZERO_CLAIM_SHARE,
            "reopen_share": REOPEN_SHARE,
            "formula_reserve": FORMULA_RESERVE,
        },
        "years": [year_truth(r.year, r, valued, cells) for r, _ in years],
        "cells": cells.to_dict(orient="records"),
    }
    policies = pd.concat(policies, ignore_index=True)
    return {"policies": policies,
            "costs": pd.concat(costs, ignore_index=True),
            "claims": claims, "payments": payments,
            "expenses": expenses_table(seed, policies, claims), "planted": planted}
