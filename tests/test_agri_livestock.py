"""Issue 14, livestock (能繁母猪, 育肥猪) and 农房 cover on the shared pipeline.

Every number is held to an independent computation: the mixture's closed-form expectation, the
portfolio death count against a direct convolution of scipy's negative binomial pmfs, the FFT
law of the claims and the combined ratio against seeded simulations written here with numpy
alone, the maximum-likelihood fit against data simulated with known parameters, the per-event
excess of loss against the reinsurance programme run on simulated years, and the schedules
against the published figures (sources in docs/datasets.md, "Livestock and 农房").
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from puhui.agri import farmer_premium, rate_band, subsidy_split
from puhui.agri.farmhouse import (
    DEFAULT_PERILS,
    FarmhouseCover,
    FarmhouseModel,
    Peril,
    price_farmhouse,
)
from puhui.agri.livestock import (
    DEFAULT_EXPENSES,
    HerdMortality,
    HerdMortalityFitter,
    LivestockCover,
    PortfolioDeaths,
    burn_ratios,
    finishing_pig_cover,
    price_livestock,
    sow_cover,
)
from puhui.datasets import livestock as data_module
from puhui.errors import DataError, ParameterError
from puhui.losses import aggregate
from puhui.ratios import CombinedRatioDistribution
from puhui.reinsurance import PerEventXL, Programme, StopLoss
from puhui.rules import RegulationBreach

SOW = HerdMortality(0.035, 0.14, 0.10, ordinary_dispersion=8.0, epidemic_dispersion=3.0)
FIN = HerdMortality(0.055, 0.15, 0.10, ordinary_dispersion=6.0, epidemic_dispersion=3.0)


# ------------------------------------------------------------------ schedules and closed forms

def test_published_schedules_and_farmer_premium():
    # A county's 2021-era schedule (dyrmt.com, docs/datasets.md): 能繁母猪 1,500 元/头 at 6% = 90 元,
    # 育肥猪 800 元/头 at 5.5% = 44 元; 中央 50%, 省 23%, 县 7%, 农户 20%.
    split = subsidy_split("livestock", "central", provincial=0.23, county=0.07)
    assert split.central == 0.50 and split.farmer == pytest.approx(0.20)
    assert sow_cover().sum_insured * 0.06 == pytest.approx(90.0)
    assert finishing_pig_cover().sum_insured * 0.055 == pytest.approx(44.0)
    assert float(farmer_premium(1500.0, 0.06, split)) == pytest.approx(18.0)
    assert float(farmer_premium(800.0, 0.055, split)) == pytest.approx(8.8)
    # eastern provinces: 中央 40% for livestock (the subsidy rulebook)
    assert subsidy_split("livestock", "eastern", provincial=0.3).central == 0.40


def test_pure_rate_is_the_mixture_expectation():
    # by hand: q̄ = 0.9 · 3.5% + 0.1 · 14% = 4.55%; a sow death pays 1,500 元
    assert SOW.mean_rate == pytest.approx(0.0455, abs=1e-15)
    assert sow_cover().pure_rate(SOW) == pytest.approx(0.0455, abs=1e-15)
    # 育肥猪, δ = 10%: q̄ = 0.9 · 5.5% + 0.1 · 15% = 6.45%; mean share .15·.3 + .15·.4 + .25·.6
    # + .25·.8 + .2·1 = 0.655; per head 0.0645 · 800 · 0.9 · 0.655 = 30.4182 元
    c = finishing_pig_cover(deductible=0.10)
    assert c.mean_share == pytest.approx(0.655, abs=1e-15)
    assert float(c.expected_loss_per_head(FIN)) == pytest.approx(30.4182, abs=1e-9)
    assert c.pure_rate(FIN) == pytest.approx(30.4182 / 800, abs=1e-12)


def test_portfolio_deaths_against_a_direct_convolution():
    heads = [20, 35, 35, 60]
    T = PortfolioDeaths(SOW, heads)
    size = 400
    mixture = np.zeros(size)
    for weight, q, alpha in ((0.9, 0.035, 8.0), (0.1, 0.14, 3.0)):
        pmf = np.zeros(size)
        pmf[0] = 1.0
        for n in heads:                       # scipy's NB(α, p = α/(α + nq)) per herd
            herd = stats.nbinom.pmf(np.arange(size), alpha, alpha / (alpha + n * q))
            pmf = np.convolve(pmf, herd)[:size]
        mixture += weight * pmf
    np.testing.assert_allclose(T.pmf(np.arange(size)), mixture, rtol=0, atol=1e-15)
    k = np.arange(size)
    mean = float((k * mixture).sum())
    var = float(((k - mean) ** 2 * mixture).sum())
    third = float(((k - mean) ** 3 * mixture).sum())
    assert T.cumulants() == pytest.approx((mean, var, third), rel=1e-10)
    assert T.p0 == pytest.approx(mixture[0], rel=1e-12)
    with pytest.raises(ParameterError, match="a, b, 0"):   # Panjer's recursion reads a and b
        _ = T.a


def test_price_claims_law_and_rules():
    heads = np.repeat([50, 120, 300], [20, 15, 5])
    res = price_livestock(sow_cover(), SOW, heads, loading=0.20, factor=1.05,
                          provincial=0.23, county=0.07)
    total = heads.sum()
    # the FFT law of the year's claims has the closed-form mean, and its moment self-check
    assert res.claims.mean() == pytest.approx(0.0455 * 1500 * total, rel=1e-12)
    assert abs(res.claims.var_rel_error) < 1e-9
    # rate = 4.55% / (1 − 20%) × 1.05 (the 2023 formula) and the premium
    assert res.rate == pytest.approx(0.0455 / 0.8 * 1.05, rel=1e-14)
    assert res.premium == pytest.approx(res.rate * 1500 * total, rel=1e-14)
    assert res.farmer_premium_per_head == pytest.approx(res.rate * 1500 * 0.20, rel=1e-12)
    # expected CR = (E + F)/P + v with the one expense model
    v = DEFAULT_EXPENSES.variable_rate
    assert res.expected_combined_ratio == pytest.approx(0.8 / 1.05 + v, rel=1e-12)
    assert res.combined_ratio.mean() == pytest.approx(res.expected_combined_ratio, rel=1e-10)
    # break-even rate: premium × (1 − v) = expected claims
    assert res.break_even_rate == pytest.approx(0.0455 / (1 - v), rel=1e-12)
    assert set(res.rules["rule"]) == {"agri.loading_cap.subsidised", "agri.factor_band.subsidised",
                                      "agri.subsidy.central.livestock.central_west_northeast"}
    assert res.rules["passed"].all() and (res.rules["kind"] == "regulation").all()
    assert res.summary().loc["rules_passed", "value"]
    # an epidemic year (p = 10%) is a year above 100%: P(CR > 100%) ≈ p, and not below it
    assert 0.09 < res.p_cr_above_100 < 0.12
    with pytest.raises(RegulationBreach, match="附加费率"):
        price_livestock(sow_cover(), SOW, heads, loading=0.25)
    with pytest.raises(RegulationBreach, match="费率调整系数"):
        price_livestock(sow_cover(), SOW, heads, loading=0.20, factor=1.30)
    # off subsidy the band is [0.5, 1.5] and there is no cap at 20%
    price_livestock(sow_cover(), SOW, heads, loading=0.25, factor=1.3, subsidised=False)


def _simulate_claims(mortality, cover, heads, years, rng):
    """The year's claims drawn with numpy alone: state, gamma rates, Poisson deaths, classes."""
    heads = np.asarray(heads, float)
    epidemic = rng.random(years) < mortality.epidemic_probability
    q = np.where(epidemic, mortality.epidemic_rate, mortality.ordinary_rate)[:, None]
    a = np.where(epidemic, mortality.epidemic_dispersion, mortality.ordinary_dispersion)[:, None]
    rates = rng.gamma(a, q / a, (years, heads.size))
    deaths = rng.poisson(rates * heads).sum(axis=1)
    classes = rng.multinomial(deaths, cover.death_shares)
    return classes @ cover.amounts()


def test_combined_ratio_distribution_against_a_seeded_simulation():
    cover = finishing_pig_cover()
    heads = np.repeat([300, 800, 1500], [6, 4, 2])
    res = price_livestock(cover, FIN, heads, loading=0.20)
    years = 40_000
    s = _simulate_claims(FIN, cover, heads, years, np.random.default_rng(20240601))
    v = res.variable_rate
    fixed = float(DEFAULT_EXPENSES.amount(heads.sum(), 0.0))
    cr = s / res.premium + v + fixed / res.premium
    assert s.mean() == pytest.approx(res.expected_claims, rel=4 * s.std() / s.mean()
                                     / math.sqrt(years))
    for c in (0.7, 0.9, 1.0, 1.5, 2.0):
        sim = float((cr > c).mean())
        se = math.sqrt(max(sim * (1 - sim), 1e-4) / years)
        assert float(res.combined_ratio.sf(c)) == pytest.approx(sim, abs=4 * se + 1e-3)
    # the same law by the loss core's own simulation (explicit seed) agrees too (a smaller
    # portfolio: the loss core draws every death's indemnity)
    small = heads[:2]
    fft = price_livestock(cover, FIN, small, loading=0.20)
    sim_res = price_livestock(cover, FIN, small, loading=0.20, method="simulation", seed=7)
    assert sim_res.p_cr_above_100 == pytest.approx(fft.p_cr_above_100, abs=0.006)


@settings(max_examples=12, deadline=None)
@given(d1=st.floats(0.0, 0.5), d2=st.floats(0.0, 0.5), p=st.floats(0.0, 0.3))
def test_deductible_never_raises_the_cost_or_the_risk(d1, d2, p):
    lo, hi = sorted((d1, d2))
    m = HerdMortality(0.04, 0.15, p, ordinary_dispersion=6.0, epidemic_dispersion=3.0)
    heads = [80, 150, 150, 400]
    a, b = sow_cover(deductible=lo), sow_cover(deductible=hi)
    assert b.pure_rate(m) <= a.pure_rate(m) + 1e-15
    premium = 0.06 * 1500 * sum(heads)       # the same premium: the deductible cuts the risk
    probs = []
    for cover in (a, b):
        law = aggregate(m.deaths(heads), cover.severity(), "fft", step=cover.lattice_step())
        probs.append(CombinedRatioDistribution(law, premium, 0.15, 0.0, 0.0).prob_above(1.0))
    assert probs[1] <= probs[0] + 1e-12


# ------------------------------------------------------------------ fit

def _history(m, heads, years, rng):
    epidemic = rng.random(years) < m.epidemic_probability
    q = np.where(epidemic, m.epidemic_rate, m.ordinary_rate)[:, None]
    a = np.where(epidemic, m.epidemic_dispersion, m.ordinary_dispersion)[:, None]
    deaths = rng.poisson(rng.gamma(a, q / a, (years, heads.size)) * heads)
    return epidemic, pd.DataFrame({"herd": np.tile(np.arange(heads.size), years),
                                   "year": np.repeat(np.arange(years), heads.size),
                                   "heads": np.tile(heads, years), "deaths": deaths.ravel()})


def test_fit_recovers_known_parameters():
    truth = HerdMortality(0.04, 0.12, 0.15, ordinary_dispersion=6.0, epidemic_dispersion=2.5)
    rng = np.random.default_rng(11)
    heads = rng.integers(80, 400, 20).astype(float)
    epidemic, hist = _history(truth, heads, 100, rng)
    fit = HerdMortalityFitter().fit(hist)
    m, se = fit.mortality_, fit.se_
    for name in ("ordinary_rate", "epidemic_rate", "epidemic_probability",
                 "ordinary_dispersion", "epidemic_dispersion"):
        assert abs(getattr(m, name) - getattr(truth, name)) < 3.5 * se[name], name
    assert m.ordinary_rate == pytest.approx(0.04, rel=0.03)
    assert m.epidemic_rate == pytest.approx(0.12, rel=0.08)
    assert abs(m.epidemic_probability - epidemic.mean()) < 0.01    # the years are told apart
    assert ((fit.posterior_ > 0.5).to_numpy() == epidemic).all()
    # the maximum is a maximum: at least the likelihood of the truth
    assert fit.loglik_ >= truth.log_likelihood(hist["deaths"], hist["heads"], hist["year"]) - 1e-6
    assert fit.lr_statistic_ > 100 and fit.converged_
    s = fit.summary()
    assert list(s.columns) == ["estimate", "se"] and s.attrs["n_herd_years"] == 2000


def test_fit_on_the_bundled_herds_finds_the_planted_epidemic_years():
    data = data_module.load_livestock()
    fit = HerdMortalityFitter().fit(data.sow_herds)
    assert fit.summary().attrs["epidemic_years"] == [2018, 2019]
    m = fit.mortality_
    assert m.ordinary_rate == pytest.approx(data_module.SOW_TRUTH.ordinary_rate, rel=0.08)
    assert m.epidemic_rate == pytest.approx(data_module.SOW_TRUTH.epidemic_rate, rel=0.15)
    assert m.epidemic_probability == pytest.approx(2 / 17, abs=1e-3)
    # the schedule rate (6%) lies in the 2023 band of the fitted pure rate at a 20% loading
    low, high = rate_band(sow_cover().pure_rate(m), 0.20)
    assert low <= 0.06 <= high
    # 育肥猪: the schedule rate 5.5% lies in the band of the generator's pure rate
    low, high = rate_band(finishing_pig_cover().pure_rate(data_module.FINISHING_TRUTH), 0.20)
    assert low <= 0.055 <= high
    # burn ratios: the epidemic years are the two above 100%
    burn = burn_ratios(data.sow_herds)
    assert burn.index[burn["combined_ratio"] > 1].tolist() == [2018, 2019]


# ------------------------------------------------------------------ bad input

@pytest.mark.parametrize("build, match", [
    (lambda: HerdMortality(-0.01, 0.1, 0.1), "ordinary_rate"),
    (lambda: HerdMortality(0.05, 0.04, 0.1), "must exceed"),
    (lambda: HerdMortality(0.04, 0.1, 1.0), "epidemic_probability"),
    (lambda: HerdMortality(0.04, 0.1, 0.1, ordinary_dispersion=0.0), "α_0"),
    (lambda: HerdMortality(4.0, 10.0, 0.1), "write 4% as 0.04"),
    (lambda: LivestockCover("cow"), "animal"),
    (lambda: LivestockCover("sow", 0.0), "sum_insured"),
    (lambda: sow_cover(deductible=1.0), "绝对免赔率"),
    (lambda: LivestockCover("finishing", 800.0, 0.0, (0.5, 1.0), (0.5, 0.4)), "sum to 1"),
    (lambda: LivestockCover("finishing", 800.0, 0.0, (0.5, 1.0), (1.0,)), "one entry"),
    (lambda: LivestockCover("finishing", 800.0, 0.0, (0.1234, 1.0), (0.5, 0.5)), "lattice"),
    (lambda: PortfolioDeaths(SOW, [10, 0]), "whole numbers ≥ 1"),
    (lambda: PortfolioDeaths(SOW, [10.5]), "whole numbers ≥ 1"),
    (lambda: SOW.simulate([10], 5, None), "seed"),
    (lambda: price_livestock(sow_cover(), SOW, [10], method="panjer"), "method"),
    (lambda: price_livestock(sow_cover(), SOW, [10], method="simulation"), "seed"),
    (lambda: HerdMortalityFitter(dispersion="free"), "dispersion"),
    (lambda: Peril("hail", 1.0, 0.01, 1.0, 0.1, 0.3, 0.5), "peril name"),
    (lambda: Peril("flood", 1.0, 1.5, 1.0, 0.1, 0.3, 0.5), "share_damaged"),
    (lambda: Peril("flood", 1.0, 0.01, 1.0, 0.1, 0.9, 0.5), "too large for a Beta"),
    (lambda: FarmhouseCover(40_000.0, deductible=40_000.0), "below the sum insured"),
    (lambda: FarmhouseModel(0, FarmhouseCover(), DEFAULT_PERILS), "households"),
    (lambda: FarmhouseModel(10, FarmhouseCover(), DEFAULT_PERILS * 2), "each peril once"),
    (lambda: FarmhouseModel(10, FarmhouseCover(), DEFAULT_PERILS).simulate(3, None), "seed"),
    (lambda: FarmhouseModel(10, FarmhouseCover(), DEFAULT_PERILS).expected_recovery(
        PerEventXL(1e5, 1e6, reinstatements=1, loading=0.2)), "unlimited"),
])
def test_bad_parameters_are_refused(build, match):
    with pytest.raises(ParameterError, match=match):
        build()


def test_bad_histories_name_the_row():
    good = pd.DataFrame({"herd": ["A", "B", "A", "B", "A", "B"], "year": [1, 1, 2, 2, 3, 3],
                         "heads": [10, 20, 10, 20, 10, 20], "deaths": [1, 2, 0, 25, 1, 1]})
    with pytest.raises(DataError) as err:
        HerdMortalityFitter().fit(good)
    p = err.value.problems[0]
    assert (p.column, p.row, p.rule) == ("deaths", 4, "deaths_above_heads")
    bad = good.assign(deaths=[1, 2, 0, 2, -1, 1.5])
    rules = {(q.row, q.rule) for q in pytest.raises(DataError, HerdMortalityFitter().fit,
                                                    bad).value.problems}
    assert rules == {(5, "not_a_count"), (6, "not_a_count")}
    dup = good.assign(deaths=1, year=[1, 1, 1, 2, 3, 3])
    assert pytest.raises(DataError, HerdMortalityFitter().fit, dup).value.problems[0].rule \
        == "duplicate"
    assert pytest.raises(DataError, HerdMortalityFitter().fit, good.drop(columns="heads")
                         ).value.problems[0].rule == "missing_column"
    two = good.assign(deaths=1)[good["year"] < 3]
    assert pytest.raises(DataError, HerdMortalityFitter().fit, two).value.problems[0].rule \
        == "too_few_years"


# ------------------------------------------------------------------ determinism

def test_seeded_determinism():
    a, b = data_module.generate_livestock(), data_module.generate_livestock()
    for name in ("sow_herds", "finishing_herds", "farmhouse_exposure", "farmhouse_events",
                 "farmhouse_claims"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.planted == b.planted and a.planted["deaths_capped_at_heads"] == {"sow": 0,
                                                                              "finishing": 0}
    other = data_module.generate_livestock(seed=1)
    assert not other.sow_herds["deaths"].equals(a.sow_herds["deaths"])
    loaded = data_module.load_livestock()
    loaded.sow_herds.loc[0, "deaths"] = -5                       # a copy: the cache is safe
    assert data_module.load_livestock().sow_herds.loc[0, "deaths"] == a.sow_herds.loc[0, "deaths"]
    s1, s2 = SOW.simulate([50, 60], 30, seed=3), SOW.simulate([50, 60], 30, seed=3)
    assert (s1["deaths"] == s2["deaths"]).all() and (s1["epidemic"] == s2["epidemic"]).all()
    model = FarmhouseModel(5_000, FarmhouseCover(), DEFAULT_PERILS)
    pd.testing.assert_frame_equal(model.simulate(50, seed=9), model.simulate(50, seed=9))
    heads = [100, 200]
    r1 = price_livestock(sow_cover(), SOW, heads, method="simulation", seed=5)
    r2 = price_livestock(sow_cover(), SOW, heads, method="simulation", seed=5)
    assert r1.p_cr_above_100 == r2.p_cr_above_100


def test_bundled_tables_obey_the_schedules():
    d = data_module.load_livestock()
    sows, fin = d.sow_herds, d.finishing_herds
    assert (sows["deaths"] <= sows["heads"]).all() and (fin["deaths"] <= fin["heads"]).all()
    assert set(sows.loc[sows["year"] >= 2019, "sum_insured"]) == {1500.0}
    assert set(fin.loc[fin["year"] < 2019, "sum_insured"]) == {500.0}
    np.testing.assert_allclose(sows["paid"], sows["deaths"] * sows["sum_insured"])
    cls = fin[[c for c in fin.columns if c.startswith("deaths_")]].to_numpy()
    assert (cls.sum(axis=1) == fin["deaths"]).all()
    pay = np.where(fin["sum_insured"] == 800.0, finishing_pig_cover(800.0).pay(cls),
                   finishing_pig_cover(500.0).pay(cls))
    np.testing.assert_allclose(fin["paid"], pay)
    claims, events = d.farmhouse_claims, d.farmhouse_events
    np.testing.assert_allclose(claims["paid"], FarmhouseCover(40_000.0).pay(claims["damage_ratio"]))
    assert not claims.duplicated(["event", "household"]).any()
    per_event = claims.groupby("event")["paid"].sum()
    np.testing.assert_allclose(events.set_index("event")["loss"].loc[per_event.index], per_event)


# ------------------------------------------------------------------ 农房

@pytest.fixture(scope="module")
def farmhouse():
    return FarmhouseModel(20_000, FarmhouseCover(40_000.0), DEFAULT_PERILS)


def test_farmhouse_law_against_closed_form_and_simulation(farmhouse):
    # closed form by hand: Σ λ N m E[Z] SI
    hand = 40_000 * 20_000 * (1.2 * 0.0005 * (0.15 + 0.85 * 0.30)
                              + 0.6 * 0.0003 * (0.10 + 0.90 * 0.35)
                              + 0.05 * 0.002 * (0.30 + 0.70 * 0.40))
    assert farmhouse.expected_annual_loss() == pytest.approx(hand, rel=1e-12)
    law = farmhouse.annual_loss()
    assert law.mean() == pytest.approx(hand, rel=1e-8)
    years = 30_000
    totals = farmhouse.annual_totals(farmhouse.simulate(years, seed=2024), years)
    assert totals.mean() == pytest.approx(hand, rel=4 * totals.std() / hand / math.sqrt(years))
    for t in (0.0, 2e5, 1e6, 3e6, 1e7):
        sim = float((totals > t).mean())
        se = math.sqrt(max(sim * (1 - sim), 1e-4) / years)
        # the FFT discretises each house's payout on 800 元: compare a step either side
        fft = float(law.sf(t))
        assert fft == pytest.approx(sim, abs=4 * se + 2e-3), t
    assert farmhouse.excess_probability().max() < 1e-30
    # the loss core's own simulation of the same compound (explicit seed) agrees
    mc = farmhouse.annual_loss(method="simulation", seed=5, n_sim=20_000)
    assert mc.mean() == pytest.approx(hand, rel=4 * mc.std() / hand / math.sqrt(20_000))
    with pytest.raises(ParameterError, match="seed"):
        farmhouse.annual_loss(method="simulation")


def test_farmhouse_price_within_published_rates(farmhouse):
    res = price_farmhouse(farmhouse, target_combined_ratio=0.95)
    assert res.expected_combined_ratio == pytest.approx(0.95, rel=1e-12)
    assert res.combined_ratio.mean() == pytest.approx(0.95, rel=1e-6)
    # published premiums per household: 云浮 8.3 元 on 80,000 (0.104‰), 浙江 10 元 on 18,000
    # (0.556‰), 抚顺 20 元 on 30,000 (0.667‰) — docs/datasets.md
    assert 8.3 / 80_000 < res.rate < 20 / 30_000
    assert 0.2 < res.p_cr_above_100 < 0.35          # most years pay little, a few pay a lot
    assert res.summary().loc["rate_permille", "value"] == pytest.approx(1000 * res.rate)


def test_per_event_excess_of_loss_and_stop_loss(farmhouse):
    res = price_farmhouse(farmhouse)
    xl_free = PerEventXL(1_000_000.0, 4_000_000.0, loading=0.3)
    exact = farmhouse.expected_recovery(xl_free)
    years = 20_000
    events = farmhouse.simulate(years, seed=31)
    ceded = np.clip(events["loss"].to_numpy() - 1e6, 0, 4e6)
    assert ceded.sum() / years == pytest.approx(
        exact, rel=4 * ceded.std() * math.sqrt(len(events)) / ceded.sum())
    prog = Programme([PerEventXL(1_000_000.0, 4_000_000.0, reinstatements=1, loading=0.3),
                      StopLoss(0.9, 1.5, rate_on_line=0.10)])
    out = prog.run(events["loss"], res.premium, scenario=events["year"].to_numpy(),
                   event=events["event"].to_numpy(), n_scenarios=years,
                   expense_ratio=res.assumptions["variable_rate"])
    assert (out.net_claims <= out.gross_claims + 1e-6).all()
    gross = farmhouse.annual_totals(events, years)
    np.testing.assert_allclose(out.gross_claims, gross)
    table = out.summary()
    assert list(table.index) == ["gross", "net", "after_reserve"]
    # the per-event layer pays each event's part in [1m, 5m], at most twice a year
    first = out.ceded["1:PerEventXL"]
    assert first.max() <= 8e6 + 1e-6
    assert table.loc["net", "var_99"] < table.loc["gross", "var_99"]
