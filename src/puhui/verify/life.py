"""Recompute a term life rate filing (定期寿险费率表) with :mod:`puhui.life`.

The filing names the industry table(s) (产品信息 ``table`` or ``table_male`` /
``table_female``, e.g. ``CL1_2010_2013`` / ``CL2_2010_2013`` of 中国人身保险业经验生命表
（2010－2013）), the term and age limits; 假设 the interest rate, mortality loading (死亡率加成),
expense loadings and profit margin. Every 费率表 row (age × sex) is recomputed by
:class:`puhui.life.TermLifeProduct`:

* net premium ``P = S · A¹_{x:n} / ä_{x:n}`` (one year: ``S · v · q_x``);
* gross premium ``G = (S·A¹ + I + e·ä) / ((1 − c − m)·ä − c₀)`` (Dickson–Hardy–Waters, AMLCR
  ch. 6), with ``S`` = 假设 ``per`` (rates per 1,000 元 of sum insured, say).

No shipped rulebook bounds a term life rate, so the checklist is empty (the report says so).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError, Problem
from ..life import Expenses, TermLifeProduct, load_table
from .filing import Filing


def product_of(filing: Filing) -> TermLifeProduct:
    """The :class:`~puhui.life.TermLifeProduct` a filing describes."""
    v = filing.value
    if v("table") is not None:
        table = load_table(v("table"))
    elif v("table_male") is not None and v("table_female") is not None:
        table = {"M": load_table(v("table_male")), "F": load_table(v("table_female"))}
    else:
        raise DataError([Problem(f"{filing.source.name}, 产品信息", "table", None,
                                 "missing_field", "give table (one for all) or both "
                                 "table_male and table_female")])
    expenses = Expenses(initial_premium_share=v("initial_premium_share", 0.0),
                        premium_share=v("premium_share"), per_policy=v("per_policy", 0.0),
                        initial_per_policy=v("initial_per_policy", 0.0))
    return TermLifeProduct(table, term=v("term"), interest=v("interest"),
                           mortality_loading=v("mortality_loading"),
                           min_entry_age=v("min_entry_age"), max_entry_age=v("max_entry_age"),
                           max_expiry_age=v("max_expiry_age"), expenses=expenses,
                           profit_margin=v("profit_margin", 0.0), name=str(v("name")))


def recompute(filing: Filing, data=None) -> tuple[list[dict], pd.DataFrame, list[str]]:
    """(comparison rows, an empty checklist, notes) of a term life filing."""
    p = product_of(filing)
    r = filing.rates
    per = float(filing.value("per"))
    age = r["age"].to_numpy(float)
    sex = None if p.sexes is None else r["sex"].astype(str).to_numpy(object)
    net = np.asarray(p.net_premium(age, sex, per))
    gross = np.asarray(p.gross_premium(age, sex, per))
    rows = []
    for col, ours in (("net_premium", net), ("gross_premium", gross)):
        for i in range(len(r)):
            rows.append({"figure": f"{col}.{int(age[i])}.{r['sex'].iat[i]}",
                         "sheet": filing.rates_sheet, "cell": filing.rate_cells[col].iat[i],
                         "filed": r[col].iat[i], "puhui": float(ours[i]), "kind": "rate_money"})
    notes = [(f"{len(r)} rates (age × sex) per {per:,.0f} 元 of sum insured, term {p.term}, "
              f"interest {p.interest:.2%}, mortality loading {p.mortality_loading:.0%}.",
              f"费率表 {len(r)} 行（年龄 × 性别），每 {per:,.0f} 元保额，保险期间 {p.term} 年，"
              f"预定利率 {p.interest:.2%}，死亡率加成 {p.mortality_loading:.0%}。"),
             ("No shipped rulebook bounds a term life rate: the rule checklist is empty.",
              "puhui 未收录约束定期寿险费率的规则库：规则检查表为空。")]
    return rows, pd.DataFrame(), notes
