"""Survival curves for experience studies (生存分析) from a table of lives.

* :func:`kaplan_meier` — product-limit survival ``Ŝ(t) = Π_{tⱼ ≤ t} (1 − dⱼ/nⱼ)`` with right
  censoring and left truncation (``entry=``: a life enters the risk set at its purchase age,
  投保年龄), by group, with the exponential-Greenwood band. It is a DataFrame view of puhui's
  one Kaplan–Meier estimator, :func:`puhui.losses.fit_gof.product_limit` (the tests check it
  against lifelines' ``KaplanMeierFitter``). A life that enters at t is at risk only *after*
  t: the risk set is ``nⱼ = #{entry < tⱼ ≤ exit}`` (lifelines' convention); an event at the
  very time of entry is therefore refused.
* :func:`nelson_aalen` — cumulative hazard ``Ĥ(t) = Σ_{tⱼ ≤ t} dⱼ/nⱼ`` (tied events use
  lifelines' smoothing Σ_{i<dⱼ} 1/(nⱼ − i)), same conventions, through
  :class:`lifelines.NelsonAalenFitter`.
* :func:`cox_compare` — proportional-hazards comparison of groups (e.g. a disabled cohort vs
  the standard cohort), with left truncation, through :class:`lifelines.CoxPHFitter`.
* :func:`age_scale` — policy records → entry and exit ages and a death flag, for curves on
  the age scale (the natural scale for mortality).
* :func:`claim_delays` — report delay (出险→报案) and settlement delay (报案→结案) of claims
  valued at a date, feeding an IBNR view:

  - **settlement**: open claims are right-censored at the valuation date (未决赔案);
  - **reporting**: claims not yet reported are *absent* from the data, so report delays of the
    reported claims are **right-truncated** at ``W = valuation − accident``, not censored. The
    product-limit estimator for right-truncated data (Lynden-Bell 1971; Lagakos, Barraj & De
    Gruttola 1988) is the Kaplan–Meier estimator in reversed time ``Y = τ − D`` with left
    truncation at ``τ − W``; puhui computes it that way with
    :func:`~puhui.losses.fit_gof.product_limit`. It estimates ``F(d) = P(D ≤ d | D ≤ τ)``,
    τ the longest window observed;
  - IBNR count (已发生未报案件数): each reported claim stands for ``1/F(Wᵢ)`` claims
    (inverse-probability weighting), so ``N̂ = Σ 1/F(Wᵢ)`` and ``IBNR = N̂ − N``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError, Problem
from ..losses.fit_gof import product_limit
from ..plots import label, new_axes
from .mortality import _as_list, _date, _validated, exact_age


@dataclass(frozen=True)
class SurvivalCurves:
    """Fitted curves by group: a tidy table and the estimate behind each group.

    ``table`` columns: ``group, time, estimate, lower, upper, at_risk, observed, censored,
    entrance`` — estimate is S(t) for Kaplan–Meier, H(t) for Nelson–Aalen; ``at_risk`` counts
    the lives under observation at ``time`` after that time's entries and before its exits.
    ``fitters`` maps each group to its :class:`puhui.losses.fit_gof.ProductLimit`
    (Kaplan–Meier) or :class:`lifelines.NelsonAalenFitter` (Nelson–Aalen).
    """

    kind: str
    table: pd.DataFrame
    fitters: dict = field(default_factory=dict)

    def at(self, times) -> pd.DataFrame:
        """The estimate at given times (step function, right-continuous), one column a group."""
        times = np.atleast_1d(np.asarray(times, dtype=float))
        base = 1.0 if self.kind == "kaplan_meier" else 0.0
        out = {}
        for g, sub in self.table.groupby("group", sort=False):
            idx = np.searchsorted(sub["time"].to_numpy(float), times, side="right") - 1
            vals = sub["estimate"].to_numpy()
            out[g] = np.where(idx >= 0, vals[np.maximum(idx, 0)], base)
        return pd.DataFrame(out, index=pd.Index(times, name="time"))

    def summary(self) -> pd.DataFrame:
        """Per group: lives, events, censored, and (Kaplan–Meier) the median time."""
        rows = []
        for g, sub in self.table.groupby("group", sort=False):
            row = {"group": g, "lives": int(sub["entrance"].sum()),
                   "events": int(sub["observed"].sum()), "censored": int(sub["censored"].sum())}
            if self.kind == "kaplan_meier":  # first time with S ≤ 1/2, inf if none
                below = np.flatnonzero(sub["estimate"].to_numpy() <= 0.5)
                row["median"] = float(sub["time"].iloc[below[0]]) if below.size else np.inf
            rows.append(row)
        return pd.DataFrame(rows)

    def plot(self, ax=None, *, ci: bool = True):
        """Step curves per group with their confidence band; returns the Axes."""
        ax = new_axes(ax)
        for g, sub in self.table.groupby("group", sort=False):
            (line,) = ax.step(sub["time"], sub["estimate"], where="post", label=str(g))
            if ci:
                ax.fill_between(sub["time"], sub["lower"], sub["upper"], step="post",
                                alpha=0.2, color=line.get_color())
        ax.set_xlabel(label("时间", "time"))
        ax.set_ylabel(label("生存概率", "survival") if self.kind == "kaplan_meier"
                      else label("累积风险", "cumulative hazard"))
        ax.legend()
        return ax


def kaplan_meier(data: pd.DataFrame, *, duration: str, event: str, entry: str | None = None,
                 by: str | Sequence[str] | None = None, alpha: float = 0.05) -> SurvivalCurves:
    """Kaplan–Meier curves by group with right censoring and left truncation.

    Columns in, :func:`puhui.losses.fit_gof.product_limit` per group, a table out; without
    ``entry`` every life enters at time 0 (a row at 0 opens each curve).

    Parameters
    ----------
    data : DataFrame
        One row per life (or claim).
    duration : str
        Column of exit times (on the age scale: exit age).
    event : str
        Column, 1/True when the exit is the event (death), 0/False when censored.
    entry : str, optional
        Column of entry times for left truncation (on the age scale: the purchase age).
    by : str or list of str, optional
        Grouping columns; one curve per group.
    alpha : float
        1 − confidence level of the pointwise band (exponential Greenwood, log(−log) scale).

    Examples
    --------
    >>> import pandas as pd
    >>> from puhui.experience.survival import kaplan_meier
    >>> d = pd.DataFrame({"t": [2, 3, 3, 5], "e": [1, 1, 0, 1]})
    >>> kaplan_meier(d, duration="t", event="e").at([2, 3]).iloc[:, 0].round(4).tolist()
    [0.75, 0.5]
    """
    return _fit_curves("kaplan_meier", data, duration, event, entry, by, alpha)


def nelson_aalen(data: pd.DataFrame, *, duration: str, event: str, entry: str | None = None,
                 by: str | Sequence[str] | None = None, alpha: float = 0.05) -> SurvivalCurves:
    """Nelson–Aalen cumulative hazard by group, right censoring and left truncation (lifelines)."""
    return _fit_curves("nelson_aalen", data, duration, event, entry, by, alpha)


@dataclass(frozen=True)
class CoxComparison:
    """Hazard ratios of groups (and covariates) from a Cox model; ``fitter`` is lifelines'."""

    table: pd.DataFrame
    reference: object
    fitter: object = None

    def summary(self) -> pd.DataFrame:
        """Covariate, coefficient, hazard ratio with its interval, p-value."""
        return self.table.copy()

    def plot(self, ax=None):
        """Hazard ratios with intervals on a log scale; returns the Axes."""
        ax = new_axes(ax)
        t = self.table
        y = np.arange(len(t))
        err = np.vstack([t["hazard_ratio"] - t["lower"], t["upper"] - t["hazard_ratio"]])
        ax.errorbar(t["hazard_ratio"], y, xerr=err, fmt="o", capsize=3)
        ax.axvline(1.0, color="grey", ls="--", lw=1)
        ax.set_xscale("log")
        ax.set_yticks(y, t["covariate"])
        ax.set_xlabel(label("风险比", "hazard ratio") + f" (vs {self.reference})")
        return ax


def cox_compare(data: pd.DataFrame, *, duration: str, event: str, group: str,
                entry: str | None = None, covariates: Sequence[str] = (),
                reference=None, alpha: float = 0.05) -> CoxComparison:
    """Proportional-hazards comparison of the levels of ``group`` (lifelines CoxPHFitter).

    The group enters as indicator columns ``group=level`` against the ``reference`` level
    (default: the first level in sorted order); numeric ``covariates`` are added as they are.
    With ``entry`` the partial likelihood uses left-truncated risk sets.
    """
    from lifelines import CoxPHFitter

    _need(data, [duration, event, group, *covariates] + ([entry] if entry else []))
    levels = sorted(pd.unique(data[group]).tolist())
    if len(levels) < 2:
        raise ParameterError(f"group column {group!r} has a single level {levels}")
    reference = levels[0] if reference is None else reference
    if reference not in levels:
        raise ParameterError(f"reference {reference!r} is not a level of {group!r}: {levels}")
    df = pd.DataFrame({"_T": data[duration].to_numpy(float),
                       "_E": data[event].astype(bool).to_numpy()})
    names = []
    for lev in levels:
        if lev != reference:
            name = f"{group}={lev}"
            df[name] = (data[group].to_numpy() == lev).astype(float)
            names.append(name)
    for c in covariates:
        df[c] = data[c].to_numpy(float)
        names.append(c)
    if entry:
        df["_W"] = data[entry].to_numpy(float)
    cph = CoxPHFitter(alpha=alpha).fit(df, duration_col="_T", event_col="_E",
                                       entry_col="_W" if entry else None)
    s = cph.summary
    lo_col = [c for c in s.columns if c.startswith("exp(coef) lower")][0]
    hi_col = [c for c in s.columns if c.startswith("exp(coef) upper")][0]
    table = pd.DataFrame({"covariate": names, "coef": s.loc[names, "coef"].to_numpy(),
                          "hazard_ratio": s.loc[names, "exp(coef)"].to_numpy(),
                          "lower": s.loc[names, lo_col].to_numpy(),
                          "upper": s.loc[names, hi_col].to_numpy(),
                          "p": s.loc[names, "p"].to_numpy()})
    return CoxComparison(table=table, reference=reference, fitter=cph)


def age_scale(records: pd.DataFrame, *, by: Sequence[str] = (), study_start=None,
              study_end=None, birth_date: str = "birth_date", entry_age: str = "entry_age",
              entry_date: str = "entry_date", exit_date: str = "exit_date",
              exit_reason: str = "exit_reason") -> pd.DataFrame:
    """Policy records → ``by…, entry_age, exit_age, death`` (exact ages in years).

    Same record layout and conventions as :func:`puhui.experience.mortality.exposure_by_age`;
    feed the result to :func:`kaplan_meier` with ``duration="exit_age", event="death",
    entry="entry_age"`` for a left-truncated survival curve on the age scale.
    """
    by = _as_list(by)
    frame = _validated(records, by=by, birth_date=birth_date, entry_age=entry_age,
                       entry_date=entry_date, exit_date=exit_date, exit_reason=exit_reason,
                       table="records")
    entry = frame[entry_date].to_numpy("datetime64[ns]")
    exit_ = frame[exit_date].to_numpy("datetime64[ns]")
    start = entry if study_start is None else np.maximum(entry, _date(study_start, "study_start"))
    end = exit_ if study_end is None else np.minimum(exit_, _date(study_end, "study_end"))
    if birth_date in frame.columns:
        origin, age0 = frame[birth_date].to_numpy("datetime64[ns]"), 0.0
    else:
        origin, age0 = entry, frame[entry_age].to_numpy(float)
    keep = end >= start
    age_start = age0 + exact_age(origin, start)
    age_end = age0 + exact_age(origin, end)
    out = (frame.loc[keep, by].reset_index(drop=True) if by
           else pd.DataFrame(index=range(int(keep.sum()))))
    out["entry_age"] = age_start[keep]
    out["exit_age"] = age_end[keep]
    died = (frame[exit_reason].to_numpy() == "death") & (end == exit_)
    out["death"] = died[keep].astype(int)
    return out


# ---------------------------------------------------------------------- claim delays
@dataclass(frozen=True)
class ClaimDelays:
    """Report and settlement delays of claims valued at ``valuation_date`` (days).

    ``claims`` holds per claim ``accident_date, report_delay, window, settle_delay, settled``;
    ``reporting`` the right-truncation product-limit estimate of the reported fraction
    ``F(d)`` by delay d (days); ``settlement`` Kaplan–Meier curves of time to settlement.
    """

    claims: pd.DataFrame
    reporting: pd.DataFrame
    settlement: SurvivalCurves
    valuation_date: pd.Timestamp
    horizon: float

    def reported_fraction(self, delay) -> np.ndarray:
        """``F(d)``: estimated share of claims reported within d days of the accident."""
        d = np.asarray(delay, dtype=float)
        grid = self.reporting["delay"].to_numpy()
        vals = self.reporting["reported_fraction"].to_numpy()
        idx = np.searchsorted(grid, d, side="right") - 1
        return np.where(idx >= 0, vals[np.maximum(idx, 0)], 0.0)

    def ibnr(self, period: str = "M") -> pd.DataFrame:
        """IBNR claim counts by accident period: reported N, estimate N̂ = Σ 1/F(Wᵢ), IBNR.

        ``period`` is a pandas period alias ("M" month, "Q" quarter, "Y" year).
        """
        c = self.claims
        f = self.reported_fraction(c["window"].to_numpy())
        if np.any(f <= 0):
            raise ParameterError("some claims have an estimated reported fraction of 0 at their "
                                 "window; the delay data are too thin")
        frame = pd.DataFrame({"accident_period": c["accident_date"].dt.to_period(period),
                              "reported": 1, "estimated_ultimate": 1.0 / f})
        out = frame.groupby("accident_period").sum().reset_index()
        out["ibnr"] = out["estimated_ultimate"] - out["reported"]
        return out

    def summary(self) -> pd.DataFrame:
        """Claims, settled share, median report delay (F = 1/2), settlement summary."""
        med = self.reporting.loc[self.reporting["reported_fraction"] >= 0.5, "delay"]
        settle = self.settlement.summary()
        return pd.DataFrame([{
            "claims": len(self.claims), "settled": int(self.claims["settled"].sum()),
            "median_report_delay_days": float(med.iloc[0]) if len(med) else np.nan,
            "reported_within_30d": float(self.reported_fraction(30.0)),
            "reported_within_90d": float(self.reported_fraction(90.0)),
            "median_settlement_days": float(settle["median"].iloc[0]),
            "horizon_days": self.horizon,
        }])

    def plot(self, ax=None):
        """Reported fraction F(d) and settled fraction 1 − S(t) against days; returns the Axes."""
        ax = new_axes(ax)
        ax.step(self.reporting["delay"], self.reporting["reported_fraction"], where="post",
                label=label("已报案比例", "reported"))
        for g, sub in self.settlement.table.groupby("group", sort=False):
            ax.step(sub["time"], 1.0 - sub["estimate"], where="post",
                    label=label("已结案比例", "settled") + ("" if g == "all" else f" {g}"))
        ax.set_xlabel(label("出险后天数", "days"))
        ax.set_ylabel(label("比例", "share"))
        ax.set_ylim(0, 1.02)
        ax.legend()
        return ax


def claim_delays(claims: pd.DataFrame, *, valuation_date, accident: str = "accident_date",
                 report: str = "report_date", settlement: str = "payment_date",
                 status: str = "status", origin: str = "report",
                 horizon: float | None = None) -> ClaimDelays:
    """Report-delay and settlement-delay curves of claims valued at ``valuation_date``.

    Parameters
    ----------
    claims : DataFrame
        Claims as in puhui's claims schema: ``accident_date`` (出险日期), ``report_date``
        (报案日期), ``status`` (open / closed / reopened) and the settlement date
        (``payment_date`` by default: the date of the last payment of a closed claim).
    valuation_date : date-like
        评估日. Claims reported after it must not be in the table.
    origin : {"report", "accident"}
        Settlement delay measured from report (default) or from accident; from accident the
        curve is left-truncated at the report delay (a claim is seen only once reported).
    horizon : float, optional
        τ, the longest report delay (days) the reporting curve covers; default the longest
        window ``valuation − accident`` in the data. F(τ) = 1 by construction.
    """
    if origin not in ("report", "accident"):
        raise ParameterError(f"origin must be 'report' or 'accident', got {origin!r}")
    val = pd.Timestamp(_date(valuation_date, "valuation_date"))
    frame = _claims_validated(claims, val, accident, report, settlement, status)
    acc = frame[accident].to_numpy("datetime64[ns]")
    rep = frame[report].to_numpy("datetime64[ns]")
    delay = _days(rep - acc)
    window = _days(np.datetime64(val, "ns") - acc)
    settled = (frame[status] == "closed").to_numpy()
    stl = frame[settlement].to_numpy("datetime64[ns]")
    end = np.where(settled, stl, np.datetime64(val, "ns"))
    from_ = rep if origin == "report" else acc
    settle_delay = _days(end - from_)

    tau = float(window.max()) if horizon is None else float(horizon)
    if tau < delay.max():
        raise ParameterError(f"horizon {tau} is shorter than the longest report delay "
                             f"{delay.max():g} days")
    # Right truncation → left truncation in reversed time Y = τ − D, entry τ − min(W, τ).
    # product_limit puts a life entering at t at risk only after t; the Lynden-Bell risk set
    # #{D_i ≤ d_j ≤ W_i} is inclusive, so entries move 10⁻⁶ day earlier (delays are in days).
    y = tau - delay
    enter = tau - np.minimum(window, tau) - 1e-6
    km = product_limit(y, np.ones(y.size, bool), entry=enter)
    grid = np.unique(np.concatenate([delay, [0.0, tau]]))
    # F(d) = P(Y ≥ τ − d) = Ŝ_Y((τ − d)−): the product over event times strictly below τ − d.
    idx = np.searchsorted(km.time, tau - grid, side="left") - 1
    frac = np.where(idx >= 0, km.survival[np.maximum(idx, 0)], 1.0)
    reporting = pd.DataFrame({"delay": grid, "reported_fraction": frac})

    per_claim = pd.DataFrame({"accident_date": frame[accident].to_numpy("datetime64[ns]"),
                              "report_delay": delay, "window": window,
                              "settle_delay": settle_delay, "settled": settled})
    data = pd.DataFrame({"t": settle_delay, "e": settled})
    if origin == "accident":
        data["w"] = delay
    curves = kaplan_meier(data, duration="t", event="e",
                          entry="w" if origin == "accident" else None)
    return ClaimDelays(claims=per_claim, reporting=reporting, settlement=curves,
                       valuation_date=val, horizon=tau)


# ---------------------------------------------------------------------- internals
def _fit_curves(kind, data, duration, event, entry, by, alpha):
    by = _as_list(by)
    _need(data, [duration, event, *by] + ([entry] if entry else []))
    t = pd.to_numeric(data[duration], errors="coerce").to_numpy(float)
    e = data[event].to_numpy()
    problems = []
    for i in np.flatnonzero(~np.isfinite(t) | (t < 0)):
        problems.append(Problem("data", duration, int(i) + 1, "out_of_range",
                                "duration must be a number ≥ 0", data[duration].iloc[i]))
    ok_event = pd.Series(e).isin([0, 1, True, False]).to_numpy()
    for i in np.flatnonzero(~ok_event):
        problems.append(Problem("data", event, int(i) + 1, "not_a_boolean",
                                "event must be 0/1 or True/False", e[i]))
    w = None
    if entry:
        w = pd.to_numeric(data[entry], errors="coerce").to_numpy(float)
        for i in np.flatnonzero(~np.isfinite(w) | (w > t)):
            problems.append(Problem("data", entry, int(i) + 1, "end_before_start",
                                    "entry must be a number ≤ the duration", data[entry].iloc[i]))
        at_entry = np.isfinite(w) & (w == t) & ok_event & (pd.Series(e).isin([1, True]))
        for i in np.flatnonzero(at_entry.to_numpy()):
            problems.append(Problem("data", event, int(i) + 1, "event_at_entry",
                                    "an event at the entry time: the life is not yet at risk "
                                    "(lifelines counts entry < t ≤ exit); check the record, or "
                                    "date a same-day death to the end of the day",
                                    data[entry].iloc[i]))
    if problems:
        raise DataError(problems)
    e = e.astype(bool)
    groups = (data[by].astype(str).agg(" / ".join, axis=1).to_numpy() if by
              else np.full(len(data), "all", dtype=object))
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha must be in (0, 1), got {alpha}")
    fitters, frames = {}, []
    for g in pd.unique(groups):  # one fit per group (a handful), never per policy
        sel = groups == g
        if kind == "kaplan_meier":
            fitters[g] = pl = product_limit(t[sel], e[sel], entry=None if w is None else w[sel])
            frames.append(_km_frame(g, pl, alpha, entered_at_zero=w is None))
            continue
        fitters[g] = f = _nelson_aalen_fitter(alpha).fit(
            t[sel], e[sel], entry=None if w is None else w[sel], label=str(g))
        est = f.cumulative_hazard_
        ci = f.confidence_interval_
        et = f.event_table.reindex(est.index, fill_value=0)
        frames.append(pd.DataFrame({
            "group": g, "time": est.index.to_numpy(float), "estimate": est.iloc[:, 0].to_numpy(),
            "lower": ci.iloc[:, 0].to_numpy(), "upper": ci.iloc[:, 1].to_numpy(),
            "at_risk": et["at_risk"].to_numpy(), "observed": et["observed"].to_numpy(),
            "censored": et["censored"].to_numpy(), "entrance": et["entrance"].to_numpy()}))
    return SurvivalCurves(kind=kind, table=pd.concat(frames, ignore_index=True), fitters=fitters)


def _nelson_aalen_fitter(alpha):
    from lifelines import NelsonAalenFitter

    return NelsonAalenFitter(alpha=alpha)


def _km_frame(g, pl, alpha, *, entered_at_zero):
    """One group's rows of the Kaplan–Meier table from its :class:`ProductLimit`."""
    time, entered, surv = pl.time, pl.entered, pl.survival
    lower, upper = pl.confidence_interval(alpha)
    observed, censored = pl.events, pl.censored
    if entered_at_zero:  # no entry column: everyone enters at 0 (durations are ≥ 0)
        if time[0] > 0:
            zero, one = np.zeros(1), np.ones(1)
            time, entered, surv = (np.concatenate([zero, time]), np.concatenate([zero, entered]),
                                   np.concatenate([one, surv]))
            lower, upper = np.concatenate([one, lower]), np.concatenate([one, upper])
            observed, censored = np.concatenate([zero, observed]), np.concatenate([zero, censored])
        entered = entered.copy()
        entered[0] = observed.sum() + censored.sum()
    removed = observed + censored
    at_risk = np.cumsum(entered) - np.concatenate([[0.0], np.cumsum(removed)[:-1]])
    return pd.DataFrame({"group": g, "time": time, "estimate": surv, "lower": lower,
                         "upper": upper, "at_risk": at_risk.astype(int),  # counts of lives
                         "observed": observed.astype(int), "censored": censored.astype(int),
                         "entrance": entered.astype(int)})


def _days(delta) -> np.ndarray:
    """Exact (fractional) days of a timedelta64 array: whole days stay whole numbers."""
    return np.asarray(delta).astype("timedelta64[ns]") / np.timedelta64(1, "D")


def _need(data, cols):
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"data must be a DataFrame, got {type(data).__name__}")
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise DataError([Problem("data", c, None, "missing_column", "required column is missing")
                         for c in missing])


def _claims_validated(claims, val, accident, report, settlement, status):
    _need(claims, [accident, report, status, settlement])
    frame = claims.reset_index(drop=True).copy()
    problems: list[Problem] = []
    for c in (accident, report, settlement):
        raw = frame[c]
        parsed = pd.to_datetime(raw, errors="coerce")
        if c != settlement:
            for i in np.flatnonzero(raw.isna().to_numpy()):
                problems.append(Problem("claims", c, int(i) + 1, "missing_value",
                                        "date is empty"))
        for i in np.flatnonzero((parsed.isna() & raw.notna()).to_numpy()):
            problems.append(Problem("claims", c, int(i) + 1, "not_a_date", "not a date",
                                    raw.iloc[i]))
        frame[c] = parsed
    st = frame[status]
    for i in np.flatnonzero(~st.isin(["open", "closed", "reopened"]).to_numpy()):
        problems.append(Problem("claims", status, int(i) + 1, "not_allowed",
                                "status must be open, closed or reopened", st.iloc[i]))
    a, r, s = frame[accident], frame[report], frame[settlement]
    rules = [
        (report, r < a, "report_before_accident", "claim reported before its accident"),
        (report, r > val, "after_valuation", "claim reported after the valuation date"),
        (settlement, (st == "closed") & s.isna(), "missing_value",
         "a closed claim needs its settlement date"),
        (settlement, (st == "closed") & (s < r), "payment_before_report",
         "settled before it was reported"),
        (settlement, (st == "closed") & (s > val), "after_valuation",
         "settled after the valuation date"),
    ]
    for col, mask, rule, msg in rules:
        for i in np.flatnonzero(mask.fillna(False).to_numpy(bool)):
            problems.append(Problem("claims", col, int(i) + 1, rule, msg,
                                    str(frame[col].iloc[i])))
    if problems:
        raise DataError(problems)
    return frame
