"""Weather-index cover (天气指数保险): seasonal indices and index contracts.

Index over a window of the season (e.g. 06-01 … 08-31), per station and season year:

* ``how="sum" | "mean" | "max" | "min"`` over the whole window (cumulative rainfall, mean
  temperature, …);
* with ``spell=k``: the same statistic over every run of k consecutive observations inside the
  window, then the worst one (``worst="min"`` for a drought's driest k days, ``"max"`` for the
  wettest or hottest spell);
* ``how="run_below" | "run_above"`` with ``threshold``: the longest run of consecutive
  observations below / above the threshold (dry spell, heat wave); ``"days_below" |
  "days_above"``: how many observations are below / above it (e.g. 霜冻 days).

Contracts (Vedenov & Barnett 2004, *Efficiency of weather derivatives as primary crop insurance
instruments*, JARE 29(3); DOMAIN.md):

* linear: payout = SI · min(1, max(0, (T − I)/(T − E))) for a deficit (exit E < trigger T),
  (I − T)/(E − T) for an excess; tick = SI / |T − E| (元 per index unit). As a layer: x = T − I
  (or I − T), attachment 0, limit |T − E|, share tick.
* tiered: bands paying a fixed share of SI once the index passes each threshold (e.g. 50 / 70 /
  90 % in Zhejiang freeze-index cover), i.e. a stack of franchise steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .contracts import core_layer, money_layer

_HOWS = ("sum", "mean", "max", "min", "run_below", "run_above", "days_below", "days_above")


def _month_day(value: str) -> int:
    try:
        m, d = (int(v) for v in str(value).split("-"))
    except ValueError:
        raise ParameterError(f"window bounds are 'MM-DD' strings, got {value!r}") from None
    if not (1 <= m <= 12 and 1 <= d <= 31):
        raise ParameterError(f"not a month-day: {value!r}")
    return m * 100 + d


def window_index(series, start: str, end: str, *, how: str = "sum", spell: int | None = None,
                 worst: str | None = None, threshold: float | None = None,
                 station: str = "station", date: str = "date", value: str = "value"
                 ) -> pd.DataFrame:
    """Seasonal index per station and season year.

    Parameters
    ----------
    series : DataFrame or Series
        An ``index_series`` table (station, date, value) or a Series of values indexed by date
        (one station). Observations may be daily, monthly …; the window is by calendar day.
    start, end : str
        Window as "MM-DD"; a window across New Year (start > end) belongs to the year it ends.
    how, spell, worst, threshold : see the module notes.

    Returns
    -------
    DataFrame with columns station, year, index, n_obs.

    Examples
    --------
    >>> s = pd.Series([1.0, 5.0, 0.0, 0.0, 3.0],
    ...               index=pd.date_range("2024-06-01", periods=5))
    >>> window_index(s, "06-01", "06-30", how="run_below", threshold=0.5)["index"].tolist()
    [2.0]
    """
    if how not in _HOWS:
        raise ParameterError(f"how={how!r}; use one of {', '.join(_HOWS)}")
    if isinstance(series, pd.Series):
        df = pd.DataFrame({station: "station", date: series.index, value: series.to_numpy()})
    else:
        missing = [c for c in (station, date, value) if c not in series.columns]
        if missing:
            raise ParameterError(f"index series needs columns {missing}")
        df = series[[station, date, value]].copy()
    df[date] = pd.to_datetime(df[date])
    if df[value].isna().any():
        raise ParameterError("the index series has missing values; fill or remove them "
                             "explicitly before computing an index")
    if df.duplicated([station, date]).any():
        raise ParameterError("the index series repeats a station × date")
    df = df.sort_values([station, date], kind="stable")
    md = df[date].dt.month * 100 + df[date].dt.day
    s, e = _month_day(start), _month_day(end)
    inside = (md >= s) & (md <= e) if s <= e else (md >= s) | (md <= e)
    year = df[date].dt.year + ((md >= s) & (s > e)).astype(int)
    df = df.loc[inside].assign(_year=year[inside])
    keys = [station, "_year"]
    if how.startswith(("run_", "days_")):
        if threshold is None:
            raise ParameterError(f"how={how!r} needs a threshold")
        hit = df[value] < threshold if how.endswith("below") else df[value] > threshold
        df = df.assign(_hit=hit.astype(int))
        if how.startswith("days_"):
            out = df.groupby(keys)["_hit"].sum()
        else:
            # run length: cumulative count reset at every miss (vectorised)
            block = (df["_hit"] == 0).groupby([df[k] for k in keys]).cumsum()
            run = df.groupby(keys + [block])["_hit"].cumsum()
            out = run.groupby([df[k] for k in keys]).max()
    elif spell is not None:
        if not (isinstance(spell, (int, np.integer)) and spell >= 1):
            raise ParameterError(f"spell must be a positive integer, got {spell!r}")
        if worst not in ("min", "max"):
            raise ParameterError("a spell index needs worst='min' or worst='max'")
        if how not in ("sum", "mean", "max", "min"):
            raise ParameterError("a spell index aggregates with sum, mean, max or min")
        rolled = (df.groupby(keys)[value].rolling(spell, min_periods=spell).agg(how)
                  .reset_index(level=list(range(len(keys))), drop=False))
        out = rolled.groupby(keys)[value].agg(worst)
    else:
        out = df.groupby(keys)[value].agg(how)
    n_obs = df.groupby(keys)[value].size()
    res = pd.DataFrame({"index": out.astype(float), "n_obs": n_obs}).reset_index()
    return res.rename(columns={station: "station", "_year": "year"})


@dataclass(frozen=True)
class WeatherIndexCover:
    """Linear weather-index cover between a trigger and an exit (起赔点 / 最大赔付点).

    Examples
    --------
    >>> c = WeatherIndexCover(trigger=200.0, exit=100.0, sum_insured=500.0)   # drought
    >>> c.pay([250.0, 150.0, 50.0]).tolist(), float(c.tick)
    ([0.0, 250.0, 500.0], 5.0)
    """

    trigger: float
    exit: float
    sum_insured: float

    def __post_init__(self):
        t, e, si = (np.asarray(v, float) for v in (self.trigger, self.exit, self.sum_insured))
        if np.any(t == e) or not np.all(np.isfinite(t) & np.isfinite(e)):
            raise ParameterError("trigger and exit must be finite and different")
        if np.any(si <= 0):
            raise ParameterError("sum_insured must be positive")
        if np.ndim(t - e) and not (np.all(e < t) or np.all(e > t)):
            raise ParameterError("all designs must be of one direction (deficit or excess)")

    @property
    def direction(self) -> str:
        """'deficit' (pays as the index falls, exit < trigger) or 'excess'."""
        return "deficit" if np.all(np.asarray(self.exit) < np.asarray(self.trigger)) else "excess"

    @property
    def tick(self):
        """Payout per index unit past the trigger (元 per unit)."""
        return self.sum_insured / np.abs(np.asarray(self.trigger, float) - self.exit)

    def loss(self, index):
        """Loss variable: distance past the trigger, T − I (deficit) or I − T (excess)."""
        i = np.asarray(index, float)
        return self.trigger - i if self.direction == "deficit" else i - self.trigger

    def pay(self, index):
        """Indemnity (元): the layer (0, SI, 1) on :meth:`money_loss`."""
        return money_layer(self.sum_insured).pay_elementwise(self.money_loss(index))

    def money_loss(self, index):
        """tick × distance past the trigger (元), the loss the layer() pays on."""
        return np.maximum(self.loss(index), 0.0) * self.tick

    def layer(self):
        """This cover as a loss-core Layer on :meth:`money_loss` (limit = sum insured)."""
        return core_layer(self.sum_insured)


@dataclass(frozen=True)
class TieredIndexCover:
    """Tiered index cover: a fixed share of the sum insured per band reached.

    ``thresholds`` in the order the index worsens — decreasing for ``direction="deficit"``
    (drought, freeze), increasing for ``"excess"`` (heat, rain) — and the cumulative ``shares``
    paid once each is reached (inclusive), e.g. a freeze cover with thresholds (−3, −5, −7) °C
    and shares (0.5, 0.7, 0.9). As layers: one franchise step of SI × (share_k − share_{k−1})
    per threshold (the loss core's LayerStack holds one franchise jump, so the steps are
    computed here directly).

    Examples
    --------
    >>> c = TieredIndexCover((-3.0, -5.0, -7.0), (0.5, 0.7, 0.9), 1000.0)
    >>> c.pay([-1.0, -3.0, -6.0, -9.0]).tolist()
    [0.0, 500.0, 700.0, 900.0]
    """

    thresholds: tuple[float, ...]
    shares: tuple[float, ...]
    sum_insured: float
    direction: str = "deficit"

    def __post_init__(self):
        t = np.asarray(self.thresholds, float)
        s = np.asarray(self.shares, float)
        if self.direction not in ("deficit", "excess"):
            raise ParameterError("direction must be 'deficit' or 'excess'")
        if t.ndim != 1 or t.size == 0 or t.shape != s.shape or not np.all(np.isfinite(t)):
            raise ParameterError("thresholds and shares must be 1-D of the same length")
        d = np.diff(t)
        if not (np.all(d < 0) if self.direction == "deficit" else np.all(d > 0)):
            raise ParameterError(f"thresholds must {'de' if self.direction == 'deficit' else 'in'}"
                                 f"crease for a {self.direction} cover")
        if np.any(np.diff(s) <= 0) or s[0] <= 0 or s[-1] > 1:
            raise ParameterError("shares must increase within (0, 1]")
        if not self.sum_insured > 0:
            raise ParameterError("sum_insured must be positive")

    def pay(self, index):
        i = np.asarray(index, float)[..., None]
        t = np.asarray(self.thresholds, float)
        steps = np.diff(np.concatenate([[0.0], np.asarray(self.shares, float)]))
        hit = i <= t if self.direction == "deficit" else i >= t
        return self.sum_insured * (hit * steps).sum(axis=-1)
