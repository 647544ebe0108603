"""A check whose probe got no usable answer (ProbeError) has no evidence either way: it is an
error, not a failure. For a rollback trigger that means HOLD, never ROLLBACK."""

from __future__ import annotations

import json

CHECKS = '''
import pytest
from pytest_launch.probes.errors import ProbeError

@pytest.mark.t_0
@pytest.mark.blocker
@pytest.mark.rollback_trigger
def test_trigger_without_an_answer():
    raise ProbeError("https://127.0.0.1:9/catalog", "connection refused")

@pytest.mark.t_0
@pytest.mark.blocker
@pytest.mark.rollback_trigger
def test_trigger_that_fires():
    assert {FIRES}, "data corruption detected: 3 books without an author"
'''


def _run(pytester, fires: bool):
    pytester.makepyfile(test_triggers=CHECKS.replace("{FIRES}", "False" if fires else "True"))
    (pytester.path / "env.toml").write_text('[environment]\nname = "prod"\n')
    result = pytester.runpytest_inprocess("--env", "env.toml", "--launch-stage", "25", "--launch-gate",
                                          "-p", "no:cacheprovider")
    doc = json.loads((pytester.path / "reports" / "prod" / "t_0" / "stage-25" / "go-no-go.json").read_text())
    return result, doc


def test_a_trigger_that_could_not_be_evaluated_holds(pytester):
    result, doc = _run(pytester, fires=False)
    outcomes = {c["nodeid"].split("::")[1]: c["outcome"] for c in doc["checks"]}
    assert outcomes == {"test_trigger_without_an_answer": "error", "test_trigger_that_fires": "passed"}
    assert doc["verdict"] == "NO_GO" and doc["display_verdict"] == "HOLD"
    assert result.ret == 1
    assert "connection refused" in doc["reasons"][0]["text"]


def test_a_fired_trigger_rolls_back_even_beside_an_inconclusive_one(pytester):
    result, doc = _run(pytester, fires=True)
    assert doc["verdict"] == "ROLLBACK"
    assert result.ret == 20
    rollback = [r for r in doc["reasons"] if r["code"] == "rollback"]
    assert [r["nodeid"].split("::")[1] for r in rollback] == ["test_trigger_that_fires"]
