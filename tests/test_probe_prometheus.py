"""The Prometheus probe against a real Prometheus scraping a local exporter (tests/testbed)."""

from __future__ import annotations

import json
import math
import time

import pytest

from pytest_launch.core.errors import ConfigError
from pytest_launch.core.settings import build
from pytest_launch.probes.errors import ProbeError
from pytest_launch.probes.prometheus import PrometheusProbe, PrometheusSettings, QueryResult
from testbed.prometheus import wait_for_data
from testbed.support import wait_until


@pytest.fixture(scope="module")
def probe(prometheus_server):
    with prometheus_server.probe() as p:
        yield p


def test_ready(probe):
    assert probe.ready() is True


def test_instant_query_returns_the_exporters_value(prometheus_server, probe):
    prometheus_server.exporter.queue_depth.labels(service="probe-instant").set(7)
    query = 'app_queue_depth{service="probe-instant"}'
    wait_until(lambda: probe.query(query).value == 7.0, timeout=10, what="the gauge scraped")
    result = probe.query(query)
    assert result.status == "ok"
    assert result.sample_count == 1
    assert result.series[0]["labels"]["service"] == "probe-instant"
    json.dumps(result.evidence())  # built-in types only


def test_empty_result_is_no_data_never_a_value(probe):
    result = probe.query('app_queue_depth{service="nobody-sets-this"}')
    assert result.status == "no_data"
    assert result.value is None
    assert "no series" in result.error


def test_nan_is_no_data(prometheus_server, probe):
    prometheus_server.exporter.ratio.labels(service="probe-nan").set(float("nan"))
    query = 'app_ratio{service="probe-nan"}'
    wait_for_data(prometheus_server, query)
    result = probe.query(query)
    assert result.status == "no_data"
    assert result.value is None
    assert "NaN" in result.error
    assert result.evidence()["series"][0]["latest"] == "NaN"


def test_division_by_zero_is_no_data(probe):
    result = probe.query("vector(0) / vector(0)")
    assert result.status == "no_data"
    assert result.value is None


def test_bad_promql_is_an_error_with_the_reason(probe):
    result = probe.query("sum(rate(app_requests_total[5m]")
    assert result.status == "error"
    assert result.value is None
    assert "bad_data" in result.error and "/api/v1/query" in result.error


def test_range_query_counts_samples_and_asks_for_enough(prometheus_server, probe):
    prometheus_server.exporter.queue_depth.labels(service="probe-range").set(3)
    query = 'app_queue_depth{service="probe-range"}'
    wait_for_data(prometheus_server, query)
    wait_until(lambda: probe.query_range(query, time.time() - 3, time.time(), 1, min_samples=3).ok,
               timeout=15, what="three samples")
    now = time.time()
    enough = probe.query_range(query, now - 3, now, "1s", min_samples=3)
    assert enough.status == "ok" and enough.sample_count >= 3 and enough.value == 3.0
    too_many = probe.query_range(query, now - 3, now, "1s", min_samples=1000)
    assert too_many.status == "no_data"
    assert too_many.value is None
    assert "fewer than the 1000 asked for" in too_many.error


def test_targets_report_up_and_down(prometheus_server, probe):
    wait_until(lambda: any(t["job"] == "unreachable" and t["health"] == "down" for t in probe.targets()),
               timeout=15, what="the dead target marked down")
    targets = {t["job"]: t for t in probe.targets()}
    assert targets["app"]["health"] == "up"
    down = probe.targets_down()
    assert [t["job"] for t in down] == ["unreachable"]
    assert down[0]["last_error"]
    assert probe.targets_down(["app"]) == []
    missing = probe.targets_down(["app", "payments"])
    assert [(t["job"], t["health"]) for t in missing] == [("payments", "missing")]


def test_alert_rule_for_a_high_error_rate_exists(probe):
    rule = probe.alert_rule("HighErrorRate")
    assert rule is not None
    assert rule["type"] == "alerting"
    assert "app_requests_total" in rule["query"]
    assert probe.alert_rule("NoSuchAlert") is None
    assert [r["name"] for r in probe.rules("recording")] == ["service:app_requests:rate10s"]


def test_alerts_endpoint_shows_a_firing_alert(prometheus_server, probe):
    prometheus_server.exporter.traffic("probe-alerting", rps=100, error_ratio=0.5)
    wait_until(lambda: any(a["labels"].get("service") == "probe-alerting" and a["state"] == "firing"
                           for a in probe.alerts()), timeout=20, what="HighErrorRate firing")
    firing = [a for a in probe.alerts("firing") if a["labels"].get("service") == "probe-alerting"]
    assert firing[0]["name"] == "HighErrorRate"
    prometheus_server.exporter.stop_traffic("probe-alerting")


def test_connection_refused_is_an_error_naming_the_target(closed_port):
    dead = PrometheusProbe(PrometheusSettings(url=f"http://127.0.0.1:{closed_port}", timeout_s=2))
    result = dead.query("up")
    assert result.status == "error" and result.value is None
    assert "127.0.0.1" in result.error and "refused" in result.error.lower()
    with pytest.raises(ProbeError, match="127.0.0.1"):
        dead.ready()
    with pytest.raises(ProbeError, match="refused"):
        dead.targets()


def test_settings_are_validated():
    with pytest.raises(ConfigError, match="url"):
        build(PrometheusSettings, {"url": "ftp://x"}, "prod.toml", "prometheus")
    with pytest.raises(ConfigError, match="step"):
        build(PrometheusSettings, {"url": "http://127.0.0.1:9", "step": "soon"}, "prod.toml", "prometheus")
    with pytest.raises(ConfigError, match="did you mean 'timeout_s'"):
        build(PrometheusSettings, {"url": "http://127.0.0.1:9", "timeout": 3}, "prod.toml", "prometheus")


def test_a_literal_bearer_token_is_refused(tmp_path, monkeypatch):
    from pytest_launch.config.environment import load_environment

    literal = tmp_path / "lit.toml"
    literal.write_text('[prometheus]\nurl = "http://127.0.0.1:9"\nbearer_token = "abc123"\n')
    with pytest.raises(ConfigError, match=r"\$\{VAR\}"):
        PrometheusProbe.from_environment(load_environment(literal))
    via_var = tmp_path / "var.toml"
    via_var.write_text('[prometheus]\nurl = "http://127.0.0.1:9"\nbearer_token = "${PROM_TOKEN}"\n')
    probe = PrometheusProbe.from_environment(load_environment(via_var, {"PROM_TOKEN": "s3cr3t-token"}))
    assert probe.session.headers["Authorization"] == "Bearer s3cr3t-token"
    result = probe.query("up")  # nothing listens on port 9: the error must not leak the token
    assert result.status == "error" and "s3cr3t-token" not in result.error


def test_query_result_evidence_is_json():
    result = QueryResult("q", "no_data", series=[{"labels": {"a": "b"}, "samples": [[1.0, math.inf]]}],
                         error="x")
    assert json.loads(json.dumps(result.evidence()))["series"][0]["latest"] == "+Inf"
