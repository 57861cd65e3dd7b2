"""Experience cells of a 惠民保 book: actual and expected claims by year × segment × age × line."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .basis import CELL, age_band_of


def member_cells(policies: pd.DataFrame, basis: pd.DataFrame) -> pd.DataFrame:
    """Policies with ``policy_year`` and the basis ``age_band`` attached (one row per member)."""
    for col in ("policy_id", "segment", "age"):
        if col not in policies.columns:
            raise ParameterError(f"policies lack column '{col}' needed for the review")
    year = (policies["policy_year"] if "policy_year" in policies.columns
            else policies["start_date"].dt.year)
    return pd.DataFrame({"policy_id": policies["policy_id"].to_numpy(),
                         "policy_year": np.asarray(year, dtype="int64"),
                         "segment": policies["segment"].to_numpy(),
                         "age_band": age_band_of(policies["age"].to_numpy(float), basis)})


def experience_cells(policies: pd.DataFrame, claims: pd.DataFrame,
                     basis: pd.DataFrame) -> pd.DataFrame:
    """Actual (reported) and expected counts and amounts per cell.

    * ``members``: member-years in the cell;
    * ``expected_count`` = members × basis claims per member; ``expected_amount`` likewise;
    * ``actual_count``: reported claims with a payout or reserve (> 0) — a closed claim paid
      nothing is not a paid member; ``actual_amount`` = paid + case reserve; ``amount_sq`` the
      sum of squared claim amounts (for the compound-Poisson interval).

    Every claim must have a ``benefit_line`` and belong to a policy in ``policies``.
    """
    if "benefit_line" not in claims.columns or claims["benefit_line"].isna().any():
        raise ParameterError("every claim needs a benefit_line for the review by line")
    members = member_cells(policies, basis)
    keys = ["policy_year", "segment", "age_band"]
    counts = members.groupby(keys, observed=True).size().rename("members").reset_index()
    lines = basis[["benefit_line"]].drop_duplicates()
    grid = counts.merge(lines, how="cross")
    exp = grid.merge(basis[[*CELL, "claims_per_member", "payout_per_member"]], on=list(CELL),
                     how="left")
    if exp["claims_per_member"].isna().any():
        gap = exp.loc[exp["claims_per_member"].isna(), list(CELL)].head(3).to_dict("records")
        raise ParameterError(f"the basis has no row for cells such as {gap}")
    exp["expected_count"] = exp["members"] * exp["claims_per_member"]
    exp["expected_amount"] = exp["members"] * exp["payout_per_member"]

    pos = pd.Index(members["policy_id"]).get_indexer(claims["policy_id"])
    if (pos < 0).any():
        raise ParameterError("claims for policies not in the policies table; validate first")
    amount = claims["paid"].to_numpy(float) + claims["case_reserve"].to_numpy(float)
    cl = members.iloc[pos][keys].reset_index(drop=True).assign(
        benefit_line=claims["benefit_line"].to_numpy(), amount=amount)
    cl = cl[cl["amount"] > 0]
    act = cl.groupby(list(CELL), observed=True).agg(
        actual_count=("amount", "size"), actual_amount=("amount", "sum"),
        amount_sq=("amount", lambda a: float(np.square(a).sum()))).reset_index()
    unknown = act.merge(exp[list(CELL)], on=list(CELL), how="left", indicator=True)
    if (unknown["_merge"] == "left_only").any():
        raise ParameterError("claims on benefit lines the basis does not have: "
                             f"{sorted(unknown.loc[unknown['_merge'] == 'left_only', 'benefit_line'].unique())}")
    out = exp.merge(act, on=list(CELL), how="left")
    out[["actual_count"]] = out[["actual_count"]].fillna(0).astype("int64")
    out[["actual_amount", "amount_sq"]] = out[["actual_amount", "amount_sq"]].fillna(0.0)
    return out[[*CELL, "members", "expected_count", "expected_amount", "actual_count",
                "actual_amount", "amount_sq"]]


def allocate_ibnr(cells: pd.DataFrame, ibnr: pd.DataFrame) -> pd.DataFrame:
    """Add each policy year's IBNR to its cells in proportion to the expected values.

    ``ibnr`` has ``policy_year``, ``ibnr_count`` and ``ibnr_amount``. The unreported claims of a
    year are spread over its cells as the basis expects them (the Bornhuetter–Ferguson view:
    what is not yet reported looks like the basis, not like what has been reported). The result
    carries ``reported_count``/``reported_amount`` and ``actual_*`` = reported + IBNR.
    """
    need = {"policy_year", "ibnr_count", "ibnr_amount"}
    if not need <= set(ibnr.columns):
        raise ParameterError(f"ibnr table needs columns {sorted(need)}")
    out = cells.rename(columns={"actual_count": "reported_count",
                                "actual_amount": "reported_amount"}).copy()
    tot = out.groupby("policy_year")[["expected_count", "expected_amount"]].transform("sum")
    add = out[["policy_year"]].merge(ibnr, on="policy_year", how="left").fillna(0.0)
    out["ibnr_count"] = add["ibnr_count"].to_numpy() * out["expected_count"] / tot[
        "expected_count"]
    out["ibnr_amount"] = add["ibnr_amount"].to_numpy() * out["expected_amount"] / tot[
        "expected_amount"]
    # A/E intervals need whole counts: round the allocated IBNR count per cell.
    out["actual_count"] = np.round(out["reported_count"] + out["ibnr_count"]).astype("int64")
    out["actual_amount"] = out["reported_amount"] + out["ibnr_amount"]
    return out
