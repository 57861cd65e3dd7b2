"""Where the bundled data live, and writing them byte-identically (``regenerate``).

Layout under the data folder (the repository's top-level ``data/``)::

    huiminbao/policies.parquet  costs.parquet  claims.csv  payments.csv  planted.json
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
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ..repro import atomic_write_bytes, sha256_file

#: Relative path of every bundled file, by name.
FILES = {
    "huiminbao/policies": "huiminbao/policies.parquet",
    "huiminbao/costs": "huiminbao/costs.parquet",
    "huiminbao/claims": "huiminbao/claims.csv",
    "huiminbao/payments": "huiminbao/payments.csv",
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
_ANNOUNCED: set[str] = set()


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


def data_dir() -> Path:
    """The folder the loaders read: the repository's ``data/`` or, failing that, the cache.

    In a wheel install there is no ``data/`` folder: the data are then regenerated once,
    deterministically, into :func:`cache_dir` (a message says so once per process).
    """
    repo = repo_data_dir()
    if _complete(repo):
        return repo
    cache = cache_dir()
    if not _complete(cache):
        key = str(cache)
        if key not in _ANNOUNCED:
            _ANNOUNCED.add(key)
            warnings.warn(f"puhui: bundled data not found at {repo}; generating them "
                          f"(seeded, identical to the bundled files) into {cache}",
                          stacklevel=3)
        regenerate(cache)
    return cache


def files(folder: str | os.PathLike | None = None) -> dict[str, Path]:
    """Path of every bundled file by name (``huiminbao/policies`` …) in ``folder``."""
    base = Path(folder) if folder is not None else data_dir()
    return {name: base / rel for name, rel in FILES.items()}


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


def generate_all(scale: float = 1.0) -> dict[str, object]:
    """Every bundled table and truth, by file name, at ``scale`` (1 = the bundled sizes).

    ``scale`` shrinks the 惠民保 members (200,000 × scale) and the counties (100 × scale, at
    least 6), and the special-group lives and communities (see
    :func:`~puhui.datasets.special_groups.generate_special_groups`); the series keep their length. Every table is validated before it is returned.
    """
    from ..data import validate
    from ..errors import ParameterError
    from .crops import generate_crops
    from .huiminbao_claims import generate_huiminbao
    from .series import generate_prices, generate_rainfall
    from .special_groups import generate_special_groups

    if not np.isfinite(scale) or not 0 < scale <= 1:
        raise ParameterError(f"scale must be in (0, 1], got {scale!r}")
    hmb = generate_huiminbao(members=max(int(round(200_000 * scale)), 50))
    crops = generate_crops(counties=max(int(round(100 * scale)), 6),
                           rate_draws=20_000 if scale == 1 else 500)
    rain, prices = generate_rainfall(), generate_prices()
    pol = validate(hmb["policies"], "policies", table="huiminbao/policies")
    validate(hmb["costs"], "costs", policies=pol, table="huiminbao/costs")
    cl = validate(hmb["claims"], "claims", policies=pol, table="huiminbao/claims")
    validate(hmb["payments"], "payments", claims=cl, table="huiminbao/payments")
    cpol = validate(crops["policies"], "policies", table="crops/policies")
    validate(crops["claims"], "claims", policies=cpol, table="crops/claims")
    validate(crops["yields"], "yields", table="crops/yields")
    validate(rain["rainfall"], "index_series", table="index/rainfall")
    validate(prices["prices"], "prices", table="index/prices")
    sg = generate_special_groups(scale=scale)
    spol = validate(sg["accident_policies"], "policies", table="special_groups/accident_policies")
    validate(sg["accident_claims"], "claims", policies=spol, table="special_groups/accident_claims")
    return {
        "huiminbao/policies": hmb["policies"], "huiminbao/costs": hmb["costs"],
        "huiminbao/claims": hmb["claims"], "huiminbao/payments": hmb["payments"],
        "huiminbao/planted": hmb["planted"],
        "crops/counties": crops["counties"], "crops/yields": crops["yields"],
        "crops/policies": crops["policies"], "crops/claims": crops["claims"],
        "crops/planted": crops["planted"],
        "index/rainfall": rain["rainfall"], "index/prices": prices["prices"],
        "index/planted": {"rainfall": rain["planted"], "prices": prices["planted"]},
        "special_groups/lives": sg["lives"],
        "special_groups/accident_policies": sg["accident_policies"],
        "special_groups/accident_claims": sg["accident_claims"],
        "special_groups/census": sg["census"], "special_groups/planted": sg["planted"],
    }


def regenerate(out_dir: str | os.PathLike | None = None, *, scale: float = 1.0) -> list[Path]:
    """Write every bundled file (byte-identical on every run) and ``manifest.json``.

    Parameters
    ----------
    out_dir : path, optional
        Folder to write to; by default the repository's ``data/`` folder.
    scale : float
        Size relative to the bundled data (see :func:`generate_all`); tests use a small scale.

    Returns
    -------
    list of Path
        The files written, the manifest last.

    Examples
    --------
    >>> import tempfile, puhui.datasets as ds
    >>> with tempfile.TemporaryDirectory() as d:
    ...     written = ds.regenerate(d, scale=0.01)
    >>> written[-1].name
    'manifest.json'
    """
    from .. import __version__
    from ..repro import package_versions

    out = Path(out_dir) if out_dir is not None else repo_data_dir()
    tables = generate_all(scale)
    written = []
    for name, rel in FILES.items():
        written.append(_write(out / rel, _encode(rel, tables[name])))
    versions = package_versions(("numpy", "pandas", "scipy", "pyarrow"))
    manifest = {
        "generator": f"puhui {__version__} puhui.datasets.regenerate(scale={scale!r})",
        "seeds": _seeds(),
        "versions": versions,
        "files": {rel: {"bytes": (out / rel).stat().st_size, "sha256": sha256_file(out / rel)}
                  for rel in FILES.values()},
    }
    written.append(_write(out / MANIFEST, json_bytes(manifest)))
    return written


def _seeds() -> dict[str, int]:
    from . import crops, huiminbao, series, special_groups

    return {"huiminbao": huiminbao.SEED, "crops": crops.SEED, "rainfall": series.RAIN_SEED,
            "prices": series.PRICE_SEED, "special_groups": special_groups.SEED}
