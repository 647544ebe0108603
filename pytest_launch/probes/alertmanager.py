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

Delivery is confirmed through the API: the alert is listed by /api/v2/alerts as active and
routed to the expected receiver. (Whether the receiver's endpoint accepted the notification is
visible only at the receiver; the test bed checks that with a local webhook server.)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
import uuid
from typing import Any

import requests

from pytest_launch.probes.errors import ProbeError
from pytest_launch.probes.api_client import ApiClient, ApiSettings

SYNTHETIC_ALERTNAME = "LaunchReadinessSynthetic"


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
        if self.delivery_timeout_s <= 0:
            return ("delivery_timeout_s to be more than 0 seconds", str(self.delivery_timeout_s))
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

    @property
    def readiness_id(self) -> str:
        return self.labels["readiness_id"]

    @property
    def delivered(self) -> bool:
        """Accepted, active, and routed to the expected receiver (or to any, if none is expected)."""
        if not (self.accepted and self.active and self.receivers):
            return False
        return self.expected_receiver is None or self.expected_receiver in self.receivers

    def evidence(self) -> dict[str, Any]:
        return {"labels": dict(self.labels), "accepted": self.accepted, "active": self.active,
                "receivers": list(self.receivers), "expected_receiver": self.expected_receiver,
                "delivered": self.delivered, "seconds_to_confirm": self.seconds_to_confirm,
                "problem": self.problem}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AlertmanagerProbe(ApiClient):
    """A client of one Alertmanager (API v2)."""

    table = "alertmanager"
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

    # ------------------------------------------------------------------ destructive

    def send_synthetic_alert(self, receiver: str | None = None, labels: dict[str, str] | None = None,
                             wait: bool = True, timeout_s: float | None = None) -> SyntheticAlert:
        """DESTRUCTIVE: post a synthetic alert carrying ``readiness="synthetic"`` and a unique
        ``readiness_id``, then (with `wait`) poll /api/v2/alerts until it is active and routed to
        `receiver` (default: settings.synthetic_receiver), or until the timeout. Never raises for
        a delivery problem: the result says what was and was not confirmed."""
        readiness_id = uuid.uuid4().hex[:12]
        all_labels = {**self.settings.synthetic_labels, **(labels or {}),
                      "alertname": SYNTHETIC_ALERTNAME, "readiness": "synthetic", "readiness_id": readiness_id}
        start = _now()
        alert = SyntheticAlert(labels=all_labels, starts_at=_iso(start),
                               expected_receiver=receiver or self.settings.synthetic_receiver)
        body = [{"labels": all_labels,
                 "annotations": {"summary": "pytest-launch synthetic alert: a readiness check of alert "
                                            "delivery; no action needed"},
                 "startsAt": alert.starts_at,
                 "endsAt": _iso(start + dt.timedelta(minutes=10)),
                 "generatorURL": "https://pytest-launch.invalid/synthetic"}]
        try:
            self._request("POST", "/api/v2/alerts", json=body)
        except ProbeError as error:
            alert.problem = f"not accepted: {error}"
            return alert
        alert.accepted = True
        if wait:
            self.confirm_delivery(alert, timeout_s)
        return alert

    def confirm_delivery(self, alert: SyntheticAlert, timeout_s: float | None = None) -> SyntheticAlert:
        """Poll until `alert` is active and routed to its expected receiver (updates `alert`)."""
        limit = self.settings.delivery_timeout_s if timeout_s is None else timeout_s
        began = time.monotonic()
        deadline = began + limit
        while True:
            try:
                found = self.alerts({"readiness_id": alert.readiness_id})
                alert.problem = None
            except ProbeError as error:
                found = []
                alert.problem = str(error)
            if found:
                alert.active = found[0]["state"] == "active"
                alert.receivers = found[0]["receivers"]
            if alert.delivered:
                alert.seconds_to_confirm = round(time.monotonic() - began, 3)
                return alert
            if time.monotonic() >= deadline:
                break
            time.sleep(0.2)
        if alert.problem is None:
            if not found:
                alert.problem = f"the alert never appeared as active in /api/v2/alerts within {limit:g}s"
            else:
                alert.problem = (f"the alert is routed to {alert.receivers or 'no receiver'}, not to "
                                 f"{alert.expected_receiver!r} (within {limit:g}s)")
        return alert

    def resolve_synthetic_alert(self, alert: SyntheticAlert) -> None:
        """DESTRUCTIVE: end the synthetic alert now (receivers with send_resolved get notified)."""
        body = [{"labels": alert.labels, "startsAt": alert.starts_at, "endsAt": _iso(_now()),
                 "generatorURL": "https://pytest-launch.invalid/synthetic"}]
        self._request("POST", "/api/v2/alerts", json=body)
