"""Premium subsidy split (保费补贴分担): central / provincial / county government and farmer.

Central shares (中央财政农业保险保费补贴), read from the shipped rulebook
``cn.agri.premium_subsidy_2021`` (《中央财政农业保险保费补贴管理办法》 财金〔2021〕130号; the
shares there come from a secondary summary and are marked unconfirmed — ``puhui rules show
cn.agri.premium_subsidy_2021``); the crop shares and the provincial condition match the 2024
notice of 财政部、农业农村部、金融监管总局 on 完全成本保险 and 种植收入保险 as reported by Xinhua
(2024-05-21):

===================  ===========================================  ===========================
line                 central share                                condition
===================  ===========================================  ===========================
crop (种植业)          45% central, western, north-eastern; 35% east  province pays ≥ 25%
livestock (养殖业)     50% central, western, north-eastern; 40% east  (not checked here)
public forest (公益林)  50%                                          (not checked here)
commercial forest      30%                                          (not checked here)
===================  ===========================================  ===========================

A county's observed schedule (rice 完全成本 1,100 元/亩 at 4.5%: 中央 45%, 省 27%, 县 3%,
farmer 25%) gives the farmer 49.5 × 25% = 12.375 元/亩.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ParameterError, RuleError
from ..rules import rulebook

LINES = ("crop", "livestock", "public_forest", "commercial_forest")
REGION_TYPES = ("central", "western", "northeastern", "eastern")
_SCHEDULE = rulebook("cn.agri.premium_subsidy_2021")


def _one(quantity: str, line: str, region_type: str | None = None):
    """The single rule of the schedule bounding ``quantity`` for ``line`` (and region)."""
    scope = {"sector": "agriculture", "line": line}
    if region_type is not None:
        scope["region_type"] = region_type
    found = _SCHEDULE.applicable(quantity, **scope)
    if len(found) > 1:                                                  # pragma: no cover
        raise ParameterError(f"rulebook {_SCHEDULE.id}: {len(found)} rules give "
                             f"{quantity} for {scope}")
    return found[0] if found else None


def _central_share(line: str, region_type: str) -> float:
    r = _one("central_subsidy_share", line, region_type)
    if r is None:                                                       # pragma: no cover
        raise ParameterError(f"rulebook {_SCHEDULE.id} has no central share for {line} in a "
                             f"{region_type} region")
    return r.value


#: Central subsidy share by line, for (central / western / north-eastern, eastern) regions
#: (from the rulebook).
CENTRAL_SHARE = {line: (_central_share(line, "central"), _central_share(line, "eastern"))
                 for line in LINES}
_PROVINCIAL_RULES = {line: r for line in LINES
                     if (r := _one("provincial_subsidy_share", line)) is not None}
#: Provincial share the central subsidy requires, where the rule is recorded (from the
#: rulebook: crops only).
PROVINCIAL_MINIMUM = {line: r.value for line, r in _PROVINCIAL_RULES.items()}


@dataclass(frozen=True)
class SubsidySplit:
    """Shares of the premium paid by each payer (fractions summing to 1)."""

    central: float
    provincial: float
    county: float
    farmer: float
    line: str = "crop"
    region_type: str = "central"

    def amounts(self, premium) -> pd.DataFrame:
        """Premium (元, any shape flattened) split into the four payers' amounts."""
        p = np.ravel(np.asarray(premium, float))
        return pd.DataFrame({"premium": p, "central": p * self.central,
                             "provincial": p * self.provincial, "county": p * self.county,
                             "farmer": p * self.farmer})

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame({"payer": ["central 中央", "provincial 省级", "county 县级",
                                       "farmer 农户"],
                             "share": [self.central, self.provincial, self.county, self.farmer]})


def subsidy_split(line: str = "crop", region_type: str = "central", *, provincial: float = 0.25,
                  county: float = 0.0, central: float | None = None) -> SubsidySplit:
    """The subsidy split of a line in a region; the farmer pays the rest.

    Parameters
    ----------
    line : {"crop", "livestock", "public_forest", "commercial_forest"}
    region_type : {"central", "western", "northeastern", "eastern"}
    provincial, county : float
        Shares paid by the province and the county (and lower levels).
    central : float, optional
        Override the central share (e.g. for 地方特色 products without central subsidy: 0).

    Raises
    ------
    RuleError
        Crop cover with central subsidy but a provincial share under 25% (a
        :class:`puhui.rules.RegulationBreach`), or shares above 100%.

    Examples
    --------
    >>> s = subsidy_split("crop", "central", provincial=0.27, county=0.03)
    >>> round(s.farmer, 6)
    0.25
    """
    if line not in LINES:
        raise ParameterError(f"line={line!r}; use one of {', '.join(LINES)}")
    if region_type not in REGION_TYPES:
        raise ParameterError(f"region_type={region_type!r}; use one of {', '.join(REGION_TYPES)}")
    c = CENTRAL_SHARE[line][region_type == "eastern"] if central is None else float(central)
    for name, v in (("central", c), ("provincial", provincial), ("county", county)):
        if not 0 <= v <= 1:
            raise ParameterError(f"{name} share must be in [0, 1], got {v!r}")
    minimum = PROVINCIAL_MINIMUM.get(line)
    if minimum is not None and c > 0 and provincial < minimum - 1e-12:
        raise _PROVINCIAL_RULES[line].breach(
            f"中央财政保费补贴 for {line} requires a provincial share ≥ {minimum:.0%}; got "
            f"{provincial:.2%}")
    farmer = 1.0 - c - provincial - county
    if farmer < -1e-12:
        raise RuleError(f"subsidies add up to {c + provincial + county:.2%} of the premium (> 100%)")
    return SubsidySplit(c, float(provincial), float(county), max(farmer, 0.0), line, region_type)


def farmer_premium(sum_insured, rate, split: SubsidySplit):
    """Farmer's premium per unit (元/亩): sum insured × rate × farmer share (农户自缴保费).

    Examples
    --------
    >>> s = subsidy_split("crop", "central", provincial=0.27, county=0.03)
    >>> round(float(farmer_premium(1100.0, 0.045, s)), 6)
    12.375
    """
    si = np.asarray(sum_insured, float)
    r = np.asarray(rate, float)
    if np.any(si < 0) or np.any(r < 0) or np.any(r > 1):
        raise ParameterError("sum_insured must be ≥ 0 and rate in [0, 1]")
    return si * r * split.farmer
