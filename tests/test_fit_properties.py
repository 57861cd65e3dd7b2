"""Property tests (hypothesis) for severity fitting with truncation and censoring."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from scipy import stats

from puhui.errors import ParameterError
from puhui.losses.fit import ConvergenceWarning, SeverityFitter
from puhui.losses.fit_compare import compare_fits

LAWS = {
    "expon": lambda r: {"scale": r.uniform(100, 1e5)},
    "gamma": lambda r: {"a": r.uniform(0.5, 5), "scale": r.uniform(100, 1e4)},
    "lognorm": lambda r: {"s": r.uniform(0.3, 2.0), "scale": r.uniform(100, 1e5)},
    "weibull_min": lambda r: {"c": r.uniform(0.5, 3), "scale": r.uniform(100, 1e5)},
    "lomax": lambda r: {"c": r.uniform(1.2, 6), "scale": r.uniform(100, 1e5)},
    "genpareto": lambda r: {"c": r.uniform(-0.3, 0.8), "scale": r.uniform(100, 1e5)},
    "fisk": lambda r: {"c": r.uniform(1.0, 5), "scale": r.uniform(100, 1e5)},
    "burr12": lambda r: {"c": r.uniform(0.8, 3), "d": r.uniform(0.6, 3),
                         "scale": r.uniform(100, 1e5)},
}


def _data(family, seed, n, trunc_q, limit_q):
    """A sample from a random law of ``family`` with a deductible at quantile ``trunc_q`` on
    about half the policies and a limit at quantile ``limit_q`` on the others."""
    rng = np.random.default_rng(seed)
    params = LAWS[family](rng)
    law = getattr(stats, family)(**params)
    with np.errstate(over="ignore"):  # scipy's Burr quantile function overflows harmlessly
        x = law.rvs(size=3 * n, random_state=rng)
        d = np.where(rng.uniform(size=x.size) < 0.5, law.ppf(trunc_q), 0.0)
        u = np.where(rng.uniform(size=x.size) < 0.5, law.ppf(limit_q), np.inf)
    keep = np.flatnonzero(x > d)[:n]
    x, d, u = x[keep], d[keep], u[keep]
    c = x >= u
    return params, law, np.minimum(x, u), d, c


def _scipy_loglik(law, x, d, c):
    """Direct sum with scipy's frozen law, independent of puhui's grouped likelihood."""
    return float(np.sum(np.where(c, law.logsf(x), law.logpdf(x))) - np.sum(law.logsf(d)))


common = dict(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(40, 200),
    trunc_q=st.floats(0.0, 0.5),
    limit_q=st.floats(0.8, 0.99),
)


@settings(max_examples=50, deadline=None)
@given(family=st.sampled_from(list(LAWS)), **common)
def test_mle_beats_the_true_parameters(family, seed, n, trunc_q, limit_q):
    params, law, x, d, c = _data(family, seed, n, trunc_q, limit_q)
    if c.all():
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        f = SeverityFitter(family).fit(x, truncation=d, censored=c)
    true_ll = _scipy_loglik(law, x, d, c)
    assert f.loglik_ >= true_ll - 1e-9 * abs(true_ll)
    # and the reported maximum is the likelihood of the reported parameters
    assert f.loglik_ == pytest.approx(_scipy_loglik(f.dist_, x, d, c), rel=1e-12)


@settings(max_examples=15, deadline=None)
@given(family=st.sampled_from(["lognorm", "weibull_min", "burr12", "gamma"]), **common)
def test_aic_ranking_and_nesting(family, seed, n, trunc_q, limit_q):
    _, _, x, d, c = _data(family, seed, n, trunc_q, limit_q)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        table = compare_fits(x, truncation=d, censored=c)
    assert table["aic"].is_monotonic_increasing
    k, ll = table["k"], table["loglik"]
    assert np.allclose(table["aic"], 2 * k - 2 * ll)
    assert np.allclose(table["bic"], k * math.log(x.size) - 2 * ll)
    # with equal k, a higher likelihood always ranks first
    for kk, group in table.groupby("k"):
        assert group["loglik"].is_monotonic_decreasing, kk
    # nested families: exponential ⊂ gamma, Weibull, GPD (ξ = 0); Pareto, log-logistic ⊂ Burr
    tol = 1e-7 * abs(ll).max()
    for big, small in [("gamma", "expon"), ("weibull_min", "expon"), ("genpareto", "expon"),
                       ("burr12", "lomax"), ("burr12", "fisk")]:
        assert ll[big] >= ll[small] - tol, (big, small)
    assert ((table["ks"] >= 0) & (table["ks"] <= 1)).all()


@settings(max_examples=30, deadline=None)
@given(family=st.sampled_from(["lognorm", "weibull_min", "lomax", "fisk"]),
       factor=st.floats(1e-3, 1e3), **common)
# found by hypothesis: a Pareto on a light-tailed sample runs up the (α, θ) ridge; it must be
# flagged as not converged (relative standard error ≈ 3e4) instead of compared
@example(family="lomax", factor=3.0, seed=181, n=43, trunc_q=0.0, limit_q=0.875)
def test_change_of_currency_unit(family, factor, seed, n, trunc_q, limit_q):
    # fitting losses in 万元 instead of 元 rescales the scale only; ℓ shifts by −r log(factor)
    _, _, x, d, c = _data(family, seed, n, trunc_q, limit_q)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = SeverityFitter(family).fit(x, truncation=d, censored=c)
        b = SeverityFitter(family).fit(x * factor, truncation=d * factor, censored=c)
    # e.g. a Pareto fitted to a light tail has no finite MLE (α, θ → ∞): flagged, not compared
    assume(a.converged_ and b.converged_)
    assert b.params_["scale"] == pytest.approx(a.params_["scale"] * factor, rel=1e-5)
    assert b.params_["c" if "c" in a.params_ else "s"] == pytest.approx(
        a.params_["c" if "c" in a.params_ else "s"], rel=1e-5)
    r = (~c).sum()
    assert b.loglik_ == pytest.approx(a.loglik_ - r * math.log(factor), rel=1e-9, abs=1e-7)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(3, 30),
       corruption=st.sampled_from(["negative_x", "nan_x", "trunc_above", "nan_trunc",
                                   "nan_weight", "negative_weight", "all_censored"]))
def test_bad_inputs_raise_parameter_error_naming_the_argument(seed, n, corruption):
    rng = np.random.default_rng(seed)
    x = rng.lognormal(7, 1, size=n)
    d = np.where(rng.uniform(size=n) < 0.5, 0.5 * x, 0.0)
    c = rng.uniform(size=n) < 0.3
    w = rng.uniform(0.5, 2, size=n)
    i = int(rng.integers(n))
    argument = {"negative_x": "x", "nan_x": "x", "trunc_above": "truncation",
                "nan_trunc": "truncation", "nan_weight": "weights",
                "negative_weight": "weights", "all_censored": "censored"}[corruption]
    if corruption == "negative_x":
        x[i] = -x[i]
    elif corruption == "nan_x":
        x[i] = np.nan
    elif corruption == "trunc_above":
        d[i] = x[i] * 1.01
    elif corruption == "nan_trunc":
        d[i] = np.nan
    elif corruption == "nan_weight":
        w[i] = np.nan
    elif corruption == "negative_weight":
        w[i] = -1.0
    else:
        c[:] = True
    with pytest.raises(ParameterError) as err:
        SeverityFitter("lognorm").fit(x, truncation=d, censored=c, weights=w)
    assert str(err.value).startswith(argument + ":")
    if corruption in {"negative_x", "trunc_above", "nan_x", "nan_trunc"}:
        assert f"position(s) {i}" in str(err.value)


# --- the optimiser's own log-likelihood (speed: numpy formulas instead of scipy's frozen laws)
SHAPES = {
    "expon": {},
    "gamma": {"a": st.floats(0.05, 50)},
    "lognorm": {"s": st.floats(0.05, 5)},
    "weibull_min": {"c": st.floats(0.1, 10)},
    "lomax": {"c": st.floats(0.1, 20)},
    "genpareto": {"c": st.one_of(st.floats(-0.99, 2), st.just(0.0))},
    "fisk": {"c": st.floats(0.1, 20)},
    "burr12": {"c": st.floats(0.1, 10), "d": st.floats(0.05, 20)},
}


@st.composite
def family_and_shapes(draw):
    family = draw(st.sampled_from(list(SHAPES)))
    return family, {k: draw(v) for k, v in SHAPES[family].items()}


@settings(max_examples=60, deadline=None)
@given(law=family_and_shapes(), log_t=st.lists(st.floats(-12, 12), min_size=1, max_size=20))
# the GPD with ξ < 0 has a finite support (t < −1/ξ): outside it log f = log S = −∞
@example(law=("genpareto", {"c": -0.5}), log_t=[0.0, 0.69, 0.7, 5.0])
def test_family_formulas_equal_scipy(law, log_t):
    """Each family's numpy log f and log S at scale 1 (what the optimiser maximises) equal
    scipy's logpdf / logsf wherever scipy's value is finite, and are −∞ where scipy's density
    is 0 (outside the support); scipy is the independent reference here."""
    from puhui.losses.fit_families import get_family

    family, shapes = law
    fam = get_family(family)
    args = [shapes[s] for s in fam.shapes]
    t = np.exp(np.array(log_t))
    # scipy's fisk computes S = 1 − (1 + t^−c)^−1, which loses digits where S is small (it is
    # off by 3.6e-8 at c = 2, t = e^10); the log-logistic is the Burr XII with α = 1, whose
    # scipy formula −log(1 + t^c) is exact: that is the reference for it
    rv = stats.burr12(args[0], 1.0) if family == "fisk" else fam.rv(*args)
    with np.errstate(all="ignore"):
        for ours, ref in [(fam.logpdf(t, *args), rv.logpdf(t)), (fam.logsf(t, *args),
                                                                   rv.logsf(t))]:
            ours = np.broadcast_to(ours, t.shape)
            finite = np.isfinite(ref)
            np.testing.assert_allclose(ours[finite], ref[finite], rtol=1e-10, atol=1e-12)
            outside = rv.pdf(t) == 0
            assert np.all(ours[outside & np.isinf(ref)] == -np.inf)


@settings(max_examples=25, deadline=None)
@given(family=st.sampled_from(list(LAWS)), seed=st.integers(0, 2**32 - 1),
       n=st.integers(20, 80), trunc_q=st.floats(0.0, 0.5), limit_q=st.floats(0.8, 0.99),
       shift=st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_vectorised_objective_and_gradient(family, seed, n, trunc_q, limit_q, shift):
    """The optimiser's objective in one vectorised pass over several parameter points equals
    −ℓ/Σw computed with scipy's frozen law at each point (standardised units), and its
    central-difference gradient equals statsmodels' ``approx_fprime`` to 1e-6."""
    from statsmodels.tools.numdiff import approx_fprime

    from puhui.losses.fit import _Problem
    from puhui.losses.fit_families import get_family
    from puhui.losses.fit_likelihood import as_severity_data

    _, _, x, d, c = _data(family, seed, n, trunc_q, limit_q)
    if c.all():
        return
    fam = get_family(family)
    prob = _Problem(fam, {}, as_severity_data(x, d, c))
    z0 = prob.starts()[0]
    zs = np.array([z0, z0 + 0.3 * np.array(shift[:z0.size]), z0 - 0.1])
    rows = prob.objective_rows(zs)
    for z, value in zip(zs, rows, strict=True):
        p = prob.std_params(z)
        law = fam.rv(*[p[s] for s in fam.shapes], scale=p["scale"])
        with np.errstate(all="ignore"):
            ref = -_scipy_loglik(law, x / prob.unit, d / prob.unit, c) / x.size
        if np.isfinite(ref):
            assert value == pytest.approx(ref, rel=1e-10, abs=1e-12)
            assert prob.objective(z) == value
        else:
            assert value == np.inf
    if np.isfinite(rows[0]):
        ref = np.ravel(approx_fprime(z0, prob.objective, centered=True))
        np.testing.assert_allclose(prob.gradient(z0), ref, rtol=1e-6, atol=1e-8)
