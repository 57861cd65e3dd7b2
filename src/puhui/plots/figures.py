"""Creating and saving figures."""

from __future__ import annotations

import io
import os
from pathlib import Path


def new_axes(ax=None, *, figsize=(7.0, 4.2)):
    """Return ``ax`` unchanged, or a fresh Axes on a new figure when ``ax`` is None."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    from .fonts import use_cjk_font

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
