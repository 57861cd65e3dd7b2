"""Tests of the bundled data sets and their seeded generators (puhui.datasets).

Reference values are independent computations: numerical integration (scipy.integrate.quad) for
the closed-form limited expected values, a recomputation of every payout and indemnity from the
cost / yield tables with pandas, and the generator's own truth file for the planted deviations.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

import puhui.datasets as ds
from puhui.data import validate
from puhui.datasets import huiminbao_basis as B
from puhui.datasets import store
from puhui.datasets.crops import generate_crops
from puhui.datasets.huiminbao_claims import generate_huiminbao
from puhui.errors import ParameterError
from puhui.repro import sha256_file


@pytest.fixture(scope="module")
def hmb(bundled_huiminbao):
    """The bundled 惠民保 tables as ``ds.load_huiminbao()`` returns them (loaded once per test
    process in conftest.py; read only)."""
    return bundled_huiminbao


@pytest.fixture(scope="module")
def crops():
    return ds.load_crops()


# --- the closed forms of the pricing basis ---------------------------------------------------

@pytest.mark.parametrize("line", B.LINES)
def test_base_lev_equals_integral_of_survival(line):
    # Independent: LEV(u) = ∫_0^u S(x) dx by adaptive quadrature (Klugman-Panjer-Willmot 3.2).
    for u in (1_000.0, 20_000.0, 60_000.0, 1_250_000.0):
        brk = [p for p in (B.SEVERITY[line]["xm"],) if p < u]
        ref, _ = integrate.quad(lambda x: float(B.base_sf(line, x)), 0, u, points=brk or None,
                                limit=400, epsabs=1e-6, epsrel=1e-10)
        assert float(B.base_lev(line, u)) == pytest.approx(ref, rel=1e-7)
    # LEV → mean as u → ∞ (the Pareto tail has alpha > 1).
    assert float(B.base_lev(line, 1e12)) == pytest.approx(B.base_mean(line), rel=1e-5)


def test_lognormal_part_matches_scipy_expect():
    from puhui.losses.lev import lev

    body, _, _ = B.base_law("in_catalogue")
    u = 20_000.0
    ref = body.expect(lambda x: np.minimum(x, u))
    assert float(lev(body, u)) == pytest.approx(ref, rel=1e-7)


@pytest.mark.parametrize("line", B.LINES)
def test_sampler_follows_the_stated_severity(line):
    z = B.sample_base(line, 400_000, np.random.default_rng(7))
    for x in (2_000.0, 20_000.0, B.SEVERITY[line]["xm"] * 1.5):
        p = float(B.base_sf(line, x))
        assert np.mean(z > x) == pytest.approx(p, abs=5 * np.sqrt(p * (1 - p) / z.size))


def test_layer_expectation_against_simulation():
    rng = np.random.default_rng(3)
    z = B.sample_base("out_of_catalogue", 1_000_000, rng) * 1.3
    pay = np.minimum(0.35 * np.maximum(z - 40_000, 0), 1_000_000)
    p_claim, e_pay = B.layer_expectation("out_of_catalogue", 1.3, 40_000, 0.35, 1_000_000)
    assert np.mean(z > 40_000) == pytest.approx(float(p_claim), rel=0.03)
    assert pay.mean() == pytest.approx(float(e_pay), abs=4 * pay.std() / np.sqrt(pay.size))


def test_planted_multipliers_pick_their_cells():
    pre80 = B.planted_multipliers("frequency", 2024, "preexisting", 5, "in_catalogue")
    assert float(pre80) == pytest.approx(1.30 * 1.15)
    assert float(B.planted_multipliers("frequency", 2023, "healthy", 2,
                                       "out_of_catalogue")) == pytest.approx(0.85)
    assert float(B.planted_multipliers("frequency", 2023, "healthy", 2, "special_drugs")) == 1
    sev = B.planted_multipliers("severity", [2024, 2025], "healthy", 0, "special_drugs")
    np.testing.assert_allclose(sev, [1.0, 1.25])


# --- regeneration ----------------------------------------------------------------------------

def test_regenerate_small_scale_is_byte_identical(tmp_path):
    a = ds.regenerate(tmp_path / "a", scale=0.01)
    b = ds.regenerate(tmp_path / "b", scale=0.01)
    assert [p.name for p in a] == [p.name for p in b] and a[-1].name == "manifest.json"
    for pa, pb in zip(a, b, strict=True):
        assert sha256_file(pa) == sha256_file(pb), pa.name
    manifest = json.loads(a[-1].read_text(encoding="utf-8"))
    assert set(manifest["files"]) == set(store.FILES.values())


def test_bad_arguments_raise():
    with pytest.raises(ParameterError, match="scale"):
        ds.regenerate("/nonexistent", scale=2.0)
    with pytest.raises(ParameterError, match="members"):
        generate_huiminbao(members=0)
    with pytest.raises(ParameterError, match="counties"):
        generate_crops(counties=3)
    with pytest.raises(ParameterError, match="dataset"):
        ds.load_planted("cars")


def test_cache_fallback_reproduces_the_bundled_bytes(tmp_path, monkeypatch):
    """Without the repo's data/ the loaders regenerate into $PUHUI_DATA, byte for byte."""
    bundled = store.repo_data_dir()
    if not store._complete(bundled):
        pytest.skip("no bundled data/ folder")
    monkeypatch.setattr(store, "repo_data_dir", lambda: tmp_path / "no-data")
    monkeypatch.setenv("PUHUI_DATA", str(tmp_path / "cache"))
    with pytest.warns(UserWarning, match="generating them"):
        prices = ds.load_prices()
    assert len(prices) == 3653
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once: the cache is now complete
        assert ds.data_dir() == tmp_path / "cache"
    ours = json.loads((tmp_path / "cache" / "manifest.json").read_text(encoding="utf-8"))
    theirs = json.loads((bundled / "manifest.json").read_text(encoding="utf-8"))
    assert ours == theirs
    for rel in store.FILES.values():
        assert sha256_file(bundled / rel) == theirs["files"][rel]["sha256"], rel
    assert sum(v["bytes"] for v in theirs["files"].values()) < 20e6


# --- the bundled 惠民保 data ---------------------------------------------------------------------

def test_huiminbao_tables(hmb):
    pol = hmb.policies
    assert pol.groupby("policy_year").size().tolist() == [200_000, 196_000, 188_000]
    assert pol["age"].between(18, 95).all() and pol["age"].mean() > 50
    pre = pol["preexisting"].astype(bool)
    assert 0.10 <= pre.mean() <= 0.15
    assert pre[pol["age"] >= 80].mean() > 2 * pre[pol["age"] < 50].mean()
    assert (pol["segment"] == np.where(pre, "preexisting", "healthy")).all()
    assert sorted(pol.groupby("policy_year")["premium"].first()) == [89.0, 99.0, 109.0]
    # renewals: the member number carries over, and the renewed member is one year older
    num = pol["policy_id"].str[-7:]
    a = pol[pol["policy_year"] == 2023].set_index(num[pol["policy_year"] == 2023])["age"]
    b = pol[pol["policy_year"] == 2024].set_index(num[pol["policy_year"] == 2024])["age"]
    both = a.index.intersection(b.index)
    assert 0.6 < len(both) / len(a) < 0.9
    assert (b[both] == a[both] + 1).all()
    cl = hmb.claims
    assert set(cl["status"]) == {"open", "closed", "reopened"}
    zero = (cl["status"] == "closed") & (cl["paid"] == 0)
    assert 0 < zero.sum() < 0.15 * len(cl)
    assert (cl["report_date"] <= hmb.valuation_date).all()


def test_claims_follow_the_design_from_the_costs(hmb):
    """Independent recomputation of every paid amount from costs, segment and the design."""
    design = hmb.planted["pricing_basis"]["design"]
    seg = hmb.policies.set_index("policy_id")["segment"]
    cost = hmb.costs.set_index(["policy_id", "benefit_line"])["cost"]
    cl = hmb.claims
    x = cost.reindex(pd.MultiIndex.from_frame(cl[["policy_id", "benefit_line"]])).to_numpy()
    assert not np.isnan(x).any()  # every claim has a cost behind it
    terms = pd.DataFrame([{"benefit_line": ln, "segment": s, **v}
                          for ln, by in design.items() for s, v in by.items()])
    t = cl.assign(segment=seg.reindex(cl["policy_id"]).to_numpy()).merge(
        terms, on=["benefit_line", "segment"], how="left")
    due = np.round(np.minimum(t["payout_ratio"] * np.maximum(x - t["deductible"], 0),
                              t["cap"]), 2)
    closed = (cl["status"] == "closed").to_numpy()
    np.testing.assert_allclose(cl["paid"].to_numpy()[closed], due[closed], atol=0.005)
    reopened = (cl["status"] == "reopened").to_numpy()
    assert (cl["paid"].to_numpy()[reopened] < due[reopened]).all()
    assert (cl.loc[cl["status"] == "open", "paid"] == 0).all()


def test_ultimates_and_ibnr_add_up(hmb):
    cl = hmb.claims.merge(hmb.policies[["policy_id", "policy_year"]], on="policy_id")
    years = {y["policy_year"]: y for y in hmb.planted["years"]}
    for year, g in cl.groupby("policy_year"):
        t = years[year]
        assert g["paid"].sum() == pytest.approx(t["paid"], abs=0.01)
        assert g["case_reserve"].sum() == pytest.approx(t["case_reserve"], abs=0.01)
        assert t["ultimate"] == pytest.approx(t["paid"] + t["true_outstanding_reported"]
                                              + t["ibnr"], rel=1e-9)
    assert years[2025]["ibnr"] > 5 * years[2024]["ibnr"] > 0
    assert years[2025]["ibnr_claims"] > 50
    # The report delay has the stated median (45 days) on the fully developed year.
    d = (cl.loc[cl["policy_year"] == 2023, "report_date"]
         - cl.loc[cl["policy_year"] == 2023, "accident_date"]).dt.days
    assert 40 <= d.median() <= 50


def test_planted_deviations_are_in_the_costs(hmb):
    """A/E of cost frequency against the basis, recomputed from the planted.json basis."""
    basis = hmb.planted["pricing_basis"]
    pol = hmb.policies
    band = np.searchsorted([b["max_age"] for b in basis["age_bands"]], pol["age"].to_numpy())
    lines = list(basis["cost_frequency_healthy"])
    n_cost = (hmb.costs.groupby(["policy_id", "benefit_line"]).size().unstack()
              .reindex(index=pol["policy_id"], columns=lines).fillna(0).to_numpy())
    seg_f = pol["segment"].map(basis["segment_frequency_factor"]).to_numpy()
    rows = []
    for j, line in enumerate(lines):
        q = np.asarray(basis["cost_frequency_healthy"][line])[band] * seg_f
        rows.append(pd.DataFrame({"line": line, "segment": pol["segment"].to_numpy(),
                                  "old": band == len(basis["age_bands"]) - 1,
                                  "year": pol["policy_year"].to_numpy(),
                                  "expected": q, "actual": n_cost[:, j]}))
    f = pd.concat(rows)

    def ae(mask):
        g = f[mask]
        return g["actual"].sum() / g["expected"].sum()

    base = ae((f["segment"] == "healthy") & ~f["old"] & (f["line"] == "in_catalogue"))
    assert 0.97 < base < 1.08  # unplanted cells: basis × anti-selection drift only
    assert ae((f["segment"] == "preexisting") & ~f["old"]) / base == pytest.approx(1.30, abs=0.06)
    assert ae((f["segment"] == "healthy") & f["old"] & (f["line"] == "in_catalogue")) / base \
        == pytest.approx(1.15, abs=0.07)
    assert ae((f["segment"] == "healthy") & ~f["old"] & (f["line"] == "out_of_catalogue")) \
        / base == pytest.approx(0.85, abs=0.05)
    # Anti-selection: healthier members leave after the price rises.
    assert ae(f["year"] == 2025) > ae(f["year"] == 2023)
    # Special-drug severity 1.25x in 2025: median cost relative to the basis trend.
    c = hmb.costs.merge(pol[["policy_id", "policy_year"]], on="policy_id")
    sd = c[c["benefit_line"] == "special_drugs"].groupby("policy_year")["cost"].median()
    trend = (1 + basis["trend"]) ** 2
    assert sd[2025] / sd[2023] / trend == pytest.approx(1.25, abs=0.1)
    assert sd[2024] / sd[2023] / (1 + basis["trend"]) == pytest.approx(1.0, abs=0.1)


def test_truth_cells_agree_with_the_data(hmb):
    cells = pd.DataFrame(hmb.planted["cells"])
    g = cells.groupby(["policy_year", "segment", "benefit_line"])[
        ["true_costs", "costs", "true_claims", "claims"]].sum()
    z_cost = (g["costs"] - g["true_costs"]) / np.sqrt(g["true_costs"])
    z_claim = (g["claims"] - g["true_claims"]) / np.sqrt(g["true_claims"])
    assert z_cost.abs().max() < 4 and z_claim.abs().max() < 4
    c = hmb.costs.merge(hmb.policies[["policy_id", "policy_year", "segment"]], on="policy_id")
    counts = c.groupby(["policy_year", "segment", "benefit_line"]).size()
    assert (counts == g["costs"]).all()
    basis_lr = cells[cells["policy_year"] == 2023]["basis_payout"].sum() / (200_000 * 89.0)
    assert basis_lr == pytest.approx(B.TARGET_LOSS_RATIO, abs=0.02)


# --- the bundled crops and series --------------------------------------------------------------

def test_crop_claims_follow_the_indemnity_rule(crops):
    """Recompute every indemnity from the yields file: guarantee = mean of 5 previous years."""
    y = crops.yields.sort_values(["region", "crop", "year"])
    y["guarantee"] = y.groupby(["region", "crop"])["yield"].transform(
        lambda s: s.shift(1).rolling(5).mean())
    sched = crops.planted["schedule"]
    pol = crops.policies.merge(y, left_on=["region", "crop", "policy_year"],
                               right_on=["region", "crop", "year"])
    si_mu = pol["crop"].map(lambda c: sched[c]["sum_insured_per_mu"])
    price = pol["crop"].map(lambda c: sched[c]["price_per_kg"])
    rate = pol["crop"].map(lambda c: sched[c]["rate"])
    np.testing.assert_allclose(pol["sum_insured"], si_mu * pol["exposure"])
    np.testing.assert_allclose(pol["premium"], pol["sum_insured"] * rate, atol=0.006)
    assert (pol["subsidy_share"] == 0.75).all()
    due = np.round(np.minimum(price * np.maximum(pol["guarantee"] - pol["yield"], 0), si_mu)
                   * pol["exposure"], 2)
    paid = crops.claims.set_index("policy_id")["paid"].reindex(pol["policy_id"]).fillna(0)
    np.testing.assert_allclose(paid.to_numpy(), due.to_numpy(), atol=0.02)
    assert len(crops.counties) == 100 and len(crops.yields) == 100 * 3 * 30


def test_crop_shocks_are_spatially_correlated(crops):
    truth = pd.DataFrame(crops.planted["county_crop"]).set_index(["region", "crop"])
    y = crops.yields.join(truth[["level_1995", "trend_per_year"]], on=["region", "crop"])
    y["resid"] = np.log(y["yield"] / (y["level_1995"] * (1 + y["trend_per_year"]
                                                        * (y["year"] - 1995))))
    r = y[y["crop"] == "maize"].pivot(index="year", columns="region", values="resid")
    corr = np.corrcoef(r.to_numpy().T)
    cty = crops.counties.set_index("region").loc[r.columns]
    from puhui.datasets.crops import haversine_km

    d = haversine_km(cty["lon"].to_numpy(), cty["lat"].to_numpy())
    near = corr[(d > 0) & (d < 80)].mean()
    far = corr[d > 350].mean()
    assert near > far + 0.15 and far > 0.1  # provincial shock + distance kernel


def test_rainfall_and_prices(crops):
    rain = ds.load_rainfall()
    assert len(rain) == 10_958 and (rain["value"] >= 0).all()
    assert set(rain["variable"]) == {"rainfall_mm"}
    annual = rain.groupby(rain["date"].dt.year)["value"].sum()
    assert 1_150 < annual.mean() < 1_550
    monthly = rain.groupby(rain["date"].dt.month)["value"].sum()
    assert monthly.idxmax() == 6  # 梅雨
    planted = ds.load_planted("index")
    summer = rain[rain["date"].dt.month.isin([7, 8])].groupby(
        rain["date"].dt.year)["value"].sum()
    dry = summer[planted["rainfall"]["drought_years"]]
    assert dry.max() < summer.median()
    prices = ds.load_prices()
    assert len(prices) == 3653 and prices["price"].gt(0).all()
    m = prices.groupby(prices["date"].dt.month)["price"].mean()
    assert m[[5, 6, 9, 10]].mean() < 0.75 * m[[1, 2, 12]].mean()


# --- property tests: generated tables always validate ------------------------------------------

@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), members=st.integers(50, 1_500))
def test_generated_huiminbao_always_validates(seed, members):
    d = generate_huiminbao(seed=seed, members=members)
    pol = validate(d["policies"], "policies")
    validate(d["costs"], "costs", policies=pol)
    cl = validate(d["claims"], "claims", policies=pol)
    validate(d["payments"], "payments", claims=cl)
    assert (cl["paid"] <= 1_000_000).all() and (d["costs"]["cost"] > 0).all()
    assert pol.groupby("policy_year").size().iloc[0] == members


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), counties=st.integers(6, 15))
def test_generated_crops_always_validate(seed, counties):
    d = generate_crops(seed=seed, counties=counties, rate_draws=50)
    pol = validate(d["policies"], "policies")
    cl = validate(d["claims"], "claims", policies=pol)
    validate(d["yields"], "yields")
    si = pol.set_index("policy_id")["sum_insured"]
    assert (cl["paid"].to_numpy() <= si[cl["policy_id"]].to_numpy()).all()
    assert (d["yields"]["yield"] > 0).all()
