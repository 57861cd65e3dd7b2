"""The pricing basis of a 惠民保 product: expected claims and payout per member, by cell.

A retrospective review compares experience with the basis the price was filed on. The basis
is a table with one row per policy year × segment × age band × benefit line:

========================  ==================================================================
``policy_year``           保单年度
``segment``               healthy / preexisting (既往症)
``age_band``              label, e.g. ``60-69`` or ``80+``
``min_age``, ``max_age``  the band's ages, inclusive
``benefit_line``          in_catalogue / out_of_catalogue / special_drugs …
``claims_per_member``     expected number of members paid on the line, per member-year
``payout_per_member``     expected payout on the line per member-year (元)
========================  ==================================================================

It is read from a table file (``basis.csv``; any format :func:`puhui.data.read_table` reads,
headers in English or Chinese — the ``basis`` table of ``docs/data_model.md``, validated like
every table) or, for the bundled data, derived from the generator's truth file, whose basis
columns are the filed expectations.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError, Problem

COLUMNS = ("policy_year", "segment", "age_band", "min_age", "max_age", "benefit_line",
           "claims_per_member", "payout_per_member")
CELL = ("policy_year", "segment", "age_band", "benefit_line")


def check_basis(basis: pd.DataFrame, table: str = "basis") -> pd.DataFrame:
    """Validate a basis table: columns, non-negative rates, one row per cell, bands whose last
    age is not below their first and that do not overlap. Raises :class:`puhui.DataError` with
    every problem."""
    missing = [c for c in COLUMNS if c not in basis.columns]
    if missing:
        raise DataError([Problem(table, c, None, "missing_column", "required column is missing")
                         for c in missing])
    out = basis[list(COLUMNS)].reset_index(drop=True).copy()
    problems = []
    for col in ("policy_year", "min_age", "max_age", "claims_per_member", "payout_per_member"):
        values = pd.to_numeric(out[col], errors="coerce")
        for r in np.flatnonzero(values.isna() | (values < 0)) + 1:
            problems.append(Problem(table, col, int(r), "negative_or_missing",
                                    "must be a number ≥ 0", basis[col].iloc[r - 1]))
        if col in ("policy_year", "min_age", "max_age"):  # whole numbers: never truncated
            for r in np.flatnonzero(values.notna() & (values != values.round())) + 1:
                problems.append(Problem(table, col, int(r), "not_an_integer",
                                        "must be a whole number", basis[col].iloc[r - 1]))
        out[col] = values
    dup = out.duplicated(list(CELL), keep=False)
    for r in np.flatnonzero(dup) + 1:
        problems.append(Problem(table, "+".join(CELL), int(r), "duplicate_id",
                                "the cell appears more than once"))
    for r in np.flatnonzero(out["max_age"].to_numpy(float) < out["min_age"].to_numpy(float)) + 1:
        problems.append(Problem(table, "max_age", int(r), "band_order",
                                "max_age is below min_age", basis["max_age"].iloc[r - 1]))
    bands = out.drop_duplicates("age_band").sort_values("min_age")
    if (bands["min_age"].to_numpy()[1:] <= bands["max_age"].to_numpy()[:-1]).any():
        problems.append(Problem(table, "age_band", None, "overlapping_bands",
                                "age bands overlap"))
    if problems:
        raise DataError(problems)
    out[["policy_year", "min_age", "max_age"]] = out[["policy_year", "min_age",
                                                      "max_age"]].astype("int64")
    return out


def read_basis(path: str | Path) -> pd.DataFrame:
    """Read and check a basis file (CSV in UTF-8 or GBK, Parquet or .xlsx; English or Chinese
    headers): validated as the ``basis`` table (:func:`puhui.data.load`), then the bands."""
    from ..data import load

    return check_basis(load(path, "basis"), table=Path(path).name)


def basis_from_planted(planted: dict) -> pd.DataFrame:
    """The filed basis of the bundled product, from its truth file (``basis_*`` columns)."""
    cells = pd.DataFrame(planted["cells"])
    bands = pd.DataFrame(planted["pricing_basis"]["age_bands"]).rename(
        columns={"label": "age_band"})
    cells = cells.merge(bands, on="age_band", how="left")
    members = cells["members"].to_numpy(float)
    if (members <= 0).any():
        raise ParameterError("truth file has a cell without members")
    cells["claims_per_member"] = cells["basis_claims"] / members
    cells["payout_per_member"] = cells["basis_payout"] / members
    return check_basis(cells, table="planted.json")


def age_band_of(age, basis: pd.DataFrame) -> np.ndarray:
    """The basis age band label of each age; an age outside every band is an error."""
    bands = basis.drop_duplicates("age_band").sort_values("min_age")
    lows, highs = bands["min_age"].to_numpy(), bands["max_age"].to_numpy()
    age = np.asarray(age, dtype=float)
    idx = np.searchsorted(lows, age, side="right") - 1
    ok = (idx >= 0) & (age <= highs[np.clip(idx, 0, None)])
    if not ok.all():
        raise ParameterError(f"ages outside the basis age bands: {np.unique(age[~ok])[:5]}")
    return bands["age_band"].to_numpy()[idx]
