"""The Alertmanager probe against a real Alertmanager with a webhook receiver in the test."""

from __future__ import annotations

import json

import pytest

from pytest_launch.config.errors import ConfigError
from pytest_launch.config.schema import build
from pytest_launch.probes.alertmanager import SYNTHETIC_ALERTNAME, AlertmanagerProbe, AlertmanagerSettings
from pytest_launch.probes.errors import ProbeError
from testbed.support import wait_until


@pytest.fixture
def probe(alertmanager_server):
    with alertmanager_server.probe() as p:
        yield p


def test_ready_and_status(probe):
    assert probe.ready() is True
    status = probe.status()
    assert status.cluster_status == "disabled"  # --cluster.listen-address= turns clustering off
    assert status.cluster_ready(require_cluster=False)
    assert not status.cluster_ready(require_cluster=True, min_peers=2)  # no HA cluster formed
    assert status.receivers == ["blackhole", "default", "readiness-webhook"]
    assert status.version
    json.dumps(status.evidence())


def test_expected_receivers(probe):
    assert probe.missing_receivers(["default", "readiness-webhook"]) == []
    assert probe.missing_receivers(["default", "pagerduty"]) == ["pagerduty"]


def test_synthetic_alert_is_delivered_end_to_end(alertmanager_server, probe):
    alert = probe.send_synthetic_alert()
    assert alert.accepted and alert.active, alert.evidence()
    assert alert.receivers == ["readiness-webhook"]
    assert alert.delivered and alert.problem is None
    assert alert.labels["readiness"] == "synthetic" and alert.labels["alertname"] == SYNTHETIC_ALERTNAME
    # the webhook (the receiver's endpoint) really received it
    webhook = alertmanager_server.webhook
    wait_until(lambda: webhook.alerts_with(alert.readiness_id), timeout=15, what="the webhook notification")
    (notified,) = webhook.alerts_with(alert.readiness_id)
    assert notified["labels"]["readiness"] == "synthetic"
    probe.resolve_synthetic_alert(alert)
    wait_until(lambda: webhook.alerts_with(alert.readiness_id, "resolved"), timeout=15, what="the resolved notification")
    assert probe.alerts({"readiness_id": alert.readiness_id}) == []
    json.dumps(alert.evidence())


def test_synthetic_alert_routed_elsewhere_is_not_delivered(alertmanager_server, probe):
    alert = probe.send_synthetic_alert(labels={"route": "blackhole"}, timeout_s=2)
    assert alert.accepted and alert.active
    assert alert.receivers == ["blackhole"]
    assert not alert.delivered
    assert "routed to ['blackhole'], not to 'readiness-webhook'" in alert.problem
    assert alertmanager_server.webhook.alerts_with(alert.readiness_id) == []
    probe.resolve_synthetic_alert(alert)


def test_unreachable_alertmanager_is_a_clear_failure(closed_port):
    dead = AlertmanagerProbe(AlertmanagerSettings(url=f"http://127.0.0.1:{closed_port}", timeout_s=2))
    with pytest.raises(ProbeError, match=r"127\.0\.0\.1.*refused"):
        dead.status()
    alert = dead.send_synthetic_alert()
    assert not alert.accepted and not alert.delivered
    assert "not accepted" in alert.problem and "refused" in alert.problem


def test_settings_are_validated():
    with pytest.raises(ConfigError, match="url"):
        build(AlertmanagerSettings, {"url": "alertmanager:9093"}, "prod.toml", "alertmanager")
    with pytest.raises(ConfigError, match="readiness_id"):
        build(AlertmanagerSettings, {"url": "http://127.0.0.1:9", "synthetic_labels": {"readiness_id": "x"}},
              "prod.toml", "alertmanager")
    with pytest.raises(ConfigError, match="did you mean 'expected_receivers'"):
        build(AlertmanagerSettings, {"url": "http://127.0.0.1:9", "expected_receiver": ["x"]},
              "prod.toml", "alertmanager")
