"""Test bed: a real Prometheus (Debian package `prometheus`) on 127.0.0.1, scraping a local
exporter (prometheus-client in a thread) whose values the tests control.

Fixtures (session-scoped, started once and shared):

- ``prometheus_server``: a `PrometheusServer` with ``url``, ``exporter`` and ``settings(**kw)``
  (a PrometheusSettings pointing at it). Scrape and rule-evaluation interval 1 s, so tests use
  short windows (``over 10s``) and wait with ``wait_until``, never a fixed long sleep.

The exporter simulates services: ``exporter.traffic("svc", rps=100, error_ratio=0.01, ...)``
keeps counters of requests (by code), payments (by outcome) and a latency histogram moving
every 0.1 s; gauges are set directly (``exporter.queue_depth.labels(service="svc").set(3)``).
Each test uses its own ``service`` label, so tests sharing the server do not disturb each other.

The rule file holds alert rules for a high error rate (``HighErrorRate``, > 5 %) and a
recording rule, so checks of "an alert rule exists" and "alerts fire" run against real data.
"""

from __future__ import annotations

import dataclasses
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from testbed.support import free_port, refusing_socket, require_binary, terminate, wait_until

ALERT_RULES = """\
groups:
  - name: readiness
    interval: 1s
    rules:
      - alert: HighErrorRate
        expr: |
          sum by (service) (rate(app_requests_total{code="500"}[10s]))
            / sum by (service) (rate(app_requests_total[10s])) > 0.05
        for: 0s
        labels:
          severity: page
        annotations:
          summary: "error rate above 5% for {{ $labels.service }}"
      - record: service:app_requests:rate10s
        expr: sum by (service) (rate(app_requests_total[10s]))
"""

CONFIG = """\
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - {rules}
scrape_configs:
  - job_name: app
    static_configs:
      - targets: ["127.0.0.1:{exporter_port}"]
  - job_name: unreachable
    static_configs:
      - targets: ["127.0.0.1:{dead_port}"]
"""


@dataclasses.dataclass
class TrafficProfile:
    rps: float = 100.0
    error_ratio: float = 0.0
    latency_s: float = 0.05
    payments_ps: float = 10.0
    payment_success: float = 1.0


class Exporter:
    """prometheus-client metrics served on a free port, plus a traffic simulator thread."""

    TICK_S = 0.1

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("app_requests", "requests served", ["service", "code"], registry=self.registry)
        self.payments = Counter("app_payments", "payments attempted", ["service", "outcome"], registry=self.registry)
        self.duration = Histogram("app_request_duration_seconds", "request latency", ["service"],
                                  buckets=(0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 5.0),
                                  registry=self.registry)
        self.latency_ms = Gauge("app_latency_ms", "latest request latency in ms", ["service"], registry=self.registry)
        self.queue_depth = Gauge("app_queue_depth", "jobs waiting", ["service"], registry=self.registry)
        self.ratio = Gauge("app_ratio", "a ratio the test sets (may be NaN)", ["service"], registry=self.registry)
        self.port = free_port()
        self._server, self._server_thread = start_http_server(self.port, addr="127.0.0.1", registry=self.registry)
        self._profiles: dict[str, TrafficProfile] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="exporter-traffic", daemon=True)
        self._thread.start()

    def traffic(self, service: str, **profile: Any) -> None:
        """Start (or change) the simulated traffic of `service`."""
        with self._lock:
            self._profiles[service] = TrafficProfile(**profile)

    def stop_traffic(self, service: str) -> None:
        with self._lock:
            self._profiles.pop(service, None)

    def _run(self) -> None:
        while not self._stop.wait(self.TICK_S):
            with self._lock:
                profiles = dict(self._profiles)
            for service, p in profiles.items():
                count = p.rps * self.TICK_S
                self.requests.labels(service=service, code="200").inc(count * (1 - p.error_ratio))
                self.requests.labels(service=service, code="500").inc(count * p.error_ratio)
                self.duration.labels(service=service).observe(p.latency_s)
                self.latency_ms.labels(service=service).set(p.latency_s * 1000)
                paid = p.payments_ps * self.TICK_S
                self.payments.labels(service=service, outcome="success").inc(paid * p.payment_success)
                self.payments.labels(service=service, outcome="failure").inc(paid * (1 - p.payment_success))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._server.shutdown()
        self._server.server_close()


@dataclasses.dataclass
class PrometheusServer:
    url: str
    port: int
    exporter: Exporter
    dead_port: int
    log: Path

    def settings(self, **overrides: Any) -> Any:
        from pytest_launch.probes.prometheus import PrometheusSettings

        values: dict[str, Any] = {"url": self.url, "timeout_s": 5.0, "step": "1s", "default_window": "10s"}
        values.update(overrides)
        return PrometheusSettings(**values)

    def probe(self, **overrides: Any) -> Any:
        from pytest_launch.probes.prometheus import PrometheusProbe

        return PrometheusProbe(self.settings(**overrides))

    def has_data(self, promql: str) -> bool:
        answer = requests.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=2).json()
        return bool(answer.get("data", {}).get("result"))


def _target_up(url: str, job: str) -> bool:
    answer = requests.get(f"{url}/api/v1/targets", timeout=2).json()
    return any(t["labels"].get("job") == job and t["health"] == "up" for t in answer["data"]["activeTargets"])


@pytest.fixture(scope="session")
def prometheus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    binary = require_binary("prometheus", "prometheus")
    workdir = tmp_path_factory.mktemp("prometheus")
    exporter = Exporter()
    dead_socket = refusing_socket()  # held for the session: a target that stays down
    dead_port = dead_socket.getsockname()[1]
    rules = workdir / "rules.yml"
    rules.write_text(ALERT_RULES)
    config = workdir / "prometheus.yml"
    config.write_text(CONFIG.format(rules=rules, exporter_port=exporter.port, dead_port=dead_port))
    port = free_port()
    log = workdir / "prometheus.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={workdir / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--web.enable-lifecycle",
             "--storage.tsdb.retention.time=1h", "--log.level=warn"],
            stdout=log_file, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: requests.get(f"{url}/-/ready", timeout=1).status_code == 200,
                   timeout=30, what="prometheus", log=log)
        wait_until(lambda: _target_up(url, "app"), timeout=20, what="prometheus scraping the exporter", log=log)
        yield PrometheusServer(url=url, port=port, exporter=exporter, dead_port=dead_port, log=log)
    finally:
        terminate(process)
        exporter.close()
        dead_socket.close()


def wait_for_data(server: PrometheusServer, promql: str, timeout: float = 20.0) -> None:
    """Wait until `promql` returns a series (the exporter's values were scraped)."""
    wait_until(lambda: server.has_data(promql), timeout=timeout, what=f"data for {promql}", log=server.log)
