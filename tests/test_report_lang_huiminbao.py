"""`--lang zh` for the 惠民保 reports (issue 16): the review, tuning and pricing sections and the
demo's crop section write every heading, sentence and caption in Chinese — nothing left in
``rep.untranslated`` — with the same numbers as the English report; the review's notes go to
their sections by the section they carry, not by their English words; the command line gives
the reports their Chinese titles.

The sections are built once per module on the small session book (conftest ``book``: 1,500
members a year) in both languages, figures drawn but not rendered to PNG (the figures are
tested elsewhere), so the file costs a few seconds.
"""

from __future__ import annotations

import pickle
import re
import warnings
from types import SimpleNamespace

import matplotlib.pyplot as plt
import pytest

from puhui.huiminbao import Product, example_product_path
from puhui.report import Report
from puhui.report.labels import language
from puhui.report.notes import Note, say
from puhui.repro import Manifest

#: A number as the reports write it: digits with thousands separators and decimals.
NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _numbers(markdown: str) -> set[str]:
    return set(NUMBER.findall(markdown))


def _report(lang: str) -> Report:
    return Report("惠民保", manifest=Manifest(command="test"), lang=lang, title_zh="惠民保")


@pytest.fixture(scope="module")
def sections(book):
    """The review, tuning and pricing sections of the small book, in English and Chinese."""
    from puhui.huiminbao import price_from_experience, review
    from puhui.huiminbao.folder import read_book
    from puhui.huiminbao.pricing_report import add_pricing, take_up_scenario
    from puhui.huiminbao.reporting import add_review
    from puhui.huiminbao.tuning import add_tuning, tune

    product = Product.from_toml(example_product_path())
    data = read_book(book, product=product)
    res = review(product, data.policies, data.claims, data.basis, as_of=data.valuation_date,
                 costs=data.costs)
    # a small grid and a price at which a design worse for members than today's is chosen
    # (today's fails expected CR ≤ 80%): the choice, its warning and the ranking are written
    grid = dict(deductibles=(20_000, 25_000), ratios=(0.5, 0.6), price=250.0, alpha=0.6)
    tuned = tune(product, data.policies, data.costs, constraints=["expected_cr<=0.8"], **grid)
    with warnings.catch_warnings():  # the small book is not fully credible: said in the report
        warnings.simplefilter("ignore")
        priced = price_from_experience(product, data.policies, data.costs)
    calibration, _ = take_up_scenario(product, priced)
    adders = {
        "review": lambda rep: add_review(rep, res),
        "tune": lambda rep: add_tuning(rep, *tuned, product),
        "price": lambda rep: add_pricing(rep, priced, product, calibration=calibration),
    }
    out = {}
    with pytest.MonkeyPatch.context() as mp:  # figures drawn, not rendered (tested elsewhere)
        mp.setattr("puhui.plots.figure_png", lambda fig: plt.close(fig) or b"")
        for name, add in adders.items():
            reps = {lang: _report(lang) for lang in ("en", "zh")}
            for rep in reps.values():
                add(rep)
            out[name] = reps
    return SimpleNamespace(reps=out, review=res, tuned=tuned, priced=priced, product=product,
                           data=data, grid=grid)


def _prose(rep: Report) -> list[str]:
    """The report's headings, paragraphs and captions (not its tables' cells)."""
    return [p[2] if p[0] == "table" else p[-1] for p in rep._parts]


@pytest.mark.parametrize("name", ["review", "tune", "price"])
def test_zh_sections_are_chinese_throughout_with_the_same_numbers(sections, name):
    en, zh = sections.reps[name]["en"], sections.reps[name]["zh"]
    assert zh.untranslated == []
    md_en, md_zh = en.markdown(), zh.markdown()
    headings = [line for line in md_zh.splitlines() if line.startswith("#")]
    assert len(headings) >= 2 and all(CJK.search(h) for h in headings)
    # every heading, paragraph and caption of the zh report is Chinese, none the English one
    for text_en, text_zh in zip(_prose(en), _prose(zh), strict=True):
        if text_en:
            assert CJK.search(text_zh), text_zh
            assert text_zh != text_en or not re.search("[a-z]{4}", text_en), text_zh
    # the same figures in both languages
    assert _numbers(md_zh) == _numbers(md_en)
    assert "**" in md_zh  # the bold warnings and results keep their emphasis


def test_tuning_section_shows_the_warning_in_both_languages(sections):
    md_en, md_zh = (sections.reps["tune"][lang].markdown() for lang in ("en", "zh"))
    assert "**Warning: the chosen design is worse for members than today's**" in md_en
    assert "**警告：选定方案对参保人不如现行方案**" in md_zh
    assert "（限值 ≤ 80.0%）" in md_zh and "(limit <= 80.0%)" in md_en


def test_tuning_section_when_today_s_design_is_chosen(sections):
    # today's design off the grid's cells and chosen: marked as today's on the heat map (□),
    # not an error "design 4 is not in the map"
    from puhui.huiminbao.tuning import add_tuning, tune

    ev, choice, cons = tune(sections.product, sections.data.policies, sections.data.costs,
                            **sections.grid)
    assert bool(choice.row["current"])
    rep = _report("zh")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("puhui.plots.figure_png", lambda fig: plt.close(fig) or b"")
        add_tuning(rep, ev, choice, cons, sections.product)
    assert rep.untranslated == [] and f"**选定方案 {choice.design}**" in rep.markdown()


def test_review_notes_carry_their_section_not_their_words(sections):
    res = sections.review
    assert res.notes and all(isinstance(n, Note) for n in res.notes)
    sections_of = {n.section for n in res.notes}
    assert sections_of <= {"intro", "ibnr", "ratios", "indication"}
    assert {"intro", "ibnr", "ratios", "indication"} <= sections_of
    # each note is shown in its section's paragraph in either language: the Chinese one where
    # the English one is
    for lang, text in (("en", "en"), ("zh", "zh")):
        rep = sections.reps["review"][lang]
        paragraphs = [p[1] for p in rep._parts if p[0] == "text"]
        for note in res.notes:
            home = [i for i, p in enumerate(paragraphs) if getattr(note, text) in p]
            assert home, (lang, note.en)
        by_section = {}
        for note in res.notes:
            i = next(i for i, p in enumerate(paragraphs) if getattr(note, text) in p)
            by_section.setdefault(note.section, set()).add(i)
        assert all(len(v) == 1 for v in by_section.values())  # one paragraph per section
        assert len(set().union(*by_section.values())) == 4  # four sections, four paragraphs


def test_note_is_the_text_in_force_and_keeps_both_languages():
    n = Note("Expenses actual.", "费用为实际数。", section="ratios")
    assert n == "Expenses actual." and n.startswith("Expenses")
    with language("zh"):
        z = Note("Expenses actual.", "费用为实际数。", section="ratios")
    assert z == "费用为实际数。" and z.en == "Expenses actual." and z.section == "ratios"
    back = pickle.loads(pickle.dumps(z))
    assert (back, back.en, back.zh, back.section) == (z, z.en, z.zh, z.section)
    # a plain text has no Chinese: a zh report lists it
    rep = _report("zh")
    assert say(rep, n) == "费用为实际数。" and say(rep, "free text") == "free text"
    assert rep.untranslated == ["free text"]


def test_the_book_warning_of_pricing_is_bilingual(sections):
    warning = sections.priced.assumptions["book_warnings"][0]
    assert isinstance(warning, Note) and warning.startswith("the book is too small")
    assert "可信度 Z" in warning.zh
    assert _numbers(warning.en) == _numbers(warning.zh)


def test_demo_crop_section_in_chinese_with_the_same_numbers():
    # the demo's section 4 on a small seeded province (6 counties × 3 crops × 30 years), so the
    # demo itself need not run again (tests/test_demo.py runs it in English)
    import numpy as np
    import pandas as pd

    from puhui.demo import _crop_section

    rng = np.random.default_rng(16)
    years = np.arange(1995, 2025)
    yields = pd.DataFrame([
        {"region": f"XN{i:03d}", "crop": crop, "year": int(y),
         "yield": float(base + 2.0 * (y - 1995) + rng.normal(0, 25 + 8 * i))}
        for i in range(1, 7) for crop, base in (("maize", 300), ("rice", 450), ("wheat", 280))
        for y in years])
    products = [f"XN-FC-{c}" for c in ("maize", "rice", "wheat")]
    earned = np.array([100.0, 120.0, 130.0] * 3)
    incurred = earned * np.array([2.1, 0.8, 0.1, 2.3, 0.3, 0.02, 1.9, 0.7, 0.3])
    experience = pd.DataFrame({"product": np.repeat(products, 3),
                               "policy_year": [2022, 2023, 2024] * 3,
                               "earned_premium": earned, "incurred": incurred,
                               "incurred_loss_ratio": incurred / earned})
    crops = SimpleNamespace(yields=yields, policies=pd.DataFrame({"product": products}))
    reps = {lang: _report(lang) for lang in ("en", "zh")}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("puhui.plots.figure_png", lambda fig: plt.close(fig) or b"")
        for rep in reps.values():
            _crop_section(rep, crops, experience)
    en, zh = reps["en"], reps["zh"]
    assert zh.untranslated == []
    md_en, md_zh = en.markdown(), zh.markdown()
    assert "## 4. 农作物费率重算与风险区划" in md_zh and "230%" in md_zh  # the worst year
    assert "水稻风险区划" in md_zh
    for text_en, text_zh in zip(_prose(en), _prose(zh), strict=True):
        assert CJK.search(text_zh) and text_zh != text_en
    assert _numbers(md_zh) == _numbers(md_en)


def test_a_chain_ladder_note_says_in_chinese_why_mack_is_missing():
    # puhui.experience.ibnr writes its notes in English; the review's Chinese says what the
    # note means and keeps its detail
    from puhui.huiminbao.review import _mack_note_zh

    note = ("Mack standard error not available: the development period(s) 3–4 rest on fewer "
            "than 2 origins. It needs ≥ 3 development periods reported by ≥ 2 origins each, "
            "with link ratios that differ in at least 2 of them: more policy years or more "
            "claims.")
    zh = _mack_note_zh(note)
    assert zh.startswith("Mack 标准误无法给出") and zh.endswith(f"（原文：{note}）")
    assert _numbers(zh) == _numbers(note)
    assert _mack_note_zh("other") == "other"


def test_the_commands_write_chinese_reports_with_chinese_titles(sections, book, tmp_path,
                                                                monkeypatch):
    # `puhui review|tune|price --lang zh`: the command runners, their computations replaced
    # by the module's results and the folder not written (tests/test_cli_price.py and the
    # review/tune tests run the commands whole)
    import puhui.cli.huiminbao as cli
    import puhui.huiminbao.pricing as pricing

    written = []
    monkeypatch.setattr(cli.Report, "write", lambda self, out, **kw: written.append(self))
    monkeypatch.setattr("puhui.plots.figure_png", lambda fig: plt.close(fig) or b"")
    monkeypatch.setattr(cli, "review", lambda *a, **k: sections.review)
    monkeypatch.setattr(cli, "tune", lambda *a, **k: sections.tuned)
    monkeypatch.setattr(pricing, "price_from_experience", lambda *a, **k: sections.priced)
    path = example_product_path()
    with language("zh"):
        cli.run_review(path, book, tmp_path / "review")
        cli.run_tune(path, book, tmp_path / "tune")
        cli.run_price(path, book, tmp_path / "price")
    name = sections.product.name
    assert [r.title for r in written] == [f"精算回溯 — {name}", f"方案调优 — {name}",
                                          f"定价 — {name}"]
    assert all(r.lang == "zh" and r.untranslated == [] for r in written)
    assert written[2].markdown().count("**注意：**") == 1  # the book's warning, in Chinese
    # in the default language (English prose; `--lang en` the same) the titles are English,
    # the Chinese term in brackets
    written.clear()
    cli.run_review(path, book, tmp_path / "review")
    cli.run_tune(path, book, tmp_path / "tune")
    cli.run_price(path, book, tmp_path / "price")
    assert [r.title for r in written] == [f"Actuarial review (精算回溯) — {name}",
                                          f"Tuning (方案调优) — {name}",
                                          f"Pricing (定价) — {name}"]


def test_indication_table_is_shown_in_the_report_language(sections):
    # the indication's items and bases, and the benefit levers' names and designs, are Chinese
    # in a zh report and English otherwise; the rows' numbers read the same in both (a ratio
    # row as 85.20%, by its English item); the CSV keeps the English columns and adds the zh
    t = sections.review.indication_table
    assert list(t.columns) == ["item", "value", "basis", "item_zh", "basis_zh"]
    shown = {}
    for lang in ("en", "zh"):
        rep = sections.reps["review"][lang]
        md = rep.markdown()
        block = md[md.index("tables/review_indication.csv"):]
        rows = [line.split(" | ") for line in block.split("\n\n")[1].splitlines()[2:]]
        shown[lang] = {r[0].lstrip("| "): r[1:] for r in rows}
        assert list(rep._tables["review_indication"].columns) == [
            "item", "value", "shown", "basis", "item_zh", "basis_zh"]
    en, zh = shown["en"], shown["zh"]
    assert len(en) == len(zh) == len(t) and list(zh) == list(t["item_zh"])
    assert en["complement loss ratio (%)"][0] == zh["信度补项赔付率"][0] == \
        f"{t.set_index('item').loc['complement loss ratio', 'value']:.2%}"
    assert [v[:2] for v in en.values()] == [v[:2] for v in zh.values()]   # value, shown
    assert zh["可信度 Z"][2] == f"{int(t['value'].iloc[0])} 年度赔款 A/E 的可信度 |"
    for (_, _, basis), item in zip(zh.values(), zh, strict=True):
        assert CJK.search(item) and not re.search(r"[a-z]{4} [a-z]{4}", item + basis), item
    assert en["credibility Z"][2] == f"A/E credibility of {int(t['value'].iloc[0])}'s claims |"
    levers = sections.review.benefit_levers
    assert {"lever_zh", "design_zh"} <= set(levers.columns)
    md_zh = sections.reps["review"]["zh"].markdown()
    md_en = sections.reps["review"]["en"].markdown()
    assert "| 现行方案 | 0.00 | 按报备方案 |" in md_zh and "current design" not in md_zh
    assert "| current design | 0.00 | as filed |" in md_en and "现行方案" not in md_en
    assert "| 调整方式 | 参数 | 方案 |" in md_zh
