"""The README's Jupyter example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np


def test_readme_python_example_runs():
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 1
    assert len(blocks[0].strip().splitlines()) <= 12
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    got = namespace["puhui"].expected_payout(namespace["costs"], namespace["grid"])
    assert got.shape == (3, 2)
    assert np.all(np.diff(got, axis=0) < 0) and np.all(np.diff(got, axis=1) > 0)
