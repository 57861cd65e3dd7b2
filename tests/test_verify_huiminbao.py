"""``puhui verify`` on the bundled 惠民保 filings: the clean filing verifies against the bundled
book, the planted one (IBNR of 2025 understated by 30%, the 2025 expense ratio under-allocated)
is caught at exactly those two cells. One test: the book is read and reviewed once."""

from __future__ import annotations

import pytest

from puhui.datasets.store import repo_data_dir
from puhui.errors import ParameterError
from puhui.verify import example_filing, verify
from puhui.verify.examples import PLANTED


def test_huiminbao_clean_and_planted():
    data = repo_data_dir() / "huiminbao"
    clean = verify(example_filing("huiminbao", "clean"), data)
    assert clean.status == 0, clean.verdict
    fig = clean.figures.set_index("figure")
    # independent checks: expense ratio = 3% + 6% + 0% + 0.8% of the product's expenses; the
    # indicated change = gross premium / the current flat 109 元 − 1
    assert fig.loc["expense_ratio.2025", "puhui"] == pytest.approx(0.098, abs=1e-15)
    assert fig.loc["indicated_change", "puhui"] == pytest.approx(
        fig.loc["gross_premium", "puhui"] / 109.0 - 1, rel=1e-12)
    # the 2025 notice: 定制 in the name, duties stated
    assert set(clean.rules["rule"]) >= {"health.product_name_custom", "health.area_listed"}

    planted = verify(example_filing("huiminbao", "planted"), data)
    assert planted.status == 1
    assert planted.findings() == set(PLANTED["huiminbao"])
    ibnr = planted.figures.set_index("figure").loc["ibnr.2025"]
    assert ibnr["rel_diff"] == pytest.approx(-0.30, abs=1e-6)


def test_huiminbao_figures_need_data():
    with pytest.raises(ParameterError, match="--data"):
        verify(example_filing("huiminbao", "clean"))
