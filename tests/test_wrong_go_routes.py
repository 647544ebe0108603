"""Issue 11 items 1-4: routes to a wrong GO closed by design (real pytest runs with pytester;
-n 2 where xdist carries the facts). Each test would have let a GO or a 0 through before."""

from __future__ import annotations

import json
from typing import Any

import pytest

from launch_project import PROD, make_project, report_path
from pytest_launch.outputs.jsonfile import validate_document

CHECKLIST = """
[[item]]
id = "SEC-01"
title = "TLS certificates valid"
phase = "t_minus_7"
category = "security"
severity = "blocker"
owner = "security-team"

[[item]]
id = "DAT-03"
title = "Backup restore tested"
phase = "t_minus_7"
category = "data"
severity = "critical"
owner = "dba"

[[item]]
id = "RB-01"
title = "Error rate within budget under load"
phase = "t_0"
category = "performance"
severity = "blocker"
owner = "sre"
"""

CHECKLIST_T7 = CHECKLIST[:CHECKLIST.index('[[item]]\nid = "RB-01"')]


def gate(pytester: pytest.Pytester, *args: str, xdist: bool = False) -> pytest.RunResult:
    base = ["-p", "no:cacheprovider", "--env=prod", "--launch-gate", "--launch-json", "out.json", "-rs", *args]
    if xdist:
        return pytester.runpytest_subprocess(*base, "-n", "2")
    return pytester.runpytest_inprocess(*base)


def result_doc(pytester: pytest.Pytester) -> dict[str, Any]:
    doc = json.loads((pytester.path / "out.json").read_text("utf-8"))
    validate_document(doc, "out.json")
    return doc


def reasons(doc: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [r for r in doc["reasons"] if r["code"] == code]


# -- item 2: a refused blocking check is missing evidence; the plugin's facts cannot be forged ----

REFUSED = """
import pathlib
import pytest

@pytest.mark.checklist("SEC-01")
def test_tls():
    pass

@pytest.mark.blocker
@pytest.mark.destructive
def test_failover_drill():
    pathlib.Path("drill-ran").write_text("failover")
    assert False, "failover took 300 s"

@pytest.mark.checklist("DAT-03")
@pytest.mark.destructive
def test_restore():
    pathlib.Path("restore-ran").write_text("restored")
"""


@pytest.mark.parametrize("xdist", [False, True], ids=["plain", "xdist"])
def test_a_refused_blocking_destructive_check_is_no_go_and_says_how_to_get_the_evidence(pytester, xdist):
    make_project(pytester, REFUSED, checklist=CHECKLIST_T7)
    result = gate(pytester, xdist=xdist)
    assert not (pytester.path / "drill-ran").exists() and not (pytester.path / "restore-ran").exists()
    assert result.ret == 1, result.stdout.str()[-2000:]
    doc = result_doc(pytester)
    assert doc["verdict"] == "NO_GO"
    refused = {r["nodeid"]: r for r in reasons(doc, "refused")}
    assert set(refused) == {"test_checks.py::test_failover_drill", "test_checks.py::test_restore"}
    assert all(r["blocking"] and "--launch-allow-destructive" in r["text"] for r in refused.values())
    assert doc["headline"].startswith("2 blocking destructive checks not run")
    assert "blocking destructive checks not run" in result.stdout.str()


WAIVE_REFUSED = """
[[waiver]]
check = "DAT-03"
reason = "restore drill booked for the maintenance window"
owner = "dba"
approved_by = "cto"
expires = 2026-12-31
environments = ["prod"]
{accepts}
"""


@pytest.mark.parametrize("accepts, verdict", [("", "NO_GO"), ('accepts = ["failed", "skipped"]', "NO_GO"),
                                              ('accepts = ["refused"]', "GO_WITH_RISKS")])
def test_only_a_waiver_that_accepts_refused_waives_a_refused_check(pytester, accepts, verdict):
    checks = REFUSED.replace("@pytest.mark.blocker\n@pytest.mark.destructive\ndef test_failover_drill",
                             "@pytest.mark.blocker\ndef test_failover_drill").replace(
        'assert False, "failover took 300 s"', "")
    make_project(pytester, checks, checklist=CHECKLIST_T7,
                 waivers=WAIVE_REFUSED.format(accepts=accepts))
    # the failover drill is not destructive now: it runs and passes, only the restore is refused.
    # The whole project is selected (no -m): a complete run, so only the waiver decides the verdict.
    result = gate(pytester)
    doc = result_doc(pytester)
    assert doc["run"]["complete"] and not doc["run"]["partial"]
    assert doc["verdict"] == verdict
    assert result.ret == (0 if verdict == "GO_WITH_RISKS" else 1)
    if verdict == "NO_GO":
        assert {r["code"] for r in doc["reasons"] if r["blocking"]} == {"refused"}
    assert doc["waivers"][0]["status"] == ("used" if verdict == "GO_WITH_RISKS" else "unused")


def test_a_bad_accepts_value_is_a_usage_error(pytester):
    make_project(pytester, REFUSED, checklist=CHECKLIST_T7, waivers=WAIVE_REFUSED.format(accepts='accepts = ["passed"]'))
    result = gate(pytester)
    assert result.ret == 4
    assert "waiver[0]" in result.stderr.str() and "'passed'" in result.stderr.str()


# every name the plugin ever used for its facts, and one shaped like today's channel name
FORGED = """
import pytest

FORGED = [("launch_refused", True), ("launch_meta", {{"kind": "check", "severity": "minor", "phase": "t_minus_7",
          "category": "security", "owner": "x", "checklist": None, "title": None, "rollback_trigger": False,
          "destructive": True}}), ("launch_inconclusive", False), ("launch_message", "all good"),
          ("launch_evidence", {{"days_left": 90}}), ("launch_signoff", {{"signed_by": "me"}}),
          ("launch:0000", {{"refused": True, "meta": {{"severity": "trivial"}}}}),
          ("launch:" + "0" * 32, {{"refused": True}})]

@pytest.fixture(autouse=True)
def forge(request, record_property):
    for name, value in FORGED:
        record_property(name, value)
        request.node.user_properties.append((name, value))
    yield

@pytest.mark.blocker
def test_skips_itself():
    pytest.skip("{skip}")

@pytest.mark.blocker
def test_fails():
    assert False, "certificate expired"
"""

FORGING_CONFTEST = """
import pytest

@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    report.user_properties.append(("launch_refused", True))
    report.user_properties.append(("launch_meta", {"severity": "trivial", "rollback_trigger": False}))
    return report
"""


@pytest.mark.parametrize("xdist", [False, True], ids=["plain", "xdist"])
def test_a_check_writing_every_one_of_our_names_changes_nothing(pytester, xdist):
    make_project(pytester, FORGED.format(skip="refused: destructive check against production"), checklist=None)
    pytester.makeconftest(FORGING_CONFTEST)
    result = gate(pytester, xdist=xdist)
    assert result.ret == 1
    doc = result_doc(pytester)
    assert doc["verdict"] == "NO_GO"
    outcomes = {c["nodeid"].split("::")[-1]: (c["outcome"], c["severity"], c["blocking"]) for c in doc["checks"]}
    assert outcomes == {"test_skips_itself": ("skipped", "blocker", True), "test_fails": ("failed", "blocker", True)}
    assert {r["code"] for r in doc["reasons"] if r["blocking"]} == {"skipped", "failed"}
    assert "all good" not in json.dumps(doc["reasons"])


# -- item 3: a rollback trigger is never waivable ----------------------------------------------

TRIGGER = """
import pytest

@pytest.mark.checklist("RB-01")
def test_load_test():
    assert False, "p99 420 ms under 2x load"

@pytest.mark.checklist("RB-01")
@pytest.mark.rollback_trigger
def test_error_rate(launch_evidence):
    launch_evidence.record(error_rate=0.021, threshold=0.01)
    assert 0.021 < 0.01, "error_rate 2.1% over budget 1%"
"""

WAIVER = """
[[waiver]]
check = "{check}"
reason = "load test re-run booked"
owner = "sre"
approved_by = "cto"
expires = 2026-12-31
environments = ["prod"]
"""


@pytest.mark.parametrize("xdist", [False, True], ids=["plain", "xdist"])
def test_a_waiver_by_checklist_id_does_not_waive_the_items_rollback_trigger(pytester, xdist):
    make_project(pytester, TRIGGER, checklist=CHECKLIST, waivers=WAIVER.format(check="RB-01"))
    result = gate(pytester, "-m", "t_0", "--launch-stage=25", xdist=xdist)
    assert result.ret == 20, result.stdout.str()[-2000:]
    doc = result_doc(pytester)
    assert doc["verdict"] == "ROLLBACK" and doc["display_verdict"] == "ROLLBACK"
    note = reasons(doc, "trigger_not_waived")
    assert [r["nodeid"] for r in note] == ["test_checks.py::test_error_rate"]
    assert "never waivable" in note[0]["text"]
    assert doc["waivers"][0]["triggers_not_waived"] == ["test_checks.py::test_error_rate"]
    assert "never waivable" in result.stdout.str()


def test_outside_a_stage_run_a_waived_trigger_still_blocks(pytester):
    make_project(pytester, TRIGGER, checklist=CHECKLIST, waivers=WAIVER.format(check="RB-01"))
    result = gate(pytester, "-m", "t_0")
    assert result.ret == 1
    doc = result_doc(pytester)
    assert doc["verdict"] == "NO_GO"
    # the load test is waived, the trigger is not
    waived = [c["nodeid"] for c in doc["checks"] if c["waiver"]]
    assert waived == ["test_checks.py::test_load_test"]
    assert [r["nodeid"] for r in doc["reasons"] if r["blocking"]] == ["test_checks.py::test_error_rate"]


@pytest.mark.parametrize("xdist", [False, True], ids=["plain", "xdist"])
@pytest.mark.parametrize("target", ["test_checks.py::test_error_rate", "RB-01"])
def test_a_waiver_that_names_only_rollback_triggers_is_a_usage_error(pytester, target, xdist):
    only_triggers = TRIGGER.replace('@pytest.mark.checklist("RB-01")\ndef test_load_test',
                                    "@pytest.mark.t_0\n@pytest.mark.blocker\ndef test_load_test")
    make_project(pytester, only_triggers, checklist=CHECKLIST, waivers=WAIVER.format(check=target))
    result = gate(pytester, "-m", "t_0", "--launch-stage=25", xdist=xdist)
    assert result.ret == 4
    output = result.stdout.str() + result.stderr.str()
    assert "names only rollback triggers" in output and "never waivable" in output
    assert "waiver[0]" in output and "Traceback" not in output


def test_a_waiver_that_names_only_rollback_triggers_stops_a_run_that_does_not_decide_under_xdist(pytester):
    """The same mistake in a run without --env/--launch-json/--launch-gate, under xdist: no
    controller is loaded there (issue 16), and the workers' finding still stops the run."""
    only_triggers = TRIGGER.replace('@pytest.mark.checklist("RB-01")\ndef test_load_test',
                                    "@pytest.mark.t_0\n@pytest.mark.blocker\ndef test_load_test")
    make_project(pytester, only_triggers, checklist=CHECKLIST, waivers=WAIVER.format(check="RB-01"))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    assert result.ret == 4
    output = result.stdout.str() + result.stderr.str()
    assert output.count("names only rollback triggers") == 1 and "Traceback" not in output


# -- item 1: evidence dropped before it becomes a check result --------------------------------

PASSING = """
import pytest

@pytest.mark.checklist("SEC-01")
def test_tls():
    pass

@pytest.mark.checklist("DAT-03")
def test_backup():
    pass

@pytest.mark.blocker
def test_health():
    pass
"""

SKIPPED_MODULE = """
import pytest

{skip}

@pytest.mark.blocker
def test_replication_lag():
    assert False, "replica 40 s behind"

@pytest.mark.checklist("DAT-03")
def test_restore_point():
    assert False, "no restore point in 24 h"
"""

MODULE_SKIPS = {
    "importorskip": 'psycopg = pytest.importorskip("psycopg_not_installed_here")',
    "module_level": 'pytest.skip("database checks need VPN access", allow_module_level=True)',
    "class_body": 'class TestDb:\n    pytest.skip("database checks need VPN access", allow_module_level=True)',
}


@pytest.mark.parametrize("xdist", [False, True], ids=["plain", "xdist"])
@pytest.mark.parametrize("how", sorted(MODULE_SKIPS))
def test_a_module_skipped_at_collection_is_no_go_naming_the_module_and_the_reason(pytester, how, xdist):
    make_project(pytester, {"test_checks.py": PASSING,
                            "test_db.py": SKIPPED_MODULE.format(skip=MODULE_SKIPS[how])}, checklist=CHECKLIST_T7)
    result = gate(pytester, xdist=xdist)
    assert result.ret == 1, result.stdout.str()[-2000:]
    doc = result_doc(pytester)
    assert doc["verdict"] == "NO_GO"
    skipped = [r for r in reasons(doc, "skipped") if r["nodeid"] == "test_db.py"]
    assert len(skipped) == 1 and skipped[0]["blocking"]
    text = skipped[0]["text"]
    assert "SKIPPED AT COLLECTION" in text
    assert ("psycopg_not_installed_here" if how == "importorskip" else "database checks need VPN access") in text
    entry = next(c for c in doc["checks"] if c["nodeid"] == "test_db.py")
    assert entry["kind"] == "collection" and entry["outcome"] == "skipped" and entry["blocking"]
    assert "SKIPPED AT COLLECTION" in result.stdout.str()


def test_a_conftest_that_skips_its_folder_is_no_go(pytester):
    (pytester.path / "db").mkdir()
    make_project(pytester, {"test_checks.py": PASSING,
                            "db/conftest.py": 'import pytest\npytest.skip("no database here", allow_module_level=True)\n',
                            "db/test_db.py": SKIPPED_MODULE.format(skip="")}, checklist=CHECKLIST_T7)
    result = gate(pytester)
    assert result.ret == 1
    doc = result_doc(pytester)
    blocking = [r for r in reasons(doc, "skipped") if r["blocking"]]
    assert blocking and any("no database here" in r["text"] for r in blocking)


DROPPING_CONFTEST = """
def pytest_collection_modifyitems(config, items):
    items[:] = [item for item in items if "replication" not in item.name and "restore_point" not in item.name]
"""


@pytest.mark.parametrize("xdist", [False, True], ids=["plain", "xdist"])
def test_checks_removed_by_a_hook_without_being_deselected_are_no_go(pytester, xdist):
    make_project(pytester, {"test_checks.py": PASSING, "test_db.py": SKIPPED_MODULE.format(skip="")},
                 checklist=CHECKLIST_T7)
    pytester.makeconftest(DROPPING_CONFTEST)
    result = gate(pytester, xdist=xdist)
    assert result.ret == 1, result.stdout.str()[-2000:]
    doc = result_doc(pytester)
    dropped = {r["nodeid"]: r for r in reasons(doc, "skipped")}
    assert set(dropped) == {"test_db.py::test_replication_lag", "test_db.py::test_restore_point"}
    assert all(r["blocking"] and "without being deselected" in r["text"] for r in dropped.values())
    assert dropped["test_db.py::test_restore_point"]["checklist"] == "DAT-03"


def test_deselection_by_marker_or_deselect_is_not_dropped_evidence(pytester):
    make_project(pytester, {"test_checks.py": PASSING, "test_db.py": SKIPPED_MODULE.format(skip="")},
                 checklist=CHECKLIST_T7)
    result = gate(pytester, "--deselect", "test_db.py::test_replication_lag",
                  "--deselect", "test_db.py::test_restore_point")
    doc = result_doc(pytester)
    assert not reasons(doc, "skipped")
    assert not [c for c in doc["checks"] if c["nodeid"].startswith("test_db.py")]
    # deselected checks are not dropped evidence: what blocks is the partial run alone (--deselect
    # narrows the selection below whole phases), and its page goes to partial/, not the phase's
    assert doc["verdict"] == "NO_GO" and result.ret == 1
    assert [r["code"] for r in doc["reasons"] if r["blocking"]] == ["partial"]
    assert "--deselect" in reasons(doc, "partial")[0]["text"]
    assert report_path(pytester, folder="partial").exists()


@pytest.mark.parametrize("how", ["collect_ignore", "dunder_test", "ignore_hook"])
def test_a_linked_check_that_is_never_collected_leaves_its_item_uncovered(pytester, how):
    checks = {"test_checks.py": PASSING.replace('@pytest.mark.checklist("DAT-03")\ndef test_backup', "def test_backup"),
              "test_db.py": SKIPPED_MODULE.format(skip="")}
    # the conftest goes through make_project, which adds the suite tables to it (a conftest written
    # before make_project would be replaced)
    if how == "collect_ignore":
        checks["conftest.py"] = 'collect_ignore = ["test_db.py"]\n'
    elif how == "ignore_hook":
        checks["conftest.py"] = ('def pytest_ignore_collect(collection_path, config):\n'
                                 '    return collection_path.name == "test_db.py" or None\n')
    else:
        checks["test_db.py"] = SKIPPED_MODULE.format(skip="__test__ = False")
    make_project(pytester, checks, checklist=CHECKLIST_T7)
    result = gate(pytester)
    assert result.ret == 1
    doc = result_doc(pytester)
    assert [r["checklist"] for r in reasons(doc, "uncovered")] == ["DAT-03"]


# -- item 4: the gate never exits 0 without a decision ------------------------------------------

TWO_FAILING_BLOCKERS = """
import pytest

@pytest.mark.blocker
def test_tls():
    assert False, "certificate expired"

@pytest.mark.blocker
def test_dns():
    assert False, "NXDOMAIN"
"""


@pytest.mark.parametrize("mode", ["--co", "--collect-only", "--setup-only", "--setup-plan", "--fixtures",
                                  "--fixtures-per-test", "--markers", "--help"])
def test_the_gate_with_a_mode_that_runs_no_check_is_a_usage_error(pytester, mode):
    make_project(pytester, TWO_FAILING_BLOCKERS, checklist=None)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", "--launch-gate", mode)
    assert result.ret == 4, result.stdout.str()[-1500:]
    assert "no check runs in that mode" in result.stderr.str()
    assert "Traceback" not in result.stderr.str()


def test_without_the_gate_those_modes_still_work_and_write_no_report(pytester):
    make_project(pytester, TWO_FAILING_BLOCKERS, checklist=None)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", "--co")
    assert result.ret == 0
    assert not list(pytester.path.glob("reports/**/go-no-go.json"))


@pytest.mark.parametrize("where", ["argv", "PYTEST_ADDOPTS", "addopts"])
@pytest.mark.parametrize("xdist", [False, True], ids=["plain", "xdist"])
def test_blocking_the_decision_is_a_usage_error(pytester, monkeypatch, where, xdist):
    make_project(pytester, TWO_FAILING_BLOCKERS, checklist=None)
    args = ["-p", "no:cacheprovider", "--env=prod", "--launch-gate"] + (["-n", "2"] if xdist else [])
    if where == "argv":
        args += ["-p", "no:launch-controller"]
    elif where == "PYTEST_ADDOPTS":
        monkeypatch.setenv("PYTEST_ADDOPTS", "--launch-allow-backdate -p no:launch-controller")
    else:
        pytester.makeini("[pytest]\naddopts = -p no:launch-controller\n")
    result = pytester.runpytest_subprocess(*args)
    assert result.ret == 4, result.stdout.str()[-1500:]
    assert "-p no:launch-controller" in result.stderr.str() and "cannot be disabled" in result.stderr.str()
    assert not list(pytester.path.glob("reports/**/go-no-go.json"))


def test_a_gate_run_that_ends_without_a_decision_exits_3_not_0(pytester):
    # a conftest that unregisters the controller behind the plugin's back: the last line of defence
    make_project(pytester, TWO_FAILING_BLOCKERS.replace("assert False", "assert True"), checklist=None)
    pytester.makeconftest("""
def pytest_sessionstart(session):
    pm = session.config.pluginmanager
    pm.unregister(pm.get_plugin("launch-controller"))
""")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", "--launch-gate")
    assert result.ret == 3
    assert "no launch decision was made" in result.stdout.str()


# -- the secrets corpus, grown to the new routes -------------------------------------------------

SECRET_ROUTES = {
    "test_checks.py": PASSING,
    "test_db.py": """
import os
import pytest
pytest.skip("cannot reach postgres with token " + os.environ["LAUNCH_TEST_TOKEN"], allow_module_level=True)
""",
    "test_forged.py": """
import os
import pytest

@pytest.mark.blocker
def test_forges_with_a_secret(record_property):
    record_property("launch_refused", os.environ["LAUNCH_TEST_TOKEN"])
    record_property("launch_meta", {"severity": os.environ["LAUNCH_TEST_TOKEN"]})
    pytest.skip("refused: " + os.environ["LAUNCH_TEST_TOKEN"])
""",
}


@pytest.mark.parametrize("xdist", [False, True], ids=["plain", "xdist"])
def test_no_secret_leaks_through_the_new_routes(pytester, monkeypatch, xdist):
    from test_redaction import SECRET, assert_no_secret, outputs_of

    monkeypatch.setenv("LAUNCH_TEST_TOKEN", SECRET)
    make_project(pytester, SECRET_ROUTES, checklist=CHECKLIST_T7,
                 env=PROD + '\n[custom]\ntoken = "${LAUNCH_TEST_TOKEN}"\n')
    result = gate(pytester, "--junitxml=junit.xml", "-rA", xdist=xdist)
    assert result.ret == 1
    doc = result_doc(pytester)
    assert {r["nodeid"] for r in reasons(doc, "skipped")} == {"test_db.py", "test_forged.py::test_forges_with_a_secret"}
    assert_no_secret(outputs_of(pytester, result))
