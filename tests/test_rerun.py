"""`puhui rerun MANIFEST --out DIR` (issue 13): check the inputs' SHA-256, re-execute the
recorded command in a child process, compare the new outputs with the recorded hashes byte for
byte and, for tables, cell by cell against the original output beside the manifest.

Three real reruns (a child `puhui` process each): a fresh `reprice` run (identical, exit 0), a
`tune` folder whose original table was edited by hand (exit 1, the cell named), and a `reprice`
whose input changed by one byte (exit 2, then exit 1 with --allow-changed). The rest of the
comparison logic runs against a stand-in child that writes chosen files.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import puhui.datasets as ds
from puhui import repro
from puhui.cli import main, rerun
from puhui.huiminbao import example_product_path
from puhui.report import csv_bytes
from puhui.repro import Manifest

PRODUCT = str(example_product_path())


def _last_line(text: str) -> str:
    return [ln for ln in text.splitlines() if ln.strip()][-1]


def _comparison(folder: Path) -> dict[str, str]:
    table = pd.read_csv(folder / rerun.COMPARISON_NAME, encoding="utf-8-sig", dtype=str,
                        keep_default_na=False)
    assert list(table.columns[:4]) == ["file", "recorded_sha256", "new_sha256", "status"]
    return dict(zip(table["file"], table["status"], strict=True))


def _one_region_yields(path: Path) -> Path:
    """One county × rice × 30 years of the bundled yields (a reprice run of about a second)."""
    y = pd.read_csv(ds.data_dir() / "crops" / "yields.csv", dtype={"region": str})
    small = y[(y["region"] == sorted(y["region"].unique())[0]) & (y["crop"] == "rice")]
    small.to_csv(path, index=False)
    return path


def _reprice(tmp: Path) -> Path:
    yields = _one_region_yields(tmp / "y.csv")
    out = tmp / "filed" / "rates.csv"
    assert main(["reprice", str(yields), "--coverage", "0.7", "0.9", "--out", str(out),
                 "--no-progress"]) == 0
    return out.with_name("rates.csv.manifest.json")


@pytest.fixture(scope="module")
def tuned(book, tmp_path_factory) -> Path:
    """A `puhui tune` output folder on the small book (one design: a fast run)."""
    out = tmp_path_factory.mktemp("tuned") / "out"
    assert main(["tune", PRODUCT, "--data", str(book), "--out", str(out), "--deductible",
                 "20000", "--payout-ratio", "0.8"]) == 0
    return out


@pytest.fixture(scope="module")
def repriced(tmp_path_factory) -> Path:
    """A `puhui reprice` rate table's manifest (rates.csv.manifest.json)."""
    return _reprice(tmp_path_factory.mktemp("repriced"))


# -- real reruns ---------------------------------------------------------------------------------


def test_a_fresh_reprice_run_reruns_identical(repriced, tmp_path, capsys):
    """A fresh run, rerun from its OUT.manifest.json: every output identical, exit 0."""
    assert main(["rerun", str(repriced), "--out", str(tmp_path / "again")]) == 0
    out = capsys.readouterr().out
    assert "identical: 1 file" in out
    assert _last_line(out).startswith("puhui rerun: identical — 1 recorded output reproduced")
    assert (tmp_path / "again" / "rates.csv").read_bytes() == \
        repriced.with_name("rates.csv").read_bytes()
    assert _comparison(tmp_path / "again") == {"rates.csv": "identical"}
    # the rerun ran the recorded command with the recorded thread pinning and options
    new = json.loads((tmp_path / "again" / "rates.csv.manifest.json").read_text("utf-8"))
    old = json.loads(repriced.read_text("utf-8"))
    assert new["threads"]["pinned"] == old["threads"]["pinned"] == 1
    assert new["invocation"]["options"]["coverage"] == [0.7, 0.9]
    assert new["inputs"]["yields"]["sha256"] == old["inputs"]["yields"]["sha256"]


def test_an_output_edited_by_hand_is_named_with_its_cell(tuned, tmp_path, capsys):
    """One cell of a table in the original folder edited: the rerun reproduces the record, the
    edited file and its cell are named, exit 1; the other files of the folder are identical."""
    filed = tmp_path / "filed"
    shutil.copytree(tuned, filed)
    table = filed / "tables" / "tuning_summary.csv"
    rows = table.read_text(encoding="utf-8-sig").splitlines()
    assert rows[2].startswith("required_premium,")
    cells = rows[2].split(",")
    recorded = cells[1]
    cells[1] = str(round(float(recorded) - 10, 6))  # the filed premium made 10 元 lower
    rows[2] = ",".join(cells)
    table.write_bytes(("\n".join(rows) + "\n").encode("utf-8-sig"))

    assert main(["rerun", str(filed), "--out", str(tmp_path / "again")]) == 1
    out = capsys.readouterr().out
    assert "original changed: tables/tuning_summary.csv" in out
    assert (f"row 2, column 'current': recorded {recorded} → original now {cells[1]}") in out
    assert _last_line(out).startswith("puhui rerun: DIFFERENT — 1 of 7 files differ")
    status = _comparison(tmp_path / "again")
    assert status.pop("tables/tuning_summary.csv") == "original_changed"
    assert set(status) == {"report.md", "report.html", "tables.xlsx",
                           "tables/tuning_designs.csv", "figures/tuning_frontier.png",
                           "figures/tuning_heatmap.png"}
    assert set(status.values()) == {"identical"}


def test_a_changed_input_stops_the_rerun_unless_allowed(tmp_path, capsys):
    manifest = _reprice(tmp_path)
    yields = tmp_path / "y.csv"
    before = yields.read_bytes()
    lines = before.decode("utf-8").split("\n")
    assert lines[0].split(",")[3] == "yield"
    cells = lines[1].split(",")
    cells[3] = cells[3][:-1] + str((int(cells[3][-1]) + 1) % 10)  # one byte of the first yield
    lines[1] = ",".join(cells)
    yields.write_bytes("\n".join(lines).encode("utf-8"))
    assert len(yields.read_bytes()) == len(before)

    assert main(["rerun", str(manifest), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert f"input changed: yields — {yields}" in err
    assert repro.sha256_file(yields) in err and f"({len(before):,} bytes)" in err
    assert _last_line(err) == ("puhui rerun: 1 input changed (yields) — not rerun; give "
                               "--allow-changed to rerun anyway")
    assert not (tmp_path / "r").exists()

    assert main(["rerun", str(manifest), "--out", str(tmp_path / "r"), "--allow-changed"]) == 1
    out = capsys.readouterr().out
    assert "input changed: yields" in out and "(allowed: --allow-changed)" in out
    assert "differs: rates.csv" in out
    assert "    row 1, column " in out  # the first differing cell: recorded → new
    assert _last_line(out).endswith("expected: 1 input changed (yields) (--allow-changed)")
    assert _comparison(tmp_path / "r") == {"rates.csv": "differs"}


# -- bad input: exit 2 with one clear line ---------------------------------------------------------


def _fails(argv, capsys, *needles):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    last = _last_line(captured.err)
    assert last.startswith("puhui rerun:"), last
    for needle in needles:
        assert needle in last, (needle, last)
    return last


def test_manifests_that_cannot_be_rerun(tmp_path, capsys):
    out = str(tmp_path / "r")
    api = tmp_path / "api" / "manifest.json"
    api.parent.mkdir()
    Manifest(command="puhui demo").write(api)  # the Python API: invocation null
    _fails(["rerun", str(api), "--out", out], capsys, "Python API", "only a run of the puhui")
    (tmp_path / "other.json").write_text('{"name": "not a manifest"}', encoding="utf-8")
    _fails(["rerun", str(tmp_path / "other.json"), "--out", out], capsys,
           "is not a puhui manifest", '"command"')
    (tmp_path / "text.json").write_text("not json at all", encoding="utf-8")
    _fails(["rerun", str(tmp_path / "text.json"), "--out", out], capsys, "not valid JSON")
    _fails(["rerun", str(tmp_path / "absent.json"), "--out", out], capsys, "no such file")
    _fails(["rerun", str(tmp_path), "--out", out], capsys, "folder without a manifest.json")
    _fails(["rerun", str(ds.data_dir() / "manifest.json"), "--out", out], capsys,
           "bundled data", "not of a run")
    doc = json.loads(api.read_text("utf-8"))
    del doc["invocation"]  # a manifest from before the command line was recorded
    api.write_text(json.dumps(doc), encoding="utf-8")
    _fails(["rerun", str(api), "--out", out], capsys, "older puhui")
    doc["invocation"] = {"argv": ["puhui", "rules", "list"], "options": {}}
    api.write_text(json.dumps(doc), encoding="utf-8")
    _fails(["rerun", str(api), "--out", out], capsys, "`puhui rules`", "cannot be rerun")
    doc["outputs"] = {"report.md": "not a hash"}
    api.write_text(json.dumps(doc), encoding="utf-8")
    _fails(["rerun", str(api), "--out", out], capsys, "damaged", "report.md")


def test_out_over_the_original_output_is_refused(tuned, repriced, tmp_path, capsys):
    before = {p: p.read_bytes() for p in tuned.rglob("*") if p.is_file()}
    _fails(["rerun", str(tuned / "manifest.json"), "--out", str(tuned)], capsys,
           "is the original output folder")
    _fails(["rerun", str(tuned), "--out", str(tuned / "inside")], capsys, "is inside")
    _fails(["rerun", str(tuned), "--out", str(tuned.parent)], capsys, "contains")
    assert {p: p.read_bytes() for p in tuned.rglob("*") if p.is_file()} == before
    _fails(["rerun", str(repriced), "--out", str(repriced.parent)], capsys,
           "over the original output")
    (tmp_path / "f").write_text("x", encoding="utf-8")
    _fails(["rerun", str(repriced), "--out", str(tmp_path / "f")], capsys, "existing file")


def test_a_missing_input_is_named(tuned, tmp_path, capsys):
    filed = tmp_path / "filed"
    shutil.copytree(tuned, filed)
    doc = json.loads((filed / "manifest.json").read_text("utf-8"))
    doc["inputs"]["costs"]["relative_to"] = str(tmp_path / "gone")
    (filed / "manifest.json").write_text(json.dumps(doc), encoding="utf-8")
    last = _fails(["rerun", str(filed), "--out", str(tmp_path / "r")], capsys,
                  "1 input missing (costs)", "--allow-changed")
    assert "not rerun" in last


# -- the comparison, against a stand-in child ------------------------------------------------------


def _stand_in(monkeypatch, edit):
    """Replace the child process: copy the original outputs of the manifest's run into the
    --out target (a folder or a file + manifest), then let ``edit(target)`` change them."""
    calls = []

    def child(argv, cwd, env):
        calls.append((argv, cwd, env))
        target = Path(argv[argv.index("--out") + 1])
        source = Path(env["TEST_ORIGINAL"])
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            man = source.with_name(source.name + ".manifest.json")
            shutil.copy2(man, target.with_name(target.name + ".manifest.json"))
        edit(target)
        return 0, "written\n", ""

    monkeypatch.setattr(rerun, "_run_child", child)
    return calls


def test_missing_new_and_differing_files(tuned, tmp_path, capsys, monkeypatch):
    def edit(target):
        (target / "figures" / "tuning_heatmap.png").unlink()
        (target / "tables" / "extra.csv").write_text("a\n1\n", encoding="utf-8")
        designs = pd.read_csv(target / "tables" / "tuning_designs.csv", encoding="utf-8-sig")
        designs.loc[1, "expected_cr"] += 1e-12
        (target / "tables" / "tuning_designs.csv").write_bytes(csv_bytes(designs))
        doc = json.loads((target / "manifest.json").read_text("utf-8"))
        doc["versions"]["numpy"] = "0.0.test"
        (target / "manifest.json").write_text(json.dumps(doc), encoding="utf-8")

    monkeypatch.setenv("TEST_ORIGINAL", str(tuned))
    calls = _stand_in(monkeypatch, edit)
    assert main(["rerun", str(tuned), "--out", str(tmp_path / "r")]) == 1
    out = capsys.readouterr().out
    (argv, cwd, env), = calls
    assert argv[0] == "tune" and argv[-2:] == ["--out", str(tmp_path / "r")]
    assert env["PUHUI_THREADS"] == "1"  # as recorded
    assert "missing: figures/tuning_heatmap.png" in out
    assert "new: tables/extra.csv" in out
    assert "differs: tables/tuning_designs.csv" in out
    assert "row 2, column 'expected_cr': recorded " in out
    assert "warning: versions.numpy: " in out and "→ 0.0.test (context, not a failure)" in out
    assert _last_line(out) == ("puhui rerun: DIFFERENT — 3 of 8 files differ from the record "
                               "(1 differ, 1 missing, 1 new)")
    assert _comparison(tmp_path / "r") == {
        "figures/tuning_frontier.png": "identical", "figures/tuning_heatmap.png": "missing",
        "report.md": "identical", "report.html": "identical", "tables.xlsx": "identical",
        "tables/extra.csv": "new", "tables/tuning_designs.csv": "differs",
        "tables/tuning_summary.csv": "identical"}


def test_without_the_original_output_only_the_hash_is_reported(repriced, tmp_path, capsys,
                                                               monkeypatch):
    filed = tmp_path / "filed"
    filed.mkdir()
    shutil.copy2(repriced, filed / repriced.name)  # the manifest alone: rates.csv is gone
    monkeypatch.setenv("TEST_ORIGINAL", str(repriced.with_name("rates.csv")))

    def edit(target):
        target.write_bytes(target.read_bytes() + b"\n")

    _stand_in(monkeypatch, edit)
    assert main(["rerun", str(filed / repriced.name), "--out", str(tmp_path / "r")]) == 1
    out = capsys.readouterr().out
    assert "differs: rates.csv" in out
    assert "only the hash mismatch can be reported: the original output" in out


def test_a_rerun_that_read_other_inputs_is_different(repriced, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TEST_ORIGINAL", str(repriced.with_name("rates.csv")))

    def edit(target):
        man = target.with_name(target.name + ".manifest.json")
        doc = json.loads(man.read_text("utf-8"))
        doc["inputs"]["yields"]["sha256"] = "0" * 64
        man.write_text(json.dumps(doc), encoding="utf-8")

    _stand_in(monkeypatch, edit)
    assert main(["rerun", str(repriced), "--out", str(tmp_path / "r")]) == 1
    out = capsys.readouterr().out
    assert "input yields: the rerun read sha256 " + "0" * 64 in out
    assert _last_line(out).endswith("the rerun read 1 input other than recorded")


def test_a_failing_rerun_is_exit_2(repriced, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(rerun, "_run_child",
                        lambda argv, cwd, env: (2, "", "puhui reprice: invalid data — x\n"))
    last = _fails(["rerun", str(repriced), "--out", str(tmp_path / "r")], capsys,
                  "the rerun failed (exit 2): puhui reprice: invalid data — x")
    assert last.endswith("nothing to compare")
    # exit 1 without fresh outputs is a failure too; with them (`verify`'s own finding) the
    # outputs are compared
    monkeypatch.setattr(rerun, "_run_child", lambda argv, cwd, env: (1, "", "no outputs\n"))
    _fails(["rerun", str(repriced), "--out", str(tmp_path / "r")], capsys, "failed (exit 1)")
    monkeypatch.setenv("TEST_ORIGINAL", str(repriced.with_name("rates.csv")))
    calls = _stand_in(monkeypatch, lambda target: None)
    child = rerun._run_child
    monkeypatch.setattr(rerun, "_run_child", lambda *a: (child(*a)[0] + 1, "", ""))
    assert main(["rerun", str(repriced), "--out", str(tmp_path / "r")]) == 0
    assert len(calls) == 1
    assert "note: the command exited 1, its own finding" in capsys.readouterr().out


# -- the pieces ------------------------------------------------------------------------------------


def test_inputs_record_where_they_were_read(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.csv").write_text("x\n1\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("y\n2\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    m = Manifest(command="puhui test")
    m.add_input("a", data / "a.csv", relative_to=data)
    m.add_input("elsewhere", tmp_path / "b.csv", relative_to=data)  # outside: its name alone
    m.add_input("relative", "b.csv")
    assert m.inputs["a"]["path"] == "a.csv"
    assert m.inputs["elsewhere"]["path"] == "b.csv"
    for name, want in (("a", data / "a.csv"), ("elsewhere", tmp_path / "b.csv"),
                       ("relative", tmp_path / "b.csv")):
        assert repro.input_location(m.inputs[name]) == want.resolve()
    with repro.invocation(["demo"], {"out": "o"}):
        assert m.to_dict()["invocation"]["cwd"] == os.getcwd()


def test_the_child_gets_the_recorded_thread_pinning(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    env, shown = rerun._thread_env({"threads": {"pinned": None, "env": {
        "OMP_NUM_THREADS": None, "OPENBLAS_NUM_THREADS": "3"}}})
    assert shown == "0" and "OMP_NUM_THREADS" not in env
    assert env["OPENBLAS_NUM_THREADS"] == "3"
    env, shown = rerun._thread_env({"threads": {"pinned": 2, "env": {}}})
    assert shown == env["PUHUI_THREADS"] == "2"


def test_table_differences_rows_and_columns(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_bytes(csv_bytes(pd.DataFrame({"x": [1, 2, 3], "y": [4, 5, 6]})))
    b.write_bytes(csv_bytes(pd.DataFrame({"x": [1, 2], "z": [4, 5]})))
    assert rerun.table_differences(a, b) == [
        "columns: recorded has ['y'] that new lacks; new has ['z'] that recorded lacks",
        "rows: recorded 3 → new 2"]
    b.write_bytes(b"\xff\xfe not a table")
    assert rerun.table_differences(a, b)[0].startswith("cannot be compared cell by cell")


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_the_first_differing_cell_is_the_one_changed(tmp_path_factory, data):
    """Property: one cell changed in a table → exactly that cell is reported, first, with the
    recorded and the new value; a second change later in the table comes second."""
    n_rows = data.draw(st.integers(1, 6))
    cols = data.draw(st.lists(st.sampled_from(list("abcdef")), min_size=1, max_size=4,
                              unique=True))
    values = st.integers(-10**6, 10**6)
    df = pd.DataFrame({c: data.draw(st.lists(values, min_size=n_rows, max_size=n_rows))
                       for c in cols})
    r = data.draw(st.integers(0, n_rows - 1))
    c = data.draw(st.sampled_from(cols))
    new_value = data.draw(values.filter(lambda v: v != df.at[r, c]))
    changed = df.copy()
    changed.at[r, c] = new_value
    folder = tmp_path_factory.mktemp("cells")
    (folder / "a.csv").write_bytes(csv_bytes(df))
    (folder / "b.csv").write_bytes(csv_bytes(changed))
    lines = rerun.table_differences(folder / "a.csv", folder / "b.csv")
    assert lines == [f"row {r + 1}, column {c!r}: recorded {df.at[r, c]} → new {new_value}"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["tune", "p.toml", "--data", "d", "--alpha", "0.1", "-x",
                                 "--outer"]), max_size=6),
       st.sampled_from([["--out", "o"], ["--out=o"], ["--ou", "o"], ["--o=o"], []]),
       st.integers(0, 6))
def test_redirect_argv_replaces_every_form_of_out(tokens, out_form, at):
    argv = [*tokens[:at], *out_form, *tokens[at:]]
    assert rerun.redirect_argv(argv, "/new") == [*tokens, "--out", "/new"]


def test_a_manifest_without_input_locations_is_checked_after_the_rerun(tuned, tmp_path, capsys,
                                                                        monkeypatch):
    """A manifest written before `relative_to` and `cwd` were recorded: the inputs are checked
    against the rerun's own manifest instead, and a warning says so."""
    filed = tmp_path / "filed"
    shutil.copytree(tuned, filed)
    doc = json.loads((filed / "manifest.json").read_text("utf-8"))
    for entry in doc["inputs"].values():
        del entry["relative_to"]
    del doc["invocation"]["cwd"]
    (filed / "manifest.json").write_text(json.dumps(doc), encoding="utf-8")
    monkeypatch.setenv("TEST_ORIGINAL", str(tuned))
    _stand_in(monkeypatch, lambda target: None)
    assert main(["rerun", str(filed), "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "does not record the run's working directory" in out
    assert "3 inputs without a recorded location" in out  # product, policies, costs

    def other_costs(target):
        man = json.loads((target / "manifest.json").read_text("utf-8"))
        man["inputs"]["costs"]["sha256"] = "1" * 64
        (target / "manifest.json").write_text(json.dumps(man), encoding="utf-8")

    _stand_in(monkeypatch, other_costs)
    last = _fails(["rerun", str(filed), "--out", str(tmp_path / "r2")], capsys,
                  "1 input differs from the record (found after the rerun)")
    assert "--allow-changed" in last
