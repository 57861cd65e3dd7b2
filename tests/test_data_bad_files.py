"""Every validation rule, triggered by a bad FILE (CSV in UTF-8 or GBK, or .xlsx) through the
same path users take: `puhui.data.load` and the `puhui validate` command."""

from __future__ import annotations

import pandas as pd
import pytest

import puhui
from puhui.cli import main
from puhui.data import load

POL_HEAD = ("policy_id,product,region,segment,start_date,end_date,sum_insured,premium,exposure"
            ",age,sex,preexisting,subsidy_share")
POL_OK = "P1,惠民保,杭州,healthy,2024-01-01,2024-12-31,3000000,89,1,60,F,否,"
POL2_OK = "P2,惠民保,杭州,healthy,2024-01-01,2024-12-31,3000000,89,1,61,M,是,"
CL_HEAD = "claim_id,policy_id,accident_date,report_date,paid,case_reserve,status,payment_date"
CL_OK = "C1,P1,2024-05-01,2024-05-20,30000,0,closed,2024-06-01"

# rule → (kind, lines of the bad file, column, row); each file breaks exactly one rule
CASES = {
    "missing_column": ("policies", [POL_HEAD.replace(",premium", ""),
                                    POL_OK.replace(",89,", ",")], "premium", None),
    "unknown_column": ("policies", [POL_HEAD + ",colour", POL_OK + ",red"], "colour", None),
    "duplicate_column": ("policies", [POL_HEAD + ",premium", POL_OK + ",89"], "premium", None),
    "missing_value": ("policies", [POL_HEAD, POL_OK.replace("杭州", "")], "region", 1),
    "not_a_number": ("policies", [POL_HEAD, POL_OK.replace(",89,", ",八十九,")], "premium", 1),
    "not_an_integer": ("policies", [POL_HEAD, POL_OK.replace(",60,", ",60.5,")], "age", 1),
    "not_a_date": ("policies", [POL_HEAD, POL_OK.replace("2024-01-01", "2024-13-01")],
                   "start_date", 1),
    "not_a_boolean": ("policies", [POL_HEAD, POL_OK.replace(",否,", ",也许,")],
                      "preexisting", 1),
    "not_allowed": ("policies", [POL_HEAD, POL_OK.replace(",F,", ",女,")], "sex", 1),
    "negative": ("policies", [POL_HEAD, POL_OK.replace(",1,60", ",-1,60")], "exposure", 1),
    "ratio_out_of_range": ("policies", [POL_HEAD, POL_OK[:-1] + ",1.25"], "subsidy_share", 1),
    "out_of_range": ("policies", [POL_HEAD, POL_OK.replace(",60,", ",160,")], "age", 1),
    "duplicate_id": ("policies", [POL_HEAD, POL_OK, POL_OK.replace(",60,", ",61,")],
                     "policy_id", (1, 2)),
    "end_before_start": ("policies", [POL_HEAD, POL_OK.replace("2024-12-31", "2023-12-31")],
                         "end_date", 1),
    "report_before_accident": ("claims", [CL_HEAD, CL_OK.replace("2024-05-20", "2024-04-20")],
                               "report_date", 1),
    "payment_before_report": ("claims", [CL_HEAD, CL_OK.replace("2024-06-01", "2024-05-10")],
                              "payment_date", 1),
    "closed_with_reserve": ("claims", [CL_HEAD, CL_OK.replace(",30000,0,", ",30000,500,")],
                            "case_reserve", 1),
    "unknown_policy": ("claims", [CL_HEAD, CL_OK.replace(",P1,", ",P9,")], "policy_id", 1),
    "claim_outside_policy": ("claims", [CL_HEAD, CL_OK.replace("2024-05-01", "2023-12-30")
                                        .replace("2024-05-20", "2024-01-03")],
                             "accident_date", 1),
    "unknown_claim": ("payments", ["claim_id,payment_date,amount", "C9,2024-06-01,100"],
                      "claim_id", 1),
    "payment_before_accident": ("payments", ["claim_id,payment_date,amount",
                                             "C1,2024-04-01,100"], "payment_date", 1),
    "duplicate_row": ("payments", ["claim_id,payment_date,amount", "C1,2024-06-01,100",
                                   "C1,2024-06-01,100"], None, (1, 2)),
}

# rules a CSV cannot break (its cells are text): rule → (kind, typed columns of a Parquet file,
# column, row)
TYPED_CASES = {
    "inexact_id": ("payments", {"claim_id": [1e19], "payment_date": ["2024-06-01"],
                                "amount": [100.0]}, "claim_id", 1),
    "wrong_type": ("payments", {"claim_id": ["C1"], "payment_date": ["2024-06-01"],
                                "amount": [True]}, "amount", None),
}

# warnings: rule → (kind, lines, column, row); the table is still returned
WARNING_CASES = {
    "placeholder_text": ("claims", [CL_HEAD + ",benefit_line", CL_OK + ",NA"], "benefit_line",
                         1),
}


@pytest.fixture
def related(tmp_path):
    pol = tmp_path / "policies.csv"
    pol.write_text("\n".join([POL_HEAD, POL_OK, POL2_OK]) + "\n", encoding="utf-8")
    cl = tmp_path / "claims.csv"
    cl.write_text("\n".join([CL_HEAD, CL_OK]) + "\n", encoding="utf-8")
    return {"policies": pol, "claims": cl}


def test_the_cases_cover_every_documented_rule():
    import importlib

    module = importlib.import_module("puhui.data.validate")

    # the rules tables of the module docstring: lines "``rule``   meaning"; errors, then
    # warnings
    errors_doc, warnings_doc = module.__doc__.split("\nWarnings")

    def rules_in(text):
        return {line.split("``")[1] for line in text.splitlines()
                if line.startswith("``") and line.split("``")[1].islower()
                and "(" not in line.split("``")[1]}

    assert rules_in(errors_doc) == set(CASES) | set(TYPED_CASES)
    assert rules_in(warnings_doc) == set(WARNING_CASES)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
@pytest.mark.parametrize("rule", sorted(CASES))
def test_bad_csv_file_reports_its_rule(tmp_path, related, rule, encoding):
    kind, lines, column, row = CASES[rule]
    path = tmp_path / f"bad_{rule}.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    extra = {}
    if kind == "claims":
        extra["policies"] = load(related["policies"], "policies")
    if kind == "payments":
        extra["claims"] = load(related["claims"], "claims")
    with pytest.raises(puhui.DataError) as info:
        load(path, kind, **extra)
    found = [(p.rule, p.column, p.row) for p in info.value.problems]
    rows = row if isinstance(row, tuple) else (row,)
    assert found == [(rule, column, r) for r in rows], found
    # the command prints the same report without a traceback and exits 2
    args = ["validate", kind, str(path)]
    if kind == "claims":
        args += ["--policies", str(related["policies"])]
    if kind == "payments":
        args += ["--claims", str(related["claims"])]
    assert main(args) == 2


@pytest.mark.parametrize("rule", ["not_a_number", "negative", "duplicate_id", "not_a_date"])
def test_bad_excel_file_reports_its_rule(tmp_path, rule):
    kind, lines, column, row = CASES[rule]
    rows = [line.split(",") for line in lines]
    path = tmp_path / f"bad_{rule}.xlsx"
    pd.DataFrame(rows[1:], columns=rows[0]).to_excel(path, index=False)
    with pytest.raises(puhui.DataError) as info:
        load(path, kind)
    rows = row if isinstance(row, tuple) else (row,)
    assert [(p.rule, p.column, p.row) for p in info.value.problems] == [
        (rule, column, r) for r in rows]


def test_good_files_pass(related, capsys):
    assert main(["validate", "policies", str(related["policies"])]) == 0
    assert main(["validate", "claims", str(related["claims"]), "--policies",
                 str(related["policies"])]) == 0


@pytest.mark.parametrize("rule", sorted(TYPED_CASES))
def test_bad_parquet_file_reports_its_rule(tmp_path, rule):
    kind, columns, column, row = TYPED_CASES[rule]
    path = tmp_path / f"bad_{rule}.parquet"
    pd.DataFrame(columns).to_parquet(path)
    with pytest.raises(puhui.DataError) as info:
        load(path, kind)
    assert [(p.rule, p.column, p.row) for p in info.value.problems] == [(rule, column, row)]
    assert main(["validate", kind, str(path)]) == 2


@pytest.mark.parametrize("rule", sorted(WARNING_CASES))
def test_warning_cases_warn_and_return_the_table(tmp_path, related, rule):
    from puhui.errors import DataWarning

    kind, lines, column, row = WARNING_CASES[rule]
    path = tmp_path / f"warn_{rule}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.warns(DataWarning) as record:
        out = load(path, kind, policies=load(related["policies"], "policies"))
    assert len(out) == len(lines) - 1
    found = [(p.rule, p.column, p.row) for w in record for p in w.message.problems]
    assert found == [(rule, column, row)]
