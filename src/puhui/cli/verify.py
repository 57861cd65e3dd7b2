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
    print(f"Outputs written to {Path(out_dir)}/ (verify.csv, rules.csv, report.md)")
    print(result.verdict)
    return result.status


def run_template(what: str, family: str, out, *, example: str | None = None) -> Path:
    """``puhui template filing --family F [--example clean|planted] OUT.xlsx``."""
    from ..verify.examples import example_path
    from ..verify.template import workbook_from_folder, write_template

    if what != "filing":
        raise ParameterError(f"puhui template: only 'filing' is known, got {what!r}")
    if example is not None:
        return workbook_from_folder(example_path(family, example), out)
    return write_template(family, out)
