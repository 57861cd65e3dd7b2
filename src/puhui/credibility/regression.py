"""Regression credibility of Hachemeister (回归信度; Hachemeister 1975; Bühlmann & Gisler 2005,
ch. 8).

Contract i has ratios ``X_it`` with weights ``w_it`` at times ``t`` and a polynomial trend
``E[X_it | Θ_i] = y_t' β(Θ_i)`` with ``y_t = (1, t, …, t^d)'`` (p = d + 1 coefficients).  The
credibility estimator of the contract's coefficients is the matrix-weighted compromise::

    β̂_i = Z_i b_i + (I − Z_i) β̂,          Z_i = A (A + s² S_i)⁻¹

* ``b_i = S_i Y' W_i X_i``, ``S_i = (Y' W_i Y)⁻¹``: the contract's weighted least-squares
  coefficients and their unscaled covariance (``W_i = diag(w_it)``, observed periods only);
* ``s² = (1/I') Σ_i Σ_t w_it (X_it − y_t' b_i)² / (n_i − p)``: the average of the contracts'
  residual variances (over the I' contracts with ``n_i > p`` periods);
* collective coefficients ``β̂ = (Σ_i Z_i)⁻¹ Σ_i Z_i b_i``, computed in the equivalent
  generalised-least-squares form ``β̂ = (Σ_i V_i⁻¹)⁻¹ Σ_i V_i⁻¹ b_i`` with ``V_i = A + s² S_i =
  Cov(b_i)`` (``Z_i = A V_i⁻¹``, so A cancels when it is regular).  Both are the same number,
  but when A tends to a singular matrix -- as on Hachemeister's data -- ``Σ Z_i`` does too and
  the first form drowns in rounding (the iteration then creeps and never settles; actuar stops
  it at its tolerance), while the second stays well conditioned and the iteration converges;
* structure matrix ``A = Cov(β(Θ))``, Hachemeister's iterative pseudo-estimator:
  ``A = sym( Σ_i Z_i (b_i − β̂)(b_i − β̂)' ) / (I − 1)`` (``sym(M) = (M + M')/2``), started at
  ``Z_i = I``, ``β̂ = mean(b_i)`` and iterated with the formulas above until ``β̂`` changes by
  less than ``tol`` (relatively); A and the ``Z_i`` are updated once more at the end.

Premium at a future time t (信度保费): ``π_i(t) = y_t' β̂_i``.

**Intercept at the barycentre of time** (``adj_intercept=True``; Bühlmann & Gisler § 8.4, actuar
``adj.intercept = TRUE``).  With the collective period weights ``ω_t = w_·t / w_··`` the design
is orthonormalised, ``√ω Y = Q R`` (R upper triangular with a positive diagonal), ``x_t' =
y_t' R⁻¹``: ``Σ_t ω_t x_t x_t' = I``, ``x_0 ≡ 1`` and ``x_1 = (t − t̄)/σ_t`` with ``t̄ = Σ ω_t t``
the barycentre.  In this basis ``A`` and the credibility matrices are taken diagonal, so each
coefficient ``γ_k`` gets its own Bühlmann–Straub model::

    W_ik = Σ_t w_it x_tk²,      z_ik = W_ik / (W_ik + s² / a_k),
    γ̂_k = Σ_i z_ik g_ik / Σ_i z_ik,     γ̂_ik = γ̂_k + z_ik (g_ik − γ̂_k)

(``g_i`` the contract's least-squares coefficients in this basis, ``a_k`` by the unbiased
Bühlmann–Straub estimator or the iterative Bichsel–Straub one, 0 when ≤ 0).  The premium at t is
``x_t' γ̂_i`` and the coefficients in the original basis are ``β̂_i = R⁻¹ γ̂_i``.  This avoids
the classical defect of the origin model, whose credibility line may lie outside the individual
and collective lines (actuar vignette, figure 1).

Computations run in the orthonormal basis for both models, so times such as 2015 … 2024 are
fine (the origin model is equivariant under a change of basis; R actuar's ``cm()`` fails with
a singular system there).

Sources: C. Hachemeister, Credibility for regression models with application to trend, in
*Credibility: Theory and Applications*, Academic Press 1975; H. Bühlmann, A. Gisler, *A Course
in Credibility Theory and its Applications*, Springer 2005, ch. 8 (§ 8.4 for the barycentric
intercept); C. Dutang, V. Goulet, X. Milhaud, M. Pigeon, *Credibility theory features of
actuar*, vignette "credibility", § 5.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from puhui.errors import ParameterError

from ._panel import label, read_panel

__all__ = ["Hachemeister"]

METHODS = ("buhlmann-gisler", "ohlsson", "iterative")


def _powers(t: np.ndarray, degree: int) -> np.ndarray:
    return np.power.outer(np.asarray(t, dtype=float), np.arange(degree + 1))


def _inverse(m: np.ndarray) -> np.ndarray:
    """Inverses of a stack of small matrices (n, p, p); the 2 × 2 case (a linear trend) by the
    adjugate, element-wise over the stack, ~10× faster than a LAPACK call per matrix."""
    if m.shape[-1] != 2:
        return np.linalg.inv(m)
    a, b, c, d = m[:, 0, 0], m[:, 0, 1], m[:, 1, 0], m[:, 1, 1]
    det = a * d - b * c
    return np.stack([np.stack([d, -b], axis=-1), np.stack([-c, a], axis=-1)], axis=1) / \
        det[:, None, None]


def _between_variance(g, w, s2, iterative, tol, max_iter):
    """Bühlmann–Straub between variance for one coefficient: unbiased estimator, or the
    Bichsel–Straub fixed point ``a = Σ z_i (g_i − g_z)² / (I − 1)`` started from it."""
    n = g.size
    w_tot = w.sum()
    g_w = np.sum(w * g) / w_tot
    a = float(w_tot * (np.sum(w * (g - g_w) ** 2) - (n - 1) * s2) / (w_tot**2 - np.sum(w**2)))
    unbiased = a
    if a <= 0:
        return 0.0, unbiased, 0
    if not iterative:
        return a, unbiased, 0
    for it in range(1, max_iter + 1):
        z = a * w / (a * w + s2)
        g_z = np.sum(z * g) / z.sum()
        a_new = float(np.sum(z * (g - g_z) ** 2) / (n - 1))
        if a_new <= 0:
            return 0.0, unbiased, it
        if abs(a_new - a) <= tol * a:
            return a_new, unbiased, it
        a = a_new
    warnings.warn(f"iterative between-variance estimator did not converge in {max_iter} "
                  "iterations", RuntimeWarning, stacklevel=4)
    return a, unbiased, max_iter


class Hachemeister:
    """Hachemeister's regression credibility model with a polynomial trend in time.

    Parameters
    ----------
    adj_intercept : bool
        False: intercept at the time origin, full structure matrix A by Hachemeister's iterative
        estimator (actuar ``cm(..., regformula = ~time)``).  True: intercept at the barycentre
        of time, diagonal A (actuar ``adj.intercept = TRUE``).
    method : {None, "buhlmann-gisler", "ohlsson", "iterative"}
        Estimator of A.  With ``adj_intercept=True``: ``"buhlmann-gisler"`` (default) and
        ``"ohlsson"`` both mean the unbiased Bühlmann–Straub estimator per coefficient,
        ``"iterative"`` the Bichsel–Straub one.  With ``adj_intercept=False`` only the
        iterative estimator exists (None or ``"iterative"``; anything else raises, where actuar
        warns and uses it anyway).
    degree : int
        Degree of the trend polynomial (1: ``a + b t``; 2 adds ``t²``).
    tol, max_iter
        Relative tolerance (on the collective coefficients, or on ``a_k``) and iteration cap
        of the iterative estimators.  actuar stops at √ε ≈ 1.5e-8; on Hachemeister's data its
        origin-model premiums are within 2e-5 of the fixed point puhui reaches.

    Attributes (after :meth:`fit`)
    ------------------------------
    coefficients_ : DataFrame
        Credibility-adjusted coefficients ``β̂_i`` per contract (columns ``intercept``,
        ``time``, ``time^2`` …), original basis.
    individual_coefficients_ : DataFrame
        Least-squares coefficients ``b_i`` per contract.
    collective_ : Series
        Collective coefficients ``β̂``.
    z_ : ndarray, shape (contracts, p, p)
        Credibility matrices in the fitting basis: the original basis (origin model) or the
        orthonormal basis ``x`` (barycentric model, diagonal).
    structure_matrix_ : DataFrame
        ``A`` in the fitting basis.
    within_variance_ : float
        ``s²``.
    coefficient_names_, basis_names_ : list of str
        Names of the coefficients (``intercept``, ``time``, ``time^2`` …) and of the
        fitting-basis ones (the same, or ``x0``, ``x1`` … for the barycentric model).
    method_ : str
        The estimator used (``"buhlmann-gisler"``, ``"ohlsson"`` or ``"iterative"``).
    orthogonal_coefficients_, orthogonal_individual_coefficients_, orthogonal_collective_
        The coefficients in the orthonormal basis (barycentric model only, else None); equal to
        actuar's ``adj.models`` coefficients up to the sign of each basis vector (actuar's QR
        may give ``x0 ≡ −1``).
    transition_ : DataFrame
        R with ``γ = R β`` (barycentric model; None otherwise).
    between_variances_unbiased_ : Series
        Unbiased Bühlmann–Straub estimates of the diagonal of A before truncation at 0
        (barycentric model; None otherwise).
    barycentre_ : float
        ``t̄ = Σ_t ω_t t``.
    weights_ : Series
        ``w_i = Σ_t w_it``.
    time_ : ndarray
        The times of the periods.
    n_iter_ : int

    Examples
    --------
    Three regions, six years of claim frequencies (出险率, ‰) with member-years as weights:

    >>> import numpy as np
    >>> x = np.array([[10.2, 10.9, 11.5, 12.4, 12.9, 13.8],
    ...               [8.1, 8.0, 8.6, 8.5, 9.0, 9.2],
    ...               [12.5, 12.0, 13.1, 13.8, 13.2, 14.6]])
    >>> w = np.array([[50, 55, 60, 62, 65, 70], [120, 125, 118, 130, 135, 140],
    ...               [30, 28, 35, 33, 36, 40]], dtype=float)
    >>> fit = Hachemeister(adj_intercept=True).fit(x, w, time=np.arange(2019, 2025))
    >>> fit.predict(2025).round(2).tolist()
    [14.39, 9.43, 14.7]
    >>> round(fit.barycentre_, 2)
    2021.63

    R actuar agrees: ``predict(cm(~id, D, ratios = r1:r6, weights = w1:w6, regformula = ~time,
    regdata = data.frame(time = 2019:2024), adj.intercept = TRUE), newdata = data.frame(time =
    2025))`` gives 14.391341329, 9.434848222, 14.702940285.
    """

    def __init__(self, adj_intercept: bool = False, method: str | None = None, degree: int = 1,
                 tol: float = 1e-10, max_iter: int = 1000):
        self.adj_intercept = adj_intercept
        self.method = method
        self.degree = degree
        self.tol = tol
        self.max_iter = max_iter

    # ------------------------------------------------------------------------------------
    def _check_params(self) -> str:
        if not isinstance(self.adj_intercept, bool | np.bool_):
            raise ParameterError(f"adj_intercept must be True or False, got {self.adj_intercept!r}")
        if isinstance(self.degree, bool) or int(self.degree) != self.degree or self.degree < 1:
            raise ParameterError(
                f"degree must be an integer ≥ 1, got {self.degree!r} (for a constant use "
                "BuhlmannStraub)"
            )
        if not (np.isfinite(self.tol) and self.tol > 0):
            raise ParameterError(f"tol must be > 0, got {self.tol!r}")
        if int(self.max_iter) != self.max_iter or self.max_iter < 1:
            raise ParameterError(f"max_iter must be a positive integer, got {self.max_iter!r}")
        method = self.method
        if method is not None and method not in METHODS:
            raise ParameterError(f"method must be None or one of {METHODS}, got {method!r}")
        if self.adj_intercept:
            return method or "buhlmann-gisler"
        if method not in (None, "iterative"):
            raise ParameterError(
                f"method {method!r} is not available with the intercept at the time origin: "
                "only Hachemeister's iterative estimator of the structure matrix is (use "
                "method='iterative', or adj_intercept=True for the unbiased estimators)"
            )
        return "iterative"

    def fit(self, ratios, weights=None, time=None) -> Hachemeister:
        """Fit the model.

        Parameters
        ----------
        ratios : DataFrame or array, shape (contracts, periods)
            Observed ratios; NaN where a period has no experience.
        weights : same shape, optional
            Volumes, > 0 where a ratio is observed (1 by default).
        time : array-like, length periods, optional
            Distinct, finite times of the periods (default 1, 2, …, periods).
        """
        method = self._check_params()
        p = int(self.degree) + 1
        panel = read_panel(ratios, weights)
        n_contracts, n_periods = panel.x.shape
        if time is None:
            t = np.arange(1, n_periods + 1, dtype=float)
        else:
            try:
                t = np.asarray(time, dtype=float)
            except (TypeError, ValueError):
                raise ParameterError("time must be numeric") from None
            if t.ndim != 1 or t.size != n_periods:
                raise ParameterError(
                    f"time must have one value per period ({n_periods}), got shape {t.shape}"
                )
            if not np.isfinite(t).all():
                raise ParameterError("time must be finite")
            if np.unique(t).size != t.size:
                raise ParameterError("time values must be distinct (one per period)")
        if n_contracts < 2:
            raise ParameterError("regression credibility needs at least two contracts")
        n_i = panel.n_periods
        short = np.flatnonzero(n_i < p)
        if short.size:
            i = short[0]
            raise ParameterError(
                f"contract {label(panel.index[i])!r} has {n_i[i]} period(s) of experience; "
                f"a degree-{self.degree} trend needs at least {p}"
            )
        if not np.any(n_i > p):
            raise ParameterError(
                f"at least one contract needs more than {p} periods of experience to estimate "
                "the within variance s²"
            )

        # orthonormal basis under the collective period weights ω_t
        w0, x0 = panel.w0, panel.x0
        omega = w0.sum(axis=0) / w0.sum()
        y = _powers(t, self.degree)
        r = np.linalg.qr(np.sqrt(omega)[:, None] * y, mode="r")
        r = np.sign(np.diag(r))[:, None] * r  # positive diagonal: x_0 ≡ 1
        r_inv = np.linalg.inv(r)
        xb = y @ r_inv  # x_t' = y_t' R⁻¹

        # individual weighted least squares in the x basis
        m = np.einsum("it,tj,tk->ijk", w0, xb, xb, optimize=True)
        rhs = np.einsum("it,tj->ij", w0 * x0, xb)
        s_unscaled = _inverse(m)
        g = np.einsum("ijk,ik->ij", s_unscaled, rhs)
        resid = np.where(panel.observed, x0 - g @ xb.T, 0.0)
        dof = n_i - p
        has_dof = dof > 0
        sigma2 = np.sum(w0 * resid**2, axis=1)[has_dof] / dof[has_dof]
        s2 = float(sigma2.mean())

        if self.adj_intercept:
            gamma, z, a_mat, coll, n_iter, unbiased = self._barycentric(g, w0, xb, s2, method)
        else:
            gamma, z, a_mat, coll, n_iter = self._origin(g, s_unscaled, s2, r_inv)

        names = ["intercept", "time"] + [f"time^{k}" for k in range(2, p)]
        basis = ["x" + str(k) for k in range(p)] if self.adj_intercept else names
        index = panel.index
        self.coefficients_ = pd.DataFrame(gamma @ r_inv.T, index=index, columns=names)
        self.individual_coefficients_ = pd.DataFrame(g @ r_inv.T, index=index, columns=names)
        self.collective_ = pd.Series(r_inv @ coll, index=names, name="collective")
        if self.adj_intercept:
            self.z_ = z
            self.structure_matrix_ = pd.DataFrame(a_mat, index=basis, columns=basis)
            self.orthogonal_coefficients_ = pd.DataFrame(gamma, index=index, columns=basis)
            self.orthogonal_individual_coefficients_ = pd.DataFrame(g, index=index,
                                                                    columns=basis)
            self.orthogonal_collective_ = pd.Series(coll, index=basis, name="collective")
            self.transition_ = pd.DataFrame(r, index=basis, columns=names)
            self.between_variances_unbiased_ = pd.Series(unbiased, index=basis,
                                                         name="between_variance_unbiased")
        else:  # back to the original basis: Z_β = R⁻¹ Z_γ R, A_β = R⁻¹ A_γ R⁻ᵀ
            self.z_ = np.einsum("jk,ikl,lm->ijm", r_inv, z, r)
            self.structure_matrix_ = pd.DataFrame(r_inv @ a_mat @ r_inv.T, index=names,
                                                  columns=names)
            self.orthogonal_coefficients_ = None
            self.orthogonal_individual_coefficients_ = None
            self.orthogonal_collective_ = None
            self.transition_ = None
            self.between_variances_unbiased_ = None
        self.basis_names_ = basis
        self.coefficient_names_ = names
        self.within_variance_ = s2
        self.weights_ = pd.Series(w0.sum(axis=1), index=index, name="weight")
        self.barycentre_ = float(np.sum(omega * t))
        self.time_ = t
        self.method_ = method
        self.n_iter_ = n_iter
        self._gamma = gamma
        self._r_inv = r_inv
        return self

    def _origin(self, g, s_unscaled, s2, r_inv):
        """Hachemeister's iterative structure-matrix estimator (full A).

        Sequence of actuar's ``hache.origin``: ``A₁`` from ``Z = I`` and the mean of the
        ``b_i``; then for k = 1, 2, …: ``V_i = A_k + s² S_i``, collective ``β̂_k`` (GLS form),
        ``A_{k+1} = sym(Σ Z_i d_i d_i') / (I − 1)`` with ``Z_i d_i = A_k V_i⁻¹ d_i`` and
        ``d_i = b_i − β̂_k`` -- no ``Z_i`` is formed inside the loop -- until ``β̂`` settles;
        the credibility matrices come from the last A.
        """
        n, _ = g.shape

        def next_a(a, v_inv, coll):
            d = g - coll
            if v_inv is None:  # first step: Z_i = I
                m = d.T @ d
            else:  # Σ Z_i d_i d_i' = A Σ (V_i⁻¹ d_i) d_i'
                m = a @ (np.einsum("ijk,ik->ij", v_inv, d).T @ d)
            m = m / (n - 1)
            return (m + m.T) / 2

        coll = g.mean(axis=0)
        a = next_a(None, None, coll)
        n_iter = 0
        for it in range(1, int(self.max_iter) + 1):
            n_iter = it
            v_inv = _inverse(a[None] + s2 * s_unscaled)
            prev = r_inv @ coll
            # β̂ = (Σ Z_i)⁻¹ Σ Z_i b_i = (Σ V_i⁻¹)⁻¹ Σ V_i⁻¹ b_i: A cancels, so the solve stays
            # well conditioned when A tends to a singular matrix (where Σ Z_i does too)
            coll = np.linalg.solve(v_inv.sum(axis=0), np.einsum("ijk,ik->j", v_inv, g))
            a = next_a(a, v_inv, coll)
            now = r_inv @ coll
            scale = np.where(prev != 0, np.abs(prev), 1.0)
            if np.max(np.abs(now - prev) / scale) < self.tol:
                break
        else:
            warnings.warn(f"structure-matrix iteration did not converge in {self.max_iter} "
                          "iterations", RuntimeWarning, stacklevel=3)
        z = a @ _inverse(a[None] + s2 * s_unscaled)  # Z_i = A (A + s² S_i)⁻¹
        eig = np.linalg.eigvalsh(a)
        if eig.min() <= 1e-10 * eig.max():
            warnings.warn(
                f"the estimated structure matrix A is singular (eigenvalues {eig[0]:.3g} … "
                f"{eig[-1]:.3g} in the orthonormal basis): no heterogeneity between contracts "
                "along some direction of the coefficients, the credibility matrices have rank "
                "< p (the collective coefficients stay well defined)",
                RuntimeWarning, stacklevel=3)
        gamma = coll + np.einsum("ijk,ik->ij", z, g - coll)
        return gamma, z, a, coll, n_iter

    def _barycentric(self, g, w0, xb, s2, method):
        """One Bühlmann–Straub model per orthonormal coefficient (diagonal A)."""
        n, p = g.shape
        w_diag = np.einsum("it,tk->ik", w0, xb**2)  # W_ik = Σ_t w_it x_tk²
        z = np.zeros((n, p, p))
        zdiag = np.zeros((n, p))
        a = np.zeros(p)
        coll = np.zeros(p)
        unbiased = np.zeros(p)
        n_iter = 0
        for k in range(p):
            a[k], unbiased[k], it = _between_variance(
                g[:, k], w_diag[:, k], s2, method == "iterative", self.tol, int(self.max_iter))
            n_iter = max(n_iter, it)
            if a[k] > 0:
                zdiag[:, k] = a[k] * w_diag[:, k] / (a[k] * w_diag[:, k] + s2)
                coll[k] = np.sum(zdiag[:, k] * g[:, k]) / zdiag[:, k].sum()
            else:
                warnings.warn(
                    f"between variance of coefficient x{k} is {unbiased[k]:.6g} ≤ 0: every "
                    "contract gets the collective coefficient (z = 0)",
                    RuntimeWarning, stacklevel=3)
                coll[k] = np.sum(w_diag[:, k] * g[:, k]) / w_diag[:, k].sum()
        z[:, np.arange(p), np.arange(p)] = zdiag
        gamma = coll + zdiag * (g - coll)
        return gamma, z, np.diag(a), coll, n_iter, unbiased

    # ------------------------------------------------------------------------------------
    def predict(self, t):
        """Credibility premiums ``π_i(t) = y_t' β̂_i`` at future time(s) t.

        A scalar t gives a Series by contract; an array gives a DataFrame (contracts × t).
        """
        if not hasattr(self, "coefficients_"):
            raise ParameterError("call fit() first")
        try:
            tt = np.asarray(t, dtype=float)
        except (TypeError, ValueError):
            raise ParameterError("t must be numeric") from None
        if tt.ndim > 1 or not np.isfinite(tt).all():
            raise ParameterError("t must be a finite scalar or 1-D array of times")
        xt = _powers(np.atleast_1d(tt), int(self.degree)) @ self._r_inv
        values = self._gamma @ xt.T  # contracts × times
        index = self.coefficients_.index
        if tt.ndim == 0:
            return pd.Series(values[:, 0], index=index, name=float(tt))
        return pd.DataFrame(values, index=index, columns=pd.Index(tt, name="time"))

    def summary(self, t=None) -> pd.DataFrame:
        """Per-contract table in the fitting basis: ``weight``, ``individual_<b>``,
        ``z_<b>`` (diagonal of the credibility matrix), ``credible_<b>`` for each basis
        coefficient b, and ``premium`` at time t (default: one period after the last,
        ``t_n + (t_n − t_{n−1})``); structure parameters in ``.attrs``."""
        if not hasattr(self, "coefficients_"):
            raise ParameterError("call fit() first")
        if t is None:
            times = self.time_
            t = float(times[-1] + (times[-1] - times[-2])) if times.size > 1 else float(times[-1])
        if self.adj_intercept:
            indiv, cred = self.orthogonal_individual_coefficients_, self.orthogonal_coefficients_
        else:
            indiv, cred = self.individual_coefficients_, self.coefficients_
        cols = {"weight": self.weights_}
        for k, b in enumerate(self.basis_names_):
            cols[f"individual_{b}"] = indiv[b]
            cols[f"z_{b}"] = pd.Series(self.z_[:, k, k], index=indiv.index)
            cols[f"credible_{b}"] = cred[b]
        cols["premium"] = self.predict(t)
        table = pd.DataFrame(cols)
        collective = (self.orthogonal_collective_ if self.adj_intercept else self.collective_)
        table.attrs.update(
            adj_intercept=self.adj_intercept,
            method=self.method_,
            t=t,
            collective=collective.to_dict(),
            structure_matrix=self.structure_matrix_.to_numpy().tolist(),
            within_variance=self.within_variance_,
            barycentre=self.barycentre_,
        )
        return table
