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


# The files that take longest (seconds of one worker, measured on an idle 2-core machine) run
# first, so that `pytest -n 2 --dist loadfile` hands out the long files early and the two workers
# finish together (longest-processing-time-first); the order within a file is unchanged.
_LONG_FILES = ("test_notebooks.py", "test_fit_properties.py", "test_demo.py",
               "test_agri_batch.py", "test_cli_price.py", "test_lev.py",
               "test_huiminbao_review.py", "test_datasets.py", "test_payout.py",
               "test_pricing_huiminbao.py", "test_doctests.py", "test_fit_gof.py")


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(_LONG_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
