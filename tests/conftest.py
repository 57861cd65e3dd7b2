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
