"""Agricultural rate review by county (农险费率回溯): A/E, credibility, the factor, the reserve.

The 2023 rule (银保监规〔2023〕4号) asks a company to back-test its filed rates against experience
(费率回溯) and to assess the 保费不足准备金 at each valuation date. :func:`crop_review` does both
for a county × crop × year book against the rates in force, each step by the function of the
package that owns it:

1. **Expected loss and A/E.** The filed pure rate of a cell (county × crop) is
   p = 基准纯风险损失率 × 费率调整系数 (= 费率 × (1 − 附加费率), the 2023 formula
   :func:`puhui.agri.rules.filed_rate`). Year t expects E_t = p · L_t (L = 保险金额), and the cell's
   A/E = Σ_t I_t / Σ_t E_t (I = 赔款) — the loss-ratio method at current rates (Werner & Modlin,
   *Basic Ratemaking*, CAS 2016, ch. 8).
2. **Interval.** The yearly ratios r_t = I_t / E_t are taken independent over the years with a
   variance σ² common to the counties of a crop — a county's own 5–10 years are too few to
   estimate its own. σ̂² is the Bühlmann within-contract variance of the crop's counties × years
   panel of r (unit weights, :class:`puhui.credibility.BuhlmannStraub`):
   σ̂² = Σ_c Σ_t (r_ct − r̄_c)² / Σ_c (n_c − 1). Then Var(A/E_c) = σ̂² Σ_t ω_t², ω_t = E_t / Σ E,
   and the interval is the normal one, A/E ± z_{(1+level)/2} · √Var, its lower end floored at
   0. A cell is ``above`` when the interval lies above 1 (its filed rate is too low with
   confidence ``level``), ``below`` when it lies under 1. The deviations r_ct − r̄_c include the
   province's common weather years, so the interval is the uncertainty of the county's own
   long-run A/E, common shocks included. With ``level`` = 95% about 2.5% of the cells whose rate
   is right are flagged ``above`` by chance (``false_positive_expected`` of
   :meth:`CropReview.summary`; on the bundled example 8 of the 288 unplanted cells, 7.7 on
   average when the planted counties are moved around, docs/agriculture.md).
3. **Credibility.** Bühlmann–Straub credibility with the zone (风险区, or a neighbour group) as
   the complement: :func:`puhui.agri.lcr.county_rates` on the A/E ratios (indemnity over the
   expected loss, weights E — the loss-ratio form of the county-rate method), crop by crop, with
   its provincial catastrophe cap and loading: A/E*_c = Z_c · Ā_c + (1 − Z_c) · Ā_zone + L_c.
   The complement is the zone's A/E applied to the county's own filed rate (the "rate change of
   a larger group applied to present rates", Werner & Modlin ch. 12), so the county
   relativities the factors hold are kept where the county's experience is not credible.

   With ``year_effect=True`` (default) each year's expected loss is first multiplied by the
   crop's provincial A/E of that year, γ_t = Σ_c I_ct / Σ_c E_ct, so the credibility model sees
   each county's loss relative to the province in the same year (γ_t = 0 years carry no
   relativity and are left out of the fit); the result is brought back to the A/E scale by the
   county's exposure-weighted level γ̄_c = Σ_t γ_t E_ct / Σ_t E_ct: A/E*_c = γ̄_c · rel*_c.
   Reason: a common weather year moves every county together, which the Bühlmann–Straub model
   (counties independent) reads as within-county noise — it inflates s² and deflates the
   between-county variance, and on the bundled province without its planted counties every Z
   is 0 without the adjustment, 0.05–0.85 with it (tests/test_agri_review.py).
   ``year_effect=False`` fits the A/E ratios as they are.
4. **Indication and the band.** Indicated pure rate = p · A/E*; as the industry benchmark and the
   loading stay, the change is carried by the factor (the 2023 rule leaves the company the
   factor and the loading): indicated factor = factor · A/E*. It is clipped into the
   费率调整系数 band of the rulebook in force on ``as_of`` (:func:`puhui.experience.indication.
   factor_band_rule`: [0.75, 1.25] for 财政补贴性产品, [0.5, 1.5] otherwise, from 2023-09-01),
   and the table says which cells hit the band (``band_hit``) and by how much (``band_gap`` =
   indicated − new factor; ``uncovered_pure_rate`` = benchmark × gap, the pure rate the band
   leaves uncollected). The new rate is 基准费率 × new factor (:func:`puhui.agri.rules.base_rate`).
   It is the factor :func:`puhui.experience.indication.rate_indication` gives one cell at a time
   (loss ratio A/E* × (1 − loading), target 1, variable expenses = loading, ``clip_band``).
5. **保费不足准备金 at the valuation date.** Rows whose period of cover (``start_date`` …
   ``end_date``) holds ``as_of`` are the policies in force; their unearned premium is
   :func:`puhui.experience.exposure.earned_by_policy` at ``as_of`` (1/365 method), their
   expected claims the indicated pure rate × liability × the unexpired share of the term, and
   :func:`puhui.agri.rules.premium_adequacy` gives the 未赚保费准备金, the 保费不足准备金 and the
   未到期责任准备金 per cell and per crop (the 险种 at which the reserve is held). Rows in force are
   left out of the A/E (their claims are not complete); rows whose cover starts after ``as_of``
   are an error. The 1/365 pattern spreads a season's claims evenly over its term; for a crop
   whose losses come late (wheat: May) more is still to come than that, and a risk-distribution
   method (细则第1号 第七条) gives a larger reserve.

Indemnities are taken as ultimate: allocate IBNR to the county-years first.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError, ParameterError, Problem
from ..report.notes import Note
from .benchmark import _blank, _duplicates, _frame, _unknown_columns
from .rules import base_rate, filed_rate, premium_adequacy, valuation_day

#: Columns of the experience table (county × crop × year), with their meaning.
EXPERIENCE_COLUMNS: dict[str, str] = {
    "region": "县 code",
    "crop": "crop (optional: without it the review is by county alone)",
    "year": "harvest year (保险年度)",
    "liability": "保险金额 of the year, 元, > 0",
    "premium": "保费 written at the filed rate, 元, ≥ 0",
    "indemnity": "赔款 (ultimate) of the year, 元, ≥ 0",
    "area": "insured 亩 (optional), ≥ 0",
    "start_date": "start of cover, YYYY-MM-DD (optional; with end_date, for the reserve test)",
    "end_date": "end of cover, inclusive (optional)",
}
#: Columns of the filed rate table (county × crop).
FILED_COLUMNS: dict[str, str] = {
    "region": "县 code",
    "crop": "crop (as in the experience; absent when the experience has none)",
    "benchmark_rate": "基准纯风险损失率 in force, in (0, 1)",
    "loading": "附加费率, in [0, 1)",
    "factor": "费率调整系数 in force, > 0",
    "subsidised": "财政补贴性产品 (true/false, optional: true)",
}
ZONE_COLUMNS: dict[str, str] = {"region": "县 code", "crop": "crop (optional)",
                                "zone": "风险区 or neighbour group"}
_TRUE = {"true", "1", "yes", "y", "t", "是"}
_FALSE = {"false", "0", "no", "n", "f", "否"}


@dataclass(frozen=True)
class CropReview:
    """Result of :func:`crop_review`.

    ``table`` has one row per county × crop reviewed (columns in :func:`crop_review`);
    ``adequacy`` one row per cell in force at the valuation date and ``adequacy_total`` one per
    crop (None when no row is in force or the experience has no cover periods); ``structure``
    one row per crop with the credibility structure (K, s², a, the catastrophe threshold) and
    the pooled variance of the yearly A/E; ``notes`` what the reader must know, each a
    :class:`~puhui.report.notes.Note` (the text in the language in force, with its English and
    Chinese).
    """

    table: pd.DataFrame
    adequacy: pd.DataFrame | None
    adequacy_total: pd.DataFrame | None
    structure: pd.DataFrame
    as_of: date
    level: float
    year_effect: bool
    band_rules: dict
    notes: tuple[str, ...] = field(default=())

    @property
    def assumptions(self) -> dict:
        """What the review used, for a report's manifest."""
        return {"valuation_date": self.as_of.isoformat(), "level": self.level,
                "interval": "normal, yearly A/E variance pooled over the crop's counties",
                "year_effect": self.year_effect, "band_rules": dict(self.band_rules),
                "cells": int(len(self.table)), "notes": list(self.notes)}

    def summary(self) -> pd.DataFrame:
        """The main columns, one row per cell; counts in ``attrs``."""
        cols = [c for c in ("region", "crop", "zone", "n_years", "liability", "indemnity",
                            "expected", "loss_ratio", "filed_pure_rate", "ae", "ae_lower",
                            "ae_upper", "signal", "z", "credibility_ae",
                            "indicated_pure_rate", "factor", "indicated_factor", "new_factor",
                            "band_hit", "band_gap", "filed_rate", "new_rate")
                if c in self.table.columns]
        out = self.table[cols].copy()
        n = len(out)
        out.attrs.update(cells=n, above=int((out["signal"] == "above").sum()),
                         below=int((out["signal"] == "below").sum()),
                         band_hits=int((out["band_hit"] != "").sum()),
                         false_positive_expected=n * (1 - self.level) / 2,
                         valuation_date=self.as_of.isoformat())
        return out

    def flagged(self, signal: str = "above") -> pd.DataFrame:
        """Cells whose A/E interval lies above 1 (``"above"``) or under it (``"below"``),
        largest indicated factor first."""
        if signal not in ("above", "below"):
            raise ParameterError("signal must be 'above' or 'below'")
        t = self.summary()
        return t[t["signal"] == signal].sort_values("indicated_factor", ascending=False,
                                                    kind="stable")

    def by_region(self) -> pd.DataFrame:
        """One row per county over its crops: liability, indemnity, expected, A/E, the
        credibility-weighted A/E Σ indicated pure × liability / Σ expected, and the number of
        its cells flagged above and below; largest credibility-weighted A/E first."""
        t = self.table.assign(indicated=self.table["indicated_pure_rate"]
                              * self.table["liability"],
                              above=self.table["signal"] == "above",
                              below=self.table["signal"] == "below")
        g = t.groupby("region", sort=True)
        out = g[["liability", "indemnity", "expected", "indicated", "above", "below"]].sum()
        out.insert(3, "ae", out["indemnity"] / out["expected"])
        out.insert(4, "credibility_ae", out.pop("indicated") / out["expected"])
        out = out.rename(columns={"above": "cells_above", "below": "cells_below"})
        out[["cells_above", "cells_below"]] = out[["cells_above", "cells_below"]].astype(int)
        return out.reset_index().sort_values("credibility_ae", ascending=False, kind="stable")

    def band_hits(self) -> pd.DataFrame:
        """Cells whose indicated factor lies outside the band in force: the factor stops at the
        band's edge and ``band_gap`` is what it could not follow."""
        t = self.table
        cols = [c for c in ("region", "crop", "zone", "ae", "credibility_ae", "factor",
                            "indicated_factor", "band_low", "band_high", "new_factor",
                            "band_hit", "band_gap", "uncovered_pure_rate") if c in t.columns]
        hit = t[t["band_hit"] != ""]
        return hit[cols].sort_values("band_gap", key=np.abs, ascending=False, kind="stable")

    def plot(self, ax=None, *, crop=None, top: int | None = 30):
        """A/E by county with its interval (lines) and the credibility-weighted A/E (diamonds),
        the ``top`` cells by credibility-weighted A/E (all with ``top=None``), one crop or all;
        red: interval above 1, blue: under 1. Returns the Axes."""
        from ..plots import label, new_axes

        t = self.table
        if crop is not None:
            if "crop" not in t.columns or crop not in set(t["crop"]):
                raise ParameterError(f"no crop {crop!r} in the review")
            t = t[t["crop"] == crop]
        if top is not None:
            if not (isinstance(top, int | np.integer) and top > 0):
                raise ParameterError(f"top must be a positive whole number or None, got {top!r}")
            t = t.nlargest(int(top), "credibility_ae", keep="first")
        t = t.sort_values("credibility_ae", kind="stable")
        ax = new_axes(ax, figsize=(7.0, max(2.5, 0.22 * len(t) + 1.2)))
        ypos = np.arange(len(t))
        names = (t["region"] + " " + t["crop"] if "crop" in t.columns and crop is None
                 else t["region"]).astype(str)
        colour = np.where(t["signal"] == "above", "tab:red",
                          np.where(t["signal"] == "below", "tab:blue", "grey"))
        ax.hlines(ypos, t["ae_lower"], t["ae_upper"], color=colour, lw=1.4)
        ax.scatter(t["ae"], ypos, color=colour, s=16, zorder=3, label=label("实际/预期", "A/E"))
        ax.scatter(t["credibility_ae"], ypos, marker="D", facecolors="none", edgecolors="k",
                   s=22, zorder=4, label=label("信度加权", "credibility-weighted"))
        ax.axvline(1.0, color="grey", ls="--", lw=0.8)
        ax.set_yticks(ypos, names, fontsize=7)
        ax.set_xlabel(label(f"赔款 / 预期赔款 ({self.level:.0%} 置信区间)",
                            f"indemnity / expected at the filed rate ({self.level:.0%} interval)"))
        ax.set_title(label("费率回溯：各县实际/预期", "rate review: A/E by county")
                     + ("" if crop is None else f" — {crop}"))
        ax.legend(fontsize=7, loc="lower right")
        return ax


# -- reading the inputs ----------------------------------------------------------------------


def _read(source, known: dict, required: tuple, table: str) -> pd.DataFrame:
    df = _frame(source, table)
    df.columns = [str(c).strip() for c in df.columns]
    problems = _unknown_columns(df, known, table)
    problems += [Problem(table, c, None, "missing_column",
                         f"required column {c} is absent ({known[c]})")
                 for c in required if c not in df.columns]
    if problems:
        raise DataError(problems)
    if df.empty:
        raise DataError([Problem(table, None, None, "empty", "the table has no rows")])
    return df.reset_index(drop=True)


def _text(df, col) -> pd.Series:
    return df[col].astype(str).str.strip()


def _is_blank(s: pd.Series) -> np.ndarray:
    """Missing cells (:func:`puhui.agri.benchmark._blank`; a numeric or date column only by
    NaN, without the text round trip)."""
    if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s.isna().to_numpy()
    return _blank(s)


def _missing(df, cols, table, problems):
    for col in cols:
        for i in np.flatnonzero(_is_blank(df[col])):
            problems.append(Problem(table, col, int(i) + 1, "missing_value", f"{col} is empty"))


def _numbers(df, col, table, lo, hi, *, lo_open, hi_open, what, problems) -> np.ndarray:
    """The column as floats; a non-number or a value outside the range is a Problem (row
    1-based) — the rule of :func:`puhui.agri.benchmark._numbers`."""
    s = df[col]
    x = (s.to_numpy(float) if pd.api.types.is_numeric_dtype(s.dtype)
         and not pd.api.types.is_bool_dtype(s.dtype)
         else pd.to_numeric(s, errors="coerce").to_numpy(float))
    blank = _is_blank(s)
    with np.errstate(invalid="ignore"):
        out = (x >= hi if hi_open else x > hi) | (x <= lo if lo_open else x < lo)
    lo_b, hi_b = "(" if lo_open else "[", ")" if hi_open else "]"
    for i in np.flatnonzero(~blank & ~np.isfinite(x)):
        problems.append(Problem(table, col, int(i) + 1, "not_a_number", f"{what} must be a number",
                                s.iloc[i]))
    for i in np.flatnonzero(~blank & np.isfinite(x) & out):
        problems.append(Problem(table, col, int(i) + 1, "out_of_range",
                                f"{what} must lie in {lo_b}{lo:g}, {hi:g}{hi_b}", s.iloc[i]))
    return x


def _dates(df, col, table, problems) -> pd.Series:
    blank = _is_blank(df[col])
    if pd.api.types.is_datetime64_any_dtype(df[col].dtype):
        return df[col].astype("datetime64[ns]")
    d = pd.to_datetime(df[col].where(~blank), errors="coerce", format="mixed")
    for i in np.flatnonzero(~blank & d.isna().to_numpy()):
        problems.append(Problem(table, col, int(i) + 1, "not_a_date",
                                "must be a date YYYY-MM-DD", df[col].iloc[i]))
    return d


def read_experience(source) -> pd.DataFrame:
    """The county × (crop ×) year experience, read strictly (columns:
    :data:`EXPERIENCE_COLUMNS`): an unknown column is refused with the nearest known name; a
    missing cell, a liability ≤ 0, a negative premium, indemnity or area, a year that is not a
    whole number, an end of cover before its start, cover dates on some rows only, or a repeated
    county × crop × year raise :class:`~puhui.errors.DataError` naming each row (1-based) and
    column.

    >>> e = read_experience(pd.DataFrame({"region": ["A", "A"], "year": [2023, 2024],
    ...     "liability": [1e6, 1e6], "premium": [4e4, 4e4], "indemnity": [0.0, 9e4]}))
    >>> e["indemnity"].tolist()
    [0.0, 90000.0]
    """
    table = "experience"
    df = _read(source, EXPERIENCE_COLUMNS, ("region", "year", "liability", "premium",
                                            "indemnity"), table)
    problems: list[Problem] = []
    has_dates = [c for c in ("start_date", "end_date") if c in df.columns]
    if len(has_dates) == 1:
        problems.append(Problem(table, has_dates[0], None, "missing_column",
                                "give both start_date and end_date (the period of cover), or "
                                "neither"))
    keys = ["region"] + (["crop"] if "crop" in df.columns else [])
    _missing(df, [*keys, "year", "liability", "premium", "indemnity", *has_dates], table,
             problems)
    year = _numbers(df, "year", table, 1900, 2200, lo_open=False, hi_open=False,
                    what="year", problems=problems)
    for i in np.flatnonzero(np.isfinite(year) & (year != np.round(year))):
        problems.append(Problem(table, "year", int(i) + 1, "not_a_whole_number",
                                "year must be a whole number", df["year"].iloc[i]))
    liab = _numbers(df, "liability", table, 0.0, np.inf, lo_open=True, hi_open=True,
                    what="liability (保险金额, 元)", problems=problems)
    prem = _numbers(df, "premium", table, 0.0, np.inf, lo_open=False, hi_open=True,
                    what="premium (保费, 元)", problems=problems)
    ind = _numbers(df, "indemnity", table, 0.0, np.inf, lo_open=False, hi_open=True,
                   what="indemnity (赔款, 元)", problems=problems)
    out = pd.DataFrame({k: _text(df, k) for k in keys})
    out["year"] = np.where(np.isfinite(year), year, -1).astype(np.int64)
    out["liability"], out["premium"], out["indemnity"] = liab, prem, ind
    if "area" in df.columns:
        out["area"] = _numbers(df, "area", table, 0.0, np.inf, lo_open=False, hi_open=True,
                               what="area (亩)", problems=problems)
    if len(has_dates) == 2:
        start = _dates(df, "start_date", table, problems)
        end = _dates(df, "end_date", table, problems)
        for i in np.flatnonzero((end < start).to_numpy()):
            problems.append(Problem(table, "end_date", int(i) + 1, "end_before_start",
                                    "end of cover before its start", df["end_date"].iloc[i]))
        out["start_date"], out["end_date"] = start, end
    if not problems:
        _duplicates(out, [*keys, "year"], table, problems)
    if problems:
        raise DataError(problems)
    return out


def _flag(df, col, table, problems) -> np.ndarray:
    text = df[col].astype(str).str.strip().str.lower()
    yes, no = text.isin(_TRUE).to_numpy(), text.isin(_FALSE).to_numpy()
    for i in np.flatnonzero(~yes & ~no):
        problems.append(Problem(table, col, int(i) + 1, "not_a_flag",
                                "subsidised must be true or false", df[col].iloc[i]))
    return yes


def read_filed(source) -> pd.DataFrame:
    """The filed rates in force by county (× crop), read strictly (columns:
    :data:`FILED_COLUMNS`); ``filed_pure_rate`` = benchmark_rate × factor is added.

    >>> f = read_filed(pd.DataFrame({"region": ["A"], "benchmark_rate": [0.04],
    ...                              "loading": [0.2], "factor": [1.1]}))
    >>> round(float(f["filed_pure_rate"].iloc[0]), 6), bool(f["subsidised"].iloc[0])
    (0.044, True)
    """
    table = "filed"
    df = _read(source, FILED_COLUMNS, ("region", "benchmark_rate", "loading", "factor"), table)
    problems: list[Problem] = []
    keys = ["region"] + (["crop"] if "crop" in df.columns else [])
    _missing(df, [*keys, "benchmark_rate", "loading", "factor"], table, problems)
    b = _numbers(df, "benchmark_rate", table, 0.0, 1.0, lo_open=True, hi_open=True,
                 what="benchmark_rate (基准纯风险损失率)", problems=problems)
    load = _numbers(df, "loading", table, 0.0, 1.0, lo_open=False, hi_open=True,
                    what="loading (附加费率)", problems=problems)
    f = _numbers(df, "factor", table, 0.0, np.inf, lo_open=True, hi_open=True,
                 what="factor (费率调整系数)", problems=problems)
    sub = (_flag(df, "subsidised", table, problems) if "subsidised" in df.columns
           else np.ones(len(df), bool))
    out = pd.DataFrame({k: _text(df, k) for k in keys})
    out["benchmark_rate"], out["loading"], out["factor"], out["subsidised"] = b, load, f, sub
    if not problems:
        _duplicates(out, keys, table, problems)
    if problems:
        raise DataError(problems)
    out["filed_pure_rate"] = out["benchmark_rate"] * out["factor"]
    return out


def read_zones(source) -> pd.DataFrame:
    """County → zone (风险区 or neighbour group): a table (region, [crop], zone), a CSV path or
    a mapping region → zone."""
    table = "zones"
    if isinstance(source, dict):
        source = pd.DataFrame({"region": list(source), "zone": list(source.values())})
    elif isinstance(source, pd.Series):
        source = pd.DataFrame({"region": source.index, "zone": source.to_numpy()})
    df = _read(source, ZONE_COLUMNS, ("region", "zone"), table)
    problems: list[Problem] = []
    keys = ["region"] + (["crop"] if "crop" in df.columns else [])
    _missing(df, [*keys, "zone"], table, problems)
    out = pd.DataFrame({k: _text(df, k) for k in [*keys, "zone"]})
    if not problems:
        _duplicates(out, keys, table, problems)
    if problems:
        raise DataError(problems)
    return out


# -- the review ------------------------------------------------------------------------------


def _number(v) -> bool:
    return (isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
            and bool(np.isfinite(v)))


def _missing_cells(exp_keys: pd.DataFrame, other: pd.DataFrame, keys, table, what):
    m = exp_keys.drop_duplicates().merge(other[keys].drop_duplicates(), how="left", on=keys,
                                         indicator=True)
    lost = m[m["_merge"] == "left_only"]
    if len(lost):
        raise DataError([Problem(table, "+".join(keys), None, "missing_" + what,
                                 f"no {what} for " + ", ".join(f"{k}={v!r}"
                                                               for k, v in zip(keys, row,
                                                                               strict=True)))
                         for row in lost[keys].to_numpy()[:200]])


def _fit_credibility(cells: pd.DataFrame, year_effect: bool, cat_quantile: float,
                     cat_spread: str, method: str, notes: list) -> tuple[pd.DataFrame, dict]:
    """County credibility of one crop by :func:`puhui.agri.lcr.county_rates` on the A/E ratios
    (module notes, step 3). ``cells``: region, year, indemnity, expected, zone."""
    from .lcr import county_rates

    e = cells
    name = e["crop"].iloc[0] if "crop" in e.columns else "all"
    name_zh = "全部作物" if name == "all" else name
    weight = e["expected"].to_numpy(float)
    if year_effect and not (e["indemnity"] > 0).any():
        notes.append(Note(f"{name}: no indemnity in any year, so no year effect to remove; "
                          "the credibility is fitted on the A/E ratios as they are.",
                          f"{name_zh}：各年均无赔款，无年度效应可剔除；信度直接按原始 A/E "
                          "拟合。"))
        year_effect = False
    if year_effect:
        by_year = e.groupby("year")[["indemnity", "expected"]].sum()
        gamma = (by_year["indemnity"] / by_year["expected"]).reindex(e["year"]).to_numpy()
        weight = weight * gamma
        level = ((e["expected"] * gamma).groupby(e["region"]).sum()
                 / e.groupby("region")["expected"].sum())
        dropped = sorted(int(y) for y in by_year.index[by_year["indemnity"] <= 0])
        if dropped:
            notes.append(Note(
                f"{name}: years {', '.join(map(str, dropped))} had no indemnity anywhere and "
                "carry no county relativity; left out of the credibility fit (kept in the A/E).",
                f"{name_zh}：{'、'.join(map(str, dropped))} 年全省均无赔款，不含县间相对水平的"
                "信息，未纳入信度拟合（仍计入 A/E）。"))
    fit = pd.DataFrame({"region": e["region"], "year": e["year"],
                        "indemnity": e["indemnity"], "liability": weight, "group": e["zone"]})
    fit = fit[fit["liability"] > 0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            cr = county_rates(fit, cat_quantile=cat_quantile, cat_spread=cat_spread,
                              method=method)
        except ParameterError as err:
            raise ParameterError(f"credibility cannot be estimated: {err} (the review needs, "
                                 "per crop, at least two counties and a county with two or "
                                 "more years)") from None
    for w in caught:
        if "between-contract variance" in str(w.message):
            notes.append(Note(f"{name}: no between-county variance beyond the noise "
                              "(Bühlmann–Straub a ≤ 0): Z = 0, every county gets its zone's "
                              "A/E.",
                              f"{name_zh}：县间方差未超出随机波动（Bühlmann–Straub a ≤ 0）："
                              "Z = 0，各县均采用所在风险区的 A/E。"))
        else:                                        # not ours to silence
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    t = cr.table.set_index("region")
    regions = pd.Index(e["region"].unique())
    lost = regions.difference(t.index)
    if len(lost):   # every year of these counties was left out (no indemnity anywhere)
        zone = e.drop_duplicates("region").set_index("region")["zone"]
        comp = t.groupby("group")["group_lcr"].first().reindex(zone[lost]).to_numpy()
        if np.isnan(comp).any():
            raise ParameterError(f"{name}: counties {list(lost[np.isnan(comp)])[:10]} have no "
                                 "year with indemnity in the province and no zone to take "
                                 "from; use year_effect=False")
        add = pd.DataFrame({"z": 0.0, "group_lcr": comp, "cat_load": cr.cat_load,
                            "pure_rate": comp + cr.cat_load}, index=lost)
        t = pd.concat([t, add]).rename_axis("region")
        shown = [str(c) for c in lost[:10]]
        more = len(lost) - len(shown)
        notes.append(Note(
            f"{name}: {'county' if len(lost) == 1 else 'counties'} {', '.join(shown)}"
            + (f" and {more} more" if more else "")
            + (" has no year with indemnity in the province: Z = 0, its zone's A/E."
               if len(lost) == 1 else
               " have no year with indemnity in the province: Z = 0, their zone's A/E."),
            f"{name_zh}：县 {'、'.join(shown)}" + (f" 等 {len(lost)} 个县" if more else "")
            + " 的经验年份全省均无赔款：Z = 0，采用所在风险区的 A/E。"))
    scale = level.reindex(t.index) if year_effect else 1.0
    out = pd.DataFrame({"z": t["z"], "complement_ae": t["group_lcr"] * scale,
                        "cat_load": t["cat_load"] * scale,
                        "credibility_ae": t["pure_rate"] * scale})
    structure = {"credibility_constant": cr.credibility_constant,
                 "within_variance": cr.within_variance,
                 "between_variance": cr.between_variance, "cat_threshold": cr.threshold}
    return out, structure


def _pooled_variance(cells: pd.DataFrame) -> float:
    """σ̂² of the yearly A/E ratios: the Bühlmann within-contract variance (unit weights)."""
    from ..credibility import BuhlmannStraub

    panel = (cells["indemnity"] / cells["expected"]).to_frame("r").assign(
        region=cells["region"].to_numpy(), year=cells["year"].to_numpy()).pivot(
        index="region", columns="year", values="r")
    if panel.notna().sum(axis=1).max() < 2 or len(panel) < 2:
        raise ParameterError("the A/E interval needs at least two counties of a crop and one "
                             "with two or more years of experience")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="estimated between-contract variance",
                                category=RuntimeWarning)
        return float(BuhlmannStraub().fit(panel).within_variance_)


def _band(subsidised: np.ndarray, when: pd.Timestamp, notes: list):
    from ..experience.indication import factor_band_rule

    lo = np.full(subsidised.shape, -np.inf)
    hi = np.full(subsidised.shape, np.inf)
    used = {}
    for flag in (True, False):
        m = subsidised == flag
        if not m.any():
            continue
        r = factor_band_rule(flag, when.date())
        kind = "subsidised" if flag else "other"
        if r is None:
            notes.append(Note(
                f"no 费率调整系数 band in force on {when.date()} for {kind} products "
                "(银保监规〔2023〕4号 applies from 2023-09-01): factors not bounded.",
                f"{when.date()} 无适用于{'财政补贴性产品' if flag else '其他产品'}的现行费率调整"
                "系数区间（银保监规〔2023〕4号自 2023-09-01 起施行）：调整系数不设上下限。"))
            used[kind] = None
            continue
        lo[m], hi[m] = r.value
        used[kind] = f"{r.id}: {r.limit_text} ({r.source})"
    return lo, hi, used


def crop_review(experience, filed, *, as_of, zones=None, level: float = 0.95,
                year_effect: bool = True, cat_quantile: float = 0.8,
                cat_spread: str = "credibility", method: str = "unbiased",
                maintenance_expense: float = 0.0, acquisition_cost: float = 0.0) -> CropReview:
    """Review the filed rates of a county × crop book against its experience (module notes).

    Parameters
    ----------
    experience : DataFrame or CSV path
        One row per county (× crop) × year: ``region, [crop], year, liability, premium,
        indemnity, [area], [start_date, end_date]`` (:func:`read_experience`).
    filed : DataFrame or CSV path
        The rates in force per county (× crop): ``region, [crop], benchmark_rate, loading,
        factor, [subsidised]`` (:func:`read_filed`). Every cell of the experience needs one; a
        filed rate outside the rules in force (loading cap, factor band) raises
        :class:`puhui.rules.RegulationBreach`.
    as_of : date or 'YYYY-MM-DD'
        Valuation date (评估日): the rulebook in force for the band, and the policies in force
        for the 保费不足准备金 test.
    zones : DataFrame, CSV path or mapping, optional
        County → zone (``region, [crop], zone``), the credibility complement; default: all
        counties of a crop in one group.
    level : float
        Confidence level of the A/E interval.
    year_effect : bool
        Remove the province's common year effect before the credibility fit (module notes).
    cat_quantile, cat_spread, method
        Passed to :func:`puhui.agri.lcr.county_rates` (catastrophe cap on the pooled A/E ratios,
        how the excess comes back, Bühlmann–Straub estimator).
    maintenance_expense, acquisition_cost : float
        Shares of the unearned premium: the maintenance expenses of the unexpired risk, and the
        unexpired 保单获取成本 deducted to give the 未赚保费准备金 (reserve test).

    Returns
    -------
    CropReview
        ``table``: one row per cell, in this order — ``region, [crop], zone, n_years,
        first_year, last_year, [area], liability, premium, indemnity, expected, loss_ratio,
        benchmark_rate, factor, loading, subsidised, filed_pure_rate, actual_rate, ae,
        ae_lower, ae_upper, signal, z, complement_ae, cat_load, credibility_ae,
        indicated_pure_rate, indicated_factor, band_low, band_high, new_factor, band_hit,
        band_gap, uncovered_pure_rate, filed_rate, new_rate, rate_change``; ``adequacy`` and
        ``adequacy_total`` (the reserve test), ``structure``, ``notes``.

    Examples
    --------
    >>> exp = pd.DataFrame({"region": np.repeat(["A", "B", "C"], 4),
    ...                     "year": np.tile([2021, 2022, 2023, 2024], 3), "liability": 1e6,
    ...                     "premium": 5e4, "indemnity": [0, 8e4, 2e4, 6e4, 1e4, 3e4, 0, 2e4,
    ...                                                   5e4, 9e4, 4e4, 7e4]})
    >>> filed = pd.DataFrame({"region": ["A", "B", "C"], "benchmark_rate": 0.04,
    ...                       "loading": 0.2, "factor": 1.0})
    >>> r = crop_review(exp, filed, as_of="2025-03-31", year_effect=False, cat_quantile=1.0)
    >>> r.table["ae"].tolist()                          # Σ indemnity / (0.04 × Σ liability)
    [1.0, 0.375, 1.5625]
    >>> r.table["new_factor"].round(3).tolist()        # B and C stop at the band's edges
    [0.994, 0.75, 1.25]
    >>> r.table["band_hit"].tolist()
    ['', 'lower', 'upper']
    """
    when = valuation_day(as_of, "as_of (the valuation date, 评估日)",
                         "it selects the rulebook in force and the policies for the "
                         "保费不足准备金 test")
    if not (_number(level) and 0 < level < 1):
        raise ParameterError(f"level must be in (0, 1), got {level!r}")
    for name, v in (("maintenance_expense", maintenance_expense),
                    ("acquisition_cost", acquisition_cost)):
        if not (_number(v) and 0 <= v < 1):
            raise ParameterError(f"{name} must be a share of the unearned premium in [0, 1), "
                                 f"got {v!r}")
    if maintenance_expense + acquisition_cost >= 1:
        raise ParameterError("maintenance_expense + acquisition_cost must be below 1")
    exp = read_experience(experience)
    fil = read_filed(filed)
    keys = ["region"] + (["crop"] if "crop" in exp.columns else [])
    if ("crop" in fil.columns) != ("crop" in exp.columns):
        raise DataError([Problem("filed", "crop", None, "key_column",
                                 "the filed table and the experience must both have a crop "
                                 "column or both not")])
    _missing_cells(exp[keys], fil, keys, "filed", "filed rate")
    if zones is not None:
        zon = read_zones(zones)
        zkeys = ["region"] + (["crop"] if "crop" in zon.columns and "crop" in keys else [])
        if "crop" in zon.columns and "crop" not in keys:
            raise DataError([Problem("zones", "crop", None, "key_column",
                                     "the zone map has a crop column but the experience has "
                                     "none")])
        _missing_cells(exp[keys].drop_duplicates()[zkeys], zon, zkeys, "zones", "zone")
    notes: list[str] = []

    # closed years, rows in force, rows written after the valuation date
    if "start_date" in exp.columns:
        after = (exp["start_date"] > when).to_numpy()
        if after.any():
            raise DataError([Problem("experience", "start_date", int(i) + 1, "after_valuation",
                                     f"cover starts after the valuation date {when.date()}",
                                     str(exp["start_date"].iloc[i].date()))
                             for i in np.flatnonzero(after)[:200]])
        in_force = (exp["end_date"] >= when).to_numpy()
    else:
        late = (exp["year"] > when.year).to_numpy()
        if late.any():
            raise DataError([Problem("experience", "year", int(i) + 1, "after_valuation",
                                     f"year after the valuation date {when.date()}",
                                     int(exp["year"].iloc[i])) for i in np.flatnonzero(late)[:200]])
        in_force = np.zeros(len(exp), bool)
        notes.append(Note("no cover periods (start_date, end_date): every row is taken as a "
                          "closed year and the 保费不足准备金 test is not made.",
                          "无保险期间（start_date、end_date）：每行均视为已满期年度，"
                          "不做保费不足准备金测试。"))
    closed = exp[~in_force].merge(fil, on=keys, how="left")
    if closed.empty:
        raise DataError([Problem("experience", None, None, "no_closed_years",
                                 f"every row is in force at {when.date()}: no closed year to "
                                 "review")])
    closed["expected"] = closed["filed_pure_rate"] * closed["liability"]
    if zones is not None:
        closed = closed.merge(zon, on=zkeys, how="left")
    else:
        closed["zone"] = "all"

    # per crop: interval variance and credibility
    crops = closed.groupby("crop", sort=True) if "crop" in keys else [(None, closed)]
    parts, structure = [], []
    for crop, g in crops:
        s2 = _pooled_variance(g)
        cred, st = _fit_credibility(g, year_effect, cat_quantile, cat_spread, method, notes)
        cred["yearly_ae_variance"] = s2
        if crop is not None:
            cred["crop"] = crop
        parts.append(cred.reset_index())
        structure.append({**({"crop": crop} if crop is not None else {}), **st,
                          "yearly_ae_variance": s2, "counties": int(g["region"].nunique())})
    cred = pd.concat(parts, ignore_index=True)

    # cell sums
    g = closed.groupby(keys, sort=True)
    w = closed["expected"] / g["expected"].transform("sum")
    sums = [c for c in ("liability", "premium", "indemnity", "expected", "area")
            if c in closed.columns]
    years = g["year"]
    cell = pd.concat([g[["zone", "filed_pure_rate", "benchmark_rate", "loading", "factor",
                         "subsidised"]].first(), g[sums].sum(),
                      years.size().rename("n_years"), years.min().rename("first_year"),
                      years.max().rename("last_year"),
                      (w**2).groupby([closed[k] for k in keys]).sum().rename("omega2")], axis=1)
    cell = cell.reset_index().merge(cred, on=keys, how="left")
    with np.errstate(divide="ignore", invalid="ignore"):
        cell["loss_ratio"] = np.where(cell["premium"] > 0, cell["indemnity"] / cell["premium"],
                                      np.nan)
    cell["actual_rate"] = cell["indemnity"] / cell["liability"]
    ae = cell["indemnity"] / cell["expected"]
    half = stats.norm.ppf(0.5 + level / 2) * np.sqrt(cell["yearly_ae_variance"]
                                                     * cell.pop("omega2"))
    cell["ae"], cell["ae_lower"], cell["ae_upper"] = ae, np.maximum(ae - half, 0.0), ae + half
    cell["signal"] = np.where(cell["ae_lower"] > 1, "above",
                              np.where(cell["ae_upper"] < 1, "below", ""))
    cell["indicated_pure_rate"] = cell["filed_pure_rate"] * cell["credibility_ae"]

    # the factor within the band in force; the filed rates must meet the rules
    sub = cell["subsidised"].to_numpy(bool)
    lo, hi, band_rules = _band(sub, when, notes)
    b, load, f = (cell[c].to_numpy(float) for c in ("benchmark_rate", "loading", "factor"))
    rate = np.empty(len(cell))
    for flag in (True, False):
        m = sub == flag
        if m.any():
            if np.isfinite(lo[m]).all():
                rate[m] = filed_rate(b[m], load[m], f[m], subsidised=flag).rate
            else:
                rate[m] = base_rate(b[m], load[m], subsidised=flag) * f[m]
    indicated = f * cell["credibility_ae"].to_numpy(float)
    new = np.clip(indicated, lo, hi)
    cell["indicated_factor"] = indicated
    cell["band_low"], cell["band_high"] = np.where(np.isfinite(lo), lo, np.nan), \
        np.where(np.isfinite(hi), hi, np.nan)
    cell["new_factor"] = new
    cell["band_hit"] = np.where(indicated > hi + 1e-12, "upper",
                                np.where(indicated < lo - 1e-12, "lower", ""))
    cell["band_gap"] = indicated - new
    cell["uncovered_pure_rate"] = b * (indicated - new)
    cell["filed_rate"] = rate
    cell["new_rate"] = rate / f * new
    cell["rate_change"] = new / f - 1.0
    order = [*keys, "zone", "n_years", "first_year", "last_year",
             *(["area"] if "area" in cell.columns else []), "liability", "premium",
             "indemnity", "expected", "loss_ratio", "benchmark_rate", "factor", "loading",
             "subsidised", "filed_pure_rate", "actual_rate", "ae", "ae_lower", "ae_upper",
             "signal", "z", "complement_ae", "cat_load", "credibility_ae",
             "indicated_pure_rate", "indicated_factor", "band_low", "band_high", "new_factor",
             "band_hit", "band_gap", "uncovered_pure_rate", "filed_rate", "new_rate",
             "rate_change"]
    table = cell[order]

    adequacy, total = _adequacy(exp[in_force], fil, table, keys, when, maintenance_expense,
                                acquisition_cost, notes) if in_force.any() else (None, None)
    if adequacy is None and "start_date" in exp.columns:
        notes.append(Note(f"no policy in force at {when.date()}: no unexpired risk, no "
                          "保费不足准备金.",
                          f"{when.date()} 无有效保单：无未到期风险，无需提取保费不足准备金。"))
    return CropReview(table, adequacy, total, pd.DataFrame(structure), when.date(),
                      float(level), bool(year_effect), band_rules, tuple(notes))


def _adequacy(rows, fil, table, keys, when, maintenance, acquisition, notes):
    """保费不足准备金 of the rows in force at ``when`` (module notes, step 5)."""
    from ..experience.exposure import earned_by_policy

    r = rows.merge(fil, on=keys, how="left").merge(
        table[[*keys, "indicated_pure_rate"]], on=keys, how="left")
    new = r["indicated_pure_rate"].isna().to_numpy()
    if new.any():
        n_new = int(new.sum())
        notes.append(Note(f"{n_new} {'cell' if n_new == 1 else 'cells'} in force without "
                          "closed years: their expected claims use the filed pure rate.",
                          f"{n_new} 个有效单元没有已满期年度：其预期赔款按报备纯费率计算。"))
    pure = np.where(new, r["filed_pure_rate"], r["indicated_pure_rate"])
    earned = earned_by_policy(r.assign(exposure=r["liability"]), as_of=when)
    unearned = earned["unearned_premium"].to_numpy(float)
    unexpired = 1.0 - earned["earned_share"].to_numpy(float)
    claims = pure * r["liability"].to_numpy(float) * unexpired
    res = premium_adequacy(unearned, claims, maintenance * unearned, valuation_date=when,
                           deferred_acquisition_cost=acquisition * unearned)
    per = res.summary().drop(columns="valuation_date")
    cells = r[[*keys, "start_date", "end_date", "liability", "premium", "indemnity"]].rename(
        columns={"indemnity": "indemnity_to_date"}).reset_index(drop=True)
    cells["unexpired_share"] = unexpired
    cells["used_pure_rate"] = pure
    out = pd.concat([cells, per], axis=1)
    by = ["crop"] if "crop" in keys else []
    sums = (out.groupby(by, sort=True) if by else out.assign(_all=0).groupby("_all"))[
        ["liability", "premium", "unearned_premium", "expected_claims", "expenses",
         "deferred_acquisition_cost"]].sum()
    tot = premium_adequacy(sums["unearned_premium"].to_numpy(), sums["expected_claims"].to_numpy(),
                           sums["expenses"].to_numpy(), valuation_date=when,
                           deferred_acquisition_cost=sums["deferred_acquisition_cost"].to_numpy())
    total = pd.concat([sums.reset_index()[by + ["liability", "premium"]] if by else
                       sums[["liability", "premium"]].reset_index(drop=True),
                       tot.summary().drop(columns="valuation_date")], axis=1)
    total.insert(0, "valuation_date", pd.Timestamp(when))
    return out, total
