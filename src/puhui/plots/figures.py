"""Creating and saving figures."""

from __future__ import annotations

import os
import tempfile
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


def save_figure(fig, path: str | os.PathLike, *, dpi: int = 120) -> Path:
    """Write ``fig`` to ``path`` as PNG atomically (temp file, then rename) and close it.

    PNG metadata that would change between runs (software version, date) is stripped so that the
    same figure gives the same bytes.
    """
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=dpi, format="png", metadata={"Software": None})
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
        plt.close(fig)
    return path
