"""Strict reading of a contracts × periods panel of ratios and weights (shared by the
hierarchical and regression credibility models).

Rows are contracts (合同/风险单位), columns are periods; NaN marks a period without experience.
Every problem raises :class:`puhui.errors.ParameterError` naming the contract and period.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from puhui.errors import ParameterError


@dataclass(frozen=True)
class Panel:
    """Validated panel: ``x`` and ``w`` (NaN where absent), row and column labels."""

    x: np.ndarray
    w: np.ndarray
    index: pd.Index
    columns: pd.Index

    @property
    def observed(self) -> np.ndarray:
        return ~np.isnan(self.x)

    @property
    def n_periods(self) -> np.ndarray:
        """Observed periods per contract, ``n_i``."""
        return self.observed.sum(axis=1)

    @property
    def x0(self) -> np.ndarray:
        return np.where(self.observed, self.x, 0.0)

    @property
    def w0(self) -> np.ndarray:
        return np.where(self.observed, self.w, 0.0)


def label(value):
    """A row/column label as a plain Python value (no ``np.int64(3)`` in messages)."""
    return value.item() if isinstance(value, np.generic) else value


def _as_matrix(name: str, data) -> np.ndarray:
    if isinstance(data, pd.DataFrame):
        bad = [c for c in data.columns if not pd.api.types.is_numeric_dtype(data[c])]
        if bad:
            raise ParameterError(f"{name}: column {bad[0]!r} is not numeric")
    try:
        arr = np.asarray(data, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be numeric (contracts × periods)") from None
    if arr.ndim != 2:
        raise ParameterError(f"{name} must be 2-D (contracts × periods), got shape {arr.shape}")
    if arr.size == 0:
        raise ParameterError(f"{name} is empty")
    if np.isinf(arr).any():
        i, t = np.argwhere(np.isinf(arr))[0]
        raise ParameterError(f"{name} contains an infinite value at row {i}, column {t}")
    return arr


def read_panel(ratios, weights=None) -> Panel:
    """Check and return the panel.

    Rules: numeric 2-D arrays of the same shape (and, for two DataFrames, the same row and
    column labels); NaN in the same cells of ratios and weights; weights > 0 wherever a ratio
    is observed (no weights: 1 in every observed cell); unique contract labels; every contract
    has at least one observed period.
    """
    x = _as_matrix("ratios", ratios)
    if isinstance(ratios, pd.DataFrame):
        index, columns = ratios.index, ratios.columns
    else:
        index, columns = pd.RangeIndex(x.shape[0]), pd.RangeIndex(x.shape[1])
    missing = np.isnan(x)
    if weights is None:
        w = np.where(missing, np.nan, 1.0)
    else:
        w = _as_matrix("weights", weights)
        if w.shape != x.shape:
            raise ParameterError(f"weights shape {w.shape} differs from ratios shape {x.shape}")
        if isinstance(ratios, pd.DataFrame) and isinstance(weights, pd.DataFrame):
            if not weights.index.equals(ratios.index):
                raise ParameterError("weights and ratios have different row labels (contracts)")
            if not weights.columns.equals(ratios.columns):
                raise ParameterError("weights and ratios have different column labels (periods)")
        differ = np.isnan(w) != missing
        if differ.any():
            i, t = np.argwhere(differ)[0]
            raise ParameterError(
                "missing values must be in the same cells of ratios and weights; they differ "
                f"at contract {label(index[i])!r}, period {label(columns[t])!r}"
            )
        bad = np.argwhere(~missing & (w <= 0))
        if bad.size:
            i, t = bad[0]
            kind = "negative" if w[i, t] < 0 else "zero"
            raise ParameterError(
                f"weights must be > 0 where a ratio is observed; {kind} weight {float(w[i, t])!r} "
                f"at contract {label(index[i])!r}, period {label(columns[t])!r}"
            )
    if index.has_duplicates:
        raise ParameterError(
            f"contract labels must be unique; {label(index[index.duplicated()][0])!r} is repeated"
        )
    empty = np.flatnonzero(missing.all(axis=1))
    if empty.size:
        raise ParameterError(
            f"contract {label(index[empty[0]])!r} has no experience (every period is NaN); drop it "
            "or give it at least one observed period"
        )
    return Panel(x=x, w=w, index=index, columns=columns)
