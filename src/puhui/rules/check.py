"""Check a design, a rate filing or an indication against the rulebooks in force (合规检查).

:func:`check` takes the quantities of one design (a dict) or of many (a DataFrame, one row per
design, columns named after the quantities and, optionally, scope keys), finds every rule that
bounds a given quantity and applies to the design's scope, and returns one row per rule and
design: rule, quantity, value, limit, passed, kind (regulation / policy), source (文号, 条,
date), confirmed, note. Regulation and company policy are kept apart: a policy row is labelled
``policy`` and its breach raises :class:`~puhui.rules.PolicyBreach`, never
:class:`~puhui.rules.RegulationBreach`.

A rule applies when every key of its scope is given (in ``scope=`` or as a column) and
matches; a rule whose quantity is given but whose scope keys are not is listed in
``result.attrs["unscoped"]`` rather than guessed.

>>> t = check({"loading": 0.22, "rate_factor": 1.3},
...           scope={"sector": "agriculture", "subsidised": True}, as_of="2025-01-01")
>>> print(t[["rule", "value", "limit", "passed", "kind"]].to_string(index=False))
                       rule value        limit  passed       kind
agri.factor_band.subsidised   1.3 [0.75, 1.25]   False regulation
agri.loading_cap.subsidised  0.22        ≤ 0.2   False regulation
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .book import (
    QUANTITIES,
    SCOPE_KEYS,
    PolicyBreach,
    RegulationBreach,
    Rule,
    Rulebook,
    _near,
    as_date,
    load_rulebook,
    rulebook,
    rulebooks,
)

COLUMNS = ["rule", "quantity", "value", "limit", "passed", "kind", "source", "confirmed",
           "note", "book"]


def _book(b) -> Rulebook:
    if isinstance(b, Rulebook):
        return b
    if isinstance(b, Path) or (isinstance(b, str) and b.endswith(".toml")):
        return load_rulebook(b)
    if isinstance(b, str):
        return rulebook(b)
    raise ParameterError(f"a rulebook is a Rulebook, a shipped book id or a .toml path; got "
                         f"{type(b).__name__}")


def _books(books, policies, on: date | None) -> tuple[list[Rulebook], list[str]]:
    if books is None:
        chosen = rulebooks("regulation", as_of=on or date.today())
    else:
        chosen = [_book(b) for b in ([books] if isinstance(books, str | Path | Rulebook)
                                     else books)]
    chosen += [_book(b) for b in ([policies] if isinstance(policies, str | Path | Rulebook)
                                  else policies)]
    ids = [b.id for b in chosen]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ParameterError(f"rulebook(s) given twice: {', '.join(twice)}")
    dropped = [b.id for b in chosen if on is not None and not b.in_force(on)]
    return [b for b in chosen if b.id not in dropped], dropped


def _frame(values) -> tuple[pd.DataFrame, bool]:
    if isinstance(values, pd.DataFrame):
        return values, True
    if isinstance(values, Mapping):
        if all(np.ndim(v) == 0 for v in values.values()):
            return pd.DataFrame({k: [v] for k, v in values.items()}), False
        try:
            return pd.DataFrame({k: np.ravel(np.asarray(v, dtype=object)) if np.ndim(v) else v
                                 for k, v in values.items()}), True
        except ValueError as err:
            raise ParameterError(f"values: arrays of different lengths ({err})") from None
    raise ParameterError(f"values must be a dict of quantity → value or a DataFrame, got "
                         f"{type(values).__name__}")


def check(values, books=None, scope: Mapping | None = None, *, policies: Iterable = (),
          as_of: date | str | None = None, strict: bool = False) -> pd.DataFrame:
    """Check quantities against rulebooks; one row per applicable rule (and design).

    Parameters
    ----------
    values : dict or DataFrame
        Quantity → value (one design; arrays give one design per element), or a DataFrame
        with one row per design whose columns are quantities (``loading``, ``rate_factor``,
        ``expense_ratio``, …) or scope keys (``subsidised``, ``crop``, …; a per-row scope).
        Missing values (NaN / None) are not checked. An unknown key is an error that names the
        nearest known one.
    books : iterable of Rulebook, shipped id or .toml path, optional
        Default: the shipped regulations in force on ``as_of`` (today if not given).
    scope : dict, optional
        What the design is: ``sector``, ``line``, ``subsidised``, ``product``, ``crop``,
        ``region_type`` (see :data:`puhui.rules.SCOPE_KEYS`).
    policies : iterable
        Company policy books to check as well (e.g. ``["example.company_policy"]`` or your
        own file); their rows are labelled ``policy``.
    as_of : date or 'YYYY-MM-DD', optional
        Only books in force on this date are used (those dropped are listed in
        ``result.attrs["not_in_force"]``).
    strict : bool
        Raise on a failed row: :class:`RegulationBreach` if any regulation fails, else
        :class:`PolicyBreach`; the message lists every failed rule with its source.

    Returns
    -------
    DataFrame
        Columns ``row`` (the design's index label; DataFrame / array input only), rule,
        quantity, value, limit, passed, kind, source, confirmed, note, book.

    Examples
    --------
    >>> t = check({"rate_change": 0.25}, books=[], policies=["example.company_policy"])
    >>> r = t.iloc[0]
    >>> r["rule"], bool(r["passed"]), r["kind"]
    ('policy.rate_change.yearly_cap', False, 'policy')
    """
    on = as_date(as_of) if as_of is not None else None
    chosen, dropped = _books(books, policies, on)
    frame, many = _frame(values)
    scope = dict(scope or {})
    quantities = dict(QUANTITIES)
    for b in chosen:
        quantities.update({k: ("number", v) for k, v in b.quantities.items()})
    known = list(quantities) + list(SCOPE_KEYS)
    bad = [f"'{k}'{_near(str(k), known)}" for k in frame.columns if k not in known]
    bad += [f"scope key '{k}'{_near(str(k), SCOPE_KEYS)}" for k in scope if k not in SCOPE_KEYS]
    if bad:
        raise ParameterError(f"unknown quantity or scope key: {', '.join(bad)} (quantities: "
                             f"{', '.join(quantities)}; scope keys: {', '.join(SCOPE_KEYS)})")
    for k, v in scope.items():
        if not isinstance(v, str | bool | np.bool_):
            raise ParameterError(f"scope {k}={v!r}: a scope value is a text or true/false "
                                 f"(one design; give a column for one value per row)")
    both = sorted(set(scope) & set(frame.columns))
    if both:
        raise ParameterError(f"scope key(s) {', '.join(both)} given both in scope= and as a "
                             "column")
    n = len(frame)
    parts, unscoped = [], []
    for b in chosen:
        for r in b.rules:
            if r.quantity not in frame.columns:
                continue
            missing = [k for k in r.scope if k not in scope and k not in frame.columns]
            if missing:
                unscoped.append((r.id, tuple(missing)))
                continue
            mask = np.ones(n, dtype=bool)
            for k, allowed in r.scope.items():
                if k in scope:
                    mask &= scope[k] in allowed
                else:
                    mask &= frame[k].isin(allowed).to_numpy()
            raw = frame[r.quantity]
            given = raw.notna().to_numpy()
            mask &= given
            if not mask.any():
                continue
            sub = raw[mask]
            passed = _holds(r, sub, quantities)
            parts.append(pd.DataFrame({
                "row": sub.index, "rule": r.id, "quantity": r.quantity,
                "value": sub.to_numpy(dtype=object), "limit": r.limit_text, "passed": passed,
                "kind": r.kind, "source": r.source, "confirmed": r.confirmed, "note": r.note,
                "book": r.book}))
    out = (pd.concat(parts, ignore_index=True) if parts
           else pd.DataFrame(columns=["row", *COLUMNS]))
    out["passed"] = out["passed"].astype(bool)
    out["confirmed"] = out["confirmed"].astype(bool)
    if not many:
        out = out.drop(columns="row")
    out.attrs["unscoped"] = unscoped
    out.attrs["not_in_force"] = dropped
    out.attrs["books"] = [b.id for b in chosen]
    if strict:
        raise_breaches(out)
    return out


def _holds(r: Rule, values: pd.Series, quantities) -> np.ndarray:
    qtype = quantities[r.quantity][0]
    if qtype == "number":
        x = pd.to_numeric(values, errors="coerce")
        if x.isna().any():
            raise ParameterError(f"{r.quantity} must be numeric; got {values[x.isna()].iloc[0]!r}")
        return r.holds(x.to_numpy(dtype=float))
    if qtype == "bool":
        ok = values.map(lambda v: isinstance(v, bool | np.bool_))
        if not ok.all():
            raise ParameterError(f"{r.quantity} must be true or false; got "
                                 f"{values[~ok].iloc[0]!r}")
        return r.holds(values.to_numpy(dtype=bool))
    ok = values.map(lambda v: isinstance(v, str))
    if not ok.all():
        raise ParameterError(f"{r.quantity} must be text; got {values[~ok].iloc[0]!r}")
    return r.holds(values.to_numpy(dtype=object))


def raise_breaches(table: pd.DataFrame) -> None:
    """Raise for the failed rows of a :func:`check` table: :class:`RegulationBreach` if any
    regulation failed (naming the policy failures too), else :class:`PolicyBreach`."""
    failed = table[~table["passed"]]
    if failed.empty:
        return
    lines = []
    for kind, label in (("regulation", "regulation"), ("policy", "company policy")):
        part = failed[failed["kind"] == kind]
        for (rid, src, limit), grp in part.groupby(["rule", "source", "limit"], sort=False):
            where = (f" at rows {', '.join(map(str, grp['row'].tolist()[:10]))}"
                     if "row" in grp else "")
            unconfirmed = "" if grp["confirmed"].iloc[0] else " [figure not confirmed]"
            shown = grp["value"].iloc[0]
            lines.append(f"{label} ({src}): {rid} {limit} failed{where} (value {shown!r})"
                         f"{unconfirmed}")
    cls = RegulationBreach if (failed["kind"] == "regulation").any() else PolicyBreach
    first = failed.iloc[0]
    raise cls(f"{len(lines)} rule(s) breached:\n  " + "\n  ".join(lines), rule=first["rule"],
              book=first["book"], source=first["source"])
