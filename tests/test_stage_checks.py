"""`--launch-stage N` end to end: pytest runs of readiness/test_launch_day.py against a real
Prometheus, whose verdict and --launch-gate exit code follow the stage's checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testbed.support import wait_until

LAUNCH_DAY = (Path(__file__).parents[1] / "readiness" / "test_launch_day.py").read_text()

ENV = """\
[environment]
name = "stage-test"

[prometheus]
url = "{url}"
timeout_s = 5
step = "1s"

[rollout]
min_samples = 3
default_window = "10s"
go_criteria = {go}
rollback_triggers = {rollback}
rollback_steps = ["Enable maintenance mode", "Route traffic to previous version"]

[rollout.metrics]
error_rate = 'sum(rate(app_requests_total{{code="500",{{labels}}}}[{{window}}])) / sum(rate(app_requests_total{{{{labels}}}}[{{window}}]))'
"""


@pytest.fixture(scope="module")
def stage_services(prometheus_server):
    exporter = prometheus_server.exporter
    exporter.traffic("st-good", rps=100, error_ratio=0.0)
    exporter.traffic("st-bad", rps=100, error_ratio=0.3)
    for service in ("st-good", "st-bad"):
        wait_until(lambda: prometheus_server.has_data(
            f'count_over_time(app_requests_total{{service="{service}",code="200"}}[10s]) >= 4'),  # noqa: B023 - waited on within this iteration
            timeout=20, what=f"traffic of {service}")
    yield prometheus_server
    exporter.stop_traffic("st-good")
    exporter.stop_traffic("st-bad")


def run_stage(pytester: pytest.Pytester, url: str, go: list[str], rollback: list[str], *extra: str):
    env = ENV.format(url=url, go=json.dumps(go), rollback=json.dumps(rollback))
    pytester.makefile(".toml", env=env)
    pytester.makepyfile(test_launch_day=LAUNCH_DAY)
    result = pytester.runpytest_subprocess("-p", "pytest_launch.plugin.stage_checks", "--env", "env.toml",
                                           "--launch-json", "out.json", "--launch-gate", "-p", "no:cacheprovider",
                                           *extra)
    doc = json.loads((pytester.path / "out.json").read_text())
    return result, doc


def test_healthy_stage_proceeds(pytester, stage_services):
    result, doc = run_stage(pytester, stage_services.url, ['error_rate{service="st-good"} < 1% over 10s'],
                            ['error_rate{service="st-good"} > 5% over 4s'], "--launch-stage", "25", "-m", "t_0")
    assert result.ret == 0, result.stdout.str()
    assert doc["verdict"] == "GO" and doc["display_verdict"] == "PROCEED" and doc["run"]["stage"] == 25
    checks = {c["nodeid"]: c for c in doc["checks"]}
    assert len(checks) == 2
    go = next(c for c in checks.values() if "-go:" in c["nodeid"])
    assert go["phase"] == "t_0" and go["category"] == "performance" and go["severity"] == "blocker"
    assert go["evidence"]["result"] == "PASS" and go["evidence"]["threshold"] == "1%"
    assert "app_requests_total" in go["evidence"]["query"] and go["evidence"]["window"] == "10s"
    assert isinstance(go["evidence"]["measured"], float)
    trigger = next(c for c in checks.values() if "-rollback:" in c["nodeid"])
    assert trigger["rollback_trigger"] is True


def test_failed_criterion_holds(pytester, stage_services):
    result, doc = run_stage(pytester, stage_services.url, ['error_rate{service="st-bad"} < 1% over 10s'],
                            [], "--launch-stage", "25")
    assert result.ret == 1, result.stdout.str()
    assert doc["verdict"] == "NO_GO" and doc["display_verdict"] == "HOLD"
    (check,) = doc["checks"]
    assert check["outcome"] == "failed" and check["evidence"]["result"] == "FAIL"
    assert check["evidence"]["measured"] > 0.01


def test_fired_trigger_rolls_back_with_the_steps(pytester, stage_services):
    result, doc = run_stage(pytester, stage_services.url, ['error_rate{service="st-good"} < 1% over 10s'],
                            ['error_rate{service="st-bad"} > 5% over 4s'], "--launch-stage", "50")
    assert result.ret == 20, result.stdout.str()
    assert doc["verdict"] == "ROLLBACK"
    trigger = next(c for c in doc["checks"] if c["rollback_trigger"])
    assert trigger["outcome"] == "failed"
    assert trigger["evidence"]["rollback_steps"][0] == "Enable maintenance mode"
    assert "ROLLBACK" in trigger["message"]
    # the report's runbook is the environment's [rollout] rollback_steps, in order
    assert doc["rollback_steps"] == ["Enable maintenance mode", "Route traffic to previous version"]
    assert "1. Enable maintenance mode; 2. Route traffic to previous version" in trigger["message"]


def test_trigger_without_data_holds_not_rolls_back(pytester, stage_services):
    result, doc = run_stage(pytester, stage_services.url, ['error_rate{service="st-good"} < 1% over 10s'],
                            ['error_rate{service="st-nobody"} > 5% over 4s'], "--launch-stage", "5")
    assert result.ret == 1, result.stdout.str()
    assert doc["verdict"] == "NO_GO" and doc["display_verdict"] == "HOLD"
    trigger = next(c for c in doc["checks"] if c["rollback_trigger"])
    assert trigger["outcome"] == "error" and trigger["evidence"]["result"] == "NO_DATA"


def test_stage_not_in_the_plan_holds(pytester, stage_services):
    result, doc = run_stage(pytester, stage_services.url, ['error_rate < 1% over 10s'], [], "--launch-stage", "30")
    assert result.ret == 1
    assert doc["display_verdict"] == "HOLD"
    assert "one of the planned stages" in doc["checks"][0]["message"]


def test_without_a_stage_the_stage_checks_are_listed_and_block(pytester, stage_services):
    """No --launch-stage: the rollout checks are still there (their checklist items are covered)
    but none is evaluated: each errors naming --launch-stage, and the run is NO_GO, never GO."""
    result, doc = run_stage(pytester, stage_services.url, ['error_rate < 1% over 10s'], ['error_rate > 5% over 4s'])
    assert result.ret == 1, result.stdout.str()
    assert doc["verdict"] == "NO_GO"
    assert sorted(c["outcome"] for c in doc["checks"]) == ["error", "error"]
    assert all("--launch-stage N" in c["message"] for c in doc["checks"])
    assert {c["nodeid"].split("[", 1)[1] for c in doc["checks"]} == {
        "no-stage-go: error_rate < 1% over 10s]", "no-stage-rollback: error_rate > 5% over 4s]"}


def test_without_rollout_and_stage_nothing_is_collected(pytester):
    pytester.makefile(".toml", env='[environment]\nname = "no-rollout"\n')
    pytester.makepyfile(test_launch_day=LAUNCH_DAY)
    result = pytester.runpytest_subprocess("-p", "pytest_launch.plugin.stage_checks", "--env", "env.toml",
                                           "-p", "no:cacheprovider", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["*1 deselected*"])
