"""The launch_prometheus and launch_alertmanager fixtures through pytest (pytester), against the
real Prometheus and Alertmanager of the test bed: the issue's "every Prometheus target up" and
"an alert rule exists for a high error rate" checks, in their pass and fail cases."""

from __future__ import annotations

import json

CHECKS = '''
import pytest

@pytest.mark.blocker
def test_alert_rule_for_high_error_rate(launch_prometheus):
    assert launch_prometheus.alert_rule("HighErrorRate") is not None, "no HighErrorRate alert rule"

@pytest.mark.blocker
def test_app_targets_up(launch_prometheus):
    down = launch_prometheus.targets_down(jobs=["app"])
    assert not down, down

@pytest.mark.blocker
def test_every_target_up(launch_prometheus):
    down = launch_prometheus.targets_down()
    assert not down, [t.get("labels", {}).get("job") for t in down]

@pytest.mark.blocker
def test_missing_metric_is_no_data(launch_prometheus):
    result = launch_prometheus.query("metric_that_does_not_exist_total")
    assert result.ok, f"{result.status}: {result.error or 'no series'}"

@pytest.mark.blocker
def test_alertmanager_receivers(launch_alertmanager):
    assert not launch_alertmanager.missing_receivers(["readiness-webhook"])
'''


def _project(pytester, prometheus_server, alertmanager_server):
    pytester.makepyfile(test_monitoring=CHECKS)
    (pytester.path / "env.toml").write_text(
        f'[environment]\nname = "mon"\n[prometheus]\nurl = "{prometheus_server.url}"\n'
        f'[alertmanager]\nurl = "{alertmanager_server.url}"\n')
    return pytester


def test_monitoring_fixtures_pass_and_fail_on_real_servers(pytester, prometheus_server, alertmanager_server):
    project = _project(pytester, prometheus_server, alertmanager_server)
    result = project.runpytest_inprocess("--env", "env.toml", "-p", "no:cacheprovider")
    outcomes = {r["nodeid"].split("::")[1]: r for r in json.loads(
        (project.path / "reports" / "mon" / "all" / "go-no-go.json").read_text())["checks"]}
    assert outcomes["test_alert_rule_for_high_error_rate"]["outcome"] == "passed"
    assert outcomes["test_app_targets_up"]["outcome"] == "passed"
    assert outcomes["test_alertmanager_receivers"]["outcome"] == "passed"
    # the test bed scrapes one target that is down on purpose, and an unknown metric has no data
    assert outcomes["test_every_target_up"]["outcome"] == "failed"
    assert "unreachable" in outcomes["test_every_target_up"]["message"]
    assert outcomes["test_missing_metric_is_no_data"]["outcome"] == "failed"
    assert "no_data" in outcomes["test_missing_metric_is_no_data"]["message"]
    result.stdout.fnmatch_lines(["*launch decision (mon): NO_GO: 2 blocking failures*"])


def test_monitoring_fixtures_skip_when_not_configured(pytester):
    pytester.makepyfile(test_monitoring=CHECKS)
    (pytester.path / "env.toml").write_text('[environment]\nname = "bare"\n')
    result = pytester.runpytest_inprocess("--env", "env.toml", "-p", "no:cacheprovider")
    result.assert_outcomes(skipped=5)
    result.stdout.fnmatch_lines(["*not configured: fill in [[]prometheus[]] in*",
                                 "*launch decision (bare): NO_GO: 5 blocking checks skipped*"])
