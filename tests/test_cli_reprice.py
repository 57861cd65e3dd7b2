"""`puhui reprice`: a yields table in, a rate table equal to the library's and a manifest out."""

from __future__ import annotations

import json

import pandas as pd

import puhui.datasets
from puhui.agri import reprice
from puhui.cli import main


def test_reprice_cli_matches_the_library(tmp_path, capsys):
    src = puhui.datasets.data_dir() / "crops" / "yields.csv"
    out = tmp_path / "rates.csv"
    assert main(["reprice", str(src), "--coverage", "0.7", "0.85", "--out", str(out),
                 "--no-progress"]) == 0
    got = pd.read_csv(out, encoding="utf-8-sig", dtype={"region": str})
    want = reprice(puhui.datasets.load_crop_yields(), [0.7, 0.85])
    assert len(got) == len(want) == 2 * 300
    pd.testing.assert_series_equal(got["kernel_rate"], want["kernel_rate"].reset_index(drop=True),
                                   check_names=False, rtol=1e-12)
    man = json.loads((tmp_path / "rates.csv.manifest.json").read_text(encoding="utf-8"))
    assert man["assumptions"]["coverage_levels"] == [0.7, 0.85]
    assert man["outputs"]["rates.csv"]


def test_reprice_cli_bad_input(tmp_path, capsys):
    bad = tmp_path / "y.csv"
    bad.write_text("region,crop,year,yield\nA,rice,2020,-5\n", encoding="utf-8")
    assert main(["reprice", str(bad), "--out", str(tmp_path / "r.csv"), "--no-progress"]) == 2
    assert "[negative]" in capsys.readouterr().err
    assert main(["reprice", str(bad), "--out", str(tmp_path / "r.txt")]) == 2


def test_header_only_yields_file_is_an_error_not_an_empty_rate_table(tmp_path, capsys):
    # issue 11: a header-only yields file gave an empty rate table with exit 0
    src = tmp_path / "y.csv"
    src.write_text("region,crop,year,yield\n", encoding="utf-8")
    out = tmp_path / "rates.csv"
    assert main(["reprice", str(src), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "no rows" in err and "Traceback" not in err
    assert not out.exists()


def test_reprice_cli_on_a_dask_cluster_writes_the_local_bytes(tmp_path, capsys):
    # issue 18: `puhui reprice --engine dask --scheduler ADDRESS` validates the chunks on the
    # cluster and writes the same rate table, byte for byte, as the local engine. A 2-worker
    # LocalCluster in this process (threads: starting worker processes would take ~5 s here);
    # the command connects to it by its address and disconnects.
    import pytest

    distributed = pytest.importorskip("distributed")
    src = puhui.datasets.data_dir() / "crops" / "yields.csv"
    local, remote = tmp_path / "local.csv", tmp_path / "dask.csv"
    assert main(["reprice", str(src), "--out", str(local), "--no-progress",
                 "--chunk-rows", "2000"]) == 0
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        assert main(["reprice", str(src), "--out", str(remote), "--no-progress",
                     "--chunk-rows", "2000", "--engine", "dask",
                     "--scheduler", cluster.scheduler_address]) == 0
    assert "5 chunk(s) (dask engine)" in capsys.readouterr().err
    assert remote.read_bytes() == local.read_bytes()
    man = json.loads((tmp_path / "dask.csv.manifest.json").read_text(encoding="utf-8"))
    assert man["assumptions"]["engine"] == "dask" and man["assumptions"]["chunks"] == 5
