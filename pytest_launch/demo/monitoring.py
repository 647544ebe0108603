"""The demo's monitoring: a real Prometheus scraping both app instances over HTTPS, with alert
rules for the SLIs, and a real Alertmanager whose receiver is the app's webhook (a pager
stand-in). Started only when the binaries are installed (Debian: prometheus,
prometheus-alertmanager); scrape and evaluation interval 1 s so data exists within seconds.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import requests

from pytest_launch.demo.environment import terminate, wait_for

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
receivers:
  - name: catalog-oncall
    webhook_configs:
      - url: {webhook}
        send_resolved: true
        http_config:
          tls_config:
            ca_file: {ca_file}
            server_name: {hostname}
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
                     alertmanager: bool = True) -> Monitoring:
    """Spawn Alertmanager and Prometheus (each when wanted and installed); `.wait()` on the
    result until Prometheus has scraped every app instance once."""
    prometheus_bin = _binary("prometheus") if prometheus else None
    alertmanager_bin = _binary("prometheus-alertmanager", "alertmanager") if alertmanager else None
    am_url = prom_url = None
    am_port = None
    if alertmanager_bin:
        am_port = _free_port()
        folder = workdir / "alertmanager"
        folder.mkdir(exist_ok=True)
        config = folder / "alertmanager.yml"
        config.write_text(ALERTMANAGER_CONFIG.format(webhook=webhook_url, ca_file=ca_bundle, hostname=HOSTNAME))
        _spawn([alertmanager_bin, f"--config.file={config}", f"--storage.path={folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{am_port}", "--cluster.listen-address=",
                "--log.level=warn"], folder / "alertmanager.log", stoppers)
        am_url = f"http://127.0.0.1:{am_port}"
    if prometheus_bin:
        port = _free_port()
        folder = workdir / "prometheus"
        folder.mkdir(exist_ok=True)
        rules = folder / "rules.yml"
        rules.write_text(ALERT_RULES)
        config = folder / "prometheus.yml"
        config.write_text(PROMETHEUS_CONFIG.format(
            rules=rules, ca_file=ca_bundle, hostname=HOSTNAME,
            alerting=ALERTING.format(port=am_port) if am_port else "",
            targets=", ".join(f'"127.0.0.1:{p}"' for p in app_ports)))
        _spawn([prometheus_bin, f"--config.file={config}", f"--storage.tsdb.path={folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=1h",
                "--log.level=warn"], folder / "prometheus.log", stoppers)
        prom_url = f"http://127.0.0.1:{port}"
    logs = {"alertmanager": workdir / "alertmanager" / "alertmanager.log",
            "prometheus": workdir / "prometheus" / "prometheus.log"}
    return Monitoring(prom_url, am_url, len(app_ports), logs)


def _has_rates(url: str) -> bool:
    try:
        answer = requests.get(f"{url}/api/v1/query", params={"query": "sum(rate(http_requests_total[1m]))"},
                              timeout=1).json()
    except (requests.RequestException, ValueError):
        return False
    return bool(answer.get("data", {}).get("result"))


def wait_monitoring_ready(prometheus_url: str, targets: int, timeout: float = 20.0) -> None:
    """Wait until Prometheus at `prometheus_url` reports `targets` targets up and has scraped
    twice (so that rates, and the demo's SLI queries, have data)."""
    wait_for(lambda: _targets_up(prometheus_url, targets), timeout, "Prometheus scraping the app")
    wait_for(lambda: _has_rates(prometheus_url), timeout, "Prometheus rates of the app's requests")
