"""Rulebooks (puhui.rules): shipped books, strict loading, check(), policy vs regulation, CLI.

The figures asserted below are the ones puhui has used since its first release (agri/rules.py
and agri/subsidy.py before the rulebooks), now read from the books; their sources are in each
rule's note: 银保监规〔2023〕4号 (factor bands [0.75, 1.25] / [0.5, 1.5] per the CBIRC press
release of 2023-04-28; loading cap 20% since issue 14 — the stricter reading, unconfirmed; the
only source found, a news report of 2023-04-28, gives 25%), the 2024 notice on
完全成本保险 / 种植收入保险 (综合费用率 ≤ 20%, 保障水平 ≤ 80% of 产值, province ≥ 25%, central
45% / 35%, as reported by Xinhua / People's Daily / CCTV 2024-05-21), 财金〔2021〕130号
(livestock 50% / 40%, forests 50% / 30%, secondary summary).
"""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import puhui.rules as R
from puhui.agri import rules as agri_rules
from puhui.agri import subsidy
from puhui.agri.rules import (
    base_rate,
    cap_rate_change,
    check_expense_ratio,
    check_sum_insured,
    filed_rate,
    premium_adequacy,
)
from puhui.agri.subsidy import subsidy_split
from puhui.cli import main
from puhui.errors import ParameterError, RuleError
from puhui.experience.indication import rate_indication

SRC = Path(R.__file__).parent
AGRI = {"sector": "agriculture"}

GOOD = """
[book]
id = "acme.policy"
kind = "policy"
title = "某公司定价政策"
title_en = "ACME pricing policy"
document = "ACME-ACT-2026-01"
issuer = "ACME Insurance"
issued = 2026-01-15
in_force_from = 2026-02-01
version = 2
confirmed = true

[quantities]
price_change_per_member = "元 change of the flat price"

[[rule]]
id = "acme.cap"
description = "yearly rate change at most +10%"
quantity = "rate_change"
comparison = "max"
value = 0.10
article = "§3"
confirmed = true

[[rule]]
id = "acme.price_step"
description = "price change at most 20 元"
quantity = "price_change_per_member"
comparison = "band"
value = [-20, 20]
article = "§4"
confirmed = true
"""


def _write(tmp_path, text: str, name: str = "book.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ shipped books

def test_every_shipped_book_loads_and_every_rule_cites_its_source():
    books = R.rulebooks()
    assert {b.id for b in books} == {
        "cn.agri.actuarial_2023", "cn.agri.full_cost_income_2024",
        "cn.agri.premium_subsidy_2021", "cn.health.city_medical_2025",
        "example.company_policy"}
    for b in books:
        again = R.load_rulebook(b.path)                       # re-validates the file
        assert again == b
        assert b.document.strip() and b.issuer.strip() and b.title.strip()
        assert b.confirmed or b.note.strip(), b.id
        for r in b.rules:
            assert r.article.strip() and r.document == b.document, r.id
            assert r.confirmed or len(r.note) > 40, f"{r.id}: unconfirmed without a note"
            assert b.document in r.source and b.issued.isoformat() in r.source
    # only the example is a policy book, and check() does not apply it by default
    assert [b.id for b in R.rulebooks("policy")] == ["example.company_policy"]
    assert all(b.kind == "regulation" for b in R.rulebooks("regulation"))


def test_shipped_figures_are_the_ones_puhui_uses():
    # 银保监规〔2023〕4号 — bands per the CBIRC press release of 2023-04-28
    assert R.rule("agri.factor_band.subsidised").value == (0.75, 1.25)
    assert R.rule("agri.factor_band.other").value == (0.5, 1.5)
    loading = R.rule("agri.loading_cap.subsidised")
    assert loading.value == 0.20 and not loading.confirmed      # the stricter reading
    assert "20%" in loading.note and "25%" in loading.note      # both readings recorded
    # 2024 notice (Xinhua / CCTV / People's Daily 2024-05-21): 综合费用率 ≤ 20%, ≤ 80% of 产值
    assert R.rule("agri.expense_ratio.full_cost_income").value == 0.20
    assert R.rule("agri.sum_insured_share.full_cost_income").value == 0.80
    # the modules read them (one home for each figure)
    assert agri_rules.FACTOR_BAND_SUBSIDISED == (0.75, 1.25)
    assert agri_rules.FACTOR_BAND_OTHER == (0.5, 1.5)
    assert agri_rules.MAX_LOADING_SUBSIDISED == 0.20
    assert agri_rules.MAX_EXPENSE_RATIO == 0.20
    assert agri_rules.MAX_SUM_INSURED_SHARE == 0.80
    assert agri_rules.RULE_2023 == "银保监规〔2023〕4号"
    assert subsidy.CENTRAL_SHARE == {"crop": (0.45, 0.35), "livestock": (0.50, 0.40),
                                     "public_forest": (0.50, 0.50),
                                     "commercial_forest": (0.30, 0.30)}
    assert subsidy.PROVINCIAL_MINIMUM == {"crop": 0.25}
    assert R.rulebook("cn.agri.premium_subsidy_2021").document == "财金〔2021〕130号"


def test_books_in_force_by_date():
    ids = lambda on: [b.id for b in R.rulebooks("regulation", as_of=on)]  # noqa: E731
    assert ids("2023-06-01") == ["cn.agri.premium_subsidy_2021"]   # 2023 rule from 2023-09-01
    assert ids(date(2024, 6, 30)) == ["cn.agri.actuarial_2023", "cn.agri.full_cost_income_2024",
                                      "cn.agri.premium_subsidy_2021"]
    assert "cn.health.city_medical_2025" in ids("2025-07-31")
    assert "cn.health.city_medical_2025" not in ids("2025-07-30")
    with pytest.raises(ParameterError, match="regulation"):
        R.rulebooks("regulations")
    with pytest.raises(ParameterError, match="YYYY-MM-DD"):
        R.rulebooks(as_of="31/07/2025")
    with pytest.raises(ParameterError, match="did you mean 'cn.agri.actuarial_2023'"):
        R.rulebook("cn.agri.actuarial2023")


# ------------------------------------------------------------------ check()

def test_check_gives_rows_with_limits_and_sources():
    t = R.check({"loading": 0.22, "rate_factor": 1.3, "premium_adequacy_ratio": 1.05},
                scope={**AGRI, "subsidised": True}, as_of="2025-01-01")
    assert list(t.columns) == ["rule", "quantity", "value", "limit", "passed", "kind", "source",
                               "confirmed", "note", "book"]
    rows = t.set_index("rule")
    assert rows.loc["agri.factor_band.subsidised", "limit"] == "[0.75, 1.25]"
    assert not rows.loc["agri.factor_band.subsidised", "passed"]
    assert not rows.loc["agri.loading_cap.subsidised", "passed"]          # 22% > 20%
    assert not rows.loc["agri.premium_adequacy", "passed"]
    assert (t["kind"] == "regulation").all()
    assert rows.loc["agri.loading_cap.subsidised", "source"] == \
        "银保监规〔2023〕4号, 二、费率构成, 2023-04-21"
    assert "agri.factor_band.other" not in rows.index            # scope: subsidised = false
    # not subsidised: the wider band, no loading cap
    t = R.check({"loading": 0.30, "rate_factor": 1.3}, scope={**AGRI, "subsidised": False},
                as_of="2025-01-01")
    assert t["rule"].tolist() == ["agri.factor_band.other"] and t["passed"].all()


def test_check_a_filing_table_with_per_row_scope():
    filing = pd.DataFrame({"subsidised": [True, True, False, True],
                           "rate_factor": [1.0, 1.3, 1.3, np.nan],
                           "loading": [0.20, 0.26, 0.40, 0.25]},
                          index=["县A", "县B", "县C", "县D"])
    t = R.check(filing, scope=AGRI, as_of="2025-01-01")
    failed = t[~t["passed"]]
    assert sorted(zip(failed["row"], failed["rule"], strict=True)) == [
        ("县B", "agri.factor_band.subsidised"), ("县B", "agri.loading_cap.subsidised"),
        ("县D", "agri.loading_cap.subsidised")]                           # 25% > 20%
    assert not ((t["row"] == "县D") & (t["quantity"] == "rate_factor")).any()   # NaN: not given
    assert len(t) == 3 + 3                                                      # 3 bands, 3 caps


def test_check_scope_not_stated_is_reported_not_guessed():
    t = R.check({"expense_ratio": 0.25}, scope=AGRI, as_of="2025-01-01")
    assert t.empty
    assert ("agri.expense_ratio.full_cost_income", ("product", "crop")) in t.attrs["unscoped"]
    t = R.check({"expense_ratio": 0.25}, as_of="2025-01-01",
                scope={**AGRI, "product": "full_cost", "crop": "rice"})
    assert t["rule"].tolist() == ["agri.expense_ratio.full_cost_income"]
    assert not t["passed"].iloc[0] and t["limit"].iloc[0] == "≤ 0.2"
    t = R.check({"expense_ratio": 0.25}, as_of="2025-01-01",
                scope={**AGRI, "product": "full_cost", "crop": "apple"})
    assert t.empty and not t.attrs["unscoped"]                     # not rice / wheat / maize


def test_check_subsidy_shares_and_text_and_duty_rules():
    t = R.check({"central_subsidy_share": 0.45, "provincial_subsidy_share": 0.20},
                scope={**AGRI, "line": "crop", "region_type": "western"}, as_of="2025-01-01")
    rows = t.set_index("rule")
    assert rows.loc["agri.subsidy.central.crop.central_west_northeast", "passed"]
    assert not rows.loc["agri.subsidy.provincial_minimum.crop", "passed"]
    assert rows.loc["agri.subsidy.provincial_minimum.crop", "source"].startswith("财金〔2021〕130号")
    t = R.check({"product_name": "西湖益联保", "actuarial_review_done": True,
                 "in_year_claim_condition_changes": 1}, scope={"line": "huiminbao"},
                as_of="2025-09-01")
    rows = t.set_index("rule")
    assert not rows.loc["health.product_name_custom", "passed"]
    assert rows.loc["health.actuarial_review", "passed"]
    assert not rows.loc["health.no_in_year_claim_condition_change", "passed"]
    assert R.check({"product_name": "西湖益联保（定制）"}, scope={"line": "huiminbao"},
                   as_of="2025-09-01")["passed"].all()
    # before the notice was in force, it is not applied (and says so)
    t = R.check({"product_name": "x"}, scope={"line": "huiminbao"}, as_of="2025-01-01")
    assert t.empty
    t = R.check({"product_name": "x"}, books=["cn.health.city_medical_2025"],
                scope={"line": "huiminbao"}, as_of="2025-01-01")
    assert t.empty and t.attrs["not_in_force"] == ["cn.health.city_medical_2025"]


def test_a_policy_breach_is_labelled_policy_never_regulation(tmp_path):
    t = R.check({"rate_change": 0.25, "loading": 0.1}, scope={**AGRI, "subsidised": True},
                policies=["example.company_policy"], as_of="2025-06-01")
    rows = t.set_index("rule")
    assert rows.loc["policy.rate_change.yearly_cap", "kind"] == "policy"
    assert not rows.loc["policy.rate_change.yearly_cap", "passed"]
    assert rows.loc["agri.loading_cap.subsidised", "kind"] == "regulation"
    with pytest.raises(R.PolicyBreach, match="company policy") as err:
        R.raise_breaches(t)
    assert err.value.kind == "policy" and isinstance(err.value, RuleError)
    assert "regulation (" not in str(err.value)
    # a regulation breach wins the class, and the message names both
    t = R.check({"rate_change": 0.25, "loading": 0.3}, scope={**AGRI, "subsidised": True},
                policies=["example.company_policy"], as_of="2025-06-01")
    with pytest.raises(R.RegulationBreach) as err:
        R.check({"rate_change": 0.25, "loading": 0.3}, scope={**AGRI, "subsidised": True},
                policies=["example.company_policy"], as_of="2025-06-01", strict=True)
    assert err.value.kind == "regulation"
    text = str(err.value)
    assert "regulation (银保监规〔2023〕4号" in text and "company policy (" in text
    # a user-written policy book, with its own quantity
    own = R.load_rulebook(_write(tmp_path, GOOD))
    t = R.check({"rate_change": 0.12, "price_change_per_member": 15.0}, books=[], policies=[own])
    assert t.set_index("rule")["passed"].to_dict() == {"acme.cap": False, "acme.price_step": True}
    assert (t["kind"] == "policy").all()
    assert t["source"].iloc[0] == "ACME-ACT-2026-01, §3, 2026-01-15"


def test_check_rejects_unknown_names_and_bad_values():
    with pytest.raises(ParameterError, match="did you mean 'loading'"):
        R.check({"loadng": 0.2}, scope=AGRI)
    with pytest.raises(ParameterError, match="did you mean 'subsidised'"):
        R.check({"loading": 0.2}, scope={"subsidized": True})
    with pytest.raises(ParameterError, match="numeric"):
        R.check({"loading": "20%"}, scope={**AGRI, "subsidised": True}, as_of="2025-01-01")
    with pytest.raises(ParameterError, match="true or false"):
        R.check({"actuarial_review_done": "yes"}, scope={"line": "huiminbao"},
                as_of="2025-09-01")
    with pytest.raises(ParameterError, match="twice"):
        R.check({"loading": 0.2}, books=["cn.agri.actuarial_2023", "cn.agri.actuarial_2023"])
    with pytest.raises(ParameterError, match="both"):
        R.check(pd.DataFrame({"loading": [0.2], "subsidised": [True]}),
                scope={"subsidised": True})


@settings(max_examples=40, deadline=None)
@given(factor=st.floats(0.3, 2.0), loading=st.floats(0.0, 0.4), subsidised=st.booleans())
def test_filed_rate_and_check_agree(factor, loading, subsidised):
    """filed_rate raises exactly when check() fails a rule on the factor or the loading."""
    t = R.check({"rate_factor": factor, "loading": loading},
                scope={**AGRI, "subsidised": subsidised}, as_of="2025-01-01")
    try:
        filed_rate(0.03, loading, factor, subsidised=subsidised)
        raised = False
    except R.RegulationBreach:
        raised = True
    assert raised == (not t["passed"].all())


# ------------------------------------------------------------------ agri functions

def test_agri_functions_give_the_same_numbers_and_say_whose_rule():
    # numbers unchanged (DOMAIN.md worked example: 3% / (1 − 20%) = 3.75%, × 1.25 = 4.6875%)
    assert float(base_rate(0.03, 0.20)) == pytest.approx(0.0375, rel=1e-15)
    assert float(filed_rate(0.03, 0.20, 1.25).rate) == pytest.approx(0.046875, rel=1e-15)
    assert cap_rate_change(0.04, 0.06, max_increase=agri_rules.YEARLY_CAP_POLICY,
                           clip=True).rate.item() == pytest.approx(0.048, rel=1e-15)
    s = subsidy_split("crop", "central", provincial=0.27, county=0.03)
    assert (s.central, s.farmer) == (0.45, pytest.approx(0.25))
    # a regulation breach names the document, the article and the date
    with pytest.raises(R.RegulationBreach, match=r"regulation \(银保监规〔2023〕4号, 二、费率构成, "
                       r"2023-04-21\): 附加费率") as err:
        base_rate(0.03, 0.30)
    assert err.value.kind == "regulation" and err.value.rule == "agri.loading_cap.subsidised"
    assert "not confirmed" in str(err.value)
    with pytest.raises(R.RegulationBreach, match="财金〔2021〕130号"):
        subsidy_split("crop", "central", provincial=0.20)
    with pytest.raises(R.RegulationBreach, match="保费不足准备金"):
        premium_adequacy(100.0, 95.0, 15.0, valuation_date="2025-06-30", strict=True)
    with pytest.raises(R.RegulationBreach, match="综合费用率"):
        check_expense_ratio(0.21)
    with pytest.raises(R.RegulationBreach, match="80%"):
        check_sum_insured(900.0, 1000.0)
    # a limit the caller sets is the caller's policy, not the regulation
    with pytest.raises(R.PolicyBreach, match="company policy"):
        check_expense_ratio(0.16, limit=0.15)


def test_the_yearly_cap_is_a_company_policy():
    with pytest.raises(ParameterError, match="company policy"):       # no cap by default
        cap_rate_change(0.04, 0.05)
    with pytest.raises(R.PolicyBreach, match=r"company policy \(EXAMPLE policy book") as err:
        cap_rate_change(0.04, 0.05, max_increase=agri_rules.YEARLY_CAP_POLICY)
    assert err.value.kind == "policy" and "+20%" in str(err.value)
    assert "regulation" not in str(err.value).replace("not a regulation", "")
    with pytest.raises(R.PolicyBreach, match="max_increase given by the caller"):
        cap_rate_change(0.04, 0.05, max_increase=0.15)
    assert cap_rate_change(0.04, 0.05, max_increase=0.25).rate.item() == 0.05
    own = R.rulebook_from_dict({
        "book": {"id": "c", "kind": "policy", "title": "t", "title_en": "t", "document": "d",
                 "issuer": "i", "issued": date(2026, 1, 1), "in_force_from": date(2026, 1, 1),
                 "version": 1, "confirmed": True},
        "rule": [{"id": "c.cap", "description": "cap 10%", "quantity": "rate_change",
                  "comparison": "max", "value": 0.1, "article": "1", "confirmed": True}]})
    r = cap_rate_change(0.04, 0.05, max_increase=own.rule("c.cap"), clip=True)
    assert r.rate.item() == pytest.approx(0.044) and "c.cap" in r.notes[0]
    with pytest.raises(ParameterError, match="rate_change"):
        cap_rate_change(0.04, 0.05, max_increase=R.rule("agri.loading_cap.subsidised"))
    # the indication's cap is company policy too; a policy rule caps increases only
    with pytest.raises(R.PolicyBreach, match="breaches"):
        rate_indication(1.5, target_combined_ratio=1.0, max_change=0.2)
    cap = R.rule("policy.rate_change.yearly_cap")
    assert rate_indication(1.5, target_combined_ratio=1.0, max_change=cap, clip=True).change \
        == pytest.approx(0.2)
    assert rate_indication(0.5, target_combined_ratio=1.0, max_change=cap).change \
        == pytest.approx(-0.5)


# ------------------------------------------------------------------ strict loading

@pytest.mark.parametrize("edit, message", [
    (("quantity = \"rate_change\"", "quantitiy = \"rate_change\""), "did you mean 'quantity'"),
    (("in_force_from = 2026-02-01", "in_force_form = 2026-02-01"),
     "did you mean 'in_force_from'"),
    (("quantity = \"rate_change\"", "quantity = \"rate_chnage\""), "did you mean 'rate_change'"),
    (("comparison = \"max\"", "comparison = \"maximum\""), "comparison must be one of"),
    (("confirmed = true\n\n[quantities]", "confirmed = \"yes\"\n\n[quantities]"),
     "confirmed must be true or false"),
    (("value = 0.10", "value = \"10%\""), "must be a finite number"),
    (("version = 2", "version = 1.5"), "version must be a whole number"),
    (("issued = 2026-01-15", "issued = 2026-13-15"), "not valid TOML"),
    (("issued = 2026-01-15", "issued = \"15/01/2026\""), "issued must be a date YYYY-MM-DD"),
    (("issued = 2026-01-15", "issued = 20260115"), "issued must be a date YYYY-MM-DD"),
    (("in_force_from = 2026-02-01", "in_force_from = 2026-02-01\nin_force_to = 2025-01-01"),
     "is before in_force_from"),
    (("value = [-20, 20]", "value = [20, -20]"), "must be below high"),
    (("kind = \"policy\"", "kind = \"polcy\""), "did you mean 'policy'"),
    (("id = \"acme.price_step\"", "id = \"acme.cap\""), "used more than once"),
    (("article = \"§3\"\n", ""), "missing key 'article'"),
])
def test_strict_loader_errors(tmp_path, edit, message):
    old, new = edit
    assert GOOD.count(old) >= 1
    path = _write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ParameterError, match=message):
        R.load_rulebook(path)


def test_loader_reports_every_problem_at_once_and_needs_notes(tmp_path):
    text = (GOOD.replace("quantity = \"rate_change\"", "quantitiy = \"rate_change\"")
            .replace("issued = 2026-01-15", "issued = \"2026-1-15\"")
            .replace("confirmed = true\n\n[[rule]]\nid = \"acme.price_step\"",
                     "confirmed = false\n\n[[rule]]\nid = \"acme.price_step\""))
    with pytest.raises(ParameterError) as err:
        R.load_rulebook(_write(tmp_path, text))
    msg = str(err.value)
    assert "problem(s)" in msg and "quantitiy" in msg and "issued must be a date" in msg
    assert "confirmed = false needs a 'note'" in msg
    duty = GOOD.replace("comparison = \"max\"\nvalue = 0.10", "comparison = \"duty\"\nvalue = 1")
    with pytest.raises(ParameterError, match="takes no value"):
        R.load_rulebook(_write(tmp_path, duty))
    with pytest.raises(ParameterError, match=r"\[book\]"):
        R.load_rulebook(_write(tmp_path, "[[rule]]\nid = \"x\"\n"))
    with pytest.raises(ParameterError, match="not UTF-8"):
        path = tmp_path / "gbk.toml"
        path.write_bytes(GOOD.encode("gbk"))
        R.load_rulebook(path)
    with pytest.raises(ParameterError, match="no such rulebook"):
        R.load_rulebook(tmp_path / "missing.toml")
    assert R.load_rulebook(_write(tmp_path, "\ufeff" + GOOD)).version == 2   # BOM is fine


# ------------------------------------------------------------------ CLI and layering

def test_cli_rules_list_and_show(capsys, tmp_path):
    assert main(["rules", "list"]) == 0
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if ln.startswith(("cn.", "example."))]
    assert len(lines) == 5
    assert any("银保监规〔2023〕4号" in ln and "regulation" in ln for ln in lines)
    assert any(ln.startswith("example.company_policy") and "policy (example)" in ln
               for ln in lines)
    assert main(["rules", "list", "--as-of", "2023-06-01"]) == 0
    out = capsys.readouterr().out                 # only the 2021 subsidy schedule by then
    assert "1 rulebook(s) in force on 2023-06-01" in out and "cn.agri.premium_subsidy_2021" in out
    assert main(["rules", "show", "cn.agri.actuarial_2023"]) == 0
    out = capsys.readouterr().out
    assert "agri.loading_cap.subsidised" in out and "≤ 0.2" in out and "[0.75, 1.25]" in out
    assert main(["rules", "show", str(_write(tmp_path, GOOD))]) == 0
    assert "acme.cap" in capsys.readouterr().out
    assert main(["rules", "show", "cn.agri.actuarial2023"]) == 2
    assert "did you mean 'cn.agri.actuarial_2023'" in capsys.readouterr().err
    assert main(["rules", "show"]) == 2
    bad = _write(tmp_path, GOOD.replace("quantity = \"rate_change\"", "quantitiy = \"x\""),
                 "bad.toml")
    assert main(["rules", "show", str(bad)]) == 2
    assert "did you mean 'quantity'" in capsys.readouterr().err


def test_rules_is_core_and_imports_no_product_layer():
    forbidden = ("agri", "huiminbao", "life", "tuning", "pricing")
    for path in SRC.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                parts = (node.module or "").split(".")
                assert not (set(parts) & set(forbidden)), f"{path.name} imports {node.module}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert not set(alias.name.split(".")) & set(forbidden), path.name
