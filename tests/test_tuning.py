"""Tuning: design grids and their evaluation, checked by brute force on small books.

The reference values are an independent computation: every design's payout is applied to every
member's costs by a plain loop over designs (``min(r (x − d)₊, C)`` per line, summed over lines),
then averaged with the members' weights.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from puhui.errors import DataError, ParameterError
from puhui.huiminbao import Product, example_product_path
from puhui.tuning import moments as moments_mod
from puhui.tuning.costs import CostModel, MemberCosts
from puhui.tuning.evaluate import evaluate
from puhui.tuning.grid import DesignGrid

LINES = ("in_catalogue", "out_of_catalogue", "special_drugs")
SEGMENTS = ("healthy", "preexisting")  # the bundled product's (checked below)


@pytest.fixture(scope="module")
def product():
    return Product.from_toml(example_product_path())


def synthetic_costs(n=600, seed=1, weights=True):
    """A small book with dependent lines (a shared frailty), zeros, ties and large costs."""
    rng = np.random.default_rng(seed)
    frailty = rng.choice([0.5, 1.0, 2.5], size=n, p=[0.3, 0.5, 0.2])
    seg = np.where(rng.random(n) < 0.25, "preexisting", "healthy")
    x = np.zeros((n, 3))
    for j, (q, scale) in enumerate([(0.3, 6000.0), (0.2, 5000.0), (0.05, 20000.0)]):
        has = rng.random(n) < np.minimum(q * frailty, 1)
        x[:, j] = np.where(has, np.round(rng.lognormal(np.log(scale), 1.2, n) * frailty, -1), 0.0)
    x[:5, 0] = 20_000.0  # costs exactly at a deductible
    w = rng.uniform(0.5, 1.0, n) if weights else None
    return x, seg, w


def brute_force(grid, x, seg, w):
    """Per design and segment, per member-year (loop over designs): mean, variance, share paid,
    per-line means. A member with exposure ``w`` and the costs of that exposure is paid once:
    the payout per member-year is ``Σ pay / Σ w`` (pricing's reading, ``member_payouts``); the
    aggregate of ``N`` member-years holds ``N / m`` members (``m`` the mean exposure), so its
    cumulants per member-year are a member's divided by ``m``."""
    w = np.ones(len(x)) if w is None else w
    out = []
    for k in range(len(grid)):
        row = {}
        for j, s in enumerate(SEGMENTS):
            m = seg == s
            years = w[m].sum()
            expo = years / m.sum()
            per_line = np.stack([
                np.minimum(grid.terms[k, i, j, 1] * np.maximum(x[m, i] - grid.terms[k, i, j, 0],
                                                               0.0), grid.terms[k, i, j, 2])
                for i in range(3)])
            y = per_line.sum(axis=0)
            row[s] = {"mean": y.sum() / years, "var": y.var() / expo,
                      "share": (y > 0).sum() / years, "line_means": per_line.sum(axis=1) / years,
                      "line_third": [((p - p.mean()) ** 3).mean() / expo for p in per_line],
                      "indep_share": (1 - np.prod([1 - (p > 0).mean() for p in per_line]))
                      / expo}
        out.append(row)
    return out


@pytest.fixture(scope="module")
def small_case(product):
    x, seg, w = synthetic_costs()
    costs = MemberCosts(x, lines=LINES, segment=seg, weights=w)
    grid = DesignGrid.from_product(
        product, deductible=[0.0, 5_000.0, 20_000.0], payout_ratio=[0.5, 0.8],
        cap=[3_000.0, 1_000_000.0], preexisting_deductible_multiple=[1.0, 2.0],
        lines=["in_catalogue", "out_of_catalogue"])
    return grid, costs, x, seg, w


# -- design grids --------------------------------------------------------------------------------


def test_grid_from_product_resolves_every_term(product):
    grid = DesignGrid.from_product(product, deductible=[10_000, 15_000], payout_ratio=[0.8, 0.9],
                                   lines=["in_catalogue"])
    assert len(grid) == 5  # 2 × 2, plus the current design (15,000 / 0.9 do not include it)
    d = grid.designs
    assert d["current"].tolist() == [False, False, False, False, True]
    # the healthy axis sets in-catalogue only; 既往症 keeps the product's multiple 2 and share ½
    assert d["in_catalogue.healthy.deductible"].tolist()[:4] == [10_000, 10_000, 15_000, 15_000]
    assert d["in_catalogue.preexisting.deductible"].tolist()[:4] == [20_000, 20_000, 30_000,
                                                                       30_000]
    assert d["in_catalogue.preexisting.payout_ratio"].tolist()[:2] == [0.4, 0.45]
    assert set(d["out_of_catalogue.healthy.deductible"]) == {20_000}
    assert set(d["special_drugs.preexisting.payout_ratio"]) == {0.3}
    assert set(d["in_catalogue.healthy.cap"]) == {1_000_000}
    # the current design's axis values are the product's
    assert d[["deductible", "payout_ratio"]].iloc[-1].tolist() == [20_000, 0.8]


def test_grid_segments_are_the_products(product):
    grid = DesignGrid.from_product(product, deductible=[10_000, 15_000])
    assert product.segments == grid.segments == SEGMENTS
    assert grid.take([0]).segments == DesignGrid.current_design(product).segments == SEGMENTS
    assert DesignGrid.from_frame(product, grid.designs).segments == SEGMENTS
    # a grid built by hand names its segments; the default is the 惠民保 pair
    one = DesignGrid(["a"], [[[[0.0, 0.5, np.inf]]]], segments=["all"])
    assert one.segments == ("all",) and list(one.designs.columns[-3:]) == [
        "a.all.deductible", "a.all.payout_ratio", "a.all.cap"]
    assert DesignGrid(["a"], np.tile([0.0, 0.5, np.inf], (1, 1, 2, 1))).segments == SEGMENTS
    with pytest.raises(ParameterError, match=r"expected shape \(K, 1, 1, 3\)"):
        DesignGrid(["a"], np.tile([0.0, 0.5, np.inf], (1, 1, 2, 1)), segments=["all"])
    with pytest.raises(ParameterError, match="without '.'"):
        DesignGrid(["a"], [[[[0.0, 0.5, np.inf]]]], segments=["a.b"])


def test_grid_contains_current_design_without_duplicate(product):
    grid = DesignGrid.from_product(product, deductible=[10_000, 20_000], payout_ratio=[0.8, 0.9],
                                   lines=["in_catalogue"])
    assert len(grid) == 4 and grid.current.tolist() == [False, False, True, False]


def test_grid_per_line_axes_and_preexisting_terms(product):
    grid = DesignGrid.from_product(
        product, deductible={"in_catalogue": [10_000, 20_000], "out_of_catalogue": [5_000]},
        preexisting_payout_ratio=[0.3], preexisting_deductible_multiple=[1.5],
        include_current=False)
    d = grid.designs
    assert len(grid) == 2
    assert list(d.columns[1:3]) == ["deductible[in_catalogue]", "deductible[out_of_catalogue]"]
    assert d["out_of_catalogue.preexisting.deductible"].tolist() == [7_500, 7_500]
    assert d["in_catalogue.preexisting.deductible"].tolist() == [15_000, 30_000]
    assert set(d["special_drugs.preexisting.payout_ratio"]) == {0.3}
    assert set(d["special_drugs.preexisting.deductible"]) == {0.0}  # 0 × 1.5


def test_grid_from_frame_and_take(product):
    frame = pd.DataFrame({"label": ["a", "b"], "in_catalogue.healthy.deductible": [5e3, 2e4]})
    grid = DesignGrid.from_frame(product, frame)
    assert grid.current.tolist() == [False, True]
    assert grid.designs["label"].tolist() == ["a", "b"]
    assert len(grid.take([1])) == 1 and grid.take([1]).current.tolist() == [True]


@pytest.mark.parametrize("kwargs, match", [
    ({"deductible": [-1.0]}, "起付线"),
    ({"payout_ratio": [0.0]}, "赔付比例"),
    ({"payout_ratio": [0.8], "preexisting_payout_share": [1.5]}, "赔付比例"),
    ({"cap": [0.0]}, "封顶线"),
    ({"deductible": [1.0, 1.0]}, "repeat"),
    ({"deductible": []}, "non-empty"),
    ({"deductible": {"dental": [1.0]}}, "dental"),
    ({"lines": ["dental"], "deductible": [1.0]}, "dental"),
    ({"preexisting_payout_share": [0.5], "preexisting_payout_ratio": [0.3]}, "not both"),
])
def test_grid_rejects_bad_axes(product, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        DesignGrid.from_product(product, **kwargs)


def test_member_costs_from_tables_pivots_and_trends():
    policies = pd.DataFrame({"policy_id": ["a", "b", "c"], "segment": ["healthy", "preexisting",
                                                                       "healthy"],
                             "policy_year": [2024, 2025, 2025], "exposure": [1.0, 0.5, 1.0]})
    costs = pd.DataFrame({"policy_id": ["a", "b", "b", "a"],
                          "benefit_line": ["x", "x", "y", "x"], "cost": [100.0, 50.0, 10.0, 1.0]})
    mc = MemberCosts.from_tables(policies, costs, lines=["x", "y"], trend=0.1, to_year=2026)
    xh, wh = mc.matrix("healthy")
    assert np.allclose(xh, [[101.0 * 1.1**2, 0.0], [0.0, 0.0]]) and wh.tolist() == [1.0, 1.0]
    xp, wp = mc.matrix("preexisting")
    assert np.allclose(xp, [[55.0, 11.0]]) and wp.tolist() == [0.5]
    assert mc.members() == {"healthy": 2.0, "preexisting": 0.5}
    only = MemberCosts.from_tables(policies, costs, lines=["x", "y"], policy_year=2025)
    assert only.members() == {"healthy": 1.0, "preexisting": 0.5}
    # bad rows are DataErrors naming the table, the row and the value (cost_table's checks)
    with pytest.raises(DataError, match=r"costs, column 'policy_id', row 1: \[unknown_id\].*'a'"):
        MemberCosts.from_tables(policies.iloc[1:], costs)
    with pytest.raises(DataError, match=r"row 3: \[unknown_value\] not one of the lines: \['x'\]; "
                                        r"filter the costs table first.*\(value: 'y'\)"):
        MemberCosts.from_tables(policies, costs, lines=["x"])
    with pytest.raises(DataError, match=r"policies, column 'segment', row 2: \[unknown_value\] "
                                        r"not a segment of product T: \['healthy'\].*'preexisting'"):
        MemberCosts.from_tables(policies, costs, segments=["healthy"], owner="product T")


def test_member_costs_validation():
    with pytest.raises(DataError, match="row 2"):
        MemberCosts([[0.0], [-1.0]], lines=["x"], segment=["healthy", "healthy"])
    with pytest.raises(DataError, match=r"segment, row 1: \[unknown_value\] not one of the "
                                        r"segments: \['healthy', 'preexisting'\] \(value: 'sick'\)"):
        MemberCosts([[0.0]], lines=["x"], segment=["sick"], segments=SEGMENTS)
    with pytest.raises(DataError, match=r"segment, row 2: \[missing\]"):
        MemberCosts([[0.0], [0.0]], lines=["x"], segment=["healthy", None])
    with pytest.raises(ParameterError, match="one name per"):
        MemberCosts([[0.0, 1.0]], lines=["x"], segment=["healthy"])
    # without segments=, the segments found, sorted (any product's names)
    mc = MemberCosts([[1.0], [2.0], [3.0]], lines=["x"], segment=["sick", "healthy", "sick"])
    assert mc.segments == ("healthy", "sick") and mc.members() == {"healthy": 1.0, "sick": 2.0}
    assert mc.matrix("sick")[0].ravel().tolist() == [1.0, 3.0]
    with pytest.raises(ParameterError, match="not among the costs' segments"):
        mc.matrix("preexisting")


# -- evaluation against brute force --------------------------------------------------------------


def test_evaluate_matches_brute_force(small_case, product):
    grid, costs, x, seg, w = small_case
    ev = evaluate(grid, costs, product)
    ref = brute_force(grid, x, seg, w)
    t = ev.table
    mix = costs.members()
    pi = {s: mix[s] / sum(mix.values()) for s in SEGMENTS}
    v, tau = product.expenses.variable_rate, product.target_combined_ratio
    for k in range(len(grid)):
        for s in SEGMENTS:
            r = ref[k][s]
            assert t[f"pure_premium_{s}"][k] == pytest.approx(r["mean"], rel=1e-10, abs=1e-9)
            assert t[f"share_paid_{s}"][k] == pytest.approx(r["share"], rel=1e-12, abs=1e-14)
            # exact variance across the dependent lines (lattice cross moments)
            assert ev.moments[s]["var"][k] == pytest.approx(r["var"], rel=1e-9)
            # third cumulant: the lines' third cumulants added (documented approximation)
            assert ev.moments[s]["third"][k] == pytest.approx(sum(r["line_third"]), rel=1e-8)
        pure = sum(pi[s] * ref[k][s]["mean"] for s in SEGMENTS)
        share = sum(pi[s] * ref[k][s]["share"] for s in SEGMENTS)
        assert t["pure_premium"][k] == pytest.approx(pure, rel=1e-10)
        assert t["required_premium"][k] == pytest.approx(pure / (tau - v), rel=1e-10)
        assert t["expected_cr"][k] == pytest.approx(pure / 109.0 + v, rel=1e-10)
        assert t["benefit_ratio"][k] == pytest.approx(pure / 109.0, rel=1e-10)
        assert t["share_paid"][k] == pytest.approx(share, rel=1e-12)
        assert t["payout_per_claimant"][k] == pytest.approx(pure / share, rel=1e-10)
        for i, line in enumerate(LINES):
            line_mean = sum(pi[s] * ref[k][s]["line_means"][i] for s in SEGMENTS)
            assert t[f"claims_{line}"][k] == pytest.approx(line_mean, rel=1e-10, abs=1e-9)
    assert ev.assumptions["share_paid"].startswith("exact")
    assert ev.assumptions["variance"].startswith("exact")


def test_dependent_lines_need_the_joint_computation(small_case, product, monkeypatch):
    """With the lattice disabled the lines are taken as independent: a different, wrong answer
    on this book whose lines share a frailty — the exact path is what makes the test above pass."""
    grid, costs, x, seg, w = small_case
    monkeypatch.setattr(moments_mod, "MAX_LATTICE", 1)
    ev = evaluate(grid, costs, product)
    ref = brute_force(grid, x, seg, w)
    assert ev.assumptions["share_paid"] == "lines independent"
    assert ev.assumptions["variance"] == "lines independent"
    indep = np.array([ref[k]["healthy"]["indep_share"] for k in range(len(grid))])
    exact = np.array([ref[k]["healthy"]["share"] for k in range(len(grid))])
    assert np.allclose(ev.table["share_paid_healthy"], indep, rtol=1e-12)
    assert np.max(np.abs(indep - exact)) > 1e-3  # independence overstates the share paid


def test_shared_deductible_share_paid_is_max_of_scaled_costs(product):
    """When lines share one 起付线 parameter (d_l = c_l·d), a member is paid iff
    max_l X_l / c_l > d: the share paid is the survival function of that maximum."""
    x, seg, _ = synthetic_costs(n=800, seed=3, weights=False)
    costs = MemberCosts(x, lines=LINES, segment=np.full(len(x), "healthy"))
    ds = np.array([0.0, 1_000.0, 4_000.0, 12_000.0, 30_000.0])
    grid = DesignGrid.from_product(product, deductible={"in_catalogue": ds},
                                   include_current=False)
    frame = grid.designs.copy()
    frame["out_of_catalogue.healthy.deductible"] = 2.0 * ds  # c = (1, 2, ∞ for no special drugs)
    frame["special_drugs.healthy.deductible"] = 0.5 * ds  # c = (1, 2, 0.5)
    ev = evaluate(DesignGrid.from_frame(product, frame), costs, product)
    m = np.maximum.reduce([x[:, 0], x[:, 1] / 2.0, x[:, 2] / 0.5])
    expected = [(m > d).mean() for d in ds]
    assert np.allclose(ev.table["share_paid_healthy"], expected, rtol=0, atol=1e-15)


def test_evaluate_on_a_model_matches_quadrature(product):
    """A fitted model (lines independent): means against numerical integration of S(x)."""
    sev = stats.lognorm(1.1, scale=4_000.0)
    laws = {(ln, s): (q, sev) for ln, q in zip(LINES, (0.2, 0.1, 0.01), strict=True)
            for s in SEGMENTS}
    model = CostModel(laws, members={"healthy": 900.0, "preexisting": 100.0})
    grid = DesignGrid.from_product(product, deductible=[0.0, 20_000.0], lines=["in_catalogue"])
    ev = evaluate(grid, model, product)
    for k in range(len(grid)):
        total = 0.0
        share_no = 1.0
        for i, (q, _) in enumerate(zip((0.2, 0.1, 0.01), LINES, strict=True)):
            for j, s in enumerate(SEGMENTS):
                d, r, c = grid.terms[k, i, j]
                # E[min(r (X − d)₊, C)] = r ∫_d^{d + C/r} S(x) dx, by adaptive quadrature
                pay = r * integrate.quad(sev.sf, d, d + c / r, limit=200)[0]
                total += (0.9 if s == "healthy" else 0.1) * q * pay
            d = grid.terms[k, i, 0, 0]
            share_no *= 1 - q * sev.sf(d)
        assert ev.table["pure_premium"][k] == pytest.approx(total, rel=1e-6)
        assert ev.table["share_paid_healthy"][k] == pytest.approx(1 - share_no, rel=1e-12)
    assert ev.assumptions["share_paid"] == "lines independent"


def test_evaluate_price_required_and_per_segment_members(small_case, product):
    grid, costs, *_ = small_case
    ev = evaluate(grid, costs, product, price="required", members={"healthy": 8e4,
                                                                   "preexisting": 2e4})
    t = ev.table
    assert np.allclose(t["expected_cr"], product.target_combined_ratio)
    assert ev.assumptions["mix"] == {"healthy": 0.8, "preexisting": 0.2}
    assert ev.assumptions["members"] == 1e5
    long = ev.by_segment()
    assert len(long) == 3 * len(grid) and set(long["segment"]) == {*SEGMENTS, "total"}
    assert ev.summary().loc["pure_premium", "current"] == pytest.approx(
        t.loc[t["current"], "pure_premium"].iloc[0])


@pytest.mark.parametrize("kwargs, match", [
    ({"price": -1.0}, "price"),
    ({"price": "cheap"}, "price"),
    ({"price": [100.0, 110.0]}, "one per design"),
    ({"target_combined_ratio": 0.05}, "variable expense"),
    ({"mix": {"sick": 1.0}}, "unknown segments"),
    ({"members": 0.0}, "portfolio size"),
    ({"method": "exact"}, "method"),
    ({"claim_cv": -0.1}, "cv"),
])
def test_evaluate_rejects_bad_arguments(small_case, product, kwargs, match):
    grid, costs, *_ = small_case
    with pytest.raises(ParameterError, match=match):
        evaluate(grid, costs, product, **kwargs)


# -- monotonicity (hypothesis) -------------------------------------------------------------------

cost_values = st.lists(st.floats(0, 200_000, allow_nan=False), min_size=5, max_size=40)


@settings(max_examples=40, deadline=None)
@given(a=cost_values, b=cost_values, c=cost_values,
       ds=st.lists(st.floats(0, 100_000), min_size=2, max_size=4, unique=True),
       rs=st.lists(st.floats(0.05, 1.0), min_size=2, max_size=3, unique=True),
       cs=st.lists(st.floats(100, 2e6), min_size=2, max_size=3, unique=True))
def test_premium_monotone_in_deductible_ratio_and_cap(a, b, c, ds, rs, cs):
    """Premium falls as 起付线 rises and rises with 赔付比例 and 封顶线; the share paid falls
    with 起付线."""
    product = Product.from_toml(example_product_path())
    n = min(len(a), len(b), len(c))
    x = np.column_stack([a[:n], b[:n], c[:n]])
    seg = np.where(np.arange(n) % 3 == 0, "preexisting", "healthy")
    costs = MemberCosts(x, lines=LINES, segment=seg)
    ds, rs, cs = sorted(ds), sorted(rs), sorted(cs)
    grid = DesignGrid.from_product(product, deductible=ds, payout_ratio=rs, cap=cs,
                                   include_current=False)
    ev = evaluate(grid, costs, product)
    shape = (len(ds), len(rs), len(cs))
    p = ev.table["required_premium"].to_numpy().reshape(shape)
    tol = 1e-9 * (1 + np.abs(p).max())
    assert np.all(np.diff(p, axis=0) <= tol)
    assert np.all(np.diff(p, axis=1) >= -tol)
    assert np.all(np.diff(p, axis=2) >= -tol)
    share = ev.table["share_paid"].to_numpy().reshape(shape)
    assert np.all(np.diff(share, axis=0) <= 1e-15)
    assert np.all(ev.table["pure_premium"] <= ev.table["claims_in_catalogue"]
                  + ev.table["claims_out_of_catalogue"] + ev.table["claims_special_drugs"] + tol)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_lattice_sums_match_brute_force(seed):
    """The exact joint quantities on random books and random (unstructured) designs."""
    rng = np.random.default_rng(seed)
    n, k = 50, 7
    x = np.where(rng.random((n, 2)) < 0.5, np.round(rng.exponential(1000, (n, 2)), -2), 0.0)
    w = rng.uniform(0.1, 2.0, n)
    d = np.round(rng.uniform(0, 2000, (k, 2)), -2)
    r = rng.uniform(0.1, 1.0, (k, 2))
    c = rng.choice([100.0, 500.0, np.inf], (k, 2))
    no_pay = moments_mod.no_payout_probability(x, w, d)
    cm = moments_mod.cross_moment(x[:, 0], x[:, 1], w, (d[:, 0], r[:, 0], c[:, 0]),
                                  (d[:, 1], r[:, 1], c[:, 1]))
    for j in range(k):
        y = [np.minimum(r[j, i] * np.maximum(x[:, i] - d[j, i], 0), c[j, i]) for i in range(2)]
        assert no_pay[j] == pytest.approx(w @ ((y[0] == 0) & (y[1] == 0)) / w.sum(), abs=1e-14)
        assert cm[j] == pytest.approx(w @ (y[0] * y[1]) / w.sum(), rel=1e-9, abs=1e-9)


# -- the documented example on the bundled data --------------------------------------------------


def test_docs_example_runs_and_matches_the_quoted_numbers():
    """docs/tuning.md's example, executed as written; the numbers the page quotes are pinned
    here, and the chosen design is checked by brute force on the bundled members."""
    import re
    from pathlib import Path

    import matplotlib.pyplot as plt

    text = (Path(__file__).resolve().parents[1] / "docs" / "tuning.md").read_text("utf-8")
    code = re.search(r"## Example \(bundled data\)\n\n```python\n(.*?)```", text, re.S).group(1)
    scope: dict = {}
    exec(compile(code.replace("print(", "(lambda *a, **k: None)("), "tuning.md", "exec"),
         scope)
    plt.close("all")
    ev, choice, costs, grid = scope["ev"], scope["choice"], scope["costs"], scope["grid"]
    cur = ev.table[ev.table["current"]].iloc[0]
    assert cur["pure_premium"] == pytest.approx(126.68, abs=0.005)
    assert cur["required_premium"] == pytest.approx(148.69, abs=0.005)
    assert cur["share_paid"] == pytest.approx(0.0148, abs=5e-5)
    row = choice.row
    assert (row["deductible"], row["payout_ratio"], row["preexisting_deductible_multiple"],
            row["preexisting_payout_share"]) == (30_000, 0.6, 1.0, 0.5)
    assert row["expected_cr"] == pytest.approx(0.897, abs=5e-4)
    assert row["prob_cr_above_100"] == pytest.approx(0.023, abs=5e-4)
    # brute force: apply the chosen design to every member of the trended 2025 book
    mix = costs.members()
    total = 0.0
    for j, s in enumerate(SEGMENTS):
        x, w = costs.matrix(s)
        t = grid.terms[choice.design, :, j]
        total += (np.minimum(t[:, 1] * np.maximum(x - t[:, 0], 0.0), t[:, 2]).sum(axis=1)
                  @ w)
    assert row["pure_premium"] == pytest.approx(total / sum(mix.values()), rel=1e-10)
