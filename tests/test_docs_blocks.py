"""Every ```python block of docs/ runs: each page's blocks in one namespace, in order (as a reader
would paste them into one notebook), or the block opens with ``# not run: <reason>``.

Pages are found anew at each run, so a block added to any page is run here without listing it.
The pages whose numbers are checked by a test of their own are run there, not twice.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pytest

from docblocks import DOCS, NOT_RUN, blocks, not_run_reason, run_blocks

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

#: page → the test that runs its blocks (and checks the figures the page quotes)
RUN_ELSEWHERE = {
    "adding_a_product.md": "test_adding_a_product.py",
    "pricing_huiminbao.md": "test_pricing_docs.py",
    "reinsurance.md": "test_reinsurance_docs.py",
}


def _pages() -> list[str]:
    return sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")
                  if blocks(p.relative_to(DOCS).as_posix()))


PAGES = _pages()


def test_pages_found():
    # the glob must keep finding the pages: 14 pages had python blocks when this was written
    assert len(PAGES) >= 14
    assert {"losses_and_benefits.md", "special_groups.md", "review.md"} <= set(PAGES)


@pytest.mark.parametrize("page", [p for p in PAGES if p not in RUN_ELSEWHERE])
def test_page_blocks_run(page):
    run_blocks(page)
    plt.close("all")


@pytest.mark.parametrize("page", sorted(RUN_ELSEWHERE))
def test_pages_skipped_here_are_run_by_their_own_test(page):
    text = (Path(__file__).parent / RUN_ELSEWHERE[page]).read_text("utf-8")
    assert re.search(r"(run_)?blocks\(\s*\"" + re.escape(page) + r"\"", text), (
        f"{page} is not run here because {RUN_ELSEWHERE[page]} runs it; it no longer does")
    assert all(not_run_reason(code) is None for code in blocks(page)), (
        f"{page}: its own test runs every block; a '{NOT_RUN}' marker would be ignored there")


@pytest.mark.parametrize("page", PAGES)
def test_not_run_markers_give_a_reason(page):
    for i, code in enumerate(blocks(page)):
        reason = not_run_reason(code)
        assert reason is None or len(reason) >= 5, (
            f"{page} block {i}: '{NOT_RUN}' needs a reason, e.g. '{NOT_RUN} the signature, not code'")


def test_marker_is_read_from_the_first_line_only():
    assert not_run_reason("# not run: the signature, not code\nf(x) -> y\n") == (
        "the signature, not code")
    assert not_run_reason("\n  # not run: a sketch\nx\n") == "a sketch"
    assert not_run_reason("import numpy as np\n# not run: too late\n") is None
    assert not_run_reason("# not running\nx = 1\n") is None


def test_an_unmarked_broken_block_fails(tmp_path, monkeypatch):
    # the runner raises on a block that neither runs nor is marked, and skips a marked one
    import docblocks

    (tmp_path / "page.md").write_text(
        "```python\n# not run: the signature, not code\nf(x) -> y\n```\n"
        "```python\nx = 1\n```\n```python\ny = undefined_name\n```\n", "utf-8")
    monkeypatch.setattr(docblocks, "DOCS", tmp_path)
    with pytest.raises(NameError, match="undefined_name"):
        docblocks.run_blocks("page.md")
    (tmp_path / "page.md").write_text("```python\n# not run: the signature, not code\n"
                                      "f(x) -> y\n```\n```python\nx = 1\n```\n", "utf-8")
    assert docblocks.run_blocks("page.md")["x"] == 1


def test_every_page_and_notebook_is_in_the_site_nav():
    # `make docs` (mkdocs --strict, validation.omitted_files: warn) fails on a page left out of
    # the nav of mkdocs.yml; this says so at test time, with the file to add
    root = DOCS.parent
    nav = set(re.findall(r":\s*(\S+\.(?:md|ipynb))\s*$", (root / "mkdocs.yml").read_text("utf-8"),
                         re.M))
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.glob("*.md")}
    pages |= {p.relative_to(DOCS).as_posix() for p in (DOCS / "api").glob("*.md")}
    pages |= {f"notebooks/{p.name}" for p in (root / "notebooks").glob("*.ipynb")}
    assert not pages - nav, f"add to the nav of mkdocs.yml: {sorted(pages - nav)}"
    assert not nav - pages, f"in the nav of mkdocs.yml but not in docs/: {sorted(nav - pages)}"
