"""Every notebook in notebooks/ runs top to bottom without error (make test executes them)."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    assert any(c.cell_type == "markdown" for c in nb.cells), "a notebook explains itself"
    # The kernel draws figures as a reader's Jupyter does (the inline backend), so rendering
    # errors — missing glyphs, bad layouts — surface here too.
    env_backend = os.environ.pop("MPLBACKEND", None)
    try:
        client = NotebookClient(nb, timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": str(tmp_path)}})
        client.execute()
    finally:
        if env_backend is not None:
            os.environ["MPLBACKEND"] = env_backend
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    # A glyph drawn as an empty box is a figure the reader cannot read (issue 9).
    missing = [o["text"] for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
               if o.get("output_type") == "stream" and "missing from font" in o.get("text", "")]
    assert not missing, missing[0][:300]
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if "image/png" in o.get("data", {})]
    assert images, "a notebook for an actuary shows its figures"
