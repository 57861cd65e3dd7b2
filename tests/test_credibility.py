"""Credibility: Bühlmann–Straub on the Hachemeister data (R actuar), Bühlmann, limited
fluctuation."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

from puhui.credibility import (
    Buhlmann,
    BuhlmannStraub,
    full_credibility_standard,
    partial_credibility,
)
from puhui.errors import ParameterError

# Hachemeister (1975) data as shipped in R actuar (``data(hachemeister)``, printed in actuar's
# "credibility" vignette): average bodily-injury claim amounts (ratio.1..12) and claim numbers
# (weight.1..12) for 5 US states over 12 quarters, July 1970 – June 1973.  Cross-check: the
# weighted means and total weights reproduce the "Indiv. mean" and "Weight" columns printed by
# actuar below.
HACHEMEISTER_RATIOS = np.array(
    [
        [1738, 1642, 1794, 2051, 2079, 2234, 2032, 2035, 2115, 2262, 2267, 2517],
        [1364, 1408, 1597, 1444, 1342, 1675, 1470, 1448, 1464, 1831, 1612, 1471],
        [1759, 1685, 1479, 1763, 1674, 2103, 1502, 1622, 1828, 2155, 2233, 2059],
        [1223, 1146, 1010, 1257, 1426, 1532, 1953, 1123, 1343, 1243, 1762, 1306],
        [1456, 1499, 1609, 1741, 1482, 1572, 1606, 1735, 1607, 1573, 1613, 1690],
    ],
    dtype=float,
)
HACHEMEISTER_WEIGHTS = np.array(
    [
        [7861, 9251, 8706, 8575, 7917, 8263, 9456, 8003, 7365, 7832, 7849, 9077],
        [1622, 1742, 1523, 1515, 1622, 1602, 1964, 1515, 1527, 1748, 1654, 1861],
        [1147, 1357, 1329, 1204, 998, 1077, 1277, 1218, 896, 1003, 1108, 1121],
        [407, 396, 348, 341, 315, 328, 352, 331, 287, 384, 321, 342],
        [2902, 3172, 3046, 3068, 2693, 2910, 3275, 2697, 2663, 3017, 3242, 3425],
    ],
    dtype=float,
)


def test_hachemeister_unbiased_matches_actuar():
    # Source: R actuar, summary(cm(~state, hachemeister, ratios = ratio.1:ratio.12,
    # weights = weight.1:weight.12)) -- default one-level estimator (unbiased), as printed in
    # the actuaRE package reference page buhlmannStraub.html ("Compare with actuar package"):
    #   Collective premium: 1683.713; Between state variance: 89638.73;
    #   Within state variance: 139120026
    #   state Indiv. mean Weight Cred. factor Cred. premium
    #   1     2060.921    100155 0.9847404    2055.165
    #   2     1511.224     19895 0.9276352    1523.706
    #   3     1805.843     13735 0.8984754    1793.444
    #   4     1352.976      4152 0.7279092    1442.967
    #   5     1599.829     36110 0.9587911    1603.285
    fit = BuhlmannStraub("unbiased").fit(HACHEMEISTER_RATIOS, HACHEMEISTER_WEIGHTS)
    assert round(fit.collective_, 3) == 1683.713
    assert round(fit.between_variance_, 2) == 89638.73
    assert round(fit.within_variance_) == 139120026
    np.testing.assert_array_equal(
        np.round(fit.individual_means_, 3), [2060.921, 1511.224, 1805.843, 1352.976, 1599.829]
    )
    np.testing.assert_array_equal(fit.weights_, [100155, 19895, 13735, 4152, 36110])
    np.testing.assert_array_equal(
        np.round(fit.z_, 7), [0.9847404, 0.9276352, 0.8984754, 0.7279092, 0.9587911]
    )
    np.testing.assert_array_equal(
        np.round(fit.premiums_, 3), [2055.165, 1523.706, 1793.444, 1442.967, 1603.285]
    )
    assert fit.n_iter_ == 0
    assert fit.credibility_constant_ == pytest.approx(139120026 / 89638.73, rel=1e-6)


def test_hachemeister_iterative_is_the_bichsel_straub_fixed_point():
    # actuar's method = "iterative" (credibility vignette, eq. a-tilde): ã solves
    # ã = Σ z_i (X_iw − X_zw)² / (I − 1), z_i = w_i / (w_i + s²/ã).  The printed actuar output for
    # this call was not available to us, so the reference is an independent root-finding
    # solution of the same equation (scipy brentq) built from the raw data.
    fit = BuhlmannStraub("iterative").fit(HACHEMEISTER_RATIOS, HACHEMEISTER_WEIGHTS)
    w = HACHEMEISTER_WEIGHTS.sum(axis=1)
    xbar = (HACHEMEISTER_RATIOS * HACHEMEISTER_WEIGHTS).sum(axis=1) / w
    s2 = np.sum(HACHEMEISTER_WEIGHTS * (HACHEMEISTER_RATIOS - xbar[:, None]) ** 2) / (60 - 5)

    def gap(a):
        z = w / (w + s2 / a)
        xz = np.sum(z * xbar) / z.sum()
        return a - np.sum(z * (xbar - xz) ** 2) / 4

    a_ref = optimize.brentq(gap, 1e3, 1e6, xtol=1e-12, rtol=1e-14)
    assert fit.between_variance_ == pytest.approx(a_ref, rel=1e-8)
    z = w / (w + s2 / a_ref)
    m = np.sum(z * xbar) / z.sum()
    assert fit.collective_ == pytest.approx(m, rel=1e-10)
    np.testing.assert_allclose(fit.premiums_, m + z * (xbar - m), rtol=1e-10)
    assert fit.within_variance_ == pytest.approx(139120026, rel=1e-8)  # same ŝ² as unbiased
    assert fit.n_iter_ > 1


def test_buhlmann_equal_weights_by_hand():
    # Bühlmann model by hand (Bühlmann & Gisler 2005, ch. 4): means 4 and 7, grand mean 5.5
    x = np.array([[3.0, 5.0, 4.0], [6.0, 8.0, 7.0]])
    fit = Buhlmann().fit(x)
    s2 = 4 / 4  # Σ (x − x̄_i)² / (I (n − 1))
    a = (4.5 / 1) - s2 / 3  # Σ (x̄_i − x̄)² / (I − 1) − s²/n
    z = 3 / (3 + s2 / a)
    assert fit.within_variance_ == pytest.approx(s2)
    assert fit.between_variance_ == pytest.approx(a)
    np.testing.assert_allclose(fit.z_, [z, z])
    np.testing.assert_allclose(fit.premiums_, 5.5 + z * (np.array([4.0, 7.0]) - 5.5))
    # with equal weights the iterative fixed point equals the unbiased estimator
    it = Buhlmann("iterative").fit(x)
    assert it.between_variance_ == pytest.approx(a, rel=1e-9)
    with pytest.raises(ParameterError, match="equal weights"):
        Buhlmann().fit(x, np.ones_like(x))


def test_dataframe_in_series_out_and_missing_cells():
    idx = pd.Index(["杭州", "宁波", "温州", "新区"], name="region")
    r = pd.DataFrame(
        [[0.62, 0.70, 0.66], [0.80, np.nan, 0.84], [0.55, 0.60, np.nan], [np.nan] * 3],
        index=idx,
    )
    w = pd.DataFrame(
        [[100.0, 120.0, 110.0], [40.0, np.nan, 50.0], [60.0, 70.0, np.nan], [np.nan] * 3],
        index=idx,
    )
    fit = BuhlmannStraub().fit(r, w)
    assert isinstance(fit.premiums_, pd.Series)
    assert list(fit.premiums_.index) == list(idx)
    # a contract with no experience gets the collective premium and z = 0
    assert fit.z_["新区"] == 0.0
    assert fit.premiums_["新区"] == pytest.approx(fit.collective_)
    table = fit.summary()
    assert list(table.columns) == ["individual_mean", "weight", "z", "premium"]
    assert table.attrs["collective"] == fit.collective_


def test_no_heterogeneity_warns_and_gives_the_collective():
    x = np.array([[1.0, 3.0, 2.0], [2.0, 1.0, 3.0], [3.0, 2.0, 1.0]])
    with pytest.warns(RuntimeWarning, match="no heterogeneity"):
        fit = BuhlmannStraub().fit(x, np.ones_like(x))
    assert fit.between_variance_ == 0.0
    np.testing.assert_array_equal(fit.z_, 0.0)
    np.testing.assert_allclose(fit.premiums_, 2.0)


@pytest.mark.parametrize(
    "ratios,weights,match",
    [
        ([[1.0, 2.0], [3.0, np.nan]], [[1.0, 1.0], [1.0, 1.0]], "same cells"),
        ([[1.0, 2.0], [3.0, 4.0]], [[1.0, 0.0], [1.0, 1.0]], "> 0"),
        ([[1.0, 2.0], [3.0, 4.0]], [[1.0, 1.0]], "shape"),
        ([1.0, 2.0], None, "2-D"),
        ([[1.0], [2.0]], None, "two or more periods"),
        ([[1.0, 2.0]], None, "two contracts"),
    ],
)
def test_bad_input_raises(ratios, weights, match):
    with pytest.raises(ParameterError, match=match):
        BuhlmannStraub().fit(np.asarray(ratios, dtype=float), weights)


def test_unknown_method_raises():
    with pytest.raises(ParameterError):
        BuhlmannStraub("ohlsson").fit(HACHEMEISTER_RATIOS, HACHEMEISTER_WEIGHTS)


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(st.lists(st.floats(0.0, 1000.0), min_size=4, max_size=4), min_size=3, max_size=6),
    vols=st.lists(st.floats(0.5, 500.0), min_size=4, max_size=4),
    method=st.sampled_from(["unbiased", "iterative"]),
)
def test_property_z_in_unit_interval_and_premium_between(data, vols, method):
    x = np.array(data)
    w = np.tile(np.array(vols), (x.shape[0], 1)) * (1 + np.arange(x.shape[0]))[:, None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fit = BuhlmannStraub(method).fit(x, w)
    z = np.asarray(fit.z_)
    assert np.all((z >= 0) & (z <= 1))
    lo = np.minimum(fit.individual_means_, fit.collective_)
    hi = np.maximum(fit.individual_means_, fit.collective_)
    tol = 1e-9 * (1 + np.abs(hi))
    assert np.all((fit.premiums_ >= lo - tol) & (fit.premiums_ <= hi + tol))


# --------------------------------------------------------------------------------------------
# limited fluctuation
# --------------------------------------------------------------------------------------------
def test_full_credibility_standard_1082_claims():
    # The classical standard: (z_{0.95} / 0.05)² = (1.644854 / 0.05)² = 1082.2 claims for
    # P[|N − E N| ≤ 5 % E N] ≥ 90 % (Mowbray 1914; Longley-Cook 1962; KPW ch. 17).
    n_f = full_credibility_standard(0.90, 0.05)
    assert round(n_f) == 1082
    assert n_f == pytest.approx((1.6448536269514722 / 0.05) ** 2, rel=1e-12)
    # claim-size variability multiplies by (1 + CV²)
    assert full_credibility_standard(0.90, 0.05, cv=2.0) == pytest.approx(5 * n_f)
    # 95 % / 5 %: (1.959964 / 0.05)² = 1536.6
    assert round(full_credibility_standard(0.95, 0.05), 1) == 1536.6


def test_partial_credibility_square_root_rule():
    n_f = full_credibility_standard()
    z = partial_credibility(np.array([0.0, n_f / 4, n_f, 5 * n_f]))
    np.testing.assert_allclose(z, [0.0, 0.5, 1.0, 1.0])
    assert isinstance(partial_credibility(100.0), float)
    with pytest.raises(ParameterError):
        partial_credibility(-1.0)
    for bad in ({"p": 1.0}, {"k": 0.0}, {"cv": -1.0}):
        with pytest.raises(ParameterError):
            full_credibility_standard(**bad)


@settings(max_examples=50, deadline=None)
@given(n=st.floats(0, 1e6), p=st.floats(0.5, 0.999), k=st.floats(0.005, 0.5))
def test_property_partial_credibility_in_unit_interval(n, p, k):
    z = partial_credibility(n, p, k)
    assert 0.0 <= z <= 1.0
    assert partial_credibility(2 * n + 1, p, k) >= z  # more claims, no less credibility


# --------------------------------------------------------------------------------------------
# docs/credibility.md: its code blocks run in sequence and the numbers quoted there hold
# --------------------------------------------------------------------------------------------
def test_docs_page_code_and_quoted_numbers():
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "credibility.md").read_text(
        encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 4
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the origin model's singular A
        for block in blocks:
            exec(compile(block, "docs/credibility.md", "exec"), namespace)
    fit, it = namespace["fit"], namespace["it"]
    assert round(fit.collective_, 3) == 1742.220
    np.testing.assert_array_equal(fit.between_variances_.round(2), [87263.70, 13414.84])
    assert round(fit.within_variance_) == 139120026
    np.testing.assert_array_equal(fit.premiums_["cohort"].round(3), [1941.675, 1542.765])
    np.testing.assert_array_equal(fit.premiums_["state"].round(3),
                                  [2049.733, 1522.032, 1864.280, 1488.504, 1587.097])
    np.testing.assert_array_equal(it.premiums_["state"].round(3),
                                  [2048.324, 1523.800, 1874.625, 1496.563, 1585.169])
    origin, bary = namespace["origin"], namespace["bary"]
    np.testing.assert_array_equal(origin.predict(13).round(3),
                                  [2436.752, 1650.533, 2073.296, 1507.070, 1759.403])
    np.testing.assert_array_equal(origin.collective_.round(3), [1468.775, 32.049])
    np.testing.assert_array_equal(bary.predict(13).round(3),
                                  [2456.519, 1651.005, 2071.252, 1596.987, 1697.871])
    assert round(bary.barycentre_, 3) == 6.475
    np.testing.assert_array_equal(np.diag(bary.structure_matrix_).round(2), [93782.97, 8045.75])
    assert 40 < origin.n_iter_ < 100  # "converges (63 iterations at 1e-10)"
    assert "1,082" in text and "1082.2" in text
    assert round(full_credibility_standard(0.90, 0.05, cv=2.0), 1) == 5411.1
    np.testing.assert_array_equal(np.round(partial_credibility([100, 500, 2000]), 3),
                                  [0.304, 0.680, 1.0])
