"""Price-index cover (价格指数保险), e.g. 茭白 or hog price insurance.

indemnity = max(0, P_target − P̄) × Q, with P̄ the realised average price over the insured
period, P_target the target price (目标价格; often the same period's average the year before)
and Q the insured quantity (约定产量, kg). As a layer: x = P_target − P̄, attachment 0, limit
P_target (prices are ≥ 0), share Q; sum insured = P_target × Q.

Design helpers (the 茭白 notebook, ``notebooks/jiaobai_price_index.ipynb``):

* :func:`target_prices` — the target price as the trailing k-year average of the insured
  window's price, T_t = (1/k) Σ_{j=1..k} P̄_{t−j} (Shanghai's 蔬菜价格保险 uses the average of
  the previous 3 years, Xinhua 2011-12-26), optionally Olympic or trended;
* :func:`strike_grid` — a strike s (保障比例) insures the price sT: payout
  Q·(sT − P̄)₊ = Q·T·(s − R)₊ with R = P̄/T the price ratio. A put on the price is the strike
  minus a layer on it, (s − R)₊ = s − min(R, s), so its moments are those of the loss core's
  layer (0, s] on the law of R (:func:`puhui.losses.expected_payout`), for any law: an
  :class:`~puhui.losses.Empirical` of the burn years or a fitted one;
* :func:`revenue_basis` — basis risk of the payout against a grower's revenue loss
  (own yield × own price), via :func:`puhui.agri.basis.basis_risk`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .basis import BasisRisk, basis_risk
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
    df = prices[need].reset_index(drop=True)   # a concatenated table may repeat index labels
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


def _group_keys(table: pd.DataFrame) -> list[str]:
    return [c for c in ("market", "product") if c in table.columns]


def target_prices(averages: pd.DataFrame, years: int = 3, *, method: str = "mean",
                  trend: float = 0.0) -> pd.DataFrame:
    """Target price (目标价格) per year as the trailing average of the insured window's price.

    ``averages`` is a table of yearly window averages (the output of :func:`average_prices`:
    ``year``, ``average_price`` and, if present, ``market`` / ``product``, each series handled
    on its own). With k = ``years`` and g = ``trend``:

    * ``method="mean"``: T_t = (1/k) Σ_{j=1..k} P̄_{t−j} (1 + g)^j — the plain trailing average
      for g = 0 (Shanghai's 蔬菜价格保险: the previous 3 years' price, Xinhua 2011-12-26);
    * ``method="olympic"``: the same k trended prices without the highest and the lowest,
      divided by k − 2 (k ≥ 3; the "Olympic average" of the US ARC benchmark price).

    A year gets a target only when all k previous years are present (NaN after a gap or at the
    start). Adds ``target_price`` and ``price_ratio`` = P̄_t / T_t (R, what a strike acts on).

    Examples
    --------
    >>> a = pd.DataFrame({"year": [2020, 2021, 2022, 2023], "average_price": [3.0, 4.0, 5.0, 2.0]})
    >>> target_prices(a, 3)[["target_price", "price_ratio"]].iloc[-1].tolist()
    [4.0, 0.5]
    """
    need = ["year", "average_price"]
    missing = [c for c in need if c not in averages.columns]
    if missing:
        raise ParameterError(f"the averages table needs columns {missing}")
    if isinstance(years, bool) or not isinstance(years, int | np.integer) or years < 1:
        raise ParameterError(f"years must be a whole number ≥ 1, got {years!r}")
    if method not in ("mean", "olympic"):
        raise ParameterError(f"method must be 'mean' or 'olympic', got {method!r}")
    if method == "olympic" and years < 3:
        raise ParameterError("an Olympic average drops two of the years: years must be ≥ 3")
    g = float(trend)
    if not np.isfinite(g) or g <= -1:
        raise ParameterError(f"trend must be a yearly growth rate > −1, got {trend!r}")
    keys = _group_keys(averages)
    out = averages.reset_index(drop=True).copy()
    price = pd.to_numeric(out["average_price"], errors="coerce").to_numpy(float)
    if not np.all(np.isfinite(price)) or np.any(price <= 0):
        raise ParameterError("average prices must be present, finite and > 0")
    if out.duplicated(keys + ["year"]).any():
        raise ParameterError(f"one row per {' × '.join(keys + ['year'])} is needed; "
                             "the averages table repeats some")
    # lagged prices P̄_{t−j}, j = 1..k, by year arithmetic (a gap gives NaN), one merge per lag
    base = out[keys + ["year"]].assign(average_price=price)
    lagged = np.empty((len(out), years))
    for j in range(1, years + 1):   # k merges, each vectorised over every series and year
        prev = base.assign(year=base["year"] + j)
        lagged[:, j - 1] = out[keys + ["year"]].merge(prev, on=keys + ["year"], how="left")[
            "average_price"].to_numpy(float) * (1.0 + g) ** j
    total = lagged.sum(axis=1)        # NaN where any lag is missing
    if method == "olympic":
        total = total - lagged.max(axis=1) - lagged.min(axis=1)
        target = total / (years - 2)
    else:
        target = total / years
    out["target_price"] = target
    out["price_ratio"] = price / target
    return out


def strike_grid(ratio_law, strikes, *, target_price: float = 1.0,
                insured_quantity: float = 1.0) -> pd.DataFrame:
    """Pure premium of a price-index cover for a grid of strikes (保障比例), under a price law.

    A strike s insures the price sT (T = target price): payout Q·(sT − P̄)₊ = Q·T·(s − R)₊ with
    R = P̄/T and ``ratio_law`` the law of R (an :class:`~puhui.losses.Empirical` of past ratios,
    a fitted scipy law such as ``fit_severity(r, "lognorm").dist_``, or any loss model). The
    put is the strike minus the loss core's layer (0, s] on R, (s − R)₊ = s − min(R, s), so

    * E[pay] = Q·T·(s − E[min(R, s)]),  E[min(R, s)] = ``expected_payout(law, Layer(0, s, 1))``
      = LEV_R(s);
    * pure rate (纯风险损失率) = E[pay] / (sTQ) = 1 − LEV_R(s)/s (sum insured sTQ);
    * E[pay²] = (QT)²·(s² − 2s·LEV_R(s) + E[min(R, s)²]) (``payout_second_moment``);
    * P(pay > 0) = P(R < s) = F_R(s⁻) (the cdf just below s: exact for an empirical law too).

    Returns one row per strike: ``strike``, ``insured_price`` (sT), ``sum_insured`` (sTQ),
    ``expected_payout``, ``pure_rate``, ``p_payout``, ``payout_sd`` and
    ``mean_payout_when_paid`` (NaN where P(pay > 0) = 0).

    Examples
    --------
    >>> from puhui.losses import Empirical
    >>> g = strike_grid(Empirical([0.5, 1.0, 1.5]), [0.8, 1.0], target_price=4.0,
    ...                 insured_quantity=1000.0)
    >>> g[["expected_payout", "pure_rate", "p_payout"]].round(4).to_numpy().tolist()
    [[400.0, 0.125, 0.3333], [666.6667, 0.1667, 0.3333]]
    """
    from ..benefits import Layer
    from ..losses import expected_payout, payout_second_moment

    s = np.asarray(strikes, float)
    if s.ndim != 1 or s.size == 0 or not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise ParameterError("strikes must be a non-empty 1-D array of positive numbers")
    for name, v in (("target_price", target_price), ("insured_quantity", insured_quantity)):
        if np.ndim(v) or not np.isfinite(v) or v <= 0:
            raise ParameterError(f"{name} must be one positive number, got {v!r}")
    if not callable(getattr(ratio_law, "cdf", None)):
        raise ParameterError("ratio_law needs a cdf (an Empirical, a frozen scipy law or a "
                             "loss model)")
    layer = Layer(0.0, s, 1.0)
    lev1 = np.asarray(expected_payout(ratio_law, layer), float)
    lev2 = np.asarray(payout_second_moment(ratio_law, layer), float)
    put = np.maximum(s - lev1, 0.0)
    put2 = np.maximum(s * s - 2 * s * lev1 + lev2, 0.0)
    p = np.asarray(ratio_law.cdf(np.nextafter(s, -np.inf)), float)
    scale = float(target_price) * float(insured_quantity)
    mean = scale * put
    with np.errstate(invalid="ignore", divide="ignore"):
        when_paid = np.where(p > 0, mean / p, np.nan)
    return pd.DataFrame({
        "strike": s, "insured_price": s * target_price, "sum_insured": s * scale,
        "expected_payout": mean, "pure_rate": put / s, "p_payout": p,
        "payout_sd": scale * np.sqrt(np.maximum(put2 - put * put, 0.0)),
        "mean_payout_when_paid": when_paid})


@dataclass(frozen=True)
class RevenueBasis:
    """Basis risk of a price-index payout against a grower's revenue loss.

    ``basis`` holds the :func:`puhui.agri.basis.basis_risk` statistics of payout against the
    revenue loss (correlation, P(loss, no payout), …); a "bad year" has revenue below
    ``bad_level`` × the normal revenue.
    """

    basis: BasisRisk
    bad_level: float
    p_bad: float
    p_paid_given_bad: float
    p_paid_given_not_bad: float
    loss_covered_share: float

    def summary(self) -> pd.DataFrame:
        """The statistics as a two-column table (basis-risk ones first)."""
        rows = self.basis.summary()
        extra = pd.DataFrame({
            "statistic": ["bad_level", "p_bad", "p_paid_given_bad", "p_paid_given_not_bad",
                          "loss_covered_share"],
            "value": [self.bad_level, self.p_bad, self.p_paid_given_bad,
                      self.p_paid_given_not_bad, self.loss_covered_share]})
        return pd.concat([rows, extra], ignore_index=True)


def revenue_basis(payout, grower_yield, grower_price, normal_revenue, *,
                  bad_level: float = 0.8) -> RevenueBasis:
    """How well a price-index payout tracks a grower's revenue loss (收入基差风险).

    With the grower's revenue v = y·p (own yield × own price, 元/亩) and the normal revenue
    v₀ (e.g. normal yield × target price):

    * revenue loss L = (v₀ − v)₊, against which :func:`puhui.agri.basis.basis_risk` gives the
      correlation of payout with L, P(loss, no payout), the uncovered loss, …;
    * bad year: v < ``bad_level``·v₀; ``p_paid_given_bad`` = P(pay > 0 | bad year), the share of
      bad-revenue years the cover pays in, and ``p_paid_given_not_bad`` its complement's;
    * ``loss_covered_share`` = E[min(pay, L)] / E[L], the share of the revenue loss paid.

    All inputs broadcast to one shape (e.g. growers × years) and are pooled.

    Examples
    --------
    >>> r = revenue_basis([0.0, 300.0, 0.0, 100.0], [1000, 1000, 800, 1200], [4.0, 2.5, 3.0, 3.5],
    ...                   4000.0)
    >>> r.p_bad, r.p_paid_given_bad, r.basis.p_loss_no_payout
    (0.5, 0.5, 0.25)
    """
    try:
        pay, y, p, v0 = np.broadcast_arrays(*(np.asarray(a, float) for a in (
            payout, grower_yield, grower_price, normal_revenue)))
    except ValueError:
        raise ParameterError("payout, yields, prices and normal revenue must broadcast to "
                             "one shape") from None
    for name, a in (("payout", pay), ("grower_yield", y), ("grower_price", p),
                    ("normal_revenue", v0)):
        if not np.all(np.isfinite(a)) or np.any(a < 0):
            raise ParameterError(f"{name} must be finite and ≥ 0")
    if not 0 < bad_level <= 1:
        raise ParameterError(f"bad_level must be in (0, 1], got {bad_level!r}")
    revenue = (y * p).ravel()
    v0, pay = v0.ravel(), pay.ravel()
    loss = np.maximum(v0 - revenue, 0.0)
    bad = revenue < bad_level * v0
    paid = pay > 0
    mean_loss = loss.mean()
    return RevenueBasis(
        basis=basis_risk(pay, loss), bad_level=float(bad_level), p_bad=float(bad.mean()),
        p_paid_given_bad=float(paid[bad].mean()) if bad.any() else np.nan,
        p_paid_given_not_bad=float(paid[~bad].mean()) if (~bad).any() else np.nan,
        loss_covered_share=float(np.minimum(pay, loss).mean() / mean_loss)
        if mean_loss > 0 else np.nan)
