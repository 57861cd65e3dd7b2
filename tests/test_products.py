"""惠民保 product definitions from TOML; basis and experience cells against the planted truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import puhui
import puhui.datasets
from puhui.huiminbao import Product, example_product_path

TOML = """
[product]
code = "T"
target_combined_ratio = 0.9
[price]
age_bands = [[0, 60, 80.0], [60, 121, 150.0]]
[expenses]
commission = 0.05
admin = 0.05
per_member = 2.0
[[lines]]
name = "in_catalogue"
cap = 100_000
healthy = { deductible = 10_000, payout_ratio = 0.5 }
"""


def test_example_product_matches_the_bundled_filing():
    p = Product.from_toml(example_product_path())
    design = puhui.datasets.load_planted("huiminbao")["pricing_basis"]["design"]
    for line in p.lines:
        for seg, terms in line.terms.items():
            filed = design[line.name][seg]
            assert (terms.deductible, terms.payout_ratio, terms.cap) == (
                filed["deductible"], filed["payout_ratio"], filed["cap"])
    assert p.price() == 109.0


def test_segments_come_from_the_product_file_and_the_basis_agrees():
    """The bundled product's segments are those its file's lines define (healthy first); the
    generator's basis has factors and a filed design for exactly these, in this order."""
    from puhui.datasets import huiminbao_basis as basis

    p = Product.from_toml(example_product_path())
    assert p.segments == ("healthy", "preexisting")
    assert tuple(basis.SEGMENT_FREQUENCY_FACTOR) == tuple(basis.SEGMENT_SEVERITY_FACTOR) \
        == p.segments
    assert all(tuple(basis.DESIGN[line.name]) == p.segments for line in p.lines)
    # a product file with one segment only: the product has that one
    doc = {"product": {"code": "T", "target_combined_ratio": 0.9}, "price": {"flat": 50.0},
           "expenses": {}, "lines": [{"name": "a", "healthy": {"deductible": 0,
                                                               "payout_ratio": 0.5}}]}
    assert Product.from_dict(doc).segments == ("healthy",)


def test_age_banded_price_and_terms(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(TOML, encoding="utf-8")
    p = Product.from_toml(path)
    np.testing.assert_array_equal(p.price([18, 59, 60, 95]), [80, 80, 150, 150])
    with pytest.raises(puhui.ParameterError, match="outside the price bands"):
        p.price([130])
    t = p.line("in_catalogue").for_segment("healthy")
    # payout = min(0.5·(x − 10,000)₊, 100,000)
    np.testing.assert_allclose(t.pay([5_000, 30_000, 1_000_000]), [0, 10_000, 100_000])
    assert p.expenses.variable_rate == pytest.approx(0.10)
    q = p.with_terms("in_catalogue", "healthy", deductible=5_000)
    assert q.line("in_catalogue").for_segment("healthy").deductible == 5_000
    assert p.line("in_catalogue").for_segment("healthy").deductible == 10_000


@pytest.mark.parametrize("bad, message", [
    (TOML.replace("payout_ratio = 0.5", "payout_ratio = 1.5"), "赔付比例"),
    (TOML.replace("deductible = 10_000", "deductible = -1"), "起付线"),
    (TOML.replace('name = "in_catalogue"', 'name = "x"\ncolour = 1'), "unknown keys"),
    (TOML.replace("[price]", "[price]\nflat = 9.0"), "exactly one"),
    (TOML.replace("[[lines]]", "[nolines]"), "lacks 'lines'"),
    ("[product\n", "not valid TOML"),
])
def test_bad_product_files_name_the_problem(tmp_path, bad, message):
    path = tmp_path / "bad.toml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(puhui.ParameterError, match=message):
        Product.from_toml(path)


@pytest.fixture(scope="module")
def hmb():
    return puhui.datasets.load_huiminbao()


def test_experience_cells_reproduce_the_generator(hmb):
    from puhui.huiminbao.basis import basis_from_planted
    from puhui.huiminbao.cells import experience_cells

    basis = basis_from_planted(hmb.planted)
    cells = experience_cells(hmb.policies, hmb.claims, basis)
    truth = pd.DataFrame(hmb.planted["cells"])
    m = cells.merge(truth, on=["policy_year", "segment", "age_band", "benefit_line"])
    assert len(m) == len(truth) == len(cells)
    np.testing.assert_array_equal(m["members_x"], m["members_y"])
    np.testing.assert_allclose(m["expected_amount"], m["basis_payout"], rtol=1e-9)
    np.testing.assert_allclose(m["expected_count"], m["basis_claims"], rtol=1e-9)
    # older years are nearly fully reported: reported claims are within 1% of the ultimate
    # claims the generator made (an open claim may still close without payment)
    closed = m["policy_year"] < 2025
    rep, ult = m.loc[closed, "actual_count"].sum(), m.loc[closed, "claims"].sum()
    assert abs(rep - ult) <= 0.01 * ult
    # the last year is not: its unreported claims are the IBNR the review must estimate
    last = m["policy_year"] == 2025
    assert m.loc[last, "actual_count"].sum() < 0.95 * m.loc[last, "claims"].sum()
