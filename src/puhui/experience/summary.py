"""Experience summary: exposure, premium, claims and loss ratios by product and policy year."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .exposure import earned, earned_by_policy


def summary(policies: pd.DataFrame, claims: pd.DataFrame, *,
            by: Sequence[str] = ("product", "policy_year"), as_of=None) -> pd.DataFrame:
    """Exposure, earned premium, claim counts, paid, incurred and loss ratios by group.

    Claims are attached to their policy (so a claim counts in its policy's product and policy
    year, the 保单年度 / underwriting-year view of 满期赔付率) and taken as valued in the claims
    table; premium and exposure are earned pro rata by day up to ``as_of`` (the valuation date).

    Columns: ``policies`` (rows), ``earned_exposure`` (exposure units × earned share of the
    term: 人年 for annual cover, 亩 for a crop season),
    ``written_premium`` (保费收入), ``earned_premium`` (已赚保费), ``claim_count`` (reported),
    ``paid`` (已决赔款), ``case_reserve`` (已报案未决), ``incurred`` = paid + case reserve
    (reported incurred, before IBNR), ``paid_loss_ratio`` = paid / earned premium and
    ``incurred_loss_ratio`` = incurred / earned premium (满期赔付率 before IBNR).

    Parameters
    ----------
    policies, claims : DataFrame
        Validated tables; ``policy_year`` is taken from the start date's year when the policies
        table has no such column.
    by : sequence of str
        Policy columns to group by.
    as_of : date, optional
        Valuation date for earning premium and exposure (``None``: fully earned).

    Examples
    --------
    >>> pol = pd.DataFrame({"policy_id": ["P1"], "product": ["HMB"],
    ...     "start_date": pd.to_datetime(["2024-01-01"]), "end_date": pd.to_datetime(["2024-12-31"]),
    ...     "premium": [100.0], "exposure": [1.0]})
    >>> cl = pd.DataFrame({"claim_id": ["C1"], "policy_id": ["P1"], "paid": [30.0],
    ...     "case_reserve": [20.0]})
    >>> row = summary(pol, cl).iloc[0]
    >>> int(row["policy_year"]), float(row["incurred_loss_ratio"])
    (2024, 0.5)
    """
    by = list(by)
    pol = policies
    if "policy_year" in by and "policy_year" not in pol.columns:
        pol = pol.assign(policy_year=pol["start_date"].dt.year.astype("int64"))
    missing = [c for c in by if c not in pol.columns]
    if missing:
        raise ParameterError(f"policies table lacks the grouping column(s) {missing}")
    for col in ("policy_id", "paid", "case_reserve"):
        if col not in claims.columns:
            raise ParameterError(f"claims table lacks column '{col}'")
    prem = earned(pol, by=by, period=None, as_of=as_of).drop(columns="earned_exposure")
    # Exposure units × earned share of the term: member-years (人年) for annual cover, and the
    # 亩 of a crop season once the season is over, whatever the season's length.
    share = earned_by_policy(pol, as_of=as_of)["earned_share"].to_numpy()
    units = pol[by].assign(earned_exposure=pol["exposure"].to_numpy(float) * share)
    prem = prem.merge(units.groupby(by, sort=True, observed=True).sum().reset_index(), on=by)
    counts = pol.groupby(by, sort=True, observed=True).size().rename("policies").reset_index()
    pos = pd.Index(pol["policy_id"]).get_indexer(claims["policy_id"])
    if (pos < 0).any():
        bad = claims["policy_id"].to_numpy()[pos < 0][:5]
        raise ParameterError(f"claims for unknown policies, e.g. {list(bad)}; validate the "
                             "claims with policies= first")
    cl = pol.iloc[pos][by].reset_index(drop=True).assign(
        paid=claims["paid"].to_numpy(float), case_reserve=claims["case_reserve"].to_numpy(float))
    cl_sum = cl.groupby(by, sort=True, observed=True).agg(
        claim_count=("paid", "size"), paid=("paid", "sum"),
        case_reserve=("case_reserve", "sum")).reset_index()
    out = counts.merge(prem, on=by, how="left").merge(cl_sum, on=by, how="left")
    out[["claim_count"]] = out[["claim_count"]].fillna(0).astype("int64")
    out[["paid", "case_reserve"]] = out[["paid", "case_reserve"]].fillna(0.0)
    out["incurred"] = out["paid"] + out["case_reserve"]
    with np.errstate(divide="ignore", invalid="ignore"):
        ep = out["earned_premium"].to_numpy(float)
        out["paid_loss_ratio"] = np.where(ep > 0, out["paid"] / ep, np.nan)
        out["incurred_loss_ratio"] = np.where(ep > 0, out["incurred"] / ep, np.nan)
    cols = [*by, "policies", "earned_exposure", "written_premium", "earned_premium",
            "claim_count", "paid", "case_reserve", "incurred", "paid_loss_ratio",
            "incurred_loss_ratio"]
    return out[cols]
