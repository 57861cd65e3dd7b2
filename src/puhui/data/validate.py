"""Validation of input tables: every problem found, each with table, column, row and rule.

``validate(df, kind)`` returns the cleaned, typed table or raises :class:`puhui.DataError`
listing all problems. Nothing is dropped or coerced silently: an unparsable number, a date
that is not a date, a negative amount, a duplicate id … are all reported, none is "fixed".

Row numbers are 1-based data rows: row 1 is the first row under the header (line 2 of a CSV
file, row 2 of a spreadsheet).

Headers may be the English names, the Chinese terms of the schema, or both in one cell
(``保单号 policy_id``), mixed freely in one table (:meth:`puhui.data.schema.Schema.resolve`);
the returned table always has the English names.

Rules (the ``rule`` field of each :class:`puhui.Problem`):

=========================  =================================================================
``missing_column``         a required column is absent
``unknown_column``         a header that names no column of the table, in English or Chinese
                           (the nearest name is suggested; or pass ``extra_columns="keep"``)
``duplicate_column``       a column named twice (the same header twice, or 保单号 and policy_id)
``missing_value``          an empty cell in a column that needs a value
``not_a_number``           a number column holds text that is not a number
``not_an_integer``         a whole-number column holds a fraction
``not_a_date``             a date column holds text that is not a date (or has a time of day)
``not_a_boolean``          a yes/no column holds something else
``not_allowed``            a value outside the column's list (e.g. status, sex)
``negative``               negative money or exposure
``ratio_out_of_range``     a ratio outside [0, 1]
``out_of_range``           any other bound (money above 1e12 元, age 0–120, year 1800–2200 …)
``duplicate_id``           the table's key (policy_id, claim_id, region×crop×year …) repeats
``end_before_start``       a policy's end_date is before its start_date
``report_before_accident`` a claim reported before its accident date
``payment_before_report``  a claim paid before it was reported
``closed_with_reserve``    a closed claim that still carries a case reserve
``unknown_policy``         a claim/cost for a policy_id not in ``policies``
``claim_outside_policy``   an accident date outside its policy's period of cover
``unknown_claim``          a payment for a claim_id not in ``claims``
``payment_before_accident`` a payment dated before the claim's accident
``inexact_id``             a text/id column holds a number whose digits are not known exactly
                           (a fraction, or a float above 2^53: format the column as text)
``wrong_type``             a Parquet column of the wrong type (a yes/no or text column where
                           numbers belong, a number where dates belong …)
``duplicate_row``          two rows identical in every column in a table without a key
                           (payments): add a ``payment_id`` if both payments are real
=========================  =================================================================

Warnings (:class:`puhui.errors.DataWarning`; the table is returned):

=========================  =================================================================
``placeholder_text``       a text cell holds ``NA``, ``NULL``, ``-`` … : kept as text (only an
                           empty cell is missing); empty the cell if no value is meant
=========================  =================================================================

Reading a file can fail earlier, with the rules of :mod:`puhui.data.io` (encoding, NUL
bytes, ragged rows, damaged files …).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import DataError, DataWarning, ParameterError, Problem, shown_value
from .parse import (
    PARSERS,
    clean_text,
    is_text,
    logical_type,
    missing_mask,
    placeholder_mask,
    plain_numbers,
)
from .schema import BOOL, DATE, FLOAT, INT, STR, Schema, bound_text, schema


def validate(
    df: pd.DataFrame,
    kind: str,
    *,
    policies: pd.DataFrame | None = None,
    claims: pd.DataFrame | None = None,
    extra_columns: str = "error",
    table: str | None = None,
) -> pd.DataFrame:
    """Check a table against its schema and return it cleaned and typed.

    Parameters
    ----------
    df : DataFrame
        The table as read (text cells are parsed; already-typed columns are checked).
    kind : str
        ``policies``, ``claims``, ``payments``, ``costs``, ``yields``, ``index_series`` or
        ``prices``.
    policies, claims : DataFrame, optional
        Related tables for the cross-table rules: claims and costs against ``policies``
        (unknown policy, accident outside the period of cover), payments against ``claims``.
    extra_columns : {"error", "keep"}
        What to do with columns the schema does not know: report them (default) or keep them
        unchanged after the schema's columns.
    table : str, optional
        Name used in messages (e.g. the file name); defaults to ``kind``.

    Returns
    -------
    DataFrame
        Same rows in the same order (index reset to 0..n-1), schema columns first with their
        dtypes: text as object, numbers float64, whole numbers int64 (``Int64`` where empty
        cells are allowed), dates ``datetime64[ns]``, yes/no ``boolean``.

    Raises
    ------
    puhui.DataError
        With every problem found (``err.problems``, ``err.to_frame()``).

    Examples
    --------
    >>> import pandas as pd, puhui
    >>> bad = pd.DataFrame({"region": ["A"], "crop": ["rice"], "year": ["2020"], "yield": ["-1"]})
    >>> try:
    ...     puhui.data.validate(bad, "yields")
    ... except puhui.DataError as err:
    ...     print(err.problems[0])
    yields, column 'yield', row 1: [negative] must be ≥ 0 (value: -1.0)
    """
    if not isinstance(df, pd.DataFrame):
        raise ParameterError(f"validate() needs a pandas DataFrame, got {type(df).__name__}")
    if extra_columns not in ("error", "keep"):
        raise ParameterError("extra_columns must be 'error' or 'keep'")
    sch = schema(kind)
    name = table or kind
    strict = df.attrs.get("puhui_format") == "parquet"
    file_types = dict(df.attrs.get("puhui_types") or {})
    problems: list[Problem] = []
    notes: list[Problem] = []
    df = df.reset_index(drop=True)
    written = [str(c).strip().lstrip("\ufeff") for c in df.columns]
    columns, problems = _header_names(written, sch, name)
    if problems:
        raise DataError(problems)
    file_types = {new: file_types[str(old)] for old, new in zip(df.columns, columns, strict=True)
                  if str(old) in file_types}
    df.columns = columns
    extras = [c for c in df.columns if c not in sch.names]
    for c in sch.required:
        if c not in df.columns:
            meant = [e for e in extras if sch.suggest(e) == c]
            hint = f"; the header {meant[0]!r} may be meant for it" if meant else ""
            problems.append(Problem(name, c, None, "missing_column",
                                    f"required column is missing: head it {c} or "
                                    f"{sch.column(c).zh} (columns found: "
                                    f"{', '.join(written) or 'none'}){hint}"))
    if extra_columns == "error":
        for c in extras:
            near = sch.suggest(c)
            hint = f" — did you mean {near} ({sch.column(near).zh})?" if near else "."
            problems.append(Problem(name, c, None, "unknown_column",
                                    f"not a column of the '{kind}' table ({sch.zh}){hint} "
                                    "Headers may be English, Chinese or both (e.g. 保单号 "
                                    f"policy_id); the columns (English = 中文): "
                                    f"{sch.header_list()}"))

    out: dict[str, object] = {}
    for col in sch.columns:
        if col.name not in df.columns:
            continue
        raw = df[col.name]
        wrong = _wrong_type(raw, col) if strict else None
        if wrong is not None:
            shown = file_types.get(col.name, wrong)
            problems.append(Problem(name, col.name, None, "wrong_type",
                                    f"the Parquet column holds {shown} values; a {col.dtype} "
                                    f"column needs {_EXPECTED[col.dtype]}"))
            continue
        values, col_problems, col_notes = _check_column(raw, col, name)
        problems.extend(col_problems)
        notes.extend(col_notes)
        out[col.name] = values
    typed = pd.DataFrame(out, index=df.index)
    if extra_columns == "keep":
        for c in extras:
            typed[c] = df[c]

    problems.extend(_key_problems(typed, sch, name))
    problems.extend(_duplicate_row_problems(typed, sch, name))
    problems.extend(_row_problems(typed, kind, name))
    if policies is not None and kind in ("claims", "costs"):
        problems.extend(_policy_link_problems(typed, kind, name, policies))
    if claims is not None and kind == "payments":
        problems.extend(_claim_link_problems(typed, name, claims))
    if problems:
        raise DataError(problems)
    if notes:
        warnings.warn(DataWarning(notes), stacklevel=2)
    return typed


def _header_names(written: list[str], sch: Schema, name: str) -> tuple[list[str], list[Problem]]:
    """Each header as the column it names (English, Chinese or both, :meth:`Schema.resolve`;
    a header that names no column is kept as written), and a ``duplicate_column`` problem for
    each column named by more than one header."""
    columns = [sch.resolve(h) or h for h in written]
    problems = []
    for col in dict.fromkeys(columns):
        heads = [h for h, c in zip(written, columns, strict=True) if c == col]
        if len(heads) < 2:
            continue
        if len(set(heads)) == 1:
            text = "column name appears more than once"
        else:
            zh = f" ({sch.column(col).zh})" if col in sch.names else ""
            text = (f"the headers {', '.join(repr(h) for h in heads)} all name column "
                    f"'{col}'{zh}: keep one")
        problems.append(Problem(name, col, None, "duplicate_column", text))
    return columns, problems


_BAD_TEXT = {
    FLOAT: "is not a number (leave the cell empty if there is no value)",
    INT: "is not a whole number",
    DATE: "is not a date (write dates as YYYY-MM-DD)",
    BOOL: "is not yes/no (true/false, 1/0, 是/否)",
    STR: "is a number whose digits are not known exactly (a fraction, or a float above 2^53 "
         "that has lost its last digits): store the column as text (Excel: 设置单元格格式 → "
         "文本, then re-enter the ids)",
}
_BAD_RULE = {FLOAT: "not_a_number", INT: "not_an_integer", DATE: "not_a_date",
             BOOL: "not_a_boolean", STR: "inexact_id"}

# What each column type accepts from a typed (Parquet) file, by logical_type().
_ACCEPTED = {FLOAT: {"number"}, INT: {"number"}, STR: {"text", "number"},
             DATE: {"date", "text"}, BOOL: {"bool", "number", "text"}}
_EXPECTED = {FLOAT: "a numeric type (not boolean, not text)",
             INT: "an integer or numeric type (not boolean, not text)",
             STR: "a string type (or integers)",
             DATE: "a date or timestamp type, or ISO text YYYY-MM-DD",
             BOOL: "a boolean type (or 0/1, or yes/no text)"}


def _wrong_type(raw: pd.Series, col) -> str | None:
    """The logical type of a typed-file column when it does not fit the schema, else None."""
    found = logical_type(raw)
    if found == "empty" or found in _ACCEPTED[col.dtype]:
        return None
    return found


def _plain(value):
    """A numpy scalar as the plain Python value, for readable messages."""
    return value.item() if isinstance(value, np.generic) else value


def _rows(mask: np.ndarray) -> np.ndarray:
    return np.flatnonzero(mask) + 1


#: A text column is checked once per distinct value (and the results mapped back to its rows)
#: when a sample of its first rows has at most this share of distinct values.
FACTORIZE_MAX_SHARE = 0.5
_FACTORIZE_SAMPLE = 10_000


def _distinct(raw: pd.Series, max_share: float | None = None):
    """``(codes, uniques)`` of a text column worth checking value by value, else None.

    Every check of a text cell is a function of that cell alone, so checking each distinct
    value once and indexing the results by ``codes`` gives the per-cell results exactly. Only a
    column of text (and nulls) is factorized: in a mixed spreadsheet column 1, 1.0 and True
    are equal keys of a hash table but different cells ('1', '1', 'True'). Nulls get the
    last code, one null standing for all (every check treats a null as an empty cell).
    """
    share = FACTORIZE_MAX_SHARE if max_share is None else max_share
    if not is_text(raw) or len(raw) == 0 or logical_type(raw) not in ("text", "empty"):
        return None
    obj = raw.to_numpy(object)
    sample = obj[:_FACTORIZE_SAMPLE]
    if len(pd.unique(sample)) > share * len(sample):
        return None
    codes, uniques = pd.factorize(obj)
    codes = np.where(codes < 0, len(uniques), codes)
    cells = np.empty(len(uniques) + 1, dtype=object)
    cells[:-1] = np.asarray(uniques, dtype=object)
    cells[-1] = None
    return codes, pd.Series(cells, dtype=object)


def _cell_checks(raw: pd.Series, col):
    """Per-cell results of a column: (values, bad, missing, placeholders, listed)."""
    if col.dtype in (FLOAT, INT):
        plain = plain_numbers(raw)
        if plain is not None:  # every cell a plain number or empty: read in one pass
            values, missing = plain
            bad = ~missing & ~np.isfinite(values)
            if col.dtype == INT:
                with np.errstate(invalid="ignore"):
                    bad |= np.isfinite(values) & (values != np.round(values))
            return values, bad, missing, None, None
    text = clean_text(raw)
    missing = missing_mask(raw, text)
    values, bad = PARSERS[col.dtype](raw, missing, text)
    placeholders = placeholder_mask(raw, missing, text) if col.dtype == STR else None
    listed = (pd.Series(values).isin(col.allowed).to_numpy(bool)
              if col.allowed is not None else None)
    return values, bad, missing, placeholders, listed


def _check_column(raw: pd.Series, col, name: str, *, max_share: float | None = None):
    problems: list[Problem] = []
    notes: list[Problem] = []
    distinct = _distinct(raw, max_share)
    if distinct is None:
        values, bad, missing, placeholders, listed = _cell_checks(raw, col)
    else:
        codes, cells = distinct
        values, bad, missing, placeholders, listed = (
            None if r is None else r[codes] for r in _cell_checks(cells, col))
    if not col.nullable:
        for r in _rows(missing):
            problems.append(Problem(name, col.name, int(r), "missing_value",
                                    "a value is required"))
    rule = _BAD_RULE[col.dtype]
    for r in _rows(bad):
        problems.append(Problem(name, col.name, int(r), rule, _BAD_TEXT[col.dtype],
                                _plain(raw.iloc[r - 1])))
    ok = ~missing & ~bad
    if col.dtype == STR:
        for r in _rows(placeholders):
            notes.append(Problem(name, col.name, int(r), "placeholder_text",
                                 "kept as text, not as a missing value (only an empty cell is "
                                 "missing); empty the cell if no value is meant",
                                 values[r - 1]))
    if col.allowed is not None:
        out_of_list = ok & ~listed
        for r in _rows(out_of_list):
            problems.append(Problem(name, col.name, int(r), "not_allowed",
                                    f"must be one of {', '.join(col.allowed)}",
                                    values[r - 1]))
    if col.dtype in (FLOAT, INT) and (col.minimum is not None or col.maximum is not None):
        v = np.where(ok, values, np.nan)
        with np.errstate(invalid="ignore"):
            low = v < col.minimum if col.minimum is not None else np.zeros(len(v), bool)
            high = v > col.maximum if col.maximum is not None else np.zeros(len(v), bool)
        ratio = col.minimum == 0 and col.maximum == 1
        for r in _rows(low | high):
            if ratio:
                rule_name, text = "ratio_out_of_range", "a ratio must be in [0, 1]"
            elif low[r - 1] and col.minimum == 0 and col.dtype == FLOAT:
                rule_name, text = "negative", "must be ≥ 0"
            elif col.maximum is None:
                rule_name, text = "out_of_range", f"must be ≥ {bound_text(col.minimum)}"
            else:
                lo = "" if col.minimum is None else f"{bound_text(col.minimum)}, "
                rule_name, text = "out_of_range", (
                    f"must be in [{lo}{bound_text(col.maximum)}]{_unit_text(col)}"
                    if lo else f"must be ≤ {bound_text(col.maximum)}{_unit_text(col)}")
            problems.append(Problem(name, col.name, int(r), rule_name, text,
                                    float(v[r - 1])))
        bad = bad | low | high
    return _typed(values, col, missing | bad), problems, notes


def _unit_text(col) -> str:
    return f" {col.unit.split(' ')[0]}" if col.unit and col.unit != "unit" else ""


def _typed(values: np.ndarray, col, empty: np.ndarray):
    if col.dtype == INT:
        # (cells in error are set to 0 before the cast; the table is not returned then)
        whole = np.where(empty | ~np.isfinite(values), 0, values)
        if col.nullable or empty.any():
            arr = pd.array(whole.astype("int64"), dtype="Int64")
            arr[empty] = pd.NA
            return arr
        return whole.astype("int64")
    if col.dtype == BOOL:
        return pd.array(values, dtype="boolean")
    return values


def _key_problems(typed: pd.DataFrame, sch: Schema, name: str) -> list[Problem]:
    key = [k for k in sch.key if k in typed.columns]
    if not key or any(k not in typed.columns for k in sch.key if k in sch.required):
        return []
    dup = typed.duplicated(subset=key, keep=False).to_numpy()
    problems = []
    if dup.any():
        groups = typed.loc[dup, key].assign(_row=_rows(dup)).groupby(key, sort=False)["_row"]
        for k, rows in groups:
            shown = k if isinstance(k, tuple) else (k,)
            label = ", ".join(f"{c}={shown_value(_plain(v))!r}"
                              for c, v in zip(key, shown, strict=True))
            for r in rows:
                problems.append(Problem(name, "+".join(key), int(r), "duplicate_id",
                                        f"{label} appears {len(rows)} times (rows "
                                        f"{', '.join(str(x) for x in rows.iloc[:10])})"))
    return problems


def _duplicate_row_problems(typed: pd.DataFrame, sch: Schema, name: str) -> list[Problem]:
    """Rows identical in every column, in a table whose key columns are absent (payments
    without ``payment_id``): a payment read twice doubles the paid amount."""
    if not len(typed) or any(k in typed.columns for k in sch.key):
        return []
    dup = typed.duplicated(keep=False).to_numpy()
    if not dup.any():
        return []
    problems = []
    groups = typed.loc[dup].assign(_row=_rows(dup)).groupby(
        list(typed.columns), sort=False, dropna=False)["_row"]
    hint = (" (if these are real, distinct payments add a payment_id column to tell them "
            "apart)" if "payment_id" in sch.names else "")
    for _, rows in groups:
        shown = ", ".join(str(x) for x in rows.iloc[:10])
        for r in rows:
            problems.append(Problem(name, None, int(r), "duplicate_row",
                                    f"rows {shown} are identical in every column{hint}"))
    return problems


def _before(typed, later: str, earlier: str) -> np.ndarray:
    if later not in typed or earlier not in typed:
        return np.zeros(len(typed), bool)
    a, b = typed[later].to_numpy(), typed[earlier].to_numpy()
    return ~np.isnat(a) & ~np.isnat(b) & (a < b)


def _row_problems(typed: pd.DataFrame, kind: str, name: str) -> list[Problem]:
    checks = []
    if kind == "policies":
        checks.append((_before(typed, "end_date", "start_date"), "end_date", "end_before_start",
                       "end_date is before start_date"))
    if kind == "claims":
        checks.append((_before(typed, "report_date", "accident_date"), "report_date",
                       "report_before_accident", "report_date is before accident_date"))
        checks.append((_before(typed, "payment_date", "report_date"), "payment_date",
                       "payment_before_report", "payment_date is before report_date"))
        if "status" in typed and "case_reserve" in typed:
            closed = (typed["status"].to_numpy() == "closed") & (
                np.nan_to_num(typed["case_reserve"].to_numpy(float)) > 0)
            checks.append((closed, "case_reserve", "closed_with_reserve",
                           "a closed claim must have case_reserve 0"))
    problems = []
    for mask, column, rule, text in checks:
        for r in _rows(mask):
            problems.append(Problem(name, column, int(r), rule, text))
    return problems


def _ensure_typed(df: pd.DataFrame, kind: str, needed: tuple[str, ...]) -> pd.DataFrame:
    sch = schema(kind)
    if any(c not in sch.names and sch.resolve(c) is not None for c in map(str, df.columns)):
        df = validate(df, kind, extra_columns="keep")  # Chinese headers: named and typed
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ParameterError(f"the related '{kind}' table lacks column(s) {', '.join(missing)}")
    if any(sch.column(c).dtype == DATE and not pd.api.types.is_datetime64_any_dtype(df[c])
           for c in needed):
        df = validate(df, kind, extra_columns="keep")
    return df


def _policy_link_problems(typed, kind, name, policies) -> list[Problem]:
    if "policy_id" not in typed:
        return []
    needed = ("policy_id", "start_date", "end_date") if kind == "claims" else ("policy_id",)
    pol = _ensure_typed(policies, "policies", needed)
    pos = pd.Index(pol["policy_id"].astype(str)).get_indexer(typed["policy_id"].astype(str))
    problems = []
    for r in _rows(pos < 0):
        problems.append(Problem(name, "policy_id", int(r), "unknown_policy",
                                "no policy with this policy_id in the policies table",
                                typed["policy_id"].iloc[r - 1]))
    if kind == "claims" and "accident_date" in typed:
        known = pos >= 0
        acc = typed["accident_date"].to_numpy()
        start = np.full(len(typed), np.datetime64("NaT"), "datetime64[ns]")
        end = start.copy()
        start[known] = pol["start_date"].to_numpy()[pos[known]]
        end[known] = pol["end_date"].to_numpy()[pos[known]]
        outside = known & ~np.isnat(acc) & ((acc < start) | (acc > end))
        for r in _rows(outside):
            problems.append(Problem(
                name, "accident_date", int(r), "claim_outside_policy",
                f"accident_date is outside its policy's cover "
                f"{str(start[r - 1])[:10]} to {str(end[r - 1])[:10]}",
                str(acc[r - 1])[:10]))
    return problems


def _claim_link_problems(typed, name, claims) -> list[Problem]:
    cl = _ensure_typed(claims, "claims", ("claim_id", "accident_date"))
    pos = pd.Index(cl["claim_id"].astype(str)).get_indexer(typed["claim_id"].astype(str))
    problems = []
    for r in _rows(pos < 0):
        problems.append(Problem(name, "claim_id", int(r), "unknown_claim",
                                "no claim with this claim_id in the claims table",
                                typed["claim_id"].iloc[r - 1]))
    known = pos >= 0
    acc = np.full(len(typed), np.datetime64("NaT"), "datetime64[ns]")
    acc[known] = cl["accident_date"].to_numpy()[pos[known]]
    pay = typed["payment_date"].to_numpy()
    early = known & ~np.isnat(pay) & (pay < acc)
    for r in _rows(early):
        problems.append(Problem(name, "payment_date", int(r), "payment_before_accident",
                                "payment_date is before the claim's accident_date"))
    return problems
