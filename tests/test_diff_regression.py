"""launch diff --fail-on-regression: exit 1 when the verdict got worse or a check that passed
before did not pass now (any loss of evidence), 0 otherwise, and the output says why."""

from __future__ import annotations

import copy
import json

import pytest
from report_samples import sample_document

from launch_project import PASSING_CHECKS, TODAY, make_project
from pytest_launch.cli import main


def write(path, doc):
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def passing_check(doc):
    return next(c for c in doc["checks"] if c["kind"] == "check" and c["outcome"] == "passed" and not c["waiver"])


def diff(tmp_path, capsys, old, new, *options):
    a, b = write(tmp_path / "old.json", old), write(tmp_path / "new.json", new)
    code = main(["diff", str(a), str(b), "--fail-on-regression", *options])
    return code, capsys.readouterr().out


@pytest.fixture
def old():
    return sample_document(40, fail_rate=0.0)


def test_the_same_run_twice_is_no_regression(tmp_path, capsys, old):
    code, out = diff(tmp_path, capsys, old, copy.deepcopy(old))
    assert code == 0
    assert "no regression" in out


@pytest.mark.parametrize("outcome", ["failed", "error", "skipped", "refused", "missing"])
def test_a_check_that_passed_and_now_has_no_passing_result_is_a_regression(tmp_path, capsys, old, outcome):
    new = copy.deepcopy(old)
    lost = passing_check(new)
    lost["outcome"] = outcome
    code, out = diff(tmp_path, capsys, old, new)
    assert code == 1
    assert f"{lost['nodeid']} passed before, now {outcome}" in out
    assert "REGRESSION (1): exit 1" in out


def test_a_passing_check_now_waived_is_lost_evidence(tmp_path, capsys, old):
    new = copy.deepcopy(old)
    lost = passing_check(new)
    lost.update(outcome="failed", waiver={"check": lost["nodeid"], "reason": "r", "owner": "o",
                                          "approved_by": "a", "expires": "2025-04-01"})
    code, out = diff(tmp_path, capsys, old, new)
    assert code == 1 and f"{lost['nodeid']} passed before, now failed (waived)" in out


def test_a_passing_check_gone_from_the_run_is_lost_evidence(tmp_path, capsys, old):
    new = copy.deepcopy(old)
    lost = passing_check(new)
    new["checks"].remove(lost)
    code, out = diff(tmp_path, capsys, old, new)
    assert code == 1 and f"{lost['nodeid']} passed before, now absent from the run" in out


@pytest.mark.parametrize("before, after", [("GO", "GO_WITH_RISKS"), ("GO_WITH_RISKS", "NO_GO"),
                                           ("NO_GO", "ROLLBACK"), ("GO", "ROLLBACK")])
def test_a_worse_verdict_is_a_regression_even_with_the_same_checks(tmp_path, capsys, old, before, after):
    old.update(verdict=before, display_verdict=before)
    new = copy.deepcopy(old)
    new.update(verdict=after, display_verdict=after)
    code, out = diff(tmp_path, capsys, old, new)
    assert code == 1
    assert f"the verdict got worse: {before} -> {after}" in out


def test_a_stage_run_compares_the_canonical_verdict_behind_proceed(tmp_path, capsys):
    old = sample_document(40, fail_rate=0.0, stage=25)
    old.update(verdict="GO", display_verdict="PROCEED")
    new = copy.deepcopy(old)
    new.update(verdict="GO_WITH_RISKS", display_verdict="PROCEED")  # both read PROCEED
    code, out = diff(tmp_path, capsys, old, new)
    assert code == 1
    assert "the verdict got worse: GO -> GO_WITH_RISKS (shown as PROCEED -> PROCEED)" in out


def test_a_better_verdict_and_fixed_checks_are_no_regression(tmp_path, capsys, old):
    broken = copy.deepcopy(old)
    passing_check(broken)["outcome"] = "failed"
    broken.update(verdict="NO_GO", display_verdict="NO-GO")
    old.update(verdict="GO", display_verdict="GO")
    code, out = diff(tmp_path, capsys, broken, old)
    assert code == 0
    assert "newly passing: 1" in out and "no regression" in out


def test_without_the_flag_a_regression_still_exits_0(tmp_path, capsys, old):
    new = copy.deepcopy(old)
    passing_check(new)["outcome"] = "failed"
    a, b = write(tmp_path / "old.json", old), write(tmp_path / "new.json", new)
    assert main(["diff", str(a), str(b)]) == 0
    assert "REGRESSION" not in capsys.readouterr().out


def test_json_output_carries_the_regressions_and_the_exit_code(tmp_path, capsys, old):
    new = copy.deepcopy(old)
    lost = passing_check(new)
    lost["outcome"] = "error"
    code, out = diff(tmp_path, capsys, old, new, "--json")
    assert code == 1
    data = json.loads(out)
    assert data["regression"] is True
    assert data["lost_evidence"][0]["nodeid"] == lost["nodeid"] and data["lost_evidence"][0]["now"] == "error"


def test_runs_of_different_environments_are_said(tmp_path, capsys):
    code, out = diff(tmp_path, capsys, sample_document(40, fail_rate=0.0, env="staging"),
                     sample_document(40, fail_rate=0.0, env="prod"))
    assert "note: the runs are of different environments: staging -> prod" in out


def test_a_bad_input_is_exit_2_not_a_regression(tmp_path, capsys, old):
    a = write(tmp_path / "old.json", old)
    assert main(["diff", str(a), str(tmp_path / "missing.json"), "--fail-on-regression"]) == 2
    assert "no such file" in capsys.readouterr().err


CHECKS = PASSING_CHECKS
SIGNED = """
[[signoff]]
item = "MON-06"
by = "sre lead"
at = 2026-11-20
evidence = "https://tickets.example/MON-6"
environments = ["prod"]
"""


def test_two_real_runs_a_check_that_broke_fails_the_diff(pytester, monkeypatch, capsys):
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)
    make_project(pytester, CHECKS, signoffs=SIGNED)
    before, after = pytester.path / "before.json", pytester.path / "after.json"
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", "-m", "t_minus_7", f"--launch-json={before}")
    assert before.exists(), result.stdout.str()
    (pytester.path / "test_checks.py").write_text(CHECKS.replace("def test_cache():\n    pass",
                                                                  "def test_cache():\n    assert False"))
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", "-m", "t_minus_7", f"--launch-json={after}")
    capsys.readouterr()
    assert main(["diff", str(before), str(after), "--fail-on-regression"]) == 1
    out = capsys.readouterr().out
    assert "the verdict got worse: GO -> GO_WITH_RISKS" in out  # PERF-02 is a normal severity
    assert "test_checks.py::test_cache passed before, now failed" in out
    assert main(["diff", str(before), str(before), "--fail-on-regression"]) == 0
