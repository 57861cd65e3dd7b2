"""The 大灾准备金 (agricultural catastrophe reserve): contributions by line and draws above a band.

Rules (财政部《农业保险大灾风险准备金管理办法》, 财金〔2013〕129号, issued 2013-12-12, in force
2014-01-01):

* **保费准备金 (premium reserve)**: each year the insurer sets aside a share of its retained
  agricultural premium (自留保费), by line (大类险种), at the rate of its province in the
  办法's annex. The annex's bands as this project reads them — 种植业 2%–4%, 养殖业 1%–3%,
  森林 4%–6% — are *unconfirmed*: the search of stored public pages found the 办法's number,
  date, base and draw rule but no copy of the annex table, so the bands are flagged in
  :data:`CONTRIBUTION_BANDS` and a rate is checked against them only when the line is named.
  It is charged to the year's result, so it counts in the after-reserve combined ratio.
  (A 利润准备金 from excess underwriting profit also exists; it is not modelled here.)
* **Draw (使用)**: when a line's 综合赔付率 — claims net of reinsurance over earned premium —
  passes the 大灾赔付率 (75% in the 办法, "具体由保险机构结合实际确定": the company may set it),
  the reserve may pay the claims above it, after reinsurance (在再保险的基础上), up to the
  balance: ``draw = min(balance, (net claims − trigger · premium)₊)``.
* A local scheme may band it further: Shanghai's 《上海市农业保险大灾（巨灾）风险分散机制暂行
  办法》 keeps the loss ratio below 90% with the insurer, reinsures 90%–150%, and pays above 150%
  from the reinsurance recoveries of that band and the 大灾准备金 (then the city and district
  governments). ``CatastropheReserve(rate, trigger_lr=1.5, premium_basis="gross")`` with a
  ``StopLoss(0.9, 1.5)`` is that scheme.

惠民保 has no 大灾准备金: use ``contribution_rate=0`` (or none at all) unless a product says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from puhui.errors import ParameterError

__all__ = ["CONTRIBUTION_BANDS", "CatastropheReserve", "reserve_contributions"]

#: 保费准备金 rate bands by line: (low, high, source, confirmed). The 办法's annex gives one
#: rate per province within these bands (as read here; see the module docstring).
CONTRIBUTION_BANDS: dict[str, tuple[float, float, str, bool]] = {
    "种植业": (0.02, 0.04, "财金〔2013〕129号 annex (band as read; not confirmed)", False),
    "养殖业": (0.01, 0.03, "财金〔2013〕129号 annex (band as read; not confirmed)", False),
    "森林": (0.04, 0.06, "财金〔2013〕129号 annex (band as read; not confirmed)", False),
    "惠民保": (0.0, 0.0, "no catastrophe reserve for 惠民保", True),
}
ALIASES = {"crop": "种植业", "crops": "种植业", "planting": "种植业", "livestock": "养殖业",
           "forest": "森林", "forestry": "森林", "huiminbao": "惠民保"}

#: 大灾赔付率 of 财金〔2013〕129号 (the company may set another).
TRIGGER_LOSS_RATIO = 0.75


def _line(name) -> str:
    key = ALIASES.get(str(name).lower(), str(name))
    if key not in CONTRIBUTION_BANDS:
        raise ParameterError(f"line: unknown line {name!r}; use one of "
                             f"{sorted(CONTRIBUTION_BANDS)} or {sorted(ALIASES)}")
    return key


def _rate_for(line: str, rate) -> float:
    low, high, _, _ = CONTRIBUTION_BANDS[line]
    if rate is None:
        return high  # the larger charge on the combined ratio: the cautious default
    r = float(rate)
    if not (low - 1e-12 <= r <= high + 1e-12):
        raise ParameterError(f"contribution_rate: {r:g} is outside the {line} band "
                             f"[{low:g}, {high:g}] ({CONTRIBUTION_BANDS[line][2]})")
    return r


@dataclass(frozen=True)
class CatastropheReserve:
    """大灾准备金: a contribution ``rate × premium`` each year; a draw above ``trigger_lr``.

    ``draw = min(balance + contribution, (C − trigger_lr·P)₊, (cap_lr − trigger_lr)·P)`` for a
    year's claims net of reinsurance ``C`` and premium ``P`` — the earned premium net of
    reinsurance (``premium_basis="net"``, the 综合赔付率 of 财金〔2013〕129号) or the gross
    premium (``"gross"``: a band stated on the gross loss ratio, as Shanghai's 150%).

    Examples
    --------
    >>> r = CatastropheReserve(0.03, trigger_lr=1.5, balance=50.0)
    >>> r.draw([100.0, 170.0, 300.0], premium=100.0, contribution=3.0).tolist()
    [0.0, 20.0, 53.0]
    """

    contribution_rate: float = 0.0
    trigger_lr: float = TRIGGER_LOSS_RATIO
    balance: float = 0.0
    cap_lr: float = math.inf
    premium_basis: str = "net"
    line: str | None = None

    def __post_init__(self):
        for name in ("contribution_rate", "trigger_lr", "balance", "cap_lr"):
            v = getattr(self, name)
            try:
                v = float(v)
            except (TypeError, ValueError):
                raise ParameterError(f"{name}: must be a number, got {v!r}") from None
            if math.isnan(v) or v < 0 or (math.isinf(v) and name != "cap_lr"):
                raise ParameterError(f"{name}: must be a finite number ≥ 0, got {v!r}")
        if self.contribution_rate >= 1:
            raise ParameterError("contribution_rate: a share of premium (0.03, not 3)")
        if not self.cap_lr > self.trigger_lr:
            raise ParameterError("cap_lr: must exceed trigger_lr")
        if self.premium_basis not in ("net", "gross"):
            raise ParameterError(f"premium_basis: 'net' or 'gross', got {self.premium_basis!r}")
        if self.line is not None:
            _rate_for(_line(self.line), self.contribution_rate)

    @classmethod
    def for_line(cls, line: str, rate: float | None = None, **kwargs) -> CatastropheReserve:
        """The reserve of a line at ``rate`` (checked against its band; ``None`` → the band's
        top, the larger charge).

        >>> CatastropheReserve.for_line("crop").contribution_rate
        0.04
        >>> CatastropheReserve.for_line("惠民保").contribution_rate
        0.0
        """
        key = _line(line)
        return cls(contribution_rate=_rate_for(key, rate), line=key, **kwargs)

    def contribution(self, premium):
        """This year's 保费准备金: ``contribution_rate × premium`` (retained premium)."""
        return float(self.contribution_rate) * np.asarray(premium, dtype=float)

    def draw(self, net_claims, premium, contribution=0.0):
        """The reserve's payment towards each year's claims (vectorised)."""
        c = np.asarray(net_claims, dtype=float)
        p = np.asarray(premium, dtype=float)
        available = float(self.balance) + np.asarray(contribution, dtype=float)
        above = np.maximum(c - float(self.trigger_lr) * p, 0.0)
        if math.isfinite(float(self.cap_lr)):
            above = np.minimum(above, (float(self.cap_lr) - float(self.trigger_lr)) * p)
        return np.minimum(above, available)


def reserve_contributions(premium_by_line: Mapping | pd.Series, rates: Mapping | None = None
                          ) -> pd.DataFrame:
    """保费准备金 by line: ``premium × rate``, each rate checked against its line's band.

    Examples
    --------
    >>> t = reserve_contributions({"种植业": 1e8, "养殖业": 4e7, "惠民保": 2e8},
    ...                           rates={"种植业": 0.03})
    >>> t[["line", "rate", "contribution"]].to_dict("list")
    {'line': ['种植业', '养殖业', '惠民保'], 'rate': [0.03, 0.03, 0.0], 'contribution': [3000000.0, 1200000.0, 0.0]}
    """
    rates = dict(rates or {})
    rows = []
    for name, premium in dict(premium_by_line).items():
        key = _line(name)
        p = float(premium)
        if not (math.isfinite(p) and p >= 0):
            raise ParameterError(f"premium of {name!r}: must be a finite number ≥ 0, got {premium!r}")
        rate = _rate_for(key, rates.pop(name, rates.pop(key, None)))
        low, high, source, confirmed = CONTRIBUTION_BANDS[key]
        rows.append({"line": key, "premium": p, "rate": rate, "contribution": p * rate,
                     "band_low": low, "band_high": high, "source": source,
                     "confirmed": confirmed})
    if rates:
        raise ParameterError(f"rates: lines {sorted(rates)} have no premium")
    return pd.DataFrame(rows)
