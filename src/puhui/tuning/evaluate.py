"""Evaluate a grid of designs on experience or a model: premium, combined ratio, risk, benefit.

For each design ``k``, segment ``s`` (the grid's segments — the product's, e.g. healthy /
既往症) and line ``l`` the payout per member is
``Y = min(r (X − d)₊, C)``; :func:`puhui.losses.payout.layer_moments` gives its first three
moments and :mod:`puhui.tuning.moments` the joint quantities. Per design (vectorised; the only
Python loops run over lines × segments):

* ``pure_premium`` (纯保费, expected claims per member) ``= Σ_s π_s Σ_l E[Y_{l,s}]`` with the
  segment mix ``π_s``;
* ``required_premium`` (所需保费) at the target combined ratio ``τ``:
  ``P = (E[claims] + e) / (τ − v)``, ``v`` the variable expense rate, ``e`` the expense per member;
* ``expected_cr`` (预期综合成本率) at the price ``P₀``: ``(E[claims] + e)/P₀ + v``;
* ``benefit_ratio`` (赔付率) ``= E[claims]/P₀``;
* ``prob_cr_above_100`` = P(CR > 100%) for a portfolio of ``N`` members (see
  :mod:`puhui.ratios.exceedance`);
* ``share_paid`` (获赔率) = P(any line pays) and ``payout_per_claimant`` (人均赔付)
  ``= E[claims]/share_paid``;

each also by segment (suffix ``_<segment>``, e.g. ``_healthy`` / ``_preexisting``), and the
expected claims of every line (``claims_<line>``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from puhui.errors import DataError, ParameterError, Problem
from puhui.experience.member_costs import CostModel, MemberCosts, segment_weights
from puhui.losses.payout import layer_moments
from puhui.pricing.loading import gross_up
from puhui.ratios.definitions import expected_combined_ratio
from puhui.ratios.exceedance import exceedance_probability
from puhui.tuning.grid import DesignGrid
from puhui.tuning.moments import cross_moment, no_payout_probability

__all__ = ["evaluate", "Evaluation"]

METRICS = ("pure_premium", "required_premium", "price", "expected_cr", "benefit_ratio",
           "prob_cr_above_100", "share_paid", "payout_per_claimant")


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Metrics of every design of a grid (result of :func:`evaluate`).

    Attributes
    ----------
    table : DataFrame
        One row per design: the design table (:attr:`DesignGrid.designs`) followed by the
        metrics (see the module docstring).
    grid : DesignGrid
        The designs evaluated.
    assumptions : dict
        Price, portfolio size and mix, expenses, target combined ratio, risk method, claim-level
        CV and which joint computations were exact.
    moments : dict
        Per segment, arrays of shape (K,) of a member's total payout: ``mean``, ``var`` and
        ``third`` (third cumulant); under ``"aggregate"`` the cumulants of the portfolio's
        aggregate payout and the threshold ``T`` with ``CR > 100% ⇔ S > T``.
    """

    table: pd.DataFrame
    grid: DesignGrid
    assumptions: dict = field(default_factory=dict)
    moments: dict = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.table)

    def summary(self) -> pd.DataFrame:
        """Key metrics of the current design and the range over the grid; assumptions in
        ``.attrs``."""
        cols = ["pure_premium", "required_premium", "expected_cr", "benefit_ratio",
                "prob_cr_above_100", "share_paid", "payout_per_claimant"]
        t = self.table
        out = pd.DataFrame({"min": t[cols].min(), "median": t[cols].median(),
                            "max": t[cols].max()})
        cur = t[t["current"]]
        if len(cur):
            out.insert(0, "current", cur[cols].iloc[0])
        out.index.name = "metric"
        out.attrs.update(self.assumptions, designs=len(t))
        return out

    def by_segment(self) -> pd.DataFrame:
        """Long table: one row per design × segment (the grid's segments, then ``total``)."""
        metrics = ["pure_premium", "required_premium", "benefit_ratio", "share_paid",
                   "payout_per_claimant"]
        parts = []
        for seg in (*self.grid.segments, "total"):
            suffix = "" if seg == "total" else f"_{seg}"
            part = pd.DataFrame({m: self.table[m + suffix].to_numpy() for m in metrics})
            part.insert(0, "segment", seg)
            part.insert(0, "design", self.table["design"].to_numpy())
            parts.append(part)
        return pd.concat(parts, ignore_index=True).sort_values(
            ["design", "segment"], kind="stable").reset_index(drop=True)

    def frontier(self, cost: str = "required_premium", benefit: str = "share_paid",
                 feasible=None) -> pd.DataFrame:
        """The Pareto frontier (see :func:`puhui.tuning.frontier.pareto_frontier`)."""
        from puhui.tuning.frontier import pareto_frontier

        table = self.table if feasible is None else self.table[np.asarray(feasible)]
        return pareto_frontier(table, cost=cost, benefit=benefit)

    def optimise(self, constraints=None, objective="pure_premium", maximize=True):
        """The best design under ``constraints`` (see :func:`puhui.tuning.optimise.optimise`)."""
        from puhui.tuning.optimise import optimise

        return optimise(self, constraints, objective=objective, maximize=maximize)


def _economics(product, target_combined_ratio, expenses):
    target = product.target_combined_ratio if target_combined_ratio is None else float(
        target_combined_ratio)
    exp = product.expenses if expenses is None else expenses
    v, e = float(exp.variable_rate), float(exp.per_member)
    if not target > v:
        raise ParameterError(f"target_combined_ratio ({target}) must exceed the variable expense "
                             f"rate ({v}) to leave room for claims")
    return target, v, e


def _check_segments(grid: DesignGrid, costs, product) -> dict[str, float]:
    """Member-years per grid segment; a segment of the costs with member-years that the grid
    (the product) does not define is an error naming it (and its first row, on experience)."""
    present = costs.members()
    extra = [s for s in costs.segments if s not in grid.segments and present[s] > 0]
    if extra:
        owner = f"product {product.code}" if hasattr(product, "code") else "the grid"
        text = f"not a segment of {owner}: {list(grid.segments)}"
        where = [costs.first_row(s) for s in extra]
        if all(w is not None for w in where):
            raise DataError([Problem(table, column, row, "unknown_value", text, s)
                             for s, (table, column, row) in zip(extra, where, strict=True)])
        years = ", ".join(f"{present[s]:g}" for s in extra)
        raise ParameterError(f"costs: segments {extra} ({years} member-years) are {text}")
    return {s: present.get(s, 0.0) for s in grid.segments}


def _mix(present, members, mix, segments) -> tuple[dict[str, float], float]:
    """Segment shares π_s and portfolio size N."""
    if isinstance(members, dict):
        if mix is not None:
            raise ParameterError("give the mix either by members per segment or by mix, "
                                 "not both")
        counts = segment_weights(members, "members", segments)
        n = sum(counts.values())
        return {s: counts[s] / n for s in segments}, n
    weights = present if mix is None else segment_weights(mix, "mix", segments)
    total = sum(weights.values())
    if total <= 0:
        raise ParameterError("costs: the experience has no member-years")
    shares = {s: weights[s] / total for s in segments}
    n = sum(present.values()) if members is None else float(members)
    if not (np.isfinite(n) and n > 0):
        raise ParameterError(f"members: the portfolio size must be > 0, got {members!r}")
    return shares, n


def evaluate(grid: DesignGrid, costs: MemberCosts | CostModel, product=None, *, price=None,
             members=None, mix=None, method: str = "np2", claim_cv: float = 0.0,
             target_combined_ratio: float | None = None, expenses=None) -> Evaluation:
    """Premium, combined ratio, P(CR > 100%), share paid and benefit ratio of every design.

    Parameters
    ----------
    grid : DesignGrid
        The designs (起付线 × 赔付比例 × 封顶线 per line and segment).
    costs : MemberCosts or CostModel
        Experience (member × line costs, exact joint law) or a fitted model (lines independent).
    product : puhui.huiminbao.Product, optional
        Source of the price, the expenses and the target combined ratio (default: the grid's).
    price : float, array of shape (K,), or "required", optional
        Price per member (元) at which the combined ratio, the benefit ratio and P(CR > 100%)
        are computed: default the product's flat price; ``"required"`` uses each design's
        required premium.
    members : float or dict, optional
        Portfolio size N in member-years for P(CR > 100%) (default: the experience's), or a
        dict of member-years per segment (which then also sets the mix).
    mix : dict, optional
        Segment shares ``{"healthy": …, "preexisting": …}`` (default: the experience's); keys
        are segments of the grid.
    method : {"np2", "normal"}
        Approximation of the aggregate payout's distribution.
    claim_cv : float, default 0
        Parameter uncertainty: CV of a lognormal factor (mean 1) on next year's claim level,
        mixed over in P(CR > 100%).
    target_combined_ratio : float, optional
        目标综合成本率 τ (default: the product's).
    expenses : puhui.pricing.Expenses, optional
        Expense assumptions (default: the product's): ``variable_rate`` of premium and
        ``per_member`` yuan.

    Returns
    -------
    Evaluation

    Raises
    ------
    DataError
        The experience holds member-years of a segment the grid (the product) does not define:
        the value, its first row and the grid's segments are named.

    Notes
    -----
    On experience, the share paid and the variance across lines are exact (lattice sums over
    the members, :mod:`puhui.tuning.moments`); the third cumulant of a member's total payout
    adds the lines' third cumulants (cross terms omitted; their effect on the portfolio's
    skewness is of order ``1/√N``). On a model every joint quantity assumes independent lines.
    ``assumptions`` records what was used.

    Examples
    --------
    >>> from puhui.huiminbao import Product, example_product_path
    >>> product = Product.from_toml(example_product_path())
    >>> costs = MemberCosts([[0.0, 0.0, 0.0], [50_000.0, 0.0, 1_000.0]],
    ...                     lines=[ln.name for ln in product.lines],
    ...                     segment=["healthy", "healthy"])
    >>> ev = evaluate(DesignGrid.current_design(product), costs)
    >>> float(ev.table["pure_premium"].iloc[0])  # (0.8·30,000 + 0.6·1,000)/2
    12300.0
    """
    product = grid.product if product is None else product
    if product is None:
        raise ParameterError("product: give the product (price, expenses, target CR)")
    if not isinstance(costs, MemberCosts | CostModel):
        raise ParameterError("costs: expected MemberCosts (experience) or CostModel (model)")
    missing = [ln for ln in grid.lines if ln not in costs.lines]
    if missing:
        raise ParameterError(f"costs: no costs for the lines {missing} of the grid")
    target, v, e = _economics(product, target_combined_ratio, expenses)
    segments = grid.segments
    present = _check_segments(grid, costs, product)
    shares, n_total = _mix(present, members, mix, segments)
    k = len(grid)
    joint = isinstance(costs, MemberCosts)
    exact_share, exact_var = joint, joint

    seg = {}
    line_claims = {ln: np.zeros(k) for ln in grid.lines}
    for s in segments:
        if present[s] <= 0:
            if shares[s] > 0:
                raise ParameterError(f"the mix gives segment {s!r} a share of {shares[s]:.3g} "
                                     "but the costs have no member-years there")
            nan = np.full(k, np.nan)
            seg[s] = {"mean": nan, "var": nan, "third": nan, "share": nan}
            continue
        m1, m2, m3, paid, terms = [], [], [], [], []
        for line in grid.lines:
            d, r, c = grid.line_terms(line, s)
            law = costs.law(line, s)
            a, b, g, p = layer_moments(law, d, r, c)
            m1.append(a)
            m2.append(b)
            m3.append(g)
            paid.append(p)
            terms.append((d, r, c))
            line_claims[line] += shares[s] * a
        m1, m2, m3, paid = (np.array(v_) for v_ in (m1, m2, m3, paid))
        mean = m1.sum(axis=0)
        var = (m2 - m1**2).sum(axis=0)
        third = (m3 - 3 * m2 * m1 + 2 * m1**3).sum(axis=0)
        share = None
        if joint and shares[s] > 0:
            x, w = costs.matrix(s)
            cols = [costs.lines.index(ln) for ln in grid.lines]
            dmat = np.stack([t[0] for t in terms], axis=1)
            no_pay = no_payout_probability(x[:, cols], w, dmat)
            if no_pay is None:
                exact_share = False
            else:
                share = 1.0 - no_pay
            for i in range(len(grid.lines)):
                for j in range(i + 1, len(grid.lines)):
                    cm = cross_moment(x[:, cols[i]], x[:, cols[j]], w, terms[i], terms[j])
                    if cm is None:
                        exact_var = False
                        continue
                    var = var + 2.0 * (cm - m1[i] * m1[j])
        if share is None:
            share = 1.0 - np.prod(1.0 - paid, axis=0)
        seg[s] = {"mean": mean, "var": np.maximum(var, 0.0), "third": third, "share": share}

    used = [s for s in segments if shares[s] > 0]
    pure = sum(shares[s] * seg[s]["mean"] for s in used)
    share_paid = sum(shares[s] * seg[s]["share"] for s in used)
    required = gross_up(pure, fixed=e, variable_rate=v, target_combined_ratio=target)
    if isinstance(price, str):
        if price != "required":
            raise ParameterError(f"price: a number, an array or 'required', got {price!r}")
        p0 = required
    else:
        if price is None:
            if product.flat_price is None:
                raise ParameterError("price: the product is priced by age band; give the "
                                     "average price per member")
            price = product.flat_price
        try:
            p0 = np.broadcast_to(np.asarray(price, dtype=float), (k,))
        except ValueError:
            raise ParameterError(f"price: give one number or {k} prices (one per design), got "
                                 f"shape {np.shape(price)}") from None
        if np.any(~np.isfinite(p0) | (p0 <= 0)):
            raise ParameterError("price: must be finite and > 0 (元 per member)")
    kappa = [sum(n_total * shares[s] * seg[s][key] for s in used)
             for key in ("mean", "var", "third")]
    threshold = n_total * (p0 * (1.0 - v) - e)
    prob = exceedance_probability(threshold, *kappa, method=method, cv=claim_cv)

    out = grid.designs
    with np.errstate(divide="ignore", invalid="ignore"):
        metrics = {
            "pure_premium": pure,
            "required_premium": required,
            "price": np.array(p0, dtype=float),
            "expected_cr": expected_combined_ratio(pure, p0, variable_rate=v, fixed_expenses=e),
            "benefit_ratio": pure / p0,
            "prob_cr_above_100": np.broadcast_to(prob, (k,)),
            "share_paid": share_paid,
            "payout_per_claimant": np.where(share_paid > 0, pure / share_paid, np.nan),
        }
        for s in segments:
            sm, ss = seg[s]["mean"], seg[s]["share"]
            metrics[f"pure_premium_{s}"] = sm
            metrics[f"required_premium_{s}"] = np.where(np.isnan(sm), np.nan, gross_up(
                np.nan_to_num(sm), fixed=e, variable_rate=v, target_combined_ratio=target))
            metrics[f"benefit_ratio_{s}"] = sm / p0
            metrics[f"share_paid_{s}"] = ss
            metrics[f"payout_per_claimant_{s}"] = np.where(ss > 0, sm / ss, np.nan)
        for line in grid.lines:
            metrics[f"claims_{line}"] = line_claims[line]
    table = pd.concat([out, pd.DataFrame(metrics)], axis=1)
    assumptions = {
        "source": "experience" if joint else "model",
        "members": n_total,
        "mix": shares,
        "price": "required premium" if isinstance(price, str) else (
            float(p0[0]) if np.all(p0 == p0[0]) else "per design"),
        "target_combined_ratio": target,
        "variable_expense_rate": v,
        "expense_per_member": e,
        "risk_method": method,
        "claim_cv": float(claim_cv),
        "share_paid": "exact joint (lattice)" if exact_share else "lines independent",
        "variance": "exact joint (lattice)" if exact_var else "lines independent",
        "skewness": "sum of the lines' third cumulants (cross terms omitted)",
    }
    moments = {s: {key: seg[s][key] for key in ("mean", "var", "third")} for s in segments}
    moments["aggregate"] = {"mean": kappa[0], "var": kappa[1], "third": kappa[2],
                            "threshold": threshold}
    return Evaluation(table=table, grid=grid, assumptions=assumptions, moments=moments)
