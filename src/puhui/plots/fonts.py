"""CJK font discovery: Chinese labels where a font exists, English otherwise."""

from __future__ import annotations

import functools

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


@functools.cache
def cjk_font() -> str | None:
    """Name of an installed font family that can draw Chinese, or ``None``."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed:
            return family
    return None


def use_cjk_font() -> bool:
    """Put the CJK font (if any) first in matplotlib's sans-serif list; True when one was found."""
    import matplotlib as mpl

    family = cjk_font()
    if family is None:
        return False
    current = list(mpl.rcParams["font.sans-serif"])
    if current[:1] != [family]:
        mpl.rcParams["font.sans-serif"] = [family] + [f for f in current if f != family]
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["axes.unicode_minus"] = False
    return True


def label(zh: str, en: str) -> str:
    """The Chinese label when a CJK font is available, else the English one.

    >>> label("赔付率", "loss ratio") in {"赔付率", "loss ratio"}
    True
    """
    return zh if use_cjk_font() else en
