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
