"""Index designs (天气指数保险方案设计), vectorised over designs.

:func:`tiered_payouts` pays a grid of tiered designs at once (e.g. 50/70/90% of the sum insured
as rainfall falls through three thresholds); :func:`index_design_table` prices a payout matrix
(burn cost, loaded rate by the 2023 rule) and measures its basis risk against losses — the
statistics of :func:`puhui.agri.basis.basis_risk`, vectorised over designs (designs × years
arrays, no loop per design).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ParameterError
from .rules import filed_rate

__all__ = ["tiered_payouts", "index_design_table"]


def tiered_payouts(index, thresholds, shares, sum_insured=1.0, direction: str = "deficit"):
    """Payouts of many tiered designs: SI × the cumulative share of the tiers reached.

    ``thresholds`` (designs, K) in the order the index worsens (decreasing for a deficit),
    ``shares`` (K,) or (designs, K) cumulative and increasing in (0, 1]; ``index`` (n,).
    Returns (designs, n); row j equals :class:`~puhui.agri.weather.TieredIndexCover` with
    row j's terms.

    Examples
    --------
    >>> tiered_payouts([250.0, 150.0, 60.0], [[200.0, 120.0, 80.0]], [0.5, 0.7, 0.9], 1000.0)
    array([[  0., 500., 900.]])
    """
    t = np.atleast_2d(np.asarray(thresholds, float))
    s = np.broadcast_to(np.asarray(shares, float), t.shape)
    i = np.asarray(index, float)
    if direction not in ("deficit", "excess"):
        raise ParameterError("direction must be 'deficit' or 'excess'")
    if i.ndim != 1 or not np.all(np.isfinite(t)):
        raise ParameterError("index must be 1-D and thresholds finite")
    step = np.diff(t, axis=1)
    if not np.all(step < 0 if direction == "deficit" else step > 0):
        raise ParameterError(f"thresholds must {'de' if direction == 'deficit' else 'in'}crease"
                             f" along each row for a {direction} cover")
    if np.any(np.diff(s, axis=1) <= 0) or np.any(s[:, 0] <= 0) or np.any(s[:, -1] > 1):
        raise ParameterError("shares must increase within (0, 1]")
    hit = i[None, :, None] <= t[:, None, :] if direction == "deficit" else \
        i[None, :, None] >= t[:, None, :]
    steps = np.diff(s, axis=1, prepend=0.0)
    return float(sum_insured) * (hit * steps[:, None, :]).sum(axis=-1)


def index_design_table(payouts, losses, *, sum_insured: float, loading: float = 0.20,
                       factor: float = 1.0, subsidised: bool = True,
                       loss_threshold: float = 0.0, payout_threshold: float = 0.0
                       ) -> pd.DataFrame:
    """Price and basis risk of many index designs (天气指数保险方案比较), vectorised.

    Parameters
    ----------
    payouts : (designs, years) array
        Payout per unit (元/亩) of each design in each year (e.g. from
        ``WeatherIndexCover(T[:, None], E[:, None], SI).pay(index)`` or :func:`tiered_payouts`).
    losses : (years,) or (farms, years) array
        The loss each year (or each farm × year) the cover should pay, same units; basis-risk
        statistics pool all farm-years against the year's payout.
    sum_insured, loading, factor, subsidised
        Rate = burn cost / SI / (1 − 附加费率) × 费率调整系数 (:func:`filed_rate`).

    Returns
    -------
    DataFrame, one row per design: burn_cost (mean payout over the years, 历史赔付回测),
    burn_se (its standard error, sd/√n), payout_frequency, pure_rate, rate, gross_premium,
    and the fields of :class:`~puhui.agri.basis.BasisRisk` (same definitions).
    """
    P = np.atleast_2d(np.asarray(payouts, float))
    X = np.asarray(losses, float)
    if X.ndim == 1:
        X = X[None, :]
    if X.ndim != 2 or X.shape[1] != P.shape[1] or P.shape[1] < 2:
        raise ParameterError("payouts (designs, years) and losses (years,) or (farms, years) "
                             "must share the years (≥ 2)")
    if not (np.all(np.isfinite(P)) and np.all(np.isfinite(X))) or np.any(P < 0) or np.any(X < 0):
        raise ParameterError("payouts and losses must be finite and ≥ 0")
    n_years = P.shape[1]
    burn = P.mean(axis=1)
    fr = filed_rate(burn / sum_insured, loading, factor, subsidised=subsidised)
    Pf = np.broadcast_to(P[:, None, :], (P.shape[0],) + X.shape).reshape(P.shape[0], -1)
    x = X.ravel()
    has_loss, has_pay = x > loss_threshold, Pf > payout_threshold
    sp, sx = Pf.std(axis=1), x.std()
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = ((Pf - Pf.mean(1, keepdims=True)) * (x - x.mean())).mean(1) / (sp * sx)
        rp, rx = stats.rankdata(Pf, axis=1), stats.rankdata(x)
        rho = ((rp - rp.mean(1, keepdims=True)) * (rx - rx.mean())).mean(1) / \
            (rp.std(axis=1) * rx.std())
        vr = 1 - (x - Pf).var(axis=1) / x.var()
    valid = (sp > 0) & (sx > 0)
    return pd.DataFrame({
        "burn_cost": burn, "burn_se": P.std(axis=1, ddof=1) / np.sqrt(n_years),
        "payout_frequency": (P > payout_threshold).mean(axis=1), "pure_rate": fr.benchmark_rate,
        "rate": fr.rate, "gross_premium": fr.rate * sum_insured, "n": x.size,
        "p_loss": has_loss.mean(), "p_payout": has_pay.mean(axis=1),
        "p_loss_no_payout": (has_loss & ~has_pay).mean(axis=1),
        "p_payout_no_loss": (has_pay & ~has_loss).mean(axis=1),
        "correlation": np.where(valid, corr, np.nan), "spearman": np.where(valid, rho, np.nan),
        "mean_loss": x.mean(), "mean_payout": Pf.mean(axis=1),
        "uncovered_loss": np.maximum(x - Pf, 0).mean(axis=1),
        "overpayment": np.maximum(Pf - x, 0).mean(axis=1),
        "variance_reduction": vr if x.var() > 0 else np.full(P.shape[0], np.nan)})
