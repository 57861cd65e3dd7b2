"""Design grids (方案网格): 起付线 × 赔付比例 × 封顶线 per benefit line, and the 既往症 terms.

A *design* fixes, for every benefit line ``l`` and segment ``s`` (healthy / 既往症), the three
terms of the line's single layer: deductible ``d`` (起付线), payout ratio ``r`` (赔付比例) and
cap ``C`` (封顶线, on the payout). Its payout on an annual covered cost ``x`` is
``min(r·(x − d)₊, C)`` — the convention of :class:`puhui.huiminbao.LineTerms` and
:class:`puhui.benefits.Benefit`.

A :class:`DesignGrid` holds K designs as three arrays of shape ``(K, lines, segments)`` plus a
tidy table (one row per design) of the *axes* that were varied. Grids are built from a
:class:`puhui.huiminbao.Product` and ranges (:meth:`DesignGrid.from_product`), or from any table
of explicit terms (:meth:`DesignGrid.from_frame`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from puhui.errors import ParameterError

__all__ = ["DesignGrid", "SEGMENTS", "TERMS"]

SEGMENTS = ("healthy", "preexisting")
TERMS = ("deductible", "payout_ratio", "cap")
MAX_DESIGNS = 5_000_000

#: Axis name → (which term it sets, which segment, Chinese term) for :meth:`from_product`.
_AXES = {
    "deductible": "起付线 (healthy; 既往症 follows by its multiple)",
    "payout_ratio": "赔付比例 (healthy; 既往症 follows by its share)",
    "cap": "封顶线 (both segments)",
    "preexisting_deductible_multiple": "既往症起付线 = multiple × healthy 起付线",
    "preexisting_payout_share": "既往症赔付比例 = share × healthy 赔付比例",
    "preexisting_payout_ratio": "既往症赔付比例 (absolute)",
}


def term_column(line: str, segment: str, term: str) -> str:
    """Column name of one term in :attr:`DesignGrid.designs`, e.g. ``in_catalogue.healthy.cap``."""
    return f"{line}.{segment}.{term}"


def _axis_values(name: str, values) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: axis values must be numbers") from None
    if arr.ndim == 0:
        arr = arr[None]
    if arr.ndim != 1 or arr.size == 0:
        raise ParameterError(f"{name}: give a non-empty 1-D sequence of values")
    if np.any(np.isnan(arr)):
        raise ParameterError(f"{name}: axis values contain NaN")
    if np.unique(arr).size != arr.size:
        raise ParameterError(f"{name}: axis values repeat ({arr.tolist()}); give each once")
    return arr


def _product_terms(product) -> tuple[tuple[str, ...], np.ndarray]:
    """Lines of ``product`` and their terms as an array ``(1, L, 2, 3)`` (d, r, C; inf = no cap).

    A line without 既往症 terms pays 既往症 members on its healthy terms.
    """
    lines = tuple(line.name for line in product.lines)
    out = np.empty((1, len(lines), len(SEGMENTS), len(TERMS)))
    for i, line in enumerate(product.lines):
        for j, seg in enumerate(SEGMENTS):
            t = line.terms.get(seg, line.terms["healthy"])
            out[0, i, j] = (t.deductible, t.payout_ratio, np.inf if t.cap is None else t.cap)
    return lines, out


def _check_terms(terms: np.ndarray, lines: Sequence[str]) -> None:
    d, r, c = terms[..., 0], terms[..., 1], terms[..., 2]
    checks = (
        (~np.isfinite(d) | (d < 0), "deductible (起付线) must be finite and ≥ 0"),
        (~((r > 0) & (r <= 1)), "payout_ratio (赔付比例) must lie in (0, 1]"),
        (~(c > 0), "cap (封顶线) must be > 0 (inf for no cap)"),
    )
    for bad, rule in checks:
        if np.any(bad):
            k, i, j = (int(v) for v in np.argwhere(bad)[0])
            raise ParameterError(
                f"design {k}, line {lines[i]!r}, segment {SEGMENTS[j]!r}: {rule}; the axes give "
                f"d={d[k, i, j]!r}, r={r[k, i, j]!r}, cap={c[k, i, j]!r}"
            )


class DesignGrid:
    """K benefit designs of a 惠民保 product (方案网格), vectorised.

    Parameters
    ----------
    lines : sequence of str
        Benefit line names (责任), in the product's order.
    terms : array_like, shape ``(K, len(lines), 2, 3)``
        ``terms[k, l, s] = (deductible, payout_ratio, cap)`` of design ``k``, line ``l`` and
        segment ``s`` (0 = healthy, 1 = 既往症 / preexisting); ``cap = inf`` for no cap.
        起付线 ``d ≥ 0`` in yuan; 赔付比例 ``r ∈ (0, 1]``; 封顶线 ``C > 0`` in yuan of payout.
    axes : DataFrame, optional
        K rows describing each design by the values that were varied (one column per axis).
    current : array_like of bool, optional
        Which designs equal the product's current design (marked in plots).
    product : puhui.huiminbao.Product, optional
        The product the designs belong to (its price, expenses and target combined ratio are
        used by :func:`puhui.tuning.evaluate.evaluate`).

    Notes
    -----
    :meth:`from_product` is the usual entry point. :attr:`designs` is the tidy table: one row per
    design with the axis columns, ``current`` and every term as ``<line>.<segment>.<term>``.

    Examples
    --------
    >>> from puhui.huiminbao import Product, example_product_path
    >>> product = Product.from_toml(example_product_path())
    >>> grid = DesignGrid.from_product(product, deductible=[10_000, 20_000],
    ...                                payout_ratio=[0.7, 0.8, 0.9],
    ...                                lines=["in_catalogue", "out_of_catalogue"])
    >>> len(grid)  # 2 × 3, plus the current design (its out-of-catalogue ratio 0.7 is off-grid)
    7
    >>> grid.designs["in_catalogue.preexisting.deductible"].tolist()[:3]  # doubled, as now
    [20000.0, 20000.0, 20000.0]
    """

    def __init__(self, lines, terms, axes: pd.DataFrame | None = None, current=None,
                 product=None):
        self.product = product
        self.lines = tuple(str(v) for v in lines)
        if len(set(self.lines)) != len(self.lines) or not self.lines:
            raise ParameterError(f"lines: need distinct line names, got {self.lines}")
        t = np.asarray(terms, dtype=float)
        if t.ndim != 4 or t.shape[1:] != (len(self.lines), len(SEGMENTS), len(TERMS)):
            raise ParameterError(
                f"terms: expected shape (K, {len(self.lines)}, 2, 3), got {t.shape}"
            )
        if t.shape[0] == 0:
            raise ParameterError("terms: the grid has no design")
        _check_terms(t, self.lines)
        t = t.copy()
        t.flags.writeable = False
        self.terms = t
        k = t.shape[0]
        if axes is None:
            axes = pd.DataFrame(index=pd.RangeIndex(k))
        if len(axes) != k:
            raise ParameterError(f"axes: {len(axes)} rows for {k} designs")
        self.axes = axes.reset_index(drop=True)
        cur = np.zeros(k, bool) if current is None else np.asarray(current, dtype=bool)
        if cur.shape != (k,):
            raise ParameterError(f"current: expected {k} flags, got shape {cur.shape}")
        self.current = cur

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def from_product(
        cls,
        product,
        *,
        deductible=None,
        payout_ratio=None,
        cap=None,
        preexisting_deductible_multiple=None,
        preexisting_payout_share=None,
        preexisting_payout_ratio=None,
        lines: Sequence[str] | None = None,
        include_current: bool = True,
    ) -> DesignGrid:
        """Every combination of the given axes applied to ``product`` (a Cartesian grid).

        Parameters
        ----------
        product : puhui.huiminbao.Product
            The product whose other terms are kept.
        deductible, payout_ratio, cap : sequence or mapping, optional
            Healthy 起付线 (yuan), healthy 赔付比例 (fraction), 封顶线 (yuan of payout, both
            segments). A sequence is one *shared* axis applied to every line in ``lines``; a
            mapping ``{line: sequence}`` gives each named line its own axis (the grid then
            crosses them). ``None`` keeps the product's terms.
        preexisting_deductible_multiple : sequence or mapping, optional
            既往症 起付线 as a multiple of the healthy one (2 = "doubled deductible").
            Default: the product's own multiple on each line (its difference where the
            product's healthy 起付线 is 0).
        preexisting_payout_share : sequence or mapping, optional
            既往症 赔付比例 as a share of the healthy one (0.5 = half). Default: the product's own
            share on each line.
        preexisting_payout_ratio : sequence or mapping, optional
            既往症 赔付比例 as an absolute fraction (exclusive with the share).
        lines : sequence of str, optional
            The lines a shared (sequence) axis applies to; default every line of the product.
        include_current : bool, default True
            Append the product's current design when the grid does not contain it, and flag it
            in the ``current`` column either way.

        Returns
        -------
        DesignGrid
            ``Π len(axis)`` designs (plus possibly the current one); the first axis varies
            slowest.
        """
        if preexisting_payout_share is not None and preexisting_payout_ratio is not None:
            raise ParameterError("give preexisting_payout_share or preexisting_payout_ratio, "
                                 "not both")
        names, base = _product_terms(product)
        target = names if lines is None else tuple(lines)
        unknown = [ln for ln in target if ln not in names]
        if unknown:
            raise ParameterError(f"lines: {unknown} are not lines of product "
                                 f"{product.code}; lines: {list(names)}")
        given = {
            "deductible": deductible,
            "payout_ratio": payout_ratio,
            "cap": cap,
            "preexisting_deductible_multiple": preexisting_deductible_multiple,
            "preexisting_payout_share": preexisting_payout_share,
            "preexisting_payout_ratio": preexisting_payout_ratio,
        }
        axes: list[tuple[str, str, np.ndarray, tuple[int, ...]]] = []
        for name, spec in given.items():
            if spec is None:
                continue
            if isinstance(spec, Mapping):
                for line, values in spec.items():
                    if line not in names:
                        raise ParameterError(f"{name}: {line!r} is not a line of product "
                                             f"{product.code}; lines: {list(names)}")
                    col = f"{name}[{line}]"
                    axes.append((name, col, _axis_values(col, values), (names.index(line),)))
            else:
                idx = tuple(names.index(ln) for ln in target)
                axes.append((name, name, _axis_values(name, spec), idx))
        sizes = [a[2].size for a in axes]
        k = int(np.prod(sizes, dtype=np.int64)) if axes else 1
        if k > MAX_DESIGNS:
            raise ParameterError(f"the grid has {k:,} designs (> {MAX_DESIGNS:,}); "
                                 "use fewer axis values")
        if axes:
            mesh = np.meshgrid(*(np.arange(s) for s in sizes), indexing="ij")
            picks = [m.ravel() for m in mesh]
        else:
            picks = []
        per_axis = {a[1]: a[2][p] for a, p in zip(axes, picks, strict=True)}

        terms = np.broadcast_to(base, (k, *base.shape[1:])).copy()
        hd, hr, hc = (terms[:, :, 0, i] for i in range(3))  # views into ``terms``
        pd_, pr, pc = (terms[:, :, 1, i] for i in range(3))
        b = base[0]
        # healthy terms and caps
        for name, col, _vals, idx in axes:
            v = per_axis[col]
            for i in idx:
                if name == "deductible":
                    hd[:, i] = v
                elif name == "payout_ratio":
                    hr[:, i] = v
                elif name == "cap":
                    hc[:, i] = v
                    pc[:, i] = v
        # 既往症 terms follow the healthy ones unless an axis sets them
        set_mult = {i: per_axis[c] for n, c, _v, ix in axes
                    if n == "preexisting_deductible_multiple" for i in ix}
        set_share = {i: per_axis[c] for n, c, _v, ix in axes
                     if n == "preexisting_payout_share" for i in ix}
        set_ratio = {i: per_axis[c] for n, c, _v, ix in axes
                     if n == "preexisting_payout_ratio" for i in ix}
        for i in range(len(names)):
            if i in set_mult:
                pd_[:, i] = set_mult[i] * hd[:, i]
            elif b[i, 0, 0] > 0:
                pd_[:, i] = hd[:, i] * (b[i, 1, 0] / b[i, 0, 0])
            else:
                pd_[:, i] = hd[:, i] + (b[i, 1, 0] - b[i, 0, 0])
            if i in set_share:
                pr[:, i] = set_share[i] * hr[:, i]
            elif i in set_ratio:
                pr[:, i] = set_ratio[i]
            else:
                pr[:, i] = hr[:, i] * (b[i, 1, 1] / b[i, 0, 1])
        frame = pd.DataFrame(per_axis, index=pd.RangeIndex(k))
        grid_current = np.all(terms == base, axis=(1, 2, 3))
        if include_current and not grid_current.any():
            row = {}
            for name, col, _vals, idx in axes:
                row[col] = _current_axis_value(name, b, idx)
            frame = pd.concat([frame, pd.DataFrame([row], columns=frame.columns)],
                              ignore_index=True)
            terms = np.concatenate([terms, base], axis=0)
            grid_current = np.append(grid_current, True)
        return cls(names, terms, axes=frame, current=grid_current, product=product)

    @classmethod
    def from_frame(cls, product, frame: pd.DataFrame) -> DesignGrid:
        """Designs given explicitly: columns ``<line>.<segment>.<term>``; others from ``product``.

        Columns that are not term columns are kept as axis columns (labels of the designs);
        ``design`` and ``current`` are recomputed, so an edited :attr:`designs` table can be
        passed back.
        """
        if not isinstance(frame, pd.DataFrame) or len(frame) == 0:
            raise ParameterError("frame: expected a non-empty DataFrame of designs")
        names, base = _product_terms(product)
        terms = np.broadcast_to(base, (len(frame), *base.shape[1:])).copy()
        labels = {}
        for col in frame.columns:
            if col in ("design", "current"):  # recomputed (a designs table can be passed back)
                continue
            parts = str(col).split(".")
            if len(parts) == 3 and parts[2] in TERMS:
                line, seg, term = parts
                if line not in names or seg not in SEGMENTS:
                    raise ParameterError(f"frame: column {col!r} names an unknown line or "
                                         f"segment; lines {list(names)}, segments {SEGMENTS}")
                values = pd.to_numeric(frame[col], errors="coerce").to_numpy(float)
                if np.any(np.isnan(values)):
                    raise ParameterError(f"frame: column {col!r} has missing or non-numeric "
                                         "values")
                terms[:, names.index(line), SEGMENTS.index(seg), TERMS.index(term)] = values
            else:
                labels[col] = frame[col].to_numpy()
        current = np.all(terms == base, axis=(1, 2, 3))
        return cls(names, terms, axes=pd.DataFrame(labels), current=current, product=product)

    @classmethod
    def current_design(cls, product) -> DesignGrid:
        """The product's current design as a one-design grid."""
        names, base = _product_terms(product)
        return cls(names, base, current=[True], product=product)

    # -- access ---------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self.terms.shape[0]

    def __repr__(self) -> str:
        axes = ", ".join(self.axes.columns) or "none"
        return f"DesignGrid({len(self)} designs, lines={list(self.lines)}, axes: {axes})"

    def line_terms(self, line: str, segment: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(deductible, payout_ratio, cap)`` arrays of shape ``(K,)`` for one line × segment."""
        if line not in self.lines or segment not in SEGMENTS:
            raise ParameterError(f"unknown line {line!r} or segment {segment!r}; lines "
                                 f"{list(self.lines)}, segments {SEGMENTS}")
        t = self.terms[:, self.lines.index(line), SEGMENTS.index(segment)]
        return t[:, 0], t[:, 1], t[:, 2]

    @property
    def designs(self) -> pd.DataFrame:
        """Tidy table, one row per design: ``design``, the axes, ``current`` and every term."""
        out = self.axes.copy()
        out.insert(0, "design", np.arange(len(self)))
        out["current"] = self.current
        cols = {}
        for i, line in enumerate(self.lines):
            for j, seg in enumerate(SEGMENTS):
                for m, term in enumerate(TERMS):
                    cols[term_column(line, seg, term)] = self.terms[:, i, j, m]
        return pd.concat([out, pd.DataFrame(cols)], axis=1)

    def take(self, index) -> DesignGrid:
        """The sub-grid of the designs at ``index`` (positions, or a boolean mask)."""
        idx = np.arange(len(self))[np.asarray(index)]
        return DesignGrid(self.lines, self.terms[idx],
                          axes=self.axes.iloc[idx].reset_index(drop=True),
                          current=self.current[idx], product=self.product)


def _current_axis_value(name: str, base: np.ndarray, idx: tuple[int, ...]) -> float:
    """The product's value of an axis on its lines, or NaN when the lines disagree."""
    h, p = base[list(idx), 0], base[list(idx), 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        values = {
            "deductible": h[:, 0],
            "payout_ratio": h[:, 1],
            "cap": h[:, 2],
            "preexisting_deductible_multiple": p[:, 0] / h[:, 0],
            "preexisting_payout_share": p[:, 1] / h[:, 1],
            "preexisting_payout_ratio": p[:, 1],
        }[name]
    return float(values[0]) if np.all(values == values[0]) else float("nan")
