"""docs/pricing_huiminbao.md: its code blocks run as written and the numbers it quotes hold.

The page quotes figures from the bundled data (generated deterministically), so any change to
the data, the pricing code or the calibration that moves them must update the page too.
"""

from __future__ import annotations

import pytest

from docblocks import DOCS, blocks, run_blocks

DOC = DOCS / "pricing_huiminbao.md"


def _blocks() -> list[str]:
    return blocks("pricing_huiminbao.md")


@pytest.fixture(scope="module")
def scope():
    """Run every Python block of the page in one namespace, printing nothing."""
    return run_blocks("pricing_huiminbao.md")


def test_the_page_has_the_three_examples():
    blocks = _blocks()
    assert len(blocks) >= 3
    assert any("price_from_experience" in b for b in blocks)
    assert any("price_from_model" in b for b in blocks)
    assert any("equilibrium_price" in b for b in blocks)


def test_experience_price_quoted_on_the_page(scope):
    res = scope["res"]
    text = DOC.read_text("utf-8")
    assert "138.63 元" in text and f"{res.gross_premium:.2f}" == "138.63"
    assert f"{res.expected_cr:.1%}" == "94.7%"
    assert "4.997%" in text and f"{res.prob_cr_above_100:.3%}" == "4.997%"
    s = res.summary()
    # the printed table: total pure premium 117.648, 既往症 all lines 251.465, margin 7.400
    assert s.loc[("total", "all lines"), "pure_premium"] == pytest.approx(117.648, abs=5e-4)
    assert s.loc[("preexisting", "all lines"), "gross_premium"] == pytest.approx(251.465,
                                                                                  abs=5e-4)
    assert s.loc[("total", "all lines"), "margin"] == pytest.approx(7.400, abs=5e-4)


def test_model_price_quoted_on_the_page(scope):
    from puhui.huiminbao import price_from_model

    fit, product = scope["fit"], scope["product"]
    assert round(price_from_model(product, fit.model_).gross_premium, 1) == 135.1
    tab = fit.summary()
    assert tab.loc[("in_catalogue", "preexisting"), "q"] == pytest.approx(0.4501, abs=5e-5)


def test_equilibrium_quoted_on_the_page(scope):
    eq, cal = scope["eq"], scope["cal"]
    assert round(eq.price, 2) == 147.71
    assert round(eq.participation, 3) == 0.056
    assert round(eq.average_cost, 2) == 125.85
    path = scope["spiral"](cal.scenario, 109.0, years=5)
    assert [round(p, 3) for p in path["price"]] == [109.0, 138.498, 145.665, 147.265, 147.614,
                                                    147.690]


def test_death_spiral_and_credibility_figures_quoted_on_the_page(scope):
    from puhui.huiminbao import price_from_experience
    from puhui.pricing import default_scenario, equilibrium_price

    text = DOC.read_text("utf-8")
    # "With fixed running costs of 3 million 元 a year … no price balances (the best price,
    # 129.9 元, still loses 37 元 per member)"
    eq = equilibrium_price(default_scenario(fixed_expense=3e6).scenario)
    assert not eq.exists
    assert "129.9 元" in text and round(eq.best_price, 1) == 129.9
    assert "37 元" in text and round(-eq.best_balance) == 37
    # "With Bühlmann–Straub credibility over six age bands … the price is 141.84 元 …
    # (141.93 元 with the bands and no credibility)"
    bands = [(18, 40), (40, 50), (50, 60), (60, 70), (70, 80), (80, 96)]
    data, product = scope["data"], scope["product"]
    cred = price_from_experience(product, data.policies, data.costs, bands=bands,
                                 credibility="buhlmann_straub")
    plain = price_from_experience(product, data.policies, data.costs, bands=bands)

    def portfolio(r):
        return float((r.premium["mix"] * r.premium["gross_premium"]).sum())

    assert f"{portfolio(cred):.2f}" == "141.84" and f"{portfolio(plain):.2f}" == "141.93"


def test_scenario_for_figure_quoted_on_the_page(scope):
    from puhui.huiminbao.pricing_report import scenario_for
    from puhui.pricing import equilibrium_price

    text = DOC.read_text("utf-8")
    cal = scenario_for(scope["product"], scope["res"])
    eq = equilibrium_price(cal.scenario)
    assert "147.15 元" in text and f"{eq.price:.2f}" == "147.15"
    assert "117.65" in text and f"{scope['res'].pure_premium:.2f}" == "117.65"
