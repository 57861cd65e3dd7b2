"""The crop rate review (``puhui crop-review``) and the gig family (``puhui price|review|tune``
on a gig product file) in Chinese (issue 16, ``--lang zh``): every heading, sentence and caption
the sections write has its Chinese (``Report.untranslated == []``), no English sentence is left in
the zh report.md, and the zh and en reports carry the same numbers.

Each report is written once, through the command line with ``--lang zh``; its English twin is the
same section replayed on the same arguments into a ``lang="en"`` Report (report.md text only), so
the numbers cannot differ by a recomputation. The crop review is of the bundled example's first 24
counties (a planted county among them; it has one free-text note, which a zh report must list as
untranslated); the gig runs use a small example folder (80 riders)."""

from __future__ import annotations

import re
import warnings

import pytest

from puhui.cli import main

#: A number as the reports print it: 1,234.5, 0.1154, 95%, -1,334.93, 2024-12-31 (as 2024, 12, 31).
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:,\d{3})*(?:\.\d+)?")
#: Four English words in a row: a sentence (or a caption) left untranslated.
ENGLISH_RUN = re.compile(r"[A-Za-z]{2,}(?:[ ,;:]+[A-Za-z]{2,}){3,}")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _numbers(markdown: str) -> set[str]:
    """The numbers of a report: its prose and table cells (not the table headers, whose
    labels differ between the languages: ``P(payout > 0)`` is ``赔付概率``)."""
    lines = markdown.splitlines()
    kept = [line for i, line in enumerate(lines)
            if not (line.startswith("|") and i + 1 < len(lines) and lines[i + 1].startswith("|-"))]
    return set(NUMBER.findall("\n".join(kept)))


def _prose(markdown: str) -> list[str]:
    """The report's prose lines, headings included: not table rows, code spans or link
    targets."""
    lines = []
    for line in markdown.splitlines():
        if not line.strip() or line.startswith("|") or line.startswith("---"):
            continue
        line = re.sub(r"`[^`]*`", "", line)           # code: function names, file names
        line = re.sub(r"\]\([^)]*\)", "]", line)      # figure links
        lines.append(line)
    return lines


def _check_pair(zh: str, en: str, *, allowed: str = "") -> None:
    """The zh report: Chinese headings, no English run of words in its prose (but ``allowed``),
    the en report's numbers; the en report keeps English prose."""
    headings = [p for p in _prose(zh) if p.startswith("#")]
    assert headings and all(CJK.search(h) for h in headings), headings
    english = [m.group(0) for p in _prose(zh.replace(allowed, "") if allowed else zh)
               for m in [ENGLISH_RUN.search(p)] if m]
    assert english == [], english
    assert _numbers(zh) == _numbers(en)
    assert any(ENGLISH_RUN.search(p) for p in _prose(en))   # en is not Chinese by accident


def _recorder(mp, module, name: str, calls: dict) -> None:
    """Patch ``module.name`` (a report section) to record its report and arguments."""
    original = getattr(module, name)

    def record(rep, *args, **kw):
        calls[name] = (rep, args, kw)
        return original(rep, *args, **kw)

    mp.setattr(module, name, record)


def _english(section, args, kw) -> str:
    """The same section, on the same arguments, in an English report (report.md text)."""
    from puhui.report import Report
    from puhui.repro import Manifest

    rep = Report("Report", manifest=Manifest(command="test"), lang="en")
    section(rep, *args, **kw)
    assert rep.untranslated == []
    return rep.markdown()


# -- crop rate review --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def crop(tmp_path_factory):
    """``puhui crop-review --lang zh`` on the bundled example's first 24 counties (a planted one
    among them; small, so the workbook is quick to write), and the same section in English:
    ``(report.md, report.html, Report, English report.md, CropReview)``."""
    import pandas as pd

    import puhui.agri.review as review_module
    import puhui.agri.review_report as report_module
    from puhui.datasets import crop_review as example

    f = example.crop_review_files()
    e, filed = (pd.read_csv(f[k], encoding="utf-8-sig") for k in ("experience", "filed"))
    keep = sorted(e["region"].unique())[:24]
    res = review_module.crop_review(e[e["region"].isin(keep)], filed[filed["region"].isin(keep)],
                                    zones=f["zones"], as_of=example.AS_OF)
    calls = {}
    folder = tmp_path_factory.mktemp("crop_lang") / "zh"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(review_module, "crop_review", lambda *a, **k: res)
        _recorder(mp, report_module, "add_crop_review", calls)
        assert main(["crop-review", "--experience", str(f["experience"]), "--filed",
                     str(f["filed"]), "--zones", str(f["zones"]), "--as-of", example.AS_OF,
                     "--out", str(folder), "--lang", "zh"]) == 0
    rep, args, kw = calls["add_crop_review"]
    return ((folder / "report.md").read_text(encoding="utf-8"),
            (folder / "report.html").read_text(encoding="utf-8"), rep,
            _english(report_module.add_crop_review, args, kw), res)


def test_crop_review_is_chinese_throughout_with_the_same_numbers(crop):
    zh, html, rep, en, res = crop
    assert res.summary().attrs["above"] > 0 and res.adequacy_total is not None
    # every text has its Chinese but the review's free-text notes (here: wheat has no
    # between-county variance), which are listed as untranslated
    assert len(res.notes) == 1 and res.notes[0].startswith("wheat: no between-county variance")
    assert rep.lang == "zh" and rep.untranslated == list(res.notes)
    assert f"止于区间边界。说明：{res.notes[0]}" in zh
    assert f"stop at its edge. Notes: {res.notes[0]}" in en
    assert zh.startswith("# 农险费率回溯（分县）\n") and "## 分县费率回溯" in zh
    assert "### 评估日的保费不足准备金" in zh and "应提取保费不足准备金" in zh
    assert '<html lang="zh-CN">' in html and "分县费率回溯" in html
    _check_pair(zh, en, allowed=res.notes[0])
    assert "cells have an A/E interval above 1" in en   # English as before


# -- gig family ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gig(tmp_path_factory):
    """``puhui price|review|tune --lang zh`` on a small gig example folder (80 riders), and the
    same sections in English: ``{command: (report.md, Report, English report.md)}``."""
    import puhui.gig.reporting as reporting

    root = tmp_path_factory.mktemp("gig_lang")
    gg = root / "gg"
    assert main(["datasets", "example", "gig", "--out", str(gg), "--size", "80"]) == 0
    calls = {}
    out = {}
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no between-cell variance: tiny book
        for name in ("add_price", "add_review", "add_tuning"):
            _recorder(mp, reporting, name, calls)
        for command, name, extra in (
                ("price", "add_price", []), ("review", "add_review", []),
                ("tune", "add_tuning", ["--max-price", "3.5", "--alpha", "0.5"])):
            folder = root / command
            assert main([command, str(gg / "gig.toml"), "--data", str(gg), "--out",
                         str(folder), "--lang", "zh", *extra]) == 0
            rep, args, kw = calls.pop(name)
            out[command] = ((folder / "report.md").read_text(encoding="utf-8"), rep,
                            _english(getattr(reporting, name), args, kw))
    return out


@pytest.mark.parametrize("command,title,section", [
    ("price", "定价", "定价（按单、按天、按小时）"),
    ("review", "经验回溯", "经验回溯："),
    ("tune", "方案调优", "方案调优（医疗免赔额 × 赔付比例 × 每单保费）"),
])
def test_gig_reports_are_chinese_throughout_with_the_same_numbers(gig, command, title,
                                                                   section):
    zh, rep, en = gig[command]
    assert rep.lang == "zh" and rep.untranslated == []
    assert zh.startswith(f"# {title} — ") and f"## {section}" in zh
    assert "### 合规检查" in zh and "本险种没有现行有效的监管规则库" in zh
    _check_pair(zh, en)
    assert "No regulation rulebook in force for this family" in en
    if command == "tune":   # the chosen design's sentence, and the constraints read as words
        assert "**选定方案" in zh and "**Chosen design" in en
        assert "约束：所需保费 ≤ 3.5 元，预期综合成本率 ≤ 95%，P(综合成本率 > 100%) ≤ 50%" in zh
        assert "required premium ≤ 3.5 元, expected CR ≤ 95%, P(CR > 100%) ≤ 50%" in en


def test_gig_tuning_without_a_feasible_design_in_chinese():
    """The branch where no design meets the constraints, and the empty rule check."""
    from puhui.datasets.gig import load_gig
    from puhui.gig import GigProduct, example_product_path
    from puhui.gig.reporting import add_tuning
    from puhui.report import Report
    from puhui.repro import Manifest

    log = load_gig(workers=20)["log"]
    rep = Report("t", manifest=Manifest(command="t"), lang="zh", title_zh="t")
    used = add_tuning(rep, GigProduct.from_toml(example_product_path()), log,
                      deductibles=[0.0], payout_ratios=[0.8], premiums=[0.05],
                      as_of="2024-12-31")
    assert used["chosen_design"] is None and rep.untranslated == []
    md = rep.markdown()
    assert "**没有满足全部约束的方案**" in md and "没有可检查的指标（未选定方案）。" in md
