"""Fit a cost model per benefit line × segment: cost frequency × severity, with a reporting
threshold.

A member's annual covered cost on a line is 0 with probability ``1 − q`` and otherwise follows a
severity law ``F``. Often only costs above a reporting threshold ``t`` are seen (a claim is filed
only when the cost passes the 起付线): the severity is then fitted by maximum likelihood with left
truncation at ``t`` (:class:`puhui.losses.SeverityFitter`; Klugman, Panjer & Willmot, *Loss
Models*, §13.2) and the frequency is corrected for the unseen costs::

    q̂ = n_observed / Σ_y N_y · S_F(t_y)

with ``N_y`` the member-years of policy year ``y`` and ``t_y = t·(1 + g)^(Y − y)`` the threshold
trended like the costs (costs of year ``y`` are multiplied by ``(1 + g)^(Y − y)`` to reach the
pricing year ``Y``). With ``t = 0`` this is the share of member-years with a cost ``> 0``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from puhui.errors import DataError, ParameterError, Problem
from puhui.experience.member_costs import CostModel, cost_table
from puhui.losses.fit import SeverityFitter

__all__ = ["CostModelFitter"]

MIN_OBSERVED = 10


def _threshold(threshold, line: str, seg: str) -> float:
    if isinstance(threshold, Mapping):
        value = threshold.get((line, seg), threshold.get(line))
        if value is None:
            raise ParameterError(f"threshold: no value for line {line!r} / segment {seg!r}")
    else:
        value = threshold
    t = float(value)
    if not (np.isfinite(t) and t >= 0):
        raise ParameterError(f"threshold: must be finite and ≥ 0 (元), got {value!r}")
    return t


class CostModelFitter:
    """Fit ``q`` and a severity law per line × segment (scikit-learn style).

    Parameters
    ----------
    family : str, default "lognorm"
        Severity family (see :class:`puhui.losses.SeverityFitter`).
    threshold : float or mapping, default 0
        Reporting threshold ``t`` (元, on the cost of its own year): costs ``≤ t`` are treated as
        unobserved. A mapping may give it per line or per ``(line, segment)``.

    Attributes
    ----------
    model_ : puhui.experience.member_costs.CostModel
        ``(q, severity)`` per line × segment and the member-years per segment of the latest
        year (the portfolio priced by :func:`puhui.huiminbao.price_from_model`).
    table_ : DataFrame
        Per line × segment: ``member_years``, ``observed``, ``threshold``, ``sf_threshold``
        (exposure-weighted ``S(t_y)``), ``q``, ``severity_mean`` and the fitted ``params``.
    fitters_ : dict
        The :class:`~puhui.losses.SeverityFitter` of each ``(line, segment)``.
    pricing_year_ : int

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(3)
    >>> n = 20_000
    >>> pol = pd.DataFrame({"policy_id": np.arange(n), "policy_year": 2025,
    ...                     "segment": np.where(np.arange(n) % 2, "healthy", "preexisting")})
    >>> has = np.flatnonzero(rng.random(n) < 0.2)  # true q = 0.2, costs lognormal(8, 1)
    >>> cst = pd.DataFrame({"policy_id": has, "benefit_line": "drugs",
    ...                     "cost": rng.lognormal(8.0, 1.0, has.size)})
    >>> fit = CostModelFitter(threshold=2000.0).fit(pol, cst)  # costs ≤ 2,000 unseen
    >>> fit.summary()[["observed", "q"]].round(3)  # doctest: +NORMALIZE_WHITESPACE
                       observed      q
    line  segment
    drugs healthy          1330  0.212
          preexisting      1335  0.197
    """

    def __init__(self, family: str = "lognorm", threshold=0.0):
        self.family = family
        self.threshold = threshold

    def fit(self, policies: pd.DataFrame, costs: pd.DataFrame, *, lines=None,
            pricing_year: int | None = None, trend: float = 0.0, years=None,
            segments=None) -> CostModelFitter:
        """Fit on member-years (``policy_id``, ``segment``, ``policy_year``, optional
        ``exposure``) and their costs (``policy_id``, ``benefit_line``, ``cost``). ``segments``:
        the product's (``product.segments``; another value is an error naming its row), by
        default the segments found, sorted."""
        if "policy_year" not in policies.columns:
            raise DataError([Problem("policies", "policy_year", None, "missing_column",
                                     "required column is missing")])
        g = float(trend)
        if not (np.isfinite(g) and g > -1):
            raise ParameterError(f"trend: must be finite and > −1, got {trend!r}")
        # the one member × line cost table (untrended here: the threshold applies to the
        # reported cost of its own year, and each cost is then trended with its truncation point)
        table = cost_table(policies, costs, lines=lines, segments=segments, years=years)
        segments, lines = table.segments, table.lines
        year, weight = table.year, table.weight
        seg = np.asarray(segments)[table.segment]
        target = int(year.max()) + 1 if pricing_year is None else int(pricing_year)
        factor_pol = (1.0 + g) ** (target - year)
        yrs = np.unique(year)
        laws, rows, fitters = {}, [], {}
        for line in lines:
            for s in segments:
                t = _threshold(self.threshold, line, s)
                raw = table.cost[:, lines.index(line)]
                at = (seg == s) & (raw > 0)
                obs = at & (raw > t)
                x = raw[obs] * factor_pol[obs]
                if x.size < MIN_OBSERVED:
                    raise ParameterError(f"line {line!r}, segment {s!r}: only {x.size} costs above "
                                         f"the threshold {t:g}; at least {MIN_OBSERVED} are needed")
                trunc = t * factor_pol[obs] if t > 0 else None
                fitter = SeverityFitter(self.family).fit(x, truncation=trunc)
                dist = fitter.dist_
                in_seg = seg == s
                n_y = np.array([weight[in_seg & (year == y)].sum() for y in yrs])
                t_y = t * (1.0 + g) ** (target - yrs)
                sf = np.asarray(dist.sf(t_y), dtype=float) if t > 0 else np.ones(len(yrs))
                expected_seen = float(np.dot(n_y, sf))
                q = x.size / expected_seen
                if not 0 < q <= 1:
                    raise ParameterError(f"line {line!r}, segment {s!r}: the fitted severity "
                                         f"implies a cost probability q = {q:.3g} > 1; the "
                                         "severity family does not fit below the threshold")
                laws[(line, s)] = (q, dist)
                fitters[(line, s)] = fitter
                rows.append({"line": line, "segment": s, "member_years": float(n_y.sum()),
                             "observed": int(x.size), "threshold": t,
                             "sf_threshold": expected_seen / float(n_y.sum()), "q": q,
                             "severity_mean": float(dist.mean()), "family": fitter.family_,
                             "params": dict(fitter.params_), "loglik": fitter.loglik_})
        latest = year == year.max()
        members = {s: float(weight[latest & (seg == s)].sum()) for s in segments}
        self.model_ = CostModel(laws, members, segments=segments)
        self.table_ = pd.DataFrame(rows)
        self.fitters_ = fitters
        self.pricing_year_ = target
        return self

    def summary(self) -> pd.DataFrame:
        """The fit table indexed by line × segment."""
        if not hasattr(self, "table_"):
            raise ParameterError("fitter: call fit() before using the results")
        return self.table_.set_index(["line", "segment"])
