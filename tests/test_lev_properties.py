"""Property tests of the limited moments E[min(X, u)^k] for every supported loss law.

For each law (the closed forms of :data:`puhui.losses.lev.CLOSED_FORM_LAWS` and the scipy
families the docs list for the numerical fallback), over random parameters, orders k and limits
u up to 10¹² × scale:

* 0 ≤ E[min(X, u)^k] ≤ u^k and the limited moment does not decrease with u;
* it agrees with an independent quadrature of ∫_0^u k x^(k−1) S(x) dx, done here in the
  variable ln x with scipy's QUADPACK and survival functions written out in this file in
  numerically stable form (not scipy's ``sf``, which loses digits far in some tails);
* at u = ∞ it is ``inf`` exactly when E[X^k] does not exist (k ≥ the tail index, restated here
  for each law from its survival function) and otherwise finite and equal to the raw moment
  written out below (Klugman, Panjer & Willmot, *Loss Models*, 4th ed., Appendix A).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats

from puhui.losses.lev import CLOSED_FORM_LAWS, lev_moment

G, LG = special.gamma, special.gammaln


def _lsp(t):
    """log(1 + e^t) without overflow."""
    return np.logaddexp(0.0, t)


@dataclass(frozen=True)
class Law:
    name: str
    bounds: tuple[tuple[float, float], ...]  # ranges of the scipy shape parameters
    survival: object  # S(x; *shapes) for scale 1, numerically stable, written here
    index: object  # tail index ι(*shapes): E[X^k] < ∞ ⇔ k < ι
    raw: object = None  # E[X^k](k, *shapes) for scale 1, where it has a closed form
    numeric_orders: object = field(default=lambda k: False)  # orders served by the fallback


INF = np.inf


def _log1m_exp(t):
    """log(1 − e^{−t}), t > 0, accurate for small and large t."""
    e = np.exp(-t)
    return np.log1p(-e) if e < 0.5 else np.log(-np.expm1(-t))


def _gpd_raw(k, c):
    if abs(c) < 1e-8:  # ln E[X^k] = ln Γ(k+1) + k(k+1)c/2 + O(c²) (Stirling in a = 1/c)
        return G(k + 1) * np.exp(0.5 * k * (k + 1) * c)
    if c > 0:  # Lomax with α = 1/c, θ = 1/c: Γ(k+1) Γ(α−k) / (Γ(α) c^k)
        a = 1.0 / c
        return G(k + 1) * a**k / special.poch(a - k, k)
    b = -1.0 / c  # X = (1/|c|)(1 − V), V ~ Beta(b, 1): E[X^k] = b^k · b · B(k+1, b)
    return b**k * b * special.beta(k + 1, b)


def _gpd_survival(x, c):
    if c == 0:
        return np.exp(-x)
    z = c * x
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(z > -1, np.exp(-np.log1p(np.maximum(z, -1 + 1e-300)) / c), 0.0)


LAWS = [
    # ---- closed forms -------------------------------------------------------------------------
    Law("expon", (), lambda x: np.exp(-x), lambda: INF, lambda k: G(k + 1)),
    Law("gamma", ((0.2, 20.0),), lambda x, a: special.gammaincc(a, x), lambda a: INF,
        lambda k, a: np.exp(LG(a + k) - LG(a))),
    Law("lognorm", ((0.1, 2.5),), lambda x, s: special.ndtr(-np.log(x) / s), lambda s: INF,
        lambda k, s: np.exp(0.5 * (k * s) ** 2)),
    Law("weibull_min", ((0.3, 5.0),), lambda x, c: np.exp(-(x**c)), lambda c: INF,
        lambda k, c: G(1 + k / c)),
    Law("pareto", ((0.5, 5.0),), lambda x, b: np.where(x < 1, 1.0, x ** -b), lambda b: b,
        lambda k, b: b / (b - k)),
    Law("lomax", ((0.3, 5.0),), lambda x, c: np.exp(-c * np.log1p(x)), lambda c: c,
        lambda k, c: np.exp(LG(k + 1) + LG(c - k) - LG(c))),
    Law("genpareto", ((-0.8, 0.9),), _gpd_survival,
        lambda c: 1.0 / c if c > 0 else INF, _gpd_raw,
        numeric_orders=lambda k: k not in (1, 2)),
    Law("fisk", ((0.5, 6.0),), lambda x, c: special.expit(-c * np.log(x)), lambda c: c,
        lambda k, c: G(1 + k / c) * G(1 - k / c)),
    Law("burr12", ((0.3, 5.0), (0.3, 5.0)),
        lambda x, c, d: np.exp(-d * _lsp(c * np.log(x))), lambda c, d: c * d,
        lambda k, c, d: np.exp(LG(1 + k / c) + LG(d - k / c) - LG(d))),
    Law("burr", ((0.3, 5.0), (0.3, 5.0)),
        lambda x, c, d: -np.expm1(-d * _lsp(-c * np.log(x))), lambda c, d: c,
        lambda k, c, d: np.exp(LG(d + k / c) + LG(1 - k / c) - LG(d))),
    Law("betaprime", ((0.3, 6.0), (0.3, 6.0)),
        lambda x, a, b: special.betainc(b, a, special.expit(-np.log(x))), lambda a, b: b,
        lambda k, a, b: np.exp(LG(a + k) + LG(b - k) - LG(a) - LG(b))),
    Law("mielke", ((0.3, 6.0), (0.3, 6.0)),
        lambda x, kk, s: -np.expm1(-(kk / s) * _lsp(-s * np.log(x))), lambda kk, s: s,
        lambda k, kk, s: np.exp(LG(kk / s + k / s) + LG(1 - k / s) - LG(kk / s))),
    Law("invgamma", ((0.3, 6.0),), lambda x, a: special.gammainc(a, 1.0 / x), lambda a: a,
        lambda k, a: np.exp(LG(a - k) - LG(a))),
    Law("invweibull", ((0.3, 6.0),), lambda x, c: -np.expm1(-(x**-c)), lambda c: c,
        lambda k, c: G(1 - k / c)),
    Law("gengamma", ((0.3, 5.0), (-4.0, 4.0)),
        lambda x, a, c: (special.gammaincc(a, x**c) if c > 0 else special.gammainc(a, x**c)),
        lambda a, c: -a * c if c < 0 else INF,
        lambda k, a, c: np.exp(LG(a + k / c) - LG(a))),
    # ---- numerical fallback (docs/losses_and_benefits.md lists these) ----------------------
    Law("invgauss", ((0.2, 3.0),),
        lambda x, m: special.ndtr(-(x / m - 1) / np.sqrt(x))
        - np.exp(2 / m) * special.ndtr(-(x / m + 1) / np.sqrt(x)),
        lambda m: INF, None, numeric_orders=lambda k: True),
    Law("halfnorm", (), lambda x: special.erfc(x / np.sqrt(2.0)), lambda: INF,
        lambda k: 2 ** (k / 2) * G((k + 1) / 2) / np.sqrt(np.pi), lambda k: True),
    Law("chi2", ((0.5, 20.0),), lambda x, df: special.gammaincc(df / 2, x / 2), lambda df: INF,
        lambda k, df: 2**k * np.exp(LG(df / 2 + k) - LG(df / 2)), lambda k: True),
    Law("rayleigh", (), lambda x: np.exp(-0.5 * x * x), lambda: INF,
        lambda k: 2 ** (k / 2) * G(1 + k / 2), lambda k: True),
    Law("exponweib", ((0.3, 5.0), (0.3, 4.0)),
        lambda x, a, c: -np.expm1(a * _log1m_exp(x**c)), lambda a, c: INF, None,
        lambda k: True),
    Law("loglaplace", ((0.3, 5.0),),
        lambda x, c: np.where(x < 1, 1 - 0.5 * np.minimum(x, 1) ** c, 0.5 * x ** -c),
        lambda c: c, lambda k, c: c * c / (c * c - k * k), lambda k: True),
    Law("halfcauchy", (), lambda x: 2 / np.pi * np.arctan(1 / x), lambda: 1.0,
        lambda k: 1 / np.cos(np.pi * k / 2), lambda k: True),
    Law("levy", (), lambda x: special.erf(1 / np.sqrt(2 * x)), lambda: 0.5,
        lambda k: 2.0**-k * G(0.5 - k) / np.sqrt(np.pi), lambda k: True),
    Law("f", ((1.0, 20.0), (1.0, 20.0)),
        lambda x, n, d: special.betainc(d / 2, n / 2, d / (d + n * x)), lambda n, d: d / 2,
        lambda k, n, d: (d / n) ** k * np.exp(LG(n / 2 + k) + LG(d / 2 - k) - LG(n / 2)
                                               - LG(d / 2)),
        lambda k: True),
]
LAW_IDS = [law.name for law in LAWS]


def test_every_closed_form_law_is_covered():
    assert set(CLOSED_FORM_LAWS) <= set(LAW_IDS)


def reference_lev(law: Law, shapes, u: float, k: float) -> float:
    """∫_0^u k x^(k−1) S(x) dx for scale 1: QUADPACK on [0, x₀] in x (x₀ = min(u, 10⁻⁶);
    it copes with the x^(k−1) and slowly rising F singularities at 0), then on ln x in pieces
    of width ≤ 2, with a break at x = 1 (the single-parameter Pareto's kink).
    """
    sf = law.survival

    def in_log(t):
        x = np.exp(t)
        return k * np.exp(k * t) * float(sf(x, *shapes))

    def in_x(x):
        return k * x ** (k - 1) * float(sf(x, *shapes)) if x > 0 else 0.0

    x0 = min(u, 1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        total = integrate.quad(in_x, 0.0, x0, epsabs=0, epsrel=1e-12, limit=200)[0]
        if u > x0:
            edges = np.linspace(np.log(x0), np.log(u), int(np.ceil(np.log(u / x0) / 2.0)) + 1)
            edges = np.unique(np.append(edges, 0.0) if x0 < 1 < u else edges)  # pareto's kink
            for a, b in zip(edges[:-1], edges[1:], strict=True):
                total += integrate.quad(in_log, a, b, epsabs=0, epsrel=1e-12, limit=200)[0]
    return total


@st.composite
def cases(draw, law: Law):
    shapes = tuple(draw(st.floats(lo, hi)) for lo, hi in law.bounds)
    if law.name == "gengamma" and abs(shapes[1]) < 0.3:  # c = 0 is not a law
        shapes = (shapes[0], 0.3 if shapes[1] >= 0 else -0.3)
    index = float(law.index(*shapes))
    k = draw(st.one_of(
        st.sampled_from([1.0, 2.0]),
        st.floats(0.25, 4.0),
        # the boundary of existence, where the textbook formulas break down
        st.sampled_from([0.999, 1.0, 1.001, 1.5]).map(
            lambda r: r * index if np.isfinite(index) and 0.05 < r * index < 6 else 1.0),
    ))
    scale = 10.0 ** draw(st.floats(-3.0, 6.0))
    ratios = draw(st.lists(st.floats(-6.0, 12.0), min_size=2, max_size=5))
    limits = np.unique(scale * 10.0 ** np.asarray(ratios))
    return shapes, k, scale, limits


def _freeze(law: Law, shapes, scale):
    return getattr(stats, law.name)(*shapes, scale=scale)


@pytest.mark.parametrize("law", LAWS, ids=LAW_IDS)
@settings(max_examples=6)
@given(data=st.data())
def test_limited_moments_bounded_monotone_and_equal_to_quadrature(law, data):
    shapes, k, scale, limits = data.draw(cases(law))
    model = _freeze(law, shapes, scale)
    got = np.asarray(lev_moment(model, limits, k))
    uk = limits**k
    assert np.all(np.isfinite(got)), (got, limits)
    assert np.all(got >= 0)
    assert np.all(got <= uk * (1 + 1e-12))
    assert np.all(np.diff(got) >= -1e-12 * got[1:])
    # independent quadrature, scale 1: E[min(θZ, u)^k] = θ^k E[min(Z, u/θ)^k]
    want = [scale**k * reference_lev(law, shapes, u / scale, k) for u in limits]
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=0)


@pytest.mark.parametrize("law", LAWS, ids=LAW_IDS)
@settings(max_examples=6)
@given(data=st.data())
def test_raw_moment_is_inf_exactly_when_it_does_not_exist(law, data):
    shapes, k, scale, limits = data.draw(cases(law))
    model = _freeze(law, shapes, scale)
    index = float(law.index(*shapes))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the fallback's quad near the index
        got = float(lev_moment(model, np.inf, k))
    if k >= index:
        assert got == np.inf
        return
    assert np.isfinite(got)
    far = float(lev_moment(model, 1e12 * scale, k))
    assert got >= far * (1 - 1e-12)
    if law.raw is not None and not (law.numeric_orders(k) and k > 0.9 * index):
        want = scale**k * law.raw(k, *shapes)
        # closed forms: exact; the fallback's adaptive tail: 1e-8
        rtol = 1e-8 if law.numeric_orders(k) else 1e-10
        assert got == pytest.approx(want, rel=rtol)


@pytest.mark.parametrize("law", LAWS, ids=LAW_IDS)
def test_tail_index_matches_the_survival_function(law):
    # the stated index is the local slope −d ln S / d ln x far out (S ~ C x^−ι), or the slope
    # keeps growing (light tail, ι = ∞)
    mid = tuple(0.5 * (lo + hi) for lo, hi in law.bounds)
    if law.name == "gengamma":
        mid = (1.7, -1.3)
    index = float(law.index(*mid))
    # far enough for the power law, near enough for S not to underflow
    x = (10.0 ** min(20.0, 200.0 / index) * np.array([1.0, 10.0]) if np.isfinite(index)
         else np.array([1e1, 1e2, 1e3]))
    with np.errstate(all="ignore"):
        s = np.array([float(law.survival(v, *mid)) for v in x])
        slopes = -np.diff(np.log(s)) / np.diff(np.log(x))
    if np.isfinite(index):
        assert slopes[0] == pytest.approx(index, rel=1e-3)
    else:  # S underflows, or its log-log slope keeps steepening
        assert s[-1] == 0 or slopes[1] > 1.2 * slopes[0]
