"""Credibility (信度理论).

* :class:`BuhlmannStraub`, :class:`Buhlmann` -- one level of contracts (:mod:`.buhlmann`);
* :class:`Hierarchical` -- Jewell's hierarchical model with any number of levels and the
  Bühlmann–Gisler, Ohlsson and iterative estimators (:mod:`.hierarchical`);
* :class:`Hachemeister` -- regression (trend) credibility, intercept at the time origin or at
  the barycentre of time (:mod:`.regression`);
* :func:`full_credibility_standard`, :func:`partial_credibility` -- limited fluctuation
  (:mod:`.limited_fluctuation`).

All fitters follow scikit-learn: the constructor stores the options, ``fit`` returns the fitter
with learned attributes ending in ``_``, bad input raises :class:`puhui.errors.ParameterError`.
Results agree with R actuar's ``cm()`` (see docs/credibility.md and the tests).

>>> import numpy as np
>>> bs = BuhlmannStraub().fit(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [2.0, 2.0, 3.0]]))
>>> round(bs.collective_, 4)
3.1111
"""

from __future__ import annotations

from .buhlmann import Buhlmann, BuhlmannStraub
from .hierarchical import Hierarchical
from .limited_fluctuation import full_credibility_standard, partial_credibility
from .regression import Hachemeister

__all__ = [
    "Buhlmann",
    "BuhlmannStraub",
    "Hachemeister",
    "Hierarchical",
    "full_credibility_standard",
    "partial_credibility",
]
