"""惠民保 price per member (每人保费) from member-level experience or from fitted cost models.

**Experience** (:func:`price_from_experience`). Costs are trended to the pricing year before the
design is applied (:mod:`puhui.huiminbao.member_payouts`). For each benefit line ``l`` and cell
``c`` = segment × age band (one band ``all`` without bands) the expected payout per member-year
is the mean over the cell's member-years of all kept years, zeros included::

    E_lc = Σ_{t} Σ_{i∈c,t} pay_il / Σ_t W_ct            (W_ct member-years of c in year t)

optionally replaced by the Bühlmann–Straub credibility premium across the age bands of the line
× segment, with the policy years as periods (``credibility="buhlmann_straub"``;
:class:`puhui.credibility.BuhlmannStraub`, weights ``W_ct``). The cells are weighted by the
pricing mix ``π_c`` (default: the member-years of the latest year), giving per price band ``g``
(``all`` for a flat price) ``E_g = Σ_{c∈g} π_c Σ_l E_lc / Σ_{c∈g} π_c``.

**Model** (:func:`price_from_model`). For each line × segment a fitted law of the annual cost
(probability ``q`` of a cost × severity, :class:`puhui.huiminbao.cost_model.CostModelFitter`)
gives ``E_ls = q · r (LEV(d + C/r) − LEV(d))`` (:func:`puhui.losses.expected_payout`).

**Loadings** (:mod:`puhui.pricing.loading`): the risk margin ``M`` per member from the portfolio's
aggregate claims (:mod:`puhui.pricing.portfolio`), allocated to price bands in proportion to
``E_g``; then ``P_g = (E_g + e + M_g)/(1 − v)`` (``basis="margin"``), ``(E_g + e)/(τ − v)``
(``"target"``) or the larger (``"max"``). Reported with it: the expected combined ratio
``(E + e)/P̄ + v`` and ``P(CR > 100%) = P(S > N (P̄ (1 − v) − e))`` for ``N`` members
(:func:`puhui.ratios.exceedance_probability`).

**Checks on the book** (:func:`price_from_experience`, each a :class:`BookWarning` and a line
in ``result.assumptions["book_warnings"]``, which the pricing report prints): member-years of
another product code than the product file's, or of another region than the file's ``region``
(when it names one) — the price then applies this product's design, expenses and price to
someone else's experience; and a book too small for its experience to be fully credible by the
limited-fluctuation standard (:func:`book_credibility`), with the credibility-weighted price
``Z·P + (1 − Z)·P_current`` that takes the current price as the complement of credibility.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from puhui.credibility import BuhlmannStraub
from puhui.credibility.limited_fluctuation import full_credibility_standard, partial_credibility
from puhui.errors import ParameterError
from puhui.experience.member_costs import CostTable
from puhui.huiminbao.member_payouts import member_payouts, payouts_from_table
from puhui.huiminbao.pricing_result import PricingResult
from puhui.huiminbao.product import Product
from puhui.losses.aggregate_dist import ApproxAggregate
from puhui.losses.payout import expected_payout, payout_probability
from puhui.pricing.loading import BASES, gross_premium, risk_margin
from puhui.pricing.portfolio import experience_aggregate, model_aggregate
from puhui.ratios.definitions import expected_combined_ratio
from puhui.ratios.exceedance import exceedance_probability
from puhui.report.notes import Note

__all__ = ["BookWarning", "book_credibility", "book_mismatches", "price_from_experience",
           "price_from_model"]

CREDIBILITY = (None, "buhlmann_straub")
#: Limited-fluctuation standard of the book check: the experience pure premium within ±k of its
#: expectation with probability p (the classical 1,082-claim standard for p = 90 %, k = 5 %).
CREDIBILITY_P, CREDIBILITY_K = 0.90, 0.05


class BookWarning(UserWarning):
    """The book priced does not fit the product file (another product code or region), or is
    too small for its experience to be fully credible. The price is computed; the warning (also
    in ``result.assumptions["book_warnings"]`` and in the report) says what to weigh."""


def book_credibility(payouts, *, p: float = CREDIBILITY_P, k: float = CREDIBILITY_K) -> dict:
    """Limited-fluctuation credibility (有限波动信度) of an experience pure premium.

    ``payouts`` are the payouts per member-year, zeros included. With ``n`` member-years paid and
    ``CV`` the coefficient of variation of the payout per paid member-year (population standard
    deviation / mean), full credibility needs ``n_F = (z_{(1+p)/2} / k)² (1 + CV²)`` paid
    member-years — the standard for the pure premium of a compound Poisson total — and the
    experience gets ``Z = min(1, √(n / n_F))`` (Longley-Cook 1962; Klugman, Panjer & Willmot,
    *Loss Models*, ch. 17; :mod:`puhui.credibility.limited_fluctuation`).

    >>> c = book_credibility([0.0, 0.0, 1000.0, 3000.0])
    >>> c["paid_member_years"], c["payout_cv"], round(c["full_credibility_standard"], 1)
    (2, 0.5, 1352.8)
    >>> round(c["z"], 4)
    0.0385
    """
    x = np.asarray(payouts, dtype=float)
    if x.ndim != 1 or np.any(~np.isfinite(x) | (x < 0)):
        raise ParameterError("payouts: a 1-d array of finite payouts ≥ 0")
    paid = x[x > 0]
    cv = float(paid.std() / paid.mean()) if len(paid) else 0.0
    return {"method": "limited_fluctuation", "p": float(p), "k": float(k),
            "paid_member_years": int(len(paid)), "payout_cv": cv,
            "full_credibility_standard": full_credibility_standard(p, k, cv),
            "z": float(partial_credibility(len(paid), p, k, cv))}


def book_mismatches(product: Product, policies: pd.DataFrame) -> list[str]:
    """How the book's member-years differ from the product file: product codes other than
    ``product.code``, and regions other than ``product.region`` (when the file names one); each
    as one sentence naming both, with the number of member-years (a
    :class:`~puhui.report.notes.Note`: English and Chinese).

    >>> from puhui.huiminbao import Product, example_product_path
    >>> book = pd.DataFrame({"product": ["HMB-XC", "HMB-SZ"], "region": ["Xincheng", "苏州"]})
    >>> for note in book_mismatches(Product.from_toml(example_product_path()), book):
    ...     print(note)
    1 of 2 member-years are of product HMB-SZ, but the product file is for HMB-XC
    1 of 2 member-years are in region 苏州, but the product file's region is Xincheng
    """
    notes = []
    n = len(policies)
    for column, own, what, what_zh in (
            ("product", product.code, "are of product {}, but the product file is for {}",
             "属于产品 {}，而产品文件是 {} 的"),
            ("region", product.region, "are in region {}, but the product file's region is {}",
             "位于地区 {}，而产品文件的地区是 {}")):
        if own is None or column not in policies.columns:
            continue
        values = pd.Series(policies[column], dtype=object).astype(str)
        other = values[values != own].value_counts()
        if len(other):
            shown = ", ".join(other.index[:5]) + (", …" if len(other) > 5 else "")
            notes.append(Note(f"{int(other.sum()):,} of {n:,} member-years "
                              + what.format(shown, own),
                              f"{n:,} 个人年中有 {int(other.sum()):,} 个"
                              + what_zh.format(shown, own)))
    return notes


def _check_book(result: PricingResult, product: Product, policies: pd.DataFrame,
                payouts: np.ndarray) -> None:
    """The book checks of the module notes: warnings, and their lines in the assumptions."""
    notes = [Note(f"{note.en}: the price applies {product.code}'s design, expenses and price "
                  "to that experience — check that it is meant",
                  f"{note.zh}：本次定价将 {product.code} 的保障方案、费用与价格用于这部分经验"
                  "数据——请确认这是有意为之") for note in book_mismatches(product, policies)]
    cred = book_credibility(payouts)
    current = product.flat_price
    if cred["z"] < 1:
        price = result.gross_premium
        cred["credibility_weighted_price"] = (
            cred["z"] * price + (1 - cred["z"]) * current
            if current is not None and isinstance(price, float) else None)
        blend = ("" if cred["credibility_weighted_price"] is None else
                 f"; weighted with today's price {current:g} 元 as the complement, "
                 f"Z·{price:,.2f} + (1 − Z)·{current:g} = "
                 f"{cred['credibility_weighted_price']:,.2f} 元")
        blend_zh = ("" if cred["credibility_weighted_price"] is None else
                    f"；以现行价格 {current:g} 元为补充的信度加权价格为 Z·{price:,.2f} + "
                    f"(1 − Z)·{current:g} = {cred['credibility_weighted_price']:,.2f} 元")
        notes.append(Note(
            f"the book is too small for its experience to be fully credible: "
            f"{cred['paid_member_years']:,} member-years with a payout, against "
            f"{cred['full_credibility_standard']:,.0f} for full credibility (limited "
            f"fluctuation, p = {cred['p']:.0%}, k = {cred['k']:.0%}, payout CV "
            f"{cred['payout_cv']:.2f}): credibility Z = {cred['z']:.3f}, so the experience "
            f"price carries that weight{blend}",
            f"业务规模过小，经验数据不具备完全可信度：有赔付的人年为 "
            f"{cred['paid_member_years']:,} 个，完全可信所需为 "
            f"{cred['full_credibility_standard']:,.0f} 个（有限波动信度，p = {cred['p']:.0%}，"
            f"k = {cred['k']:.0%}，赔付变异系数 {cred['payout_cv']:.2f}）：可信度 Z = "
            f"{cred['z']:.3f}，经验价格仅按此权重采用{blend_zh}"))
    result.assumptions.update(book_warnings=notes, credibility=cred)
    for note in notes:
        warnings.warn(BookWarning(note), stacklevel=3)


def _check_common(product, basis):
    if not isinstance(product, Product):
        raise ParameterError("product: expected a puhui.huiminbao.Product")
    if basis not in BASES:
        raise ParameterError(f"basis: use one of {BASES}, got {basis!r}")


def _mix_weights(mix, W: np.ndarray, band_labels, years, segments) -> tuple[np.ndarray, str]:
    """π_c over cells (segment-major, then band), summing to 1."""
    if mix is None or mix == "latest":
        pi, text = W[:, -1].copy(), f"member-years of {years[-1]}"
    elif mix == "all":
        pi, text = W.sum(axis=1), "member-years of all years"
    elif isinstance(mix, Mapping):
        pi = np.zeros(W.shape[0])
        for key, value in mix.items():
            seg, band = (key, "all") if isinstance(key, str) else key
            if seg not in segments or band not in band_labels:
                raise ParameterError(f"mix: unknown cell {key!r}; use a segment of the product "
                                     f"{segments}"
                                     + ("" if band_labels == ("all",) else
                                        f" with a band of {list(band_labels)}"))
            pi[segments.index(seg) * len(band_labels) + band_labels.index(band)] = float(value)
        text = "given"
    else:
        raise ParameterError(f"mix: None, 'latest', 'all' or a mapping, got {mix!r}")
    if np.any(~np.isfinite(pi) | (pi < 0)) or pi.sum() <= 0:
        raise ParameterError("mix: weights must be finite, ≥ 0 and not all 0")
    empty = (pi > 0) & (W.sum(axis=1) <= 0)
    if empty.any():
        c = int(np.flatnonzero(empty)[0])
        raise ParameterError(f"mix: cell {segments[c // len(band_labels)]} / "
                             f"{band_labels[c % len(band_labels)]} has weight but no experience")
    return pi / pi.sum(), text


def _credibility(Spay, W, lines, band_labels, segments):
    """Bühlmann–Straub across bands (contracts) with years as periods, per line × segment."""
    B = len(band_labels)
    if B < 2:
        raise ParameterError("credibility: Bühlmann–Straub needs the cells split into age bands "
                             "(give bands= for a flat-priced product)")
    est = np.full(Spay.shape[:2], np.nan)
    z = np.full(Spay.shape[:2], np.nan)
    for j, line in enumerate(lines):
        for s, seg in enumerate(segments):
            rows = slice(s * B, (s + 1) * B)
            w = W[rows]
            if w.sum() <= 0:
                continue
            with np.errstate(invalid="ignore", divide="ignore"):
                ratios = np.where(w > 0, Spay[j, rows] / w, np.nan)
            try:
                fit = BuhlmannStraub().fit(ratios, np.where(w > 0, w, np.nan))
            except ParameterError as err:
                raise ParameterError(f"credibility for line {line!r}, segment {seg!r}: {err}") \
                    from None
            est[j, rows] = fit.premiums_
            z[j, rows] = fit.z_
    return est, z


def _cells_frame(lines, band_labels, segments, member_years, share, raw, est, z,
                 pi) -> pd.DataFrame:
    L, C = raw.shape
    B = len(band_labels)
    cell = np.tile(np.arange(C), L)
    return pd.DataFrame({
        "line": np.repeat(lines, C),
        "segment": np.asarray(segments, dtype=object)[cell // B],
        "band": np.asarray(band_labels, dtype=object)[cell % B],
        "member_years": member_years[cell],
        "share_paid": share.ravel(),
        "expected_payout_raw": raw.ravel(),
        "z": z.ravel(),
        "expected_payout": est.ravel(),
        "mix": pi[cell],
    })


def _finish(product, cells, groups, dist, members, *, basis, measure, level, assumptions):
    """Loadings, gross premium per price band, expected CR and P(CR > 100%)."""
    v = product.expenses.variable_rate
    e = product.expenses.per_member
    tau = product.target_combined_ratio
    m = 0.0 if dist is None else risk_margin(dist, members, measure, level)
    mix = groups["mix"].to_numpy(float)
    pure = groups["pure_premium"].to_numpy(float)
    total = float(np.dot(mix, pure))
    m_g = m * pure / total if total > 0 else np.full_like(pure, m)
    kw = dict(variable_rate=v, expense_per_member=e, target_combined_ratio=tau)
    by_margin = gross_premium(pure, margin=m_g, basis="margin", **kw)
    by_target = gross_premium(pure, basis="target", **kw)
    price = {"margin": by_margin, "target": by_target,
             "max": np.maximum(by_margin, by_target)}[basis]
    used = np.where(by_margin >= by_target, "margin", "target") if basis == "max" else \
        np.full(len(pure), basis)
    p_bar = float(np.dot(mix, price))
    port_margin = gross_premium(total, margin=m, basis="margin", **kw)
    port_target = gross_premium(total, basis="target", **kw)
    portfolio_basis = basis if basis != "max" else (
        "margin" if port_margin >= port_target else "target")
    threshold = members * (p_bar * (1 - v) - e)
    if dist is None:
        prob = float(threshold < 0)
        agg_mean = 0.0
    else:
        agg_mean = float(dist.mean())
        x = threshold - (members * total - agg_mean)  # the aggregate shifted to mean N·E
        if isinstance(dist, ApproxAggregate):  # NP2 from the cumulants, also below the mean
            prob = float(np.ravel(exceedance_probability(
                x, dist.mu, dist.sigma2, dist.gamma * dist.sigma2**1.5, method=dist.method))[0])
        else:
            prob = float(exceedance_probability(x, law=dist))
    premium = groups.assign(
        expense_per_member=e, risk_margin=m_g, variable_expense=v * price,
        margin=price - pure - e - v * price, gross_premium=price, basis_used=used)
    assumptions.update(
        members=float(members), basis=basis, basis_used=portfolio_basis, risk_measure=measure,
        risk_level=float(level), risk_margin=float(m), variable_rate=float(v),
        expense_per_member=float(e), target_combined_ratio=float(tau),
        pure_premium=total, average_price=p_bar,
        expected_cr=float(expected_combined_ratio(total, p_bar, variable_rate=v,
                                                  fixed_expenses=e)),
        prob_cr_above_100=prob, aggregate_mean_per_member=agg_mean / members,
        current_price=product.flat_price)
    return PricingResult(cells=cells, premium=premium.reset_index(drop=True), aggregate=dist,
                         assumptions=assumptions)


def price_from_experience(product: Product, policies: pd.DataFrame, costs: pd.DataFrame, *,
                          pricing_year: int | None = None, trend: float | None = None,
                          years=None, bands=None, credibility: str | None = None, mix=None,
                          members: float | None = None, basis: str = "margin",
                          measure: str = "var", level: float = 0.95, method: str = "fft",
                          seed=None) -> PricingResult:
    """Price per member from member-level experience (经验定价).

    Parameters
    ----------
    product : puhui.huiminbao.Product
        Design (lines × segments), expenses, target combined ratio, medical trend, flat or
        age-banded price.
    policies, costs : DataFrame
        Member-years and their annual covered costs (see
        :func:`puhui.huiminbao.member_payouts.member_payouts`). Or ``policies`` a weighted
        :class:`~puhui.experience.member_costs.CostTable` and ``costs=None`` — e.g.
        :func:`puhui.experience.scale.member_cost_table` of a national book read in chunks,
        the member-years without cost as one row per segment × year: the same price as the
        expanded rows (:func:`~puhui.huiminbao.member_payouts.payouts_from_table`; no age
        bands, no product/region check of the book).
    pricing_year : int, optional
        Year priced; costs are trended to it (default: last policy year + 1).
    trend : float, optional
        Medical trend per year (default ``product.medical_trend``), applied to the cost before
        the 起付线.
    years : sequence of int, optional
        Policy years used (default: all).
    bands : sequence of (lower, upper), optional
        Age bands ``[lower, upper)`` for the cells of a flat-priced product (needed for
        credibility; they also re-weight the experience to the mix's age profile).
    credibility : {None, "buhlmann_straub"}
        None: pooled mean over the years. ``"buhlmann_straub"``: per line × segment, each age
        band's estimate is ``m̂ + z (X̄_b − m̂)`` (contracts = bands, periods = years).
    mix : None, "latest", "all" or mapping
        Pricing weight of each segment (× band) cell: the latest year's member-years (default),
        all years', or a mapping ``segment → weight`` / ``(segment, band) → weight``.
    members : float, optional
        Portfolio size ``N`` for the risk margin (default: member-years of the latest year).
    basis : {"margin", "target", "max"}
        Gross-up (see :func:`puhui.pricing.loading.gross_premium`).
    measure, level : str, float
        Risk margin ``(VaR_p − E[S])/N`` (``"var"``), ``"tvar"``, ``"sd"`` or ``"none"``; ``p`` or
        ``k`` (see :func:`puhui.pricing.loading.risk_margin`).
    method : {"fft", "panjer", "simulation", "normal", "np2"}
        Aggregate method (see :mod:`puhui.pricing.portfolio`).
    seed : int or Generator
        For ``method="simulation"``.

    Returns
    -------
    PricingResult

    Examples
    --------
    >>> import puhui.datasets as ds
    >>> from puhui.huiminbao import Product, example_product_path
    >>> data = ds.load_huiminbao()
    >>> res = price_from_experience(Product.from_toml(example_product_path()), data.policies,
    ...                             data.costs)
    >>> 100 < res.gross_premium < 200
    True
    """
    _check_common(product, basis)
    if credibility not in CREDIBILITY:
        raise ParameterError(f"credibility: use one of {CREDIBILITY}, got {credibility!r}")
    weighted = isinstance(policies, CostTable)
    if weighted:  # a weighted cost table: the members without cost as counts
        if costs is not None:
            raise ParameterError("costs: give the policies and costs, or a cost table alone "
                                 "(costs=None)")
        mp = payouts_from_table(product, policies, pricing_year=pricing_year, trend=trend,
                                years=years, bands=bands)
    else:
        mp = member_payouts(product, policies, costs, pricing_year=pricing_year, trend=trend,
                            years=years, bands=bands)
    yrs = np.array(mp.years)
    B, L, T = len(mp.band_labels), len(mp.lines), len(yrs)
    segments = mp.segments
    C = len(segments) * B
    cell = mp.segment * B + mp.band
    flat = cell * T + np.searchsorted(yrs, mp.year)
    W = np.bincount(flat, weights=mp.weight, minlength=C * T).reshape(C, T)
    Spay = np.stack([np.bincount(flat, weights=mp.payout[:, j], minlength=C * T)
                     for j in range(L)]).reshape(L, C, T)
    Paid = np.stack([np.bincount(flat, weights=(mp.payout[:, j] > 0).astype(float),
                                 minlength=C * T) for j in range(L)]).reshape(L, C, T)
    w_tot = W.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = Spay.sum(axis=2) / w_tot
        share = Paid.sum(axis=2) / w_tot
    if credibility is None:
        est, z = raw.copy(), np.where(w_tot > 0, 1.0, np.nan) * np.ones((L, 1))
    else:
        est, z = _credibility(Spay, W, mp.lines, mp.band_labels, segments)
    pi, mix_text = _mix_weights(mix, W, mp.band_labels, yrs, segments)
    cells = _cells_frame(mp.lines, mp.band_labels, segments, w_tot, share, raw, est, z, pi)

    banded = bool(product.age_bands)
    labels = mp.band_labels if banded else ("all",)
    group_of = (np.arange(C) % B) if banded else np.zeros(C, dtype=int)
    pure_cell = np.nansum(est, axis=0)
    rows = []
    for g, name in enumerate(labels):
        inside = group_of == g
        w = pi[inside]
        if w.sum() <= 0:  # a price band without weight in the mix: its own experience mix
            w = w_tot[inside]
        if w.sum() <= 0:
            raise ParameterError(f"no experience in price band {name!r}")
        rows.append({"band": name, "mix": float(pi[inside].sum()),
                     "pure_premium": float(np.dot(w, np.where(w > 0, pure_cell[inside], 0.0))
                                           / w.sum())})
    groups = pd.DataFrame(rows)

    totals = mp.payout.sum(axis=1)
    omega = pi[cell] * mp.weight / w_tot[cell]
    n = float(W[:, -1].sum()) if members is None else float(members)
    if not (np.isfinite(n) and n >= 1):
        raise ParameterError(f"members: the portfolio size must be ≥ 1, got {members!r}")
    dist = experience_aggregate(totals, omega, n, method=method, seed=seed)
    paid = totals > 0
    seg_share = {}
    for s, name in enumerate(segments):
        ws = omega[mp.segment == s]
        if ws.sum() > 0:
            seg_share[name] = float(ws[paid[mp.segment == s]].sum() / ws.sum())
    assumptions = {
        "source": "experience", "pricing_year": mp.pricing_year, "trend": mp.trend,
        "years": mp.years, "credibility": credibility, "mix": mix_text,
        "bands": mp.band_labels, "aggregate_method": method,
        "share_paid": float(omega[paid].sum()), "share_paid_by_segment": seg_share,
    }
    result = _finish(product, cells, groups, dist, round(n), basis=basis, measure=measure,
                     level=level, assumptions=assumptions)
    _check_book(result, product, pd.DataFrame() if weighted else policies, totals)
    return result


def price_from_model(product: Product, model, *, members: Mapping[str, float] | None = None,
                     basis: str = "margin", measure: str = "var", level: float = 0.95,
                     method: str = "fft") -> PricingResult:
    """Price per member from a fitted cost model per line × segment (模型定价).

    Parameters
    ----------
    product : puhui.huiminbao.Product
        A flat-priced product (a model per age band is not offered here).
    model : puhui.experience.member_costs.CostModel
        The law of a member's annual cost on each line × segment (zeros included), e.g.
        ``CostModelFitter(...).fit(...).model_``; its ``members()`` give the mix and ``N``.
    members : mapping segment → member-years, optional
        Portfolio per segment of the product (default: the model's).
    basis, measure, level, method
        As in :func:`price_from_experience` (``method`` not ``"simulation"``).

    Returns
    -------
    PricingResult
        ``cells`` per line × segment (band ``all``); ``z`` = 1; ``share_paid = q·S(d)``.

    Examples
    --------
    >>> from scipy import stats
    >>> from puhui.huiminbao import Product, example_product_path
    >>> from puhui.experience.member_costs import CostModel
    >>> product = Product.from_toml(example_product_path())
    >>> laws = {(ln.name, s): (0.1, stats.lognorm(1.0, scale=4000.0))
    ...         for ln in product.lines for s in product.segments}
    >>> res = price_from_model(product, CostModel(laws, {"healthy": 9e4, "preexisting": 1e4}))
    >>> round(res.pure_premium, 2), round(res.gross_premium, 2)
    (473.7, 540.26)
    """
    _check_common(product, basis)
    if product.age_bands:
        raise ParameterError("product: price_from_model prices a flat price; for age-banded "
                             "prices use price_from_experience")
    for attr in ("law", "members", "lines"):
        if not hasattr(model, attr):
            raise ParameterError("model: expected a CostModel (law, members, lines), e.g. "
                                 "CostModelFitter(...).fit(...).model_")
    lines = tuple(line.name for line in product.lines)
    segments = product.segments
    missing = [ln for ln in lines if ln not in model.lines]
    if missing:
        raise ParameterError(f"model: no cost law for the lines {missing}")
    if members is None:
        count = dict(model.members())
        unknown = [s for s, v in count.items() if s not in segments and v > 0]
    else:
        count = dict(members)
        unknown = [s for s in count if s not in segments]
    if unknown:
        raise ParameterError(f"members: unknown segments {sorted(unknown)}; the segments of "
                             f"product {product.code} are {list(segments)}")
    n_s = np.array([float(count.get(s, 0.0)) for s in segments], dtype=float)
    if np.any(~np.isfinite(n_s) | (n_s < 0)) or n_s.sum() < 1:
        raise ParameterError("members: member-years must be finite, ≥ 0 and total ≥ 1")
    L = len(lines)
    raw = np.zeros((L, len(segments)))
    share = np.zeros_like(raw)
    components = []
    for j, line in enumerate(lines):
        per_segment = product.benefit(line).terms  # the product's terms of every segment
        for s, seg in enumerate(segments):
            law = model.law(line, seg)
            b = per_segment[seg]
            raw[j, s] = float(expected_payout(law, b))
            share[j, s] = float(payout_probability(law, b))
            components.append((law, b.deductible, b.payout_ratio, b.cap, n_s[s]))
    pi = n_s / n_s.sum()
    cells = _cells_frame(lines, ("all",), segments, n_s, share, raw, raw.copy(),
                         np.ones_like(raw), pi)
    groups = pd.DataFrame({"band": ["all"], "mix": [1.0],
                           "pure_premium": [float(np.dot(pi, raw.sum(axis=0)))]})
    dist = model_aggregate(components, method=method)
    seg_share = {seg: float(1.0 - np.prod(1.0 - share[:, s])) for s, seg in enumerate(segments)
                 if n_s[s] > 0}
    assumptions = {
        "source": "model", "pricing_year": None, "trend": None, "years": None,
        "credibility": None, "mix": "model member-years", "bands": ("all",),
        "aggregate_method": method,
        "share_paid": float(sum(pi[segments.index(k)] * v for k, v in seg_share.items())),
        "share_paid_by_segment": seg_share,
    }
    return _finish(product, cells, groups, dist, float(n_s.sum()), basis=basis,
                   measure=measure, level=level, assumptions=assumptions)
