"""Issue 11 item 14: every network call has an overall deadline, and the settings that bound it
cannot be infinite, NaN or absurd. Against a real slow-drip server on loopback (tests/testbed/
faulty.py: headers at once, then the body one byte every 0.2 s for up to 60 s): a per-read timeout
never fires against it, so before the deadline a check with `timeout = 2, retries = 0` was held
for a minute and passed.

Timings assert an upper bound only, with a generous margin for a busy machine."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pytest

from launch_project import SUITE_TABLES
from pytest_launch.config.environment import load_environment
from pytest_launch.core.errors import ConfigError
from pytest_launch.probes.alertmanager import AlertmanagerProbe, AlertmanagerSettings
from pytest_launch.probes.aws import AwsSettings, S3Probe
from pytest_launch.probes.deadline import MAX_RETRIES, MAX_TIMEOUT_S, overall_deadline
from pytest_launch.probes.errors import NoAnswer
from pytest_launch.probes.http import HttpProbe, HttpSettings
from pytest_launch.probes.kubernetes import cluster_client
from pytest_launch.probes.prometheus import PrometheusProbe, PrometheusSettings
from pytest_launch.probes.tls import TlsEndpoint, TlsProbe, TlsSettings

MARGIN_S = 6.0  # scheduling slack on a shared 2-core machine; the drip lasts 60 s


def _ends_within(seconds: float, call) -> NoAnswer:
    start = time.monotonic()
    with pytest.raises(NoAnswer) as raised:
        call()
    took = time.monotonic() - start
    assert took < seconds + MARGIN_S, f"held {took:.1f}s, the deadline is {seconds:g}s"
    return raised.value


def test_http_probe_ends_at_its_deadline_against_a_slow_drip(slow_drip_server):
    probe = HttpProbe(HttpSettings(base_url=slow_drip_server.url, timeout=2, retries=0))
    error = _ends_within(2, lambda: probe.get("/health"))
    assert "within 2s" in error.problem and "overall deadline" in error.problem
    assert slow_drip_server.url in error.target


def test_retries_are_inside_the_deadline(slow_drip_server):
    settings = HttpSettings(base_url=slow_drip_server.url, timeout=1, retries=2, backoff_factor=0.1)
    assert settings.deadline_s == pytest.approx(overall_deadline(1, 2, 0.1)) and settings.deadline_s < 3.5
    _ends_within(settings.deadline_s, lambda: HttpProbe(settings).get("/"))


@pytest.mark.parametrize("make", [
    lambda url: PrometheusProbe(PrometheusSettings(url=url, timeout_s=2)).targets(),
    lambda url: AlertmanagerProbe(AlertmanagerSettings(url=url, timeout_s=2)).receivers(),
    lambda url: cluster_client(url, None, None, 2).json("/apis"),
], ids=["prometheus", "alertmanager", "kubernetes-grafana-client"])
def test_api_clients_end_at_their_deadline_against_a_slow_drip(slow_drip_server, make):
    _ends_within(2, lambda: make(slow_drip_server.url))


@pytest.mark.parametrize("path", ["/drip-status", "/drip-headers"])
def test_http_probe_ends_at_its_deadline_against_a_dripping_status_line_or_header(slow_drip_server, path):
    """One byte every 0.5 s of the status line or of a header: each read returns well within
    the 2 s read timeout, so only an overall deadline ends the request (before: held 60 s)."""
    probe = HttpProbe(HttpSettings(base_url=slow_drip_server.url, timeout=2, retries=0))
    error = _ends_within(2, lambda: probe.get(path))
    assert "no answer within 2s" in error.problem and "overall deadline" in error.problem


def test_retries_of_a_dripping_header_are_inside_the_deadline(slow_drip_server):
    settings = HttpSettings(base_url=slow_drip_server.url, timeout=1, retries=2, backoff_factor=0.1)
    error = _ends_within(settings.deadline_s, lambda: HttpProbe(settings).get("/drip-headers"))
    assert "overall deadline" in error.problem


@pytest.mark.parametrize("make", [
    lambda url: PrometheusProbe(PrometheusSettings(url=url + "/drip-headers", timeout_s=2)).targets(),
    lambda url: AlertmanagerProbe(AlertmanagerSettings(url=url + "/drip-status", timeout_s=2)).receivers(),
    lambda url: cluster_client(url + "/drip-headers", None, None, 2).json(""),
], ids=["prometheus", "alertmanager", "kubernetes-grafana-client"])
def test_api_clients_end_at_their_deadline_against_a_dripping_head(slow_drip_server, make):
    error = _ends_within(2, lambda: make(slow_drip_server.url))
    assert "overall deadline" in error.problem


def test_s3_object_body_ends_at_the_transfer_timeout(slow_drip_server, monkeypatch):
    """An S3 store that drips an object's body (each read well within read_timeout): the read
    (the backup checksum of DAT-08, the restore drill of DAT-03) ends in NoAnswer at [aws]
    transfer_timeout. Before: botocore bounded each read only, and the drip held it 60 s."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    probe = S3Probe(AwsSettings(region="us-east-1", endpoint_url=slow_drip_server.url, read_timeout=2,
                                transfer_timeout=2, max_attempts=1))
    for read in (probe.read_object, probe.object_sha256):
        error = _ends_within(2, lambda read=read: read("backups", "db.json"))  # noqa: B023
        assert "did not arrive within 2s ([aws] transfer_timeout" in error.problem
        assert error.target == "s3://backups/db.json"


def test_tls_handshake_ends_at_its_deadline_against_a_dripping_server_hello(tls_drip_server):
    """A server that drips its handshake record a byte every 0.5 s: TLS checks (INF-04, SEC-09)
    end in NoAnswer at [tls] timeout for the whole handshake (before: bounded per read only)."""
    probe = TlsProbe(TlsSettings(timeout=2))
    error = _ends_within(2, lambda: probe.probe(TlsEndpoint("localhost", tls_drip_server.port, address="127.0.0.1")))
    assert "no TLS handshake within 2s" in error.problem


def test_silent_server_ends_at_the_read_timeout(silent_tcp_server):
    probe = HttpProbe(HttpSettings(base_url=silent_tcp_server.url, timeout=1, retries=0))
    error = _ends_within(1, lambda: probe.get("/"))
    assert "no answer within 1s" in error.problem


def test_a_readiness_check_against_a_slow_drip_errors_within_the_deadline(pytester, slow_drip_server):
    """APP-10 (health endpoint) with [http] timeout = 2, retries = 0: the check ends in error
    (no answer) within seconds, not after a minute, and certainly does not pass."""
    root = Path(__file__).parent.parent
    env = pytester.path / "drip.toml"
    env.write_text(f'[environment]\nname = "drip"\n\n[http]\nbase_url = "{slow_drip_server.url}"\n'
                   'timeout = 2\nretries = 0\n\n[application]\nhealth_path = "/health"\n')
    report = pytester.path / "go-no-go.json"
    start = time.monotonic()
    result = pytester.runpytest_subprocess(
        str(root / "readiness" / "test_application.py"), "-k", "test_health_endpoint", f"--env={env}",
        "--rootdir", str(root), "-c", str(root / "pyproject.toml"), "-p", "no:cacheprovider", "-p", "no:randomly",
        "--launch-report-dir", str(pytester.path / "reports"), "--launch-json", str(report), timeout=120)
    took = time.monotonic() - start
    doc = json.loads(report.read_text())
    checks = [c for c in doc["checks"] if c["nodeid"].endswith("test_health_endpoint")]
    assert len(checks) == 1, result.stdout.str()[-2000:]
    assert checks[0]["outcome"] == "error" and "overall deadline" in checks[0]["message"]
    assert checks[0]["duration_s"] < 2 + MARGIN_S
    assert doc["verdict"] == "NO_GO"
    assert took < 60, f"the whole run took {took:.0f}s"


@pytest.mark.parametrize(("table", "key", "value"), [
    ("http", "timeout", "inf"), ("http", "timeout", "nan"), ("http", "timeout", "-1"), ("http", "timeout", "0"),
    ("http", "timeout", str(MAX_TIMEOUT_S + 1)), ("http", "retries", "9223372036854775807"),
    ("http", "retries", "-1"), ("http", "retries", str(MAX_RETRIES + 1)), ("http", "backoff_factor", "inf"),
    ("tls", "timeout", "inf"), ("dns", "timeout", "nan"), ("prometheus", "timeout_s", "inf"),
    ("alertmanager", "timeout_s", "nan"), ("alertmanager", "delivery_timeout_s", "inf"),
    ("aws", "connect_timeout", "inf"), ("aws", "read_timeout", "nan"),
    ("aws", "max_attempts", "9223372036854775807"), ("aws", "transfer_timeout", "inf"), ("grafana", "timeout", "inf"), ("kubernetes", "timeout", "nan"),
])
def test_unbounded_settings_are_usage_errors(tmp_path, table, key, value):
    base = {"http": 'base_url = "https://x.test"\n', "prometheus": 'url = "http://x.test"\n',
            "alertmanager": 'url = "http://x.test"\n', "grafana": 'url = "http://x.test"\n'}.get(table, "")
    path = tmp_path / "prod.toml"
    path.write_text(f'[environment]\nname = "prod"\n\n[{table}]\n{base}{key} = {value}\n')
    with pytest.raises(ConfigError) as raised:
        load_environment(path, added_tables=SUITE_TABLES).table(table)
    text = str(raised.value)
    assert text.startswith(f"{path}: {table}") and key in text, text
    found = repr(float(value)) if "." in value or value in ("inf", "nan") else value
    assert found in text or (math.isnan(float(value)) and "nan" in text), text


def test_usage_error_exit_code_and_no_traceback(pytester):
    env = pytester.path / "prod.toml"
    env.write_text('[environment]\nname = "prod"\n\n[http]\nbase_url = "https://x.test"\ntimeout = inf\n')
    pytester.makepyfile(test_one="def test_one(launch_http):\n    pass\n")
    result = pytester.runpytest_subprocess(f"--env={env}", "-p", "no:cacheprovider")
    assert result.ret == 4
    text = result.stdout.str() + result.stderr.str()
    assert "http: expected timeout to be a finite number of seconds above 0 and at most 300, found inf" in text
    assert "Traceback" not in text


class _TimerNeverScheduled:
    """A watchdog timer whose thread a busy machine does not get to run before the answer comes."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def start(self) -> None:
        pass

    def cancel(self) -> None:
        pass


def _wait_for_the_clock(until: float) -> None:
    while time.monotonic() < until:
        time.sleep(0.005)


def test_the_deadline_is_kept_by_the_clock_when_the_watchdog_thread_runs_late():
    """Under load a 1 µs timeout once passed a Prometheus check: the answer came before the
    watchdog's thread was scheduled to cut it off. Late is read from the clock as well; and a
    call that ended in time is not found late by a look after it ended."""
    from pytest_launch.probes.deadline import Watchdog

    late = Watchdog(0.05)
    late._timer = _TimerNeverScheduled()
    with late.armed():
        assert not late.expired
        _wait_for_the_clock(time.monotonic() + 0.06)
        assert late.expired
    on_time = Watchdog(0.05)
    on_time._timer = _TimerNeverScheduled()
    with on_time.armed():
        pass
    _wait_for_the_clock(time.monotonic() + 0.06)
    assert not on_time.expired


def test_a_probe_with_a_tiny_timeout_gets_no_answer_even_when_the_watchdog_thread_is_late(
        slow_drip_server, monkeypatch):
    from pytest_launch.probes import deadline

    class LateWatchdog(deadline.Watchdog):
        def __init__(self, deadline_s: float) -> None:
            super().__init__(deadline_s)
            self._timer = _TimerNeverScheduled()

    monkeypatch.setattr(deadline, "Watchdog", LateWatchdog)
    probe = PrometheusProbe(PrometheusSettings(url=slow_drip_server.url, timeout_s=0.000001))
    error = _ends_within(1, probe.targets)
    assert "deadline" in error.problem
