"""docs/reinsurance.md: its code blocks run as written and the numbers it quotes hold.

The crop example reads the bundled (seeded) crop data and the 惠民保 example builds its
aggregate by FFT, so a change to the data, the aggregate or the programme that moves a quoted
figure must update the page too.
"""

from __future__ import annotations

import pytest

from docblocks import blocks, run_blocks


def _blocks() -> list[str]:
    return blocks("reinsurance.md")


@pytest.fixture(scope="module")
def scope():
    return run_blocks("reinsurance.md")


def test_the_page_has_both_examples():
    blocks = _blocks()
    assert len(blocks) == 2
    assert "load_crop_yields" in blocks[0] and "on_law" in blocks[1]


def test_crop_figures_quoted_on_the_page(scope):
    s = scope["crop_result"].summary()
    assert s.loc["gross", "mean"] == pytest.approx(0.836, abs=5e-4)
    assert s.loc["gross", "sd"] == pytest.approx(0.679, abs=5e-4)
    assert s.loc["net", "sd"] == pytest.approx(0.559, abs=5e-4)
    assert s.loc["gross", "tvar_99"] == pytest.approx(2.428, abs=5e-4)
    assert s.loc["net", "tvar_99"] == pytest.approx(2.211, abs=5e-4)
    assert s.loc["after_reserve", "tvar_99"] == pytest.approx(2.090, abs=5e-4)
    assert s["p_cr_above_100"].tolist() == [0.28, 0.36, 0.36]
    res = scope["crop_result"]
    assert res.gross_claims.mean() / res.premium[0] == pytest.approx(0.716, abs=5e-4)
    assert res.ceded["1:StopLoss"].mean() == pytest.approx(121.8e6, rel=1e-3)
    assert res.reinsurance_premium["1:StopLoss"].mean() == pytest.approx(158.4e6, rel=1e-3)
    assert (res.gross_cr - 0.12 > 1.5).sum() == 5            # 5 of 25 years past 150%


def test_huiminbao_figures_quoted_on_the_page(scope):
    res = scope["hmb_result"]
    s = res.summary()
    assert s.loc["gross", "mean"] == pytest.approx(1.021, abs=5e-4)
    assert s.loc["net", "mean"] == pytest.approx(0.979, abs=5e-4)
    assert s.loc["gross", "p_cr_above_100"] == pytest.approx(0.671, abs=5e-4)
    assert s.loc["net", "p_cr_above_100"] == pytest.approx(0.316, abs=5e-4)
    assert s.loc["net", "var_99"] == pytest.approx(1.059, abs=5e-4)
    assert res.expected_ceded["2:StopLoss"] == pytest.approx(15_807, abs=1.0)
    assert scope["S"].mean() == pytest.approx(18.88e6, rel=1e-3)
    assert res.contribution == 0.0
