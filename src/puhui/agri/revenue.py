"""Revenue cover (种植收入保险) rated on a joint yield–price model: marginals and a fitted copula.

A revenue cover pays on the farmer's revenue y·P_h against a guarantee set before planting
(:class:`~puhui.agri.contracts.RevenueCover`, RMA Revenue Protection):

    indemnity = (θ·μ·max(P_p, P_h) − y·P_h)₊     with the harvest-price option (收获价格选择),
    indemnity = (θ·μ·P_p − y·P_h)₊               without it (harvest-price exclusion),

θ the coverage level (保障水平), μ the expected yield (预期单产, APH: the trend yield of the rating
year), P_p the projected price (预期价格, e.g. the futures average of the discovery period) and
P_h the harvest price (收获价格). Burn cost on the history alone (``RevenueCover.burn_rate``)
uses 20–30 joint outcomes; :class:`RevenueModel` fits a law to them instead.

**Marginals.**

* Yield: the project's :class:`~puhui.agri.yield_model.YieldModel` (trend by
  :func:`puhui.agri.trend.batch_trend`, adjustment to the rating year's technology, density of
  the adjusted yields ỹ_t; the county → farm adjustment if asked). A zero floor applies
  (Y⁺ = max(Y, 0), as in the yield covers). Quantiles: the empirical law's
  ỹ_(⌈n·p⌉); the Gaussian kernel's by inverting its distribution function (interpolation on
  a grid, then a Newton step); a parametric law's ``ppf``.
* Price: the ratio R_t = P_h,t / P_p,t, which has no trend (each year's projected price already
  carries the level). By default **lognormal fitted by maximum likelihood**: ln R ~ N(m, s²),
  m̂ = mean(ln R), ŝ² = mean((ln R − m̂)²). Why: the harvest price of a futures contract is
  lognormal in the Black (1976) model on which the RMA rates its revenue products (its price
  volatility factor is a Black implied volatility); it keeps prices positive; and with 20–30
  years the empirical law would put no mass above the highest ratio seen, which under-rates
  the harvest-price option, whose value lies in that tail. ``price_law="empirical"`` (the
  observed ratios, each with weight 1/n) is offered for comparison. ``price_volatility=σ``
  replaces the fitted law by the market's: ln R ~ N(−σ²/2, σ²), so E[R] = 1 (the futures price
  is a martingale), σ the RMA-style implied volatility factor.

**Dependence.** The pseudo-observations u_t = rank(ỹ_t)/(n + 1), v_t = rank(R_t)/(n + 1)
(Genest, Ghoudi & Rivest 1995) are fitted by one-parameter copulas of statsmodels
(``statsmodels.distributions.copula.api``: Gaussian, Frank, Clayton, Gumbel), each either by
inverting Kendall's τ (``method="itau"``, statsmodels ``fit_corr_param``: ρ = sin(πτ/2),
Clayton θ = 2τ/(1 − τ), Gumbel θ = 1/(1 − τ), Frank numerically) or by maximum
pseudo-likelihood (``method="mpl"``, the default: θ̂ maximises Σ_t ln c_θ(u_t, v_t), a bounded
scalar search). Clayton and Gumbel carry only positive dependence, statsmodels' Frank sampler
too, so a copula is fitted in one of four orientations (the convention of R's VineCopula):

=========  ==========================  ==================================================
rotation   law                         tail dependence (U = yield, V = price ratio)
=========  ==========================  ==================================================
0          (U, V) ~ C                  Clayton: low yield & low price; Gumbel: high & high
180        (1 − U, 1 − V) ~ C          Clayton: high & high; Gumbel: low & low
90         (1 − U, V) ~ C              Clayton: high yield & low price; Gumbel: low & high
270        (U, 1 − V) ~ C              Clayton: low yield & high price; Gumbel: high & low
=========  ==========================  ==================================================

The candidates follow the sign of the sample τ: rotations 0 and 180 for τ ≥ 0, 90 and 270 for
τ < 0 (Gaussian and Frank are radially symmetric, so they have one; their rotated parameter is
reported with its sign, ρ < 0 or θ < 0). ``copula="auto"`` keeps the candidate of least
AIC = 2k − 2ℓ (ℓ the pseudo-log-likelihood, k = 1; the independence copula, k = 0 and ℓ = 0,
competes too); a family name fits that family only.

**Rate.** By seeded Monte Carlo: ``draws`` pairs (U, V) from the copula
(``numpy.random.default_rng(seed)``, default seed fixed), Y = F_Y⁻¹(U)⁺, P_h = P_p·F_R⁻¹(V),
paid by ``RevenueCover.pay`` (the contract's own formula — no second shortfall formula here);

    rate(θ) = mean(pay) / (θ·μ·P_p),     se = sd(pay) / (√draws · θ·μ·P_p).

The rate is a share of the liability θμP_p and does not depend on the level of P_p. The same
draws serve every coverage level and both options (common random numbers: the option's rate is
never below the base rate, draw by draw).

**The natural hedge** (自然对冲). Yields and prices move against each other (a short crop
raises the price), so revenue varies less than yield × an independent price: with ln Y and ln R
normal, Var ln(YR) = s_Y² + s_R² + 2ρ s_Y s_R, lower for ρ < 0, and the revenue put is cheaper.
``summary()`` shows it: the rate under the fitted copula against the independence copula, same
marginals and seed. Calibration figures: the yield–price correlation of Illinois county corn
averages −0.51 (−0.72 to −0.31; farmdoc daily, October 2012); the RMA rates revenue cover with a
Gaussian copula whose dependence is constant within a state (Ramsey, Goodwin & Ghosh 2019, *How
high the hedge*, JARE 44(2), 227–245, who find it varies in space and by copula).

Sources: Goodwin, B. K. & Mahul, O. (2004), *Risk modeling concepts relating to the design and
rating of agricultural insurance contracts*, World Bank WP 3392 (revenue insurance from yield
and price laws); Genest, C., Ghoudi, K. & Rivest, L.-P. (1995), *A semiparametric estimation
procedure of dependence parameters in multivariate families of distributions*, Biometrika 82(3);
Genest, C. & Favre, A.-C. (2007), *Everything you always wanted to know about copula modeling
but were afraid to ask*, J. Hydrologic Eng. 12(4) (τ inversion, pseudo-likelihood, AIC);
Nelsen, R. B. (2006), *An Introduction to Copulas*, 2nd ed. (families, rotations).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import minimize_scalar

from ..errors import ParameterError
from . import density as dens
from .contracts import RevenueCover
from .yield_model import YieldModel, check_coverage

#: Default seed of the simulation (explicit, fixed: the same model gives the same rate).
SEED = 20240614
DRAWS = 200_000
#: Fewest years of paired yields and prices a copula is fitted to.
MIN_YEARS = 10
FAMILIES = ("gaussian", "frank", "clayton", "gumbel")
COPULAS = (*FAMILIES, "independence", "auto")
PRICE_LAWS = ("lognormal", "empirical")
#: Search interval of each family's parameter for positive dependence (statsmodels' meaning:
#: Gaussian ρ, Frank/Clayton/Gumbel θ); the lower end is (next to) independence.
_BOUNDS = {"gaussian": (0.0, 0.995), "frank": (1e-6, 35.0), "clayton": (1e-6, 40.0),
           "gumbel": (1.0 + 1e-9, 40.0)}
_SYMMETRIC = ("gaussian", "frank")
#: Which uniform is flipped in each rotation: (1 − U, 1 − V) ~ C for 180, and so on.
_FLIPS = {0: (False, False), 180: (True, True), 90: (True, False), 270: (False, True)}
_TAILS = {("clayton", 0): "low yield & low price", ("clayton", 180): "high yield & high price",
          ("clayton", 90): "high yield & low price", ("clayton", 270): "low yield & high price",
          ("gumbel", 0): "high yield & high price", ("gumbel", 180): "low yield & low price",
          ("gumbel", 90): "low yield & high price", ("gumbel", 270): "high yield & low price"}


def pseudo_observations(x) -> np.ndarray:
    """u_t = rank(x_t)/(n + 1), average ranks for ties (Genest, Ghoudi & Rivest 1995).

    >>> pseudo_observations([3.0, 1.0, 2.0]).tolist()
    [0.75, 0.25, 0.5]
    """
    x = np.asarray(x, float)
    return stats.rankdata(x) / (x.size + 1.0)


def _base_copula(family: str, theta: float):
    from statsmodels.distributions.copula.api import (
        ClaytonCopula,
        FrankCopula,
        GaussianCopula,
        GumbelCopula,
    )

    if family == "gaussian":
        return GaussianCopula(corr=float(theta))
    return {"frank": FrankCopula, "clayton": ClaytonCopula, "gumbel": GumbelCopula}[family](
        theta=float(theta))


def _rotate(u, v, rotation):
    fu, fv = _FLIPS[rotation]
    return (1.0 - u if fu else u), (1.0 - v if fv else v)


@dataclass(frozen=True)
class CopulaFit:
    """A fitted one-parameter copula of the yield and price-ratio ranks (module notes).

    Attributes
    ----------
    family : {"gaussian", "frank", "clayton", "gumbel", "independence"}
    rotation : {0, 90, 180, 270}
        Orientation (module table); the statsmodels copula C with parameter ``theta`` is the
        law of the rotated pair.
    theta : float
        Parameter of C (Gaussian ρ ≥ 0, Frank θ > 0, Clayton θ > 0, Gumbel θ ≥ 1; NaN for
        independence).
    loglik : float
        Pseudo-log-likelihood Σ ln c(u_t, v_t) at ``theta`` (NaN if not fitted to data).
    method : str
        ``"mpl"``, ``"itau"``, or ``"given"``.

    Examples
    --------
    >>> c = CopulaFit("gaussian", 270, 0.5)       # (U, 1 − V) Gaussian ρ = 0.5: ρ = −0.5
    >>> round(c.parameter, 6), round(c.tau, 6)
    (-0.5, -0.333333)
    """

    family: str
    rotation: int
    theta: float
    loglik: float = float("nan")
    method: str = "given"

    def __post_init__(self):
        if self.family not in (*FAMILIES, "independence"):
            raise ParameterError(f"copula family {self.family!r} is not known; use one of "
                                 f"{', '.join((*FAMILIES, 'independence'))}")
        if self.rotation not in _FLIPS:
            raise ParameterError(f"rotation must be 0, 90, 180 or 270, got {self.rotation!r}")
        if self.family != "independence":
            lo, hi = _BOUNDS[self.family]
            if not (np.isfinite(self.theta) and lo - 1e-12 <= self.theta <= hi):
                raise ParameterError(f"{self.family} parameter {self.theta!r} is outside "
                                     f"[{lo:g}, {hi:g}] (positive dependence; a negative one "
                                     "is a rotation 90 or 270)")

    @property
    def k(self) -> int:
        """Number of parameters (0 for independence)."""
        return 0 if self.family == "independence" else 1

    @property
    def negative(self) -> bool:
        return self.rotation in (90, 270)

    @property
    def parameter(self) -> float:
        """The parameter as usually quoted: Gaussian ρ and Frank θ with the sign of the
        dependence; Clayton and Gumbel θ of the rotated copula."""
        if self.family in _SYMMETRIC and self.negative:
            return -self.theta
        return self.theta

    @property
    def tau(self) -> float:
        """Kendall's τ of the copula (negative for rotations 90 and 270)."""
        if self.family == "independence":
            return 0.0
        t = float(_base_copula(self.family, self.theta).tau())
        return -t if self.negative else t

    @property
    def aic(self) -> float:
        """2k − 2ℓ."""
        return 2.0 * self.k - 2.0 * self.loglik

    @property
    def tail(self) -> str:
        """Where the tail dependence lies (Clayton, Gumbel), or "none"."""
        return _TAILS.get((self.family, self.rotation), "none")

    def describe(self) -> str:
        if self.family == "independence":
            return "independence"
        rot = f", rotated {self.rotation}°" if self.rotation and self.family not in _SYMMETRIC \
            else ""
        return f"{self.family}{rot} (parameter {self.parameter:.4g}, τ = {self.tau:.3f})"

    def logpdf(self, u, v):
        """ln c(u, v) of the (rotated) copula, elementwise."""
        u, v = np.broadcast_arrays(np.asarray(u, float), np.asarray(v, float))
        if self.family == "independence":
            return np.zeros(u.shape)
        a, b = _rotate(u, v, self.rotation)
        return np.asarray(_base_copula(self.family, self.theta).logpdf(
            np.column_stack([a.ravel(), b.ravel()]))).reshape(u.shape)

    def rvs(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` draws of (U, V), an (n, 2) array, from statsmodels' sampler of C rotated."""
        if self.family == "independence":
            return rng.random((int(n), 2))
        # passed by position: the keyword is ``random_state`` in statsmodels 0.14, ``rng`` later
        x = np.asarray(_base_copula(self.family, self.theta).rvs(int(n), (), rng), float)
        a, b = _rotate(x[:, 0], x[:, 1], self.rotation)
        return np.column_stack([a, b])


def _candidates(tau: float, families) -> list[tuple[str, int]]:
    out = []
    for f in families:
        if f in _SYMMETRIC:
            out.append((f, 270 if tau < 0 else 0))
        else:
            out.extend([(f, 90), (f, 270)] if tau < 0 else [(f, 0), (f, 180)])
    return out


def _fit_one(u, v, family, rotation, method) -> CopulaFit:
    a, b = _rotate(u, v, rotation)
    lo, hi = _BOUNDS[family]
    data = np.column_stack([a, b])

    def nll(theta):
        with np.errstate(all="ignore"):     # a density of 0 at an extreme θ: ln c = −∞
            ll = np.asarray(_base_copula(family, theta).logpdf(data), float)
        return -float(ll.sum()) if np.all(np.isfinite(ll)) else np.inf

    tau_rot = float(stats.kendalltau(a, b)[0])
    if not tau_rot > 1e-6:
        theta0 = lo                    # no positive dependence in this orientation
    else:
        with np.errstate(all="ignore"):
            theta0 = float(_base_copula(family, max(lo, 0.5 if family != "gumbel" else 1.5))
                           .fit_corr_param(data))
        theta0 = float(np.clip(theta0, lo, hi)) if np.isfinite(theta0) else lo
    theta = theta0
    if method == "mpl":
        res = minimize_scalar(nll, bounds=(lo, hi), method="bounded",
                              options={"xatol": 1e-9 * max(1.0, hi)})
        theta = float(res.x) if nll(res.x) <= nll(theta0) else theta0
    return CopulaFit(family, rotation, theta, -nll(theta), method)


def fit_copula(x, y, copula: str = "auto", method: str = "mpl"
               ) -> tuple[CopulaFit, pd.DataFrame]:
    """Fit a copula to paired data by their ranks; returns (chosen fit, table of candidates).

    ``copula``: a family (its best orientation), ``"independence"``, or ``"auto"`` (least AIC
    among the four families and independence). The table has one row per candidate: family,
    rotation, parameter, tau, loglik, aic, tail, selected.

    Examples
    --------
    >>> from statsmodels.distributions.copula.api import ClaytonCopula
    >>> uv = ClaytonCopula(theta=2.0).rvs(400, (), np.random.default_rng(1))  # τ = 0.5
    >>> best, table = fit_copula(uv[:, 0], uv[:, 1])
    >>> best.family, best.rotation, round(best.tau, 1)
    ('clayton', 0, 0.5)
    """
    if copula not in COPULAS:
        raise ParameterError(f"copula={copula!r} is not known; use one of {', '.join(COPULAS)}")
    if method not in ("mpl", "itau"):
        raise ParameterError(f"method={method!r}: use 'mpl' (maximum pseudo-likelihood) or "
                             "'itau' (Kendall's τ inversion)")
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.ndim != 1 or x.shape != y.shape:
        raise ParameterError(f"the two series must be 1-D of the same length, got shapes "
                             f"{x.shape} and {y.shape}")
    if x.size < MIN_YEARS or not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ParameterError(f"a copula needs at least {MIN_YEARS} finite pairs, got {x.size}")
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        raise ParameterError("a copula needs two series that vary (one is constant)")
    u, v = pseudo_observations(x), pseudo_observations(y)
    tau = float(stats.kendalltau(u, v)[0])
    fams = FAMILIES if copula == "auto" else ((copula,) if copula in FAMILIES else ())
    fits = [_fit_one(u, v, f, r, method) for f, r in _candidates(tau, fams)]
    if copula in ("auto", "independence"):
        fits.append(CopulaFit("independence", 0, float("nan"), 0.0, method))
    best = min(fits, key=lambda c: c.aic)
    table = pd.DataFrame([{
        "family": c.family, "rotation": c.rotation, "parameter": c.parameter, "tau": c.tau,
        "loglik": c.loglik, "aic": c.aic, "tail": c.tail, "selected": c is best}
        for c in fits])
    table.attrs["sample_tau"] = tau
    return best, table


# --------------------------------------------------------------------------- marginals
def _kde_quantile(p, centres, h):
    """F⁻¹(p) of the Gaussian kernel law: linear interpolation of the inverse on a grid of
    8,193 points over [min − 9h, max + 9h], then one Newton step y − (F(y) − p)/f(y) (the
    grid alone is within ~1e-4 of the root for yields in the hundreds; the step squares that
    error)."""
    lo, hi = centres.min() - 9.0 * h, centres.max() + 9.0 * h
    grid = np.linspace(lo, hi, 8193)
    y = np.interp(p, dens.kde_cdf(grid, centres, h), grid)
    f = dens.kde_pdf(y, centres, h)
    step = np.where(f > 0, (dens.kde_cdf(y, centres, h) - p) / np.maximum(f, 1e-300), 0.0)
    return np.clip(y - step, lo, hi)


def yield_quantile(model: YieldModel, p) -> np.ndarray:
    """F_Y⁻¹(p) of a fitted YieldModel's law (module notes), before the zero floor."""
    model._check_fitted()
    p = np.asarray(p, float)
    y = model.adjusted_yields_
    if model.law_ == "empirical":
        s = np.sort(y)
        i = np.clip(np.ceil(p * s.size).astype(int) - 1, 0, s.size - 1)
        return s[i]
    if model.law_ == "kde":
        return _kde_quantile(p, y, model.bandwidth_)
    return model.dist_.ppf(p)


def _empirical_quantile(sample, p):
    s = np.sort(sample)
    return s[np.clip(np.ceil(np.asarray(p) * s.size).astype(int) - 1, 0, s.size - 1)]


def _vector(name, value, positive=False):
    a = np.asarray(value, dtype=float)
    if a.ndim != 1:
        raise ParameterError(f"{name} must be a 1-D series, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ParameterError(f"{name} must be finite numbers (no NaN)")
    if positive and np.any(a <= 0):
        raise ParameterError(f"{name} must be positive; got {a[a <= 0][:5]}")
    return a


class RevenueModel:
    """Joint yield–price model of revenue cover (种植收入保险): marginals, copula, rates.

    Parameters
    ----------
    detrend, adjustment, density, bandwidth, rating_year, farm
        The yield marginal, a :class:`~puhui.agri.YieldModel` with these settings.
    price_law : {"lognormal", "empirical"}
        Law of the harvest / projected price ratio R (module notes).
    price_volatility : float, optional
        σ of an implied lognormal ln R ~ N(−σ²/2, σ²) (e.g. the RMA volatility factor) in
        place of the fitted law.
    copula : {"auto", "gaussian", "frank", "clayton", "gumbel", "independence"}
    method : {"mpl", "itau"}
        Maximum pseudo-likelihood or Kendall's τ inversion.
    draws : int
        Monte Carlo draws of the rate.
    seed : int
        Seed of ``numpy.random.default_rng`` (fixed by default: same model, same rate).

    Attributes (after ``fit``)
    --------------------------
    yield_model_ : YieldModel
    expected_yield_ : float
        μ (APH) of the rating year.
    projected_price_ : float
        P_p of the rating year.
    ratios_ : ndarray
        R_t = P_h,t / P_p,t, in year order.
    price_params_ : dict
        ``{"law", "mu", "sigma"}`` of ln R (lognormal) or ``{"law": "empirical"}``.
    copula_ : CopulaFit
    copulas_ : DataFrame
        Every candidate copula with its AIC (``fit_copula``).
    sample_tau_ : float
        Kendall's τ of (ỹ_t, R_t).

    Examples
    --------
    >>> from puhui.datasets.revenue import load_revenue_example
    >>> d = load_revenue_example()
    >>> m = RevenueModel(density="kde", draws=20_000).fit(d["year"], d["yield"],
    ...                                                 d["projected_price"], d["harvest_price"])
    >>> m.copula_.tau < 0                                   # prices rise when yields fall
    True
    >>> bool(m.rate(0.8, harvest_price_option=True) >= m.rate(0.8, harvest_price_option=False))
    True
    """

    def __init__(self, detrend="linear", adjustment="additive", density="kde",
                 bandwidth="silverman", rating_year=None, farm=None, price_law="lognormal",
                 price_volatility=None, copula="auto", method="mpl", draws=DRAWS, seed=SEED):
        self.detrend = detrend
        self.adjustment = adjustment
        self.density = density
        self.bandwidth = bandwidth
        self.rating_year = rating_year
        self.farm = farm
        self.price_law = price_law
        self.price_volatility = price_volatility
        self.copula = copula
        self.method = method
        self.draws = draws
        self.seed = seed

    # ------------------------------------------------------------------ fitting
    def _check_settings(self):
        if self.price_law not in PRICE_LAWS:
            raise ParameterError(f"price_law={self.price_law!r} is not known; use one of "
                                 f"{', '.join(PRICE_LAWS)}")
        if self.price_volatility is not None:
            s = float(self.price_volatility)
            if not (np.isfinite(s) and s > 0):
                raise ParameterError(f"price_volatility must be positive, got "
                                     f"{self.price_volatility!r}")
            if self.price_law != "lognormal":
                raise ParameterError("price_volatility sets a lognormal price law: use "
                                     "price_law='lognormal'")
        if self.copula not in COPULAS:
            raise ParameterError(f"copula={self.copula!r} is not known; use one of "
                                 f"{', '.join(COPULAS)}")
        if int(self.draws) != self.draws or self.draws < 1_000:
            raise ParameterError(f"draws must be an integer ≥ 1,000, got {self.draws!r}")
        if self.seed is None:
            raise ParameterError("give an explicit seed (the default is fixed): a rate must be "
                                 "reproducible")

    def fit(self, years, yields, projected_prices, harvest_prices, *, projected_price=None
            ) -> RevenueModel:
        """Fit the yield law, the price-ratio law and the copula of their ranks; returns self.

        ``years``, ``yields`` (kg/亩), ``projected_prices`` and ``harvest_prices`` (元/kg) are
        one value per harvest year, in any order. ``projected_price`` is the rating year's P_p
        (default: the last year's); it scales money amounts, not the rate.
        """
        self._check_settings()
        years = _vector("years", years)
        yields = _vector("yields", yields)
        pp = _vector("projected_prices", projected_prices, positive=True)
        ph = _vector("harvest_prices", harvest_prices, positive=True)
        if not (years.size == yields.size == pp.size == ph.size):
            raise ParameterError("years, yields, projected_prices and harvest_prices must have "
                                 f"the same length, got {years.size}, {yields.size}, "
                                 f"{pp.size} and {ph.size}")
        if years.size < MIN_YEARS:
            raise ParameterError(f"a yield–price copula needs at least {MIN_YEARS} years, got "
                                 f"{years.size}")
        self.yield_model_ = YieldModel(self.detrend, self.adjustment, self.density,
                                       self.bandwidth, self.rating_year, farm=self.farm
                                       ).fit(years, yields)
        order = np.argsort(years, kind="stable")          # the yield model's year order
        self.years_ = years[order]
        self.ratios_ = ph[order] / pp[order]
        self.expected_yield_ = float(self.yield_model_.expected_yield_)
        last = pp[order][-1] if projected_price is None else projected_price
        self.projected_price_ = float(_vector("projected_price", np.atleast_1d(last),
                                              positive=True)[0])
        lr = np.log(self.ratios_)
        if self.price_law == "empirical":
            self.price_params_ = {"law": "empirical"}
        elif self.price_volatility is not None:
            s = float(self.price_volatility)
            self.price_params_ = {"law": "lognormal (implied volatility)", "mu": -0.5 * s * s,
                                  "sigma": s}
        else:
            if np.ptp(lr) == 0:
                raise ParameterError("the price ratios are all equal: no price law to fit")
            self.price_params_ = {"law": "lognormal", "mu": float(lr.mean()),
                                  "sigma": float(lr.std())}
        self.copula_, self.copulas_ = fit_copula(self.yield_model_.adjusted_yields_,
                                                 self.ratios_, self.copula, self.method)
        self.sample_tau_ = float(self.copulas_.attrs["sample_tau"])
        self._cache = None
        return self

    def _check_fitted(self):
        if not hasattr(self, "copula_"):
            raise ParameterError("the RevenueModel is not fitted: call fit(years, yields, "
                                 "projected_prices, harvest_prices) first")

    def with_copula(self, copula, parameter=None, rotation=None) -> RevenueModel:
        """The same marginals (and seed) under another copula: a family fitted to the same
        ranks (``parameter=None``), ``"independence"``, a :class:`CopulaFit`, or a family with
        a given ``parameter`` (Gaussian ρ or Frank θ with its sign; Clayton / Gumbel θ with a
        ``rotation``, default 0 — 90 or 270 for negative dependence)."""
        self._check_fitted()
        other = copy.copy(self)
        other._cache = None
        if isinstance(copula, CopulaFit):
            fit = copula
        elif parameter is None:
            fit, table = fit_copula(self.yield_model_.adjusted_yields_, self.ratios_, copula,
                                    self.method)
            other.copulas_ = table
        elif copula in _SYMMETRIC:
            p = float(parameter)
            fit = CopulaFit(copula, 270 if p < 0 else 0, abs(p))
        else:
            fit = CopulaFit(copula, 0 if rotation is None else rotation, float(parameter))
        other.copula = fit.family
        other.copula_ = fit
        return other

    # ------------------------------------------------------------------ simulation
    def price_ratio_quantile(self, p) -> np.ndarray:
        """F_R⁻¹(p) of the harvest / projected price ratio."""
        self._check_fitted()
        if self.price_params_["law"] == "empirical":
            return _empirical_quantile(self.ratios_, p)
        return np.exp(self.price_params_["mu"] + self.price_params_["sigma"] *
                      stats.norm.ppf(np.asarray(p, float)))

    def simulate(self) -> tuple[np.ndarray, np.ndarray]:
        """The model's ``draws`` joint outcomes of the rating year: (yields Y⁺ (kg/亩),
        harvest prices P_h = P_p·R (元/kg)), seeded; computed once and kept."""
        self._check_fitted()
        if self._cache is None:
            rng = np.random.default_rng(self.seed)
            uv = self.copula_.rvs(int(self.draws), rng)
            eps = np.finfo(float).eps     # a sampler may return an exact 0 or 1
            uv = np.clip(uv, eps, 1.0 - eps)
            y = np.maximum(yield_quantile(self.yield_model_, uv[:, 0]), 0.0)
            self._cache = (y, self.projected_price_ * self.price_ratio_quantile(uv[:, 1]))
        return self._cache

    def cover(self, coverage_level, harvest_price_option=True) -> RevenueCover:
        """The :class:`RevenueCover` rated: μ = the expected yield, P_p = the projected price."""
        self._check_fitted()
        theta = check_coverage(coverage_level)
        return RevenueCover(expected_yield=self.expected_yield_, coverage_level=theta,
                            projected_price=self.projected_price_,
                            harvest_price_option=bool(harvest_price_option))

    def _pay(self, coverage_level, harvest_price_option):
        """Payouts (levels, draws) by ``RevenueCover.pay``, the liabilities and the shape."""
        theta = check_coverage(coverage_level)
        y, ph = self.simulate()
        cover = self.cover(theta.reshape(-1, 1), harvest_price_option)
        return cover.pay(y, ph), np.asarray(cover.sum_insured)[:, 0], theta.shape

    @staticmethod
    def _shaped(values, shape):
        out = values.reshape(shape)
        return float(out) if out.ndim == 0 else out

    def rate(self, coverage_level, harvest_price_option=True, *, return_se=False):
        """Pure rate E[pay]/(θμP_p) at each coverage level (module formula), by the model's
        seeded draws; with ``return_se`` also its Monte Carlo standard error."""
        pay, si, shape = self._pay(coverage_level, harvest_price_option)
        r = self._shaped(pay.mean(axis=-1) / si, shape)
        if not return_se:
            return r
        se = pay.std(axis=-1, ddof=1) / np.sqrt(pay.shape[-1]) / si
        return r, self._shaped(se, shape)

    def expected_indemnity(self, coverage_level, harvest_price_option=True):
        """E[pay] (元/亩) = rate × θμP_p."""
        pay, _, shape = self._pay(coverage_level, harvest_price_option)
        return self._shaped(pay.mean(axis=-1), shape)

    # ------------------------------------------------------------------ reporting
    def summary(self, coverage_levels=(0.7, 0.75, 0.8, 0.85, 0.9)) -> pd.DataFrame:
        """One row per coverage level: the liability θμP_p, the revenue rate with and without
        the harvest-price option with their Monte Carlo standard errors, the rate under
        independence (same marginals and seed) and the natural hedge = independent − fitted
        (base cover), and the yield-cover rate of the same yield model for comparison.
        ``attrs`` hold the copula, the price law and the candidate table."""
        self._check_fitted()
        theta = check_coverage(coverage_levels).ravel()
        base, se_base = self.rate(theta, False, return_se=True)
        hpo, se_hpo = self.rate(theta, True, return_se=True)
        indep = self.with_copula("independence")
        ind_base = np.atleast_1d(indep.rate(theta, False))
        ind_hpo = np.atleast_1d(indep.rate(theta, True))
        out = pd.DataFrame({
            "coverage": theta, "expected_yield": self.expected_yield_,
            "projected_price": self.projected_price_,
            "liability": theta * self.expected_yield_ * self.projected_price_,
            "rate": np.atleast_1d(base), "se": np.atleast_1d(se_base),
            "rate_harvest_option": np.atleast_1d(hpo), "se_harvest_option": np.atleast_1d(se_hpo),
            "rate_independent": ind_base, "rate_harvest_option_independent": ind_hpo,
            "natural_hedge": ind_base - np.atleast_1d(base),
            "yield_cover_rate": np.atleast_1d(self.yield_model_.premium_rate(theta)),
        })
        out.attrs.update({
            "copula": self.copula_.describe(), "sample_tau": self.sample_tau_,
            "method": self.copula_.method, "price_law": dict(self.price_params_),
            "draws": int(self.draws), "seed": self.seed, "copulas": self.copulas_.copy(),
            "assumptions": dict(self.yield_model_.assumptions_),
        })
        return out

    def plot(self, ax=None, draws: int = 2_000):
        """The pseudo-observations (u = yield rank, v = price-ratio rank) over a cloud of
        ``draws`` points simulated from the fitted copula; returns ax."""
        from ..plots import label, new_axes

        self._check_fitted()
        ax = new_axes(ax)
        cloud = self.copula_.rvs(int(draws), np.random.default_rng(self.seed))
        ax.scatter(cloud[:, 0], cloud[:, 1], s=4, alpha=0.25, color="grey",
                   label=label("拟合Copula模拟", "simulated from the fitted copula"))
        u = pseudo_observations(self.yield_model_.adjusted_yields_)
        v = pseudo_observations(self.ratios_)
        ax.scatter(u, v, s=28, color="C3", edgecolor="k", zorder=3,
                   label=label("历史年份（秩）", "history (ranks)"))
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel(label("单产秩 u", "yield rank u"))
        ax.set_ylabel(label("收获/预期价格比秩 v", "harvest / projected price rank v"))
        ax.set_title(f"{self.copula_.describe()}; " + label("样本", "sample") +
                     f" τ = {self.sample_tau_:.3f}")
        ax.legend(loc="upper right", fontsize="small")
        return ax
