"""Agricultural rate review by county (puhui.agri.review, issue 14): A/E and its interval,
Bühlmann–Straub credibility with the zone as complement, the factor within the band, the
保费不足准备金 test, the bundled example with a planted drift, and ``puhui crop-review``."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from puhui.agri.review import crop_review, read_experience
from puhui.datasets import crop_review as example
from puhui.errors import DataError, ParameterError, RuleError
from puhui.experience.indication import rate_indication
from puhui.rules import RegulationBreach

YEARS = [2021, 2022, 2023, 2024]
LIAB = np.array([[1.0e6, 1.2e6, 1.1e6, 1.3e6],
                 [2.0e6, 2.0e6, 2.2e6, 2.4e6],
                 [0.8e6, 0.9e6, 1.0e6, 1.0e6]])
IND = np.array([[0.0, 9e4, 3e4, 7e4],
                [2e4, 6e4, 0.0, 3e4],
                [6e4, 8e4, 3e4, 9e4]])
FACTOR = np.array([1.0, 0.9, 1.2])
BENCH, LOADING = 0.04, 0.2


def _experience(indemnity=IND, *, in_force=False):
    e = pd.DataFrame({"region": np.repeat(list("ABC"), 4), "crop": "rice",
                      "year": np.tile(YEARS, 3), "liability": LIAB.ravel(),
                      "indemnity": np.asarray(indemnity, float).ravel()})
    e["premium"] = e["liability"] * BENCH / (1 - LOADING) * np.repeat(FACTOR, 4)
    e["start_date"] = e["year"].astype(str) + "-04-01"
    e["end_date"] = e["year"].astype(str) + "-10-31"
    if in_force:   # the 2025 season, half gone at 2025-06-30, no claim yet
        new = pd.DataFrame({"region": list("ABC"), "crop": "rice", "year": 2025,
                            "liability": [1.4e6, 2.5e6, 1.1e6], "indemnity": 0.0,
                            "start_date": "2025-04-01", "end_date": "2025-10-31"})
        new["premium"] = new["liability"] * BENCH / (1 - LOADING) * FACTOR
        e = pd.concat([e, new], ignore_index=True)
    return e


def _filed(**over):
    f = pd.DataFrame({"region": list("ABC"), "crop": "rice", "benchmark_rate": BENCH,
                      "loading": LOADING, "factor": FACTOR})
    for k, v in over.items():
        f[k] = v
    return f


def _bs(x, w):
    """Bühlmann–Straub by hand (Bühlmann & Gisler 2005, ch. 4): z, weighted means, s², a."""
    wi = w.sum(1)
    xi = (w * x).sum(1) / wi
    s2 = (w * (x - xi[:, None]) ** 2).sum() / (x.size - len(x))
    xw = (wi * xi).sum() / wi.sum()
    a = wi.sum() * ((wi * (xi - xw) ** 2).sum() - (len(x) - 1) * s2) / (wi.sum() ** 2
                                                                         - (wi ** 2).sum())
    return wi / (wi + s2 / a), xi, xw, s2, a


# --- the numbers against a hand computation -------------------------------------------------


def test_ae_interval_and_credibility_by_hand():
    r = crop_review(_experience(), _filed(), as_of="2025-03-31", year_effect=False,
                    cat_quantile=1.0)
    t = r.table.set_index("region")
    pure = BENCH * FACTOR
    E = LIAB * pure[:, None]
    ae = IND.sum(1) / E.sum(1)
    np.testing.assert_allclose(t["ae"], ae, rtol=1e-12)
    np.testing.assert_allclose(t["ae"], [1.0326086956521738, 0.3552971576227390,
                                         1.4639639639639640], rtol=1e-12)
    # interval: σ² pooled over the counties with unit weights, Var(A/E) = σ² Σ ω²
    ratio = IND / E
    s2 = ((ratio - ratio.mean(1, keepdims=True)) ** 2).sum() / (3 * (4 - 1))
    omega = E / E.sum(1, keepdims=True)
    half = norm.ppf(0.975) * np.sqrt(s2 * (omega ** 2).sum(1))
    np.testing.assert_allclose(t["ae_upper"], ae + half, rtol=1e-12)
    np.testing.assert_allclose(t["ae_lower"], np.maximum(ae - half, 0), rtol=1e-12)
    # credibility on the A/E ratios, weights E, complement the weighted group mean
    z, xi, xw, s2_bs, a = _bs(ratio, E)
    # R actuar 3.3.2: cm(~region, ratios = I/E, weights = E) on the same table gives
    # Z = 0.726287489848, 0.817008977594, 0.719193712681; within 18099.63, between 0.2610153
    np.testing.assert_allclose(z, [0.726287489848, 0.817008977594, 0.719193712681], rtol=1e-10)
    np.testing.assert_allclose([s2_bs, a], [18099.63, 0.2610153], rtol=1e-6)
    np.testing.assert_allclose(t["z"], z, rtol=1e-12)
    np.testing.assert_allclose(t["complement_ae"], xw, rtol=1e-12)
    cred = z * xi + (1 - z) * xw
    np.testing.assert_allclose(t["credibility_ae"], cred, rtol=1e-12)
    np.testing.assert_allclose(t["indicated_pure_rate"], pure * cred, rtol=1e-12)
    np.testing.assert_allclose(t["indicated_factor"], FACTOR * cred, rtol=1e-12)
    s = r.structure.iloc[0]
    np.testing.assert_allclose([s["within_variance"], s["between_variance"]], [s2_bs, a])


def test_year_effect_by_hand():
    """γ_t = Σ_c I_ct / Σ_c E_ct; credibility on I/(E·γ) with weights E·γ; back by γ̄_c."""
    r = crop_review(_experience(), _filed(), as_of="2025-03-31", cat_quantile=1.0)
    t = r.table.set_index("region")
    E = LIAB * (BENCH * FACTOR)[:, None]
    gamma = IND.sum(0) / E.sum(0)
    W = E * gamma
    z, xi, xw, _, _ = _bs(IND / W, W)
    level = (E * gamma).sum(1) / E.sum(1)
    np.testing.assert_allclose(t["z"], z, rtol=1e-12)
    np.testing.assert_allclose(t["credibility_ae"], level * (z * xi + (1 - z) * xw), rtol=1e-12)
    np.testing.assert_allclose(t["ae"], IND.sum(1) / E.sum(1), rtol=1e-12)   # A/E unchanged


def test_reuses_county_rates_with_the_catastrophe_cap():
    """With the cap on (default 80th percentile) the credibility A/E is county_rates' pure rate
    on the A/E ratios, cell for cell."""
    from puhui.agri.lcr import county_rates

    r = crop_review(_experience(), _filed(), as_of="2025-03-31", year_effect=False)
    E = LIAB * (BENCH * FACTOR)[:, None]
    cr = county_rates(pd.DataFrame({"region": np.repeat(list("ABC"), 4),
                                    "year": np.tile(YEARS, 3), "indemnity": IND.ravel(),
                                    "liability": E.ravel()}))
    np.testing.assert_allclose(r.table["credibility_ae"], cr.table["pure_rate"], rtol=1e-12)
    assert r.structure["cat_threshold"].iloc[0] == cr.threshold < np.inf


# --- the band --------------------------------------------------------------------------------


def test_factor_clipped_into_the_band_in_force():
    r = crop_review(_experience(), _filed(), as_of="2025-03-31", year_effect=False,
                    cat_quantile=1.0)
    t = r.table.set_index("region")
    ind = t["indicated_factor"]
    assert t.loc["B", "band_hit"] == "lower" and t.loc["C", "band_hit"] == "upper"
    assert t.loc["A", "band_hit"] == "" and t.loc["A", "new_factor"] == ind["A"]
    assert t.loc["B", "new_factor"] == 0.75 and t.loc["C", "new_factor"] == 1.25
    np.testing.assert_allclose(t["band_gap"], ind - t["new_factor"])
    np.testing.assert_allclose(t["uncovered_pure_rate"], BENCH * t["band_gap"])
    # new rate = 基准纯风险损失率 / (1 − 附加费率) × new factor
    np.testing.assert_allclose(t["new_rate"], BENCH / (1 - LOADING) * t["new_factor"])
    np.testing.assert_allclose(t["filed_rate"], BENCH / (1 - LOADING) * FACTOR)
    # the same factor as the loss-ratio indication of puhui.experience, with its band
    for reg in "ABC":
        lr = t.loc[reg, "credibility_ae"] * (1 - LOADING)
        ind_ = rate_indication(lr, target_combined_ratio=1.0, variable_expense_ratio=LOADING,
                               current_factor=t.loc[reg, "factor"], subsidised=True,
                               as_of="2025-03-31", clip_band=True)
        assert ind_.factor == pytest.approx(t.loc[reg, "new_factor"], rel=1e-12)
    assert set(r.band_hits()["region"]) == {"B", "C"}
    # a non-subsidised product has the wider band [0.5, 1.5] (here C; indicated 1.545, so it
    # stops at 1.5 instead of 1.25); before 2023-09-01 no band applies
    wide = crop_review(_experience(), _filed(subsidised=[True, True, False]),
                       as_of="2025-03-31", year_effect=False,
                       cat_quantile=1.0).table.set_index("region")
    assert list(wide["band_low"]) == [0.75, 0.75, 0.5] and wide.loc["C", "band_high"] == 1.5
    np.testing.assert_allclose(wide["indicated_factor"], ind)
    assert wide.loc["C", "new_factor"] == 1.5 and wide.loc["C", "band_hit"] == "upper"
    assert wide.loc["C", "band_gap"] == pytest.approx(ind["C"] - 1.5, rel=1e-12)
    early = _experience().drop(columns=["start_date", "end_date"]).assign(
        year=lambda d: d["year"] - 3)                 # 2018–2021, reviewed in mid-2023
    old = crop_review(early, _filed(), as_of="2023-06-30", cat_quantile=1.0,
                      year_effect=False)
    assert (old.table["band_hit"] == "").all() and old.table["band_low"].isna().all()
    assert any("no 费率调整系数 band in force" in n for n in old.notes)


# --- 保费不足准备金 ------------------------------------------------------------------------


def test_premium_deficiency_at_the_valuation_date_by_hand():
    r = crop_review(_experience(in_force=True), _filed(), as_of="2025-06-30",
                    year_effect=False, cat_quantile=1.0, maintenance_expense=0.05,
                    acquisition_cost=0.10)
    t = r.table.set_index("region")
    assert (t["last_year"] == 2024).all()             # the season in force is not in the A/E
    a = r.adequacy.set_index("region")
    share = 123 / 214                                 # 1 Jul – 31 Oct of 1 Apr – 31 Oct
    liab = np.array([1.4e6, 2.5e6, 1.1e6])
    unearned = liab * BENCH / (1 - LOADING) * FACTOR * share
    claims = t["indicated_pure_rate"].to_numpy() * liab * share
    upr = unearned * (1 - 0.10)
    np.testing.assert_allclose(a["unexpired_share"], share, rtol=1e-12)
    np.testing.assert_allclose(a["unearned_premium"], unearned, rtol=1e-12)
    np.testing.assert_allclose(a["unearned_premium_reserve"], upr, rtol=1e-12)
    np.testing.assert_allclose(a["expected_claims"], claims, rtol=1e-12)
    np.testing.assert_allclose(a["deficiency"], np.maximum(claims + 0.05 * unearned - upr, 0),
                               rtol=1e-12)
    tot = r.adequacy_total.iloc[0]                    # held by 险种: the sums, then the test
    assert tot["deficiency"] == pytest.approx(max(claims.sum() + 0.05 * unearned.sum()
                                                  - upr.sum(), 0), rel=1e-12)
    # C alone is short (ratio 1.20), but B's margin covers it at the level of the 险种
    assert a.loc["C", "deficiency"] > 0 and a.loc["B", "adequate"]
    assert tot["adequate"] and tot["deficiency"] == 0


# --- invariance ----------------------------------------------------------------------------


@functools.cache
def _base(year_effect):
    ind = IND * np.random.default_rng(5).uniform(0.2, 3.0, IND.shape)
    return ind, crop_review(_experience(ind), _filed(), as_of="2025-03-31",
                            year_effect=year_effect).table


@settings(max_examples=5)
@given(c=st.floats(0.05, 20.0), year_effect=st.booleans())
def test_scaling_every_indemnity_scales_the_ae(c, year_effect):
    ind, base = _base(year_effect)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                # no warning escapes the review
        scaled = crop_review(_experience(c * ind), _filed(), as_of="2025-03-31",
                             year_effect=year_effect).table
    for col in ("ae", "ae_lower", "ae_upper", "credibility_ae", "indicated_pure_rate"):
        np.testing.assert_allclose(scaled[col], c * base[col], rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(scaled["z"], base["z"], rtol=1e-9, atol=1e-12)


# --- the bundled example -------------------------------------------------------------------


@pytest.fixture(scope="module")
def command_run(tmp_path_factory):
    """``puhui crop-review`` on the bundled example, once for the tests below."""
    from puhui.cli import main

    f = example.crop_review_files()
    out = tmp_path_factory.mktemp("crop_review") / "review"
    argv = ["crop-review", "--experience", str(f["experience"]), "--filed", str(f["filed"]),
            "--zones", str(f["zones"]), "--as-of", example.AS_OF, "--out", str(out)]
    assert main(argv) == 0
    return out, argv


def _table(out, name):
    return pd.read_csv(out / "tables" / f"crop_review_{name}.csv", encoding="utf-8-sig",
                       keep_default_na=False, na_values=[""])


def test_review_finds_the_planted_drift(command_run):
    out, _ = command_run
    truth = json.loads(example.crop_review_files()["planted"].read_text(encoding="utf-8"))
    t = _table(out, "cells")
    t["signal"] = t["signal"].fillna("")
    t["band_hit"] = t["band_hit"].fillna("")
    planted = t["region"].isin(truth["counties"])
    assert planted.sum() == 12                        # 4 counties × 3 crops
    assert (t.loc[planted, "signal"] == "above").all()
    # false positives: 8 of the 288 unplanted cells lie above 1 at 95% (nominal 2.5%: 7.2)
    assert ((t["signal"] == "above") & ~planted).sum() == 8
    assert (t["signal"] == "below").sum() == 0
    # the four planted counties have the four largest credibility-weighted indications
    by = _table(out, "by_county")
    assert set(by["region"].iloc[:4]) == set(truth["counties"])
    assert by["credibility_ae"].iloc[3] > by["credibility_ae"].iloc[4] + 0.1
    # every planted cell whose indication leaves the band stops at 1.25
    hit = t[planted & (t["band_hit"] == "upper")]
    assert len(hit) >= 10 and (hit["new_factor"] == 1.25).all()
    # wheat 2025 is in force at 2024-12-31: the reserve test is made on it
    adequacy = _table(out, "adequacy_cells")
    assert set(adequacy["crop"]) == {"wheat"} and len(adequacy) == 100
    assert _table(out, "adequacy_total")["deficiency"].iloc[0] > 0


def test_without_the_year_effect_credibility_sees_no_county():
    """The module's claim: on the drift-free province (the example without its planted
    counties) the Bühlmann–Straub between variance of the raw A/E ratios is ≤ 0 — common
    weather years read as noise — so every Z is 0; with the year effect removed the counties
    get credibility."""
    f = example.crop_review_files()
    e, filed = (pd.read_csv(f[k]) for k in ("experience", "filed"))
    e = e[(e["crop"] == "maize") & ~e["region"].isin(example.PLANTED)]
    filed = filed[filed["crop"] == "maize"]
    raw = crop_review(e, filed, zones=f["zones"], as_of=example.AS_OF, year_effect=False)
    assert (raw.table["z"] == 0).all() and any("Z = 0" in n for n in raw.notes)
    adj = crop_review(e, filed, zones=f["zones"], as_of=example.AS_OF)
    assert adj.table["z"].between(0.05, 0.95).all()


def test_shipped_files_are_a_fresh_generation_derived_from_the_crop_book(tmp_path):
    written = example.write_crop_review(tmp_path)
    shipped = example.crop_review_files()
    for name in ("experience", "filed", "planted"):
        assert written[name].read_bytes() == shipped[name].read_bytes(), name
    assert sum(p.stat().st_size for k, p in shipped.items() if k != "zones") < 200_000
    # 2022–2024 of an unplanted county are the bundled policies and claims (rounded to 元)
    import puhui.datasets as ds

    pol = ds.load_crop_policies()
    paid = ds.load_crop_claims().groupby("policy_id")["paid"].sum()
    pol["paid"] = pol["policy_id"].map(paid).fillna(0.0)
    exp = read_experience(shipped["experience"])
    m = exp.merge(pol, left_on=["region", "crop", "year"],
                  right_on=["region", "crop", "policy_year"])
    m = m[~m["region"].isin(example.PLANTED)]
    assert len(m) == 96 * 3 * 3
    np.testing.assert_allclose(m["liability"], m["sum_insured"], rtol=1e-12)
    np.testing.assert_allclose(m["indemnity"], m["paid"], atol=0.51)


# --- bad input ---------------------------------------------------------------------------


def _problems(err):
    return [(p.column, p.row, p.rule) for p in err.value.problems]


def test_bad_input_is_named():
    kw = dict(as_of="2025-03-31")
    e = _experience().rename(columns={"indemnity": "indemnty"})
    with pytest.raises(DataError, match="did you mean 'indemnity'") as err:
        crop_review(e, _filed(), **kw)
    assert ("indemnty", None, "unknown_column") in _problems(err)
    e = _experience().drop(columns="premium")
    with pytest.raises(DataError, match="required column premium is absent"):
        crop_review(e, _filed(), **kw)
    e = _experience().astype({"year": float})
    e.loc[2, "liability"] = -5.0
    e.loc[5, "indemnity"] = -1.0
    e.loc[7, "year"] = 2022.5
    with pytest.raises(DataError) as err:
        crop_review(e, _filed(), **kw)
    got = _problems(err)
    assert ("liability", 3, "out_of_range") in got and ("indemnity", 6, "out_of_range") in got
    assert ("year", 8, "not_a_whole_number") in got
    e = _experience()
    e.loc[5, "year"] = 2021                          # B 2021 twice
    with pytest.raises(DataError, match="same region, crop, year"):
        crop_review(e, _filed(), **kw)
    with pytest.raises(DataError, match="no filed rate for region='C'"):
        crop_review(_experience(), _filed().iloc[:2], **kw)
    with pytest.raises(DataError, match="no zone for region='B'"):
        crop_review(_experience(), _filed(), zones={"A": "Z1", "C": "Z1"}, **kw)
    with pytest.raises(DataError, match="cover starts after the valuation date"):
        crop_review(_experience(in_force=True), _filed(), as_of="2025-03-31")
    with pytest.raises(DataError, match="both have a crop column"):
        crop_review(_experience(), _filed().drop(columns="crop"), **kw)
    with pytest.raises(DataError, match="give both start_date and end_date"):
        crop_review(_experience().drop(columns="end_date"), _filed(), **kw)
    # filed rates outside the rule in force are refused, with the rule named
    with pytest.raises(RegulationBreach, match="附加费率 \\(loading\\) ≤ 20%"):
        crop_review(_experience(), _filed(loading=0.25), **kw)
    with pytest.raises(RuleError, match="费率调整系数"):
        crop_review(_experience(), _filed(factor=1.3), **kw)
    with pytest.raises(ParameterError, match="as_of"):
        crop_review(_experience(), _filed(), as_of=None)
    with pytest.raises(ParameterError, match="level"):
        crop_review(_experience(), _filed(), level=1.0, **kw)
    one = _experience().query("region == 'A'")
    with pytest.raises(ParameterError, match="at least two counties"):
        crop_review(one, _filed(), **kw)


# --- the command ---------------------------------------------------------------------------


def test_command_end_to_end_on_the_bundled_example(tmp_path, command_run):
    from puhui.cli import main

    out, argv = command_run
    f = example.crop_review_files()
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert man["command"] == "puhui crop-review"
    assert set(man["inputs"]) == {"experience", "filed", "zones"}
    assert man["assumptions"]["options"]["year_effect"] is True
    assert man["assumptions"]["valuation_date"] == "2024-12-31"
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert files == set(man["outputs"]) | {"manifest.json"}
    assert {"figures/crop_review_ae.png", "tables/crop_review_cells.csv",
            "tables/crop_review_adequacy_total.csv"} <= files
    # the A/E of the table, recomputed from the input files
    e = pd.read_csv(f["experience"])
    e = e[e["year"] <= 2024].merge(pd.read_csv(f["filed"]), on=["region", "crop"])
    e["expected"] = e["benchmark_rate"] * e["factor"] * e["liability"]
    g = e.groupby(["region", "crop"])[["indemnity", "expected"]].sum().reset_index()
    cells = _table(out, "cells").merge(g, on=["region", "crop"], suffixes=("", "_input"))
    assert len(cells) == 300
    np.testing.assert_allclose(cells["ae"], cells["indemnity_input"] / cells["expected_input"],
                               rtol=1e-12)
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "**20** cells have an A/E interval above 1" in text and "保费不足准备金 due" in text
    # bad data: exit 2, one message, nothing written
    bad = tmp_path / "filed.csv"
    pd.read_csv(f["filed"]).iloc[1:].to_csv(bad, index=False)
    assert main([*argv[:4], str(bad), *argv[5:-1], str(tmp_path / "x")]) == 2
    assert not (tmp_path / "x").exists()


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed")
def test_credibility_against_r_actuar_live():
    script = ("suppressMessages(library(actuar)); "
              "L <- rbind(c(1.0e6,1.2e6,1.1e6,1.3e6), c(2e6,2e6,2.2e6,2.4e6), "
              "c(0.8e6,0.9e6,1e6,1e6)); I <- rbind(c(0,9e4,3e4,7e4), c(2e4,6e4,0,3e4), "
              "c(6e4,8e4,3e4,9e4)); E <- L * 0.04 * c(1.0, 0.9, 1.2); "
              "df <- data.frame(region=c('A','B','C'), I/E, E); "
              "names(df) <- c('region', paste0('r',1:4), paste0('E',1:4)); "
              "f <- cm(~region, df, ratios=r1:r4, weights=E1:E4); "
              "cat(sprintf('%.15g', f$cred), sep='\\n')")
    out = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, timeout=60,
                         check=True).stdout.split()
    r = crop_review(_experience(), _filed(), as_of="2025-03-31", year_effect=False,
                    cat_quantile=1.0)
    np.testing.assert_allclose(r.table["z"], [float(v) for v in out], rtol=1e-10)


def test_crops_and_counties_without_any_loss():
    """A crop without indemnity has no year effect to remove; a county whose every year had no
    loss anywhere in the province carries no relativity: Z = 0 and its zone's A/E."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = crop_review(_experience(np.zeros((3, 4))), _filed(), as_of="2025-03-31")
        assert (r.table["ae"] == 0).all() and (r.table["z"] == 0).all()
        assert any("no indemnity in any year" in n for n in r.notes)
        ind = IND.copy()
        ind[:, [0, 3]] = 0.0                          # 2021 and 2024: no loss anywhere
        e = _experience(ind)
        e = e[~((e["region"] == "A") & e["year"].isin([2022, 2023]))]
        t = crop_review(e, _filed(), as_of="2025-03-31").table.set_index("region")
    assert t.loc["A", "z"] == 0 and t.loc["A", "credibility_ae"] == 0
    assert (t.loc[["B", "C"], "z"] > 0).all()
