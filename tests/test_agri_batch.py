"""Batch repricing equals the single-cell YieldModel, cell by cell (puhui.agri.batch)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from puhui.agri.batch import RATE_COLUMNS, reprice, yield_panel
from puhui.agri.yield_model import YieldModel
from puhui.errors import DataError, ParameterError

LEVELS = (0.6, 0.75, 0.9, 1.0)


def random_table(cells: int, seed: int) -> pd.DataFrame:
    """Seeded cells with their own length (8–35 years), gaps, trends and disaster years."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(cells):
        n = rng.integers(8, 36)
        years = np.sort(rng.choice(np.arange(1975, 2015), n, replace=False))
        level, slope = rng.uniform(150, 800), rng.uniform(-1, 8)
        y = level + slope * (years - 1975) + rng.normal(0, rng.uniform(5, 80), n)
        y[rng.random(n) < 0.06] *= rng.uniform(0.2, 0.6)
        frames.append(pd.DataFrame({"region": f"county{i:04d}", "crop": rng.choice(["rice",
                                    "maize"]), "year": years, "yield": np.maximum(y, 1.0)}))
    return pd.concat(frames, ignore_index=True)


TABLE = random_table(300, seed=2025)
# each cell's rows, split once: filtering the table by region and crop for every one of the
# ~3,700 single-cell fits below cost a third of this file's time
CELLS = {key: g for key, g in TABLE.groupby(["region", "crop"], sort=False)}


def single_cell(df, region, crop, detrend, adjustment, density, bandwidth="silverman",
                rating_year=None):
    """The single-cell YieldModel on the rows of (region, crop) in ``df`` (a slice of whole
    cells of TABLE)."""
    g = CELLS[(region, crop)]
    assert g.index.isin(df.index).all()
    m = YieldModel(detrend, adjustment, density, bandwidth=bandwidth,
                   rating_year=rating_year).fit(g["year"], g["yield"])
    return m


@pytest.mark.parametrize("detrend,adjustment", [
    ("linear", "additive"), ("quadratic", "multiplicative"), ("robust", "additive"),
    ("none", "multiplicative"), ("linear", "heteroscedastic"), ("robust", 1.0)])
def test_batch_equals_single_cell_on_300_random_cells(detrend, adjustment):
    out = reprice(TABLE, LEVELS, detrend=detrend, adjustment=adjustment,
                  density=("empirical", "kde"), on_invalid="skip")
    skipped = pd.DataFrame(out.attrs["skipped"], columns=["region", "crop", "reason"])
    assert len(skipped) < 15     # only cells where a rule says they cannot be rated
    for (region, crop), g in out.groupby(["region", "crop"], sort=False):
        for density in ("empirical", "kde"):
            m = single_cell(TABLE, region, crop, detrend, adjustment, density)
            np.testing.assert_allclose(g[RATE_COLUMNS[density]], m.premium_rate(LEVELS),
                                       rtol=1e-9, atol=1e-13)
        assert g["expected_yield"].iloc[0] == pytest.approx(m.expected_yield_, rel=1e-10)
        if density == "kde":
            assert g["bandwidth"].iloc[0] == pytest.approx(m.bandwidth_, rel=1e-10)
    for region, crop, reason in skipped.itertuples(index=False):   # the single model refuses too
        with pytest.raises(ParameterError):
            single_cell(TABLE, region, crop, detrend, adjustment, "kde")
        assert reason


@pytest.mark.parametrize("density", ["lognormal", "weibull"])
def test_batch_parametric_equals_single_cell(density):
    df = TABLE[TABLE["region"] < ("county0060" if density == "lognormal" else "county0025")]
    out = reprice(df, LEVELS, detrend="linear", adjustment="multiplicative", density=density)
    for (region, crop), g in out.groupby(["region", "crop"], sort=False):
        m = single_cell(df, region, crop, "linear", "multiplicative", density)
        # the same Weibull MLE (density.weibull_mle) on one row and on the panel
        np.testing.assert_allclose(g[RATE_COLUMNS[density]], m.premium_rate(LEVELS),
                                   rtol=1e-9, atol=1e-12)


def test_batch_cv_bandwidth_and_common_rating_year():
    df = TABLE[TABLE["region"] < "county0030"]
    out = reprice(df, (0.8, 0.9), density="kde", bandwidth="cv", rating_year=2016)
    assert (out["rating_year"] == 2016).all()
    for (region, crop), g in out.groupby(["region", "crop"], sort=False):
        m = single_cell(df, region, crop, "linear", "additive", "kde", "cv", rating_year=2016)
        assert g["bandwidth"].iloc[0] == pytest.approx(m.bandwidth_, rel=1e-5)
        np.testing.assert_allclose(g["kernel_rate"], m.premium_rate((0.8, 0.9)), rtol=1e-5,
                                   atol=1e-10)


def test_independent_per_cell_loop():
    # a straightforward loop with numpy.polyfit and a mean, written without puhui
    df = TABLE[TABLE["region"] < "county0040"]
    out = reprice(df, (0.7, 0.9), density="empirical").set_index(["region", "crop", "coverage"])
    for (region, crop), g in df.groupby(["region", "crop"]):
        T = g["year"].max() + 1
        slope, intercept = np.polyfit(g["year"], g["yield"], 1)
        mu = intercept + slope * T
        adjusted = g["yield"] - (intercept + slope * g["year"]) + mu
        for theta in (0.7, 0.9):
            c = theta * mu
            rate = np.mean(np.clip(c - adjusted, 0, c)) / c
            assert out.loc[(region, crop, theta), "empirical_rate"] == pytest.approx(
                rate, rel=1e-8, abs=1e-12)


def test_output_layout_and_properties():
    out = reprice(TABLE, (0.7, 0.8, 0.9), on_invalid="skip")
    cols = ["region", "crop", "coverage", "n_years", "first_year", "last_year", "rating_year",
            "expected_yield", "guarantee", "cv", "beta", "bandwidth", "empirical_rate",
            "kernel_rate"]
    assert list(out.columns) == cols
    assert len(out) == 3 * TABLE.groupby(["region", "crop"]).ngroups
    assert out["guarantee"].to_numpy() == pytest.approx(
        (out["coverage"] * out["expected_yield"]).to_numpy())
    for col in ("empirical_rate", "kernel_rate"):
        r = out[col].to_numpy().reshape(-1, 3)
        assert np.all((r >= 0) & (r <= 1))
        assert np.all(np.diff(r, axis=1) >= -1e-12)        # rate rises with coverage
    assert out.attrs["method"]["detrend"] == "linear"


def test_progress_bar_and_chunks_give_the_same_numbers(capsys):
    a = reprice(TABLE, LEVELS, chunk_size=7, progress=True)
    b = reprice(TABLE, LEVELS, chunk_size=10_000)
    pd.testing.assert_frame_equal(a, b)


def test_short_cells_error_or_skip():
    df = pd.DataFrame({"region": ["a"] * 3 + ["b"] * 6, "crop": "rice",
                       "year": [2001, 2002, 2003] + list(range(2001, 2007)),
                       "yield": [5.0, 6, 7, 5, 6, 7, 6, 5, 8]})
    with pytest.raises(DataError, match="fewer than 4 years"):
        reprice(df)
    out = reprice(df, on_invalid="skip")
    assert set(out["region"]) == {"b"}
    assert out.attrs["skipped"] == [{"region": "a", "crop": "rice",
                                     "reason": "fewer than 4 years"}]


def test_table_errors_are_listed():
    bad = pd.DataFrame({"region": ["a", "a", "a", None], "crop": "rice",
                        "year": [2001, 2001, 2002.5, 2003], "yield": [1.0, -2.0, "x", 3.0]})
    with pytest.raises(DataError) as err:
        yield_panel(bad)
    rules = {(p.column, p.rule) for p in err.value.problems}
    assert {("yield", "negative"), ("yield", "not_a_number"), ("year", "not_an_integer"),
            ("region", "missing_value")} <= rules
    dup = pd.DataFrame({"region": "a", "crop": "rice", "year": [2001, 2001], "yield": [1.0, 2]})
    with pytest.raises(DataError, match="repeats"):
        yield_panel(dup)
    with pytest.raises(DataError, match="missing_column"):
        yield_panel(pd.DataFrame({"region": ["a"], "year": [2001], "yield": [1.0]}))
    with pytest.raises(ParameterError, match="not batched"):
        reprice(TABLE, detrend="loess")
    with pytest.raises(ParameterError, match="density"):
        reprice(TABLE, density="beta")


def test_panel_pivot():
    p = yield_panel(TABLE)
    assert p.values.shape == (TABLE.groupby(["region", "crop"]).ngroups, p.years.size)
    assert np.count_nonzero(~np.isnan(p.values)) == len(TABLE)
    assert np.nansum(p.values) == pytest.approx(TABLE["yield"].sum())
