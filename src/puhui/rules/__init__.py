"""Regulation and company policy as versioned rulebooks (监管规则与公司政策).

Every regulatory figure puhui uses — the 费率调整系数 band, the 附加费率 cap, the 综合费用率
ceiling, the subsidy shares — lives in one TOML rulebook shipped with the package
(``puhui/rules/books/``), one book per document, each figure with its 文号, article (条), date,
a ``confirmed`` flag and a note where it could not be confirmed from the official text. Company
policies (a yearly rate-change cap, a target combined ratio) are a separate kind of book,
reported as policy and never as regulation.

* :func:`load_rulebook` — read and validate a rulebook file (strict).
* :func:`rulebooks` — the shipped books, by kind and date in force; :func:`rulebook`,
  :func:`rule` — one book or rule by id.
* :func:`check` — a design, rate filing or indication against the books in force: one row per
  rule with value, limit, passed, kind, source, confirmed, note.
* :class:`RuleBreach` (a :class:`puhui.errors.RuleError`) with ``kind`` "regulation"
  (:class:`RegulationBreach`) or "policy" (:class:`PolicyBreach`).

``puhui rules list`` and ``puhui rules show ID`` print them. This package is core: it imports
nothing from agri, huiminbao, life, tuning or pricing.
"""

from __future__ import annotations

from .book import (
    COMPARISONS,
    KINDS,
    QUANTITIES,
    SCOPE_KEYS,
    PolicyBreach,
    RegulationBreach,
    Rule,
    Rulebook,
    RuleBreach,
    load_rulebook,
    policy_breach,
    rule,
    rulebook,
    rulebook_from_dict,
    rulebooks,
)
from .check import check, raise_breaches

__all__ = [
    "COMPARISONS", "KINDS", "QUANTITIES", "SCOPE_KEYS", "PolicyBreach", "RegulationBreach",
    "Rule", "RuleBreach", "Rulebook", "check", "load_rulebook", "policy_breach",
    "raise_breaches", "rule", "rulebook", "rulebook_from_dict", "rulebooks",
]
