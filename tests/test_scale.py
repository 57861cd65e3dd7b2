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
    safe = excel_safe(df)
    if any(safe["name"].dropna().str.contains("\r")):
        return
    fast = _csv_minimal(safe)
    assert fast == safe.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")


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
