"""Issue 18: `puhui reprice` rated in partitions as the file is read (bounded memory).

`reprice_csv` rates each region once its rows are complete and writes the rows as it goes; the
bytes must be those of `csv_bytes(reprice(whole table))` — whatever the chunk size, the order
of crops and years within a region, the cells that cannot be rated — and every case it cannot
stream (regions not grouped in sorted order, a year first met late, a repeated key, a bad
cell) must give the whole-table answer or the whole-table error report.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from puhui.agri.batch import StreamRates, _options, load_yield_panel, reprice, reprice_csv
from puhui.errors import DataError
from puhui.report import csv_bytes


def book(regions=12, crops=("wheat", "rice", "maize"), years=14, seed=3) -> pd.DataFrame:
    """Seeded yields grouped by region (regions in sorted order, crops unsorted), a trend and
    disasters; a few missing years, and two cells too short to rate."""
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(regions):
        for c in crops:
            level = rng.uniform(200, 700)
            ys = np.arange(2000, 2000 + years)
            y = level * (1 + 0.01 * (ys - 2000)) * (1 + rng.normal(0, 0.12, years))
            y[rng.random(years) < 0.05] *= 0.5
            keep = rng.random(years) > 0.1
            rows.append(pd.DataFrame({"region": f"县{r:03d}", "crop": c, "year": ys[keep],
                                      "yield": np.round(y[keep], 3)}))
    df = pd.concat(rows, ignore_index=True)
    short = (df["region"] == "县004") & (df["crop"] == "rice")
    df = df[~short | (df["year"] < 2003)]  # 3 years or fewer: cannot be rated
    df = df[~((df["region"] == "县007") & (df["crop"] == "maize")) | (df["year"] < 2002)]
    return df.reset_index(drop=True)


BOOK = book()


def whole(df: pd.DataFrame, **kw) -> bytes:
    """The rate table of the whole table in memory, as the command wrote it before."""
    return csv_bytes(reprice(df, (0.7, 0.8, 0.9), on_invalid="skip", **kw))


@pytest.fixture(scope="module")
def want() -> bytes:
    return whole(BOOK)


def streamed(path, **kw):
    buf = io.BytesIO()
    run = reprice_csv(path, buf, (0.7, 0.8, 0.9), on_invalid="skip", **kw)
    return buf.getvalue(), run


@pytest.mark.parametrize("chunk_rows", [37, 160, 10_000])
def test_streamed_rates_are_the_whole_tables_bytes(tmp_path, want, chunk_rows):
    # chunks end inside a cell (37 rows), inside a region (160) or hold the whole file
    src = tmp_path / "yields.csv"
    BOOK.to_csv(src, index=False)
    got, run = streamed(src, chunk_rows=chunk_rows)
    assert run.how == "streamed"
    assert got == want
    assert run.rows == len(BOOK) and run.chunks == -(-len(BOOK) // chunk_rows)
    assert [s["region"] for s in run.skipped] == ["县004", "县007"]
    assert run.cells_rated == BOOK.groupby(["region", "crop"]).ngroups - 2


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), chunk_rows=st.integers(60, 300))
def test_any_order_within_a_region_streams_to_the_same_bytes(tmp_path_factory, want, seed,
                                                             chunk_rows):
    # crops and years shuffled within each region, the regions still in sorted order
    rng = np.random.default_rng(seed)
    key = BOOK["region"].str[1:].astype(int).to_numpy() * 10_000 + rng.permutation(len(BOOK))
    src = tmp_path_factory.mktemp("shuffled") / "yields.csv"
    BOOK.iloc[np.argsort(key, kind="stable")].to_csv(src, index=False)
    got, run = streamed(src, chunk_rows=chunk_rows, threaded=bool(seed % 2))
    assert (run.how, got) == ("streamed", want)


def test_a_parquet_folder_streams_file_after_file(tmp_path, want):
    folder = tmp_path / "yields"
    folder.mkdir()
    for i, rows in enumerate(np.array_split(np.arange(len(BOOK)), 3)):  # split in a region
        BOOK.iloc[rows].to_parquet(folder / f"part-{i:05d}.parquet", index=False)
    got, run = streamed(folder, chunk_rows=100)
    assert (run.how, got) == ("streamed", want)


def test_regions_out_of_order_are_rated_in_memory(tmp_path, want):
    src = tmp_path / "yields.csv"
    BOOK.sample(frac=1, random_state=1).to_csv(src, index=False)
    got, run = streamed(src, chunk_rows=200)
    assert run.how.startswith("in memory: the file is not grouped by region")
    assert got == want


def test_a_year_first_met_late_is_rated_again_with_every_year(tmp_path):
    # the last region has years before all others: the first regions were rated on a panel
    # without those columns, so the table is rated again with every year known
    late = pd.DataFrame({"region": "县999", "crop": "rice", "year": range(1990, 2004),
                         "yield": np.linspace(300, 420, 14)})
    df = pd.concat([BOOK, late], ignore_index=True)
    src = tmp_path / "yields.csv"
    df.to_csv(src, index=False)
    got, run = streamed(src, chunk_rows=150)
    assert run.how.startswith("streamed twice")
    assert got == whole(df)


def test_a_repeated_key_or_a_bad_cell_gives_the_whole_tables_report(tmp_path):
    src = tmp_path / "yields.csv"
    BOOK.iloc[list(range(len(BOOK))) + [5]].to_csv(src, index=False)  # row 6 again at the end
    with pytest.raises(DataError) as streamed_err:
        streamed(src, chunk_rows=100)
    with pytest.raises(DataError) as whole_err:
        load_yield_panel(src)
    assert str(streamed_err.value) == str(whole_err.value)
    assert "duplicate" in str(streamed_err.value)
    bad = BOOK.astype({"yield": object})
    bad.loc[40, "yield"] = "n/a?"
    bad.to_csv(src, index=False)
    with pytest.raises(DataError) as streamed_err:
        streamed(src, chunk_rows=100)
    with pytest.raises(DataError) as whole_err:
        load_yield_panel(src)
    assert str(streamed_err.value) == str(whole_err.value)


def test_cells_that_cannot_be_rated_raise_as_reprice_does(tmp_path):
    src = tmp_path / "yields.csv"
    BOOK.to_csv(src, index=False)
    with pytest.raises(DataError) as streamed_err:
        reprice_csv(src, io.BytesIO(), chunk_rows=100)
    with pytest.raises(DataError) as whole_err:
        reprice(BOOK)
    assert str(streamed_err.value) == str(whole_err.value)
    header_only = tmp_path / "empty.csv"
    header_only.write_text("region,crop,year,yield\n", encoding="utf-8")
    with pytest.raises(DataError, match="no rows: nothing to rate"):
        reprice_csv(header_only, io.BytesIO())


def test_the_other_densities_and_trends_stream_too(tmp_path):
    src = tmp_path / "yields.csv"
    df = BOOK[~BOOK["region"].isin(["县004", "县007"])]
    df.to_csv(src, index=False)
    kw = {"detrend": "quadratic", "adjustment": "multiplicative",
          "density": ("empirical", "lognormal", "weibull")}
    got, run = streamed(src, chunk_rows=90, **kw)
    assert (run.how, got) == ("streamed", whole(df, **kw))


def test_the_stream_rates_a_region_only_once_it_is_complete():
    # direct use of the aggregation: the greatest region of a chunk waits for the next chunk
    out = []
    opts = _options((0.9,), "linear", "additive", "empirical", "silverman", None, None, "skip",
                    20_000)
    rater = StreamRates(opts, out.append, threaded=False)
    a = BOOK[BOOK["region"] <= "县001"]
    b = BOOK[(BOOK["region"] >= "县001") & (BOOK["region"] <= "县002")]
    rater.map(a[a["region"] == "县000"].reset_index(drop=True))
    assert out == []  # 县000 may go on in the next chunk
    rater.map(a[a["region"] == "县001"].reset_index(drop=True))
    assert len(out) == 1 and out[0].count(b"\n") == 3  # 县000's three cells
    rater.map(b[b["region"] == "县002"].reset_index(drop=True))
    rater.combine([0, 1, 2])
    assert rater.stop is None and sum(o.count(b"\n") for o in out) == 9


def test_the_command_streams_and_records_how(tmp_path, want, capsys):
    import json

    from puhui.cli import main
    from puhui.repro import sha256_file

    src = tmp_path / "yields.csv"
    BOOK.to_csv(src, index=False)
    out = tmp_path / "rates.csv"
    assert main(["reprice", str(src), "--out", str(out), "--skip-invalid", "--no-progress",
                 "--chunk-rows", "150"]) == 0
    assert out.read_bytes() == want
    man = json.loads((tmp_path / "rates.csv.manifest.json").read_text(encoding="utf-8"))
    assert man["assumptions"]["rated"] == "streamed"
    assert man["assumptions"]["chunks"] == -(-len(BOOK) // 150)
    assert [c["region"] for c in man["assumptions"]["cells_skipped"]] == ["县004", "县007"]
    assert man["inputs"]["yields"]["sha256"] == sha256_file(src)  # hashed in a thread
    assert man["outputs"]["rates.csv"] == sha256_file(out)
    assert "peak memory" in capsys.readouterr().err


def test_text_that_csv_bytes_quotes_or_guards_is_written_the_same(tmp_path):
    # region names a spreadsheet would run as a formula (excel_safe's leading '), or that need
    # quotes: the rows formatted once per cell must equal csv_bytes of the whole table
    names = {"县000": "=SUM(1)", "县001": '县,"引号"', "县002": "-东", "县003": "+西",
             "县005": "@北"}
    df = BOOK[BOOK["region"].isin(list(names))].replace({"region": names})
    df = df.sort_values("region", kind="mergesort")  # grouped, in sorted order
    src = tmp_path / "yields.csv"
    df.to_csv(src, index=False)
    got, run = streamed(src, chunk_rows=70)
    assert (run.how, got) == ("streamed", whole(df))
    assert b"'=SUM(1)" in got and b'"\xe5\x8e\xbf,""' in got
