"""The registry of the bundled data: their files, where they live, and their exact bytes.

This module is the bottom of :mod:`puhui.datasets`: :mod:`.build` (which finds the data or
writes them, ``regenerate``) and :mod:`.loaders` import it; it imports neither them nor the
generators.

Layout under the data folder (the repository's top-level ``data/``)::

    huiminbao/policies.parquet  costs.parquet  claims.csv  payments.csv  expenses.csv
              planted.json
    crops/counties.csv  yields.csv  policies.csv  claims.csv  planted.json
    index/rainfall.csv  prices.csv  planted.json
    special_groups/lives.parquet  accident_policies.csv  accident_claims.csv  census.csv
                   planted.json
    manifest.json       (file sizes and SHA-256, seeds, library versions)

Files are written through a temporary file and ``os.replace`` (``puhui.repro``), CSV as UTF-8
with ``\\n`` line ends and ISO dates, Parquet with zstd compression, JSON with floats
rounded to 10 significant digits: the same library versions give the same bytes on every run.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..repro import atomic_write_bytes

#: Relative path of every bundled file, by name.
FILES = {
    "huiminbao/policies": "huiminbao/policies.parquet",
    "huiminbao/costs": "huiminbao/costs.parquet",
    "huiminbao/claims": "huiminbao/claims.csv",
    "huiminbao/payments": "huiminbao/payments.csv",
    "huiminbao/expenses": "huiminbao/expenses.csv",
    "huiminbao/planted": "huiminbao/planted.json",
    "crops/counties": "crops/counties.csv",
    "crops/yields": "crops/yields.csv",
    "crops/policies": "crops/policies.csv",
    "crops/claims": "crops/claims.csv",
    "crops/planted": "crops/planted.json",
    "index/rainfall": "index/rainfall.csv",
    "index/prices": "index/prices.csv",
    "index/planted": "index/planted.json",
    "special_groups/lives": "special_groups/lives.parquet",
    "special_groups/accident_policies": "special_groups/accident_policies.csv",
    "special_groups/accident_claims": "special_groups/accident_claims.csv",
    "special_groups/census": "special_groups/census.csv",
    "special_groups/planted": "special_groups/planted.json",
}
MANIFEST = "manifest.json"


def repo_data_dir() -> Path:
    """The repository's ``data/`` folder (present in a source checkout / editable install)."""
    return Path(__file__).resolve().parents[3] / "data"


def cache_dir() -> Path:
    """``$PUHUI_DATA`` if set, else ``~/.cache/puhui/<version>`` (``$XDG_CACHE_HOME`` honoured)."""
    from .. import __version__

    env = os.environ.get("PUHUI_DATA")
    if env:
        return Path(env).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "puhui" / __version__


def _complete(folder: Path) -> bool:
    return (folder / MANIFEST).is_file() and all((folder / p).is_file() for p in FILES.values())


def _round_floats(obj):
    if isinstance(obj, dict):
        return {str(k): _round_floats(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_round_floats(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(f"{float(obj):.10g}")
    return obj


def json_bytes(obj) -> bytes:
    """Deterministic JSON (UTF-8, Chinese kept readable, floats to 10 significant digits)."""
    text = json.dumps(_round_floats(obj), ensure_ascii=False, indent=1, allow_nan=False)
    return (text + "\n").encode("utf-8")


def csv_bytes(df: pd.DataFrame) -> bytes:
    """Deterministic CSV: UTF-8, ``\\n`` line ends, ISO dates, empty cells for missing values."""
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n", date_format="%Y-%m-%d")
    return buf.getvalue().encode("utf-8")


def parquet_bytes(df: pd.DataFrame) -> bytes:
    """Parquet (pyarrow, zstd) of ``df`` without its index."""
    buf = io.BytesIO()
    df.to_parquet(buf, index=False, engine="pyarrow", compression="zstd")
    return buf.getvalue()


def _write(path: Path, data: bytes) -> Path:
    atomic_write_bytes(path, data)
    os.chmod(path, 0o644)  # a data file, readable by all (mkstemp creates it 0600)
    return path


def _encode(path: str, obj) -> bytes:
    if path.endswith(".json"):
        return json_bytes(obj)
    if path.endswith(".csv"):
        return csv_bytes(obj)
    if path.endswith(".parquet"):
        return parquet_bytes(obj)
    raise ValueError(path)  # pragma: no cover
