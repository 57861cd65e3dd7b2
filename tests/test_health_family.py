"""Special-group health as a product family (issue 17): the product file, the seeded data, the
review (A/E, credibility, ratios, P(CR > 100 %)), the tuning grid and choice, the commands and
the Chinese report.

Independent computations: the A/E, credibility and ratios are recomputed here from the raw
member-years and claims with numpy (the limited-fluctuation standard n_F = (z_{0.95}/0.05)²,
Longley-Cook 1962 / Loss Models ch. 17); the cumulants of the medical layer by quadrature of
the lognormal cost; P(CR > 100 %) against a seeded simulation of the book; one tuning design
against the product's own scalar calls."""

from __future__ import annotations

import tomllib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from puhui.cli import main
from puhui.cli.tables import typed_table
from puhui.datasets.health import TRUTH, generate_health, load_health
from puhui.errors import ParameterError
from puhui.life import health_report as reporting
from puhui.life import health_review as hr
from puhui.life.health import HealthProduct, cancer_incidence
from puhui.life.health_product import CLAIMS, MEMBERS, HealthPlan, example_product_path
from puhui.report import Report, csv_bytes
from puhui.repro import Manifest
from puhui.rules import check


@pytest.fixture(scope="module")
def plan() -> HealthPlan:
    return HealthPlan.from_toml(example_product_path())


@pytest.fixture(scope="module")
def data() -> dict:
    return load_health()


@pytest.fixture(scope="module")
def reviewed(plan, data):
    return hr.review(plan, data["members"], data["claims"])


# ------------------------------------------------------------------------- the product file
def _doc() -> dict:
    return tomllib.loads(example_product_path().read_text(encoding="utf-8"))


def test_example_file_gives_the_products_by_hand(plan):
    e = plan.product("disabled")
    ref = HealthProduct(table=plan.table, lump_sum=10_000.0,
                        medical_severity=stats.lognorm(s=1.0, scale=800.0),
                        incidence_loading=1.1, mortality_loading=1.6, medical_rate=0.20,
                        deductible=500.0, payout_ratio=0.7, cap=20_000.0, term=1,
                        interest=0.025, variable_rate=0.05 + 0.142 + 0.008, per_policy=5.0)
    ages = np.arange(30, 70)
    assert np.allclose(e.gross_premium(ages, 0.95), ref.gross_premium(ages, 0.95), rtol=1e-12)
    # the present values split as P = (S·A + m·M)/ä for any design (annuity_factors)
    f = e.annuity_factors(ages)
    pv = e.present_values(ages)
    m = float(e.medical_cost())
    assert np.allclose((10_000 * f["lump_factor"] + m * f["medical_factor"]) / f["annuity"],
                       pv["net_premium"], rtol=1e-12)
    assert plan.band_of([30, 39, 40, 69, 70, 95]).tolist() == [
        "30-39", "30-39", "40-49", "60-69", "70+", "70+"]


def test_product_file_is_strict(plan):
    doc = _doc()
    doc["medical"]["deductibel"] = 100
    doc["groups"]["eldrly"] = doc["groups"].pop("elderly")
    doc["groups"]["disabled"]["premum"] = 1.0
    doc["medical"]["payout_ratio"] = 70
    with pytest.raises(ParameterError) as err:
        HealthPlan.from_dict(doc)
    msg = str(err.value)
    # every problem at once, each with the nearest known name or the hint
    assert "'deductibel' (did you mean 'deductible'?)" in msg
    assert "'eldrly' (did you mean 'elderly'?)" in msg
    assert "'premum' (did you mean 'premium'?)" in msg
    bad = _doc()
    bad["medical"]["payout_ratio"] = 70
    with pytest.raises(ParameterError, match="write 70% as 0.7"):
        HealthPlan.from_dict(bad)
    for mutate, match in (
            (lambda d: d.pop("cancer"), r"\[cancer\] is missing"),
            (lambda d: d.update(family="gig"), "family must be 'health'"),
            (lambda d: d["groups"]["elderly"].update(ages=[60]), "ages must be"),
            (lambda d: d["groups"]["elderly"].update(ages=[60, 120]), "leave the table"),
            (lambda d: d["product"].update(mortality_table="CL9"), "mortality_table"),
            (lambda d: d["product"].update(age_bands=[40, 30]), "age_bands"),
            (lambda d: d["expenses"].update(per_claim=5.0), "unknown key 'per_claim'"),
            (lambda d: d["cancer"].update(lump_sum="10000"), "must be a number")):
        d = _doc()
        mutate(d)
        with pytest.raises(ParameterError, match=match):
            HealthPlan.from_dict(d)
    with pytest.raises(ParameterError, match="no group 'elderli'.*did you mean 'elderly'"):
        plan.product("elderli")


def test_family_dispatch(tmp_path):
    from puhui.cli import product_family

    assert product_family(example_product_path()) == "health"
    f = tmp_path / "p.toml"
    f.write_text('family = "helth"\n', encoding="utf-8")
    with pytest.raises(ParameterError, match="did you mean 'health'"):
        product_family(f)


# ----------------------------------------------------------------------------- the data
def test_data_regenerate_byte_identically_and_pass_the_schemas(data):
    again = generate_health()
    for name in ("members", "claims"):
        assert csv_bytes(again[name]) == csv_bytes(data[name])
    other = generate_health(seed=1)
    assert csv_bytes(other["claims"]) != csv_bytes(data["claims"])
    # the strict schemas of `puhui … --data` accept the data as written (text cells)
    for name, schema in (("members", MEMBERS), ("claims", CLAIMS)):
        text = pd.read_csv(pd.io.common.BytesIO(csv_bytes(data[name])), dtype=str)
        typed = typed_table(text, schema, f"{name}.csv")
        assert len(typed) == len(data[name])
    m, c = data["members"], data["claims"]
    assert 5_000 < m["exposure"].sum() < 7_000            # a few thousand member-years
    # every claim is of a member-year in force, in its group and at its age
    keys = ["member", "policy_year", "group", "age"]
    assert len(c.merge(m[keys], on=keys)) == len(c)
    # cover ends at the first cancer: no member has two, nor a policy year after one
    first = c[c["line"] == "cancer"].groupby("member")["policy_year"].min()
    assert first.index.is_unique
    later = m.merge(first.rename("cancer_year").reset_index(), on="member")
    assert (later["policy_year"] <= later["cancer_year"]).all()
    with pytest.raises(ParameterError):
        generate_health(scale=0)


# ----------------------------------------------------------------------------- the review
def test_review_finds_the_planted_deviations(reviewed):
    t = reviewed.by_group.set_index(["group", "line"])
    # 老年人: 0.19 stays a year against 0.15 priced (× 1.27): the medical frequency A/E
    eld = t.loc[("elderly", "medical")]
    assert eld["frequency_lower"] > 1 and eld["frequency_lower"] < 0.19 / 0.15 < \
        eld["frequency_upper"]
    # 残疾人: costlier stays (median 1,100 against 800): amount A/E well above frequency A/E
    dis = t.loc[("disabled", "medical")]
    assert dis["amount_lower"] > 1 and dis["amount_ae"] > dis["frequency_ae"] + 0.3
    # the cancer basis is true everywhere: no cancer A/E is significant
    assert not t.xs("cancer", level="line")["significant"].any()
    assert not reviewed.cancer.table["significant"].any()
    # the revised basis moves towards the truth: the 老年人's stays up from 0.15
    assert 0.15 < reviewed.revised.groups["elderly"].hospital_stays < TRUTH["hospital_stays"][
        "elderly"] + 0.02


def test_ae_credibility_and_ratios_by_hand(plan, data, reviewed):
    m, c = data["members"], data["claims"]
    g = "elderly"
    mg, cg = m[m["group"] == g], c[(c["group"] == g) & (c["line"] == "medical")]
    x = cg["cost"].to_numpy()
    paid = np.minimum(0.7 * np.maximum(x - 500.0, 0.0), 20_000.0)
    sev = stats.lognorm(s=1.0, scale=800.0)
    e = mg["exposure"].sum()
    exp_n = e * 0.15 * sev.sf(500.0)
    mean_pay = integrate.quad(lambda y: min(0.7 * (y - 500.0), 20_000.0) * sev.pdf(y), 500.0,
                              np.inf, limit=200)[0]
    exp_amt = e * 0.15 * mean_pay
    n = float(np.sum(paid > 0))
    n_f = (stats.norm.ppf(0.95) / 0.05) ** 2                  # 1,082.2 claims
    z = min(1.0, np.sqrt(n / n_f))
    row = reviewed.by_group.set_index(["group", "line"]).loc[(g, "medical")]
    assert row["actual_count"] == n
    assert row["expected_count"] == pytest.approx(exp_n, rel=1e-9)
    assert row["amount_ae"] == pytest.approx(paid.sum() / exp_amt, rel=1e-6)
    assert row["credibility"] == pytest.approx(z, rel=1e-12)
    assert row["credible_ae"] == pytest.approx(z * paid.sum() / exp_amt + 1 - z, rel=1e-6)
    # cancer: exact Poisson interval of the count, Garwood
    k = float(((c["group"] == g) & (c["line"] == "cancer")).sum())
    exp_c = float(np.sum(mg["exposure"] * cancer_incidence(mg["age"])))
    rc = reviewed.by_group.set_index(["group", "line"]).loc[(g, "cancer")]
    assert rc["expected_count"] == pytest.approx(exp_c, rel=1e-12)
    assert rc["amount_lower"] == pytest.approx(stats.chi2.ppf(0.025, 2 * k) / 2 / exp_c)
    # ratios: CR = paid / premium + v + e·N / premium (no UPR, no reserve)
    prem = float(np.sum(m["group"].map({"elderly": 300.0, "disabled": 220.0,
                                        "poverty_alleviated": 150.0}) * m["exposure"]))
    allpaid = np.where(c["line"] == "cancer", c["cost"],
                       np.minimum(0.7 * np.maximum(c["cost"] - 500.0, 0.0), 20_000.0)).sum()
    cr = allpaid / prem + 0.2 + 5.0 * m["exposure"].sum() / prem
    r = reviewed.ratios.set_index("policy_year").loc["all"]
    assert r["combined_ratio"] == pytest.approx(cr, rel=1e-12)
    assert r["loss_ratio"] == pytest.approx(allpaid / prem, rel=1e-12)


def test_cumulants_by_quadrature_and_p_loss_by_simulation(plan, data):
    book = hr.next_year_book(data["members"])
    k = hr.book_cumulants(plan, book)
    sev = stats.lognorm(s=1.0, scale=800.0)

    def moment(j):
        return integrate.quad(lambda y: min(0.7 * (y - 500.0), 20_000.0) ** j * sev.pdf(y),
                              500.0, np.inf, limit=400)[0]

    lam = {g: plan.groups[g].hospital_stays for g in plan.groups}
    n = book.groupby("group").size()
    p = np.array([plan.groups[g].incidence_loading for g in book["group"]]) * cancer_incidence(
        book["age"])
    for j, key, bern in ((1, "mean", p), (2, "var", p * (1 - p)),
                         (3, "third", p * (1 - p) * (1 - 2 * p))):
        ref = 10_000.0**j * bern.sum() + sum(n[g] * lam[g] for g in n.index) * moment(j)
        assert float(k[key]) == pytest.approx(ref, rel=1e-6)
    # P(CR > 100%) by NP2 against 6,000 simulated years of the book (MC s.e. ≈ 0.005)
    prob = float(hr.prob_cr_above(plan, book))
    rng = np.random.default_rng(7)
    years = 6_000
    p_k, n_k = np.unique(p, return_counts=True)     # members sharing a rate: binomial counts
    cancer = rng.binomial(n_k, p_k, size=(years, p_k.size)).sum(axis=1) * 10_000.0
    stays = rng.poisson(sum(n[g] * lam[g] for g in n.index), years)
    cost = sev.rvs(size=stays.sum(), random_state=rng)
    med = np.bincount(np.repeat(np.arange(years), stays),
                      weights=np.minimum(0.7 * np.maximum(cost - 500.0, 0.0), 20_000.0),
                      minlength=years)
    income = float(np.sum(book["group"].map({"elderly": 300.0, "disabled": 220.0,
                                             "poverty_alleviated": 150.0})))
    sim = np.mean(cancer + med > 0.8 * income - 5.0 * len(book))
    assert prob == pytest.approx(sim, abs=0.025)


# ----------------------------------------------------------------------------- tuning
def test_tuning_grid_choice_and_policy_book(plan, data, reviewed):
    book = hr.next_year_book(data["members"])
    grid = hr.tune(reviewed.revised, book, deductibles=[0, 200, 500, 1_000],
                   payout_ratios=[0.5, 0.7, 0.9], limits=[10_000, 50_000],
                   lump_sums=[5_000, 10_000])
    assert len(grid) == 4 * 3 * 2 * 2
    # one design against the product's own scalar calls
    row = grid.query("deductible == 200 and payout_ratio == 0.7 and limit == 50_000 and "
                     "lump_sum == 5_000").iloc[0]
    p2 = reviewed.revised.with_terms(deductible=200.0, payout_ratio=0.7, limit=50_000.0,
                                     lump_sum=5_000.0)
    claims = income = 0.0
    for g in p2.groups:
        b = book[book["group"] == g]
        ex = p2.product(g).expected_claims(b["age"], b["exposure"])
        claims += float((ex["cancer_amount"] + ex["medical_amount"]).sum())
        income += p2.groups[g].premium * len(b)
        req = float(np.mean(p2.product(g).gross_premium(b["age"].to_numpy(), 0.95)))
        assert row[f"required_premium_{g}"] == pytest.approx(req, rel=1e-9)
    assert row["expected_cr"] == pytest.approx((claims + 5.0 * len(book)) / income + 0.2,
                                               rel=1e-9)
    assert row["prob_cr_above_100"] == pytest.approx(float(hr.prob_cr_above(p2, book)),
                                                     rel=1e-9)
    ch = hr.choose(grid)
    assert ch.design is not None
    best = ch.row
    ok = grid[(grid["expected_cr"] <= 0.95) & (grid["expected_cr_max_group"] <= 0.95)
              & (grid["prob_cr_above_100"] <= 0.10) & (grid["share_paid"] >= 0.5)]
    assert best["design"] in ok["design"].to_numpy()
    assert best["share_paid"] == ok["share_paid"].max()     # the most stays paid
    rules = check({"combined_ratio": best["expected_cr_max_group"],
                   "prob_cr_above_100": best["prob_cr_above_100"],
                   "share_paid": best["share_paid"], "premium_max": 300.0},
                  books=[], policies=[reporting.__file__.replace("health_report.py",
                                                                 "health_policy_example.toml")])
    assert len(rules) == 4 and rules["passed"].all()
    with pytest.raises(ParameterError, match="not in the members table"):
        hr.review(plan, data["members"].iloc[1:], data["claims"].assign(member="H000001"))
    with pytest.raises(ParameterError, match="ratios in"):
        hr.tune(plan, book, deductibles=[0], payout_ratios=[1.5], limits=[1e4], lump_sums=[0])


@settings(max_examples=10)
@given(d=st.floats(0, 3_000), r=st.floats(0.1, 1.0), c=st.floats(1_000, 50_000))
def test_layer_moves_the_right_way(plan, d, r, c):
    # lower 起付线, higher 赔付比例 or 限额: never less expected claims
    book = pd.DataFrame({"group": ["elderly", "disabled"], "age": [70, 50],
                         "exposure": [1.0, 1.0]})
    k = hr.book_cumulants(plan, book, deductible=np.array([d, d + 100.0]),
                          payout_ratio=r, limit=c)
    assert k["mean"][0] >= k["mean"][1] - 1e-9
    k2 = hr.book_cumulants(plan, book, deductible=d, payout_ratio=np.array([r, min(1.0, r)]),
                           limit=np.array([c, 2 * c]))
    assert k2["mean"][1] >= k2["mean"][0] - 1e-9


# ------------------------------------------------------------------ commands and languages
def _numbers(rep: Report) -> dict:
    return {name: df.select_dtypes("number").to_numpy() for name, df in rep._tables.items()}


def test_chinese_report_is_whole_and_has_the_same_numbers(plan, data):
    m, c = data["members"], data["claims"]
    reps = {}
    for lang in ("en", "zh"):
        rep = Report("R", manifest=Manifest(command="test"), lang=lang, title_zh="回溯")
        kw = dict(as_of="2025-12-31")
        reporting.add_price(rep, plan, m, **kw)
        reporting.add_review(rep, plan, m, c, **kw)
        reporting.add_tuning(rep, plan, m, c, deductibles=[200, 500], payout_ratios=[0.5, 0.7],
                             limits=[20_000], lump_sums=[10_000], **kw)
        reps[lang] = rep
    assert reps["zh"].untranslated == []
    en, zh = _numbers(reps["en"]), _numbers(reps["zh"])
    assert en.keys() == zh.keys()
    for name in en:
        assert np.array_equal(en[name], zh[name], equal_nan=True), name
    assert "精算回溯" in reps["zh"].markdown() and "Retrospective review" in reps["en"].markdown()


def test_commands_write_the_reports(tmp_path, capsys):
    ex = tmp_path / "ex"
    assert main(["datasets", "example", "health", "--out", str(ex), "--size", "600"]) == 0
    assert sorted(p.name for p in ex.iterdir()) == [
        "claims.csv", "health.toml", "manifest.json", "members.csv"]
    product = str(ex / "health.toml")
    for cmd, extra in (("price", []), ("review", ["--lang", "zh"]),
                       ("tune", ["--deductible", "200", "500", "--payout-ratio", "0.5",
                                 "0.7"])):
        out = tmp_path / cmd
        assert main([cmd, product, "--data", str(ex), "--out", str(out), *extra]) == 0
        assert {"report.md", "report.html", "tables.xlsx", "manifest.json"} <= {
            p.name for p in out.iterdir()}
    assert "精算回溯" in (tmp_path / "review" / "report.md").read_text(encoding="utf-8")
    capsys.readouterr()
    # a 惠民保-only option, or a gig option, is an error, not silently ignored
    assert main(["tune", product, "--data", str(ex), "--out", str(tmp_path / "x"),
                 "--max-price", "100"]) == 2
    assert "do not apply" in capsys.readouterr().err
    assert main(["review", product, "--data", str(ex), "--out", str(tmp_path / "y"),
                 "--ibnr", "chain_ladder"]) == 2
