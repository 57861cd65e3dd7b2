"""Figure helpers (CJK font or English fallback, deterministic PNGs) and run manifests."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import pandas as pd

import puhui.plots.fonts as fonts
from puhui.plots import label, new_axes, save_figure
from puhui.report import Report, markdown_table
from puhui.repro import Manifest, atomic_write_text, sha256_file


def test_label_falls_back_to_english_without_a_cjk_font(monkeypatch):
    monkeypatch.setattr(fonts, "cjk_font", lambda: None)
    assert label("赔付率", "loss ratio") == "loss ratio"


def test_label_is_chinese_with_a_cjk_font(monkeypatch):
    monkeypatch.setattr(fonts, "cjk_font", lambda: "DejaVu Sans")
    assert label("赔付率", "loss ratio") == "赔付率"


def test_found_font_really_has_chinese_glyphs():
    family = fonts.cjk_font()
    if family is None:
        return  # nothing to check on a machine without a CJK font: labels are English
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    path = font_manager.findfont(family, fallback_to_default=False)
    assert FT2Font(path).get_char_index(ord("赔")) != 0


def _installed_cjk_families() -> list[str]:
    from matplotlib import font_manager

    fonts.cjk_font()  # adds CJK fonts that an older font cache does not list
    names = {f.name for f in font_manager.fontManager.ttflist}
    return [f for f in fonts.CJK_FAMILIES if f in names]


MIXED = "综合成本率 CR 2025: 105.6%, −20,000 元"


def _render_mixed(tmp_path, name):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax = new_axes()
        ax.plot([-20_000, 0, 20_000], [0.9, 1.056, 1.1], label=label("赔付率 θ=0.8", "LR θ=0.8"))
        ax.set_title(label(MIXED, "combined ratio CR 2025: 105.6%, −20,000 yuan"))
        ax.set_xlabel(label("起付线（元）IBNR", "deductible (yuan) IBNR"))
        ax.legend()
        save_figure(ax.figure, tmp_path / f"{name}.png")
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_mixed_labels_render_on_every_installed_cjk_font(tmp_path, monkeypatch):
    """Digits, Latin letters, θ and the minus sign beside Chinese: no glyph may be missing,
    whichever CJK font draws the Chinese (Droid Sans Fallback has no Latin glyphs at all; issue 9).
    """
    families = _installed_cjk_families()
    for family in families:
        monkeypatch.setattr(fonts, "cjk_font", lambda family=family: family)
        assert _render_mixed(tmp_path, family.replace(" ", "_")) == [], family
    monkeypatch.setattr(fonts, "cjk_font", lambda: None)  # no CJK font: English labels
    assert _render_mixed(tmp_path, "english") == []


def test_a_font_cache_older_than_the_cjk_font_still_finds_it(monkeypatch):
    """A CJK font installed after matplotlib wrote its font cache is found on the disk."""
    from matplotlib import font_manager

    families = _installed_cjk_families()
    if not families:
        return  # no CJK font on this machine: English labels, covered above
    mgr = font_manager.fontManager
    stale = [f for f in mgr.ttflist if f.name not in fonts.CJK_FAMILIES]
    monkeypatch.setattr(mgr, "ttflist", stale)
    fonts.cjk_font.cache_clear()
    try:
        assert fonts.cjk_font() in fonts.CJK_FAMILIES
    finally:
        fonts.cjk_font.cache_clear()


def test_manifest_records_the_figure_font():
    record = Manifest(command="t").to_dict()["figure_font"]
    assert record == {"latin": "DejaVu Sans", "cjk": fonts.cjk_font()}


def test_new_axes_reuses_given_axes():
    fig, ax = plt.subplots()
    assert new_axes(ax) is ax
    plt.close(fig)


def test_png_bytes_are_reproducible(tmp_path):
    def draw(path):
        ax = new_axes()
        ax.plot([0, 1, 2], [3, 1, 2])
        ax.set_title(label("综合成本率", "combined ratio"))
        save_figure(ax.figure, path)

    draw(tmp_path / "a.png")
    draw(tmp_path / "b.png")
    assert sha256_file(tmp_path / "a.png") == sha256_file(tmp_path / "b.png")


def test_report_and_manifest(tmp_path):
    data = tmp_path / "in.csv"
    atomic_write_text(data, "a,b\n1,2\n")
    m = Manifest(command="test", seed=7, assumptions={"as_of": "2026-02-28"})
    m.add_input("table", data, rows=1, relative_to=tmp_path)
    rep = Report("T", manifest=m)
    rep.table("t", pd.DataFrame({"product": ["HMB"], "loss_ratio": [0.8123], "paid": [1234.5]}),
              caption="cap")
    ax = new_axes()
    ax.plot([1, 2])
    rep.figure("f", ax.figure, caption="fig")
    out = rep.write(tmp_path / "out")
    doc = (out / "report.md").read_text(encoding="utf-8")
    assert "| HMB | 81.23% | 1,234.50 |" in doc and "figures/f.png" in doc
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert man["inputs"]["table"]["sha256"] == sha256_file(data)
    assert man["inputs"]["table"]["path"] == "in.csv"
    assert man["seed"] == 7 and man["versions"]["numpy"] != "not installed"
    assert set(man["outputs"]) == {"tables/t.csv", "figures/f.png", "report.md", "report.html",
                                   "tables.xlsx"}
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert written == set(man["outputs"]) | {"manifest.json"}  # every file written is listed
    assert man["invocation"] is None  # the Python API; the command line records argv
    assert {"commit", "dirty"} <= set(man["source"]) and man["threads"]["cpu_count"] >= 1
    first = (out / "manifest.json").read_bytes()
    rep2 = Report("T", manifest=Manifest(command="test", seed=7,
                                         assumptions={"as_of": "2026-02-28"}))
    rep2.manifest.add_input("table", data, rows=1, relative_to=tmp_path)
    rep2.table("t", pd.DataFrame({"product": ["HMB"], "loss_ratio": [0.8123],
                                  "paid": [1234.5]}), caption="cap")
    ax = new_axes()
    ax.plot([1, 2])
    rep2.figure("f", ax.figure, caption="fig")
    assert (rep2.write(tmp_path / "out2") / "manifest.json").read_bytes() == first


def test_markdown_table_truncates():
    text = markdown_table(pd.DataFrame({"x": range(100)}), max_rows=5)
    assert "95 more rows" in text


def test_data_model_doc_is_current():
    from pathlib import Path

    from puhui.data.docs import render

    doc = Path(__file__).resolve().parents[1] / "docs" / "data_model.md"
    assert doc.read_text(encoding="utf-8") == render(), "run: python -m puhui.data.docs"
