"""Price-index cover (价格指数保险), e.g. 茭白 or hog price insurance.

indemnity = max(0, P_target − P̄) × Q, with P̄ the realised average price over the insured
period, P_target the target price (目标价格; often the same period's average the year before)
and Q the insured quantity (约定产量, kg). As a layer: x = P_target − P̄, attachment 0, limit
P_target (prices are ≥ 0), share Q; sum insured = P_target × Q.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .contracts import core_layer, money_layer
from .weather import _month_day


@dataclass(frozen=True)
class PriceIndexCover:
    """Price-index cover on an average price.

    Examples
    --------
    >>> c = PriceIndexCover(target_price=3.0, insured_quantity=2000.0)
    >>> c.pay([3.5, 2.5]).tolist()
    [0.0, 1000.0]
    """

    target_price: float
    insured_quantity: float

    def __post_init__(self):
        for name in ("target_price", "insured_quantity"):
            a = np.asarray(getattr(self, name), float)
            if not np.all(np.isfinite(a)) or np.any(a <= 0):
                raise ParameterError(f"{name} must be positive")

    @property
    def sum_insured(self):
        return np.asarray(self.target_price, float) * self.insured_quantity

    def pay(self, average_price):
        p = np.asarray(average_price, float)
        if not np.all(np.isfinite(p)) or np.any(p < 0):
            raise ParameterError("average prices must be finite and ≥ 0")
        return money_layer(self.sum_insured).pay_elementwise(self.money_loss(p))

    def money_loss(self, average_price):
        """(P_target − P̄)₊ × Q (元), the loss the layer() pays on."""
        return np.maximum(self.target_price - np.asarray(average_price, float), 0.0) * \
            self.insured_quantity

    def layer(self):
        """This cover as a loss-core Layer on :meth:`money_loss` (limit = sum insured)."""
        return core_layer(self.sum_insured)

    def burn_rate(self, average_prices):
        """Mean payout over historical (or simulated) average prices / sum insured."""
        return np.mean(self.pay(average_prices), axis=-1) / self.sum_insured


def average_prices(prices: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    """Average price per market × product × year over the window "MM-DD" … "MM-DD".

    ``prices`` is a ``prices`` table (market, product, date, price). Each year's column
    ``target_previous_year`` is the same window's average of the year before (NaN for the first
    year and after a gap), the usual target price.

    Examples
    --------
    >>> p = pd.DataFrame({"market": "m", "product": "茭白", "price": [3.0, 4.0, 2.0, 2.0],
    ...                   "date": pd.to_datetime(["2023-05-01", "2023-05-02",
    ...                                           "2024-05-01", "2024-05-02"])})
    >>> average_prices(p, "05-01", "05-31")["target_previous_year"].tolist()
    [nan, 3.5]
    """
    need = ["market", "product", "date", "price"]
    missing = [c for c in need if c not in prices.columns]
    if missing:
        raise ParameterError(f"the prices table needs columns {missing}")
    df = prices[need].copy()
    df["date"] = pd.to_datetime(df["date"])
    if df["price"].isna().any() or (df["price"] < 0).any():
        raise ParameterError("prices must be present and ≥ 0")
    s, e = _month_day(start), _month_day(end)
    if s > e:
        raise ParameterError("the price window must lie within one calendar year")
    md = df["date"].dt.month * 100 + df["date"].dt.day
    df = df.loc[(md >= s) & (md <= e)].assign(year=df["date"].dt.year)
    out = (df.groupby(["market", "product", "year"])["price"]
           .agg(average_price="mean", n_obs="size").reset_index())
    prev = out.assign(year=out["year"] + 1).rename(
        columns={"average_price": "target_previous_year"})[
        ["market", "product", "year", "target_previous_year"]]
    return out.merge(prev, on=["market", "product", "year"], how="left")
