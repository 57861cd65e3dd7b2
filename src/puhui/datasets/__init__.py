"""Bundled example data and their seeded generators (`puhui.datasets`).

Four data sets, written byte-identically by ``regenerate()`` (``puhui datasets regenerate``)
into the repository's ``data/`` folder and documented in ``docs/datasets.md``:

1. **惠民保** city product ``HMB-XC``: ~200,000 members a year over the policy years 2023–2025,
   annual covered costs per member × benefit line, claims valued at 2026-02-28 (the last year
   has IBNR) and a truth file with the pricing basis and the planted deviations;
2. **crops**: 100 counties × rice/maize/wheat × 1995–2024 yields with spatially correlated bad
   years, 完全成本 policies and claims for 2022–2024 at the DOMAIN.md county schedule;
3. **index**: a daily rainfall station series and a daily 茭白 wholesale price series;
4. **special_groups**: term life records of a disabled and a standard cohort (true mortality
   1.6 × and 1.0 × CL table), an elderly accident product sold to community groups with claims
   valued at 2025-01-31, and the communities' 2025 renewal census.

Generated in memory, not written to ``data/``: the small-business books
(:func:`property_book`, :func:`employer_groups`, :mod:`.smallbiz`) and the gig-worker activity
log and claims (:func:`load_gig`, :mod:`.gig`); ``puhui datasets example smallbiz|gig --out DIR``
writes them as a data folder for ``puhui price|review|tune``.

Every ``load_*`` of the four bundled sets returns a table validated by :func:`puhui.data.validate`. In a wheel install
(no ``data/`` folder) the loaders regenerate the files once into ``$PUHUI_DATA`` or
``~/.cache/puhui/<version>/``.

Modules, each importing only those before it: :mod:`.store` (the registry of files, their
folders and exact bytes), the generators (:mod:`.huiminbao_claims`, :mod:`.crops`,
:mod:`.series`, :mod:`.special_groups`), :mod:`.build` (``data_dir``, ``regenerate``) and
:mod:`.loaders` (every ``load_*``).

>>> import puhui.datasets as ds
>>> hmb = ds.load_huiminbao()
>>> hmb.policies.groupby("policy_year").size().tolist()
[200000, 196000, 188000]
"""

from __future__ import annotations

from .build import data_dir, files, generate_all, regenerate
from .crops import generate_crops
from .gig import generate_gig, load_gig
from .health import generate_health, load_health
from .huiminbao_claims import generate_huiminbao
from .loaders import (
    CropData,
    HuiminbaoData,
    SpecialGroupsData,
    load_counties,
    load_crop_claims,
    load_crop_policies,
    load_crop_yields,
    load_crops,
    load_huiminbao,
    load_huiminbao_claims,
    load_huiminbao_costs,
    load_huiminbao_payments,
    load_huiminbao_policies,
    load_planted,
    load_prices,
    load_rainfall,
    load_special_groups,
)
from .series import generate_prices, generate_rainfall
from .smallbiz import employer_groups, property_book
from .special_groups import generate_special_groups
from .store import cache_dir

__all__ = [
    "CropData",
    "HuiminbaoData",
    "SpecialGroupsData",
    "cache_dir",
    "data_dir",
    "employer_groups",
    "files",
    "generate_all",
    "generate_crops",
    "generate_gig",
    "generate_health",
    "generate_huiminbao",
    "generate_prices",
    "generate_rainfall",
    "generate_special_groups",
    "load_counties",
    "load_crop_claims",
    "load_crop_policies",
    "load_crop_yields",
    "load_crops",
    "load_gig",
    "load_health",
    "load_huiminbao",
    "load_huiminbao_claims",
    "load_huiminbao_costs",
    "load_huiminbao_payments",
    "load_huiminbao_policies",
    "load_planted",
    "load_prices",
    "load_rainfall",
    "load_special_groups",
    "property_book",
    "regenerate",
]
