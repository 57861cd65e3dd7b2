"""Text for ``puhui rules list`` and ``puhui rules show`` (the rulebooks as plain tables).

Columns are padded by display width, so Chinese text (two columns a character) lines up.

>>> print(list_books(as_of="2024-06-30"))   # doctest: +ELLIPSIS
id                              kind        文号 (document)  ...
cn.agri.actuarial_2023          regulation  银保监规〔2023〕4号 ...
...
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from ..errors import ParameterError
from ..rules.book import Rulebook, _near, load_rulebook, rulebook, rulebooks


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in [header, *rows]]
    return "\n".join(lines)


def _kind(book: Rulebook) -> str:
    return f"{book.kind} (example)" if book.example else book.kind


def list_books(as_of=None) -> str:
    """One line per shipped book: id, kind, 文号, in force, number of rules."""
    books = rulebooks(as_of=as_of)
    rows = [[b.id, _kind(b), b.document, b.in_force_text, str(len(b.rules))] for b in books]
    text = _table(["id", "kind", "文号 (document)", "in force", "rules"], rows)
    when = f" in force on {as_of}" if as_of else ""
    return (f"{text}\n\n{len(books)} rulebook(s){when}. Policy books are company policy, "
            "never regulation; `puhui rules show ID` prints one.")


def _book_for(ref: str | None) -> Rulebook:
    if ref is None:
        ids = [b.id for b in rulebooks()]
        raise ParameterError(f"rules show needs a book id or a .toml file; known ids: "
                             f"{', '.join(ids)}")
    if ref.endswith(".toml") or Path(ref).is_file():
        return load_rulebook(ref)
    ids = [b.id for b in rulebooks()]
    if ref not in ids:
        raise ParameterError(f"unknown rulebook id '{ref}'{_near(ref, ids)} "
                             f"(known: {', '.join(ids)})")
    return rulebook(ref)


def show_book(ref: str | None) -> str:
    """A book's identity, its rules as a table, then each rule's note."""
    b = _book_for(ref)
    head = [f"{b.id} — {b.title} / {b.title_en}",
            f"kind: {_kind(b)}{'  (company policy, not regulation)' if b.kind == 'policy' else ''}",
            f"document (文号): {b.document}",
            f"issuer: {b.issuer}",
            f"issued: {b.issued.isoformat()}   in force: {b.in_force_text}   "
            f"version: {b.version}",
            f"metadata confirmed: {'yes' if b.confirmed else 'no'}"]
    if b.url:
        head.append(f"url: {b.url}")
    if b.note:
        head.append(f"note: {b.note}")
    t = b.table()
    rows = [[r.id, r.quantity, r.limit, r.scope or "(any)", r.article,
             "yes" if r.confirmed else "NO"] for r in t.itertuples()]
    table = _table(["rule", "quantity", "limit", "scope", "article (条)", "confirmed"], rows)
    notes = [f"  {r.id}: {r.description}." + (f" Note: {r.note}" if r.note else "")
             for r in t.itertuples()]
    return "\n".join(head) + "\n\n" + table + "\n\nRules and notes:\n" + "\n".join(notes)
