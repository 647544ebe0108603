"""Launch day (t_0) and the day after (t_plus_1) in the readiness suite, run for real against the
embedded demo (its real Prometheus scraping the app, which synthetic visitors browse, and the
simulated launch metrics of pytest_launch.demo.launch_metrics):

- no automated t_0 / t_plus_1 checklist item is "uncovered" in the demo or the example
  environments (collect-only of the examples; the demo's stage and T+1 runs);
- a stage run measures every go criterion and rollback trigger (PROCEED, or HOLD only for
  unsigned manual items); the fault `api_errors` (the API answers 500) fires the error-rate
  trigger: ROLLBACK, exit 20 under --launch-gate;
- a T+1 run measures every success criterion and writes reports/demo/t_plus_1/post-launch.md;
- every PromQL template of the example environments is valid PromQL (a real Prometheus answers
  "no data", never a query error).

Each suite run is a pytest subprocess (the demo's moto state is process-global): 10-15 s each.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from readiness_runs import ENVIRONMENTS, READINESS, ROOT, checklist_items, run_suite, tomllib

STAGE_ITEMS = {"DAY-14", "DAY-15", "DAY-16", "DAY-17", "DAY-18", "DAY-19", "RB-01", "RB-02"}


def _fake_secrets(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in set(re.findall(r"\$\{([A-Z0-9_]+)\}", path.read_text())):
        monkeypatch.setenv(variable, f"fake-{variable.lower()}")


def _metric_checks(document: dict[str, Any], test: str) -> dict[str, dict[str, Any]]:
    return {c["checklist"]: c for c in document["checks"] if f"::{test}[" in c["nodeid"]}


def _prometheus_installed() -> None:
    from testbed.support import require_binary

    require_binary("prometheus", "prometheus")


@pytest.mark.parametrize("environment", ["prod.example", "staging.example"])
def test_no_launch_day_or_t_plus_1_item_is_uncovered(environment: str, pytester: pytest.Pytester,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The example environments, collected only (nothing is contacted). The demo's own runs below
    assert the same on their results (no check of kind "uncovered")."""
    path = ENVIRONMENTS / f"{environment}.toml"
    _fake_secrets(path, monkeypatch)
    env_arg = str(path)
    result = pytester.runpytest_subprocess(
        str(READINESS), "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"), "-p", "no:cacheprovider",
        "--launch-report-dir", str(pytester.path / "reports"),
        "--collect-only", "-q", "-m", "t_0 or t_plus_1", f"--env={env_arg}", timeout=120)
    output = result.stdout.str()
    listed = set(output.splitlines())
    items = checklist_items("t_0", "t_plus_1")
    # an automated item is listed as readiness/checklist.toml::ID only when no check links to it
    uncovered = [i["id"] for i in items if i["mode"] == "automated" and f"readiness/checklist.toml::{i['id']}" in listed]
    assert not uncovered, f"{environment}: uncovered items {uncovered}\n{output[-3000:]}"
    manual = [i["id"] for i in items if i["mode"] == "manual" and f"readiness/checklist.toml::{i['id']}" not in listed]
    assert not manual, f"manual items not listed: {manual}"
    # the rollout checks are listed even without --launch-stage (each errors asking for one)
    rollout = [line for line in listed if "test_launch_day.py::test_rollout_stage[no-stage-" in line]
    assert {i for i in STAGE_ITEMS if any(f": {i} " in line for line in rollout)} == STAGE_ITEMS, rollout
    success = [line for line in listed if "test_success_criteria.py::test_success_criterion[success: " in line]
    measured = {i["id"] for i in items if i["mode"] == "automated" and i["id"].startswith(("SC-", "PERF-", "BIZ-"))}
    assert {i for i in measured if any(f"[success: {i} " in line for line in success)} == measured, success


def test_demo_stage_run_measures_every_criterion(pytester: pytest.Pytester) -> None:
    _prometheus_installed()
    _, document = run_suite(pytester, str(READINESS), "-m", "t_0", "--env=demo", "--launch-stage=25")
    assert document["run"]["stage"] == 25
    stage = _metric_checks(document, "test_rollout_stage")
    assert set(stage) == STAGE_ITEMS
    for item_id, check in stage.items():
        evidence = check["evidence"]
        assert check["outcome"] == "passed", (item_id, check["message"])
        assert evidence["result"] == "PASS" and isinstance(evidence["measured"], float), (item_id, evidence)
        assert evidence["window"] == "30s" and evidence["query"] and evidence["samples"] >= 3
    assert stage["RB-01"]["rollback_trigger"] and stage["RB-02"]["rollback_trigger"]
    assert stage["DAY-17"]["evidence"]["measured"] > 0.95  # the simulated payments: 98.5 % succeed
    assert document["display_verdict"] in ("PROCEED", "HOLD")
    # what holds the stage, if anything, is a manual item without its sign-off: never an
    # unmeasured criterion, never an uncovered item
    blocking = [c for c in document["checks"] if c["outcome"] != "passed" and c["severity"] in ("blocker", "critical")]
    assert all(c["kind"] == "manual" for c in blocking), [(c["nodeid"], c["kind"]) for c in blocking]
    assert not [c for c in document["checks"] if c["kind"] == "uncovered"]


def test_demo_api_errors_roll_back(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    _prometheus_installed()
    monkeypatch.setenv("PYTEST_LAUNCH_DEMO_FAULTS", "api_errors")
    result, document = run_suite(pytester, str(READINESS / "test_launch_day.py"), "-m", "t_0", "--env=demo",
                            "--launch-stage=50", "--launch-gate")
    assert result.ret == 20, result.stdout.str()[-3000:]
    assert document["verdict"] == "ROLLBACK"
    stage = _metric_checks(document, "test_rollout_stage")
    fired = stage["RB-01"]
    assert fired["outcome"] == "failed" and fired["evidence"]["result"] == "FAIL"
    assert fired["evidence"]["measured"] > 0.05  # the visitors' 5xx, measured by the real Prometheus
    assert "FIRED" in fired["message"] and fired["evidence"]["rollback_steps"][0] == "Enable maintenance mode"
    assert stage["DAY-16"]["outcome"] == "failed"  # the go criterion fails too: HOLD at least
    # payments are healthy: their trigger stays quiet (each trigger measures its own signal)
    assert stage["RB-02"]["outcome"] == "passed"


def test_demo_t_plus_1_measures_criteria_and_writes_the_post_launch_report(pytester: pytest.Pytester) -> None:
    _prometheus_installed()
    _, document = run_suite(pytester, str(READINESS), "-m", "t_plus_1", "--env=demo")
    success = _metric_checks(document, "test_success_criterion")
    automated = {i["id"] for i in checklist_items("t_plus_1") if i["mode"] == "automated"
                 and i["id"].startswith(("SC-", "PERF-", "BIZ-"))}
    assert set(success) == automated
    assert not [c for c in document["checks"] if c["kind"] == "uncovered"]
    not_measured = {k: c["message"] for k, c in success.items() if c["evidence"]["result"] != "PASS"}
    assert not not_measured
    report = pytester.path / "reports" / "demo" / "t_plus_1" / "post-launch.md"
    text = report.read_text()
    assert f"## Success criteria: {len(automated)} met, 0 missed" in text
    assert "SC-04 registrations &gt; 10 over 30s" in text
    assert "payments\\_total" in text  # the query that decided is in the report
    assert "## Lessons and improvements" in text


def test_demo_without_prometheus_cannot_pass_t_plus_1(pytester: pytest.Pytester,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_LAUNCH_DEMO_FAULTS", "no_prometheus")
    result, document = run_suite(pytester, str(READINESS / "test_success_criteria.py"), "-m", "t_plus_1",
                            "--env=demo", "--launch-gate")
    assert result.ret == 1
    assert document["verdict"] == "NO_GO"
    success = _metric_checks(document, "test_success_criterion")
    assert success and all(c["outcome"] == "error" for c in success.values())
    assert all("no [prometheus] table" in c["message"] for c in success.values())
    # one file named: a partial run, its reports under partial/
    text = (pytester.path / "reports" / "demo" / "partial" / "post-launch.md").read_text()
    assert f"0 met, {len(success)} missed" in text


@pytest.mark.parametrize("name", ["prod.example", "staging.example", "demo"])
def test_example_templates_are_valid_promql(name: str, prometheus_server: Any) -> None:
    """Every criterion of [rollout] and [success], built from the environment's templates, is a
    query a real Prometheus accepts: NO_DATA there (none of these series exist), never ERROR."""
    from pytest_launch.core.rollout import RolloutSettings, SuccessSettings, stage_plan, success_plan
    from pytest_launch.core.settings import build
    from pytest_launch.core.thresholds import ERROR, evaluate
    from pytest_launch.demo.monitoring import PROMETHEUS_TABLE

    path = ENVIRONMENTS / f"{name}.toml"
    data = tomllib.loads(path.read_text())  # the tables alone: the demo's other tables are generated at start
    rollout = build(RolloutSettings, data["rollout"], str(path), "rollout")
    success = build(SuccessSettings, data["success"], str(path), "success")
    queries = data.get("prometheus", {}).get("queries")
    if name == "demo":  # the demo's [prometheus] table is generated at start, from PROMETHEUS_TABLE
        queries = tomllib.loads("[q]\n" + PROMETHEUS_TABLE.split("[prometheus.queries]", 1)[1])["q"]
    metrics = {**queries, **rollout.metrics, **success.metrics}
    checks = list(stage_plan(rollout, 100, str(path)).checks) + list(success_plan(success, str(path)).go)
    linked = {c.checklist for c in checks}
    assert STAGE_ITEMS <= linked
    assert {i["id"] for i in checklist_items("t_plus_1") if i["mode"] == "automated"
            and i["id"].startswith(("SC-", "PERF-", "BIZ-"))} <= linked
    probe = prometheus_server.probe()
    try:
        for check in checks:
            result = evaluate(check.threshold, probe, metrics, mode=check.mode, default_window="30s",
                              step="5m", min_samples=1)
            assert result.status != ERROR, (check.checklist, check.expression, result.query, result.reason)
            assert result.query, check.expression
    finally:
        probe.close()


def test_simulated_payment_failures_fault() -> None:
    """The simulated launch metrics: healthy by default; `payment_failures` makes 30 % fail."""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    from pytest_launch.demo.launch_metrics import LaunchMetricsCollector, LaunchRates

    def payments(faults: list[str]) -> dict[str, float]:
        registry = CollectorRegistry()
        registry.register(LaunchMetricsCollector(LaunchRates.for_faults(faults), start=0.0))  # type: ignore[arg-type]
        families = text_string_to_metric_families(generate_latest(registry).decode())
        return {s.labels["outcome"]: s.value for f in families if f.name == "payments"
                for s in f.samples if s.name == "payments_total"}

    healthy, broken = payments([]), payments(["payment_failures"])
    assert healthy["success"] / (healthy["success"] + healthy["failure"]) == pytest.approx(0.985)
    assert broken["success"] / (broken["success"] + broken["failure"]) == pytest.approx(0.70)
