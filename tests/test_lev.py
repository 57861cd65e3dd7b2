"""Limited expected values: KPW closed forms against independent quadrature, conventions, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats

from puhui.errors import ParameterError
from puhui.losses.lev import CLOSED_FORM_LAWS, _numeric_lev, lev, lev_moment


def exact_moment(model, k: int) -> float:
    """E[X^k] from the KPW Appendix A formulas (inf where the moment does not exist)."""
    name, args = model.dist.name, model.args
    th = model.kwds.get("scale", 1.0)
    g = special.gamma
    if name == "expon":
        return th**k * g(k + 1)
    if name == "gamma":
        return th**k * g(args[0] + k) / g(args[0])
    if name == "lognorm":
        return th**k * np.exp(k * k * args[0] ** 2 / 2)
    if name == "weibull_min":
        return th**k * g(1 + k / args[0])
    if name == "pareto":
        a = args[0]
        return a * th**k / (a - k) if a > k else np.inf
    if name == "lomax":
        a = args[0]
        return th**k * g(k + 1) * g(a - k) / g(a) if a > k else np.inf
    if name == "genpareto":
        xi = args[0]
        if xi * k >= 1:
            return np.inf
        return th / (1 - xi) if k == 1 else 2 * th**2 / ((1 - xi) * (1 - 2 * xi))
    if name == "fisk":
        c = args[0]
        return th**k * g(1 + k / c) * g(1 - k / c) if c > k else np.inf
    if name == "burr12":
        c, d = args
        return th**k * g(1 + k / c) * g(d - k / c) / g(d) if c * d > k else np.inf
    if name == "burr":
        c, d = args
        return th**k * g(d + k / c) * g(1 - k / c) / g(d) if c > k else np.inf
    return float(model.moment(k))  # laws without a closed form here: scipy's own moment


def survival(model):
    """S(x); KPW's formulas for the Burr family, whose scipy sf loses ~1e-4 far in the tail."""
    name, args = model.dist.name, model.args
    th = model.kwds.get("scale", 1.0)
    if name == "fisk":
        return lambda x: 1.0 / (1.0 + (x / th) ** args[0])
    if name == "burr12":
        return lambda x: (1.0 + (x / th) ** args[0]) ** -args[1]
    if name == "burr":
        return lambda x: -np.expm1(-args[1] * np.log1p((x / th) ** -args[0]))
    return model.sf


def quad_lev(model, u: float, k: float) -> float:
    """Independent reference: adaptive quadrature of E[min(X,u)^k] = ∫_0^u k x^(k−1) S(x) dx.

    The range is split at quantiles and geometrically so that scipy's QUADPACK sees smooth
    pieces; beyond the 1 − 1e−9 quantile, when E[X^k] is finite, the complement
    E[X^k] − ∫_u^∞ k x^(k−1) S(x) dx is used instead (a long range of a tiny integrand).
    """
    sf = survival(model)

    def f(x):
        return k * x ** (k - 1) * sf(x)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        far = float(model.ppf(1 - 1e-9))
        full = exact_moment(model, int(k)) if float(k).is_integer() else np.nan
        if u > far and np.isfinite(far) and np.isfinite(full) and full > 0:
            edges = u * np.geomspace(1.0, 1e12, 25)
            pieces = [integrate.quad(f, c, d, limit=200, epsabs=0, epsrel=1e-12)[0]
                      for c, d in zip(edges[:-1], edges[1:], strict=True)]
            pieces.append(integrate.quad(f, edges[-1], np.inf, limit=200)[0])
            return full - float(np.sum(sorted(pieces)))
        qs = model.ppf([1e-12, 1e-6, 1e-3, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999, 1 - 1e-6])
        pts = sorted({0.0, u, *[float(q) for q in qs if np.isfinite(q) and 0 < q < u]})
        total = []
        for a, b in zip(pts[:-1], pts[1:], strict=True):
            n = int(np.ceil(np.log(b / a) / np.log(2))) if a > 0 else 1
            edges = np.geomspace(a, b, n + 1) if n > 1 else np.array([a, b])
            for c, d in zip(edges[:-1], edges[1:], strict=True):
                total.append(integrate.quad(f, c, d, epsabs=0, epsrel=1e-13, limit=200)[0])
        return float(np.sum(sorted(total)))


# Parameter sets spanning light and heavy tails, shapes below and above 1, and the cases where
# only the limited (not the full) moment exists.
LAWS = [
    stats.expon(scale=1000.0),
    stats.gamma(0.3, scale=500.0),
    stats.gamma(2.5, scale=500.0),
    stats.gamma(40.0, scale=10.0),
    stats.lognorm(0.4, scale=800.0),
    stats.lognorm(1.5, scale=2000.0),
    stats.weibull_min(0.6, scale=800.0),
    stats.weibull_min(3.0, scale=800.0),
    stats.pareto(2.5, scale=1000.0),
    stats.pareto(0.8, scale=1000.0),
    stats.pareto(2.0, scale=1000.0),  # α = k for k = 2: the logarithmic case
    stats.lomax(3.0, scale=1000.0),
    stats.lomax(1.0, scale=1000.0),
    stats.lomax(0.7, scale=100.0),
    stats.genpareto(0.3, scale=1000.0),
    stats.genpareto(-0.4, scale=1000.0),
    stats.genpareto(1e-9, scale=1000.0),
    stats.genpareto(0.6, scale=100.0),
    stats.fisk(3.0, scale=1000.0),
    stats.fisk(0.9, scale=1000.0),
    stats.burr12(2.0, 1.5, scale=1000.0),
    stats.burr12(0.8, 1.1, scale=1000.0),
    stats.burr(2.0, 1.5, scale=1000.0),
    stats.burr(3.5, 0.7, scale=1000.0),
]
LIMITS = [1e-3, 50.0, 999.0, 1000.0, 7500.0, 1e6]


def _law_id(m) -> str:
    return f"{m.dist.name}{m.args}"


@pytest.mark.parametrize("model", LAWS, ids=_law_id)
@pytest.mark.parametrize("k", [1, 2])
def test_closed_forms_match_quadrature(model, k):
    # Reference: independent adaptive quadrature of the survival function (quad_lev above).
    got = lev_moment(model, LIMITS, k)
    want = [quad_lev(model, u, k) for u in LIMITS]
    np.testing.assert_allclose(got, want, rtol=2e-9)


@pytest.mark.parametrize("model", LAWS, ids=_law_id)
def test_lev_at_infinity_is_the_raw_moment(model):
    # KPW Appendix A raw moments (exact_moment above); inf where the moment does not exist
    for k in (1, 2):
        want = exact_moment(model, k)
        got = lev_moment(model, np.inf, k)
        if np.isfinite(want):
            assert got == pytest.approx(want, rel=1e-12)
        else:
            assert got == np.inf


@pytest.mark.parametrize(
    "model",
    [stats.invgauss(0.5, scale=1000.0), stats.invgamma(3.0, scale=1000.0),
     stats.halfnorm(scale=1000.0), stats.loglaplace(3.0, scale=1000.0),
     stats.gengamma(2.0, 0.7, scale=300.0)],
    ids=_law_id,
)
def test_numerical_fallback_for_other_scipy_laws(model):
    limits = LIMITS[:-1]  # scipy's own sf of these laws is not reliable at 1000× the scale
    for k in (1, 2):
        got = lev_moment(model, limits, k)
        want = [quad_lev(model, u, k) for u in limits]
        np.testing.assert_allclose(got, want, rtol=1e-10)
    assert lev(model, np.inf) == pytest.approx(model.mean(), rel=1e-12)


@pytest.mark.parametrize("model", LAWS[:12], ids=_law_id)
@pytest.mark.parametrize("k", [1, 2, 0.5, 3.3])
def test_closed_forms_agree_with_the_numerical_path(model, k):
    # the two code paths are independent (special functions vs Gauss–Legendre on S(x))
    u = np.geomspace(1e-2, 1e7, 40)
    np.testing.assert_allclose(lev_moment(model, u, k), _numeric_lev(model, u, k), rtol=1e-10)


def test_textbook_closed_forms():
    # KPW Appendix A, written out by hand:
    # exponential E[X∧u] = θ(1 − e^{−u/θ}); Pareto (Lomax) E[X∧u] = θ/(α−1)·[1 − (θ/(u+θ))^{α−1}];
    # single-parameter Pareto E[X∧u] = αθ/(α−1) − θ^α/((α−1)u^{α−1}), u ≥ θ.
    u = np.array([10.0, 500.0, 2500.0, 1e5])
    th, a = 1000.0, 3.0
    np.testing.assert_allclose(lev(stats.expon(scale=th), u), th * -np.expm1(-u / th), rtol=1e-14)
    np.testing.assert_allclose(
        lev(stats.lomax(a, scale=th), u), th / (a - 1) * (1 - (th / (u + th)) ** (a - 1)), rtol=1e-13
    )
    uu = u[u >= th]
    np.testing.assert_allclose(
        lev(stats.pareto(a, scale=th), uu), a * th / (a - 1) - th**a / ((a - 1) * uu ** (a - 1)),
        rtol=1e-13,
    )
    # lognormal k=1: e^{μ+σ²/2} Φ((ln u − μ − σ²)/σ) + u [1 − Φ((ln u − μ)/σ)]
    mu, s = 8.0, 1.2
    z = (np.log(u) - mu) / s
    want = np.exp(mu + s * s / 2) * special.ndtr(z - s) + u * special.ndtr(-z)
    np.testing.assert_allclose(lev(stats.lognorm(s, scale=np.exp(mu)), u), want, rtol=1e-14)


def test_generalized_pareto_is_continuous_through_xi_zero():
    u = np.array([1.0, 300.0, 5000.0, 1e5])
    exp1, exp2 = lev(stats.expon(scale=700.0), u), lev_moment(stats.expon(scale=700.0), u, 2)
    for xi in (1e-12, -1e-12, 1e-7, -1e-7):
        m = stats.genpareto(xi, scale=700.0)
        np.testing.assert_allclose(lev(m, u), exp1, rtol=1e-6)
        np.testing.assert_allclose(lev_moment(m, u, 2), exp2, rtol=1e-6)
    np.testing.assert_allclose(lev(stats.genpareto(0.0, scale=700.0), u), exp1, rtol=1e-14)


def test_conventions_zero_negative_nan_and_shape():
    m = stats.gamma(2.0, scale=300.0)
    out = lev(m, [[-5.0, 0.0], [np.nan, np.inf]])
    assert out.shape == (2, 2)
    assert out[0, 0] == 0.0 and out[0, 1] == 0.0  # actuar: limit ≤ 0 → 0
    assert np.isnan(out[1, 0])
    assert out[1, 1] == pytest.approx(600.0)
    assert isinstance(lev(m, 100.0), np.floating)


def test_array_parameters_broadcast_with_limits():
    shapes = np.array([0.5, 2.0, 7.0])
    m = stats.gamma(shapes, scale=100.0)
    u = np.array([[10.0], [1000.0]])
    got = lev(m, u)
    assert got.shape == (2, 3)
    for j, a in enumerate(shapes):
        np.testing.assert_allclose(got[:, j], lev(stats.gamma(a, scale=100.0), u[:, 0]), rtol=1e-14)


@pytest.mark.parametrize(
    "model",
    [stats.expon(loc=200.0, scale=1000.0), stats.gamma(2.0, loc=100.0, scale=300.0),
     stats.lognorm(0.8, loc=50.0, scale=400.0)],
    ids=_law_id,
)
def test_shifted_laws_are_handled_exactly(model):
    # min(X, u) = loc + min(Y, u − loc); below the support min(X, u) = u
    u = np.array([1e-3, 50.0, 150.0, 400.0, 5000.0])
    for k in (1, 2):
        want = [quad_lev(model, x, k) for x in u]
        np.testing.assert_allclose(lev_moment(model, u, k), want, rtol=1e-9)
    # non-integer order with loc ≠ 0 goes through the numerical path
    np.testing.assert_allclose(lev_moment(model, u, 1.5), [quad_lev(model, x, 1.5) for x in u],
                               rtol=1e-9)


def test_pareto_with_negative_loc_is_lomax():
    u = np.array([0.5, 10.0, 1e4])
    np.testing.assert_allclose(lev(stats.pareto(2.5, loc=-100.0, scale=100.0), u),
                               lev(stats.lomax(2.5, scale=100.0), u), rtol=1e-14)


def test_rejections_name_the_argument():
    with pytest.raises(ParameterError, match="mass below 0"):
        lev(stats.norm(0.0, 1.0), 1.0)
    with pytest.raises(ParameterError, match="discrete"):
        lev(stats.poisson(3.0), 1.0)
    with pytest.raises(ParameterError, match="invalid parameters"):
        lev(stats.gamma(-1.0), 1.0)
    with pytest.raises(ParameterError, match="k:"):
        lev_moment(stats.expon(), 1.0, k=0)
    with pytest.raises(ParameterError, match="model:"):
        lev(object(), 1.0)
    with pytest.raises(ParameterError, match="scalar parameters"):
        lev(stats.invgauss([0.5, 1.0]), 1.0)


def test_objects_with_lev_methods_are_delegated():
    class Flat:
        def lev(self, u):
            return np.minimum(np.asarray(u), 1.0)

    assert lev(Flat(), 5.0) == 1.0
    assert lev_moment(Flat(), 0.5, 1) == 0.5
    with pytest.raises(ParameterError, match="lev_moment"):
        lev_moment(Flat(), 0.5, 2)


def test_closed_form_list():
    assert set(CLOSED_FORM_LAWS) >= {"expon", "gamma", "lognorm", "weibull_min", "pareto",
                                     "lomax", "genpareto", "fisk", "burr12", "burr"}


_law_strategy = st.sampled_from([
    lambda p, q: stats.gamma(0.2 + 5 * p, scale=10 + 1000 * q),
    lambda p, q: stats.lognorm(0.1 + 2.5 * p, scale=10 + 1000 * q),
    lambda p, q: stats.weibull_min(0.3 + 4 * p, scale=10 + 1000 * q),
    lambda p, q: stats.lomax(0.5 + 5 * p, scale=10 + 1000 * q),
    lambda p, q: stats.burr12(0.5 + 4 * p, 0.5 + 3 * q, scale=500.0),
    lambda p, q: stats.genpareto(-0.5 + 1.4 * p, scale=10 + 1000 * q),
])


@settings(max_examples=60, deadline=None)
@given(_law_strategy, st.floats(0, 1), st.floats(0, 1),
       st.lists(st.floats(0.0, 1e6), min_size=3, max_size=12))
def test_lev_is_non_decreasing_concave_and_below_the_mean(make, p, q, limits):
    model = make(p, q)
    u = np.unique(np.asarray(limits))
    values = lev(model, u)
    assert np.all(np.diff(values) >= -1e-9 * np.abs(values[1:]))
    assert np.all(values <= np.minimum(u, lev(model, np.inf)) * (1 + 1e-12) + 1e-12)
    # concavity: LEV(u) = ∫_0^u S is concave, so slopes between consecutive limits fall
    if u.size >= 3:
        gaps = np.diff(u)
        ok = gaps > 1e-6 * np.maximum(u[1:], 1.0)
        slopes = np.diff(values)[ok] / gaps[ok]
        assert np.all(np.diff(slopes) <= 1e-7 * np.maximum(slopes[:-1], 1e-300) + 1e-12)
