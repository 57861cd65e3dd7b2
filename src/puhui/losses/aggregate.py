"""Aggregate loss S = X_1 + … + X_N of the collective risk model (集体风险模型).

:func:`aggregate` computes the distribution of S from a claim-count law N (see
:mod:`puhui.losses.frequency`) and a claim-size law X by

* ``"fft"`` -- discrete Fourier transform: ``ĝ = P_N(f̂)`` on a zero-padded grid with
  exponential tilting (Embrechts & Frei 2009; Grübel & Hermesmeier 1999); the round-off it
  leaves is removed without moving mass or changing the mean (see :func:`_repair_roundoff`);
* ``"panjer"`` -- Panjer's recursion for the (a, b, 0) and (a, b, 1) classes, compiled with
  numba (:mod:`puhui.losses._panjer_numba`);
* ``"simulation"`` -- Monte Carlo with an explicit seed;
* ``"normal"`` / ``"np2"`` -- normal and normal-power approximations from the exact moments.

Exact moments of S (cumulants κ_j(N), raw severity moments m_k):

* ``E[S] = κ1 m1``;
* ``Var[S] = κ1 m2 + (κ2 − κ1) m1²``;
* ``κ3(S) = κ1 m3 + 3(κ2 − κ1) m1 m2 + (κ3 − 3κ2 + 2κ1) m1³``.

Default grid (no ``upper``/``n_nodes``): ``mean + 12 sd`` of S (a power of two for FFT),
then doubled until no more than ``tol`` of the probability is missing from it -- S beyond the
grid, and the claim-size law beyond its end -- as actuar's recursion runs until the cdf is
within ``tol`` of 1.  A grid that would need more than :data:`MAX_GRID_NODES` nodes (Panjer:
more than :data:`MAX_PANJER_WORK` recursion terms) is refused with a
:class:`~puhui.errors.ParameterError` naming the way out.

They are reported next to the computed moments (the self-check) and an
:class:`~puhui.losses.aggregate_dist.AccuracyWarning` is raised when the relative error of the
mean or the variance exceeds ``check_rtol`` (for simulation: when it exceeds 4 Monte Carlo
standard errors).

Example
-------
>>> from scipy import stats
>>> from puhui.losses.frequency import Poisson
>>> S = aggregate(Poisson(10), stats.gamma(2.0), step=0.05, upper=200.0)
>>> abs(S.mean_rel_error) < 1e-6
True
"""

from __future__ import annotations

import inspect
import math
import warnings

import numpy as np
from scipy import fft as sfft

from puhui.errors import ParameterError
from puhui.losses.aggregate_dist import AccuracyWarning, ApproxAggregate, DiscreteAggregate
from puhui.losses.discretize import (
    DiscreteSeverity,
    _check_step,
    _nonincreasing_fit,
    as_discrete,
    discretize,
)
from puhui.losses.frequency import (
    Binomial,
    FrequencyModel,
    NegativeBinomial,
    Poisson,
    as_frequency,
)

__all__ = ["aggregate", "exact_moments", "METHODS", "MAX_GRID_NODES"]

METHODS = ("fft", "panjer", "simulation", "normal", "np2")

#: Largest grid the default-grid search may reach (FFT: two real arrays of 2× this length
#: and a complex one, ≈ 200 MB at 2^22 nodes).
MAX_GRID_NODES = 2**22
#: Largest Panjer work n·m (grid nodes × severity nodes) the default-grid search may reach
#: (a few seconds at C speed); beyond it FFT is the method to use.
MAX_PANJER_WORK = 2**32
#: Largest grid accepted at all (explicit upper/n_nodes or the starting default grid): 2^26 nodes
#: hold 512 MiB per float array and a padded complex FFT needs about 2 GiB.
MAX_ANY_GRID_NODES = 2**26


# ---------------------------------------------------------------------------------------------
# exact moments
# ---------------------------------------------------------------------------------------------
def _severity_raw_moments(severity) -> tuple[float, float, float]:
    if isinstance(severity, DiscreteSeverity):
        return tuple(severity.moment(k) for k in (1, 2, 3))
    out = []
    for k in (1, 2, 3):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                val = float(severity.moment(k))
        except Exception:  # noqa: BLE001 - a model without moment(): moments unknown
            val = math.nan
        out.append(val if math.isfinite(val) else math.nan)
    return tuple(out)


def exact_moments(frequency, severity) -> tuple[float, float, float]:
    """Exact mean, variance and skewness of S (NaN where a severity moment does not exist).

    Examples
    --------
    >>> from scipy import stats
    >>> from puhui.losses.frequency import Poisson
    >>> [round(v, 6) for v in exact_moments(Poisson(10), stats.gamma(2.0))]
    [20.0, 60.0, 0.516398]
    """
    freq = as_frequency(frequency)
    k1, k2, k3 = freq.cumulants()
    m1, m2, m3 = _severity_raw_moments(severity)
    mean = k1 * m1
    var = k1 * m2 + (k2 - k1) * m1**2
    c3 = k1 * m3 + 3 * (k2 - k1) * m1 * m2 + (k3 - 3 * k2 + 2 * k1) * m1**3
    skew = c3 / var**1.5 if var > 0 else math.nan
    return mean, var, skew


# ---------------------------------------------------------------------------------------------
# grid set-up
# ---------------------------------------------------------------------------------------------
def _grid_size(step, upper, n_nodes, exact_mean, exact_var, method) -> int:
    if n_nodes is not None:
        if int(n_nodes) != n_nodes or n_nodes < 2:
            raise ParameterError(f"n_nodes must be a whole number ≥ 2, got {n_nodes!r}")
        n = int(n_nodes)
        if upper is not None and abs((n - 1) * step - float(upper)) > 1e-9 * max(1.0, upper):
            raise ParameterError(
                f"upper ({upper}) and n_nodes ({n}) disagree: upper must be (n_nodes − 1)·step"
            )
        return n
    if upper is not None:
        m = float(upper) / step
        if not math.isfinite(m) or m <= 0 or abs(m - round(m)) > 1e-6 * max(1.0, m):
            raise ParameterError(f"upper ({upper}) must be a positive multiple of step ({step})")
        return int(round(m)) + 1
    if not (math.isfinite(exact_mean) and math.isfinite(exact_var)):
        raise ParameterError(
            "the severity variance is infinite or unknown: give upper= or n_nodes= explicitly"
        )
    span = exact_mean + 12.0 * math.sqrt(exact_var)
    n = int(math.ceil(span / step)) + 1
    if method == "fft":
        n = 1 << max(8, (n - 1).bit_length())
    return n


def _discrete_severity(severity, step, n, discretization, severity_upper) -> DiscreteSeverity:
    if isinstance(severity, DiscreteSeverity):
        if step is not None and abs(float(step) - severity.step) > 1e-12 * severity.step:
            raise ParameterError(
                f"step ({step}) differs from the discretised severity's step ({severity.step})"
            )
        return severity
    if isinstance(severity, np.ndarray | list | tuple):
        if step is None:
            raise ParameterError("a severity pmf array needs step=")
        return as_discrete(severity, step)
    h = _check_step(step)
    if severity_upper is None:
        m = n - 1
    else:
        m = float(severity_upper) / h
        if abs(m - round(m)) > 1e-6 * max(1.0, m) or m <= 0:
            raise ParameterError(
                f"severity_upper ({severity_upper}) must be a positive multiple of step ({h})"
            )
        m = min(int(round(m)), n - 1)
    return discretize(severity, h, h * m, discretization)


# ---------------------------------------------------------------------------------------------
# engines
# ---------------------------------------------------------------------------------------------
def _repair_roundoff(g: np.ndarray) -> tuple[np.ndarray, float]:
    """Remove the round-off negatives of a computed pmf without moving mass or the mean.

    An FFT leaves an absolute error of order ``ε·log L·max|g̃|`` on every node (times
    ``e^{θk}`` after untilting), so wherever the true masses are smaller -- far in the tail --
    some come out negative.  Setting those to 0 biases the result: it adds mass, and adds it
    far out, where ``E[S²]`` weighs it by x².  Here the on-grid survival function
    ``R_k = Σ_{i≥k} g_i`` (non-increasing exactly when every mass is ≥ 0) is replaced by its
    least-squares non-increasing fit (pool-adjacent-violators), floored at 0, and the masses
    are its differences.  Pooling averages a run of neighbours, so it changes nothing outside
    the noisy stretch; it keeps ``R_0 = Σ g`` (the total mass) and ``Σ_{k≥1} R_k = Σ k g_k``
    (the mean) exactly -- unless the floor at 0 acts, which moves only noise -- and moves
    mass only between neighbouring nodes.

    Returns the repaired pmf and the total of the negative masses it removed.
    """
    neg = g < 0
    if not neg.any():
        return g, 0.0
    noise = float(-g[neg].sum())
    tail = np.cumsum(g[::-1])[::-1]  # R_k
    fit, start = _nonincreasing_fit(tail)
    np.maximum(fit, 0.0, out=fit)
    out = g.copy()
    j = max(start - 1, 0)  # masses before j keep their computed values bit for bit
    out[j:-1] = fit[j:-1] - fit[j + 1 :]
    out[-1] = fit[-1]
    return out, noise


def _fft_pass(freq: FrequencyModel, f: np.ndarray, n: int, L: int, theta: float):
    """``g_k = e^{θk} irfft(P_N(rfft(e^{−θk} f_k)))_k`` for k < L (f zero-padded to L)."""
    fx = np.zeros(L)
    k = min(f.size, n)
    fx[:k] = f[:k]
    if theta > 0:
        damp = np.exp(-theta * np.arange(L))
        fx *= damp
    g = sfft.irfft(freq.pgf(sfft.rfft(fx)), L)
    if theta > 0:
        g /= damp
    return g


def _fft(freq: FrequencyModel, f: np.ndarray, n: int, padding: float, tilt, tol: float):
    """Compound pmf on n nodes by real FFT of length L ≥ padding·n.

    Wrap-around: a length-L transform folds the mass of S beyond ``L·h`` back onto the grid.
    Zero padding (L ≥ 2n by default) puts the fold beyond twice the grid end; exponential
    tilting ``g_k = e^{θk} · irfft(P_N(rfft(e^{−θk} f_k)))_k`` damps it further by
    ``e^{−θL}`` (Grübel & Hermesmeier 1999) but multiplies the FFT's round-off by up to
    ``e^{θn}`` towards the grid end (e^{10} for θ = 20/L and L = 2n), which on fine grids of
    heavy tails costs more accuracy than it saves (variance 5× further off on a Lomax law at
    2^20 nodes).  ``tilt=None`` therefore transforms without tilting first and tilts
    (θ = 20/L) only when the mass the untilted transform puts in the padding -- the mass of S
    between the grid end and ``L·h``, an upper estimate of what lies beyond ``L·h`` for any
    tail no heavier than a finite-mean Pareto -- exceeds both ``tol`` and the mass error that
    tilting itself brings, about ``ε·e^{θn}`` (5e-12 for θ = 20/L, L = 2n): that is, when
    the grid is short.  (GEMAct 1.3 does not tilt by default: ``LossModel(tilt=False)``.)
    The round-off negatives are removed by :func:`_repair_roundoff`.
    """
    if padding < 1:
        raise ParameterError(f"padding must be ≥ 1, got {padding!r}")
    L = sfft.next_fast_len(int(math.ceil(padding * n)), real=True)
    adaptive = tilt is None
    if tilt is True:
        theta = 20.0 / L
    elif tilt is None or tilt is False:
        theta = 0.0
    else:
        theta = float(tilt)
        if not (math.isfinite(theta) and theta >= 0):
            raise ParameterError(f"tilt must be True/False/None or a θ ≥ 0, got {tilt!r}")
    g = _fft_pass(freq, f, n, L, theta)
    # tilting pays when the wrap-around it removes exceeds the round-off it adds, ε·e^{θn}
    worth = max(tol, np.finfo(float).eps * math.exp(20.0 * n / L))
    if adaptive and (L == n or abs(float(g[n:].sum())) > worth):
        theta = 20.0 / L
        g = _fft_pass(freq, f, n, L, theta)
    kept, noise = _repair_roundoff(g[:n])
    # Mass beyond the grid: the exact total of the compound (severity truncated to the grid)
    # minus what the grid holds.  The raw FFT sum over the padding is also reported.
    total = float(np.real(freq.pgf(f[: min(f.size, n)].sum())))
    info = {
        "fft_length": L,
        "tilt_theta": theta,
        "padding": padding,
        "fft_noise_mass": noise,
        "fft_padding_mass": float(g[n:].sum()),
    }
    return kept, max(0.0, total - float(kept.sum())), info


def _panjer(freq: FrequencyModel, f: np.ndarray, n: int, tol: float):
    """Panjer's recursion (Panjer 1981; *Loss Models* §9.6).

    ``g_x = [(p1 − (a+b) p0) f_x + Σ_{y=1}^{min(x,m)} (a + b y/x) f_y g_{x−y}] / (1 − a f_0)``,
    ``g_0 = P_N(f_0)`` -- exact, O(n·m) for a severity on m + 1 nodes, in the compiled kernel
    :func:`puhui.losses._panjer_numba.panjer_recursion` (trailing zero severity masses are
    dropped first, which changes nothing).  Stops early when the computed mass is within
    ``tol`` of its limit ``P_N(Σ f)``.
    """
    from puhui.losses._panjer_numba import panjer_recursion

    a, b = float(freq.a), float(freq.b)
    g0 = float(np.real(freq.pgf(f[0])))
    if not g0 > 0:
        raise ParameterError(
            "P[S = 0] underflows to 0, the Panjer recursion cannot start: use method='fft' (or "
            "convolve= for a Poisson, negative binomial or binomial count)"
        )
    const = float(freq.p1 - (a + b) * freq.p0) if freq.is_zero_modified else 0.0
    nz = np.flatnonzero(f)
    f = np.ascontiguousarray(f[: int(nz[-1]) + 1] if nz.size else f[:1], dtype=float)
    target = float(np.real(freq.pgf(f.sum())))
    g = panjer_recursion(f, a, b, const, g0, int(n), target, float(tol))
    return g, max(0.0, target - float(g.sum())), {"stopped_at_node": int(g.size), "tol": tol}


def _split(freq: FrequencyModel, k: int) -> FrequencyModel:
    """The count whose sum of ``2^k`` independent copies is ``freq`` (infinite divisibility)."""
    d = 2**k
    if isinstance(freq, Poisson):
        return Poisson(freq.lam / d)
    if isinstance(freq, NegativeBinomial):
        return NegativeBinomial(freq.r / d, freq.beta)
    if isinstance(freq, Binomial) and freq.m % d == 0:
        return Binomial(freq.m // d, freq.q)
    raise ParameterError(
        f"{freq!r} cannot be split into 2^{k} independent parts for convolve=: only Poisson, "
        "negative binomial and binomial (m divisible by 2^convolve) counts are; use method='fft'"
    )


_G0_FLOOR = 1e-280  # P[S = 0] above the subnormal range, so the recursion keeps full precision


def _panjer_convolved(freq: FrequencyModel, f: np.ndarray, n: int, tol: float, convolve):
    """Panjer's recursion, with the split-and-convolve device when ``P[S = 0]`` underflows.

    For ``N = N_1 + … + N_{2^k}`` i.i.d., ``S`` is the ``2^k``-fold convolution of the compound
    law of ``N_1``; squaring ``k`` times by exact sums (no FFT round-off,
    :func:`puhui.losses._panjer_numba.self_convolve`) gives it on the grid — nodes ``< n`` need
    only nodes ``< n`` of each factor, so truncating to the grid loses nothing.  The recursion
    for ``N_1`` stops within ``tol / 2^k`` of its limit, so that after ``k`` squarings
    (``P_N = P_{N_1}^{2^k}``) the result is within ``tol`` of its own (actuar's rule).
    """
    if convolve is None:
        k, part = 0, freq
        while float(np.real(part.pgf(f[0]))) < _G0_FLOOR and k < 60:
            try:
                part = _split(freq, k + 1)
            except ParameterError:  # not divisible: the plain recursion reports the underflow
                k = 0
                break
            k += 1
    else:
        if int(convolve) != convolve or convolve < 0:
            raise ParameterError(f"convolve must be a whole number ≥ 0, got {convolve!r}")
        k = int(convolve)
        part = _split(freq, k) if k else freq
    if k == 0:
        return _panjer(freq, f, n, tol)
    from puhui.losses._panjer_numba import self_convolve

    g, _, info = _panjer(part, f, n, tol / 2**k)
    for _ in range(k):
        g = self_convolve(g, n)
    target = float(np.real(freq.pgf(f.sum())))
    info.update(convolve=k, stopped_at_node=int(g.size), tol=tol)
    return g, max(0.0, target - float(g.sum())), info


def _draw(severity, size: int, rng: np.random.Generator):
    """Draw from puhui's laws (``rvs(size=, seed=)``) or scipy's (``rvs(size=, random_state=)``)."""
    try:
        params = inspect.signature(severity.rvs).parameters
    except (TypeError, ValueError):  # builtins without a signature: assume scipy's convention
        params = {}
    if "seed" in params:
        return severity.rvs(size=size, seed=rng)
    return severity.rvs(size=size, random_state=rng)


def _simulate(freq: FrequencyModel, severity, n_sim: int, seed):
    if seed is None:
        raise ParameterError("simulation needs an explicit seed (int or numpy Generator)")
    if int(n_sim) != n_sim or n_sim < 2:
        raise ParameterError(f"n_sim must be a whole number ≥ 2, got {n_sim!r}")
    n_sim = int(n_sim)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    counts = np.asarray(freq.rvs(n_sim, rng), dtype=np.int64)
    total = int(counts.sum())
    if isinstance(severity, DiscreteSeverity):
        p = severity.pmf / severity.pmf.sum()
        claims = rng.choice(severity.nodes, size=total, p=p)
    elif callable(getattr(severity, "rvs", None)):
        claims = np.asarray(_draw(severity, total, rng), dtype=float)
    else:
        raise ParameterError("severity needs an rvs(size=, seed=) or rvs(size=, random_state=) "
                             "method to simulate")
    owner = np.repeat(np.arange(n_sim), counts)
    s = np.bincount(owner, weights=claims, minlength=n_sim)
    x, c = np.unique(s, return_counts=True)
    info = {
        "n_sim": n_sim,
        "seed": seed if not isinstance(seed, np.random.Generator) else "Generator",
        "mc_se_mean": float(np.std(s, ddof=1) / math.sqrt(n_sim)),
        "mc_se_var": float(
            math.sqrt(max(np.mean((s - s.mean()) ** 4) - np.var(s) ** 2, 0.0) / n_sim)
        ),
    }
    return x, c / n_sim, info


# ---------------------------------------------------------------------------------------------
# front end
# ---------------------------------------------------------------------------------------------
def aggregate(
    frequency,
    severity,
    method: str = "fft",
    *,
    step: float | None = None,
    upper: float | None = None,
    n_nodes: int | None = None,
    discretization: str = "unbiased",
    severity_upper: float | None = None,
    padding: float = 2.0,
    tilt=None,
    tol: float = 1e-12,
    convolve: int | None = None,
    n_sim: int = 100_000,
    seed=None,
    check_rtol: float = 0.01,
):
    """Distribution of the aggregate loss S (总赔款) in the collective risk model.

    Parameters
    ----------
    frequency : FrequencyModel or frozen scipy poisson/nbinom/binom
        Claim count N.
    severity : frozen scipy continuous law, object with cdf/lev, DiscreteSeverity, or a pmf
        array on ``0, step, 2·step, …``
        Claim size X (yuan), independent of N.
    method : {"fft", "panjer", "simulation", "normal", "np2"}
    step : float
        Grid step h (fft, panjer) -- required unless ``severity`` is a DiscreteSeverity.
    upper, n_nodes : float, int
        Grid ``0, h, …, upper`` with ``n_nodes = upper/h + 1``.  Default: mean + 12 sd
        (rounded up to a power of two for FFT), doubled until no more than ``tol`` of the
        probability is off the grid, up to :data:`MAX_GRID_NODES` nodes (ParameterError
        beyond, naming the way out).
    discretization : {"unbiased", "rounding", "upper", "lower"}
        Severity discretisation (see :func:`~puhui.losses.discretize.discretize`).
    severity_upper : float
        Truncation point of the severity grid (default: ``upper``).
    padding : float
        FFT length ≥ padding × n_nodes (zero padding against wrap-around).
    tilt : None, bool or float
        Exponential tilting θ per node against wrap-around: ``True`` → 20 / FFT length,
        ``False`` → none, ``None`` (default) → none unless the padding holds more than ``tol``
        of the probability (a short grid), then 20 / FFT length.
    tol : float
        Probability the result may miss.  Panjer stops when the computed mass is within ``tol``
        of its limit (0: fill the grid).  Without ``upper``/``n_nodes`` the grid is doubled
        until no more than ``tol`` of the probability lies off it (needs ``tol > 0``).
    convolve : int, optional
        Panjer only, for Poisson, negative binomial and binomial counts: run the recursion for
        N split into ``2^convolve`` i.i.d. parts, then convolve the result with itself
        ``convolve`` times (actuar's ``convolve``; Klugman, Panjer & Willmot on large expected
        counts). ``None``: 0, or the smallest split at which ``P[S = 0]`` no longer underflows.
    n_sim, seed : int, int or Generator
        Simulation size and seed (required for simulation).
    check_rtol : float
        Relative error of mean/variance above which an AccuracyWarning is raised.

    Returns
    -------
    DiscreteAggregate (fft, panjer, simulation) or ApproxAggregate (normal, np2).

    Examples
    --------
    >>> from scipy import stats
    >>> from puhui.losses.frequency import Poisson
    >>> S = aggregate(Poisson(10), stats.gamma(2.0), method="np2")
    >>> round(float(S.quantile(0.99)), 4)
    40.9611
    """
    if method not in METHODS:
        raise ParameterError(f"method must be one of {METHODS}, got {method!r}")
    freq = as_frequency(frequency)
    if isinstance(severity, np.ndarray | list | tuple):
        severity = as_discrete(severity, step)
    mean, var, skew = exact_moments(freq, severity)

    if method in ("normal", "np2"):
        if not (math.isfinite(mean) and math.isfinite(var) and var > 0):
            raise ParameterError(f"the {method} approximation needs a finite mean and variance")
        if method == "np2" and not (math.isfinite(skew) and skew > 0):
            raise ParameterError("the NP2 approximation needs a finite, positive skewness")
        return ApproxAggregate(method, mean, var, skew)

    if method == "simulation":
        x, pmf, info = _simulate(freq, severity, n_sim, seed)
        result = DiscreteAggregate(method, x, pmf, None, mean, var, skew, 0.0, 0.0, info)
        _check_simulation(result, info)
        return result

    if step is None and isinstance(severity, DiscreteSeverity):
        step = severity.step
    if step is None:
        raise ParameterError(f"method '{method}' needs step=")
    if convolve is not None and method != "panjer":
        raise ParameterError("convolve= applies to method='panjer' only")
    h = _check_step(step)
    tol = _check_tol(tol)
    n = _grid_size(h, upper, n_nodes, mean, var, method)
    if n > MAX_ANY_GRID_NODES:  # refuse before allocating: a mistyped step asked for 256 GiB
        gib = n * 8 * (1 + 4 * (method == "fft")) / 2**30
        raise ParameterError(
            f"the grid needs {n:,} nodes of step {h:g} (about {gib:,.0f} GiB); puhui accepts up "
            f"to {MAX_ANY_GRID_NODES:,}: use a larger step (the mean of S is {mean:,.6g}), a "
            "shorter upper=, or method='normal'/'np2' for a very large expected count")
    default_grid = upper is None and n_nodes is None
    if default_grid and tol == 0:
        raise ParameterError(
            "tol=0 with the default grid asks for a grid that holds all the probability: give "
            "upper= or n_nodes= (Panjer then fills that grid) or a tol > 0"
        )
    # the claim-size law is cut at the grid end unless it is given discretised or cut elsewhere
    sev_grows = severity_upper is None and not isinstance(severity, DiscreteSeverity)
    doublings = 0
    if default_grid and sev_grows and callable(getattr(severity, "cdf", None)):
        # first reach a grid end beyond which the claim-size law costs ≤ tol/2 (from its cdf:
        # no transform, so that a hopeless heavy tail is refused at once)
        while True:
            cut = 1.0 - float(np.real(freq.pgf(float(np.asarray(severity.cdf(h * (n - 1)))))))
            if cut <= tol / 2:
                break
            _check_growth(method, h, n, n, cut, tol, cut, sev_grows)
            n *= 2
            doublings += 1
    while True:
        sev = _discrete_severity(severity, h, n, discretization, severity_upper)
        f = sev.pmf
        # default grid: the recursion gets half the budget, the claim-size cut the other half
        budget = tol / 2 if default_grid and method == "panjer" and sev_grows else tol
        if method == "fft":
            g, tail, info = _fft(freq, f, n, padding, tilt, tol)
        else:
            g, tail, info = _panjer_convolved(freq, f, n, budget, convolve)
        if not default_grid:
            break
        # probability missing from the grid: S beyond it, plus (when the claim-size law grows
        # with the grid) the claims beyond the grid end, 1 − P_N(Σ f)
        cut = 1.0 - float(np.real(freq.pgf(float(f.sum())))) if sev_grows else 0.0
        missing = tail + max(cut, 0.0)
        if missing <= tol:
            info["default_grid_doublings"] = doublings
            break
        _check_growth(method, h, n, f.size, missing, tol, cut, sev_grows)
        n *= 2
        doublings += 1
    info.update(discretization=sev.method, severity_noise_mass=sev.noise_mass)
    x = h * np.arange(g.size)
    lost = max(0.0, 1.0 - float(f[:n].sum()))  # severity mass beyond the aggregate grid too
    result = DiscreteAggregate(method, x, g, h, mean, var, skew, lost, tail, info)
    _check_grid(result, check_rtol)
    return result


def _check_tol(tol) -> float:
    try:
        t = float(tol)
    except (TypeError, ValueError):
        raise ParameterError(f"tol must be a number, got {tol!r}") from None
    if not (math.isfinite(t) and 0 <= t < 1):
        raise ParameterError(f"tol must be in [0, 1), got {tol!r}")
    return t


def _check_growth(method, h, n, m, missing, tol, cut, sev_grows) -> None:
    """Refuse to double the default grid beyond :data:`MAX_GRID_NODES` (or, for Panjer, beyond
    :data:`MAX_PANJER_WORK` = n·m), with the numbers and the ways out."""
    n_next = 2 * n
    m_next = 2 * m if sev_grows else m
    too_big = n_next > MAX_GRID_NODES
    if method == "panjer" and n_next * m_next > MAX_PANJER_WORK:
        too_big = True
    if not too_big:
        return
    why = ""
    if sev_grows and cut > tol / 2:
        why = (f", {cut:.3g} of it from the claim-size law cut at the grid end (a heavy "
               "tail)")
    hint = " (or method='fft')" if method == "panjer" else ""
    raise ParameterError(
        f"the default grid (step {h:g}) would have to grow past {n} nodes (up to "
        f"{h * (n - 1):.6g}) to hold all but tol = {tol:g} of the probability: "
        f"{missing:.3g} is still missing{why}. Give upper= or n_nodes= to accept a shorter grid "
        f"(the missing probability is then reported as truncated_mass), a larger step= or a "
        f"larger tol={hint}"
    )


def _check_grid(result: DiscreteAggregate, rtol: float) -> None:
    problems = []
    for name, err in (("mean", result.mean_rel_error), ("variance", result.var_rel_error)):
        if math.isfinite(err) and abs(err) > rtol:
            problems.append(f"{name} off by {err:.3%}")
    if result.truncated_mass > rtol:
        problems.append(f"{result.truncated_mass:.3g} of the probability is off the grid")
    if problems:
        warnings.warn(
            f"aggregate ({result.method}): "
            + "; ".join(problems)
            + " -- use a finer step, a wider grid or another discretisation",
            AccuracyWarning,
            stacklevel=3,
        )


def _check_simulation(result: DiscreteAggregate, info: dict) -> None:
    problems = []
    for name, value, exact, se in (
        ("mean", result.mean(), result.exact_mean, info["mc_se_mean"]),
        ("variance", result.var(), result.exact_var, info["mc_se_var"]),
    ):
        if math.isfinite(exact) and abs(value - exact) > 4 * se:
            problems.append(f"{name} {value:.6g} vs exact {exact:.6g} (> 4 standard errors)")
    if problems:
        warnings.warn(
            "aggregate (simulation): " + "; ".join(problems), AccuracyWarning, stacklevel=3
        )
