"""The result of pricing a 惠民保 product: expected payouts by cell, loadings, gross premium.

Allocation used by :meth:`PricingResult.summary` (one row per benefit line × segment, then per
segment and for the portfolio; the portfolio rows are weighted by the segment mix ``π_s``):

* pure premium of line ``l`` for a member of segment ``s``: ``E_ls`` (mix-weighted over the age
  bands of the segment); ``E_s = Σ_l E_ls``; portfolio ``E = Σ_s π_s E_s``;
* fixed expense ``e_ls = e · E_ls / E_s`` (each member's ``e`` shared over the lines in
  proportion to their expected claims);
* risk margin ``M_ls = M · E_ls / E`` (the portfolio's margin per member in proportion to
  expected claims);
* gross premium ``P_ls`` by the basis of :func:`puhui.pricing.loading.gross_premium` that binds
  for the portfolio, applied to ``(E_ls, e_ls, M_ls)``; variable expense ``v·P_ls``;
  ``margin = P − E − e − v·P`` is what the price holds above claims and expenses (``M`` on the
  ``"margin"`` basis, ``(1 − τ)·P`` on the ``"target"`` basis).

A segment row is the sum of its lines — the premium that segment would need on its own (the
cross-subsidy of a flat price shows here); the portfolio rows are ``Σ_s π_s ·`` the segment rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["PricingResult"]

LOADING_COLUMNS = ("pure_premium", "expense_per_member", "variable_expense", "margin",
                   "gross_premium")


@dataclass(frozen=True, eq=False)
class PricingResult:
    """Price per member of a 惠民保 product (result of ``price_from_experience`` /
    ``price_from_model``).

    Attributes
    ----------
    cells : DataFrame
        One row per benefit line × segment × age band: ``line``, ``segment``, ``band``,
        ``member_years``, ``share_paid`` (share of member-years with a payout on the line),
        ``expected_payout_raw`` (trended mean payout per member-year), ``z`` (credibility
        factor, 1 without credibility), ``expected_payout`` (after credibility), ``mix``
        (pricing weight of the segment × band cell, summing to 1 over cells).
    premium : DataFrame
        One row per price band (``"all"`` for a flat price): ``mix``, ``pure_premium``,
        ``expense_per_member``, ``risk_margin``, ``variable_expense``, ``margin``,
        ``gross_premium``, ``basis_used``.
    aggregate : distribution
        The portfolio's aggregate claims ``S`` for one year (from :func:`puhui.losses.aggregate`
        or :class:`~puhui.losses.aggregate_dist.ApproxAggregate`); its self-check is in
        ``aggregate.summary()``.
    assumptions : dict
        Pricing year, trend, years, basis, risk measure and level, portfolio size ``N``,
        expenses, target combined ratio, the resulting expected combined ratio and
        ``prob_cr_above_100`` = P(CR > 100%) at the gross premium.
    """

    cells: pd.DataFrame
    premium: pd.DataFrame
    aggregate: object = field(repr=False)
    assumptions: dict = field(default_factory=dict)

    # -- headline numbers ---------------------------------------------------------------------
    @property
    def gross_premium(self):
        """Gross premium per member (元): a float for a flat price, a Series by band otherwise."""
        p = self.premium.set_index("band")["gross_premium"]
        return float(p.iloc[0]) if list(p.index) == ["all"] else p

    @property
    def pure_premium(self) -> float:
        """Portfolio pure premium per member ``E = Σ π E`` (元)."""
        return float(np.dot(self.premium["mix"], self.premium["pure_premium"]))

    @property
    def expected_cr(self) -> float:
        """Expected combined ratio (预期综合成本率) at the gross premium."""
        return float(self.assumptions["expected_cr"])

    @property
    def prob_cr_above_100(self) -> float:
        """P(CR > 100%) for the portfolio of ``N`` members at the gross premium."""
        return float(self.assumptions["prob_cr_above_100"])

    # -- tables -------------------------------------------------------------------------------
    def _segment_lines(self) -> pd.DataFrame:
        c = self.cells
        w = c["mix"].to_numpy()
        grouped = c.assign(_w=w, _we=w * c["expected_payout"], _wp=w * c["share_paid"],
                           _wr=w * c["expected_payout_raw"])
        out = grouped.groupby(["segment", "line"], sort=False).agg(
            member_years=("member_years", "sum"), _w=("_w", "sum"), _we=("_we", "sum"),
            _wp=("_wp", "sum"), _wr=("_wr", "sum")).reset_index()
        with np.errstate(invalid="ignore", divide="ignore"):
            out["pure_premium"] = out["_we"] / out["_w"]
            out["share_paid"] = out["_wp"] / out["_w"]
            out["expected_payout_raw"] = out["_wr"] / out["_w"]
        out["segment_mix"] = out["_w"]
        return out.drop(columns=["_w", "_we", "_wp", "_wr"])

    def summary(self) -> pd.DataFrame:
        """Line × segment rows, then ``all lines`` per segment and the portfolio (``total``).

        Columns: ``member_years``, ``segment_mix`` (π_s), ``expected_payout_raw`` (trended mean
        payout per member-year), ``share_paid``, ``pure_premium`` (after credibility),
        ``expense_per_member``, ``variable_expense``, ``margin``, ``gross_premium``; the
        allocation is described in the module docstring. ``.attrs`` holds the assumptions.
        """
        a = self.assumptions
        v, e, m, tau = (a["variable_rate"], a["expense_per_member"], a["risk_margin"],
                        a["target_combined_ratio"])
        basis = a["basis_used"]
        t = self._segment_lines()
        seg_total = t.groupby("segment", sort=False)["pure_premium"].transform("sum")
        pi = t.groupby("segment", sort=False)["segment_mix"].transform("first")
        e_total = float((t["pure_premium"] * pi).sum())
        with np.errstate(invalid="ignore", divide="ignore"):
            t["expense_per_member"] = np.where(seg_total > 0, e * t["pure_premium"] / seg_total,
                                               e / t.groupby("segment")["line"]
                                               .transform("count"))
            t["risk_margin"] = m * t["pure_premium"] / e_total if e_total > 0 else 0.0
        cost = t["pure_premium"] + t["expense_per_member"]
        t["gross_premium"] = ((cost + t["risk_margin"]) / (1 - v) if basis == "margin"
                              else cost / (tau - v))
        t["variable_expense"] = v * t["gross_premium"]
        t["margin"] = t["gross_premium"] - cost - t["variable_expense"]
        cols = ["member_years", "segment_mix", "expected_payout_raw", "share_paid",
                *LOADING_COLUMNS]
        rows = []
        for seg, part in t.groupby("segment", sort=False):
            block = part.set_index("line")[cols]
            total = block[list(LOADING_COLUMNS) + ["expected_payout_raw"]].sum()
            total["member_years"] = block["member_years"].iloc[0]
            total["segment_mix"] = block["segment_mix"].iloc[0]
            total["share_paid"] = a.get("share_paid_by_segment", {}).get(seg, np.nan)
            block.loc["all lines"] = total[cols]
            block.index = pd.MultiIndex.from_product([[seg], block.index],
                                                     names=["segment", "line"])
            rows.append(block)
        table = pd.concat(rows)
        segs = table.xs("all lines", level="line")
        pis = segs["segment_mix"]
        by_line = t.assign(_pi=pi).groupby("line", sort=False)
        totals = {}
        for line, part in by_line:
            w = part["_pi"].to_numpy()
            vals = {c: float(np.dot(w, part[c])) for c in
                    ("expected_payout_raw", "share_paid", *LOADING_COLUMNS)}
            vals["member_years"] = float(part["member_years"].sum())
            vals["segment_mix"] = float(w.sum())
            totals[("total", line)] = vals
        all_lines = {c: float(np.dot(pis, segs[c])) for c in
                     ("expected_payout_raw", *LOADING_COLUMNS)}
        all_lines.update(member_years=float(segs["member_years"].sum()),
                         segment_mix=float(pis.sum()), share_paid=a.get("share_paid", np.nan))
        totals[("total", "all lines")] = all_lines
        extra = pd.DataFrame.from_dict(totals, orient="index")[cols]
        extra.index = pd.MultiIndex.from_tuples(extra.index, names=["segment", "line"])
        out = pd.concat([table, extra])
        out.attrs.update(a)
        return out

    def by_band(self) -> pd.DataFrame:
        """The premium table (one row per price band) indexed by band."""
        return self.premium.set_index("band")

    # -- figure -------------------------------------------------------------------------------
    def plot(self, ax=None):
        """Stacked bars of the premium build-up per segment and for the portfolio: expected
        claims of each line, fixed and variable expenses, margin; the product's current price as
        a dashed line when given. Returns the Axes."""
        from puhui.plots import label, new_axes

        ax = new_axes(ax)
        s = self.summary()
        groups = [*dict.fromkeys(s.index.get_level_values("segment"))]
        lines = [ln for ln in dict.fromkeys(s.index.get_level_values("line"))
                 if ln != "all lines"]
        x = np.arange(len(groups))
        bottom = np.zeros(len(groups))
        parts = [(ln, [s.loc[(g, ln), "pure_premium"] for g in groups]) for ln in lines]
        parts += [(label("固定费用", "fixed expense"),
                   [s.loc[(g, "all lines"), "expense_per_member"] for g in groups]),
                  (label("变动费用", "variable expense"),
                   [s.loc[(g, "all lines"), "variable_expense"] for g in groups]),
                  (label("边际", "margin"), [s.loc[(g, "all lines"), "margin"] for g in groups])]
        for name, values in parts:
            values = np.nan_to_num(np.asarray(values, dtype=float))
            ax.bar(x, values, bottom=bottom, label=name, width=0.6)
            bottom += values
        price = self.assumptions.get("current_price")
        if price is not None:
            ax.axhline(price, color="k", ls="--", lw=1,
                       label=label(f"现价 {price:g} 元", f"current price {price:g}"))
        ax.set_xticks(x, groups)
        ax.set_ylabel(label("每人保费（元）", "premium per member (yuan)"))
        ax.set_title(label("保费构成", "premium build-up"))
        ax.legend(fontsize="small")
        return ax
