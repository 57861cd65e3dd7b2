"""Creating and saving figures."""

from __future__ import annotations

import io
import os
from pathlib import Path


def new_axes(ax=None, *, figsize=(7.0, 4.2)):
    """Return ``ax``, or a fresh Axes on a new figure when ``ax`` is None, drawing with the
    fonts of :func:`puhui.plots.use_cjk_font`.

    An Axes made before the fonts were chosen (``plt.subplots()`` at the top of a notebook) keeps
    the font of its title and axis labels from then; they are switched to the chosen fonts, so
    Chinese set on them later does not come out as empty boxes.
    """
    from .fonts import use_cjk_font

    if ax is not None:
        if use_cjk_font():
            import matplotlib as mpl

            family = mpl.rcParams["font.family"]
            for text in (ax.title, ax._left_title, ax._right_title, ax.xaxis.label,
                         ax.yaxis.label):
                text.set_fontfamily(family)
        return ax
    import matplotlib.pyplot as plt

    use_cjk_font()
    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def figure_png(fig, *, dpi: int = 120) -> bytes:
    """The PNG bytes of ``fig``, which is then closed.

    PNG metadata that would change between runs (software version, date) is stripped so that the
    same figure gives the same bytes.
    """
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    try:
        fig.savefig(buf, dpi=dpi, format="png", metadata={"Software": None})
    finally:
        plt.close(fig)
    return buf.getvalue()


def save_figure(fig, path: str | os.PathLike, *, dpi: int = 120) -> Path:
    """Write ``fig`` to ``path`` as PNG atomically (:func:`puhui.repro.atomic_write_bytes`) and
    close it; same figure, same bytes (:func:`figure_png`)."""
    from puhui.repro import atomic_write_bytes

    return atomic_write_bytes(path, figure_png(fig, dpi=dpi))
