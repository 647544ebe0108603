"""The demo's monitoring: a real Prometheus scraping both app instances over HTTPS, with alert
rules for the SLIs, and a real Alertmanager whose receiver is the app's webhook (a pager
stand-in). Started only when the binaries are installed (Debian: prometheus,
prometheus-alertmanager); scrape and evaluation interval 1 s so data exists within seconds.

With Prometheus, the demo also runs what launch day measures: synthetic visitors browsing the
app (pytest_launch.demo.traffic: real requests, so the error rate and latency are real) and
the simulated launch metrics the book catalog does not have (pytest_launch.demo.launch_metrics:
payments, registrations, uploads, CDN, database, pods' CPU and memory, ...), scraped as the job
`demo-launch-metrics`. Without Prometheus none of them runs: the launch-day and T+1 checks then
cannot be evaluated and block (no [prometheus] table: missing evidence, never a pass).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import requests

from pytest_launch.demo.launch_metrics import JOB as LAUNCH_METRICS_JOB_NAME
from pytest_launch.demo.launch_metrics import start_launch_metrics
from pytest_launch.demo.processes import refusing_socket, terminate, wait_for
from pytest_launch.demo.servers import DemoWSGIServer
from pytest_launch.demo.traffic import SyntheticVisitors

HOSTNAME = "demo.launch.test"

# The demo environment's [prometheus] table, after its url (written into the generated layer).
PROMETHEUS_TABLE = """\
step = "5s"
default_window = "1m"
min_samples = 1
expected_jobs = ["catalog"]
expected_alerts = ["CatalogHighErrorRate", "CatalogHighLatencyP95", "CatalogInstanceDown"]

[prometheus.queries]
# "or vector(0)": no 5xx at all is a 0 % error rate, not a query without data
error_rate = '(sum(rate(http_requests_total{code=~"5..",{labels}}[{window}])) or vector(0)) / sum(rate(http_requests_total{{labels}}[{window}]))'
latency = 'histogram_quantile({quantile}, sum by (le) (rate(http_request_duration_seconds_bucket{{labels}}[{window}])))'
availability = 'avg(avg_over_time(up{job="catalog",{labels}}[{window}]))'
request_rate = 'sum(rate(http_requests_total{{labels}}[{window}]))'
# the pods and the database (simulated in the demo; the same templates as prod.example.toml,
# whose comments say how to map them); business metrics: [rollout.metrics], [success.metrics]
cpu = 'max(sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="catalog",container!="",{labels}}[10s])))'
memory_utilisation = 'max(container_memory_working_set_bytes{namespace="catalog",container!="",{labels}} / (container_spec_memory_limit_bytes{namespace="catalog",container!="",{labels}} > 0))'
db_query_latency = 'histogram_quantile({quantile}, sum by (le) (rate(db_query_duration_seconds_bucket{{labels}}[{window}])))'
"""

ALERT_RULES = """\
groups:
  - name: catalog-slis
    interval: 1s
    rules:
      - alert: CatalogHighErrorRate
        expr: |
          sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m])) > 0.001
        for: 5m
        labels: {severity: page, service: catalog}
        annotations: {summary: "catalog 5xx error rate above 0.1%"}
      - alert: CatalogHighLatencyP95
        expr: |
          histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) > 0.5
        for: 10m
        labels: {severity: page, service: catalog}
        annotations: {summary: "catalog p95 latency above 500 ms"}
      - alert: CatalogInstanceDown
        expr: up{job="catalog"} == 0
        for: 1m
        labels: {severity: page, service: catalog}
        annotations: {summary: "a catalog instance is down"}
"""

PROMETHEUS_CONFIG = """\
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - {rules}
{alerting}
scrape_configs:
  - job_name: catalog
    scheme: https
    tls_config:
      ca_file: {ca_file}
      server_name: {hostname}
    static_configs:
      - targets: [{targets}]
{extra_jobs}"""

LAUNCH_METRICS_JOB = """\
  - job_name: {job}
    static_configs:
      - targets: ["127.0.0.1:{port}"]
"""

ALERTING = """\
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["127.0.0.1:{port}"]
"""

ALERTMANAGER_CONFIG = """\
route:
  receiver: catalog-oncall
  group_by: [alertname]
  group_wait: 1s
  group_interval: 5s
  repeat_interval: 1h
{routes}receivers:
  - name: catalog-oncall
    webhook_configs:
      - url: {webhook}
        send_resolved: true
        http_config:
          tls_config:
            ca_file: {ca_file}
            server_name: {hostname}
  - name: catalog-team-chat
    webhook_configs:
      - url: {chat_webhook}
        http_config:
          tls_config:
            ca_file: {ca_file}
            server_name: {hostname}
"""
# alert_routed_elsewhere: a route that sends the synthetic alert to the team chat (a receiver
# that works), never to the on-call receiver
ROUTE_ELSEWHERE = """\
  routes:
    - matchers: ['readiness="synthetic"']
      receiver: catalog-team-chat
"""
# the faults of the on-call receiver: its endpoint refuses connections, or answers 500
ALERT_FAULTS = frozenset({"alert_receiver_down", "alert_receiver_500", "alert_routed_elsewhere"})


def _failing_receiver(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
    return [b"the pager integration is broken\n"]


def _oncall_webhook(webhook_url: str, faults: frozenset[str], stoppers: list[Any]) -> str:
    """The on-call receiver's URL: the app's webhook, or a broken one for the alert faults."""
    if "alert_receiver_down" in faults:
        refused = refusing_socket()
        stoppers.append(refused.close)
        return f"https://127.0.0.1:{refused.getsockname()[1]}/hooks/alertmanager"
    if "alert_receiver_500" in faults:
        server = DemoWSGIServer(_failing_receiver, tls=None, server_header="pager").start()
        stoppers.append(server.stop)
        return f"http://127.0.0.1:{server.port}/hooks/alertmanager"
    return webhook_url


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _binary(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name, path="/usr/bin:/usr/local/bin:/usr/sbin:/bin")
        if found:
            return found
    return None


def _ready(url: str) -> bool:
    try:
        return requests.get(f"{url}/-/ready", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _targets_up(url: str, count: int) -> bool:
    try:
        data = requests.get(f"{url}/api/v1/targets", timeout=1).json()["data"]["activeTargets"]
    except (requests.RequestException, ValueError, KeyError):
        return False
    return sum(1 for t in data if t.get("health") == "up") >= count


def _spawn(command: list[str], log: Path, stoppers: list[Any]) -> subprocess.Popen[bytes]:
    with log.open("wb") as log_file:
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    stoppers.append(lambda: terminate(process))
    return process


class Monitoring:
    """Started processes' URLs; `wait()` blocks until they are ready (so the rest of the demo
    starts meanwhile)."""

    def __init__(self, prometheus_url: str | None, alertmanager_url: str | None, targets: int,
                 logs: dict[str, Path]) -> None:
        self.prometheus_url = prometheus_url
        self.alertmanager_url = alertmanager_url
        self.targets = targets
        self.logs = logs

    def wait(self) -> tuple[str | None, str | None]:
        am_url, prom_url = self.alertmanager_url, self.prometheus_url
        if am_url:
            wait_for(lambda: _ready(am_url), 20, "Alertmanager", self.logs["alertmanager"])
        if prom_url:
            wait_for(lambda: _ready(prom_url), 20, "Prometheus", self.logs["prometheus"])
            wait_for(lambda: _targets_up(prom_url, self.targets), 20, "Prometheus scraping the app",
                     self.logs["prometheus"])
        return prom_url, am_url


def start_monitoring(workdir: Path, app_ports: list[int], webhook_url: str, ca_bundle: str,
                     stoppers: list[Any], prometheus: bool = True,
                     alertmanager: bool = True, faults: Iterable[str] = ()) -> Monitoring:
    """Spawn Alertmanager and Prometheus (each when wanted and installed); `.wait()` on the
    result until Prometheus has scraped every app instance once. With Prometheus, also start
    the synthetic visitors and the simulated launch metrics (`faults`: SIMULATED_FAULTS and
    `api_errors` shape them)."""
    prometheus_bin = _binary("prometheus") if prometheus else None
    alertmanager_bin = _binary("prometheus-alertmanager", "alertmanager") if alertmanager else None
    am_url = prom_url = None
    am_port = None
    targets = len(app_ports)
    if alertmanager_bin:
        am_port = _free_port()
        folder = workdir / "alertmanager"
        folder.mkdir(exist_ok=True)
        config = folder / "alertmanager.yml"
        fault_set = frozenset(faults)
        config.write_text(ALERTMANAGER_CONFIG.format(
            webhook=_oncall_webhook(webhook_url, fault_set, stoppers), chat_webhook=webhook_url,
            routes=ROUTE_ELSEWHERE if "alert_routed_elsewhere" in fault_set else "",
            ca_file=ca_bundle, hostname=HOSTNAME))
        _spawn([alertmanager_bin, f"--config.file={config}", f"--storage.path={folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{am_port}", "--cluster.listen-address=",
                "--log.level=warn"], folder / "alertmanager.log", stoppers)
        am_url = f"http://127.0.0.1:{am_port}"
    if prometheus_bin:
        metrics_port = start_launch_metrics(faults, stoppers)
        visitors = SyntheticVisitors([f"https://127.0.0.1:{p}" for p in app_ports], ca_bundle).start()
        stoppers.append(visitors.stop)
        targets += 1
        port = _free_port()
        folder = workdir / "prometheus"
        folder.mkdir(exist_ok=True)
        rules = folder / "rules.yml"
        rules.write_text(ALERT_RULES)
        config = folder / "prometheus.yml"
        config.write_text(PROMETHEUS_CONFIG.format(
            rules=rules, ca_file=ca_bundle, hostname=HOSTNAME,
            alerting=ALERTING.format(port=am_port) if am_port else "",
            targets=", ".join(f'"127.0.0.1:{p}"' for p in app_ports),
            extra_jobs=LAUNCH_METRICS_JOB.format(job=LAUNCH_METRICS_JOB_NAME, port=metrics_port)))
        _spawn([prometheus_bin, f"--config.file={config}", f"--storage.tsdb.path={folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=1h",
                "--log.level=warn"], folder / "prometheus.log", stoppers)
        prom_url = f"http://127.0.0.1:{port}"
    logs = {"alertmanager": workdir / "alertmanager" / "alertmanager.log",
            "prometheus": workdir / "prometheus" / "prometheus.log"}
    return Monitoring(prom_url, am_url, targets, logs)


def _points(url: str, query: str, seconds: int) -> int:
    """How many 1-second points `query` has over the last `seconds` (0 on any problem)."""
    import time

    end = time.time()
    try:
        params: dict[str, Any] = {"query": query, "start": end - seconds, "end": end, "step": 1}
        answer = requests.get(f"{url}/api/v1/query_range", timeout=2, params=params).json()
        return max((len(s.get("values", [])) for s in answer["data"]["result"]), default=0)
    except (requests.RequestException, ValueError, KeyError, TypeError):
        return 0


# what the demo's launch-day and T+1 windows need before a run measures them: this many
# 1-second points of the app's request rate and of the simulated launch metrics (demo.toml asks
# for min_samples = 3 at step = "1s")
HISTORY_POINTS = 5
HISTORY_QUERIES = (
    "sum(rate(http_requests_total[30s]))",
    f'sum(rate(payments_total{{job="{LAUNCH_METRICS_JOB_NAME}"}}[30s]))',
)


def _job_present(url: str, job: str) -> bool:
    try:
        data = requests.get(f"{url}/api/v1/targets", timeout=1).json()["data"]["activeTargets"]
    except (requests.RequestException, ValueError, KeyError):
        return False
    return any(t.get("labels", {}).get("job") == job for t in data)


def _has_history(url: str, queries: Iterable[str]) -> bool:
    return all(_points(url, query, 30) >= HISTORY_POINTS for query in queries)


def wait_monitoring_ready(prometheus_url: str, targets: int, timeout: float = 20.0) -> None:
    """Wait until Prometheus at `prometheus_url` reports `targets` app targets up (plus the
    simulated launch metrics when it scrapes them) and holds a few seconds of rates of the
    app's requests and of the launch metrics (so the demo's SLI queries and its short
    launch-day and T+1 windows have data)."""
    wait_for(lambda: _targets_up(prometheus_url, targets), timeout, "Prometheus scraping the app")
    queries = list(HISTORY_QUERIES[:1])
    if _job_present(prometheus_url, LAUNCH_METRICS_JOB_NAME):  # discovered with the app's targets
        queries = list(HISTORY_QUERIES)
        wait_for(lambda: _targets_up(prometheus_url, targets + 1), timeout, "Prometheus scraping the launch metrics")
    wait_for(lambda: _has_history(prometheus_url, queries), timeout,
             "Prometheus history of the app's requests and the launch metrics")
