"""Actual vs expected (A/E, 实际与预期之比) by cell: frequency, severity and amount.

The retrospective review (精算回溯) compares each policy year's experience with the pricing
basis, cell by cell (segment × age band × benefit line …). For a group of cells with actual
claim count ``n_a``, expected count ``n_e``, actual amount ``S_a`` and expected amount ``S_e``:

* frequency A/E ``= n_a / n_e`` with the exact (Garwood) Poisson interval
  ``[χ²_{α/2}(2n_a)/2, χ²_{1−α/2}(2n_a+2)/2] / n_e``;
* severity A/E ``= (S_a / n_a) / (S_e / n_e)``;
* amount A/E ``= S_a / S_e`` with a normal interval on the compound-Poisson variance
  ``Var(S) ≈ Σ x_i²`` (the sum of squared claim amounts, column ``amount_sq``); without it the
  interval treats the severity as known (``Var ≈ n_a · (S_a/n_a)²``) and is too narrow, so it
  is reported as such;
* credibility ``Z = min(1, √(n_a / n_F))`` (limited fluctuation, ``n_F = 1,082`` claims for ±5 %
  at 90 %), and the credibility-weighted A/E ``Z · A/E + (1 − Z) · 1``;
* drivers: the deviation ``S_a − S_e`` splits exactly into a frequency effect
  ``(n_a − n_e) · s_e`` and a severity effect ``n_a · (s_a − s_e)`` with ``s = S/n``, and each
  group's share of the total deviation is shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..credibility import full_credibility_standard, partial_credibility
from ..errors import ParameterError
from ..plots import label, new_axes
from .mortality import poisson_interval

NEEDED = ("actual_count", "expected_count", "actual_amount", "expected_amount")


@dataclass(frozen=True)
class AEResult:
    """A/E table by group (``table``) and the settings it was computed with."""

    table: pd.DataFrame
    by: tuple[str, ...]
    level: float
    full_standard: float

    def summary(self) -> pd.DataFrame:
        """The main columns: counts, amounts, A/E with intervals, credibility, drivers."""
        cols = [*self.by, "actual_count", "expected_count", "frequency_ae", "frequency_lower",
                "frequency_upper", "severity_ae", "amount_ae", "amount_lower", "amount_upper",
                "credibility", "credible_ae", "frequency_effect", "severity_effect",
                "deviation_share", "significant"]
        return self.table[cols]

    def significant(self) -> pd.DataFrame:
        """Groups whose frequency or amount interval excludes 1 (the deviations to explain)."""
        return self.summary()[self.table["significant"]]

    def plot(self, ax=None, *, measure: str = "amount"):
        """Forest plot of the A/E with its interval per group (``ax=``); returns the Axes."""
        if measure not in ("amount", "frequency"):
            raise ParameterError("measure must be 'amount' or 'frequency'")
        ax = new_axes(ax, figsize=(7.0, max(2.5, 0.28 * len(self.table) + 1)))
        t = self.table
        names = [" / ".join(str(v) for v in row) for row in t[list(self.by)].itertuples(
            index=False)] if self.by else ["all"]
        y = np.arange(len(t))[::-1]
        mid = t[f"{measure}_ae"].to_numpy()
        lo, hi = t[f"{measure}_lower"].to_numpy(), t[f"{measure}_upper"].to_numpy()
        # coloured by the interval drawn (not by the other measure's): red where it excludes 1
        off = (lo > 1.0) | (hi < 1.0)
        colour = np.where(off, "tab:red", "tab:blue")
        ax.hlines(y, lo, hi, color=colour, lw=1.5)
        ax.scatter(mid, y, color=colour, zorder=3, s=18)
        ax.axvline(1.0, color="grey", ls="--", lw=0.8)
        from matplotlib.lines import Line2D

        ax.legend(handles=[Line2D([], [], color=c, marker="o", lw=1.5, ms=4, label=text)
                           for c, text in (("tab:red", label("区间不含 1", "interval excludes 1")),
                                           ("tab:blue", label("区间含 1", "interval includes 1")))],
                  fontsize=7, loc="best")
        ax.set_yticks(y, names, fontsize=7)
        what = label("赔款金额" if measure == "amount" else "出险频率",
                     "amount" if measure == "amount" else "frequency")
        ax.set_xlabel(label(f"实际/预期 ({what}), {self.level:.0%} 置信区间",
                            f"actual / expected ({what}), {self.level:.0%} interval"))
        return ax


def actual_vs_expected(cells: pd.DataFrame, *, by: Sequence[str] = (), level: float = 0.95,
                       p: float = 0.90, k: float = 0.05) -> AEResult:
    """A/E by group from a cell table (see the module docstring for the formulas).

    Parameters
    ----------
    cells : DataFrame
        One row per cell with ``actual_count``, ``expected_count``, ``actual_amount``,
        ``expected_amount`` and optionally ``amount_sq`` (sum of squared actual claim amounts)
        and the ``by`` columns. Expected values come from the pricing basis; actual values
        should include IBNR for immature years (allocate it to cells first).
    by : sequence of str
        Columns to group cells by; ``()`` gives one total row.
    level : float
        Confidence level of the intervals.
    p, k : float
        Limited-fluctuation standard: probability ``p`` of being within ``±k``.

    Returns
    -------
    AEResult

    Examples
    --------
    >>> cells = pd.DataFrame({"segment": ["healthy", "preexisting"], "actual_count": [100, 60],
    ...     "expected_count": [100.0, 40.0], "actual_amount": [1e6, 9e5],
    ...     "expected_amount": [1e6, 6e5]})
    >>> r = actual_vs_expected(cells, by=["segment"])
    >>> r.table["frequency_ae"].round(2).tolist()
    [1.0, 1.5]
    """
    by = tuple(by)
    missing = [c for c in (*NEEDED, *by) if c not in cells.columns]
    if missing:
        raise ParameterError(f"cells table lacks column(s) {missing}")
    if not 0 < level < 1:
        raise ParameterError(f"level must be in (0, 1), got {level}")
    num = cells[list(NEEDED)].to_numpy(float)
    if np.any(~np.isfinite(num)) or np.any(num < 0):
        raise ParameterError("counts and amounts must be finite and ≥ 0")
    has_sq = "amount_sq" in cells.columns
    agg_cols = list(NEEDED) + (["amount_sq"] if has_sq else [])
    if by:
        g = cells.groupby(list(by), sort=True, observed=True)[agg_cols].sum().reset_index()
    else:
        g = cells[agg_cols].sum().to_frame().T
    n_a, n_e = g["actual_count"].to_numpy(float), g["expected_count"].to_numpy(float)
    s_a, s_e = g["actual_amount"].to_numpy(float), g["expected_amount"].to_numpy(float)
    if np.any(n_a != np.round(n_a)):
        raise ParameterError("actual_count must be whole numbers")
    if np.any(n_e <= 0) or np.any(s_e <= 0):
        raise ParameterError("every group needs expected_count > 0 and expected_amount > 0")
    lo, hi = poisson_interval(n_a, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        sev_a = np.where(n_a > 0, s_a / n_a, np.nan)
        sev_e = s_e / n_e
        var = g["amount_sq"].to_numpy(float) if has_sq else n_a * sev_a**2
    z = stats.norm.ppf(0.5 + level / 2)
    half = z * np.sqrt(np.nan_to_num(var))
    out = g.copy()
    out["frequency_ae"] = n_a / n_e
    out["frequency_lower"], out["frequency_upper"] = lo / n_e, hi / n_e
    out["severity_ae"] = sev_a / sev_e
    out["amount_ae"] = s_a / s_e
    out["amount_lower"] = np.maximum(s_a - half, 0.0) / s_e
    out["amount_upper"] = (s_a + half) / s_e
    out["amount_interval"] = "compound Poisson" if has_sq else "severity treated as known"
    cred = np.asarray(partial_credibility(n_a, p=p, k=k), dtype=float)
    out["credibility"] = cred
    out["credible_ae"] = cred * out["amount_ae"] + (1 - cred)
    freq_eff = (n_a - n_e) * sev_e
    out["frequency_effect"] = freq_eff
    out["severity_effect"] = (s_a - s_e) - freq_eff
    total = (s_a - s_e).sum()
    out["deviation_share"] = (s_a - s_e) / total if total != 0 else np.nan
    out["significant"] = ((out["frequency_lower"] > 1) | (out["frequency_upper"] < 1)
                          | (out["amount_lower"] > 1) | (out["amount_upper"] < 1))
    return AEResult(out, by, level, full_credibility_standard(p, k))
