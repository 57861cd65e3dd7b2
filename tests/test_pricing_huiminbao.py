"""惠民保 pricing: experience and model prices checked against brute force and hand computation."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

matplotlib.use("Agg")

from puhui.errors import DataError, ParameterError  # noqa: E402
from puhui.huiminbao import Product, example_product_path  # noqa: E402
from puhui.huiminbao.cost_model import CostModelFitter  # noqa: E402
from puhui.huiminbao.member_payouts import member_payouts  # noqa: E402
from puhui.huiminbao.pricing import price_from_experience, price_from_model  # noqa: E402
from puhui.pricing import Expenses  # noqa: E402
from puhui.pricing.loading import gross_premium, risk_margin  # noqa: E402
from puhui.tuning.costs import CostModel  # noqa: E402

SEGMENTS = ("healthy", "preexisting")


@pytest.fixture(scope="module")
def product():
    return Product.from_toml(example_product_path())


@pytest.fixture(scope="module")
def bundled():
    import puhui.datasets as ds

    return ds.load_huiminbao()


def synthetic(seed: int, n: int = 2000):
    """Member-years over 2023–2025 with lognormal costs on the example product's lines."""
    rng = np.random.default_rng(seed)
    pol = pd.DataFrame({
        "policy_id": [f"P{i:05d}" for i in range(n)],
        "segment": np.where(rng.random(n) < 0.25, "preexisting", "healthy"),
        "policy_year": rng.choice([2023, 2024, 2025], n),
        "age": rng.integers(18, 90, n),
    })
    parts = []
    for line in ("in_catalogue", "out_of_catalogue", "special_drugs"):
        has = np.flatnonzero(rng.random(n) < 0.3)
        parts.append(pd.DataFrame({"policy_id": pol["policy_id"].to_numpy()[has],
                                   "benefit_line": line,
                                   "cost": np.round(rng.lognormal(9.3, 1.3, has.size), 2)}))
    return pol, pd.concat(parts, ignore_index=True)


def brute_force(product, pol, cst, trend, pricing_year, band_of=None):
    """Plain-Python loop over member records: expected payout per member-year by line × cell."""
    cost = defaultdict(float)
    for r in cst.itertuples():
        cost[(r.policy_id, r.benefit_line)] += r.cost
    total, count, latest = defaultdict(float), defaultdict(float), defaultdict(float)
    last = pol["policy_year"].max()
    for r in pol.itertuples():
        cell = (r.segment, "all" if band_of is None else band_of(r.age))
        count[cell] += 1.0
        if r.policy_year == last:
            latest[cell] += 1.0
        for line in product.lines:
            t = line.terms[r.segment]
            x = cost.get((r.policy_id, line.name), 0.0) * (1 + trend) ** (pricing_year
                                                                           - r.policy_year)
            total[(line.name, cell)] += min(t.payout_ratio * max(x - t.deductible, 0.0), t.cap)
    expected = {k: v / count[k[1]] for k, v in total.items()}
    return expected, latest


# -- pure premium equals brute force ----------------------------------------------------------


def test_experience_equals_brute_force_loop(product):
    pol, cst = synthetic(1)
    res = price_from_experience(product, pol, cst, trend=0.06, pricing_year=2026)
    expected, latest = brute_force(product, pol, cst, 0.06, 2026)
    cells = res.cells.set_index(["line", "segment"])
    for (line, (seg, _)), value in expected.items():
        assert cells.loc[(line, seg), "expected_payout"] == pytest.approx(value, rel=1e-12)
    n = sum(latest.values())
    pure = sum(latest[(s, "all")] / n * sum(expected[(ln.name, (s, "all"))]
                                           for ln in product.lines) for s in SEGMENTS)
    assert res.pure_premium == pytest.approx(pure, rel=1e-12)
    assert res.summary().loc[("total", "all lines"), "pure_premium"] == pytest.approx(pure,
                                                                                      rel=1e-12)


def test_bundled_experience_equals_pandas_computation(product, bundled):
    pol, cst = bundled.policies, bundled.costs
    res = price_from_experience(product, pol, cst)
    # independent: pivot the costs, trend by (1.06)^(2026 − year), pay, group by segment
    wide = cst.pivot_table(index="policy_id", columns="benefit_line", values="cost",
                           aggfunc="sum").reindex(pol["policy_id"]).fillna(0.0)
    factor = 1.06 ** (2026 - pol["policy_year"].to_numpy())
    seg = pol["segment"].to_numpy()
    for line in product.lines:
        x = wide[line.name].to_numpy() * factor
        for s in SEGMENTS:
            t = line.terms[s]
            pay = np.minimum(t.payout_ratio * np.clip(x - t.deductible, 0, None), t.cap)
            want = pay[seg == s].mean()
            got = res.cells.set_index(["line", "segment"]).loc[(line.name, s)]
            assert got["expected_payout"] == pytest.approx(want, rel=1e-10)
            assert got["share_paid"] == pytest.approx((pay[seg == s] > 0).mean(), rel=1e-12)
    mix = pol.loc[pol["policy_year"] == 2025, "segment"].value_counts(normalize=True)
    e_seg = res.cells.groupby("segment")["expected_payout"].sum()
    assert res.pure_premium == pytest.approx(float((mix * e_seg).sum()), rel=1e-12)
    assert res.assumptions["members"] == 188_000  # the 2025 book


def test_age_banded_product_equals_brute_force(product):
    bands = ((18, 50, 60.0), (50, 70, 120.0), (70, 96, 260.0))
    banded = replace(product, flat_price=None, age_bands=bands)
    pol, cst = synthetic(2)

    def band_of(age):
        return next(f"{lo:g}-{hi:g}" for lo, hi, _ in bands if lo <= age < hi)

    res = price_from_experience(banded, pol, cst, trend=0.05, pricing_year=2027)
    expected, latest = brute_force(banded, pol, cst, 0.05, 2027, band_of)
    prem = res.by_band()
    for lo, hi, _ in bands:
        b = f"{lo:g}-{hi:g}"
        w = {s: latest[(s, b)] for s in SEGMENTS}
        want = sum(w[s] * sum(expected[(ln.name, (s, b))] for ln in banded.lines)
                   for s in SEGMENTS) / sum(w.values())
        assert prem.loc[b, "pure_premium"] == pytest.approx(want, rel=1e-12)
    assert isinstance(res.gross_premium, pd.Series)
    assert float(np.dot(prem["mix"], prem["pure_premium"])) == pytest.approx(res.pure_premium)


# -- trend before the deductible: leverage ----------------------------------------------------


def test_trend_is_applied_before_the_deductible(product, bundled):
    pol, cst = bundled.policies, bundled.costs
    one = dict(years=[2025], pricing_year=2026)
    flat = price_from_experience(product, pol, cst, trend=0.0, **one).cells
    up = price_from_experience(product, pol, cst, trend=0.06, **one).cells
    ratio = (up.set_index(["line", "segment"])["expected_payout"]
             / flat.set_index(["line", "segment"])["expected_payout"])
    # d = 20,000 / 40,000 > 0: a 6% cost trend raises the layer's payout by more than 6%
    for line in ("in_catalogue", "out_of_catalogue"):
        for s in SEGMENTS:
            assert ratio[(line, s)] > 1.06 + 0.005
    # special drugs have d = 0 and no claim near the cap: exactly 6% (no leverage)
    assert cst.loc[cst["benefit_line"] == "special_drugs", "cost"].max() * 1.06 < 1e6 / 0.6
    for s in SEGMENTS:
        assert ratio[("special_drugs", s)] == pytest.approx(1.06, rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(d=st.floats(0.0, 50_000.0), r=st.floats(0.05, 1.0), g=st.floats(0.0, 0.3),
       seed=st.integers(0, 10_000))
def test_trended_payout_at_least_trend_property(d, r, g, seed):
    """Uncapped layer: pay((1+g)x) = r((1+g)x − d)₊ ≥ (1+g) r(x − d)₊ pointwise."""
    base = Product.from_toml(example_product_path())
    prod = base
    for line in base.lines:
        for s in SEGMENTS:
            prod = prod.with_terms(line.name, s, deductible=d, payout_ratio=r, cap=None)
    pol, cst = synthetic(seed, n=300)
    a = price_from_experience(prod, pol, cst, trend=0.0, pricing_year=2026, measure="none",
                              method="normal").cells["expected_payout"].to_numpy()
    b = price_from_experience(prod, pol, cst, trend=g, pricing_year=2026, measure="none",
                              method="normal").cells["expected_payout"].to_numpy()
    # with trend the 2025 costs grow by 1+g, older years by more
    assert np.all(b >= (1 + g) * a * (1 - 1e-12))


@settings(max_examples=30, deadline=None)
@given(d1=st.floats(0.0, 40_000.0), dd=st.floats(0.0, 40_000.0), seed=st.integers(0, 1000))
def test_premium_falls_as_deductible_rises(product, d1, dd, seed):
    pol, cst = synthetic(seed, n=400)
    prices = []
    for d in (d1, d1 + dd):
        prod = product.with_terms("in_catalogue", "healthy", deductible=d)
        prices.append(price_from_experience(prod, pol, cst, measure="none",
                                            method="normal").pure_premium)
    assert prices[1] <= prices[0] + 1e-9


# -- gross-up arithmetic -----------------------------------------------------------------------


def test_gross_premium_hand_computed():
    # (80 + 2 + 5) / (1 − 0.098) = 87 / 0.902
    assert gross_premium(80.0, variable_rate=0.098, expense_per_member=2.0,
                         margin=5.0) == pytest.approx(96.45232815964523, rel=1e-14)
    # (80 + 2) / (0.95 − 0.098) = 82 / 0.852
    assert gross_premium(80.0, variable_rate=0.098, expense_per_member=2.0,
                         target_combined_ratio=0.95,
                         basis="target") == pytest.approx(96.24413145539906, rel=1e-14)
    got = gross_premium([80.0, 10.0], variable_rate=0.098, expense_per_member=2.0, margin=5.0,
                        target_combined_ratio=0.95, basis="max")
    np.testing.assert_allclose(got, [96.45232815964523, max(17 / 0.902, 12 / 0.852)],
                               rtol=1e-14)
    with pytest.raises(ParameterError, match="variable_rate"):
        gross_premium(80.0, variable_rate=1.0)
    with pytest.raises(ParameterError, match="exceed the variable"):
        gross_premium(80.0, variable_rate=0.5, target_combined_ratio=0.4, basis="target")
    with pytest.raises(ParameterError, match="basis"):
        gross_premium(80.0, variable_rate=0.1, basis="loss")


def test_result_gross_up_identities(product, bundled):
    pol, cst = bundled.policies, bundled.costs
    prod = replace(product, expenses=Expenses(commission=0.03, admin=0.06,
                                              protection_fund=0.008, per_member=3.0))
    v, e = 0.098, 3.0
    res = price_from_experience(prod, pol, cst)
    a = res.assumptions
    E, M, P = res.pure_premium, a["risk_margin"], res.gross_premium
    assert P == pytest.approx((E + e + M) / (1 - v), rel=1e-13)
    assert a["expected_cr"] == pytest.approx((E + e) / P + v, rel=1e-13)
    s = res.summary()
    tot = s.loc[("total", "all lines")]
    assert tot["gross_premium"] == pytest.approx(P, rel=1e-12)
    assert tot["expense_per_member"] == pytest.approx(e, rel=1e-12)
    assert tot["margin"] == pytest.approx(M, rel=1e-12)
    # lines add up to the segment, segments weighted by the mix to the portfolio
    for seg in SEGMENTS:
        part = s.loc[seg]
        assert part.drop("all lines")["gross_premium"].sum() == pytest.approx(
            part.loc["all lines", "gross_premium"], rel=1e-12)
    target = price_from_experience(prod, pol, cst, basis="target")
    assert target.expected_cr == pytest.approx(0.95, abs=1e-12)
    assert target.gross_premium == pytest.approx((E + e) / (0.95 - v), rel=1e-12)
    high = price_from_experience(prod, pol, cst, basis="max")
    assert high.gross_premium == pytest.approx(max(P, target.gross_premium), rel=1e-12)


# -- risk margin from the aggregate distribution --------------------------------------------------


def test_var_margin_bounds_probability_of_loss(product, bundled):
    pol, cst = bundled.policies, bundled.costs
    res = price_from_experience(product, pol, cst, level=0.95)
    agg, n = res.aggregate, res.assumptions["members"]
    # M = (VaR_95 − E[S]) / N, read off the aggregate distribution directly
    assert res.assumptions["risk_margin"] == pytest.approx(
        (agg.quantile(0.95) - agg.mean()) / n, rel=1e-12)
    assert res.prob_cr_above_100 <= 0.05 + 1e-12
    assert res.prob_cr_above_100 > 0.045
    # the aggregate of N i.i.d. members: mean N·E[Y], variance N·Var(Y) (compound binomial),
    # Y the total payout of a member drawn from the segment mix of 2025 (each segment's
    # member-years of all years equally likely within the segment)
    mp = member_payouts(product, pol, cst)
    y = mp.payout.sum(axis=1)
    seg = pol["segment"].to_numpy()
    pi = pol.loc[pol["policy_year"] == 2025, "segment"].value_counts(normalize=True)
    omega = np.zeros(len(y))
    for s in SEGMENTS:
        omega[seg == s] = pi[s] / (seg == s).sum()
    mean = float(omega @ y)
    # exact up to the FFT's round-off (the pmf sums to 1 within ~2e-9 on 2^17 nodes)
    assert agg.mean() == pytest.approx(n * mean, rel=1e-8)
    assert agg.var() == pytest.approx(n * (omega @ y**2 - mean**2), rel=2e-3)
    np2 = price_from_experience(product, pol, cst, level=0.95, method="np2")
    assert np2.prob_cr_above_100 == pytest.approx(0.05, abs=1e-9)
    assert np2.assumptions["risk_margin"] == pytest.approx(res.assumptions["risk_margin"],
                                                           rel=0.02)


def test_risk_margin_measures():
    from puhui.losses import Poisson, aggregate

    s = aggregate(Poisson(100.0), stats.expon(scale=1000.0), method="normal")
    sd = np.sqrt(2e8)  # Var = λ E[X²] = 100 · 2 · 1000²
    assert risk_margin(s, 1e4, "sd", 2.0) == pytest.approx(2 * sd / 1e4, rel=1e-12)
    assert risk_margin(s, 1e4, "var", 0.99) == pytest.approx(
        stats.norm.ppf(0.99) * sd / 1e4, rel=1e-12)
    # normal TVaR: σ φ(z)/(1 − p)
    assert risk_margin(s, 1e4, "tvar", 0.99) == pytest.approx(
        sd * stats.norm.pdf(stats.norm.ppf(0.99)) / 0.01 / 1e4, rel=1e-12)
    assert risk_margin(s, 1e4, "none") == 0.0
    with pytest.raises(ParameterError, match="level"):
        risk_margin(s, 1e4, "var", 1.0)


# -- credibility --------------------------------------------------------------------------------


def test_buhlmann_straub_credibility_across_years(product, bundled):
    pol, cst = bundled.policies, bundled.costs
    bands = [(18, 40), (40, 50), (50, 60), (60, 70), (70, 80), (80, 96)]
    res = price_from_experience(product, pol, cst, bands=bands, credibility="buhlmann_straub")
    c = res.cells
    assert c["z"].between(0, 1).all()
    for _, part in c.groupby(["line", "segment"]):
        z, raw, est = part["z"].to_numpy(), part["expected_payout_raw"].to_numpy(), \
            part["expected_payout"].to_numpy()
        m = np.dot(z, raw) / z.sum()  # collective = Σ z X̄ / Σ z
        np.testing.assert_allclose(est, m + z * (raw - m), rtol=1e-10)
    # the small 既往症 bands lean more on the collective than the big healthy ones
    zs = c.groupby("segment")["z"].mean()
    assert zs["preexisting"] < zs["healthy"]
    no_cred = price_from_experience(product, pol, cst, bands=bands)
    assert (no_cred.cells["expected_payout"] == no_cred.cells["expected_payout_raw"]).all()
    with pytest.raises(ParameterError, match="age bands"):
        price_from_experience(product, pol, cst, credibility="buhlmann_straub")


# -- fitted models ---------------------------------------------------------------------------------


def test_model_price_equals_numerical_integration(product):
    laws = {}
    rng = np.random.default_rng(0)
    for line in product.lines:
        for s in SEGMENTS:
            laws[(line.name, s)] = (float(rng.uniform(0.02, 0.3)),
                                    stats.lognorm(float(rng.uniform(0.8, 1.5)),
                                                  scale=float(rng.uniform(2e3, 9e3))))
    members = {"healthy": 90_000.0, "preexisting": 10_000.0}
    res = price_from_model(product, CostModel(laws, members))
    cells = res.cells.set_index(["line", "segment"])
    for line in product.lines:
        for s in SEGMENTS:
            q, law = laws[(line.name, s)]
            t = line.terms[s]
            top = t.deductible + t.cap / t.payout_ratio

            def integrand(x, law=law, t=t):
                return min(t.payout_ratio * max(x - t.deductible, 0.0), t.cap) * law.pdf(x)

            body = integrate.quad(integrand, t.deductible, top, limit=400, epsabs=0,
                                  epsrel=1e-12)[0]
            tail = t.cap * law.sf(top)
            assert cells.loc[(line.name, s), "expected_payout"] == pytest.approx(
                q * (body + tail), rel=1e-8)
            assert cells.loc[(line.name, s), "share_paid"] == pytest.approx(
                q * law.sf(t.deductible), rel=1e-12)
    pure = sum(members[s] / 1e5 * cells.xs(s, level="segment")["expected_payout"].sum()
               for s in SEGMENTS)
    assert res.pure_premium == pytest.approx(pure, rel=1e-12)
    # the FFT aggregate keeps the mean; NP2 on exact cumulants gives a close margin
    assert res.aggregate.mean() == pytest.approx(1e5 * pure, rel=1e-8)
    np2 = price_from_model(product, CostModel(laws, members), method="np2")
    assert np2.assumptions["risk_margin"] == pytest.approx(res.assumptions["risk_margin"],
                                                           rel=0.05)
    with pytest.raises(ParameterError, match="simulation"):
        price_from_model(product, CostModel(laws, members), method="simulation")


def test_cost_model_fitter_recovers_truth_under_truncation(product):
    rng = np.random.default_rng(11)
    n = 60_000
    pol = pd.DataFrame({"policy_id": np.arange(n), "policy_year": 2025,
                        "segment": np.where(np.arange(n) % 5 == 0, "preexisting", "healthy")})
    truth = {"healthy": (0.15, 1.1, 4000.0), "preexisting": (0.35, 1.2, 6000.0)}
    parts = []
    for line in product.lines:
        for s, (q, sigma, scale) in truth.items():
            ids = pol["policy_id"].to_numpy()[pol["segment"].to_numpy() == s]
            has = ids[rng.random(ids.size) < q]
            parts.append(pd.DataFrame({"policy_id": has, "benefit_line": line.name,
                                       "cost": scale * rng.lognormal(0.0, sigma, has.size)}))
    cst = pd.concat(parts, ignore_index=True)
    fit = CostModelFitter("lognorm", threshold=3000.0).fit(pol, cst)  # costs ≤ 3,000 unseen
    tab = fit.summary()
    for (_, s), row in tab.iterrows():
        q, sigma, scale = truth[s]
        n_s = row["member_years"]
        se = np.sqrt(q * (1 - q) / n_s) / row["sf_threshold"]  # binomial error, inflated
        assert abs(row["q"] - q) < 5 * se + 0.01 * q
        assert row["params"]["s"] == pytest.approx(sigma, rel=0.06)
        assert row["params"]["scale"] == pytest.approx(scale, rel=0.08)
    assert fit.pricing_year_ == 2026
    true_model = CostModel({(ln.name, s): (q, stats.lognorm(sg, scale=sc))
                            for ln in product.lines for s, (q, sg, sc) in truth.items()},
                           fit.model_.members())
    fitted = price_from_model(product, fit.model_, measure="none")
    exact = price_from_model(product, true_model, measure="none")
    assert fitted.pure_premium == pytest.approx(exact.pure_premium, rel=0.06)


# -- tables, figure and errors -----------------------------------------------------------------


def test_summary_and_plot(product, bundled):
    import matplotlib.pyplot as plt

    res = price_from_experience(product, bundled.policies, bundled.costs)
    s = res.summary()
    assert list(s.index.get_level_values("segment").unique()) == ["healthy", "preexisting",
                                                                  "total"]
    assert {"member_years", "expected_payout_raw", "share_paid", "pure_premium",
            "expense_per_member", "variable_expense", "margin", "gross_premium"} <= set(s)
    assert s.loc[("healthy", "all lines"), "share_paid"] < s.loc[("preexisting", "all lines"),
                                                                 "share_paid"]
    assert s.loc[("total", "all lines"), "share_paid"] == pytest.approx(
        res.assumptions["share_paid"])
    ax = res.plot()
    assert len(ax.patches) == 3 * (3 + 3)  # 3 groups × (3 lines + 3 loadings)
    plt.close(ax.figure)


def test_bad_input_is_named(product):
    pol, cst = synthetic(3, n=200)
    with pytest.raises(DataError, match="benefit_line"):
        price_from_experience(product, pol, pd.concat(
            [cst, pd.DataFrame({"policy_id": ["P00001"], "benefit_line": ["dental"],
                                "cost": [10.0]})]))
    bad = cst.copy()
    bad.loc[0, "cost"] = -5.0
    with pytest.raises(DataError, match="cost"):
        price_from_experience(product, pol, bad)
    with pytest.raises(DataError, match="policy_year"):
        price_from_experience(product, pol.drop(columns="policy_year"), cst)
    with pytest.raises(DataError, match="unknown_id"):
        price_from_experience(product, pol.iloc[5:], cst)
    with pytest.raises(ParameterError, match="mix"):
        price_from_experience(product, pol, cst, mix={"retired": 1.0})
    with pytest.raises(ParameterError, match="credibility"):
        price_from_experience(product, pol, cst, credibility="limited")
    with pytest.raises(ParameterError, match="seed"):
        price_from_experience(product, pol, cst, method="simulation")
    banded = replace(product, flat_price=None, age_bands=((18, 60, 80.0), (60, 96, 150.0)))
    with pytest.raises(ParameterError, match="price bands"):
        price_from_experience(banded, pol, cst, bands=[(18, 96)])
    with pytest.raises(ParameterError, match="flat price"):
        price_from_model(banded, None)


def test_large_books_keep_the_fft_grid_fine():
    # A city of 5 million members: the FFT grid spans E S + 12 σ(S) ≈ 200 million 元, and a
    # fixed 2^15 nodes would make the step ≈ 6,000 元, comparable to a paid amount, with a
    # variance error above 1%. The grid is refined so that the step stays ≤ mean paid / 16.
    import warnings

    from puhui.losses.aggregate_dist import AccuracyWarning
    from puhui.pricing.portfolio import STEPS_PER_CLAIM, experience_aggregate

    rng = np.random.default_rng(5)
    y = np.where(rng.random(20_000) < 0.015, rng.lognormal(8.5, 1.0, 20_000), 0.0)
    w = np.full(y.size, 1.0 / y.size)
    with warnings.catch_warnings():
        warnings.simplefilter("error", AccuracyWarning)
        agg = experience_aggregate(y, w, 5_000_000)
    paid_mean = y[y > 0].mean()
    assert agg.step <= paid_mean / STEPS_PER_CLAIM
    assert abs(agg.var_rel_error) < 1e-3 and abs(agg.mean_rel_error) < 1e-7  # FFT round-off
    # the small book still uses the base grid of 2^15 nodes
    small = experience_aggregate(y, w, 2_000)
    assert small.pmf.size <= 2**15


def test_panjer_prices_a_city_book_by_splitting_the_binomial_count():
    # 1,500 expected claimants: (1 − q)^N ≈ e^{-1500} underflows; Panjer splits Bin(N, q) into
    # 2^k binomials and convolves back, and must agree with the FFT on the same grid
    from puhui.pricing.portfolio import experience_aggregate

    rng = np.random.default_rng(9)
    y = np.where(rng.random(5_000) < 0.015, rng.lognormal(8.0, 0.9, 5_000), 0.0)
    w = np.full(y.size, 1.0 / y.size)
    n = 100_000
    pan = experience_aggregate(y, w, n, method="panjer")
    fft = experience_aggregate(y, w, n, method="fft")
    assert pan.info["convolve"] >= 1
    assert pan.step == fft.step
    for p in (0.5, 0.95, 0.995):
        assert float(pan.quantile(p)) == float(fft.quantile(p))
    assert pan.mean() == pytest.approx(fft.mean(), rel=1e-9)
