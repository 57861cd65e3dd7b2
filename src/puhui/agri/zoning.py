"""Risk zoning (风险区划): group counties into zones by their pure rates.

Counties are grouped by quantiles of their pure risk loss rates (纯风险损失率) or by k-means
clustering of the rates (``scipy.cluster.vq.kmeans2``, k-means++ start, explicit seed); zones
are numbered 1 (lowest risk) to k. Each zone gets one rate, the liability-weighted mean of its
counties' rates (or plain mean without weights), so a filing can use one rate per zone or keep
one per county.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ParameterError


@dataclass(frozen=True)
class RiskZoning:
    """Result of :func:`risk_zones`.

    Attributes
    ----------
    table : DataFrame
        One row per county: region, pure_rate, weight, zone, zone_rate.
    zones : DataFrame
        One row per zone: zone, n_regions, min_rate, max_rate, zone_rate, weight.
    method : str
    seed : int or None
    """

    table: pd.DataFrame
    zones: pd.DataFrame
    method: str
    seed: int | None

    def summary(self) -> pd.DataFrame:
        """The zone table."""
        return self.zones.copy()

    def rate(self, by: str = "zone") -> pd.Series:
        """Rate per county: its zone's rate (``by="zone"``) or its own (``by="region"``)."""
        if by not in ("zone", "region"):
            raise ParameterError("by must be 'zone' or 'region'")
        col = "zone_rate" if by == "zone" else "pure_rate"
        return self.table.set_index("region")[col]

    def plot(self, ax=None):
        """Counties' rates in increasing order, coloured by zone, with each zone's rate."""
        from ..plots import label, new_axes

        ax = new_axes(ax)
        t = self.table.sort_values("pure_rate").reset_index(drop=True)
        for z, g in t.groupby("zone"):
            ax.scatter(g.index, g["pure_rate"], s=14, label=f"{label('区', 'zone')} {z}")
            ax.hlines(g["zone_rate"].iloc[0], g.index.min(), g.index.max(), colors="k", lw=1)
        ax.set_xlabel(label("县（按费率排序）", "county (sorted by rate)"))
        ax.set_ylabel(label("纯风险损失率", "pure risk loss rate"))
        ax.set_title(label("风险区划", "risk zoning") + f" ({self.method})")
        ax.legend()
        return ax


def risk_zones(rates, n_zones: int = 3, *, method: str = "quantile", weights=None,
               seed: int | None = 0) -> RiskZoning:
    """Group counties into ``n_zones`` risk zones by their pure rates.

    Parameters
    ----------
    rates : Series or DataFrame
        Pure rates indexed by region, or a table with ``region`` and ``pure_rate`` columns
        (and optionally ``weight``, e.g. liability).
    n_zones : int
    method : {"quantile", "kmeans"}
        Equal-count quantile classes, or one-dimensional k-means (scipy, seeded).
    weights : array_like, optional
        Liability (or area) per county, for the zone rates; default equal weights.
    seed : int
        Seed of the k-means++ start.

    Examples
    --------
    >>> z = risk_zones(pd.Series([0.01, 0.02, 0.03, 0.10, 0.11, 0.12],
    ...                          index=list("abcdef")), 2)
    >>> z.zones["n_regions"].tolist()
    [3, 3]
    """
    if isinstance(rates, pd.DataFrame):
        if not {"region", "pure_rate"} <= set(rates.columns):
            raise ParameterError("rates table needs 'region' and 'pure_rate' columns")
        region = rates["region"].to_numpy()
        r = rates["pure_rate"].to_numpy(float)
        if weights is None and "weight" in rates.columns:
            weights = rates["weight"].to_numpy(float)
    else:
        s = pd.Series(rates)
        region, r = s.index.to_numpy(), s.to_numpy(float)
    w = np.ones_like(r) if weights is None else np.asarray(weights, float)
    if w.shape != r.shape or np.any(w <= 0) or not np.all(np.isfinite(w)):
        raise ParameterError("weights must be positive, one per county")
    if not np.all(np.isfinite(r)) or np.any(r < 0):
        raise ParameterError("pure rates must be finite and ≥ 0")
    if pd.Index(region).has_duplicates:
        raise ParameterError("each region must appear once")
    if not (isinstance(n_zones, (int, np.integer)) and 1 <= n_zones <= r.size):
        raise ParameterError(f"n_zones must be an integer in [1, {r.size}], got {n_zones!r}")
    if method == "quantile":
        edges = np.quantile(r, np.linspace(0, 1, n_zones + 1)[1:-1])
        zone = np.searchsorted(edges, r, side="right")
    elif method == "kmeans":
        from scipy.cluster.vq import kmeans2

        try:
            centroids, lab = kmeans2(r.reshape(-1, 1), n_zones, minit="++", seed=seed,
                                     missing="raise")
        except Exception as err:  # scipy raises ClusterError for an empty cluster
            raise ParameterError(f"k-means found an empty zone: {err}; use fewer zones") from err
        order = np.argsort(np.argsort(centroids[:, 0]))
        zone = order[lab]
    else:
        raise ParameterError(f"method={method!r}; use 'quantile' or 'kmeans'")
    zone = zone + 1
    present = np.unique(zone)
    if present.size < n_zones:
        raise ParameterError(f"only {present.size} non-empty zones for n_zones={n_zones} "
                             "(tied rates); use fewer zones")
    table = pd.DataFrame({"region": region, "pure_rate": r, "weight": w, "zone": zone})
    g = table.assign(wr=table["pure_rate"] * table["weight"]).groupby("zone")
    zones = pd.DataFrame({"n_regions": g.size(), "min_rate": g["pure_rate"].min(),
                          "max_rate": g["pure_rate"].max(),
                          "zone_rate": g["wr"].sum() / g["weight"].sum(),
                          "weight": g["weight"].sum()}).reset_index()
    table["zone_rate"] = table["zone"].map(zones.set_index("zone")["zone_rate"])
    return RiskZoning(table, zones, method, seed if method == "kmeans" else None)
