"""Mortality experience studies: exposure by age, A/E with exact Poisson intervals, graduation."""

from __future__ import annotations

import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.rates import confint_poisson

from puhui.errors import DataError, ParameterError
from puhui.experience.mortality import (
    exact_age,
    exposure_by_age,
    mortality_study,
    poisson_interval,
)
from puhui.life.catalogue import load_table
from puhui.life.graduation import GompertzMakeham, whittaker_henderson
from puhui.life.table import LifeTable


def simulate_lives(table: LifeTable, n: int, seed: int, *, lapse_rate: float = 0.03):
    """Lives drawn from ``table`` (UDD within ages): entry 2015–2019, observed to 2023-12-31."""
    rng = np.random.default_rng(seed)
    entry_age = rng.integers(30, 71, size=n)
    entry = np.datetime64("2015-01-01") + rng.integers(0, 5 * 365, size=n).astype("timedelta64[D]")
    paths, yearq = table._paths(np.arange(table.first_age, table.last_age + 1))
    s, q = paths[entry_age - table.first_age], yearq[entry_age - table.first_age]
    u = rng.random(n)
    k = np.sum(s[:, 1:] > 1 - u[:, None], axis=1)  # whole years survived
    sk, qk = s[np.arange(n), k], q[np.arange(n), k]
    life = k + (1 - (1 - u) / sk) / qk  # UDD inversion within the year of death
    lapse = rng.exponential(1 / lapse_rate, size=n)
    end = (np.datetime64("2023-12-31") - entry).astype(float) / 365.0
    t = np.minimum.reduce([life, lapse, end])
    reason = np.where(t == life, "death", np.where(t == lapse, "lapse", "censor"))
    exit_ = entry + np.round(t * 365).astype("timedelta64[D]")
    sex = rng.choice(["M", "F"], size=n)
    return pd.DataFrame({"entry_age": entry_age, "entry_date": entry, "exit_date": exit_,
                         "exit_reason": reason, "sex": sex})


# ---------------------------------------------------------------- exact Poisson limits
def test_poisson_interval_known_values():
    # Garwood (1936) exact limits, as tabulated e.g. in Ulm (1990), Am. J. Epidemiol. 131:373:
    # 0 deaths → upper 95% limit 3.689; 10 deaths → [4.795, 18.390].
    lo, hi = poisson_interval([0, 10])
    assert lo[0] == 0 and hi[0] == pytest.approx(3.689, abs=5e-4)
    assert lo[1] == pytest.approx(4.795, abs=5e-4) and hi[1] == pytest.approx(18.390, abs=5e-4)


@given(d=st.integers(0, 5000), level=st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_poisson_interval_equals_statsmodels_and_poisson_tails(d, level):
    lo, hi = poisson_interval(d, level)
    ref_lo, ref_hi = confint_poisson(d, 1.0, method="exact-c", alpha=1 - level)
    assert float(lo) == pytest.approx(float(ref_lo), rel=1e-10, abs=1e-12)
    assert float(hi) == pytest.approx(float(ref_hi), rel=1e-10)
    alpha = 1 - level
    # defining property: P(X ≥ d | lower) = α/2 and P(X ≤ d | upper) = α/2
    assert stats.poisson.cdf(d, float(hi)) == pytest.approx(alpha / 2, rel=1e-7)
    if d > 0:
        assert stats.poisson.sf(d - 1, float(lo)) == pytest.approx(alpha / 2, rel=1e-7)


def test_poisson_interval_rejects_bad_counts():
    with pytest.raises(ParameterError):
        poisson_interval([1.5])
    with pytest.raises(ParameterError):
        poisson_interval([3], level=1.0)


# ---------------------------------------------------------------- exposure
def test_exact_age_counts_birthdays():
    o = np.array(["2000-02-29", "2000-02-29", "1980-06-15", "1980-06-15"], dtype="datetime64[D]")
    t = np.array(["2001-02-28", "2004-02-29", "2020-06-14", "2020-06-15"], dtype="datetime64[D]")
    # 29 Feb birthday falls on 28 Feb in common years; 1980-06-15 → 2019-06-15 is 39 years,
    # then 2019-06-15 → 2020-06-14 is 365 of the 366 days of year of age 39
    np.testing.assert_allclose(exact_age(o, t), [1.0, 4.0, 39 + 365 / 366, 40.0])


def test_exposure_hand_computed_with_birth_dates():
    recs = pd.DataFrame({
        "birth_date": ["1980-06-15", "1950-01-01", "1960-01-01"],
        "entry_date": ["2020-01-01", "2015-01-01", "2018-01-01"],
        "exit_date": ["2021-03-01", "2019-05-01", "2022-07-01"],
        "exit_reason": ["death", "death", "death"],
    })
    out = exposure_by_age(recs, study_start="2020-01-01", study_end="2021-12-31")
    # life 1: aged 39 + 200/366 at entry (2019-06-15 → 2020-01-01 is 200 days of a 366-day year
    # of age); 166/366 years at 39, then 2020-06-15 → 2021-03-01 = 259 of 365 days at 40,
    # death at 40: initial exposure 1 at 40.
    # life 2: died before the window → nothing. life 3: dies after the window end → exposure
    # 2020-01-01 → 2021-12-31 at ages 60 (1 year) and 61 (364/365), no death.
    exp = pd.DataFrame({"age": [39, 40, 60, 61],
                        "central_exposure": [166 / 366, 259 / 365, 1.0, 364 / 365],
                        "initial_exposure": [166 / 366, 1.0, 1.0, 364 / 365],
                        "deaths": [0, 1, 0, 0]})
    pd.testing.assert_frame_equal(out, exp, check_dtype=False, rtol=1e-12)


def test_exposure_hand_computed_with_entry_ages():
    recs = pd.DataFrame({"entry_age": [30, 45], "entry_date": ["2019-03-01", "2020-07-01"],
                         "exit_date": ["2021-03-01", "2020-10-01"],
                         "exit_reason": ["lapse", "death"], "sex": ["F", "M"]})
    s = mortality_study(recs, by=["sex"], study_start="2020-01-01", study_end="2021-01-01")
    c = s.cells
    # life 1 (F): 30 exactly on 2019-03-01; window starts 306 days into a 366-day policy year
    # → 60/366 at age 30; 2020-03-01 → 2021-01-01 = 306 days of 365 at age 31.
    # life 2 (M): dies 92 days into its first policy year: central 92/365, initial 1.
    f = c[c.sex == "F"]
    np.testing.assert_allclose(f["central_exposure"], [60 / 366, 306 / 365], rtol=1e-12)
    m = c[c.sex == "M"]
    assert m["age"].tolist() == [45] and m["deaths"].tolist() == [1]
    assert float(m["central_exposure"].iloc[0]) == pytest.approx(92 / 365, rel=1e-12)
    assert float(m["initial_exposure"].iloc[0]) == pytest.approx(1.0, rel=1e-12)
    summ = s.summary()
    assert summ["deaths"].tolist() == [0, 1]
    # the same machinery counts lapses as the decrement (a lapse study by age)
    # (no window: life 1 lapses on its 2nd anniversary, i.e. at exact age 32)
    lapses = exposure_by_age(recs, decrement="lapse")
    assert lapses["age"].tolist() == [30, 31, 32, 45]
    assert lapses["deaths"].tolist() == [0, 0, 1, 0]
    assert lapses["central_exposure"].iloc[2] == 0.0
    assert lapses["initial_exposure"].iloc[2] == pytest.approx(1.0)  # exposed to next birthday
    with pytest.raises(ParameterError, match="decrement"):
        exposure_by_age(recs, decrement="surrender")


@given(st.data())
def test_exposure_totals_equal_time_observed(data):
    n = data.draw(st.integers(1, 30))
    rng = np.random.default_rng(data.draw(st.integers(0, 10_000)))
    entry = np.datetime64("2018-01-01") + rng.integers(0, 1500, n).astype("timedelta64[D]")
    exit_ = entry + rng.integers(0, 2000, n).astype("timedelta64[D]")
    birth = entry - rng.integers(0, 80 * 365, n).astype("timedelta64[D]")
    reason = rng.choice(["death", "lapse", "censor", "maturity"], n)
    recs = pd.DataFrame({"birth_date": birth, "entry_date": entry, "exit_date": exit_,
                         "exit_reason": reason})
    out = exposure_by_age(recs)
    total = float(np.sum(exact_age(birth, exit_) - exact_age(birth, entry)))
    assert out["central_exposure"].sum() == pytest.approx(total, rel=1e-12, abs=1e-12)
    assert out["deaths"].sum() == np.sum(reason == "death")
    assert np.all(out["initial_exposure"] >= out["central_exposure"] - 1e-15)
    extra = out["initial_exposure"] - out["central_exposure"]
    assert np.all(extra <= out["deaths"] + 1e-12)


def test_exposure_is_vectorised():
    recs = simulate_lives(load_table("CL1_2010_2013"), 200_000, seed=1)
    start = time.perf_counter()
    out = exposure_by_age(recs, by=["sex"])
    elapsed = time.perf_counter() - start
    assert out["deaths"].sum() == np.sum(recs["exit_reason"] == "death")
    assert elapsed < 5.0, f"200k lives took {elapsed:.2f}s"


def test_bad_records_are_all_reported():
    recs = pd.DataFrame({"entry_age": [40, -1, 30, 50],
                         "entry_date": ["2020-01-01", "2020-01-01", "not a date", "2020-01-01"],
                         "exit_date": ["2019-01-01", "2021-01-01", "2021-01-01", None],
                         "exit_reason": ["death", "dead", "lapse", "censor"]})
    with pytest.raises(DataError) as err:
        exposure_by_age(recs)
    found = {(p.rule, p.column, p.row) for p in err.value.problems}
    assert found == {("end_before_start", "exit_date", 1), ("out_of_range", "entry_age", 2),
                     ("not_allowed", "exit_reason", 2), ("not_a_date", "entry_date", 3),
                     ("missing_value", "exit_date", 4)}
    with pytest.raises(DataError, match="missing_column"):
        exposure_by_age(recs.drop(columns=["entry_age"]))


# ---------------------------------------------------------------- actual vs expected
def test_actual_vs_expected_hand_computed():
    recs = pd.DataFrame({"entry_age": [40, 60], "entry_date": ["2020-01-01", "2020-01-01"],
                         "exit_date": ["2021-01-01", "2020-07-01"],
                         "exit_reason": ["censor", "death"], "sex": ["M", "F"]})
    s = mortality_study(recs, by=["sex"])
    cl1, cl2 = load_table("CL1_2010_2013"), load_table("CL2_2010_2013")
    ae = s.actual_vs_expected({"M": cl1, "F": cl2}, table_by="sex")
    q40, q60 = cl1.qx[40], cl2.qx[60]
    e_f = (182 / 366) * q60 / (1 - q60 / 2)   # 2020-01-01 → 07-01 = 182 days of 366
    e_m = 1.0 * q40 / (1 - q40 / 2)
    t = ae.table.set_index("sex")
    assert t.loc["F", "expected"] == pytest.approx(e_f, rel=1e-12)
    assert t.loc["M", "expected"] == pytest.approx(e_m, rel=1e-12)
    lo, hi = poisson_interval(1)
    assert t.loc["F", "ae_upper"] == pytest.approx(float(hi) / e_f, rel=1e-12)
    assert t.loc["F", "ae_lower"] == pytest.approx(float(lo) / e_f, rel=1e-12)
    ini = s.actual_vs_expected({"M": cl1, "F": cl2}, table_by="sex", basis="initial")
    assert ini.table.set_index("sex").loc["F", "expected"] == pytest.approx(q60, rel=1e-12)
    total = ae.summary().iloc[-1]
    assert total["sex"] == "all" and total["deaths"] == 1
    assert total["expected"] == pytest.approx(e_f + e_m, rel=1e-12)


def test_ae_on_lives_simulated_from_the_table_is_close_to_one():
    cl1 = load_table("CL1_2010_2013")
    recs = simulate_lives(cl1, 60_000, seed=7)
    s = mortality_study(recs, by=["sex"])
    overall = s.actual_vs_expected(cl1, by=[]).summary().iloc[-1]
    assert overall["ae_lower"] < 1.0 < overall["ae_upper"]
    assert abs(overall["ae"] - 1) < 0.06
    heavy = s.actual_vs_expected(cl1.scaled(1.5), by=[]).table.iloc[0]
    assert heavy["ae_upper"] < 1.0 and heavy["ae"] == pytest.approx(
        overall["ae"] / 1.5, rel=0.02)
    banded = s.actual_vs_expected(cl1, bands=[30, 50, 70, 90])
    assert list(banded.table.columns[:2]) == ["sex", "age_band"]
    assert banded.table["deaths"].sum() == overall["deaths"]
    assert set(banded.table["age_band"]) == {"30-49", "50-69", "70-89"}
    ax = banded.plot()
    assert ax.get_xlabel()
    plt.close("all")


def test_ae_argument_errors():
    recs = simulate_lives(load_table("CL1_2010_2013"), 500, seed=3)
    s = mortality_study(recs, by=["sex"])
    cl1 = load_table("CL1_2010_2013")
    with pytest.raises(ParameterError, match="basis"):
        s.actual_vs_expected(cl1, basis="exposure")
    with pytest.raises(ParameterError, match="no table for sex"):
        s.actual_vs_expected({"M": cl1}, table_by="sex")
    with pytest.raises(ParameterError, match="select"):
        s.actual_vs_expected(cl1.with_select([0.5]))
    with pytest.raises(ParameterError, match="outside the bands"):
        s.actual_vs_expected(cl1, bands=[40, 60])
    with pytest.raises(ParameterError, match="not in the study"):
        s.actual_vs_expected(cl1, by=["region"])


# ---------------------------------------------------------------- graduation
def test_whittaker_henderson_against_dense_solve_and_limits():
    rng = np.random.default_rng(2)
    u = np.exp(-9 + 0.09 * np.arange(40)) * rng.lognormal(0, 0.2, 40)
    w = rng.uniform(100, 5000, 40)
    for z, h in [(2, 10.0), (3, 1e4), (1, 0.5)]:
        g = whittaker_henderson(u, w, order=z, smoothing=h)
        D = np.diff(np.eye(40), n=z, axis=0)
        dense = np.linalg.solve(np.diag(w) + h * D.T @ D, w * u)
        np.testing.assert_allclose(g.graduated, dense, rtol=1e-10)
    np.testing.assert_allclose(whittaker_henderson(u, w, smoothing=0).graduated, u, rtol=1e-12)
    # h → ∞: the weighted least-squares polynomial of degree z − 1 (bias O(1/h))
    line = np.polyval(np.polyfit(np.arange(40), u, 1, w=np.sqrt(w)), np.arange(40))
    np.testing.assert_allclose(whittaker_henderson(u, w, order=2, smoothing=1e12).graduated,
                               line, rtol=0, atol=1e-5 * np.abs(u).max())


@given(n=st.integers(6, 40), z=st.integers(1, 4), h=st.floats(0.01, 1e5),
       seed=st.integers(0, 1000))
def test_whittaker_henderson_preserves_weighted_moments(n, z, h, seed):
    # Σ w xʲ v = Σ w xʲ u for j < z (the roughness term annihilates polynomials of degree < z)
    rng = np.random.default_rng(seed)
    u, w = rng.random(n), rng.uniform(0.5, 2.0, n)
    v = whittaker_henderson(u, w, order=z, smoothing=h).graduated
    x = np.linspace(-1, 1, n)
    for j in range(z):
        assert np.sum(w * x**j * v) == pytest.approx(np.sum(w * x**j * u), abs=1e-8)


def test_whittaker_henderson_errors():
    with pytest.raises(ParameterError, match="order"):
        whittaker_henderson([0.1, 0.2], order=2)
    with pytest.raises(ParameterError, match="finite"):
        whittaker_henderson([0.1, np.nan, 0.3, 0.4], [1, 1, 1, 1])
    g = whittaker_henderson([0.1, np.nan, 0.3, 0.4], [1, 0, 1, 1], order=1, smoothing=1.0)
    assert np.all(np.isfinite(g.graduated))


def test_gompertz_equals_poisson_glm_in_statsmodels():
    rng = np.random.default_rng(11)
    ages = np.arange(40, 90)
    ex = rng.uniform(2000, 8000, ages.size)
    deaths = rng.poisson(ex * 3e-5 * np.exp(0.095 * (ages + 0.5)))
    gm = GompertzMakeham(makeham=False).fit(ages, deaths, ex)
    X = sm.add_constant(ages + 0.5)
    glm = sm.GLM(deaths, X, family=sm.families.Poisson(), offset=np.log(ex)).fit(tol=1e-14)
    assert np.log(gm.B_) == pytest.approx(glm.params[0], rel=1e-8)
    assert np.log(gm.c_) == pytest.approx(glm.params[1], rel=1e-8)
    np.testing.assert_allclose(gm.summary()["std_error"], glm.bse, rtol=1e-6)
    assert gm.loglik_ == pytest.approx(glm.llf, rel=1e-10)
    assert gm.A_ == 0.0


def test_makeham_recovers_parameters_from_large_simulated_experience():
    ages = np.arange(30, 100)
    ex = np.full(ages.size, 200_000.0)
    A, B, c = 6e-4, 3e-5, 1.1
    deaths = np.random.default_rng(5).poisson(ex * (A + B * c ** (ages + 0.5)))
    gm = GompertzMakeham().fit(ages, deaths, ex)
    se = gm.summary().set_index("parameter")["std_error"]
    assert abs(gm.A_ - A) < 4 * se["A"] and abs(np.log(gm.c_) - np.log(c)) < 4 * se["ln c"]
    assert gm.c_ == pytest.approx(c, rel=0.005)
    # the gradient of the log-likelihood vanishes at the optimum
    g = gm.graduation()
    mu = g.graduated
    assert np.sum(deaths / mu - ex) == pytest.approx(0.0, abs=1e-4 * deaths.sum())
    q = gm.qx(ages)
    np.testing.assert_allclose(q, -np.expm1(-(gm.A_ + gm.B_ * gm.c_**ages * (gm.c_ - 1)
                                              / np.log(gm.c_))))
    summ = g.summary()
    assert summ["p_value"].iloc[0] > 0.001  # the true law fits its own data
    ax = gm.plot()
    assert ax.get_yscale() == "log"
    plt.close("all")
    with pytest.raises(ParameterError, match="fit"):
        GompertzMakeham().mu(50)


def test_study_graduation_and_plot():
    cl1 = load_table("CL1_2010_2013")
    s = mortality_study(simulate_lives(cl1, 30_000, seed=9), by=["sex"])
    g = s.graduate(order=2, smoothing=50.0, where={"sex": "M"})
    frame = g.to_frame()
    assert {"crude", "graduated", "z"} <= set(frame.columns)
    assert np.all(np.diff(frame["age"]) == 1)
    ax = s.plot(table=cl1)
    assert ax.get_yscale() == "log"
    plt.close("all")
    with pytest.raises(ParameterError):
        s.graduate(where={"region": "x"})
