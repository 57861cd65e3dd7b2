"""Design grids (方案网格): 起付线 × 赔付比例 × 封顶线 per benefit line, and the 既往症 terms.

A *design* fixes, for every benefit line ``l`` and segment ``s`` (人群: e.g. healthy / 既往症),
the three terms of the line's single layer: deductible ``d`` (起付线), payout ratio ``r``
(赔付比例) and cap ``C`` (封顶线, on the payout). Its payout on an annual covered cost ``x`` is
``min(r·(x − d)₊, C)`` — the convention of :class:`puhui.benefits.Benefit`.

A :class:`DesignGrid` holds K designs as three arrays of shape ``(K, lines, segments)`` plus a
tidy table (one row per design) of the *axes* that were varied. Its segments are the product's
(:attr:`DesignGrid.segments`). Grids are built from a product and ranges
(:meth:`DesignGrid.from_product`), or from any table of explicit terms
(:meth:`DesignGrid.from_frame`).

The package stays product-neutral: a *product* here is any object with ``code``, ``lines``
(each with a ``name``), ``segments`` (the first is the base segment the ``deductible`` and
``payout_ratio`` axes set) and ``benefit(line)`` returning a
:class:`puhui.benefits.SegmentedBenefit` — one single-layer :class:`~puhui.benefits.Benefit`
per segment — e.g. :class:`puhui.huiminbao.Product`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from puhui.benefits import Benefit
from puhui.errors import ParameterError

__all__ = ["DEFAULT_SEGMENTS", "DesignGrid", "TERMS"]

#: Segments of a grid built by hand (``DesignGrid(lines, terms)``) without a product or
#: ``segments=``: the two of a 惠民保 product (healthy, 既往症). Grids of a product use the
#: product's segments.
DEFAULT_SEGMENTS = ("healthy", "preexisting")
#: The segment the ``preexisting_*`` axes of :meth:`DesignGrid.from_product` set.
PREEXISTING = "preexisting"
TERMS = ("deductible", "payout_ratio", "cap")
MAX_DESIGNS = 5_000_000

#: Axis name → (which term it sets, which segment, Chinese term) for :meth:`from_product`.
_AXES = {
    "deductible": "起付线 (healthy; 既往症 follows by its multiple)",
    "payout_ratio": "赔付比例 (healthy; 既往症 follows by its share)",
    "cap": "封顶线 (every segment)",
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


def _segments(segments) -> tuple[str, ...]:
    """The segment names of a grid: distinct, non-empty, without '.' (column names use it)."""
    if isinstance(segments, str):
        segments = (segments,)
    try:
        out = tuple(str(v) for v in segments)
    except TypeError:
        raise ParameterError(f"segments: give a sequence of names, got {segments!r}") from None
    if (not out or len(set(out)) != len(out)
            or any(not v.strip() or "." in v for v in out)):
        raise ParameterError(f"segments: need distinct, non-empty names without '.', got "
                             f"{list(out)}")
    return out


def _product_terms(product) -> tuple[tuple[str, ...], tuple[str, ...], np.ndarray]:
    """Lines and segments of ``product`` and their terms as an array ``(1, L, S, 3)`` (d, r, C;
    inf = no cap), read from ``product.benefit(line)`` (a
    :class:`puhui.benefits.SegmentedBenefit`: the product decides which terms pay a segment a
    line gives no terms for).
    """
    lines = tuple(line.name for line in product.lines)
    segments = _segments(product.segments)
    out = np.empty((1, len(lines), len(segments), len(TERMS)))
    for i, line in enumerate(lines):
        per_segment = product.benefit(line).terms
        for j, seg in enumerate(segments):
            b = per_segment.get(seg)
            if not isinstance(b, Benefit) or b.bands or np.any(b.franchise) or \
                    b.grid_shape != ():
                raise ParameterError(f"product {product.code}, line {line!r}, segment {seg!r}: "
                                     "a design grid varies one-layer terms (起付线, 赔付比例, "
                                     "封顶线); expected one Benefit without bands or franchise")
            out[0, i, j] = (b.deductible, b.payout_ratio, np.inf if b.cap is None else b.cap)
    return lines, segments, out


def _check_terms(terms: np.ndarray, lines: Sequence[str], segments: Sequence[str]) -> None:
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
                f"design {k}, line {lines[i]!r}, segment {segments[j]!r}: {rule}; the axes give "
                f"d={d[k, i, j]!r}, r={r[k, i, j]!r}, cap={c[k, i, j]!r}"
            )


class DesignGrid:
    """K benefit designs of a product (方案网格), vectorised.

    Parameters
    ----------
    lines : sequence of str
        Benefit line names (责任), in the product's order.
    terms : array_like, shape ``(K, len(lines), len(segments), 3)``
        ``terms[k, l, s] = (deductible, payout_ratio, cap)`` of design ``k``, line ``l`` and
        segment ``s`` (index into :attr:`segments`); ``cap = inf`` for no cap.
        起付线 ``d ≥ 0`` in yuan; 赔付比例 ``r ∈ (0, 1]``; 封顶线 ``C > 0`` in yuan of payout.
    axes : DataFrame, optional
        K rows describing each design by the values that were varied (one column per axis).
    current : array_like of bool, optional
        Which designs equal the product's current design (marked in plots).
    product : optional
        The product the designs belong to, e.g. a :class:`puhui.huiminbao.Product` (its price,
        expenses and target combined ratio are used by :func:`puhui.tuning.evaluate.evaluate`).
    segments : sequence of str, optional
        The segments (人群) of the third axis of ``terms``, in order. Default: the product's
        ``segments``; without a product, :data:`DEFAULT_SEGMENTS` (healthy, preexisting).

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
    >>> grid.segments  # the product's
    ('healthy', 'preexisting')
    """

    def __init__(self, lines, terms, axes: pd.DataFrame | None = None, current=None,
                 product=None, segments=None):
        self.product = product
        self.lines = tuple(str(v) for v in lines)
        if len(set(self.lines)) != len(self.lines) or not self.lines:
            raise ParameterError(f"lines: need distinct line names, got {self.lines}")
        if segments is None:
            segments = DEFAULT_SEGMENTS if product is None else product.segments
        self.segments = _segments(segments)
        t = np.asarray(terms, dtype=float)
        shape = (len(self.lines), len(self.segments), len(TERMS))
        if t.ndim != 4 or t.shape[1:] != shape:
            raise ParameterError(
                f"terms: expected shape (K, {', '.join(map(str, shape))}) for the lines "
                f"{list(self.lines)} and the segments {list(self.segments)}, got {t.shape}"
            )
        if t.shape[0] == 0:
            raise ParameterError("terms: the grid has no design")
        _check_terms(t, self.lines, self.segments)
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
            The product whose other terms are kept; the grid's segments are the product's
            (``product.segments``), the first (healthy) being the base segment.
        deductible, payout_ratio, cap : sequence or mapping, optional
            Base-segment (healthy) 起付线 (yuan), base-segment 赔付比例 (fraction), 封顶线
            (yuan of payout, every segment). A sequence is one *shared* axis applied to every
            line in ``lines``; a mapping ``{line: sequence}`` gives each named line its own
            axis (the grid then crosses them). ``None`` keeps the product's terms.
        preexisting_deductible_multiple : sequence or mapping, optional
            既往症 起付线 as a multiple of the healthy one (2 = "doubled deductible").
            Default: the product's own multiple on each line (its difference where the
            product's healthy 起付线 is 0). Every other segment follows the base segment the
            same way, by the product's own multiple (or difference) and share.
        preexisting_payout_share : sequence or mapping, optional
            既往症 赔付比例 as a share of the healthy one (0.5 = half). Default: the product's own
            share on each line.
        preexisting_payout_ratio : sequence or mapping, optional
            既往症 赔付比例 as an absolute fraction (exclusive with the share). The three
            ``preexisting_*`` axes need a product with a ``preexisting`` segment.
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
        names, segments, base = _product_terms(product)
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
        pre = segments.index(PREEXISTING) if PREEXISTING in segments[1:] else None
        axes: list[tuple[str, str, np.ndarray, tuple[int, ...]]] = []
        for name, spec in given.items():
            if spec is None:
                continue
            if name.startswith("preexisting_") and pre is None:
                raise ParameterError(f"{name}: product {product.code} has no "
                                     f"{PREEXISTING!r} segment besides its base segment; "
                                     f"segments: {list(segments)}")
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
        hd, hr = terms[:, :, 0, 0], terms[:, :, 0, 1]  # base segment: views into ``terms``
        b = base[0]
        # base-segment terms, and caps of every segment
        for name, col, _vals, idx in axes:
            v = per_axis[col]
            for i in idx:
                if name == "deductible":
                    hd[:, i] = v
                elif name == "payout_ratio":
                    hr[:, i] = v
                elif name == "cap":
                    terms[:, i, :, 2] = v[:, None]
        # the other segments' terms follow the base ones unless a (既往症) axis sets them
        set_mult = {i: per_axis[c] for n, c, _v, ix in axes
                    if n == "preexisting_deductible_multiple" for i in ix}
        set_share = {i: per_axis[c] for n, c, _v, ix in axes
                     if n == "preexisting_payout_share" for i in ix}
        set_ratio = {i: per_axis[c] for n, c, _v, ix in axes
                     if n == "preexisting_payout_ratio" for i in ix}
        for j in range(1, len(segments)):
            sd, sr = terms[:, :, j, 0], terms[:, :, j, 1]
            mult, share, ratio = (set_mult, set_share, set_ratio) if j == pre else ({}, {}, {})
            for i in range(len(names)):
                if i in mult:
                    sd[:, i] = mult[i] * hd[:, i]
                elif b[i, 0, 0] > 0:
                    sd[:, i] = hd[:, i] * (b[i, j, 0] / b[i, 0, 0])
                else:
                    sd[:, i] = hd[:, i] + (b[i, j, 0] - b[i, 0, 0])
                if i in share:
                    sr[:, i] = share[i] * hr[:, i]
                elif i in ratio:
                    sr[:, i] = ratio[i]
                else:
                    sr[:, i] = hr[:, i] * (b[i, j, 1] / b[i, 0, 1])
        frame = pd.DataFrame(per_axis, index=pd.RangeIndex(k))
        grid_current = np.all(terms == base, axis=(1, 2, 3))
        if include_current and not grid_current.any():
            row = {}
            for name, col, _vals, idx in axes:
                row[col] = _current_axis_value(name, b, idx, pre)
            frame = pd.concat([frame, pd.DataFrame([row], columns=frame.columns)],
                              ignore_index=True)
            terms = np.concatenate([terms, base], axis=0)
            grid_current = np.append(grid_current, True)
        return cls(names, terms, axes=frame, current=grid_current, product=product,
                   segments=segments)

    @classmethod
    def from_frame(cls, product, frame: pd.DataFrame) -> DesignGrid:
        """Designs given explicitly: columns ``<line>.<segment>.<term>``; others from ``product``.

        Columns that are not term columns are kept as axis columns (labels of the designs);
        ``design`` and ``current`` are recomputed, so an edited :attr:`designs` table can be
        passed back.
        """
        if not isinstance(frame, pd.DataFrame) or len(frame) == 0:
            raise ParameterError("frame: expected a non-empty DataFrame of designs")
        names, segments, base = _product_terms(product)
        terms = np.broadcast_to(base, (len(frame), *base.shape[1:])).copy()
        labels = {}
        for col in frame.columns:
            if col in ("design", "current"):  # recomputed (a designs table can be passed back)
                continue
            parts = str(col).split(".")
            if len(parts) == 3 and parts[2] in TERMS:
                line, seg, term = parts
                if line not in names or seg not in segments:
                    raise ParameterError(f"frame: column {col!r} names an unknown line or "
                                         f"segment; lines {list(names)}, segments "
                                         f"{list(segments)}")
                values = pd.to_numeric(frame[col], errors="coerce").to_numpy(float)
                if np.any(np.isnan(values)):
                    raise ParameterError(f"frame: column {col!r} has missing or non-numeric "
                                         "values")
                terms[:, names.index(line), segments.index(seg), TERMS.index(term)] = values
            else:
                labels[col] = frame[col].to_numpy()
        current = np.all(terms == base, axis=(1, 2, 3))
        return cls(names, terms, axes=pd.DataFrame(labels), current=current, product=product,
                   segments=segments)

    @classmethod
    def current_design(cls, product) -> DesignGrid:
        """The product's current design as a one-design grid."""
        names, segments, base = _product_terms(product)
        return cls(names, base, current=[True], product=product, segments=segments)

    # -- access ---------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self.terms.shape[0]

    def __repr__(self) -> str:
        axes = ", ".join(self.axes.columns) or "none"
        return (f"DesignGrid({len(self)} designs, lines={list(self.lines)}, "
                f"segments={list(self.segments)}, axes: {axes})")

    def line_terms(self, line: str, segment: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(deductible, payout_ratio, cap)`` arrays of shape ``(K,)`` for one line × segment."""
        if line not in self.lines or segment not in self.segments:
            raise ParameterError(f"unknown line {line!r} or segment {segment!r}; lines "
                                 f"{list(self.lines)}, segments {list(self.segments)}")
        t = self.terms[:, self.lines.index(line), self.segments.index(segment)]
        return t[:, 0], t[:, 1], t[:, 2]

    @property
    def designs(self) -> pd.DataFrame:
        """Tidy table, one row per design: ``design``, the axes, ``current`` and every term."""
        out = self.axes.copy()
        out.insert(0, "design", np.arange(len(self)))
        out["current"] = self.current
        cols = {}
        for i, line in enumerate(self.lines):
            for j, seg in enumerate(self.segments):
                for m, term in enumerate(TERMS):
                    cols[term_column(line, seg, term)] = self.terms[:, i, j, m]
        return pd.concat([out, pd.DataFrame(cols)], axis=1)

    def take(self, index) -> DesignGrid:
        """The sub-grid of the designs at ``index`` (positions, or a boolean mask)."""
        idx = np.arange(len(self))[np.asarray(index)]
        return DesignGrid(self.lines, self.terms[idx],
                          axes=self.axes.iloc[idx].reset_index(drop=True),
                          current=self.current[idx], product=self.product,
                          segments=self.segments)


def _current_axis_value(name: str, base: np.ndarray, idx: tuple[int, ...],
                        pre: int | None) -> float:
    """The product's value of an axis on its lines, or NaN when the lines disagree."""
    h = base[list(idx), 0]
    p = h if pre is None else base[list(idx), pre]
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
