"""Ultimates and IBNR (已发生未报告赔款准备金) from a development triangle.

chainladder does the development mathematics; this module chooses the estimators, checks the
inputs and returns one tidy result per origin period:

* :func:`chain_ladder`: volume-weighted chain ladder (``chainladder.Development``) with Mack's
  (1993) standard errors (``chainladder.MackChainladder``);
* :func:`bornhuetter_ferguson`: Bornhuetter–Ferguson with an a-priori expected loss ratio
  (预期赔付率) × earned premium (已赚保费) as the prior ultimate
  (``chainladder.BornhuetterFerguson`` with ``sample_weight``);
* :func:`benktander`: the Benktander (iterated Bornhuetter–Ferguson) credibility mixture of the
  two (Mack 2000), the a-priori replaced by the previous iteration's ultimate.

**When Mack's standard error is not available.** Mack's σ²_k of a development period needs
link ratios from ≥ 2 origins; a later σ² resting on fewer is extrapolated from the estimated
ones (log-linear, or Mack's rule). On a small book that can fail: too few origins or
development periods, or columns whose link ratios are all equal (σ² = 0: a log-linear fit
through log 0 overflows, and chainladder returned ``inf`` with overflow warnings). The result
then holds ``mack_se = NaN`` and a note in ``ReserveResult.notes`` saying why and what it would
take, never ``inf``, and no numerical warning leaks out (see :func:`chain_ladder`).

Reserve terms: on a reported (incurred or count) triangle ``ultimate − latest`` is the IBNR
(未报案); on a paid triangle it is the whole unpaid amount, case reserves included
(未决赔款准备金). The column is called ``ibnr`` in both cases; the method name says which
triangle was used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from puhui.errors import ParameterError
from puhui.plots import label, new_axes

_AVERAGES = ("volume", "simple", "regression")


@dataclass(frozen=True)
class ReserveResult:
    """Ultimates and reserves per origin period from one reserving method.

    Attributes
    ----------
    method : str
        ``"chain ladder (Mack)"`` or ``"Bornhuetter-Ferguson"``.
    by_origin : DataFrame
        One row per index key × origin: ``latest`` (reported or paid to date), ``cdf``
        (development factor to ultimate at the latest age), ``ultimate``, ``ibnr``; chain
        ladder adds ``mack_se`` and ``cv`` (= mack_se / ibnr); Bornhuetter–Ferguson adds
        ``premium``, ``apriori`` and ``expected_ultimate``.
    totals : DataFrame
        One row per index key: sums of ``latest``, ``ultimate``, ``ibnr`` (and the total Mack
        standard error, which allows for the correlation between origins, with its ``cv``).
    factors : DataFrame
        Selected age-to-age (``ldf``) and age-to-ultimate (``cdf``) factors per index key and
        development period.
    model : chainladder estimator
        The fitted chainladder model (``MackChainladder`` or ``BornhuetterFerguson``).
    triangle : chainladder.Triangle
        The cumulative triangle the model was fitted on.
    index : tuple of str
        The triangle's index columns (``()`` for one total).
    notes : tuple of str
        What the figures rest on where it matters: why Mack's standard error is not available
        for an index key (then ``mack_se`` is NaN) and what it would take.
    """

    method: str
    by_origin: pd.DataFrame
    totals: pd.DataFrame
    factors: pd.DataFrame
    model: Any
    triangle: Any
    index: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def summary(self) -> pd.DataFrame:
        """``by_origin`` with a ``Total`` row after the origins of each index key."""
        keys = list(self.index)
        rows = self.by_origin.assign(origin=self.by_origin["origin"].astype(str), _total=False)
        out = pd.concat([rows, self.totals.assign(origin="Total", _total=True)],
                        ignore_index=True)
        out = out.sort_values([*keys, "_total"], kind="stable") if keys else out
        return out[list(rows.columns)].drop(columns="_total").reset_index(drop=True)

    def plot(self, ax=None):
        """Latest and IBNR per origin as stacked bars, with ±1 Mack standard error."""
        if len(self.totals) != 1:
            raise ParameterError("plot() needs a triangle with one index key; select one first")
        ax = new_axes(ax)
        t = self.by_origin
        x = np.arange(len(t))
        ax.bar(x, t["latest"], label=label("已报告/已付", "latest"), color="#4c72b0")
        ax.bar(x, t["ibnr"], bottom=t["latest"], label="IBNR", color="#dd8452")
        if "mack_se" in t:
            ax.errorbar(x, t["ultimate"], yerr=t["mack_se"], fmt="none", ecolor="black",
                        capsize=3, label=label("±1 Mack 标准误", "±1 Mack s.e."))
        ax.set_xticks(x, t["origin"].astype(str), rotation=45)
        ax.set_ylabel(label("金额 (元)", "amount (yuan)"))
        ax.set_title(label(f"最终赔款与 IBNR ({self.method})",
                           f"Ultimate and IBNR ({self.method})"))
        ax.legend()
        return ax

    def plot_development(self, ax=None):
        """Individual link ratios and the selected factors: see :func:`plot_development_factors`."""
        return plot_development_factors(self.triangle, ax=ax, model=self.model)


def _check_triangle(tri) -> None:
    import chainladder as cl

    if not isinstance(tri, cl.Triangle):
        raise ParameterError(f"triangle must be a chainladder.Triangle, got {type(tri).__name__}"
                             "; build one with puhui.experience.triangles.triangle")
    if not tri.is_cumulative:
        raise ParameterError("triangle must be cumulative: build it with cumulative=True or "
                             "call .incr_to_cum()")
    if tri.shape[1] != 1:
        raise ParameterError(f"triangle has {tri.shape[1]} value columns "
                             f"({', '.join(map(str, tri.columns))}); select one, e.g. tri['paid']")
    if tri.is_full:
        raise ParameterError("triangle is already developed to ultimate")


def _quiet():
    """A context in which chainladder's numerical warnings stay inside: its σ extrapolation
    takes logs of zero variances and overflows (numpy ``RuntimeWarning``) on small books. What
    those warnings would signal is checked instead (:func:`_mack_sigma`) and reported in the
    result's notes."""
    import contextlib
    import warnings

    stack = contextlib.ExitStack()
    stack.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore", RuntimeWarning)
    stack.enter_context(np.errstate(all="ignore"))
    return stack


def _development(tri, average: str, n_periods: int, sigma_interpolation: str, tail: float):
    """Fitted development (factors, σ) and, per index key, why Mack's s.e. is unavailable
    (an empty string where it is available)."""
    import chainladder as cl

    if average not in _AVERAGES:
        raise ParameterError(f"average must be one of {', '.join(_AVERAGES)}, got {average!r}")
    if sigma_interpolation not in ("log-linear", "mack"):
        raise ParameterError("sigma_interpolation must be 'log-linear' or 'mack', got "
                             f"{sigma_interpolation!r}")
    if not np.isfinite(tail) or tail < 1.0:
        raise ParameterError(f"tail must be a finite factor ≥ 1, got {tail!r}")
    with _quiet():
        dev = cl.Development(average=average, n_periods=n_periods,
                             sigma_interpolation=sigma_interpolation).fit_transform(tri)
        why = _mack_sigma(tri, dev, average, sigma_interpolation)
        if tail > 1.0:
            dev = cl.TailConstant(tail=tail).fit_transform(dev)
    return dev, why


#: Link ratios of a development period that differ by less than this (relative) are equal: the
#: period's σ² is 0 (a "single-value column"), not rounding noise.
_EQUAL_RATIOS = 1e-12


def _mack_sigma(tri, dev, average: str, interpolation: str) -> list[str]:
    """Check, and where needed set, the σ_k of Mack's model in ``dev``; per index key the
    reason Mack's standard error is not available ('' where it is).

    ``σ²_k = Σ_i w_i C_ik^{2−α} (F_ik − f_k)² / (n_k − 1)`` (α = 1 volume, 2 simple, 0
    regression) needs ``n_k ≥ 2`` origins with a link ratio ``F_ik = C_{i,k+1}/C_ik`` at period
    k; chainladder estimates those. For a period resting on fewer origins σ_k is extrapolated
    from the estimated ones, as Mack (1993, ASTIN Bulletin 23(2), p. 217) proposes:
    log-linearly (chainladder's and R ChainLadder's default) through the periods with σ_k > 0 —
    a period whose link ratios are all equal (σ² = 0) cannot enter a log-linear fit, and
    chainladder's fit through log(0) overflowed to ``inf`` — or by Mack's rule (chainladder's
    value, else his formula on the two periods before). Where that is impossible (fewer than
    2 periods to extrapolate from):

    * if ``f_j = 1`` for the period and every later one (nothing developed), σ_k = 0, Mack's
      other option: "if the claims development is believed to be finished … we can put" σ = 0;
    * otherwise the s.e. of an origin that still develops there is not available.

    Where chainladder's extrapolation is sound (no zero σ among the estimated ones) its values
    are kept, so published results are reproduced exactly.
    """
    alpha = {"regression": 0, "volume": 1, "simple": 2}[average]
    n_idx = tri.shape[0]
    mask = np.asarray(tri.nan_triangle, float) == 1  # observed cells (origin, dev)
    c = np.where(mask, np.nan_to_num(np.asarray(tri.values, float)[:, 0]), np.nan)
    n_link = c.shape[2] - 1
    ages = [str(a) for a in tri.development]
    period = [f"{ages[k]}–{ages[k + 1]}" for k in range(n_link)]
    if n_link < 1:
        return ["needs ≥ 2 development periods; the triangle has 1"] * n_idx
    w = np.broadcast_to(np.asarray(dev.w_, float)[:, 0], (n_idx, c.shape[1], n_link))
    ldf = np.broadcast_to(np.asarray(dev.ldf_.values, float)[:, 0, 0, :n_link], (n_idx, n_link))
    sig_t, err_t = dev.sigma_, dev.std_err_
    sigma = np.array(np.broadcast_to(np.asarray(sig_t.values, float)[:, 0, 0, :n_link],
                                     (n_idx, n_link)))
    err = np.array(np.broadcast_to(np.asarray(err_t.values, float)[:, 0, 0, :n_link],
                                   (n_idx, n_link)))
    x, y = c[:, :, :-1], c[:, :, 1:]
    used = (np.nan_to_num(w) > 0) & np.isfinite(x) & np.isfinite(y) & (np.nan_to_num(x) > 0)
    n = used.sum(axis=1)                                            # (index, link)
    ratio = np.where(used, y / np.where(used, x, 1.0), np.nan)
    spread = np.nanmax(ratio, axis=1, initial=-np.inf) - np.nanmin(ratio, axis=1,
                                                                    initial=np.inf)
    flat = (n >= 1) & (spread <= _EQUAL_RATIOS * np.maximum(1.0, np.abs(np.nan_to_num(ldf))))
    estimated = n >= 2
    sigma = np.where(estimated, np.nan_to_num(sigma), sigma)
    err = np.where(estimated, np.nan_to_num(err), err)
    sigma[estimated & flat], err[estimated & flat] = 0.0, 0.0
    done = np.isclose(np.nan_to_num(ldf, nan=1.0), 1.0, rtol=0, atol=_EQUAL_RATIOS)
    finished = np.flip(np.logical_and.accumulate(np.flip(done, axis=1), axis=1), axis=1)
    # the periods each key still develops through: from the earliest latest age of an origin
    # with something reported and not at the last age
    latest_pos = mask.sum(axis=1) - 1                               # (origin,)
    latest_val = np.take_along_axis(np.nan_to_num(c), latest_pos[None, :, None], axis=2)[..., 0]
    open_ = (latest_pos[None, :] < n_link) & (latest_val > 0)       # (index, origin)
    first = np.where(open_, latest_pos[None, :], n_link).min(axis=1)  # (index,)
    why = []
    for r in range(n_idx):  # index keys (benefit lines …), not origins or policies
        pos = estimated[r] & (sigma[r] > 0)
        base = np.flatnonzero(pos)
        zeros = np.flatnonzero(estimated[r] & (sigma[r] == 0))
        problems = []
        for k in np.flatnonzero(~estimated[r]):
            needed = k >= first[r]
            fill = np.nan
            if interpolation == "log-linear" and len(base) >= 2:
                if len(zeros) == 0 and np.isfinite(sigma[r, k]):
                    fill = sigma[r, k]  # chainladder's own extrapolation, sound here
                else:
                    slope, icpt = np.polyfit(base + 1.0, np.log(sigma[r, base]), 1)
                    fill = np.exp(icpt + slope * (k + 1.0))
            elif interpolation == "mack" and estimated[r].sum() >= 2:
                if np.isfinite(sigma[r, k]) and sigma[r, k] > 0:
                    fill = sigma[r, k]  # chainladder's Mack rule
                elif k >= 2 and np.all(np.isfinite(sigma[r, k - 2:k])):
                    s1, s2 = sigma[r, k - 2] ** 2, sigma[r, k - 1] ** 2  # Mack (1993) p. 217
                    fill = np.sqrt(min(s2 * s2 / s1 if s1 > 0 else 0.0, s1, s2))
            if not np.isfinite(fill) or (needed and n[r, k] == 0):
                sigma[r, k], err[r, k] = 0.0, 0.0
                if needed and not finished[r, k]:
                    problems.append(k)
                continue
            sigma[r, k] = fill
            xk = np.where(used[r, :, k], x[r, :, k], 0.0)
            denom = np.sqrt(np.sum(xk ** (2 - alpha) * used[r, :, k]))
            err[r, k] = fill / denom if denom > 0 else 0.0
        degenerate = [k for k in zeros if k >= first[r] and flat[r, k] and not done[r, k]]
        why.append(_unavailable(problems, period, n[r], base, zeros, interpolation,
                                degenerate, ldf[r]))
    keep_sig, keep_err = np.asarray(sig_t.values).copy(), np.asarray(err_t.values).copy()
    keep_sig[..., :n_link] = sigma.reshape(keep_sig.shape[0], 1, 1, n_link)
    keep_err[..., :n_link] = err.reshape(keep_err.shape[0], 1, 1, n_link)
    sig_t.values, err_t.values = keep_sig, keep_err
    return why


def _unavailable(problems, period, n, base, zeros, interpolation, degenerate=(),
                 ldf=None) -> str:
    """The reason Mack's s.e. is unavailable, and what it would take ('' if it is available)."""
    if not problems and not len(degenerate):
        return ""
    est = [period[k] for k in range(len(period)) if n[k] >= 2]

    def listed(ks):
        return ", ".join(period[k] for k in ks)

    parts = []
    if problems:
        text = (f"the development period(s) {listed(problems)} rest on fewer than 2 origins, "
                "so their σ must be extrapolated from the periods with σ estimated from ≥ 2 "
                "origins")
        if interpolation == "log-linear":
            text += (f", of which {len(base)} ha{'s' if len(base) == 1 else 've'} varying link "
                     f"ratios{' (' + listed(base) + ')' if len(base) else ''} — a log-linear "
                     "extrapolation needs 2")
            if len(zeros):
                text += (f"; in {listed(zeros)} every link ratio is the same (σ = 0, a "
                         "single-value column)")
        else:
            text += f" ({len(est)}: {', '.join(est) or 'none'}) — Mack's rule needs 2"
        parts.append(text)
    if len(degenerate):
        parts.append("in " + ", ".join(f"{period[k]} every link ratio is {ldf[k]:.4g}"
                                       for k in degenerate)
                     + ": claims still develop there, yet σ = 0 — an artefact of too few link "
                     "ratios that would give a standard error of 0")
    return ("Mack standard error not available: " + "; ".join(parts) + ". It needs ≥ 3 development "
            "periods reported by ≥ 2 origins each, with link ratios that differ in at least 2 "
            "of them: more policy years or more claims.")


def _keys(tri) -> pd.DataFrame:
    keys = tri.index.reset_index(drop=True)
    return pd.DataFrame(index=range(1)) if list(keys.columns) == ["Total"] else keys


def _cdf_at_latest(tri, dev) -> np.ndarray:
    """Age-to-ultimate factor at each origin's latest age, shape (index, origin)."""
    ages = np.asarray(tri.development, dtype=np.int64)
    labels = [str(c) for c in dev.cdf_.development]
    cdf_ages = np.array([int(s.split("-")[0]) for s in labels])
    cdf = np.asarray(dev.cdf_.values)[:, 0, 0, :]  # (index or 1, ages)
    origin_start = tri.origin.to_timestamp(how="s")
    val = pd.Timestamp(tri.valuation_date)
    latest_age = ((val.year - origin_start.year) * 12 + (val.month - origin_start.month) + 1)
    latest_age = np.asarray(latest_age, dtype=np.int64)
    # the development column holding each origin's latest value (ages are on the grid)
    pos = np.searchsorted(ages, latest_age, side="right") - 1
    age_at = ages[np.clip(pos, 0, len(ages) - 1)]
    out = np.ones((cdf.shape[0], len(age_at)))
    for j, a in enumerate(cdf_ages):  # loop over development ages, not policies
        out[:, age_at == a] = cdf[:, [j]]
    if out.shape[0] != tri.shape[0]:
        out = np.broadcast_to(out, (tri.shape[0], out.shape[1])).copy()
    return out


def _frame(tri, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    keys = _keys(tri)
    n_idx, n_org = tri.shape[0], tri.shape[2]
    out = keys.loc[np.repeat(np.arange(len(keys)), n_org)].reset_index(drop=True)
    out["origin"] = np.tile(np.asarray(tri.origin), n_idx)
    for name, arr in columns.items():
        out[name] = np.asarray(arr, float).reshape(n_idx * n_org)
    return out


def _factors(dev) -> pd.DataFrame:
    keys = _keys(dev)
    ldf = np.asarray(dev.ldf_.values)[:, 0, 0, :]
    cdf = np.asarray(dev.cdf_.values)[:, 0, 0, :]
    n_idx, n_dev = ldf.shape
    out = keys.loc[np.repeat(np.arange(len(keys)), n_dev)].reset_index(drop=True) \
        if len(keys) == n_idx else pd.DataFrame(index=range(n_idx * n_dev))
    out["period"] = np.tile([str(c) for c in dev.ldf_.development], n_idx)
    out["ldf"] = ldf.ravel()
    out["cdf"] = cdf.ravel()
    return out


def _latest(tri) -> np.ndarray:
    return np.nan_to_num(np.asarray(tri.latest_diagonal.values, float)[:, 0, :, 0])


def _totals(tri, by_origin: pd.DataFrame, extra: dict[str, np.ndarray] | None = None):
    keys = _keys(tri)
    sums = by_origin.groupby(np.repeat(np.arange(tri.shape[0]), tri.shape[2]))[
        ["latest", "ultimate", "ibnr"]].sum().reset_index(drop=True)
    out = pd.concat([keys.reset_index(drop=True), sums], axis=1)
    for name, arr in (extra or {}).items():
        out[name] = arr
    return out


def chain_ladder(triangle, *, average: str = "volume", n_periods: int = -1,
                 sigma_interpolation: str = "log-linear", tail: float = 1.0) -> ReserveResult:
    """Chain-ladder ultimates and IBNR with Mack standard errors.

    ``f_k = Σ_i C_{i,k+1} / Σ_i C_{i,k}`` (volume-weighted age-to-age factors),
    ``ultimate_i = C_{i,latest} · Π_{k ≥ latest} f_k``, ``IBNR_i = ultimate_i − C_{i,latest}``,
    and Mack's (1993) mean squared error of the reserve (process + parameter risk) per origin
    and in total. chainladder (``Development`` + ``MackChainladder``) does the calculation.

    Parameters
    ----------
    triangle : chainladder.Triangle
        Cumulative triangle with one value column (see
        :func:`puhui.experience.triangles.triangle`).
    average : {"volume", "simple", "regression"}
        Averaging of the link ratios (chainladder ``Development(average=)``).
    n_periods : int
        Number of latest calendar periods used for the factors; ``-1`` uses all.
    sigma_interpolation : {"log-linear", "mack"}
        Estimate of the last σ² where it cannot be computed: log-linear extrapolation
        (chainladder's and R ChainLadder's default) or Mack's (1993) rule
        ``σ²_{n−1} = min(σ⁴_{n−2}/σ²_{n−3}, σ²_{n−3}, σ²_{n−2})``, which reproduces his
        published tables.
    tail : float
        Constant tail factor (≥ 1) after the last development age; 1.0 means none.

    Returns
    -------
    ReserveResult
        ``by_origin``: latest, cdf, ultimate, ibnr, mack_se, cv; ``totals`` with the total Mack
        standard error (which includes the covariance between origins). Where Mack's standard
        error is not available for an index key (see the module docstring: too few origins or
        development periods, single-value columns) its ``mack_se`` is NaN and ``notes`` says
        why and what it would take; the σ's are checked first, so no overflow warning appears
        and no ``inf`` is returned.

    Examples
    --------
    >>> import chainladder as cl
    >>> res = chain_ladder(cl.load_sample("raa"))
    >>> round(float(res.totals["ibnr"].iloc[0]))
    52135
    """
    import chainladder as cl

    _check_triangle(triangle)
    dev, why = _development(triangle, average, n_periods, sigma_interpolation, tail)
    with _quiet():
        mack = cl.MackChainladder().fit(dev)
        se = np.asarray(mack.mack_std_err_.values, float)[:, 0, :, -1]
        total_se = np.asarray(mack.total_mack_std_err_, float)[:, 0]
    latest = _latest(triangle)
    ultimate = np.nan_to_num(np.asarray(mack.ultimate_.values, float)[:, 0, :, 0])
    ibnr = ultimate - latest
    se = np.where(np.isnan(se) & (ibnr == 0), 0.0, se)  # fully developed: no error
    total_se = np.where(np.isnan(total_se) & (ibnr == 0).all(axis=1), 0.0, total_se)
    for r in range(len(why)):  # index keys: a figure that is not finite is not a figure
        if not why[r] and not (np.all(np.isfinite(se[r])) and np.isfinite(total_se[r])):
            why[r] = ("Mack standard error not available: the calculation gave no finite value "
                      "(a σ² too large or undefined)")
    out = np.array([bool(w) for w in why])
    se[out], total_se[out] = np.nan, np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.where(ibnr != 0, se / ibnr, np.nan)
    by_origin = _frame(triangle, {"latest": latest, "cdf": _cdf_at_latest(triangle, dev),
                                  "ultimate": ultimate, "ibnr": ibnr, "mack_se": se, "cv": cv})
    totals = _totals(triangle, by_origin, {"mack_se": total_se})
    with np.errstate(divide="ignore", invalid="ignore"):
        totals["cv"] = np.where(totals["ibnr"] != 0, totals["mack_se"] / totals["ibnr"], np.nan)
    keys = _keys(triangle)
    notes = tuple((w if list(keys.columns) == [] else
                   ", ".join(f"{c}={keys[c].iloc[r]}" for c in keys.columns) + ": " + w)
                  for r, w in enumerate(why) if w)
    return ReserveResult("chain ladder (Mack)", by_origin, totals, _factors(dev), mack, triangle,
                         tuple(keys.columns), notes)


def _per_origin(tri, values, name: str) -> np.ndarray:
    """Align a per-origin input (scalar, array, Series, Triangle) to shape (index, origin)."""
    import chainladder as cl

    n_idx, n_org = tri.shape[0], tri.shape[2]
    origins = tri.origin
    if isinstance(values, cl.Triangle):
        arr = np.asarray(values.latest_diagonal.values, float)
        if arr.shape[0] not in (1, n_idx) or arr.shape[2] != n_org:
            raise ParameterError(f"{name} triangle does not match the loss triangle's "
                                 "index and origins")
        arr = np.broadcast_to(arr[:, 0, :, 0], (n_idx, n_org)).copy()
    elif isinstance(values, pd.Series | dict):
        s = pd.Series(values)
        if isinstance(s.index, pd.MultiIndex):
            keys = _keys(tri)
            lookup = pd.MultiIndex.from_arrays(
                [*(np.repeat(keys[c].to_numpy(), n_org) for c in keys.columns),
                 np.tile(np.asarray(origins), n_idx)])
            s.index = s.index.set_levels(_as_periods(s.index.levels[-1], origins.freq),
                                         level=-1)
            arr = s.reindex(lookup).to_numpy(float).reshape(n_idx, n_org)
        else:
            s.index = _as_periods(s.index, origins.freq)
            arr = np.broadcast_to(s.reindex(origins).to_numpy(float), (n_idx, n_org)).copy()
        missing = np.isnan(arr)
        if missing.any():
            where = np.tile(np.asarray(origins.astype(str)), n_idx)[missing.ravel()]
            raise ParameterError(f"{name} is missing for origin(s) {', '.join(where[:10])}")
    else:
        arr = np.asarray(values, float)
        if arr.ndim == 0:
            arr = np.full((n_idx, n_org), float(arr))
        elif arr.shape == (n_org,):
            arr = np.broadcast_to(arr, (n_idx, n_org)).copy()
        elif arr.shape != (n_idx, n_org):
            raise ParameterError(f"{name} must have one value per origin ({n_org}), got shape "
                                 f"{arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ParameterError(f"{name} must be positive and finite for every origin, got "
                             f"{arr.ravel()[:10].tolist()}")
    return arr


def _as_periods(index, freq) -> pd.PeriodIndex:
    if isinstance(index, pd.PeriodIndex):
        return index.asfreq(freq)
    if pd.api.types.is_integer_dtype(index):
        if not freq.name.startswith("Y"):
            raise ParameterError("integer origin labels are years; the triangle's origins are "
                                 f"{freq.name} periods: label them as periods")
        return pd.PeriodIndex([pd.Period(year=int(y), freq=freq) for y in index])
    try:
        return pd.PeriodIndex(pd.to_datetime(index.astype(str)), freq=freq)
    except (ValueError, TypeError) as exc:
        raise ParameterError(f"cannot read origin labels {list(index[:5])} as periods") from exc


def bornhuetter_ferguson(triangle, premium, apriori, *, average: str = "volume",
                         n_periods: int = -1, tail: float = 1.0) -> ReserveResult:
    """Bornhuetter–Ferguson ultimates with a prior loss ratio × earned premium.

    ``expected_ultimate_i = ELR_i · P_i`` (a-priori expected loss ratio 预期赔付率 × earned
    premium 已赚保费), ``IBNR_i = expected_ultimate_i · (1 − 1/CDF_i)``,
    ``ultimate_i = C_{i,latest} + IBNR_i``, with ``CDF_i`` the chain-ladder age-to-ultimate
    factor at origin i's latest age. chainladder's ``BornhuetterFerguson`` does the
    calculation (``apriori`` × ``sample_weight``).

    Parameters
    ----------
    triangle : chainladder.Triangle
        Cumulative triangle with one value column.
    premium : float, array, Series or chainladder.Triangle
        Earned premium per origin: a Series indexed by origin (years as integers, periods,
        dates or strings such as ``"2024Q1"``; a MultiIndex ``(*index keys, origin)`` for a
        triangle with ``by``), an array in origin order, or a Triangle.
    apriori : float or per-origin values
        Expected loss ratio(s) (fractions, e.g. 0.85).
    average, n_periods, tail
        As in :func:`chain_ladder`.

    Returns
    -------
    ReserveResult
        ``by_origin``: latest, premium, apriori, expected_ultimate, cdf, ultimate, ibnr.

    Examples
    --------
    >>> import chainladder as cl
    >>> raa = cl.load_sample("raa")
    >>> res = bornhuetter_ferguson(raa, premium=40_000.0, apriori=0.7)
    >>> round(float(res.by_origin["ibnr"].iloc[-1]), 2)
    24861.07
    """
    import chainladder as cl

    _check_triangle(triangle)
    p = _per_origin(triangle, premium, "premium")
    elr = _per_origin(triangle, apriori, "apriori")
    dev, _ = _development(triangle, average, n_periods, "log-linear", tail)
    weight = triangle.latest_diagonal * 0 + 1.0
    weight.values = (p * elr)[:, None, :, None]
    with _quiet():
        model = cl.BornhuetterFerguson(apriori=1.0).fit(dev, sample_weight=weight)
    latest = _latest(triangle)
    ultimate = np.nan_to_num(np.asarray(model.ultimate_.values, float)[:, 0, :, 0])
    by_origin = _frame(triangle, {
        "latest": latest, "premium": p, "apriori": elr, "expected_ultimate": p * elr,
        "cdf": _cdf_at_latest(triangle, dev), "ultimate": ultimate, "ibnr": ultimate - latest})
    totals = _totals(triangle, by_origin)
    return ReserveResult("Bornhuetter-Ferguson", by_origin, totals, _factors(dev), model,
                         triangle, tuple(_keys(triangle).columns))


def benktander(triangle, premium, apriori, *, n_iters: int = 2, average: str = "volume",
               n_periods: int = -1, tail: float = 1.0) -> ReserveResult:
    """Benktander ultimates: Bornhuetter–Ferguson iterated, the a-priori replaced by the last
    iteration's ultimate (Mack 2000).

    With ``p_i = 1/CDF_i`` (the share reported) and ``q_i = 1 − p_i``, Bornhuetter–Ferguson is
    ``U⁽¹⁾ = C_i + q_i · U₀`` (``U₀ = ELR_i · P_i``) and each iteration
    ``U⁽ᵐ⁺¹⁾ = C_i + q_i · U⁽ᵐ⁾``, which is the credibility mixture
    ``U⁽ᵐ⁾ = (1 − q_iᵐ) · U_CL + q_iᵐ · U₀`` of the chain ladder ``U_CL = C_i / p_i`` and the
    a-priori. ``n_iters=2`` is Benktander's (1976) method (Hovinen), ``U_GB = C_i + q_i ·
    U_BF = (1 − q_i²) U_CL + q_i² U₀``; ``n_iters=1`` is Bornhuetter–Ferguson. Mack (2000)
    shows it has a smaller mean squared error than both BF and the chain ladder in most cases.
    (chainladder's ``Benktander(n_iters=)`` computes the same.)

    Parameters
    ----------
    triangle, premium, apriori, average, n_periods, tail
        As in :func:`bornhuetter_ferguson`.
    n_iters : int
        Number of iterations, ≥ 1.

    Returns
    -------
    ReserveResult
        As Bornhuetter–Ferguson's, plus ``credibility`` = ``1 − q_iᵐ``, the weight of the chain
        ladder in the ultimate.

    References
    ----------
    Mack, T. (2000). Credible claims reserves: the Benktander method. *ASTIN Bulletin* 30(2),
    333–347.

    Examples
    --------
    >>> import chainladder as cl
    >>> raa = cl.load_sample("raa")
    >>> gb = benktander(raa, premium=40_000.0, apriori=0.7)
    >>> round(float(gb.by_origin["ibnr"].iloc[-1]), 2)
    23905.75
    """
    if isinstance(n_iters, bool) or not isinstance(n_iters, int | np.integer) or n_iters < 1:
        raise ParameterError(f"n_iters must be a whole number ≥ 1, got {n_iters!r}")
    bf = bornhuetter_ferguson(triangle, premium, apriori, average=average, n_periods=n_periods,
                              tail=tail)
    t = bf.by_origin
    latest, q = t["latest"].to_numpy(), 1.0 - 1.0 / t["cdf"].to_numpy()
    ultimate = t["ultimate"].to_numpy()
    for _ in range(n_iters - 1):
        ultimate = latest + q * ultimate
    by_origin = t.assign(ultimate=ultimate, ibnr=ultimate - latest,
                         credibility=1.0 - q ** n_iters)
    return ReserveResult(f"Benktander ({n_iters} iterations)", by_origin,
                         _totals(triangle, by_origin), bf.factors, bf.model, triangle, bf.index)


def plot_development_factors(triangle, ax=None, *, model=None, average: str = "volume"):
    """Individual age-to-age link ratios per origin and the selected factor at each age.

    Parameters
    ----------
    triangle : chainladder.Triangle or ReserveResult
        Cumulative triangle with one index key and one value column.
    ax : matplotlib Axes, optional
    model : fitted chainladder estimator, optional
        Supplies the selected factors (``ldf_``); by default a ``Development(average=)`` fit.

    Returns
    -------
    matplotlib Axes
    """
    import chainladder as cl

    if isinstance(triangle, ReserveResult):
        triangle, model = triangle.triangle, triangle.model
    _check_triangle(triangle)
    if triangle.shape[0] != 1:
        raise ParameterError("plot_development_factors needs one index key; select one first")
    ldf = (model.ldf_ if model is not None and hasattr(model, "ldf_")
           else cl.Development(average=average).fit(triangle).ldf_)
    links = np.asarray(triangle.link_ratio.values, float)[0, 0]
    periods = [str(c) for c in triangle.link_ratio.development]
    ax = new_axes(ax)
    x = np.arange(len(periods))
    for i in range(links.shape[0]):  # one marker series per origin period
        ax.plot(x, links[i, : len(periods)], "o", alpha=0.45, ms=4)
    selected = np.asarray(ldf.values, float)[0, 0, 0, : len(periods)]
    ax.plot(x, selected, "k-", lw=2, label=label("选定进展因子", "selected factor"))
    ax.axhline(1.0, color="grey", lw=0.8, ls=":")
    ax.set_xticks(x, periods, rotation=45)
    ax.set_xlabel(label("进展期 (月)", "development period (months)"))
    ax.set_ylabel(label("逐期进展因子", "age-to-age factor"))
    ax.set_title(label("进展因子", "Development factors"))
    ax.legend()
    return ax
