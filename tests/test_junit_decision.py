"""--junitxml gets one extra testcase, launch-decision (classname pytest_launch), written through
pytest's own junitxml plugin: a failure naming the verdict and the reasons for NO_GO and ROLLBACK,
a passed testcase (the risks in its system-out) for GO_WITH_RISKS and GO. Plain and with -n 2;
no secret reaches the JUnit file."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from launch_project import MON06_SIGNED, PASSING_CHECKS, PROD, TODAY, make_project

SECRET = "s3cr3t-Junit-Value-4711"

SIGNED = MON06_SIGNED

GOOD = PASSING_CHECKS
RISKY = GOOD.replace("def test_cache():\n    pass", "def test_cache():\n    assert False, 'cache cold: 12% hit rate'")
BLOCKED = GOOD.replace("def test_tls():\n    pass", """def test_tls(launch_env):
    token = launch_env["custom"]["token"]
    assert False, f"certificate rejected for token {token}"
""")
ENV = PROD + '\n[custom]\ntoken = "${LAUNCH_JUNIT_TOKEN}"\n'


@pytest.fixture(autouse=True)
def env(monkeypatch):
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)
    monkeypatch.setenv("LAUNCH_JUNIT_TOKEN", SECRET)


def run(pytester, checks, *extra):
    make_project(pytester, checks, signoffs=SIGNED, env=ENV)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", "-m", "t_minus_7",
                                           "--junitxml=junit.xml", *extra)
    text = (pytester.path / "junit.xml").read_text(encoding="utf-8")
    cases = [c for c in ET.fromstring(text).iter("testcase") if c.get("name") == "launch-decision"]
    assert len(cases) == 1, text
    return result, text, cases[0]


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["plain", "xdist"])
def test_no_go_is_a_failing_testcase_with_the_verdict_and_reasons(pytester, workers):
    result, text, case = run(pytester, BLOCKED, *workers)
    assert case.get("classname") == "pytest_launch"
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message").startswith("NO_GO: ")
    assert "BLOCKING:" in failure.get("message") and "test_tls" in failure.get("message")
    assert "environment: prod; phases: t_minus_7" in failure.text
    assert SECRET not in text and "***" in failure.text  # the reason quotes the masked message
    suite = ET.fromstring(text).find("testsuite")
    # the suite's counts include the decision: two checks, the manual item and launch-decision
    assert suite.get("tests") == "4" and suite.get("failures") == "2"
    # the terminal's counts are the checks' own: launch-decision is for JUnit readers only
    assert "1 failed, 2 passed" in result.stdout.str()


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["plain", "xdist"])
def test_go_with_risks_passes_with_the_risks_in_system_out(pytester, workers):
    _result, _text, case = run(pytester, RISKY, *workers)
    assert case.find("failure") is None and case.find("error") is None and case.find("skipped") is None
    out = case.find("system-out").text
    assert out.startswith("GO_WITH_RISKS: ")
    assert "risk: " in out and "test_cache" in out


def test_go_passes_with_the_headline(pytester):
    _result, text, case = run(pytester, GOOD)
    assert case.find("failure") is None
    assert case.find("system-out").text.startswith("GO: ")
    assert ET.fromstring(text).find("testsuite").get("failures") == "0"


def test_the_gate_exit_code_is_unchanged_by_the_testcase(pytester):
    result, _text, _case = run(pytester, RISKY, "--launch-gate")
    assert result.ret == 0  # GO_WITH_RISKS under the gate, as without --junitxml


def test_without_junitxml_nothing_changes(pytester):
    make_project(pytester, GOOD, signoffs=SIGNED, env=ENV)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", "-m", "t_minus_7")
    assert "3 passed" in result.stdout.str() and "launch-decision" not in result.stdout.str()
