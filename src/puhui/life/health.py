"""Special-group health cover (特定人群健康险): cancer lump sum on incidence rates plus a
medical reimbursement layer, for 老年人 / 残疾人 / 脱贫人口 with low thresholds (低门槛).

**Incidence** (发病率). No age-by-age table of 中国人身保险业重大疾病经验发生率表(2020) was found
for this project (only its announcement, 中国精算师协会 2020-11-05). We ship the few published
population figures that were found — 国家癌症中心 (NCC), *Cancer incidence and mortality in China,
2015*: crude incidence 285.83 per 10⁵, cumulative rate 0–74 = 21.44 % (:data:`PUBLISHED`) — and
a Gompertz shape ``ι(x) = a e^{b x}`` whose level ``a`` reproduces that cumulative rate,
``Σ_{k=0}^{14} 5 ι(5k + 2.5) = 0.2144``, with the slope ``b = 0.08`` an **assumption** (incidence
roughly doubling every 8.7 years of age past 40, the pattern of the NCC age curves, which peak
at 80–84). A group loading ``g`` (e.g. 1.2 for 脱贫人口) multiplies it.

**Net premium** of cover for ``T`` years from age ``x`` (interest ``i``, ``v = 1/(1+i)``),
mortality ``q`` from a :class:`~puhui.life.LifeTable` (× a mortality loading), cover ending at the
first cancer:

    ₜp = Π_{s<t} (1 − q_{x+s})(1 − g ι_{x+s})                 in force at the start of year t
    A  = S Σ_t ₜp (1 − q_{x+t}/2) g ι_{x+t} v^{t+½}          lump sum S, claims mid-year
    M  = m Σ_t ₜp (1 − q_{x+t}/2 − g ι_{x+t}/2) v^{t+½}      medical layer, m = λ E[pay(X)]
    ä  = Σ_t ₜp vᵗ,   P = (A + M) / ä                          level annual net premium

with ``m`` from :func:`puhui.losses.expected_payout` on the layer ``min(r (X − d)₊, C)``. The
gross premium is ``(P + e) / (1 − v_exp − margin)`` through :func:`puhui.pricing.gross_up`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..benefits import Benefit
from ..errors import ParameterError
from ..losses import expected_payout, payout_probability
from ..pricing import gross_up
from .table import LifeTable

#: Published population cancer figures for China (国家癌症中心, Cancer incidence and mortality in
#: China, 2015 — abstract: crude incidence 285.83/10⁵, cumulative rate 0–74 years 21.44 %).
PUBLISHED = {"crude_incidence_per_100k_2015": 285.83, "cumulative_rate_0_74_2015": 0.2144}
#: Assumed Gompertz slope of cancer incidence by age (see the module docstring).
INCIDENCE_SLOPE = 0.08


def cancer_incidence(age, slope: float = INCIDENCE_SLOPE) -> np.ndarray:
    """``ι(x) = a e^{b x}``, capped at 0.1, with ``a`` such that the cumulative rate 0–74 over
    5-year bands (mid-points) equals the published 21.44 %.

    >>> float(np.sum(5 * cancer_incidence(np.arange(15) * 5 + 2.5))).__round__(4)
    0.2144
    """
    if not (np.isfinite(slope) and slope > 0):
        raise ParameterError(f"slope must be > 0, got {slope!r}")
    mids = np.arange(15) * 5 + 2.5
    a = PUBLISHED["cumulative_rate_0_74_2015"] / np.sum(5 * np.exp(slope * mids))
    x = np.asarray(age, dtype=float)
    if np.any(~np.isfinite(x)) or np.any(x < 0):
        raise ParameterError("ages must be finite and ≥ 0")
    return np.minimum(a * np.exp(slope * x), 0.1)


@dataclass(frozen=True, eq=False)
class HealthProduct:
    """Cancer lump sum + medical reimbursement for a special group (see module docstring).

    Parameters: ``table`` (LifeTable), ``lump_sum`` S (元), ``incidence_loading`` g,
    ``mortality_loading``, ``medical_rate`` λ (claims a year), ``medical_severity`` (loss law
    of one claim), ``deductible``, ``payout_ratio``, ``cap`` (the medical layer), ``term`` T,
    ``interest``, ``variable_rate`` (expenses, share of premium), ``per_policy`` (元),
    ``incidence_slope`` b of the Gompertz incidence curve (:func:`cancer_incidence`).
    """

    table: LifeTable
    lump_sum: float
    medical_severity: object
    incidence_loading: float = 1.0
    mortality_loading: float = 1.0
    medical_rate: float = 0.0
    deductible: float = 0.0
    payout_ratio: float = 1.0
    cap: float = np.inf
    term: int = 1
    interest: float = 0.025
    variable_rate: float = 0.15
    per_policy: float = 0.0
    name: str = "special-group health"
    incidence_slope: float = INCIDENCE_SLOPE
    benefit: Benefit = field(init=False)

    def __post_init__(self):
        if not isinstance(self.table, LifeTable):
            raise ParameterError("table must be a puhui.life.LifeTable")
        for key, lo in (("lump_sum", 0.0), ("incidence_loading", 0.0),
                        ("mortality_loading", 0.0), ("medical_rate", 0.0), ("interest", -0.5),
                        ("per_policy", 0.0)):
            v = getattr(self, key)
            if isinstance(v, bool) or not np.isfinite(float(v)) or float(v) < lo:
                raise ParameterError(f"{key} must be a finite number ≥ {lo:g}, got {v!r}")
        if not (isinstance(self.term, (int, np.integer)) and self.term >= 1):
            raise ParameterError(f"term must be a whole number of years ≥ 1, got {self.term!r}")
        if not (np.isfinite(float(self.incidence_slope)) and float(self.incidence_slope) > 0):
            raise ParameterError(f"incidence_slope must be > 0, got {self.incidence_slope!r}")
        if not 0 <= self.variable_rate < 1:
            raise ParameterError(f"variable_rate must be in [0, 1), got {self.variable_rate!r}")
        object.__setattr__(self, "benefit", Benefit(deductible=self.deductible,
                                                    payout_ratio=self.payout_ratio,
                                                    cap=self.cap))

    def medical_cost(self, **terms) -> np.ndarray:
        """``m = λ E[pay(X)]`` a year (a grid with ``deductible``/``payout_ratio``/``cap``)."""
        b = Benefit(deductible=terms.get("deductible", self.deductible),
                    payout_ratio=terms.get("payout_ratio", self.payout_ratio),
                    cap=terms.get("cap", self.cap))
        return self.medical_rate * np.asarray(expected_payout(self.medical_severity, b), float)

    def medical_share_paid(self, **terms) -> np.ndarray:
        b = Benefit(deductible=terms.get("deductible", self.deductible),
                    payout_ratio=terms.get("payout_ratio", self.payout_ratio),
                    cap=terms.get("cap", self.cap))
        return np.asarray(payout_probability(self.medical_severity, b), float)

    def _paths(self, age):
        x = np.atleast_1d(np.asarray(age, dtype=np.int64))
        t = np.arange(self.term)
        ages = x[:, None] + t[None, :]
        if ages.max() > self.table.last_age or x.min() < self.table.first_age:
            raise ParameterError(f"ages {x.min()}–{ages.max()} outside the table "
                                 f"{self.table.first_age}–{self.table.last_age}")
        q = np.minimum(self.mortality_loading * self.table.qx[ages - self.table.first_age], 1.0)
        inc = np.minimum(self.incidence_loading
                         * cancer_incidence(ages, self.incidence_slope), 1.0)
        stay = (1 - q) * (1 - inc)
        tp = np.concatenate([np.ones((len(x), 1)), np.cumprod(stay, axis=1)[:, :-1]], axis=1)
        v = 1.0 / (1.0 + self.interest)
        return x, t, q, inc, tp, v

    def annuity_factors(self, age) -> pd.DataFrame:
        """Per entry age: ``lump_factor`` ``Σ_t ₜp (1 − q/2) g ι v^{t+½}`` (``A`` per yuan of
        lump sum), ``medical_factor`` ``Σ_t ₜp (1 − q/2 − g ι/2) v^{t+½}`` (``M`` per yuan of
        ``m``) and ``annuity`` ``ä`` — so that ``P = (S·lump + m·medical)/ä`` for any design
        (a grid of lump sums and medical layers reuses them)."""
        x, t, q, inc, tp, v = self._paths(age)
        return pd.DataFrame({
            "age": x,
            "lump_factor": np.sum(tp * (1 - q / 2) * inc * v ** (t + 0.5), axis=1),
            "medical_factor": np.sum(tp * (1 - q / 2 - inc / 2) * v ** (t + 0.5), axis=1),
            "annuity": np.sum(tp * v**t, axis=1)})

    def present_values(self, age, **terms) -> pd.DataFrame:
        """``A`` (lump sum), ``M`` (medical), ``ä`` and the net premium ``P`` per entry age."""
        x, t, q, inc, tp, v = self._paths(age)
        lump = self.lump_sum * np.sum(tp * (1 - q / 2) * inc * v ** (t + 0.5), axis=1)
        m = self.medical_cost(**terms)
        exposure = np.sum(tp * (1 - q / 2 - inc / 2) * v ** (t + 0.5), axis=1)
        med = np.multiply.outer(m, exposure) if np.ndim(m) else m * exposure
        annuity = np.sum(tp * v**t, axis=1)
        net = (lump + med) / annuity
        if np.ndim(m):
            return {"lump": lump, "medical": med, "annuity": annuity, "net_premium": net}
        return pd.DataFrame({"age": x, "lump": lump, "medical": med, "annuity": annuity,
                             "net_premium": net})

    def net_premium(self, age, **terms) -> np.ndarray:
        pv = self.present_values(age, **terms)
        return np.asarray(pv["net_premium"])

    def gross_premium(self, age, target_combined_ratio: float = 1.0, **terms) -> np.ndarray:
        """``(P + e) / (τ − v)`` by :func:`puhui.pricing.gross_up`."""
        return gross_up(self.net_premium(age, **terms), variable_rate=self.variable_rate,
                        fixed=self.per_policy, target_combined_ratio=target_combined_ratio)

    def expected_claims(self, age, exposure) -> pd.DataFrame:
        """Expected cancer and medical claims (count, amount) for ``exposure`` life-years at
        each ``age`` (one-year rates), for an A/E study."""
        a = np.asarray(age, dtype=float)
        e = np.asarray(exposure, dtype=float)
        if np.any(~np.isfinite(e)) or np.any(e < 0):
            raise ParameterError("exposure must be finite and ≥ 0 (life-years)")
        inc = np.minimum(self.incidence_loading * cancer_incidence(a, self.incidence_slope),
                         1.0)
        med_n = self.medical_rate * float(self.medical_share_paid())
        return pd.DataFrame({
            "cancer_count": e * inc, "cancer_amount": e * inc * self.lump_sum,
            "medical_count": e * med_n, "medical_amount": e * float(self.medical_cost())})


def review_health(product: HealthProduct, cells: pd.DataFrame, by=("group",)):
    """A/E with credibility of a book of cells: ``age``, ``exposure`` (life-years),
    ``actual_count``, ``actual_amount`` (cancer + medical claims paid) and the ``by`` columns;
    expected from :meth:`HealthProduct.expected_claims`, through
    :func:`puhui.experience.actual_vs_expected`."""
    from ..experience.ae import actual_vs_expected  # lazy: experience.mortality imports life

    need = ("age", "exposure", "actual_count", "actual_amount", *by)
    missing = [c for c in need if c not in cells.columns]
    if missing:
        raise ParameterError(f"cells lack column(s) {missing}")
    exp = product.expected_claims(cells["age"].to_numpy(), cells["exposure"].to_numpy())
    c = cells.assign(expected_count=(exp["cancer_count"] + exp["medical_count"]).to_numpy(),
                     expected_amount=(exp["cancer_amount"] + exp["medical_amount"]).to_numpy())
    return actual_vs_expected(c, by=list(by))


def tune_health(product: HealthProduct, age, *, deductibles, payout_ratios, premium: float,
                weights=None) -> pd.DataFrame:
    """Grid of medical ``deductible × payout_ratio`` at a fixed annual ``premium``: net premium
    (exposure-weighted over ``age``), expected CR ``(P_net + e)/premium + v`` and the share
    of medical claims paid."""
    from ..ratios import expected_combined_ratio  # lazy, as above

    d = np.asarray(deductibles, float)[:, None]
    r = np.asarray(payout_ratios, float)[None, :]
    a = np.atleast_1d(age)
    w = np.ones(a.size) if weights is None else np.asarray(weights, float)
    pv = product.present_values(a, deductible=d, payout_ratio=r)
    net = (pv["lump"] + pv["medical"]) / pv["annuity"]
    net = net @ (w / w.sum())
    cr = expected_combined_ratio(net, premium, variable_rate=product.variable_rate,
                                 fixed_expenses=product.per_policy)
    share = product.medical_share_paid(deductible=d, payout_ratio=r)
    shape = net.shape
    return pd.DataFrame({"deductible": np.broadcast_to(d, shape).ravel(),
                         "payout_ratio": np.broadcast_to(r, shape).ravel(),
                         "net_premium": net.ravel(), "expected_cr": cr.ravel(),
                         "share_paid": np.broadcast_to(share, shape).ravel()})


__all__ = ["HealthProduct", "INCIDENCE_SLOPE", "PUBLISHED", "cancer_incidence", "review_health",
           "tune_health"]
