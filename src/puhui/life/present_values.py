"""Expected present values (精算现值) of life insurances and life annuities, commutation-free.

For each entry age x the survival path ``ₖp_x`` (k = 0, 1, …, to extinction) is built from
the table by a cumulative product, and present values are cumulative sums along it, so one
call prices any array of ages and terms (select periods and loadings included). No
commutation columns D, N, C, M are used (the tests use them as an independent check).

With interest rate i, ``v = 1/(1+i)``, ``d = 1 − v``, term n, deferral u (years):

* pure endowment (生存保险) ``ₙE_x = vⁿ ₙp_x``;
* term insurance (定期寿险) ``u|A¹_{x:n} = Σ_{k=u}^{u+n−1} v^{k+1} ₖp_x q_{x+k}``, benefit at
  the end of the year of death;
* endowment (两全保险) ``A_{x:n} = A¹_{x:n} + ₙE_x``; whole life (终身寿险) ``A_x`` (n → ∞);
* annuity-due (期初付年金) ``u|ä_{x:n} = Σ_{k=u}^{u+n−1} vᵏ ₖp_x``; annuity-immediate
  (期末付年金) ``u|a_{x:n} = Σ_{k=u+1}^{u+n} vᵏ ₖp_x``.

m-thly payments (每年 m 次) under UDD (*standard*, Dickson–Hardy–Waters, AMLCR, ch. 4–5):
``ä^{(m)} = α(m) ä − β(m) (E_u − E_{u+n})`` summed over the years of payment, with
``α(m) = i d / (i^{(m)} d^{(m)})``, ``β(m) = (i − i^{(m)}) / (i^{(m)} d^{(m)})``, exact under
UDD; m = ∞ gives continuous annuities. Death benefits paid at the end of the 1/m-th of a
year of death: ``A^{(m)} = (i / i^{(m)}) A`` (UDD; m = ∞ gives ``Ā = (i/δ) A``).

Ages x are whole years inside the table; terms n whole years ≥ 0 (``None`` = whole life).
Results are per unit sum insured or per unit of annual annuity.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from .table import LifeTable


def pure_endowment(table: LifeTable, x, n, *, i: float) -> np.ndarray:
    """``ₙE_x = vⁿ ₙp_x``: value of 1 paid at time n if the life is then alive (生存保险).

    Examples
    --------
    >>> from puhui.life import load_table, pure_endowment
    >>> t = load_table("CL1_2010_2013")
    >>> float(pure_endowment(t, 40, 0, i=0.025))
    1.0
    """
    c = _cumulants(table, x, n, 0, i)
    return c.E(c.end)


def term_insurance(table: LifeTable, x, n, *, i: float, m: float = 1,
                   defer=0) -> np.ndarray:
    """``u|A¹_{x:n}``: 1 paid at the end of the year (or 1/m-th year) of death within n years.

    定期寿险的趸缴纯保费 per unit sum insured; ``defer`` = u years of deferral.
    """
    c = _cumulants(table, x, n, defer, i)
    return _insurance_factor(i, m) * (c.AI(c.end) - c.AI(c.start))


def whole_life_insurance(table: LifeTable, x, *, i: float, m: float = 1,
                         defer=0) -> np.ndarray:
    """``u|A_x``: 1 paid at the end of the year (or 1/m-th year) of death, whenever (终身寿险)."""
    return term_insurance(table, x, None, i=i, m=m, defer=defer)


def endowment_insurance(table: LifeTable, x, n, *, i: float, m: float = 1) -> np.ndarray:
    """``A_{x:n} = A¹_{x:n} + ₙE_x``: 1 on death within n years or on survival to n (两全保险)."""
    c = _cumulants(table, x, n, 0, i)
    return _insurance_factor(i, m) * (c.AI(c.end) - c.AI(c.start)) + c.E(c.end)


def annuity_due(table: LifeTable, x, n=None, *, i: float, m: float = 1,
                defer=0) -> np.ndarray:
    """``u|ä^{(m)}_{x:n}``: 1 a year paid in advance (m instalments of 1/m) while alive.

    期初付生存年金; ``n=None`` for a whole-life annuity; ``defer`` = u years of deferral
    (e.g. a pension from age 60 bought at 40: ``defer=20``).

    Examples
    --------
    >>> from puhui.life import load_table, annuity_due, whole_life_insurance
    >>> t, i = load_table("CL5_2010_2013"), 0.03
    >>> a, A = annuity_due(t, 60, i=i), whole_life_insurance(t, 60, i=i)
    >>> bool(abs(A - (1 - i / (1 + i) * a)) < 1e-12)   # A = 1 − d·ä
    True
    """
    c = _cumulants(table, x, n, defer, i)
    due = c.AD(c.end) - c.AD(c.start)
    if m == 1:
        return due
    alpha, beta = _alpha_beta(i, m)
    return alpha * due - beta * (c.E(c.start) - c.E(c.end))


def annuity_immediate(table: LifeTable, x, n=None, *, i: float, m: float = 1,
                      defer=0) -> np.ndarray:
    """``u|a^{(m)}_{x:n}``: 1 a year paid in arrears (期末付生存年金) while alive.

    ``a^{(m)} = ä^{(m)} − (1/m)(E_u − E_{u+n})``; for m = 1 and u = 0, ``a_{x:n} = ä_{x:n} − 1 + ₙE_x``.
    """
    c = _cumulants(table, x, n, defer, i)
    due = annuity_due(table, x, n, i=i, m=m, defer=defer)
    if np.isinf(m):
        return due
    return due - (c.E(c.start) - c.E(c.end)) / m


# ---------------------------------------------------------------------- internals
class _Cumulants:
    """Cumulative sums along each entry age's survival path, indexed by duration."""

    def __init__(self, paths, v, inv, start, end):
        n_years = paths.shape[1] - 1
        k = np.arange(n_years)
        disc = v ** np.arange(n_years + 1)
        zero = np.zeros((paths.shape[0], 1))
        self._ad = np.concatenate([zero, np.cumsum(paths[:, :-1] * disc[:-1], axis=1)], axis=1)
        deaths = (paths[:, :-1] - paths[:, 1:]) * disc[k + 1]
        self._ai = np.concatenate([zero, np.cumsum(deaths, axis=1)], axis=1)
        self._e = paths * disc
        self.inv = inv
        self.start = np.minimum(start, n_years)
        self.end = np.minimum(end, n_years)

    def AD(self, k):  # Σ_{j<k} vʲ ⱼp
        return self._ad[self.inv, k]

    def AI(self, k):  # Σ_{j<k} v^{j+1} ⱼp q
        return self._ai[self.inv, k]

    def E(self, k):  # vᵏ ₖp
        return self._e[self.inv, k]


def _cumulants(table: LifeTable, x, n, defer, i) -> _Cumulants:
    if not isinstance(table, LifeTable):
        raise ParameterError(f"table must be a puhui.life.LifeTable, got {type(table).__name__}")
    v = _discount(i)
    x = _whole(x, "x")
    u = _whole(defer, "defer")
    whole_life = n is None
    nn = _whole(0 if whole_life else n, "n")
    x, u, nn = np.broadcast_arrays(x, u, nn)
    table.check_cover(x, None if whole_life else u + nn)
    table._check_ages(x.astype(float), integer=True)
    uniq, inv = np.unique(x.ravel(), return_inverse=True)
    paths, _ = table._paths(uniq)
    n_years = paths.shape[1] - 1
    start = u
    end = np.full_like(u, n_years) if whole_life else u + nn
    return _Cumulants(paths, v, inv.reshape(x.shape), start, end)


def _discount(i) -> float:
    try:
        i = float(i)
    except (TypeError, ValueError):
        raise ParameterError(f"interest rate i must be a number, got {i!r}") from None
    if not np.isfinite(i) or i <= -1:
        raise ParameterError(f"interest rate i must be finite and > −1, got {i}")
    return 1.0 / (1.0 + i)


def _whole(a, name) -> np.ndarray:
    arr = np.asarray(a, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr != np.floor(arr)):
        raise ParameterError(f"{name} must be whole numbers ≥ 0 (years), got {a!r}")
    return arr.astype(np.int64)


def _check_m(m) -> float:
    m = float(m)
    if not (np.isinf(m) and m > 0) and not (m >= 1 and m == np.floor(m)):
        raise ParameterError(f"m (payments a year) must be a whole number ≥ 1 or inf, got {m}")
    return m


def nominal_rates(i: float, m: float) -> tuple[float, float]:
    """Nominal rates ``(i^{(m)}, d^{(m)})`` convertible m-thly (m = inf: force of interest δ)."""
    m = _check_m(m)
    _discount(i)
    delta = np.log1p(i)
    if np.isinf(m):
        return delta, delta
    return m * np.expm1(delta / m), -m * np.expm1(-delta / m)


def _alpha_beta(i: float, m: float) -> tuple[float, float]:
    """UDD coefficients α(m), β(m) with ``ä^{(m)}_x = α ä_x − β``."""
    m = _check_m(m)
    if m == 1:
        return 1.0, 0.0
    if abs(i) < 1e-9:  # limits as i → 0
        return 1.0, (0.5 if np.isinf(m) else (m - 1.0) / (2.0 * m))
    im, dm = nominal_rates(i, m)
    d = i / (1.0 + i)
    return i * d / (im * dm), (i - im) / (im * dm)


def _insurance_factor(i: float, m: float) -> float:
    """``i / i^{(m)}``: UDD factor from end-of-year to end-of-1/m-year death benefits."""
    m = _check_m(m)
    if m == 1 or abs(i) < 1e-12:
        return 1.0
    return i / nominal_rates(i, m)[0]
