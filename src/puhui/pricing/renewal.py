"""Who renews (续保)? The relative cost of leavers and stayers, from member records.

Anti-selection shows in the renewal data: if the healthier members leave more, the members who
do not renew had fewer costs in the year they leave than those who stay. For each policy year
``y`` and the next, :func:`renewal_selection` splits the members of ``y`` into stayers (the same
member appears in ``y + 1``) and leavers and compares their cost frequency (share of members
with any covered cost in ``y``) and mean cost. A ratio leavers/stayers below 1 is the
footprint of anti-selection; :meth:`puhui.pricing.ParticipationScenario.retention` predicts it
for a scenario (see :func:`leaver_cost_ratio`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from puhui.errors import ParameterError
from puhui.pricing.participation import ParticipationScenario

__all__ = ["renewal_selection", "leaver_cost_ratio"]


def renewal_selection(year, member, cost, exclude=None) -> pd.DataFrame:
    """Renewal rate and the cost of stayers vs leavers, per policy year (vectorised).

    Parameters
    ----------
    year : array_like of int, length n
        Policy year of each member-year.
    member : array_like, length n
        Member identifier, the same across renewals (e.g. 身份证 hash or member number).
    cost : array_like, shape (n,) or (n, lines)
        Annual covered cost of each member-year (元; summed over lines when 2-D).
    exclude : array_like of bool, length n, optional
        Member-years left out of the comparison (e.g. members paid in the year, whose renewal
        follows another mechanism).

    Returns
    -------
    DataFrame
        Per year with a following year: ``members``, ``renewal_rate``,
        ``cost_frequency_stayers``, ``cost_frequency_leavers``, ``frequency_ratio``
        (leavers / stayers), ``mean_cost_stayers``, ``mean_cost_leavers``, ``cost_ratio``.

    Examples
    --------
    >>> out = renewal_selection([1, 1, 1, 1, 2, 2], [1, 2, 3, 4, 1, 2],
    ...                         [100.0, 0.0, 0.0, 50.0, 0.0, 0.0])
    >>> out.loc[1, ["renewal_rate", "frequency_ratio"]].tolist()  # stayers 1, 2; leavers 3, 4
    [0.5, 1.0]
    """
    y = np.asarray(year)
    m = np.asarray(member)
    if m.ndim == 1:  # integer codes: np.isin on strings would compare pair by pair
        m = pd.factorize(m)[0]
    c = np.asarray(cost, dtype=float)
    if c.ndim == 2:
        c = c.sum(axis=1)
    n = y.shape[0]
    if m.shape != (n,) or c.shape != (n,):
        raise ParameterError("year, member, cost: one value per member-year")
    if np.any(~np.isfinite(c) | (c < 0)):
        raise ParameterError("cost: must be finite and ≥ 0")
    keep = np.ones(n, bool) if exclude is None else ~np.asarray(exclude, dtype=bool)
    if keep.shape != (n,):
        raise ParameterError("exclude: one flag per member-year")
    years = np.unique(y)
    rows = []
    for a, b in zip(years[:-1], years[1:], strict=True):
        cur = y == a
        stay = np.isin(m[cur], m[y == b])
        k = keep[cur]
        cc = c[cur]
        s, lv = stay & k, ~stay & k
        if not (s.any() and lv.any()):
            continue
        fs, fl = float((cc[s] > 0).mean()), float((cc[lv] > 0).mean())
        ms, ml = float(cc[s].mean()), float(cc[lv].mean())
        rows.append({"year": int(a), "members": int(cur.sum()),
                     "renewal_rate": float(stay[k].mean()),
                     "cost_frequency_stayers": fs, "cost_frequency_leavers": fl,
                     "frequency_ratio": fl / fs if fs > 0 else np.nan,
                     "mean_cost_stayers": ms, "mean_cost_leavers": ml,
                     "cost_ratio": ml / ms if ms > 0 else np.nan})
    return pd.DataFrame(rows).set_index("year")


def leaver_cost_ratio(scenario: ParticipationScenario, old_price: float, new_price: float,
                      mix=None, base: float = 1.0) -> float:
    """Predicted mean cost of leavers / stayers after a price change.

    ``Σ π_k (1 − ρ_k) c_k / Σ π_k (1 − ρ_k)`` over ``Σ π_k ρ_k c_k / Σ π_k ρ_k`` with
    ``ρ_k`` the scenario's retention and ``π_k`` the book's class mix (default: the pool at
    ``old_price``).
    """
    rho = scenario.retention(old_price, new_price, base)
    pi = scenario.pool_shares(float(old_price)) if mix is None else np.asarray(mix, float)
    cost = np.array([c.cost for c in scenario.classes])
    leave, stay = pi * (1 - rho), pi * rho
    if leave.sum() <= 0 or stay.sum() <= 0:
        raise ParameterError("nobody leaves or nobody stays at these prices")
    return float((leave @ cost / leave.sum()) / (stay @ cost / stay.sum()))
