"""Issue 12 part 3: one meaning for "no answer", probe by probe, against real servers on loopback.

No answer (connection refused by a bound never-listening socket, a silent TCP server, a TLS server
that aborts the handshake before any certificate, a DNS server answering SERVFAIL or nothing)
raises NoAnswer, a ProbeError: the check ends in *error*. A target that answered something wrong
is a failure (an assertion). docs/decision.md has the table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_launch.probes.aws import AwsSettings, BackupSettings, S3Probe
from pytest_launch.probes.dns import DnsProbe, DnsSettings
from pytest_launch.probes.errors import NoAnswer, WrongAnswer
from pytest_launch.probes.http import HttpProbe, HttpSettings
from pytest_launch.probes.prometheus import PrometheusProbe, PrometheusSettings
from pytest_launch.probes.tls import TlsEndpoint, TlsProbe, TlsSettings
from readiness_runs import run_one_check

ROOT = Path(__file__).parent.parent


# ------------------------------------------------------------------------------------ HTTP
def test_http_refused_silent_and_tls_abort_are_no_answer(closed_port, silent_tcp_server, tls_abort_server):
    for url, words in ((f"http://127.0.0.1:{closed_port}", "connection refused"),
                       (silent_tcp_server.url, "no answer within 1s"),
                       (f"https://127.0.0.1:{tls_abort_server.port}", "TLS handshake failed|connection closed")):
        probe = HttpProbe(HttpSettings(base_url=url, timeout=1, retries=0))
        with pytest.raises(NoAnswer, match=words):
            probe.get("/")


def test_http_dns_failure_is_no_answer():
    probe = HttpProbe(HttpSettings(base_url="http://no-such-host.invalid", timeout=2, retries=0))
    with pytest.raises(NoAnswer, match="DNS lookup failed"):
        probe.get("/")


# ------------------------------------------------------------------------------------ TLS
def test_tls_refused_silent_and_aborted_handshake_are_no_answer(closed_port, silent_tcp_server, tls_abort_server):
    probe = TlsProbe(TlsSettings(timeout=1))
    for port, words in ((closed_port, "connection refused"), (silent_tcp_server.port, "no TLS handshake within 1s"),
                        (tls_abort_server.port, "TLS handshake failed")):
        with pytest.raises(NoAnswer, match=words):
            probe.probe(TlsEndpoint("localhost", port, address="127.0.0.1"))
        with pytest.raises(NoAnswer):
            probe.days_left_problems(30, [TlsEndpoint("localhost", port, address="127.0.0.1")])


def test_tls_protocols_of_a_server_that_completes_no_handshake_is_no_answer(tls_abort_server):
    """Refusing TLS 1.0 is an answer; refusing every version is no TLS answer at all."""
    with pytest.raises(NoAnswer, match="no TLS handshake completed at any protocol version"):
        TlsProbe(TlsSettings(timeout=1)).protocols(TlsEndpoint("localhost", tls_abort_server.port, address="127.0.0.1"))


def test_tls_wrong_certificate_is_a_failure_not_no_answer(nginx_testbed):
    probe = TlsProbe(TlsSettings(ca_bundle=str(nginx_testbed.ca_bundle)))
    problems = probe.days_left_problems(30, [TlsEndpoint("localhost", nginx_testbed.ports["expired"],
                                                         address="127.0.0.1")])
    assert problems and "expire" in problems[0]


# ------------------------------------------------------------------------------------ DNS
def test_dns_servfail_and_silence_are_no_answer(dns_servfail_server, dns_silent_server):
    for port, words in ((dns_servfail_server.port, "every nameserver failed"), (dns_silent_server.port, "no answer")):
        probe = DnsProbe(DnsSettings(zone="launch.test", nameservers=[f"127.0.0.1:{port}"], timeout=1,
                                     expected={"www": {"A": ["127.0.0.1"]}}))
        with pytest.raises(NoAnswer, match=words):
            probe.lookup("www", "A")
        with pytest.raises(NoAnswer):
            probe.expected_problems()
    servfail = DnsProbe(DnsSettings(zone="launch.test", timeout=1))
    with pytest.raises(NoAnswer, match="SERVFAIL"):
        servfail.soa_serials(servers=[f"127.0.0.1:{dns_servfail_server.port}"])


def test_dns_wrong_records_and_a_lame_server_are_failures(bind9_testbed):
    probe = DnsProbe(DnsSettings(zone="launch.test", nameservers=bind9_testbed.addresses[:1], timeout=2,
                                 expected={"www": {"A": ["192.0.2.99"]}}))
    assert "expected 192.0.2.99" in probe.expected_problems()[0]
    with pytest.raises(WrongAnswer, match="not authoritative"):
        probe.soa_serials("not-our-zone.test", servers=bind9_testbed.addresses[:1])


# ------------------------------------------------------------------------------------ Prometheus, S3
def test_prometheus_no_answer_is_marked_on_the_query(closed_port):
    result = PrometheusProbe(PrometheusSettings(url=f"http://127.0.0.1:{closed_port}", timeout_s=1)).query("up")
    assert result.status == "error" and isinstance(result.no_answer, NoAnswer)
    with pytest.raises(NoAnswer):
        PrometheusProbe(PrometheusSettings(url=f"http://127.0.0.1:{closed_port}", timeout_s=1)).targets()


def test_s3_unreachable_endpoint_is_no_answer(closed_port, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    s3 = S3Probe(AwsSettings(region="us-east-1", endpoint_url=f"http://127.0.0.1:{closed_port}", max_attempts=1,
                             connect_timeout=1, read_timeout=1), BackupSettings(bucket="b", prefix="db/"))
    with pytest.raises(NoAnswer, match="cannot connect"):
        s3.newest_object()


# ------------------------------------------------------------------------------------ through pytest
def _run(pytester: pytest.Pytester, environment: str, check_file: str, name: str) -> dict[str, Any]:
    return run_one_check(pytester, environment, check_file, name, env_name="no-answer")


@pytest.mark.parametrize("server", ["closed", "silent", "abort"])
def test_inf04_tls_check_errors_when_the_endpoint_gives_no_answer(pytester, closed_port, silent_tcp_server,
                                                                   tls_abort_server, server):
    port = {"closed": closed_port, "silent": silent_tcp_server.port, "abort": tls_abort_server.port}[server]
    check = _run(pytester, f'[tls]\ntimeout = 1\nendpoints = [{{ host = "localhost", port = {port}, '
                           f'address = "127.0.0.1" }}]\n', "test_infrastructure.py", "test_tls_certificates_valid")
    assert check["outcome"] == "error", check
    assert f"localhost:{port}" in check["message"]


def test_inf05_dns_check_errors_on_servfail(pytester, dns_servfail_server):
    check = _run(pytester, f'[dns]\nzone = "launch.test"\nnameservers = ["127.0.0.1:{dns_servfail_server.port}"]\n'
                           'timeout = 1\n[dns.expected.www]\nA = ["127.0.0.1"]\n',
                 "test_infrastructure.py", "test_dns_expected_records")
    assert check["outcome"] == "error", check
    assert "www.launch.test. A" in check["message"]


def test_app10_health_check_errors_on_refused_and_fails_on_a_wrong_answer(pytester, closed_port, nginx_testbed):
    check = _run(pytester, f'[http]\nbase_url = "http://127.0.0.1:{closed_port}"\ntimeout = 1\nretries = 0\n'
                           '[application]\nhealth_path = "/health"\n', "test_application.py", "test_health_endpoint")
    assert check["outcome"] == "error" and "connection refused" in check["message"]
    check = _run(pytester, f'[http]\nbase_url = "{nginx_testbed.url("good")}"\nca_bundle = "{nginx_testbed.ca_bundle}"\n'
                           '[application]\nhealth_path = "/no-such-page"\n', "test_application.py", "test_health_endpoint")
    assert check["outcome"] == "failed", check


# ------------------------------------------------------------------------------------ the demo
# demo faults of "no answer": each, alone, ends its own check in error with its own message
DEMO_NO_ANSWER_FAULTS = [
    ("health_slow_drip", "test_application.py::test_health_endpoint",
     "no answer within 10s (the overall deadline"),
    ("tls_no_handshake", "test_infrastructure.py::test_tls_certificates_valid",
     "api.demo.launch.test:"),
    ("dns_servfail", "test_infrastructure.py::test_dns_expected_records", "answered SERVFAIL"),
]


@pytest.mark.parametrize("fault, check, words", DEMO_NO_ANSWER_FAULTS, ids=[f for f, _, _ in DEMO_NO_ANSWER_FAULTS])
def test_each_demo_no_answer_fault_errors_its_own_check(pytester, monkeypatch, fault, check, words):
    from readiness_runs import run_suite

    monkeypatch.setenv("PYTEST_LAUNCH_DEMO_FAULTS", f"{fault},no_prometheus")
    path, name = check.split("::")
    _, document = run_suite(pytester, str(ROOT / "readiness" / path), "-k", name, "--env=demo")
    found = [c for c in document["checks"] if c["nodeid"].endswith(check)]
    assert len(found) == 1 and found[0]["outcome"] == "error", found
    assert words in found[0]["message"], found[0]["message"]
    assert document["verdict"] == "NO_GO"


def test_inf01_cluster_api_with_no_answer_errors(pytester, monkeypatch, closed_port):
    monkeypatch.setenv("NO_ANSWER_KUBE_TOKEN", "kube-token-not-shown")
    check = _run(pytester, f'[kubernetes]\ntimeout = 1\n[[kubernetes.clusters]]\nname = "eu-1"\n'
                           f'api_url = "https://127.0.0.1:{closed_port}"\ntoken = "${{NO_ANSWER_KUBE_TOKEN}}"\n',
                 "test_infrastructure.py", "test_kubernetes_clusters_ready")
    assert check["outcome"] == "error", check
    assert "cluster eu-1" in check["message"] and "connection refused" in check["message"]
    assert "kube-token-not-shown" not in json.dumps(check)


def test_sec06_secrets_manager_with_no_answer_errors(pytester, monkeypatch, closed_port):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    check = _run(pytester, f'[aws]\nregion = "us-east-1"\nendpoint_url = "http://127.0.0.1:{closed_port}"\n'
                           'max_attempts = 1\nconnect_timeout = 1\nread_timeout = 1\n'
                           '[secrets_rotation]\nsecrets = ["catalog/db"]\n', "test_security.py", "test_secrets_rotated")
    assert check["outcome"] == "error", check
    assert "secret catalog/db" in check["message"] and "no answer" in check["message"]


def test_backup_problems_with_no_answer_raise_and_an_empty_store_is_a_problem(closed_port, moto_s3, aws_credentials):
    empty = S3Probe(AwsSettings(region="us-east-1", endpoint_url=moto_s3.endpoint_url),
                    BackupSettings(bucket=moto_s3.new_bucket(), prefix="db/"))
    problems = empty.backup_problems()  # the store answered: no backup there (a failure)
    assert len(problems) == 1 and "db/" in problems[0]
    unreachable = S3Probe(AwsSettings(region="us-east-1", endpoint_url=f"http://127.0.0.1:{closed_port}",
                                      max_attempts=1, connect_timeout=1, read_timeout=1),
                          BackupSettings(bucket="b", prefix="db/"))
    with pytest.raises(NoAnswer):
        unreachable.backup_problems()
