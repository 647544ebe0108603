"""The meeting's digest of a results document (outputs/digest.py): the one-sentence why, the
owner-grouped to-dos (most severe first), accepted risks and what changed since the last run.

The documents are made by the real decision (core.decision.decide) and the real document
builder (outputs.jsonfile.build_document), so the reasons have the texts users see."""

from __future__ import annotations

import datetime as dt
import json

from pytest_launch.config.policy import Policy
from pytest_launch.core.decision import decide
from pytest_launch.core.model import ChecklistItem, CheckResult, RunInfo, Waiver
from pytest_launch.outputs.digest import digest, previous_run
from pytest_launch.outputs.history import history_entry
from pytest_launch.outputs.jsonfile import build_document

TODAY = dt.date(2026, 11, 25)

ITEMS = [
    ChecklistItem("INF-04", "SSL certificates valid (>30 days)", "t_minus_7", "infra", "blocker", "platform-team"),
    ChecklistItem("INF-03", "CDN configuration validated", "t_minus_7", "infra", "critical", "platform-team"),
    ChecklistItem("SEC-01", "Security scan completed", "t_minus_7", "security", "blocker", "security-lead",
                  "manual", "Sign-off evidence: a link to the scan report."),
    ChecklistItem("SEC-06", "Secrets rotated", "t_minus_7", "security", "critical", "security-lead"),
    ChecklistItem("MON-02", "Grafana dashboards configured", "t_minus_7", "monitoring", "normal", "sre-team"),
    ChecklistItem("DAT-03", "Backup/restore tested", "t_minus_7", "data", "critical", "dba-team"),
    ChecklistItem("APP-05", "Error tracking configured", "t_minus_7", "application", "minor", "app-team"),
]


def check(nodeid: str, outcome: str, item: str | None, message: str = "", **extra) -> CheckResult:
    spec = next((i for i in ITEMS if i.id == item), None)
    fields = dict(title=spec.title if spec else None, phase="t_minus_7", category=spec.category if spec else "infra",
                  severity=spec.severity if spec else None, owner=spec.owner if spec else None, checklist=item)
    fields.update(extra)
    return CheckResult(nodeid, outcome, message=message, **fields)


def document(checks, *, waivers=(), signoffs=(), started="2026-11-25T02:00:00+00:00", **run_fields):
    run = RunInfo(started=started, finished=started, markexpr="t_minus_7", judged_on=TODAY.isoformat(),
                  scope_phases=None, environments=["prod"], **run_fields)
    decision = decide(checks, ITEMS, list(waivers), list(signoffs), run, Policy(), TODAY)
    doc = build_document(decision, checks, ITEMS, run, Policy(), {"name": "prod", "production": True})
    return json.loads(json.dumps(doc))  # as read back from go-no-go.json


def meeting_doc():
    return document([
        check("readiness/test_infra.py::test_tls[www.example.com]", "failed", "INF-04",
              "AssertionError: www.example.com certificate expires in 19 days\nassert 19 >= 30",
              evidence={"measured": 19, "threshold": ">= 30 days", "host": "www.example.com"}),
        check("readiness/test_infra.py::test_cdn", "skipped", "INF-03",
              "not configured: no [cdn] table in readiness/environments/prod.toml"),
        check("readiness/checklist.toml::SEC-01", "failed", "SEC-01", "no valid sign-off ...", kind="manual"),
        check("readiness/test_security.py::test_secrets_rotated", "failed", "SEC-06",
              "AssertionError: secret search-api-key has never been rotated"),
        check("readiness/test_monitoring.py::test_grafana", "failed", "MON-02", "dashboard 'launch' missing"),
        check("readiness/test_data.py::test_restore", "skipped", "DAT-03", "skipped: no [backups] table"),
        check("readiness/test_app.py::test_sentry", "passed", "APP-05"),
        check("readiness/test_misc.py::test_no_severity", "failed", None, "ValueError: boom", owner=None),
    ], waivers=[
        Waiver("SEC-06", "rotation automated in sprint 14", "security-lead", "cto", dt.date(2027, 1, 31), ["prod"]),
        Waiver("DAT-03", "restore drill after launch", "dba-team", "vp-eng", dt.date(2026, 12, 5), ["prod"],
               accepts=["skipped"]),
        Waiver("INF-99", "old", "platform-team", "cto", dt.date(2026, 1, 1), ["prod"]),
    ])


def test_to_dos_are_the_blocking_reasons_grouped_by_owner_most_severe_first():
    summary = digest(meeting_doc())
    assert summary.verdict == "NO_GO"
    lines = [t.line for t in summary.todos]
    # blockers (and the check with no severity, counted as blocking) before critical
    assert [t.severity for t in summary.todos] == ["blocker", None, "blocker", "critical"]
    assert [t.code for t in summary.todos] == ["failed", "failed", "unsigned", "skipped"]
    assert "platform-team: INF-04 SSL certificates valid (>30 days) \u2014 www.example.com certificate " \
           "expires in 19 days (measured 19, threshold >= 30 days)" in lines
    assert "security-lead: sign off SEC-01 Security scan completed \u2014 needs a link to the scan report" in lines
    assert "platform-team: INF-03 CDN configuration validated \u2014 no evidence (skipped: not configured: " \
           "no [cdn] table in readiness/environments/prod.toml)" in lines
    assert "(no owner): test_no_severity \u2014 boom" in lines
    # the id and title once, the node id kept for the detail, not repeated in the line
    for todo in summary.todos:
        assert todo.line.count(todo.item or "\0") <= 1
        assert "::" not in todo.line and todo.nodeid
    owners = [g.owner for g in summary.groups]
    assert owners == ["platform-team", "(no owner)", "security-lead"]
    platform = summary.groups[0]
    assert [t.item for t in platform.todos] == ["INF-04", "INF-03"]  # blocker before critical
    # accepted risks are not to-dos, and neither is the non-blocking failure
    assert not {"SEC-06", "DAT-03", "MON-02"} & {t.item for t in summary.todos}


def test_the_why_is_one_sentence_with_the_counts_and_owners():
    summary = digest(meeting_doc())
    assert summary.sentence == ("NO-GO: 4 items to do by 3 owners before GO: 2 blocking checks failed, "
                                "1 blocking check has no evidence and 1 manual item is not signed off")
    assert summary.sentence.count(".") == 0 and "\n" not in summary.sentence


def test_accepted_risks_say_who_until_when_and_what_including_no_evidence():
    summary = digest(meeting_doc())
    by_item = {a.item: a for a in summary.accepted}
    assert set(by_item) == {"SEC-06", "DAT-03"}
    secrets = by_item["SEC-06"]
    assert (secrets.accepted_by, secrets.until, secrets.days_left) == ("cto", "2027-01-31", 67)
    assert not secrets.no_evidence and secrets.accepts == "a failure"
    assert secrets.problem == "secret search-api-key has never been rotated"
    restore = by_item["DAT-03"]
    assert restore.no_evidence and restore.accepts == "no evidence (skipped)"
    assert "NO EVIDENCE accepted" in restore.line and "vp-eng" in restore.line and "2026-12-05" in restore.line
    assert [a.item for a in summary.accepted] == ["DAT-03", "SEC-06"]  # soonest expiry first
    # the non-blocking failure nobody accepted is a risk; the stale waiver is a note
    assert [r.item for r in summary.risks] == ["MON-02"]
    assert any("INF-99" in note and "expired" in note for note in summary.notes)


def test_go_and_go_with_risks_say_so_without_to_dos():
    clean = document([check("readiness/test_infra.py::test_tls", "passed", "INF-04")])
    assert digest(clean).todos == () and digest(clean).groups == ()
    assert digest(clean).sentence == "GO: every blocking check passed and every required sign-off is in"
    risky = document([check("readiness/test_infra.py::test_tls", "passed", "INF-04"),
                      check("readiness/test_monitoring.py::test_grafana", "failed", "MON-02", "missing")])
    assert digest(risky).verdict == "GO_WITH_RISKS"
    assert digest(risky).sentence == "GO WITH RISKS: nothing blocks the launch; 1 non-blocking problem to know about"


def test_partial_and_incomplete_runs_are_never_read_as_a_decision():
    partial = document([check("readiness/test_infra.py::test_tls", "passed", "INF-04")],
                       partial=["-k tls"], keywordexpr="tls")
    summary = digest(partial)
    assert summary.verdict == "NO_GO" and summary.partial
    assert "partial run is not a launch decision (-k tls)" in summary.sentence
    assert summary.todos[0].owner_label == "(the run)"
    crashed = document([check("readiness/test_infra.py::test_tls", "passed", "INF-04")],
                       crashed_workers=["gw1"])
    summary = digest(crashed)
    assert summary.sentence.startswith("NO-GO: the evidence is incomplete (")
    assert summary.sentence == "NO-GO: the evidence is incomplete (worker gw1 crashed)"
    assert not summary.complete


def test_rollback_comes_first_and_says_roll_back():
    trigger = check("readiness/test_launch_day.py::test_error_rate", "failed", "INF-04",
                    "error_rate 6.1% over 5m", rollback_trigger=True,
                    evidence={"measured": "6.1%", "threshold": "error_rate > 5% over 5m"})
    doc = document([trigger, check("readiness/test_infra.py::test_cdn", "failed", "INF-03", "x")], stage=25)
    summary = digest(doc)
    assert summary.verdict == "ROLLBACK"
    assert summary.todos[0].code == "rollback"
    assert summary.sentence.startswith("ROLLBACK: rollback trigger INF-04 SSL certificates valid (>30 days) fired "
                                       "at 25 % traffic")
    assert "measured 6.1%" in summary.todos[0].line


def test_changes_since_the_previous_run_from_a_history_line_or_a_document():
    before = document([
        check("readiness/test_infra.py::test_tls[www.example.com]", "passed", "INF-04"),
        check("readiness/test_infra.py::test_cdn", "failed", "INF-03", "x"),
        check("readiness/test_security.py::test_secrets_rotated", "failed", "SEC-06", "x"),
        check("readiness/test_old.py::test_gone", "failed", "INF-03", "x"),
    ], started="2026-11-24T02:00:00+00:00")
    now = document([
        check("readiness/test_infra.py::test_tls[www.example.com]", "failed", "INF-04", "expires in 19 days"),
        check("readiness/test_infra.py::test_cdn", "passed", "INF-03"),
        check("readiness/test_security.py::test_secrets_rotated", "failed", "SEC-06", "x"),
    ], waivers=[Waiver("SEC-06", "later", "security-lead", "cto", dt.date(2027, 1, 31), ["prod"])])
    for previous in (before, history_entry(before)):
        changes = digest(now, previous).changes
        assert changes is not None and changes.known
        assert [c.nodeid for c in changes.newly_failing] == ["readiness/test_infra.py::test_tls[www.example.com]"]
        assert changes.newly_failing[0].item == "INF-04"
        assert changes.newly_passing == ("readiness/test_infra.py::test_cdn",)
        assert changes.newly_waived == ("readiness/test_security.py::test_secrets_rotated",)
        assert changes.no_longer_run == ("readiness/test_old.py::test_gone",)
        assert changes.direction == "same" and changes.verdict_before == "NO-GO"
        assert changes.sentence == ("verdict unchanged (NO-GO); 1 newly failing, 1 fixed, 1 newly accepted by a "
                                    "waiver, 1 failing before and not run now, 0 still failing")
    assert digest(now).changes is None
    old_line = {"time": "2026-11-20T02:00:00+00:00", "verdict": "GO", "display_verdict": "GO"}
    changes = digest(now, old_line).changes
    assert changes.direction == "worse" and not changes.known
    assert "did not record its failing checks" in changes.sentence


def test_previous_run_skips_the_current_run_already_in_the_history():
    now = meeting_doc()
    earlier = {"started": "2026-11-24T02:00:00+00:00", "verdict": "GO", "failing": []}
    history = [earlier, history_entry(now)]
    assert previous_run(now, history) is earlier
    assert previous_run(now, [history_entry(now)]) is None
    assert previous_run(now, []) is None


def test_two_runs_started_within_one_second_are_two_runs():
    # the second run of a fast rerun starts in the same second as the first: the first run's
    # line is its previous run, not its own (it was taken for its own, so a notification on
    # change went out again and the page showed no change since the previous run)
    first, second = meeting_doc(), meeting_doc()
    first["run"]["run_id"], second["run"]["run_id"] = "a1" * 8, "b2" * 8
    assert first["run"]["started"] == second["run"]["started"]
    line = history_entry(first)
    assert line["run_id"] == "a1" * 8
    assert previous_run(second, [line]) is line
    assert previous_run(second, [line, history_entry(second)]) is line
    assert previous_run(first, [line]) is None
    # lines written before run ids are told apart by their start time, as before
    old_line = {"started": first["run"]["started"], "verdict": "GO", "failing": []}
    assert previous_run(second, [old_line]) is None


def test_as_dict_is_json_and_carries_the_lines():
    summary = digest(meeting_doc(), history_entry(meeting_doc()))
    data = json.loads(json.dumps(summary.as_dict()))
    assert data["sentence"] == summary.sentence
    assert data["groups"][0]["owner"] == "platform-team"
    assert data["groups"][0]["todos"][0]["line"].startswith("platform-team: INF-04")
    assert data["accepted"][0]["line"] == summary.accepted[0].line
    assert data["changes"]["sentence"].startswith("verdict unchanged")


def test_no_reason_is_dropped_whatever_its_code():
    doc = meeting_doc()
    doc["reasons"].append({"code": "uncovered", "blocking": False, "text": "INF-07 has no check (not blocking)"})
    summary = digest(doc)
    shown = len(summary.todos) + len(summary.risks) + len(summary.notes) + len(summary.accepted)
    assert shown == len(doc["reasons"])
    assert "INF-07 has no check (not blocking)" in summary.notes


def test_a_damaged_or_minimal_document_still_digests_fail_safe():
    summary = digest({"verdict": "NO_GO", "reasons": [{"code": "failed", "blocking": True, "text": "t"}],
                      "checks": "not a list", "run": None})
    assert summary.verdict == "NO_GO" and len(summary.todos) == 1
    assert summary.todos[0].owner_label == "(no owner)"
    empty = digest({})
    assert empty.verdict == "NO_GO"  # no verdict recorded is never GO
    assert empty.why == "the decision found evidence missing; see the reasons"
