"""Run the ```python blocks of a page of docs/ as a test (one namespace, nothing printed)."""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"


def blocks(page: str) -> list[str]:
    """The ```python blocks of ``docs/<page>``, in order."""
    return re.findall(r"```python\n(.*?)```", (DOCS / page).read_text("utf-8"), re.S)


def run_blocks(page: str) -> dict:
    """Every block of ``docs/<page>`` run in one namespace, with ``print`` silenced; the
    namespace is returned so that a test can check the figures the page quotes."""
    ns: dict = {}
    for i, code in enumerate(blocks(page)):
        exec(compile(code.replace("print(", "(lambda *a, **k: None)("),  # noqa: S102
                     f"{page}[{i}]", "exec"), ns)
    return ns
