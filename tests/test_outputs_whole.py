"""Outputs are whole or absent (issue 11): a run replaces its --out folder (or file + manifest)
only when everything was written; errors, interrupts and refusals leave the previous output
as it was, with a one-line message and exit status 2 (3 for a bug, 130/143 for signals)."""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import puhui
import puhui.datasets as ds
from puhui import cli, repro
from puhui.cli import main
from puhui.huiminbao import example_product_path
from puhui.report import Report, excel_safe
from puhui.repro import Manifest, OutputError, staged_folder

PRODUCT = str(example_product_path())


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def yields_csv(tmp_path_factory) -> Path:
    """Two counties × rice × 30 years; the county names are formula-like text."""
    y = pd.read_csv(ds.data_dir() / "crops" / "yields.csv", dtype={"region": str})
    regions = sorted(y["region"].unique())[:2]
    small = y[y["region"].isin(regions) & (y["crop"] == "rice")].copy()
    small["region"] = small["region"].map({regions[0]: '=HYPERLINK("http://x","click")',
                                           regions[1]: "-20%"})
    path = tmp_path_factory.mktemp("yields") / "y.csv"
    small.to_csv(path, index=False)
    return path


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _leftovers(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if ".puhui-" in p.name)


def _small_report(tables=("a",), command="puhui test") -> Report:
    rep = Report("T", manifest=Manifest(command=command))
    for name in tables:
        rep.table(name, pd.DataFrame({"x": [1.0, 2.0], "name": ["p", "q"]}))
    return rep


@pytest.fixture
def fake_demo(monkeypatch):
    """`puhui demo --out X` runs a tiny report instead of the demo (main's paths, fast)."""
    calls = {"tables": ("a", "b")}

    def run(args):
        _small_report(calls["tables"]).write(args.out)
        return 0

    monkeypatch.setitem(cli.COMMANDS, "demo", run)
    return calls


def _price(book: Path, out: Path) -> int:
    return main(["price", PRODUCT, "--data", str(book), "--out", str(out)])


# -- crash, disk full, interrupts -------------------------------------------------------------


def test_crash_mid_write_keeps_the_old_output_and_no_temp_folder(tmp_path, monkeypatch, capsys,
                                                                 fake_demo):
    out = tmp_path / "out"
    assert main(["demo", "--out", str(out)]) == 0
    before = _snapshot(out)
    assert set(before) == {"tables/a.csv", "tables/b.csv", "report.md", "report.html",
                           "tables.xlsx", "manifest.json"}
    calls = []

    def crash(fh, data):
        calls.append(1)
        if len(calls) == 2:  # the second file of the report
            raise RuntimeError("boom inside the report writer")
        fh.write(data)

    monkeypatch.setattr(repro, "write_all", crash)
    capsys.readouterr()
    assert main(["demo", "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert "internal error" in err and "PUHUI_DEBUG=1" in err and "boom" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert _snapshot(out) == before and _leftovers(out) == []
    # PUHUI_DEBUG=1 shows the traceback
    calls.clear()
    monkeypatch.setenv("PUHUI_DEBUG", "1")
    assert main(["demo", "--out", str(out)]) == 3
    assert "Traceback" in capsys.readouterr().err


def test_disk_full_is_a_clean_error_and_keeps_the_old_report(book, tmp_path, monkeypatch,
                                                               capsys):
    out = tmp_path / "report"
    _small_report(("a", "b")).write(out)  # an earlier puhui report
    before = _snapshot(out)

    def full(fh, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(repro, "write_all", full)
    capsys.readouterr()
    assert _price(book, out) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert str(out) in err and "no space left" in err
    assert _snapshot(out) == before and _leftovers(out) == []


def test_disk_full_and_a_failed_rename_keep_the_old_rate_pair(yields_csv, tmp_path, monkeypatch,
                                                              capsys):
    out = tmp_path / "rates.csv"
    args = ["reprice", str(yields_csv), "--out", str(out), "--no-progress"]
    assert main(args) == 0
    man = out.with_name("rates.csv.manifest.json")
    pair = (out.read_bytes(), man.read_bytes())
    # the manifest records the data file's SHA-256: how a reader checks the pair
    assert json.loads(pair[1])["outputs"]["rates.csv"] == hashlib.sha256(pair[0]).hexdigest()

    monkeypatch.setattr(repro, "write_all",
                        lambda fh, data: (_ for _ in ()).throw(OSError(errno.ENOSPC, "full")))
    assert main([*args, "--coverage", "0.8"]) == 2
    err = capsys.readouterr().err
    assert "no space left" in err and str(out) in err and "Traceback" not in err
    assert (out.read_bytes(), man.read_bytes()) == pair and _leftovers(out) == []
    monkeypatch.undo()

    # the data file is renamed into place, then the manifest: a failure at the second rename
    # puts the previous data file back, so the pair stays consistent
    real = os.replace

    def second_fails(src, dst):
        if str(dst).endswith(".manifest.json"):
            raise OSError(errno.EIO, "Input/output error")
        return real(src, dst)

    monkeypatch.setattr(repro.os, "replace", second_fails)
    assert main([*args, "--coverage", "0.8"]) == 2
    assert (out.read_bytes(), man.read_bytes()) == pair and _leftovers(out) == []


def test_ctrl_c_and_sigterm_keep_the_old_output(tmp_path, monkeypatch, capsys, fake_demo):
    out = tmp_path / "out"
    assert main(["demo", "--out", str(out)]) == 0
    before = _snapshot(out)

    def interrupt(fh, data):
        raise KeyboardInterrupt

    monkeypatch.setattr(repro, "write_all", interrupt)
    assert main(["demo", "--out", str(out)]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert _snapshot(out) == before and _leftovers(out) == []

    def terminate(fh, data):
        os.kill(os.getpid(), signal.SIGTERM)  # main's handler raises in this thread
        fh.write(data)

    monkeypatch.setattr(repro, "write_all", terminate)
    assert main(["demo", "--out", str(out)]) == 143
    assert "SIGTERM" in capsys.readouterr().err
    assert _snapshot(out) == before and _leftovers(out) == []
    assert signal.getsignal(signal.SIGTERM) is not cli._on_sigterm  # handler restored


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(proc.stdout)


def test_leftovers_of_a_killed_run_are_cleared_by_the_next(tmp_path):
    """SIGKILL cannot be caught: it leaves `.OUT.puhui-tmp-<pid>-*`, which the next run into
    OUT deletes; a kill between the two renames of the swap (OUT renamed aside, the new folder
    not yet in place) is undone by putting the previous output back."""
    out = tmp_path / "out"
    _small_report().write(out)
    dead = _dead_pid()
    tmp = tmp_path / f".out.puhui-tmp-{dead}-abc123"
    (tmp / "tables").mkdir(parents=True)
    (tmp / "tables" / "half.csv").write_text("x\n")
    alive = tmp_path / f".out.puhui-tmp-{os.getppid()}-zzz"  # a run still going: left alone
    alive.mkdir()
    _small_report(("c",)).write(out)
    assert not tmp.exists() and alive.exists()
    assert sorted(_snapshot(out)) == ["manifest.json", "report.html", "report.md", "tables.xlsx",
                                      "tables/c.csv"]
    # killed between the renames: OUT missing, the previous output aside
    before = _snapshot(out)
    out.rename(tmp_path / f".out.puhui-old-{dead}-1a2b3c4d")
    assert repro.clear_leftovers(out) == [] and _snapshot(out) == before


def test_sigkill_mid_write_leaves_the_old_output(tmp_path):
    """A real `kill -9` in the middle of the report writer (in a child process)."""
    out = tmp_path / "out"
    _small_report(("a", "b")).write(out)
    before = _snapshot(out)
    code = ("import os, signal, sys\n"
            "import pandas as pd\n"
            "from puhui import repro\n"
            "from puhui.report import Report\n"
            "from puhui.repro import Manifest\n"
            "repro.write_all = lambda fh, data: os.kill(os.getpid(), signal.SIGKILL)\n"
            "rep = Report('T', manifest=Manifest(command='puhui test'))\n"
            "rep.table('z', pd.DataFrame({'x': [1]}))\n"
            "rep.write(sys.argv[1])\n")
    proc = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True)
    assert proc.returncode == -signal.SIGKILL
    assert _snapshot(out) == before
    left = _leftovers(out)
    assert len(left) == 1 and left[0].startswith(".out.puhui-tmp-")
    _small_report(("c",)).write(out)
    assert _leftovers(out) == []


# -- what may be replaced -------------------------------------------------------------------------


def test_a_new_run_clears_the_stale_files_of_the_previous_one(book, tmp_path):
    out = tmp_path / "report"
    (out / "tables").mkdir(parents=True)
    for name in ("tuning_designs", "tuning_summary", "tuning_choice"):
        (out / "tables" / f"{name}.csv").write_text("stale\n")
    (out / "manifest.json").write_text(json.dumps({"command": "puhui tune x.toml",
                                                   "outputs": {}}))
    assert _price(book, out) == 0
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    files = set(_snapshot(out))
    assert files == set(man["outputs"]) | {"manifest.json"}
    assert not any("tuning" in f for f in files)
    for rel, digest in man["outputs"].items():
        assert repro.sha256_file(out / rel) == digest


def test_someone_elses_folder_is_never_replaced(tmp_path, capsys, fake_demo):
    out = tmp_path / "actuary"
    out.mkdir()
    (out / "notes.xlsx").write_bytes(b"mine")
    assert main(["demo", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "not written by puhui" in err and "empty or new folder" in err
    assert _snapshot(out) == {"notes.xlsx": hashlib.sha256(b"mine").hexdigest()}
    (out / "manifest.json").write_text('{"name": "not ours"}')  # a manifest, but not puhui's
    assert main(["demo", "--out", str(out)]) == 2
    # an empty folder is fine
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["demo", "--out", str(empty)]) == 0


def test_out_equal_to_containing_or_inside_an_input_is_refused(book, yields_csv, tmp_path,
                                                               capsys):
    before = yields_csv.read_bytes()
    assert main(["reprice", str(yields_csv), "--out", str(yields_csv), "--no-progress"]) == 2
    assert "is the input" in capsys.readouterr().err
    assert yields_csv.read_bytes() == before
    # a hard link to the input is the same file
    link = yields_csv.with_name("same.csv")
    os.link(yields_csv, link)
    assert main(["reprice", str(yields_csv), "--out", str(link), "--no-progress"]) == 2
    assert "is the input" in capsys.readouterr().err
    snap = _snapshot(book)
    for out, how in ((book, "is the input"), (book.parent, "contains the input"),
                     (book / "report", "is inside the input")):
        for cmd in ("price", "review", "tune"):
            assert main([cmd, PRODUCT, "--data", str(book), "--out", str(out)]) == 2
            err = capsys.readouterr().err
            assert how in err and "Traceback" not in err, (cmd, out, err)
    assert main(["demo", "--out", str(ds.data_dir())]) == 2
    assert "is the input" in capsys.readouterr().err
    assert _snapshot(book) == snap


def test_symlinks_are_refused_and_never_followed(tmp_path, capsys, fake_demo):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("keep")
    link = tmp_path / "out"
    link.symlink_to(elsewhere, target_is_directory=True)
    assert main(["demo", "--out", str(link)]) == 2
    assert "symbolic link" in capsys.readouterr().err
    # a link inside a puhui folder: the folder is not replaced (nothing deleted through it)
    out = tmp_path / "real"
    assert main(["demo", "--out", str(out)]) == 0
    (out / "tables" / "ln").symlink_to(elsewhere, target_is_directory=True)
    assert main(["demo", "--out", str(out)]) == 2
    assert "holds a symbolic link" in capsys.readouterr().err
    assert (elsewhere / "keep.txt").read_text() == "keep" and (out / "tables" / "ln").is_symlink()
    # the single-file output of reprice
    target = tmp_path / "target.csv"
    target.write_text("x\n")
    (tmp_path / "r.csv").symlink_to(target)
    with pytest.raises(OutputError, match="symbolic link"):
        repro.check_output_file(tmp_path / "r.csv")


def test_file_valued_and_read_only_out_are_clean_errors(tmp_path, monkeypatch, capsys,
                                                         fake_demo):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    assert main(["demo", "--out", str(a_file)]) == 2
    err = capsys.readouterr().err
    assert "is an existing file" in err and str(a_file) in err and "Traceback" not in err
    assert main(["demo", "--out", str(a_file / "sub")]) == 2  # parent is a file
    err = capsys.readouterr().err
    assert "cannot create" in err and "Traceback" not in err
    # a read-only file system (monkeypatched: tests may run as root, who ignores modes)
    monkeypatch.setattr(repro.tempfile, "mkdtemp",
                        lambda **kw: (_ for _ in ()).throw(OSError(errno.EROFS, "ro")))
    assert main(["demo", "--out", str(tmp_path / "ro")]) == 2
    err = capsys.readouterr().err.strip()
    assert "read-only file system" in err and str(tmp_path / "ro") in err
    assert len(err.splitlines()) == 1
    monkeypatch.undo()
    if os.geteuid() != 0:  # a real read-only folder, where modes apply
        ro = tmp_path / "locked"
        ro.mkdir()
        ro.chmod(0o555)
        try:
            assert main(["demo", "--out", str(ro / "out")]) == 2
            assert "permission denied" in capsys.readouterr().err
        finally:
            ro.chmod(0o755)


# -- modes and cells ------------------------------------------------------------------------------


@pytest.mark.parametrize("mask, file_mode, dir_mode", [(0o022, 0o644, 0o755),
                                                       (0o027, 0o640, 0o750)])
def test_outputs_get_the_umask_default_mode(tmp_path, yields_csv, mask, file_mode, dir_mode):
    old = os.umask(mask)
    try:
        out = _small_report().write(tmp_path / "out")
        rates = tmp_path / "r.csv"
        assert main(["reprice", str(yields_csv), "--out", str(rates), "--no-progress",
                     "--coverage", "0.8"]) == 0
        repro.atomic_write_bytes(tmp_path / "single.txt", b"x")
    finally:
        os.umask(old)
    for p in [*out.rglob("*"), rates, rates.with_name("r.csv.manifest.json"),
              tmp_path / "single.txt"]:
        want = dir_mode if p.is_dir() else file_mode
        assert p.stat().st_mode & 0o777 == want, p
    assert out.stat().st_mode & 0o777 == dir_mode


def test_formula_cells_are_neutralised_in_csv(tmp_path, yields_csv):
    df = pd.DataFrame({
        "region": ['=HYPERLINK("http://x","click")', "+1", "-20%", "@SUM(A1)", "\tx", "\rx",
                   "ok", None],
        "value": [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        "n": np.arange(8) - 4,
    })
    rep = Report("T", manifest=Manifest(command="puhui test"))
    rep.table("cells", df)
    rep.table("header", pd.DataFrame({"=cmd": ["a"]}))
    out = rep.write(tmp_path / "out")
    text = (out / "tables" / "cells.csv").read_bytes().decode("utf-8-sig")  # keep the CR
    rows = list(csv.reader(io.StringIO(text)))
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(\"http://x\",\"click\")", "'+1", "'-20%",
                                        "'@SUM(A1)", "'\tx", "'\rx", "ok", ""]
    assert [r[1] for r in rows[1:4]] == ["-1.5", "2.0", "-3.0"]  # numbers stay numbers
    assert [r[2] for r in rows[1:3]] == ["-4", "-3"]
    assert (out / "tables" / "header.csv").read_text(encoding="utf-8-sig").startswith("'=cmd")
    # categoricals and the pandas string dtype too; the frame given is not changed
    cat = pd.DataFrame({"c": pd.Categorical(["=a", "b"]), "s": pd.array(["-x", "y"],
                                                                       dtype="string")})
    assert excel_safe(cat).astype(str).to_dict("list") == {"c": ["'=a", "b"], "s": ["'-x", "y"]}
    assert cat["c"].iloc[0] == "=a"
    # the rate table of puhui reprice (county names from the input)
    rates = tmp_path / "rates.csv"
    assert main(["reprice", str(yields_csv), "--out", str(rates), "--no-progress",
                 "--coverage", "0.8"]) == 0
    got = pd.read_csv(rates, encoding="utf-8-sig")
    assert set(got["region"]) == {"'=HYPERLINK(\"http://x\",\"click\")", "'-20%"}
    assert (got["kernel_rate"] >= 0).all()


def test_datasets_regenerate_keeps_files_it_does_not_write(tmp_path):
    """The data folder is replaced whole, but its README (not written by regenerate) stays."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "README.md").write_text("about the data")
    (data / "manifest.json").write_text(json.dumps({"generator": "puhui 0.1.0 regenerate"}))
    (data / "old.csv").write_text("x")
    with staged_folder(data, keep_foreign=True) as tmp:
        repro.write_bytes(tmp / "manifest.json", b'{"generator": "puhui new"}\n')
        repro.write_bytes(tmp / "crops" / "yields.csv", b"y\n")
    assert (data / "README.md").read_text() == "about the data"
    assert json.loads((data / "manifest.json").read_text())["generator"] == "puhui new"
    assert (data / "crops" / "yields.csv").read_text() == "y\n"


def test_cli_datasets_regenerate_replaces_the_data_folder_whole(tmp_path, monkeypatch, capsys):
    import puhui.datasets

    small = puhui.datasets.regenerate
    monkeypatch.setattr(puhui.datasets, "regenerate", lambda out: small(out, scale=0.01))
    data = tmp_path / "data"
    data.mkdir()
    (data / "README.md").write_text("about the data")
    (data / "manifest.json").write_text(json.dumps({"generator": "puhui 0.0 regenerate"}))
    assert main(["datasets", "regenerate", "--out", str(data)]) == 0
    printed = capsys.readouterr().out.split()
    assert printed[-1] == str(data / "manifest.json") and all(Path(p).is_file() for p in printed)
    man = json.loads((data / "manifest.json").read_text(encoding="utf-8"))
    for rel, entry in man["files"].items():
        assert repro.sha256_file(data / rel) == entry["sha256"]
    assert (data / "README.md").read_text() == "about the data" and _leftovers(data) == []
    other = tmp_path / "other"
    other.mkdir()
    (other / "mine.csv").write_text("x")
    assert main(["datasets", "regenerate", "--out", str(other)]) == 2
    assert "not written by puhui" in capsys.readouterr().err


# -- main() and size guards -------------------------------------------------------------------------


def test_every_puhui_error_is_one_clean_message_with_exit_2(tmp_path, monkeypatch, capsys):
    def raises(exc):
        def run(args):
            raise exc
        return run

    for exc, status in ((puhui.ParameterError("bad option"), 2),
                        (puhui.RuleError("breached"), 2),
                        (OutputError(errno.EIO, "cannot write x"), 2),
                        (FileNotFoundError(errno.ENOENT, "No such file", "nope.csv"), 2),
                        (ZeroDivisionError("oops"), 3)):
        monkeypatch.setitem(cli.COMMANDS, "demo", raises(exc))
        assert main(["demo", "--out", str(tmp_path / "o")]) == status, exc
        err = capsys.readouterr().err
        assert err.startswith("puhui demo: ") and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1


def test_benefit_grid_too_large_is_refused_with_its_size():
    d = np.linspace(0, 50_000, 1_000)[:, None, None]
    r = np.linspace(0.1, 1, 1_000)[None, :, None]
    with pytest.raises(puhui.ParameterError, match=r"1,000,000,000 designs.*GiB.*chunks"):
        puhui.Benefit(deductible=d, payout_ratio=r, cap=np.linspace(1e5, 1e6, 1_000))
    # the limit counts bands: the same designs with one more band are twice the cells
    from puhui.benefits import benefit as mod

    n = mod.MAX_DESIGN_CELLS // 2
    assert puhui.Benefit(deductible=np.zeros(1), payout_ratio=0.8).grid_shape == (1,)
    with pytest.raises(puhui.ParameterError, match="2 band"):
        mod._check_size((n + 1,), 2)
    mod._check_size((n,), 2)  # at the limit: accepted
