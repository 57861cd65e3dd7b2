"""The pricing section of a report: the premium build-up from experience, and what the members
do when the price moves (the anti-selection scenario calibrated to the book).

Used by ``puhui price`` and ``puhui demo``; the numbers are those of
:func:`puhui.huiminbao.price_from_experience`, :func:`puhui.pricing.equilibrium_price` and
:func:`puhui.pricing.spiral`.

The take-up shape of the scenario (cost classes, their weights and their renewal after a price
rise) was calibrated to the bundled example's synthetic book. It is never applied to another
product's book without saying so: :func:`scenario_for` warns (:class:`BookWarning`) when the
product is not the bundled example (:func:`is_example_product`) and the shape is not given, and
``puhui price`` leaves the scenario out for such a product unless ``--example-take-up`` asks for
it, saying which in the report. The book's own warnings (another product code or region, too
small to be credible: :mod:`puhui.huiminbao.pricing`) head the pricing section.
"""

from __future__ import annotations

import functools
import warnings

from puhui.errors import ParameterError
from puhui.huiminbao.pricing import BookWarning
from puhui.huiminbao.pricing_result import PricingResult
from puhui.huiminbao.product import Product, example_product_path
from puhui.pricing.participation import equilibrium_price, spiral
from puhui.pricing.participation_calibration import Calibration, default_scenario
from puhui.report import Report
from puhui.report.notes import Note, say

__all__ = ["scenario_for", "add_pricing", "is_example_product", "take_up_scenario",
           "SHAPE_KEYS"]

#: The overrides of :func:`scenario_for` that give the take-up shape from the insurer's own
#: renewal study instead of the bundled example's.
SHAPE_KEYS = ("levels", "weights", "old_price", "new_price", "retention")


@functools.cache
def _example_code() -> str:
    return Product.from_toml(example_product_path()).code


def is_example_product(product: Product) -> bool:
    """Whether ``product`` is the bundled example (its code is that of
    ``huiminbao_example.toml``), the one product whose book the default take-up shape was
    calibrated to.

    >>> from dataclasses import replace
    >>> p = Product.from_toml(example_product_path())
    >>> is_example_product(p), is_example_product(replace(p, code="HMB-SZ"))
    (True, False)
    """
    return product.code == _example_code()


def example_take_up_note(product: Product) -> Note:
    """Why the participation scenario is left out for a product other than the bundled
    example (the report's sentence, a :class:`~puhui.report.notes.Note`: English and
    Chinese)."""
    keys = "=, ".join(SHAPE_KEYS)
    return Note(
        f"The anti-selection scenario is left out: its take-up shape (three cost classes "
        f"and their renewal after a price rise) was calibrated to the bundled example "
        f"{_example_code()}'s synthetic book, not to product {product.code}'s members. Fit "
        f"the shape to your own renewal study (scenario_for(..., {keys}=)), or run "
        "`puhui price --example-take-up` to show the example's shape as an illustration.",
        f"未列出逆选择情景：其参保形态（三个成本类别及其提价后的续保情况）是按内置示例 "
        f"{_example_code()} 的合成数据校准的，并非产品 {product.code} 的参保人。请用贵公司"
        f"自己的续保研究拟合参保形态（scenario_for(..., {keys}=)），或运行 "
        "`puhui price --example-take-up` 以示例产品的形态作示意。")


def take_up_scenario(product: Product, result: PricingResult, *, participation: float = 0.15,
                     example_take_up: bool = False) -> tuple[Calibration | None, str | None]:
    """The participation scenario of ``puhui price`` and the report's sentence about it:
    ``(calibration, note)``.

    For the bundled example: :func:`scenario_for`, no note. For another product the example's
    take-up shape is not applied: ``(None, why)`` (:func:`example_take_up_note`) — unless
    ``example_take_up`` asks for it, when the scenario is calibrated and the note says it is
    the example's shape, an illustration."""
    if is_example_product(product):
        return scenario_for(product, result, participation=participation), None
    if not example_take_up:
        return None, example_take_up_note(product)
    with warnings.catch_warnings():  # the note below says it in the report
        warnings.simplefilter("ignore", BookWarning)
        calibration = scenario_for(product, result, participation=participation)
    return calibration, Note(
        "The take-up shape of the scenario below is the bundled example's (three cost "
        "classes and their renewal after a price rise, calibrated to its synthetic book), "
        f"applied to product {product.code} at your request (--example-take-up): read it as an "
        "illustration, not as this book's members.",
        "下方情景的参保形态取自内置示例（三个成本类别及其提价后的续保情况，按其合成数据"
        f"校准），应要求（--example-take-up）用于产品 {product.code}：仅作示意，并非本业务"
        "参保人的实际情况。")


def scenario_for(product: Product, result: PricingResult, *, participation: float = 0.15,
                 **overrides) -> Calibration:
    """The participation scenario of :func:`default_scenario`, re-anchored to this book.

    Anchors: participation ``participation`` (DOMAIN.md: 13–18%) at the product's current flat
    price; the pool's cost there equal to the experience pure premium ``result.pure_premium``;
    an eligible population of ``members / participation``; the product's target combined ratio,
    variable expense rate and fixed expense per member. The take-up's shape (three cost classes
    0.6 / 1.0 / 1.6 and their renewal after a price rise) is the bundled generator's assumption
    unless ``overrides`` give ``levels``, ``weights``, ``old_price``, ``new_price`` and
    ``retention`` from the insurer's own renewal study.
    """
    if product.flat_price is None:
        raise ParameterError("the participation scenario needs a flat-priced product (one price "
                             "at which participation is observed)")
    example_shape = [k for k in SHAPE_KEYS if k not in overrides]
    if example_shape and not is_example_product(product):
        warnings.warn(BookWarning(
            f"scenario_for: product {product.code} is not the bundled example "
            f"{_example_code()}, but the take-up shape ({', '.join(example_shape)}) is the "
            "bundled example's: give your own from a renewal study, or read the scenario as "
            "an illustration"), stacklevel=2)
    members = float(result.assumptions["members"])
    kw = dict(reference_price=float(product.flat_price), pool_cost=result.pure_premium,
              participation=participation, population=members / participation,
              target_combined_ratio=product.target_combined_ratio,
              variable_rate=product.expenses.variable_rate,
              expense_per_member=product.expenses.per_member)
    kw.update(overrides)
    return default_scenario(**kw)


def add_pricing(rep: Report, result: PricingResult, product: Product, *,
                calibration: Calibration | None = None, years: int = 8,
                level: int = 2, take_up_note: str | None = None) -> None:
    """Append the pricing section: the book's warnings (``result.assumptions["book_warnings"]``),
    premium build-up table and figure; with ``calibration``, the equilibrium price under
    anti-selection, the repricing path from today's price and the demand / cost figure.
    ``take_up_note``: a sentence on the participation scenario (why it is left out, or that its
    shape is the example's), printed where the scenario would be. The prose is in the
    report's language (English, or Chinese in a ``lang="zh"`` report, with the same numbers)."""
    a = result.assumptions
    rep.heading("Price for the next year (定价) and anti-selection (逆选择)", level=level,
                zh="下一年度定价与逆选择")
    for note in a.get("book_warnings") or ():
        rep.text(f"**Warning (注意):** {getattr(note, 'en', note)}.",
                 zh=f"**注意：**{say(rep, note)}。")
    current = current_zh = ""
    if product.flat_price is not None:
        current = f" against today's {product.flat_price:g} 元"
        current_zh = f"，现行价格为 {product.flat_price:g} 元"
    experience = _years(a)
    rep.text(f"Expected payout per member from member-level experience (policy years "
             f"{experience}), ground-up costs trended at {a.get('trend', 0):.0%} a year to "
             f"{a.get('pricing_year')} before the current 起付线 / 赔付比例 / 封顶线 are "
             f"applied; gross premium = (pure premium + fixed expense + margin) / (1 − variable "
             f"expense rate), the margin from the portfolio's aggregate claims distribution "
             f"(`docs/pricing_huiminbao.md`). Gross premium at the current design: "
             f"**{_fmt_price(result.gross_premium)}**{current} (expected combined ratio at "
             f"that premium {result.expected_cr:.1%}, P(CR > 100%) "
             f"{result.prob_cr_above_100:.1%}).",
             zh=f"人均期望赔付取自参保人层面的经验数据（保单年度 "
                f"{'全部' if experience == 'all' else experience}）：原始医疗费用先按每年 "
                f"{a.get('trend', 0):.0%} 趋势调整至 {a.get('pricing_year')} 年，再适用现行的"
                "起付线 / 赔付比例 / 封顶线；毛保费 =（纯保费 + 固定费用 + 风险边际）/（1 − "
                "变动费用率），风险边际取自整体赔款总额的分布（`docs/pricing_huiminbao.md`）。"
                f"现行方案下的毛保费为 **{_fmt_price(result.gross_premium)}**（该保费下的预期"
                f"综合成本率 {result.expected_cr:.1%}，P(CR > 100%) "
                f"{result.prob_cr_above_100:.1%}）{current_zh}。")
    rep.table("pricing_summary", result.summary().reset_index(),
              caption="Premium build-up per member by segment and benefit line",
              caption_zh="按人群与责任类型的人均保费构成", floatfmt=",.3f")
    rep.figure("pricing_build_up", result.plot().figure, caption="Premium build-up per member",
               caption_zh="人均保费构成")
    if take_up_note:
        rep.text(getattr(take_up_note, "en", take_up_note), zh=say(rep, take_up_note))
    if calibration is None:
        return
    sc = calibration.scenario
    eq = equilibrium_price(sc)
    start = float(product.flat_price)
    path = spiral(sc, start, years=years)
    if eq.exists:
        verdict = (f"the price that still balances after the healthier members leave is "
                   f"**{eq.price:.2f} 元**, with participation {eq.participation:.1%} and an "
                   f"average cost of {eq.average_cost:.2f} 元 per member")
        verdict_zh = (f"较健康的参保人退出后仍能收支平衡的价格为 **{eq.price:.2f} 元**，"
                      f"此时参保率 {eq.participation:.1%}，人均成本 {eq.average_cost:.2f} 元")
    else:
        verdict = (f"no price balances (best {eq.best_price:.2f} 元, still short by "
                   f"{-eq.best_balance:.2f} 元 per member): a death spiral")
        verdict_zh = (f"没有任何价格能够收支平衡（最优价格 {eq.best_price:.2f} 元，每人仍短缺 "
                      f"{-eq.best_balance:.2f} 元）：即“死亡螺旋”")
    p = calibration.params
    anchor, cost = float(sc.participation(start)), float(sc.average_cost(start))
    rep.text("Participation scenario (voluntary take-up falls with the price, fastest for the "
             f"lowest-cost members; sensitivity β = {p['sensitivity']:.3f}, mean perceived "
             f"value {p['mean_value']:.2f} 元, risk awareness {p['awareness']:.3f}), anchored "
             f"to {anchor:.0%} participation at {start:g} 元 and a pool "
             f"cost there of {cost:.2f} 元: {verdict}. The path "
             "below reprices every year to what the remaining pool needs. A price rise alone "
             "shrinks and ages the pool; pair it with the benefit levers (起付线, 赔付比例).",
             zh="参保情景（自愿参保率随价格上升而下降，低成本人群下降最快；价格敏感度 β = "
                f"{p['sensitivity']:.3f}，平均感知价值 {p['mean_value']:.2f} 元，风险意识 "
                f"{p['awareness']:.3f}），以价格 {start:g} 元时 {anchor:.0%} 的参保率及该价格"
                f"下 {cost:.2f} 元的人均赔付成本为锚点：{verdict_zh}。下表逐年按剩余参保人群"
                "所需的保费重新定价。单靠提价会使参保人群缩小并趋于老龄化，应与起付线、赔付"
                "比例等保障调整手段配合使用。")
    rep.table("participation_path", path, caption="Repricing year by year under anti-selection",
              caption_zh="逆选择下的逐年重新定价", floatfmt=",.3f")
    rep.table("participation_calibration", calibration.targets.reset_index(),
              caption="Calibration targets of the participation scenario",
              caption_zh="参保情景的校准目标", floatfmt=",.4f")
    rep.figure("participation_equilibrium", eq.plot().figure,
               caption="Required premium and participation against the price",
               caption_zh="所需保费与参保率随价格的变化")


def _years(a: dict) -> str:
    years = a.get("years")
    if not years:
        return "all"
    years = sorted(int(y) for y in years)
    return f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])


def _fmt_price(price) -> str:
    if isinstance(price, float):
        return f"{price:.2f} 元"
    return ", ".join(f"{band} {value:.2f} 元" for band, value in price.items())
