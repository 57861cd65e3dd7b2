"""Numbers at the edge: an interval a value must lie in, and the one check that names the value,
the bound and the key when it does not (used by the product files and by the expense model).

>>> share = Bound(0.0, 1.0, hint="a fraction: write 4% as 0.04")
>>> check_number(0.04, share, "commission")
0.04
>>> check_number("4%", share, "commission")
Traceback (most recent call last):
...
puhui.errors.ParameterError: commission must be a number, got '4%' (a string: write numbers...
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError

__all__ = ["Bound", "check_fields", "check_number", "describe", "raise_all", "unknown_keys"]


@dataclass(frozen=True)
class Bound:
    """An interval ``lo … hi`` with open or closed ends (``hi = inf``: no upper bound)."""

    lo: float
    hi: float = math.inf
    lo_open: bool = False
    hi_open: bool = True
    hint: str = ""

    def holds(self, x: float) -> bool:
        return (x > self.lo if self.lo_open else x >= self.lo) and (
            x < self.hi if self.hi_open else x <= self.hi)

    def __str__(self) -> str:
        if math.isinf(self.hi):
            return f"{'>' if self.lo_open else '≥'} {self.lo:g}"
        return (f"in {'(' if self.lo_open else '['}{self.lo:g}, {self.hi:g}"
                f"{')' if self.hi_open else ']'}")


def describe(value) -> str:
    """A value and its type, for an error message (a quoted number is called a string)."""
    if isinstance(value, (bool, np.bool_)):
        return f"{str(bool(value)).lower()} (a boolean)"
    if isinstance(value, str):
        return f"{value!r} (a string: write numbers without quotes)"
    return f"{value!r} (a {type(value).__name__})"


def check_number(value, bound: Bound, label: str) -> float:
    """``value`` as a float if it is a finite number within ``bound``; else a
    :class:`~puhui.errors.ParameterError` naming ``label``, the bound and the value. Booleans
    and strings are not numbers; the bound's hint is added when ``|value| > 1`` (a percentage
    written as 6 instead of 0.06)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.integer, np.floating)):
        raise ParameterError(f"{label} must be a number, got {describe(value)}")
    x = float(value)
    if not math.isfinite(x):
        raise ParameterError(f"{label} must be a finite number, got {value!r}")
    if not bound.holds(x):
        hint = f" ({bound.hint})" if bound.hint and abs(x) > 1 else ""
        raise ParameterError(f"{label} must be {bound}, got {value!r}{hint}")
    return x


def check_fields(obj, keys: dict[str, str], check: Callable[[object, str], float], *,
                 optional: tuple[str, ...] = ()) -> list[str]:
    """Check the numeric fields of a frozen dataclass (field → bound key) with
    ``check(value, key)``, store them as floats and return the problems found (all of them, not
    only the first). A field named in ``optional`` may be ``None``."""
    problems = []
    for name, key in keys.items():
        value = getattr(obj, name)
        if value is None and name in optional:
            continue
        try:
            object.__setattr__(obj, name, check(value, key))
        except ParameterError as err:
            problems.append(str(err))
    return problems


def raise_all(problems: list[str]) -> None:
    """One :class:`~puhui.errors.ParameterError` with every problem, if there is any."""
    if problems:
        raise ParameterError("; ".join(problems))


def unknown_keys(table: Iterable, known: tuple[str, ...], where: str, *, grouped: bool = False,
                 tables: bool = False, arrays: tuple[str, ...] = (),
                 home: Callable[[str], str | None] | None = None) -> list[str]:
    """The unknown keys of ``table`` (not in ``known``), each naming the nearest known key (or,
    when none is near, where it belongs by ``home(key)``, else all known keys) — the strict
    reading of a product file's tables.

    One problem per key, or with ``grouped`` one line per table
    (``"{where} has unknown keys: 'a' (…), 'b' (…)"``); ``tables``: the keys of a whole file,
    near names shown as ``[table]`` (``[[name]]`` for the ``arrays`` of tables) and an unknown
    key holding a table as ``[key]``.

    >>> unknown_keys({"deductibel": 1, "cap": 2}, ("deductible", "cap"), "[medical]")
    ["[medical]: unknown key 'deductibel' (did you mean 'deductible'?)"]
    >>> unknown_keys({"expense": {}}, ("product", "expenses", "lines"), "the file", grouped=True,
    ...              tables=True, arrays=("lines",))
    ['the file has unknown tables or keys: [expense] (did you mean [expenses]?)']
    """
    shown = []
    for key in table:
        if key in known:
            continue
        near = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        belongs = None if near or home is None else home(key)
        if near:
            name = near[0]
            hint = (f"did you mean [[{name}]]?" if tables and name in arrays
                    else f"did you mean [{name}]?" if tables else f"did you mean {name!r}?")
        elif belongs:
            hint = f"it belongs in {belongs}"
        else:
            hint = f"known: {', '.join(known)}"
        if not grouped:
            shown.append(f"{where}: unknown key {key!r} ({hint})")
            continue
        is_table = tables and isinstance(table, dict) and isinstance(table[key], dict)
        shown.append(f"{f'[{key}]' if is_table else repr(key)} ({hint})")
    if not grouped or not shown:
        return shown
    kind = "unknown tables or keys" if tables else "unknown keys"
    return [f"{where} has {kind}: {', '.join(shown)}"]
