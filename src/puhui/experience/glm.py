"""Rate groups by GLM (费率分组): factor relativities from a book's experience, product-neutral.

A book with rating variables (风险因子: age band, sex, 既往症 / health status, urban/rural …), an
exposure (人年, member-years) and the claims of each record is turned into a factor table and a
rate-group table through generalised linear models fitted by **statsmodels** (``sm.GLM``):

* **frequency × severity** (``model="frequency_severity"``, the default) — claim counts
  ``N_c ~ Poisson(e_c λ_c)``, ``log λ_c = β₀ + Σ_v β_{v, l_v(c)}`` (log link, offset ``log e_c``),
  fitted as ``sm.GLM(N, X, family=Poisson(), offset=log e)``; the average claim
  ``Ȳ_c = L_c / N_c`` of the records with claims ``~ Gamma`` with mean ``m_c``,
  ``log m_c = γ₀ + Σ_v γ_{v, l_v(c)}`` and weights ``N_c`` (``Var Ȳ_c = φ m_c² / N_c``), fitted as
  ``sm.GLM(Ȳ, X, family=Gamma(link=Log()), var_weights=N)``. The pure-premium relativity of a
  level is ``exp(β + γ)``; its standard error ``√(se_β² + se_γ²)`` — the likelihood of counts and
  amounts factorises, so the two estimators are independent;
* **Tweedie pure premium** (``model="tweedie"``) — ``Y_c = L_c / e_c`` with mean ``μ_c``,
  ``log μ_c = β₀ + Σ_v β_{v, l_v(c)}``, ``Var Y_c = φ μ_c^p / e_c`` for a power ``1 < p < 2``
  (compound Poisson–gamma), fitted as ``sm.GLM(Y, X, family=Tweedie(var_power=p, link=Log()),
  var_weights=e)`` — the weighted form of an offset ``log e_c`` model, the one whose estimates do
  not depend on how records are grouped.

``X`` is the treatment coding of every variable against its base level (基准水平; by default the
level with the most exposure), so the relativity (相对数) of level ``l`` is ``exp(β_l)``, with the
Wald interval ``exp(β_l ± z_{(1+level)/2} se_l)``. Records are first summed into cells (one per
combination of levels); the estimates are those of a fit on the records themselves (the sums are
sufficient statistics of all three families), and the dispersion ``φ`` is Pearson's
``X² / (n − p)`` over the records as given (``n`` records, ``p`` parameters; for the Gamma the
records with claims): quasi-Poisson intervals for the frequency.

**Thin levels** are credibility-weighted toward the base level (relativity 1), by one of two
rules (``credibility=``):

* ``"buhlmann"`` (default) — Bühlmann–Straub on the log relativities, ``K`` from the data: the
  estimate ``β_l`` of level ``l`` scatters around its true value with variance ``se_l²`` (the
  GLM's), and the true values of the factor's levels scatter around the base (0) with variance
  ``τ²``, estimated by moments over the ``L − 1`` non-base levels::

      τ̂² = max(0, Σ_l (β_l² − se_l²) / (L − 1)),    Z_l = τ̂² / (τ̂² + se_l²),
      credible relativity = exp(Z_l β_l)

  i.e. ``Z = w / (w + K)`` with weight ``w = 1/se_l²`` and ``K = 1/τ̂²`` (the credibility–GLM
  combination of Ohlsson & Johansson 2010, ch. 4, on the scale of the GLM's estimates). A factor
  whose levels spread far more than their noise keeps its relativities (age), one whose spread
  is within its noise is pulled to 1 (``τ̂² = 0``: the factor is not rated);
* ``"limited_fluctuation"`` — :func:`puhui.credibility.partial_credibility` on the level's claims:
  ``Z = min(1, √(n / n_F))``, ``n_F = (z_{(1+P)/2} / k)² (1 + CV²)`` with ``CV²`` the squared
  coefficient of variation of a claim — the Gamma dispersion ``φ_s`` (frequency × severity) or
  ``(p − 1)/(2 − p)``, the gamma shape implied by a Tweedie power (Jørgensen 1997) — and
  the credible relativity ``Z · exp(β) + (1 − Z) · 1``. It looks only at the level's size, not
  at how far it is from 1, so it also shrinks large, well-measured effects.

Variables given as ``controls`` (policy year, say) are fitted so that they do not bias the
rating factors, but carry no rate.

**Rate groups**: every combination ``g`` of the rating factors' levels gets
``rate_g = B · Π_v r̃_{v, l_v(g)}`` (``r̃`` the credible relativities), the base rate ``B`` chosen so
that ``Σ_g e_g rate_g`` equals a target over the exposure mix ``e_g`` (the data's, or ``mix=``):
the flat price's premium ``flat_rate · Σ e_g`` (``balance="flat"``, revenue-neutral), the
observed loss cost ``Σ L / Σ e`` times ``Σ e_g`` (``balance="loss"``: pure premiums), or a given
total premium (``balance=<number>``, e.g. an indicated premium).

**Checks** (tests/test_rate_groups.py): with one variable the Poisson relativities are the ratios
of observed frequencies; with two, the fitted counts reproduce the observed count of every level
(the marginal totals of Bailey's minimum bias, Mildenhall 1999) and agree with an independent
Bailey iteration; the Gamma and Tweedie score equations hold level by level.

Example
-------
>>> data = pd.DataFrame({"sex": ["F", "F", "M", "M"], "exposure": [100.0, 120.0, 80.0, 90.0],
...                      "claim_count": [10, 12, 12, 15],
...                      "loss": [5_000.0, 6_600.0, 7_000.0, 8_000.0]})
>>> r = fit_rate_groups(data, ["sex"], credibility=None)
>>> r.factor_table[["level", "frequency", "frequency_relativity"]].round(4)
  level  frequency  frequency_relativity
0     F     0.1000                1.0000
1     M     0.1588                1.5882
>>> round(27 / 170 / 0.1, 4)      # the ratio of observed frequencies
1.5882
"""

from __future__ import annotations

import difflib
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..credibility import full_credibility_standard, partial_credibility
from ..errors import DataError, ParameterError, Problem
from ..plots import label, new_axes

__all__ = ["RateGroups", "credible_relativity", "fit_rate_groups", "plot_double_lift",
           "plot_factor", "plot_lift"]

MODELS = ("frequency_severity", "tweedie")
#: Most problems listed per rule in a DataError (the first rows are enough to fix a file).
_SHOWN = 20
#: Largest rate-group table built (combinations of the rating factors' levels).
MAX_GROUPS = 200_000


# ----------------------------------------------------------------------------- validation


def _names(value, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, Sequence | np.ndarray | pd.Index):
        raise ParameterError(f"{what}: give a sequence of column names, got {value!r}")
    out = tuple(value)
    if len(set(out)) != len(out):
        raise ParameterError(f"{what}: a column is named twice in {list(out)}")
    return out


def _near(name, columns) -> str:
    near = difflib.get_close_matches(str(name), [str(c) for c in columns], n=1, cutoff=0.6)
    return f" (did you mean '{near[0]}'?)" if near else ""


def credible_relativity(beta, z, credibility: str | None):
    """The credible relativity of levels with GLM estimates ``beta`` (log scale) and credibility
    ``z``, by the rule of ``credibility`` (module docstring): ``exp(Z·β)`` for ``"buhlmann"``
    (shrunk on the GLM's scale), ``Z·exp(β) + (1 − Z)`` for ``"limited_fluctuation"``,
    ``exp(β)`` for None. The one home of the rule: :func:`fit_rate_groups` applies it to the
    pure-premium relativities, a family may apply it to a part (e.g. the frequency).

    >>> float(credible_relativity(np.log(2.0), 0.5, "limited_fluctuation"))
    1.5
    >>> round(float(credible_relativity(np.log(4.0), 0.5, "buhlmann")), 12)
    2.0
    """
    beta, z = np.asarray(beta, float), np.asarray(z, float)
    if credibility == "buhlmann":
        return np.exp(z * beta)
    if credibility == "limited_fluctuation":
        return z * np.exp(beta) + (1.0 - z)
    if credibility is None:
        return np.exp(beta)
    raise ParameterError("credibility must be 'buhlmann', 'limited_fluctuation' or None, got "
                         f"{credibility!r}")


def _check_columns(data: pd.DataFrame, needed: Sequence, table: str) -> None:
    missing = [c for c in needed if c not in data.columns]
    if missing:
        shown = "; ".join(f"'{c}'{_near(c, data.columns)}" for c in missing)
        raise ParameterError(f"{table} has no column {shown}; its columns are "
                             f"{[str(c) for c in data.columns]}")


def _rows(mask: np.ndarray) -> np.ndarray:
    return np.flatnonzero(mask)[:_SHOWN]


def _numbers(data: pd.DataFrame, exposure: str, count: str, loss: str, table: str,
             *, need_claims: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exposure, claim count and loss as float arrays, every bad row a :class:`Problem`."""
    problems: list[Problem] = []
    out = []
    cols = (exposure, count, loss) if need_claims else (exposure,)
    for col in cols:
        raw = pd.to_numeric(data[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(raw)
        problems += [Problem(table, str(col), int(r) + 1, "not_a_number",
                             "must be a finite number", data[col].iloc[r]) for r in _rows(bad)]
        out.append(raw)
    e = out[0]
    ok = np.isfinite(e)
    problems += [Problem(table, str(exposure), int(r) + 1, "exposure_not_positive",
                         "exposure must be > 0 (drop records without cover)", float(e[r]))
                 for r in _rows(ok & (e <= 0))]
    if need_claims:
        n, s = out[1], out[2]
        okn, oks = np.isfinite(n), np.isfinite(s)
        problems += [Problem(table, str(count), int(r) + 1, "count_not_whole",
                             "claim counts must be whole numbers ≥ 0", float(n[r]))
                     for r in _rows(okn & ((n < 0) | (n != np.round(n))))]
        problems += [Problem(table, str(loss), int(r) + 1, "negative",
                             "loss must be ≥ 0", float(s[r])) for r in _rows(oks & (s < 0))]
        problems += [Problem(table, str(loss), int(r) + 1, "loss_without_claims",
                             f"a loss with no claim counted in '{count}'", float(s[r]))
                     for r in _rows(okn & oks & (n == 0) & (s > 0))]
        problems += [Problem(table, str(count), int(r) + 1, "claims_without_loss",
                             f"claims with no amount in '{loss}': count only the claims with a "
                             "positive amount (drop those closed without payment)", float(n[r]))
                     for r in _rows(okn & oks & (n > 0) & (s == 0))]
    if problems:
        raise DataError(problems)
    return e, *(out[1:] if need_claims else (np.zeros_like(e), np.zeros_like(e)))


def _codes(column: pd.Series, name: str, table: str) -> tuple[np.ndarray, list]:
    """Level index of each row and the levels (a categorical's order, else sorted)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        cat = column.cat.remove_unused_categories()
        codes, levels = cat.cat.codes.to_numpy(np.int64), list(cat.cat.categories)
    else:
        codes, uniques = pd.factorize(column, sort=True)
        codes, levels = codes.astype(np.int64), list(uniques)
    if (codes < 0).any():
        raise DataError([Problem(table, str(name), int(r) + 1, "missing",
                                 "a rating variable needs a level on every record")
                         for r in _rows(codes < 0)])
    return codes, levels


def _as_level(value, levels: list, name: str):
    """The level of ``levels`` equal to ``value`` (numbers and text compared as text too)."""
    for lv in levels:
        if lv == value or str(lv) == str(value):
            return lv
    raise ParameterError(f"base level {value!r} is not a level of '{name}'"
                         f"{_near(value, levels)}; its levels are {[str(v) for v in levels]}")


# ----------------------------------------------------------------------------- the fit


@dataclass
class _Design:
    """The cells (one per combination of levels) and their treatment-coded design matrix."""

    variables: tuple[str, ...]
    levels: dict[str, list]
    base: dict[str, int]
    codes: np.ndarray  # cells × variables, level index
    exposure: np.ndarray
    count: np.ndarray
    loss: np.ndarray
    columns: list[tuple[str, int]] = field(default_factory=list)  # (variable, level) per β

    def matrix(self, codes: np.ndarray) -> np.ndarray:
        x = np.ones((codes.shape[0], 1 + len(self.columns)))
        for j, (v, lv) in enumerate(self.columns):
            x[:, j + 1] = codes[:, self.variables.index(v)] == lv
        return x

    def columns_named(self) -> list[tuple[str, object]]:
        """``(variable, level)`` of each non-intercept column of the design matrix."""
        return [(v, self.levels[v][lv]) for v, lv in self.columns]

    def position(self, v: str, lv: int) -> int | None:
        """Column of β for level ``lv`` of ``v`` (None for the base level)."""
        try:
            return 1 + self.columns.index((v, lv))
        except ValueError:
            return None


def _cells(codes: list[np.ndarray], dims: list[int], e, n, s):
    """Sum the records into cells; returns (cell codes, e, n, s, cell index of each record)."""
    size = math.prod(dims)
    if size <= 4 * len(e) + 1_000_000:  # every combination indexed directly: no sort, O(n)
        key = np.ravel_multi_index(codes, dims)
        uniq = np.flatnonzero(np.bincount(key, minlength=size))
        lookup = np.zeros(size, np.int64)
        lookup[uniq] = np.arange(len(uniq))
        inv = lookup[key]
        cell_codes = np.column_stack(np.unravel_index(uniq, dims)).astype(np.int64)
    elif size < 2**62:
        key = np.ravel_multi_index(codes, dims)
        uniq, inv = np.unique(key, return_inverse=True)
        cell_codes = np.column_stack(np.unravel_index(uniq, dims)).astype(np.int64)
    else:  # pragma: no cover - thousands of levels on many variables
        frame = pd.DataFrame(np.column_stack(codes))
        inv, uniq = pd.factorize(pd.MultiIndex.from_frame(frame), sort=True)
        cell_codes = np.array(list(uniq), dtype=np.int64)
    k = len(cell_codes)
    return (cell_codes.reshape(k, len(dims)), np.bincount(inv, e, k), np.bincount(inv, n, k),
            np.bincount(inv, s, k), inv)


#: IRLS stops when the estimates settle (statsmodels' default watches the deviance to 1e-8 in
#: absolute terms, which leaves the score equations satisfied to about 1e-8 only).
_TOL = {"tol_criterion": "params", "atol": 1e-11, "rtol": 1e-11}


def _glm(endog, x, family, *, offset=None, var_weights=None, what: str):
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        # A saturated fit on the cells (one cell per parameter, e.g. one variable) reproduces
        # the data exactly, which statsmodels flags as "perfect prediction"; a level without
        # claims (the real separation) is refused before the fit.
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)  # its WLS scale with 0 residual df
        try:
            res = sm.GLM(endog, x, family=family, offset=offset,
                         var_weights=var_weights).fit(scale=1.0, maxiter=100, **_TOL)
        except (ConvergenceWarning, np.linalg.LinAlgError) as exc:
            raise ParameterError(f"the {what} GLM did not converge ({exc}); merge thin levels "
                                 "or drop a variable") from exc
    if not res.converged or not np.all(np.isfinite(res.params)):
        raise ParameterError(f"the {what} GLM did not converge; merge thin levels or drop a "
                             "variable")
    return res


def _refit(res, phi: float):
    """The same fit with the dispersion fixed at ``phi`` (statsmodels then reports its
    standard errors and intervals with it)."""
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        return res.model.fit(scale=phi, start_params=res.params, maxiter=100, **_TOL)


def _pearson_dispersion(x2: float, n: int, p: int, what: str) -> float:
    if n - p < 1:
        raise ParameterError(f"the {what} GLM has {p} parameters and only {n} records: the "
                             "dispersion cannot be estimated; give the records (not the cells) "
                             "or fewer levels")
    return float(x2 / (n - p))


# ----------------------------------------------------------------------------- the result


@dataclass(frozen=True)
class RateGroups:
    """Rate groups by GLM (费率分组): factor table, rate-group table and the fits.

    Attributes
    ----------
    factor_table : DataFrame
        One row per variable × level: ``factor``, ``level``, ``role`` (``rating`` /
        ``control``), ``base``, ``exposure``, ``claim_count``, ``loss``, ``frequency`` and
        ``loss_cost`` (observed, per unit of exposure); for frequency × severity
        ``frequency_relativity``, ``severity_relativity`` with their ``_lower``/``_upper``; then
        ``relativity`` (pure premium, 相对数), ``lower``, ``upper``, ``credibility`` (Z) and
        ``credible_relativity``.
    rate_table : DataFrame
        One row per combination of the rating factors' levels (费率分组表): the factors,
        ``exposure`` (of the balancing mix), ``data_exposure``, ``claim_count``, ``loss``,
        ``loss_cost`` (observed), ``glm_relativity`` (product of the GLM relativities),
        ``relativity`` (of the credible ones), ``rate`` and, with a flat price, ``flat_rate`` and
        ``change`` = rate / flat − 1.
    base_rate : float
        The rate of the group at every base level.
    balance : str
        Which total the rates reproduce, in words.
    totals : dict
        Records, cells, exposure, claims, observed and fitted loss, number of parameters,
        dispersions ``φ``, the claim CV, the credibility rule with ``τ̂²`` per factor
        (``between_variance``, Bühlmann) or ``n_F`` (``full_credibility_claims``, limited
        fluctuation), the balancing target and the mix's exposure.
    frequency_fit, severity_fit, tweedie_fit : statsmodels GLMResults or None
        The fits on the cells, with the dispersions above.
    """

    factors: tuple[str, ...]
    controls: tuple[str, ...]
    model: str
    var_power: float | None
    level: float
    factor_table: pd.DataFrame
    rate_table: pd.DataFrame
    base_rate: float
    flat_rate: float | None
    balance: str
    totals: dict
    frequency_fit: object
    severity_fit: object
    tweedie_fit: object
    _design: _Design
    _beta: np.ndarray  # log pure-premium coefficients (intercept first)
    _names: tuple[str, str, str]  # exposure, count, loss columns
    _credible: dict  # factor → array of credible relativities by level index

    # ------------------------------------------------------------------------- tables
    def summary(self) -> pd.DataFrame:
        """The factor table's main columns: levels, exposure, claims, relativity with its
        interval, credibility and the credible relativity."""
        cols = ["factor", "level", "role", "base", "exposure", "claim_count", "loss_cost",
                "relativity", "lower", "upper", "credibility", "credible_relativity"]
        return self.factor_table[cols]

    def _cells_of(self, data: pd.DataFrame | None, table: str):
        """(level codes, e, n, s) per cell of ``data`` (the fit's own cells when None)."""
        d = self._design
        if data is None:
            return d.codes, d.exposure, d.count, d.loss
        exposure, count, loss = self._names
        _check_columns(data, [*d.variables, exposure, count, loss], table)
        e, n, s = _numbers(data, exposure, count, loss, table)
        codes = []
        for v in d.variables:
            idx = pd.Index(d.levels[v]).get_indexer(data[v])
            if (idx < 0).any():
                raise DataError([Problem(table, str(v), int(r) + 1, "unknown_level",
                                         f"a level the model was not fitted on; levels: "
                                         f"{[str(x) for x in d.levels[v]]}", data[v].iloc[r])
                                 for r in _rows(idx < 0)])
            codes.append(idx.astype(np.int64))
        dims = [len(d.levels[v]) for v in d.variables]
        cc, ce, cn, cs, _ = _cells(codes, dims, e, n, s)
        return cc, ce, cn, cs

    def predict(self, data: pd.DataFrame) -> np.ndarray:
        """GLM pure premium per unit of exposure of each record of ``data`` (controls
        included, no credibility): ``exp(β₀ + Σ_v β_{v, l_v})``."""
        d = self._design
        _check_columns(data, list(d.variables), "data")
        codes = []
        for v in d.variables:
            idx = pd.Index(d.levels[v]).get_indexer(data[v])
            if (idx < 0).any():
                raise DataError([Problem("data", str(v), int(r) + 1, "unknown_level",
                                         "a level the model was not fitted on",
                                         data[v].iloc[r]) for r in _rows(idx < 0)])
            codes.append(idx)
        return np.exp(d.matrix(np.column_stack(codes)) @ self._beta)

    def _rate_of_cells(self, codes: np.ndarray) -> np.ndarray:
        """Balanced credible rate of each cell's rating-factor combination."""
        d = self._design
        rel = np.ones(len(codes))
        for v in self.factors:
            rel *= self._credible[v][codes[:, d.variables.index(v)]]
        return self.base_rate * rel

    def _control_relativity(self, codes: np.ndarray) -> np.ndarray:
        d = self._design
        eta = np.zeros(len(codes))
        for v in self.controls:
            for lv in range(len(d.levels[v])):
                j = d.position(v, lv)
                if j is not None:
                    eta += np.where(codes[:, d.variables.index(v)] == lv, self._beta[j], 0.0)
        return np.exp(eta)

    def lift(self, data: pd.DataFrame | None = None, *, buckets: int = 10) -> pd.DataFrame:
        """Lift table (提升图): cells sorted by GLM pure premium, cut into ``buckets`` groups of
        about equal exposure; per group the actual and predicted loss cost and both relative
        to the overall actual loss cost. ``data`` (same columns as the fit, e.g. a later year)
        gives an out-of-sample lift; by default the fit's own cells.

        A cell goes whole to the bucket holding the middle of its exposure, so buckets are
        about (not exactly) equal; empty buckets are dropped.
        """
        codes, e, n, s = self._cells_of(data, "lift data")
        pred = e * np.exp(self._design.matrix(codes) @ self._beta)
        out = _buckets(pred / e, e, {"claim_count": n, "loss": s, "predicted_loss": pred},
                       buckets)
        out = out.drop(columns="sort_value")
        out["actual_loss_cost"] = out["loss"] / out["exposure"]
        out["predicted_loss_cost"] = out["predicted_loss"] / out["exposure"]
        overall = s.sum() / e.sum()
        out["actual_relative"] = out["actual_loss_cost"] / overall
        out["predicted_relative"] = out["predicted_loss_cost"] / overall
        return out

    def double_lift(self, data: pd.DataFrame | None = None, *,
                    buckets: int = 10) -> pd.DataFrame:
        """Double-lift table (双提升图) of the rate groups against the flat price.

        Cells are sorted by the ratio ``rate / flat rate`` and cut into ``buckets`` groups of
        about equal exposure; per group the actual loss over each price's premium, each premium
        first rebased to the total actual loss (so both columns average 1 over the book):
        ``actual_to_flat = L / P_flat`` and ``actual_to_glm = L / P_glm``, with
        ``P = e · rate · c`` and ``c`` the GLM relativity of the controls (so a policy year's
        trend is not charged to either price). The better price keeps its column near 1 in
        every bucket. The flat rate only scales ``P_flat``, so the table does not depend on it.
        """
        codes, e, n, s = self._cells_of(data, "double-lift data")
        ctrl = self._control_relativity(codes)
        rate = self._rate_of_cells(codes)
        flat = self.flat_rate if self.flat_rate is not None else float(
            np.sum(e * rate) / e.sum())
        p_glm, p_flat = e * rate * ctrl, e * flat * ctrl
        p_glm *= s.sum() / p_glm.sum()
        p_flat *= s.sum() / p_flat.sum()
        out = _buckets(rate / flat, e, {"claim_count": n, "loss": s, "flat_premium": p_flat,
                                        "glm_premium": p_glm}, buckets)
        out = out.rename(columns={"sort_value": "sort_ratio"})
        out["actual_to_flat"] = out["loss"] / out["flat_premium"]
        out["actual_to_glm"] = out["loss"] / out["glm_premium"]
        return out

    # ------------------------------------------------------------------------- figures
    def plot_factor(self, factor: str, ax=None):
        """Relativities of ``factor`` with their intervals and the credible ones (``ax=``)."""
        return plot_factor(self, factor, ax=ax)

    def plot_lift(self, ax=None, **kwargs):
        """The lift chart of :meth:`lift` (``ax=``; other keywords go to :meth:`lift`)."""
        return plot_lift(self.lift(**kwargs), ax=ax)

    def plot_double_lift(self, ax=None, **kwargs):
        """The double-lift chart of :meth:`double_lift` (``ax=``)."""
        return plot_double_lift(self.double_lift(**kwargs), ax=ax)


def _buckets(sort_value: np.ndarray, e: np.ndarray, sums: dict, buckets: int) -> pd.DataFrame:
    if isinstance(buckets, bool) or not isinstance(buckets, int | np.integer) or buckets < 2:
        raise ParameterError(f"buckets must be a whole number ≥ 2, got {buckets!r}")
    order = np.argsort(sort_value, kind="stable")
    cum = np.cumsum(e[order])
    mid = (cum - e[order] / 2) / cum[-1]
    b = np.empty(len(e), np.int64)
    b[order] = np.minimum((mid * buckets).astype(np.int64), buckets - 1)
    frame = pd.DataFrame({"bucket": b, "cells": 1, "exposure": e,
                          "sort_value": sort_value * e, **sums})
    out = frame.groupby("bucket", sort=True).sum().reset_index(drop=True)
    out["sort_value"] /= out["exposure"]
    out.insert(0, "bucket", np.arange(1, len(out) + 1))
    return out


# ----------------------------------------------------------------------------- main entry


def fit_rate_groups(data: pd.DataFrame, factors: Sequence[str], *, exposure: str = "exposure",
                    count: str = "claim_count", loss: str = "loss",
                    controls: Sequence[str] = (), base: Mapping | None = None,
                    model: str = "frequency_severity", var_power: float = 1.5,
                    flat_rate: float | None = None, balance: str | float | None = None,
                    mix: pd.DataFrame | None = None,
                    credibility: str | None = "buhlmann", p: float = 0.90,
                    k: float = 0.05, level: float = 0.95) -> RateGroups:
    """Fit the rate-group GLMs and build the factor and rate-group tables (see the module
    docstring for every formula).

    Parameters
    ----------
    data : DataFrame
        One row per record (member-year, policy) or per cell, with the rating variables, the
        exposure, the number of claims with a positive amount and their total amount.
    factors : sequence of str
        Rating variables (风险因子), each with at least two levels. Banded variables (age
        bands) keep a categorical's order; others are sorted.
    exposure, count, loss : str
        Columns of exposure (> 0), claim count (whole, ≥ 0) and loss (元, ≥ 0; e.g. paid + case
        reserve, or the cost under the current design).
    controls : sequence of str
        Variables fitted but not rated (policy year, channel …).
    base : mapping, optional
        ``variable → base level``; default the level with the most exposure.
    model : {"frequency_severity", "tweedie"}
    var_power : float
        Tweedie power ``p`` in (1, 2) (``model="tweedie"``).
    flat_rate : float, optional
        Today's flat price per unit of exposure (统一价格).
    balance : {"flat", "loss"} or float, optional
        Target of ``Σ e_g rate_g``: the flat price's premium (default when ``flat_rate`` is
        given), the observed loss cost times the mix's exposure (default otherwise), or a total
        premium.
    mix : DataFrame, optional
        Exposure mix the rates are balanced on (the factors and the ``exposure`` column, e.g.
        the latest year); default the data's exposure.
    credibility : {"buhlmann", "limited_fluctuation", None}
        Rule for thin levels (module docstring); ``None`` keeps the GLM relativities.
    p, k : float
        Limited-fluctuation standard: within ``±k`` with probability ``p``.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    RateGroups
    """
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if len(data) == 0:
        raise ParameterError("data has no rows")
    factors, controls = _names(factors, "factors"), _names(controls, "controls")
    if not factors:
        raise ParameterError("give at least one rating variable in factors")
    variables = factors + controls
    if len(set(variables)) != len(variables):
        raise ParameterError(f"a variable is both a factor and a control: "
                             f"{sorted(set(factors) & set(controls))}")
    for role, col in (("exposure", exposure), ("count", count), ("loss", loss)):
        if col in variables:
            raise ParameterError(f"the {role} column '{col}' cannot also be a rating variable")
    if len({exposure, count, loss}) != 3:
        raise ParameterError("exposure, count and loss must be three different columns")
    if model not in MODELS:
        raise ParameterError(f"model must be one of {MODELS}, got {model!r}"
                             f"{_near(model, MODELS)}")
    vp = None
    if model == "tweedie":
        vp = float(var_power)
        if not 1.0 < vp < 2.0:
            raise ParameterError(f"var_power must be in (1, 2) (compound Poisson–gamma), got "
                                 f"{var_power!r}")
    if credibility not in ("buhlmann", "limited_fluctuation", None):
        raise ParameterError("credibility must be 'buhlmann', 'limited_fluctuation' or None, "
                             f"got {credibility!r}")
    if not 0 < float(level) < 1:
        raise ParameterError(f"level must be in (0, 1), got {level!r}")
    full_credibility_standard(p, k)  # checks p and k
    if flat_rate is not None and not (math.isfinite(float(flat_rate)) and float(flat_rate) > 0):
        raise ParameterError(f"flat_rate must be a positive number, got {flat_rate!r}")
    _check_columns(data, [*variables, exposure, count, loss], "data")
    e, n, s = _numbers(data, exposure, count, loss, "data")

    # ---- levels and cells
    codes, levels, bases = [], {}, {}
    base = dict(base or {})
    unknown = [v for v in base if v not in variables]
    if unknown:
        raise ParameterError(f"base names variable(s) {unknown} that are not factors or controls")
    for v in variables:
        c, lv = _codes(data[v], v, "data")
        if len(lv) < 2:
            raise ParameterError(f"rating variable '{v}' has a single level ({lv[0]!r}) in the "
                                 "data: it cannot be rated; drop it")
        codes.append(c)
        levels[v] = lv
        bases[v] = (lv.index(_as_level(base[v], lv, v)) if v in base
                    else int(np.argmax(np.bincount(c, e, len(lv)))))
    dims = [len(levels[v]) for v in variables]
    cell_codes, ce, cn, cs, inv = _cells(codes, dims, e, n, s)
    design = _Design(variables, levels, bases, cell_codes, ce, cn, cs,
                     [(v, lv) for v in variables for lv in range(len(levels[v]))
                      if lv != bases[v]])

    # every level needs claims and loss; the design must be of full rank
    problems = []
    for i, v in enumerate(variables):
        nl = np.bincount(cell_codes[:, i], cn, dims[i])
        for j in np.flatnonzero(nl == 0):
            problems.append(Problem("data", str(v), None, "level_without_claims",
                                    f"level {levels[v][j]!r} has no claims: its relativity "
                                    "cannot be estimated; merge it with a neighbouring level",
                                    levels[v][j]))
    if problems:
        raise DataError(problems)
    x = design.matrix(cell_codes)
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise ParameterError(f"the variables {list(variables)} are aliased (one determines "
                             "another on the data): drop or merge one")

    import statsmodels.api as sm

    log = sm.families.links.Log()
    fits: dict[str, object] = {"frequency": None, "severity": None, "tweedie": None}
    disp: dict[str, float] = {}
    n_par = x.shape[1]
    if model == "frequency_severity":
        f = _glm(cn, x, sm.families.Poisson(), offset=np.log(ce), what="frequency")
        lam = np.exp(x @ f.params)  # claims per unit exposure, by cell
        mu_row = e * lam[inv]
        disp["frequency"] = _pearson_dispersion(float(np.sum((n - mu_row) ** 2 / mu_row)),
                                                len(e), n_par, "frequency")
        has = cn > 0
        if np.linalg.matrix_rank(x[has]) < n_par:
            raise ParameterError("the cells with claims do not identify every level's severity "
                                 "(aliased there): merge thin levels")
        sv = _glm(cs[has] / cn[has], x[has], sm.families.Gamma(link=log), var_weights=cn[has],
                  what="severity")
        m = np.exp(x @ sv.params)
        rows = n > 0
        ybar = s[rows] / n[rows]
        disp["severity"] = _pearson_dispersion(
            float(np.sum(n[rows] * (ybar - m[inv[rows]]) ** 2 / m[inv[rows]] ** 2)),
            int(rows.sum()), n_par, "severity")
        fits["frequency"], fits["severity"] = _refit(f, disp["frequency"]), _refit(
            sv, disp["severity"])
        beta = f.params + sv.params
        var = (np.diag(fits["frequency"].cov_params())
               + np.diag(fits["severity"].cov_params()))
        fitted_loss = ce * lam * m
        cv2 = disp["severity"]
    else:
        tw_family = sm.families.Tweedie(var_power=vp, link=log)
        t = _glm(cs / ce, x, tw_family, var_weights=ce, what="Tweedie")
        mu = np.exp(x @ t.params)
        y = s / e
        disp["tweedie"] = _pearson_dispersion(
            float(np.sum(e * (y - mu[inv]) ** 2 / mu[inv] ** vp)), len(e), n_par, "Tweedie")
        fits["tweedie"] = _refit(t, disp["tweedie"])
        beta = t.params
        var = np.diag(fits["tweedie"].cov_params())
        fitted_loss = ce * mu
        cv2 = (vp - 1.0) / (2.0 - vp)
    se = np.sqrt(var)
    z = float(stats.norm.ppf(0.5 + float(level) / 2))
    n_full = (full_credibility_standard(p, k, math.sqrt(cv2))
              if credibility == "limited_fluctuation" else None)

    # ---- factor table
    rows_out, credible, tau2 = [], {}, {}
    for i, v in enumerate(variables):
        k_lv = dims[i]
        ex = np.bincount(cell_codes[:, i], ce, k_lv)
        nc = np.bincount(cell_codes[:, i], cn, k_lv)
        ls = np.bincount(cell_codes[:, i], cs, k_lv)
        pos = [design.position(v, j) for j in range(k_lv)]
        b = np.array([0.0 if q is None else beta[q] for q in pos])
        sd = np.array([0.0 if q is None else se[q] for q in pos])
        rel = np.exp(b)
        if v in factors and credibility == "buhlmann":
            other = np.arange(k_lv) != bases[v]
            tau2[v] = max(0.0, float(np.mean(b[other] ** 2 - sd[other] ** 2)))
            zc = np.where(other, tau2[v] / (tau2[v] + sd**2) if tau2[v] > 0 else 0.0, 1.0)
            cred = credible_relativity(b, zc, credibility)
        elif v in factors and credibility == "limited_fluctuation":
            zc = np.asarray(partial_credibility(nc, p=p, k=k, cv=math.sqrt(cv2)), float)
            cred = credible_relativity(b, zc, credibility)
        elif v in factors:
            zc, cred = np.ones(k_lv), rel
        else:
            zc, cred = np.full(k_lv, np.nan), np.full(k_lv, np.nan)
        if v in factors:
            credible[v] = cred
        tab = {"factor": v, "level": levels[v], "role": "rating" if v in factors else "control",
               "base": np.arange(k_lv) == bases[v], "exposure": ex,
               "claim_count": nc.astype(np.int64), "loss": ls, "frequency": nc / ex,
               "loss_cost": ls / ex}
        if model == "frequency_severity":
            for part, res in (("frequency", fits["frequency"]), ("severity", fits["severity"])):
                bb = np.array([0.0 if q is None else res.params[q] for q in pos])
                ss = np.array([0.0 if q is None else res.bse[q] for q in pos])
                tab[f"{part}_relativity"] = np.exp(bb)
                tab[f"{part}_lower"], tab[f"{part}_upper"] = np.exp(bb - z * ss), np.exp(
                    bb + z * ss)
        tab.update(relativity=rel, lower=np.exp(b - z * sd), upper=np.exp(b + z * sd),
                   credibility=zc, credible_relativity=cred)
        rows_out.append(pd.DataFrame(tab))
    factor_table = pd.concat(rows_out, ignore_index=True)

    # ---- rate groups
    fi = [variables.index(v) for v in factors]
    fdims = [dims[i] for i in fi]
    n_groups = math.prod(fdims)
    if n_groups > MAX_GROUPS:
        raise ParameterError(f"{n_groups:,} rate groups (combinations of the factors' levels) "
                             f"exceed {MAX_GROUPS:,}: band the variables more coarsely")
    grid = np.indices(fdims).reshape(len(fdims), -1)  # every combination, first factor slowest
    gkey_cells = np.ravel_multi_index(tuple(cell_codes[:, i] for i in fi), fdims)
    data_e = np.bincount(gkey_cells, ce, n_groups)
    data_n = np.bincount(gkey_cells, cn, n_groups)
    data_s = np.bincount(gkey_cells, cs, n_groups)
    if mix is None:
        mix_e = data_e
    else:
        if not isinstance(mix, pd.DataFrame):
            raise ParameterError(f"mix must be a DataFrame, got {type(mix).__name__}")
        _check_columns(mix, [*factors, exposure], "mix")
        me, _, _ = _numbers(mix, exposure, count, loss, "mix", need_claims=False)
        mcodes = []
        for v in factors:
            idx = pd.Index(levels[v]).get_indexer(mix[v])
            if (idx < 0).any():
                raise DataError([Problem("mix", str(v), int(r) + 1, "unknown_level",
                                         "a level absent from the data", mix[v].iloc[r])
                                 for r in _rows(idx < 0)])
            mcodes.append(idx)
        mix_e = np.bincount(np.ravel_multi_index(tuple(mcodes), fdims), me, n_groups)
    glm_rel = np.ones(n_groups)
    cred_rel = np.ones(n_groups)
    for j, v in enumerate(factors):
        glm_rel *= factor_table.loc[factor_table["factor"] == v, "relativity"].to_numpy()[grid[j]]
        cred_rel *= credible[v][grid[j]]
    total_e = float(mix_e.sum())
    if balance is None:
        balance = "flat" if flat_rate is not None else "loss"
    if isinstance(balance, str):
        if balance == "flat":
            if flat_rate is None:
                raise ParameterError("balance='flat' needs flat_rate")
            target = float(flat_rate) * total_e
            note = (f"Σ exposure × rate = flat price {float(flat_rate):,.2f} × {total_e:,.1f} "
                    f"= {target:,.0f} (revenue-neutral to the flat price)")
        elif balance == "loss":
            target = float(cs.sum() / ce.sum()) * total_e
            note = (f"Σ exposure × rate = observed loss cost {cs.sum() / ce.sum():,.2f} × "
                    f"{total_e:,.1f} = {target:,.0f} (rates are pure premiums)")
        else:
            raise ParameterError(f"balance must be 'flat', 'loss' or a total premium, got "
                                 f"{balance!r}")
    else:
        target = float(balance)
        if not (math.isfinite(target) and target > 0):
            raise ParameterError(f"a total premium to balance to must be > 0, got {balance!r}")
        note = f"Σ exposure × rate = the given total premium {target:,.0f}"
    base_rate = target / float(np.sum(mix_e * cred_rel))
    rate_table = pd.DataFrame({v: np.asarray(levels[v], dtype=object)[grid[j]]
                               for j, v in enumerate(factors)})
    rate_table["exposure"] = mix_e
    rate_table["data_exposure"] = data_e
    rate_table["claim_count"] = data_n.astype(np.int64)
    rate_table["loss"] = data_s
    with np.errstate(divide="ignore", invalid="ignore"):
        rate_table["loss_cost"] = np.where(data_e > 0, data_s / data_e, np.nan)
    rate_table["glm_relativity"] = glm_rel
    rate_table["relativity"] = cred_rel
    rate_table["rate"] = base_rate * cred_rel
    if flat_rate is not None:
        rate_table["flat_rate"] = float(flat_rate)
        rate_table["change"] = rate_table["rate"] / float(flat_rate) - 1.0

    totals = {"records": len(e), "cells": len(ce), "exposure": float(ce.sum()),
              "claim_count": int(cn.sum()), "loss": float(cs.sum()),
              "fitted_loss": float(fitted_loss.sum()), "parameters": n_par,
              "dispersion": disp, "severity_cv": math.sqrt(cv2), "credibility": credibility,
              "between_variance": tau2, "full_credibility_claims": n_full, "target_premium": target,
              "mix_exposure": total_e}
    return RateGroups(factors, controls, model, vp, float(level), factor_table, rate_table,
                      float(base_rate), None if flat_rate is None else float(flat_rate), note,
                      totals, fits["frequency"], fits["severity"], fits["tweedie"], design,
                      np.asarray(beta, float), (exposure, count, loss), credible)


# ----------------------------------------------------------------------------- figures


def plot_factor(result: RateGroups, factor: str, ax=None):
    """Relativities (相对数) of one factor with their confidence intervals (bars), the credible
    relativities (crosses) and the base at 1; returns the Axes."""
    if factor not in result.factors + result.controls:
        raise ParameterError(f"'{factor}' is not a variable of this fit"
                             f"{_near(factor, result.factors + result.controls)}")
    t = result.factor_table[result.factor_table["factor"] == factor]
    ax = new_axes(ax, figsize=(6.0, 3.6))
    x = np.arange(len(t))
    rel = t["relativity"].to_numpy()
    ax.errorbar(x, rel, yerr=[rel - t["lower"].to_numpy(), t["upper"].to_numpy() - rel],
                fmt="o", capsize=4, label=label(f"GLM 相对数, {result.level:.0%} 置信区间",
                                                f"GLM relativity, {result.level:.0%} interval"))
    if factor in result.factors:
        ax.scatter(x, t["credible_relativity"], marker="x", color="tab:red", zorder=3,
                   label=label("信度加权相对数", "credibility-weighted relativity"))
    ax.axhline(1.0, color="grey", ls="--", lw=0.8)
    ax.set_xticks(x, [str(v) for v in t["level"]])
    ax.set_xlabel(label(f"风险因子: {factor}", f"rating factor: {factor}"))
    ax.set_ylabel(label("相对数", "relativity"))
    ax.legend(fontsize=8)
    return ax


def plot_lift(table: pd.DataFrame, ax=None):
    """Lift chart (提升图) from :meth:`RateGroups.lift`: actual and predicted loss cost per
    bucket of predicted pure premium, relative to the overall loss cost; returns the Axes."""
    need = ("bucket", "actual_relative", "predicted_relative")
    _check_columns(table, need, "lift table")
    ax = new_axes(ax, figsize=(6.0, 3.6))
    ax.plot(table["bucket"], table["actual_relative"], "o-",
            label=label("实际损失成本", "actual loss cost"))
    ax.plot(table["bucket"], table["predicted_relative"], "s--",
            label=label("GLM 预测纯保费", "GLM predicted pure premium"))
    ax.axhline(1.0, color="grey", ls=":", lw=0.8)
    ax.set_xlabel(label("按预测纯保费分组 (低 → 高)", "bucket of predicted pure premium "
                                                  "(low → high)"))
    ax.set_ylabel(label("相对整体平均", "relative to the book average"))
    ax.set_title(label("提升图", "lift chart"))
    ax.legend(fontsize=8)
    return ax


def plot_double_lift(table: pd.DataFrame, ax=None):
    """Double-lift chart (双提升图) from :meth:`RateGroups.double_lift`: actual / flat premium
    and actual / GLM premium per bucket of the ratio GLM rate / flat rate; returns the Axes."""
    need = ("bucket", "actual_to_flat", "actual_to_glm")
    _check_columns(table, need, "double-lift table")
    ax = new_axes(ax, figsize=(6.0, 3.6))
    ax.plot(table["bucket"], table["actual_to_flat"], "o-",
            label=label("实际 / 统一价格保费", "actual / flat-price premium"))
    ax.plot(table["bucket"], table["actual_to_glm"], "s-",
            label=label("实际 / 分组费率保费", "actual / rate-group premium"))
    ax.axhline(1.0, color="grey", ls=":", lw=0.8)
    ax.set_xlabel(label("按 分组费率/统一价格 排序分组", "bucket of rate-group / flat rate"))
    ax.set_ylabel(label("实际赔款 / 保费 (整体 = 1)", "actual loss / premium (book = 1)"))
    ax.set_title(label("双提升图", "double-lift chart"))
    ax.legend(fontsize=8)
    return ax
