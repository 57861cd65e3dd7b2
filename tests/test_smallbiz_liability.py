"""puhui.smallbiz (issue 17): the 公众责任 review (A/E of the limited cost, IBNR, credibility,
综合成本率, P(CR > 100%)), the liability and employer tuning studies on the one grid evaluator,
and the price / review / tune reports of every kind in both languages."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from puhui.datasets.smallbiz import PLANTED_LIABILITY, employer_groups, liability_book
from puhui.errors import DataError, ParameterError
from puhui.ratios import exceedance_probability
from puhui.smallbiz import (
    Product,
    employer_moments,
    employer_prob_loss,
    employer_rates,
    evaluate_designs,
    example_product_path,
    liability_design_moments,
    liability_premium,
    liability_prob_loss,
    review_liability,
    tune_employer,
    tune_liability,
)
from puhui.smallbiz.pricing import price_groups

LIABILITY = Product.from_toml(example_product_path("liability"))
EMPLOYER = Product.from_toml(example_product_path("employer"))


@pytest.fixture(scope="module")
def book():
    return liability_book(policies=120)


@pytest.fixture(scope="module")
def reviewed(book):
    pol, claims = book
    return review_liability(LIABILITY, pol, claims, as_of="2024-12-31")


# ------------------------------------------------------------ batched FFT over the design grid
def test_design_moments_match_liability_premium_design_by_design():
    units = np.array([1.0, 2.0, 2.0, 5.0, 10.0])
    L = np.array([50_000.0, 200_000.0, 200_000.0])
    A = np.array([50_000.0, 200_000.0, 600_000.0])
    d = np.array([0.0, 500.0, 2_000.0])
    mom = liability_design_moments(LIABILITY, units, L, A, d)
    for j in range(3):
        # independent: one FFT aggregate per size (puhui.losses.aggregate, step L/2000) and its
        # lev_moment, summed over the policies
        card = liability_premium(LIABILITY, units, limit_per_accident=L[j], aggregate_limit=A[j],
                                 deductible=d[j], moments=True).set_index("units").reindex(units)
        assert mom["k1"][j] == pytest.approx(card["pure_premium"].sum(), rel=5e-3)
        assert mom["k2"][j] == pytest.approx(card["claims_var"].sum(), rel=5e-3)
        assert mom["k3"][j] == pytest.approx(card["claims_third"].sum(), rel=1e-2)
    sev = stats.lognorm(s=LIABILITY.terms.severity_sigma, scale=LIABILITY.terms.severity_median)
    lam = LIABILITY.terms.frequency * units.sum()
    np.testing.assert_allclose(mom["paid_accidents"], lam * sev.sf(d), rtol=1e-12)
    with pytest.raises(ParameterError, match="aggregate_limit"):
        liability_design_moments(LIABILITY, units, [1e5], [5e4], [0.0])


def test_design_moments_against_monte_carlo_binding_aggregate():
    # one policy of 50 units, A = L: E[min(S, A)] and Var by simulation (independent)
    mom = liability_design_moments(LIABILITY, [50.0], [1e5], [1e5], [500.0])
    rng = np.random.default_rng(3)
    n = rng.poisson(50 * LIABILITY.terms.frequency, 200_000)
    x = stats.lognorm(s=1.4, scale=5_000).rvs(size=n.sum(), random_state=rng)
    pay = np.minimum(np.maximum(x - 500.0, 0.0), 1e5)
    s = np.minimum(np.bincount(np.repeat(np.arange(n.size), n), weights=pay,
                               minlength=n.size), 1e5)
    assert mom["k1"][0] == pytest.approx(s.mean(), rel=0.02)
    assert mom["k2"][0] == pytest.approx(s.var(), rel=0.04)


# ------------------------------------------------------------------------- liability review
def test_liability_ibnr_pads_years_without_claims_and_names_zero_cells():
    # a hand-sized book: policy years 2020–2024, claims only in 2021–2023. The triangle (the
    # core's builder, origins widened to the policy years) has zero rows for 2020 and 2024;
    # by hand: cumulative reported incurred 2021 [1000, 2000, 2000, 2000], 2022 [500, 1000,
    # 1000], 2023 [400, 400], 2024 [0]; link 12–24 = (2000 + 1000 + 400) / (1000 + 500 + 400),
    # the later ones 1; BF IBNR of 2024 = E (1 − 1900/3400), of the others E (1 − 1) = 0
    pol = pd.DataFrame({"policy": "p1", "year": np.arange(2020, 2025), "units": 1.0,
                        "premium": 1_000.0})
    claims = pd.DataFrame({
        "policy": "p1", "accident_date": ["2021-03-01", "2021-05-01", "2022-02-01",
                                          "2022-06-01", "2023-07-01"],
        "report_date": ["2021-04-01", "2022-01-10", "2022-03-01", "2023-05-01", "2023-08-01"],
        "paid": [1_000.0, 1_000.0, 500.0, 500.0, 400.0], "case_reserve": 0.0})
    bf = review_liability(LIABILITY, pol, claims, as_of="2024-12-31").set_index("year")
    e = bf.loc["2024", "expected"]
    assert bf.loc["2024", "ibnr_amount"] == pytest.approx(e * (1 - 1_900 / 3_400), rel=1e-12)
    assert (bf.loc[["2020", "2021", "2022", "2023"], "ibnr_amount"] == 0).all()
    cl = review_liability(LIABILITY, pol, claims, as_of="2024-12-31", ibnr="chain_ladder")
    assert (cl["ibnr_amount"] == 0).all()            # 2024 has nothing reported to develop
    assert not any("zero cell" in n for n in bf.attrs["notes"])
    # an accident year with nothing reported at 12 months and some at 24: chainladder reads
    # the zero as missing and leaves the year out of the 12–24 link ratio; the review says so
    thin = claims.assign(report_date=claims["report_date"].replace("2022-03-01", "2023-01-05"))
    notes = review_liability(LIABILITY, pol, thin, as_of="2024-12-31").attrs["notes"]
    assert any("accident year 2022" in n and "zero cell" in n for n in notes), notes


def test_review_liability_identities_and_bf_by_hand(book, reviewed):
    pol, claims = book
    res = reviewed.set_index("year")
    whole = res.loc["all"]
    inc = claims["paid"] + claims["case_reserve"]
    assert whole["reported_incurred"] == pytest.approx(inc.sum(), rel=1e-12)
    assert whole["premium"] == pytest.approx(pol["premium"].sum(), rel=1e-12)
    # expected = the filed limited cost of each policy-year (liability_premium)
    card = liability_premium(LIABILITY, pol["units"]).set_index("units")["pure_premium"]
    assert whole["expected"] == pytest.approx(card.reindex(pol["units"]).sum(), rel=1e-12)
    np.testing.assert_allclose(res["ultimate"], res["reported_incurred"] + res["ibnr_amount"])
    np.testing.assert_allclose(res["combined_ratio"], res["loss_ratio"] + res["expense_ratio"],
                               rtol=1e-12)
    np.testing.assert_allclose(res["credible_ae"], res["z"] * res["ae"] + 1 - res["z"])
    # IBNR by hand (pandas, independent of the triangle builder and chainladder): the
    # cumulative reported incurred by accident year × report year, volume-weighted link
    # ratios, BF with the filed ELR: IBNR_i = E_i (1 − 1/CDF_i)
    acc = pd.to_datetime(claims["accident_date"]).dt.year
    lag = pd.to_datetime(claims["report_date"]).dt.year - acc
    cum = inc.groupby([acc, lag]).sum().unstack(fill_value=0.0).reindex(
        index=range(2020, 2025), columns=range(5), fill_value=0.0).cumsum(axis=1)
    age = {y: 2024 - y for y in cum.index}
    link = [sum(cum.loc[y, j + 1] for y in cum.index if age[y] >= j + 1)
            / sum(cum.loc[y, j] for y in cum.index if age[y] >= j + 1) for j in range(4)]
    cdf = {y: float(np.prod(link[age[y]:])) for y in cum.index}
    yrs = res.drop(index="all")
    by_hand = [yrs.loc[str(y), "expected"] * (1 - 1 / cdf[y]) for y in cum.index]
    np.testing.assert_allclose(yrs["ibnr_amount"], np.clip(by_hand, 0, None), rtol=1e-9)
    assert 0 < whole["unreported_share"] < 1 and yrs["unreported_share"].iloc[-1] > 0.1
    # chain ladder: IBNR_i = C_i,latest (CDF_i − 1)
    cl = review_liability(LIABILITY, pol, claims, as_of="2024-12-31", ibnr="chain_ladder")
    latest = [cum.loc[y, age[y]] * (cdf[y] - 1) for y in cum.index]
    np.testing.assert_allclose(cl["ibnr_amount"].iloc[:-1], np.clip(latest, 0, None),
                               rtol=1e-9)
    # without report dates the IBNR is not estimated, and the review says so
    bare = review_liability(LIABILITY, pol, claims.drop(columns="report_date"),
                            as_of="2024-12-31")
    assert bare["ibnr_amount"].isna().all() and "not estimated" in bare.attrs["ibnr_method"]
    # a claim reported after the valuation date is refused
    late = claims.copy()
    late.loc[0, "report_date"] = "2025-02-01"
    with pytest.raises(DataError, match="valuation date"):
        review_liability(LIABILITY, pol, late, as_of="2024-12-31")


def test_review_liability_ibnr_moves_the_ae_towards_the_truth():
    # the seeded book knows the claims still unreported at the valuation date: the A/E on
    # ultimates (BF IBNR) is nearer the true A/E than the A/E on reported claims alone
    pol, claims = liability_book(policies=1_500)
    res = review_liability(LIABILITY, pol, claims, as_of="2024-12-31").set_index("year")
    late = sum(claims.attrs["unreported"].values())
    truth = ((claims["paid"] + claims["case_reserve"]).sum() + late) / res.loc["all", "expected"]
    whole = res.loc["all"]
    assert abs(whole["ae"] - truth) < 0.5 * abs(whole["ae_reported"] - truth)
    assert 0 < whole["ibnr_amount"] < late * 1.5
    assert PLANTED_LIABILITY["frequency_factor"] == 1.15


def test_review_liability_bad_input(book):
    pol, claims = book
    bad = claims.copy()
    bad.loc[0, "policy"] = "nobody"
    with pytest.raises(DataError, match="policy"):
        review_liability(LIABILITY, pol, bad, as_of="2024-12-31")
    with pytest.raises(DataError, match="premium"):
        review_liability(LIABILITY, pol.drop(columns="premium"), claims, as_of="2024-12-31")
    with pytest.raises(ParameterError, match="ibnr"):
        review_liability(LIABILITY, pol, claims, as_of="2024-12-31", ibnr="mack")


def test_liability_prob_loss_is_np2_of_the_summed_cumulants(book):
    pol, _ = book
    last = pol[pol["year"] == 2024]
    card = liability_premium(LIABILITY, last["units"], moments=True).set_index("units")
    per = card.reindex(last["units"])
    e = LIABILITY.expenses
    paid = per["expected_accidents"].sum() * stats.lognorm(s=1.4, scale=5_000).sf(500.0)
    t = last["premium"].sum() * (1 - e.variable_rate) - e.per_member * len(last) \
        - e.per_claim * paid
    expect = exceedance_probability(t, per["pure_premium"].sum(), per["claims_var"].sum(),
                                    per["claims_third"].sum())
    got = liability_prob_loss(LIABILITY, last["units"], last["premium"])
    assert got == pytest.approx(float(expect), rel=1e-12)
    assert 0.0 < got < 1.0


# ------------------------------------------------------------------------------- tuning
def test_evaluate_designs_risk_loading_hits_alpha():
    designs = pd.DataFrame({"x": [0, 1]})
    k1, k2, k3 = np.array([1e5, 1e5]), np.array([1e6, 1e10]), np.array([0.0, 1e15])
    table, choice = evaluate_designs(LIABILITY, designs, k1, k2, k3, np.array([10.0, 10.0]),
                                     policies=100, claims=20.0, ground_up=2e5,
                                     max_prob_loss=0.1, risk_loading=True)
    # the narrow design keeps the target premium; the wide one is loaded to P(CR > 100%) = 10%
    assert table["expected_cr"].iloc[0] == pytest.approx(0.95, rel=1e-9)
    assert table["prob_cr_above_100"].iloc[0] < 0.1
    assert table["prob_cr_above_100"].iloc[1] == pytest.approx(0.1, abs=1e-9)
    assert table["required_premium"].iloc[1] > table["premium_at_target"].iloc[1]
    assert choice.design is not None


def test_tune_liability_grid_and_choice(book):
    pol, _ = book
    units = pol.loc[pol["year"] == 2024, "units"].to_numpy()
    table, choice = tune_liability(LIABILITY, units, [1e5, 2e5], [1.0, 3.0], [0.0, 1_000.0],
                                   max_price=2_000.0, max_prob_loss=0.10)
    assert len(table) == 8
    row = table[(table["limit_per_accident"] == 2e5) & (table["aggregate_multiple"] == 3.0)
                & (table["deductible"] == 0.0)].iloc[0]
    # the product's own limits with d = 0: pure premium = liability_premium's (within the grid's
    # discretisation error)
    card = liability_premium(LIABILITY, units, deductible=0.0).set_index("units")
    assert row["pure_premium"] == pytest.approx(
        card["pure_premium"].reindex(units).mean(), rel=5e-3)
    assert (table["required_premium"] >= table["premium_at_target"] - 1e-9).all()
    assert (table["prob_cr_above_100"] <= 0.10 + 1e-9).all()
    assert (table["expected_cr"] <= 0.95 + 1e-9).all()
    ok = table[table["required_premium"] <= 2_000.0]
    best = ok.sort_values(["indemnity_share", "share_paid"], ascending=False).iloc[0]
    assert choice.design == int(best["design"])          # the most cover within the budget


def test_tune_employer_matches_the_class_rates():
    groups = employer_groups(groups=30).query("year == 2024")
    table, choice = tune_employer(EMPLOYER, groups, [3e5, 5e5], [0.0, 100.0], [0.8, 0.9],
                                  max_price=200.0)
    assert len(table) == 8
    heads = groups.groupby("occupation_class")["headcount"].sum().reindex(range(1, 7),
                                                                         fill_value=0)
    for _, row in table.iterrows():
        rates = employer_rates(EMPLOYER, death_disability_limit=row["death_disability_limit"],
                               medical_deductible=row["medical_deductible"],
                               medical_ratio=row["medical_ratio"])
        g = rates["gross_per_head"].to_numpy()
        assert row["required_premium"] == pytest.approx(heads.to_numpy() @ g / heads.sum(),
                                                        rel=1e-12)
        assert row["gross_class_3"] == pytest.approx(g[2], rel=1e-12)
    # P(CR > 100%) at the target premium: NP2 on the class cumulants (employer_moments)
    c1, c2, c3 = employer_moments(EMPLOYER, death_disability_limit=table["death_disability_limit"],
                                  medical_deductible=table["medical_deductible"],
                                  medical_ratio=table["medical_ratio"])
    n = heads.to_numpy()
    e = EMPLOYER.expenses
    thr = table["required_premium"] * n.sum() * (1 - e.variable_rate) - e.per_member * n.sum() \
        - e.per_claim * table["share_paid"] * 0          # the example has no per-claim cost
    assert e.per_claim == 0
    np.testing.assert_allclose(table["prob_cr_above_100"],
                               exceedance_probability(thr, n @ c1, n @ c2, n @ c3), rtol=1e-12)
    np.testing.assert_allclose(table["expected_cr"], 0.95, rtol=1e-9)
    assert choice.design is not None and choice.row["required_premium"] <= 200.0
    # a few hundred heads at the target premium are far above a 10 % appetite; with the risk
    # loading each design is priced up to it, and the choice meets both constraints
    assert (table["prob_cr_above_100"] > 0.2).all()
    loaded, pick = tune_employer(EMPLOYER, groups, [3e5, 5e5], [0.0, 100.0], [0.8, 0.9],
                                 max_price=500.0, max_prob_loss=0.10, risk_loading=True)
    np.testing.assert_allclose(loaded["prob_cr_above_100"], 0.10, atol=1e-9)
    assert (loaded["required_premium"] > loaded["premium_at_target"]).all()
    assert pick.row["required_premium"] <= 500.0 and pick.row["prob_cr_above_100"] <= 0.10 + 1e-9
    # only the mean share in the file: the higher cumulants, and P, are not defined
    mean_only = dataclasses.replace(EMPLOYER, terms=dataclasses.replace(
        EMPLOYER.terms, grade_probabilities=None))
    bare, _ = tune_employer(mean_only, groups, [3e5], [0.0], [0.8])
    assert bare["prob_cr_above_100"].isna().all()
    assert np.isnan(employer_prob_loss(mean_only, groups))


def _simulate_employer(product, heads_by_class, limit, deductible, ratio, years, seed):
    """Yearly payouts of an employer book by simulation (independent of employer_moments):
    Poisson 工亡, 伤残 (a grade drawn from the product's grades, JR/T 0083 shares 1.0 … 0.1)
    and 医疗 (lognormal cost, min(r (X − d)₊, M)) counts for the whole book each year."""
    t = product.terms
    rng = np.random.default_rng(seed)
    w = float(np.asarray(heads_by_class) @ np.asarray(t.class_factors))
    deaths = rng.poisson(w * t.death_rate, years)
    dis = rng.poisson(w * t.disability_rate, years)
    med = rng.poisson(w * t.medical_frequency, years)
    shares = 1.0 - 0.1 * rng.choice(10, dis.sum(), p=t.grade_probabilities)
    x = rng.lognormal(np.log(t.medical_median), t.medical_sigma, med.sum())
    y = np.minimum(ratio * np.maximum(x - deductible, 0.0), t.medical_limit)
    year = np.arange(years)
    return (deaths * limit + np.bincount(np.repeat(year, dis), limit * shares, years)
            + np.bincount(np.repeat(year, med), y, years))


def test_employer_moments_and_prob_loss_against_a_simulation():
    from scipy import integrate

    t = EMPLOYER.terms
    # cumulants of one head: κ₁ = the class rate's pure premium; κ_j by quadrature of the
    # medical payout's moments and the grades summed directly (independent of layer_moments)
    k1, k2, k3 = employer_moments(EMPLOYER)
    np.testing.assert_allclose(k1, employer_rates(EMPLOYER)["pure_per_head"], rtol=1e-12)
    med = stats.lognorm(s=t.medical_sigma, scale=t.medical_median)
    d, r, M, L = t.medical_deductible, t.medical_ratio, t.medical_limit, t.death_disability_limit
    top = d + M / r
    for j, kj in ((1, k1), (2, k2), (3, k3)):
        ey = integrate.quad(lambda x, j=j: (r * (x - d)) ** j * med.pdf(x), d, top, limit=200)[0] \
            + M**j * med.sf(top)
        es = sum(pg * (1 - 0.1 * g) ** j for g, pg in enumerate(t.grade_probabilities))
        head = (t.death_rate + t.disability_rate * es) * L**j + t.medical_frequency * ey
        np.testing.assert_allclose(kj, np.asarray(t.class_factors) * head, rtol=1e-7)
    assert t.disability_share == pytest.approx(
        np.dot(t.grade_probabilities, np.arange(10, 0, -1) / 10), abs=1e-12)
    # P(CR > 100%) of a book of 6,000 heads (classes 1–3) at the manual premium and at the
    # premium the tuning loads to P = 10 %, against 20,000 simulated years
    # (CR > 100 % ⇔ S > P(1 − v) − F·heads)
    groups = pd.DataFrame({"group": ["a", "b", "c"], "year": 2024,
                           "occupation_class": [1, 2, 3], "headcount": [3_000, 2_000, 1_000]})
    n = np.array([3_000, 2_000, 1_000, 0, 0, 0])
    s = _simulate_employer(EMPLOYER, n, L, d, r, 20_000, seed=17)
    assert n @ k1 == pytest.approx(s.mean(), rel=0.02)
    e = EMPLOYER.expenses
    manual = price_groups(EMPLOYER, groups)["manual_premium"].to_numpy()
    table, _ = tune_employer(EMPLOYER, groups, [L], [d], [r], max_prob_loss=0.10,
                             risk_loading=True)
    loaded = manual * table["required_premium"].iloc[0] / table["premium_at_target"].iloc[0]
    got = {}
    for name, premium in (("manual", manual), ("loaded", loaded)):
        np2 = employer_prob_loss(EMPLOYER, groups, premium)
        sim = np.mean(s > premium.sum() * (1 - e.variable_rate) - e.per_member * n.sum())
        got[name] = (np2, sim)
        # NP2 on a book whose year turns on one or two deaths overstates the probability by
        # up to ~2 pp (measured: 0.359 vs 0.339 at the manual premium, 0.100 vs 0.082 at the
        # loaded one, 200,000 years): prudent, and close
        assert sim - 0.005 < np2 < sim + 0.03, got
    assert got["loaded"][0] == pytest.approx(0.10, abs=1e-9) and got["manual"][0] > 0.3


# ---------------------------------------------------------- the reports, English and Chinese
@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    from puhui.cli import main

    root = tmp_path_factory.mktemp("sb_lang") / "sb"
    assert main(["datasets", "example", "smallbiz", "--out", str(root), "--size", "120"]) == 0
    return root


#: Small tuning grids for the report tests (the CLI's defaults are larger).
GRIDS = {"property": {"deductibles": [0.0, 1_000.0], "payout_ratios": [0.8, 1.0]},
         "liability": {"deductibles": [0.0, 500.0], "limits": [1e5, 2e5],
                       "aggregate_multiples": [1.0, 3.0]},
         "employer": {"deductibles": [0.0, 100.0], "payout_ratios": [0.9, 1.0],
                      "limits": [3e5, 5e5]}}


#: The family's computing functions the report sections call (names in puhui.smallbiz.reporting).
COMPUTED = ("price_property", "property_prob_loss", "liability_premium", "ilf",
            "liability_prob_loss", "employer_rates", "review_property", "review_liability",
            "experience_rate", "tune_property", "tune_liability", "tune_employer")


def _compute_once(monkeypatch, reporting):
    """Compute once, render twice: the English pass records every result of the family's
    computing functions, the Chinese pass replays them in the same order (deep copies), so
    both texts are built from the same computed results; the Chinese pass does not draw PNGs
    again (its captions are still checked)."""
    import copy

    import matplotlib.pyplot as plt

    import puhui.plots

    state = {"results": [], "replay": None}

    def wrap(f):
        def call(*args, **kwargs):
            if state["replay"] is None:
                state["results"].append(copy.deepcopy(f(*args, **kwargs)))
                return copy.deepcopy(state["results"][-1])
            return copy.deepcopy(next(state["replay"]))
        return call

    for name in COMPUTED:
        monkeypatch.setattr(reporting, name, wrap(getattr(reporting, name)))

    def replay():
        state["replay"] = iter(state["results"])
        monkeypatch.setattr(puhui.plots, "figure_png", lambda fig, **_: plt.close(fig) or b"")

    return state, replay


@pytest.mark.parametrize("kind", ["property", "liability", "employer"])
@pytest.mark.parametrize("command", ["price", "review", "tune"])
def test_reports_in_both_languages(folder, kind, command, monkeypatch):
    from puhui.cli.smallbiz import read_data
    from puhui.report import Report
    from puhui.repro import Manifest
    from puhui.smallbiz import reporting

    product = Product.from_toml(folder / f"{kind}.toml")
    data, _ = read_data(product, folder, command)
    state, replay = _compute_once(monkeypatch, reporting)
    seen = {}
    for lang in ("en", "zh"):
        if lang == "zh":
            replay()
        rep = Report("T", manifest=Manifest(command="test"), lang=lang, title_zh="测试")
        if command == "price":
            reporting.add_price(rep, product, data, as_of="2024-12-31")
        elif command == "review":
            reporting.add_review(rep, product, data, as_of="2024-12-31")
        else:
            reporting.add_tuning(rep, product, next(iter(data.values())), as_of="2024-12-31",
                                 **GRIDS[kind])
        if lang == "zh":
            assert rep.untranslated == [], rep.untranslated
            assert next(state["replay"], None) is None          # every result replayed
        else:
            assert state["results"]                             # the sections computed
            assert all(len(png) > 1000 for png in rep._figures.values())
        text = rep.markdown()
        seen[lang] = (sorted(re.findall(r"\d(?:[\d,]*\d)?(?:\.\d+)?%?", text)),
                      {k: v.to_csv() for k, v in rep._tables.items()})
        assert seen[lang][1]                                # the sections wrote tables
    assert seen["en"][0] == seen["zh"][0]                  # the same numbers in both texts
    assert seen["en"][1] == seen["zh"][1]                  # and the same tables


def test_employer_grade_probabilities_in_the_product_file(tmp_path):
    text = example_product_path("employer").read_text(encoding="utf-8")
    grades = "grade_probabilities = [0.0005, 0.0005, 0.001, 0.002, 0.003, 0.004, 0.006, 0.012, " \
             "0.0995, 0.8715]"
    assert grades in text

    def read(body):
        f = tmp_path / "e.toml"
        f.write_text(body, encoding="utf-8")
        return Product.from_toml(f)

    # the grades alone give the mean share; the mean share alone leaves P undefined
    only = read(text.replace("disability_share = 0.12", "# no mean share"))
    assert only.terms.disability_share == pytest.approx(0.12, abs=1e-15)
    assert read(text.replace(grades, "")).terms.grade_probabilities is None
    with pytest.raises(ParameterError, match="not the mean payout share"):
        read(text.replace("disability_share = 0.12", "disability_share = 0.2"))
    with pytest.raises(ParameterError, match="sum to 1"):
        read(text.replace("0.8715]", "0.9]"))
    with pytest.raises(ParameterError, match="10 numbers"):
        read(text.replace("0.0995, 0.8715]", "0.971]"))
    with pytest.raises(ParameterError, match="grade_probabilities"):
        read(text.replace(grades, "").replace("disability_share = 0.12", "# none"))
