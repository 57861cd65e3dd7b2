"""Survival wrappers: equal to lifelines and to hand-computed product-limit estimates; age-scale
curves with left truncation; Cox comparison; claim report/settlement delays and IBNR counts."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, KaplanMeierFitter, NelsonAalenFitter

from puhui.errors import DataError, ParameterError
from puhui.experience.survival import (
    age_scale,
    claim_delays,
    cox_compare,
    kaplan_meier,
    nelson_aalen,
)
from puhui.life.catalogue import load_table

# Six lives: entry (left truncation), exit, event.
TINY = pd.DataFrame({"entry": [0.0, 1.0, 2.5, 0.0, 3.5, 1.0],
                     "exit": [2.0, 3.0, 4.0, 5.0, 6.0, 1.5],
                     "death": [1, 1, 0, 1, 1, 0]})


def test_kaplan_meier_with_left_truncation_by_hand():
    # Risk set n_j = #{entry < t_j ≤ exit} (lifelines' convention; no ties here):
    # t=2: lives 1, 2, 4 → n=3, d=1 → S = 2/3
    # t=3: lives 2, 3, 4 → n=3, d=1 → S = 4/9
    # t=5: lives 4, 5    → n=2, d=1 → S = 2/9
    # t=6: life 5        → n=1, d=1 → S = 0
    km = kaplan_meier(TINY, duration="exit", event="death", entry="entry")
    np.testing.assert_allclose(km.at([1.9, 2, 3, 4.9, 5, 6]).iloc[:, 0],
                               [1, 2 / 3, 4 / 9, 4 / 9, 2 / 9, 0], rtol=1e-12)
    na = nelson_aalen(TINY, duration="exit", event="death", entry="entry")
    np.testing.assert_allclose(na.at([2, 3, 5, 6]).iloc[:, 0],
                               [1 / 3, 2 / 3, 7 / 6, 13 / 6], rtol=1e-12)
    # ignoring the truncation would put 5 lives at risk at t = 2: a different (biased) curve
    naive = kaplan_meier(TINY, duration="exit", event="death")
    assert float(naive.at(2).iloc[0, 0]) == pytest.approx(4 / 5)
    rows = km.table.set_index("time")
    assert rows.loc[2.0, "at_risk"] == 3 and rows.loc[5.0, "at_risk"] == 2


def test_wrappers_equal_lifelines_by_group():
    rng = np.random.default_rng(4)
    n = 400
    d = pd.DataFrame({"entry": rng.uniform(0, 2, n), "group": rng.choice(["a", "b"], n)})
    d["exit"] = d["entry"] + rng.exponential(np.where(d["group"] == "a", 3.0, 5.0))
    d["death"] = rng.random(n) < 0.8
    km = kaplan_meier(d, duration="exit", event="death", entry="entry", by="group", alpha=0.1)
    na = nelson_aalen(d, duration="exit", event="death", entry="entry", by="group")
    for g in ("a", "b"):
        s = d[d.group == g]
        ref = KaplanMeierFitter(alpha=0.1).fit(s["exit"], s["death"], entry=s["entry"])
        _same_as_lifelines(km.table[km.table.group == g], ref)
        assert km.summary().set_index("group").loc[g, "median"] == pytest.approx(
            ref.median_survival_time_)
        ref_na = NelsonAalenFitter().fit(s["exit"], s["death"], entry=s["entry"])
        np.testing.assert_allclose(na.table[na.table.group == g]["estimate"],
                                   ref_na.cumulative_hazard_.iloc[:, 0])
    ax = km.plot()
    assert len(ax.get_lines()) == 2
    plt.close("all")


def _same_as_lifelines(mine, ref):
    """A Kaplan–Meier table (puhui's product_limit) equals lifelines' fit to 1e-12."""
    np.testing.assert_array_equal(mine["time"], ref.survival_function_.index.to_numpy(float))
    np.testing.assert_allclose(mine["estimate"], ref.survival_function_.iloc[:, 0],
                               rtol=1e-12, atol=1e-15)
    for col, i in (("lower", 0), ("upper", 1)):
        np.testing.assert_allclose(mine[col], ref.confidence_interval_.iloc[:, i], rtol=1e-12,
                                   atol=1e-15)
    et = ref.event_table
    for col in ("at_risk", "observed", "censored", "entrance"):
        np.testing.assert_array_equal(mine[col], et[col])


def test_curves_without_entry_equal_lifelines_with_ties_and_events_at_zero():
    # no entry column: lifelines lets everyone enter at 0 and counts deaths at t = 0 at risk
    rng = np.random.default_rng(5)
    d = pd.DataFrame({"t": rng.integers(0, 15, 300).astype(float),
                      "e": rng.random(300) < 0.7})
    km = kaplan_meier(d, duration="t", event="e", alpha=0.2)
    ref = KaplanMeierFitter(alpha=0.2).fit(d["t"], d["e"])
    _same_as_lifelines(km.table, ref)
    assert km.summary()["median"].iloc[0] == ref.median_survival_time_
    later = d.assign(t=d["t"] + 1.0)       # no exit at 0: a row at 0 with S = 1 opens the curve
    _same_as_lifelines(kaplan_meier(later, duration="t", event="e").table,
                       KaplanMeierFitter().fit(later["t"], later["e"]))


def test_too_few_early_entries_are_refused():
    # lifelines raises StatError here; puhui says what is wrong with the data
    d = pd.DataFrame({"t": [1.0, 5.0, 6.0, 7.0], "e": [1, 1, 1, 1], "w": [0.0, 4.0, 4.0, 4.0]})
    with pytest.raises(ParameterError, match="under observation just after t = 1"):
        kaplan_meier(d, duration="t", event="e", entry="w")


def test_bad_survival_input_listed():
    d = TINY.copy()
    d.loc[0, "entry"] = 9.0
    d.loc[1, "death"] = 2
    d.loc[2, "exit"] = -1
    with pytest.raises(DataError) as err:
        kaplan_meier(d, duration="exit", event="death", entry="entry")
    found = {(p.rule, p.column, p.row) for p in err.value.problems}
    assert {("end_before_start", "entry", 1), ("not_a_boolean", "death", 2),
            ("out_of_range", "exit", 3)} <= found
    with pytest.raises(DataError, match="missing_column"):
        kaplan_meier(TINY, duration="exit", event="dead")
    tie = TINY.copy()
    tie.loc[1, "entry"] = 3.0  # dies at the instant of entry
    with pytest.raises(DataError, match="event_at_entry"):
        kaplan_meier(tie, duration="exit", event="death", entry="entry")


def test_entry_ties_follow_lifelines_strict_convention():
    # a life entering at t = 2 is not at risk for the death at t = 2: S(2) = 1 − 1/1 = 0
    d = pd.DataFrame({"t": [2.0, 3.0], "e": [1, 1], "w": [0.0, 2.0]})
    km = kaplan_meier(d, duration="t", event="e", entry="w")
    assert float(km.at(2.0).iloc[0, 0]) == 0.0
    ref = KaplanMeierFitter().fit(d["t"], d["e"], entry=d["w"])
    np.testing.assert_allclose(km.table["estimate"], ref.survival_function_.iloc[:, 0])


def simulate_policies(table, n, seed):
    rng = np.random.default_rng(seed)
    entry_age = rng.integers(30, 71, n)
    paths, yearq = table._paths(np.arange(table.first_age, table.last_age + 1))
    s, q = paths[entry_age], yearq[entry_age]
    u = rng.random(n)
    k = np.sum(s[:, 1:] > 1 - u[:, None], axis=1)
    life = k + (1 - (1 - u) / s[np.arange(n), k]) / q[np.arange(n), k]
    follow = rng.uniform(1, 10, n)
    t = np.minimum(life, follow)
    entry = np.datetime64("2014-01-01") + rng.integers(0, 365, n).astype("timedelta64[D]")
    return pd.DataFrame({"entry_age": entry_age, "entry_date": entry,
                         "exit_date": entry + np.maximum(np.round(t * 365), 1).astype(
                             "timedelta64[D]"),
                         "exit_reason": np.where(life <= follow, "death", "censor")})


def test_age_scale_curve_with_left_truncation_recovers_the_table():
    cl1 = load_table("CL1_2010_2013")
    recs = simulate_policies(cl1, 80_000, seed=12)
    lives = age_scale(recs)
    assert {"entry_age", "exit_age", "death"} <= set(lives.columns)
    assert np.all(lives["exit_age"] >= lives["entry_age"])
    km = kaplan_meier(lives, duration="exit_age", event="death", entry="entry_age")
    s50, s75 = km.at([50.0, 75.0]).iloc[:, 0]
    # KM from age 50 to 75 against the table's ₂₅p₅₀ (lives entered at 30–70, followed ≤ 10y)
    assert s75 / s50 == pytest.approx(float(cl1.tpx(50, 25)), abs=0.02)


def test_cox_compare_recovers_a_hazard_ratio_and_equals_lifelines():
    rng = np.random.default_rng(8)
    n = 3000
    group = rng.choice(["standard", "disabled"], n)
    rate = np.where(group == "disabled", 1.5, 1.0) * 0.05
    entry = rng.uniform(0, 5, n)
    life = entry + rng.exponential(1 / rate)  # memoryless: conditional on surviving to entry
    cens = entry + rng.uniform(0, 15, n)
    d = pd.DataFrame({"group": group, "entry": entry, "exit": np.minimum(life, cens),
                      "death": life <= cens, "age": rng.uniform(20, 60, n)})
    res = cox_compare(d, duration="exit", event="death", group="group", entry="entry",
                      reference="standard", covariates=["age"])
    row = res.table.set_index("covariate").loc["group=disabled"]
    assert row["lower"] < 1.5 < row["upper"]
    assert row["hazard_ratio"] == pytest.approx(1.5, rel=0.12)
    ref = CoxPHFitter().fit(pd.DataFrame({"T": d["exit"], "E": d["death"],
                                          "dis": (d["group"] == "disabled").astype(float),
                                          "age": d["age"], "W": d["entry"]}),
                            duration_col="T", event_col="E", entry_col="W")
    assert row["coef"] == pytest.approx(ref.params_["dis"], rel=1e-6)
    assert res.summary().shape[0] == 2
    ax = res.plot()
    assert ax.get_xscale() == "log"
    plt.close("all")
    with pytest.raises(ParameterError, match="reference"):
        cox_compare(d, duration="exit", event="death", group="group", reference="other")


# ---------------------------------------------------------------- claim delays
def tiny_claims():
    return pd.DataFrame({
        "claim_id": list("ABCDEF"),
        "accident_date": ["2024-01-01", "2024-01-01", "2024-01-21", "2023-12-02",
                          "2023-12-02", "2023-11-02"],
        "report_date": ["2024-01-01", "2024-01-11", "2024-01-26", "2024-01-11",
                        "2023-12-04", "2023-12-22"],
        "payment_date": ["2024-01-11", None, "2024-01-30", "2024-01-21", None, "2024-01-01"],
        "status": ["closed", "open", "closed", "closed", "open", "closed"],
    })


def test_report_delay_right_truncation_by_hand():
    # Valuation 2024-01-31. Delays D = 0, 10, 5, 40, 2, 50 days; windows W = 30, 30, 10, 60,
    # 60, 90. Lynden-Bell: F(d) = Π_{d_j > d} (1 − 1/R_j), R_j = #{i: D_i ≤ d_j ≤ W_i}:
    # R(50)=3, R(40)=2, R(10)=4, R(5)=3, R(2)=2, R(0)=1, so
    # F = 1 on [50, 90], 2/3 on [40, 50), 1/3 on [10, 40), 1/4 on [5, 10), 1/6 on [2, 5),
    # 1/12 on [0, 2).
    cd = claim_delays(tiny_claims(), valuation_date="2024-01-31")
    rep = cd.reporting.set_index("delay")["reported_fraction"]
    np.testing.assert_allclose(rep.loc[[0, 2, 5, 10, 40, 50, 90]],
                               [1 / 12, 1 / 6, 1 / 4, 1 / 3, 2 / 3, 1, 1], rtol=1e-12)
    np.testing.assert_allclose(cd.reported_fraction([1, 30, 45, 60]),
                               [1 / 12, 1 / 3, 2 / 3, 1], rtol=1e-12)
    assert cd.horizon == 90
    # IBNR: N̂ = Σ 1/F(W_i) = 3 + 3 + 3 (Jan: F(30) = F(30) = F(10) = 1/3) + 1 + 1 + 1 = 12
    ibnr = cd.ibnr("M").set_index("accident_period")
    assert ibnr["reported"].tolist() == [1, 2, 3]
    np.testing.assert_allclose(ibnr["estimated_ultimate"], [1, 2, 9], rtol=1e-12)
    np.testing.assert_allclose(ibnr["ibnr"], [0, 0, 6], atol=1e-12)


def test_settlement_delay_censors_open_claims_at_valuation():
    # Report → settlement: A 10, C 4, D 10, F 10 days (closed); B open 20, E open 58 (censored).
    # t=4: n=6, d=1 → 5/6; t=10: n=5, d=3 → 1/3; no further events.
    cd = claim_delays(tiny_claims(), valuation_date="2024-01-31")
    np.testing.assert_allclose(cd.settlement.at([4, 10, 58]).iloc[:, 0], [5 / 6, 1 / 3, 1 / 3],
                               rtol=1e-12)
    per = cd.claims
    assert per["settled"].tolist() == [True, False, True, True, False, True]
    np.testing.assert_allclose(per["settle_delay"], [10, 20, 4, 10, 58, 10])
    summ = cd.summary().iloc[0]
    assert summ["claims"] == 6 and summ["settled"] == 4
    assert summ["median_settlement_days"] == 10
    assert summ["median_report_delay_days"] == 40  # first delay with F ≥ 1/2
    # from accident: left-truncated at the report delay
    acc = claim_delays(tiny_claims(), valuation_date="2024-01-31", origin="accident")
    np.testing.assert_allclose(acc.claims["settle_delay"], [10, 30, 9, 50, 60, 60])
    ax = cd.plot()
    assert ax.get_ylim()[1] == pytest.approx(1.02)
    plt.close("all")


def test_report_delays_and_ibnr_on_simulated_claims():
    rng = np.random.default_rng(21)
    days = 720
    n = rng.poisson(20 * days)
    acc = rng.uniform(0, days, n)
    delay = rng.exponential(30.0, n)
    base = np.datetime64("2022-01-01")
    acc_d = base + np.floor(acc).astype("timedelta64[D]")
    rep_d = base + np.floor(acc + delay).astype("timedelta64[D]")
    keep = rep_d <= base + np.timedelta64(days, "D")  # reported by the valuation date
    claims = pd.DataFrame({"accident_date": acc_d[keep], "report_date": rep_d[keep],
                           "payment_date": pd.NaT, "status": "open"})
    cd = claim_delays(claims, valuation_date=base + np.timedelta64(days, "D"))
    for dd in (10, 30, 90):
        # true F of the whole-day delay floor(a + D) − floor(a), a's fraction f ~ U(0, 1):
        # P(D < d + 1 − f) = 1 − e^{−(d+1)/30} · E[e^{f/30}] = 1 − e^{−(d+1)/30}·30(e^{1/30} − 1)
        true = 1 - np.exp(-(dd + 1) / 30) * 30 * np.expm1(1 / 30)
        assert float(cd.reported_fraction(dd)) == pytest.approx(true, abs=0.02)
    ibnr = cd.ibnr("Q")
    true_total = n
    assert ibnr["estimated_ultimate"].sum() == pytest.approx(true_total, rel=0.02)
    true_ibnr = int(np.sum(~keep))
    assert ibnr["ibnr"].sum() == pytest.approx(true_ibnr, rel=0.15)


def test_claim_delay_validation():
    bad = tiny_claims()
    bad.loc[0, "report_date"] = "2023-12-01"       # before accident
    bad.loc[1, "report_date"] = "2024-02-05"       # after valuation
    bad.loc[2, "payment_date"] = None              # closed without a settlement date
    bad.loc[3, "status"] = "finished"
    with pytest.raises(DataError) as err:
        claim_delays(bad, valuation_date="2024-01-31")
    found = {(p.rule, p.row) for p in err.value.problems}
    assert {("report_before_accident", 1), ("after_valuation", 2), ("missing_value", 3),
            ("not_allowed", 4)} <= found
    with pytest.raises(ParameterError, match="origin"):
        claim_delays(tiny_claims(), valuation_date="2024-01-31", origin="payment")
    with pytest.raises(ParameterError, match="horizon"):
        claim_delays(tiny_claims(), valuation_date="2024-01-31", horizon=20)
