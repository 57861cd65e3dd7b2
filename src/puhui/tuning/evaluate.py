"""Evaluate a grid of designs on experience or a model: premium, combined ratio, risk, benefit.

For each design ``k``, segment ``s`` (the grid's segments — the product's, e.g. healthy /
既往症) and line ``l`` the payout per member is
``Y = min(r (X − d)₊, C)``; :func:`puhui.losses.payout.layer_moments` gives its first three
moments and :mod:`puhui.tuning.moments` the joint quantities. Per design (vectorised; the only
Python loops run over lines × segments):

* ``pure_premium`` (纯保费, expected claims per member-year) ``= Σ_s π_s Σ_l E[Y_{l,s}]`` with the
  segment mix ``π_s``;
* ``required_premium`` (所需保费) at the target combined ratio ``τ``:
  ``P = (E[claims] + e) / (τ − v)``, ``v`` the variable expense rate, ``e`` the expense per member;
* ``expected_cr`` (预期综合成本率) at the price ``P₀``: ``(E[claims] + e)/P₀ + v``;
* ``benefit_ratio`` (赔付率) ``= E[claims]/P₀``;
* ``prob_cr_above_100`` = P(CR > 100%) for a portfolio of ``N`` member-years (see
  :mod:`puhui.ratios.exceedance`);
* ``share_paid`` (获赔率) = members paid per member-year and ``payout_per_claimant`` (人均赔付)
  ``= E[claims]/share_paid``; ``members_paid`` (获赔人数) = the expected number of members paid
  in the portfolio;

each also by segment (suffix ``_<segment>``, e.g. ``_healthy`` / ``_preexisting``), and the
expected claims of every line (``claims_<line>``).

**Exposure.** A row of experience is one member with exposure ``w`` (member-years) and the costs
incurred during that exposure, so the expected payout per member-year is
``Σ_i pay_i / Σ_i w_i`` — the reading of pricing (:func:`puhui.huiminbao.price_from_experience`):
a part-year member's costs are not scaled up, and its payout counts once. The laws here are the
members' (each row once, a count row its count) and every per-member quantity is divided by the
mean exposure per member ``m_s = Σ w / Σ n`` of its segment; ``N`` member-years are ``N / m_s``
such members. With every exposure 1 nothing changes. A row may stand for ``n_i`` members with
the same costs (:meth:`MemberCosts.counts`, e.g. the members without any cost carried as one
count row per segment × year): it then counts ``n_i`` times in the laws, the no-payout lattice
and the cross moments, so the figures are those of the expanded rows.

**Prices per segment** (a 既往症 price tier): ``price={"healthy": 131, "preexisting": 196}``
charges each segment its own price; the premium per member is then ``P̄ = Σ_s π_s P_s``,
``benefit_ratio_<s> = E[claims_s]/P_s`` and ``price_<s>`` is reported.

**Participation** (``participation=`` a :class:`puhui.pricing.participation.ParticipationScenario`):
each design is evaluated at its own participation equilibrium — see
:func:`_participation` and docs/tuning.md. The membership of segment ``s`` responds to its price
``P_s`` and to the design's benefit ratio ``B_s = E[claims_s](design) / E[claims_s](today)``
(values ``V_k B_s^b``), relative to the experience observed at the reference price ``P_ref``
(today's) with today's design::

    n_s = N π_s · part(P_s, B_s) / part(P_ref, 1)
    f_s = Σ_k w_k(P_s, B_s) c_k / Σ_k w_k(P_ref, 1) c_k      (the pool's risk level)

(``w_k`` the pool shares of the scenario's risk classes, ``c_k`` their relative costs). The risk
classes differ in how often they claim (the bundled generator's frailty multiplies the
probability of a cost), so a segment member's raw payout moments in the pool are ``f_s`` times
the experience's (exact for each line's moments, which are linear in the probability of a cost;
the cross-line terms, of order ``q_l q_m``, are scaled alike — an approximation). The main
columns are then those of the equilibrium pool: ``members``, ``members_paid``,
``participation``, ``pool_cost`` (claims per member of the pool), ``expected_cr``,
``benefit_ratio`` and ``prob_cr_above_100`` at the price for ``n = Σ_s n_s`` members (with the
scenario's fixed expense ``F`` spread over them), and ``required_premium`` = the equilibrium
price — the premium that balances at ``τ`` once the members have reacted
(:func:`puhui.pricing.participation.lowest_stable_root`, all designs at once, over the bracket
every root lies in; NaN where no price balances: a death spiral). The
fixed-membership figures stay as ``…_fixed``. ``pure_premium``, ``share_paid`` and
``payout_per_claimant`` stay the design's generosity on today's mix of members (an objective on
the pool's cost would reward designs that drive the healthy out).

**Groups** (fairness, 公平性): ``groups={"age 60-69": costs_60s, …}`` evaluates every design on
each group's members too: ``pure_premium[g]``, ``share_paid[g]``, ``benefit_ratio[g]`` (at the
group's premium: its segments' prices, or ``group_prices[g]`` for age-banded prices), and over
the segments and groups ``benefit_ratio_min_group`` and ``share_paid_min_group`` — the
constraints :class:`puhui.tuning.optimise.Constraints` ``min_group_benefit_ratio`` /
``min_group_share_paid`` bound.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from puhui.errors import DataError, ParameterError, Problem
from puhui.experience.member_costs import CostModel, MemberCosts, segment_weights
from puhui.losses.empirical import Empirical
from puhui.losses.payout import layer_moments
from puhui.pricing.loading import gross_up
from puhui.pricing.participation import ParticipationScenario, lowest_stable_root
from puhui.ratios.definitions import expected_combined_ratio
from puhui.ratios.exceedance import exceedance_probability
from puhui.tuning.grid import DesignGrid
from puhui.tuning.moments import cross_moment, no_payout_probability

__all__ = ["evaluate", "Evaluation"]

METRICS = ("pure_premium", "required_premium", "price", "expected_cr", "benefit_ratio",
           "prob_cr_above_100", "share_paid", "payout_per_claimant")
#: The equilibrium search: the bracket every root lies in (the lowest and highest risk class's
#: cost, see _participation), widened by EQUILIBRIUM_MARGIN, scanned at EQUILIBRIUM_GRID
#: geometric points (a step of 1.5–3% on the bundled book; two roots closer than that — a
#: tangency at the edge of a death spiral — are missed); with a fixed expense the top of the
#: bracket is at least EQUILIBRIUM_RANGE[1] × the fixed-membership required premium.
EQUILIBRIUM_RANGE = (0.2, 5.0)
EQUILIBRIUM_MARGIN = 0.02
EQUILIBRIUM_GRID = 65


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
        CV, which joint computations were exact and, with participation, the scenario's terms.
    moments : dict
        Per segment, arrays of shape (K,) of the payout per member-year at fixed membership:
        ``mean``, ``var`` and ``third`` (the cumulants of the aggregate payout of ``N``
        member-years, divided by ``N``; one member's cumulants when every exposure is 1) and
        ``exposure`` (mean member-years per member); under ``"aggregate"`` the cumulants of the
        portfolio's aggregate payout and the threshold ``T`` with ``CR > 100% ⇔ S > T`` (at the
        participation equilibrium when there is one; ``"aggregate_fixed"`` then holds the
        fixed-membership ones).
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
        if "members" in self.table.columns:
            cols += ["members", "pool_cost", "expected_cr_fixed", "prob_cr_above_100_fixed"]
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
        if "members" in self.table.columns:
            metrics += ["members", "pool_cost"]
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

    def ranking(self, constraints=None, objective="pure_premium", maximize=True, top=None):
        """The feasible designs, best first (see :func:`puhui.tuning.optimise.ranking`)."""
        from puhui.tuning.optimise import ranking

        return ranking(self, constraints, objective=objective, maximize=maximize, top=top)


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


def _row_law(x: np.ndarray, counts: np.ndarray) -> Empirical:
    """Empirical law of one line's cost over the members, zeros included: each row counted
    ``counts`` times (the member-years it stands for; 1 for an ordinary row)."""
    pos = x > 0
    return Empirical(np.concatenate([[0.0], x[pos]]),
                     np.concatenate([[float(counts[~pos].sum())], counts[pos]]))


def _segment_moments(grid: DesignGrid, costs, s: str, flags: dict) -> dict:
    """Per member (row) of segment ``s``: cumulants of the total payout, share paid and each
    line's mean, shape (K,) each; ``exposure`` = mean member-years per member (1 on a model):
    ``Σ w / Σ n`` with ``n`` the rows' counts (:meth:`MemberCosts.counts`, 1 per ordinary
    row), so that a count row weighs as the members it stands for."""
    joint = isinstance(costs, MemberCosts)
    if joint:
        x, w = costs.matrix(s)
        n = costs.counts(s)
        cols = [costs.lines.index(ln) for ln in grid.lines]
        exposure = float(w.sum()) / float(n.sum())
        if not exposure > 0:
            raise ParameterError(f"segment {s!r} has rows but no member-years (exposure 0)")
    else:
        exposure = 1.0
    m1, m2, m3, paid, terms = [], [], [], [], []
    for i, line in enumerate(grid.lines):
        d, r, c = grid.line_terms(line, s)
        law = _row_law(x[:, cols[i]], n) if joint else costs.law(line, s)
        a, b, g, p = layer_moments(law, d, r, c)
        del law  # an experience law holds ~10 arrays of its rows: one at a time
        m1.append(a)
        m2.append(b)
        m3.append(g)
        paid.append(p)
        terms.append((d, r, c))
    m1, m2, m3, paid = (np.array(v_) for v_ in (m1, m2, m3, paid))
    mean = m1.sum(axis=0)
    var = (m2 - m1**2).sum(axis=0)
    third = (m3 - 3 * m2 * m1 + 2 * m1**3).sum(axis=0)
    share = None
    if joint:
        dmat = np.stack([t[0] for t in terms], axis=1)
        no_pay = no_payout_probability(x, n, dmat, columns=cols)
        if no_pay is None:
            flags["share"] = False
        else:
            share = 1.0 - no_pay
        for i in range(len(grid.lines)):
            for j in range(i + 1, len(grid.lines)):
                cm = cross_moment(x[:, cols[i]], x[:, cols[j]], n, terms[i], terms[j])
                if cm is None:
                    flags["var"] = False
                    continue
                var = var + 2.0 * (cm - m1[i] * m1[j])
    if share is None:
        share = 1.0 - np.prod(1.0 - paid, axis=0)
    return {"mean": mean, "var": np.maximum(var, 0.0), "third": third, "share": share,
            "lines": m1, "exposure": exposure}


def _scaled(row: dict, f) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cumulants per member-year when the raw payout moments of a member are ``f`` times the
    experience's (a pool ``f`` times as likely to claim), divided by the exposure per member."""
    mu, var, th = row["mean"], row["var"], row["third"]
    r1, r2, r3 = mu, var + mu**2, th + 3 * mu * var + mu**3
    r1, r2, r3 = f * r1, f * r2, f * r3
    k2 = r2 - r1**2
    k3 = r3 - 3 * r1 * r2 + 2 * r1**3
    m = row["exposure"]
    return r1 / m, np.maximum(k2, 0.0) / m, k3 / m


def _prices(price, product, segments, k, shares, required, relativity):
    """Price per segment, arrays of shape (K,), and the relativities ρ_s (base: the first
    segment with members)."""
    if isinstance(price, str):
        if price != "required":
            raise ParameterError(f"price: a number, an array, a mapping segment → price or "
                                 f"'required', got {price!r}")
        rho = _relativity(relativity, segments)
        base = required / sum(shares[s] * rho[s] for s in segments)
        return {s: rho[s] * base for s in segments}, rho, True
    if relativity is not None:
        raise ParameterError("relativity: only with price='required' (a mapping price sets "
                             "the tier itself)")
    if price is None:
        if product.flat_price is None:
            raise ParameterError("price: the product is priced by age band; give the average "
                                 "price per member, or a price per segment")
        price = product.flat_price
    if isinstance(price, Mapping):
        unknown = set(price) - set(segments)
        if unknown:
            raise ParameterError(f"price: unknown segments {sorted(unknown)}; the segments are "
                                 f"{list(segments)}")
        missing = [s for s in segments if s not in price and shares[s] > 0]
        if missing:
            raise ParameterError(f"price: no price for the segments {missing}")
        per = {s: _price_array(price.get(s, np.nan), k, f"price[{s!r}]", allow_nan=s not in
                               price) for s in segments}
    else:
        p = _price_array(price, k, "price")
        per = {s: p for s in segments}
    first = next(s for s in segments if shares[s] > 0)
    rho = {s: per[s] / per[first] for s in segments}
    return per, rho, False


def _price_array(value, k, name, allow_nan=False):
    try:
        p = np.broadcast_to(np.asarray(value, dtype=float), (k,))
    except (ValueError, TypeError):
        raise ParameterError(f"{name}: give one number or {k} prices (one per design), got "
                             f"shape {np.shape(value)}") from None
    bad = ~np.isfinite(p) | (p <= 0)
    if allow_nan:
        bad &= ~np.isnan(p)
    if np.any(bad):
        raise ParameterError(f"{name}: must be finite and > 0 (元 per member)")
    return p


def _relativity(relativity, segments) -> dict[str, float]:
    if relativity is None:
        return {s: 1.0 for s in segments}
    if not isinstance(relativity, Mapping):
        raise ParameterError("relativity: a mapping segment → price relative to the base "
                             "(e.g. {'preexisting': 1.5})")
    unknown = set(relativity) - set(segments)
    if unknown:
        raise ParameterError(f"relativity: unknown segments {sorted(unknown)}; the segments are "
                             f"{list(segments)}")
    out = {s: float(relativity.get(s, 1.0)) for s in segments}
    if any(not (np.isfinite(v) and v > 0) for v in out.values()):
        raise ParameterError("relativity: every relativity must be finite and > 0")
    return out


def _reference(grid, costs, product, segments, seg, shares, flags) -> dict[str, float]:
    """Each segment's expected payout per member-year under today's design (the experience's)."""
    cur = np.flatnonzero(grid.current)
    if cur.size:
        return {s: float(seg[s]["mean"][cur[0]] / seg[s]["exposure"]) if shares[s] > 0
                else np.nan for s in segments}
    if product is None or not hasattr(product, "benefit"):
        raise ParameterError("participation: the grid has no current design and no product to "
                             "read it from; the take-up is relative to today's design")
    today = DesignGrid.current_design(product)
    return {s: float(_segment_moments(today, costs, s, dict(flags))["mean"][0]
                     / seg[s]["exposure"]) if shares[s] > 0 else np.nan for s in segments}


def _participation(scenario: ParticipationScenario, reference_price: float, *, segments, used,
                   seg, shares, n_total, pure0, prices, rho, required, target, v, e,
                   method, claim_cv, k):
    """Every design at its own participation equilibrium (vectorised over designs).

    Returns the equilibrium columns, the aggregate cumulants and the equilibrium price."""
    share_k = np.array([c.share for c in scenario.classes])
    lam = np.array([c.cost for c in scenario.classes])  # relative: only ratios are used
    part_ref = float(scenario.participation(reference_price))
    lam_ref = float(scenario.pool_shares(reference_price) @ lam)
    fixed = float(scenario.fixed_expense)
    mean, benefit = {}, {}
    for s in used:
        mean[s] = seg[s]["mean"] / seg[s]["exposure"]  # per member-year, today's risk mix
        benefit[s] = mean[s] / pure0[s] if pure0[s] > 0 else np.ones(k)

    def state(p_of, rows=slice(None)):
        """Members and risk level of every used segment at prices p_of[s] (arrays of shape
        (r,) or (r, m) for the designs ``rows``)."""
        out = {}
        for s in used:
            b = benefit[s][rows]
            b = b.reshape(b.shape + (1,) * (np.ndim(p_of[s]) - 1))
            t = scenario.take_up(p_of[s], b) * share_k  # B^b once per design, not per price
            part = t.sum(axis=-1)
            with np.errstate(invalid="ignore", divide="ignore"):
                f = (t @ lam) / part / lam_ref
            f = np.where(part > 0, f, 0.0)
            out[s] = (n_total * shares[s] * part / part_ref, f)
        return out

    def balance(x, rows):
        """Balance per member at base price x (shape (r, m), designs ``rows``): premium at the
        target less claims and expenses."""
        st = state({s: rho_arr[s][rows, None] * x for s in used}, rows)
        n = sum(st[s][0] for s in used)
        num = sum(st[s][0] * (rho_arr[s][rows, None] * x * (target - v) - st[s][1]
                              * mean[s][rows, None] - e) for s in used) - fixed
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n > 0, num / n, -np.inf)

    rho_arr = {s: np.broadcast_to(np.asarray(rho[s], dtype=float), (k,)) for s in used}
    # Where the root can lie: at a base price x the balance is Σ_s w_s (ρ_s x (τ − v) − f_s
    # mean_s − e) − F with weights w_s ≥ 0, and f_s lies between the lowest and the highest
    # class's risk relative to today's pool, so every root has
    # min_s (f_min mean_s + e)/ρ_s ≤ x (τ − v) ≤ max_s (f_max mean_s + e)/ρ_s (+ the fixed
    # expense per member, unbounded as the pool empties: then up to 5× the fixed-membership
    # required premium). The scan covers that bracket, a little wider.
    f_min, f_max = lam.min() / lam_ref, lam.max() / lam_ref
    lo = np.min([(f_min * mean[s] + e) / rho_arr[s] for s in used], axis=0) / (target - v)
    hi = np.max([(f_max * mean[s] + e) / rho_arr[s] for s in used], axis=0) / (target - v)
    if fixed > 0:
        avg_rho = sum(shares[s] * rho_arr[s] for s in used)
        hi = np.maximum(hi, EQUILIBRIUM_RANGE[1] * (required + fixed / n_total / (target - v))
                        / avg_rho)
    lo, hi = lo * (1 - EQUILIBRIUM_MARGIN), hi * (1 + EQUILIBRIUM_MARGIN)
    ok = np.isfinite(lo) & np.isfinite(hi) & (lo > 0)
    lo, hi = np.where(ok, lo, 1.0), np.where(ok, hi, 2.0)
    base_eq, exists = lowest_stable_root(balance, lo, hi, grid=EQUILIBRIUM_GRID)
    exists &= ok
    base_eq = np.where(exists, base_eq, np.nan)

    if isinstance(prices, str):  # "required": each design at its own equilibrium price
        p_of = {s: rho_arr[s] * base_eq for s in used}
    else:
        p_of = {s: prices[s] for s in used}
    safe = {s: np.where(np.isfinite(p_of[s]), p_of[s], 1.0) for s in used}
    st = state(safe)
    alive = np.ones(k, bool) if not isinstance(prices, str) else exists
    n_s = {s: np.where(alive, st[s][0], np.nan) for s in used}
    f_s = {s: st[s][1] for s in used}
    n = sum(n_s[s] for s in used)
    with np.errstate(invalid="ignore", divide="ignore"):
        claims_s = {s: f_s[s] * mean[s] for s in used}
        pool_cost = sum(n_s[s] * claims_s[s] for s in used) / n
        premium = sum(n_s[s] * p_of[s] for s in used) / n
        expected_cr = expected_combined_ratio(pool_cost, premium, variable_rate=v,
                                              fixed_expenses=e + fixed / n)
        kappa = [np.zeros(k), np.zeros(k), np.zeros(k)]
        for s in used:
            for j, val in enumerate(_scaled(seg[s], f_s[s])):
                kappa[j] = kappa[j] + n_s[s] * val
        threshold = sum(n_s[s] * (p_of[s] * (1.0 - v) - e) for s in used) - fixed
        prob = np.full(k, np.nan)
        fine = np.isfinite(threshold) & (n > 0)
        if fine.any():
            prob[fine] = exceedance_probability(threshold[fine], kappa[0][fine],
                                                kappa[1][fine], kappa[2][fine],
                                                method=method, cv=claim_cv)
        eq_state = state({s: np.where(exists, rho_arr[s] * base_eq, 1.0) for s in used})
        n_at_eq = sum(eq_state[s][0] for s in used)
        req_avg = np.where(exists, sum(eq_state[s][0] * rho_arr[s] for s in used)
                           / n_at_eq * base_eq, np.nan)
    with np.errstate(invalid="ignore"):
        members_paid = sum(n_s[s] * f_s[s] * seg[s]["share"] / seg[s]["exposure"]
                           for s in used)
    columns = {
        "members": n,
        "members_paid": members_paid,
        "participation": n / n_total * part_ref,
        "pool_cost": pool_cost,
        "price": premium,
        "expected_cr": expected_cr,
        "benefit_ratio": pool_cost / premium,
        "prob_cr_above_100": prob,
        "required_premium": req_avg,
        "equilibrium_price": base_eq,
    }
    for s in segments:
        if s in used:
            columns[f"members_{s}"] = n_s[s]
            columns[f"pool_cost_{s}"] = claims_s[s]
            columns[f"benefit_ratio_{s}"] = claims_s[s] / p_of[s]
            columns[f"benefit_{s}"] = benefit[s]
        else:
            for name in ("members", "pool_cost", "benefit_ratio", "benefit"):
                columns[f"{name}_{s}"] = np.full(k, np.nan)
    aggregate = {"mean": kappa[0], "var": kappa[1], "third": kappa[2], "threshold": threshold}
    return columns, aggregate, {"members": n_s, "prices": p_of, "risk": f_s}


def _groups(groups, group_prices, grid, product, segments, prices, members_at, n_total,
            shares, flags, k):
    """Fairness columns of every group: pure premium, share paid and benefit ratio."""
    if not isinstance(groups, Mapping) or not groups:
        raise ParameterError("groups: a mapping name → MemberCosts (or CostModel) of the "
                             "group's members")
    group_prices = {} if group_prices is None else dict(group_prices)
    unknown = set(group_prices) - set(groups)
    if unknown:
        raise ParameterError(f"group_prices: no group {sorted(unknown)}")
    out = {}
    for name, gcosts in groups.items():
        if not isinstance(gcosts, MemberCosts | CostModel):
            raise ParameterError(f"groups[{name!r}]: expected MemberCosts or CostModel")
        present = _check_segments(grid, gcosts, product)
        total = sum(present.values())
        if total <= 0:
            raise ParameterError(f"groups[{name!r}]: the group has no member-years")
        pure = np.zeros(k)
        share = np.zeros(k)
        paid_to = np.zeros(k)  # expected claims of the group's members (pool, per year)
        premium = np.zeros(k)
        years = np.zeros(k)
        for s in segments:
            if present[s] <= 0:
                continue
            if s not in prices or np.all(np.isnan(prices[s])):
                raise ParameterError(f"groups[{name!r}]: segment {s!r} has member-years in the "
                                     "group but none in the book evaluated")
            row = _segment_moments(grid, gcosts, s, flags)
            mean = row["mean"] / row["exposure"]
            pure += present[s] / total * mean
            share += present[s] / total * row["share"] / row["exposure"]
            # the group's members of segment s at the evaluation's membership: its share of the
            # segment's member-years scaled as the segment's membership moved
            scale, f = members_at(s)
            w = present[s] * scale
            paid_to += w * f * mean
            years += w
            premium += w * (prices[s] if name not in group_prices
                            else float(group_prices[name]))
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"pure_premium[{name}]"] = pure
            out[f"share_paid[{name}]"] = share
            out[f"benefit_ratio[{name}]"] = paid_to / premium
            out[f"members[{name}]"] = years
    return out


def evaluate(grid: DesignGrid, costs: MemberCosts | CostModel, product=None, *, price=None,
             members=None, mix=None, method: str = "np2", claim_cv: float = 0.0,
             target_combined_ratio: float | None = None, expenses=None,
             participation: ParticipationScenario | None = None,
             reference_price: float | None = None, relativity=None, groups=None,
             group_prices=None) -> Evaluation:
    """Premium, combined ratio, P(CR > 100%), share paid and benefit ratio of every design.

    Parameters
    ----------
    grid : DesignGrid
        The designs (起付线 × 赔付比例 × 封顶线 per line and segment).
    costs : MemberCosts or CostModel
        Experience (member × line costs, exact joint law) or a fitted model (lines independent).
    product : puhui.huiminbao.Product, optional
        Source of the price, the expenses and the target combined ratio (default: the grid's).
    price : float, array of shape (K,), mapping segment → price, or "required", optional
        Price per member (元) at which the combined ratio, the benefit ratio and P(CR > 100%)
        are computed: default the product's flat price; a mapping gives each segment its own
        price (a 既往症 tier; numbers or arrays of K); ``"required"`` uses each design's
        required premium (with participation: its equilibrium price).
    members : float or dict, optional
        Portfolio size N in member-years for P(CR > 100%) (default: the experience's), or a
        dict of member-years per segment (which then also sets the mix). With participation,
        the membership at the reference price and today's design.
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
    participation : ParticipationScenario, optional
        Take-up that responds to the price and the benefit: every design is evaluated at its
        own participation equilibrium (module docstring). Its risk classes, sensitivity,
        maximum take-up, benefit elasticity and fixed expense are used; the economics (τ, v, e)
        are the evaluation's.
    reference_price : float, optional
        The price at which the experience was observed (today's; default the product's flat
        price). Needed with ``participation``.
    relativity : mapping segment → float, optional
        With ``price="required"``: the tier, each segment's price relative to the base segment
        (e.g. ``{"preexisting": 1.5}``).
    groups : mapping name → MemberCosts or CostModel, optional
        The members of each group (age band, urban/rural, 医保 type …; same lines): adds the
        fairness columns ``pure_premium[name]``, ``share_paid[name]``, ``benefit_ratio[name]``,
        ``members[name]`` and ``benefit_ratio_min_group`` / ``share_paid_min_group`` (the
        least over the segments and groups).
    group_prices : mapping name → float, optional
        Premium per member of a group (age-banded prices); default its segments' prices.

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

    A member with half a year of exposure: its payout counts once over the member-years
    (pricing's reading, Σ pay / Σ w):

    >>> half = MemberCosts([[0.0, 0.0, 0.0], [50_000.0, 0.0, 1_000.0]],
    ...                    lines=[ln.name for ln in product.lines],
    ...                    segment=["healthy", "healthy"], weights=[1.0, 0.5])
    >>> round(float(evaluate(DesignGrid.current_design(product), half)
    ...             .table["pure_premium"].iloc[0]), 6)  # 24,600 / 1.5
    16400.0
    """
    product = grid.product if product is None else product
    if product is None:
        raise ParameterError("product: give the product (price, expenses, target CR)")
    if not isinstance(costs, MemberCosts | CostModel):
        raise ParameterError("costs: expected MemberCosts (experience) or CostModel (model)")
    missing = [ln for ln in grid.lines if ln not in costs.lines]
    if missing:
        raise ParameterError(f"costs: no costs for the lines {missing} of the grid")
    if participation is not None and not isinstance(participation, ParticipationScenario):
        raise ParameterError("participation: expected a ParticipationScenario "
                             "(puhui.pricing.participation)")
    target, v, e = _economics(product, target_combined_ratio, expenses)
    segments = grid.segments
    present = _check_segments(grid, costs, product)
    shares, n_total = _mix(present, members, mix, segments)
    k = len(grid)
    joint = isinstance(costs, MemberCosts)
    flags = {"share": joint, "var": joint}

    seg = {}
    for s in segments:
        if present[s] <= 0:
            if shares[s] > 0:
                raise ParameterError(f"the mix gives segment {s!r} a share of {shares[s]:.3g} "
                                     "but the costs have no member-years there")
            continue
        seg[s] = _segment_moments(grid, costs, s, flags)
    used = [s for s in segments if shares[s] > 0]
    per_year = {}
    for s in segments:
        if s in seg:
            row, m = seg[s], seg[s]["exposure"]
            per_year[s] = {"mean": row["mean"] / m, "var": row["var"] / m,
                           "third": row["third"] / m, "share": row["share"] / m,
                           "lines": row["lines"] / m, "exposure": m}
        else:
            nan = np.full(k, np.nan)
            per_year[s] = {"mean": nan, "var": nan, "third": nan, "share": nan,
                           "lines": np.full((len(grid.lines), k), np.nan), "exposure": np.nan}
    pure = sum(shares[s] * per_year[s]["mean"] for s in used)
    share_paid = sum(shares[s] * per_year[s]["share"] for s in used)
    line_claims = {ln: sum(shares[s] * per_year[s]["lines"][i] for s in used)
                   for i, ln in enumerate(grid.lines)}
    required = gross_up(pure, fixed=e, variable_rate=v, target_combined_ratio=target)
    prices, rho, is_required = _prices(price, product, segments, k, shares, required,
                                       relativity)
    tiered = isinstance(price, Mapping) or relativity is not None
    p_avg = sum(shares[s] * prices[s] for s in used)
    kappa = [sum(n_total * shares[s] * per_year[s][key] for s in used)
             for key in ("mean", "var", "third")]
    threshold = n_total * (p_avg * (1.0 - v) - e)
    prob = exceedance_probability(threshold, *kappa, method=method, cv=claim_cv)

    out = grid.designs
    with np.errstate(divide="ignore", invalid="ignore"):
        metrics = {
            "pure_premium": pure,
            "required_premium": required,
            "price": np.array(p_avg, dtype=float),
            "expected_cr": expected_combined_ratio(pure, p_avg, variable_rate=v,
                                                   fixed_expenses=e),
            "benefit_ratio": pure / p_avg,
            "prob_cr_above_100": np.broadcast_to(prob, (k,)),
            "share_paid": share_paid,
            "payout_per_claimant": np.where(share_paid > 0, pure / share_paid, np.nan),
            "members_paid": n_total * share_paid,
        }
        for s in segments:
            sm, ss = per_year[s]["mean"], per_year[s]["share"]
            metrics[f"pure_premium_{s}"] = sm
            metrics[f"required_premium_{s}"] = np.where(np.isnan(sm), np.nan, gross_up(
                np.nan_to_num(sm), fixed=e, variable_rate=v, target_combined_ratio=target))
            metrics[f"benefit_ratio_{s}"] = sm / prices[s]
            metrics[f"share_paid_{s}"] = ss
            metrics[f"payout_per_claimant_{s}"] = np.where(ss > 0, sm / ss, np.nan)
            if tiered:
                metrics[f"price_{s}"] = np.array(prices[s], dtype=float)
        for line in grid.lines:
            metrics[f"claims_{line}"] = line_claims[line]
    moments = {s: {key: per_year[s][key] for key in ("mean", "var", "third", "exposure")}
               for s in segments}
    moments["aggregate"] = {"mean": kappa[0], "var": kappa[1], "third": kappa[2],
                            "threshold": threshold}

    take_up = None
    if participation is not None:
        ref = product.flat_price if reference_price is None else reference_price
        if ref is None:
            raise ParameterError("reference_price: the price at which the experience was "
                                 "observed (the product has no flat price)")
        ref = float(ref)
        if not (np.isfinite(ref) and ref > 0):
            raise ParameterError(f"reference_price: must be finite and > 0, got {ref!r}")
        pure0 = _reference(grid, costs, product, segments, seg, shares, flags)
        for name in ("required_premium", "expected_cr", "benefit_ratio", "prob_cr_above_100",
                     "price", "members_paid"):
            metrics[f"{name}_fixed"] = metrics[name]
        for s in segments:
            metrics[f"benefit_ratio_{s}_fixed"] = metrics[f"benefit_ratio_{s}"]
        cols, aggregate, take_up = _participation(
            participation, ref, segments=segments, used=used, seg=seg, shares=shares,
            n_total=n_total, pure0=pure0, prices="required" if is_required else prices,
            rho=rho, required=required, target=target, v=v, e=e, method=method,
            claim_cv=claim_cv, k=k)
        metrics.update(cols)
        moments["aggregate_fixed"] = moments["aggregate"]
        moments["aggregate"] = aggregate
        if is_required:
            metrics["price"] = cols["required_premium"]
            for s in used:
                if tiered:
                    metrics[f"price_{s}"] = take_up["prices"][s]

    if groups is not None:
        def members_at(s):
            """(member-years now ÷ member-years in the experience, pool risk level) of s."""
            if take_up is None:
                return np.ones(k), np.ones(k)
            return take_up["members"][s] / (n_total * shares[s]), take_up["risk"][s]

        group_cols = _groups(groups, group_prices, grid, product, segments,
                             take_up["prices"] if take_up is not None else prices, members_at,
                             n_total, shares, flags, k)
        metrics.update(group_cols)
        names = [f"benefit_ratio_{s}" for s in used] + [c for c in group_cols
                                                         if c.startswith("benefit_ratio[")]
        metrics["benefit_ratio_min_group"] = np.nanmin(np.stack([metrics[c] for c in names]),
                                                       axis=0)
        names = [f"share_paid_{s}" for s in used] + [c for c in group_cols
                                                      if c.startswith("share_paid[")]
        metrics["share_paid_min_group"] = np.nanmin(np.stack([metrics[c] for c in names]),
                                                    axis=0)

    table = pd.concat([out, pd.DataFrame(metrics)], axis=1)
    assumptions = {
        "source": "experience" if joint else "model",
        "members": n_total,
        "mix": shares,
        "price": ("required premium" if is_required else
                  {s: _plain_price(prices[s]) for s in segments} if tiered else
                  _plain_price(p_avg)),
        "target_combined_ratio": target,
        "variable_expense_rate": v,
        "expense_per_member": e,
        "risk_method": method,
        "claim_cv": float(claim_cv),
        "share_paid": "exact joint (lattice)" if flags["share"] else "lines independent",
        "variance": "exact joint (lattice)" if flags["var"] else "lines independent",
        "skewness": "sum of the lines' third cumulants (cross terms omitted)",
        "exposure": "payout per member-year = Σ pay / Σ exposure",
    }
    if participation is not None:
        sc = participation
        assumptions["participation"] = {
            "reference_price": ref,
            "participation_at_reference": float(sc.participation(ref)),
            "sensitivity": sc.sensitivity, "max_take_up": sc.max_take_up,
            "benefit_elasticity": sc.benefit_elasticity, "fixed_expense": sc.fixed_expense,
            "classes": {c.name: {"share": c.share, "relative_cost": c.cost / float(
                sc.average_cost(ref)), "value": c.value} for c in sc.classes},
            "reference_payout": {s: pure0[s] for s in used},
            "equilibrium_search": (f"first crossing from deficit to surplus, {EQUILIBRIUM_GRID}"
                                   "-point scan of the bracket of the classes' costs"),
        }
    return Evaluation(table=table, grid=grid, assumptions=assumptions, moments=moments)


def _plain_price(p):
    p = np.asarray(p, dtype=float)
    if p.size and np.all(p == p.flat[0]):
        return float(p.flat[0])
    return "per design"
