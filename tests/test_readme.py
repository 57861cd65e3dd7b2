"""The README's Jupyter example runs as written; README.zh.md (中文) gives the same two commands,
the same command-line list and the same example code."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _text(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def _quick_start(text: str) -> list[str]:
    """The commands of the first ```bash block (the quick start), comments dropped."""
    return [line.split("#", 1)[0].strip() for line in _blocks(text, "bash")[0].splitlines()]


def _cli(text: str) -> list[str]:
    """The usage column of the command-line list (two or more spaces end a usage)."""
    return [re.split(r"\s{2,}", line.strip())[0] for line in _blocks(text, "text")[0].splitlines()]


def test_readme_python_example_runs():
    blocks = _blocks(_text("README.md"), "python")
    assert len(blocks) == 1
    assert len(blocks[0].strip().splitlines()) <= 12
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    got = namespace["puhui"].expected_payout(namespace["costs"], namespace["grid"])
    assert got.shape == (3, 2)
    assert np.all(np.diff(got, axis=0) < 0) and np.all(np.diff(got, axis=1) > 0)


def test_readme_zh_has_the_same_commands():
    en, zh = _text("README.md"), _text("README.zh.md")
    assert _quick_start(en) == ["make demo", "make test"]
    assert _quick_start(zh) == _quick_start(en)
    assert _cli(zh) == _cli(en) and len(_cli(en)) >= 10
    assert _blocks(zh, "bash")[1] == _blocks(en, "bash")[1]       # without make: same lines
    # the two examples differ only in their comments (so README.md's run covers both)
    assert len(_blocks(zh, "python")) == 1
    code = [[line.split("#", 1)[0].rstrip() for line in _blocks(t, "python")[0].splitlines()]
            for t in (en, zh)]
    assert code[0] == code[1]


def test_readmes_link_each_other():
    assert "](README.zh.md)" in _text("README.md")
    assert "](README.md)" in _text("README.zh.md")
