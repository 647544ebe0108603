"""The Alertmanager probe against a real Alertmanager with a webhook receiver in the test."""

from __future__ import annotations

import json

import pytest

from pytest_launch.core.errors import ConfigError
from pytest_launch.core.settings import build
from pytest_launch.probes.alertmanager import (
    SYNTHETIC_ALERTNAME,
    AlertmanagerProbe,
    AlertmanagerSettings,
    parse_notification_counters,
)
from pytest_launch.probes.errors import NoAnswer, ProbeError
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
    # confirmed in Alertmanager's own counters, not only by the API's routing
    evidence = alert.evidence()
    assert evidence["method"].startswith("integration counters (no receiver label in Alertmanager 0.")
    assert evidence["integrations"]["webhook"]["requests"] >= 1
    assert evidence["integrations"]["webhook"]["failed_requests"] == 0
    assert evidence["attempts"] >= 1 and evidence["failures"] == 0
    assert 0 < evidence["seconds_to_delivery"] <= 15
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
    assert "routed to blackhole, expected 'readiness-webhook'" in alert.problem
    assert alertmanager_server.webhook.alerts_with(alert.readiness_id) == []
    probe.resolve_synthetic_alert(alert)


def test_unreachable_alertmanager_is_a_clear_failure(closed_port):
    dead = AlertmanagerProbe(AlertmanagerSettings(url=f"http://127.0.0.1:{closed_port}", timeout_s=2))
    with pytest.raises(ProbeError, match=r"127\.0\.0\.1.*refused"):
        dead.status()
    # no answer from Alertmanager is no evidence (the check errors), never a delivery problem
    with pytest.raises(NoAnswer, match=r"/metrics: .*refused"):
        dead.send_synthetic_alert()
    with pytest.raises(NoAnswer, match=r"/api/v2/alerts: .*refused"):
        dead.send_synthetic_alert(wait=False)


def test_settings_are_validated():
    with pytest.raises(ConfigError, match="url"):
        build(AlertmanagerSettings, {"url": "alertmanager:9093"}, "prod.toml", "alertmanager")
    with pytest.raises(ConfigError, match="readiness_id"):
        build(AlertmanagerSettings, {"url": "http://127.0.0.1:9", "synthetic_labels": {"readiness_id": "x"}},
              "prod.toml", "alertmanager")
    with pytest.raises(ConfigError, match="did you mean 'expected_receivers'"):
        build(AlertmanagerSettings, {"url": "http://127.0.0.1:9", "expected_receiver": ["x"]},
              "prod.toml", "alertmanager")


# ---------------------------------------------------------------- delivery, per receiver behaviour
def _send(server, **kw):
    with server.probe(delivery_timeout_s=kw.pop("timeout", 8.0)) as p:
        alert = p.send_synthetic_alert(**kw)
        p.resolve_synthetic_alert(alert)
    return alert


def test_delivery_confirmed_when_the_receiver_accepts(alertmanager_scenario):
    server = alertmanager_scenario("up")
    alert = _send(server)
    assert alert.delivered, alert.evidence()
    assert alert.integrations[0].integration == "webhook"
    assert alert.integrations[0].succeeded_requests >= 1
    assert server.webhook.alerts_with(alert.readiness_id)  # the endpoint really received it


@pytest.mark.parametrize("behaviour", ["refusing", "500"])
def test_routed_but_failing_receiver_is_not_delivered(alertmanager_scenario, behaviour):
    """The API lists the alert as active and routed to the receiver; every request fails."""
    server = alertmanager_scenario(behaviour)
    alert = _send(server)
    assert alert.routed and alert.receivers == ["readiness-webhook"]  # what used to pass
    assert not alert.delivered
    assert "receiver 'readiness-webhook' was not notified (routed, but not delivered)" in alert.problem
    assert "webhook: 1 of 1 notification request(s) failed" in alert.problem
    evidence = alert.evidence()
    assert evidence["delivered"] is False and evidence["integrations"]["webhook"]["failed_requests"] >= 1
    assert evidence["seconds_to_delivery"] is None
    if behaviour == "500":
        assert server.webhook.alerts_with(alert.readiness_id)  # it answered, with 500
    # the Debian Alertmanager (0.25) has no reason label: it cannot tell refused from 500, and says
    # so plainly, with the method used and the version that can; never the webhook URL (a secret)
    assert "[integration counters (no receiver label in Alertmanager 0.25" in alert.problem
    assert ("why: unknown: Alertmanager 0.25.0 cannot tell a receiver that refuses connections from one "
            "that answers an error") in alert.problem
    assert "Alertmanager 0.26 and later label each failure clientError, serverError or other" in alert.problem
    assert evidence["failure_reason"].startswith("unknown: Alertmanager 0.25.0 cannot tell")
    assert str(server.webhook.port) not in alert.problem and str(server.webhook.port) not in str(evidence)


def test_route_to_another_working_receiver_is_not_delivered(alertmanager_scenario):
    """other-team's webhook is up, so webhook counters move: only the route tells them apart."""
    server = alertmanager_scenario("up", route="elsewhere")
    alert = _send(server)
    assert not alert.delivered and alert.receivers == ["other-team"]
    assert alert.problem.startswith("routed to other-team, expected 'readiness-webhook'")


def test_receiver_without_integration_goes_nowhere(alertmanager_server):
    with alertmanager_server.probe(delivery_timeout_s=3, synthetic_receiver="blackhole") as p:
        alert = p.send_synthetic_alert(labels={"route": "blackhole"})
        p.resolve_synthetic_alert(alert)
    assert alert.routed and not alert.delivered
    assert "receiver 'blackhole' has no integration (no *_configs)" in alert.problem


def test_silenced_synthetic_alert_is_not_delivered(alertmanager_scenario):
    server = alertmanager_scenario("up")
    with server.probe(delivery_timeout_s=5) as p:
        p._request("POST", "/api/v2/silences", json={
            "matchers": [{"name": "readiness", "value": "synthetic", "isRegex": False}],
            "startsAt": "2020-01-01T00:00:00Z", "endsAt": "2099-01-01T00:00:00Z",
            "createdBy": "test", "comment": "a silence that swallows the synthetic alert"})
        alert = p.send_synthetic_alert()
    assert not alert.delivered
    assert "the alert is suppressed (silenced or inhibited)" in alert.problem
    assert server.webhook.alerts_with(alert.readiness_id) == []


# Alertmanager >= 0.27 with --enable-feature=receiver-name-in-metrics labels the counters with
# the receiver; the Debian Alertmanager here (0.25) cannot, so this reads a recorded sample.
NEWER_METRICS = """\
# HELP alertmanager_notifications_total The total number of attempted notifications.
# TYPE alertmanager_notifications_total counter
alertmanager_notifications_total{integration="webhook",receiver_name="oncall"} 3
alertmanager_notifications_total{integration="webhook",receiver_name="other"} 9
# HELP alertmanager_notifications_failed_total The total number of failed notifications.
# TYPE alertmanager_notifications_failed_total counter
alertmanager_notifications_failed_total{integration="webhook",reason="serverError",receiver_name="oncall"} 1
alertmanager_notifications_failed_total{integration="webhook",reason="other",receiver_name="oncall"} 1
# HELP alertmanager_notification_requests_total The total number of attempted notification requests.
# TYPE alertmanager_notification_requests_total counter
alertmanager_notification_requests_total{integration="webhook",receiver_name="oncall"} 5
# HELP alertmanager_notification_requests_failed_total The total number of failed notification requests.
# TYPE alertmanager_notification_requests_failed_total counter
alertmanager_notification_requests_failed_total{integration="webhook",receiver_name="oncall"} 4
"""


def test_counters_with_the_receiver_label_are_the_receivers_own():
    counters = parse_notification_counters(NEWER_METRICS)
    assert counters.by_receiver and counters.integrations_of("oncall") == {"webhook"}
    assert counters.total("attempts", "webhook", "oncall") == 3
    assert counters.total("attempts", "webhook", None) == 12
    assert counters.total("failures", "webhook", "oncall") == 2  # summed over the reason label
    assert counters.reasons("webhook", "oncall") == {"serverError": 1, "other": 1}
    assert counters.total("requests", "webhook", "oncall") - counters.total("failed_requests", "webhook", "oncall") == 1


def test_the_reason_label_of_newer_versions_says_why_delivery_failed():
    """Alertmanager >= 0.26 labels each failed notification with a reason: refused (other) and
    500 (serverError) are told apart; a version without the label says it cannot."""
    from pytest_launch.probes.alertmanager import AlertmanagerProbe, IntegrationDelivery

    counters = parse_notification_counters(NEWER_METRICS)
    assert counters.reason_label
    for reasons, words in (({"serverError": 1}, "serverError: the receiver answered with an HTTP 5xx status"),
                           ({"other": 1}, "other: no HTTP answer (connection refused, DNS or TLS failure)")):
        failed = [IntegrationDelivery("webhook", requests=1, failed_requests=1, failures=1, failure_reasons=reasons)]
        why = AlertmanagerProbe._failure_reason(failed, True, "0.27.0")
        assert why.startswith(words)
        message = AlertmanagerProbe._failure_message("oncall", failed, "receiver counters (receiver_name label, "
                                                     "Alertmanager 0.27.0)", True, "0.27.0", why)
        assert "was not notified (routed, but not delivered)" in message and "[receiver counters" in message
        assert words in message
    failed = [IntegrationDelivery("webhook", requests=1, failed_requests=1)]
    assert AlertmanagerProbe._failure_reason(failed, True, "0.27.0").startswith("not counted yet")
    assert "cannot tell a receiver that refuses" in AlertmanagerProbe._failure_reason(failed, False, "0.25.0")
    assert not parse_notification_counters(NEWER_METRICS.replace('reason="serverError",', "")
                                           .replace('reason="other",', "")).reason_label


class RoundRobin:
    """A small HTTP proxy on 127.0.0.1 sending each request to the next of `backends` (a load
    balancer in front of two Alertmanagers that do not share their counters)."""

    def __init__(self, backends: list[str]) -> None:
        import itertools
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        import requests

        turn = itertools.cycle(backends)
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                with lock:
                    backend = next(turn)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                answer = requests.request(self.command, backend + self.path, data=body or None, timeout=5,
                                          headers={"Content-Type": self.headers.get("Content-Type", "")})
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("Content-Type", "text/plain"))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = _forward  # noqa: N815 - http.server's naming

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_counters_of_another_instance_are_never_compared(alertmanager_scenario):
    """Behind a load balancer /metrics comes from one instance, then another: their counters
    differ, and a difference must never be read as a delivery."""
    first, second = alertmanager_scenario("up"), alertmanager_scenario("up")
    proxy = RoundRobin([first.url, second.url])
    try:
        with AlertmanagerProbe(AlertmanagerSettings(url=proxy.url, delivery_timeout_s=5,
                                                    synthetic_receiver="readiness-webhook")) as p:
            alert = p.send_synthetic_alert()
    finally:
        proxy.close()
    assert not alert.delivered
    # each poll moves the proxy on, so within two reads of /metrics the other instance answers
    assert "was answered by another Alertmanager instance than before the alert was sent" in alert.problem


def test_the_instance_is_identified_by_its_metrics(alertmanager_server):
    with alertmanager_server.probe() as p:
        assert p.notification_counters().instance == p.notification_counters().instance != ""


@pytest.mark.parametrize("behaviour, delivered", [("up", True), ("500", False)])
def test_without_an_expected_receiver_the_routed_one_must_be_notified(alertmanager_scenario, behaviour, delivered):
    server = alertmanager_scenario(behaviour)
    with server.probe(delivery_timeout_s=8, synthetic_receiver=None) as p:
        alert = p.send_synthetic_alert()
        p.resolve_synthetic_alert(alert)
    assert alert.receivers == ["readiness-webhook"]
    assert alert.delivered is delivered, alert.evidence()
