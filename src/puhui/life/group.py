"""Group pricing from a census, with credibility to each group's own experience (团体定价).

**Manual premium from the census** (:func:`price_census`). A census lists the insured lives
of one or more groups (one row per member, or per age × sex cell with a count ``lives``):
group, age (周岁), sex, sum insured (term life) and an optional group loading (团体加费系数,
e.g. 1.2 for a riskier occupation or region). The loading multiplies the mortality (q) of a
:class:`~puhui.life.products.TermLifeProduct` or the event rates (λ) of an
:class:`~puhui.life.accident.AccidentProduct`, so net, gross and expected claims stay
consistent. For one-year term life the group's net premium is

    P_group = Σ_rows lives · S · v · min(L · m · q_x, 1)       (m the product's loading)

**Experience rating** (:class:`GroupExperienceRating`): the group's actual claims A against
the claims E expected on the manual basis, period by period; the experience-rated premium is
the manual premium × the credibility-weighted ratio A/E — limited fluctuation or
Bühlmann–Straub, whose formulas are in :mod:`puhui.credibility.experience_rating` (the
product-neutral :class:`~puhui.credibility.ExperienceRating` this class extends with
:meth:`~GroupExperienceRating.apply`).

A group without experience gets the complement (C, or m̂).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..credibility.experience_rating import ExperienceRating
from ..errors import DataError, ParameterError, Problem
from ..plots import label, new_axes
from .accident import AccidentProduct
from .products import TermLifeProduct


@dataclass(frozen=True)
class CensusPricing:
    """Premiums of a census: per row (``rows``, amounts per life) and per group (``groups``).

    ``groups`` columns: ``group, lives, sum_insured, mean_age, expected_claims, net_premium,
    gross_premium, gross_per_life`` (totals in yuan a year, ``sum_insured`` 0 for accident).
    """

    rows: pd.DataFrame
    groups: pd.DataFrame
    product: str

    def summary(self) -> pd.DataFrame:
        """``groups`` with a total row ``all``."""
        g = self.groups
        tot = g[["lives", "sum_insured", "expected_claims", "net_premium", "gross_premium"]].sum()
        total = {"group": "all", **tot.to_dict(),
                 "mean_age": float(np.average(self.rows["age"], weights=self.rows["lives"])),
                 "gross_per_life": tot["gross_premium"] / tot["lives"]}
        return pd.concat([g, pd.DataFrame([total])], ignore_index=True)

    def plot(self, ax=None):
        """Gross premium per life by group (bars); returns the Axes."""
        ax = new_axes(ax)
        g = self.groups
        ax.bar(g["group"].astype(str), g["gross_per_life"])
        ax.set_ylabel(label("人均毛保费（元）", "gross premium per life (yuan)"))
        ax.set_title(self.product)
        ax.tick_params(axis="x", rotation=90 if len(g) > 12 else 0)
        return ax


def price_census(product, census: pd.DataFrame, *, group: str = "group", age: str = "age",
                 sex: str = "sex", lives: str = "lives", sum_insured: str = "sum_insured",
                 loading: str = "loading", table: str = "census") -> CensusPricing:
    """Manual net and gross premiums of every group in a census (团体清单定价).

    Parameters
    ----------
    product : TermLifeProduct or AccidentProduct
        The product and its basis (table or rates, loadings, age limits, expenses).
    census : DataFrame
        One row per member or per cell. Columns: ``group`` and ``age`` (whole years, within
        the product's entry ages and age cap); ``sex`` when the product has a table per sex;
        ``sum_insured`` (yuan) for term life; optional ``lives`` (count of the row, default 1)
        and ``loading`` (group loading > 0, default 1).
    table : str
        Name of the census in error messages.

    Raises
    ------
    puhui.DataError
        Listing every bad row: missing column, non-numeric or fractional age, age outside the
        entry limits or cover past the age cap, unknown sex, lives or sum insured ≤ 0,
        loading ≤ 0.

    Examples
    --------
    >>> import pandas as pd
    >>> from puhui.life import load_table
    >>> from puhui.life.products import TermLifeProduct
    >>> from puhui.life.group import price_census
    >>> cl1 = load_table("CL1_2010_2013")
    >>> census = pd.DataFrame({"group": ["A", "A", "B"], "age": [30, 50, 40],
    ...                        "sum_insured": [100_000, 100_000, 50_000]})
    >>> res = price_census(TermLifeProduct(cl1, interest=0.0), census)
    >>> round(float(res.groups["net_premium"].iloc[0]), 6)   # 100,000 · (q₃₀ + q₅₀), i = 0
    504.6
    """
    if not isinstance(product, TermLifeProduct | AccidentProduct):
        raise ParameterError("product must be a TermLifeProduct or an AccidentProduct")
    frame = _validated_census(product, census, group=group, age=age, sex=sex, lives=lives,
                              sum_insured=sum_insured, loading=loading, table=table)
    n = len(frame)
    net, gross, claims = np.zeros(n), np.zeros(n), np.zeros(n)
    term = isinstance(product, TermLifeProduct)
    for value in pd.unique(frame["loading"]):  # a handful of group loadings, never per life
        m = (frame["loading"] == value).to_numpy()
        p = _loaded(product, float(value))
        x = frame.loc[m, "age"].to_numpy(float)
        if term:
            s = frame.loc[m, "sum_insured"].to_numpy(float)
            sx = frame.loc[m, "sex"].to_numpy(object) if p.sexes else None
            net[m] = p.net_premium(x, sx, s)
            gross[m] = p.gross_premium(x, sx, s)
            claims[m] = p.expected_claims(x, sx, s)
        else:
            net[m] = p.net_premium(x)
            gross[m] = p.gross_premium(x)
            claims[m] = p.expected_claims(x)
    rows = frame.assign(net_premium=net, gross_premium=gross, expected_claims=claims)
    w = rows["lives"]
    totals = pd.DataFrame({
        "group": rows["group"], "lives": w,
        "sum_insured": w * rows["sum_insured"] if term else 0.0,
        "age_x_lives": w * rows["age"], "expected_claims": w * claims,
        "net_premium": w * net, "gross_premium": w * gross})
    groups = totals.groupby("group", sort=True).sum().reset_index()
    groups.insert(3, "mean_age", groups.pop("age_x_lives") / groups["lives"])
    groups["gross_per_life"] = groups["gross_premium"] / groups["lives"]
    return CensusPricing(rows=rows, groups=groups, product=product.name)


def _loaded(product, factor: float):
    if factor == 1.0:
        return product
    if isinstance(product, TermLifeProduct):
        return product.with_loading(product.mortality_loading * factor)
    return dataclasses.replace(product, frequency_loading=product.frequency_loading * factor)


def _validated_census(product, census, *, group, age, sex, lives, sum_insured, loading, table):
    if not isinstance(census, pd.DataFrame):
        raise ParameterError(f"census must be a DataFrame, got {type(census).__name__}")
    term = isinstance(product, TermLifeProduct)
    need = [group, age] + ([sex] if term and product.sexes else []) + \
        ([sum_insured] if term else [])
    missing = [c for c in need if c not in census.columns]
    if missing:
        raise DataError([Problem(table, c, None, "missing_column", "required column is missing")
                         for c in missing])
    c = census.reset_index(drop=True)
    problems: list[Problem] = []

    def numeric(col, default):
        if col not in c.columns:
            return np.full(len(c), default, dtype=float)
        v = pd.to_numeric(c[col], errors="coerce").to_numpy(float)
        for i in np.flatnonzero(~np.isfinite(v)):
            problems.append(Problem(table, col, int(i) + 1, "not_a_number", "not a number",
                                    c[col].iloc[i]))
        return v

    def rule(col, mask, name, msg, values):
        for i in np.flatnonzero(mask):
            problems.append(Problem(table, col, int(i) + 1, name, msg, values[i]))

    x = numeric(age, np.nan)
    ok = np.isfinite(x)
    rule(age, ok & (x != np.floor(x)), "not_an_integer", "age must be whole years (周岁)", x)
    lo, hi, cap = product.min_entry_age, product.max_entry_age, product.max_expiry_age
    if lo is not None:
        rule(age, ok & (x < lo), "entry_age_out_of_range", f"below the minimum entry age {lo}",
             x)
    if hi is not None:
        rule(age, ok & (x > hi), "entry_age_out_of_range", f"above the maximum entry age {hi}",
             x)
    if cap is not None and term:
        rule(age, ok & (x + product.term > cap), "past_age_cap",
             f"cover of {product.term} year(s) would run past age {cap}", x)
    if term:
        t_lo = min(t.first_age for t in _tables(product))
        t_hi = min(t.last_age for t in _tables(product))
        rule(age, ok & ((x < t_lo) | (x + product.term > t_hi + 1)), "outside_table",
             f"age and term must stay inside the table ages {t_lo}–{t_hi}", x)
    n = numeric(lives, 1.0)
    rule(lives, np.isfinite(n) & ((n <= 0) | (n != np.floor(n))), "not_a_count",
         "lives must be a whole number > 0", n)
    f = numeric(loading, 1.0)
    rule(loading, np.isfinite(f) & (f <= 0), "out_of_range", "group loading must be > 0", f)
    out = pd.DataFrame({"group": c[group].to_numpy(), "age": x, "lives": n, "loading": f})
    for i in np.flatnonzero(c[group].isna().to_numpy()):
        problems.append(Problem(table, group, int(i) + 1, "missing_value", "group is empty"))
    if term:
        s = numeric(sum_insured, np.nan)
        rule(sum_insured, np.isfinite(s) & (s <= 0), "out_of_range",
             "sum insured must be > 0 yuan", s)
        out["sum_insured"] = s
        if product.sexes:
            sx = c[sex].to_numpy(object)
            rule(sex, ~pd.Series(sx).isin(product.sexes).to_numpy(), "not_allowed",
                 f"sex must be one of {list(product.sexes)}", sx)
            out["sex"] = sx
    elif sex in c.columns:
        out["sex"] = c[sex].to_numpy(object)
    if problems:
        raise DataError(problems)
    return out


def _tables(product: TermLifeProduct):
    t = product.table
    return list(t.values()) if isinstance(t, Mapping) else [t]


class GroupExperienceRating(ExperienceRating):
    """:class:`puhui.credibility.experience_rating.ExperienceRating` (the product-neutral
    fit, factors, summary and plot) with :meth:`apply` to a life census.

    Examples
    --------
    >>> import pandas as pd
    >>> exp = pd.DataFrame({"group": ["A", "A", "B", "B"], "period": [1, 2, 1, 2],
    ...                     "actual": [30, 50, 10, 12], "expected": [40.0, 40.0, 10.0, 10.0]})
    >>> r = GroupExperienceRating("limited_fluctuation").fit(exp)
    >>> r.table_["z"].round(4).tolist()          # √(80/1082), √(22/1082)
    [0.2719, 0.1426]
    """

    def apply(self, product, census: pd.DataFrame, *, group: str = "group",
              loading: str = "loading", **columns) -> pd.DataFrame:
        """Experience-rated premiums of the groups in ``census`` (经验费率).

        Each group's factor multiplies its loading (the mortality or event rates), so
        expenses stay as the product loads them: the census is priced twice by
        :func:`price_census`, as given (``manual_premium``) and with ``loading × factor``
        (``rated_premium``, gross, yuan a year). ``columns`` passes the other column names.
        """
        self._check_fitted()
        if group not in census.columns:
            raise DataError([Problem("census", group, None, "missing_column",
                                     "required column is missing")])
        manual = price_census(product, census, group=group, loading=loading, **columns)
        base = (pd.to_numeric(census[loading], errors="coerce").to_numpy(float)
                if loading in census.columns else np.ones(len(census)))
        fac = self.factors(census[group]).to_numpy()
        rated = price_census(product, census.assign(**{loading: base * fac}), group=group,
                             loading=loading, **columns)
        g = manual.groups[["group", "lives", "gross_premium", "gross_per_life"]].rename(
            columns={"gross_premium": "manual_premium", "gross_per_life": "manual_per_life"})
        t = self.table_.set_index("group")
        return g.assign(
            has_experience=g["group"].isin(t.index).to_numpy(),
            z=t["z"].reindex(g["group"]).fillna(0.0).to_numpy(),
            factor=self.factors(g["group"]).to_numpy(),
            rated_premium=rated.groups["gross_premium"].to_numpy(),
            rated_per_life=rated.groups["gross_per_life"].to_numpy(),
            change=rated.groups["gross_premium"].to_numpy() / g["manual_premium"].to_numpy()
            - 1.0)


__all__ = ["CensusPricing", "GroupExperienceRating", "price_census"]
