"""The scope of a decision (issue 10): every checklist item of the selected phases, whatever the
layout; a run narrower than whole phases is partial, never GO, and writes under partial/ without
touching the phase's canonical page or its history.

The project is laid out as a team would: checks in checks/ (testpaths), the checklist and
approvals in launch/ (outside the collected paths)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from launch_project import TODAY

CHECKLIST = """
[[item]]
id = "SEC-01"
title = "TLS certificates valid"
phase = "t_minus_7"
category = "security"
severity = "blocker"
owner = "security-team"

[[item]]
id = "APP-01"
title = "Health endpoint answers"
phase = "t_minus_7"
category = "application"
severity = "critical"
owner = "app-team"

[[item]]
id = "MON-06"
title = "On-call rotation set up"
phase = "t_minus_7"
category = "monitoring"
severity = "critical"
owner = "sre"
mode = "manual"

[[item]]
id = "OPS-02"
title = "Runbook for the payment outage"
phase = "t_minus_7"
category = "operational"
severity = "critical"
owner = "sre"

[[item]]
id = "T0-12"
title = "Error rate within budget"
phase = "t_0"
category = "performance"
severity = "blocker"
owner = "sre"
"""

SECURITY = """
import os
import pytest

@pytest.mark.checklist("SEC-01")
def test_tls():
    assert os.environ.get("BREAK_TLS") != "1", "certificate expired"
"""

APP = """
import pytest

@pytest.mark.checklist("APP-01")
def test_health():
    pass

@pytest.mark.checklist("OPS-02")
def test_runbook():
    pass
"""

LAUNCH_DAY = """
import pytest

@pytest.mark.checklist("T0-12")
def test_error_rate():
    pass
"""

SIGNOFFS = """
[[signoff]]
item = "MON-06"
by = "jane.doe"
at = 2026-11-20
evidence = "https://pagerduty.example/schedules/ABC"
environments = ["local"]
"""

INI = """
[pytest]
testpaths = checks
launch_checklist = launch/checklist.toml
launch_signoffs = launch/signoffs.toml
launch_environments_dir = launch/environments
"""


@pytest.fixture(autouse=True)
def launch_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)
    monkeypatch.delenv("BREAK_TLS", raising=False)


def make_team_project(pytester: pytest.Pytester, *, signoffs: str = SIGNOFFS, checks: dict[str, str] | None = None) -> Path:
    root = pytester.path
    pytester.makeini(INI)
    files = {
        "launch/checklist.toml": CHECKLIST,
        "launch/signoffs.toml": signoffs,
        "launch/environments/local.toml": '[environment]\nname = "local"\n',
        "checks/test_security.py": SECURITY,
        "checks/test_app.py": APP,
        "checks/test_launch_day.py": LAUNCH_DAY,
        **(checks or {}),
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def run(pytester: pytest.Pytester, *args: str, xdist: bool = False, cache: bool = False) -> pytest.RunResult:
    extra = ["-n", "2"] if xdist else []
    plugins = [] if cache else ["-p", "no:cacheprovider"]
    return pytester.runpytest_subprocess(*plugins, "--env=local", "--launch-gate", *extra, *args)


def canonical(pytester: pytest.Pytester, phase: str = "t_minus_7") -> Path:
    return pytester.path / "reports" / "local" / phase


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and not p.name.startswith(".")}


def doc_in(folder: Path) -> dict:
    return json.loads((folder / "go-no-go.json").read_text("utf-8"))


def complete_go(pytester: pytest.Pytester) -> dict[str, bytes]:
    """A complete T-7 run that says GO; the canonical page and history it leaves. In-process: it
    only lays down the page the partial run must not touch (a subprocess costs an interpreter
    start, seconds on a loaded machine); the runs under test stay subprocesses."""
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=local", "--launch-gate", "-m", "t_minus_7")
    assert result.ret == 0, result.stdout.str()
    doc = doc_in(canonical(pytester))
    assert doc["verdict"] == "GO" and doc["scope"]["complete"] is True
    assert doc["scope"]["phases"] == ["t_minus_7"] and doc["scope"]["not_evaluated"] == []
    return snapshot(canonical(pytester))


def assert_partial(pytester: pytest.Pytester, result: pytest.RunResult, before: dict[str, bytes], why: str) -> dict:
    assert result.ret == 1, result.stdout.str()
    assert snapshot(canonical(pytester)) == before  # canonical page and history untouched
    doc = doc_in(pytester.path / "reports" / "local" / "partial")
    assert doc["verdict"] == "NO_GO"
    first = doc["reasons"][0]
    assert first["code"] == "partial" and first["blocking"] is True
    assert first["text"].startswith("partial run: ") and why in first["text"]
    assert doc["headline"].startswith("partial run: ")
    assert doc["scope"]["complete"] is False and doc["run"]["complete"] is False
    out = result.stdout.str()
    assert "PARTIAL RUN" in out.splitlines()[-1]
    html = (pytester.path / "reports" / "local" / "partial" / "go-no-go.html").read_text()
    assert "PARTIAL RUN" in html and "Evidence complete" not in html
    assert "PARTIAL RUN" in (pytester.path / "reports" / "local" / "partial" / "go-no-go.md").read_text()
    return doc


# -- the layout: the checklist outside the collected paths ---------------------------------------

@pytest.mark.parametrize("xdist", [False, True], ids=["plain", "xdist"])
def test_a_checklist_outside_testpaths_is_judged_in_full(pytester, xdist):
    make_team_project(pytester, signoffs="")
    (pytester.path / "checks" / "test_app.py").write_text(textwrap.dedent(APP).replace(
        '@pytest.mark.checklist("OPS-02")\ndef test_runbook():\n    pass\n', ""))
    result = run(pytester, "-m", "t_minus_7", xdist=xdist)
    assert result.ret == 1
    doc = doc_in(canonical(pytester))
    assert doc["verdict"] == "NO_GO"
    status = {c["id"]: c["status"] for c in doc["checklist"]}
    assert status["MON-06"] == "unsigned" and status["OPS-02"] == "uncovered"
    assert status["T0-12"] == "not_selected"
    assert {r["code"] for r in doc["reasons"] if r["blocking"]} == {"unsigned", "uncovered"}
    assert "Evidence complete" not in (canonical(pytester) / "go-no-go.html").read_text() or \
        doc["run"]["complete"] is True


@pytest.mark.parametrize("xdist", [False, True], ids=["plain", "xdist"])
def test_a_complete_run_with_everything_evaluated_is_go(pytester, xdist):
    make_team_project(pytester)
    result = run(pytester, "-m", "t_minus_7", xdist=xdist)
    assert result.ret == 0
    doc = doc_in(canonical(pytester))
    assert doc["verdict"] == "GO"
    assert doc["scope"]["complete"] is True and doc["scope"]["in_scope"] == 4


def test_naming_the_testpaths_or_a_folder_holding_them_is_a_complete_run(pytester):
    make_team_project(pytester)
    assert run(pytester, "checks", "-m", "t_minus_7").ret == 0
    assert doc_in(canonical(pytester))["verdict"] == "GO"
    assert run(pytester, ".", "-m", "t_minus_7").ret == 0
    assert not (pytester.path / "reports" / "local" / "partial").exists()


def test_two_phases_and_not_a_phase_are_whole_phases(pytester):
    make_team_project(pytester)
    assert run(pytester, "-m", "t_minus_7 or t_0").ret == 0
    doc = doc_in(pytester.path / "reports" / "local" / "t_minus_7+t_0")
    assert doc["scope"]["phases"] == ["t_minus_7", "t_0"] and doc["verdict"] == "GO"
    assert run(pytester, "-m", "not t_0").ret == 0
    assert doc_in(pytester.path / "reports" / "local" / "t_minus_7+t_plus_1")["scope"]["phases"] == \
        ["t_minus_7", "t_plus_1"]


# -- partial runs: never GO, never over the canonical page ---------------------------------------

@pytest.mark.parametrize("xdist", [False, True], ids=["plain", "xdist"])
def test_k_is_a_partial_run(pytester, xdist):
    make_team_project(pytester)
    before = complete_go(pytester)
    result = run(pytester, "-m", "t_minus_7", "-k", "health", xdist=xdist)
    doc = assert_partial(pytester, result, before, "-k health")
    assert "3 in-scope items not evaluated" in doc["reasons"][0]["text"]
    assert doc["scope"]["not_evaluated"] == ["SEC-01", "MON-06", "OPS-02"]
    # its own results are still shown in full
    assert [(c["nodeid"], c["outcome"]) for c in doc["checks"]] == [("checks/test_app.py::test_health", "passed")]


@pytest.mark.parametrize("xdist", [False, True], ids=["plain", "xdist"])
def test_one_file_by_path_is_a_partial_run(pytester, xdist):
    make_team_project(pytester)
    before = complete_go(pytester)
    result = run(pytester, "checks/test_app.py", "-m", "t_minus_7", xdist=xdist)
    doc = assert_partial(pytester, result, before, "only checks/test_app.py named on the command line")
    # the manual item is still judged (signed off); SEC-01 lives in a file that was not collected
    assert {c["checklist"]: c["outcome"] for c in doc["checks"]} == {"APP-01": "passed", "OPS-02": "passed",
                                                                       "MON-06": "passed"}
    assert doc["scope"]["not_evaluated"] == ["SEC-01"]


def test_a_node_id_is_a_partial_run(pytester):
    make_team_project(pytester)
    before = complete_go(pytester)
    result = run(pytester, "checks/test_app.py::test_health", "-m", "t_minus_7")
    assert_partial(pytester, result, before, "checks/test_app.py::test_health")


@pytest.mark.parametrize("xdist", [False, True], ids=["plain", "xdist"])
def test_deselect_is_a_partial_run(pytester, xdist):
    make_team_project(pytester)
    before = complete_go(pytester)
    result = run(pytester, "-m", "t_minus_7", "--deselect", "checks/test_security.py::test_tls", xdist=xdist)
    doc = assert_partial(pytester, result, before, "--deselect checks/test_security.py::test_tls")
    assert doc["scope"]["not_evaluated"] == ["SEC-01"]


def test_ignore_is_a_partial_run(pytester):
    make_team_project(pytester)
    before = complete_go(pytester)
    result = run(pytester, "-m", "t_minus_7", "--ignore=checks/test_security.py")
    assert_partial(pytester, result, before, "--ignore")


@pytest.mark.parametrize("xdist", [False, True], ids=["plain", "xdist"])
def test_a_non_phase_mark_term_is_a_partial_run(pytester, xdist):
    make_team_project(pytester)
    before = complete_go(pytester)
    result = run(pytester, "-m", "t_minus_7 and security", xdist=xdist)
    doc = assert_partial(pytester, result, before, "selects only part of t_minus_7")
    assert doc["scope"]["not_evaluated"] == ["APP-01", "MON-06", "OPS-02"]


def test_last_failed_is_a_partial_run(pytester, monkeypatch):
    make_team_project(pytester)
    before = complete_go(pytester)
    monkeypatch.setenv("BREAK_TLS", "1")
    assert run(pytester, "-m", "t_minus_7", "-k", "tls", cache=True).ret == 1  # a partial run that fails
    monkeypatch.delenv("BREAK_TLS")
    result = run(pytester, "-m", "t_minus_7", "--lf", cache=True)
    doc = assert_partial(pytester, result, before, "--lf")
    assert [c["nodeid"] for c in doc["checks"]] == ["checks/test_security.py::test_tls"]
    assert doc["checks"][0]["outcome"] == "passed"  # the one check passed; still not a GO


@pytest.mark.parametrize("xdist", [False, True], ids=["plain", "xdist"])
def test_exitfirst_after_a_failure_is_partial_and_puts_the_canonical_page_back(pytester, monkeypatch, xdist):
    make_team_project(pytester)
    before = complete_go(pytester)
    monkeypatch.setenv("BREAK_TLS", "1")
    result = run(pytester, "-m", "t_minus_7", "-x", xdist=xdist)
    assert result.ret in (1, 2)  # xdist reports its own stop as "interrupted" (2)
    assert snapshot(canonical(pytester)) == before
    doc = doc_in(pytester.path / "reports" / "local" / "partial")
    assert doc["verdict"] == "NO_GO" and doc["reasons"][0]["code"] == "partial"
    assert "stopped early" in doc["reasons"][0]["text"]


def test_exitfirst_that_never_stops_is_a_complete_run(pytester):
    make_team_project(pytester)
    result = run(pytester, "-m", "t_minus_7", "-x")
    assert result.ret == 0
    assert doc_in(canonical(pytester))["verdict"] == "GO"
    assert not (pytester.path / "reports" / "local" / "partial").exists()


# -- one page per environment and phase, an index that links them --------------------------------

def test_a_stage_run_does_not_replace_the_t_minus_7_page_and_the_index_links_both(pytester):
    make_team_project(pytester)
    before = complete_go(pytester)
    run(pytester, "-m", "t_0", "--launch-stage=25")
    assert snapshot(canonical(pytester)) == before
    stage = doc_in(pytester.path / "reports" / "local" / "t_0" / "stage-25")
    assert stage["run"]["stage"] == 25
    index = (pytester.path / "reports" / "local" / "index.html").read_text()
    assert 'href="t_minus_7/go-no-go.html"' in index and 'href="t_0/stage-25/go-no-go.html"' in index
    assert ">GO<" in index


def test_launch_json_is_written_where_the_user_says_for_a_partial_run_too(pytester):
    make_team_project(pytester)
    out = pytester.path / "elsewhere" / "result.json"
    run(pytester, "-m", "t_minus_7", "-k", "health", f"--launch-json={out}")
    assert json.loads(out.read_text())["reasons"][0]["code"] == "partial"
