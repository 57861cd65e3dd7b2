"""Life tables: shipped CL tables against published figures, life functions, validation,
special-group adjustments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate

from puhui.errors import DataError, ParameterError
from puhui.life.catalogue import available_tables, china_life_table, load_table
from puhui.life.table import LifeTable

ALL = available_tables()["name"].tolist()


# ---------------------------------------------------------------- shipped tables
def test_catalogue_lists_ten_tables_with_sources():
    cat = available_tables()
    assert len(cat) == 10
    assert set(cat.loc[cat.period == "2010-2013", "code"]) == {f"CL{k}" for k in range(1, 7)}
    assert cat.loc[cat.period == "2010-2013", "source"].str.contains("保监发〔2016〕107号").all()
    assert cat.loc[cat.period == "2000-2003", "source"].str.contains("保监发〔2005〕117号").all()


@pytest.mark.parametrize("name", ALL)
def test_shipped_tables_equal_the_shared_reference_files(name, shared_data):
    period = name.split("_", 1)[1]
    ref = pd.read_csv(shared_data / "china_life_tables" / f"cl_{period}.csv")
    code = name.split("_")[0]
    col = [c for c in ref.columns if c.startswith(code + "_")][0]
    t = load_table(name)
    np.testing.assert_array_equal(t.ages, ref["age"].to_numpy())
    np.testing.assert_array_equal(t.qx, ref[col].to_numpy())
    assert t.first_age == 0 and t.last_age == 105 and t.qx[-1] == 1.0


def test_names_and_aliases():
    assert load_table("CL1(2010-2013)").name == "CL1_2010_2013"
    assert load_table("cl3 2010–2013").name == "CL3_2010_2013"
    assert china_life_table("2000-2003", "CL4").name == "CL4_2000_2003"
    with pytest.raises(ParameterError, match="unknown life table"):
        load_table("CL7_2010_2013")


def test_age_50_rates_match_xinhua():
    # Xinhua Insight, 2017-03-02, "Mortality rates in China down, not up": age-50 male
    # mortality 0.4249% in non-annuity table I (CL1) and 0.2908% in non-annuity table II (CL3)
    # of CL(2010-2013); 0.3570% for non-annuity males in CL(2000-2003).
    assert load_table("CL1_2010_2013").qx[50] == pytest.approx(0.004249, abs=1e-12)
    assert load_table("CL3_2010_2013").qx[50] == pytest.approx(0.002908, abs=1e-12)
    assert load_table("CL1_2000_2003").qx[50] == pytest.approx(0.003570, abs=1e-12)


def test_cl_2000_2003_life_expectancy_is_the_complete_udd_expectation():
    # CIRC notice 保监发〔2005〕117号 / China Daily 2005-12-23: expectation of life at birth
    # 76.7 (CL1, non-annuity male), 80.9 (CL2), 79.7 (CL3, annuity male), 83.7 (CL4).
    published = {"CL1": 76.7, "CL2": 80.9, "CL3": 79.7, "CL4": 83.7}
    for code, e0 in published.items():
        t = china_life_table("2000-2003", code)
        assert round(float(t.complete_expectation(0)), 1) == e0  # e̊_0 under UDD: matches
        assert round(float(t.curtate_expectation(0)), 1) == round(e0 - 0.5, 1)  # e_0: does not
        # constant force between ages also rounds to the published figure
        assert round(float(t.complete_expectation(0, fractional="constant_force")), 1) == e0


def test_cl_2010_2013_life_expectancy_against_published_figures():
    # No expectation of life per table appears in the 2016 notice itself. He Jian-gang & Zheng
    # Yu-xi, 保险研究 2022(1) pp. 79-96, abstract: life expectancy 76.42 (male) and 81.71
    # (female) "based on 中国人身保险业经验生命表(2010~2013)" (the non-annuity table I).
    assert float(load_table("CL1_2010_2013").complete_expectation(0)) == pytest.approx(76.42,
                                                                                      abs=0.005)
    assert float(load_table("CL2_2010_2013").complete_expectation(0)) == pytest.approx(81.71,
                                                                                      abs=0.005)
    # 南方财经 2025-10 on the 2025 table: annuity-table life expectancy male 85 "提高2岁",
    # female 89 "提高1岁", i.e. about 83 and 88 on the CL(2010-2013) annuity tables CL5/CL6.
    assert round(float(load_table("CL5_2010_2013").complete_expectation(0))) == 83
    assert round(float(load_table("CL6_2010_2013").complete_expectation(0))) == 88
    # The CIRC release of 2016-12-28 (Reuters brief) quoted 79.5 (male) and 84.6 (female) for
    # "insured" lives; no single CL(2010-2013) table gives these (CL1 76.4, CL3 80.4, CL5 83.1),
    # so they are not used as a check (see docs/special_groups.md).


@pytest.mark.parametrize("name", ["CL1_2010_2013", "CL6_2010_2013", "CL2_2000_2003"])
@pytest.mark.parametrize("fractional", ["udd", "constant_force"])
def test_complete_expectation_equals_numerical_integral_of_survival(name, fractional):
    # Independent computation: e̊_x = ∫ ₜp_x dt by adaptive quadrature of tpx.
    t = load_table(name)
    for x in (0, 45, 100):
        horizon = t.last_age + 1 - x
        val, _ = integrate.quad(lambda s, x=x: float(t.tpx(x, s, fractional=fractional)),
                                0, horizon, points=np.arange(1, horizon), limit=400)
        assert float(t.complete_expectation(x, fractional=fractional)) == pytest.approx(
            val, abs=1e-7)


def test_lx_dx_and_integer_survival():
    t = load_table("CL1_2010_2013")
    lx, dx = t.lx(), t.dx()
    assert lx[0] == 100_000
    assert dx.sum() == pytest.approx(100_000, rel=1e-12)  # everybody dies by the closing age
    np.testing.assert_allclose(lx[1:], lx[:-1] - dx[:-1], rtol=1e-12)
    np.testing.assert_allclose(t.lx(radix=1.0) * 1e6, t.lx(radix=1e6), rtol=1e-12)
    x = np.array([0, 30, 60, 90])
    k = np.array([10, 20, 30, 15])
    np.testing.assert_allclose(t.tpx(x, k), lx[x + k] / lx[x], rtol=1e-12)
    np.testing.assert_allclose(t.tqx(x, 1), t.qx[x], rtol=1e-12)
    assert float(t.tpx(50, 200)) == 0.0
    frame = t.to_frame()
    assert list(frame.columns) == ["age", "qx", "px", "lx", "dx", "ex", "ex_complete"]
    np.testing.assert_allclose(frame["ex_complete"] - frame["ex"], 0.5, rtol=1e-12)


def test_fractional_ages_udd_and_constant_force():
    t = load_table("CL1_2010_2013")
    q = t.qx[60]
    for s in (0.25, 0.5, 0.9):
        assert float(t.tpx(60, s)) == pytest.approx(1 - s * q, rel=1e-13)
        assert float(t.tpx(60, s, fractional="constant_force")) == pytest.approx((1 - q) ** s,
                                                                                rel=1e-13)
        # UDD: ₛ₋ᵣ p_{x+r} = (1 − s q)/(1 − r q)
        assert float(t.tpx(60 + 0.2, s - 0.2 if s > 0.2 else s)) == pytest.approx(
            (1 - (0.2 + (s - 0.2 if s > 0.2 else s)) * q) / (1 - 0.2 * q), rel=1e-13)


@given(x=st.floats(0, 104.9), s=st.floats(0, 30), u=st.floats(0, 30),
       fractional=st.sampled_from(["udd", "constant_force"]))
def test_survival_is_multiplicative(x, s, u, fractional):
    # ₛ₊ᵤp_x = ₛp_x · ᵤp_{x+s}, for any real ages under either fractional assumption
    t = load_table("CL2_2010_2013")
    if x + s >= t.last_age + 1:
        return
    whole = float(t.tpx(x, s + u, fractional=fractional))
    parts = float(t.tpx(x, s, fractional=fractional) * t.tpx(x + s, u, fractional=fractional))
    assert whole == pytest.approx(parts, rel=1e-10, abs=1e-15)


@given(x=st.integers(0, 105), name=st.sampled_from(ALL))
def test_constant_force_expectation_never_exceeds_udd(x, name):
    # pˢ is convex in s and equals 1 − s·q at s = 0 and 1, so ∫pˢ ≤ ∫(1 − s q)
    t = load_table(name)
    cf = float(t.complete_expectation(x, fractional="constant_force"))
    assert cf <= float(t.complete_expectation(x)) + 1e-12
    assert cf >= float(t.curtate_expectation(x)) - 1e-12


# ---------------------------------------------------------------- validation
def test_from_frame_lists_every_problem_with_column_and_row():
    df = pd.DataFrame({"age": ["0", "1", "2", "4", "4", "5.5"],
                       "qx": ["0.1", "", "1.2", "abc", "0.3", "0.9"]})
    with pytest.raises(DataError) as err:
        LifeTable.from_frame(df, name="company table")
    found = {(p.rule, p.column, p.row) for p in err.value.problems}
    assert found == {
        ("missing_value", "qx", 2),
        ("ratio_out_of_range", "qx", 3),
        ("not_a_number", "qx", 4),
        ("ages_not_contiguous", "age", 4),
        ("duplicate_age", "age", 5),
        ("not_an_integer", "age", 6),
        ("ages_not_contiguous", "age", 6),
        ("last_q_not_one", "qx", 6),
    }
    assert all(p.table == "company table" for p in err.value.problems)


def test_from_frame_column_choice():
    df = pd.DataFrame({"age": [0, 1], "a": [0.5, 1.0], "b": [0.2, 1.0]})
    with pytest.raises(DataError, match="ambiguous_column"):
        LifeTable.from_frame(df)
    assert LifeTable.from_frame(df, column="b").qx.tolist() == [0.2, 1.0]
    with pytest.raises(DataError, match="missing_column"):
        LifeTable.from_frame(df, column="c")
    with pytest.raises(DataError, match="missing_column"):
        LifeTable.from_frame(df.rename(columns={"age": "x"}), column="a")
    with pytest.raises(DataError, match="empty"):
        LifeTable(ages=[], qx=[])
    with pytest.raises(DataError, match="negative|out_of_range"):
        LifeTable(ages=[-1, 0], qx=[0.5, 1.0])


def test_from_file_reads_csv_gbk_and_xlsx(tmp_path):
    ages = np.arange(18, 23)
    q = [0.001, 0.002, 0.004, 0.008, 1.0]
    df = pd.DataFrame({"年龄": ages, "男": q})
    p = tmp_path / "company.csv"
    df.to_csv(p, index=False, encoding="gb18030")
    t = LifeTable.from_file(p, age_column="年龄", name="公司表")
    assert t.first_age == 18 and t.qx.tolist() == q and t.name == "公司表"
    x = tmp_path / "company.xlsx"
    df.to_excel(x, index=False)
    assert LifeTable.from_file(x, age_column="年龄").qx.tolist() == q
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"age": [0, 1], "qx": [0.2, 0.9]}).to_csv(bad, index=False)
    with pytest.raises(DataError, match="last_q_not_one"):
        LifeTable.from_file(bad)


def test_bad_arguments_raise_parameter_errors():
    t = load_table("CL1_2010_2013")
    with pytest.raises(ParameterError, match="age x"):
        t.tpx(106, 1)
    with pytest.raises(ParameterError, match="t must"):
        t.tpx(40, -1)
    with pytest.raises(ParameterError, match="fractional"):
        t.tpx(40, 0.5, fractional="balducci")
    with pytest.raises(ParameterError, match="whole number"):
        t.curtate_expectation(40.5)
    with pytest.raises(ParameterError, match="radix"):
        t.lx(radix=0)


# ---------------------------------------------------------------- adjustments
def test_multiplicative_loading_caps_at_one_and_keeps_closing_age():
    t = load_table("CL1_2010_2013")
    d = t.scaled(1.5)
    np.testing.assert_allclose(d.qx[:-1], np.minimum(1.5 * t.qx[:-1], 1.0), rtol=0, atol=0)
    assert d.qx[-1] == 1.0
    assert d.name == "CL1_2010_2013 ×150%"
    heavy = t.scaled(3.0)
    n_capped = int(np.sum(3.0 * t.qx[:-1] > 1))
    assert n_capped > 0 and f"capped at 1 at {n_capped} age(s)" in heavy.adjustments[0]
    assert float(d.complete_expectation(40)) < float(t.complete_expectation(40))
    light = t.scaled(0.8)
    assert light.qx[-1] == 1.0 and light.qx[50] == pytest.approx(0.8 * 0.004249)
    with pytest.raises(ParameterError):
        t.scaled(-1)
    by_age = t.scaled(np.where(t.ages >= 60, 2.0, 1.0))
    assert by_age.qx[59] == t.qx[59] and by_age.qx[60] == 2 * t.qx[60]


def test_additive_extra_mortality():
    t = load_table("CL2_2010_2013")
    e = t.with_extra(0.002)
    np.testing.assert_allclose(e.qx[:-1], np.minimum(t.qx[:-1] + 0.002, 1.0))
    assert e.qx[-1] == 1.0
    with pytest.raises(ParameterError):
        t.with_extra(-0.001)


def test_select_factors_apply_to_first_policy_years_only():
    t = load_table("CL1_2010_2013")
    f = (0.5, 0.7, 0.9)
    s = t.with_select(f)
    x = 40
    # independent: the select path written out year by year
    q_path = np.array([f[k] * t.qx[x + k] if k < 3 else t.qx[x + k] for k in range(30)])
    p_path = np.cumprod(1 - q_path)
    np.testing.assert_allclose(s.tpx(x, np.arange(1, 31)), p_path, rtol=1e-13)
    assert float(s.tpx(x, 0.5)) == pytest.approx(1 - 0.5 * 0.5 * t.qx[x], rel=1e-13)
    # after the select period the conditional survival equals the ultimate one
    assert float(s.tpx(x, 10) / s.tpx(x, 3)) == pytest.approx(float(t.tpx(x + 3, 7)), rel=1e-12)
    with pytest.raises(ParameterError, match="whole number"):
        s.tpx(40.5, 1)
    with pytest.raises(ParameterError, match="select_factors"):
        t.with_select([-0.1])
    # a select table still closes: expectation finite even with factors below 1 at old ages
    assert np.isfinite(float(t.with_select([0.5] * 5).complete_expectation(104)))


def test_age_limits_raise_clear_errors():
    t = load_table("CL1_2010_2013").with_age_limits(min_entry_age=60, max_entry_age=80,
                                                    max_expiry_age=85)
    t.check_cover(np.array([60, 70, 80]), 5)
    with pytest.raises(ParameterError, match=r"entry age\(s\) \[55\] below the minimum entry age 60"):
        t.check_cover(np.array([55, 60]), 5)
    with pytest.raises(ParameterError, match="above the maximum entry age 80"):
        t.check_cover(81, 1)
    with pytest.raises(ParameterError, match=r"past the age cap 85"):
        t.check_cover(80, 10)
    with pytest.raises(ParameterError, match="whole-life cover is not allowed"):
        t.check_cover(70, None)
    with pytest.raises(ParameterError, match="min_entry_age 70 is above max_entry_age 60"):
        load_table("CL1_2010_2013").with_age_limits(min_entry_age=70, max_entry_age=60)
