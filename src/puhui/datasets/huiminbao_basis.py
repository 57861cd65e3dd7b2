"""The stated pricing basis of the bundled 惠民保 product and its closed-form expectations.

The bundled city product ``HMB-XC`` (a fictitious city, 新城 "Xincheng") is priced on a
*stated basis*: for each benefit line (责任), age band and segment (healthy / 既往症) the basis
gives the probability that a member has any covered cost in the year (the **cost frequency**) and
the distribution of that annual cost when it is positive (the **severity**). The generator then
draws the experience from the basis times a few *planted* multipliers (``PLANTED``) so that a
retrospective review (精算回溯) can be tested against a known answer.

Severity of the annual covered cost ``X`` of a member on a line, given ``X > 0``::

    X = s · Z,   Z ~ (1 − π) · Lognormal(μ, σ) + π · Pareto(x_m, α)   (classical Pareto, x ≥ x_m)
    s = g · a_band · c_segment · (1 + trend)^(year − 2023) · planted severity multiplier

The benefit of a line is one layer (起付线 d, 赔付比例 r, 封顶线 C on the **payout**)::

    payout(X) = min(r · (X − d)₊, C) = r · (min(X, d + C/r) − min(X, d))
    E[payout] = r · (LEV(d + C/r) − LEV(d)),   LEV(u) = E[min(X, u)]

with the limited expected values in closed form (Klugman, Panjer & Willmot, *Loss Models*,
appendix A; written by hand because scipy.stats has no LEV):

* lognormal: ``LEV(u) = e^{μ+σ²/2} Φ((ln u − μ − σ²)/σ) + u (1 − Φ((ln u − μ)/σ))``;
* classical Pareto: ``LEV(u) = u`` for ``u ≤ x_m``, else ``x_m + x_m/(α−1) (1 − (x_m/u)^{α−1})``.

Examples
--------
>>> from puhui.datasets.huiminbao_basis import layer_expectation
>>> p_claim, e_pay = layer_expectation("in_catalogue", scale=1.0, deductible=20_000,
...                                    ratio=0.8, cap=1_000_000)
>>> print(f"P(claim | cost) = {float(p_claim):.4f}, E[payout | cost] = {float(e_pay):.1f} 元")
P(claim | cost) = 0.0338, E[payout | cost] = 374.1 元
"""

from __future__ import annotations

import numpy as np
from scipy import stats

PRODUCT = "HMB-XC"
REGION = "Xincheng"
YEARS = (2023, 2024, 2025)
BASE_YEAR = 2023
PRICES = {2023: 89.0, 2024: 99.0, 2025: 109.0}  # flat price per member (元), one per year
LINES = ("in_catalogue", "out_of_catalogue", "special_drugs")
AGE_BANDS = ((18, 39), (40, 49), (50, 59), (60, 69), (70, 79), (80, 95))
AGE_BAND_LABELS = tuple(f"{lo}-{hi}" if hi < 95 else f"{lo}+" for lo, hi in AGE_BANDS)
MIN_AGE, MAX_AGE = 18, 95

#: The filed design per line and segment: 起付线 (元), 赔付比例, 封顶线 (元, on the payout).
#: Ratios for out-of-catalogue and special drugs as in 北京普惠健康保 (DOMAIN.md): 70%/35%,
#: 60%/30%; 起付线 2万 / 4万 (doubled for 既往症); special drugs without 起付线.
DESIGN = {
    "in_catalogue": {"healthy": (20_000.0, 0.80, 1_000_000.0),
                     "preexisting": (40_000.0, 0.40, 1_000_000.0)},
    "out_of_catalogue": {"healthy": (20_000.0, 0.70, 1_000_000.0),
                         "preexisting": (40_000.0, 0.35, 1_000_000.0)},
    "special_drugs": {"healthy": (0.0, 0.60, 1_000_000.0),
                      "preexisting": (0.0, 0.30, 1_000_000.0)},
}
SUM_INSURED = sum(DESIGN[line]["healthy"][2] for line in LINES)  # 封顶线 total, 3,000,000 元

#: Base severity mixture per line (annual covered cost given > 0, before the scale ``s``).
SEVERITY = {
    "in_catalogue": {"median": 3_000.0, "sigma": 1.0, "tail_prob": 0.005, "xm": 30_000.0,
                     "alpha": 2.8},
    "out_of_catalogue": {"median": 2_500.0, "sigma": 1.1, "tail_prob": 0.004, "xm": 30_000.0,
                         "alpha": 2.6},
    "special_drugs": {"median": 3_500.0, "sigma": 1.0, "tail_prob": 0.03, "xm": 40_000.0,
                      "alpha": 2.5},
}
#: Probability of any covered cost in the year, healthy members, by age band (basis).
COST_FREQUENCY = {
    "in_catalogue": (0.040, 0.060, 0.090, 0.130, 0.180, 0.220),
    "out_of_catalogue": (0.025, 0.035, 0.050, 0.070, 0.090, 0.110),
    "special_drugs": (0.0016, 0.0032, 0.0048, 0.0072, 0.0096, 0.0096),
}
SEVERITY_AGE_FACTOR = (0.80, 0.90, 1.00, 1.10, 1.20, 1.25)
#: Basis factors per segment (人群) of the bundled product: its segments are those of its
#: product file (``Product.segments``, healthy / 既往症), which a test checks against these keys
#: and :data:`DESIGN`'s; the basis holds no list of its own.
SEGMENT_FREQUENCY_FACTOR = {"healthy": 1.0, "preexisting": 1.8}
SEGMENT_SEVERITY_FACTOR = {"healthy": 1.0, "preexisting": 1.3}
SEVERITY_LEVEL = 0.90  # g: overall level, set so the 2023 basis loss ratio at 89 元 is ~85%
TREND = 0.06  # medical (severity) trend per year in the basis
TARGET_LOSS_RATIO = 0.85

#: Deviations planted in the experience against the basis (all other cells follow the basis).
#: ``where`` keys: segment, age_band, benefit_line, policy_year (absent = all).
PLANTED = (
    {"name": "preexisting_frequency", "effect": "frequency", "multiplier": 1.30,
     "where": {"segment": "preexisting"},
     "text": "既往症 members have 1.30x the basis cost frequency on every line and year"},
    {"name": "special_drugs_severity_2025", "effect": "severity", "multiplier": 1.25,
     "where": {"benefit_line": "special_drugs", "policy_year": 2025},
     "text": "special-drug (特药) costs are 1.25x the basis severity in 2025"},
    {"name": "age_80_plus_frequency", "effect": "frequency", "multiplier": 1.15,
     "where": {"age_band": "80+"},
     "text": "members aged 80+ have 1.15x the basis cost frequency"},
    {"name": "healthy_out_of_catalogue_frequency", "effect": "frequency", "multiplier": 0.85,
     "where": {"segment": "healthy", "benefit_line": "out_of_catalogue"},
     "text": "healthy members claim out-of-catalogue costs at 0.85x the basis (favourable)"},
)


def age_band_index(age) -> np.ndarray:
    """Index into ``AGE_BANDS`` of each age (18–95)."""
    age = np.asarray(age)
    uppers = np.array([hi for _, hi in AGE_BANDS])
    return np.searchsorted(uppers, age, side="left")


def planted_multipliers(effect: str, year, segment, band, line) -> np.ndarray:
    """Product of the planted multipliers of ``effect`` ("frequency"/"severity"), vectorised.

    ``year``, ``segment`` (labels), ``band`` (indices into ``AGE_BANDS``) and ``line`` (labels)
    broadcast against each other.
    """
    year, segment, band, line = np.broadcast_arrays(
        np.asarray(year), np.asarray(segment, dtype=object), np.asarray(band),
        np.asarray(line, dtype=object))
    out = np.ones(year.shape)
    labels = np.asarray(AGE_BAND_LABELS, dtype=object)[band]
    fields = {"policy_year": year, "segment": segment, "age_band": labels, "benefit_line": line}
    for dev in PLANTED:
        if dev["effect"] != effect:
            continue
        mask = np.ones(year.shape, bool)
        for key, value in dev["where"].items():
            mask &= fields[key] == value
        out = np.where(mask, out * dev["multiplier"], out)
    return out


def basis_scale(year, segment, band) -> np.ndarray:
    """Basis severity scale ``s`` (without planted multipliers), vectorised."""
    seg = np.vectorize(SEGMENT_SEVERITY_FACTOR.__getitem__, otypes=[float])(
        np.asarray(segment, dtype=object))
    return (SEVERITY_LEVEL * np.asarray(SEVERITY_AGE_FACTOR)[np.asarray(band)] * seg
            * (1.0 + TREND) ** (np.asarray(year) - BASE_YEAR))


def basis_frequency(segment, band, line) -> np.ndarray:
    """Basis cost frequency (probability of any covered cost in the year), vectorised."""
    segment, band, line = np.broadcast_arrays(np.asarray(segment, dtype=object),
                                              np.asarray(band), np.asarray(line, dtype=object))
    table = np.array([COST_FREQUENCY[ln] for ln in LINES])
    li = np.searchsorted(np.array(LINES), line.astype(str))
    seg = np.vectorize(SEGMENT_FREQUENCY_FACTOR.__getitem__, otypes=[float])(segment)
    return table[li, band] * seg


def base_law(line: str):
    """The two components of the base severity mixture of ``line`` as frozen scipy laws:
    ``(lognormal body, classical Pareto tail, tail probability)``."""
    p = SEVERITY[line]
    return (stats.lognorm(s=p["sigma"], scale=p["median"]),
            stats.pareto(b=p["alpha"], scale=p["xm"]), p["tail_prob"])


def base_lev(line: str, u) -> np.ndarray:
    """``E[min(Z, u)]`` for the base severity mixture ``Z`` of ``line``: the closed forms of
    :func:`puhui.losses.lev.lev` for the lognormal body and the Pareto tail."""
    from ..losses.lev import lev

    body, tail, pi = base_law(line)
    u = np.asarray(u, float)
    return (1 - pi) * lev(body, u) + pi * lev(tail, u)


def base_sf(line: str, x) -> np.ndarray:
    """``P(Z > x)`` for the base severity mixture of ``line``."""
    p = SEVERITY[line]
    x = np.asarray(x, float)
    logn = stats.lognorm.sf(x, s=p["sigma"], scale=p["median"])
    par = stats.pareto.sf(x, b=p["alpha"], scale=p["xm"])
    return (1 - p["tail_prob"]) * logn + p["tail_prob"] * par


def base_mean(line: str) -> float:
    """``E[Z]`` of the base severity mixture."""
    p = SEVERITY[line]
    logn = p["median"] * np.exp(p["sigma"] ** 2 / 2)
    par = p["alpha"] * p["xm"] / (p["alpha"] - 1)
    return float((1 - p["tail_prob"]) * logn + p["tail_prob"] * par)


def sample_base(line: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``size`` values of the base severity mixture ``Z`` of ``line``."""
    p = SEVERITY[line]
    tail = rng.random(size) < p["tail_prob"]
    body = p["median"] * np.exp(p["sigma"] * rng.standard_normal(size))
    pareto = p["xm"] * (1.0 - rng.random(size)) ** (-1.0 / p["alpha"])
    return np.where(tail, pareto, body)


def layer_expectation(line: str, scale, deductible, ratio, cap):
    """Claim probability and expected payout per cost event for one layer, vectorised.

    For ``X = scale · Z``: ``P(X > d)`` and ``E[min(r (X − d)₊, C)] = r·(LEV(d + C/r) − LEV(d))``,
    using ``LEV_X(u) = scale · LEV_Z(u / scale)``.

    Returns
    -------
    (claim_probability, expected_payout) : arrays
        Both per member *with a cost* on the line (multiply by the cost frequency for per-member
        values). With ``d = 0`` the claim probability is 1.
    """
    scale, d, r, c = (np.asarray(a, float) for a in (scale, deductible, ratio, cap))
    upper = d + c / r
    pay = r * scale * (base_lev(line, upper / scale) - base_lev(line, d / scale))
    return base_sf(line, d / scale), pay
