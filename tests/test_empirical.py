"""Empirical loss law: actuar's dental example, weights, quantiles, brute-force agreement."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from puhui.errors import ParameterError
from puhui.losses.empirical import Empirical
from puhui.losses.lev import lev, lev_moment

# actuar's `dental` data set (individual dental claims, policy deductible 50), from Klugman,
# Panjer & Willmot, Loss Models (1998); as printed by `data("dental"); dental` in actuar's
# "Loss modeling features of actuar" vignette, section "Data sets".
DENTAL = [141, 16, 46, 40, 351, 259, 317, 1511, 107, 567]


def test_dental_elev_at_the_knots():
    # actuar: lev <- elev(dental); lev(knots(lev)) — "ELEV at data points" in the modeling
    # vignette. elev's formula (actuar ?elev): E_n[X∧u] = (Σ_{x_j<u} x_j + Σ_{x_j≥u} u)/n.
    # Hand computation on the sorted data 16 40 46 107 141 259 317 351 567 1511:
    #   u=16: (0 + 10·16)/10 = 16.0      u=40: (16 + 9·40)/10 = 37.6
    #   u=46: (56 + 8·46)/10 = 42.4      u=107: (102 + 7·107)/10 = 85.1
    #   u=141: (209 + 6·141)/10 = 105.5  u=259: (350 + 5·259)/10 = 164.5
    #   u=317: (609 + 4·317)/10 = 187.7  u=351: (926 + 3·351)/10 = 197.9
    #   u=567: (1277 + 2·567)/10 = 241.1 u=1511: 3355/10 = 335.5
    knots = [16, 40, 46, 107, 141, 259, 317, 351, 567, 1511]
    want = [16.0, 37.6, 42.4, 85.1, 105.5, 164.5, 187.7, 197.9, 241.1, 335.5]
    np.testing.assert_allclose(Empirical(DENTAL).lev(knots), want, rtol=1e-14)
    np.testing.assert_allclose(lev(Empirical(DENTAL), knots), want, rtol=1e-14)


def test_dental_elev_between_knots():
    # Same formula at u = 50, 100, 200, 500, 1000:
    #   50: (102 + 7·50)/10 = 45.2     100: (102 + 7·100)/10 = 80.2
    #   200: (350 + 5·200)/10 = 135.0  500: (1277 + 2·500)/10 = 227.7
    #   1000: (1844 + 1000)/10 = 284.4
    got = Empirical(DENTAL).lev([50, 100, 200, 500, 1000])
    np.testing.assert_allclose(got, [45.2, 80.2, 135.0, 227.7, 284.4], rtol=1e-14)


def test_dental_empirical_moments():
    # actuar: emm(dental, order = 1:3). Hand computation on the ten claims:
    #   Σx  = 3 355                                            → 335.5
    #   Σx² = 19881 + 256 + 2116 + 1600 + 123201 + 67081 + 100489 + 2283121 + 11449 + 321489
    #       = 2 930 683                                        → 293 068.3
    #   Σx³ = 2803221 + 4096 + 97336 + 64000 + 43243551 + 17373979 + 31855013 + 3449795831
    #         + 1225043 + 182284263 = 3 728 746 333            → 372 874 633.3
    d = Empirical(DENTAL)
    assert d.mean() == pytest.approx(335.5, rel=1e-15)
    assert d.moment(2) == pytest.approx(293068.3, rel=1e-14)
    assert d.moment(3) == pytest.approx(372874633.3, rel=1e-14)
    assert d.var() == pytest.approx(293068.3 - 335.5**2, rel=1e-13)


def test_cdf_sf_and_quantile_type_1():
    d = Empirical(DENTAL)
    assert d.cdf(107) == 0.4 and d.sf(107) == 0.6  # F is right-continuous: P(X ≤ 107) = 4/10
    assert d.cdf(106.9) == 0.3
    assert d.cdf(-1) == 0.0 and d.sf(1e9) == 0.0
    q = np.array([0.0, 0.05, 0.1, 0.3, 0.31, 0.5, 0.99, 1.0])
    # numpy's "inverted_cdf" is Hyndman–Fan type 1 = R quantile(type = 1)
    np.testing.assert_array_equal(d.quantile(q), np.quantile(DENTAL, q, method="inverted_cdf"))
    assert d.ppf(0.5) == d.quantile(0.5) == 141
    with pytest.raises(ParameterError, match="q:"):
        d.quantile(1.5)


def test_integer_weights_equal_replicated_sample():
    rng = np.random.default_rng(7)
    x = rng.gamma(1.5, 1000.0, 300)
    w = rng.integers(0, 5, 300)
    weighted = Empirical(x, weights=w)
    replicated = Empirical(np.repeat(x, w))
    u = np.concatenate([[0.0, 10.0, np.inf], np.quantile(x, [0.1, 0.5, 0.9, 0.999])])
    np.testing.assert_allclose(weighted.lev(u), replicated.lev(u), rtol=1e-12)
    np.testing.assert_allclose(weighted.lev_moment(u, 2), replicated.lev_moment(u, 2), rtol=1e-12)
    np.testing.assert_allclose(weighted.cdf(u), replicated.cdf(u), rtol=1e-12)
    assert weighted.mean() == pytest.approx(replicated.mean(), rel=1e-12)
    assert weighted.var() == pytest.approx(replicated.var(), rel=1e-12)
    q = [0.1, 0.37, 0.5, 0.9]
    np.testing.assert_array_equal(weighted.quantile(q), replicated.quantile(q))


def test_zero_losses_and_layers_against_brute_force():
    rng = np.random.default_rng(11)
    x = rng.lognormal(8, 1.5, 5000)
    x[rng.random(5000) < 0.6] = 0.0  # most members claim nothing
    e = Empirical(x)
    a = np.array([0.0, 100.0, 5000.0, 1e5, 1e6])
    b = a + np.array([50.0, 1e4, np.inf, 2e5, 1.0])
    brute = np.array([np.mean(np.minimum(x, hi) - np.minimum(x, lo)) for lo, hi in zip(a, b, strict=True)])
    np.testing.assert_allclose(e.layer_mean(a, b), brute, rtol=1e-12, atol=1e-300)
    brute2 = np.array([np.mean((np.minimum(x, hi) - np.minimum(x, lo)) ** 2)
                       for lo, hi in zip(a, b, strict=True)])
    np.testing.assert_allclose(e.layer_second_moment(a, b), brute2, rtol=1e-10, atol=1e-300)
    np.testing.assert_allclose(lev_moment(e, [1.0, 1e4], 2),
                               [np.mean(np.minimum(x, 1.0) ** 2), np.mean(np.minimum(x, 1e4) ** 2)],
                               rtol=1e-12)


def test_rvs_is_reproducible_and_draws_from_the_sample():
    d = Empirical(DENTAL, weights=np.arange(1, 11))
    a, b = d.rvs(50, seed=3), d.rvs(50, seed=3)
    np.testing.assert_array_equal(a, b)
    assert set(a) <= set(DENTAL)
    assert Empirical(DENTAL).rvs(20, seed=np.random.default_rng(1)).shape == (20,)


@pytest.mark.parametrize(
    ("sample", "weights", "match"),
    [
        ([], None, "at least one"),
        ([[1.0, 2.0]], None, "1-D"),
        ([1.0, np.nan], None, "finite; position 1"),
        ([1.0, -3.0], None, "≥ 0; position 1"),
        ([1.0, 2.0], [1.0], "does not match"),
        ([1.0, 2.0], [1.0, -1.0], "weights: must be finite and ≥ 0; position 1"),
        ([1.0, 2.0], [0.0, 0.0], "sum to 0"),
    ],
)
def test_bad_input_is_rejected_with_the_argument_named(sample, weights, match):
    with pytest.raises(ParameterError, match=match):
        Empirical(sample, weights)


def test_repr_and_read_only_views():
    d = Empirical(DENTAL)
    assert "n=10" in repr(d)
    with pytest.raises(ValueError):
        d.values[0] = 5.0
    assert d.weights is None and d.n == 10


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1e7), min_size=1, max_size=40),
       st.lists(st.floats(0, 2e7), min_size=2, max_size=20))
def test_empirical_lev_is_elev_and_concave(sample, limits):
    e = Empirical(sample)
    u = np.unique(limits)
    got = e.lev(u)
    x = np.asarray(sample)
    brute = np.array([np.mean(np.minimum(x, v)) for v in u])
    np.testing.assert_allclose(got, np.where(u > 0, brute, 0.0), rtol=1e-12, atol=1e-9)
    assert np.all(np.diff(got) >= -1e-9) and np.all(got <= e.mean() * (1 + 1e-12) + 1e-9)
    if u.size >= 3:
        gaps = np.diff(u)
        ok = gaps > 1e-3
        slopes = np.diff(got)[ok] / gaps[ok]
        assert np.all(np.diff(slopes) <= 1e-6)


# ---------------------------------------------------------------------------------------------
# Construction: one vectorised sort, the same arrays as a stable sort and concatenated sums
# ---------------------------------------------------------------------------------------------

def _bits(a) -> np.ndarray:
    return np.asarray(a, dtype=float).view(np.int64)


def _reference(x, w):
    """The straightforward construction: stable argsort, gathers, concatenated running sums."""
    order = np.argsort(x, kind="stable")
    xs = x[order]
    ws = None if w is None else w[order]
    v = xs if w is None else xs * ws
    prefix = np.concatenate([[0.0], np.cumsum(v)])
    suffix = np.concatenate([np.cumsum(v[::-1])[::-1], [0.0]])
    return order, xs, ws, prefix, suffix


def _awkward_samples(rng):
    """Ties, zeros (also −0.0), and distinct losses a few ulps apart (they share high bits)."""
    n = 3000
    tied = rng.integers(0, 30, n) * 100.0
    zeros = rng.lognormal(8, 1.5, n)
    zeros[rng.random(n) < 0.6] = 0.0
    zeros[rng.random(n) < 0.2] = -0.0
    near = rng.integers(1, 4, n) * 1000.0
    near = np.where(rng.random(n) < 0.5, near, np.nextafter(near, np.inf))
    near[rng.random(n) < 0.3] += 2e-12  # a few ulps above 1000, 2000, 3000
    return [rng.lognormal(8, 1.5, n), tied, zeros, near, np.array([5.0])]


def test_construction_matches_the_stable_sort_bit_for_bit():
    from puhui.losses.empirical import _stable_sort

    rng = np.random.default_rng(2026)
    for x in _awkward_samples(rng):
        for w in (None, rng.random(x.size), rng.integers(0, 3, x.size) + 0.5):
            order, xs, ws, prefix, suffix = _reference(x, w)
            e = Empirical(x, w)
            np.testing.assert_array_equal(_bits(e.values), _bits(xs))  # −0.0 where it was
            np.testing.assert_array_equal(_bits(e._prefix(1.0)), _bits(prefix))
            np.testing.assert_array_equal(_bits(e._suffix(1.0)), _bits(suffix))
            total = x.size if w is None else np.cumsum(ws)[-1]
            assert _bits(e.mean()) == _bits(prefix[-1] / total)
            if w is not None:
                np.testing.assert_array_equal(_stable_sort(x)[0], order)
                np.testing.assert_array_equal(_bits(e.weights), _bits(ws))
                np.testing.assert_array_equal(_bits(e._c0), _bits(np.r_[0.0, np.cumsum(ws)]))
                np.testing.assert_array_equal(_bits(e._t0),
                                              _bits(np.r_[np.cumsum(ws[::-1])[::-1], 0.0]))
            else:  # counts are made where needed, exactly
                i = np.arange(x.size + 1)
                np.testing.assert_array_equal(e.cdf(np.r_[xs, -1.0]),
                                              np.r_[np.searchsorted(xs, xs, "right"), 0] / x.size)
                np.testing.assert_array_equal(e._weight_from(i), (x.size - i).astype(float))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from([0.0, -0.0, 1.0, 1e-300, 7.5, 1000.0, 3e9]), min_size=1,
                max_size=60),
       st.lists(st.integers(0, 3), min_size=60, max_size=60))
def test_stable_sort_of_near_ties_is_numpys_stable_argsort(base, ulps):
    from puhui.losses.empirical import _stable_sort

    x = np.asarray(base)
    for k in range(3):  # step some values up by whole ulps: same high bits, different values
        step = np.asarray(ulps[: x.size]) > k
        x = np.where(step & (x > 0), np.nextafter(x, np.inf), x)
    order, xs = _stable_sort(x)
    np.testing.assert_array_equal(order, np.argsort(x, kind="stable"))
    np.testing.assert_array_equal(_bits(xs), _bits(x[np.argsort(x, kind="stable")]))


def test_equal_weight_quantiles_match_the_array_of_fractions():
    from puhui.losses.empirical import _fractions_below

    rng = np.random.default_rng(3)
    for n in (1, 3, 7, 10, 49, 1000, 999_983):
        k = rng.integers(0, n + 1, 200)
        q = np.concatenate([k / n, np.nextafter(k / n, 0.0), np.nextafter(k / n, 1.0),
                            rng.random(200), [0.0, 1.0]])
        q = np.clip(q, 0.0, 1.0)
        want = np.searchsorted(np.arange(1, n + 1) / n, q, side="left")
        np.testing.assert_array_equal(_fractions_below(q, n), want)


def test_std_without_calling_var_first():
    d = Empirical(DENTAL)
    assert d.std() == pytest.approx(np.std(DENTAL), rel=1e-14)
