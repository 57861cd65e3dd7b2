"""docs/adding_a_product.md: its code block runs as written, and the numbers the page quotes hold
by an independent computation (numerical integration of the lognormal, and a seeded simulation
of the year's claims)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from docblocks import DOCS, blocks, run_blocks

DOC = DOCS / "adding_a_product.md"


@pytest.fixture(scope="module")
def page():
    assert len(blocks("adding_a_product.md")) == 1, "the page has one runnable example"
    return DOC.read_text(encoding="utf-8"), run_blocks("adding_a_product.md")


def test_premium_by_direct_integration(page):
    text, s = page
    sev = stats.lognorm(s=1.2, scale=3_000)
    v = 0.10 + 0.08 + 0.008
    for i, d in enumerate((0.0, 200.0, 500.0)):
        for j, r in enumerate((0.8, 0.9, 1.0)):
            # payout r·min((x − d)₊, 50000/r), integrated against the density
            top = d + 50_000 / r
            body, _ = integrate.quad(lambda x, r=r, d=d: r * (x - d) * sev.pdf(x), d, top,
                                     limit=200)
            pay = body + 50_000 * sev.sf(top)
            want = 2e-4 * pay / (0.95 - v)
            assert s["premium"][i, j] == pytest.approx(want, rel=1e-7)
    assert "**1.1484 元**" in text and round(float(s["premium"][2, 0]), 4) == 1.1484


def test_combined_ratio_and_share_paid(page):
    _, s = page
    np.testing.assert_allclose(s["cr"], 0.95, rtol=1e-12)
    sev = stats.lognorm(s=1.2, scale=3_000)
    np.testing.assert_allclose(s["table"]["share_paid"],
                               np.repeat(sev.sf([0.0, 200.0, 500.0]), 3), rtol=1e-12)
    # the frontier: for each deductible the cheapest ratio; nothing else
    assert s["table"]["frontier"].tolist() == [True, False, False] * 3
    assert s["rules"]["passed"].all() and set(s["rules"]["kind"]) == {"policy"}


def test_probability_of_loss_by_simulation(page):
    text, s = page
    rng = np.random.default_rng(20261203)
    years = 20_000
    n = rng.poisson(2e-4 * 1_000_000, size=years)
    x = stats.lognorm(s=1.2, scale=3_000).rvs(size=int(n.sum()), random_state=rng)
    pay = np.minimum(0.9 * np.maximum(x - 200.0, 0.0), 50_000)
    totals = np.bincount(np.repeat(np.arange(years), n), weights=pay, minlength=years)
    simulated = float(np.mean(totals > s["threshold"]))
    # binomial s.e. √(p(1−p)/20000) ≈ 0.0032; the FFT discretisation adds less than that
    assert float(s["p_loss"]) == pytest.approx(simulated, abs=0.015)
    assert "P(CR > 100%) ≈ 29%**" in text and round(float(s["p_loss"]), 2) == 0.29
