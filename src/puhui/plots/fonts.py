"""Fonts for figures that mix Chinese and Latin text (综合成本率 CR 2025: 105.6%, −20,000 元).

Many CJK fonts carry no Latin glyphs (Droid Sans Fallback, the default CJK font of many Linux
installs, has no digits at all), and the Latin fonts carry no Chinese. So figures use **a Latin
font first and the CJK font as its fallback**: matplotlib (≥ 3.6) looks each glyph up through the
``font.family`` list in order, so digits, Latin letters, θ and the minus sign come from DejaVu Sans
(shipped with matplotlib, hence the same on every machine) and the Chinese from the CJK font.

Without any CJK font, labels fall back to English (:func:`label`), so a figure never shows empty
boxes. A matplotlib font cache written before the CJK font was installed does not list it; the
system font folders are then searched once for the known CJK font files and those found are added.
"""

from __future__ import annotations

import functools
import re

#: The Latin font tried first for every glyph: it ships with matplotlib.
LATIN_FAMILY = "DejaVu Sans"

# Families that carry the CJK Unified Ideographs, most preferred first.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans SC",
    "Noto Serif CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "AR PL UMing CN",
    "Droid Sans Fallback",
)

# File names of those families, for a font cache that predates the font's installation.
_CJK_FILES = re.compile(r"(notosans.*(cjk|sc)|notoserifcjk|sourcehan|wqy|simhei|msyh|pingfang|"
                        r"stheiti|uming|droidsansfallback)", re.IGNORECASE)


def _installed() -> set[str]:
    from matplotlib import font_manager

    return {f.name for f in font_manager.fontManager.ttflist}


def _add_uncached_cjk_fonts() -> None:
    """Add the system's CJK font files that matplotlib's (older) font cache does not know."""
    from pathlib import Path

    from matplotlib import font_manager

    known = {f.fname for f in font_manager.fontManager.ttflist}
    for path in sorted(font_manager.findSystemFonts()):
        if path not in known and _CJK_FILES.search(Path(path).name):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue  # an unreadable font file is skipped: the next family is tried


@functools.cache
def cjk_font() -> str | None:
    """Name of an installed font family that can draw Chinese, or ``None``.

    The environment variable ``PUHUI_CJK_FONT`` names a family to prefer (it must be installed;
    otherwise the usual order applies and a warning says so).
    """
    import os
    import warnings

    wanted = os.environ.get("PUHUI_CJK_FONT", "").strip()
    installed = _installed()
    if not installed.intersection(CJK_FAMILIES) or (wanted and wanted not in installed):
        _add_uncached_cjk_fonts()
        installed = _installed()
    if wanted:
        if wanted in installed:
            return wanted
        warnings.warn(f"PUHUI_CJK_FONT={wanted!r} is not an installed font family; using the "
                      "first installed of puhui.plots.fonts.CJK_FAMILIES", stacklevel=2)
    for family in CJK_FAMILIES:
        if family in installed:
            return family
    return None


def font_record() -> dict:
    """The fonts figures are drawn with, for a run's manifest.

    >>> sorted(font_record())
    ['cjk', 'latin']
    """
    return {"latin": LATIN_FAMILY, "cjk": cjk_font()}


def use_cjk_font() -> bool:
    """Draw Latin glyphs with DejaVu Sans and Chinese with the CJK font; True when one was found.

    Sets ``font.family`` to ``[DejaVu Sans, <CJK family>]`` (glyph-by-glyph fallback), so mixed
    labels render whatever CJK font the machine has. Without a CJK font nothing changes and
    :func:`label` gives English text.
    """
    import matplotlib as mpl

    family = cjk_font()
    if family is None:
        return False
    mpl.rcParams["font.family"] = [LATIN_FAMILY, family]
    mpl.rcParams["axes.unicode_minus"] = True  # DejaVu Sans has the true minus sign U+2212
    return True


def label(zh: str, en: str) -> str:
    """The Chinese label when a CJK font is available, else the English one; the English one
    always when the report language is English (``--lang en``,
    :func:`puhui.report.labels.language`).

    >>> label("赔付率", "loss ratio") in {"赔付率", "loss ratio"}
    True
    """
    from ..report.labels import current_language

    if current_language() == "en":
        return en
    return zh if use_cjk_font() else en
