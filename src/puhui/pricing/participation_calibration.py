"""Calibrating a participation scenario, and the default one for 惠民保.

:func:`calibrate_scenario` fits the take-up of :class:`~puhui.pricing.participation.
ParticipationScenario` — sensitivity ``β``, mean value ``V̄`` and risk awareness ``a`` — by
least squares (:func:`scipy.optimize.least_squares`) to

* the participation rate at a reference price (参保率), and
* the renewal rate of each risk class after a price change (续保率 by class, modelled as
  ``t_k(P_new)/t_k(P_old)``, see :meth:`ParticipationScenario.retention`),

then scales the class costs ``c_k = u · level_k`` so that the pool's average cost at the
reference price equals a given figure (the take-up does not depend on ``u``: values follow the
*relative* costs).

:func:`default_scenario` uses

* DOMAIN.md: 惠民保 participation of 13–18% (the scenario takes 15% at the current price of
  109 元);
* the bundled data's generator (``data/huiminbao/planted.json``, ``anti_selection``): frailty
  classes 0.6 / 1.0 / 1.6 with population weights 0.3 / 0.5 / 0.2, and the renewal rates by
  frailty after the 2024 price rise 89 → 99 元: 0.70 / 0.78 / 0.86. The 2025 rates after
  99 → 109 元 (0.62 / 0.74 / 0.85) are left out of the fit as a check;
* the pool cost at 109 元: 118 元 per member, the bundled product's 2026 pure premium from its
  member-level experience (:func:`puhui.huiminbao.price_from_experience`: 117.6 元);
* the product's economics (``huiminbao_example.toml``): target combined ratio 95%, variable
  expenses 9.8% of premium; a city of 200,000 members at 15%, i.e. 1.33 million eligible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special

from puhui.errors import ParameterError
from puhui.pricing.participation import ParticipationScenario

__all__ = ["Calibration", "calibrate_scenario", "default_scenario", "GENERATOR"]

#: The generator's anti-selection mechanism (planted.json → anti_selection; prices → pricing
#: basis): frailty classes, their weights at entry and the renewal rate by class per year.
GENERATOR = {
    "frailty_levels": (0.6, 1.0, 1.6),
    "frailty_weights": (0.3, 0.5, 0.2),
    "prices": {2023: 89.0, 2024: 99.0, 2025: 109.0},
    "retention_by_frailty": {2024: (0.70, 0.78, 0.86), 2025: (0.62, 0.74, 0.85)},
}


@dataclass(frozen=True, eq=False)
class Calibration:
    """Result of :func:`calibrate_scenario`.

    Attributes
    ----------
    scenario : ParticipationScenario
    params : dict
        ``sensitivity`` (β), ``mean_value`` (V̄, 元), ``awareness`` (a), ``unit_cost`` (u, 元).
    targets : DataFrame
        Each target with its fitted value and the residual.
    """

    scenario: ParticipationScenario
    params: dict
    targets: pd.DataFrame


def calibrate_scenario(levels, weights, *, reference_price: float, participation: float,
                       pool_cost: float, old_price: float, new_price: float, retention,
                       population: float, base_retention: float = 1.0, names=None,
                       **economics) -> Calibration:
    """Fit β, V̄ and a to a participation rate and the renewal rates by class.

    Parameters
    ----------
    levels : array_like
        Relative expected cost of each class (e.g. frailty 0.6 / 1.0 / 1.6).
    weights : array_like
        Population share of each class (sums to 1).
    reference_price : float
        Price (元) at which ``participation`` and ``pool_cost`` hold.
    participation : float
        Target participation rate in ``(0, 1)``.
    pool_cost : float
        Average claims per member of the pool at the reference price (元).
    old_price, new_price : float
        The price change behind ``retention``.
    retention : array_like
        Renewal rate of each class after that change.
    population : float
        Eligible population.
    base_retention : float, default 1
        Renewal rate without a price change (see ``ParticipationScenario.retention``).
    economics
        ``target_combined_ratio``, ``variable_rate``, ``expense_per_member``,
        ``fixed_expense``, ``max_take_up``.
    """
    lv = np.asarray(levels, dtype=float)
    w = np.asarray(weights, dtype=float)
    ret = np.asarray(retention, dtype=float)
    if not (lv.shape == w.shape == ret.shape and lv.ndim == 1 and lv.size >= 2):
        raise ParameterError("levels, weights, retention: 1-D arrays of one length ≥ 2")
    if not 0 < participation < 1:
        raise ParameterError(f"participation: must lie in (0, 1), got {participation!r}")
    t_max = float(economics.get("max_take_up", 1.0))

    def build(z, unit=1.0):
        return ParticipationScenario.from_costs(
            unit * lv, w, population=population, mean_value=float(np.exp(z[1])),
            awareness=float(z[2]), sensitivity=float(np.exp(z[0])), names=names, **economics)

    def residuals(z):
        sc = build(z)
        return np.concatenate([
            [(sc.participation(reference_price) - participation) / participation],
            sc.retention(old_price, new_price, base_retention) - ret])

    # start: β = 2, V̄ at the price where the take-up of an average member hits the target
    start = np.array([np.log(2.0),
                      np.log(reference_price / (1.0 - special.logit(participation / t_max) / 2.0)),
                      1.0])
    fit = optimize.least_squares(residuals, start, bounds=([-5, -5, 0.0], [8, 15, 10.0]),
                                 x_scale=[1.0, 1.0, 1.0], xtol=1e-14, ftol=1e-14, gtol=1e-14)
    base = build(fit.x)
    unit = pool_cost / float(base.pool_shares(reference_price) @ lv)
    scenario = build(fit.x, unit)
    fitted = np.concatenate([[scenario.participation(reference_price)],
                             scenario.retention(old_price, new_price, base_retention)])
    labels = (["participation"] + [f"retention {c.name}" for c in scenario.classes])
    targets = pd.DataFrame({"target": np.concatenate([[participation], ret]),
                            "fitted": fitted}, index=pd.Index(labels, name="quantity"))
    targets["residual"] = targets["fitted"] - targets["target"]
    params = {"sensitivity": float(np.exp(fit.x[0])), "mean_value": float(np.exp(fit.x[1])),
              "awareness": float(fit.x[2]), "unit_cost": float(unit)}
    return Calibration(scenario, params, targets)


def default_scenario(**overrides) -> Calibration:
    """The 惠民保 scenario calibrated to DOMAIN.md and the bundled generator (module docstring).

    Keyword arguments override the defaults of :func:`calibrate_scenario` (e.g.
    ``fixed_expense=3e6`` or ``pool_cost=130``).

    Examples
    --------
    >>> cal = default_scenario()
    >>> round(float(cal.scenario.participation(109.0)), 4)
    0.15
    """
    g = GENERATOR
    kw = dict(levels=g["frailty_levels"], weights=g["frailty_weights"], reference_price=109.0,
              participation=0.15, pool_cost=118.0, old_price=g["prices"][2023],
              new_price=g["prices"][2024], retention=g["retention_by_frailty"][2024],
              population=200_000 / 0.15, target_combined_ratio=0.95, variable_rate=0.098,
              names=("low", "mid", "high"))
    kw.update(overrides)
    levels = kw.pop("levels")
    weights = kw.pop("weights")
    return calibrate_scenario(levels, weights, **kw)
