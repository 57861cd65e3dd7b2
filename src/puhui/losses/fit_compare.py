"""Compare severity families on the same (truncated, censored) data.

Example
-------
>>> import numpy as np
>>> x = np.random.default_rng(7).gamma(2.0, 500.0, size=500)
>>> table = compare_fits(x, families=["expon", "gamma", "lognorm"])
>>> table.index[0]  # the gamma law that made the data has the smallest AIC
'gamma'
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from puhui.errors import ParameterError
from puhui.losses.fit import ConvergenceWarning, SeverityFitter
from puhui.losses.fit_families import FAMILIES, get_family
from puhui.losses.fit_gof import gof_statistics
from puhui.losses.fit_likelihood import as_severity_data

__all__ = ["compare_fits", "DEFAULT_FAMILIES"]

DEFAULT_FAMILIES: tuple[str, ...] = tuple(FAMILIES)

_COLUMNS = ["label", "k", "loglik", "aic", "bic", "delta_aic", "ks", "ad", "converged",
            "params"]


def compare_fits(x, families=None, *, truncation=None, censored=None, weights=None,
                 return_fitters: bool = False):
    """Fit several severity families and rank them by AIC (最小 AIC 优先).

    Parameters
    ----------
    x, truncation, censored, weights
        As in :meth:`puhui.losses.fit.SeverityFitter.fit` (ground-up losses in yuan,
        deductible per loss, "reached the limit" flags, frequency weights).
    families : list of str, optional
        Family names or aliases; all eight by default.
    return_fitters : bool
        Also return the fitted :class:`SeverityFitter` objects, keyed by family.

    Returns
    -------
    pandas.DataFrame
        One row per family (index ``family``), sorted by AIC: ``label``, ``k`` (estimated
        parameters), ``loglik``, ``aic = 2k − 2ℓ``, ``bic = k log n − 2ℓ``, ``delta_aic``,
        ``ks`` and ``ad`` (Kolmogorov–Smirnov and Anderson–Darling against the truncated fitted
        cdf, censored observations through the Kaplan–Meier estimate; see
        :mod:`puhui.losses.fit_gof`), ``converged`` and ``params`` (dict). A family whose
        fit fails gets NaN statistics and ``converged = False`` and is listed last.
    """
    data = as_severity_data(x, truncation, censored, weights)
    names = DEFAULT_FAMILIES if families is None else families
    if isinstance(names, str) or len(names) == 0:
        raise ParameterError("families: give a non-empty list of family names, e.g. "
                             "['lognorm', 'gamma']")
    canon = [get_family(f).name for f in names]
    if len(set(canon)) != len(canon):
        raise ParameterError(f"families: a family is listed twice in {list(names)}")

    rows, fitters = [], {}
    for fam in canon:
        label = FAMILIES[fam].en
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                f = SeverityFitter(fam).fit(data.x, data.truncation, data.censored,
                                            data.weights)
        except (ParameterError, ArithmeticError, np.linalg.LinAlgError) as err:
            warnings.warn(f"compare_fits: {fam} could not be fitted ({err})", ConvergenceWarning,
                          stacklevel=2)
            rows.append({"family": fam, "label": label, "k": len(FAMILIES[fam].param_names),
                         "loglik": np.nan, "aic": np.nan, "bic": np.nan, "ks": np.nan,
                         "ad": np.nan, "converged": False, "params": {}})
            continue
        fitters[fam] = f
        gof = gof_statistics(f.dist_, f.data_)
        rows.append({"family": fam, "label": label, "k": f.k_, "loglik": f.loglik_,
                     "aic": f.aic_, "bic": f.bic_, "ks": gof["ks"], "ad": gof["ad"],
                     "converged": f.converged_, "params": dict(f.params_)})

    table = pd.DataFrame(rows).set_index("family")
    table = table.sort_values("aic", kind="stable", na_position="last")
    table["delta_aic"] = table["aic"] - table["aic"].min()
    table = table[_COLUMNS]
    return (table, fitters) if return_fitters else table
