"""Notes in two languages (说明): the sentences a family's functions return beside their numbers
(the 惠民保 review's ``res.notes``, the take-up sentence of tuning, the book's warnings of
pricing; the crop review's ``res.notes``).

A :class:`Note` is a ``str`` — the text in the report language in force when it was made
(:func:`puhui.report.labels.tr`: Chinese under ``--lang zh``, else English) — that also carries
both texts and the report section it belongs to, so a report shows it in the report's own
language (:func:`say`) and puts it in its section whatever the language.
"""

from __future__ import annotations

from .labels import tr

__all__ = ["Note", "say"]


class Note(str):
    """A sentence in English (``en``) and Chinese (``zh``) with the report ``section`` it belongs
    to; as a ``str`` it is the text in the language in force when it was made.

    >>> from puhui.report.labels import language
    >>> n = Note("Expenses actual.", "费用为实际数。", section="ratios")
    >>> n, n.zh, n.section
    ('Expenses actual.', '费用为实际数。', 'ratios')
    >>> with language("zh"):
    ...     Note("Expenses actual.", "费用为实际数。")
    '费用为实际数。'
    """

    en: str
    zh: str
    section: str

    def __new__(cls, en: str, zh: str, *, section: str = "intro"):
        self = super().__new__(cls, tr(en, zh))
        self.en, self.zh, self.section = en, zh, section
        return self

    def __reduce__(self):  # pickled with its text as made, both languages and its section
        return _restore, (str(self), self.en, self.zh, self.section)


def _restore(text: str, en: str, zh: str, section: str) -> Note:
    note = str.__new__(Note, text)
    note.en, note.zh, note.section = en, zh, section
    return note


def say(rep, note) -> str:
    """``note`` in the language of the report ``rep`` (:meth:`puhui.report.Report.tr`): a
    :class:`Note` by its own two texts; any other text as given (listed in
    ``rep.untranslated`` in a ``lang="zh"`` report).

    >>> from puhui.report import Report
    >>> from puhui.repro import Manifest
    >>> rep = Report("R", manifest=Manifest(command="doctest"), lang="zh", title_zh="回溯")
    >>> say(rep, Note("Expenses actual.", "费用为实际数。")), rep.untranslated
    ('费用为实际数。', [])
    """
    if isinstance(note, Note):
        return rep.tr(note.en, note.zh)
    return rep.tr(str(note))
