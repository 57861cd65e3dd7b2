"""The crop rate review (``puhui crop-review``) and the gig family (``puhui price|review|tune``
on a gig product file) in Chinese (issue 16, ``--lang zh``): every heading, sentence and caption
the sections write has its Chinese (``Report.untranslated == []``), no English sentence is left in
the zh report.md, and the zh and en reports carry the same numbers.

Each report is written once, through the command line with ``--lang zh``; its English twin is the
same section replayed on the same arguments into a ``lang="en"`` Report (report.md text only), so
the numbers cannot differ by a recomputation. The crop review is of the bundled example's first 24
counties (a planted county among them; it has one note, shown in Chinese like the rest); the gig
runs use a small example folder (80 riders)."""

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
    # every text has its Chinese, the review's notes too (here one: wheat has no
    # between-county variance; a Note made outside a language, so its str is the English)
    (note,) = res.notes
    assert note.startswith("wheat: no between-county variance") and note == note.en
    assert rep.lang == "zh" and rep.untranslated == []
    assert note.zh == ("wheat：县间方差未超出随机波动（Bühlmann–Straub a ≤ 0）：Z = 0，"
                       "各县均采用所在风险区的 A/E。")
    assert f"止于区间边界。说明：{note.zh}" in zh and note.en not in zh
    assert f"stop at its edge. Notes: {note.en}" in en and note.zh not in en
    assert zh.startswith("# 农险费率回溯（分县）\n") and "## 分县费率回溯" in zh
    assert "### 评估日的保费不足准备金" in zh and "应提取保费不足准备金" in zh
    assert '<html lang="zh-CN">' in html and "分县费率回溯" in html
    _check_pair(zh, en)
    assert "cells have an A/E interval above 1" in en   # English as before


def _tiny_book(indemnity):
    """Three counties of rice over 2021–2024 (a book small enough to review in milliseconds)."""
    import numpy as np
    import pandas as pd

    liability = np.array([[1.0e6, 1.2e6, 1.1e6, 1.3e6], [2.0e6, 2.0e6, 2.2e6, 2.4e6],
                          [0.8e6, 0.9e6, 1.0e6, 1.0e6]])
    e = pd.DataFrame({"region": np.repeat(list("ABC"), 4), "crop": "rice",
                      "year": np.tile([2021, 2022, 2023, 2024], 3),
                      "liability": liability.ravel(),
                      "indemnity": np.asarray(indemnity, float).ravel()})
    e["premium"] = e["liability"] * 0.05
    e["start_date"] = e["year"].astype(str) + "-04-01"
    e["end_date"] = e["year"].astype(str) + "-10-31"
    filed = pd.DataFrame({"region": list("ABC"), "crop": "rice", "benchmark_rate": 0.04,
                          "loading": 0.2, "factor": [1.0, 0.9, 1.2]})
    return e, filed


def test_crop_review_notes_are_bilingual(monkeypatch):
    # every note crop_review can write but one (cells in force without closed years) — no
    # loss at all, years and a county without loss anywhere, no cover periods before the 2023
    # band — is a Note: Chinese under --lang zh, its English otherwise, no Python list in it
    import numpy as np

    from puhui.agri.review import crop_review
    from puhui.report.labels import language
    from puhui.report.notes import Note

    ind = np.array([[0.0, 9e4, 3e4, 0.0], [0.0, 6e4, 0.0, 0.0], [0.0, 8e4, 3e4, 0.0]])
    gaps, filed = _tiny_book(ind)
    gaps = gaps[~((gaps["region"] == "A") & gaps["year"].isin([2022, 2023]))]
    early = _tiny_book(ind * 0 + 5e4)[0].drop(columns=["start_date", "end_date"])
    books = [(_tiny_book(np.zeros((3, 4)))[0], "2025-03-31"), (gaps, "2025-03-31"),
             (early.assign(year=early["year"] - 3), "2023-06-30")]
    with language("zh"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        notes = [n for e, as_of in books for n in crop_review(e, filed, as_of=as_of).notes]
    starts = {n.en.split(":")[0].split(" (")[0] for n in notes}
    assert {"rice", "no policy in force at 2025-03-31", "no cover periods",
            "no 费率调整系数 band in force on 2023-06-30 for subsidised products"} <= starts
    assert len(notes) == 8 and all(isinstance(n, Note) and n == n.zh for n in notes)
    assert "rice: years 2021, 2024 had no indemnity anywhere" in " ".join(n.en for n in notes)
    assert "rice：县 A 的经验年份全省均无赔款" in " ".join(n.zh for n in notes)
    for n in notes:
        assert CJK.search(n.zh) and not ENGLISH_RUN.search(re.sub(r"（[^）]*）", "", n.zh))
        assert "[" not in n.en and "[" not in n.zh and n.en.endswith(".") and n.zh.endswith("。")
    # the A/E figure's Chinese title has a full-width colon
    monkeypatch.setattr("puhui.plots.fonts.use_cjk_font", lambda: True)
    with language("zh"):
        ax = crop_review(gaps, filed, as_of="2025-03-31").plot()
    assert ax.get_title() == "费率回溯：各县实际/预期"
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


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
