"""Reproducibility and outputs: whole-or-absent output folders, file hashes and run manifests.

A regulator re-running a filed result must get the same bytes. Every report puhui writes
carries a ``manifest.json`` stating what went in and what came out: each input's path, size and
SHA-256, the command line and every option after parsing, the source commit, the versions of
Python and of the numerical libraries, the thread counts, the figure font, the seed, the
assumptions, and the SHA-256 of every file written. The manifest holds no clock time, so the
same run on the same machine gives a byte-identical manifest. Each input also records the
absolute folder its path is relative to, and the command line the working directory it ran in,
so that ``puhui rerun`` can read a manifest back (:func:`read_manifest`), check every input
where it was read and run the command again.

Outputs are whole or absent (:func:`staged_folder`): a run writes into a hidden sibling folder
``.OUT.puhui-tmp-<pid>-<random>`` (same parent, so the final rename is atomic on one file
system) and renames it into place only when everything was written; the previous output is
renamed aside (``.OUT.puhui-old-…``) and deleted afterwards. An error, Ctrl-C or ``kill``
leaves the previous output as it was; a temporary folder left by ``kill -9`` is named
recognisably and cleared by the next run into the same ``OUT``. A single output file with its
manifest (``puhui reprice``) is written by :func:`write_file_with_manifest`.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import json
import math
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from .errors import PuhuiError

#: Libraries whose versions can change a number; recorded in every manifest.
TRACKED_PACKAGES = ("puhui", "numpy", "scipy", "pandas", "statsmodels", "lifelines",
                    "chainladder", "matplotlib", "pyarrow")

#: Environment variables that set the thread count of BLAS / OpenMP libraries.
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
              "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")

#: Markers in the names of temporary siblings of an output (``.OUT.puhui-tmp-<pid>-<hex>``).
TMP_MARK, OLD_MARK = ".puhui-tmp-", ".puhui-old-"
MANIFEST_NAME = "manifest.json"
_LEFTOVER = re.compile(r"\.puhui-(tmp|old)-(\d+)-")


class OutputError(PuhuiError):
    """An output cannot (or must not) be written: the message names the path and the cause.

    The previous output, if any, is left as it was. ``errno`` is the cause's error number.
    """

    def __init__(self, errno_: int, message: str):
        super().__init__(message)
        self.errno = errno_


# -- files -----------------------------------------------------------------------------------


def current_umask() -> int:
    """The process's file-mode creation mask (read without changing it for long)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _chmod_default(path: str | os.PathLike, *, directory: bool = False) -> None:
    """Give a file made by :func:`tempfile.mkstemp` (mode 0600) or a folder made by
    :func:`tempfile.mkdtemp` (0700) the mode an ordinary ``open``/``mkdir`` would: ``0666`` or
    ``0777`` less the umask (``0644``/``0755`` under the usual umask 022)."""
    os.chmod(path, (0o777 if directory else 0o666) & ~current_umask())


def write_all(fh, data: bytes) -> None:
    """Write ``data`` to the open binary file ``fh``: the one place where output bytes are
    written (tests replace it to simulate a full disk)."""
    fh.write(data)


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to a new file in a staged output folder (plain write: the folder, not the
    file, is what is renamed into place)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        write_all(fh, data)
    return path


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    A reader never sees a half-written file, and an interrupted run leaves the old file intact.
    The file gets the umask's default mode (``0644`` typically), not ``mkstemp``'s ``0600``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write_all(fh, data)
        _chmod_default(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """:func:`atomic_write_bytes` for UTF-8 text (Unix line endings)."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


# -- where outputs may go --------------------------------------------------------------------


def _cause(err: OSError) -> str:
    if err.errno == errno.ENOSPC:
        return "no space left on the device (disk full)"
    if err.errno == errno.EROFS:
        return "read-only file system"
    if err.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return err.strerror or str(err)


def output_error(path: str | os.PathLike, err: OSError, action: str = "write") -> OutputError:
    """An :class:`OutputError` naming ``path`` and the cause of ``err`` in one line."""
    return OutputError(err.errno, f"cannot {action} {os.fspath(path)}: {_cause(err)}; the "
                       "previous output, if any, is unchanged")


def _absolute(path: str | os.PathLike) -> Path:
    """``path`` made absolute without following a link in its last part."""
    return Path(os.path.abspath(os.fspath(path)))


def _overlap(out: Path, inp: Path) -> str | None:
    """How ``out`` overlaps the input ``inp``: ``"is"``, ``"contains"``, ``"is inside"`` or None."""
    o, i = out.resolve(), inp.resolve()
    same = o == i
    if not same and out.exists() and inp.exists():
        try:
            same = os.path.samefile(out, inp)
        except OSError:  # pragma: no cover - a race with a deletion
            same = False
    if same:
        return "is"
    if i.is_relative_to(o):
        return "contains"
    if o.is_relative_to(i):
        return "is inside"
    return None


def check_inputs(out: str | os.PathLike, inputs: Iterable) -> None:
    """Refuse an output that is, contains or is inside an input (paths compared resolved, and
    with :func:`os.path.samefile` where both exist)."""
    out = _absolute(out)
    for inp in inputs:
        if inp is None:
            continue
        how = _overlap(out, _absolute(inp))
        if how is not None:
            raise OutputError(errno.EINVAL, f"the output {out} {how} the input {inp}: writing "
                              "there would overwrite or delete the input; choose a new folder "
                              "or file for --out")


def _read_manifest(path: Path) -> dict | None:
    if path.is_symlink() or not path.is_file() or path.stat().st_size > 50_000_000:
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def written_by_puhui(folder: str | os.PathLike) -> bool:
    """True when ``folder`` holds a ``manifest.json`` written by puhui: a run manifest
    (``command`` starting with ``puhui``) or the bundled data's (``generator`` starting with
    ``puhui``)."""
    doc = _read_manifest(Path(folder) / MANIFEST_NAME)
    if doc is None:
        return False
    return any(isinstance(doc.get(k), str) and doc[k].startswith("puhui")
               for k in ("command", "generator"))


def _first_link(folder: Path) -> Path | None:
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in (*dirs, *files):
            p = Path(root) / name
            if p.is_symlink():
                return p
    return None


def check_output_folder(target: str | os.PathLike, *, inputs: Iterable = ()) -> Path:
    """Check that a run may (re)place its output folder ``target``; returns it absolute.

    Refused, with an :class:`OutputError` naming the path: a symbolic link; an existing file;
    a folder that is, contains or is inside an input; a non-empty folder without a puhui
    ``manifest.json`` (someone else's files, never deleted); a folder holding a symbolic link
    (puhui does not delete through links).
    """
    target = _absolute(target)
    if target.parent == target:
        raise OutputError(errno.EINVAL, f"cannot use {target} as an output folder")
    if target.is_symlink():
        raise OutputError(errno.ELOOP, f"the output {target} is a symbolic link; puhui does not "
                          "write or delete through links: give a real folder")
    if target.exists() and not target.is_dir():
        raise OutputError(errno.ENOTDIR, f"the output {target} is an existing file, not a "
                          "folder: choose a new or empty folder for --out")
    check_inputs(target, inputs)
    if target.is_dir():
        try:
            empty = next(os.scandir(target), None) is None
            if not empty and not written_by_puhui(target):
                raise OutputError(errno.EEXIST, f"the output folder {target} is not empty and "
                                  "was not written by puhui (no puhui manifest.json in it); "
                                  "puhui replaces its output folder whole: choose an empty or "
                                  "new folder for --out")
            link = None if empty else _first_link(target)
        except OutputError:
            raise
        except OSError as err:
            raise output_error(target, err, "read") from None
        if link is not None:
            raise OutputError(errno.ELOOP, f"the output folder {target} holds a symbolic link "
                              f"({link}); puhui replaces the folder whole and does not delete "
                              "through links: remove the link or choose another folder")
    return target


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # our own leftover from an earlier, interrupted call
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # pragma: no cover - exists, owned by someone else
        return True
    return True


def _remove(path: Path) -> None:
    """Delete a file or a folder tree without following links (best effort)."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError:  # pragma: no cover - left for the next run to clear
        pass


def clear_leftovers(target: str | os.PathLike) -> list[Path]:
    """Clear what an earlier run into ``target`` left after ``kill -9``: its temporary sibling
    ``.OUT.puhui-tmp-<pid>-*`` and, if the kill fell between the two renames of the swap, the
    previous output ``.OUT.puhui-old-<pid>-*`` (put back when ``OUT`` is missing, else deleted).
    Siblings of a process still running are left alone. Returns the paths cleared."""
    target = _absolute(target)
    prefix = f".{target.name}"
    cleared = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return cleared
    for entry in sorted(entries, key=lambda e: e.name):
        if not entry.name.startswith(prefix + ".puhui-"):
            continue
        m = _LEFTOVER.match(entry.name, len(prefix))
        if m is None or _pid_alive(int(m.group(2))) or entry.is_symlink():
            continue
        path = Path(entry.path)
        if m.group(1) == "old" and not target.exists() and not target.is_symlink():
            try:
                os.rename(path, target)
                continue
            except OSError:  # pragma: no cover
                pass
        _remove(path)
        cleared.append(path)
    return cleared


def _sibling_name(target: Path, mark: str) -> str:
    """``.OUT.puhui-tmp-<pid>-`` (``mkstemp``/``mkdtemp`` append a random part) or, for the
    previous output set aside, ``.OUT.puhui-old-<pid>-<random>``."""
    name = f".{target.name}{mark}{os.getpid()}-"
    return name + secrets.token_hex(4) if mark == OLD_MARK else name


def _carry_over(target: Path, staged: Path) -> None:
    """Copy into ``staged`` the files of ``target`` that the run did not write (README …)."""
    if not target.is_dir():
        return
    for root, _dirs, files in os.walk(target, followlinks=False):
        for name in files:
            src = Path(root) / name
            dest = staged / src.relative_to(target)
            if not dest.exists():
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest, follow_symlinks=False)


def _swap_in(staged: Path, target: Path) -> None:
    """Rename ``staged`` to ``target``; an existing ``target`` is renamed aside first and
    deleted after the swap."""
    if not target.exists():
        os.rename(staged, target)
        return
    old = target.parent / _sibling_name(target, OLD_MARK)
    os.rename(target, old)
    try:
        os.rename(staged, target)
    except BaseException:
        os.rename(old, target)  # put the previous output back
        raise
    _remove(old)


@contextmanager
def staged_folder(target: str | os.PathLike, *, inputs: Iterable = (),
                  keep_foreign: bool = False) -> Iterator[Path]:
    """Write a run's output folder whole or not at all.

    Yields a new, empty temporary sibling ``.OUT.puhui-tmp-<pid>-<hex>`` of ``target`` to write
    into. When the block ends normally the folder replaces ``target`` (rename old aside,
    rename new into place, delete old), so ``target`` never holds a half-written report,
    tables beside an old manifest or stale files of an earlier run. When the block raises —
    including ``KeyboardInterrupt`` — the temporary folder is deleted and ``target`` is left
    as it was; an ``OSError`` becomes an :class:`OutputError` naming the path and the cause.

    ``target`` is checked first (:func:`check_output_folder`). ``keep_foreign=True`` copies the
    files of the old folder that the run did not write into the new one (the data folder's
    README when regenerating the bundled data).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> out = Path(tempfile.mkdtemp()) / "out"
    >>> with staged_folder(out) as tmp:
    ...     _ = write_bytes(tmp / "a.txt", b"hello")
    ...     out.exists()
    False
    >>> sorted(p.name for p in out.iterdir())
    ['a.txt']
    """
    target = check_output_folder(target, inputs=inputs)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise output_error(target.parent, err, "create") from None
    clear_leftovers(target)
    try:
        staged = Path(tempfile.mkdtemp(prefix=_sibling_name(target, TMP_MARK),
                                       dir=target.parent))
        _chmod_default(staged, directory=True)
    except OSError as err:
        raise output_error(target, err) from None
    try:
        yield staged
        if keep_foreign:
            _carry_over(target, staged)
        check_output_folder(target)  # nothing changed under us since the start
        _swap_in(staged, target)
    except OutputError:
        _remove(staged)
        raise
    except OSError as err:
        _remove(staged)
        raise output_error(target, err) from err
    except BaseException:
        _remove(staged)
        raise


def check_output_file(out: str | os.PathLike, *, inputs: Iterable = ()) -> tuple[Path, Path]:
    """Check a single-file output ``OUT`` and its manifest ``OUT.manifest.json``; returns both
    absolute. Refused: either is a link or a folder, overlaps an input, or ``OUT`` exists and
    no puhui manifest beside it lists it (someone else's file, never overwritten)."""
    out = _absolute(out)
    man = out.with_name(out.name + ".manifest.json")
    for p in (out, man):
        if p.is_symlink():
            raise OutputError(errno.ELOOP, f"the output {p} is a symbolic link; puhui does not "
                              "write through links: give a real file name")
        if p.is_dir():
            raise OutputError(errno.EISDIR, f"the output {p} is a folder; give a file name")
    check_inputs(out, inputs)
    check_inputs(man, inputs)
    if out.exists():
        doc = _read_manifest(man)
        ours = (doc is not None and str(doc.get("command", "")).startswith("puhui")
                and out.name in (doc.get("outputs") or {}))
        if not ours:
            raise OutputError(errno.EEXIST, f"the output {out} exists and was not written by "
                              f"puhui (no {man.name} listing it): choose a new file name or "
                              "remove the file")
    return out, man


def write_file_with_manifest(out: str | os.PathLike, data, manifest: Manifest, *,
                             inputs: Iterable = ()) -> Path:
    """Write one output file ``OUT`` and ``OUT.manifest.json`` as a consistent pair.

    ``data`` is the file's bytes, or a function that writes them to the binary file it is
    given (a table too large to hold, written in pieces; it may fill in ``manifest``, which is
    written after it).

    Both are written to temporary siblings first (``.OUT.puhui-tmp-…``); then ``OUT`` is
    renamed into place, then the manifest. The manifest records ``OUT``'s SHA-256 under
    ``outputs``: a reader detects a pair left inconsistent by a kill between the two renames
    (new data beside the old manifest) as a hash mismatch, and a missing manifest as an
    incomplete run. Any error leaves the previous pair as it was.
    """
    out, man = check_output_file(out, inputs=inputs)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise output_error(out.parent, err, "create") from None
    clear_leftovers(out)
    clear_leftovers(man)
    temps: list[Path] = []
    backup = None
    try:
        for path in (out, man):
            fd, tmp = tempfile.mkstemp(prefix=_sibling_name(path, TMP_MARK),
                                       dir=out.parent)
            temps.append(Path(tmp))
            with os.fdopen(fd, "wb") as fh:
                if path == man:
                    write_all(fh, manifest.to_bytes())
                elif callable(data):
                    data(fh)
                else:
                    write_all(fh, data)
            _chmod_default(tmp)
            if path == out:
                manifest.outputs[out.name] = (sha256_file(tmp) if callable(data)
                                              else hashlib.sha256(data).hexdigest())
        if out.exists():  # keep the previous data file until its new manifest is in place
            backup = out.parent / _sibling_name(out, OLD_MARK)
            try:
                os.link(out, backup)
            except OSError:  # a file system without hard links
                shutil.copy2(out, backup)
        os.replace(temps[0], out)
        try:
            os.replace(temps[1], man)
        except BaseException:
            if backup is not None:
                os.replace(backup, out)  # the previous pair, as it was
            else:
                out.unlink(missing_ok=True)
            raise
    except OSError as err:
        raise output_error(out, err) from err
    finally:
        for tmp in (*temps, *([backup] if backup is not None else [])):
            _remove(tmp)
    return out


# -- what the manifest records ---------------------------------------------------------------


def package_versions(names=TRACKED_PACKAGES) -> dict[str, str]:
    """Installed versions of ``names`` (``"not installed"`` where absent)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _figure_font() -> dict:
    """The fonts figures were drawn with (Latin first, CJK fallback): a figure's bytes depend on
    them, so a re-run on another machine can tell why its PNGs differ."""
    from .plots.fonts import font_record

    return font_record()


def _git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}  # never take the index lock
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=True,
                          timeout=20, env=env).stdout.decode("utf-8", "replace")


@functools.lru_cache(maxsize=1)
def source_state() -> dict:
    """The source the package runs from: ``{"commit", "dirty", "changes_sha256"}`` when it is
    a git checkout (``git rev-parse HEAD``; dirty when a tracked file differs from HEAD or an
    untracked file lies under ``src/``; ``changes_sha256`` hashes ``git diff HEAD`` and those
    files, so two different dirty states differ), else ``{"commit": "unknown"}``. Never fails
    for want of git."""
    root = Path(__file__).resolve().parents[2]
    unknown = {"commit": "unknown", "dirty": None, "changes_sha256": None}
    if not (root / ".git").exists() or shutil.which("git") is None:
        return unknown
    try:
        if Path(_git(root, "rev-parse", "--show-toplevel").strip()).resolve() != root:
            return unknown
        commit = _git(root, "rev-parse", "HEAD").strip()
        tracked = _git(root, "status", "--porcelain=v1", "--untracked-files=no")
        untracked = [f for f in _git(root, "ls-files", "--others", "--exclude-standard", "-z",
                                     "--", "src").split("\0") if f]
        h = hashlib.sha256(_git(root, "diff", "HEAD", "--binary").encode("utf-8"))
        for rel in sorted(untracked):
            h.update(rel.encode("utf-8") + b"\0" + sha256_file(root / rel).encode())
    except (OSError, subprocess.SubprocessError):
        return unknown
    dirty = bool(tracked.strip() or untracked)
    return {"commit": commit, "dirty": dirty,
            "changes_sha256": h.hexdigest() if dirty else None}


_PINNED: ContextVar[dict | None] = ContextVar("puhui_pinned_threads", default=None)
_INVOCATION: ContextVar[dict | None] = ContextVar("puhui_invocation", default=None)


def thread_record() -> dict:
    """Thread counts a result may depend on: ``os.cpu_count()``, the user's ``*_NUM_THREADS``
    variables, the count pinned for the run (:func:`pinned_threads`) and each loaded BLAS /
    OpenMP library's (``threadpoolctl``, when installed)."""
    pinned = _PINNED.get()
    env = pinned["env"] if pinned else {k: os.environ.get(k) for k in THREAD_ENV}
    try:
        from threadpoolctl import threadpool_info

        pools = [{k: info.get(k) for k in ("user_api", "internal_api", "prefix", "version",
                                           "num_threads", "threading_layer", "architecture")}
                 for info in threadpool_info()]
        pools.sort(key=lambda d: json.dumps(d, sort_keys=True, default=str))
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pools = "threadpoolctl not installed"
    return {"cpu_count": os.cpu_count(), "env": env,
            "pinned": pinned["threads"] if pinned else None, "threadpools": pools}


@contextmanager
def pinned_threads(threads: int | None = 1) -> Iterator[int | None]:
    """Run the block with BLAS and OpenMP limited to ``threads`` threads (``None``: leave them).

    A threaded BLAS sums a long dot product in per-thread pieces, so its last bits depend on
    the thread count (``puhui price`` differed between ``OMP_NUM_THREADS=1`` and ``2``). The
    command line pins the count (``PUHUI_THREADS``, default 1) for the whole run and records it
    in the manifest. Loaded libraries are limited through ``threadpoolctl``; libraries loaded
    later read the ``*_NUM_THREADS`` variables, set for the block and restored after.
    """
    if threads is None:
        yield None
        return
    threads = int(threads)
    saved = {k: os.environ.get(k) for k in THREAD_ENV}
    token = _PINNED.set({"threads": threads, "env": saved})
    os.environ.update({k: str(threads) for k in THREAD_ENV})
    try:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover
            yield threads
        else:
            with threadpool_limits(limits=threads):
                yield threads
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        _PINNED.reset(token)


def _jsonable(obj):
    """Plain JSON values: numpy scalars and arrays, tuples, sets and paths converted."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted(_jsonable(v) for v in obj)
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if hasattr(obj, "tolist") and not isinstance(obj, (str, bytes)):
        return _jsonable(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    return obj


def _cwd() -> str | None:
    """The absolute working directory, or None when it no longer exists."""
    try:
        return os.getcwd()
    except OSError:
        return None


@contextmanager
def invocation(argv: Iterable[str], options: dict) -> Iterator[None]:
    """Record the command line (``argv`` without the program), every option after parsing
    (defaults included) and the working directory the command ran in (``cwd``: relative paths
    in ``argv`` are relative to it; ``puhui rerun`` runs the command there again) in each
    manifest written within the block."""
    token = _INVOCATION.set({"argv": ["puhui", *map(str, argv)],
                             "options": _jsonable(dict(options)), "cwd": _cwd()})
    try:
        yield
    finally:
        _INVOCATION.reset(token)


@dataclass
class Manifest:
    """What went into a run and what came out: inputs with hashes, the command line and its
    options, source commit, versions, threads, seed, assumptions and outputs with hashes.

    Examples
    --------
    >>> m = Manifest(command="puhui demo", seed=20250101)
    >>> m.assumptions["valuation_date"] = "2026-02-28"
    >>> sorted(m.to_dict())[:4]
    ['assumptions', 'command', 'figure_font', 'inputs']
    """

    command: str
    seed: int | None = None
    assumptions: dict = field(default_factory=dict)
    inputs: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)

    def add_input(self, name: str, path: str | os.PathLike, *, rows: int | None = None,
                  relative_to: str | os.PathLike | None = None,
                  sha256: str | None = None) -> None:
        """Record an input file with its SHA-256 (``sha256`` if already computed) and size.

        ``path`` is recorded relative to ``relative_to`` (its name alone if it lies elsewhere;
        as given when ``relative_to`` is None), and ``relative_to`` as the absolute folder that
        ``path`` is relative to, so that ``relative_to / path`` is where the file was read
        (:func:`input_location`; ``puhui rerun`` checks the file found there).
        """
        path = Path(path)
        shown = path
        base = None
        if relative_to is not None:
            base = Path(relative_to).resolve()
            try:
                shown = path.resolve().relative_to(base)
            except ValueError:
                shown, base = path.name, path.resolve().parent
        elif not path.is_absolute():
            base = _cwd()
        entry = {"path": str(shown), "bytes": path.stat().st_size,
                 "sha256": sha256 or sha256_file(path)}
        if rows is not None:
            entry["rows"] = int(rows)
        if base is not None:
            entry["relative_to"] = str(base)
        self.inputs[name] = entry

    def add_output(self, path: str | os.PathLike, root: str | os.PathLike) -> None:
        """Record an output file (relative to ``root``) with its SHA-256."""
        path = Path(path)
        self.outputs[path.relative_to(root).as_posix()] = sha256_file(path)

    def to_dict(self) -> dict:
        return {
            "command": self.command,
            "invocation": _INVOCATION.get(),
            "seed": self.seed,
            "assumptions": _jsonable(self.assumptions),
            "inputs": self.inputs,
            "outputs": self.outputs,
            "source": source_state(),
            "versions": package_versions(),
            "threads": thread_record(),
            "figure_font": _figure_font(),
            "platform": {"system": platform.system(), "machine": platform.machine(),
                         "byteorder": sys.byteorder},
        }

    def to_bytes(self) -> bytes:
        """The manifest as sorted, indented JSON (UTF-8, Chinese kept readable)."""
        text = json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False,
                          default=str)
        return (text + "\n").encode("utf-8")

    def write(self, path: str | os.PathLike) -> Path:
        """Write the manifest (:meth:`to_bytes`) atomically to ``path``."""
        return atomic_write_bytes(path, self.to_bytes())


# -- reading a manifest back -----------------------------------------------------------------

_SHA256 = re.compile(r"[0-9a-f]{64}")


class ManifestError(PuhuiError, ValueError):
    """A file given as a run manifest is missing, is not a puhui run manifest, or is damaged;
    the message names the file and what is wrong."""


def manifest_path(path: str | os.PathLike) -> Path:
    """The manifest file ``path`` stands for: ``path`` itself, or ``path/manifest.json`` when
    ``path`` is a folder. Raises :class:`ManifestError` when there is no such file."""
    path = _absolute(path)
    if path.is_dir():
        if not (path / MANIFEST_NAME).is_file():
            raise ManifestError(f"{path} is a folder without a {MANIFEST_NAME}: give a run's "
                                f"output folder, its {MANIFEST_NAME} or a reprice "
                                "OUT.manifest.json")
        return path / MANIFEST_NAME
    if not path.exists():
        raise ManifestError(f"{path}: no such file")
    if not path.is_file():
        raise ManifestError(f"{path} is not a regular file")
    return path


def read_manifest(path: str | os.PathLike) -> tuple[Path, dict]:
    """Read a run manifest back: returns its absolute path and its content.

    ``path`` is a manifest file (a folder command's ``manifest.json``, ``puhui reprice``'s
    ``OUT.manifest.json``) or a run's output folder. Refused with a :class:`ManifestError`
    naming the file: a missing file; a file that is not UTF-8 JSON or not a JSON object; the
    bundled data's manifest (``generator``, not a run); a JSON object without a ``command``
    starting with ``puhui``; ``inputs`` or ``outputs`` that are not tables of SHA-256 hashes.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = Manifest(command="puhui demo").write(folder / MANIFEST_NAME)
    >>> read_manifest(folder)[1]["command"]
    'puhui demo'
    >>> _ = (folder / "other.json").write_text('{"a": 1}')
    >>> read_manifest(folder / "other.json")
    Traceback (most recent call last):
    ...
    puhui.repro.ManifestError: ... is not a puhui manifest: it has no "command" starting with "puhui"
    """
    path = manifest_path(path)
    size = path.stat().st_size
    if size > 50_000_000:
        raise ManifestError(f"{path} is not a puhui manifest: {size:,} bytes is far too large")
    try:
        doc = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ManifestError(f"{path} is not a puhui manifest: not UTF-8 text (byte "
                            f"{err.start})") from None
    except ValueError as err:
        raise ManifestError(f"{path} is not a puhui manifest: not valid JSON ({err})") from None
    if not isinstance(doc, dict):
        raise ManifestError(f"{path} is not a puhui manifest: a JSON {type(doc).__name__}, "
                            "not an object")
    command = doc.get("command")
    if command is None and str(doc.get("generator", "")).startswith("puhui"):
        raise ManifestError(f"{path} is the manifest of the bundled data (written by "
                            f"{doc['generator']}), not of a run")
    if not (isinstance(command, str) and command.startswith("puhui")):
        raise ManifestError(f'{path} is not a puhui manifest: it has no "command" starting '
                            'with "puhui"')
    for key in ("inputs", "outputs"):
        if not isinstance(doc.get(key), dict):
            raise ManifestError(f'{path} is damaged: "{key}" is missing or not a table')
    for name, entry in doc["inputs"].items():
        if not (isinstance(entry, dict) and isinstance(entry.get("path"), str)
                and _SHA256.fullmatch(str(entry.get("sha256", "")))):
            raise ManifestError(f'{path} is damaged: input "{name}" has no path or no '
                                "SHA-256")
    for name, digest in doc["outputs"].items():
        if not _SHA256.fullmatch(str(digest)):
            raise ManifestError(f'{path} is damaged: output "{name}" has no SHA-256')
    return path, doc


def input_location(entry: dict) -> Path | None:
    """Where a manifest's input entry was read: ``relative_to / path`` (absolute), the path
    itself if it is absolute, else None (a manifest written before ``relative_to`` was
    recorded).

    >>> input_location({"path": "claims.csv", "relative_to": "/data/book"})
    PosixPath('/data/book/claims.csv')
    >>> input_location({"path": "claims.csv"}) is None
    True
    """
    path = Path(entry["path"])
    if path.is_absolute():
        return path
    base = entry.get("relative_to")
    return Path(base) / path if isinstance(base, str) and base else None
