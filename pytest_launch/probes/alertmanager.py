"""Alertmanager probe: status, receivers, and a synthetic alert delivered end to end.

    [alertmanager]
    url = "https://alertmanager.internal:9093"
    timeout_s = 10
    ca_bundle = "ca.pem"                  # optional
    bearer_token = "${AM_TOKEN}"          # optional; only through ${VAR}
    expected_receivers = ["pagerduty", "slack-launch"]
    require_cluster = true                # a HA cluster must be formed ("ready", not "settling")
    min_peers = 2
    synthetic_receiver = "slack-launch"   # the receiver the synthetic alert must be routed to
    synthetic_labels = { team = "sre" }   # extra labels so that the route picks it
    delivery_timeout_s = 30

Read-only except `send_synthetic_alert` and `resolve_synthetic_alert`, which are DESTRUCTIVE:
they post an alert (labels ``alertname="LaunchReadinessSynthetic"``, ``readiness="synthetic"``
and a unique ``readiness_id``) that reaches real receivers: pagers may ring. Checks that call
them must be marked ``@pytest.mark.destructive``.

Delivery is confirmed where it happens. The API shows an alert as active and routed even when
every notification to the receiver fails, so "routed" is only the first step: /api/v2/alerts must
list the alert as active and routed to the expected receiver ("routed to X, expected Y"
otherwise), and then Alertmanager's own counters on /metrics (read before sending, then polled
until delivery_timeout_s, which must cover the route's group_wait) must show, for each
integration of that receiver (`webhook_configs` -> webhook, ...), a notification request that
did not fail. With the `receiver_name` label (Alertmanager >= 0.27 with
--enable-feature=receiver-name-in-metrics) the counters are the receiver's own; without it they
are per integration, any failure of that integration during the drill fails the check, and the
evidence's "method" says which was used. Why a notification failed comes from the `reason` label of
the failure counter (Alertmanager >= 0.26: serverError, clientError, other); Alertmanager 0.25
has none, so it cannot tell a receiver that refuses connections from one that answers 500, and
the message and the evidence's "failure_reason" say so (the webhook URL, a secret, is never read). `url` must name one instance, not a load balancer:
/metrics answered by another process than before the alert was sent fails the check. In an HA
cluster the instance that received the alert sends it after waiting its position times the peer
timeout (15 s by default): delivery_timeout_s must cover that.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import time
import uuid
from typing import Any

import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families

from pytest_launch.probes.api_client import ApiClient, ApiSettings
from pytest_launch.probes.deadline import timeout_problem
from pytest_launch.probes.errors import NoAnswer, ProbeError

SYNTHETIC_ALERTNAME = "LaunchReadinessSynthetic"
_POLL_S = 0.2  # how often delivery is polled (the wait is bounded by delivery_timeout_s)


@dataclasses.dataclass
class AlertmanagerSettings(ApiSettings):
    """[alertmanager]: where alerts go, and which receivers must exist."""

    expected_receivers: list[str] = dataclasses.field(default_factory=list)
    require_cluster: bool = False
    min_peers: int = 0
    synthetic_receiver: str | None = None
    synthetic_labels: dict[str, str] = dataclasses.field(default_factory=dict)
    delivery_timeout_s: float = 30.0

    def validate(self) -> tuple[str, str] | None:
        problem = super().validate()
        if problem:
            return problem
        problem = timeout_problem("delivery_timeout_s", self.delivery_timeout_s)
        if problem:
            return problem
        if self.min_peers < 0:
            return ("min_peers to be 0 or more", str(self.min_peers))
        reserved = {"alertname", "readiness", "readiness_id"} & set(self.synthetic_labels)
        if reserved:
            return ("synthetic_labels without the labels the probe sets (alertname, readiness, readiness_id)",
                    ", ".join(sorted(reserved)))
        return None


@dataclasses.dataclass
class AlertmanagerStatus:
    cluster_status: str  # "ready" | "settling" | "disabled"
    peers: int
    version: str
    uptime: str
    receivers: list[str]

    def cluster_ready(self, require_cluster: bool, min_peers: int = 0) -> bool:
        """Ready: not settling; with require_cluster, a formed cluster of at least min_peers."""
        if require_cluster:
            return self.cluster_status == "ready" and self.peers >= max(min_peers, 1)
        return self.cluster_status in ("ready", "disabled")

    def evidence(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# Alertmanager's own notification counters on /metrics, by family name (prometheus_client's text
# parser drops a counter's _total suffix). "attempts" and "failures" count notifications (one
# notification = all the retries of one integration for one group); "requests" and
# "failed_requests" count each request to the receiver's endpoint. A notification's failure is
# counted only when Alertmanager gives up retrying (at least 10 s later, up to group_interval),
# while its attempt is counted before the first request: attempts - failures alone would show a
# failing receiver as delivered for that long. Delivery is therefore read from the requests: a
# request that completed without failing.
_COUNTERS = {
    "alertmanager_notifications": "attempts",
    "alertmanager_notifications_failed": "failures",
    "alertmanager_notification_requests": "requests",
    "alertmanager_notification_requests_failed": "failed_requests",
}
RECEIVER_LABEL = "receiver_name"  # Alertmanager >= 0.27 with --enable-feature=receiver-name-in-metrics
# the `reason` label of alertmanager_notifications_failed_total (Alertmanager >= 0.26): what each
# value says about the receiver. Connection refused, DNS and TLS failures are all "other".
REASON_LABEL_SINCE = "0.26"
FAILURE_REASONS = {
    "serverError": "the receiver answered with an HTTP 5xx status",
    "clientError": "the receiver answered with an HTTP 4xx status (refused the request)",
    "other": "no HTTP answer (connection refused, DNS or TLS failure) or another error",
    "contextDeadlineExceededError": "the receiver did not answer in time",
    "contextCanceledError": "the notification was cancelled (Alertmanager stopped or gave up)",
}


@dataclasses.dataclass(frozen=True)
class NotificationCounters:
    """One read of Alertmanager's notification counters: (kind, integration, receiver, reason) ->
    value; receiver is "" when the running version has no receiver label, reason "" when the
    counter has none (only failures carry a reason, in newer versions)."""

    values: dict[tuple[str, str, str, str], float]
    instance: str = ""  # which Alertmanager process answered (cluster peer name, process start time)
    reason_label: bool = False  # the failure counter has a `reason` label (Alertmanager >= 0.26)

    @property
    def by_receiver(self) -> bool:
        return any(receiver for (_, _, receiver, _) in self.values)

    def integrations_of(self, receiver: str) -> set[str]:
        """The integrations the counters list for `receiver` (only with the receiver label)."""
        return {integration for (_, integration, name, _) in self.values if name == receiver}

    def total(self, kind: str, integration: str, receiver: str | None) -> float:
        return sum(value for (k, i, r, _), value in self.values.items()
                   if k == kind and i == integration and (receiver is None or r == receiver))

    def reasons(self, integration: str, receiver: str | None) -> dict[str, float]:
        out: dict[str, float] = {}
        for (k, i, r, reason), value in self.values.items():
            if k == "failures" and i == integration and reason and (receiver is None or r == receiver):
                out[reason] = out.get(reason, 0.0) + value
        return out


def parse_notification_counters(text: str) -> NotificationCounters:
    """Alertmanager's /metrics text -> its notification counters (prometheus_client's parser)."""
    values: dict[tuple[str, str, str, str], float] = {}
    peer = started = ""
    reason_label = False
    for family in text_string_to_metric_families(text):
        if family.name == "process_start_time_seconds" and family.samples:
            started = repr(family.samples[0].value)
        if family.name == "alertmanager_cluster_peer_info" and family.samples:
            peer = family.samples[0].labels.get("peer", "")
        kind = _COUNTERS.get(family.name)
        if kind is None:
            continue
        for sample in family.samples:
            if not sample.name.endswith("_total"):
                continue  # _created samples of the OpenMetrics format
            reason_label = reason_label or (kind == "failures" and "reason" in sample.labels)
            key = (kind, sample.labels.get("integration", ""), sample.labels.get(RECEIVER_LABEL, ""),
                   sample.labels.get("reason", ""))
            values[key] = values.get(key, 0.0) + float(sample.value)
    return NotificationCounters(values, f"{peer}@{started}" if peer or started else "", reason_label)


@dataclasses.dataclass
class IntegrationDelivery:
    """What Alertmanager's counters say about one integration of the expected receiver, counted
    from just before the synthetic alert was sent."""

    integration: str
    configs: int = 1            # how many `<integration>_configs` the receiver has
    attempts: float = 0.0
    failures: float = 0.0
    requests: float = 0.0
    failed_requests: float = 0.0
    failure_reasons: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def succeeded_requests(self) -> float:
        return self.requests - self.failed_requests

    def evidence(self) -> dict[str, Any]:
        out: dict[str, Any] = {"attempts": int(self.attempts), "failures": int(self.failures),
                               "requests": int(self.requests), "failed_requests": int(self.failed_requests)}
        if self.failure_reasons:
            out["failure_reasons"] = {k: int(v) for k, v in self.failure_reasons.items()}
        return out


@dataclasses.dataclass
class SyntheticAlert:
    """A synthetic alert sent by the probe, and what is known about its delivery."""

    labels: dict[str, str]
    starts_at: str
    accepted: bool = False
    active: bool = False
    receivers: list[str] = dataclasses.field(default_factory=list)
    expected_receiver: str | None = None
    seconds_to_confirm: float | None = None
    problem: str | None = None
    notified: bool = False
    method: str | None = None
    integrations: list[IntegrationDelivery] = dataclasses.field(default_factory=list)
    seconds_to_delivery: float | None = None
    failure_reason: str | None = None  # why notifications failed, as far as Alertmanager says

    @property
    def readiness_id(self) -> str:
        return self.labels["readiness_id"]

    @property
    def routed(self) -> bool:
        """Accepted, active, and routed to the expected receiver (or to any, if none is expected)."""
        if not (self.accepted and self.active and self.receivers):
            return False
        return self.expected_receiver is None or self.expected_receiver in self.receivers

    @property
    def delivered(self) -> bool:
        """Routed, and Alertmanager's own counters show a notification request to the receiver's
        every integration that did not fail ("routed" alone is not "delivered")."""
        return self.routed and self.notified

    def evidence(self) -> dict[str, Any]:
        return {"labels": dict(self.labels), "accepted": self.accepted, "active": self.active,
                "receivers": list(self.receivers), "expected_receiver": self.expected_receiver,
                "routed": self.routed, "delivered": self.delivered, "method": self.method,
                "attempts": int(sum(i.attempts for i in self.integrations)),
                "failures": int(sum(i.failures for i in self.integrations)),
                "integrations": {i.integration: i.evidence() for i in self.integrations},
                "seconds_to_confirm": self.seconds_to_confirm,
                "seconds_to_delivery": self.seconds_to_delivery, "failure_reason": self.failure_reason,
                "problem": self.problem}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AlertmanagerProbe(ApiClient[AlertmanagerSettings]):
    """A client of one Alertmanager (API v2)."""

    table = "alertmanager"
    kind = "alertmanager"
    settings: AlertmanagerSettings

    # ------------------------------------------------------------------ transport

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = self._send(method, path, **kwargs)
        if response.status_code >= 400:
            detail = response.text.strip()[:200]
            raise ProbeError(self._target(path), f"HTTP {response.status_code} {response.reason or ''}".rstrip()
                             + (f": {detail}" if detail else ""), self.secrets)
        return response

    def _json(self, path: str, **kwargs: Any) -> Any:
        response = self._request("GET", path, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise ProbeError(self._target(path), "not a JSON answer (is this an Alertmanager?)", self.secrets) from None

    # ------------------------------------------------------------------ read-only

    def ready(self) -> bool:
        return self._request("GET", "/-/ready").status_code == 200

    def status(self) -> AlertmanagerStatus:
        """/api/v2/status and /api/v2/receivers. The configuration text is never copied (it may
        hold secrets)."""
        data = self._json("/api/v2/status")
        receivers = self.receivers()
        cluster = data.get("cluster") or {}
        version = (data.get("versionInfo") or {}).get("version", "")
        return AlertmanagerStatus(cluster_status=str(cluster.get("status", "unknown")),
                                  peers=len(cluster.get("peers") or []), version=str(version),
                                  uptime=str(data.get("uptime", "")), receivers=receivers)

    def receivers(self) -> list[str]:
        return sorted(r.get("name", "") for r in self._json("/api/v2/receivers"))

    def missing_receivers(self, expected: list[str] | None = None) -> list[str]:
        """The expected receivers (default: settings.expected_receivers) that are not configured."""
        wanted = self.settings.expected_receivers if expected is None else expected
        have = set(self.receivers())
        return [name for name in wanted if name not in have]

    def alerts(self, matchers: dict[str, str] | None = None, active_only: bool = True) -> list[dict[str, Any]]:
        """/api/v2/alerts, filtered by exact label matchers."""
        params: list[tuple[str, str]] = [("filter", f'{k}="{v}"') for k, v in (matchers or {}).items()]
        if active_only:
            params += [("active", "true"), ("silenced", "false"), ("inhibited", "false")]
        out = []
        for alert in self._json("/api/v2/alerts", params=params):
            out.append({"labels": alert.get("labels", {}),
                        "state": (alert.get("status") or {}).get("state"),
                        "receivers": sorted(r.get("name", "") for r in alert.get("receivers") or []),
                        "starts_at": alert.get("startsAt"), "ends_at": alert.get("endsAt")})
        return out

    def notification_counters(self) -> NotificationCounters:
        """Alertmanager's notification counters from its /metrics."""
        return parse_notification_counters(self._request("GET", "/metrics").text)

    def receiver_integrations(self, receiver: str, status: dict[str, Any] | None = None) -> dict[str, int] | None:
        """The integrations of `receiver` in the running configuration (/api/v2/status
        config.original: `webhook_configs` -> webhook) with how many of each; None when the
        receiver is not in it. The configuration text is read here and never copied."""
        status = self._json("/api/v2/status") if status is None else status
        original = (status.get("config") or {}).get("original") or ""
        try:
            config = yaml.safe_load(original) or {}
        except yaml.YAMLError:
            raise ProbeError(self._target("/api/v2/status"), "the running configuration is not YAML",
                             self.secrets) from None
        for entry in config.get("receivers") or []:
            if isinstance(entry, dict) and entry.get("name") == receiver:
                return {key[: -len("_configs")]: len(value) for key, value in entry.items()
                        if key.endswith("_configs") and isinstance(value, list) and value}
        return None

    # ------------------------------------------------------------------ destructive

    def send_synthetic_alert(self, receiver: str | None = None, labels: dict[str, str] | None = None,
                             wait: bool = True, timeout_s: float | None = None) -> SyntheticAlert:
        """DESTRUCTIVE: post a synthetic alert carrying ``readiness="synthetic"`` and a unique
        ``readiness_id``, then (with `wait`) confirm its delivery (`confirm_delivery`). Never
        raises for a delivery problem: the result says what was and was not confirmed. No answer
        from Alertmanager itself raises NoAnswer (no evidence: the check errors)."""
        readiness_id = uuid.uuid4().hex[:12]
        all_labels = {**self.settings.synthetic_labels, **(labels or {}),
                      "alertname": SYNTHETIC_ALERTNAME, "readiness": "synthetic", "readiness_id": readiness_id}
        start = _now()
        alert = SyntheticAlert(labels=all_labels, starts_at=_iso(start),
                               expected_receiver=receiver or self.settings.synthetic_receiver)
        baseline: NotificationCounters | None = None
        if wait:
            try:
                baseline = self.notification_counters()
            except NoAnswer:
                raise  # no answer from Alertmanager: no evidence, the check errors (nothing was sent)
            except ProbeError as error:
                alert.problem = f"cannot read Alertmanager's notification counters before sending: {error}"
                return alert
        body = [{"labels": all_labels,
                 "annotations": {"summary": "pytest-launch synthetic alert: a readiness check of alert "
                                            "delivery; no action needed"},
                 "startsAt": alert.starts_at,
                 "endsAt": _iso(start + dt.timedelta(minutes=10)),
                 "generatorURL": "https://pytest-launch.invalid/synthetic"}]
        try:
            self._request("POST", "/api/v2/alerts", json=body)
        except NoAnswer:
            raise
        except ProbeError as error:
            alert.problem = f"not accepted: {error}"
            return alert
        alert.accepted = True
        if wait and baseline is not None:
            try:
                self.confirm_delivery(alert, baseline, timeout_s)
            except NoAnswer:
                with contextlib.suppress(ProbeError):
                    self.resolve_synthetic_alert(alert)
                raise
        return alert

    def confirm_delivery(self, alert: SyntheticAlert, baseline: NotificationCounters,
                         timeout_s: float | None = None) -> SyntheticAlert:
        """Within the delivery timeout (long enough for the route's group_wait): wait until
        /api/v2/alerts lists `alert` routed to its expected receiver, then until Alertmanager's
        counters (compared with `baseline`, read before sending) show a notification request to
        each of that receiver's integrations that did not fail. Updates and returns `alert`."""
        limit = self.settings.delivery_timeout_s if timeout_s is None else timeout_s
        began = time.monotonic()
        deadline = began + limit
        if not self._wait_routed(alert, deadline, limit):
            return alert
        alert.seconds_to_confirm = round(time.monotonic() - began, 3)
        # no expected receiver: every receiver the alert is routed to must be notified
        for receiver in [alert.expected_receiver] if alert.expected_receiver else list(alert.receivers):
            alert.notified = False
            try:
                self._wait_notified(alert, receiver, baseline, deadline, limit)
            except NoAnswer:
                raise
            except ProbeError as error:
                alert.problem = f"cannot confirm the notification to {receiver!r}: {error}"
            if not alert.notified:
                break
        if alert.notified:
            alert.seconds_to_delivery = round(time.monotonic() - began, 3)
        return alert

    def _wait_routed(self, alert: SyntheticAlert, deadline: float, limit: float) -> bool:
        found: list[dict[str, Any]] = []
        while True:
            try:
                found = self.alerts({"readiness_id": alert.readiness_id}, active_only=False)
                alert.problem = None
            except NoAnswer:
                raise
            except ProbeError as error:
                alert.problem = str(error)
            if found and found[0]["receivers"] and found[0]["state"] != "unprocessed":
                break
            if time.monotonic() >= deadline:
                if alert.problem is None:
                    alert.problem = f"the alert never appeared as active in /api/v2/alerts within {limit:g}s"
                return False
            time.sleep(_POLL_S)
        alert.receivers = found[0]["receivers"]
        alert.active = found[0]["state"] == "active"
        if not alert.active:
            alert.problem = (f"the alert is {found[0]['state']} (silenced or inhibited): Alertmanager "
                             "sends no notification for it")
            return False
        if not alert.routed:
            alert.problem = (f"routed to {', '.join(alert.receivers)}, expected {alert.expected_receiver!r}: "
                             "the route sends the alert elsewhere, so the expected receiver is never notified")
            return False
        return True

    def _wait_notified(self, alert: SyntheticAlert, receiver: str, baseline: NotificationCounters,
                       deadline: float, limit: float) -> None:
        status = self._json("/api/v2/status")
        version = str((status.get("versionInfo") or {}).get("version", "")) or "(unknown version)"
        peers = len((status.get("cluster") or {}).get("peers") or [])
        configured = self.receiver_integrations(receiver, status)
        by_receiver = baseline.by_receiver
        if by_receiver:
            alert.method = f"receiver counters ({RECEIVER_LABEL} label, Alertmanager {version})"
            names = baseline.integrations_of(receiver) | set(configured or {})
        else:
            alert.method = f"integration counters (no receiver label in Alertmanager {version})"
            names = set(configured or {})
        if not names:
            alert.problem = (f"receiver {receiver!r} has no integration (no *_configs) in the running "
                             "configuration: its notifications go nowhere" if configured is not None else
                             f"receiver {receiver!r} is not in the running configuration (/api/v2/status): "
                             "which integrations it notifies is unknown")
            return
        scope = receiver if by_receiver else None
        confirmed_once = False
        while True:
            now = self.notification_counters()
            if baseline.instance and now.instance != baseline.instance:
                alert.problem = (f"{self.base_url}/metrics was answered by another Alertmanager instance than "
                                 "before the alert was sent (a load balancer, or a restart): the counters cannot "
                                 "be compared; point [alertmanager] url at one instance")
                return
            alert.integrations = [self._delta(name, (configured or {}).get(name, 1), baseline, now, scope)
                                  for name in sorted(names)]
            failed = [i for i in alert.integrations if self._failed(i, by_receiver)]
            if failed:
                alert.failure_reason = self._failure_reason(failed, now.reason_label, version)
                alert.problem = self._failure_message(receiver, failed, alert.method, by_receiver, version,
                                                      alert.failure_reason)
                return
            if all(i.succeeded_requests >= i.configs for i in alert.integrations):
                if confirmed_once:  # seen on two reads: a failure counted just after its request is not missed
                    alert.notified = True
                    return
                confirmed_once = True
            if time.monotonic() >= deadline:
                break
            time.sleep(_POLL_S)
        started = [i.integration for i in alert.integrations if i.attempts or i.requests]
        if started:
            alert.problem = (f"a notification to {receiver!r} ({', '.join(started)}) was started but no "
                             f"request to it succeeded within {limit:g}s")
        else:
            alert.problem = (f"no notification to {receiver!r} was attempted within {limit:g}s (Alertmanager's "
                             f"counters for {', '.join(sorted(names))} did not move; is the route's group_wait "
                             "longer than delivery_timeout_s?")
            if peers > 1:
                alert.problem += (f" In a cluster of {peers} peers an instance waits its position times the peer "
                                  "timeout (15 s by default) before it sends: delivery_timeout_s must cover that")
            alert.problem += ")"

    @staticmethod
    def _delta(name: str, configs: int, before: NotificationCounters, after: NotificationCounters,
               receiver: str | None) -> IntegrationDelivery:
        def moved(kind: str) -> float:
            return max(after.total(kind, name, receiver) - before.total(kind, name, receiver), 0.0)

        reasons = {reason: value - before.reasons(name, receiver).get(reason, 0.0)
                   for reason, value in after.reasons(name, receiver).items()}
        return IntegrationDelivery(name, configs, moved("attempts"), moved("failures"), moved("requests"),
                                   moved("failed_requests"), {k: v for k, v in reasons.items() if v > 0})

    @staticmethod
    def _failed(integration: IntegrationDelivery, by_receiver: bool) -> bool:
        """Definitely not delivered. Per receiver: Alertmanager gave up (a failed notification)
        before enough requests succeeded (a failed request may still be retried). Per integration
        only: any failed request, since it cannot be told apart from another receiver's."""
        if by_receiver:
            return integration.failures > 0 and integration.succeeded_requests < integration.configs
        return integration.failed_requests > 0

    @staticmethod
    def _failure_reason(failed: list[IntegrationDelivery], reason_label: bool, version: str) -> str:
        """Why the notifications failed, as far as this Alertmanager can say (never the webhook
        URL, a secret: only the counters' reason label is read)."""
        reasons = sorted({reason for i in failed for reason in i.failure_reasons})
        if reasons:
            return "; ".join(f"{r}: {FAILURE_REASONS.get(r, 'see Alertmanager log')}" for r in reasons)
        if reason_label:
            return ("not counted yet: Alertmanager counts a failure's reason only when it gives up retrying; "
                    "its log says why the requests failed")
        return (f"unknown: Alertmanager {version} cannot tell a receiver that refuses connections from one that "
                f"answers an error (its alertmanager_notifications_failed_total has no reason label; "
                f"Alertmanager {REASON_LABEL_SINCE} and later label each failure clientError, serverError or "
                "other); its log says which")

    @staticmethod
    def _failure_message(receiver: str, failed: list[IntegrationDelivery], method: str | None,
                         by_receiver: bool, version: str, failure_reason: str | None = None) -> str:
        parts = []
        for i in failed:
            text = f"{i.integration}: {int(i.failed_requests)} of {int(i.requests)} notification request(s) failed"
            if i.failures:
                text += f", and Alertmanager gave up on {int(i.failures)} notification(s)"
            if i.failure_reasons:
                text += " (reason: " + ", ".join(sorted(i.failure_reasons)) + ")"
            parts.append(text)
        message = f"receiver {receiver!r} was not notified (routed, but not delivered): " + "; ".join(parts)
        if not by_receiver:
            message += (f" [{method}: a failure of this integration for any receiver counts]")
        else:
            message += f" [{method}]"
        if failure_reason:
            message += f"; why: {failure_reason}"
        return message

    def resolve_synthetic_alert(self, alert: SyntheticAlert) -> None:
        """DESTRUCTIVE: end the synthetic alert now (receivers with send_resolved get notified)."""
        body = [{"labels": alert.labels, "startsAt": alert.starts_at, "endsAt": _iso(_now()),
                 "generatorURL": "https://pytest-launch.invalid/synthetic"}]
        self._request("POST", "/api/v2/alerts", json=body)
