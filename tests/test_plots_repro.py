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
    assert set(man["outputs"]) == {"tables/t.csv", "figures/f.png", "report.md"}
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
