"""Group experience rating (经验费率): credibility between a group's own A/E and its manual rate.

Product-neutral home of the experience rating that :mod:`puhui.life.group` (staff term life and
accident) and :mod:`puhui.smallbiz` (雇主责任, staff group cover) use. The group's actual claims
A against the claims E expected on the manual basis, period by period, give ``X = A/E``; the
experience-rated premium is the manual premium × the credibility-weighted ratio:

* ``"limited_fluctuation"`` (有限波动信度): ``Z = min(1, √(n/n_F))``, n the group's claim
  count, ``n_F = (z_{(1+p)/2}/k)² (1 + CV²)`` (1,082 claims for p = 90 %, k = 5 %),
  factor ``Z · A/E + (1 − Z) · C`` with the complement C = 1 (the manual rate) or the
  portfolio's A/E;
* ``"buhlmann_straub"`` (Bühlmann–Straub across groups, :class:`puhui.credibility.BuhlmannStraub`):
  ratios ``X_it = A_it/E_it`` with weights ``E_it`` (under Poisson claims the within variance
  of X_it is about ``m/E_it``, as the model assumes), ``z_i = E_i/(E_i + s²/a)``, factor
  ``m̂ + z_i (X̄_i − m̂)`` with the collective ``m̂``.

A group without experience gets the complement (C, or m̂).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError, Problem
from ..plots import label, new_axes
from .buhlmann import BuhlmannStraub
from .limited_fluctuation import full_credibility_standard, partial_credibility

__all__ = ["ExperienceRating"]


class ExperienceRating:
    """Credibility of each group's own experience against its manual (class) rate (经验费率).

    Product-neutral: ``expected`` is whatever the manual basis gives (claims on a life
    table, on a class rate of 雇主责任 or group accident cover …); a product family multiplies
    its manual premium by :meth:`factors` (:class:`puhui.life.group.GroupExperienceRating` adds
    ``apply`` for a life census).

    Parameters
    ----------
    method : {"buhlmann_straub", "limited_fluctuation"}
        Bühlmann–Straub across the groups, or limited fluctuation per group.
    estimator : {"unbiased", "iterative"}
        Bühlmann–Straub estimator of the between-group variance.
    p, k, cv : float
        Limited fluctuation: probability p that the claims lie within ±k of their mean;
        cv the claim-size coefficient of variation when ``actual`` is an amount.
    complement : {"manual", "portfolio"}
        Limited fluctuation: complement of credibility, 1 (the manual rate) or the portfolio's
        A/E.

    Attributes (after :meth:`fit`)
    ------------------------------
    table_ : DataFrame
        Per group: ``periods, actual, expected, claims, ae, z, credible_ae``.
    complement_ : float
        Factor for a group without experience (C, or the collective m̂).
    collective_, within_variance_, between_variance_, credibility_constant_ : float
        Bühlmann–Straub structure (NaN for limited fluctuation).
    full_standard_ : float
        ``n_F`` (limited fluctuation; NaN for Bühlmann–Straub).

    Examples
    --------
    >>> import pandas as pd
    >>> exp = pd.DataFrame({"group": ["A", "A", "B", "B"], "period": [1, 2, 1, 2],
    ...                     "actual": [30, 50, 10, 12], "expected": [40.0, 40.0, 10.0, 10.0]})
    >>> r = ExperienceRating("limited_fluctuation").fit(exp)
    >>> r.table_["z"].round(4).tolist()          # √(80/1082), √(22/1082)
    [0.2719, 0.1426]
    """

    def __init__(self, method: str = "buhlmann_straub", *, estimator: str = "unbiased",
                 p: float = 0.90, k: float = 0.05, cv: float = 0.0,
                 complement: str = "manual"):
        self.method = method
        self.estimator = estimator
        self.p = p
        self.k = k
        self.cv = cv
        self.complement = complement

    def fit(self, experience: pd.DataFrame, *, group: str = "group", period: str = "period",
            actual: str = "actual", expected: str = "expected",
            claims: str | None = None) -> ExperienceRating:
        """Learn the credibility factors from ``experience`` (one row per group × period).

        ``actual`` and ``expected`` are in the same unit (claim counts, or yuan); ``claims``
        names a claim-count column for the limited-fluctuation standard when ``actual`` is
        an amount (default: ``actual`` itself, a count).
        """
        if self.method not in ("buhlmann_straub", "limited_fluctuation"):
            raise ParameterError("method must be 'buhlmann_straub' or 'limited_fluctuation', "
                                 f"got {self.method!r}")
        if self.complement not in ("manual", "portfolio"):
            raise ParameterError(f"complement must be 'manual' or 'portfolio', got "
                                 f"{self.complement!r}")
        e = _validated_experience(experience, group, period, actual, expected, claims)
        tot = e.groupby("group", sort=True).agg(periods=("period", "size"),
                                                 actual=("actual", "sum"),
                                                 expected=("expected", "sum"),
                                                 claims=("claims", "sum"))
        tot["ae"] = tot["actual"] / tot["expected"]
        nan = float("nan")
        if self.method == "limited_fluctuation":
            self.full_standard_ = full_credibility_standard(self.p, self.k, self.cv)
            z = np.asarray(partial_credibility(tot["claims"].to_numpy(float), self.p, self.k,
                                               self.cv))
            comp = (1.0 if self.complement == "manual"
                    else float(tot["actual"].sum() / tot["expected"].sum()))
            tot["z"] = z
            tot["credible_ae"] = z * tot["ae"] + (1 - z) * comp
            self.complement_ = comp
            self.collective_ = self.within_variance_ = self.between_variance_ = nan
            self.credibility_constant_ = nan
        else:
            ratios = e.pivot(index="group", columns="period", values="ratio").sort_index()
            weights = e.pivot(index="group", columns="period", values="expected").sort_index()
            bs = BuhlmannStraub(method=self.estimator).fit(ratios, weights)
            tot["z"] = bs.z_.reindex(tot.index).to_numpy()
            tot["credible_ae"] = bs.premiums_.reindex(tot.index).to_numpy()
            self.collective_ = self.complement_ = float(bs.collective_)
            self.within_variance_ = float(bs.within_variance_)
            self.between_variance_ = float(bs.between_variance_)
            self.credibility_constant_ = float(bs.credibility_constant_)
            self.full_standard_ = nan
        self.table_ = tot.reset_index()
        return self

    def factors(self, groups) -> pd.Series:
        """Experience factor of each group in ``groups`` (the complement when unseen)."""
        self._check_fitted()
        f = self.table_.set_index("group")["credible_ae"]
        return pd.Series(f.reindex(list(groups)).fillna(self.complement_).to_numpy(),
                         index=pd.Index(list(groups), name="group"), name="factor")

    def summary(self) -> pd.DataFrame:
        """``table_`` with the structure parameters in ``.attrs``."""
        self._check_fitted()
        out = self.table_.copy()
        out.attrs.update(method=self.method, complement=self.complement_,
                         collective=self.collective_, within_variance=self.within_variance_,
                         between_variance=self.between_variance_,
                         credibility_constant=self.credibility_constant_,
                         full_standard=self.full_standard_)
        return out

    def plot(self, ax=None):
        """Observed A/E and credibility-weighted factor per group; returns the Axes."""
        self._check_fitted()
        ax = new_axes(ax)
        t = self.table_.sort_values("expected")
        y = np.arange(len(t))
        ax.plot(t["ae"], y, "o", mfc="none", label=label("实际/预期", "observed A/E"))
        ax.plot(t["credible_ae"], y, "s", label=label("信度加权", "credibility-weighted"))
        ax.axvline(self.complement_, color="grey", ls="--", lw=1,
                   label=label("补充值", "complement"))
        ax.set_yticks(y, t["group"].astype(str))
        ax.set_xlabel("A/E")
        ax.set_title({"buhlmann_straub": "Bühlmann–Straub",
                      "limited_fluctuation": "limited fluctuation"}[self.method])
        ax.legend()
        return ax

    def _check_fitted(self):
        if not hasattr(self, "table_"):
            raise ParameterError("call fit() first")


def _validated_experience(experience, group, period, actual, expected, claims):
    if not isinstance(experience, pd.DataFrame):
        raise ParameterError("experience must be a DataFrame (group × period rows)")
    need = [group, period, actual, expected] + ([claims] if claims else [])
    missing = [c for c in need if c not in experience.columns]
    if missing:
        raise DataError([Problem("experience", c, None, "missing_column",
                                 "required column is missing") for c in missing])
    e = experience.reset_index(drop=True)
    a = pd.to_numeric(e[actual], errors="coerce").to_numpy(float)
    x = pd.to_numeric(e[expected], errors="coerce").to_numpy(float)
    n = a if claims is None else pd.to_numeric(e[claims], errors="coerce").to_numpy(float)
    problems = []
    for col, v, bad, rule, msg in [
        (actual, a, ~np.isfinite(a) | (a < 0), "out_of_range", "actual must be a number ≥ 0"),
        (expected, x, ~np.isfinite(x) | (x <= 0), "out_of_range",
         "expected must be a number > 0"),
        (claims or actual, n, ~np.isfinite(n) | (n < 0), "out_of_range",
         "claim counts must be ≥ 0"),
    ]:
        problems += [Problem("experience", col, int(i) + 1, rule, msg, v[i])
                     for i in np.flatnonzero(bad)]
    dup = e.duplicated([group, period], keep=False).to_numpy()
    problems += [Problem("experience", period, int(i) + 1, "duplicate_key",
                         "one row per group and period", e[period].iloc[i])
                 for i in np.flatnonzero(dup)]
    if problems:
        raise DataError(problems)
    return pd.DataFrame({"group": e[group].to_numpy(), "period": e[period].to_numpy(),
                         "actual": a, "expected": x, "claims": n, "ratio": a / x})

