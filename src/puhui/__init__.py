"""puhui (普惠): actuarial toolkit for Chinese inclusive insurance (普惠保险).

Pricing, retrospective review (精算回溯), combined-ratio models (综合成本率) and deductible /
payout tuning (免赔额、起付线、赔付比例) for agricultural, 惠民保 and special-group products.

The most used names are here; the subpackages hold the rest:

* :mod:`puhui.data` — schemas, readers, validation (:class:`DataError` lists every problem);
* :mod:`puhui.datasets` — bundled seeded example data;
* :mod:`puhui.benefits` — :class:`Layer`, :class:`Benefit` (起付线, 赔付比例, 封顶线);
* :mod:`puhui.losses` — :func:`lev`, :class:`Empirical`, :func:`expected_payout`, fitting,
  frequency, :func:`aggregate`;
* :mod:`puhui.credibility`, :mod:`puhui.experience`, :mod:`puhui.ratios`, :mod:`puhui.tuning`;
* :mod:`puhui.huiminbao`, :mod:`puhui.agri`, :mod:`puhui.life` — the product families.

>>> import puhui
>>> design = puhui.Benefit(deductible=20_000, payout_ratio=0.8, cap=1_000_000)
>>> float(design.pay(120_000.0))
80000.0
"""

from __future__ import annotations

from . import benefits, credibility, data, datasets, experience, losses, ratios
from .benefits import Benefit, Layer
from .credibility import Buhlmann, BuhlmannStraub, Hachemeister, Hierarchical
from .errors import DataError, ParameterError, Problem, PuhuiError, RuleError
from .losses import (
    Empirical,
    NegativeBinomial,
    Poisson,
    SeverityFitter,
    aggregate,
    compare_fits,
    expected_payout,
    fit_severity,
    lev,
)

__version__ = "0.1.0"

__all__ = [
    "Benefit", "Buhlmann", "BuhlmannStraub", "DataError", "Empirical", "Hachemeister",
    "Hierarchical", "Layer",
    "NegativeBinomial", "ParameterError", "Poisson", "Problem", "PuhuiError", "RuleError",
    "SeverityFitter", "__version__", "aggregate", "benefits", "compare_fits", "credibility",
    "data", "datasets", "expected_payout", "experience", "fit_severity", "lev", "losses",
    "ratios",
]


def __getattr__(name: str):
    # The product families and tuning import on first use, keeping `import puhui` light.
    import importlib

    if name in {"agri", "life", "huiminbao", "tuning", "pricing", "rules", "report",
                "repro", "plots"}:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'puhui' has no attribute {name!r}")
