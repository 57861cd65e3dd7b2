"""Recompute a small-business filing (小微企业财产基本险/综合险, 公众责任险, 雇主责任险) with
:mod:`puhui.smallbiz`. The 产品信息 ``kind`` (property, liability, employer) picks the fields,
the 费率表 and the figures (:data:`puhui.verify.filing.SMALLBIZ_KINDS`).

**Property**:

The filing's 产品信息, 假设 and 费率表 (occupancy × location grade) are turned into a
:class:`puhui.smallbiz.Product` of kind ``property`` (the same strict checks as a product file:
:meth:`puhui.smallbiz.Product.from_dict`). Then:

* every 费率表 row — ``pure_premium``, ``gross_premium`` and ``rate_permille`` of a risk of the
  row's occupancy, grade and sum insured — by :func:`puhui.smallbiz.price_property`
  (pure = λ·r·V·E[X]·(1 − G(d/V)) on the Swiss Re curve, gross by the one gross-up
  ``(E + F + k·n)/(τ − v)``, rate = gross / V × 1000);
* on the data of ``--data`` (the folder of ``puhui datasets example smallbiz``: ``firms`` and
  ``claims``, read by :func:`puhui.cli.smallbiz.read_data` as ``puhui price|review`` read it):
  ``book_gross_premium`` (the latest year's risks priced, as ``puhui price``),
  ``ae.C``, ``credible_ae.C``, ``loss_ratio.C``, ``expense_ratio.C``, ``combined_ratio.C``
  (``C`` an occupancy or ``all``: :func:`puhui.smallbiz.review_property`) and
  ``prob_cr_above_100`` (the latest policy year at its earned premium:
  :func:`puhui.smallbiz.property_prob_loss`), as ``puhui review`` computes them.

**Liability** (公众责任, ``kind = "liability"``): the Product from 产品信息 (limits, deductible,
exposure base) and 假设 (frequency per unit, lognormal severity); every 费率表 row (a policy size
in exposure units) — ``pure_premium`` = E[min(S, A)] (FFT compound Poisson) and
``gross_premium`` — by :func:`puhui.smallbiz.liability_premium`; on the data
(``policies``, ``liability_claims``): ``book_gross_premium`` (the latest year's policies at
the rate card), ``ibnr.Y``, ``ae.Y``, ``credible_ae.Y``, ``loss_ratio.Y``,
``expense_ratio.Y``, ``combined_ratio.Y`` (Y an accident year or ``all``:
:func:`puhui.smallbiz.review_liability` with the filed IBNR method) and ``prob_cr_above_100``
(the latest year at its earned premium: :func:`puhui.smallbiz.liability_prob_loss`).

**Employer** (雇主责任, ``kind = "employer"``): the Product from 产品信息 (limits, medical terms,
NCD scale) and 假设 (rates of 职业类别 1, the grades' distribution ``disability_grade_1…10``,
medical cost); the 费率表's ``class_factor`` per 职业类别 1–6; every row's ``pure_premium`` and
``gross_premium`` per head by :func:`puhui.smallbiz.employer_rates`; on the data (``groups``):
``book_manual_premium`` (the latest year's groups at the class rates:
:func:`puhui.smallbiz.price_groups`), ``rated_premium`` (Σ experience-rated premium,
:func:`puhui.smallbiz.experience_rate`), ``loss_ratio.Y``, ``expense_ratio.Y``,
``combined_ratio.Y`` (:func:`puhui.smallbiz.review_employer`) and ``prob_cr_above_100`` (the
latest year at its premium: :func:`puhui.smallbiz.employer_prob_loss`).

Rules: :func:`puhui.smallbiz.reporting.rule_check` (:func:`puhui.rules.check`) on the filed
pricing basis — the target 综合成本率, which the filed gross premiums meet by construction. No
regulation rulebook applies to small-business cover (puhui ships none: 金办发〔2025〕46号 asks for
the cover but sets no figure); the rows are the family's EXAMPLE company policy book, and the
report says so. The experience figures are recomputed and compared, not judged against that
book (a bad year is not a filing error).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import DataError, ParameterError, Problem
from .filing import Filing

EXPENSE_KEYS = ("commission", "admin", "taxes", "protection_fund", "per_member", "per_claim")


def _one_per(filing: Filing, key: str, column: str) -> dict:
    """``column``'s value per ``key`` of the 费率表, which must be one value per key."""
    r = filing.rates
    out = {}
    for name, sub in r.groupby(key, sort=False):
        values = sub[column].unique()
        if len(values) != 1:
            raise DataError([Problem(f"{filing.source.name}, {filing.rates_sheet}", column,
                                     None, "inconsistent", f"{key} {name}: one {column} per "
                                     f"{key}, got {sorted(values)}")])
        out[str(name)] = values[0]
    return out


def _kind(filing: Filing) -> str:
    from .filing import SMALLBIZ_KINDS

    kind = str(filing.value("kind"))
    if kind not in SMALLBIZ_KINDS:
        sheet, cell = filing.where("kind")
        raise ParameterError(f"{filing.source.name}, {sheet} {cell}: kind {kind!r} — a "
                             f"smallbiz filing is of kind {', '.join(SMALLBIZ_KINDS)}")
    return kind


def _head(filing: Filing, kind: str) -> dict:
    v = filing.value
    return {"family": "smallbiz",
            "product": {"code": v("code"), "name": v("name"), "kind": kind,
                        "target_combined_ratio": v("target_combined_ratio")},
            "expenses": {k: v(k) for k in EXPENSE_KEYS if v(k) is not None}}


def _given(filing: Filing, keys) -> dict:
    return {k: filing.value(k) for k in keys if filing.value(k) is not None}


def product_of(filing: Filing):
    """The :class:`~puhui.smallbiz.Product` (of the filing's ``kind``) a filing describes."""
    from ..smallbiz import Product

    kind = _kind(filing)
    doc = _head(filing, kind)
    if kind == "liability":
        doc["liability"] = _given(filing, (
            "exposure_base", "frequency", "severity_median", "severity_sigma", "deductible",
            "limit_per_accident", "aggregate_limit", "ilf_base_limit"))
        return Product.from_dict(doc, source=filing.source.name)
    if kind == "employer":
        doc["employer"] = _employer_terms(filing)
        return Product.from_dict(doc, source=filing.source.name)
    v = filing.value
    r = filing.rates
    freq = _one_per(filing, "occupancy", "frequency")
    curve = _one_per(filing, "occupancy", "curve")
    zh = {}
    if "occupancy_zh" in r:
        zh = {str(k): str(s.dropna().iat[0]) for k, s in r.groupby("occupancy")["occupancy_zh"]
              if s.notna().any()}
    occupancy = {name: {"frequency": float(freq[name]), "curve": float(curve[name]),
                        **({"zh": zh[name]} if name in zh else {})} for name in freq}
    grades = {k: float(x) for k, x in _one_per(filing, "location_grade", "grade_factor").items()}
    prop = {"cover": v("cover"), "deductible": v("deductible"), "occupancy": occupancy,
            "location_grade": grades}
    for key in ("payout_ratio", "basic_share"):
        if v(key) is not None:
            prop[key] = v(key)
    doc["property"] = prop
    return Product.from_dict(doc, source=filing.source.name)


def _employer_terms(filing: Filing) -> dict:
    """The ``[employer]`` table of the product a 雇主责任 filing describes: its 产品信息 and 假设
    fields, the class factors of the 费率表 (职业类别 1–6, each once) and the NCD scale."""
    terms = _given(filing, (
        "exposure_base", "average_salary", "death_disability_limit", "death_rate",
        "disability_rate", "disability_share", "medical_limit", "medical_deductible",
        "medical_ratio", "medical_frequency", "medical_median", "medical_sigma", "credibility"))
    grades = [filing.value(f"disability_grade_{k}") for k in range(1, 11)]
    if any(g is not None for g in grades):
        if any(g is None for g in grades):
            sheet, _ = filing.where("disability_grade_1")
            raise ParameterError(f"{filing.source.name}, {sheet}: give all ten "
                                 "disability_grade_1 … disability_grade_10 (伤残等级 1–10) or none")
        terms["grade_probabilities"] = [float(g) for g in grades]
    factors = _one_per(filing, "occupation_class", "class_factor")
    if sorted(factors) != [str(k) for k in range(1, 7)]:
        raise DataError([Problem(f"{filing.source.name}, {filing.rates_sheet}",
                                 "occupation_class", None, "missing_value",
                                 "one row per 职业类别 1–6, got "
                                 f"{', '.join(sorted(factors)) or 'none'}")])
    terms["class_factors"] = [float(factors[str(k)]) for k in range(1, 7)]
    sheet, cell = filing.where("ncd_relativities")
    try:
        rel = [float(x) for x in str(filing.value("ncd_relativities")).replace("，", ",")
               .split(",") if x.strip()]
    except ValueError:
        raise ParameterError(f"{filing.source.name}, {sheet} {cell}: ncd_relativities must be "
                             "numbers separated by commas (0.7, 0.8, …)") from None
    terms["ncd"] = {"relativities": rel, "start": filing.value("ncd_start"),
                    **_given(filing, ("ncd_penalty",))}
    if "ncd_penalty" in terms["ncd"]:
        terms["ncd"]["penalty"] = terms["ncd"].pop("ncd_penalty")
    return terms


def rate_rows(product, rates: pd.DataFrame) -> pd.DataFrame:
    """The 费率表 rows priced, with ``pure_premium`` and ``gross_premium`` (and
    ``rate_permille`` for property): property — :func:`puhui.smallbiz.price_property` of one
    risk per row; liability — :func:`puhui.smallbiz.liability_premium` of each row's
    ``units``; employer — :func:`puhui.smallbiz.employer_rates` of each row's 职业类别."""
    from ..smallbiz import employer_rates, liability_premium, price_property

    if product.kind == "liability":
        card = liability_premium(product, rates["units"].to_numpy(float)).set_index("units")
        return card.reindex(rates["units"].to_numpy(float)).reset_index()
    if product.kind == "employer":
        per_head = employer_rates(product).set_index("occupation_class")
        out = per_head.reindex(rates["occupation_class"].astype(int).to_numpy()).reset_index()
        return out.rename(columns={"pure_per_head": "pure_premium",
                                   "gross_per_head": "gross_premium"})

    risks = pd.DataFrame({"sum_insured": rates["sum_insured"].to_numpy(float),
                          "occupancy": rates["occupancy"].astype(str).to_numpy(object),
                          "location_grade": rates["location_grade"].astype(str).to_numpy(object)})
    return price_property(product, risks, table="费率表 rates")


def experience_values(product, data, *, ibnr: str | None = None
                      ) -> tuple[dict[str, float], list[tuple[str, str]]]:
    """The figures recomputed from the data folder ``data`` (module docstring), with notes;
    ``ibnr``: the filed IBNR method of a liability filing (default Bornhuetter–Ferguson)."""
    from ..cli.smallbiz import read_data
    from ..smallbiz import price_property, property_prob_loss, review_property

    if product.kind == "liability":
        return _liability_values(product, data, ibnr or "bornhuetter_ferguson")
    if product.kind == "employer":
        return _employer_values(product, data)

    risks = read_data(product, data, "price")[0]["risks"]
    book = read_data(product, data, "review")[0]["book"]
    values = {"book_gross_premium": float(price_property(product, risks)["gross_premium"].sum())}
    res = review_property(product, book)
    for _, row in res.iterrows():
        c = row["occupancy"]
        for col in ("ae", "credible_ae", "loss_ratio", "expense_ratio", "combined_ratio"):
            values[f"{col}.{c}"] = float(row[col])
    last = int(book["year"].max())
    latest = book[book["year"] == last]
    values["prob_cr_above_100"] = float(property_prob_loss(product, latest,
                                                           latest["premium"].to_numpy(float)))
    first = int(book["year"].min())
    notes = [(f"Experience of policy years {first}–{last} ({len(book):,} risk-years) and the "
              f"{len(risks):,} risks of {last} priced, from {Path(data).name}.",
              f"经验数据：{first}–{last} 保单年度（{len(book):,} 个风险单位年），"
              f"{last} 年 {len(risks):,} 个标的按报备基础定价，数据目录 {Path(data).name}。")]
    return values, notes


def _liability_values(product, data, ibnr):
    from ..cli.smallbiz import read_data
    from ..smallbiz import liability_premium, liability_prob_loss, review_liability

    latest = read_data(product, data, "price")[0]["policies_table"]
    tables = read_data(product, data, "review")[0]
    pol, claims = tables["policies_table"], tables["claims"]
    card = liability_premium(product, latest["units"].to_numpy(float)).set_index("units")
    values = {"book_gross_premium": float(card["gross_premium"].reindex(
        latest["units"].to_numpy(float)).sum())}
    last = int(pol["year"].max())
    as_of = f"{last}-12-31"
    res = review_liability(product, pol, claims, as_of=as_of, ibnr=ibnr)
    for _, row in res.iterrows():
        for col, fig in (("ibnr_amount", "ibnr"), ("ae", "ae"), ("credible_ae", "credible_ae"),
                         ("loss_ratio", "loss_ratio"), ("expense_ratio", "expense_ratio"),
                         ("combined_ratio", "combined_ratio")):
            values[f"{fig}.{row['year']}"] = float(row[col])
    year = pol[pol["year"] == last]
    values["prob_cr_above_100"] = liability_prob_loss(product, year["units"].to_numpy(float),
                                                      year["premium"].to_numpy(float))
    first = int(pol["year"].min())
    notes = [(f"Experience of policy years {first}–{last} ({len(pol):,} policy-years, "
              f"{len(claims):,} claims reported by {as_of}; IBNR: {res.attrs['ibnr_method']}) "
              f"and the {len(latest):,} policies of {last} priced, from {Path(data).name}.",
              f"经验数据：{first}–{last} 保单年度（{len(pol):,} 个保单年度，截至 {as_of} 已报告赔案 "
              f"{len(claims):,} 件；IBNR 方法 {ibnr}），{last} 年 {len(latest):,} 张保单按报备费率"
              f"定价，数据目录 {Path(data).name}。")]
    return values, notes


def _employer_values(product, data):
    from ..cli.smallbiz import read_data
    from ..smallbiz import employer_prob_loss, experience_rate, price_groups, review_employer

    groups = read_data(product, data, "review")[0]["groups"]
    latest = read_data(product, data, "price")[0]["groups"]
    values = {"book_manual_premium": float(price_groups(product, latest)["manual_premium"]
                                           .sum()),
              "rated_premium": float(experience_rate(product, groups)["rated_premium"].sum())}
    years = review_employer(product, groups)
    for _, row in years.iterrows():
        for col in ("loss_ratio", "expense_ratio", "combined_ratio"):
            values[f"{col}.{int(row['year'])}"] = float(row[col])
    last = int(groups["year"].max())
    mask = (groups["year"] == last).to_numpy()
    values["prob_cr_above_100"] = employer_prob_loss(
        product, groups[mask], years.attrs["premium_by_group"][mask])
    first = int(groups["year"].min())
    n = groups["group"].nunique()
    notes = [(f"Experience of {n:,} groups over {first}–{last} and the {len(latest):,} groups "
              f"of {last} at the class rates, from {Path(data).name}.",
              f"经验数据：{n:,} 个团体，{first}–{last} 年度；{last} 年 {len(latest):,} 个团体按职业"
              f"类别费率定价，数据目录 {Path(data).name}。")]
    return values, notes


def recompute(filing: Filing, data=None) -> tuple[list[dict], pd.DataFrame, list]:
    """(comparison rows, rule checklist with sheet/cell, notes) of a smallbiz filing."""
    from ..smallbiz.reporting import rule_check

    product = product_of(filing)
    r = filing.rates
    priced = rate_rows(product, r)
    rows = []
    key = filing.family.rate_key
    for col in filing.family.rate_figures:
        kind = next(f.tolerance for f in filing.family.figures if f.id == col)
        for i in range(len(r)):
            rows.append({"figure": ".".join([col, *(_label(r[k].iat[i]) for k in key)]),
                         "sheet": filing.rates_sheet, "cell": filing.rate_cells[col].iat[i],
                         "filed": r[col].iat[i], "puhui": float(priced[col].iat[i]),
                         "kind": kind})
    notes = [_rates_note(product, len(r))]
    res = filing.results
    if len(res):
        if data is None:
            raise ParameterError(f"{filing.source.name}: the filed results "
                                 f"({', '.join(res['figure'][:5])}{' …' if len(res) > 5 else ''})"
                                 " are recomputed from the experience: give the data folder "
                                 "(puhui datasets example smallbiz --out DIR) with --data DIR")
        values, more = experience_values(product, data, ibnr=filing.value("ibnr_method"))
        notes += more
        rows += _result_rows(filing, values)
    rules = rule_check(product, {"combined_ratio": product.target_combined_ratio},
                       as_of=filing.as_of)
    sheet, cell = filing.where("target_combined_ratio")
    rules["sheet"], rules["cell"] = sheet, cell
    rules["row"] = ""
    notes.append(NO_REGULATION)
    return rows, rules, notes


def _label(x) -> str:
    """A 费率表 key in a figure id: whole numbers without ``.0`` (units 5, 职业类别 3)."""
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def _rates_note(product, n: int) -> tuple[str, str]:
    t = product.terms
    tau = f"{product.target_combined_ratio:.0%}"
    if product.kind == "liability":
        lim, agg, d = (f"{t.limit_per_accident:,.0f}", f"{t.aggregate_limit:,.0f}",
                       f"{t.deductible:,.0f}")
        return (f"{n} 费率表 rows (policy sizes) priced by puhui.smallbiz.liability_premium: "
                "pure = E[min(S, A)] by FFT, gross = (E + F + k·n)/(τ − v) with τ = "
                f"{tau}, 每次事故赔偿限额 {lim} 元, 累计赔偿限额 {agg} 元, 每次事故免赔额 {d} 元.",
                f"费率表 {n} 行（保单规模）由 puhui.smallbiz.liability_premium 重算：纯保费 = "
                f"E[min(S, A)]（FFT），毛保费 = (E + F + k·n)/(τ − v)，目标综合成本率 τ = {tau}，"
                f"每次事故赔偿限额 {lim} 元，累计赔偿限额 {agg} 元，每次事故免赔额 {d} 元。")
    if product.kind == "employer":
        lim, med = f"{t.death_disability_limit:,.0f}", f"{t.medical_limit:,.0f}"
        return (f"{n} 费率表 rows (职业类别) priced by puhui.smallbiz.employer_rates: pure = "
                "φ_k[(q_d + q_dis s̄)L + μ E[min(r(X − d)₊, M)]] per head, gross = "
                f"(E + F + k·n)/(τ − v) with τ = {tau}, 每人伤亡责任限额 {lim} 元, 每人医疗费用"
                f"限额 {med} 元.",
                f"费率表 {n} 行（职业类别）由 puhui.smallbiz.employer_rates 重算：每人纯保费 = "
                "φ_k[(q_d + q_dis s̄)L + μ E[min(r(X − d)₊, M)]]，毛保费 = (E + F + k·n)/(τ − v)，"
                f"目标综合成本率 τ = {tau}，每人伤亡责任限额 {lim} 元，每人医疗费用限额 {med} 元。")
    return (f"{n} 费率表 rows (occupancy × location grade) priced by "
            "puhui.smallbiz.price_property: pure = λ·r·V·E[X]·(1 − G(d/V)), gross = "
            f"(E + F + k·n)/(τ − v) with τ = {tau}, 每次事故免赔额 "
            f"{t.deductible:,.0f} 元, 赔付比例 {t.payout_ratio:.0%}, cover {t.cover}.",
            f"费率表 {n} 行（占用性质 × 地段风险等级）由 puhui.smallbiz.price_property 重算："
            "纯保费 = λ·r·V·E[X]·(1 − G(d/V))，毛保费 = (E + F + k·n)/(τ − v)，"
            f"目标综合成本率 τ = {tau}，每次事故免赔额 "
            f"{t.deductible:,.0f} 元，赔付比例 {t.payout_ratio:.0%}，保障类型 {t.cover}。")


#: The note every smallbiz and gig verification carries (English, 中文).
NO_REGULATION = (
    "No regulation rulebook applies to this family: puhui's regulation books in force are scoped "
    "to agriculture and 惠民保, and none sets a figure for small-business or gig-worker cover "
    "(金办发〔2025〕46号 asks for the cover but sets no figure). The rule checklist is the "
    "family's EXAMPLE company policy book (not a regulation), applied to the filed pricing "
    "basis; the experience figures are recomputed and compared, not judged against it.",
    "本险种无适用的监管规则库：puhui 现行的监管规则库仅适用于农业保险和惠民保，均未对小微企业保险或"
    "灵活就业人员保险设定数值（金办发〔2025〕46号要求提供保障，但未设定具体数值）。规则检查表为该"
    "险种的示例公司政策（非监管规定），仅用于检查报备的定价基础；经验数据指标只做重算比对，不以该"
    "政策评判。")


def _result_rows(filing: Filing, values: dict[str, float]) -> list[dict]:
    """The 结果 rows beside their recomputed values (:func:`puhui.verify.compare.result_rows`)."""
    from .compare import result_rows

    return result_rows(filing, values, missing_hint="a class or cell not in the data?")
