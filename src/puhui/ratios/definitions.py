"""Combined ratio (综合成本率) and loss ratios by the Chinese regulatory definitions.

For one accounting period (a statement, 利润表口径)::

    已赚保费 earned_premium = 保费收入 − 分出保费 − 提取未到期责任准备金
    综合赔付率 loss_ratio    = (赔付支出 − 摊回赔付支出 + 提取未决赔款准备金 − 摊回未决赔款准备金)
                              / 已赚保费
    综合费用率 expense_ratio = (手续费及佣金 + 业务及管理费 + 税金及附加 + 分保费用 − 摊回分保费用
                              + 保险保障基金) / 已赚保费
    综合成本率 combined_ratio = 综合赔付率 + 综合费用率          (< 100%: underwriting profit)
    简单赔付率 simple_loss_ratio = (已决 + 未决) / 保费收入
                              = (赔付支出 + 提取未决赔款准备金) / 保费收入    (gross)

For one underwriting (policy) year (业务年度口径), :func:`underwriting_year_ratios`::

    满期赔付率 earned_loss_ratio = (已决 + 未决, 含 IBNR) / 满期(已赚)保费
    简单赔付率 simple_loss_ratio = (已决 + 未决, 含 IBNR) / 保费收入

Money in yuan, ratios as fractions (0.95, not 95). Source: /work/shared/design/DOMAIN.md,
section "Ratios"; docs/ratios.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from puhui.errors import ParameterError

#: Statement fields: name → (Chinese term, required, may be negative).
STATEMENT_FIELDS: dict[str, tuple[str, bool, bool]] = {
    "gross_written_premium": ("保费收入", True, False),
    "ceded_premium": ("分出保费", False, False),
    "change_in_upr": ("提取未到期责任准备金", True, True),
    "claims_paid": ("赔付支出", True, False),
    "ceded_claims_paid": ("摊回赔付支出", False, False),
    "change_in_claim_reserves": ("提取未决赔款准备金 (含 IBNR)", True, True),
    "ceded_change_in_claim_reserves": ("摊回未决赔款准备金", False, True),
    "commission": ("手续费及佣金", True, False),
    "admin_expenses": ("业务及管理费", True, False),
    "taxes_and_surcharges": ("税金及附加", True, False),
    "reinsurance_expenses": ("分保费用", False, False),
    "ceded_reinsurance_expenses": ("摊回分保费用", False, False),
    "protection_fund": ("保险保障基金", True, False),
}

#: Output columns of :func:`combined_ratio` with their Chinese terms.
RATIO_FIELDS: dict[str, str] = {
    "earned_premium": "已赚保费",
    "net_claims_incurred": "赔付成本 (净)",
    "total_expenses": "综合费用",
    "loss_ratio": "综合赔付率",
    "expense_ratio": "综合费用率",
    "combined_ratio": "综合成本率",
    "simple_loss_ratio": "简单赔付率",
    "underwriting_result": "承保利润",
}


@dataclass(frozen=True)
class Statement:
    """Income-statement lines of one accounting period (or arrays of them), in yuan.

    Attributes
    ----------
    gross_written_premium : 保费收入 — gross written premium (direct + assumed).
    change_in_upr : 提取未到期责任准备金 — increase in the unearned premium reserve, as in
        the income statement (net of the reinsurers' share); negative when released.
    claims_paid : 赔付支出 — gross claims paid in the period.
    change_in_claim_reserves : 提取未决赔款准备金 — increase in outstanding claim reserves,
        case reserves and IBNR (含 IBNR); negative when released.
    commission : 手续费及佣金 — commission and brokerage.
    admin_expenses : 业务及管理费 — operating and administrative expenses.
    taxes_and_surcharges : 税金及附加 — taxes and surcharges.
    protection_fund : 保险保障基金 — insurance protection fund levy.
    ceded_premium : 分出保费 — premium ceded to reinsurers (default 0: no reinsurance).
    ceded_claims_paid : 摊回赔付支出 — reinsurers' share of claims paid.
    ceded_change_in_claim_reserves : 摊回未决赔款准备金 — reinsurers' share of the increase in
        claim reserves.
    reinsurance_expenses : 分保费用 — expenses on assumed reinsurance.
    ceded_reinsurance_expenses : 摊回分保费用 — ceding commission recovered from reinsurers.
    """

    gross_written_premium: float
    change_in_upr: float
    claims_paid: float
    change_in_claim_reserves: float
    commission: float
    admin_expenses: float
    taxes_and_surcharges: float
    protection_fund: float
    ceded_premium: float = 0.0
    ceded_claims_paid: float = 0.0
    ceded_change_in_claim_reserves: float = 0.0
    reinsurance_expenses: float = 0.0
    ceded_reinsurance_expenses: float = 0.0


@dataclass(frozen=True)
class Ratios:
    """Result of :func:`combined_ratio` on a :class:`Statement` (floats or arrays)."""

    earned_premium: float
    net_claims_incurred: float
    total_expenses: float
    loss_ratio: float
    expense_ratio: float
    combined_ratio: float
    simple_loss_ratio: float
    underwriting_result: float

    def summary(self) -> pd.DataFrame:
        """The ratios as a table with their Chinese terms."""
        values = {f.name: np.atleast_1d(getattr(self, f.name)) for f in fields(self)}
        out = pd.DataFrame(values)
        out.attrs["zh"] = dict(RATIO_FIELDS)
        return out


def _validate(cols: dict[str, np.ndarray], where) -> None:
    for name, arr in cols.items():
        zh, _, signed = STATEMENT_FIELDS[name]
        bad = ~np.isfinite(arr)
        if bad.any():
            raise ParameterError(f"{name} ({zh}) must be a finite number; not in {where(bad)}")
        if not signed and (arr < 0).any():
            raise ParameterError(f"{name} ({zh}) must not be negative; it is in {where(arr < 0)}")


def _compute(c: dict[str, np.ndarray], where) -> dict[str, np.ndarray]:
    earned = c["gross_written_premium"] - c["ceded_premium"] - c["change_in_upr"]
    if (earned <= 0).any():
        raise ParameterError(
            "earned premium (已赚保费 = 保费收入 − 分出保费 − 提取未到期责任准备金) must be "
            f"positive for the ratios to be defined; it is ≤ 0 in {where(earned <= 0)}")
    claims = (c["claims_paid"] - c["ceded_claims_paid"] + c["change_in_claim_reserves"]
              - c["ceded_change_in_claim_reserves"])
    expenses = (c["commission"] + c["admin_expenses"] + c["taxes_and_surcharges"]
                + c["reinsurance_expenses"] - c["ceded_reinsurance_expenses"]
                + c["protection_fund"])
    gross = c["gross_written_premium"]
    with np.errstate(divide="ignore", invalid="ignore"):
        simple = np.where(gross > 0, (c["claims_paid"] + c["change_in_claim_reserves"]) / gross,
                          np.nan)
    loss, expense = claims / earned, expenses / earned
    return {"earned_premium": earned, "net_claims_incurred": claims, "total_expenses": expenses,
            "loss_ratio": loss, "expense_ratio": expense,
            "combined_ratio": combined_ratio_from(loss, expense),
            "simple_loss_ratio": simple, "underwriting_result": earned - claims - expenses}


def _ratio_array(name: str, value) -> np.ndarray:
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: expected numbers, got {type(value).__name__}") from None


def combined_ratio_from(loss_ratio, expense_ratio):
    """综合成本率 = 综合赔付率 + 综合费用率, vectorised: the one combined ratio from its parts.

    Every combined ratio of the package is this sum (statements, underwriting years, expected
    ratios of a price); NaN (a period with no premium) propagates.

    >>> round(float(combined_ratio_from(0.8, 0.16)), 12)
    0.96
    >>> combined_ratio_from([0.7, 0.9], 0.108).round(3).tolist()
    [0.808, 1.008]
    """
    lr, er = _ratio_array("loss_ratio", loss_ratio), _ratio_array("expense_ratio", expense_ratio)
    try:
        return (lr + er)[()]
    except ValueError:
        raise ParameterError(f"loss_ratio {lr.shape} and expense_ratio {er.shape} do not "
                             "broadcast") from None


def expected_combined_ratio(claims, premium, *, variable_rate=0.0, fixed_expenses=0.0):
    """Expected combined ratio of a premium: ``CR = (E + e)/P + v`` (vectorised).

    With expected claims ``E``, fixed expenses ``e`` (per member, 元) and the variable expense
    rate ``v`` (a share of premium) at premium ``P``: loss ratio ``E/P`` plus expense ratio
    ``e/P + v``, summed by :func:`combined_ratio_from` as ``(E + e)/P`` plus ``v``. The inverse
    of :func:`puhui.pricing.gross_up`: the premium grossed up to target ``τ`` has ``CR = τ``.
    A premium of 0 gives inf or NaN (no ratio), as for a design that is never sold.

    >>> round(float(expected_combined_ratio(80.0, 100.0, variable_rate=0.1,
    ...                                     fixed_expenses=2.0)), 12)   # 82/100 + 0.1
    0.92
    """
    claims = _ratio_array("claims", claims)
    fixed = _ratio_array("fixed_expenses", fixed_expenses)
    premium = _ratio_array("premium", premium)
    with np.errstate(divide="ignore", invalid="ignore"):
        return combined_ratio_from((claims + fixed) / premium, variable_rate)


def combined_ratio(statement: Statement | pd.DataFrame | Mapping) -> Ratios | pd.DataFrame:
    """综合赔付率, 综合费用率, 综合成本率 and 简单赔付率 of one or many statements.

    ``earned = GWP − ceded premium − ΔUPR`` (已赚保费);
    ``loss_ratio = (paid − ceded paid + ΔOCR − ceded ΔOCR) / earned`` (综合赔付率);
    ``expense_ratio = (commission + admin + taxes + reinsurance expenses − ceded reinsurance
    expenses + protection fund) / earned`` (综合费用率);
    ``combined_ratio = loss_ratio + expense_ratio`` (综合成本率);
    ``simple_loss_ratio = (paid + ΔOCR) / GWP`` (简单赔付率, gross; NaN when GWP = 0);
    ``underwriting_result = earned − net claims − expenses`` (承保利润, yuan).

    Parameters
    ----------
    statement : Statement, mapping or DataFrame
        One statement (fields may be floats or equal-length arrays), or a table with one row
        per statement (e.g. per period × product) whose columns are the :class:`Statement`
        field names; other columns (period, product …) are kept as keys. Reinsurance columns
        may be absent (treated as no reinsurance: 0); the others are required.

    Returns
    -------
    Ratios or DataFrame
        :class:`Ratios` for a Statement or mapping; for a DataFrame, its key columns followed
        by ``earned_premium, net_claims_incurred, total_expenses, loss_ratio, expense_ratio,
        combined_ratio, simple_loss_ratio, underwriting_result``.

    Raises
    ------
    ParameterError
        A required column is missing, a value is not finite, an amount that cannot be negative
        is, or earned premium is ≤ 0 (the ratios would be infinite or meaningless).

    Examples
    --------
    >>> s = Statement(gross_written_premium=1000.0, change_in_upr=100.0, claims_paid=600.0,
    ...               change_in_claim_reserves=120.0, commission=50.0, admin_expenses=80.0,
    ...               taxes_and_surcharges=6.0, protection_fund=8.0)
    >>> r = combined_ratio(s)
    >>> round(float(r.loss_ratio), 4), round(float(r.expense_ratio), 4), round(float(r.combined_ratio), 4)
    (0.8, 0.16, 0.96)
    """
    if isinstance(statement, pd.DataFrame):
        missing = [n for n, (_, req, _) in STATEMENT_FIELDS.items()
                   if req and n not in statement.columns]
        if missing:
            raise ParameterError("statement table lacks column(s) " + ", ".join(
                f"{n} ({STATEMENT_FIELDS[n][0]})" for n in missing))
        keys = [c for c in statement.columns if c not in STATEMENT_FIELDS]
        cols = {}
        for n in STATEMENT_FIELDS:
            if n in statement.columns:
                try:
                    cols[n] = statement[n].to_numpy(dtype=float)
                except (TypeError, ValueError) as exc:
                    raise ParameterError(f"column {n} ({STATEMENT_FIELDS[n][0]}) must hold "
                                         "numbers") from exc
            else:
                cols[n] = np.zeros(len(statement))

        def where(mask):
            rows = statement.loc[mask, keys] if keys else statement.loc[mask]
            shown = rows.head(5).to_dict("records") if keys else list(rows.index[:5])
            return f"{int(mask.sum())} row(s), e.g. {shown}"

        _validate(cols, where)
        out = statement[keys].reset_index(drop=True).copy()
        for name, arr in _compute(cols, where).items():
            out[name] = arr
        return out
    if isinstance(statement, Mapping):
        unknown = set(statement) - set(STATEMENT_FIELDS)
        if unknown:
            raise ParameterError(f"unknown statement field(s): {', '.join(sorted(unknown))}")
        try:
            statement = Statement(**statement)
        except TypeError as exc:
            raise ParameterError(f"incomplete statement: {exc}") from exc
    if not isinstance(statement, Statement):
        raise ParameterError("statement must be a Statement, a mapping of its fields or a "
                             f"DataFrame, got {type(statement).__name__}")
    try:
        cols = {n: np.asarray(getattr(statement, n), dtype=float) for n in STATEMENT_FIELDS}
        cols = dict(zip(cols, np.broadcast_arrays(*cols.values()), strict=True))
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"statement fields must be numbers or equal-length arrays: {exc}") \
            from exc

    def where(mask):
        return "the statement" if mask.ndim == 0 else f"element(s) {np.flatnonzero(mask)[:10]}"

    _validate(cols, where)
    res = _compute(cols, where)
    return Ratios(**{k: (float(v) if np.ndim(v) == 0 else v) for k, v in res.items()})


def underwriting_year_ratios(data: pd.DataFrame | Mapping) -> pd.DataFrame:
    """满期赔付率 and 简单赔付率 of underwriting (policy) years.

    ``incurred = paid + outstanding`` (已决 + 未决, outstanding = case reserves + IBNR of the
    year's claims at the valuation date); ``earned_loss_ratio = incurred / earned_premium``
    (满期赔付率, on the year's earned premium 满期保费); ``simple_loss_ratio = incurred /
    written_premium`` (简单赔付率).

    Parameters
    ----------
    data : DataFrame or mapping
        Columns ``paid``, ``outstanding``, ``written_premium``, ``earned_premium`` (yuan), one
        row per underwriting year (and product …); other columns are kept as keys.

    Returns
    -------
    DataFrame
        Keys, then ``incurred``, ``simple_loss_ratio``, ``earned_loss_ratio``.

    Examples
    --------
    >>> underwriting_year_ratios({"paid": [70.0], "outstanding": [20.0],
    ...                           "written_premium": [100.0], "earned_premium": [90.0]}
    ...                          )[["simple_loss_ratio", "earned_loss_ratio"]].to_numpy().tolist()
    [[0.9, 1.0]]
    """
    table = data if isinstance(data, pd.DataFrame) else pd.DataFrame(dict(data))
    needed = {"paid": "已决赔款", "outstanding": "未决赔款 (含 IBNR)",
              "written_premium": "保费收入", "earned_premium": "满期保费"}
    for n, zh in needed.items():
        if n not in table.columns:
            raise ParameterError(f"underwriting-year table lacks column {n} ({zh})")
        v = pd.to_numeric(table[n], errors="coerce").to_numpy(float)
        if not np.all(np.isfinite(v)):
            raise ParameterError(f"column {n} ({zh}) must hold finite numbers")
        if n != "outstanding" and (v < 0).any():
            raise ParameterError(f"column {n} ({zh}) must not be negative")
    for n in ("written_premium", "earned_premium"):
        if (table[n].to_numpy(float) <= 0).any():
            raise ParameterError(f"{n} ({needed[n]}) must be positive for the loss ratio to be "
                                 f"defined; it is ≤ 0 in {int((table[n] <= 0).sum())} row(s)")
    keys = [c for c in table.columns if c not in needed]
    out = table[keys].reset_index(drop=True).copy()
    incurred = table["paid"].to_numpy(float) + table["outstanding"].to_numpy(float)
    out["incurred"] = incurred
    out["simple_loss_ratio"] = incurred / table["written_premium"].to_numpy(float)
    out["earned_loss_ratio"] = incurred / table["earned_premium"].to_numpy(float)
    return out
