"""puhui.reinsurance: treaties, the 大灾准备金 and the programme's combined ratios.

Checks against independent computations (closed forms, quadrature, hand arithmetic) and
properties (conservation, linearity, monotonicity) with hypothesis.
"""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, special, stats

from puhui.errors import ParameterError
from puhui.losses.aggregate import aggregate
from puhui.losses.empirical import Empirical
from puhui.losses.frequency import Poisson
from puhui.reinsurance import (
    CONTRIBUTION_BANDS,
    CatastropheReserve,
    PerEventXL,
    PerRiskXL,
    Programme,
    QuotaShare,
    StopLoss,
    reserve_contributions,
)

matplotlib.use("Agg")

# ----------------------------------------------------------------------- stop loss: closed form

LAM, THETA, PREMIUM = 20.0, 1_000.0, 25_000.0


def _stop_loss_premium(d, lam=LAM, theta=THETA, nmax=200):
    """E[(S − d)₊] of a compound Poisson(λ)–exponential(θ) S, in closed form.

    Given N = n, S is Gamma(n, θ), whose stop-loss premium is
    ``π_n(d) = nθ·Q(n + 1, d/θ) − d·Q(n, d/θ)`` (Q the regularised upper incomplete gamma;
    Kaas, Goovaerts, Dhaene & Denuit, *Modern Actuarial Risk Theory*, 2nd ed., ch. 3, the
    stop-loss premium of a gamma law; Klugman, Panjer & Willmot, *Loss Models*, 4th ed., §9.7),
    and ``E[(S − d)₊] = Σ_n P(N = n) π_n(d)`` (the atom at 0 pays nothing).
    """
    n = np.arange(1, nmax)
    pn = stats.poisson.pmf(n, lam)
    return float(np.sum(pn * (n * theta * special.gammaincc(n + 1, d / theta)
                              - d * special.gammaincc(n, d / theta))))


def _sf(s, lam=LAM, theta=THETA):
    n = np.arange(1, 200)
    return float(np.sum(stats.poisson.pmf(n, lam) * special.gammaincc(n, s / theta)))


#: E[min((S − 0.9P)₊, 0.6P)] for λ = 20, θ = 1000, P = 25,000 — from the closed form above
#: (scipy 1.x, this machine); the quadrature ∫_{0.9P}^{1.5P} P(S > s) ds gives the same to 1e-12.
STOP_LOSS_90_150 = 1507.2626860471958


@pytest.fixture(scope="module")
def compound():
    return aggregate(Poisson(LAM), stats.expon(scale=THETA), method="fft", step=5.0)


def test_stop_loss_closed_form_and_quadrature_agree():
    a, b = 0.9 * PREMIUM, 1.5 * PREMIUM
    closed = _stop_loss_premium(a) - _stop_loss_premium(b)
    quad = integrate.quad(_sf, a, b, epsabs=1e-12, epsrel=1e-13)[0]
    assert closed == pytest.approx(STOP_LOSS_90_150, rel=1e-12)
    assert quad == pytest.approx(closed, rel=1e-11)


def test_stop_loss_on_the_law_against_the_closed_form(compound):
    # the exact recovery on the discrete law (LEV(b) − LEV(a)) against the closed form; the
    # remaining difference is the discretisation of the claim size (step 5: ~1.4e-6 relative)
    sl = StopLoss(0.9, 1.5, share=0.8, loading=0.25)
    res = Programme([sl]).on_law(compound, PREMIUM)
    got = res.expected_ceded["1:StopLoss"]
    assert got == pytest.approx(0.8 * STOP_LOSS_90_150, rel=5e-6)
    # the same expectation summed point by point over the law, Σ p · cede(x)
    direct = float(np.sum(compound.pmf * sl.cede(compound.x, PREMIUM)))
    assert got == pytest.approx(direct, rel=1e-12)
    assert res.reinsurance_premium["1:StopLoss"] == pytest.approx(1.25 * got, rel=1e-15)
    # the net law keeps the masses: its mean is E[S] less the recovery
    assert res.laws["net"].mean() == pytest.approx(compound.mean() - got, rel=1e-12)


def test_probability_of_a_net_loss_from_the_net_claims_law(compound):
    # a stop loss 90%–150% at premium 4% rate on line, expenses 10%: the net CR exceeds 100%
    # exactly when net claims exceed N·(1 − 0.1·P/N) = N − 0.1·P
    sl = StopLoss(0.9, 1.5, rate_on_line=0.04)
    res = Programme([sl]).on_law(compound, PREMIUM, expense_ratio=0.1)
    n_earned = PREMIUM - 0.04 * 0.6 * PREMIUM
    assert res.net_earned == pytest.approx(n_earned)
    s = res.summary()
    net = np.minimum(compound.x, 0.9 * PREMIUM) + np.maximum(compound.x - 1.5 * PREMIUM, 0.0)
    by_hand = float(np.sum(compound.pmf[net > n_earned - 0.1 * PREMIUM]))
    assert s.loc["net", "p_cr_above_100"] == pytest.approx(by_hand, abs=1e-12)
    gross = float(compound.sf(0.9 * PREMIUM))
    assert s.loc["gross", "p_cr_above_100"] == pytest.approx(gross, abs=1e-12)
    # the cover cuts the tail: TVaR99 of the CR falls
    assert s.loc["net", "tvar_99"] < s.loc["gross", "tvar_99"]
    # mean net CR = (E[S] − E[recovery] + 0.1P)/N: at 4% on line (600 for 1,507 expected) the
    # cover is cheap and lowers it; at a 50% loading on its expectation it raises it
    rec = res.expected_ceded["1:StopLoss"]
    assert s.loc["net", "mean"] == pytest.approx(
        (compound.mean() - rec + 0.1 * PREMIUM) / n_earned, rel=1e-12)
    dear = Programme([StopLoss(0.9, 1.5, loading=0.5)]).on_law(compound, PREMIUM,
                                                              expense_ratio=0.1).summary()
    assert dear.loc["net", "mean"] > dear.loc["gross", "mean"]


# --------------------------------------------------------------------------- quota share


@given(st.floats(0, 1), st.lists(st.floats(0, 1e7), min_size=1, max_size=20),
       st.floats(0, 100))
def test_quota_share_is_linear(q, xs, k):
    qs = QuotaShare(q)
    x = np.array(xs)
    np.testing.assert_allclose(qs.cede(k * x), k * qs.cede(x), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(qs.cede(x + x[::-1]), qs.cede(x) + qs.cede(x[::-1]),
                               rtol=1e-12, atol=1e-9)


def test_quota_share_on_a_law_scales_every_ratio(compound):
    res = Programme([QuotaShare(0.4, commission=0.3)]).on_law(compound, PREMIUM,
                                                             expense_ratio=0.2)
    assert res.laws["net"].mean() == pytest.approx(0.6 * compound.mean(), rel=1e-13)
    assert res.net_earned == pytest.approx(0.6 * PREMIUM)
    assert res.commission == pytest.approx(0.3 * 0.4 * PREMIUM)
    s = res.summary()
    # net CR = (0.6 S + 0.2P − 0.12P)/(0.6P) = S/P + 0.1333…: the loss ratio is unchanged
    assert s.loc["net", "mean"] == pytest.approx(compound.mean() / PREMIUM + 0.08 / 0.6, rel=1e-12)
    assert s.loc["net", "sd"] == pytest.approx(s.loc["gross", "sd"], rel=1e-12)


# ---------------------------------------------------------------------- excess of loss by hand


def test_per_risk_reinstatements_and_their_premium():
    # limit 200 xs 100, one reinstatement at 100%, 10% rate on line (premium 20):
    # year 0 losses 50, 400, 350 → 0, 200, 200 (the second limit), year 1: 500 → 200
    xl = PerRiskXL(100.0, 200.0, reinstatements=1, rate_on_line=0.1)
    res = Programme([xl]).run(np.array([50.0, 400.0, 350.0, 500.0]), premium=1_000.0,
                              scenario=np.array([0, 0, 0, 1]))
    np.testing.assert_allclose(res.ceded["1:PerRiskXL"], [400.0, 200.0])
    # reinstatement premium 20 · min(ceded, 200)/200 = 20 in both years
    np.testing.assert_allclose(res.reinsurance_premium["1:PerRiskXL"], [40.0, 40.0])
    np.testing.assert_allclose(res.net_claims, [400.0, 300.0])
    # a third large loss in year 0 finds the layer exhausted
    more = xl.cede([400.0, 350.0, 900.0], scenario=[0, 0, 0])
    np.testing.assert_allclose(more, [200.0, 200.0, 0.0])


def test_per_event_cover_sums_the_risks_of_each_event():
    # year 0: event A hits two counties (300 + 400), event B one (100); year 1: A again (500)
    losses = np.array([300.0, 400.0, 100.0, 500.0])
    prog = Programme([PerRiskXL(350.0, 1e9, loading=0.0), PerEventXL(500.0, 1_000.0, loading=0.0)])
    res = prog.run(losses, premium=2_000.0, scenario=np.array([0, 0, 0, 1]),
                   event=np.array(["A", "A", "B", "A"]))
    # per risk: 400 → 50 ceded; year 1: 500 → 150 ceded; retained 300, 350, 100 | 350
    np.testing.assert_allclose(res.ceded["1:PerRiskXL"], [50.0, 150.0])
    # per event: A in year 0 = 650 → 150 ceded; B = 100 → 0; A in year 1 = 350 → 0
    np.testing.assert_allclose(res.ceded["2:PerEventXL"], [150.0, 0.0])
    np.testing.assert_allclose(res.net_claims, [600.0, 350.0])
    # priced at the burn cost (loading 0): premiums are the mean recoveries
    assert res.reinsurance_premium["1:PerRiskXL"][0] == pytest.approx(100.0)
    assert res.reinsurance_premium["2:PerEventXL"][0] == pytest.approx(75.0)


def test_net_result_identity():
    rng = np.random.default_rng(5)
    losses = rng.gamma(0.3, 400.0, size=(50, 12))
    prog = Programme([QuotaShare(0.2, 0.3), PerRiskXL(500.0, 1_500.0, reinstatements=2,
                                                      rate_on_line=0.05),
                      StopLoss(0.9, 1.5, rate_on_line=0.1)])
    res = prog.run(losses, premium=1_800.0, expense_ratio=0.15, fixed_expenses=30.0)
    n = res.premium - res.ceded_premium
    result = res.premium - res.ceded_premium + res.commission - res.net_claims - res.expenses
    np.testing.assert_allclose(result, n * (1 - res.net_cr), rtol=1e-12)
    np.testing.assert_allclose(res.net_premium, n + res.commission)
    np.testing.assert_allclose(res.gross_cr, res.gross_claims / 1_800.0 + 0.15 + 30.0 / 1_800.0)


# ---------------------------------------------------------------------------- properties

_loss_matrix = st.integers(1, 6).flatmap(lambda n: st.integers(1, 8).flatmap(
    lambda m: st.lists(st.floats(0, 5e4), min_size=n * m, max_size=n * m).map(
        lambda v: np.array(v).reshape(n, m))))


@given(_loss_matrix, st.floats(0, 0.9), st.floats(0, 2e4), st.floats(1, 3e4),
       st.one_of(st.none(), st.integers(0, 3)), st.floats(0.3, 1.2), st.floats(0.05, 1.0))
def test_gross_is_net_plus_ceded_in_every_scenario(losses, q, r, lim, k, a_lr, width):
    events = np.arange(losses.shape[1]) % 2          # two events a year
    # priced on line, so that the premiums stay below the gross premium whatever the losses
    prog = Programme([QuotaShare(q, 0.2), PerRiskXL(r, lim, reinstatements=k, rate_on_line=0.01),
                      PerEventXL(r, 2 * lim, rate_on_line=0.01),
                      StopLoss(a_lr, a_lr + width, share=0.9, rate_on_line=0.01)])
    res = prog.run(losses, premium=5e4, event=np.broadcast_to(events, losses.shape))
    total = res.net_claims + np.sum(list(res.ceded.values()), axis=0)
    np.testing.assert_allclose(total, losses.sum(axis=1), rtol=1e-12, atol=1e-6)
    assert np.all(res.net_claims >= -1e-6)
    assert all(np.all(c >= 0) for c in res.ceded.values())


@given(_loss_matrix, st.floats(0, 2e4), st.floats(0, 2e4), st.floats(1, 3e4),
       st.floats(0.2, 1.5), st.floats(0.0, 1.0))
def test_a_higher_retention_never_lowers_net_claims(losses, r1, r2, lim, a1, da):
    lo, hi = min(r1, r2), max(r1, r2)
    # claims only (priced free on line, so that no premium question arises)
    net = [Programme([PerRiskXL(r, lim, reinstatements=1, rate_on_line=0.0)]).run(
        losses, premium=5e4).net_claims for r in (lo, hi)]
    assert np.all(net[0] <= net[1] + 1e-9)
    sl = [Programme([StopLoss(a, 3.0, rate_on_line=0.0)]).run(losses, premium=5e4).net_claims
          for a in (a1, a1 + da)]
    assert np.all(sl[0] <= sl[1] + 1e-9) and sl[0].mean() <= sl[1].mean() + 1e-9


def test_law_and_scenario_routes_agree():
    # a law with masses ¼, ½, ¼ is the same as four equally likely years
    pts = np.array([20.0, 90.0, 90.0, 180.0])
    prog = Programme([QuotaShare(0.25, 0.2), StopLoss(0.8, 1.4, share=0.9, loading=0.3)],
                     reserve=CatastropheReserve(0.03, trigger_lr=0.75, balance=5.0))
    on_law = prog.on_law(Empirical(pts), 100.0, expense_ratio=0.1, fixed_expenses=2.0).summary()
    on_sc = prog.run(pts, premium=100.0, expense_ratio=0.1, fixed_expenses=2.0).summary()
    cols = ["mean", "sd", "var_95", "tvar_95", "var_99", "tvar_99", "p_cr_above_100"]
    np.testing.assert_allclose(on_law[cols].to_numpy(float), on_sc[cols].to_numpy(float),
                               rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------------------------ the reserve


def test_reserve_bands_by_line():
    assert CONTRIBUTION_BANDS["种植业"][:2] == (0.02, 0.04)
    assert CONTRIBUTION_BANDS["养殖业"][:2] == (0.01, 0.03)
    assert CONTRIBUTION_BANDS["森林"][:2] == (0.04, 0.06)
    assert CatastropheReserve.for_line("crop").contribution_rate == 0.04
    assert CatastropheReserve.for_line("livestock", 0.02).contribution_rate == 0.02
    assert CatastropheReserve.for_line("huiminbao").contribution_rate == 0.0
    with pytest.raises(ParameterError, match="outside the 种植业 band"):
        CatastropheReserve.for_line("种植业", 0.05)
    with pytest.raises(ParameterError, match="outside the 惠民保 band"):
        CatastropheReserve.for_line("惠民保", 0.01)
    with pytest.raises(ParameterError, match="unknown line"):
        CatastropheReserve.for_line("marine")
    t = reserve_contributions({"crop": 2e8, "森林": 1e7}, rates={"crop": 0.025})
    assert t["contribution"].tolist() == [5e6, 6e5]
    with pytest.raises(ParameterError, match="have no premium"):
        reserve_contributions({"crop": 1.0}, rates={"livestock": 0.02})


def test_shanghai_bands_by_hand():
    # 90% kept, 90–150% reinsured (stop loss at 5% rate on line), above 150% from the reserve
    # (balance 40, contribution 3% of net earned premium), bands on the gross premium 100
    prog = Programme([StopLoss(0.9, 1.5, rate_on_line=0.05)],
                     reserve=CatastropheReserve(0.03, trigger_lr=1.5, balance=40.0,
                                                premium_basis="gross"))
    res = prog.run(np.array([70.0, 120.0, 200.0, 260.0]), premium=100.0, expense_ratio=0.1)
    np.testing.assert_allclose(res.net_claims, [70.0, 90.0, 140.0, 200.0])
    n = 100.0 - 0.05 * 60.0                                   # 97
    np.testing.assert_allclose(res.contribution, 0.03 * n)
    # draw: claims net of reinsurance above 150 (none, none, none... 200 → 50 > 40 + 2.91)
    np.testing.assert_allclose(res.draw, [0.0, 0.0, 0.0, 40.0 + 0.03 * n])
    np.testing.assert_allclose(res.after_cr, (res.net_claims - res.draw + 10.0 + 0.03 * n) / n)
    s = res.summary()
    assert s.loc["after_reserve", "tvar_99"] < s.loc["net", "tvar_99"]


def test_reserve_draw_on_the_net_ratio_by_default():
    r = CatastropheReserve(0.0, balance=1e9)              # trigger 75% (财金〔2013〕129号)
    np.testing.assert_allclose(r.draw([50.0, 80.0], premium=[100.0, 100.0]), [0.0, 5.0])
    capped = CatastropheReserve(0.0, balance=1e9, cap_lr=0.8)
    np.testing.assert_allclose(capped.draw([90.0], premium=100.0), [5.0])


# -------------------------------------------------------------------------- bad input, plot


def test_bad_input_is_refused():
    with pytest.raises(ParameterError, match="exactly one of rate_on_line"):
        PerRiskXL(10.0, 20.0)
    with pytest.raises(ParameterError, match="exactly one of rate_on_line"):
        StopLoss(0.9, 1.5, rate_on_line=0.1, loading=0.1)
    with pytest.raises(ParameterError, match="0.3, not 30"):
        QuotaShare(30)
    with pytest.raises(ParameterError, match="exhaustion_lr"):
        StopLoss(1.5, 0.9, loading=0.0)
    with pytest.raises(ParameterError, match="reinstatements"):
        PerRiskXL(1.0, 2.0, reinstatements=1.5, loading=0.0)
    with pytest.raises(ParameterError, match="cannot follow"):
        Programme([StopLoss(0.9, 1.5, loading=0.0), PerRiskXL(1.0, 2.0, loading=0.0)])
    with pytest.raises(ParameterError, match="needs event="):
        Programme([PerEventXL(1.0, 2.0, loading=0.0)]).run(np.ones((2, 2)), 10.0)
    with pytest.raises(ParameterError, match="use run"):
        Programme([PerRiskXL(1.0, 2.0, loading=0.0)]).on_law(Empirical([1.0, 2.0]), 10.0)
    with pytest.raises(ParameterError, match="≥ 0"):
        Programme([]).run(np.array([1.0, -2.0]), 10.0)
    with pytest.raises(ParameterError, match="net earned premium ≤ 0"):
        Programme([QuotaShare(1.0)]).run(np.array([1.0, 2.0]), 10.0)
    with pytest.raises(ParameterError, match="premium"):
        Programme([]).run(np.array([1.0]), 0.0)
    with pytest.raises(ParameterError, match="expense_ratio"):
        Programme([]).run(np.array([1.0]), 10.0, expense_ratio=1.2)


def test_plot_draws_three_distributions(compound):
    import matplotlib.pyplot as plt

    res = Programme([StopLoss(0.9, 1.5, rate_on_line=0.05)],
                    reserve=CatastropheReserve(0.0, trigger_lr=1.5, balance=1e4)).on_law(
        compound, PREMIUM)
    ax = res.plot()
    assert len(ax.get_lines()) == 4 and math.isclose(ax.get_lines()[-1].get_xdata()[0], 1.0)
    plt.close(ax.figure)
