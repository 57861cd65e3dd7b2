"""Regulator spot checks (监管抽查复核): recompute a filing and check the rules in force.

A filing (:mod:`puhui.verify.filing`: an .xlsx workbook or a folder of TOML + CSV) states a
product, its pricing basis, its rates and its results. :func:`verify` recomputes every filed
figure with the family's own functions (:mod:`puhui.verify.huiminbao`, :mod:`.crop`,
:mod:`.life`, :mod:`.smallbiz`, :mod:`.gig`, :mod:`.health`), compares it within a tolerance (:mod:`puhui.verify.compare`) and checks the
rulebooks in force on the filed period (:func:`puhui.rules.check`). A filing puhui cannot read
or recompute is refused with an error (``DataError`` / ``ParameterError``), never half-checked.

================  =============================================================
``status`` 0      every figure within tolerance and every rule holds
``status`` 1      a figure differs beyond tolerance or a rule fails
(exception)       bad input: the command exits 2
================  =============================================================

>>> from puhui.verify import verify, example_filing
>>> v = verify(example_filing("crop", "planted"))
>>> v.status, sorted(v.findings())
(1, [('rates.csv', 'D5'), ('rates.csv', 'E7'), ('rates.csv', 'F3'), ('rates.csv', 'G9'), ('results.csv', 'C2')])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .compare import compare, parse_tolerances
from .filing import FAMILIES, Filing, read_filing
from .report import rules_table

__all__ = ["FAMILIES", "Filing", "Verification", "example_filing", "read_filing", "verify"]


@dataclass
class Verification:
    """The result of :func:`verify`: ``figures`` (verify.csv), ``rules`` (rules.csv), notes
    (English with Chinese terms; ``notes_zh`` the same in Chinese, for a ``--lang zh`` report)."""

    filing: Filing
    figures: pd.DataFrame
    rules: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    tolerances: dict = field(default_factory=dict)
    notes_zh: list[str] = field(default_factory=list)

    @property
    def status(self) -> int:
        """0 when every figure and rule holds, else 1."""
        ok = bool(self.figures["passed"].all()) and bool(self.rules["passed"].astype(bool).all())
        return 0 if ok else 1

    def findings(self) -> set[tuple[str, str]]:
        """(sheet, cell) of every figure beyond tolerance and every failed rule."""
        bad = self.figures[~self.figures["passed"]]
        out = set(zip(bad["sheet"], bad["cell"], strict=True))
        failed = self.rules[~self.rules["passed"].astype(bool)]
        return out | set(zip(failed["sheet"], failed["cell"], strict=True))

    @property
    def verdict(self) -> str:
        """The one line printed at the end of ``puhui verify``."""
        n_fig = int((~self.figures["passed"]).sum())
        n_rule = int((~self.rules["passed"].astype(bool)).sum())
        if self.status == 0:
            return (f"VERIFIED: all {len(self.figures)} figures within tolerance and all "
                    f"{len(self.rules)} rule checks hold")
        where = ", ".join(f"{s}!{c}" for s, c in sorted(self.findings()))
        return (f"NOT VERIFIED: {n_fig} figure(s) beyond tolerance, {n_rule} rule check(s) "
                f"failed — at {where}")


def verify(filing, data=None, *, tolerances=None) -> Verification:
    """Recompute a filing and check the rules in force.

    Parameters
    ----------
    filing : path or Filing
        An .xlsx workbook or a folder (:func:`puhui.verify.filing.read_filing`).
    data : path, optional
        The experience data folder (惠民保: as for ``puhui review``; smallbiz, gig and health:
        the folder of ``puhui datasets example smallbiz|gig|health``); needed by the figures recomputed
        from experience.
    tolerances : dict or list of "ID=VALUE", optional
        Absolute tolerances by figure id or base id, replacing the defaults and the filing's.
    """
    from . import crop, gig, health, huiminbao, life, smallbiz

    f = filing if isinstance(filing, Filing) else read_filing(filing)
    over = (parse_tolerances(tolerances) if not isinstance(tolerances, dict)
            else {str(k): float(v) for k, v in tolerances.items()})
    run = {"huiminbao": huiminbao.recompute, "crop": crop.recompute, "life": life.recompute,
           "smallbiz": smallbiz.recompute, "gig": gig.recompute,
           "health": health.recompute}[f.family.name]
    rows, rules, notes = run(f, None if data is None else Path(data))
    return Verification(f, compare(rows, over), rules_table(rules), [n[0] for n in notes], over,
                        [n[1] for n in notes])


def example_filing(family: str, kind: str = "clean") -> Path:
    """The bundled example filing folder of ``family`` (``kind`` "clean" or "planted")."""
    from .examples import example_path

    return example_path(family, kind)
