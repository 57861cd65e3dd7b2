"""``puhui rerun MANIFEST --out DIR``: re-execute the run a manifest describes and compare.

A regulator (or the actuary who filed a result) checks that a filed report is what the recorded
command gives on the recorded inputs:

1. the manifest is read back (:func:`puhui.repro.read_manifest`: a folder command's
   ``manifest.json``, or its folder, or ``puhui reprice``'s ``OUT.manifest.json``);
2. every input's SHA-256 is checked against the file now at the recorded place
   (``relative_to / path``, :func:`puhui.repro.input_location`). A missing or changed input is
   named — input name, path, recorded and current SHA-256 and size — and the rerun stops
   (exit 2) unless ``--allow-changed``, when the differences that follow are expected;
3. the recorded command line (``invocation.argv``) runs again in a child process, in the
   recorded working directory, with the same BLAS/OpenMP thread pinning (``threads.pinned``,
   and the user's ``*_NUM_THREADS`` as recorded), its output redirected to ``--out`` — never
   over the original output. A command that exits 1 with its outputs written (``puhui verify``:
   NOT VERIFIED, its own finding) is compared like any other;
4. the new outputs are compared with the recorded ones byte for byte (SHA-256): each file is
   ``identical``, ``differs`` (the rerun wrote other bytes), ``missing`` (recorded, not
   written), ``new`` (written, not recorded) or ``original_changed`` (the rerun reproduces the
   record but the original output file beside the manifest no longer matches its recorded
   hash: it was edited after the run). For CSV and Parquet tables the first differing cells
   are listed (row, column, recorded → new); the recorded values are read from the original
   output beside the manifest, so where that is gone only the hash mismatch can be reported;
5. ``rerun_comparison.csv`` (file, recorded_sha256, new_sha256, status, original_sha256,
   first_difference) is written into ``--out``; the manifest's ``source``, ``versions``,
   ``platform``, ``figure_font`` and ``threads`` are compared with the rerun's and a
   difference is printed as a warning (context, not a failure).

Exit status: 0 every recorded output reproduced byte for byte; 1 an output differs, is
missing or new, or an original output was edited; 2 bad input (a missing manifest, a file that
is not a puhui run manifest, a manifest without a command line, a changed input without
``--allow-changed``, an ``--out`` over the original output, a rerun that failed). The last line
says which.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import shown_value
from ..repro import (
    MANIFEST_NAME,
    THREAD_ENV,
    ManifestError,
    _overlap,
    atomic_write_bytes,
    input_location,
    read_manifest,
    sha256_file,
    thread_record,
)

EXIT_IDENTICAL, EXIT_DIFFERENT, EXIT_BAD_INPUT = 0, 1, 2

#: The comparison table written into ``--out``.
COMPARISON_NAME = "rerun_comparison.csv"
#: Suffix of a single-file output's manifest (``puhui reprice``: ``OUT`` + this).
FILE_MANIFEST_SUFFIX = ".manifest.json"
#: Differing cells listed per table.
MAX_CELLS = 5
#: Commands whose manifests cannot be rerun (they write no run manifest).
NOT_RERUNNABLE = ("rerun", "validate", "rules", "datasets")
#: Manifest entries compared as context (a difference is a warning, not a failure).
CONTEXT_KEYS = ("source", "versions", "platform", "figure_font", "threads")

_TABLES = (".csv", ".parquet")
_TEXTS = (".md", ".txt", ".json")


def _short(digest: str | None) -> str:
    return digest[:12] + "…" if digest else "—"


def _size(n) -> str:
    return f"{n:,} bytes" if isinstance(n, int) else "size not recorded"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


#: How each output status is named in the summary line.
_STATUS_WORDS = {"differs": "differ", "missing": "missing", "new": "new",
                 "original_changed": "original edited"}


# -- the inputs ------------------------------------------------------------------------------


@dataclass
class InputCheck:
    """One recorded input against the file now at its recorded place."""

    name: str
    entry: dict
    location: Path | None
    sha256: str | None = None  # the current file's; None when missing or unknown
    size: int | None = None

    @property
    def status(self) -> str:
        if self.location is None:
            return "unknown"
        if self.sha256 is None:
            return "missing"
        return "same" if self.sha256 == self.entry["sha256"] else "changed"

    def describe(self) -> list[str]:
        where = self.location if self.location is not None else self.entry["path"]
        rec = f"recorded sha256 {self.entry['sha256']} ({_size(self.entry.get('bytes'))})"
        if self.status == "missing":
            return [f"input missing: {self.name} — {where}", f"    {rec}",
                    "    current  no file there"]
        return [f"input changed: {self.name} — {where}", f"    {rec}",
                f"    current  sha256 {self.sha256} ({_size(self.size)})"]


def check_inputs(doc: dict) -> list[InputCheck]:
    """Each recorded input's SHA-256 against the file now at ``relative_to / path``."""
    checks = []
    for name, entry in sorted(doc["inputs"].items()):
        loc = input_location(entry)
        check = InputCheck(name, entry, loc)
        if loc is not None and loc.is_file():
            check.sha256, check.size = sha256_file(loc), loc.stat().st_size
        checks.append(check)
    return checks


# -- the outputs -----------------------------------------------------------------------------


@dataclass
class OutputComparison:
    """One output file: recorded hash, the rerun's, the original file's beside the manifest."""

    file: str
    recorded: str | None
    new: str | None
    original: str | None
    details: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.recorded is None:
            return "new"
        if self.new is None:
            return "missing"
        if self.new != self.recorded:
            return "differs"
        if self.original is not None and self.original != self.recorded:
            return "original_changed"
        return "identical"


def _read_cells(path: Path):
    """A table's cells as text, as a reader sees them (CSV: UTF-8 with or without BOM)."""
    import pandas as pd

    if path.suffix.lower() == ".parquet":
        df = pd.read_parquet(path)
        return df.astype(str)
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def table_differences(old: Path, new: Path, *, old_label: str = "recorded",
                      new_label: str = "new", limit: int = MAX_CELLS) -> list[str]:
    """The first cells where two tables differ, one line each:
    ``row R, column 'C': <old_label> X → <new_label> Y`` (rows counted from 1 below the header),
    after any difference in columns or row count, and the number of differing cells left out.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "a.csv").write_text("x,y\\n1,2\\n3,4\\n")
    >>> _ = (d / "b.csv").write_text("x,y\\n1,2\\n3,5\\n")
    >>> table_differences(d / "a.csv", d / "b.csv")
    ["row 2, column 'y': recorded 4 → new 5"]
    """
    import numpy as np

    try:
        a, b = _read_cells(old), _read_cells(new)
    except Exception as err:  # a file edited into something that is not a table
        return [f"cannot be compared cell by cell ({type(err).__name__}: "
                f"{str(err).splitlines()[0] if str(err) else ''})"]
    lines = []
    a = a.loc[:, ~a.columns.duplicated()]
    b = b.loc[:, ~b.columns.duplicated()]
    gone = [c for c in a.columns if c not in set(b.columns)]
    added = [c for c in b.columns if c not in set(a.columns)]
    if gone or added:
        lines.append(f"columns: {old_label} has {gone or 'none'} that {new_label} lacks; "
                     f"{new_label} has {added or 'none'} that {old_label} lacks")
    if len(a) != len(b):
        lines.append(f"rows: {old_label} {len(a):,} → {new_label} {len(b):,}")
    common = [c for c in a.columns if c in set(b.columns)]
    n = min(len(a), len(b))
    x = a[common].iloc[:n].to_numpy(dtype=object)
    y = b[common].iloc[:n].to_numpy(dtype=object)
    where = np.argwhere(x != y)  # row-major: the first differing rows first
    for r, c in where[:limit]:
        lines.append(f"row {r + 1}, column {common[c]!r}: {old_label} "
                     f"{shown_value(x[r, c])} → {new_label} {shown_value(y[r, c])}")
    if len(where) > limit:
        lines.append(f"… {len(where) - limit:,} more differing cells ({len(where):,} in all)")
    if not lines:
        lines.append("the same cells; the bytes differ (encoding, quoting or line ends)")
    return lines


def _text_difference(old: Path, new: Path, old_label: str, new_label: str) -> list[str]:
    try:
        a = old.read_text(encoding="utf-8").splitlines()
        b = new.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    for i, (s, t) in enumerate(zip(a, b, strict=False)):
        if s != t:
            return [f"line {i + 1}: {old_label} {shown_value(s)!r} → {new_label} "
                    f"{shown_value(t)!r}"]
    if len(a) != len(b):
        return [f"lines: {old_label} {len(a):,} → {new_label} {len(b):,}"]
    return []


def _differences(old: Path, new: Path, old_label: str, new_label: str) -> list[str]:
    suffix = new.suffix.lower()
    if suffix in _TABLES:
        return table_differences(old, new, old_label=old_label, new_label=new_label)
    if suffix in _TEXTS:
        return _text_difference(old, new, old_label, new_label)
    return []


def compare_outputs(recorded: dict, original_root: Path, new_root: Path,
                    new_files: list[str]) -> list[OutputComparison]:
    """Compare the rerun's files (``new_files`` under ``new_root``) with the recorded hashes
    and, where they still exist, the original files under ``original_root``."""
    rows = []
    for rel in sorted(set(recorded) | set(new_files)):
        orig_path, new_path = original_root / rel, new_root / rel
        row = OutputComparison(
            rel, recorded.get(rel), sha256_file(new_path) if rel in new_files else None,
            sha256_file(orig_path) if orig_path.is_file() else None)
        status = row.status
        if status == "differs":
            if row.original is None:
                row.details.append(f"only the hash mismatch can be reported: the original "
                                   f"output {orig_path} is no longer beside the manifest")
            else:
                old_label = ("recorded" if row.original == row.recorded
                             else "original (edited since the run)")
                row.details += _differences(orig_path, new_path, old_label, "new")
        elif status == "original_changed":
            # the rerun reproduces the record, so its file holds the recorded values
            row.details.append(f"the original {orig_path} no longer matches its recorded "
                               "SHA-256; the rerun reproduces the record")
            row.details += _differences(new_path, orig_path, "recorded", "original now")
        rows.append(row)
    return rows


def _files_under(root: Path, skip=()) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and not p.is_symlink()
                  and p.relative_to(root).as_posix() not in skip)


def _comparison_csv(rows: list[OutputComparison]) -> bytes:
    import pandas as pd

    from ..report import csv_bytes

    return csv_bytes(pd.DataFrame(
        [{"file": r.file, "recorded_sha256": r.recorded or "", "new_sha256": r.new or "",
          "status": r.status, "original_sha256": r.original or "",
          "first_difference": r.details[0] if r.details else ""} for r in rows],
        columns=["file", "recorded_sha256", "new_sha256", "status", "original_sha256",
                 "first_difference"]))


# -- context: options, source, versions ------------------------------------------------------


def _plain(value):
    return json.loads(json.dumps(value, default=str))


def _flatten(d, prefix="") -> dict:
    out = {}
    for k, v in (d.items() if isinstance(d, dict) else ()):
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def context_changes(old: dict, new: dict, keys=CONTEXT_KEYS) -> list[str]:
    """``key.sub: old → new`` for each entry of ``keys`` that differs between two manifests
    (lists such as the thread pools are compared whole).

    >>> context_changes({"versions": {"numpy": "1.26.4"}}, {"versions": {"numpy": "2.0.0"}})
    ['versions.numpy: 1.26.4 → 2.0.0']
    """
    lines = []
    for key in keys:
        a, b = _flatten({key: old.get(key)}), _flatten({key: new.get(key)})
        for sub in sorted(set(a) | set(b)):
            if _plain(a.get(sub)) != _plain(b.get(sub)):
                va, vb = a.get(sub, "absent"), b.get(sub, "absent")
                if isinstance(va, list) or isinstance(vb, list):
                    lines.append(f"{sub}: differ")
                else:
                    lines.append(f"{sub}: {va} → {vb}")
    return lines


# -- the command line ------------------------------------------------------------------------


def _is_out_option(token: str) -> bool:
    """``--out`` or an abbreviation argparse accepts (``--o``, ``--ou``)."""
    return len(token) >= 3 and "--out".startswith(token)


def redirect_argv(argv: list[str], out: str) -> list[str]:
    """The recorded ``argv`` (without the program) with its ``--out`` replaced by ``out``.

    >>> redirect_argv(["tune", "p.toml", "--data", "d", "--out", "o", "--alpha", "0.1"], "/x")
    ['tune', 'p.toml', '--data', 'd', '--alpha', '0.1', '--out', '/x']
    >>> redirect_argv(["demo"], "/x")
    ['demo', '--out', '/x']
    """
    kept, skip = [], False
    for token in argv:
        if skip:
            skip = False
            continue
        head, eq, _ = token.partition("=")
        if _is_out_option(head):
            skip = not eq
            continue
        kept.append(token)
    return [*kept, "--out", out]


def _command_line(doc: dict, path: Path) -> list[str]:
    if "invocation" not in doc:
        raise ManifestError(f"{path} was written by an older puhui that did not record the "
                            "command line (no \"invocation\"): it cannot be rerun; run the "
                            "command again with this puhui to get a manifest that can")
    inv = doc["invocation"]
    if inv is None:
        raise ManifestError(f"{path} was written from the Python API (\"invocation\" is null: "
                            "no command line recorded): only a run of the puhui command can be "
                            "rerun")
    argv = inv.get("argv") if isinstance(inv, dict) else None
    if not (isinstance(argv, list) and len(argv) >= 2 and all(isinstance(a, str) for a in argv)
            and argv[0] == "puhui"):
        raise ManifestError(f"{path} is damaged: \"invocation.argv\" is not a puhui command line")
    if argv[1] in NOT_RERUNNABLE:
        raise ManifestError(f"{path} records `puhui {argv[1]}`, which writes no run outputs to "
                            "compare: it cannot be rerun")
    return argv[1:]


def _thread_env(doc: dict) -> tuple[dict, str]:
    """The child's environment: the thread pinning and ``*_NUM_THREADS`` as recorded."""
    env = dict(os.environ)
    threads = doc.get("threads") if isinstance(doc.get("threads"), dict) else {}
    user = threads.get("env") if isinstance(threads.get("env"), dict) else None
    user = user if user is not None else thread_record()["env"]  # ours, outside our own pin
    for k in THREAD_ENV:
        if user.get(k) is None:
            env.pop(k, None)
        else:
            env[k] = str(user[k])
    if "pinned" in threads:
        pinned = threads["pinned"]
        env["PUHUI_THREADS"] = str(pinned) if isinstance(pinned, int) and pinned > 0 else "0"
    env["PYTHONIOENCODING"] = "utf-8"
    return env, env.get("PUHUI_THREADS", "1")


def _run_child(argv: list[str], cwd: Path, env: dict) -> tuple[int, str, str]:
    """Run ``python -m puhui.cli ARGV`` in ``cwd``; on our own interrupt the child is given a
    moment to clean up its staged output, then terminated."""
    child = subprocess.Popen([sys.executable, "-m", "puhui.cli", *argv], cwd=cwd, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = child.communicate()
    except BaseException:
        try:
            child.wait(timeout=5)  # it got the terminal's Ctrl-C too
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGTERM)  # cleans its temporary folder and exits 143
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:  # pragma: no cover
                child.kill()
        raise
    return (child.returncode, out.decode("utf-8", "replace"),
            err.decode("utf-8", "replace"))


def _stamp(path: Path) -> tuple | None:
    """What tells a file rewritten from the one there before (None: no file)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _relay(text: str, stream) -> None:
    for line in text.splitlines():
        print(f"  | {line}", file=stream)


# -- the runner ------------------------------------------------------------------------------


def run_rerun(manifest: str | os.PathLike, out: str | os.PathLike, *,
              allow_changed: bool = False) -> int:
    """``puhui rerun``: check the inputs, re-execute, compare; returns the exit status."""
    from . import build_parser

    path, doc = read_manifest(manifest)
    argv = _command_line(doc, path)
    inv = doc["invocation"]
    folder_run = path.name == MANIFEST_NAME
    output_name = None if folder_run else path.name[:-len(FILE_MANIFEST_SUFFIX)]
    if not folder_run and (not path.name.endswith(FILE_MANIFEST_SUFFIX) or not output_name):
        raise ManifestError(f"{path}: a run manifest is named {MANIFEST_NAME} (in the run's "
                            f"folder) or OUT{FILE_MANIFEST_SUFFIX} (beside the file OUT)")
    print(f"manifest: {path} — {doc['command']}")
    warnings: list[str] = []

    # where the command ran: relative paths in argv are relative to it
    cwd_text = inv.get("cwd") if isinstance(inv.get("cwd"), str) else None
    if cwd_text and Path(cwd_text).is_dir():
        cwd = Path(cwd_text)
    else:
        cwd = Path.cwd()
        warnings.append(f"the run's working directory {cwd_text} no longer exists" if cwd_text
                        else "the manifest does not record the run's working directory "
                        "(written by an older puhui)")
        warnings[-1] += f"; relative paths of the command line are taken from {cwd}"
    recorded_out = inv.get("options", {}).get("out") if isinstance(inv.get("options"),
                                                                     dict) else None

    # --out: never over the original output
    out = Path(os.path.abspath(os.fspath(out)))
    originals = [path.parent if folder_run else path.parent / output_name]
    if isinstance(recorded_out, str):
        originals.append(Path(os.path.abspath(cwd / recorded_out)))
    if folder_run:
        target = out
        for orig in originals:
            how = _overlap(out, orig)
            if how is not None:
                raise ManifestError(f"--out {out} {how} the original output folder {orig}: "
                                    "the rerun must not write over it; choose a new folder")
    else:
        if out.exists() and not out.is_dir():
            raise ManifestError(f"--out {out} is an existing file: give a folder; the rerun "
                                f"writes {output_name} and its manifest into it")
        target = out / output_name
        for orig in originals:
            if _overlap(target, orig) == "is":
                raise ManifestError(f"--out {out} would put the rerun's {output_name} over the "
                                    f"original output {orig}; choose another folder")

    # the inputs, before anything runs
    checks = check_inputs(doc)
    unknown = [c for c in checks if c.status == "unknown"]
    bad = [c for c in checks if c.status in ("missing", "changed")]
    for c in bad:
        for i, line in enumerate(c.describe()):
            if allow_changed:
                print(line + (" (allowed: --allow-changed)" if i == 0 else ""))
            else:
                print(line, file=sys.stderr)
    if unknown:
        warnings.append(f"{_count(len(unknown), 'input')} without a recorded location (a manifest "
                        "written before puhui recorded relative_to): they are checked after "
                        "the rerun, against the rerun's own manifest")
    if bad and not allow_changed:
        for w in warnings:
            print(f"warning: {w}", file=sys.stderr)
        print(f"puhui rerun: {_input_summary(bad)} — not rerun; give --allow-changed to rerun "
              "anyway", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not bad and not unknown:
        print(f"inputs: {_count(len(checks), 'input')}, each matching its recorded SHA-256")

    # the command line, redirected; it must still parse, with the recorded options
    new_argv = redirect_argv(argv, str(target))
    try:
        parsed = vars(build_parser().parse_args(new_argv))
    except SystemExit:
        raise ManifestError(f"the recorded command line `puhui {shlex.join(argv)}` does not "
                            "parse with this puhui (see the message above)") from None
    options = inv.get("options") if isinstance(inv.get("options"), dict) else {}
    for key in sorted((set(parsed) | set(options)) - {"out"}):
        if _plain(parsed.get(key)) != _plain(options.get(key)):
            warnings.append(f"option {key}: recorded {options.get(key, 'absent')!r}, this "
                            f"puhui parses {parsed.get(key, 'absent')!r}")
    env, threads = _thread_env(doc)
    new_manifest = target / MANIFEST_NAME if folder_run else target.with_name(
        target.name + FILE_MANIFEST_SUFFIX)
    before = _stamp(new_manifest)
    print(f"running: puhui {shlex.join(new_argv)}  (in {cwd}, PUHUI_THREADS={threads})")
    status, child_out, child_err = _run_child(new_argv, cwd, env)
    _relay(child_out, sys.stdout)
    _relay(child_err, sys.stderr)
    # exit 1 is a command's own finding with its outputs written (`puhui verify`: NOT VERIFIED)
    ran = status == 0 or (status == 1 and _stamp(new_manifest) not in (None, before))
    if not ran:
        last = next((ln for ln in reversed(child_err.splitlines()) if ln.strip()), "")
        print(f"puhui rerun: the rerun failed (exit {status}): {last}; nothing to compare",
              file=sys.stderr)
        return status if status in (130, 143) else EXIT_BAD_INPUT
    if status == 1:
        print("note: the command exited 1, its own finding, with its outputs written; they are "
              "compared below")

    # the new run's manifest: inputs actually read, and context
    _, new_doc = read_manifest(new_manifest)
    flagged = {c.name for c in bad}
    unexpected, late = [], []
    for name, entry in sorted(doc["inputs"].items()):
        got = new_doc["inputs"].get(name)
        if got is None:
            warnings.append(f"input {name}: recorded, but the rerun did not read it")
            continue
        was, now = input_location(entry), input_location(got)
        if was is not None and now is not None and was != now:
            warnings.append(f"input {name}: recorded at {was}, the rerun read {now}")
        if got["sha256"] != entry["sha256"] and name not in flagged:
            line = (f"input {name}: the rerun read sha256 {got['sha256']} ({now or got['path']})"
                    f", recorded {entry['sha256']}")
            (late if input_location(entry) is None else unexpected).append(line)
    for name in sorted(set(new_doc["inputs"]) - set(doc["inputs"])):
        warnings.append(f"input {name}: read by the rerun, not recorded")

    # the outputs
    if folder_run:
        new_files = _files_under(target, skip=(MANIFEST_NAME, COMPARISON_NAME))
    else:
        new_files = [output_name] if target.is_file() else []
    rows = compare_outputs(doc["outputs"], path.parent, out, new_files)
    if folder_run:
        extra = [f for f in _files_under(path.parent, skip=(MANIFEST_NAME,))
                 if f not in doc["outputs"]]
        if extra:
            warnings.append(f"the original folder holds {len(extra)} file(s) its manifest does "
                            f"not list: {', '.join(extra[:5])}")
    comparison = atomic_write_bytes(out / COMPARISON_NAME, _comparison_csv(rows))

    for line in context_changes(doc, new_doc):
        warnings.append(f"{line} (context, not a failure)")
    for w in warnings:
        print(f"warning: {w}")
    different = [r for r in rows if r.status != "identical"]
    for r in different:
        label = r.status.replace("_", " ")
        if r.status == "original_changed":
            print(f"{label}: {r.file}  recorded {_short(r.recorded)} = new, original now "
                  f"{_short(r.original)}")
        else:
            print(f"{label}: {r.file}  recorded {_short(r.recorded)} → new {_short(r.new)}")
        for d in r.details:
            print(f"    {d}")
    for line in unexpected + late:
        print(line)
    same = len(rows) - len(different)
    if not different:
        print(f"identical: {_count(same, 'file')}")
    print(f"comparison table: {comparison}")

    changed_note = (f"; expected: {_input_summary(bad)} (--allow-changed)" if bad else "")
    if late:  # allowed: the inputs found different after the rerun are expected too
        changed_note += (f"; expected: {_count(len(late), 'input')} found different after the "
                         "rerun (--allow-changed)")
    if late and not allow_changed:
        print(f"puhui rerun: {_count(len(late), 'input')} "
              f"{'differs' if len(late) == 1 else 'differ'} from the record (found after the "
              "rerun); give --allow-changed to accept", file=sys.stderr)
        return EXIT_BAD_INPUT
    if different or unexpected:
        counts = {}
        for r in different:
            counts[r.status] = counts.get(r.status, 0) + 1
        what = ", ".join(f"{n} {_STATUS_WORDS[s]}" for s, n in sorted(counts.items()))
        tail = (f"; the rerun read {_count(len(unexpected), 'input')} other than recorded"
                if unexpected else "")
        print(f"puhui rerun: DIFFERENT — {len(different)} of {_count(len(rows), 'file')} "
              f"differ from the record ({what or 'none'}){tail}{changed_note}")
        return EXIT_DIFFERENT
    despite = f"; despite {_input_summary(bad)} (--allow-changed)" if bad else ""
    print(f"puhui rerun: identical — {_count(len(rows), 'recorded output')} reproduced byte "
          f"for byte{despite}")
    return EXIT_IDENTICAL


def _input_summary(bad: list[InputCheck]) -> str:
    changed = sum(c.status == "changed" for c in bad)
    missing = len(bad) - changed
    parts = ([_count(changed, "input") + " changed"] if changed else []) + (
        [_count(missing, "input") + " missing"] if missing else [])
    return ", ".join(parts) + " (" + ", ".join(c.name for c in bad) + ")"
