"""Finding the bundled data, or writing them byte-identically (``regenerate``).

:func:`data_dir` is the folder the loaders read: the repository's ``data/`` when it is complete
(every file of :data:`puhui.datasets.store.FILES` and the manifest), else a cache folder that is
filled once by :func:`regenerate` from the seeded generators. This module sits between the
registry (:mod:`.store`, which imports no generator) and the loaders (:mod:`.loaders`), so the
generators and the loaders never import each other.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from ..repro import sha256_file
from . import store
from .store import FILES, MANIFEST, _encode, _write, json_bytes

__all__ = ["data_dir", "files", "generate_all", "regenerate"]

_ANNOUNCED: set[str] = set()


def data_dir() -> Path:
    """The folder the loaders read: the repository's ``data/`` or, failing that, the cache.

    In a wheel install there is no ``data/`` folder: the data are then regenerated once,
    deterministically, into :func:`~puhui.datasets.store.cache_dir` (a message says so once
    per process).
    """
    repo = store.repo_data_dir()
    if store._complete(repo):
        return repo
    cache = store.cache_dir()
    if not store._complete(cache):
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


def generate_all(scale: float = 1.0) -> dict[str, object]:
    """Every bundled table and truth, by file name, at ``scale`` (1 = the bundled sizes).

    ``scale`` shrinks the 惠民保 members (200,000 × scale) and the counties (100 × scale, at
    least 6), and the special-group lives and communities (see
    :func:`~puhui.datasets.special_groups.generate_special_groups`); the series keep their
    length. Every table is validated before it is returned.
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
    validate(hmb["expenses"], "expenses", table="huiminbao/expenses")
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
        "huiminbao/expenses": hmb["expenses"],
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

    out = Path(out_dir) if out_dir is not None else store.repo_data_dir()
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
