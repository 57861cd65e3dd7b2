"""The LossModel contract, checked on every loss model puhui has (scikit-learn style).

One parametrized suite: each model must be a :class:`puhui.losses.LossModel` (directly, or via
``as_loss_model`` for a frozen scipy law) and satisfy the identities of the protocol's notes.
The independent reference for ``lev`` / ``lev_moment`` is the survival-function integral
``E[min(X, u)^k] = ∫_0^u k x^(k−1) S(x) dx`` (Klugman–Panjer–Willmot, *Loss Models*, 3.1),
computed here with scipy's adaptive quadrature on the model's own ``sf``.

To plug in a new loss model, add one entry to ``MODELS``.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from puhui.benefits import Benefit
from puhui.errors import ParameterError
from puhui.losses import (
    Coverage,
    Empirical,
    LossModel,
    Mixture,
    Poisson,
    Spliced,
    ZeroInflated,
    aggregate,
    as_loss_model,
    coverage,
    expected_payout,
)

_rng = np.random.default_rng(20240612)
_SAMPLE = np.round(_rng.lognormal(7.0, 1.0, 200), 2)
_YEARS = np.arange(1990, 2020)
_YIELDS = 420 + 4 * (_YEARS - 1990) + np.random.default_rng(5).normal(0, 50, _YEARS.size)


def _yield_shortfall(density):
    from puhui.agri.yield_model import YieldModel

    m = YieldModel("linear", "multiplicative", density).fit(_YEARS, _YIELDS)
    return m.shortfall(0.9 * m.expected_yield_, price=2.5), 0.9 * m.expected_yield_ * 2.5


def _build(name):
    """(model, scale in yuan, is_discrete) for each entry of MODELS."""
    if name == "expon":
        return stats.expon(scale=1000.0), 1000.0, False
    if name == "lognorm":
        return stats.lognorm(1.2, scale=8000.0), 8000.0, False
    if name == "gamma":
        return stats.gamma(2.0, scale=500.0), 1000.0, False
    if name == "lomax-infinite-mean":
        return stats.lomax(0.8, scale=1000.0), 1000.0, False
    if name == "empirical":
        return Empirical(_SAMPLE), float(_SAMPLE.mean()), True
    if name == "empirical-weighted":
        return Empirical(_SAMPLE[:50], weights=np.arange(1.0, 51.0)), 1000.0, True
    if name in ("aggregate-fft", "aggregate-panjer"):
        method = name.split("-")[1]
        agg = aggregate(Poisson(3.0), stats.expon(scale=100.0), method, step=5.0,
                        upper=6000.0)
        return agg, 300.0, True
    if name == "coverage-per-loss":
        b = Benefit(deductible=500.0, payout_ratio=0.8, cap=5000.0)
        return coverage(stats.lognorm(1.0, scale=2000.0), b), 2000.0, False
    if name == "coverage-per-payment":
        b = Benefit(deductible=500.0, payout_ratio=0.8, cap=5000.0)
        return coverage(stats.lognorm(1.0, scale=2000.0), b, per="payment"), 2000.0, False
    if name == "coverage-empirical":
        return coverage(Empirical(_SAMPLE), Benefit(deductible=800.0, cap=3000.0)), 1000.0, True
    if name == "zero-inflated":
        return ZeroInflated(0.7, stats.gamma(2.0, scale=500.0)), 300.0, False
    if name == "mixture":
        return Mixture([0.6, 0.4], [stats.expon(scale=1000.0),
                                    stats.lognorm(0.8, scale=3000.0)]), 2000.0, False
    if name == "spliced":
        return Spliced(stats.lognorm(0.6, scale=1000.0), 3000.0, 0.3, 1500.0), 1500.0, False
    if name.startswith("yield-shortfall-"):
        density = name.rsplit("-", 1)[1]
        model, top = _yield_shortfall(density)
        return model, top / 4.0, density == "empirical"
    raise KeyError(name)


MODELS = [
    "expon", "lognorm", "gamma", "lomax-infinite-mean", "empirical", "empirical-weighted",
    "aggregate-fft", "aggregate-panjer", "coverage-per-loss", "coverage-per-payment",
    "coverage-empirical", "zero-inflated", "mixture", "spliced", "yield-shortfall-empirical",
    "yield-shortfall-kde", "yield-shortfall-lognormal",
]
_CACHE: dict = {}


@pytest.fixture(params=MODELS)
def case(request):
    if request.param not in _CACHE:
        _CACHE[request.param] = _build(request.param)
    raw, scale, discrete = _CACHE[request.param]
    return as_loss_model(raw), scale, discrete


def _limits(scale):
    return scale * np.array([0.0, 0.05, 0.3, 0.7, 1.0, 1.6, 3.0, 8.0, 40.0])


def test_is_a_loss_model(case):
    m, _, _ = case
    assert isinstance(m, LossModel)
    assert as_loss_model(m) is m          # a model is returned as is, never re-wrapped


def test_lev_between_zero_and_u_and_non_decreasing(case):
    m, scale, _ = case
    u = _limits(scale)
    v = np.asarray(m.lev(u), float)
    assert v.shape == u.shape
    tol = 1e-9 * scale
    assert v[0] == 0.0
    assert np.all(v >= -tol) and np.all(v <= u + tol)
    assert np.all(np.diff(v) >= -tol)
    # vectorised: the same numbers one limit at a time
    np.testing.assert_allclose([float(m.lev(x)) for x in u], v, rtol=1e-12, atol=1e-12 * scale)


def test_lev_at_infinity_is_the_mean(case):
    m, _, _ = case
    mean = float(m.mean())
    top = float(m.lev(np.inf))
    if np.isinf(mean):
        assert np.isinf(top)
    else:
        assert top == pytest.approx(mean, rel=1e-9)


def test_first_limited_moment_is_lev(case):
    m, scale, _ = case
    u = _limits(scale)
    np.testing.assert_allclose(m.lev_moment(u, 1), m.lev(u), rtol=1e-12, atol=1e-12 * scale)


def test_cdf_and_sf(case):
    m, scale, _ = case
    x = np.concatenate([[-1.0], _limits(scale), [np.inf]])
    c, s = np.asarray(m.cdf(x), float), np.asarray(m.sf(x), float)
    np.testing.assert_allclose(c + s, 1.0, atol=1e-12)
    assert np.all((c >= -1e-15) & (c <= 1 + 1e-15))
    assert np.all(np.diff(c) >= -1e-12)
    assert c[0] == pytest.approx(0.0, abs=1e-15) and c[-1] == pytest.approx(1.0, abs=1e-12)


def test_lev_moments_are_survival_integrals(case):
    # E[min(X, u)^k] = ∫_0^u k x^(k−1) S(x) dx: lev and sf of one model must agree
    # written as ∫_0^{u^k} S(w^{1/k}) dw (bounded for k < 1): adaptive quadrature for a
    # continuous law; for a step sf a midpoint rule on 2·10^5 cells, exact but for the cells
    # holding a jump (relative error ~ 1e-4 at most)
    m, scale, discrete = case
    for u in scale * np.array([0.3, 1.0, 3.0]):
        for k in (1, 2, 0.5):
            top = u**k
            if k == 0.5 and isinstance(m, Coverage) and not m.is_discrete:
                # Coverage of a continuous law has whole-number orders only: a clear error
                with pytest.raises(ParameterError, match="whole numbers"):
                    m.lev_moment(u, k)
                continue
            if discrete:
                n = 200_000
                w = (np.arange(n) + 0.5) * (top / n)
                ref = float(np.sum(np.asarray(m.sf(w ** (1 / k)), float)) * (top / n))
            else:
                ref, _ = integrate.quad(lambda w, k=k: float(m.sf(w ** (1 / k))), 0.0, top,
                                        limit=200, epsabs=1e-12 * top, epsrel=1e-11)
            assert float(m.lev_moment(u, k)) == pytest.approx(ref, rel=1e-4 if discrete
                                                              else 1e-8)


@pytest.mark.parametrize("d_over, c_over", [(0.0, 1.0), (0.5, 2.0), (1.0, np.inf), (3.0, 0.5)])
def test_expected_payout_is_a_lev_difference(case, d_over, c_over):
    m, scale, _ = case
    d, c = d_over * scale, c_over * scale
    got = float(expected_payout(m, Benefit(deductible=d, cap=c)))
    want = float(m.lev(d + c)) - float(m.lev(d))
    if np.isinf(want) or np.isnan(want):
        assert np.isinf(got)
    else:
        assert got == pytest.approx(want, rel=1e-12, abs=1e-12 * scale)


def test_as_loss_model_names_what_is_missing():
    class HalfModel:
        def lev(self, u):
            return u

        def cdf(self, x):
            return x

    with pytest.raises(ParameterError, match="lacks lev_moment, sf, mean"):
        as_loss_model(HalfModel())
    with pytest.raises(ParameterError, match="discrete"):
        as_loss_model(stats.poisson(3.0))
    with pytest.raises(ParameterError, match="below 0"):
        as_loss_model(stats.norm(0.0, 1.0))
    from puhui.losses import ApproxAggregate

    approx = aggregate(Poisson(3.0), stats.expon(scale=100.0), "normal")
    assert isinstance(approx, ApproxAggregate) and not isinstance(approx, LossModel)
    with pytest.raises(ParameterError, match="lacks lev, lev_moment"):
        as_loss_model(approx)
