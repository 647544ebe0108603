"""Stage gates and rollback triggers against a real Prometheus scraping a local exporter.

Windows are seconds, not minutes (scrapes every 1 s), so the tests stay fast: ``over 10s``
stands in for the production ``over 10m``, and the burst test's trigger ``over 4s`` against
the criterion ``over 60s`` stands in for "error rate > 5 % over 2m" against "< 0.1 % over 10m".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time

import pytest

from pytest_launch.config.policy import Policy
from pytest_launch.core.decision import decide
from pytest_launch.core.errors import ConfigError
from pytest_launch.core.model import CheckResult, RunInfo
from pytest_launch.core.rollout import (
    HOLD,
    PROCEED,
    ROLLBACK,
    RolloutSettings,
    StageCheck,
    StagePlan,
    evaluate_check,
    judge_check,
    stage_plan,
)
from pytest_launch.core.settings import build
from pytest_launch.core.thresholds import ERROR, FAIL, NO_DATA, PASS, ThresholdResult
from testbed.support import wait_until

METRICS = {
    "error_rate": 'sum(rate(app_requests_total{code="500",{labels}}[{window}])) '
                  '/ sum(rate(app_requests_total{{labels}}[{window}]))',
    "latency": 'histogram_quantile({quantile}, sum by (le) (rate(app_request_duration_seconds_bucket{{labels}}[{window}])))',
    "payment_success_rate": 'sum(rate(app_payments_total{outcome="success",{labels}}[{window}])) '
                            '/ sum(rate(app_payments_total{{labels}}[{window}]))',
    "queue_depth": "app_queue_depth{{labels}}",
    "latency_ms": "app_latency_ms{{labels}}",
    "ratio": "app_ratio{{labels}}",
    "requests": "app_requests_total{{labels}}",
    "broken": "sum(rate(app_requests_total[{window}])",
}

GOOD = {"rps": 100, "error_ratio": 0.00001, "latency_s": 0.05, "payments_ps": 20, "payment_success": 0.99}
BAD = {"rps": 100, "error_ratio": 0.2, "latency_s": 0.8, "payments_ps": 20, "payment_success": 0.5}

# Each criterion, written for a service SVC: PASS on the healthy service, FAIL on the sick one.
CRITERIA = [
    'error_rate{service="SVC"} < 1% over 10s',
    'p95(latency{service="SVC"}) < 500ms over 10s',
    'payment_success_rate{service="SVC"} > 95% over 10s',
    'max(queue_depth{service="SVC"}) < 100 over 10s',
    'avg(latency_ms{service="SVC"}) <= 200 over 10s',
    'p99(latency_ms{service="SVC"}) < 500 over 10s',
    'min(latency_ms{service="SVC"}) < 300 over 10s',
    'rate(requests{service="SVC",code="500"}) < 1 over 10s',
    'count(requests{service="SVC",code="500"}) < 10 over 10s',
    'queue_depth{service="SVC"} < 100 over 5s',
    'queue_depth{service="SVC"} < 100 for 3 consecutive',
]


def settings(**values) -> RolloutSettings:
    values.setdefault("metrics", METRICS)
    values.setdefault("min_samples", 3)
    values.setdefault("step", "1s")
    values.setdefault("default_window", "10s")
    return build(RolloutSettings, values, "test.toml", "rollout")


RUNBOOK = ["Enable maintenance mode", "Route traffic to previous version", "Investigate root cause"]


def plan_for(go=(), rollback=(), **values):
    return stage_plan(settings(go_criteria=list(go), rollback_triggers=list(rollback), **values), 5)


# --------------------------------------------------------------------------- the stage's outcome
# There is one decision (core.decision.decide): a stage's outcome is what it decides from the
# stage checks, each reported the way plugin.stage_checks reports it (judge_check: inconclusive
# = error, a measured miss or a fired trigger = failed; a stage without go criteria = an error).

STAGE_OUTCOME = {"GO": PROCEED, "NO_GO": HOLD, "ROLLBACK": ROLLBACK}


@dataclasses.dataclass
class StageRun:
    criteria: list[ThresholdResult]
    triggers: list[ThresholdResult]
    outcome: str
    reasons: list[str]
    rollback_steps: list[str]


def decide_stage(plan: StagePlan, criteria: list[ThresholdResult], triggers: list[ThresholdResult]) -> StageRun:
    checks: list[CheckResult] = []
    for check, result in [*zip(plan.go, criteria), *zip(plan.triggers, triggers)]:
        verdict = judge_check(check, result, stage=plan.stage, rollback_steps=plan.rollback_steps)
        outcome = "error" if verdict.inconclusive else "passed" if verdict.ok else "failed"
        checks.append(CheckResult(nodeid=f"readiness/test_launch_day.py::{check.label}", outcome=outcome,
                                  phase="t_0", category=check.category, severity=check.severity,
                                  rollback_trigger=check.kind == "rollback", message=verdict.message))
    if not criteria:
        checks.append(CheckResult(nodeid="readiness/test_launch_day.py::no-go-criteria", outcome="error",
                                  phase="t_0", message=f"stage {plan.stage} has no go criteria in [rollout]: "
                                                       f"nothing shows it is healthy"))
    decision = decide(checks, [], [], [], RunInfo(stage=plan.stage, selected=len(checks)), Policy(),
                      dt.date(2026, 11, 25))
    outcome = STAGE_OUTCOME[decision.verdict]
    return StageRun(criteria, triggers, outcome, [r.text for r in decision.reasons],
                    list(plan.rollback_steps) if outcome == ROLLBACK else [])


def evaluate_stage(plan: StagePlan, probe, metrics) -> StageRun:
    """Every check of the stage evaluated at the same moment, then the one decision."""
    now = time.time()
    return decide_stage(plan, [evaluate_check(c, plan, probe, metrics, now) for c in plan.go],
                        [evaluate_check(t, plan, probe, metrics, now) for t in plan.triggers])


@pytest.fixture(scope="module")
def services(prometheus_server):
    """A healthy and a sick service, traffic running for the whole module."""
    exporter = prometheus_server.exporter
    exporter.traffic("ro-good", **GOOD)
    exporter.traffic("ro-bad", **BAD)
    exporter.traffic("ro-burst", **GOOD)
    exporter.queue_depth.labels(service="ro-good").set(3)
    exporter.queue_depth.labels(service="ro-bad").set(500)
    yield exporter
    for name in ("ro-good", "ro-bad", "ro-burst"):
        exporter.stop_traffic(name)


def settle(check: StageCheck, plan, probe, expected: str, timeout: float = 25.0) -> ThresholdResult:
    """Evaluate until the result is `expected` (data needs a few scrapes to arrive)."""
    seen: list[ThresholdResult] = []

    def reached() -> bool:
        seen.append(evaluate_check(check, plan, probe, METRICS))
        return seen[-1].status == expected

    try:
        wait_until(reached, timeout=timeout, what=f"{check.expression} to be {expected}")
    except pytest.fail.Exception:
        pytest.fail(f"{check.expression}: expected {expected}, last result {seen[-1].evidence() if seen else None}")
    return seen[-1]


@pytest.mark.parametrize("template", CRITERIA)
def test_each_criterion_passes_on_a_healthy_service_and_fails_on_a_sick_one(template, services, prometheus_server):
    probe = prometheus_server.probe()
    good = plan_for(go=[template.replace("SVC", "ro-good")])
    bad = plan_for(go=[template.replace("SVC", "ro-bad")])
    passed = settle(good.go[0], good, probe, PASS)
    assert passed.measured is not None and passed.query and "ro-good" in passed.query
    failed = settle(bad.go[0], bad, probe, FAIL)
    assert failed.measured is not None and not bad.go[0].threshold.holds(failed.measured)
    assert "expected" in failed.reason
    # the stage decisions that follow
    assert decide_stage(good, [passed], []).outcome == PROCEED
    assert decide_stage(bad, [failed], []).outcome == HOLD


def test_healthy_stage_proceeds_with_quiet_triggers(services, prometheus_server):
    plan = plan_for(go=['error_rate{service="ro-good"} < 1% over 10s',
                        'p95(latency{service="ro-good"}) < 500ms over 10s'],
                    rollback=['error_rate{service="ro-good"} > 5% over 4s'])
    probe = prometheus_server.probe()
    for check in plan.checks:
        settle(check, plan, probe, PASS)
    evaluation = evaluate_stage(plan, probe, METRICS)
    assert evaluation.outcome == PROCEED, evaluation.reasons
    assert evaluation.rollback_steps == []


def test_sick_service_fires_the_trigger_and_rolls_back(services, prometheus_server):
    plan = plan_for(go=['error_rate{service="ro-bad"} < 1% over 10s'],
                    rollback=['error_rate{service="ro-bad"} > 5% over 4s'], rollback_steps=RUNBOOK)
    probe = prometheus_server.probe()
    fired = settle(plan.triggers[0], plan, probe, FAIL)
    assert fired.mode == "trigger" and fired.measured > 0.05
    evaluation = evaluate_stage(plan, probe, METRICS)
    assert evaluation.outcome == ROLLBACK
    assert evaluation.rollback_steps == RUNBOOK  # [rollout] rollback_steps, in order
    verdict = judge_check(plan.triggers[0], fired, stage=5, rollback_steps=plan.rollback_steps)
    assert not verdict.ok and not verdict.inconclusive
    assert verdict.message.startswith("ROLLBACK") and \
        "Rollback steps: 1. Enable maintenance mode; 2. Route traffic to previous version; 3. Investigate" in verdict.message
    assert verdict.evidence["rollback_steps"] == RUNBOOK
    # without a runbook the trigger still rolls back, and says that no steps are configured
    bare = judge_check(plan.triggers[0], fired, stage=5)
    assert not bare.ok and bare.message.startswith("ROLLBACK") and "rollback_steps" not in bare.evidence
    assert "Rollback steps: none configured ([rollout] rollback_steps" in bare.message


def test_an_empty_rollback_step_is_a_config_error():
    with pytest.raises(ConfigError, match="rollback_steps to be non-empty steps"):
        settings(rollback_steps=["Enable maintenance mode", "  "])


def test_empty_series_is_no_data_and_holds(services, prometheus_server):
    plan = plan_for(go=['error_rate{service="nobody"} < 1% over 10s'],
                    rollback=['error_rate{service="nobody"} > 5% over 4s'])
    probe = prometheus_server.probe()
    evaluation = evaluate_stage(plan, probe, METRICS)
    assert [r.status for r in evaluation.criteria] == [NO_DATA]
    assert [r.status for r in evaluation.triggers] == [NO_DATA]
    assert evaluation.criteria[0].measured is None
    assert evaluation.outcome == HOLD
    assert any("HOLD: rollback trigger" in reason and "NO_DATA" in reason for reason in evaluation.reasons), evaluation.reasons
    # the trigger's check is inconclusive (an error: HOLD), never a fired trigger (ROLLBACK)
    verdict = judge_check(plan.triggers[0], evaluation.triggers[0])
    assert verdict.inconclusive and not verdict.ok and verdict.message.startswith("HOLD")


def test_a_trigger_without_data_holds_even_when_criteria_pass(services, prometheus_server):
    plan = plan_for(go=['error_rate{service="ro-good"} < 1% over 10s'],
                    rollback=['error_rate{service="ghost"} > 5% over 4s'])
    probe = prometheus_server.probe()
    settle(plan.go[0], plan, probe, PASS)
    evaluation = evaluate_stage(plan, probe, METRICS)
    assert evaluation.criteria[0].status == PASS
    assert evaluation.outcome == HOLD


def test_nan_never_passes(services, prometheus_server):
    services.ratio.labels(service="ro-nan").set(float("nan"))
    plan = plan_for(go=['ratio{service="ro-nan"} < 1', 'ratio{service="ro-nan"} > 1'])
    probe = prometheus_server.probe()
    wait_until(lambda: prometheus_server.has_data('app_ratio{service="ro-nan"}'), timeout=15, what="the NaN gauge")
    evaluation = evaluate_stage(plan, probe, METRICS)
    assert [r.status for r in evaluation.criteria] == [NO_DATA, NO_DATA]
    assert all("NaN" in r.reason for r in evaluation.criteria)
    assert evaluation.outcome == HOLD


def test_a_query_error_holds_with_the_error(services, prometheus_server):
    plan = plan_for(go=["broken < 1 over 10s"])
    evaluation = evaluate_stage(plan, prometheus_server.probe(), METRICS)
    result = evaluation.criteria[0]
    assert result.status == ERROR and result.measured is None
    assert "bad_data" in result.reason or "parse error" in result.reason
    assert evaluation.outcome == HOLD
    assert "broken" in evaluation.reasons[0] and "ERROR" in evaluation.reasons[0]


def test_an_unknown_metric_is_an_error(services, prometheus_server):
    plan = plan_for(go=["no_such_metric < 1 over 10s"])
    evaluation = evaluate_stage(plan, prometheus_server.probe(), METRICS)
    assert evaluation.criteria[0].status == ERROR
    assert "no PromQL query for the metric 'no_such_metric'" in evaluation.criteria[0].reason
    assert evaluation.outcome == HOLD


def test_labels_against_a_template_without_labels_is_an_error(services, prometheus_server):
    plan = plan_for(go=['broken{service="x"} < 1 over 10s'])
    result = evaluate_stage(plan, prometheus_server.probe(), METRICS).criteria[0]
    assert result.status == ERROR and "{labels}" in result.reason


def test_fewer_samples_than_asked_for_is_no_data(services, prometheus_server):
    plan = plan_for(go=['error_rate{service="ro-good"} < 1% over 10s'], min_samples=1000)
    # the rate needs two scrapes inside the window first; until then the answer is "no series"
    seen: list[ThresholdResult] = []

    def has_series() -> bool:
        seen.append(evaluate_stage(plan, prometheus_server.probe(), METRICS).criteria[0])
        return "no series" not in seen[-1].reason

    wait_until(has_series, timeout=25, what="the ro-good error rate to have data")
    result = seen[-1]
    assert result.status == NO_DATA and "fewer than the 1000 asked for" in result.reason


def test_consecutive_needs_that_many_samples(services, prometheus_server):
    services.queue_depth.labels(service="ro-consec").set(1)
    plan = plan_for(go=['queue_depth{service="ro-consec"} < 100 for 500 consecutive'])
    wait_until(lambda: prometheus_server.has_data('app_queue_depth{service="ro-consec"}'), timeout=15, what="gauge")
    result = evaluate_stage(plan, prometheus_server.probe(), METRICS).criteria[0]
    assert result.status == NO_DATA and "fewer than the 500 asked for" in result.reason


def test_unreachable_prometheus_holds(services, closed_port):
    from pytest_launch.probes.prometheus import PrometheusProbe, PrometheusSettings

    dead = PrometheusProbe(PrometheusSettings(url=f"http://127.0.0.1:{closed_port}", timeout_s=2))
    plan = plan_for(go=['error_rate < 1% over 10s'], rollback=['error_rate > 5% over 4s'])
    evaluation = evaluate_stage(plan, dead, METRICS)
    assert {r.status for r in evaluation.criteria + evaluation.triggers} == {ERROR}
    assert evaluation.outcome == HOLD
    assert "refused" in evaluation.criteria[0].reason.lower()


def test_a_late_burst_rolls_back_even_when_the_long_window_is_fine(services, prometheus_server):
    """A burst of errors in the last seconds fires the short-window trigger, while the
    long-window criterion (diluted by the healthy minutes before) still passes: cumulative
    thresholds must not hide a late burst."""
    criterion = 'error_rate{service="ro-burst"} < 25% over 60s'
    trigger = 'error_rate{service="ro-burst"} > 20% over 4s'
    plan = plan_for(go=[criterion], rollback=[trigger], rollback_steps=RUNBOOK)
    probe = prometheus_server.probe()
    # at least 12 s of healthy traffic inside the long window before the burst
    wait_until(lambda: prometheus_server.has_data(
        'count_over_time(app_requests_total{service="ro-burst",code="200"}[60s]) >= 12'),
        timeout=30, what="12 s of healthy traffic")
    settle(plan.go[0], plan, probe, PASS)
    settle(plan.triggers[0], plan, probe, PASS)
    assert evaluate_stage(plan, probe, METRICS).outcome == PROCEED
    services.traffic("ro-burst", **{**GOOD, "error_ratio": 0.5})  # the burst
    outcomes: list = []

    def rolled_back() -> bool:
        outcomes.append(evaluate_stage(plan, probe, METRICS))
        return outcomes[-1].outcome == ROLLBACK

    wait_until(rolled_back, timeout=20, what="the burst to fire the trigger")
    evaluation = outcomes[-1]
    assert evaluation.triggers[0].status == FAIL and evaluation.triggers[0].measured > 0.2
    assert evaluation.criteria[0].status == PASS, evaluation.criteria[0].evidence()
    assert evaluation.criteria[0].measured < 0.25
    assert evaluation.rollback_steps[0] == "Enable maintenance mode"


def test_the_stage_decision_is_fail_safe():
    """The stage's outcome comes from the one `decide` (no second stage decision)."""
    def result(status: str, mode: str = "criterion") -> ThresholdResult:
        return ThresholdResult("x < 1", status, 0.5 if status in (PASS, FAIL) else None, 1.0, "1", "x", None,
                               "because", mode=mode)

    plan = plan_for(go=["x < 1 over 10s"], rollback=["x > 5 over 4s"])
    no_criteria = plan_for(rollback=["x > 5 over 4s"])
    assert decide_stage(plan, [result(PASS)], [result(PASS, "trigger")]).outcome == PROCEED
    assert decide_stage(no_criteria, [], [result(PASS, "trigger")]).outcome == HOLD  # nothing shows health
    assert decide_stage(plan, [result(PASS)], [result(FAIL, "trigger")]).outcome == ROLLBACK
    assert decide_stage(plan, [result(FAIL)], [result(FAIL, "trigger")]).outcome == ROLLBACK
    for status in (FAIL, NO_DATA, ERROR):
        assert decide_stage(plan, [result(status)], [result(PASS, "trigger")]).outcome == HOLD
    for status in (NO_DATA, ERROR):
        assert decide_stage(plan, [result(PASS)], [result(status, "trigger")]).outcome == HOLD
