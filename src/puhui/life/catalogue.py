"""The industry life tables shipped with puhui (行业经验生命表).

* 中国人身保险业经验生命表（2010－2013）, CL(2010–2013): six tables, ages 0–105, annex of the
  中国保监会 notice of 2016-12-21 《关于使用〈中国人身保险业经验生命表（2010－2013）〉有关事项的
  通知》(保监发〔2016〕107号). CL1/CL2 非养老类业务一表 (male/female; term and whole life,
  定期寿险、终身寿险), CL3/CL4 非养老类业务二表 (male/female; endowment and other savings
  business, 两全保险等), CL5/CL6 养老类业务表 (male/female; annuities, 年金).
* 中国人寿保险业经验生命表（2000－2003）, CL(2000–2003): four tables, ages 0–105, annex of the
  CIRC notice of 2005-12 (保监发〔2005〕117号). CL1/CL2 非养老金业务 (male/female), CL3/CL4
  养老金业务 (male/female).

The 2025 table (中国人身保险业经验生命表（2025）, in force from 2026-01-01) is not shipped;
load it with :meth:`LifeTable.from_file` when you hold it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import pandas as pd

from ..errors import ParameterError
from .table import LifeTable

NOTICE_2016 = ("中国保监会《关于使用〈中国人身保险业经验生命表（2010－2013）〉有关事项的通知》"
               "(保监发〔2016〕107号), 2016-12-21, annex")
NOTICE_2005 = ("中国保监会《关于颁布〈中国人寿保险业经验生命表（2000－2003）〉的通知》"
               "(保监发〔2005〕117号), 2005-12, annex")

# name → (file, column, period, code, sex, business (zh), business (en), source)
_CATALOGUE = {
    "CL1_2010_2013": ("cl_2010_2013.csv", "CL1_nonannuity1_male", "2010-2013", "CL1", "M",
                      "非养老类业务一表", "non-annuity business I (term, whole life)", NOTICE_2016),
    "CL2_2010_2013": ("cl_2010_2013.csv", "CL2_nonannuity1_female", "2010-2013", "CL2", "F",
                      "非养老类业务一表", "non-annuity business I (term, whole life)", NOTICE_2016),
    "CL3_2010_2013": ("cl_2010_2013.csv", "CL3_nonannuity2_male", "2010-2013", "CL3", "M",
                      "非养老类业务二表", "non-annuity business II (endowment)", NOTICE_2016),
    "CL4_2010_2013": ("cl_2010_2013.csv", "CL4_nonannuity2_female", "2010-2013", "CL4", "F",
                      "非养老类业务二表", "non-annuity business II (endowment)", NOTICE_2016),
    "CL5_2010_2013": ("cl_2010_2013.csv", "CL5_annuity_male", "2010-2013", "CL5", "M",
                      "养老类业务表", "annuity business", NOTICE_2016),
    "CL6_2010_2013": ("cl_2010_2013.csv", "CL6_annuity_female", "2010-2013", "CL6", "F",
                      "养老类业务表", "annuity business", NOTICE_2016),
    "CL1_2000_2003": ("cl_2000_2003.csv", "CL1_nonannuity_male", "2000-2003", "CL1", "M",
                      "非养老金业务表", "non-annuity business", NOTICE_2005),
    "CL2_2000_2003": ("cl_2000_2003.csv", "CL2_nonannuity_female", "2000-2003", "CL2", "F",
                      "非养老金业务表", "non-annuity business", NOTICE_2005),
    "CL3_2000_2003": ("cl_2000_2003.csv", "CL3_annuity_male", "2000-2003", "CL3", "M",
                      "养老金业务表", "annuity business", NOTICE_2005),
    "CL4_2000_2003": ("cl_2000_2003.csv", "CL4_annuity_female", "2000-2003", "CL4", "F",
                      "养老金业务表", "annuity business", NOTICE_2005),
}


def available_tables() -> pd.DataFrame:
    """The shipped tables: name, period, code, sex, business (Chinese and English), source.

    Examples
    --------
    >>> from puhui.life import available_tables
    >>> available_tables()["name"].tolist()[:2]
    ['CL1_2010_2013', 'CL2_2010_2013']
    """
    rows = [{"name": k, "period": v[2], "code": v[3], "sex": v[4], "business_zh": v[5],
             "business": v[6], "source": v[7]} for k, v in _CATALOGUE.items()]
    return pd.DataFrame(rows)


def load_table(name: str) -> LifeTable:
    """Load a shipped industry table by name, e.g. ``"CL1_2010_2013"``.

    Spellings such as ``"CL1(2010-2013)"``, ``"cl1 2010–2013"`` are accepted.

    Examples
    --------
    >>> from puhui.life import load_table
    >>> t = load_table("CL1_2010_2013")
    >>> round(float(t.qx[50]), 6)  # Xinhua: 0.4249% at age 50
    0.004249
    """
    key = _normalise(name)
    if key not in _CATALOGUE:
        raise ParameterError(f"unknown life table {name!r}; available: {list(_CATALOGUE)} "
                             "(load any other table with LifeTable.from_file)")
    file, column, *_rest, source = _CATALOGUE[key]
    frame = _read(file)
    return LifeTable.from_frame(frame[["age", column]], column=column, name=key, source=source)


def china_life_table(period: str = "2010-2013", code: str = "CL1") -> LifeTable:
    """An industry table by period and code: ``china_life_table("2010-2013", "CL5")``."""
    return load_table(f"{code}_{period}")


def _normalise(name: str) -> str:
    m = re.fullmatch(r"\s*(CL\d)\s*[_(（\s]*\s*(\d{4})\s*[-–－_~～]\s*(\d{4})\s*[)）]?\s*",
                     str(name), flags=re.IGNORECASE)
    if not m:
        return str(name)
    return f"{m.group(1).upper()}_{m.group(2)}_{m.group(3)}"


@lru_cache(maxsize=4)
def _read(file: str) -> pd.DataFrame:
    with resources.files("puhui.life").joinpath("tables", file).open("rb") as fh:
        return pd.read_csv(fh)
