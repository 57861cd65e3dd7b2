"""Industry benchmark (puhui.agri.benchmark): strict reading, the filing on it, the design study
built on it, and the shipped synthetic table (puhui.datasets.benchmark_tables)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

import puhui.datasets as ds
from puhui.agri.benchmark import (
    Benchmark,
    benchmark_filing,
    benchmark_position,
    read_benchmark,
    read_zone_map,
)
from puhui.agri.design import Expenses, detrended_panel, evaluate_cost_designs
from puhui.agri.rules import filed_rate, rate_band
from puhui.agri.subsidy import subsidy_split
from puhui.datasets import benchmark_tables as bt
from puhui.errors import DataError, ParameterError, RuleError

SPLIT = subsidy_split("crop", "central", provincial=0.27, county=0.03)


def _table(**over):
    t = pd.DataFrame({"region": ["A", "A", "B", "B"], "crop": "rice",
                      "coverage": [0.8, 1.0, 0.8, 1.0], "deductible": 0.0,
                      "benchmark_rate": [0.012, 0.031, 0.015, 0.036],
                      "source": "synthetic", "version": "2025"})
    for k, v in over.items():
        t[k] = v
    return t


def _problems(err):
    return [(p.column, p.row, p.rule) for p in err.value.problems]


# --- reading ------------------------------------------------------------------------------


def test_unknown_column_names_the_near_one():
    t = _table().rename(columns={"benchmark_rate": "benchmark_rte"})
    with pytest.raises(DataError, match="did you mean 'benchmark_rate'") as err:
        read_benchmark(t)
    assert ("benchmark_rte", None, "unknown_column") in _problems(err)


def test_missing_cells_rates_out_of_range_and_duplicates_name_row_and_column():
    t = _table()
    t.loc[1, "source"] = " "
    t.loc[2, "benchmark_rate"] = 1.2                 # outside (0, 1)
    t.loc[3, "benchmark_rate"] = 0.0                 # 0 is not a rate of a risk
    with pytest.raises(DataError) as err:
        read_benchmark(t)
    got = _problems(err)
    assert ("source", 2, "missing_value") in got
    assert ("benchmark_rate", 3, "out_of_range") in got
    assert ("benchmark_rate", 4, "out_of_range") in got
    dup = pd.concat([_table(), _table().iloc[[1]]], ignore_index=True)
    with pytest.raises(DataError, match="same region, crop, product, coverage, deductible as "
                                        "row 2") as err:
        read_benchmark(dup)
    assert _problems(err)[0][1:] == (5, "duplicate")
    with pytest.raises(DataError, match="coverage") as err:
        read_benchmark(_table(coverage=[0.8, 1.0, 0.0, 1.6]))
    assert {r for _, r, _ in _problems(err)} == {3, 4}
    with pytest.raises(DataError, match="not_a_number"):
        read_benchmark(_table(benchmark_rate=["0.01", "x", "0.02", "0.03"]))


def test_key_and_required_columns():
    with pytest.raises(DataError, match="exactly one of the columns region"):
        read_benchmark(_table(zone="Z1"))
    with pytest.raises(DataError, match="required column version is absent"):
        read_benchmark(_table().drop(columns="version"))
    with pytest.raises(ParameterError, match="CSV path or a DataFrame"):
        read_benchmark(42)
    with pytest.raises(DataError, match="duplicate"):
        read_zone_map(pd.DataFrame({"region": ["A", "A"], "crop": "rice", "zone": ["Z1", "Z2"]}))


def test_csv_round_trip_and_lookup(tmp_path):
    path = tmp_path / "b.csv"
    _table().to_csv(path, index=False)
    b = read_benchmark(path)
    cells = pd.DataFrame({"region": ["B", "A"], "crop": ["rice", "rice"]})
    np.testing.assert_array_equal(b.rates(cells, [1.0, 0.8]),
                                  [[0.036, 0.031], [0.015, 0.012]])
    with pytest.raises(DataError, match="no benchmark for region='B', crop='rice' at coverage "
                                        "0.9"):
        b.rates(cells, 0.9)
    # by zone: the map decides the rate
    z = read_benchmark(_table().assign(zone=["Z1", "Z1", "Z2", "Z2"]).drop(columns="region"),
                       zones=pd.DataFrame({"region": ["A", "B"], "crop": "rice",
                                           "zone": ["Z2", "Z1"]}))
    np.testing.assert_array_equal(z.rates(cells, 1.0), [[0.031, 0.036]])
    with pytest.raises(DataError, match="no zone for region='C'"):
        z.rates(pd.DataFrame({"region": ["C"], "crop": ["rice"]}), 1.0)


# --- the filing on the benchmark ----------------------------------------------------------


def test_filing_sets_only_factor_and_loading_within_the_rules():
    b = read_benchmark(_table())
    cells = pd.DataFrame({"region": ["A", "B"], "crop": "rice"})
    f = benchmark_filing(b, cells, coverage=1.0, loading=0.2, factor=[1.1, 0.9],
                         model_rate=[0.022, 0.036])
    # by hand: 0.031/0.8·1.1 and 0.036/0.8·0.9
    np.testing.assert_allclose(f["rate"], [0.031 / 0.8 * 1.1, 0.036 / 0.8 * 0.9])
    lo, hi = rate_band(np.array([0.031, 0.036]), 0.2)
    np.testing.assert_allclose(f["band_low"], lo)
    np.testing.assert_allclose(f["band_high"], hi)
    assert f["model_position"].tolist() == ["below band", "within band"]   # 0.022/0.031 = 0.71
    assert f.attrs["source"] == "synthetic (2025)"
    with pytest.raises(RuleError, match="费率调整系数"):
        benchmark_filing(b, cells, coverage=1.0, loading=0.2, factor=1.3)
    with pytest.raises(RuleError, match="附加费率"):
        benchmark_filing(b, cells, coverage=1.0, loading=0.25)
    clipped = benchmark_filing(b, cells, coverage=1.0, loading=0.2, factor=1.3, clip=True)
    assert clipped["clipped"].all() and np.allclose(clipped["factor"], 1.25)


def test_position_against_the_band():
    r, p = benchmark_position([0.74, 0.75, 1.25, 1.26], 1.0)
    assert p.tolist() == ["below band", "within band", "within band", "above band"]
    _, p = benchmark_position(0.6, 1.0, subsidised=False)             # band [0.5, 1.5]
    assert p.tolist() == "within band"
    with pytest.raises(ParameterError):
        benchmark_position(0.03, 0.0)


# --- the design study on the benchmark ------------------------------------------------------


def _panel():
    rng = np.random.default_rng(3)
    years = np.arange(1995, 2020)
    rows = [{"region": r, "crop": c, "year": t,
             "yield": (400 + 3 * (t - 1995)) * np.exp(0.12 * rng.standard_normal())}
            for r in ("A", "B") for c in ("rice", "maize") for t in years]
    return detrended_panel(pd.DataFrame(rows))


def _bench_for(panel):
    rows = [{"region": r, "crop": c, "coverage": th, "deductible": d,
             "benchmark_rate": 0.01 + 0.02 * th - 0.05 * d + (0.004 if r == "B" else 0.0),
             "source": "test", "version": 1}
            for r in ("A", "B") for c in ("rice", "maize") for th in (0.9, 1.0)
            for d in (0.0, 0.1)]
    return read_benchmark(pd.DataFrame(rows))


def test_design_study_rates_every_cell_on_its_benchmark():
    panel = _panel()
    b = _bench_for(panel)
    study = evaluate_cost_designs(panel, 1000.0, {"rice": 1000.0, "maize": 800.0}, split=SPLIT,
                                  coverage_levels=(0.9, 1.0), deductibles=(0.0, 0.1),
                                  loadings=(0.15, 0.2), factor={"rice": 1.1, "maize": 0.9},
                                  benchmark=b)
    bc = study.by_crop
    for _, row in bc.iterrows():
        cells = panel.cells[panel.cells["crop"] == row["crop"]]
        bench = b.rates(cells, row["coverage"], row["deductible"])[0]
        f = {"rice": 1.1, "maize": 0.9}[row["crop"]]
        rate = filed_rate(bench, row["loading"], f).rate           # the rule, cell by cell
        si = {"rice": 1000.0, "maize": 800.0}[row["crop"]]
        assert row["premium"] == pytest.approx((rate * 1000.0 * si).sum(), rel=1e-12)
        assert row["benchmark_rate"] == pytest.approx(bench.mean(), rel=1e-12)  # same liability
        assert row["factor"] == pytest.approx(f, rel=1e-12) and row["in_band"]
        assert row["benchmark_loss_ratio"] == pytest.approx((1 - row["loading"]) / f, rel=1e-12)
    assert "industry benchmark: test (1)" in study.assumptions["rate_basis"]
    assert set(bc["model_position"]) <= {"below band", "within band", "above band"}


def test_design_study_enforces_the_benchmark_rules():
    panel = _panel()
    b = _bench_for(panel)
    kw = dict(split=SPLIT, coverage_levels=(1.0,), deductibles=(0.0,), benchmark=b)
    si = {"rice": 1000.0, "maize": 800.0}
    with pytest.raises(ParameterError, match="sets only the factor and the loading"):
        evaluate_cost_designs(panel, 1000.0, si, rates={"rice": 0.04, "maize": 0.04}, **kw)
    with pytest.raises(RuleError, match="费率调整系数"):
        evaluate_cost_designs(panel, 1000.0, si, factor=1.3, **kw)
    with pytest.raises(RuleError, match="附加费率"):
        evaluate_cost_designs(panel, 1000.0, si, loadings=(0.25,), **kw)
    with pytest.raises(DataError, match="no benchmark"):
        evaluate_cost_designs(panel, 1000.0, si, split=SPLIT, coverage_levels=(0.8,),
                              benchmark=b)


# --- the shipped synthetic table ----------------------------------------------------------


def test_shipped_table_is_synthetic_and_equals_a_fresh_generation(tmp_path):
    written = bt.write_benchmark_tables(tmp_path)
    shipped = bt.benchmark_files()
    for k in ("benchmark", "zones"):
        assert written[k].read_bytes() == shipped[k].read_bytes(), k
    b = bt.load_crop_benchmark()
    assert b.key == "zone" and set(b.table["source"]) == {bt.SOURCE}
    assert "SYNTHETIC" in bt.SOURCE and "not a 中国精算师协会 table" in bt.SOURCE
    assert len(b.products()) == 3 * 5 * 5
    # higher cover costs more, a deductible less, zone 5 more than zone 1 (risk zoning)
    t = b.table.set_index(["zone", "crop", "coverage", "deductible"])["benchmark_rate"]
    for crop in ("rice", "maize", "wheat"):
        assert t[("Z1", crop, 0.8, 0.0)] < t[("Z1", crop, 1.0, 0.0)]
        assert t[("Z3", crop, 1.0, 0.1)] < t[("Z3", crop, 1.0, 0.0)]
        assert t[("Z1", crop, 1.0, 0.0)] < t[("Z5", crop, 1.0, 0.0)]


def test_synthetic_rates_match_the_lognormal_put_without_catastrophes(monkeypatch):
    # independent check of the Monte Carlo: without catastrophes Y/μ is lognormal, and
    # E[(θ − R)₊]/θ is the Black–Scholes put on R = exp(σZ − σ²/2) at strike θ
    monkeypatch.setattr(bt.gen, "CAT_PROBABILITY", 0.0)
    counties = pd.DataFrame({"region": ["A", "B"], "lon": [115.0, 116.0], "lat": [30.0, 31.0]})
    truth = pd.DataFrame({"region": ["A", "B"] * 3, "crop": np.repeat(bt.gen.CROPS, 2),
                          "sigma": [0.08, 0.12, 0.10, 0.15, 0.06, 0.09]})
    r = bt._county_rates(counties, truth, 200_000, 7)
    for crop in bt.gen.CROPS:
        s = truth.loc[truth["crop"] == crop, "sigma"].to_numpy()
        for a, th in enumerate(bt.COVERAGES):
            d1 = (np.log(1 / th) + s * s / 2) / s
            put = th * norm.cdf(-(d1 - s)) - norm.cdf(-d1)
            np.testing.assert_allclose(r[crop][a, 0], put / th, rtol=0.03, atol=2e-5)


def test_bundled_portfolio_rates_land_within_the_benchmark_band():
    """Done-when of issue 14: on the bundled province the filed rates lie in the benchmark's
    band, and the company's own modelled pure rate of each crop at the standard product
    (θ = 100% of μ, no deductible) lies within benchmark × [0.75, 1.25]."""
    crops = ds.load_crops()
    c = crops.counties
    insured = pd.concat([pd.DataFrame({"region": c["region"], "crop": k,
                                       "insured_mu": (c[f"{k}_area"] * c["participation"])
                                       .round()}) for k in ("rice", "maize", "wheat")])
    panel = detrended_panel(crops.yields, detrend="linear", adjustment="multiplicative")
    b = bt.load_crop_benchmark()
    study = evaluate_cost_designs(panel, insured, {"rice": 1100.0, "maize": 800.0,
                                                   "wheat": 700.0}, split=SPLIT,
                                  coverage_levels=(0.9, 1.0), deductibles=(0.0,),
                                  loadings=(0.2,), benchmark=b,
                                  expenses=Expenses(0.8, 0.06, 4.0, catastrophe_reserve=0.02))
    bc = study.by_crop
    lo, hi = rate_band(bc["benchmark_rate"].to_numpy(), 0.2)
    assert ((bc["rate"] >= lo * (1 - 1e-12)) & (bc["rate"] <= hi * (1 + 1e-12))).all()
    std = bc[np.isclose(bc["coverage"], 1.0)]
    assert (std["model_position"] == "within band").all(), std[["crop", "model_to_benchmark"]]
    assert isinstance(b, Benchmark)
