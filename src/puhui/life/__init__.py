"""Life tables and life contingencies for special-group cover (特定人群寿险、意外险定价).

* :class:`LifeTable` — one-year death probabilities q_x; l_x, d_x, ₜp_x, e_x, e̊_x with UDD or
  constant force between ages; special-group adjustments (``scaled`` 死亡率加成,
  ``with_extra``, ``with_select`` 选择期, ``with_age_limits`` 投保年龄/保障终止年龄);
* the shipped industry tables 中国人身保险业经验生命表（2010－2013）CL1–CL6 and
  中国人寿保险业经验生命表（2000－2003）CL1–CL4: :func:`load_table`, :func:`china_life_table`,
  :func:`available_tables`; any other table with :meth:`LifeTable.from_file`;
* present values (精算现值) of insurances and annuities, net and gross premiums, reserves;
* graduation of crude rates: :func:`whittaker_henderson`, :class:`GompertzMakeham`.

See ``docs/special_groups.md``.
"""

from __future__ import annotations

from .catalogue import available_tables, china_life_table, load_table
from .graduation import GompertzMakeham, Graduation, whittaker_henderson
from .premiums import (
    BENEFITS,
    Expenses,
    benefit_value,
    gross_premium,
    net_premium,
    net_premium_reserve,
)
from .present_values import (
    annuity_due,
    annuity_immediate,
    endowment_insurance,
    nominal_rates,
    pure_endowment,
    term_insurance,
    whole_life_insurance,
)
from .table import LifeTable

__all__ = [
    "BENEFITS",
    "Expenses",
    "GompertzMakeham",
    "Graduation",
    "LifeTable",
    "annuity_due",
    "annuity_immediate",
    "available_tables",
    "benefit_value",
    "china_life_table",
    "endowment_insurance",
    "gross_premium",
    "load_table",
    "net_premium",
    "net_premium_reserve",
    "nominal_rates",
    "pure_endowment",
    "term_insurance",
    "whittaker_henderson",
    "whole_life_insurance",
]
