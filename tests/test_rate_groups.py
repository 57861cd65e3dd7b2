"""Rate groups by GLM (puhui.experience.glm), checked against independent computations.

* one rating variable: the Poisson relativities are the ratios of observed frequencies, the
  Gamma ones the ratios of observed average claims, the Tweedie ones the ratios of observed loss
  costs (each level's score equation alone);
* two or three variables: the Poisson fit reproduces the observed claim count of every level
  (marginal totals) and equals Bailey's minimum-bias iteration (Bailey 1963; Mildenhall 1999,
  "A systematic relationship between minimum bias and generalized linear models", PCAS 86);
  the Gamma and Tweedie score equations hold level by level; the Tweedie total balances exactly
  only with one variable (log is not its canonical link);
* R's ``glm`` (quasipoisson, Gamma(log), and a Tweedie variance ``μ^1.5`` written as a quasi
  family) on a hand-made book: estimates and standard errors hard-coded below, and re-run
  when ``Rscript`` is on the machine;
* the planted relativities of a seeded book lie inside the 95% intervals;
* the rate-group table balances, the credibility rules recompute by hand, the lift tables add
  up, and bad input is refused with a message that names it.
"""

from __future__ import annotations

import shutil
import subprocess
import textwrap

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from puhui.credibility import full_credibility_standard
from puhui.errors import DataError, ParameterError
from puhui.experience import RateGroups, fit_rate_groups, plot_double_lift, plot_lift

matplotlib.use("Agg")

AGES = ("18-39", "40-59", "60+")
FREQ = {"age": {"18-39": 1.0, "40-59": 1.8, "60+": 3.2}, "sex": {"F": 1.0, "M": 1.0},
        "health": {"healthy": 1.0, "preexisting": 1.4}}
SEV = {"age": {"18-39": 1.0, "40-59": 1.1, "60+": 1.25}, "sex": {"F": 1.0, "M": 1.0},
       "health": {"healthy": 1.0, "preexisting": 0.8}}


def book(seed: int = 1, n: int = 4_000, base_frequency: float = 0.08, shape: float = 1.5,
         mean_claim: float = 5_000.0) -> pd.DataFrame:
    """A seeded member book: age band, sex, health; exposure in (0.25, 1]; Poisson counts with
    the FREQ relativities; the loss of n claims Gamma(n·shape, mean/shape) (a sum of n gamma
    claims) with the SEV relativities."""
    rng = np.random.default_rng(seed)
    age = rng.choice(AGES, n, p=[0.4, 0.35, 0.25])
    sex = rng.choice(["F", "M"], n)
    health = np.where(rng.random(n) < 0.2, "preexisting", "healthy")
    e = rng.uniform(0.25, 1.0, n)
    f = base_frequency * pd.Series(age).map(FREQ["age"]).to_numpy() * pd.Series(health).map(
        FREQ["health"]).to_numpy()
    m = mean_claim * pd.Series(age).map(SEV["age"]).to_numpy() * pd.Series(health).map(
        SEV["health"]).to_numpy()
    count = rng.poisson(e * f)
    loss = np.where(count > 0, rng.gamma(np.maximum(count, 1) * shape, m / shape), 0.0)
    return pd.DataFrame({"age": pd.Categorical(age, AGES, ordered=True), "sex": sex,
                         "health": health, "exposure": e, "claim_count": count, "loss": loss})


@pytest.fixture(scope="module")
def small() -> pd.DataFrame:
    return book()


def table(r: RateGroups, factor: str) -> pd.DataFrame:
    return r.factor_table[r.factor_table["factor"] == factor].set_index("level")


def fitted(r: RateGroups, data: pd.DataFrame, part: str, fit) -> np.ndarray:
    """Per-record mean rebuilt from the factor table's relativities and the fit's intercept."""
    out = np.full(len(data), np.exp(fit.params[0]))
    for v in r.factors + r.controls:
        out *= table(r, v)[f"{part}relativity"].reindex(data[v].astype(object)).to_numpy()
    return out


# ------------------------------------------------------------------ one variable: ratios


def test_one_variable_relativities_are_ratios_of_observed_experience(small):
    g = small.groupby("age", observed=True)[["exposure", "claim_count", "loss"]].sum()
    r = fit_rate_groups(small, ["age"], base={"age": "18-39"}, credibility=None)
    t = table(r, "age")
    freq = g["claim_count"] / g["exposure"]
    np.testing.assert_allclose(t["frequency_relativity"], freq / freq["18-39"], rtol=1e-10)
    sev = g["loss"] / g["claim_count"]
    np.testing.assert_allclose(t["severity_relativity"], sev / sev["18-39"], rtol=1e-10)
    pp = g["loss"] / g["exposure"]
    np.testing.assert_allclose(t["relativity"], pp / pp["18-39"], rtol=1e-10)
    tw = fit_rate_groups(small, ["age"], base={"age": "18-39"}, model="tweedie",
                         var_power=1.6, credibility=None)
    np.testing.assert_allclose(table(tw, "age")["relativity"], pp / pp["18-39"], rtol=1e-9)
    # one variable: every level's total is reproduced, so the Tweedie book total balances
    assert tw.totals["fitted_loss"] == pytest.approx(small["loss"].sum(), rel=1e-10)


# ------------------------------------------------------------- two and three variables


def bailey(e: np.ndarray, n: np.ndarray, sweeps: int = 5_000) -> tuple[np.ndarray, np.ndarray]:
    """Bailey's multiplicative minimum bias (balance principle) on an a × b table:
    ``x_a = Σ_b n_ab / Σ_b e_ab y_b``, ``y_b = Σ_a n_ab / Σ_a e_ab x_a``, iterated to a fixed
    point; written from Bailey (1963) without any GLM."""
    x, y = np.ones(e.shape[0]), np.ones(e.shape[1])
    for _ in range(sweeps):
        x_new = n.sum(1) / (e @ y)
        y_new = n.sum(0) / (e.T @ x_new)
        done = np.allclose(x_new, x, rtol=1e-15, atol=0) and np.allclose(y_new, y, rtol=1e-15,
                                                                          atol=0)
        x, y = x_new, y_new
        if done:
            break
    return x / x[0], y / y[0]


def test_two_variable_poisson_equals_bailey_minimum_bias(small):
    r = fit_rate_groups(small, ["age", "health"], base={"age": "18-39", "health": "healthy"},
                        credibility=None)
    e = small.pivot_table("exposure", "age", "health", aggfunc="sum", observed=True)
    n = small.pivot_table("claim_count", "age", "health", aggfunc="sum", observed=True)
    x, y = bailey(e.to_numpy(), n.to_numpy(float))
    np.testing.assert_allclose(table(r, "age")["frequency_relativity"].loc[list(e.index)], x,
                               rtol=1e-9)
    np.testing.assert_allclose(table(r, "health")["frequency_relativity"].loc[list(e.columns)],
                               y, rtol=1e-9)


def test_poisson_reproduces_every_marginal_total(small):
    r = fit_rate_groups(small, ["age", "sex", "health"], credibility=None)
    mu = small["exposure"].to_numpy() * fitted(r, small, "frequency_", r.frequency_fit)
    for v in ("age", "sex", "health"):
        got = pd.Series(mu).groupby(small[v].to_numpy()).sum()
        want = small.groupby(v, observed=True)["claim_count"].sum()
        np.testing.assert_allclose(got.loc[list(want.index)], want, rtol=1e-9)
        # and the table's counts are the observed ones
        np.testing.assert_array_equal(table(r, v)["claim_count"].loc[list(want.index)], want)


def test_gamma_score_equations_hold_level_by_level(small):
    # Gamma, log link, weights n: Σ_{level} n_i (ȳ_i / m_i − 1) = 0 for every level
    r = fit_rate_groups(small, ["age", "sex", "health"], credibility=None)
    has = small[small["claim_count"] > 0]
    m = fitted(r, has, "severity_", r.severity_fit)
    ratio = has["claim_count"] * (has["loss"] / has["claim_count"] / m - 1.0)
    for v in ("age", "sex", "health"):
        score = ratio.groupby(has[v].to_numpy()).sum()
        assert np.abs(score).max() < 1e-8 * has["claim_count"].sum()


@pytest.mark.parametrize("power", [1.2, 1.5, 1.8])
def test_tweedie_score_equations_and_the_size_of_its_imbalance(small, power):
    # log link, power p: Σ_{level} e_i (y_i − μ_i) μ_i^(1−p) = 0 — not Σ e_i (y_i − μ_i) = 0, so
    # with two or more variables the fitted total is close to, not equal to, the observed one
    r = fit_rate_groups(small, ["age", "health"], model="tweedie", var_power=power,
                        credibility=None)
    mu = fitted(r, small, "", r.tweedie_fit)
    y = small["loss"] / small["exposure"]
    w = small["exposure"] * (y - mu) * mu ** (1 - power)
    for v in ("age", "health"):
        score = w.groupby(small[v].to_numpy()).sum()
        assert np.abs(score).max() < 1e-8 * np.sum(small["exposure"] * y * mu ** (1 - power))
    fitted_total = float(np.sum(small["exposure"] * mu))
    assert fitted_total == pytest.approx(r.totals["fitted_loss"], rel=1e-10)
    assert fitted_total != pytest.approx(small["loss"].sum(), rel=1e-9)
    assert fitted_total == pytest.approx(small["loss"].sum(), rel=0.02)


# --------------------------------------------------------------------- R's glm, hard-coded

R_BOOK = pd.DataFrame({
    "A": np.repeat(["a1", "a2", "a3"], 4), "B": np.tile(np.repeat(["b1", "b2"], 2), 3),
    "exposure": [120, 80, 100, 60, 150, 90, 110, 70, 50, 40, 45, 30.0],
    "claim_count": [6, 3, 7, 5, 12, 6, 11, 8, 7, 4, 8, 6],
    "loss": [3100, 1900, 4500, 2600, 5900, 3500, 7300, 4100, 3900, 2500, 6100, 3900.0]})

# R 4 (stats::glm with glm.control(epsilon = 1e-14), summary.glm with the Pearson dispersion),
# run on R_BOOK by R_SCRIPT below: (coefficients, standard errors) for (Intercept), Aa2, Aa3, Bb2.
R_REFERENCE = {
    "frequency": ([-3.044063404873893, 0.418812697431102, 0.950354719245886, 0.408782985228364],
                  [0.0836622378476715, 0.0917242896805934, 0.0993701778985533,
                   0.0739772139185566]),
    "severity": ([6.276936305714660, -0.019205284939186, 0.126476683805867, 0.139541882465852],
                 [0.0801713538652972, 0.0870102572140045, 0.0941689229602711,
                  0.0701823461274091]),
    "tweedie": ([3.233283021194632, 0.402671241085196, 1.075052438742908, 0.545875901522120],
                [0.0419863684456880, 0.0475683167299424, 0.0549136343621369,
                 0.0407065572997462]),
}
R_SCRIPT = textwrap.dedent("""
    d <- data.frame(A = rep(c("a1","a2","a3"), each = 4), B = rep(rep(c("b1","b2"), each = 2), 3),
      e = c(120, 80, 100, 60, 150, 90, 110, 70, 50, 40, 45, 30),
      n = c(6, 3, 7, 5, 12, 6, 11, 8, 7, 4, 8, 6),
      L = c(3100, 1900, 4500, 2600, 5900, 3500, 7300, 4100, 3900, 2500, 6100, 3900))
    tw <- quasi(link = "log", variance = "mu")
    tw$variance <- function(mu) mu^1.5
    tw$dev.resids <- function(y, mu, wt) 2 * wt * (y^0.5 / (-0.5 * 0.5) - y * mu^-0.5 / -0.5
                                                   + mu^0.5 / 0.5)
    ctl <- glm.control(epsilon = 1e-14, maxit = 100)
    fits <- list(glm(n ~ A + B + offset(log(e)), family = quasipoisson, data = d, control = ctl),
                 glm(L / n ~ A + B, family = Gamma(link = "log"), weights = n, data = d,
                     control = ctl),
                 glm(L / e ~ A + B, family = tw, weights = e, data = d, control = ctl))
    for (m in fits) cat(sprintf("%.15g", summary(m)$coefficients[, 1:2]), "\\n")
""")


def _fits_of_r_book():
    fs = fit_rate_groups(R_BOOK, ["A", "B"], base={"A": "a1", "B": "b1"}, credibility=None)
    tw = fit_rate_groups(R_BOOK, ["A", "B"], base={"A": "a1", "B": "b1"}, credibility=None,
                         model="tweedie", var_power=1.5)
    return {"frequency": fs.frequency_fit, "severity": fs.severity_fit,
            "tweedie": tw.tweedie_fit}


def test_estimates_and_standard_errors_equal_r_glm():
    for name, fit in _fits_of_r_book().items():
        coef, se = R_REFERENCE[name]
        np.testing.assert_allclose(fit.params, coef, rtol=1e-9, err_msg=name)
        np.testing.assert_allclose(fit.bse, se, rtol=1e-9, err_msg=name)


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed")
def test_r_glm_reference_is_current():
    out = subprocess.run(["Rscript", "-e", R_SCRIPT], capture_output=True, text=True,
                         timeout=60, check=True).stdout.split("\n")
    for line, name in zip(out, ("frequency", "severity", "tweedie"), strict=False):
        values = np.array(line.split(), dtype=float)
        coef, se = R_REFERENCE[name]
        np.testing.assert_allclose(values, coef + se, rtol=1e-9, err_msg=name)


def test_records_and_cells_give_the_same_fit(small):
    # the cell sums are sufficient: fitting pre-summed cells gives the same estimates; the
    # dispersion is Pearson's over the rows given, as statsmodels computes it on the records
    import statsmodels.api as sm

    r = fit_rate_groups(small, ["age", "health"], credibility=None)
    cells = small.groupby(["age", "health"], observed=True)[
        ["exposure", "claim_count", "loss"]].sum().reset_index()
    c = fit_rate_groups(cells, ["age", "health"], credibility=None)
    for col in ("frequency_relativity", "severity_relativity", "relativity"):
        np.testing.assert_allclose(c.factor_table[col], r.factor_table[col], rtol=1e-9)
    x = np.column_stack([np.ones(len(small))] + [
        (small[v].astype(object) == lv).to_numpy(float)
        for v, lv in r._design.columns_named()])
    direct = sm.GLM(small["claim_count"].to_numpy(float), x, family=sm.families.Poisson(),
                    offset=np.log(small["exposure"].to_numpy())).fit(scale="X2")
    np.testing.assert_allclose(r.frequency_fit.params, direct.params, rtol=1e-8)
    np.testing.assert_allclose(r.frequency_fit.bse, direct.bse, rtol=1e-8)


# --------------------------------------------------------------------- planted truth


def test_planted_relativities_lie_inside_the_intervals():
    data = book(seed=7, n=30_000)
    r = fit_rate_groups(data, ["age", "sex", "health"],
                        base={"age": "18-39", "sex": "F", "health": "healthy"})
    for v, truth in (("age", FREQ["age"]), ("sex", FREQ["sex"]), ("health", FREQ["health"])):
        t = table(r, v)
        for level, f in truth.items():
            s = SEV[v][level]
            row = t.loc[level]
            assert row["frequency_lower"] <= f <= row["frequency_upper"], (v, level)
            assert row["severity_lower"] <= s <= row["severity_upper"], (v, level)
            assert row["lower"] <= f * s <= row["upper"], (v, level)
    # sex has no effect in the book: its credibility is low, the strong age effect keeps Z ≈ 1
    assert table(r, "sex").loc["M", "credibility"] < 0.5
    assert table(r, "age").loc[["40-59", "60+"], "credibility"].min() > 0.95


# -------------------------------------------------------------- property: scale invariance


@settings(max_examples=8)
@given(seed=st.integers(0, 10_000), scale=st.integers(2, 40),
       model=st.sampled_from(["frequency_severity", "tweedie"]))
def test_scaling_exposure_and_claims_together_leaves_relativities(seed, scale, model):
    data = book(seed=seed, n=1_500)
    bigger = data.assign(exposure=data["exposure"] * scale,
                         claim_count=data["claim_count"] * scale, loss=data["loss"] * scale)
    kw = {"model": model, "credibility": None, "base": {"age": "18-39", "health": "healthy"}}
    a = fit_rate_groups(data, ["age", "health"], **kw)
    b = fit_rate_groups(bigger, ["age", "health"], **kw)
    np.testing.assert_allclose(b.factor_table["relativity"], a.factor_table["relativity"],
                               rtol=1e-7)
    if model == "frequency_severity":
        np.testing.assert_allclose(b.factor_table["frequency_relativity"],
                                   a.factor_table["frequency_relativity"], rtol=1e-7)
    # money in fen instead of yuan changes no relativity either
    c = fit_rate_groups(data.assign(loss=data["loss"] * 100), ["age", "health"], **kw)
    np.testing.assert_allclose(c.factor_table["relativity"], a.factor_table["relativity"],
                               rtol=1e-7)


# ------------------------------------------------------------------ credibility rules


def test_buhlmann_credibility_recomputed_by_hand(small):
    r = fit_rate_groups(small, ["age", "sex", "health"], level=0.95)
    z = 1.959963984540054
    for v in ("age", "sex", "health"):
        t = table(r, v)
        other = ~t["base"]
        b = np.log(t.loc[other, "relativity"])
        se = (np.log(t.loc[other, "upper"]) - b) / z
        tau2 = max(0.0, float(np.mean(b**2 - se**2)))
        assert r.totals["between_variance"][v] == pytest.approx(tau2, rel=1e-9, abs=1e-15)
        zz = tau2 / (tau2 + se**2) if tau2 > 0 else 0.0 * se
        np.testing.assert_allclose(t.loc[other, "credibility"], zz, rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(t.loc[other, "credible_relativity"], np.exp(zz * b),
                                   rtol=1e-9)
        assert (t.loc[t["base"], "credible_relativity"] == 1.0).all()


def test_limited_fluctuation_credibility_recomputed_by_hand(small):
    r = fit_rate_groups(small, ["age", "health"], credibility="limited_fluctuation", p=0.9,
                        k=0.05)
    cv = np.sqrt(r.totals["dispersion"]["severity"])
    n_f = full_credibility_standard(0.9, 0.05, cv)
    assert r.totals["full_credibility_claims"] == pytest.approx(n_f)
    t = r.factor_table
    zz = np.minimum(1.0, np.sqrt(t["claim_count"] / n_f))
    np.testing.assert_allclose(t["credibility"], zz, rtol=1e-12)
    np.testing.assert_allclose(t["credible_relativity"], zz * t["relativity"] + 1 - zz,
                               rtol=1e-12)
    tw = fit_rate_groups(small, ["age"], model="tweedie", var_power=1.6,
                         credibility="limited_fluctuation")
    # a Tweedie power p implies a gamma claim with CV² = (p − 1)/(2 − p)
    assert tw.totals["severity_cv"] == pytest.approx(np.sqrt(0.6 / 0.4))
    off = fit_rate_groups(small, ["age"], credibility=None)
    np.testing.assert_array_equal(off.factor_table["credible_relativity"],
                                  off.factor_table["relativity"])


# ------------------------------------------------------------------- the rate-group table


def test_rate_table_balances_to_the_flat_price_and_to_other_targets(small):
    mix = small[small["exposure"] > 0.5]
    r = fit_rate_groups(small, ["age", "sex", "health"], flat_rate=300.0, mix=mix)
    rt = r.rate_table
    assert len(rt) == 3 * 2 * 2
    assert np.sum(rt["exposure"] * rt["rate"]) == pytest.approx(300.0 * mix["exposure"].sum(),
                                                                rel=1e-12)
    assert rt["exposure"].sum() == pytest.approx(mix["exposure"].sum(), rel=1e-12)
    assert rt["data_exposure"].sum() == pytest.approx(small["exposure"].sum(), rel=1e-12)
    assert rt["claim_count"].sum() == small["claim_count"].sum()
    # rate = base rate × the product of the credible relativities of its levels
    rel = np.ones(len(rt))
    for v in ("age", "sex", "health"):
        rel *= table(r, v)["credible_relativity"].reindex(rt[v]).to_numpy()
    np.testing.assert_allclose(rt["rate"], r.base_rate * rel, rtol=1e-12)
    np.testing.assert_allclose(rt["change"], rt["rate"] / 300.0 - 1, rtol=1e-12)
    assert "flat price" in r.balance
    pure = fit_rate_groups(small, ["age", "sex", "health"])  # no flat price: pure premiums
    assert np.sum(pure.rate_table["exposure"] * pure.rate_table["rate"]) == pytest.approx(
        small["loss"].sum(), rel=1e-12)
    given_total = fit_rate_groups(small, ["age"], balance=1.0e6)
    assert np.sum(given_total.rate_table["exposure"] * given_total.rate_table["rate"]) == \
        pytest.approx(1.0e6, rel=1e-12)


def test_controls_are_fitted_but_not_rated(small):
    data = small.assign(year=np.where(np.arange(len(small)) % 2, 2024, 2025))
    data.loc[data["year"] == 2025, "loss"] *= 1.3  # a trend the control absorbs
    r = fit_rate_groups(data, ["age", "health"], controls=["year"], flat_rate=300.0)
    assert list(r.rate_table.columns[:2]) == ["age", "health"]
    assert len(r.rate_table) == 6
    yr = table(r, "year")
    assert (yr["role"] == "control").all() and yr["credibility"].isna().all()
    assert yr.loc[2025, "severity_relativity"] / yr.loc[2024, "severity_relativity"] == \
        pytest.approx(1.3, rel=0.15)


# ---------------------------------------------------------------------- lift, double lift


def test_lift_and_double_lift_tables_add_up(small):
    r = fit_rate_groups(small, ["age", "sex", "health"], flat_rate=300.0)
    lift = r.lift(buckets=4)
    assert lift["exposure"].sum() == pytest.approx(small["exposure"].sum())
    assert lift["loss"].sum() == pytest.approx(small["loss"].sum())
    assert lift["predicted_loss"].sum() == pytest.approx(r.totals["fitted_loss"])
    assert np.all(np.diff(lift["predicted_loss_cost"]) > 0)
    dl = r.double_lift(buckets=4)
    for col in ("flat_premium", "glm_premium"):
        assert dl[col].sum() == pytest.approx(small["loss"].sum(), rel=1e-12)
    assert np.all(np.diff(dl["sort_ratio"]) > 0)
    # on a book with real age and health effects the rate groups track the losses better
    spread = (dl[["actual_to_flat", "actual_to_glm"]] - 1).abs().max()
    assert spread["actual_to_glm"] < spread["actual_to_flat"]
    # out of sample: another seed's book, same levels
    other = r.lift(book(seed=99), buckets=3)
    assert other["exposure"].sum() == pytest.approx(book(seed=99)["exposure"].sum())


def test_predict_is_the_fitted_pure_premium(small):
    r = fit_rate_groups(small, ["age", "health"], credibility=None)
    pp = r.predict(small)
    assert np.sum(pp * small["exposure"]) == pytest.approx(r.totals["fitted_loss"], rel=1e-10)


def test_figures_draw(small):
    import matplotlib.pyplot as plt

    r = fit_rate_groups(small, ["age", "health"], flat_rate=300.0)
    fig, axes = plt.subplots(1, 3)
    assert r.plot_factor("age", ax=axes[0]) is axes[0]
    assert plot_lift(r.lift(buckets=3), ax=axes[1]) is axes[1]
    assert plot_double_lift(r.double_lift(buckets=3), ax=axes[2]) is axes[2]
    assert axes[1].get_title() in ("提升图", "lift chart")
    assert axes[2].get_title() in ("双提升图", "double-lift chart")
    assert len(axes[1].lines) >= 2
    plt.close(fig)
    with pytest.raises(ParameterError, match="did you mean 'age'"):
        r.plot_factor("agee")


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("change, kwargs, error, match", [
    (None, {"factors": ["agee"]}, ParameterError, "did you mean 'age'"),
    (None, {"exposure": "exposures"}, ParameterError, "did you mean 'exposure'"),
    (None, {"factors": []}, ParameterError, "at least one"),
    (None, {"factors": ["age", "age"]}, ParameterError, "named twice"),
    (None, {"controls": ["age"]}, ParameterError, "both a factor and a control"),
    (None, {"factors": ["age", "exposure"]}, ParameterError, "cannot also be a rating"),
    (None, {"loss": "exposure"}, ParameterError, "three different columns"),
    (None, {"model": "tweedy"}, ParameterError, "did you mean 'tweedie'"),
    (None, {"model": "tweedie", "var_power": 2.0}, ParameterError, r"in \(1, 2\)"),
    (None, {"credibility": "bulhmann"}, ParameterError, "credibility must be"),
    (None, {"level": 1.5}, ParameterError, "level must be"),
    (None, {"p": 1.5}, ParameterError, "p .confidence."),
    (None, {"flat_rate": -1.0}, ParameterError, "flat_rate must be"),
    (None, {"balance": "flat"}, ParameterError, "needs flat_rate"),
    (None, {"balance": "indicated"}, ParameterError, "balance must be"),
    (None, {"balance": -5.0}, ParameterError, "must be > 0"),
    (None, {"base": {"age": "18-38"}}, ParameterError, "did you mean '18-39'"),
    (None, {"base": {"region": "x"}}, ParameterError, "not factors or controls"),
    ("zero_exposure", {}, DataError, "exposure_not_positive"),
    ("negative_exposure", {}, DataError, "row 3"),
    ("nan_exposure", {}, DataError, "not_a_number"),
    ("fraction_count", {}, DataError, "count_not_whole"),
    ("negative_loss", {}, DataError, "negative"),
    ("loss_without_claims", {}, DataError, "loss_without_claims"),
    ("claims_without_loss", {}, DataError, "claims_without_loss"),
    ("missing_level", {}, DataError, "needs a level on every record"),
    ("single_level", {}, ParameterError, "single level"),
    ("level_without_claims", {}, DataError, "has no claims"),
    ("aliased", {}, ParameterError, "aliased"),
])
def test_bad_input_is_refused_with_a_clear_message(small, change, kwargs, error, match):
    data = small.copy()
    factors = kwargs.pop("factors", ["age", "health"])
    if change == "zero_exposure":
        data.loc[5, "exposure"] = 0.0
    elif change == "negative_exposure":
        data.loc[2, "exposure"] = -1.0
    elif change == "nan_exposure":
        data.loc[2, "exposure"] = np.nan
    elif change == "fraction_count":
        data["claim_count"] = data["claim_count"].astype(float)
        data.loc[2, "claim_count"] = 1.5
    elif change == "negative_loss":
        data.loc[data["claim_count"] > 0, "loss"] *= -1
    elif change == "loss_without_claims":
        data.loc[data.index[data["claim_count"] == 0][0], "loss"] = 10.0
    elif change == "claims_without_loss":
        data.loc[data.index[data["claim_count"] > 0][0], "loss"] = 0.0
    elif change == "missing_level":
        data["health"] = data["health"].astype(object)
        data.loc[4, "health"] = None
    elif change == "single_level":
        data["health"] = "healthy"
    elif change == "level_without_claims":
        data["region"] = np.where(np.arange(len(data)) < 3, "tiny", "big")
        data.loc[:2, ["claim_count", "loss"]] = 0
        factors = ["age", "region"]
    elif change == "aliased":
        data["health2"] = data["health"].map({"healthy": "h", "preexisting": "p"})
        factors = ["age", "health", "health2"]
    with pytest.raises(error, match=match):
        fit_rate_groups(data, factors, **kwargs)


def test_other_bad_input(small):
    with pytest.raises(ParameterError, match="DataFrame"):
        fit_rate_groups(small.to_dict(), ["age"])
    with pytest.raises(ParameterError, match="no rows"):
        fit_rate_groups(small.iloc[:0], ["age"])
    cells = small.groupby(["age"], observed=True)[["exposure", "claim_count", "loss"]].sum()
    with pytest.raises(ParameterError, match="dispersion cannot be estimated"):
        fit_rate_groups(cells.reset_index(), ["age"])  # 3 cells, 3 parameters
    r = fit_rate_groups(small, ["age", "health"])
    with pytest.raises(ParameterError, match="buckets"):
        r.lift(buckets=1)
    odd = small.assign(health=np.where(small["health"] == "healthy", "healthy", "other"))
    with pytest.raises(DataError, match="unknown_level"):
        r.lift(odd)
    with pytest.raises(DataError, match="unknown_level"):
        fit_rate_groups(small, ["age", "health"], flat_rate=300.0, mix=odd)
    with pytest.raises(DataError, match="unknown_level"):
        r.predict(odd)
    with pytest.raises(ParameterError, match="mix has no column 'exposure'"):
        fit_rate_groups(small, ["age", "health"], mix=small.rename(
            columns={"exposure": "exposur"}))
