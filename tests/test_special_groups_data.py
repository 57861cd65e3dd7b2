"""The bundled special-group data set (puhui.datasets.special_groups): byte-identical
regeneration, validation, recomputed payouts and the planted truth recovered by the review
methods (A/E with exact Poisson intervals, Cox hazard ratio, IBNR counts, credibility).

Independent references: the truth file written by the generator (planted multipliers, true
community factors, IBNR counts) and recomputations of every payout from the benefit terms.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import puhui.datasets as ds
from puhui.data import validate
from puhui.datasets import special_groups as SG
from puhui.datasets import store
from puhui.experience.ae import actual_vs_expected
from puhui.experience.mortality import exact_age, mortality_study
from puhui.experience.survival import age_scale, claim_delays, cox_compare
from puhui.life.catalogue import load_table
from puhui.life.group import GroupExperienceRating
from puhui.repro import sha256_file

FILES = [rel for name, rel in store.FILES.items() if name.startswith("special_groups/")]


@pytest.fixture(scope="module")
def sg():
    return ds.load_special_groups()


def test_bundled_files_match_manifest_and_stay_small():
    base = store.repo_data_dir()
    manifest = json.loads((base / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seeds"]["special_groups"] == SG.SEED
    total = 0
    for rel in FILES:
        entry = manifest["files"][rel]
        assert sha256_file(base / rel) == entry["sha256"]
        total += entry["bytes"]
    assert total < 1_000_000    # the brief: well under 2 MB


def test_regeneration_is_byte_identical_and_matches_the_bundle(tmp_path):
    a = SG.generate_special_groups()
    b = SG.generate_special_groups()
    for key in ("lives", "accident_policies", "accident_claims", "census"):
        rel = store.FILES[f"special_groups/{key}"]
        ba, bb = store._encode(rel, a[key]), store._encode(rel, b[key])
        assert ba == bb
        path = tmp_path / rel.replace("/", "_")
        path.write_bytes(ba)
        assert sha256_file(path) == sha256_file(store.repo_data_dir() / rel)
    assert store.json_bytes(a["planted"]) == \
        (store.repo_data_dir() / "special_groups/planted.json").read_bytes()


def test_tables_validate_and_census_checks(sg):
    cohorts = sg.planted["term_life"]["cohorts"]
    assert len(sg.lives) == sum(c["lives"] for c in cohorts.values()) == 18_000
    assert sg.lives["policy_id"].is_unique
    for grp, c in cohorts.items():
        exits = sg.lives.loc[sg.lives["group"] == grp, "exit_reason"].value_counts()
        assert exits.to_dict() == {k: v for k, v in c["exits"].items() if v}
    assert set(sg.lives["exit_reason"]) == {"death", "lapse", "maturity", "censor"}
    assert sg.census["lives"].sum() == sg.planted["accident"]["truth"]["census_lives"]
    assert sg.census["age"].between(60, 89).all()
    assert ds.load_planted("special_groups")["seed"] == SG.SEED
    bad = sg.census.copy()
    bad.loc[3, "age"] = 95
    with pytest.raises(Exception, match="out_of_range"):
        SG._checked_census(bad)


def test_term_life_records_follow_the_product_rules(sg):
    lv = sg.lives
    a0 = exact_age(lv["birth_date"].to_numpy("datetime64[ns]"),
                   lv["entry_date"].to_numpy("datetime64[ns]"))
    whole = np.floor(a0)
    assert whole.min() >= 18 and whole.max() <= 60
    end = lv["entry_date"] + pd.DateOffset(years=5)
    assert (lv["exit_date"] <= end).all()
    assert (lv["exit_date"] <= pd.Timestamp(SG.STUDY_END)).all()
    mat = lv["exit_reason"] == "maturity"
    assert (lv.loc[mat, "exit_date"] == end[mat]).all()
    died = lv["exit_reason"] == "death"
    assert (lv.loc[died, "exit_date"] > lv.loc[died, "entry_date"]).all()
    # the premium is the filed gross premium at the 周岁 at entry
    prods = SG.term_products()
    for grp, prod in prods.items():
        m = (lv["group"] == grp).to_numpy()
        p = prod.gross_premium(whole[m], lv.loc[m, "sex"].to_numpy(), lv.loc[m, "sum_insured"])
        np.testing.assert_allclose(lv.loc[m, "premium"], p, atol=0.005)


def test_review_recovers_the_planted_mortality_multiplier(sg):
    p = sg.planted
    cl = {"M": load_table("CL1_2010_2013"), "F": load_table("CL2_2010_2013")}
    study = mortality_study(sg.lives, by=["group", "sex"], study_start=p["study_start"],
                            study_end=p["study_end"])
    ae = study.actual_vs_expected(cl, table_by="sex", by=["group"]).table.set_index("group")
    for grp in ("disabled", "standard"):
        truth = p["term_life"]["cohorts"][grp]["true_loading"]
        assert ae.loc[grp, "ae_lower"] < truth < ae.loc[grp, "ae_upper"]
    # against the filed basis (150 %) the disabled A/E interval contains 1.6 / 1.5
    basis = {s: t.scaled(1.5) for s, t in cl.items()}
    dis = mortality_study(sg.lives[sg.lives["group"] == "disabled"], by=["sex"],
                          study_start=p["study_start"], study_end=p["study_end"])
    row = dis.actual_vs_expected(basis, table_by="sex", by=[]).table.iloc[0]
    assert row["ae_lower"] < 1.6 / 1.5 < row["ae_upper"]
    # a proportional-hazards comparison on the age scale gives the same ratio
    ages = age_scale(sg.lives, by=["group"], study_start=p["study_start"],
                     study_end=p["study_end"])
    cox = cox_compare(ages, duration="exit_age", event="death", group="group",
                      entry="entry_age", reference="standard").table.iloc[0]
    assert cox["lower"] < 1.6 < cox["upper"]


def test_accident_payouts_recomputed_from_the_terms(sg):
    c = sg.accident_claims
    amount = c["paid"] + c["case_reserve"]
    closed = c["status"] == "closed"
    death = c["benefit_line"] == "death"
    assert (c.loc[death & closed, "paid"] == 30_000).all()
    dis = (c["benefit_line"] == "disability") & closed
    assert np.all(np.isin(c.loc[dis, "paid"], 3_000 * np.arange(1, 11)))
    med = (c["benefit_line"] == "medical") & closed
    assert c.loc[med, "paid"].between(0.01, 10_000).all()
    assert (amount > 0).all() and (c.loc[~closed, "paid"] == 0).all()
    assert (c["report_date"] <= pd.Timestamp(SG.VALUATION_DATE)).all()
    truth = sg.planted["accident"]["truth"]
    years = sg.accident_policies.set_index("policy_id").loc[c["policy_id"], "policy_year"]
    for y in map(str, SG.POLICY_YEARS):
        reported = int((years.to_numpy() == int(y)).sum())
        assert reported + truth["ibnr_claims_by_year"][y] == truth["paying_claims_by_year"][y]
    pol = sg.accident_policies
    gross = pol["premium"] / pol["exposure"]
    band = pol["segment"].map(dict(zip(SG.BAND_LABELS, range(3), strict=True)))
    expected = np.array(list(truth["gross_premium_by_band"].values()))[band]
    np.testing.assert_allclose(gross, expected, atol=0.01)


def test_accident_review_finds_the_planted_frequency_and_ibnr(sg):
    pol = sg.accident_policies
    prod = SG.accident_product("basis")
    age = pol["segment"].str[:2].astype(int).to_numpy()
    exp = prod.expected_by_line(age, pol["exposure"].to_numpy())
    exp["policy_id"] = pol["policy_id"].to_numpy()[exp["row"]]
    c = sg.accident_claims.assign(amount=lambda d: d["paid"] + d["case_reserve"])
    act = c.groupby(["policy_id", "benefit_line"]).agg(actual_count=("claim_id", "size"),
                                                       actual_amount=("amount", "sum"))
    cells = exp.merge(act.reset_index().rename(columns={"benefit_line": "line"}),
                      on=["policy_id", "line"], how="left").fillna(0.0)
    cells = cells.merge(pol[["policy_id", "segment", "region", "policy_year"]], on="policy_id")
    r = actual_vs_expected(cells, by=["line", "segment"]).table.set_index(["line", "segment"])
    planted = SG.ACCIDENT["true_frequency"]["medical"][2] / \
        SG.ACCIDENT["basis_frequency"]["medical"][2]
    m80 = r.loc[("medical", "80-89")]
    assert m80["frequency_lower"] > 1 and m80["frequency_lower"] < planted < \
        m80["frequency_upper"]
    # claim delays: the IBNR count of 2024 is close to the truth
    d = claim_delays(sg.accident_claims, valuation_date=SG.VALUATION_DATE)
    ibnr = d.ibnr("Y").set_index(d.ibnr("Y")["accident_period"].astype(str))["ibnr"]
    truth = sg.planted["accident"]["truth"]["ibnr_claims_by_year"]["2024"]
    assert abs(ibnr["2024"] - truth) < 3 * np.sqrt(truth) + 2
    # Bühlmann–Straub across communities moves the factors towards the planted ones
    g = cells.groupby(["region", "policy_year"]).agg(actual=("actual_count", "sum"),
                                                     expected=("expected_count", "sum"))
    rating = GroupExperienceRating().fit(g.reset_index(), group="region",
                                         period="policy_year")
    t = rating.table_.set_index("group")
    theta = pd.Series(sg.planted["accident"]["truth"]["community_factor"])[t.index]
    theta = theta * (t["actual"].sum() / t["expected"].sum()) / np.average(
        theta, weights=t["expected"])         # the factors include the 80+ basis error
    raw = np.mean((t["ae"] - theta) ** 2)
    cred = np.mean((t["credible_ae"] - theta) ** 2)
    assert cred < raw
    assert 0.005 < rating.between_variance_ < 0.08   # planted CV 0.15 → a = 0.0225


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_generated_tables_validate_for_any_seed(seed):
    d = SG.generate_special_groups(seed=seed, scale=0.02)
    pol = validate(d["accident_policies"], "policies")
    validate(d["accident_claims"], "claims", policies=pol)
    SG._checked_lives(d["lives"].copy())
    SG._checked_census(d["census"])
    assert d["planted"]["accident"]["truth"]["communities"] == 6
