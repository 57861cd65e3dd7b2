"""The comparison table of ``puhui verify``: each filed figure beside puhui's, with tolerances.

Default tolerances, by the figure's class (:attr:`puhui.verify.filing.Figure.tolerance`):

==============  ==============================================  ==============================
class           passes when                                     used for
==============  ==============================================  ==============================
``money``       ``|filed − puhui| ≤ max(0.5 元, 1e-4·|puhui|)``  premiums per member, IBNR (元)
``rate_money``  ``|filed − puhui| ≤ 0.005 元``                   premium rates printed to the 分
``ratio``       ``|filed − puhui| ≤ 1e-4``                       loss / expense / combined
                                                                ratios, A/E
``rate``        ``|filed − puhui| ≤ 1e-6``                       crop premium rates (filed to
                                                                six decimals: 0.0001%)
==============  ==============================================  ==============================

A tolerance given in the filing (结果 column ``容差 tolerance``) or on the command line
(``--tolerance ID=VALUE``, ``ID`` a figure id such as ``ibnr.2025`` or its base ``ibnr``)
replaces the default with an absolute tolerance; the command line wins over the filing.

>>> tolerance("money", 138.63)
0.5
>>> tolerance("money", 1_578_331.0)
157.8331
>>> tolerance("ratio", 0.95)
0.0001
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..errors import ParameterError

#: Absolute part and relative part of each default tolerance class.
DEFAULT_TOLERANCES = {"money": (0.5, 1e-4), "rate_money": (0.005, 0.0), "ratio": (1e-4, 0.0),
                      "rate": (1e-6, 0.0)}

COLUMNS = ["figure", "sheet", "cell", "filed", "puhui", "abs_diff", "rel_diff", "tolerance",
           "passed"]


def tolerance(kind: str, reference: float) -> float:
    """The default tolerance of class ``kind`` at the value ``reference``."""
    a, r = DEFAULT_TOLERANCES[kind]
    return max(a, r * abs(reference))


def parse_tolerances(items) -> dict[str, float]:
    """``["ibnr=1000", "ae.2025=0.001"]`` → ``{"ibnr": 1000.0, "ae.2025": 0.001}``."""
    out = {}
    for item in items or ():
        key, sep, value = str(item).partition("=")
        try:
            x = float(value)
        except ValueError:
            x = math.nan
        if not sep or not key.strip() or not math.isfinite(x) or x < 0:
            raise ParameterError(f"--tolerance {item!r}: give ID=VALUE with VALUE ≥ 0, e.g. "
                                 "ibnr.2025=1000")
        out[key.strip()] = x
    return out


def compare(rows: list[dict], overrides: dict[str, float] | None = None) -> pd.DataFrame:
    """The comparison table from rows of ``figure, sheet, cell, filed, puhui, kind`` and an
    optional filed ``tolerance``; ``overrides`` (figure id or base id → absolute tolerance)
    come from the command line.

    >>> t = compare([{"figure": "ibnr.2025", "sheet": "结果", "cell": "C9", "filed": 1.1e6,
    ...               "puhui": 1.578e6, "kind": "money"}])
    >>> bool(t["passed"].iloc[0]), round(float(t["rel_diff"].iloc[0]), 4)
    (False, -0.3029)
    """
    overrides = overrides or {}
    out = []
    for r in rows:
        fid = r["figure"]
        base = fid.split(".", 1)[0]
        filed, ours = float(r["filed"]), float(r["puhui"])
        if fid in overrides:
            tol = overrides[fid]
        elif base in overrides:
            tol = overrides[base]
        elif r.get("tolerance") is not None and not pd.isna(r.get("tolerance")):
            tol = float(r["tolerance"])
        else:
            tol = tolerance(r["kind"], ours)
        diff = filed - ours
        rel = diff / ours if ours != 0 else (0.0 if diff == 0 else math.inf)
        passed = bool(np.isfinite(ours) and abs(diff) <= tol + 1e-12)
        out.append({"figure": fid, "sheet": r["sheet"], "cell": r["cell"], "filed": filed,
                    "puhui": ours, "abs_diff": abs(diff), "rel_diff": rel, "tolerance": tol,
                    "passed": passed})
    return pd.DataFrame(out, columns=COLUMNS)


def result_rows(filing, values: dict[str, float], *, missing_hint: str) -> list[dict]:
    """The 结果 rows of ``filing`` beside their recomputed ``values`` (figure id → number), in
    the form :func:`compare` takes; a filed figure the data cannot give is an error naming its
    sheet and cell (``missing_hint`` says why that may be, e.g. "a policy year not in the
    book?"). The one reader of filed results for every family."""
    kinds = {f.id: f.tolerance for f in filing.family.figures}
    rows, missing = [], []
    for _, f in filing.results.iterrows():
        fid = f["figure"]
        if fid not in values:
            missing.append(f"{fid} ({f['sheet']}!{f['cell']})")
            continue
        rows.append({"figure": fid, "sheet": f["sheet"], "cell": f["cell"], "filed": f["value"],
                     "puhui": values[fid], "kind": kinds[fid.split(".", 1)[0]],
                     "tolerance": f["tolerance"]})
    if missing:
        raise ParameterError(f"figures puhui cannot recompute from this data ({missing_hint}): "
                             f"{', '.join(missing)}")
    return rows
