"""Manifests are complete (issue 11): the command line and every parsed option, the source
commit, versions, thread counts, and the SHA-256 of every file written; identical runs give
byte-identical manifests, and results do not depend on the number of BLAS/OpenMP threads."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from puhui import repro
from puhui.cli import main
from puhui.huiminbao import example_product_path

PRODUCT = str(example_product_path())


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_tune_manifest_records_every_option_and_is_reproducible(book, tmp_path):
    def tune(out, alpha):
        argv = ["tune", PRODUCT, "--data", str(book), "--out", str(out), "--deductible",
                "20000", "--payout-ratio", "0.8", "--alpha", alpha, "--max-price", "150"]
        assert main(argv) == 0
        return argv, (out / "manifest.json").read_bytes()

    argv, first = tune(tmp_path / "a", "0.1")
    _, other = tune(tmp_path / "b", "0.2")
    _, again = tune(tmp_path / "a", "0.1")
    assert again == first  # identical runs: byte-identical manifest (no clock time)
    man, man_b = json.loads(first), json.loads(other)
    assert man["invocation"]["argv"] == ["puhui", *argv]
    opts = man["invocation"]["options"]
    assert opts["alpha"] == 0.1 and man_b["invocation"]["options"]["alpha"] == 0.2
    assert opts["deductible"] == [20000.0] and opts["payout_ratio"] == [0.8]
    assert opts["max_price"] == 150.0 and opts["claim_cv"] == 0.05  # a default, recorded
    assert opts["years"] is None and opts["trend"] is None
    # the workflow's own record of the options, defaults included, and the constraints
    used = man["assumptions"]["options"]
    assert used["alpha"] == 0.1 and man_b["assumptions"]["options"]["alpha"] == 0.2
    assert used["max_price"] == 150.0 and used["deductibles"] == [20000.0]
    assert used["ratios"] == [0.8] and used["claim_cv"] == 0.05
    assert ["prob_cr_above_100", "<=", 0.1] in man["assumptions"]["constraints"]
    # every file written is listed with its hash, the manifest itself aside
    out = tmp_path / "a"
    assert _files(out) == set(man["outputs"]) | {"manifest.json"}
    for rel, digest in man["outputs"].items():
        assert repro.sha256_file(out / rel) == digest
    # source, versions, threads, font
    src = man["source"]
    assert src["commit"] == "unknown" or re.fullmatch(r"[0-9a-f]{40}", src["commit"])
    assert man["versions"]["numpy"] != "not installed"
    threads = man["threads"]
    assert threads["cpu_count"] == os.cpu_count() and threads["pinned"] == 1
    assert set(threads["env"]) == set(repro.THREAD_ENV)
    assert all(pool["num_threads"] == 1 for pool in threads["threadpools"])
    assert "figure_font" in man


def test_price_and_reprice_manifests_record_their_options(book, tmp_path):
    assert main(["price", PRODUCT, "--data", str(book), "--out", str(tmp_path / "p"),
                 "--level", "0.9", "--no-anti-selection"]) == 0
    man = json.loads((tmp_path / "p" / "manifest.json").read_text(encoding="utf-8"))
    assert man["invocation"]["options"]["level"] == 0.9
    assert man["invocation"]["options"]["no_anti_selection"] is True
    assert man["assumptions"]["options"] == {"pricing_year": None, "trend": None, "level": 0.9,
                                             "participation": 0.15, "anti_selection": False,
                                             "example_take_up": False}
    assert _files(tmp_path / "p") == set(man["outputs"]) | {"manifest.json"}

    import puhui.datasets as ds

    rates = tmp_path / "r.csv"
    assert main(["reprice", str(ds.data_dir() / "crops" / "yields.csv"), "--out", str(rates),
                 "--coverage", "0.8", "--bandwidth", "scott", "--no-progress"]) == 0
    man = json.loads(rates.with_name("r.csv.manifest.json").read_text(encoding="utf-8"))
    assert man["invocation"]["options"]["bandwidth"] == "scott"
    assert man["assumptions"]["bandwidth"] == "scott"
    assert man["assumptions"]["skip_invalid"] is False
    assert man["outputs"] == {"r.csv": repro.sha256_file(rates)}


def test_source_state_without_git_is_unknown(monkeypatch):
    repro.source_state.cache_clear()
    try:
        monkeypatch.setattr(repro.shutil, "which", lambda name: None)
        assert repro.source_state()["commit"] == "unknown"
        repro.source_state.cache_clear()
        monkeypatch.undo()

        def broken(*args, **kwargs):
            raise subprocess.CalledProcessError(128, "git")

        monkeypatch.setattr(repro.subprocess, "run", broken)
        assert repro.source_state() == {"commit": "unknown", "dirty": None,
                                        "changes_sha256": None}
    finally:
        repro.source_state.cache_clear()


def test_source_state_of_this_checkout():
    root = Path(repro.__file__).resolve().parents[2]
    state = repro.source_state()
    if not (root / ".git").exists():
        assert state["commit"] == "unknown"
        return
    head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    assert state["commit"] == head and isinstance(state["dirty"], bool)
    assert (state["changes_sha256"] is None) == (not state["dirty"])


def test_api_manifest_has_no_invocation_and_the_threads_in_use():
    m = repro.Manifest(command="puhui test").to_dict()
    assert m["invocation"] is None and m["threads"]["pinned"] is None
    with repro.pinned_threads(1):
        assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
        pinned = repro.Manifest(command="puhui test").to_dict()["threads"]
    assert pinned["pinned"] == 1
    assert pinned["env"] == {k: os.environ.get(k) for k in repro.THREAD_ENV}  # the user's


def test_price_tables_do_not_depend_on_the_thread_count(book, tmp_path):
    """`puhui price` in a child process with OMP/OPENBLAS_NUM_THREADS=1 and, at the same time,
    in this process with BLAS and OpenMP set to 2 threads: the same table bytes. Without the
    pin (PUHUI_THREADS=0) the threaded BLAS dot products of the aggregate distribution's
    moments changed the last bits of the risk margin and gross premiums (measured on this
    book and on the bundled one, 2 cores)."""
    from threadpoolctl import threadpool_info, threadpool_limits

    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MPLBACKEND": "Agg"}
    env.pop("PUHUI_THREADS", None)
    args = ["price", PRODUCT, "--data", str(book), "--no-anti-selection", "--out"]
    child = subprocess.Popen([sys.executable, "-m", "puhui.cli", *args, str(tmp_path / "1")],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with threadpool_limits(limits=2):
        assert all(p["num_threads"] == 2 for p in threadpool_info())
        assert main([*args, str(tmp_path / "2")]) == 0
    _, err = child.communicate(timeout=300)
    assert child.returncode == 0, err.decode()
    tables = sorted(p.name for p in (tmp_path / "1" / "tables").iterdir())
    assert "pricing_summary.csv" in tables
    for name in tables:
        assert ((tmp_path / "1" / "tables" / name).read_bytes()
                == (tmp_path / "2" / "tables" / name).read_bytes()), name
    child_env = json.loads((tmp_path / "1" / "manifest.json").read_text())["threads"]["env"]
    assert child_env["OMP_NUM_THREADS"] == "1"
