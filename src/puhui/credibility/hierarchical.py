"""Hierarchical credibility (多层信度模型; Jewell 1975; Bühlmann & Gisler 2005, ch. 6).

A portfolio is split into units at L nested levels -- e.g. province (省) → city (市) → contract
(合同), or cohort → state in actuar's vignette.  Level 0 is the whole portfolio, level L the
contracts that carry the data: ratios ``X_ut`` with weights ``w_ut`` over periods t.  Unit u at
level k has one parent ``p(u)`` at level k − 1.

Linearly sufficient statistics, bottom-up (contract level first):

* contracts: ``w_u = Σ_t w_ut``, ``X_u = Σ_t w_ut X_ut / w_u`` (natural weights);
* within variance ``s² = Σ_u Σ_t w_ut (X_ut − X_u)² / (n − N_L)`` (n observed cells, N_k units
  at level k);
* at level k, with between variance ``b_k`` (variance of the level-k unit means within their
  parent) and ``λ_k`` the first positive variance below it (``b_{k+1}, …, b_L, s²``):
  credibility factor ``z_u = w_u / (w_u + λ_k / b_k)``; the parent v gets
  ``w_v = Σ_{u∈v} z_u`` and ``X_v = Σ_{u∈v} z_u X_u / w_v`` (when ``b_k = 0``: ``z_u = 0`` and
  natural weights ``w_v = Σ w_u``, ``X_v = Σ w_u X_u / w_v``);
* collective premium ``m̂ = X`` of the portfolio node (``X_zzw`` in the vignette).

Credibility premiums (信度保费), top-down::

    π_0 = m̂,      π_u = π_{p(u)} + z_u (X_u − π_{p(u)}).

Estimators of ``b_k`` (the between variance of level k), with ``ω_u`` the weights of the
level-k units (natural at the contract level, ``Σ z`` of the children above), ``J_v`` the number
of children of parent v and ``X̄_v = Σ_{u∈v} ω_u X_u / Σ_{u∈v} ω_u``::

    A_v = Σ_{u∈v} ω_u (X_u − X̄_v)² − (J_v − 1) λ_k,     c_v = ω_v − Σ_{u∈v} ω_u² / ω_v
    (so that E A_v = c_v b_k)

* ``"buhlmann-gisler"`` (actuar's default): ``b̂_k = (1/N_{k−1}) Σ_v max(A_v / c_v, 0)``, the
  average of the per-parent estimators truncated at 0 (a parent with a single child adds 0);
* ``"ohlsson"``: ``b̂_k = Σ_v A_v / Σ_v c_v`` (untruncated; a negative value is set to 0 for the
  credibility factors, with a warning);
* ``"iterative"`` (pseudo-estimators): the fixed point of
  ``b̃_k = Σ_u z_u (X_u − X_{p(u)})² / (N_k − N_{k−1})`` started from the Ohlsson estimates,
  levels updated bottom-up in each sweep until every positive ``b̃_k`` changes by less than
  ``tol`` (relatively).

With one level (contracts only) every estimator reduces to Bühlmann–Straub: the first two to the
unbiased one, the third to Bichsel–Straub (:class:`puhui.credibility.BuhlmannStraub`).

Sources: H. Bühlmann, A. Gisler, *A Course in Credibility Theory and its Applications*,
Springer 2005, ch. 6; C. Dutang, V. Goulet, X. Milhaud, M. Pigeon, *Credibility theory features
of actuar* (actuar vignette "credibility", § 3, equations for ``A_i``, ``c_i``, ``B``, ``d`` and
the three estimators); H. Belhadj, V. Goulet, T. Ouellet, On parameter estimation in
hierarchical credibility, *ASTIN Bulletin* 39 (2009); E. Ohlsson, Simplified estimation of
structure parameters in hierarchical credibility, *ASTIN Colloquium* 2005.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from puhui.errors import ParameterError

from ._panel import label, read_panel

__all__ = ["Hierarchical"]

METHODS = ("buhlmann-gisler", "ohlsson", "iterative")


def _group_frame(groups, panel_index: pd.Index, labels_given: bool) -> pd.DataFrame:
    """``groups`` as a DataFrame (rows aligned with the contracts, one column per level)."""
    n = len(panel_index)
    if isinstance(groups, pd.Series):
        frame = groups.to_frame(name=groups.name if groups.name is not None else "group")
    elif isinstance(groups, pd.DataFrame):
        frame = groups.copy()
    else:
        arr = np.asarray(groups, dtype=object)
        if arr.ndim == 1:
            frame = pd.DataFrame({"group": arr})
        elif arr.ndim == 2:
            frame = pd.DataFrame(arr, columns=[f"level_{k + 1}" for k in range(arr.shape[1])])
        else:
            raise ParameterError(f"groups must be 1-D or 2-D, got shape {arr.shape}")
        if len(frame) == n:
            frame.index = panel_index
        labels_given = False
    if frame.shape[1] == 0:
        raise ParameterError("groups has no column; pass groups=None for a one-level model")
    if len(frame) != n:
        raise ParameterError(f"groups has {len(frame)} rows but ratios has {n} contracts")
    if labels_given and isinstance(groups, pd.Series | pd.DataFrame):
        if frame.index.has_duplicates:
            raise ParameterError("groups has repeated row labels")
        if not frame.index.equals(panel_index):
            if set(frame.index) != set(panel_index):
                raise ParameterError(
                    "groups is not indexed by the contracts of ratios (different row labels)"
                )
            frame = frame.loc[panel_index]
    frame.columns = [str(c) for c in frame.columns]
    if len(set(frame.columns)) != frame.shape[1]:
        raise ParameterError(f"groups has repeated level names: {list(frame.columns)}")
    null = frame.isna().to_numpy()
    if null.any():
        i, k = np.argwhere(null)[0]
        raise ParameterError(
            f"groups: contract {label(panel_index[i])!r} has no {frame.columns[k]!r} "
            "(missing label)"
        )
    return frame


def _codes(keys: pd.DataFrame) -> np.ndarray:
    """Integer code of each row's unit (the tuple of labels of the levels in ``keys``)."""
    cols = list(keys.columns)
    try:
        return keys.groupby(cols, sort=True).ngroup().to_numpy()
    except TypeError:  # labels of mixed types cannot be sorted: order of appearance
        return keys.groupby(cols, sort=False).ngroup().to_numpy()


class Hierarchical:
    """Hierarchical (Jewell) credibility model with any number of levels.

    Parameters
    ----------
    method : {"buhlmann-gisler", "ohlsson", "iterative"}
        Estimators of the between variances (actuar ``cm(method = "Buhlmann-Gisler" |
        "Ohlsson" | "iterative")``); see the module docstring for the formulas.
    tol : float
        Relative tolerance of the iterative pseudo-estimators.
    max_iter : int
        Maximum number of sweeps of the iteration.

    Input (:meth:`fit`)
    -------------------
    ``ratios`` and ``weights``: contracts × periods (DataFrames or arrays, NaN where a period
    has no experience, like :class:`~puhui.credibility.BuhlmannStraub`); ``groups``: each
    contract's chain of higher levels -- a DataFrame with one column per level, outermost first
    (e.g. ``province``, ``city``), or a Series for a two-level model (its name is the level's
    name), indexed like ``ratios``; ``None`` gives the one-level (Bühlmann–Straub) model.  A
    unit is the whole chain of labels: the same city label under two provinces is two cities
    (like actuar's ``province:city`` interaction).  The contract level is named after the index
    of ``ratios`` (``"contract"`` when unnamed).

    Attributes (after :meth:`fit`)
    ------------------------------
    levels_ : list of str
        Level names, outermost first; the last one is the contract level.
    premiums_ : dict of str → Series
        Credibility premiums by level.  The contract level is indexed like ``ratios``; the first
        level by its labels; deeper levels by a MultiIndex of the chain of labels.
    z_, means_, weights_ : dict of str → Series
        Credibility factors ``z_u``, linearly sufficient statistics ``X_u`` and weights ``w_u``
        of every unit (natural weights at the contract level, ``Σ z`` of the children above).
    collective_ : float
        Collective premium ``m̂``.
    between_variances_ : Series
        ``b_k`` by level name (the variance between the level's units within their parent),
        as used (≥ 0).
    between_variances_unbiased_ : Series
        The Bühlmann–Gisler or Ohlsson estimates before truncation (for ``"iterative"``: the
        Ohlsson starting values).
    within_variance_ : float
        ``s²``.
    n_units_ : dict of str → int
    n_iter_ : int
        Sweeps of the iteration (0 unless ``method="iterative"``).

    Examples
    --------
    Two regions (区域), each with two cities, three years of loss ratios and earned premium:

    >>> import pandas as pd
    >>> idx = pd.Index(["A1", "A2", "B1", "B2"], name="city")
    >>> ratios = pd.DataFrame([[0.60, 0.70, 0.65], [0.80, 0.75, 0.85],
    ...                        [0.40, 0.45, 0.35], [0.50, 0.55, 0.60]], index=idx)
    >>> weights = pd.DataFrame([[100, 120, 110], [80, 90, 100],
    ...                         [150, 140, 160], [60, 70, 65]], index=idx)
    >>> region = pd.Series(["A", "A", "B", "B"], index=idx, name="region")
    >>> fit = Hierarchical().fit(ratios, weights, groups=region)
    >>> fit.levels_
    ['region', 'city']
    >>> round(fit.collective_, 4)
    0.5995
    >>> fit.premiums_["region"].round(4).tolist()
    [0.7045, 0.4945]
    >>> fit.premiums_["city"].round(4).tolist()
    [0.6566, 0.7937, 0.4028, 0.5449]

    R actuar gives the same numbers: ``cm(~region + region:city, d, ratios = r1:r3,
    weights = w1:w3)`` on these data prints the collective premium 0.5995016343 and the
    variances 0.02676832045 (region), 0.01051192503 (city), 0.2601251295 (within).
    """

    def __init__(self, method: str = "buhlmann-gisler", tol: float = 1e-10,
                 max_iter: int = 1000):
        self.method = method
        self.tol = tol
        self.max_iter = max_iter

    # ------------------------------------------------------------------------------------
    def fit(self, ratios, weights=None, groups=None) -> Hierarchical:
        """Estimate the structure parameters and the credibility premiums of every level.

        Parameters
        ----------
        ratios : DataFrame or array, shape (contracts, periods)
            Observed ratios; NaN where a period has no experience.  Every contract needs at
            least one observed period.
        weights : same shape, optional
            Volumes, > 0 where a ratio is observed and NaN where it is missing (1 by default).
        groups : Series, DataFrame, array or None
            The levels above the contracts, outermost first (see the class docstring).
        """
        if self.method not in METHODS:
            raise ParameterError(f"method must be one of {METHODS}, got {self.method!r}")
        if not (np.isfinite(self.tol) and self.tol > 0):
            raise ParameterError(f"tol must be > 0, got {self.tol!r}")
        if int(self.max_iter) != self.max_iter or self.max_iter < 1:
            raise ParameterError(f"max_iter must be a positive integer, got {self.max_iter!r}")
        panel = read_panel(ratios, weights)
        n_contracts = len(panel.index)
        contract_level = panel.index.name if panel.index.name is not None else "contract"
        contract_level = str(contract_level)
        if groups is None:
            frame = pd.DataFrame(index=panel.index)
        else:
            frame = _group_frame(groups, panel.index, isinstance(ratios, pd.DataFrame))
        if contract_level in frame.columns:
            raise ParameterError(
                f"the contract level (index name of ratios) {contract_level!r} is also a "
                "column of groups; rename one of them"
            )
        levels = [*frame.columns, contract_level]
        depth = len(levels)

        # unit structure: parent[k] maps level-k units to level-(k−1) units (level 0: portfolio)
        row_code = [np.zeros(n_contracts, dtype=np.intp)]
        unit_index: list[pd.Index] = [pd.Index(["portfolio"])]
        parent: list[np.ndarray] = [np.zeros(1, dtype=np.intp)]
        for k in range(1, depth):
            code = _codes(frame.iloc[:, :k])
            first = pd.Series(np.arange(n_contracts)).groupby(code).first().to_numpy()
            units = frame.iloc[first, :k]
            unit_index.append(pd.Index(units.iloc[:, 0], name=levels[0]) if k == 1
                              else pd.MultiIndex.from_frame(units))
            parent.append(row_code[k - 1][first])
            row_code.append(code)
        unit_index.append(panel.index)
        parent.append(row_code[depth - 1])
        n_units = [1] + [len(ix) for ix in unit_index[1:]]
        for k in range(1, depth + 1):
            if n_units[k] <= n_units[k - 1]:
                above = "portfolio" if k == 1 else f"{levels[k - 2]!r} unit"
                raise ParameterError(
                    f"level {levels[k - 1]!r} has {n_units[k]} unit(s) for {n_units[k - 1]} "
                    f"{above}(s): its between variance needs at least one {above} with two or "
                    f"more {levels[k - 1]!r} units"
                )
        n_cells = int(panel.n_periods.sum())
        if n_cells - n_contracts < 1:
            raise ParameterError(
                "at least one contract needs two or more periods of experience to estimate the "
                "within variance s²"
            )

        # contract level: natural weights and means, within variance
        w0, x0 = panel.w0, panel.x0
        tw: list[np.ndarray] = [np.empty(0)] * (depth + 1)
        xm: list[np.ndarray] = [np.empty(0)] * (depth + 1)
        z: list[np.ndarray] = [np.empty(0)] * (depth + 1)
        tw[depth] = w0.sum(axis=1)
        xm[depth] = (w0 * x0).sum(axis=1) / tw[depth]
        s2 = float(np.sum(w0 * (x0 - xm[depth][:, None]) ** 2) / (n_cells - n_contracts))

        b = np.zeros(depth + 1)  # b[k], k = 1..depth; b[0] unused

        def lower_variance(k: int) -> float:
            positive = b[k + 1:][b[k + 1:] > 0]
            return float(positive[0]) if positive.size else s2

        def aggregate(k: int) -> None:
            """z of level k and the statistics of level k − 1, given b[k]."""
            p, m = parent[k], n_units[k - 1]
            if b[k] > 0:
                lam = lower_variance(k)
                z[k] = b[k] * tw[k] / (b[k] * tw[k] + lam)
                u = z[k]
            else:
                z[k] = np.zeros(n_units[k])
                u = tw[k]
            tw[k - 1] = np.bincount(p, u, minlength=m)
            xm[k - 1] = np.bincount(p, u * xm[k], minlength=m) / tw[k - 1]

        # non-iterative pass: Bühlmann–Gisler or Ohlsson estimators, bottom-up
        unbiased = np.full(depth + 1, np.nan)
        first_pass = "ohlsson" if self.method == "iterative" else self.method
        for k in range(depth, 0, -1):
            p, m = parent[k], n_units[k - 1]
            lam = lower_variance(k)
            tw_p = np.bincount(p, tw[k], minlength=m)
            x_p = np.bincount(p, tw[k] * xm[k], minlength=m) / tw_p
            n_child = np.bincount(p, minlength=m)
            a_v = np.bincount(p, tw[k] * (xm[k] - x_p[p]) ** 2, minlength=m) - (n_child - 1) * lam
            c_v = tw_p - np.bincount(p, tw[k] ** 2, minlength=m) / tw_p
            multi = n_child > 1
            if first_pass == "buhlmann-gisler":
                per_parent = np.zeros(m)
                per_parent[multi] = np.maximum(a_v[multi] / c_v[multi], 0.0)
                est = float(per_parent.mean())
            else:
                est = float(a_v[multi].sum() / c_v[multi].sum())
            unbiased[k] = est
            b[k] = max(est, 0.0)
            aggregate(k)

        n_iter = 0
        if self.method == "iterative" and np.any(b[1:] > 0):
            n_iter = self._iterate(b, depth, parent, n_units, tw, xm, z, aggregate)

        # credibility premiums, top-down
        collective = float(xm[0][0])
        prem: list[np.ndarray] = [np.array([collective])] + [np.empty(0)] * depth
        for k in range(1, depth + 1):
            up = prem[k - 1][parent[k]]
            prem[k] = up + z[k] * (xm[k] - up)

        for k in range(1, depth + 1):
            if b[k] == 0:
                above = "the portfolio" if k == 1 else f"their {levels[k - 2]!r} unit"
                if self.method == "iterative" and unbiased[k] > 0:
                    how = f"the iteration took it to 0 from the Ohlsson start {unbiased[k]:.6g}"
                else:
                    how = f"estimated variance {unbiased[k]:.6g}, set to 0"
                warnings.warn(
                    f"no heterogeneity detected between {levels[k - 1]!r} units within {above} "
                    f"({how}): these units get the premium of the level above (z = 0)",
                    RuntimeWarning,
                    stacklevel=2,
                )

        def by_level(values):
            return {levels[k - 1]: pd.Series(values[k], index=unit_index[k])
                    for k in range(1, depth + 1)}

        self.levels_ = levels
        self.premiums_ = by_level(prem)
        self.z_ = by_level(z)
        self.means_ = by_level(xm)
        self.weights_ = by_level(tw)
        self.collective_ = collective
        self.collective_weight_ = float(tw[0][0])
        self.between_variances_ = pd.Series(b[1:], index=levels, name="between_variance")
        self.between_variances_unbiased_ = pd.Series(unbiased[1:], index=levels,
                                                     name="between_variance_unbiased")
        self.within_variance_ = s2
        self.n_units_ = {levels[k - 1]: n_units[k] for k in range(1, depth + 1)}
        self.n_iter_ = n_iter
        return self

    def _iterate(self, b, depth, parent, n_units, tw, xm, z, aggregate) -> int:
        """Sweeps of the pseudo-estimators ``b_k = Σ z_u (X_u − X_{p(u)})² / (N_k − N_{k−1})``,
        each level updated bottom-up with the latest values below it; a level whose estimate
        falls to (relatively) zero stays at zero."""
        denom = np.diff(np.asarray(n_units, dtype=float))  # N_k − N_{k−1}, k = 1..depth
        start = b.copy()
        for sweep in range(1, int(self.max_iter) + 1):
            previous = b.copy()
            for k in range(depth, 0, -1):
                aggregate(k)
                if previous[k] > 0:
                    dev = xm[k] - xm[k - 1][parent[k]]
                    b[k] = float(np.sum(z[k] * dev**2) / denom[k - 1])
                    if b[k] <= 1e-12 * start[k]:
                        b[k] = 0.0
                    aggregate(k)
            live = b[1:] > 0
            change = np.abs(b[1:][live] - previous[1:][live]) / previous[1:][live]
            if change.size == 0 or change.max() < self.tol:
                return sweep
        warnings.warn(
            f"iterative variance estimators did not converge in {self.max_iter} sweeps",
            RuntimeWarning,
            stacklevel=3,
        )
        return int(self.max_iter)

    # ------------------------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """One row per unit of every level (the portfolio first): ``level``, ``unit``,
        ``mean`` (linearly sufficient statistic), ``weight``, ``z``, ``premium``; the structure
        parameters in ``.attrs``."""
        if not hasattr(self, "premiums_"):
            raise ParameterError("call fit() first")
        parts = [pd.DataFrame({"level": ["portfolio"], "unit": ["portfolio"],
                               "mean": [self.collective_], "weight": [self.collective_weight_],
                               "z": [np.nan], "premium": [self.collective_]})]
        for level in self.levels_:
            prem = self.premiums_[level]
            parts.append(pd.DataFrame({
                "level": level,
                "unit": list(prem.index),
                "mean": self.means_[level].to_numpy(),
                "weight": self.weights_[level].to_numpy(),
                "z": self.z_[level].to_numpy(),
                "premium": prem.to_numpy(),
            }))
        table = pd.concat(parts, ignore_index=True)
        table.attrs.update(
            method=self.method,
            collective=self.collective_,
            within_variance=self.within_variance_,
            between_variances=self.between_variances_.to_dict(),
        )
        return table
