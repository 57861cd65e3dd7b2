"""Loaders of the bundled data: each returns a table validated by ``puhui.data.validate``.

>>> import puhui.datasets as ds
>>> claims = ds.load_huiminbao_claims()
>>> sorted(claims["status"].unique())
['closed', 'open', 'reopened']
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..data import read_table, validate
from .build import data_dir
from .special_groups import _checked_census, _checked_lives
from .store import FILES


def _path(name: str, folder=None) -> Path:
    return (Path(folder) if folder is not None else data_dir()) / FILES[name]


def _load(name: str, kind: str, folder=None, **related) -> pd.DataFrame:
    path = _path(name, folder)
    return validate(read_table(path), kind, table=path.name, **related)


def load_planted(dataset: str, folder=None) -> dict:
    """The generator's truth for ``dataset``: ``huiminbao``, ``crops``, ``index`` or
    ``special_groups``.

    For 惠民保: the pricing basis, the planted deviations, expected (basis and true) and actual
    counts and amounts per policy year × segment × age band × line (``cells``), and per policy
    year the true ultimate, IBNR and case-reserve error (``years``).
    """
    from ..errors import ParameterError

    if dataset not in ("huiminbao", "crops", "index", "special_groups"):
        raise ParameterError("dataset must be 'huiminbao', 'crops', 'index' or 'special_groups', "
                             f"got {dataset!r}")
    return json.loads(_path(f"{dataset}/planted", folder).read_text(encoding="utf-8"))


def load_huiminbao_policies(folder=None) -> pd.DataFrame:
    """惠民保 members (one row per member × policy year, 2023–2025), a ``policies`` table."""
    return _load("huiminbao/policies", "policies", folder)


def load_huiminbao_costs(folder=None, *, policies: pd.DataFrame | None = None) -> pd.DataFrame:
    """Annual covered cost per member × benefit line (rows only where cost > 0), ``costs``."""
    return _load("huiminbao/costs", "costs", folder, policies=policies)


def load_huiminbao_claims(folder=None, *, policies: pd.DataFrame | None = None) -> pd.DataFrame:
    """惠民保 claims valued at 2026-02-28 (reported claims only; IBNR is in the truth)."""
    return _load("huiminbao/claims", "claims", folder, policies=policies)


def load_huiminbao_payments(folder=None, *, claims: pd.DataFrame | None = None) -> pd.DataFrame:
    """Payments on the 惠民保 claims (one row per payment), a ``payments`` table."""
    return _load("huiminbao/payments", "payments", folder, claims=claims)


def load_huiminbao_expenses(folder=None) -> pd.DataFrame:
    """Actual expenses and reinsurance of the 惠民保 policy years, an ``expenses`` table."""
    return _load("huiminbao/expenses", "expenses", folder)


def load_crop_yields(folder=None) -> pd.DataFrame:
    """County yields (kg/亩) and areas (亩), 100 counties × rice/maize/wheat × 1995–2024."""
    return _load("crops/yields", "yields", folder)


def load_crop_policies(folder=None) -> pd.DataFrame:
    """完全成本 policies per county × crop for the harvest years 2022–2024."""
    return _load("crops/policies", "policies", folder)


def load_crop_claims(folder=None, *, policies: pd.DataFrame | None = None) -> pd.DataFrame:
    """Yield-shortfall claims on the 完全成本 policies (all closed by 2025-03-31)."""
    return _load("crops/claims", "claims", folder, policies=policies)


def load_counties(folder=None) -> pd.DataFrame:
    """Counties: region code, province, lon/lat (degrees), planted area per crop, participation.

    Not a data-model kind; checked here: unique ``region``, lon/lat in range, areas ≥ 0,
    participation in [0, 1].
    """
    from ..errors import DataError, Problem

    path = _path("crops/counties", folder)
    df = pd.read_csv(path, encoding="utf-8", dtype={"region": str, "province": str})
    checks = [("region", df["region"].duplicated(keep=False), "duplicate_id"),
              ("lon", ~df["lon"].between(-180, 180), "out_of_range"),
              ("lat", ~df["lat"].between(-90, 90), "out_of_range"),
              ("participation", ~df["participation"].between(0, 1), "ratio_out_of_range")]
    checks += [(c, df[c] < 0, "negative") for c in df.columns if c.endswith("_area")]
    problems = [Problem(path.name, col, int(r) + 1, rule, "value breaks the rule")
                for col, mask, rule in checks for r in mask.to_numpy().nonzero()[0]]
    if problems:
        raise DataError(problems)
    return df


def load_rainfall(folder=None) -> pd.DataFrame:
    """Daily rainfall (mm) of station XN-R01, 1995–2024, an ``index_series`` table."""
    return _load("index/rainfall", "index_series", folder)


def load_prices(folder=None) -> pd.DataFrame:
    """Daily wholesale 茭白 prices (元/kg), 2015–2024, a ``prices`` table."""
    return _load("index/prices", "prices", folder)


@dataclass(frozen=True)
class HuiminbaoData:
    """The bundled 惠民保 data set: validated tables and the generator's truth."""

    policies: pd.DataFrame
    costs: pd.DataFrame
    claims: pd.DataFrame
    payments: pd.DataFrame
    planted: dict
    expenses: pd.DataFrame | None = None

    @property
    def valuation_date(self) -> pd.Timestamp:
        """Date at which the claims are valued (评估日)."""
        return pd.Timestamp(self.planted["valuation_date"])

    def summary(self) -> pd.DataFrame:
        """Members, premium, claims, paid and case reserves by policy year."""
        pol = self.policies[["policy_id", "policy_year"]]
        cl = self.claims.merge(pol, on="policy_id", how="left")
        by = pd.DataFrame({
            "members": self.policies.groupby("policy_year").size(),
            "premium": self.policies.groupby("policy_year")["premium"].sum(),
            "claims": cl[cl["paid"] + cl["case_reserve"] > 0].groupby("policy_year").size(),
            "paid": cl.groupby("policy_year")["paid"].sum(),
            "case_reserve": cl.groupby("policy_year")["case_reserve"].sum(),
        })
        by["reported_loss_ratio"] = (by["paid"] + by["case_reserve"]) / by["premium"]
        return by


@dataclass(frozen=True)
class CropData:
    """The bundled crop portfolio: counties, yields, policies, claims and the truth."""

    counties: pd.DataFrame
    yields: pd.DataFrame
    policies: pd.DataFrame
    claims: pd.DataFrame
    planted: dict

    def summary(self) -> pd.DataFrame:
        """Insured 亩, premium, claims and paid by crop and harvest year."""
        cl = self.claims.merge(self.policies[["policy_id", "crop", "policy_year"]],
                               on="policy_id", how="left")
        keys = ["crop", "policy_year"]
        by = self.policies.groupby(keys).agg(mu=("exposure", "sum"),
                                             sum_insured=("sum_insured", "sum"),
                                             premium=("premium", "sum"))
        by["claims"] = cl.groupby(keys).size()
        by["paid"] = cl.groupby(keys)["paid"].sum()
        by = by.fillna({"claims": 0, "paid": 0.0})
        by["loss_ratio"] = by["paid"] / by["premium"]
        return by


def load_huiminbao(folder=None) -> HuiminbaoData:
    """All 惠民保 tables, validated together (costs and claims against the policies)."""
    policies = load_huiminbao_policies(folder)
    claims = load_huiminbao_claims(folder, policies=policies)
    return HuiminbaoData(policies=policies,
                         costs=load_huiminbao_costs(folder, policies=policies),
                         claims=claims,
                         payments=load_huiminbao_payments(folder, claims=claims),
                         planted=load_planted("huiminbao", folder),
                         expenses=load_huiminbao_expenses(folder))


def load_crops(folder=None) -> CropData:
    """All crop tables, validated together (claims against the policies)."""
    policies = load_crop_policies(folder)
    return CropData(counties=load_counties(folder), yields=load_crop_yields(folder),
                    policies=policies, claims=load_crop_claims(folder, policies=policies),
                    planted=load_planted("crops", folder))


@dataclass(frozen=True)
class SpecialGroupsData:
    """The bundled special-group data: term life records, accident groups, census, truth."""

    lives: pd.DataFrame
    accident_policies: pd.DataFrame
    accident_claims: pd.DataFrame
    census: pd.DataFrame
    planted: dict

    @property
    def valuation_date(self) -> pd.Timestamp:
        """Date at which the accident claims are valued (评估日)."""
        return pd.Timestamp(self.planted["valuation_date"])

    def summary(self) -> pd.DataFrame:
        """Accident groups by policy year: members, premium, reported claims, paid, reserve."""
        cl = self.accident_claims.merge(self.accident_policies[["policy_id", "policy_year"]],
                                        on="policy_id", how="left")
        pol = self.accident_policies.groupby("policy_year")
        out = pd.DataFrame({"members": pol["exposure"].sum(), "premium": pol["premium"].sum(),
                            "claims": cl.groupby("policy_year").size(),
                            "paid": cl.groupby("policy_year")["paid"].sum(),
                            "case_reserve": cl.groupby("policy_year")["case_reserve"].sum()})
        out["reported_loss_ratio"] = (out["paid"] + out["case_reserve"]) / out["premium"]
        return out


def load_special_groups(folder=None) -> SpecialGroupsData:
    """The special-group data set, validated (accident tables by ``puhui.data.validate``,
    the term life records and the census by their own rules)."""
    policies = validate(read_table(_path("special_groups/accident_policies", folder)),
                        "policies", table="accident_policies.csv")
    claims = validate(read_table(_path("special_groups/accident_claims", folder)), "claims",
                      policies=policies, table="accident_claims.csv")
    lives = _checked_lives(pd.read_parquet(_path("special_groups/lives", folder)))
    census = _checked_census(pd.read_csv(_path("special_groups/census", folder),
                                         encoding="utf-8", dtype={"group": str, "sex": str}))
    return SpecialGroupsData(lives=lives, accident_policies=policies, accident_claims=claims,
                             census=census, planted=load_planted("special_groups", folder))
