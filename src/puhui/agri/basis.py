"""Basis risk and burn analysis of index contracts (基差风险与历史赔付回测).

Basis risk is the mismatch between what an index contract pays and the loss the farmer
suffers (Barnett & Mahul 2007, *Weather index insurance for agriculture and rural areas in
lower-income countries*, AJAE 89(5); Elabed et al. 2013). Measured year by year against real
yields:

* P(loss, no payout) — the farmer's "false negative" (e.g. Iowa 1993: flood, not drought);
* P(payout, no loss) — the insurer's "false positive";
* Pearson and Spearman correlation of payout with loss;
* uncovered loss E[(loss − payout)₊] and overpayment E[(payout − loss)₊];
* variance reduction 1 − Var(loss − payout)/Var(loss) (hedging effectiveness).

Burn analysis (历史赔付回测) applies a contract to each past year's index and reads the pure
premium as the mean payout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ParameterError


@dataclass(frozen=True)
class BasisRisk:
    """Basis-risk statistics of payouts against losses (same years, same money units)."""

    n: int
    p_loss: float
    p_payout: float
    p_loss_no_payout: float
    p_payout_no_loss: float
    correlation: float
    spearman: float
    mean_loss: float
    mean_payout: float
    uncovered_loss: float
    overpayment: float
    variance_reduction: float

    def summary(self) -> pd.DataFrame:
        """The statistics as a two-column table."""
        return pd.DataFrame({"statistic": list(self.__dataclass_fields__),
                             "value": [getattr(self, k) for k in self.__dataclass_fields__]})


def basis_risk(payout, loss, *, loss_threshold: float = 0.0,
               payout_threshold: float = 0.0) -> BasisRisk:
    """Basis-risk statistics of an index contract against actual losses.

    Parameters
    ----------
    payout, loss : array_like
        Payout of the index contract and the loss it should cover, per year (same units, e.g.
        元/亩 or yield units); a year has a "loss" when loss > ``loss_threshold`` and a
        "payout" when payout > ``payout_threshold``.

    Examples
    --------
    >>> b = basis_risk([0, 10, 0, 5], [0, 8, 6, 0])
    >>> b.p_loss_no_payout, b.p_payout_no_loss
    (0.25, 0.25)
    """
    p = np.asarray(payout, float)
    x = np.asarray(loss, float)
    if p.shape != x.shape or p.ndim != 1 or p.size < 2:
        raise ParameterError("payout and loss must be 1-D arrays of the same length (≥ 2)")
    if not (np.all(np.isfinite(p)) and np.all(np.isfinite(x))) or np.any(p < 0) or np.any(x < 0):
        raise ParameterError("payout and loss must be finite and ≥ 0")
    has_loss, has_pay = x > loss_threshold, p > payout_threshold
    var_x = x.var()
    corr = float(np.corrcoef(p, x)[0, 1]) if p.std() > 0 and x.std() > 0 else np.nan
    rho = float(stats.spearmanr(p, x).statistic) if p.std() > 0 and x.std() > 0 else np.nan
    return BasisRisk(
        n=int(p.size), p_loss=float(has_loss.mean()), p_payout=float(has_pay.mean()),
        p_loss_no_payout=float((has_loss & ~has_pay).mean()),
        p_payout_no_loss=float((has_pay & ~has_loss).mean()),
        correlation=corr, spearman=rho, mean_loss=float(x.mean()), mean_payout=float(p.mean()),
        uncovered_loss=float(np.maximum(x - p, 0).mean()),
        overpayment=float(np.maximum(p - x, 0).mean()),
        variance_reduction=float(1 - (x - p).var() / var_x) if var_x > 0 else np.nan)


@dataclass(frozen=True)
class BurnAnalysis:
    """Year-by-year payouts of a contract on historical index values."""

    table: pd.DataFrame
    sum_insured: float
    pure_premium: float
    pure_rate: float
    payout_frequency: float
    std: float
    max_payout: float

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame({
            "statistic": ["years", "pure_premium", "pure_rate", "payout_frequency", "std",
                          "max_payout"],
            "value": [len(self.table), self.pure_premium, self.pure_rate, self.payout_frequency,
                      self.std, self.max_payout]})

    def plot(self, ax=None):
        """Index and payout by year; returns the Axes."""
        from ..plots import label, new_axes

        ax = new_axes(ax)
        ax.bar(self.table["year"], self.table["payout"], color="C3",
               label=label("赔付", "payout"))
        ax.set_xlabel(label("年份", "year"))
        ax.set_ylabel(label("赔付", "payout"))
        ax2 = ax.twinx()
        ax2.plot(self.table["year"], self.table["index"], color="C0", lw=1,
                 label=label("指数", "index"))
        ax2.set_ylabel(label("指数", "index"))
        ax.set_title(label("历史赔付回测", "burn analysis"))
        return ax


def burn_analysis(contract, index, years=None) -> BurnAnalysis:
    """Apply ``contract.pay`` to each historical index value.

    Parameters
    ----------
    contract : object with ``pay(index)`` and ``sum_insured``
        e.g. :class:`~puhui.agri.weather.WeatherIndexCover`, a price-index cover.
    index : Series or array_like
        Index per year (a Series indexed by year, or values with ``years``).

    Examples
    --------
    >>> from puhui.agri.weather import WeatherIndexCover
    >>> b = burn_analysis(WeatherIndexCover(200.0, 100.0, 500.0), [250.0, 150.0, 300.0, 50.0],
    ...                   years=[2020, 2021, 2022, 2023])
    >>> b.pure_premium, b.pure_rate
    (187.5, 0.375)
    """
    if isinstance(index, pd.Series) and years is None:
        years, values = index.index.to_numpy(), index.to_numpy(float)
    else:
        values = np.asarray(index, float)
        years = np.arange(values.size) if years is None else np.asarray(years)
    if values.ndim != 1 or len(years) != values.size or values.size == 0:
        raise ParameterError("index must be 1-D with one value per year")
    pay = np.asarray(contract.pay(values), float)
    si = float(np.asarray(contract.sum_insured))
    table = pd.DataFrame({"year": years, "index": values, "payout": pay,
                          "payout_rate": pay / si})
    return BurnAnalysis(table, si, float(pay.mean()), float(pay.mean() / si),
                        float((pay > 0).mean()), float(pay.std(ddof=1)) if pay.size > 1 else 0.0,
                        float(pay.max()))
