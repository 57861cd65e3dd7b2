"""惠民保 benefit tuning (方案调优): the 起付线 × 赔付比例 grid evaluated on trended experience
(:mod:`puhui.tuning`) at each design's participation equilibrium, the design chosen under the
product's constraints, and its report sections.

The question (section 十 of the 2025 inclusive-finance plan: 合理确定免赔额和起付线、提高赔付参数;
"keep the price, raise the benefit"): at a given price, which designs keep the expected combined
ratio within the target with at most an ``α`` chance of a loss — once the members have reacted
to the price and to the benefit — and which of them serves members best? :func:`tune` answers it
with the same default objective as the tuning notebook (:data:`DEFAULT_OBJECTIVE`: the most
members paid, then the most paid per member), ranks every feasible design best first
(fixed-price mode) and :func:`add_tuning` warns in plain words when the chosen design is worse
for members than today's, with the reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..report import Report
from ..report.labels import QUALIFIERS, lookup
from ..report.notes import Note, say
from ..tuning.optimise import DEFAULT_OBJECTIVE
from .folder import check_product, check_years
from .product import Product

__all__ = ["DEFAULT_AGE_BANDS", "DEFAULT_DEDUCTIBLES", "DEFAULT_OBJECTIVE", "DEFAULT_RATIOS",
           "GROUP_COLUMNS", "add_tuning", "benefit_changes", "price_option", "take_up_for",
           "tune"]


#: Default grid of `puhui tune`: the shared 起付线 of the medical lines and the healthy 赔付比例.
DEFAULT_DEDUCTIBLES = tuple(range(5_000, 30_001, 2_500))
DEFAULT_RATIOS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)
#: Age bands of the fairness groups when the product is not priced by age ([lower, upper)).
DEFAULT_AGE_BANDS = ((0, 40), (40, 50), (50, 60), (60, 70), (70, 80), (80, 200))
#: Policy columns that make fairness groups when present (城乡 / 医保类型; not in the bundled
#: schema — a book that keeps them as extra columns gets one group per value).
GROUP_COLUMNS = ("urban_rural", "insurance_type")


def price_option(values):
    """The ``--price`` option: None (the product's price), one price, or ``SEGMENT=PRICE``
    pairs (a price per segment).

    >>> price_option(["130.8"]), price_option(["healthy=120", "preexisting=180"])
    (130.8, {'healthy': 120.0, 'preexisting': 180.0})
    """
    if not values:
        return None
    pairs = [str(v).split("=", 1) for v in values]

    def number(text, what):
        try:
            x = float(text)
        except ValueError:
            x = float("nan")
        if not (np.isfinite(x) and x > 0):
            raise ParameterError(f"--price {what}: a price must be a number > 0 (元), got "
                                 f"{text!r}")
        return x

    if len(pairs) == 1 and len(pairs[0]) == 1:
        return number(pairs[0][0], values[0])
    if any(len(p) != 2 or not p[0].strip() for p in pairs):
        raise ParameterError("--price: give one price, or SEGMENT=PRICE for every segment "
                             "(e.g. healthy=120 preexisting=180)")
    out = {}
    for (seg, text), raw in zip(pairs, values, strict=True):
        if seg.strip() in out:
            raise ParameterError(f"--price: segment {seg.strip()!r} given twice")
        out[seg.strip()] = number(text, raw)
    return out


def take_up_for(product: Product, *, participation: float = 0.15,
                example_take_up: bool = False):
    """The participation scenario tuning uses for ``product``, and a sentence saying which (a
    :class:`~puhui.report.notes.Note`: English and Chinese).

    The bundled example's take-up (three frailty classes, their renewal after a price rise,
    calibrated by :func:`puhui.pricing.participation_calibration.default_scenario`), anchored to
    ``participation`` at the product's flat price — for the bundled example product, or for
    another product only when ``example_take_up`` asks for it (and then said). Otherwise
    ``(None, reason)``: the designs are evaluated at fixed membership.
    """
    from ..pricing.participation_calibration import default_scenario
    from .pricing_report import is_example_product

    if product.flat_price is None:
        return None, Note("Membership held fixed: the participation model needs a flat price "
                          "(one price at which participation is observed).",
                          "参保人数保持不变：参保率模型需要统一价格（即观察到参保率时的单一"
                          "价格）。")
    example = is_example_product(product)
    if not (example or example_take_up):
        return None, Note(
            f"Membership held fixed: no take-up model is calibrated for product {product.code} "
            "(the bundled one is the example's); calibrate your own "
            "(puhui.pricing.calibrate_scenario) and pass it as take_up=, or run with "
            "--example-take-up to apply the example's as an illustration.",
            f"参保人数保持不变：产品 {product.code} 没有经过校准的参保模型（内置模型属于示例"
            "产品）；请自行校准（puhui.pricing.calibrate_scenario）并以 take_up= 传入，或使用 "
            "--example-take-up 以示例产品的模型作示意。")
    cal = default_scenario(reference_price=float(product.flat_price), participation=participation,
                           target_combined_ratio=product.target_combined_ratio,
                           variable_rate=product.expenses.variable_rate,
                           expense_per_member=product.expenses.per_member)
    p = cal.params
    text = (f"Take-up responds to the price and to the benefit (docs/pricing_huiminbao.md): the "
            f"bundled example's calibration (β = {p['sensitivity']:.3f}, risk awareness and "
            f"benefit elasticity {p['awareness']:.3f}) anchored to {participation:.0%} "
            f"participation at today's {product.flat_price:g} 元 and today's design")
    text_zh = (f"参保率随价格与保障水平变化（docs/pricing_huiminbao.md）：采用内置示例的校准结果"
               f"（β = {p['sensitivity']:.3f}，风险意识与保障弹性 {p['awareness']:.3f}），"
               f"以现行价格 {product.flat_price:g} 元、现行方案下 {participation:.0%} 的参保率"
               "为锚点")
    if not example:
        text += (f" — applied to product {product.code} at your request: an illustration, not "
                 "this book's members")
        text_zh += f"——应要求用于产品 {product.code}：仅作示意，并非本业务参保人的实际情况"
    return cal.scenario, Note(text + ".", text_zh + "。")


def _policy_years(policies: pd.DataFrame) -> pd.DataFrame:
    return policies if "policy_year" in policies.columns else policies.assign(
        policy_year=policies["start_date"].dt.year)


def _groups(product: Product, pol: pd.DataFrame, table, groups):
    """Fairness groups: member costs per age band (and per value of the GROUP_COLUMNS present)
    — rows of the one cost table — with the band prices of an age-priced product."""
    from ..tuning import MemberCosts

    if groups is None:
        return None, None
    if isinstance(groups, str) and groups != "auto":
        groups = [groups]
    columns = [c for c in GROUP_COLUMNS if c in pol.columns] if groups == "auto" else [
        str(c) for c in groups]
    missing = [c for c in columns if c not in pol.columns]
    if missing:
        raise ParameterError(f"groups: the policies have no column {missing}")
    kept = pol.iloc[table.rows]
    labels: dict[str, np.ndarray] = {}
    prices: dict[str, float] = {}
    if (groups == "auto" or "age" in columns) and "age" in kept.columns:
        age = pd.to_numeric(kept["age"], errors="coerce").to_numpy(float)
        bands = ([(lo, hi) for lo, hi, _ in product.age_bands] if product.age_bands
                 else DEFAULT_AGE_BANDS)
        for i, (lo, hi) in enumerate(bands):
            name = f"age {lo:g}-{hi:g}" if hi < 200 else f"age {lo:g}+"
            labels[name] = (age >= lo) & (age < hi)
            if product.age_bands:
                prices[name] = float(product.age_bands[i][2])
    for col in columns:
        if col == "age":
            continue
        values = kept[col].astype("string").fillna("(missing)").to_numpy(dtype=object)
        for v in sorted(set(values)):
            labels[f"{col}={v}"] = values == v
    names = np.asarray(table.segments, dtype=object)
    out = {name: MemberCosts(table.cost[mask], lines=table.lines,
                             segment=names[table.segment[mask]], weights=table.weight[mask],
                             segments=table.segments)
           for name, mask in labels.items() if mask.any()}
    return out or None, ({k: v for k, v in prices.items() if k in out} or None)


def _weighted_costs(product: Product, table, costs, *, years, trend, to_year, groups):
    """``(member_costs, years, trend)`` of a weighted cost table put on the product
    (:func:`~puhui.huiminbao.member_payouts.table_for_product`; ``years`` default the latest
    policy year of the table, checked against its years), its count rows counting as their
    members (:meth:`puhui.experience.member_costs.MemberCosts.from_table`)."""
    from ..experience.member_costs import MemberCosts
    from .member_payouts import table_for_product

    if costs is not None:
        raise ParameterError("costs: give the policies and costs, or a cost table alone "
                             "(costs=None)")
    if groups not in (None, "auto"):
        raise ParameterError("groups: a weighted cost table has no policy columns (ages, "
                             f"{', '.join(GROUP_COLUMNS)}); fairness groups need the policies "
                             "and costs")
    if table.year is None:
        raise ParameterError("the cost table has no policy years (policy_year)")
    have = pd.DataFrame({"policy_year": np.unique(table.year)})
    years = ([int(have["policy_year"].iat[-1])] if years is None
             else check_years(have, years, option="years"))
    trend = product.medical_trend if trend is None else float(trend)
    t = table_for_product(product, table, pricing_year=to_year, trend=trend, years=years)
    return MemberCosts.from_table(t), years, trend  # t (a trended copy) freed here


def tune(product: Product, policies, costs, *, years=None, trend: float | None = None,
         to_year: int | None = None, deductibles=DEFAULT_DEDUCTIBLES, ratios=DEFAULT_RATIOS,
         lines=("in_catalogue", "out_of_catalogue"), price=None,
         claim_cv: float = 0.05, alpha: float = 0.10, max_price: float | None = None,
         objective=DEFAULT_OBJECTIVE, constraints=(), take_up="auto",
         participation: float = 0.15, example_take_up: bool = False, groups="auto"):
    """Evaluate a 起付线 × 赔付比例 grid on trended experience and choose a design.

    The experience of ``years`` (default: the latest policy year), by the product's segments
    (``product.segments``; a member-year of another segment is an error naming its row), is
    trended at ``trend`` (default: the product's medical trend) to ``to_year`` (default: the
    next year). Every design is evaluated at ``price`` (default: the product's flat price —
    for a product priced by age band, the premium per member-year of the experience's ages,
    each band's price then going to its age group; a mapping segment → price for a 既往症
    tier) **at its own participation equilibrium**: the membership and its risk mix respond to
    the price and to the design's expected payout (``take_up``; see
    :func:`puhui.tuning.evaluate`). The choice maximises ``objective``
    (default :data:`DEFAULT_OBJECTIVE`: the share of members paid, then the expected payout per
    member — the tuning notebook's) subject to: expected combined ratio ≤ the target,
    P(CR > 100%) ≤ ``alpha`` (with a lognormal claim-level CV ``claim_cv``), required premium
    ≤ ``max_price`` if given, and ``constraints`` (texts ``NAME<=VALUE`` / ``NAME>=VALUE`` on
    any column, e.g. ``benefit_ratio_min_group>=0.6``; they override the defaults on the same
    column).

    Parameters
    ----------
    policies, costs : DataFrame
        The book's member-years and their annual covered costs (as
        :func:`puhui.huiminbao.member_payouts.member_payouts`). Or ``policies`` a weighted
        :class:`~puhui.experience.member_costs.CostTable` and ``costs=None`` — e.g.
        :func:`puhui.experience.scale.member_cost_table` of a national book read in chunks,
        the member-years without any cost as one count row per segment × year: the same
        tuning table as the expanded rows (each row counts as its
        :attr:`~puhui.experience.member_costs.CostTable.count` members and weighs its
        exposure; re-trended as :func:`~puhui.huiminbao.member_payouts.table_for_product`
        does). Such a table has no ages or other policy columns: no fairness groups
        (``groups="auto"`` gives none), no age-banded product, no product check of the book.
    take_up : "auto", ParticipationScenario or None
        "auto": :func:`take_up_for` (the bundled example's take-up for the example product, or
        with ``example_take_up``; otherwise fixed membership, said in the report); a scenario of
        your own (its reference design is today's, its reference price ``product.flat_price``);
        None: fixed membership.
    participation : float, default 0.15
        Participation at today's price for the bundled take-up (DOMAIN.md: 13–18%).
    groups : "auto", sequence of column names, or None
        Fairness groups: "auto" = age bands (the product's price bands, else
        :data:`DEFAULT_AGE_BANDS`) when the policies have ``age``, and one group per value of
        the :data:`GROUP_COLUMNS` present.

    Returns
    -------
    (evaluation, choice, constraints)
        ``evaluation.assumptions`` holds the objective, the take-up text and the experience
        used; ``constraints`` the :class:`puhui.tuning.Constraints` applied.
    """
    from ..experience.member_costs import CostTable, cost_table
    from ..pricing.participation import ParticipationScenario
    from ..tuning import Constraints, DesignGrid, MemberCosts, evaluate, optimise

    if isinstance(policies, CostTable):  # a weighted cost table: member-years as counts
        member_costs, years, trend = _weighted_costs(product, policies, costs, years=years,
                                                     trend=trend, to_year=to_year,
                                                     groups=groups)
        pol, table, groups = None, None, None  # no policy columns: no groups, no ages
    else:
        check_product(policies, product)
        pol = _policy_years(policies)
        years = ([int(pol["policy_year"].max())] if years is None
                 else check_years(pol, years, option="years"))
        trend = product.medical_trend if trend is None else float(trend)
        # the one member × line cost table (puhui.experience.member_costs.cost_table): every
        # bad row is named there; the costs of the whole book and of each fairness group are
        # its rows
        table = cost_table(pol, costs, lines=[ln.name for ln in product.lines],
                           segments=product.segments, years=years, trend=trend,
                           to_year=to_year, owner=f"product {product.code}")
        if table.cost.shape[0] == 0:
            raise ParameterError("policies: no member-years in the experience years")
        member_costs = MemberCosts(
            table.cost, lines=table.lines,
            segment=np.asarray(table.segments, dtype=object)[table.segment],
            weights=table.weight, segments=table.segments)
    grid = DesignGrid.from_product(product, deductible=list(deductibles),
                                   payout_ratio=list(ratios), lines=list(lines))
    if isinstance(take_up, str):
        if take_up != "auto":
            raise ParameterError(f"take_up: 'auto', a ParticipationScenario or None, got "
                                 f"{take_up!r}")
        scenario, take_up_text = take_up_for(product, participation=participation,
                                             example_take_up=example_take_up)
    elif take_up is None:
        scenario, take_up_text = None, Note("Membership held fixed (take_up=None).",
                                            "参保人数保持不变（take_up=None）。")
    elif isinstance(take_up, ParticipationScenario):
        scenario, take_up_text = take_up, Note("Take-up: the participation scenario given.",
                                               "参保率：采用所给的参保情景。")
    else:
        raise ParameterError("take_up: 'auto', a ParticipationScenario or None")
    group_costs, group_prices = _groups(product, pol, table, groups)
    if price is None and product.flat_price is None:
        # an age-priced product: the premium per member of the experience's age mix; each age
        # band's own price goes to its fairness group (group_prices)
        if pol is None or "age" not in pol.columns:
            raise ParameterError("policies: the product is priced by age band; the policies "
                                 "need an 'age' column (or give price=)")
        age = pd.to_numeric(pol["age"].iloc[table.rows], errors="coerce").to_numpy(float)
        price = float(np.dot(table.weight, product.price(age)) / table.weight.sum())
    ev = evaluate(grid, member_costs, product, price=price, claim_cv=claim_cv,
                  participation=scenario, groups=group_costs, group_prices=group_prices)
    base = Constraints(max_price=max_price, max_combined_ratio=product.target_combined_ratio,
                       max_prob_loss=alpha)
    cons = Constraints.parse(list(constraints), base=base)
    unknown = [c for c, _, _ in cons.limits() if c not in ev.table.columns]
    if unknown:
        metrics = [c for c in ev.table.columns if "." not in c and c not in ev.grid.axes]
        raise ParameterError(f"constraint on {unknown}: no such column; the columns are "
                             f"{metrics}")
    keys = [objective] if isinstance(objective, str) else list(objective)
    choice = optimise(ev, cons, objective=keys)
    ev.assumptions.update(experience_years=years, trend=trend, objective=keys,
                          take_up=take_up_text, alpha=alpha, lines=list(lines))
    return ev, choice, cons


def _term_changes(ev, choice) -> list[dict]:
    """Every term of the chosen design that differs from today's, per line × segment."""
    t = ev.table
    cur = t[t["current"]]
    if choice.design is None or not len(cur):
        return []
    cur, row = cur.iloc[0], choice.row
    out = []
    for line in ev.grid.lines:
        for s in ev.grid.segments:
            for term, worse in (("deductible", lambda a, b: b > a),
                                ("payout_ratio", lambda a, b: b < a),
                                ("cap", lambda a, b: b < a)):
                col = f"{line}.{s}.{term}"
                a, b = float(cur[col]), float(row[col])
                if a != b:
                    out.append({"line": line, "segment": s, "term": term, "today": a,
                                "chosen": b, "worse_for_members": bool(worse(a, b))})
    return out


def benefit_changes(ev, choice) -> pd.DataFrame:
    """The chosen design's terms against today's: one row per term that changes (line,
    segment, term, today, chosen, ``worse_for_members`` — a higher 起付线, a lower 赔付比例 or
    封顶线)."""
    return pd.DataFrame(_term_changes(ev, choice),
                        columns=["line", "segment", "term", "today", "chosen",
                                 "worse_for_members"])


_TERM_ZH = {"deductible": "起付线", "payout_ratio": "赔付比例", "cap": "封顶线"}
_OP_ZH = {"<=": "≤", ">=": "≥"}


def _fmt_term(term: str, value: float) -> str:
    return f"{value:.0%}" if term == "payout_ratio" else f"{value:,.0f} 元"


_SHOWN = {"expected_cr": "expected CR", "prob_cr_above_100": "P(CR > 100%)",
          "required_premium": "required premium", "share_paid": "share paid",
          "benefit_ratio": "benefit ratio"}


def _name_zh(column: str) -> str:
    """A column's Chinese name (:mod:`puhui.report.labels`), else the column's own name."""
    q = lookup(column)
    return column if q is None or q.zh == q.en else q.zh


def _segment_zh(segment: str) -> str:
    """健康体, 既往症 …: a segment's Chinese (:data:`puhui.report.labels.QUALIFIERS`), else its
    name."""
    return QUALIFIERS.get(segment, (segment, segment))[1]


def _line_zh(product: Product, line: str) -> str:
    """A benefit line's Chinese name: the product file's ``zh``, else the labels', else its
    name."""
    names = {ln.name: ln.zh for ln in product.lines}
    return names.get(line) or QUALIFIERS.get(line, (line, line))[1]


def _fmt_limit(col: str, value: float) -> str:
    money = col.startswith(("required_premium", "pure_premium", "price", "pool_cost"))
    return f"{value:,.1f} 元" if money else (f"{value:.1%}" if abs(value) <= 10 else
                                            f"{value:,.4g}")


def _warning(ev, choice, cons, product: Product | None = None) -> Note | None:
    """A plain warning when the chosen design is worse for members than today's, and why (a
    :class:`~puhui.report.notes.Note`: English and Chinese)."""
    worse = [c for c in _term_changes(ev, choice) if c["worse_for_members"]]
    if not worse:
        return None
    t = ev.table
    cur = t[t["current"]].iloc[0]
    grouped: dict[tuple, list[str]] = {}
    for c in worse:
        grouped.setdefault((c["term"], c["segment"], c["today"], c["chosen"]), []).append(
            c["line"])
    terms = "; ".join(f"{_TERM_ZH[term]} ({seg}) {_fmt_term(term, a)} → {_fmt_term(term, b)} "
                      f"on {', '.join(lines)}"
                      for (term, seg, a, b), lines in grouped.items())
    line_zh = (lambda ln: ln) if product is None else (lambda ln: _line_zh(product, ln))
    terms_zh = "；".join(f"{'、'.join(map(line_zh, lines))}的{_TERM_ZH[term]}（{_segment_zh(seg)}）"
                        f"{_fmt_term(term, a)} → {_fmt_term(term, b)}"
                        for (term, seg, a, b), lines in grouped.items())
    fails, fails_zh = [], []
    for col, op, value in cons.limits():
        got = float(cur[col])
        if np.isnan(got) or not (got <= value if op == "<=" else got >= value):
            fails.append(f"{_SHOWN.get(col, col)} {_fmt_limit(col, got)} (limit {op} "
                         f"{_fmt_limit(col, value)})")
            fails_zh.append(f"{_name_zh(col)} {_fmt_limit(col, got)}（限值 {_OP_ZH.get(op, op)} "
                            f"{_fmt_limit(col, value)}）")
    price = float(cur["price"])
    need = float(cur["required_premium"])
    why = (f"at {price:g} 元 today's design fails {', '.join(fails)}" if fails else
           "today's design meets the constraints but ranks lower on the objective")
    why_zh = (f"在 {price:g} 元的价格下，现行方案不满足{'、'.join(fails_zh)}" if fails else
              "现行方案满足各项约束，但按优化目标排名靠后")
    equilibrium = "members" in t.columns
    if np.isfinite(need):
        keep = (f"; keeping today's benefits needs about {need:.1f} 元 per member"
                + (" (its participation equilibrium price)" if equilibrium else ""))
        keep_zh = (f"；维持现行保障约需每人 {need:.1f} 元"
                   + ("（即现行方案的参保均衡价格）" if equilibrium else ""))
    else:
        keep = "; no price keeps today's benefits (no equilibrium)"
        keep_zh = "；任何价格都无法维持现行保障（不存在均衡）"
    return Note(
        f"**Warning: the chosen design is worse for members than today's** — {terms}. "
        f"Reason: {why}{keep if fails else ''}. Raise the price, accept a higher chance "
        "of a loss, or choose another design from the ranking below.",
        f"**警告：选定方案对参保人不如现行方案** —— {terms_zh}。原因：{why_zh}"
        f"{keep_zh if fails else ''}。可提高价格、接受更高的亏损概率，或从下方排名中另选方案。")


def add_tuning(rep: Report, ev, choice, constraints, product: Product, *, top: int = 10) -> None:
    """Append the tuning sections to a report: the assumptions, the designs, the choice and its
    constraints, the warning when it is worse for members than today's, the best designs at
    this price (fixed-price mode), fairness by group, the frontier and the heat map (current and
    chosen designs marked). The prose is in the report's language (English, or Chinese in a
    ``lang="zh"`` report, with the same numbers)."""
    from ..tuning import plot_frontier, plot_heatmap, ranking

    a = ev.assumptions
    t = ev.table
    eq = "members" in t.columns
    rep.heading(f"Benefit tuning (起付线 × 赔付比例): {product.name}",
                zh=f"保障方案调优（起付线 × 赔付比例）：{product.name}")
    price = a["price"]
    if isinstance(price, float):
        shown = shown_zh = f"{price:g} 元"
    elif isinstance(price, dict):
        shown = ", ".join(f"{s} {p:g} 元" for s, p in price.items())
        shown_zh = "、".join(f"{_segment_zh(s)} {p:g} 元" for s, p in price.items())
    else:
        shown = shown_zh = str(price)
    members = (f"each at its participation equilibrium (today: {a['members']:,.0f} members)"
               if eq else f"for {a['members']:,.0f} members")
    members_zh = (f"各方案均取其参保均衡（现行 {a['members']:,.0f} 人）" if eq
                  else f"参保人数 {a['members']:,.0f} 人")
    years = [int(y) for y in a["experience_years"]]
    shown_years = (f"policy year {years[0]}" if len(years) == 1
                   else f"policy years {', '.join(map(str, years))}")
    take_up = a.get("take_up", "")
    objective = list(a.get("objective", []))
    limits = constraints.limits()
    rep.text(f"Experience of {shown_years} trended at "
             f"{a['trend']:.1%} a year; {len(ev)} designs evaluated at the price {shown} "
             f"{members}; P(CR > 100%) by the normal-power approximation with a "
             f"{a['claim_cv']:.0%} claim-level CV. {getattr(take_up, 'en', take_up)} Objective: "
             f"{' > '.join(objective)}. Constraints: "
             f"{', '.join(f'{c} {op} {v:g}' for c, op, v in limits)}.",
             zh=f"以保单年度 {'、'.join(map(str, years))} 的经验数据为基础，按每年 "
                f"{a['trend']:.1%} 作趋势调整；在 {shown_zh}的价格下评估 {len(ev)} 个方案，"
                f"{members_zh}；P(CR > 100%) 采用正态幂（NP）近似，赔案层面的变异系数为 "
                f"{a['claim_cv']:.0%}。{say(rep, take_up) if take_up else ''}优化目标（依次）："
                f"{' > '.join(_name_zh(c) for c in objective)}。约束："
                f"{'；'.join(f'{_name_zh(c)} {_OP_ZH.get(op, op)} {v:g}' for c, op, v in limits)}。")
    rep.table("tuning_summary", ev.summary().reset_index(),
              caption="Current design and the range over the grid",
              caption_zh="现行方案及网格内各项指标的取值范围")
    cols = ["design", "deductible", "payout_ratio", "current", "pure_premium",
            "required_premium", "expected_cr", "prob_cr_above_100", "share_paid",
            "payout_per_claimant", "members", "pool_cost", "expected_cr_fixed",
            "prob_cr_above_100_fixed"]
    rep.table("tuning_designs", t[[c for c in cols if c in t.columns]],
              caption="Every design (first rows shown)", caption_zh="全部方案（仅显示前若干行）",
              max_rows=15)
    current = t[t["current"]] if "current" in t.columns else t.iloc[:0]
    blank = [c for c in ("deductible", "payout_ratio") if c in current.columns
             and len(current) and current[c].isna().all()]
    if blank:  # today's design is off the grid's axes: say why its cell is empty
        tuned = [ln for ln in product.lines
                 if ln.name in a.get("lines", [ln.name for ln in product.lines])]
        terms = "; ".join(
            f"{ln.name}: 起付线 {ln.terms['healthy'].deductible:,.0f} 元, 赔付比例 "
            f"{ln.terms['healthy'].payout_ratio:.0%}" for ln in tuned)
        terms_zh = "；".join(
            f"{_line_zh(product, ln.name)}：起付线 {ln.terms['healthy'].deductible:,.0f} 元，"
            f"赔付比例 {ln.terms['healthy'].payout_ratio:.0%}" for ln in tuned)
        rep.text(f"Today's design (row `current`) has no single {' or '.join(blank)}: its lines "
                 f"differ ({terms}; healthy members), while each design of the grid sets one "
                 "value for every line tuned, so the cell is left empty (—).",
                 zh=f"现行方案（`current` 行）没有单一的{'或'.join(map(_name_zh, blank))}："
                    f"各责任的设定不同（{terms_zh}；健康体），而网格中的每个方案对所调整的各项"
                    "责任取同一数值，因此该单元格留空（—）。")
    if choice.design is None:
        rep.text("**No design meets the constraints at this price**: the price must rise, or "
                 "the constraints be relaxed.",
                 zh="**在此价格下没有满足约束的方案**：需提高价格，或放宽约束。")
    else:
        row = choice.row
        at = (f" at its equilibrium membership of {row['members']:,.0f} (fixed membership: "
              f"CR {row['expected_cr_fixed']:.1%}, P(CR > 100%) "
              f"{row['prob_cr_above_100_fixed']:.1%})" if eq else "")
        at_zh = (f"（参保均衡人数 {row['members']:,.0f} 人；参保人数固定时：综合成本率 "
                 f"{row['expected_cr_fixed']:.1%}，P(CR > 100%) "
                 f"{row['prob_cr_above_100_fixed']:.1%}）" if eq else "")
        rep.text(f"**Chosen design {choice.design}**: 起付线 {row['deductible']:,.0f} 元, "
                 f"赔付比例 {row['payout_ratio']:.0%} (healthy); expected payout "
                 f"{row['pure_premium']:.2f} 元 per member, expected combined ratio "
                 f"{row['expected_cr']:.1%}, P(CR > 100%) {row['prob_cr_above_100']:.1%}{at}, "
                 f"{row['share_paid']:.2%} of members paid.",
                 zh=f"**选定方案 {choice.design}**：起付线 {row['deductible']:,.0f} 元，"
                    f"赔付比例 {row['payout_ratio']:.0%}（健康体）；人均期望赔付 "
                    f"{row['pure_premium']:.2f} 元，预期综合成本率 {row['expected_cr']:.1%}，"
                    f"P(CR > 100%) {row['prob_cr_above_100']:.1%}{at_zh}，获赔率 "
                    f"{row['share_paid']:.2%}。")
        warning = _warning(ev, choice, constraints, product)
        if warning:
            rep.text(warning.en, zh=warning.zh)
        rep.table("tuning_choice", choice.summary(), caption="Constraints at the chosen design",
                  caption_zh="选定方案的约束情况")
        best = ranking(ev, constraints, objective=a.get("objective", "pure_premium"), top=top)
        keep = ["rank", "design", "deductible", "payout_ratio", "pure_premium", "share_paid",
                "expected_cr", "prob_cr_above_100", "benefit_ratio", "members"]
        rep.table("tuning_ranking", best[[c for c in keep if c in best.columns]],
                  caption=f"The designs that meet the constraints at this price, best first "
                          f"(the first {len(best)} of {choice.feasible_designs})",
                  caption_zh=f"此价格下满足约束的方案，由优到劣排列（共 "
                             f"{choice.feasible_designs} 个，显示前 {len(best)} 个）")
        fair = _fairness(ev, choice)
        if fair is not None:
            rep.table("tuning_fairness", fair,
                      caption="Fairness (公平性): benefit ratio and share paid by group, today "
                              "and chosen",
                      caption_zh="公平性：各组别的赔付率与获赔率（现行方案与选定方案）")
    chosen = choice.design
    rep.figure("tuning_frontier", plot_frontier(ev, chosen=chosen).figure,
               caption="Price–benefit frontier (share of members paid against required premium)",
               caption_zh="价格–保障前沿（获赔率与所需保费）")
    cell = _current_cell(ev)
    if cell is not None and chosen is not None and bool(choice.row["current"]):
        chosen = None  # today's design chosen, off the map's cells: marked as today's (□)
    rep.figure("tuning_heatmap", plot_heatmap(ev, "expected_cr", chosen=chosen,
                                              current=cell).figure,
               caption="Expected combined ratio over 起付线 × 赔付比例 (□ today's design, "
                       "★ the chosen one)",
               caption_zh="各起付线 × 赔付比例组合的预期综合成本率（□ 现行方案，★ 选定方案）")


def _current_cell(ev):
    """Heat-map position of today's design when it is not a cell of the map: its 起付线 and
    the 赔付比例 of the first line the grid varies (the lines' ratios named)."""
    t = ev.table
    cur = t[t["current"]]
    if not len(cur) or "deductible" not in t.columns or "payout_ratio" not in t.columns:
        return None
    row = cur.iloc[0]
    if np.isfinite(row["deductible"]) and np.isfinite(row["payout_ratio"]):
        return None  # a cell of the map: marked there
    base = ev.grid.segments[0]
    body = t[~t["current"]]
    varied = [ln for ln in ev.grid.lines
              if body[f"{ln}.{base}.payout_ratio"].nunique() > 1
              or body[f"{ln}.{base}.deductible"].nunique() > 1] or list(ev.grid.lines)
    ratios = [float(row[f"{ln}.{base}.payout_ratio"]) for ln in varied]
    text = "/".join(f"{r:.0%}" for r in ratios)
    return float(row[f"{varied[0]}.{base}.deductible"]), ratios[0], text


def _fairness(ev, choice) -> pd.DataFrame | None:
    """Benefit ratio and share paid per segment and group, today's design and the chosen one."""
    t = ev.table
    cur = t[t["current"]]
    if choice.design is None or not len(cur):
        return None
    rows = []
    groups = [(s, f"_{s}") for s in ev.grid.segments] + [
        (c[len("share_paid["):-1], c[len("share_paid"):]) for c in t.columns
        if c.startswith("share_paid[")]
    for name, suffix in groups:
        br, sp = f"benefit_ratio{suffix}", f"share_paid{suffix}"
        if br not in t.columns or sp not in t.columns:
            continue
        rows.append({"group": name, "benefit_ratio_today": float(cur[br].iloc[0]),
                     "benefit_ratio_chosen": float(choice.row[br]),
                     "share_paid_today": float(cur[sp].iloc[0]),
                     "share_paid_chosen": float(choice.row[sp])})
    return pd.DataFrame(rows) if rows else None
