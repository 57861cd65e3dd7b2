"""Matplotlib helpers shared by every puhui figure.

Figures carry Chinese labels when the machine has a CJK font (Noto Sans CJK, WenQuanYi, Droid,
SimHei, Microsoft YaHei, …) and fall back to English labels otherwise, so a figure never shows
empty boxes. Every plotting function in puhui takes ``ax=`` and returns the Axes.
"""

from __future__ import annotations

from .figures import figure_png, new_axes, save_figure
from .fonts import cjk_font, font_record, label, use_cjk_font

__all__ = ["cjk_font", "figure_png", "font_record", "label", "use_cjk_font", "new_axes", "save_figure"]
