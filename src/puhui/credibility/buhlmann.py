"""Bühlmann and Bühlmann–Straub credibility (信度理论: Bühlmann–Straub 模型).

Bühlmann–Straub (Bühlmann & Gisler, *A Course in Credibility Theory*, 2005, ch. 4; R actuar
``cm()``/``bstraub``).  Contract i has ratios ``X_it`` (loss ratio, claim frequency, average
claim …) with weights ``w_it`` (exposure, premium, claim count) over periods t:

* ``w_i = Σ_t w_it``, individual mean ``X_iw = Σ_t w_it X_it / w_i``;
* within variance ``s² = Σ_i Σ_t w_it (X_it − X_iw)² / Σ_i (n_i − 1)``;
* between variance, unbiased estimator
  ``â = w_·· (Σ_i w_i (X_iw − X_ww)² − (I − 1) s²) / (w_·· ² − Σ_i w_i²)``;
  iterative (Bichsel–Straub) pseudo-estimator: the fixed point of
  ``ã = Σ_i z_i (X_iw − X_zw)² / (I − 1)``;
* credibility factor ``z_i = w_i / (w_i + s²/a)``, collective ``m̂ = X_zw = Σ z_i X_iw / Σ z_i``;
* credibility premium (信度保费) ``π_i = m̂ + z_i (X_iw − m̂)``.

Example
-------
>>> import numpy as np
>>> bs = BuhlmannStraub().fit(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [2.0, 2.0, 3.0]]))
>>> round(bs.collective_, 4)
3.1111
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from puhui.errors import ParameterError

__all__ = ["Buhlmann", "BuhlmannStraub"]


def _matrix(name: str, data) -> tuple[np.ndarray, pd.Index | None]:
    index = data.index if isinstance(data, pd.DataFrame) else None
    try:
        arr = np.asarray(data, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be numeric (contracts × periods)") from None
    if arr.ndim != 2:
        raise ParameterError(f"{name} must be 2-D (contracts × periods), got shape {arr.shape}")
    if np.isinf(arr).any():
        raise ParameterError(f"{name} contains infinite values")
    return arr, index


class BuhlmannStraub:
    """Bühlmann–Straub credibility model (scikit-learn style fitter).

    Parameters
    ----------
    method : {"unbiased", "iterative"}
        Estimator of the between variance ``a``: the unbiased Bühlmann–Straub estimator
        (actuar's default ``"Buhlmann-Gisler"``, identical to Ohlsson's for one level) or the
        iterative Bichsel–Straub pseudo-estimator (actuar ``method = "iterative"``).
    tol : float
        Relative tolerance of the fixed-point iteration (iterative method).
    max_iter : int
        Maximum number of iterations.

    Attributes (after :meth:`fit`)
    ------------------------------
    premiums_ : ndarray or Series
        Credibility premium per contract (Series indexed like the input DataFrame).
    collective_ : float
        Collective premium ``m̂``.
    z_ : ndarray or Series
        Credibility factors, in [0, 1).
    within_variance_, between_variance_ : float
        ``ŝ²`` and ``â`` (``â`` is set to 0 when the estimate is ≤ 0, with a warning).
    credibility_constant_ : float
        ``K = s²/a`` (∞ when a = 0).
    individual_means_, weights_ : ndarray or Series
        ``X_iw`` and ``w_i`` (NaN mean for a contract without experience).
    between_variance_unbiased_ : float
        The raw unbiased estimate (may be negative); the iteration starts from it.
    n_iter_ : int
        Iterations used (0 for the unbiased method).

    Examples
    --------
    >>> r = np.array([[1.0, 2.0], [3.0, 5.0], [2.0, np.nan]])
    >>> w = np.array([[10.0, 20.0], [5.0, 5.0], [8.0, np.nan]])
    >>> fit = BuhlmannStraub().fit(r, w)
    >>> bool(np.all((fit.z_ >= 0) & (fit.z_ <= 1)))
    True
    """

    def __init__(self, method: str = "unbiased", tol: float = 1e-10, max_iter: int = 1000):
        self.method = method
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, ratios, weights=None) -> BuhlmannStraub:
        """Estimate the structure parameters and the credibility premiums.

        Parameters
        ----------
        ratios : array-like or DataFrame, shape (contracts, periods)
            Observed ratios; NaN marks a period without experience.
        weights : array-like or DataFrame, same shape, optional
            Volumes (> 0 where a ratio is present, NaN where it is missing).  Without weights
            every observed cell has weight 1 (the Bühlmann model).
        """
        if self.method not in ("unbiased", "iterative"):
            raise ParameterError(f"method must be 'unbiased' or 'iterative', got {self.method!r}")
        x, index = _matrix("ratios", ratios)
        missing = np.isnan(x)
        if weights is None:
            w = np.where(missing, np.nan, 1.0)
        else:
            w, _ = _matrix("weights", weights)
            if w.shape != x.shape:
                raise ParameterError(f"weights shape {w.shape} differs from ratios shape {x.shape}")
            if not np.array_equal(np.isnan(w), missing):
                i, t = np.argwhere(np.isnan(w) != missing)[0]
                raise ParameterError(
                    "missing values must be in the same cells of ratios and weights; "
                    f"they differ at contract {i}, period {t}"
                )
            bad = np.argwhere(~missing & (w <= 0))
            if bad.size:
                i, t = bad[0]
                raise ParameterError(
                    f"weights must be > 0 where a ratio is observed; weights[{i}, {t}] = {w[i, t]!r}"
                )
        x0 = np.where(missing, 0.0, x)
        w0 = np.where(missing, 0.0, w)
        w_i = w0.sum(axis=1)
        has = w_i > 0
        n_contracts = int(has.sum())
        n_cells = int((~missing).sum())
        if n_contracts < 2:
            raise ParameterError("credibility needs at least two contracts with experience")
        if n_cells - n_contracts < 1:
            raise ParameterError(
                "at least one contract needs two or more periods of experience to estimate "
                "the within variance"
            )
        x_iw = np.divide((w0 * x0).sum(axis=1), w_i, out=np.full(w_i.shape, np.nan), where=has)
        w_tot = w_i.sum()
        x_ww = float(np.sum(w_i[has] * x_iw[has]) / w_tot)
        resid = np.where(missing, 0.0, x - x_iw[:, None])
        s2 = float(np.sum(w0 * resid**2) / (n_cells - n_contracts))
        dev = x_iw[has] - x_ww
        a_unb = float(
            w_tot
            * (np.sum(w_i[has] * dev**2) - (n_contracts - 1) * s2)
            / (w_tot**2 - np.sum(w_i[has] ** 2))
        )
        n_iter = 0
        if a_unb <= 0:
            warnings.warn(
                f"estimated between-contract variance is {a_unb:.6g} ≤ 0: no heterogeneity "
                "detected, every contract gets the collective premium (z = 0)",
                RuntimeWarning,
                stacklevel=2,
            )
            a = 0.0
        elif self.method == "unbiased":
            a = a_unb
        else:
            a, n_iter = self._iterate(a_unb, s2, w_i[has], x_iw[has], n_contracts)
        if a > 0 and s2 > 0:
            z = np.where(has, w_i / (w_i + s2 / a), 0.0)
        elif a > 0:  # no within variance: the contract's own mean is fully credible
            z = np.where(has, 1.0, 0.0)
        else:
            z = np.zeros_like(w_i)
        collective = float(np.sum(z[has] * x_iw[has]) / np.sum(z[has])) if a > 0 else x_ww
        own = np.where(has, x_iw, collective)
        premiums = collective + z * (own - collective)

        def wrap(values):
            return pd.Series(values, index=index) if index is not None else values

        self.within_variance_ = s2
        self.between_variance_ = a
        self.between_variance_unbiased_ = a_unb
        self.credibility_constant_ = s2 / a if a > 0 else math.inf
        self.collective_ = collective
        self.z_ = wrap(z)
        self.premiums_ = wrap(premiums)
        self.individual_means_ = wrap(x_iw)
        self.weights_ = wrap(w_i)
        self.n_iter_ = n_iter
        self.n_contracts_ = n_contracts
        return self

    def _iterate(self, a0, s2, w, xbar, n_contracts):
        """Fixed point of ``a = Σ z_i (X_iw − X_zw)² / (I − 1)`` (Bichsel–Straub); by hand:
        neither statsmodels nor scipy ships this actuarial estimator."""
        a = a0
        for it in range(1, self.max_iter + 1):
            z = w / (w + s2 / a) if s2 > 0 else np.ones_like(w)
            xz = np.sum(z * xbar) / np.sum(z)
            a_new = float(np.sum(z * (xbar - xz) ** 2) / (n_contracts - 1))
            if a_new <= 0:
                return 0.0, it
            if abs(a_new - a) <= self.tol * a:
                return a_new, it
            a = a_new
        warnings.warn(
            f"iterative between-variance estimator did not converge in {self.max_iter} iterations",
            RuntimeWarning,
            stacklevel=3,
        )
        return a, self.max_iter

    def summary(self) -> pd.DataFrame:
        """Per-contract table (individual mean, weight, z, premium); structure parameters in
        ``.attrs``."""
        if not hasattr(self, "premiums_"):
            raise ParameterError("call fit() first")
        df = pd.DataFrame(
            {
                "individual_mean": self.individual_means_,
                "weight": self.weights_,
                "z": self.z_,
                "premium": self.premiums_,
            }
        )
        df.attrs.update(
            method=self.method,
            collective=self.collective_,
            within_variance=self.within_variance_,
            between_variance=self.between_variance_,
            credibility_constant=self.credibility_constant_,
        )
        return df


class Buhlmann(BuhlmannStraub):
    """Bühlmann model: Bühlmann–Straub with every observed cell weighted 1.

    Examples
    --------
    >>> fit = Buhlmann().fit([[3.0, 5.0, 4.0], [6.0, 8.0, 7.0]])
    >>> round(float(fit.z_[0]), 4)
    0.9259
    """

    def fit(self, ratios, weights=None) -> Buhlmann:
        if weights is not None:
            raise ParameterError("Buhlmann uses equal weights; use BuhlmannStraub for weights")
        return super().fit(ratios, None)
