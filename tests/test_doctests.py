"""Every docstring example in the package runs and prints what it says (doctest).

Docstrings carry worked numbers (e.g. the ETNB probabilities of *Loss Models* §6.6, the CL
life-table values); this keeps them true as the code changes.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import matplotlib
import pytest

import puhui

matplotlib.use("Agg")

MODULES = sorted(m.name for m in pkgutil.walk_packages(puhui.__path__, prefix="puhui.")
                 if not m.name.endswith("__main__"))


def test_the_package_is_walked():
    assert len(MODULES) > 60
    assert {"puhui.losses.frequency_ab1", "puhui.losses.lev", "puhui.life.table"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    mod = importlib.import_module(name)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
