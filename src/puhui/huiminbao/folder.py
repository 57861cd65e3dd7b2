"""Reading a 惠民保 data folder: member-years, claims, costs, payments and the pricing basis.

A folder holds one file per table, named by its kind, in any supported format::

    policies.parquet | policies.csv | policies.xlsx      (required)
    claims.*                                             (required for a review)
    costs.*, payments.*                                  (optional; costs needed for pricing
                                                          and tuning)
    basis.csv                                            (the pricing basis, required for a
                                                          review; or planted.json for the
                                                          bundled synthetic data)

Every table is validated (with the cross-table rules) before use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..data import load
from ..errors import ParameterError
from .basis import basis_from_planted, read_basis

SUFFIXES = (".parquet", ".csv", ".xlsx", ".csv.gz")


def _find(folder: Path, stem: str, required: bool) -> Path | None:
    hits = [folder / f"{stem}{s}" for s in SUFFIXES if (folder / f"{stem}{s}").exists()]
    if len(hits) > 1:
        raise ParameterError(f"{folder}: several files for '{stem}': {[h.name for h in hits]}")
    if not hits and required:
        raise ParameterError(f"{folder}: no {stem} file ({', '.join(stem + s for s in SUFFIXES)})")
    return hits[0] if hits else None


@dataclass
class BookData:
    """A validated 惠民保 book read from a folder, with the paths it came from."""

    policies: pd.DataFrame
    claims: pd.DataFrame | None
    basis: pd.DataFrame | None
    costs: pd.DataFrame | None = None
    payments: pd.DataFrame | None = None
    valuation_date: str | None = None
    paths: dict[str, Path] = field(default_factory=dict)


def read_book(folder: str | Path, *, for_review: bool = True) -> BookData:
    """Read and validate every table of a 惠民保 data folder.

    ``for_review=False`` (pricing from member costs): only policies and costs are read —
    costs required, claims, payments and the basis left out (and out of the manifest)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ParameterError(f"no such data folder: {folder}")
    paths = {"policies": _find(folder, "policies", True)}
    policies = load(paths["policies"], "policies")
    claims = costs = payments = basis = valuation = None
    if (p := _find(folder, "costs", not for_review)) is not None:
        paths["costs"] = p
        costs = load(p, "costs", policies=policies)
    if not for_review:
        return BookData(policies, None, None, costs, None, None, paths)
    paths["claims"] = _find(folder, "claims", True)
    claims = load(paths["claims"], "claims", policies=policies)
    if (p := _find(folder, "payments", False)) is not None:
        paths["payments"] = p
        payments = load(p, "payments", claims=claims)
    if (folder / "basis.csv").exists():
        paths["basis"] = folder / "basis.csv"
        basis = read_basis(paths["basis"])
    elif (folder / "planted.json").exists():
        paths["basis"] = folder / "planted.json"
        planted = json.loads(paths["basis"].read_text(encoding="utf-8"))
        basis = basis_from_planted(planted)
        valuation = planted.get("valuation_date")
    else:
        raise ParameterError(f"{folder}: no pricing basis (basis.csv) for the review")
    return BookData(policies, claims, basis, costs, payments, valuation, paths)
