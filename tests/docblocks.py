"""Run the ```python blocks of a page of docs/ as a test (one namespace, nothing printed)."""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"

#: A block shown but not run on purpose (a signature, say) opens with this comment and a reason:
#: ``# not run: the signature, not code`` (the convention is in docs/index.md).
NOT_RUN = "# not run:"


def blocks(page: str) -> list[str]:
    """The ```python blocks of ``docs/<page>``, in order."""
    return re.findall(r"```python\n(.*?)```", (DOCS / page).read_text("utf-8"), re.S)


def not_run_reason(code: str) -> str | None:
    """The reason after ``# not run:`` on the block's first line, or None for a runnable block."""
    first = code.lstrip().partition("\n")[0].strip()
    return first[len(NOT_RUN):].strip() if first.startswith(NOT_RUN) else None


def run_blocks(page: str) -> dict:
    """Every block of ``docs/<page>`` run in one namespace, with ``print`` silenced; the
    namespace is returned so that a test can check the figures the page quotes. Blocks marked
    ``# not run: <reason>`` are skipped."""
    ns: dict = {}
    for i, code in enumerate(blocks(page)):
        if not_run_reason(code) is not None:
            continue
        exec(compile(code.replace("print(", "(lambda *a, **k: None)("),  # noqa: S102
                     f"{page}[{i}]", "exec"), ns)
    return ns
