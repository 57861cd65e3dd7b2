"""Out-of-core tables (puhui.data.chunks): chunked == in-memory, the Dask engine == the local
engine, the vectorised CSV writer == pandas, and the FFT refusal at national size (issue 18)."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import puhui.datasets
from puhui.agri.batch import load_yield_panel, reprice, yield_panel
from puhui.data import load
from puhui.data.chunks import Collect, scan
from puhui.errors import DataError, ParameterError
from puhui.report import csv_bytes

YIELDS = puhui.datasets.data_dir() / "crops" / "yields.csv"


def _book(n_cells: int = 400, years: int = 12, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    region = np.repeat([f"县{i:04d}" for i in range(n_cells // 2)], 2)
    crop = np.tile(["rice", "wheat"], n_cells // 2)
    return pd.DataFrame({"region": np.repeat(region, years), "crop": np.repeat(crop, years),
                         "year": np.tile(2000 + np.arange(years), n_cells),
                         "yield": np.round(rng.uniform(200, 700, n_cells * years), 3)})


def _same_panel(a, b):
    pd.testing.assert_frame_equal(a.cells, b.cells)
    assert np.array_equal(a.years, b.years)
    assert np.array_equal(a.values, b.values, equal_nan=True)


@pytest.fixture(scope="module")
def book_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("scale") / "yields.csv"
    _book().sample(frac=1.0, random_state=3).to_csv(path, index=False)  # rows shuffled
    return path


def test_chunked_panel_equals_the_in_memory_panel_on_bundled_data():
    panel, res = load_yield_panel(YIELDS, chunk_rows=1_000)
    assert res.chunks == 9 and res.rows == 9_000 and res.peak_bytes > 0
    _same_panel(panel, yield_panel(load(YIELDS, "yields")))


def test_chunked_table_equals_load_on_a_generated_book_csv_and_parquet(book_csv, tmp_path):
    want = load(book_csv, "yields")
    got = scan(book_csv, "yields", Collect(), chunk_rows=777).result
    pd.testing.assert_frame_equal(got, want)
    folder = tmp_path / "parts"
    folder.mkdir()
    frame = pd.read_csv(book_csv, dtype={"region": str})
    for i in range(3):
        frame.iloc[i::3].to_parquet(folder / f"part{i}.parquet", index=False)
    both = pd.concat([frame.iloc[i::3] for i in range(3)], ignore_index=True)
    pd.testing.assert_frame_equal(scan(folder, "yields", Collect(), chunk_rows=500).result,
                                  load(_write(both, tmp_path / "all.parquet"), "yields"))
    _same_panel(load_yield_panel(folder, chunk_rows=500)[0], yield_panel(both))


def _write(frame, path):
    frame.to_parquet(path, index=False)
    return path


def _problems(fn):
    with pytest.raises(DataError) as err:
        fn()
    return [str(p) for p in err.value.problems]


@pytest.mark.parametrize("edit", ["negative", "text", "duplicate", "missing", "unknown_column"])
def test_a_bad_file_gives_exactly_the_in_memory_report(tmp_path, edit):
    frame = _book(40, 5).astype(str)
    if edit == "negative":
        frame.loc[150, "yield"] = "-3"
    elif edit == "text":
        frame.loc[[7, 190], "yield"] = ["abc", "1,2x"]
    elif edit == "duplicate":
        frame.loc[180, ["region", "crop", "year"]] = frame.loc[3, ["region", "crop", "year"]]
    elif edit == "missing":
        frame.loc[[5, 160], "region"] = ""
    else:
        frame["colour"] = "x"
    path = tmp_path / "y.csv"
    frame.to_csv(path, index=False)
    want = _problems(lambda: load(path, "yields"))
    assert want == _problems(lambda: load_yield_panel(path, chunk_rows=64))


def test_files_the_streaming_reader_does_not_take_are_read_whole(tmp_path):
    frame = _book(20, 5)
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(frame.to_csv(index=False).encode("gb18030"))  # not UTF-8: read whole
    _same_panel(load_yield_panel(gbk, chunk_rows=16)[0], yield_panel(load(gbk, "yields")))
    with pytest.raises(ParameterError, match="engine"):
        scan(gbk, "yields", Collect(), engine="spark")


def test_reprice_of_a_path_and_the_cli_bytes(tmp_path):
    # the rate table of the bundled data, byte for byte as the command wrote it before the
    # chunked reader and the vectorised writer (SHA-256 of the committed state's output)
    rates = reprice(YIELDS)
    rates.attrs = {}
    assert hashlib.sha256(csv_bytes(rates)).hexdigest() == (
        "378dcc0709f47d984a0234ce19204b4a6de2e7d65ac00a7e4972eb7759cbb7f3")


_CELL = st.one_of(st.text(alphabet=st.sampled_from(list('ab,"\n 区=-+x')), max_size=5),
                  st.none())


@settings(max_examples=25)
@given(st.lists(st.tuples(_CELL, st.floats(allow_nan=True, allow_infinity=True),
                          st.integers(-10**12, 10**12), st.booleans()), min_size=0, max_size=8))
def test_vectorised_csv_writer_is_byte_identical_to_pandas(rows):
    from puhui.report import _csv_minimal, excel_safe

    df = pd.DataFrame(rows, columns=["name", "x", "n", "flag"]).astype(
        {"name": object, "x": float, "n": "int64", "flag": bool})
    fast = _csv_minimal(df)
    if any(df["name"].dropna().str.contains("\r")):
        assert fast is None  # every cell quoted: pandas writes it
        return
    assert fast == excel_safe(df).to_csv(index=False, lineterminator="\n").encode("utf-8-sig")


def test_float_text_is_numpy_repr_on_doubles_of_every_exponent():
    # Arrow's shortest digits + the layout of Python's repr == ndarray.astype(str), which is
    # what pandas writes: random bit patterns (every exponent, subnormals, inf, NaN), money-
    # and rate-like values, and the edges of the plain-digits range [1e-4, 1e15)
    from puhui.report import _float_text

    rng = np.random.default_rng(18)
    x = np.concatenate([
        rng.integers(0, 2**64, 20_000, dtype=np.uint64).view(np.float64),
        rng.lognormal(0, 8, 20_000), np.round(rng.uniform(-1e7, 1e7, 20_000), 2),
        np.nextafter([1e-4, 1e15, 1e10, 1e9], 0), np.nextafter([1e15, 1e-4], np.inf),
        [0.0, -0.0, 1e-4, 1e15, 1e16, 1e-5, 0.1, 500.0, -3.0, np.inf, -np.inf, np.nan,
         5e-324, 1.7976931348623157e308, 9999999999999998.0, 999999999999999.9]])
    text, whole = _float_text(x)
    got = np.array(text.to_pylist(), dtype=object)
    got[whole] = got[whole] + ".0"
    want = x.astype(str).astype(object)
    want[np.isnan(x)] = ""
    assert (got == want).all(), x[got != want][:5]


def test_fft_grid_too_coarse_is_refused_not_warned(monkeypatch):
    # a national book (1.6e8 members) needs ~2^25 nodes and had 1.4% variance error at the
    # 2^22 cap with only a warning; here the cap is 2^12 so the same situation is small
    import puhui.pricing.portfolio as pf

    rng = np.random.default_rng(5)
    y = np.where(rng.random(20_000) < 0.015, rng.lognormal(8.5, 1.0, 20_000), 0.0)
    w = np.full(y.size, 1.0 / y.size)
    monkeypatch.setattr(pf, "MAX_NODES", 2**12)
    monkeypatch.setattr(pf, "N_NODES", 2**10)
    ok = pf.experience_aggregate(y, w, 2_000)  # fine grid: returned
    assert abs(ok.var_rel_error) < pf.GRID_RTOL
    with pytest.raises(ParameterError, match=r"200,000 members.*variance by .*np2"):
        pf.experience_aggregate(y, w, 200_000)
    assert pf.experience_aggregate(y, w, 200_000, method="np2").mean() > 0


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_dask_engine_equals_local_engine(dask_client, book_csv):
    local = scan(book_csv, "yields", Collect(), chunk_rows=900)
    remote = scan(book_csv, "yields", Collect(), chunk_rows=900, engine="dask",
                  scheduler=dask_client)
    assert remote.engine == "dask" and remote.chunks == local.chunks == 6
    pd.testing.assert_frame_equal(remote.result, local.result)
    _same_panel(load_yield_panel(YIELDS, engine="dask", scheduler=dask_client,
                                 chunk_rows=2_000)[0], load_yield_panel(YIELDS)[0])


# --- experience cells and member cost tables out of core ---------------------------------------

def _policy_book(n: int = 3_000, seed: int = 11) -> pd.DataFrame:
    """A generated book: policies starting any day of 2022–2024, terms of 1–24 months."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 1096, n), "D")
    end = start + pd.to_timedelta(rng.integers(20, 730, n), "D")
    return pd.DataFrame({
        "policy_id": [f"P{i:07d}" for i in range(n)],
        "product": rng.choice(["HMB-A", "HMB-B", "ACC"], n),
        "region": rng.choice(["东城", "西城", "Z"], n),
        "segment": rng.choice(["healthy", "preexisting"], n),
        "start_date": start.strftime("%Y-%m-%d"), "end_date": end.strftime("%Y-%m-%d"),
        "sum_insured": 1e6, "premium": np.round(rng.uniform(20, 900, n), 2),
        "exposure": rng.integers(1, 5, n).astype(float)})


def _same_cells(got, want):
    pd.testing.assert_frame_equal(got[got.columns[:-4]], want[want.columns[:-4]])
    np.testing.assert_allclose(got[got.columns[-4:]].to_numpy(float),
                               want[want.columns[-4:]].to_numpy(float), rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("by, period, as_of", [
    (("product",), "year", None), (("product", "region"), "quarter", "2024-06-30"),
    ((), None, None)])
def test_chunked_earned_cells_equal_the_in_memory_cells(tmp_path, by, period, as_of):
    from puhui.experience.exposure import earned
    from puhui.experience.scale import earned_cells

    path = tmp_path / "policies.csv"
    _policy_book().to_csv(path, index=False)
    got, res = earned_cells(path, by, period, as_of, chunk_rows=700)
    assert res.chunks == 5
    _same_cells(got, earned(load(path, "policies"), by, period, as_of))


def test_chunked_earned_cells_on_bundled_policies():
    from puhui.experience.exposure import earned
    from puhui.experience.scale import earned_cells

    path = puhui.datasets.data_dir() / "crops" / "policies.csv"
    got, res = earned_cells(path, ("product", "region"), "month", chunk_rows=250)
    assert res.chunks == 4 and res.rows == 900
    _same_cells(got, earned(load(path, "policies"), ("product", "region"), "month"))


def _typed_policies(n: int = 2_400) -> pd.DataFrame:
    """The generated book as a typed (Parquet) table: date32 dates, ids all distinct, product /
    region / segment with few values, an optional ``sex`` column with an allowed list."""
    frame = _policy_book(n)
    for c in ("start_date", "end_date"):
        frame[c] = pd.to_datetime(frame[c]).dt.date
    frame["sex"] = np.where(np.arange(n) % 3 == 0, "F", "M")
    return frame


def _parts(frame: pd.DataFrame, folder, k: int = 3):
    folder.mkdir()
    for i, part in enumerate(np.array_split(np.arange(len(frame)), k)):
        frame.iloc[part].to_parquet(folder / f"part{i}.parquet", index=False)
    return folder


def test_parquet_chunks_give_the_in_memory_frame_at_array_speed(tmp_path):
    # ids stay Arrow strings and the dates date32 → datetime64 in the chunks; the table handed
    # back equals puhui.data.load of the same rows in one file, dtypes and all
    from puhui.data import chunks

    frame = _typed_policies()
    folder = _parts(frame, tmp_path / "parts")
    want = load(_write(frame, tmp_path / "all.parquet"), "policies")
    pd.testing.assert_frame_equal(scan(folder, "policies", Collect(), chunk_rows=500).result,
                                  want)
    import pyarrow.parquet as pq

    raw = chunks._frame(pq.read_table(folder / "part0.parquet"), "policies", "parquet")
    assert chunks._is_arrow_text(raw["policy_id"])  # the fast paths are taken
    assert isinstance(raw["product"].dtype, pd.CategoricalDtype)
    assert raw["start_date"].dtype == "datetime64[ns]"


def test_parquet_chunks_report_planted_bad_cells_as_the_in_memory_path(tmp_path, monkeypatch):
    # every kind of bad cell, in several chunks: the chunked report (a folder is never read
    # whole) has exactly the problems of puhui.data.load, and the same placeholder notes
    import datetime as dt

    import puhui.data.io as pio
    from puhui.errors import DataWarning

    frame = _typed_policies(1_800)
    frame.loc[[3, 1_201], "policy_id"] = [" P0000003", ""]  # cleaned / missing
    frame.loc[700, "policy_id"] = "NA"  # a placeholder: a note, not a problem
    frame.loc[[40, 1_500], "product"] = ["", "  "]  # missing in a column of few values
    frame.loc[[90, 1_650], "sex"] = ["X", "m"]  # not allowed
    frame.loc[200, "start_date"] = dt.date(1500, 1, 1)  # outside the datetime64[ns] range
    frame.loc[[333, 1_111], "end_date"] = None  # missing dates
    frame.loc[[450, 1_300], "premium"] = [-5.0, np.nan]
    frame.loc[1_000, "end_date"] = frame.loc[1_000, "start_date"] - dt.timedelta(days=3)
    folder = _parts(frame, tmp_path / "bad")
    one = _write(frame, tmp_path / "bad.parquet")
    want = _problems(lambda: load(one, "policies"))
    assert len(want) == 11  # (the NaN premium is a missing value)
    got = _problems(lambda: scan(folder, "policies", Collect(), chunk_rows=250,
                                 table="bad.parquet"))
    assert sorted(got) == sorted(want)
    monkeypatch.setattr(pio, "MAX_TEXT_BYTES", 0)  # a single file too, reported chunk by chunk
    assert sorted(_problems(lambda: scan(one, "policies", Collect(), chunk_rows=400))) == sorted(
        want)
    clean = frame.loc[[700, *range(1_700, 1_800)]].reset_index(drop=True)
    folder2 = _parts(clean, tmp_path / "notes", 2)
    with pytest.warns(DataWarning) as got_notes:
        scan(folder2, "policies", Collect(), chunk_rows=30, table="notes.parquet")
    with pytest.warns(DataWarning) as want_notes:
        load(_write(clean, tmp_path / "notes.parquet"), "policies")
    assert [str(p) for p in got_notes[0].message.problems] == [
        str(p) for p in want_notes[0].message.problems]


_TEXT = st.lists(st.sampled_from(list("aNA- \t0Z_/#?东") + ["n/a", "P01", "—"]),
                 max_size=4).map("".join)


@settings(max_examples=20)
@given(st.lists(_TEXT, min_size=1, max_size=30))
def test_arrow_text_shortcut_only_when_no_rule_applies(cells):
    # the array-speed check of a text column accepts it only when the row-by-row rules find
    # nothing and keep every cell as written; its row hashes equal the object column's
    import pyarrow as pa

    from puhui.data import chunks
    from puhui.data.schema import schema
    from puhui.data.validate import _check_column

    col = schema("policies").column("policy_id")
    series = pd.Series(pd.arrays.ArrowStringArray(pa.array(cells, pa.string())))
    fast = chunks._check_plain_text(series, col)
    values, problems, notes = _check_column(pd.Series(cells, dtype=object), col, "p")
    if fast is not None:
        assert not problems and not notes and list(values) == cells
    elif all(c.strip() and c == c.strip() and c.isascii() and " " not in c and "\t" not in c
             and c.lower() not in ("na", "n/a", "-", "?", "--") for c in cells):
        raise AssertionError("a clean column was sent to the row-by-row rules")
    frames = [pd.DataFrame({"k": series}), pd.DataFrame({"k": pd.Series(cells, dtype=object)}),
              pd.DataFrame({"k": pd.Categorical(cells)})]
    hashes = [chunks.row_hashes(f) for f in frames]
    assert all(np.array_equal(h, hashes[0]) for h in hashes)
    assert len(set(hashes[0].tolist())) == len(set(cells))


def test_member_cost_table_carries_members_without_cost_as_counts(tmp_path):
    # the bundled 惠民保 book, its first 30,000 member-years (about 88% without any cost):
    # chunked and compacted == cost_table of the whole, compacted; weighted means unchanged
    from puhui.experience.member_costs import cost_table
    from puhui.experience.scale import _compact, member_cost_table

    pol = pd.read_parquet(puhui.datasets.data_dir() / "huiminbao" / "policies.parquet")
    pol = pol.iloc[:30_000]
    costs = pd.read_parquet(puhui.datasets.data_dir() / "huiminbao" / "costs.parquet")
    costs = costs[costs["policy_id"].isin(pol["policy_id"])].reset_index(drop=True)
    path = tmp_path / "pol.parquet"
    pol.to_parquet(path, index=False)
    got, res = member_cost_table(path, costs, trend=0.08, chunk_rows=7_000)
    full = cost_table(load(path, "policies"), costs, trend=0.08)
    want = _compact(full)
    assert res.chunks == 5 and got.lines == want.lines and got.segments == want.segments
    assert got.to_year == want.to_year and len(got.weight) < 0.2 * len(full.weight)
    assert np.array_equal(got.cost, want.cost) and np.array_equal(got.segment, want.segment)
    assert np.array_equal(got.year, want.year)
    np.testing.assert_allclose(got.weight, want.weight, rtol=1e-12)
    for s in range(len(got.segments)):  # exposure and mean cost per segment, as row by row
        a, b = got.segment == s, full.segment == s
        assert got.weight[a].sum() == pytest.approx(full.weight[b].sum(), rel=1e-12)
        np.testing.assert_allclose(got.weight[a] @ got.cost[a], full.weight[b] @ full.cost[b],
                                   rtol=1e-12)
    stray = pd.concat([costs, pd.DataFrame({"policy_id": ["nobody"], "benefit_line":
                                            [costs["benefit_line"].iat[0]], "cost": [1.0]})])
    with pytest.raises(DataError, match="unknown_id"):
        member_cost_table(path, stray, chunk_rows=10_000)


def test_dask_engine_equals_local_engine_for_earned_cells(dask_client, tmp_path):
    from puhui.experience.scale import earned_cells

    path = tmp_path / "policies.csv"
    _policy_book(1_500).to_csv(path, index=False)
    local, _ = earned_cells(path, ("product", "region"), "quarter", chunk_rows=400)
    remote, res = earned_cells(path, ("product", "region"), "quarter", chunk_rows=400,
                               engine="dask", scheduler=dask_client)
    assert res.engine == "dask" and res.chunks == 4
    pd.testing.assert_frame_equal(remote, local, check_exact=True)


def test_pricing_from_a_weighted_cost_table_equals_the_expanded_rows(tmp_path):
    # member_cost_table of a book read in chunks (members without cost as counts, costs left
    # untrended) priced with the product's trend: the price, the cells and the premium table of
    # price_from_experience on the expanded policies and costs, to 1e-12
    import warnings

    from puhui.experience.scale import member_cost_table
    from puhui.huiminbao import Product, example_product_path
    from puhui.huiminbao.pricing import price_from_experience

    product = Product.from_toml(example_product_path())
    pol = pd.read_parquet(puhui.datasets.data_dir() / "huiminbao" / "policies.parquet")
    pol = pol.iloc[:20_000]
    costs = pd.read_parquet(puhui.datasets.data_dir() / "huiminbao" / "costs.parquet")
    costs = costs[costs["policy_id"].isin(pol["policy_id"])].reset_index(drop=True)
    path = _write(pol, tmp_path / "pol.parquet")
    table, _ = member_cost_table(path, costs, trend=0.0, chunk_rows=8_000,
                                 lines=[ln.name for ln in reversed(product.lines)])
    assert len(table.weight) < 0.2 * len(pol)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the book-size note, the same in both
        want = price_from_experience(product, pol, costs)
        got = price_from_experience(product, table, None)
    assert got.gross_premium == pytest.approx(want.gross_premium, rel=1e-12)
    pd.testing.assert_frame_equal(got.cells, want.cells, rtol=1e-12)
    pd.testing.assert_frame_equal(got.premium, want.premium, rtol=1e-12)
    assert got.assumptions["share_paid"] == pytest.approx(want.assumptions["share_paid"],
                                                           rel=1e-12)
    with pytest.raises(ParameterError, match="costs"):
        price_from_experience(product, table, costs)
    with pytest.raises(ParameterError, match="ages"):
        price_from_experience(product, table, None, bands=[(0, 60), (60, 200)])


# -- tuning from a weighted cost table (issue 18): the members without cost as count rows ------

def _same_tuning(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Every column of two tuning tables equal, the numbers to 1e-12 relative (NaN where NaN)."""
    assert list(got.columns) == list(want.columns) and len(got) == len(want)
    for c in want.columns:
        a, b = want[c].to_numpy(), got[c].to_numpy()
        if a.dtype.kind == "f":
            np.testing.assert_allclose(b, a, rtol=1e-12, atol=0, equal_nan=True, err_msg=c)
        else:
            assert np.array_equal(a, b), c


def test_tuning_from_a_weighted_cost_table_equals_the_expanded_rows(book, tmp_path):
    # member_cost_table of a book read in chunks (part-year exposures, 2 policy years, costs
    # untrended) tuned with the product's trend and take-up: every column of the tuning table
    # of huiminbao.tune on the expanded policies and costs — premiums, P(CR > 100%), share
    # paid, the participation equilibrium — to 1e-12. Each count row counts as its members
    # (CostTable.count); read as one member per row (count=None), the figures differ.
    from dataclasses import replace

    from puhui.experience.member_costs import MemberCosts
    from puhui.experience.scale import member_cost_table
    from puhui.huiminbao import Product, example_product_path
    from puhui.huiminbao.pricing import price_from_experience
    from puhui.huiminbao.tuning import tune

    product = Product.from_toml(example_product_path())
    pol = pd.read_parquet(book / "policies.parquet")  # 4,380 member-years of 2023–2025
    pol["exposure"] = np.round(np.random.default_rng(18).uniform(0.05, 1.0, len(pol)), 3)
    costs = pd.read_parquet(book / "costs.parquet")
    table, _ = member_cost_table(_write(pol, tmp_path / "pol.parquet"), costs, trend=0.0,
                                 chunk_rows=1_500,
                                 lines=[ln.name for ln in reversed(product.lines)])
    assert len(table.weight) < 0.2 * len(pol) and table.count.sum() == len(pol)
    assert table.count.max() > 500  # the members without any cost of a segment × year
    years = [2024, 2025]
    want, choice_want, _ = tune(product, pol, costs, years=years, groups=None)
    got, choice_got, _ = tune(product, table, None, years=years)
    _same_tuning(got.table, want.table)
    assert choice_got.design == choice_want.design
    assert got.assumptions["members"] == pytest.approx(want.assumptions["members"], rel=1e-12)
    assert "members" in got.table.columns  # evaluated at each design's equilibrium
    # one member per row: the means (Σ pay / Σ exposure) are the same, the variance is not
    rowwise, _, _ = tune(product, replace(table, count=None), None, years=years)
    var, var1 = (ev.moments["aggregate_fixed"]["var"] for ev in (want, rowwise))
    assert np.all(np.abs(var1 / var - 1) > 1e-3)
    with pytest.raises(ParameterError, match="costs"):
        tune(product, table, costs)
    with pytest.raises(ParameterError, match="groups"):
        tune(product, table, None, groups=["age"])
    with pytest.raises(ParameterError, match="years"):
        tune(product, table, None, years=[2019])
    with pytest.raises(ParameterError, match="counts"):
        MemberCosts([[0.0], [1.0]], lines=["a"], segment=["x", "x"], counts=[2.5, 1])
    costly = replace(table, count=np.where(np.arange(len(table.weight)) == 0, 3,
                                           table.count))  # a row with a cost standing for 3
    with pytest.raises(ParameterError, match="count > 1"):
        price_from_experience(product, costly, None)


_TAKE_UP: list = []


@settings(max_examples=6)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(40, 400),
       paid=st.floats(0.02, 0.5), cells=st.integers(1, 5), cv=st.sampled_from([0.0, 0.05]))
def test_tuning_is_the_same_whatever_zero_cost_rows_are_collapsed(seed, n, paid, cells, cv):
    # a random small book (two segments, two years, part-year exposures, costs on a random
    # share of member-years and lines) and the same member-years with its zero-cost rows
    # merged at random — any number of count rows per segment × year, rows shuffled: the
    # tuning tables agree to 1e-12
    from puhui.experience.member_costs import CostTable, cost_table
    from puhui.huiminbao import Product, example_product_path
    from puhui.huiminbao.tuning import take_up_for, tune

    product = Product.from_toml(example_product_path())
    if not _TAKE_UP:  # the bundled take-up, calibrated once for every example
        _TAKE_UP.append(take_up_for(product)[0])
    lines = [ln.name for ln in product.lines]
    rng = np.random.default_rng(seed)
    seg = np.where(rng.random(n) < 0.3, "preexisting", "healthy")
    seg[:2] = ["healthy", "preexisting"]
    pol = pd.DataFrame({"policy_id": [f"M{i}" for i in range(n)], "product": product.code,
                        "segment": seg, "policy_year": rng.choice([2024, 2025], n),
                        "exposure": np.round(rng.uniform(0.05, 1.0, n), 2)})
    has = rng.random((n, len(lines))) < paid
    who, line = np.nonzero(has)
    costs = pd.DataFrame({"policy_id": pol["policy_id"].to_numpy()[who],
                          "benefit_line": np.asarray(lines)[line],
                          "cost": np.round(rng.lognormal(9.5, 1.3, len(who)), 2)})
    full = cost_table(pol, costs, lines=lines)
    zero = ~(full.cost > 0).any(axis=1)
    key = (full.segment * 2 + (full.year - 2024)) * cells + rng.integers(0, cells, n)
    groups, at = np.unique(key[zero], return_inverse=True)
    kept = np.flatnonzero(~zero)
    first = np.flatnonzero(zero)[np.unique(at, return_index=True)[1]]  # one row per group
    order = rng.permutation(len(kept) + len(groups))
    table = CostTable(
        cost=np.concatenate([full.cost[kept], np.zeros((len(groups), len(lines)))])[order],
        weight=np.concatenate([full.weight[kept], np.bincount(at, full.weight[zero])])[order],
        segment=np.concatenate([full.segment[kept], full.segment[first]])[order],
        year=np.concatenate([full.year[kept], full.year[first]])[order],
        rows=np.full(len(order), -1), lines=full.lines, segments=full.segments,
        to_year=full.to_year, trend=full.trend,
        count=np.concatenate([np.ones(len(kept), np.int64), np.bincount(at)])[order])
    opts = dict(years=[2024, 2025], deductibles=(5_000, 15_000), ratios=(0.6, 0.9),
                claim_cv=cv, take_up=_TAKE_UP[0])
    want = tune(product, pol, costs, groups=None, **opts)[0].table
    got = tune(product, table, None, **opts)[0].table
    _same_tuning(got, want)
