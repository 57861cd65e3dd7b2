"""Benefit designs as layer stacks: semantics, actuar's coverage formulas, grids, validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from puhui.benefits import Benefit, Layer, LayerStack, SegmentedBenefit, as_stack
from puhui.errors import ParameterError


def test_cap_applies_to_the_payout_not_the_loss():
    # r = 0.7, 起付线 20 000, 封顶线 2 000 000: the cap is reached at a loss of
    # 20 000 + 2 000 000 / 0.7 = 2 877 142.857…; beyond it the payout stays at 2 000 000.
    b = Benefit(deductible=20_000, payout_ratio=0.7, cap=2_000_000)
    x = np.array([0.0, 20_000.0, 120_000.0, 20_000 + 2_000_000 / 0.7, 5e6, np.inf])
    np.testing.assert_allclose(b.pay(x), [0, 0, 70_000, 2_000_000, 2_000_000, 2_000_000])
    (layer,) = b.layers()
    assert float(layer.attachment) == 20_000 and float(layer.share) == 0.7
    assert float(layer.limit) == pytest.approx(2_000_000 / 0.7)
    assert float(b.max_payout()) == pytest.approx(2_000_000)


def test_franchise_pays_from_zero_once_the_deductible_is_exceeded():
    b = Benefit(deductible=1000, payout_ratio=0.8, franchise=True, cap=4000)
    x = np.array([500.0, 1000.0, 1000.5, 3000.0, 5000.0, 10_000.0])
    # x ≤ d: 0 (KPW/actuar: franchise pays X when X > d); then min(0.8 x, 4000)
    np.testing.assert_allclose(b.pay(x), [0, 0, 800.4, 2400, 4000, 4000])
    st_ = b.stack()
    assert float(st_.jump_at) == 1000 and float(st_.jump_size) == 800


def test_bands_with_their_own_ratios_and_a_cap():
    # 60 % of the loss between 20 000 and 100 000, 80 % above, payout capped at 60 000:
    # loss 150 000 → 0.6·80 000 + 0.8·50 000 = 88 000 uncapped.
    b = Benefit(deductible=20_000, payout_ratio=0.6, bands=[(100_000, 0.8)])
    np.testing.assert_allclose(b.pay([10_000, 50_000, 150_000]), [0, 18_000, 88_000])
    capped = Benefit(deductible=20_000, payout_ratio=0.6, bands=[(100_000, 0.8)], cap=60_000)
    np.testing.assert_allclose(capped.pay([50_000, 115_000, 150_000]), [18_000, 60_000, 60_000])
    # the cap is hit at 100 000 + (60 000 − 48 000)/0.8 = 115 000 of loss
    np.testing.assert_allclose(capped.stack().top[..., -1], 115_000)
    # cap inside the first band: the second band never pays
    early = Benefit(deductible=20_000, payout_ratio=0.6, bands=[(100_000, 0.8)], cap=30_000)
    np.testing.assert_allclose(early.pay([70_000, 1e7]), [30_000, 30_000])
    assert float(early.stack().limit[..., 1]) == 0.0


def test_franchise_with_bands_and_cap():
    b = Benefit(deductible=10_000, payout_ratio=0.5, bands=[(30_000, 0.9)], franchise=True,
                cap=25_000)
    # x = 20 000 > d: 0.5·20 000 = 10 000; x = 40 000: 0.5·30 000 + 0.9·10 000 = 24 000;
    # x = 50 000: 15 000 + 18 000 = 33 000 → capped at 25 000.
    np.testing.assert_allclose(b.pay([9_000, 20_000, 40_000, 50_000]), [0, 10_000, 24_000, 25_000])


# actuar's coverage vignette ("Complete formulas used by coverage", Goulet), no inflation (r = 0):
#   ordinary  Y^L = 0 for X < d;  α(X − d) for d ≤ X < u;  α(u − d) for X ≥ u
#   franchise Ỹ^L = 0 for X < d;  α X for d ≤ X < u;  α u for X ≥ u
# with u the LIMIT ON THE LOSS. Our cap is on the payout: cap = α(u − d) resp. α u.
@pytest.mark.parametrize(("d", "u", "alpha"), [(5.0, 13.0, 1.0), (1.0, 10.0, 0.8),
                                               (200.0, 5000.0, 0.35)])
def test_pay_matches_actuar_coverage_definitions(d, u, alpha):
    x = np.concatenate([np.linspace(0, 2 * u, 401), [d * 0.999, d * 1.001, u, u * 1.5]])
    x = x[x != d]  # the boundary X = d itself has probability 0 for a continuous loss
    ordinary = np.where(x < d, 0.0, np.where(x < u, alpha * (x - d), alpha * (u - d)))
    franchise = np.where(x < d, 0.0, np.where(x < u, alpha * x, alpha * u))
    got_o = Benefit(deductible=d, payout_ratio=alpha, cap=alpha * (u - d)).pay(x)
    got_f = Benefit(deductible=d, payout_ratio=alpha, cap=alpha * u, franchise=True).pay(x)
    np.testing.assert_allclose(got_o, ordinary, rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(got_f, franchise, rtol=1e-13, atol=1e-12)
    # actuar's cdf of Y^L: F_{Y^L}(y) = F_X((y + αd)/α) for 0 < y < α(u − d), i.e. pay is the
    # inverse of x = (y + αd)/α on that range; franchise: F_X(y/α) for αd < y < αu.
    y = np.linspace(0.01, 0.99, 25) * alpha * (u - d)
    np.testing.assert_allclose(
        Benefit(deductible=d, payout_ratio=alpha, cap=alpha * (u - d)).pay((y + alpha * d) / alpha),
        y, rtol=1e-12)
    yf = alpha * d + np.linspace(0.01, 0.99, 25) * alpha * (u - d)
    np.testing.assert_allclose(
        Benefit(deductible=d, payout_ratio=alpha, cap=alpha * u, franchise=True).pay(yf / alpha),
        yf, rtol=1e-12)


def test_grid_of_designs_broadcasts_and_matches_single_designs():
    d = np.array([0.0, 10_000.0, 20_000.0])[:, None, None]
    r = np.array([0.5, 0.8])[None, :, None]
    c = np.array([50_000.0, 1e5, 3e5, np.inf])
    grid = Benefit(deductible=d, payout_ratio=r, cap=c)
    assert grid.grid_shape == (3, 2, 4)
    x = np.array([[5_000.0, 60_000.0, 1e6], [0.0, 15_000.0, 250_000.0]])
    paid = grid.pay(x)
    assert paid.shape == (3, 2, 4, 2, 3)  # grid axes first, then the loss axes
    for i, j, k in np.ndindex(3, 2, 4):
        single = Benefit(deductible=d.ravel()[i], payout_ratio=r.ravel()[j], cap=c[k]).pay(x)
        np.testing.assert_array_equal(paid[i, j, k], single)


def test_array_franchise_flag_and_per_design_bands():
    b = Benefit(deductible=1000, payout_ratio=0.5, franchise=np.array([False, True]),
                bands=[(np.array([5000.0, 8000.0]), 1.0)])
    paid = b.pay([2000.0, 6000.0, 9000.0])
    # design 0 ordinary, band at 5 000: 500, 0.5·4000 + 1000 = 3000, 2000 + 4000 = 6000
    # design 1 franchise, band at 8 000: 1000, 3000, 4000 + 1000 = 5000
    np.testing.assert_allclose(paid, [[500, 3000, 6000], [1000, 3000, 5000]])


def test_layers_and_stacks():
    layer = Layer(attachment=20_000, limit=100_000, share=0.8)
    np.testing.assert_allclose(layer.pay([10_000, 50_000, 500_000]), [0, 24_000, 80_000])
    assert float(layer.top) == 120_000
    stack = LayerStack.from_layers([layer, Layer(120_000, np.inf, 0.9)])
    np.testing.assert_allclose(stack.pay([200_000]), [80_000 + 72_000])
    assert stack.n_layers == 2 and stack.grid_shape == ()
    assert float(stack.max_payout()) == np.inf
    assert as_stack(layer).n_layers == 1
    assert len(Benefit(0, 0.5, bands=[(10, 0.7)]).layers()) == 2
    with pytest.raises(ParameterError, match="benefit:"):
        as_stack(3.0)
    grid_layer = Layer(attachment=[0.0, 100.0], limit=[[50.0], [500.0]])
    assert grid_layer.pay([1000.0]).shape == (2, 2, 1)
    assert "LayerStack" in repr(stack)


def test_summary_table():
    b = Benefit(deductible=20_000, payout_ratio=0.6, cap=300_000, bands=[(50_000, 0.8)],
                name="惠民保 2025")
    table = b.summary()
    assert list(table["band"]) == [0, 1]
    np.testing.assert_allclose(table["attachment"], [20_000, 50_000])
    # band 0 pays 0.6·30 000 = 18 000, band 1 the rest of the cap: 282 000 → top 402 500
    np.testing.assert_allclose(table["max_payout"], [18_000, 282_000])
    np.testing.assert_allclose(table["top"], [50_000, 402_500])
    assert (table["benefit"] == "惠民保 2025").all()
    assert "franchise_jump" in Benefit(100, 0.5, franchise=True).summary()


def test_zero_ratio_design_pays_nothing():
    b = Benefit(deductible=0, payout_ratio=0.0, cap=1000)
    np.testing.assert_array_equal(b.pay([0.0, 50.0, 1e9]), [0.0, 0.0, 0.0])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"deductible": -1}, "deductible: 起付线 must be finite and ≥ 0"),
        ({"deductible": [0, np.inf]}, r"deductible: .* at grid index \(1,\)"),
        ({"payout_ratio": 80}, r"payout_ratio: 赔付比例 must lie in \[0, 1\] \(0.8, not 80\)"),
        ({"payout_ratio": np.nan}, "payout_ratio: contains NaN"),
        ({"cap": 0}, "cap: 封顶线 must be > 0"),
        ({"franchise": 1}, "franchise: must be bool"),
        ({"deductible": 100, "bands": [(50, 0.8)]}, "strictly above the deductible"),
        ({"bands": [(50, 0.8), (50, 0.9)]}, r"bands\[1\] threshold: must be strictly above"),
        ({"bands": [(50, 1.5)]}, r"bands\[0\] ratio"),
        ({"bands": [(50,)]}, "expected \\(threshold, ratio\\)"),
        ({"bands": 5}, "sequence of"),
        ({"deductible": [1, 2], "payout_ratio": [0.5, 0.6, 0.7]}, "do not broadcast"),
        ({"deductible": "abc"}, "deductible: must be a number"),
    ],
)
def test_bad_designs_are_rejected_with_the_argument_named(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        Benefit(**kwargs)


def test_bad_layers_and_losses_are_rejected():
    with pytest.raises(ParameterError, match="share"):
        Layer(0, 10, 1.2)
    with pytest.raises(ParameterError, match="attachment"):
        Layer(-1, 10)
    with pytest.raises(ParameterError, match="limit"):
        Layer(0, -10)
    with pytest.raises(ParameterError, match="losses: must be ≥ 0"):
        Benefit(100, 0.5).pay([10.0, -1.0])
    with pytest.raises(ParameterError, match="losses: contains NaN"):
        Benefit(100, 0.5).pay([np.nan])
    with pytest.raises(ParameterError, match="jump_at, jump_size"):
        LayerStack([0.0], [1.0], [1.0], jump_at=1.0)


def test_segmented_benefit_pays_each_member_under_its_terms():
    # healthy: 起付线 20 000, 80 %; 既往症: doubled deductible, 40 % (typical 惠民保 terms)
    sb = SegmentedBenefit({"healthy": Benefit(20_000, 0.8, 3e6),
                           "preexisting": Benefit(40_000, 0.4, 3e6)},
                          mix={"healthy": 0.85, "preexisting": 0.15})
    paid = sb.pay([50_000, 50_000, 30_000], segment=["healthy", "preexisting", "preexisting"])
    np.testing.assert_allclose(paid, [24_000, 4_000, 0])
    assert sb.segments == ("healthy", "preexisting")
    with pytest.raises(ParameterError, match="unknown segment"):
        sb.pay([1.0], segment=["other"])
    with pytest.raises(ParameterError, match="does not match"):
        sb.pay([1.0, 2.0], segment=["healthy"])
    with pytest.raises(ParameterError, match="sum to 1"):
        SegmentedBenefit({"a": Benefit()}, mix={"a": 0.5})
    with pytest.raises(ParameterError, match="missing"):
        SegmentedBenefit({"a": Benefit(), "b": Benefit()}, mix={"a": 1.0})
    with pytest.raises(ParameterError, match="terms"):
        SegmentedBenefit({})
    grid = SegmentedBenefit({"h": Benefit([0, 100], 0.5), "p": Benefit(0, [[0.2], [0.4]])})
    assert grid.pay([300.0], segment=["h"]).shape == (2, 2, 1)


_designs = st.fixed_dictionaries({
    "deductible": st.floats(0, 50_000),
    "payout_ratio": st.floats(0, 1),
    "cap": st.one_of(st.none(), st.floats(1, 1e6)),
    "franchise": st.booleans(),
    "steps": st.lists(st.tuples(st.floats(1, 1e5), st.floats(0, 1)), max_size=3),
})


def _build(p, deductible=None, ratio_bump=0.0):
    d = p["deductible"] if deductible is None else deductible
    bands, t = [], d
    for step, ratio in p["steps"]:
        t = t + step
        bands.append((t, min(1.0, ratio + ratio_bump)))
    return Benefit(deductible=d, payout_ratio=min(1.0, p["payout_ratio"] + ratio_bump),
                   cap=p["cap"], franchise=p["franchise"], bands=bands)


@settings(max_examples=80, deadline=None)
@given(_designs, st.lists(st.floats(0, 1e7), min_size=1, max_size=30))
def test_payout_is_between_zero_and_the_loss_and_non_decreasing(p, losses):
    b = _build(p)
    x = np.sort(np.asarray(losses))
    paid = b.pay(x)
    assert np.all(paid >= 0)
    assert np.all(paid <= x * (1 + 1e-12) + 1e-9)  # a few ulps of rounding across bands
    assert np.all(np.diff(paid) >= -1e-9 * np.maximum(paid[1:], 1))
    if p["cap"] is not None:
        assert np.all(paid <= p["cap"] * (1 + 1e-12))
    assert np.all(paid[x <= p["deductible"]] == 0)


@settings(max_examples=60, deadline=None)
@given(_designs, st.floats(0, 1e5), st.floats(0, 0.5),
       st.lists(st.floats(0, 1e7), min_size=1, max_size=30))
def test_payout_falls_with_the_deductible_and_rises_with_the_ratio(p, extra, bump, losses):
    x = np.asarray(losses)
    base = _build(p).pay(x)
    if not p["steps"]:  # with bands, the deductible must stay below the first threshold
        higher_d = _build(p, deductible=p["deductible"] + extra).pay(x)
        assert np.all(higher_d <= base * (1 + 1e-12) + 1e-9)
    richer = _build(p, ratio_bump=bump).pay(x)
    assert np.all(richer >= base * (1 - 1e-12) - 1e-9)
