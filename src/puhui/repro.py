"""Reproducibility: atomic writes, file hashes and run manifests.

A regulator re-running a filed result must get the same bytes. Every report puhui writes
carries a ``manifest.json`` stating what went in: each input's path, size and SHA-256, the
versions of Python and of the numerical libraries, the seed and the assumptions. The manifest
holds no clock time, so the same inputs give a byte-identical manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

#: Libraries whose versions can change a number; recorded in every manifest.
TRACKED_PACKAGES = ("puhui", "numpy", "scipy", "pandas", "statsmodels", "lifelines",
                    "chainladder", "matplotlib", "pyarrow")


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    A reader never sees a half-written file, and an interrupted run leaves the old file intact.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
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


@dataclass
class Manifest:
    """What went into a run: inputs with hashes, versions, seed, assumptions and outputs.

    Examples
    --------
    >>> m = Manifest(command="puhui demo", seed=20250101)
    >>> m.assumptions["valuation_date"] = "2026-02-28"
    >>> sorted(m.to_dict())[:3]
    ['assumptions', 'command', 'inputs']
    """

    command: str
    seed: int | None = None
    assumptions: dict = field(default_factory=dict)
    inputs: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)

    def add_input(self, name: str, path: str | os.PathLike, *, rows: int | None = None,
                  relative_to: str | os.PathLike | None = None) -> None:
        """Record an input file with its SHA-256 and size."""
        path = Path(path)
        shown = path
        if relative_to is not None:
            try:
                shown = path.resolve().relative_to(Path(relative_to).resolve())
            except ValueError:
                shown = path.name
        entry = {"path": str(shown), "bytes": path.stat().st_size, "sha256": sha256_file(path)}
        if rows is not None:
            entry["rows"] = int(rows)
        self.inputs[name] = entry

    def add_output(self, path: str | os.PathLike, root: str | os.PathLike) -> None:
        """Record an output file (relative to ``root``) with its SHA-256."""
        path = Path(path)
        self.outputs[str(path.relative_to(root))] = sha256_file(path)

    def to_dict(self) -> dict:
        return {
            "command": self.command,
            "seed": self.seed,
            "assumptions": self.assumptions,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "versions": package_versions(),
            "figure_font": _figure_font(),
            "platform": {"system": platform.system(), "machine": platform.machine(),
                         "byteorder": sys.byteorder},
        }

    def write(self, path: str | os.PathLike) -> Path:
        """Write the manifest as sorted, indented JSON (UTF-8, Chinese kept readable)."""
        text = json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False,
                          default=str)
        return atomic_write_text(path, text + "\n")
