"""End to end through pytest (pytester): every row of the decision table of PRODUCT §4, waivers,
sign-offs, xdist, crashed workers, interrupted runs, exit codes with --launch-gate, the JSON
(validated against the shipped schema) and the terminal verdict line."""

from __future__ import annotations

import pytest

from launch_project import (
    TODAY,
    check_by_name,
    make_project,
    read_report,
    report_path,
    verdict_line_of,
)

pytestmark = pytest.mark.usefixtures("launch_today")


@pytest.fixture
def launch_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)


PASSING = """
import pytest

@pytest.mark.checklist("SEC-01")
def test_tls(launch_evidence):
    launch_evidence.record(days_left=45, threshold=30)

@pytest.mark.checklist("PERF-02")
def test_cache():
    pass
"""

SIGNED = """
[[signoff]]
environments = ["prod"]
item = "MON-06"
by = "jane.doe"
at = 2026-11-20
evidence = "https://pagerduty.example/schedules/ABC"
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", *args)


# -- GO and GO_WITH_RISKS ---------------------------------------------------------------------

def test_everything_passed_and_signed_is_go_exit_0(pytester):
    make_project(pytester, PASSING, signoffs=SIGNED)
    result = run(pytester, "-m", "t_minus_7", "--launch-gate")
    assert result.ret == 0
    doc = read_report(pytester)
    assert doc["verdict"] == "GO"
    assert doc["run"]["complete"] is True
    assert doc["summary"]["total"] == 3 and doc["summary"]["passed"] == 3
    assert doc["environment"] == {"name": "prod", "production": True, "description": "production",
                                  # the file as the user wrote it, relative to the rootdir
                                  "source": "readiness/environments/prod.toml"}
    tls = check_by_name(doc, "::test_tls")
    assert tls["evidence"] == {"days_left": 45, "threshold": 30}
    assert (tls["phase"], tls["category"], tls["severity"], tls["owner"], tls["checklist"]) == \
        ("t_minus_7", "security", "blocker", "security-team", "SEC-01")
    assert tls["blocking"] is True and tls["severity_defaulted"] is False
    manual = check_by_name(doc, "checklist.toml::MON-06")
    assert manual["kind"] == "manual" and manual["outcome"] == "passed"
    assert manual["evidence"]["signed_by"] == "jane.doe"
    assert [s["status"] for s in doc["signoffs"]] == ["valid"]
    assert verdict_line_of(result.stdout.str()) == "launch decision (prod, t_minus_7): GO: all 3 checks passed"


def test_the_verdict_line_is_the_last_line_and_shows_the_json_verdict(pytester):
    make_project(pytester, PASSING.replace("pass\n", "assert False, 'cache cold'\n"), signoffs=SIGNED)
    result = run(pytester, "-m", "t_minus_7")
    doc = read_report(pytester)
    line = verdict_line_of(result.stdout.str())
    assert line == f"launch decision (prod, t_minus_7): {doc['verdict']}: {doc['headline']}"
    assert line.startswith("launch decision (prod, t_minus_7): GO")
    assert doc["verdict"] == "GO_WITH_RISKS"
    assert "1 non-blocking failure" in doc["headline"]
    # the reasons come before the verdict line, each naming check, owner and message
    assert "cache cold" in result.stdout.str()
    result.stdout.fnmatch_lines(["*launch decision: reasons*", "risk *FAILED*test_cache*owner perf-team*cache cold*"])


def test_a_non_blocking_failure_is_go_with_risks_exit_0_or_10_with_strict(pytester):
    make_project(pytester, PASSING.replace("pass\n", "assert False, 'cache cold'\n"), signoffs=SIGNED)
    assert run(pytester, "-m", "t_minus_7", "--launch-gate").ret == 0
    assert read_report(pytester)["verdict"] == "GO_WITH_RISKS"
    assert run(pytester, "-m", "t_minus_7", "--launch-gate", "--launch-strict").ret == 10
    # without --launch-gate, pytest's own exit code (1: a test failed)
    assert run(pytester, "-m", "t_minus_7").ret == 1


def test_the_policy_can_make_go_with_risks_strict(pytester):
    make_project(pytester, PASSING.replace("pass\n", "assert False\n"), signoffs=SIGNED,
                 policy="[policy]\nstrict = true\n")
    assert run(pytester, "-m", "t_minus_7", "--launch-gate").ret == 10


# -- waivers ----------------------------------------------------------------------------------

FAILING_TLS = """
import pytest

@pytest.mark.checklist("SEC-01")
def test_tls(launch_evidence):
    launch_evidence.record(days_left=12, threshold=30)
    assert 12 >= 30, "certificate for shop.example expires in 12 days"

@pytest.mark.checklist("PERF-02")
def test_cache():
    pass
"""


def waiver(check: str = "SEC-01", expires: str = "2026-11-30") -> str:
    return f"""
[[waiver]]
environments = ["prod"]
check = "{check}"
reason = "Renewal scheduled 2026-11-27"
owner = "security-lead"
approved_by = "cto"
expires = {expires}
"""


def test_a_failing_blocker_is_no_go_exit_1(pytester):
    make_project(pytester, FAILING_TLS, signoffs=SIGNED)
    result = run(pytester, "-m", "t_minus_7", "--launch-gate")
    assert result.ret == 1
    doc = read_report(pytester)
    assert doc["verdict"] == "NO_GO"
    assert doc["headline"] == "1 blocking failure"
    reason = doc["reasons"][0]
    assert reason["code"] == "failed" and reason["nodeid"] == "test_checks.py::test_tls"
    assert reason["owner"] == "security-team" and reason["evidence"] == {"days_left": 12, "threshold": 30}
    assert "expires in 12 days" in reason["text"]
    assert check_by_name(doc, "::test_tls")["message"].startswith("AssertionError: certificate for shop.example")
    assert verdict_line_of(result.stdout.str()).endswith(": 1 blocking failure")
    assert [c["status"] for c in doc["checklist"] if c["id"] == "SEC-01"] == ["failed"]


@pytest.mark.parametrize("target", ["SEC-01", "test_checks.py::test_tls"])
def test_a_waived_blocking_failure_is_go_with_risks_never_go(pytester, target):
    make_project(pytester, FAILING_TLS, signoffs=SIGNED, waivers=waiver(target))
    result = run(pytester, "-m", "t_minus_7", "--launch-gate")
    doc = read_report(pytester)
    assert doc["verdict"] == "GO_WITH_RISKS"
    assert result.ret == 0
    tls = check_by_name(doc, "::test_tls")
    assert tls["outcome"] == "failed"
    assert tls["waiver"]["approved_by"] == "cto" and tls["waiver"]["expires"] == "2026-11-30"
    assert doc["waivers"][0]["status"] == "used" and doc["waivers"][0]["matched"] == ["test_checks.py::test_tls"]
    assert doc["reasons"][0]["code"] == "waived"
    assert "accepted until 2026-11-30 by cto" in result.stdout.str()


def test_an_expired_waiver_has_no_effect_and_is_reported(pytester):
    make_project(pytester, FAILING_TLS, signoffs=SIGNED, waivers=waiver(expires="2026-11-24"))
    result = run(pytester, "-m", "t_minus_7", "--launch-gate")
    assert result.ret == 1
    doc = read_report(pytester)
    assert doc["verdict"] == "NO_GO"
    assert doc["waivers"][0]["status"] == "expired"
    assert any(r["code"] == "expired_waiver" and "expired on 2026-11-24" in r["text"] for r in doc["reasons"])


@pytest.mark.parametrize("target", ["PERF-02", "NOPE-1"])
def test_a_waiver_on_a_passing_check_or_nothing_is_unused(pytester, target):
    make_project(pytester, PASSING, signoffs=SIGNED, waivers=waiver(target))
    result = run(pytester, "-m", "t_minus_7", "--launch-gate")
    assert result.ret == 0
    doc = read_report(pytester)
    assert doc["verdict"] == "GO"
    assert doc["waivers"][0]["status"] == "unused"
    assert any(r["code"] == "unused_waiver" for r in doc["reasons"])
    assert f"waiver for {target} matched no failing check" in result.stdout.str()


# -- errors, skips, missing results -----------------------------------------------------------

def test_an_error_in_a_fixture_is_no_go(pytester):
    make_project(pytester, """
        import pytest

        @pytest.fixture
        def server():
            raise ConnectionRefusedError("127.0.0.1:9 refused")

        @pytest.mark.t_minus_7
        @pytest.mark.critical
        def test_up(server):
            pass
    """, checklist=None)
    result = run(pytester, "--launch-gate")
    assert result.ret == 1
    doc = read_report(pytester)
    assert doc["verdict"] == "NO_GO"
    up = check_by_name(doc, "::test_up")
    assert up["outcome"] == "error" and "127.0.0.1:9 refused" in up["message"]
    assert doc["headline"] == "1 blocking error"


def test_an_error_in_teardown_after_a_pass_is_an_error(pytester):
    make_project(pytester, """
        import pytest

        @pytest.fixture
        def conn():
            yield
            raise RuntimeError("could not close")

        @pytest.mark.blocker
        def test_up(conn):
            pass
    """, checklist=None)
    run(pytester)
    doc = read_report(pytester)
    assert doc["verdict"] == "NO_GO"
    assert check_by_name(doc, "::test_up")["outcome"] == "error"
    assert "teardown" in check_by_name(doc, "::test_up")["message"]


@pytest.mark.parametrize("body", [
    "pytest.skip('prometheus not reachable')",
    "pytest.xfail('known broken')",
])
def test_a_skipped_or_xfailed_blocking_check_is_no_go(pytester, body):
    make_project(pytester, f"""
        import pytest

        @pytest.mark.blocker
        def test_metrics():
            {body}
    """, checklist=None)
    result = run(pytester, "--launch-gate")
    assert result.ret == 1
    doc = read_report(pytester)
    assert doc["verdict"] == "NO_GO"
    assert check_by_name(doc, "::test_metrics")["outcome"] == "skipped"
    assert doc["reasons"][0]["code"] == "skipped"


def test_a_check_without_severity_blocks_and_the_report_says_it_was_defaulted(pytester):
    make_project(pytester, "def test_plain():\n    assert False\n", checklist=None)
    result = run(pytester)
    doc = read_report(pytester)
    plain = check_by_name(doc, "::test_plain")
    assert plain["severity"] is None and plain["severity_defaulted"] is True and plain["blocking"] is True
    assert doc["verdict"] == "NO_GO"
    assert any(r["code"] == "severity_defaulted" for r in doc["reasons"])
    assert "no severity marker: counted as blocking" in result.stdout.str()


# -- incomplete runs --------------------------------------------------------------------------

THREE = """
import pytest
pytestmark = [pytest.mark.t_minus_7, pytest.mark.blocker]

def test_1():
    pass

def test_2():
    assert False, "down"

def test_3():
    pass
"""


@pytest.mark.parametrize("flag", ["-x", "--maxfail=1"])
def test_a_run_stopped_early_is_no_go_incomplete(pytester, flag):
    make_project(pytester, THREE, checklist=None)
    result = run(pytester, flag, "--launch-gate")
    assert result.ret == 1
    doc = read_report(pytester)
    assert doc["verdict"] == "NO_GO"
    assert doc["run"]["complete"] is False
    assert "stopping after 1 failures" in doc["run"]["interrupted"]
    never_ran = check_by_name(doc, "::test_3")
    assert never_ran["outcome"] == "missing"
    # a check that never ran still carries its own markers, not a "defaulted" severity
    assert (never_ran["phase"], never_ran["severity"], never_ran["severity_defaulted"]) == \
        ("t_minus_7", "blocker", False)
    assert not any(r["code"] == "severity_defaulted" for r in doc["reasons"])
    # stopped early: a partial run, written under partial/, with its incomplete evidence
    assert [r["code"] for r in doc["reasons"][:2]] == ["partial", "incomplete"]
    assert report_path(pytester).parent.name == "partial"
    assert "incomplete evidence" in result.stdout.str()


def test_a_keyboard_interrupt_is_no_go_and_the_interrupted_check_did_not_pass(pytester):
    make_project(pytester, THREE.replace('assert False, "down"', "raise KeyboardInterrupt"), checklist=None)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", "--launch-gate",
                                          no_reraise_ctrlc=True)
    assert result.ret == 2  # pytest's "interrupted" keeps its meaning
    doc = read_report(pytester)
    assert doc["verdict"] == "NO_GO"
    assert doc["run"]["complete"] is False
    assert "KeyboardInterrupt" in doc["run"]["interrupted"]
    assert check_by_name(doc, "::test_1")["outcome"] == "passed"
    # the check that was running when the run stopped has no result: it must not count as passed
    assert check_by_name(doc, "::test_2")["outcome"] == "missing"
    assert check_by_name(doc, "::test_3")["outcome"] == "missing"


def test_a_collection_error_is_no_go_with_pytests_exit_code(pytester):
    make_project(pytester, {"test_ok.py": "import pytest\n\n@pytest.mark.blocker\ndef test_ok():\n    pass\n",
                            "test_broken.py": "import no_such_module_here\n"}, checklist=None)
    result = run(pytester, "--launch-gate")
    assert result.ret == 2
    doc = read_report(pytester)
    assert doc["verdict"] == "NO_GO"
    assert doc["run"]["collection_errors"] == 1
    assert doc["run"]["complete"] is False
    assert any("collection error" in r["text"] for r in doc["reasons"])
    # pytest's own Interrupted is not a Ctrl-C: the report must not say KeyboardInterrupt
    assert "KeyboardInterrupt" not in str(doc["run"]["interrupted"])


def test_zero_selected_checks_is_no_go_and_keeps_exit_code_5(pytester):
    make_project(pytester, "import pytest\n\n@pytest.mark.t_minus_7\ndef test_tls():\n    pass\n", checklist=None)
    result = run(pytester, "-m", "t_plus_1", "--launch-gate")
    assert result.ret == 5
    doc = read_report(pytester)
    assert doc["verdict"] == "NO_GO"
    assert doc["summary"]["total"] == 0
    assert "zero checks were selected" in doc["reasons"][0]["text"]
    assert verdict_line_of(result.stdout.str()).startswith("launch decision (prod, t_plus_1): NO")


def test_a_usage_error_keeps_exit_code_4_with_the_gate(pytester):
    make_project(pytester, PASSING)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=staging", "--launch-gate")
    assert result.ret == 4
    assert not report_path(pytester).exists()


# -- manual items -----------------------------------------------------------------------------

def test_an_unsigned_manual_item_is_a_collected_test_and_blocks(pytester):
    make_project(pytester, PASSING)
    result = run(pytester, "-m", "t_minus_7", "-v", "--launch-gate", "--junitxml=junit.xml")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*readiness/checklist.toml::MON-06 FAILED*"])
    assert 'name="MON-06"' in (pytester.path / "junit.xml").read_text()
    doc = read_report(pytester)
    assert doc["verdict"] == "NO_GO"
    assert doc["headline"] == "1 manual item not signed off"
    assert doc["reasons"][0]["code"] == "unsigned" and doc["reasons"][0]["owner"] == "sre"
    assert [c["status"] for c in doc["checklist"] if c["id"] == "MON-06"] == ["unsigned"]


@pytest.mark.parametrize("signoff, status", [
    ('item = "MON-06"\nby = "jane"\nat = 2026-11-01\nevidence = "https://e.example/1"\nexpires = 2026-11-24\n',
     "expired"),
    ('item = "MON-06"\nby = "jane"\nat = 2026-11-26\nevidence = "https://e.example/1"\n', "future"),
    ('item = "MON-99"\nby = "jane"\nat = 2026-11-20\nevidence = "https://e.example/1"\n', "unknown_item"),
])
def test_an_invalid_sign_off_does_not_count_and_is_reported(pytester, signoff, status):
    make_project(pytester, PASSING, signoffs='[[signoff]]\nenvironments = ["prod"]\n' + signoff)
    result = run(pytester, "-m", "t_minus_7", "--launch-gate")
    assert result.ret == 1
    doc = read_report(pytester)
    assert doc["verdict"] == "NO_GO"
    assert check_by_name(doc, "::MON-06")["outcome"] == "failed"
    assert [s["status"] for s in doc["signoffs"]] == [status]
    assert any(r["code"] == "invalid_signoff" for r in doc["reasons"])


def test_manual_items_follow_the_mark_expression(pytester):
    make_project(pytester, PASSING)
    run(pytester, "-m", "t_minus_7 and security")
    doc = read_report(pytester, folder="partial")
    assert [c["nodeid"] for c in doc["checks"]] == ["test_checks.py::test_tls"]
    # only part of the phase was selected: a partial run, never GO
    assert doc["verdict"] == "NO_GO" and doc["reasons"][0]["code"] == "partial"
    assert doc["scope"]["not_evaluated"] == ["PERF-02", "MON-06"]


def test_an_automated_item_that_no_check_covers_is_uncovered(pytester):
    make_project(pytester, PASSING.replace('@pytest.mark.checklist("SEC-01")\n', ""), signoffs=SIGNED)
    result = run(pytester, "-m", "t_minus_7", "--launch-gate")
    assert result.ret == 1
    doc = read_report(pytester)
    uncovered = check_by_name(doc, "::SEC-01")
    assert uncovered["kind"] == "uncovered"
    assert any(r["code"] == "uncovered" for r in doc["reasons"])
    assert [c["status"] for c in doc["checklist"] if c["id"] == "SEC-01"] == ["uncovered"]
    assert "automated item without a check" in result.stdout.str()


# -- rollout stages ---------------------------------------------------------------------------

STAGE = """
import pytest

@pytest.mark.checklist("T0-12")
@pytest.mark.rollback_trigger
def test_error_rate(launch_evidence):
    launch_evidence.record(error_rate=0.021, threshold=0.01)
    assert 0.021 < 0.01, "error_rate 2.1% over budget 1%"
"""


def test_a_failing_rollback_trigger_in_a_stage_run_is_rollback_exit_20(pytester):
    make_project(pytester, STAGE)
    result = run(pytester, "-m", "t_0", "--launch-stage=25", "--launch-gate")
    assert result.ret == 20
    doc = read_report(pytester)
    assert doc["verdict"] == "ROLLBACK" and doc["display_verdict"] == "ROLLBACK"
    assert doc["run"]["stage"] == 25
    assert doc["reasons"][0]["code"] == "rollback"
    assert verdict_line_of(result.stdout.str()).startswith("launch decision (prod, t_0, stage 25%): ROLLBACK")


def test_a_failing_rollback_trigger_outside_a_stage_run_is_no_go(pytester):
    make_project(pytester, STAGE)
    assert run(pytester, "-m", "t_0", "--launch-gate").ret == 1
    assert read_report(pytester)["verdict"] == "NO_GO"


def test_a_stage_run_reads_proceed_and_hold(pytester):
    make_project(pytester, STAGE.replace("0.021 < 0.01", "0.001 < 0.01"))
    result = run(pytester, "-m", "t_0", "--launch-stage=50")
    doc = read_report(pytester)
    assert (doc["verdict"], doc["display_verdict"]) == ("GO", "PROCEED")
    assert ": PROCEED: " in verdict_line_of(result.stdout.str())
    make_project(pytester, STAGE.replace("@pytest.mark.rollback_trigger\n", ""))
    result = run(pytester, "-m", "t_0", "--launch-stage=50")
    assert (read_report(pytester)["verdict"], read_report(pytester)["display_verdict"]) == ("NO_GO", "HOLD")


@pytest.mark.parametrize("value", ["0", "abc", "101"])
def test_a_bad_stage_is_a_usage_error(pytester, value):
    make_project(pytester, STAGE)
    result = run(pytester, f"--launch-stage={value}")
    assert result.ret == 4
    assert "--launch-stage" in result.stderr.str()


# -- xdist ------------------------------------------------------------------------------------

def test_under_xdist_one_report_with_evidence_from_the_workers(pytester):
    make_project(pytester, PASSING + """
@pytest.mark.checklist("PERF-02")
@pytest.mark.parametrize("n", range(6))
def test_many(n, launch_evidence):
    launch_evidence.record(n=n, hosts=["a", "b"], ratio=n / 2)
""", signoffs=SIGNED)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", "-n", "2", "-m", "t_minus_7",
                                           "--launch-gate")
    assert result.ret == 0
    doc = read_report(pytester)
    assert doc["verdict"] == "GO"
    assert doc["summary"]["total"] == 9
    assert check_by_name(doc, "::test_many[4]")["evidence"] == {"n": 4, "hosts": ["a", "b"], "ratio": 2.0}
    assert check_by_name(doc, "::test_tls")["evidence"] == {"days_left": 45, "threshold": 30}
    assert check_by_name(doc, "::test_tls")["owner"] == "security-team"
    # workers write nothing of their own: one folder, one report
    assert sorted(p.name for p in (pytester.path / "reports").iterdir()) == ["prod"]
    assert verdict_line_of(result.stdout.str()) == "launch decision (prod, t_minus_7): GO: all 9 checks passed"


@pytest.mark.parametrize("xdist_off", [["-p", "no:xdist"], ["-n", "0"]], ids=["no-xdist", "n0"])
def test_without_xdist_the_run_decides_and_counts_every_selected_check(pytester, xdist_off):
    # pytest-xdist's hooks are optional: with the plugin blocked (-p no:xdist) they are unknown
    # to pytest, and the run must still decide (it ended in INTERNALERROR: unknown hook)
    make_project(pytester, PASSING, signoffs=SIGNED)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", *xdist_off, "-m", "t_minus_7",
                                           "--launch-gate")
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    assert result.ret == 0
    doc = read_report(pytester)
    assert doc["verdict"] == "GO" and doc["run"]["complete"] is True
    assert doc["summary"]["total"] == 3
    assert verdict_line_of(result.stdout.str()) == "launch decision (prod, t_minus_7): GO: all 3 checks passed"


def test_without_xdist_a_check_stopped_by_x_is_missing_and_no_go(pytester):
    # the selected checks come from the collected items when no xdist session runs: a check that
    # never ran is missing, never absent from the count
    make_project(pytester, """
        import pytest
        pytestmark = [pytest.mark.t_minus_7, pytest.mark.blocker]

        @pytest.mark.parametrize("n", range(5))
        def test_many(n):
            assert n != 0
    """, checklist=None)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist", "--env=prod", "-x",
                                           "--launch-gate")
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    assert result.ret == 1
    doc = read_report(pytester)
    assert doc["verdict"] == "NO_GO" and doc["run"]["complete"] is False
    assert doc["summary"]["total"] == 5 and doc["summary"]["missing"] == 4


def test_a_crashed_worker_gives_an_error_for_its_check_and_no_go(pytester):
    make_project(pytester, """
        import os
        import pytest
        pytestmark = [pytest.mark.t_minus_7, pytest.mark.blocker]

        @pytest.mark.parametrize("n", range(4))
        def test_fine(n):
            pass

        @pytest.mark.owner("payments-team")
        def test_crash():
            os._exit(3)
    """, checklist=None)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", "-n", "2", "--launch-gate")
    assert result.ret == 1
    doc = read_report(pytester)
    assert doc["verdict"] == "NO_GO"
    crashed = check_by_name(doc, "::test_crash")
    assert crashed["outcome"] == "error"
    assert "crashed" in crashed["message"]
    # its metadata came from the workers that survived: not "no owner", not a defaulted severity
    assert (crashed["phase"], crashed["severity"], crashed["owner"]) == ("t_minus_7", "blocker", "payments-team")
    assert not any(r["code"] == "severity_defaulted" for r in doc["reasons"])
    assert any(r["nodeid"] == "test_checks.py::test_crash" and r["blocking"] for r in doc["reasons"])
    assert doc["run"]["complete"] is False and doc["run"]["crashed_workers"]
    assert "test_checks.py::test_crash" in result.stdout.str().split("launch decision: reasons")[-1]
    assert sum(1 for c in doc["checks"] if c["outcome"] == "passed") == 4


def test_a_run_stopped_early_under_xdist_is_no_go_incomplete(pytester):
    make_project(pytester, """
        import pytest
        pytestmark = [pytest.mark.t_minus_7, pytest.mark.blocker]

        @pytest.mark.parametrize("n", range(30))
        def test_many(n):
            assert n != 0
    """, checklist=None)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", "-n", "2", "-x", "--launch-gate")
    assert result.ret == 2  # xdist stops with its Interrupted: pytest's "interrupted" code is kept
    doc = read_report(pytester)
    assert doc["verdict"] == "NO_GO"
    assert doc["run"]["complete"] is False
    assert "stopping after 1 failures" in doc["run"]["interrupted"]
    assert doc["summary"]["total"] == 30 and doc["summary"]["missing"] > 0


@pytest.mark.parametrize("mode", ["--collect-only", "--setup-plan", "--setup-only", "--fixtures"])
def test_listing_or_planning_checks_decides_nothing_and_keeps_the_previous_report(pytester, mode):
    make_project(pytester, THREE.replace('assert False, "down"', "pass"), checklist=None)
    assert run(pytester).ret == 0
    before = report_path(pytester).read_bytes()
    result = run(pytester, mode)
    assert result.ret == 0
    assert report_path(pytester).read_bytes() == before  # not clobbered by a run that checked nothing
    assert "launch decision" not in result.stdout.str()  # and no verdict claimed: --setup-plan "passes" all
    # with the gate, a mode that runs no check is a usage error: the gate never exits 0 undecided
    result = run(pytester, mode, "--launch-gate")
    assert result.ret == 4
    assert report_path(pytester).read_bytes() == before


def test_pytest_exit_in_a_check_is_an_interrupted_run(pytester):
    make_project(pytester, THREE.replace('assert False, "down"', 'pytest.exit("maintenance window closed")'),
                 checklist=None)
    result = run(pytester, "--launch-gate")
    assert result.ret == 2
    doc = read_report(pytester)
    assert doc["verdict"] == "NO_GO" and doc["run"]["complete"] is False
    assert "maintenance window closed" in doc["run"]["interrupted"]
    assert check_by_name(doc, "::test_2")["outcome"] == "missing"
