"""Expected payouts, variances and payout probabilities against brute force and quadrature."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from puhui.benefits import Benefit, Layer, LayerStack, SegmentedBenefit
from puhui.errors import ParameterError
from puhui.losses.empirical import Empirical
from puhui.losses.lev import lev
from puhui.losses.payout import (
    expected_payout,
    payout_probability,
    payout_second_moment,
    payout_variance,
)

DESIGNS = [
    Benefit(deductible=20_000, payout_ratio=0.7, cap=200_000),
    Benefit(deductible=20_000, payout_ratio=0.6, cap=300_000, bands=[(50_000, 0.8), (1e5, 0.9)]),
    Benefit(deductible=15_000, payout_ratio=0.8, cap=100_000, franchise=True),
    Benefit(deductible=15_000, payout_ratio=0.5, cap=5_000, franchise=True, bands=[(30_000, 1.0)]),
    Benefit(deductible=0.0, payout_ratio=1.0),
    Benefit(deductible=1e6, payout_ratio=0.7, cap=1e4),
    Layer(10_000, 5_000, 0.3),
    LayerStack([0.0, 5_000.0], [20_000.0, 10_000.0], [0.5, 0.4]),  # overlapping layers
]


def _scalar_pdf(model):
    """The model's density as a plain-Python scalar function (textbook formulas), for the
    quadrature below: scipy's frozen ``pdf`` checks its arguments on every call, and quad calls
    the integrand ~30,000 times per model; the formula is checked against ``model.pdf``."""
    name, args, scale = model.dist.name, model.args, model.kwds["scale"]
    if name == "lognorm":     # exp(−(log(x/θ))²/(2σ²)) / (x σ √(2π))
        (s,) = args
        c = 1.0 / (s * math.sqrt(2.0 * math.pi))
        pdf = lambda x: c / x * math.exp(-0.5 * (math.log(x / scale) / s) ** 2)  # noqa: E731
    elif name == "gamma":     # (x/θ)^(α−1) e^(−x/θ) / (Γ(α) θ)
        (a,) = args
        c = 1.0 / (math.gamma(a) * scale)
        pdf = lambda x: c * (x / scale) ** (a - 1.0) * math.exp(-x / scale)  # noqa: E731
    elif name == "lomax":     # (α/θ) (1 + x/θ)^−(α+1)
        (a,) = args
        pdf = lambda x: a / scale * (1.0 + x / scale) ** (-a - 1.0)  # noqa: E731
    elif name == "invgauss":  # y = x/θ: exp(−(y−μ)²/(2yμ²)) / (θ √(2π y³))
        (mu,) = args
        c = 1.0 / (scale * math.sqrt(2.0 * math.pi))

        def pdf(x):
            y = x / scale
            return c * y**-1.5 * math.exp(-((y - mu) ** 2) / (2.0 * y * mu * mu))
    else:
        raise AssertionError(name)
    grid = model.ppf(np.linspace(1e-6, 1 - 1e-6, 201))
    np.testing.assert_allclose([pdf(x) for x in grid], model.pdf(grid), rtol=1e-12)
    return lambda x: pdf(x) if x > 0 else 0.0


def _quad_moment(model, benefit, power):
    """∫ pay(x)^power f(x) dx by adaptive quadrature split at every layer edge (independent)."""
    pdf = _scalar_pdf(model)
    st_ = benefit.stack()
    edges = np.concatenate([st_.attachment.ravel(), st_.top.ravel()])
    if st_.jump_at is not None:
        edges = np.append(edges, st_.jump_at)
    qs = model.ppf([1e-10, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 1 - 1e-7, 1 - 1e-10])
    pts = np.unique(np.concatenate([[0.0], edges[np.isfinite(edges)], qs[np.isfinite(qs)]]))
    total = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for a, b in zip(pts[:-1], pts[1:], strict=True):
            total.append(integrate.quad(lambda x: float(benefit.pay(x)) ** power * pdf(x),
                                        a, b, epsabs=0, epsrel=1e-12, limit=200)[0])
        top = float(st_.max_payout())
        if np.isfinite(top):  # beyond every layer edge a capped design pays a constant
            total.append(top**power * float(model.sf(pts[-1])))
            return float(np.sum(sorted(total)))
        tail = pts[-1] * np.geomspace(1.0, 1e60, 121)  # heavy tails: x² f(x) ~ x^(−1.5)
        for a, b in zip(tail[:-1], tail[1:], strict=True):
            total.append(integrate.quad(lambda x: float(benefit.pay(x)) ** power * pdf(x),
                                        a, b, epsabs=0, epsrel=1e-12, limit=200)[0])
    return float(np.sum(sorted(total)))


@pytest.mark.parametrize("model", [stats.lognorm(1.3, scale=np.exp(9.0)),
                                   stats.gamma(0.8, scale=15_000.0),
                                   stats.lomax(2.5, scale=20_000.0),
                                   stats.invgauss(1.5, scale=8_000.0)],
                         ids=lambda m: m.dist.name)
def test_parametric_moments_match_quadrature(model):
    for benefit in DESIGNS:
        mean = expected_payout(model, benefit)
        second = payout_second_moment(model, benefit)
        # absolute floor: a far-tail layer is a difference of two LEVs near the mean
        # (documented error ≈ 1e−15 × mean)
        floor = 1e-14 * model.mean()
        assert mean == pytest.approx(_quad_moment(model, benefit, 1), rel=1e-9, abs=floor)
        assert second == pytest.approx(_quad_moment(model, benefit, 2), rel=1e-9,
                                       abs=floor * model.mean())
        assert payout_variance(model, benefit) == pytest.approx(second - mean**2, rel=1e-12)


@pytest.mark.parametrize(("alpha", "d", "u"), [(1.0, 1.0, 10.0), (0.8, 1.0, 10.0),
                                               (0.6, 3.0, 7.0)])
def test_actuar_coverage_gamma_example(alpha, d, u):
    # actuar modeling vignette, section "Coverage modifications": X ~ gamma(shape 5, rate 1),
    # deductible d = 1, limit u = 10 (coverage(dgamma, pgamma, deductible = 1, limit = 10)).
    # The coverage vignette gives the per-loss law: a mass F(d) at 0, density
    # f_X((y + αd)/α)/α on 0 < y < α(u − d), a mass 1 − F(u) at α(u − d). Its mean, by
    # quadrature of that pdf, is the expected payout of the layer (d, u − d) at share α.
    X = stats.gamma(5.0)
    body, _ = integrate.quad(lambda y: y * X.pdf((y + alpha * d) / alpha) / alpha,
                             0, alpha * (u - d), epsabs=0, epsrel=1e-13)
    want = body + alpha * (u - d) * X.sf(u)
    b = Benefit(deductible=d, payout_ratio=alpha, cap=alpha * (u - d))
    assert expected_payout(X, b) == pytest.approx(want, rel=1e-12)
    # franchise (coverage(..., franchise = TRUE)): density f_X(y/α)/α on αd < y < αu,
    # mass 1 − F(u) at αu
    fbody, _ = integrate.quad(lambda y: y * X.pdf(y / alpha) / alpha, alpha * d, alpha * u,
                              epsabs=0, epsrel=1e-13)
    fwant = fbody + alpha * u * X.sf(u)
    fb = Benefit(deductible=d, payout_ratio=alpha, cap=alpha * u, franchise=True)
    assert expected_payout(X, fb) == pytest.approx(fwant, rel=1e-12)
    # its second moment likewise
    f2, _ = integrate.quad(lambda y: y * y * X.pdf(y / alpha) / alpha, alpha * d, alpha * u,
                           epsabs=0, epsrel=1e-13)
    assert payout_second_moment(X, fb) == pytest.approx(f2 + (alpha * u) ** 2 * X.sf(u),
                                                        rel=1e-11)


def test_franchise_closed_form():
    # franchise, one band: E = r (LEV(max(M, d)) − LEV(d)) + r min(d, M) S(d), M = cap / r
    X = stats.lognorm(1.0, scale=10_000.0)
    for d, r, cap in [(5_000, 0.8, 50_000), (5_000, 0.8, 2_000), (20_000, 0.5, np.inf)]:
        m = cap / r
        want = r * (lev(X, max(m, d)) - lev(X, d)) + r * min(d, m) * X.sf(d)
        b = Benefit(deductible=d, payout_ratio=r, cap=None if np.isinf(cap) else cap,
                    franchise=True)
        assert expected_payout(X, b) == pytest.approx(want, rel=1e-13)


def test_empirical_designs_equal_brute_force():
    rng = np.random.default_rng(5)
    x = rng.lognormal(9.0, 1.3, 100_000)
    x[rng.random(x.size) < 0.4] = 0.0
    e = Empirical(x)
    for b in DESIGNS:
        paid = b.pay(x)
        assert expected_payout(e, b) == pytest.approx(paid.mean(), rel=1e-12, abs=1e-12)
        assert payout_variance(e, b) == pytest.approx(paid.var(), rel=1e-10, abs=1e-9)
        assert payout_probability(e, b) == np.mean(paid > 0)


def test_grid_results_have_the_grid_shape_and_equal_single_designs():
    X = stats.gamma(1.5, scale=10_000.0)
    d = np.array([0.0, 5_000.0, 20_000.0])[:, None, None]
    r = np.array([0.5, 0.9])[None, :, None]
    c = np.array([10_000.0, 50_000.0, np.inf])
    grid = Benefit(deductible=d, payout_ratio=r, cap=c, bands=[(60_000.0, 1.0)])
    for func in (expected_payout, payout_variance, payout_probability):
        out = func(X, grid)
        assert out.shape == (3, 2, 3)
        for i, j, k in np.ndindex(3, 2, 3):
            single = Benefit(deductible=d.ravel()[i], payout_ratio=r.ravel()[j], cap=c[k],
                             bands=[(60_000.0, 1.0)])
            assert out[i, j, k] == pytest.approx(func(X, single), rel=1e-13)


def test_payout_probability():
    X = stats.expon(scale=1000.0)
    assert payout_probability(X, Benefit(500.0, 0.8)) == pytest.approx(np.exp(-0.5))
    assert payout_probability(X, Benefit(500.0, 0.0)) == 0.0  # a 0 % design never pays
    assert payout_probability(X, Layer(200.0, 0.0, 1.0)) == 0.0
    assert payout_probability(X, Benefit(500.0, 0.8, franchise=True)) == pytest.approx(np.exp(-0.5))


def test_segmented_expected_payout_is_the_mix():
    healthy = stats.lognorm(1.2, scale=8_000.0)
    pre = stats.lognorm(1.4, scale=15_000.0)
    bh, bp = Benefit(20_000, 0.8, 3e6), Benefit(40_000, 0.4, 3e6)
    sb = SegmentedBenefit({"healthy": bh, "pre": bp}, mix={"healthy": 0.8, "pre": 0.2})
    models = {"healthy": healthy, "pre": pre}
    mean = expected_payout(models, sb)
    assert mean == pytest.approx(0.8 * expected_payout(healthy, bh) + 0.2 * expected_payout(pre, bp))
    second = 0.8 * payout_second_moment(healthy, bh) + 0.2 * payout_second_moment(pre, bp)
    assert payout_variance(models, sb) == pytest.approx(second - mean**2, rel=1e-12)
    # one model for every segment
    assert expected_payout(healthy, sb) == pytest.approx(
        0.8 * expected_payout(healthy, bh) + 0.2 * expected_payout(healthy, bp))
    with pytest.raises(ParameterError, match="mix"):
        expected_payout(healthy, SegmentedBenefit({"a": bh}))
    with pytest.raises(ParameterError, match="segment 'pre'"):
        expected_payout({"healthy": healthy}, sb)


def test_infinite_mean_laws_and_zero_share_bands():
    X = stats.pareto(0.9, scale=100.0)  # no mean
    assert expected_payout(X, Benefit(0, 0.5)) == np.inf
    assert np.isfinite(expected_payout(X, Benefit(0, 0.5, cap=1_000)))
    # a 0 % band above a capped band contributes 0, not 0 · inf
    assert np.isfinite(expected_payout(X, Benefit(0, 0.5, bands=[(200.0, 0.0)])))


def test_bad_models_are_rejected():
    with pytest.raises(ParameterError, match="array-valued"):
        expected_payout(stats.gamma([1.0, 2.0]), Benefit(10, 0.5))
    with pytest.raises(ParameterError, match="model:"):
        expected_payout(object(), Benefit(10, 0.5))

    class NoSf:
        def lev(self, u):
            return np.minimum(u, 1.0)

    with pytest.raises(ParameterError, match="sf"):
        expected_payout(NoSf(), Benefit(0.5, 0.5, franchise=True))
    assert expected_payout(NoSf(), Benefit(0.5, 0.5)) == pytest.approx(0.25)


_designs = st.fixed_dictionaries({
    "deductible": st.floats(0, 5e4),
    "payout_ratio": st.floats(0, 1),
    "cap": st.one_of(st.none(), st.floats(1, 2e5)),
    "franchise": st.booleans(),
    "steps": st.lists(st.tuples(st.floats(1, 5e4), st.floats(0, 1)), max_size=2),
})


def _build(p):
    bands, t = [], p["deductible"]
    for step, ratio in p["steps"]:
        t += step
        bands.append((t, ratio))
    return Benefit(deductible=p["deductible"], payout_ratio=p["payout_ratio"], cap=p["cap"],
                   franchise=p["franchise"], bands=bands)


@settings(max_examples=60, deadline=None)
@given(_designs, st.integers(0, 2**32 - 1), st.booleans())
def test_empirical_moments_equal_brute_force_for_any_design(p, seed, weighted):
    # the prefix-sum method against the plain mean over the sample, to 1e-9
    rng = np.random.default_rng(seed)
    x = np.round(rng.lognormal(9.0, 1.5, 2_000), 2)
    x[rng.random(x.size) < 0.5] = 0.0
    w = rng.random(x.size) if weighted else None
    e = Empirical(x, weights=w)
    b = _build(p)
    paid = b.pay(x)
    ww = np.ones_like(x) if w is None else w
    mean = np.average(paid, weights=ww)
    var = np.average((paid - mean) ** 2, weights=ww)
    assert expected_payout(e, b) == pytest.approx(mean, rel=1e-9, abs=1e-9)
    assert payout_variance(e, b) == pytest.approx(var, rel=1e-9, abs=1e-6)
    assert payout_probability(e, b) == pytest.approx(np.average(paid > 0, weights=ww), abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.3, 2.0), st.floats(0.05, 1.0), st.one_of(st.none(), st.floats(1e3, 1e6)),
       st.booleans())
def test_expected_payout_falls_with_deductible_and_rises_with_ratio(sigma, ratio, cap, franchise):
    X = stats.lognorm(sigma, scale=10_000.0)
    d = np.linspace(0.0, 100_000.0, 21)
    r = np.linspace(0.05, 1.0, 20)
    by_d = expected_payout(X, Benefit(deductible=d, payout_ratio=ratio, cap=cap,
                                      franchise=franchise))
    by_r = expected_payout(X, Benefit(deductible=20_000.0, payout_ratio=r, cap=cap,
                                      franchise=franchise))
    assert np.all(np.diff(by_d) <= 1e-9 * by_d[:-1] + 1e-12)
    assert np.all(np.diff(by_r) >= -1e-9 * by_r[1:])
    assert np.all(by_d <= X.mean() * (1 + 1e-12))
