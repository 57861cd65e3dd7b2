"""MkDocs hook (mkdocs.yml ``hooks:``): docstrings written for Sphinx read well in the site too.

A Markdown preprocessor, used by the pages and by mkdocstrings alike, outside fenced blocks:

* fences each doctest in prose (``>>>``, ``...`` and the output up to a blank line) as a
  ``pycon`` code block: many docstrings show one outside an ``Examples`` section, and Markdown
  would read the ``>>>`` as nested block quotes and run the output into the text;
* shows a Sphinx role such as ``:func:`puhui.lev``` or ``:class:`~puhui.benefits.Benefit``` as
  the code it names (``puhui.lev``, ``Benefit``) instead of printing the role.
"""

from __future__ import annotations

import re

from markdown import Extension
from markdown.preprocessors import Preprocessor
from mkdocs.plugins import event_priority

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_ROLE = re.compile(r":(?:py:)?(?:func|class|mod|meth|attr|data|exc|obj|const):`(~?)([^`]+)`")


def _role(m: re.Match) -> str:
    target = m.group(2)
    return f"`{target.rsplit('.', 1)[-1] if m.group(1) else target}`"


class _DoctestFence(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        fence = None
        i = 0
        while i < len(lines):
            line = lines[i]
            m = _FENCE.match(line)
            if m:
                mark = m.group(1)
                if fence is None:
                    fence = mark
                elif mark[0] == fence[0] and len(mark) >= len(fence):
                    fence = None
            elif fence is None and line.lstrip().startswith(">>>"):
                indent = line[: len(line) - len(line.lstrip())]
                run = []
                while i < len(lines) and lines[i].strip() and lines[i].startswith(indent):
                    run.append(lines[i][len(indent):])
                    i += 1
                out += ["", indent + "```pycon", *(indent + r for r in run), indent + "```", ""]
                continue
            out.append(line if fence is not None else _ROLE.sub(_role, line))
            i += 1
        return out


class DoctestFenceExtension(Extension):
    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's name)
        # after whitespace normalisation (30), before fenced code is stashed (25)
        md.preprocessors.register(_DoctestFence(md), "puhui_doctest_fence", 27)


@event_priority(100)  # before mkdocstrings reads the Markdown extensions in its on_config
def on_config(config):
    config.markdown_extensions.append(DoctestFenceExtension())
    return config
