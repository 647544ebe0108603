"""Monitoring checks (checklist: Pre-Launch Validation / Monitoring; task 6.2.5; launch-day
monitoring). "Monitoring the monitoring": a query with no data is a failure, never a pass.
The synthetic alert is destructive (it pages the receiver) and is resolved right after.
"""

from __future__ import annotations

from typing import Any

import pytest
from launch_suite.checks import env_path, fill_template, table

from pytest_launch.probes.api_client import ApiClient, ApiSettings
from pytest_launch.probes.errors import ProbeError


def _prometheus(launch_env: Any, launch_probes: Any) -> Any:
    table(launch_env, "prometheus")
    return launch_probes.prometheus


def _alertmanager(launch_env: Any, launch_probes: Any) -> Any:
    table(launch_env, "alertmanager")
    return launch_probes.alertmanager


def _targets_problems(prometheus: Any, evidence: Any) -> list[str]:
    targets = prometheus.targets()
    down = prometheus.targets_down()
    evidence.record(targets=len(targets), targets_down=[
        {"job": t["job"], "instance": t["instance"], "health": t["health"], "last_error": t["last_error"]}
        for t in down])
    problems = [f"target {t['job']}/{t['instance'] or '-'} is {t['health']}: {t['last_error'] or 'no error given'}"
                for t in down]
    if not targets:
        problems.append("Prometheus has no active scrape target at all")
    return problems


def _sli_problems(prometheus: Any, evidence: Any) -> list[str]:
    queries = prometheus.settings.queries
    if not queries:
        pytest.skip("not configured: [prometheus] queries is empty (no SLI to check)")
    window = prometheus.settings.default_window
    problems = []
    for name, template in queries.items():
        result = prometheus.query(fill_template(template, window), min_samples=prometheus.settings.min_samples)
        evidence.record(**{f"sli {name}": result.evidence()})
        if result.no_answer is not None:  # no answer from Prometheus: no evidence, the check errors
            raise result.no_answer
        if not result.ok:
            problems.append(f"SLI {name}: {result.status}: {result.error or 'the query returned no series'} "
                            f"({result.query})")
    return problems


# ------------------------------------------------------------------------------------ MON-01
@pytest.mark.env_tables("prometheus")
@pytest.mark.checklist("MON-01")
def test_prometheus_targets_up(launch_env: Any, launch_probes: Any, launch_evidence: Any) -> None:
    prometheus = _prometheus(launch_env, launch_probes)
    problems = _targets_problems(prometheus, launch_evidence)
    assert not problems, "\n".join(problems)


@pytest.mark.env_tables("prometheus")
@pytest.mark.checklist("MON-01")
def test_sli_queries_return_data(launch_env: Any, launch_probes: Any, launch_evidence: Any) -> None:
    prometheus = _prometheus(launch_env, launch_probes)
    problems = _sli_problems(prometheus, launch_evidence)
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------------ MON-03
@pytest.mark.env_tables("prometheus")
@pytest.mark.checklist("MON-03")
def test_alert_rules_exist(launch_env: Any, launch_probes: Any, launch_evidence: Any) -> None:
    """Every expected alert rule is loaded and healthy in Prometheus."""
    prometheus = _prometheus(launch_env, launch_probes)
    expected = prometheus.settings.expected_alerts
    if not expected:
        pytest.skip("not configured: [prometheus] expected_alerts is empty")
    rules = {rule["name"]: rule for rule in prometheus.rules("alerting")}
    launch_evidence.record(alert_rules=sorted(rules), expected_alerts=expected)
    problems = [f"no alert rule {name!r} in Prometheus" for name in expected if name not in rules]
    problems += [f"alert rule {name!r} is {rules[name]['health']}: {rules[name]['last_error']}"
                 for name in expected if name in rules and rules[name]["health"] not in ("ok", "unknown")]
    assert not problems, "\n".join(problems)


@pytest.mark.env_tables("alertmanager")
@pytest.mark.checklist("MON-03")
def test_alertmanager_receivers(launch_env: Any, launch_probes: Any, launch_evidence: Any) -> None:
    alertmanager = _alertmanager(launch_env, launch_probes)
    receivers = alertmanager.receivers()
    missing = alertmanager.missing_receivers()
    launch_evidence.record(receivers=receivers, missing=missing)
    assert receivers, "Alertmanager has no receiver: alerts would go nowhere"
    assert not missing, f"Alertmanager lacks the expected receivers {missing} (has {receivers})"
    settings = alertmanager.settings
    if settings.require_cluster:  # [alertmanager] require_cluster, min_peers: an HA cluster is formed
        status = alertmanager.status()
        launch_evidence.record(cluster_status=status.cluster_status, peers=status.peers, min_peers=settings.min_peers)
        assert status.cluster_ready(True, settings.min_peers), (
            f"Alertmanager cluster is {status.cluster_status} with {status.peers} peer(s); "
            f"require_cluster asks for a formed cluster of at least {max(settings.min_peers, 1)}")


# ------------------------------------------------------------------------------------ MON-09
@pytest.mark.destructive
@pytest.mark.env_tables("alertmanager")
@pytest.mark.checklist("MON-09")
def test_synthetic_alert_delivered(launch_env: Any, launch_probes: Any, launch_evidence: Any) -> None:
    """DESTRUCTIVE (pages the receiver): a synthetic alert is accepted, routed to the expected
    receiver, and delivered: Alertmanager's own notification counters show a request to that
    receiver's integrations that did not fail ("routed" alone is not "delivered")."""
    alertmanager = _alertmanager(launch_env, launch_probes)
    alert = alertmanager.send_synthetic_alert()
    try:
        launch_evidence.record(synthetic_alert=alert.evidence())
        assert alert.delivered, f"synthetic alert not delivered: {alert.problem}"
    finally:
        if alert.accepted:
            try:
                alertmanager.resolve_synthetic_alert(alert)
            except ProbeError:
                pass


# ------------------------------------------------------------------------------------ MON-02
@pytest.mark.env_tables("grafana")
@pytest.mark.checklist("MON-02")
def test_grafana_dashboards(launch_env: Any, launch_evidence: Any) -> None:
    grafana = table(launch_env, "grafana")
    if not grafana.dashboards:  # Grafana answering proves no dashboard exists
        pytest.skip(f"not configured: [grafana] dashboards is empty in {launch_env.where}")
    ca_bundle = str(env_path(launch_env, grafana.ca_bundle)) if grafana.ca_bundle else None
    client: ApiClient[ApiSettings] = ApiClient(ApiSettings(url=grafana.url, timeout_s=grafana.timeout, ca_bundle=ca_bundle,
                                                           bearer_token=grafana.token), secrets=launch_env.secrets)
    try:
        health = client.json("/api/health")
        found = client.json("/api/search?type=dash-db&limit=5000")
    finally:
        client.close()
    uids = sorted(d.get("uid") for d in found if isinstance(d, dict) and d.get("uid"))
    launch_evidence.record(database=health.get("database"), version=health.get("version"),
                           dashboards_found=len(uids), expected=grafana.dashboards)
    assert health.get("database") == "ok", f"Grafana /api/health: database is {health.get('database')!r}"
    missing = [uid for uid in grafana.dashboards if uid not in uids]
    assert not missing, f"Grafana dashboards missing (by uid): {missing}"


# ------------------------------------------------------------------------------- launch day
@pytest.mark.env_tables("prometheus", "alertmanager")
@pytest.mark.checklist("DAY-05")
def test_launch_day_monitoring_alerts(launch_env: Any, launch_probes: Any, launch_evidence: Any) -> None:
    """Launch morning: Prometheus targets up, Alertmanager ready with its receivers."""
    prometheus = _prometheus(launch_env, launch_probes)
    alertmanager = _alertmanager(launch_env, launch_probes)
    problems = _targets_problems(prometheus, launch_evidence)
    if not alertmanager.ready():
        problems.append("Alertmanager is not ready (/-/ready)")
    missing = alertmanager.missing_receivers()
    if missing or not alertmanager.receivers():
        problems.append(f"Alertmanager receivers missing: {missing or 'none configured'}")
    assert not problems, "\n".join(problems)


@pytest.mark.env_tables("prometheus")
@pytest.mark.checklist("DAY-10")
def test_launch_day_system_metrics(launch_env: Any, launch_probes: Any, launch_evidence: Any) -> None:
    prometheus = _prometheus(launch_env, launch_probes)
    problems = _sli_problems(prometheus, launch_evidence)
    assert not problems, "\n".join(problems)
