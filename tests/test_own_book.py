"""An insurer's own book (issue 15): a hand-made 30-member-year 惠民保 book, saved in GBK with
Chinese headers, goes through ``puhui template book``, ``validate``, ``price``, ``tune`` and
``review`` — in process, with exactly the commands of docs/own_book.md — and the checks that
come with it: policies and costs alone for price and tune, the review's missing files named, the
book's warnings (another product or region, too small to be credible) and the bundled
example's take-up shape never applied silently."""

from __future__ import annotations

import json
import re
import shlex
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from puhui.cli import main
from puhui.errors import ParameterError
from puhui.huiminbao import Product, example_product_path
from puhui.huiminbao.book_template import PLACEHOLDER_CODE
from puhui.huiminbao.folder import read_book
from puhui.huiminbao.pricing import BookWarning, book_credibility, price_from_experience

DOC = Path(__file__).resolve().parents[1] / "docs" / "own_book.md"


def doc_commands() -> list[list[str]]:
    """The ``puhui …`` lines of the page's bash blocks, in order, as argument lists."""
    text = DOC.read_text(encoding="utf-8")
    lines = [ln.strip() for block in re.findall(r"```bash\n(.*?)```", text, re.S)
             for ln in block.splitlines() if ln.strip().startswith("puhui ")]
    return [shlex.split(ln)[1:] for ln in lines]


def hand_made_book() -> dict[str, pd.DataFrame]:
    """30 member-years of a product HMB-SZ in 苏州 (15 in 2024, 15 in 2025), six of them with a
    cost, five claims and a basis of two age bands; English column names."""
    rows = []
    for i in range(30):
        year = 2024 if i < 15 else 2025
        pre = i % 6 == 0
        rows.append({"policy_id": f"SZ{year}{i:03d}", "product": "HMB-SZ", "region": "苏州",
                     "segment": "preexisting" if pre else "healthy",
                     "start_date": f"{year}/1/1", "end_date": f"{year}年12月31日",
                     "sum_insured": "3,000,000", "premium": 99, "exposure": 1,
                     "policy_year": year, "age": 20 + (7 * i) % 66,
                     "sex": "F" if i % 2 else "M", "preexisting": "是" if pre else "否"})
    pol = pd.DataFrame(rows)
    ids = pol["policy_id"]
    costs = pd.DataFrame({"policy_id": ids[[1, 3, 7, 16, 20, 25]].to_numpy(),
                          "benefit_line": ["in_catalogue", "out_of_catalogue", "special_drugs",
                                           "in_catalogue", "in_catalogue", "special_drugs"],
                          "cost": [45_000.0, 30_000.0, 12_000.0, 80_000.0, 25_000.0, 6_000.0]})
    claims = pd.DataFrame({
        "claim_id": ["C1", "C2", "C3", "C4", "C5"], "policy_id": ids[[1, 3, 7, 16, 25]].to_numpy(),
        "accident_date": ["2024-03-05", "2024-06-01", "2024-09-10", "2025-02-01", "2025-05-03"],
        "report_date": ["2024-03-20", "2024-06-20", "2024-10-01", "2025-02-15", "2025-05-20"],
        "paid": [20_000.0, 7_000.0, 7_200.0, 48_000.0, 3_600.0], "case_reserve": 0.0,
        "status": "closed",
        "payment_date": ["2024-04-01", "2024-07-01", "2024-10-15", "2025-03-01", "2025-06-01"],
        "benefit_line": ["in_catalogue", "out_of_catalogue", "special_drugs", "in_catalogue",
                         "special_drugs"]})
    basis = pd.DataFrame([
        {"policy_year": y, "segment": seg, "age_band": band, "min_age": lo, "max_age": hi,
         "benefit_line": line, "claims_per_member": f, "payout_per_member": p}
        for y in (2024, 2025) for seg in ("healthy", "preexisting")
        for band, lo, hi in (("0-59", 0, 59), ("60+", 60, 120))
        for line, f, p in (("in_catalogue", 0.010, 150.0), ("out_of_catalogue", 0.005, 60.0),
                           ("special_drugs", 0.004, 30.0))])
    return {"policies": pol, "costs": costs, "claims": claims, "basis": basis}


def fill_in(book: Path) -> None:
    """What docs/own_book.md steps 2–3 say: the tables under the template's Chinese terms (the
    part of each header cell before the English name), saved as GBK; the product file's code,
    region and price set to the book's."""
    for kind, df in hand_made_book().items():
        header = pd.read_csv(book / f"{kind}.csv", encoding="utf-8-sig").columns
        zh = dict(reversed(h.rsplit(" ", 1)) for h in header)
        assert set(df.columns) <= set(zh), kind
        df.rename(columns=zh).to_csv(book / f"{kind}.csv", index=False, encoding="gbk")
    path = book / "product.toml"
    text = path.read_text(encoding="utf-8")
    assert text.count(f'"{PLACEHOLDER_CODE}"') == 2
    text = text.replace(f'code = "{PLACEHOLDER_CODE}"', 'code = "HMB-SZ"').replace(
        f'region = "{PLACEHOLDER_CODE}"', 'region = "苏州"').replace("flat = 109.0", "flat = 99.0")
    path.write_text(text, encoding="utf-8")


def trended_payouts() -> np.ndarray:
    """The six paid member-years' payouts by hand: costs trended at 6% a year to 2026, then the
    example design's healthy terms (起付线 20,000 for the medical lines, 0 for special drugs;
    赔付比例 0.8 / 0.7 / 0.6)."""
    return np.array([(45_000 * 1.06**2 - 20_000) * 0.8, (30_000 * 1.06**2 - 20_000) * 0.7,
                     12_000 * 1.06**2 * 0.6, (80_000 * 1.06 - 20_000) * 0.8,
                     (25_000 * 1.06 - 20_000) * 0.8, 6_000 * 1.06 * 0.6])


def test_the_pages_commands_take_a_gbk_chinese_book_through(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    commands = doc_commands()
    assert [c[0] for c in commands] == ["template"] + ["validate"] * 4 + ["price", "tune",
                                                                           "review"]
    assert main(commands[0]) == 0
    book = tmp_path / commands[0][2]
    assert (book / "policies.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # Excel-friendly
    fill_in(book)
    assert not (book / "policies.csv").read_bytes().decode("gbk").isascii()
    with pytest.raises(UnicodeDecodeError):
        (book / "policies.csv").read_bytes().decode("utf-8")  # GBK indeed
    capsys.readouterr()
    for args in commands[1:]:
        assert main(args) == 0, (args, capsys.readouterr().err)
    out, err = capsys.readouterr()
    assert out.count("OK:") == 4 and "(30 rows, 13 columns)" in out

    # price and tune read the policies and the costs alone
    for name in ("price", "tune"):
        man = json.loads((tmp_path / "out" / name / "manifest.json").read_text("utf-8"))
        assert set(man["inputs"]) == {"product", "policies", "costs"}, name
    review = json.loads((tmp_path / "out" / "review" / "manifest.json").read_text("utf-8"))
    assert {"claims", "basis"} <= set(review["inputs"])

    # the small book's credibility, from the payouts worked out by hand above
    pay = trended_payouts()
    cv = pay.std() / pay.mean()
    n_full = (1.6448536269514722 / 0.05) ** 2 * (1 + cv**2)  # 1,082 claims × (1 + CV²)
    z = np.sqrt(6 / n_full)
    price = json.loads((tmp_path / "out" / "price" / "manifest.json").read_text("utf-8"))
    cred = price["assumptions"]["credibility"]
    assert cred["paid_member_years"] == 6
    assert cred["payout_cv"] == pytest.approx(cv, rel=1e-9)
    assert cred["z"] == pytest.approx(z, rel=1e-9) and 0.03 < z < 0.06
    gross = price["assumptions"]["average_price"]
    assert cred["credibility_weighted_price"] == pytest.approx(z * gross + (1 - z) * 99.0)
    doc = (tmp_path / "out" / "price" / "report.md").read_text("utf-8")
    assert f"credibility Z = {z:.3f}" in doc and "Warning (注意)" in doc
    assert "too small for its experience to be fully credible" in err  # on the terminal too
    assert "region" not in " ".join(price["assumptions"]["book_warnings"])  # 苏州 = 苏州
    # the example's take-up shape is not applied to HMB-SZ, and the report says so
    assert "anti-selection scenario is left out" in doc and "Participation scenario" not in doc
    assert price["assumptions"]["participation_at_current_price"] is None


def test_price_and_tune_need_policies_and_costs_only_review_names_what_is_missing(tmp_path):
    product = replace(Product.from_toml(example_product_path()), code="HMB-SZ", region="苏州")
    tables = hand_made_book()
    for kind in ("policies", "costs"):
        tables[kind].to_csv(tmp_path / f"{kind}.csv", index=False, encoding="gbk")
    book = read_book(tmp_path, for_review=False, product=product)
    assert set(book.paths) == {"policies", "costs"} and book.claims is None
    with pytest.raises(ParameterError, match=r"no claims file \(claims.parquet, claims.csv, "
                                             r"claims.xlsx, claims.csv.gz\): the review needs "
                                             r"the claims \(赔案\)"):
        read_book(tmp_path, product=product)
    tables["claims"].to_csv(tmp_path / "claims.csv", index=False)
    with pytest.raises(ParameterError, match=r"no pricing basis \(basis.csv, basis.parquet, "
                                             r"basis.xlsx\) for the review"):
        read_book(tmp_path, product=product)
    tables["basis"].to_excel(tmp_path / "basis.xlsx", index=False)  # any format of the table
    assert read_book(tmp_path, product=product).basis.shape == (24, 8)
    # a template left empty is refused, not priced
    (tmp_path / "policies.csv").write_text("保单号 policy_id,产品 product,地区 region,细分/人群 "
                                           "segment,保险起期 start_date,保险止期 end_date,保险金额 "
                                           "sum_insured,保费 premium,风险单位数 exposure\n",
                                           encoding="utf-8")
    with pytest.raises(ParameterError, match="has a header but no rows"):
        read_book(tmp_path, for_review=False, product=product)


def test_template_refuses_to_overwrite_and_needs_no_family(tmp_path, capsys):
    assert main(["template", "book", str(tmp_path / "b")]) == 0
    before = (tmp_path / "b" / "policies.csv").read_bytes()
    (tmp_path / "b" / "policies.csv").write_bytes(before + b"P1,...\n")  # someone's data
    assert main(["template", "book", str(tmp_path / "b")]) == 2
    assert "never overwrites" in capsys.readouterr().err
    assert (tmp_path / "b" / "policies.csv").read_bytes().endswith(b"P1,...\n")
    assert main(["template", "filing", str(tmp_path / "f.xlsx")]) == 2
    assert "needs --family" in capsys.readouterr().err
    readme = (tmp_path / "b" / "README.md").read_text("utf-8")
    # every column of the tables explained, in both languages, with the product's values
    for header in ("`保单号 policy_id`", "`细分/人群 segment`", "`出险率 claims_per_member`",
                   "`未决赔款准备金(已报案) case_reserve`"):
        assert header in readme
    assert "in_catalogue (医保目录内自付)" in readme and "one of open, closed, reopened" in readme


def _small(product):
    """A 10-member book of the example's design, two of them with a cost."""
    pol = pd.DataFrame({"policy_id": [f"P{i}" for i in range(10)], "product": product.code,
                        "region": "Xincheng", "segment": "healthy",
                        "start_date": pd.Timestamp("2025-01-01"),
                        "end_date": pd.Timestamp("2025-12-31"), "premium": 109.0,
                        "exposure": 1.0, "policy_year": 2025, "age": 40})
    costs = pd.DataFrame({"policy_id": ["P1", "P2"], "benefit_line": "in_catalogue",
                          "cost": [30_000.0, 60_000.0]})
    return pol, costs


def test_a_book_of_another_product_region_or_too_small_warns_in_python():
    product = Product.from_toml(example_product_path())
    pol, costs = _small(product)
    with pytest.warns(BookWarning) as record:
        res = price_from_experience(product, pol.assign(region="苏州", product="HMB-SZ"), costs,
                                    trend=0.0)
    texts = [str(w.message) for w in record]
    assert any("10 of 10 member-years are of product HMB-SZ, but the product file is for "
               "HMB-XC" in t for t in texts)
    assert any("10 of 10 member-years are in region 苏州, but the product file's region is "
               "Xincheng" in t for t in texts)
    # payouts (30,000 − 20,000)·0.8 and (60,000 − 20,000)·0.8: CV 0.6 by hand
    pay = np.array([8_000.0, 32_000.0])
    assert pay.std() / pay.mean() == pytest.approx(0.6)
    z = np.sqrt(2 / (1082.2173 * 1.36))  # Longley-Cook's 1,082 claims (p 90%, k 5%) × (1 + CV²)
    assert res.assumptions["credibility"]["z"] == pytest.approx(z, rel=1e-5)
    assert any(f"credibility Z = {z:.3f}" in t for t in texts)
    assert len(res.assumptions["book_warnings"]) == 3
    # a large enough book of the product's own code and region: no warning, Z = 1
    assert book_credibility(np.r_[np.zeros(10), np.full(1083, 5.0)])["z"] == 1.0
    assert book_credibility(np.full(1082, 5.0))["z"] < 1.0
    with pytest.raises(ParameterError):
        book_credibility([1.0, -1.0])


def test_the_example_take_up_shape_is_never_applied_silently():
    from puhui.huiminbao.pricing_report import (
        SHAPE_KEYS,
        is_example_product,
        scenario_for,
        take_up_scenario,
    )

    example = Product.from_toml(example_product_path())
    other = replace(example, code="HMB-SZ", region=None)
    pol, costs = _small(other)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BookWarning)
        res = price_from_experience(other, pol, costs)
    assert is_example_product(example) and not is_example_product(other)
    # puhui price: left out for another product, with the reason; applied on request, labelled
    calibration, note = take_up_scenario(other, res)
    assert calibration is None and "anti-selection scenario is left out" in note
    with warnings.catch_warnings():
        warnings.simplefilter("error", BookWarning)  # said in the note, not warned
        calibration, note = take_up_scenario(other, res, example_take_up=True)
        assert calibration is not None
        assert "applied to product HMB-SZ at your request (--example-take-up)" in note
        assert take_up_scenario(example, res)[1] is None
    with pytest.warns(BookWarning, match="HMB-SZ is not the bundled example HMB-XC, but the "
                                         "take-up shape"):
        scenario_for(other, res)
    # with the insurer's own shape (all five keys) there is nothing to warn about
    shape = dict(levels=(0.6, 1.0, 1.6), weights=(0.3, 0.4, 0.3), old_price=99.0,
                 new_price=109.0, retention=(0.7, 0.8, 0.9))
    assert set(shape) == set(SHAPE_KEYS)
    with warnings.catch_warnings():
        warnings.simplefilter("error", BookWarning)
        calibrated = scenario_for(other, res, **shape)
        assert calibrated.params["sensitivity"] > 0
        scenario_for(example, res)  # the example product: its own shape, no warning


def test_validate_basis_checks_the_bands_as_the_review_reads_them(tmp_path, capsys):
    basis = hand_made_book()["basis"]
    path = tmp_path / "basis.csv"
    basis.to_csv(path, index=False, encoding="gbk")
    assert main(["validate", "basis", str(path)]) == 0
    bad = basis.copy()
    bad.loc[bad["age_band"] == "60+", "min_age"] = 55  # 0–59 and 55–120 overlap
    bad.loc[0, "max_age"] = -1
    bad.to_csv(path, index=False)
    assert main(["validate", "basis", str(path)]) == 2
    assert "[out_of_range]" in capsys.readouterr().err  # a negative age: the schema's bound
    bad.loc[0, "max_age"] = 59
    bad.to_csv(path, index=False)
    assert main(["validate", "basis", str(path)]) == 2
    assert "basis.csv, column 'age_band': [overlapping_bands] age bands overlap" in \
        capsys.readouterr().err
    bad.loc[bad["age_band"] == "60+", "min_age"] = 60
    bad.loc[bad["age_band"] == "60+", "max_age"] = 50
    bad.to_csv(path, index=False)
    assert main(["validate", "basis", str(path)]) == 2
    assert "[band_order] max_age is below min_age" in capsys.readouterr().err
