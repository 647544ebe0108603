"""Unit and property tests of the one decision function, pytest_launch.core.decision.decide (PRODUCT §4).

decide() is pure: these tests build CheckResults, checklist items, waivers, sign-offs and a
RunInfo by hand and read the Decision it returns.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from property_budget import examples

from pytest_launch.config.policy import Policy
from pytest_launch.core.decision import decide
from pytest_launch.core.model import ChecklistItem, CheckResult, RunInfo, Signoff, Waiver

TODAY = dt.date(2026, 11, 25)
TOMORROW = TODAY + dt.timedelta(days=1)
YESTERDAY = TODAY - dt.timedelta(days=1)

CHECKLIST = [
    ChecklistItem("SEC-01", "TLS certificates valid", "t_minus_7", "security", "blocker", "security-team"),
    ChecklistItem("PERF-02", "Cache warm", "t_minus_7", "performance", "normal", "perf-team"),
    ChecklistItem("MON-06", "On-call rotation set up", "t_minus_7", "monitoring", "critical", "sre", "manual"),
    ChecklistItem("DAT-03", "Backup restore tested", "t_minus_7", "data", "critical", "dba"),
]


def check(name: str = "test_a", outcome: str = "passed", severity: str | None = "blocker", **kw) -> CheckResult:
    return CheckResult(nodeid=f"test_x.py::test_{name}", outcome=outcome, severity=severity,
                       phase="t_minus_7", category="security", owner=kw.pop("owner", "team-a"), **kw)


def manual(outcome: str, item: str = "MON-06") -> CheckResult:
    return CheckResult(nodeid=f"readiness/checklist.toml::{item}", outcome=outcome, kind="manual",
                       title="On-call rotation set up", severity="critical", owner="sre", checklist=item)


def waiver(target: str, expires: dt.date = TOMORROW) -> Waiver:
    return Waiver(check=target, reason="pentest report due", owner="security-lead", approved_by="cto",
                  expires=expires, environments=["*"], accepts=["failed", "error", "skipped", "refused"])


def run(**kw) -> RunInfo:
    return RunInfo(**kw)


def decided(checks, *, waivers=(), signoffs=(), run_info=None, policy=None, checklist=CHECKLIST):
    return decide(list(checks), list(checklist), list(waivers), list(signoffs), run_info or run(),
                  policy or Policy(), TODAY)


def codes(decision) -> list[str]:
    return [r.code for r in decision.reasons]


# -- the decision table, row by row ----------------------------------------------------------

def test_every_blocking_check_passed_is_go():
    decision = decided([check("a"), check("b", severity="critical"), manual("passed")])
    assert decision.verdict == "GO"
    assert decision.complete
    assert decision.reasons == []
    assert decision.headline == "all 3 checks passed"


@pytest.mark.parametrize("severity", ["normal", "minor", "trivial"])
@pytest.mark.parametrize("outcome", ["failed", "error", "skipped"])
def test_a_non_blocking_check_that_did_not_pass_is_a_risk(severity, outcome):
    decision = decided([check("a"), check("b", outcome, severity=severity, message="slow")])
    assert decision.verdict == "GO_WITH_RISKS"
    assert codes(decision) == ["nonblocking_failed"]
    assert not decision.reasons[0].blocking
    assert "test_x.py::test_b" in decision.reasons[0].text


@pytest.mark.parametrize("severity", ["blocker", "critical"])
@pytest.mark.parametrize("outcome", ["failed", "error", "skipped"])
def test_a_blocking_check_that_failed_errored_or_skipped_is_no_go(severity, outcome):
    decision = decided([check("a"), check("b", outcome, severity=severity, message="boom", owner="payments")])
    assert decision.verdict == "NO_GO"
    reason = decision.reasons[0]
    assert reason.blocking and reason.code == outcome
    assert reason.nodeid == "test_x.py::test_b"
    assert reason.owner == "payments" and "owner payments" in reason.text
    assert "boom" in reason.text
    assert decision.summary["blocking_failures"] == 1


def test_a_blocking_check_without_a_result_is_no_go_and_incomplete():
    decision = decided([check("a"), check("b", "missing")])
    assert decision.verdict == "NO_GO"
    assert not decision.complete
    assert {"incomplete", "missing"} <= set(codes(decision))


def test_a_check_without_severity_blocks_and_says_it_was_defaulted():
    decision = decided([check("a", "failed", severity=None)])
    assert decision.verdict == "NO_GO"
    assert decision.blocking["test_x.py::test_a"] is True
    assert "severity_defaulted" in codes(decision)
    passing = decided([check("a", severity=None)])
    assert passing.verdict == "GO"
    assert [r.code for r in passing.reasons] == ["severity_defaulted"]
    assert not passing.reasons[0].blocking


def test_the_policy_decides_which_severities_block():
    policy = Policy(blocking_severities=["blocker", "critical", "normal"])
    assert decided([check("a", "failed", severity="normal")], policy=policy).verdict == "NO_GO"
    assert decided([check("a", "failed", severity="critical")],
                   policy=Policy(blocking_severities=["blocker"])).verdict == "GO_WITH_RISKS"


@pytest.mark.parametrize("run_info, words", [
    (run(collection_errors=1), "collection error"),
    (run(interrupted="KeyboardInterrupt"), "interrupted (KeyboardInterrupt)"),
    (run(interrupted="stopping after 1 failures"), "interrupted"),
    (run(crashed_workers=["gw0"]), "worker gw0 crashed"),
])
def test_an_incomplete_run_is_no_go_even_when_everything_that_ran_passed(run_info, words):
    decision = decided([check("a")], run_info=run_info)
    assert decision.verdict == "NO_GO"
    assert not decision.complete
    assert decision.reasons[0].code == "incomplete" and decision.reasons[0].blocking
    assert words in decision.reasons[0].text


def test_zero_checks_is_no_go():
    decision = decided([])
    assert decision.verdict == "NO_GO"
    assert not decision.complete
    assert "zero checks" in decision.reasons[0].text


def test_a_rollback_trigger_failing_in_a_stage_run_is_rollback():
    trigger = check("error_rate", "failed", rollback_trigger=True, message="error_rate=2.1% > 1%")
    decision = decided([check("a"), trigger], run_info=run(stage=25))
    assert decision.verdict == "ROLLBACK"
    assert decision.reasons[0].code == "rollback"
    assert "error_rate=2.1%" in decision.reasons[0].text


def test_a_rollback_trigger_outside_a_stage_run_is_an_ordinary_blocking_failure():
    trigger = check("error_rate", "failed", rollback_trigger=True)
    assert decided([trigger]).verdict == "NO_GO"
    # a non-blocking trigger outside a stage run is only a risk
    assert decided([check("x", "failed", severity="minor", rollback_trigger=True)]).verdict == "GO_WITH_RISKS"


def test_a_passing_rollback_trigger_in_a_stage_run_proceeds():
    assert decided([check("error_rate", rollback_trigger=True)], run_info=run(stage=25)).verdict == "GO"


def test_rollback_wins_over_no_go():
    decision = decided([check("a", "error"), check("t", "failed", rollback_trigger=True)], run_info=run(stage=50))
    assert decision.verdict == "ROLLBACK"


# -- waivers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["SEC-01", "test_x.py::test_b"])
def test_a_valid_waiver_on_a_blocking_failure_gives_go_with_risks_never_go(target):
    failing = check("b", "failed", checklist="SEC-01")
    decision = decided([check("a"), failing], waivers=[waiver(target)])
    assert decision.verdict == "GO_WITH_RISKS"
    assert codes(decision) == ["waived"]
    assert decision.waived["test_x.py::test_b"].check == target
    assert decision.waivers[0].status == "used"
    assert decision.waivers[0].matched == ["test_x.py::test_b"]
    assert "accepted until 2026-11-26 by cto" in decision.reasons[0].text
    assert decision.summary["waived"] == 1 and decision.summary["blocking_failures"] == 0


def test_a_waiver_counts_on_its_expiry_day_and_not_after():
    failing = [check("b", "failed", checklist="SEC-01")]
    assert decided(failing, waivers=[waiver("SEC-01", expires=TODAY)]).verdict == "GO_WITH_RISKS"
    decision = decided(failing, waivers=[waiver("SEC-01", expires=YESTERDAY)])
    assert decision.verdict == "NO_GO"
    assert decision.waivers[0].status == "expired"
    assert "expired_waiver" in codes(decision)
    assert "2026-11-24" in next(r.text for r in decision.reasons if r.code == "expired_waiver")


def test_a_waiver_that_matches_nothing_is_reported_unused():
    decision = decided([check("a")], waivers=[waiver("NOPE-99")])
    assert decision.verdict == "GO"
    assert decision.waivers[0].status == "unused"
    assert codes(decision) == ["unused_waiver"]


def test_a_waiver_on_a_passing_check_is_unused_and_no_risk():
    decision = decided([check("a", checklist="SEC-01")], waivers=[waiver("SEC-01")])
    assert decision.verdict == "GO"
    assert decision.waivers[0].status == "unused"
    assert decision.waived == {}


def test_a_waiver_does_not_cover_a_missing_result():
    decision = decided([check("a", "missing", checklist="SEC-01")], waivers=[waiver("SEC-01")])
    assert decision.verdict == "NO_GO"


def test_a_waiver_does_not_cover_an_incomplete_run():
    decision = decided([check("a", "failed", checklist="SEC-01")], waivers=[waiver("SEC-01")],
                       run_info=run(interrupted="KeyboardInterrupt"))
    assert decision.verdict == "NO_GO"


def test_a_waived_unsigned_manual_item_is_a_risk():
    decision = decided([manual("failed")], waivers=[waiver("MON-06")])
    assert decision.verdict == "GO_WITH_RISKS"
    assert next(c for c in decision.coverage if c.item.id == "MON-06").status == "waived"


# -- sign-offs --------------------------------------------------------------------------------

def signoff(item: str = "MON-06", at: dt.date = YESTERDAY, expires: dt.date | None = None) -> Signoff:
    return Signoff(item=item, by="jane.doe", at=at, evidence="https://pagerduty.example/s/ABC", expires=expires,
                   environments=["*"])


def test_a_signed_manual_item_is_go_and_its_sign_off_is_valid():
    decision = decided([check("a"), manual("passed")], signoffs=[signoff()])
    assert decision.verdict == "GO"
    assert [s.status for s in decision.signoffs] == ["valid"]
    assert next(c for c in decision.coverage if c.item.id == "MON-06").status == "signed"
    assert decision.summary["manual_signed"] == 1


def test_a_manual_item_without_sign_off_blocks():
    decision = decided([check("a"), manual("failed")])
    assert decision.verdict == "NO_GO"
    assert decision.reasons[0].code == "unsigned"
    assert "NOT SIGNED OFF" in decision.reasons[0].text and "MON-06" in decision.reasons[0].text
    assert decision.summary["manual_missing"] == 1
    assert "1 manual item not signed off" in decision.headline


@pytest.mark.parametrize("record, status, words", [
    (signoff(expires=YESTERDAY), "expired", "expired on 2026-11-24"),
    (signoff(at=TOMORROW), "future", "dated in the future"),
    (signoff(item="NOPE-1"), "unknown_item", "not in the checklist"),
    (signoff(item="SEC-01"), "not_manual", "automated item"),
])
def test_an_invalid_sign_off_is_reported_and_does_not_count(record, status, words):
    # the manual item itself failed at run time (ManualItem found no valid sign-off)
    decision = decided([manual("failed")], signoffs=[record])
    assert decision.verdict == "NO_GO"
    assert [s.status for s in decision.signoffs] == [status]
    note = next(r for r in decision.reasons if r.code == "invalid_signoff")
    assert words in note.text and not note.blocking


def test_a_sign_off_valid_through_its_expiry_day():
    decision = decided([manual("passed")], signoffs=[signoff(expires=TODAY)])
    assert [s.status for s in decision.signoffs] == ["valid"]


# -- uncovered items and refused destructive checks -------------------------------------------

def test_an_uncovered_checklist_item_blocks():
    uncovered = CheckResult(nodeid="readiness/checklist.toml::DAT-03", outcome="failed", kind="uncovered",
                            title="Backup restore tested", severity="critical", owner="dba", checklist="DAT-03")
    decision = decided([check("a"), uncovered])
    assert decision.verdict == "NO_GO"
    assert decision.reasons[0].code == "uncovered"
    assert next(c for c in decision.coverage if c.item.id == "DAT-03").status == "uncovered"
    assert decision.summary["uncovered"] == 1


def refused(**kw) -> CheckResult:
    return check("restore", "refused", destructive=True, checklist="DAT-03", **kw)


@pytest.mark.parametrize("severity", ["blocker", "critical", None])
def test_a_refused_blocking_destructive_check_has_no_evidence_and_blocks(severity):
    decision = decided([check("a"), refused(severity=severity)])
    assert decision.verdict == "NO_GO"
    reason = next(r for r in decision.reasons if r.code == "refused")
    assert reason.blocking and "NOT RUN" in reason.text
    # it says how to get the evidence
    assert "--launch-allow-destructive" in reason.text and 'accepts = ["refused"]' in reason.text
    assert decision.headline.startswith("1 blocking destructive check not run")
    assert decision.summary["refused"] == 1


def test_a_refused_non_blocking_destructive_check_is_a_risk_not_a_go():
    decision = decided([check("a"), refused(severity="minor")])
    assert decision.verdict == "GO_WITH_RISKS"
    assert codes(decision) == ["nonblocking_failed"] and "NOT RUN" in decision.reasons[0].text


@pytest.mark.parametrize("required", ["DAT-03", "test_x.py::test_restore"])
def test_a_refused_destructive_check_that_the_policy_requires_blocks_whatever_its_severity(required):
    decision = decided([check("a"), refused(severity="minor")], policy=Policy(require_destructive=[required]))
    assert decision.verdict == "NO_GO"
    assert decision.reasons[0].code == "refused" and decision.reasons[0].blocking
    assert "--launch-allow-destructive" in decision.reasons[0].text


@pytest.mark.parametrize("accepts", [[], ["failed"], ["failed", "error", "skipped"]])
def test_a_waiver_accepts_a_refused_check_only_when_it_names_refused(accepts):
    plain = dataclasses.replace(waiver("DAT-03"), accepts=accepts)
    decision = decided([check("a"), refused()], waivers=[plain])
    assert decision.verdict == "NO_GO"
    assert decision.waivers[0].status == "unused" and decision.waived == {}


def test_a_waiver_that_accepts_refused_makes_a_refused_blocker_a_risk_not_a_go():
    accepting = dataclasses.replace(waiver("DAT-03"), accepts=["refused"])
    decision = decided([check("a"), refused()], waivers=[accepting], policy=Policy(require_destructive=["DAT-03"]))
    assert decision.waivers[0].status == "used"
    assert decision.verdict == "GO_WITH_RISKS"
    # ... and nothing else: the same waiver does not accept a failure
    assert decided([check("b", "failed", checklist="DAT-03")], waivers=[accepting]).verdict == "NO_GO"


def test_a_module_skipped_at_collection_blocks_and_names_module_and_reason():
    module = CheckResult(nodeid="test_db.py", outcome="skipped", kind="collection",
                         message="skipped at collection (could not import 'psycopg'): no evidence")
    decision = decided([check("a"), check("b"), check("c"), module])
    assert decision.verdict == "NO_GO"
    reason = decision.reasons[0]
    assert reason.code == "skipped" and reason.blocking and reason.nodeid == "test_db.py"
    assert "SKIPPED AT COLLECTION" in reason.text and "psycopg" in reason.text
    assert "severity_defaulted" not in codes(decision)


# -- rollback triggers are never waivable ------------------------------------------------------

@pytest.mark.parametrize("target", ["RB-01", "test_x.py::test_error_rate"])
@pytest.mark.parametrize("stage", [25, None])
def test_a_waiver_never_applies_to_a_rollback_trigger(target, stage):
    trigger = check("error_rate", "failed", rollback_trigger=True, checklist="RB-01", message="error_rate=2.1%")
    decision = decided([check("a"), trigger], waivers=[waiver(target)], run_info=run(stage=stage))
    assert decision.verdict == ("ROLLBACK" if stage else "NO_GO")
    assert decision.waived == {}
    note = next(r for r in decision.reasons if r.code == "trigger_not_waived")
    assert not note.blocking and "never waivable" in note.text and "test_error_rate" in note.text
    assert decision.waivers[0].triggers_not_waived == ["test_x.py::test_error_rate"]


def test_a_waiver_by_checklist_id_still_covers_the_items_ordinary_check_but_not_its_trigger():
    load_test = check("load", "failed", checklist="RB-01")
    trigger = check("error_rate", "failed", rollback_trigger=True, checklist="RB-01")
    decision = decided([load_test, trigger], waivers=[waiver("RB-01")], run_info=run(stage=25))
    assert decision.verdict == "ROLLBACK"
    assert list(decision.waived) == ["test_x.py::test_load"]
    assert decision.waivers[0].status == "used"


def test_a_waiver_matching_only_a_passing_trigger_adds_no_note():
    decision = decided([check("error_rate", rollback_trigger=True, checklist="RB-01")], waivers=[waiver("RB-01")],
                       run_info=run(stage=25))
    assert decision.verdict == "GO" and "trigger_not_waived" not in codes(decision)


# -- properties -------------------------------------------------------------------------------

OUTCOMES = ["passed", "failed", "error", "skipped", "refused", "missing"]
SEVERITY_CHOICES = [None, "blocker", "critical", "normal", "minor", "trivial"]
ITEM_IDS = [None, "SEC-01", "PERF-02", "MON-06", "DAT-03"]


@st.composite
def check_results(draw):
    n = draw(st.integers(min_value=0, max_value=8))
    out = []
    for i in range(n):
        kind = draw(st.sampled_from(["check", "check", "check", "manual", "uncovered", "collection"]))
        outcome = draw(st.sampled_from(OUTCOMES))
        if kind in ("manual", "uncovered") and outcome not in ("passed", "failed"):
            outcome = "failed"
        if kind == "collection":  # a module skipped at collection: what it held has no evidence
            outcome = "skipped"
        out.append(CheckResult(
            nodeid=f"t.py::test_{i}", outcome=outcome, kind=kind,
            severity=None if kind == "collection" else draw(st.sampled_from(SEVERITY_CHOICES)),
            checklist=None if kind == "collection" else draw(st.sampled_from(ITEM_IDS)), owner=draw(st.sampled_from([None, "team"])),
            rollback_trigger=kind != "collection" and draw(st.booleans()), destructive=outcome == "refused",
            message=draw(st.sampled_from(["", "boom", "x" * 500]))))
    return out


dates = st.dates(min_value=TODAY - dt.timedelta(days=5), max_value=TODAY + dt.timedelta(days=5))
waiver_targets = st.sampled_from(["t.py::test_0", "t.py::test_1"]) | st.sampled_from(
    ITEM_IDS[1:] + [f"t.py::test_{i}" for i in range(8)])
waivers_st = st.lists(st.builds(Waiver, check=waiver_targets,
                                reason=st.just("r"), owner=st.just("o"), approved_by=st.just("a"), expires=dates,
                                accepts=st.sampled_from([[], [], ["refused"], ["failed"], ["failed", "refused"]])),
                      max_size=4)
signoffs_st = st.lists(st.builds(Signoff, item=st.sampled_from(ITEM_IDS[1:] + ["X-1"]), by=st.just("b"), at=dates,
                                 evidence=st.just("https://e.example"), expires=st.none() | dates), max_size=3)
runs_st = st.builds(RunInfo, stage=st.none() | st.sampled_from([5, 25, 50, 100]),
                    collection_errors=st.sampled_from([0, 0, 0, 1]),
                    interrupted=st.sampled_from([None, None, None, "KeyboardInterrupt"]),
                    crashed_workers=st.sampled_from([[], [], ["gw1"]]))
policies_st = st.builds(Policy, blocking_severities=st.sampled_from([["blocker", "critical"], ["blocker"],
                                                                    ["blocker", "critical", "normal"]]),
                        require_destructive=st.sampled_from([[], ["DAT-03"], ["t.py::test_0"]]))


def _accepts(w: Waiver, outcome: str) -> bool:
    return outcome in (w.accepts or ["failed", "error", "skipped"])


def _waived_ids(checks, waivers) -> set[str]:
    """Independent of decide(): the checks a waiver active today matches and accepts (never a
    rollback trigger; a refused check only when the waiver names `refused`)."""
    active = [w for w in waivers if TODAY <= w.expires]
    return {c.nodeid for c in checks if not c.rollback_trigger
            and any(w.check in (c.nodeid, c.checklist) and _accepts(w, c.outcome) for w in active)}


def _blocking(c: CheckResult, policy: Policy) -> bool:
    return c.severity is None or c.severity in policy.blocking_severities


@settings(max_examples=examples(400), deadline=None)
@given(checks=check_results(), waivers=waivers_st, signoffs=signoffs_st, run_info=runs_st, policy=policies_st)
def test_no_go_whenever_blocking_evidence_is_bad_or_missing(checks, waivers, signoffs, run_info, policy):
    decision = decide(checks, CHECKLIST, waivers, signoffs, run_info, policy, TODAY)
    waived = _waived_ids(checks, waivers)
    unwaived_bad_blocking = any(
        _blocking(c, policy) and c.outcome in ("failed", "error", "skipped", "missing") and c.nodeid not in waived
        for c in checks)
    incomplete = (not checks or run_info.collection_errors or run_info.interrupted or run_info.crashed_workers
                  or any(c.outcome == "missing" for c in checks))
    # a destructive check not run has no evidence: it blocks like a skip unless a waiver accepts `refused`
    refused_blocking = any(c.outcome == "refused" and c.nodeid not in waived
                           and (_blocking(c, policy) or {c.nodeid, c.checklist} & set(policy.require_destructive))
                           for c in checks)
    if unwaived_bad_blocking or incomplete or refused_blocking:
        assert decision.verdict in ("NO_GO", "ROLLBACK")
    if decision.verdict in ("GO", "GO_WITH_RISKS"):
        assert decision.complete
        assert all(c.outcome == "passed" or c.nodeid in waived or not _blocking(c, policy) for c in checks)
    # a rollback trigger is never waived
    assert not any(c.rollback_trigger for c in checks if c.nodeid in decision.waived)
    if run_info.stage is not None and any(c.rollback_trigger and c.outcome == "failed" for c in checks):
        assert decision.verdict == "ROLLBACK"


@settings(max_examples=examples(300), deadline=None)
@given(checks=check_results(), waivers=waivers_st, signoffs=signoffs_st, run_info=runs_st, policy=policies_st)
def test_go_with_risks_never_without_a_risk_and_go_never_with_one(checks, waivers, signoffs, run_info, policy):
    decision = decide(checks, CHECKLIST, waivers, signoffs, run_info, policy, TODAY)
    waived = _waived_ids(checks, waivers)
    nonblocking_bad = any(not _blocking(c, policy) and c.outcome in ("failed", "error", "skipped", "refused")
                          and c.nodeid not in waived for c in checks)
    risk = bool(waived) or nonblocking_bad
    if decision.verdict == "GO_WITH_RISKS":
        assert risk
        assert any(r.code in ("waived", "nonblocking_failed") for r in decision.reasons)
    if decision.verdict == "GO":
        assert not risk
        assert not any(r.blocking for r in decision.reasons)


@settings(max_examples=examples(300), deadline=None)
@given(checks=check_results(), waivers=waivers_st, signoffs=signoffs_st, run_info=runs_st, policy=policies_st,
       data=st.data())
def test_the_verdict_does_not_depend_on_the_order_of_checks(checks, waivers, signoffs, run_info, policy, data):
    first = decide(checks, CHECKLIST, waivers, signoffs, run_info, policy, TODAY)
    shuffled = data.draw(st.permutations(checks))
    second = decide(list(shuffled), CHECKLIST, waivers, signoffs, run_info, policy, TODAY)
    assert second.verdict == first.verdict
    assert second.headline == first.headline
    assert sorted(r.text for r in second.reasons) == sorted(r.text for r in first.reasons)
    assert second.summary == first.summary


@settings(max_examples=examples(200), deadline=None)
@given(checks=check_results(), waivers=waivers_st, signoffs=signoffs_st, run_info=runs_st, policy=policies_st)
def test_decide_does_not_modify_its_inputs(checks, waivers, signoffs, run_info, policy):
    before = [dataclasses.asdict(c) for c in checks], [dataclasses.asdict(w) for w in waivers], \
        dataclasses.asdict(run_info)
    decide(checks, CHECKLIST, waivers, signoffs, run_info, policy, TODAY)
    after = [dataclasses.asdict(c) for c in checks], [dataclasses.asdict(w) for w in waivers], \
        dataclasses.asdict(run_info)
    assert after == before


def test_non_blocking_manual_and_uncovered_items_say_what_is_missing():
    minor_manual = CheckResult(nodeid="readiness/checklist.toml::DOC-1", outcome="failed", kind="manual",
                               title="Runbooks reviewed", severity="minor", owner="sre", checklist="DOC-1")
    minor_uncovered = CheckResult(nodeid="readiness/checklist.toml::DOC-2", outcome="failed", kind="uncovered",
                                  title="Search indices built", severity="minor", owner="search", checklist="DOC-2")
    decision = decided([minor_manual, minor_uncovered], checklist=[])
    assert decision.verdict == "GO_WITH_RISKS"
    texts = sorted(r.text for r in decision.reasons)
    assert texts[0].startswith("NOT SIGNED OFF Runbooks reviewed") and texts[1].startswith("UNCOVERED Search")
    assert decided([manual("failed")], waivers=[waiver("MON-06")]).reasons[0].text.startswith(
        "WAIVED On-call rotation set up [MON-06, owner sre]: not signed off")
