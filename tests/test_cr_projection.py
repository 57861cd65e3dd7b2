"""Distribution of next year's combined ratio: exact identities and a seeded simulation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import puhui
from puhui.losses.frequency import Poisson
from puhui.ratios import combined_ratio_distribution

SEV = stats.gamma(2, scale=500.0)


def dist(premium=130_000.0, cv=0.0, **kw):
    return combined_ratio_distribution(Poisson(100), SEV, premium=premium,
                                       variable_expense_rate=0.1, fixed_expenses=2_000.0,
                                       parameter_cv=cv, step=25.0, **kw)


def test_without_parameter_risk_it_is_the_claims_tail():
    d = dist()
    # CR > 1  ⇔  S > (1 − 0.1)·130,000 − 2,000 = 115,000
    assert d.prob_above(1.0) == pytest.approx(float(d.claims.sf(115_000.0)), abs=1e-12)
    assert d.mean() == pytest.approx((100 * 1000 + 2000) / 130_000 + 0.1, rel=1e-6)


def test_normal_method_matches_its_closed_form():
    d = dist(method="normal")
    mu, sd = 100 * 1000.0, np.sqrt(100 * SEV.moment(2))
    assert d.prob_above(1.0) == pytest.approx(stats.norm.sf(115_000, mu, sd), rel=1e-9)


def test_parameter_risk_agrees_with_simulation():
    # independent check: simulate N, the claims and the lognormal level factor
    rng = np.random.default_rng(20260101)
    n_sim, cv = 200_000, 0.15
    n = rng.poisson(100, n_sim)
    s = rng.gamma(2.0 * n, 500.0)              # sum of n Gamma(2, 500) is Gamma(2n, 500)
    s2 = np.log1p(cv**2)
    lam = rng.lognormal(-s2 / 2, np.sqrt(s2), n_sim)
    cr = lam * s / 130_000 + 0.1 + 2_000 / 130_000
    p_sim = (cr > 1).mean()
    se = np.sqrt(p_sim * (1 - p_sim) / n_sim)
    d = dist(cv=cv)
    assert abs(d.prob_above(1.0) - p_sim) < 4 * se + 1e-3
    assert d.quantile(0.95) == pytest.approx(np.quantile(cr, 0.95), rel=5e-3)


def test_quantile_inverts_the_cdf():
    d = dist(cv=0.1)
    for p in (0.1, 0.5, 0.9, 0.99):
        q = d.quantile(p)
        # the claims law lives on a grid: the cdf may jump by one node's mass at q
        assert p - 1e-8 <= d.cdf(q + 1e-9) and d.cdf(q - 1e-6) <= p + 1e-8


@given(st.floats(80_000, 300_000), st.floats(0.0, 0.4))
def test_more_premium_means_less_chance_of_a_loss(premium, cv):
    assert dist(premium * 1.05, cv).prob_above(1.0) <= dist(premium, cv).prob_above(1.0) + 1e-12


def test_bad_arguments():
    with pytest.raises(puhui.ParameterError):
        dist(premium=0.0)
    with pytest.raises(puhui.ParameterError):
        dist(cv=-0.1)
    with pytest.raises(puhui.ParameterError):
        dist().quantile(1.5)
