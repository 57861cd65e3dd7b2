"""Shared test fixtures and settings."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

# CI and developers share 2 cores: keep property tests bounded and free of timing flakiness.
# The default profile is derandomized, so `make test` runs the same examples on every machine
# (a red CI run can be reproduced exactly); `HYPOTHESIS_PROFILE=explore make test` searches
# fresh random examples with a larger budget, for a developer hunting new counter-examples.
settings.register_profile("puhui", max_examples=60, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", max_examples=300, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "puhui"))

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The real reference data beside the project; tests using it skip where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present on this machine")
    return SHARED_DATA


@pytest.fixture(scope="session")
def book(tmp_path_factory) -> Path:
    """A small 惠民保 data folder (1,500 members a year: policies, costs, claims, planted) for
    fast command-line runs."""
    from puhui.datasets.huiminbao_claims import generate_huiminbao
    from puhui.datasets.store import csv_bytes, json_bytes, parquet_bytes

    h = generate_huiminbao(members=1_500)
    folder = tmp_path_factory.mktemp("book")
    (folder / "policies.parquet").write_bytes(parquet_bytes(h["policies"]))
    (folder / "costs.parquet").write_bytes(parquet_bytes(h["costs"]))
    (folder / "claims.csv").write_bytes(csv_bytes(h["claims"]))
    (folder / "planted.json").write_bytes(json_bytes(h["planted"]))
    return folder


def _fingerprint(data) -> tuple:
    """A digest of every table (values, index, columns, dtypes) and dict of a loaded data set."""
    import dataclasses
    import hashlib
    import json

    import pandas as pd

    out = []
    for field in dataclasses.fields(data):
        value = getattr(data, field.name)
        if isinstance(value, pd.DataFrame):
            h = hashlib.sha256(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
            h.update(repr((list(value.columns), [str(t) for t in value.dtypes])).encode())
            out.append((field.name, h.hexdigest()))
        else:
            out.append((field.name, json.dumps(value, sort_keys=True, default=str)))
    return tuple(out)


@pytest.fixture(scope="session")
def bundled_huiminbao():
    """The bundled 惠民保 tables, ``puhui.datasets.load_huiminbao()`` (584,000 member-years
    validated on load: ~4 s), loaded once per test process for the tests that read them as
    they are (demo, price command, data sets, participation). Read only: a test that needs to
    change them takes a copy; the end of the session checks that nobody changed them."""
    from puhui import datasets

    data = datasets.load_huiminbao()
    before = _fingerprint(data)
    yield data
    assert _fingerprint(data) == before, "a test modified the shared bundled 惠民保 tables"


@pytest.fixture(scope="session")
def bundled_price(bundled_huiminbao):
    """``price_from_experience`` of the example product on the bundled tables (its defaults:
    2026, trend 6%), computed once per test process: the number the demo and the price command
    must report."""
    from puhui.huiminbao import Product, example_product_path, price_from_experience

    product = Product.from_toml(example_product_path())
    return price_from_experience(product, bundled_huiminbao.policies, bundled_huiminbao.costs)


# The files that take longest (seconds of one worker, measured on this 2-core machine after
# the issue-16 shrink) run first, so that `pytest -n 2 --dist loadfile` hands out the long files
# early and the two workers finish together (longest-processing-time-first); the order within
# a file is unchanged.
_LONG_FILES = ("test_notebooks.py", "test_demo.py", "test_agri_yield.py",
               "test_huiminbao_review.py", "test_datasets.py", "test_pricing_huiminbao.py",
               "test_agri_batch.py", "test_doctests.py", "test_rerun.py", "test_cli_price.py",
               "test_huiminbao_tune.py", "test_fit_gof.py", "test_cr_projection.py",
               "test_tuning.py", "test_fit_properties.py", "test_manifest_complete.py",
               "test_pricing_docs.py")


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(_LONG_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


def pytest_configure(config):
    # pytest-xdist's --dist loadfile (and loadscope) reorders the files by their NUMBER of
    # tests, most first (its --loadscope-reorder, on by default), which undoes the order above:
    # measured, test_notebooks.py (11 tests, ~85 s) was the 71st file handed out and
    # test_demo.py (3 tests, ~18 s) the 93rd of 97, so one worker ran them last, alone. The
    # files go out in the order above instead (the option exists only where xdist is loaded).
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False
