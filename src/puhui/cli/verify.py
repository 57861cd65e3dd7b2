"""Command-line runners for regulator spot checks: ``puhui verify FILING`` and ``puhui template
filing`` — read the filing, call :func:`puhui.verify.verify`, write the outputs
(:func:`puhui.verify.report.write`) and print one closing line saying which way it went."""

from __future__ import annotations

from pathlib import Path

from ..errors import ParameterError
from ..repro import check_output_folder


def run_verify(filing, out_dir, *, data=None, tolerances=()) -> int:
    """``puhui verify``: 0 when every figure and rule holds, 1 when not (bad input raises, the
    command then exits 2). Prints the one-line verdict."""
    from ..verify import verify
    from ..verify.compare import parse_tolerances
    from ..verify.report import write

    inputs = [filing] + ([data] if data is not None else [])
    check_output_folder(out_dir, inputs=inputs)  # refuse a bad --out before the work
    over = parse_tolerances(tolerances)
    result = verify(filing, data, tolerances=over)
    write(result, out_dir, data=data,
          argv_options={"data": None if data is None else str(data), "tolerance": over})
    print(f"Outputs written to {Path(out_dir)}/ (verify.csv, rules.csv, report.md, report.html, "
          "tables.xlsx)")
    print(result.verdict)
    return result.status


def run_template(what: str, family: str, out, *, example: str | None = None,
                 kind: str | None = None) -> Path:
    """``puhui template filing --family F [--kind K] [--example clean|planted] OUT.xlsx`` (F one
    of :data:`puhui.verify.filing.FAMILIES`; ``kind`` a smallbiz kind of
    :data:`puhui.verify.filing.SMALLBIZ_KINDS`, only with ``--family smallbiz``: property, the
    default, liability or employer — each has its own fields and figures)."""
    from ..verify.examples import example_path
    from ..verify.filing import SMALLBIZ_KINDS
    from ..verify.template import sheets_of, workbook_from_folder, write_template, write_workbook

    if what != "filing":
        raise ParameterError(f"puhui template: only 'filing' is known, got {what!r}")
    if kind is not None:
        if family != "smallbiz":
            raise ParameterError(f"--kind is a smallbiz kind ({', '.join(SMALLBIZ_KINDS)}); "
                                 f"the {family} filing has none")
        if kind not in SMALLBIZ_KINDS:
            raise ParameterError(f"unknown smallbiz kind {kind!r}: one of "
                                 f"{', '.join(SMALLBIZ_KINDS)}")
        if example is not None:      # the bundled folders: smallbiz_, smallbiz_liability_ …
            name = "smallbiz" if kind == "property" else f"smallbiz_{kind}"
            return workbook_from_folder(example_path(name, example), out)
        return write_workbook(out, sheets_of(SMALLBIZ_KINDS[kind], info={"kind": kind}))
    if example is not None:
        return workbook_from_folder(example_path(family, example), out)
    return write_template(family, out)
