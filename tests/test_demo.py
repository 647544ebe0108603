"""The embedded demo environment on its own: it starts, serves HTTPS with the security headers,
answers DNS, holds valid catalog backups in S3 (moto), replays the Kubernetes API, and every
fault switches exactly the behaviour it names off. Real servers on 127.0.0.1 only."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import socket
import ssl
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import dns.message
import dns.query
import dns.rdatatype
import pytest
import requests
from launch_suite.catalog import catalog_problems, isbn13_valid, load_json

from launch_project import load_suite_environment as load_environment  # and readiness/ on sys.path
from pytest_launch.demo.environment import CATALOG as DEMO_CATALOG
from pytest_launch.demo.environment import CATALOG_SCHEMA as DEMO_SCHEMA
from pytest_launch.demo.environment import DemoEnvironment, start_demo
from pytest_launch.demo.storage import BACKUP_BUCKET, BACKUP_PREFIX, DEMO_REGION

BASE = Path(__file__).parent.parent / "readiness" / "environments" / "demo.toml"


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoEnvironment]:
    # moto keeps state per process: tests that start another demo (faults, monitoring) come last
    environment = start_demo(with_monitoring=False)
    yield environment
    environment.stop()


def _get(demo: DemoEnvironment, path: str, **kwargs: object) -> requests.Response:
    return requests.get(demo.base_url + path, verify=str(demo.ca_bundle), timeout=5, **kwargs)  # type: ignore[arg-type]


def _s3(demo: DemoEnvironment) -> object:
    return boto3.client("s3", endpoint_url=demo.aws_endpoint, region_name=DEMO_REGION,
                        aws_access_key_id=demo.secrets["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=demo.secrets["AWS_SECRET_ACCESS_KEY"])


def test_catalog_data_is_sound() -> None:
    catalog = load_json(DEMO_CATALOG)
    assert len(catalog["books"]) >= 30
    assert catalog_problems(catalog, load_json(DEMO_SCHEMA)) == []


def test_catalog_rules_find_broken_data() -> None:
    catalog = load_json(DEMO_CATALOG)
    catalog["books"].append(dict(catalog["books"][0], id="b-998"))          # duplicate ISBN
    catalog["books"][1]["author_ids"] = ["a-404"]                          # dangling author
    catalog["books"][2]["isbn"] = catalog["books"][2]["isbn"][:-1] + "0" if not catalog["books"][2]["isbn"].endswith("0") else catalog["books"][2]["isbn"][:-1] + "1"
    problems = catalog_problems(catalog, load_json(DEMO_SCHEMA))
    text = "\n".join(problems)
    assert "appears 2 times" in text and "a-404" in text and "wrong check digit" in text
    assert isbn13_valid("9780141439518") and not isbn13_valid("9780141439519")
    assert catalog_problems({"books": []}, load_json(DEMO_SCHEMA))  # schema: required keys missing


def test_https_serves_the_catalog_with_security_headers(demo: DemoEnvironment) -> None:
    response = _get(demo, "/api/books/9780141439518")
    assert response.status_code == 200
    assert response.json()["title"] == "Pride and Prejudice"
    assert response.json()["authors"] == ["Jane Austen"]
    headers = response.headers
    assert "max-age=31536000" in headers["Strict-Transport-Security"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "default-src" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"]
    assert headers["Server"] == "catalog"  # no version


def test_home_sets_a_secure_cookie(demo: DemoEnvironment) -> None:
    cookie = _get(demo, "/").headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_health_metrics_admin_and_waf(demo: DemoEnvironment) -> None:
    assert _get(demo, "/health").json()["status"] == "ok"
    metrics = _get(demo, "/metrics").text
    assert "http_requests_total" in metrics and "catalog_books 31.0" in metrics
    admin = _get(demo, "/admin/users")
    assert admin.status_code == 401 and "Bearer" in admin.headers["WWW-Authenticate"]
    assert _get(demo, "/api/search?q=x' OR 1=1--").status_code == 403


def test_rate_limit_answers_429_after_a_burst(demo: DemoEnvironment) -> None:
    """Twenty requests a second per client and path. A burst is sent at once (20 threads) and sent
    again until one lands inside one window: on a loaded machine 30 requests one after the other
    took longer than the 1 s window and never met the limit (seen in CI with both cores busy)."""
    assert _get(demo, "/api/authors?burst=first").status_code == 200  # the API answers below the limit
    deadline = time.monotonic() + 120
    with ThreadPoolExecutor(20) as pool:
        while True:
            statuses = list(pool.map(lambda _: _get(demo, "/api/authors?burst=1").status_code, range(40)))
            assert set(statuses) <= {200, 429}, statuses
            if 429 in statuses:
                break
            assert time.monotonic() < deadline, f"no 429 in bursts of 40 requests for 120 s: {statuses}"


def test_the_rate_limiter_counts_requests_per_client_and_path_within_its_window() -> None:
    """The limiter itself, without a clock race: a window longer than the test."""
    from werkzeug.test import Client

    from pytest_launch.demo.app import CatalogApp

    app = CatalogApp(load_json(DEMO_CATALOG), admin_token="t" * 24, https=False, rate_limit=3,
                     rate_window_s=3600)
    client = Client(app)
    statuses = [client.get("/api/authors?page=1").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.get("/api/authors?page=1").headers["Retry-After"] == "1"
    assert client.get("/api/authors?page=2").status_code == 200  # another path: its own window


def test_plain_http_redirects_to_https(demo: DemoEnvironment) -> None:
    response = requests.get(f"http://127.0.0.1:{demo.http_port}/api/books?q=x", allow_redirects=False, timeout=5)
    assert response.status_code == 301
    assert response.headers["Location"] == demo.base_url + "/api/books?q=x"


def test_tls_1_1_is_refused(demo: DemoEnvironment) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with pytest.warns(DeprecationWarning):
        context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_1
    with socket.create_connection(("127.0.0.1", demo.https_port), timeout=5) as raw:
        with pytest.raises((ssl.SSLError, ConnectionResetError)):
            context.wrap_socket(raw, server_hostname="demo.launch.test")


def test_certificate_chain_names_the_demo_host(demo: DemoEnvironment) -> None:
    context = ssl.create_default_context(cafile=str(demo.ca_bundle))
    with socket.create_connection(("127.0.0.1", demo.https_port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="demo.launch.test") as tls:
            assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_dns_servers_answer_and_agree(demo: DemoEnvironment) -> None:
    serials = []
    for port in demo.dns_ports:
        answer = dns.query.udp(dns.message.make_query("demo.launch.test", dns.rdatatype.SOA), "127.0.0.1",
                               port=port, timeout=2)
        serials.append(answer.answer[0][0].serial)
    assert len(set(serials)) == 1
    caa = dns.query.udp(dns.message.make_query("demo.launch.test", dns.rdatatype.CAA), "127.0.0.1",
                        port=demo.dns_ports[0], timeout=2)
    assert 'issue "ca.demo.launch.test"' in caa.answer[0].to_text()


def test_s3_holds_a_valid_fresh_backup(demo: DemoEnvironment) -> None:
    s3 = _s3(demo)
    objects = s3.list_objects_v2(Bucket=BACKUP_BUCKET, Prefix=BACKUP_PREFIX)["Contents"]  # type: ignore[attr-defined]
    newest = max(objects, key=lambda o: (o["LastModified"], o["Key"]))
    # the newest is written the modern way: gzipped, with only S3's own SHA-256 checksum
    assert newest["Key"].endswith(".json.gz")
    body = s3.get_object(Bucket=BACKUP_BUCKET, Key=newest["Key"], ChecksumMode="ENABLED")  # type: ignore[attr-defined]
    data = body["Body"].read()
    assert "sha256" not in body["Metadata"]
    assert base64.b64decode(body["ChecksumSHA256"]) == hashlib.sha256(data).digest()
    assert json.loads(gzip.decompress(data)) == load_json(DEMO_CATALOG)
    assert s3.get_bucket_versioning(Bucket=BACKUP_BUCKET)["Status"] == "Enabled"  # type: ignore[attr-defined]
    assert s3.get_bucket_lifecycle_configuration(Bucket=BACKUP_BUCKET)["Rules"]  # type: ignore[attr-defined]


def test_kubernetes_replay_needs_the_token(demo: DemoEnvironment) -> None:
    url = demo.kube_url + "/api/v1/nodes"
    assert requests.get(url, verify=str(demo.ca_bundle), timeout=5).status_code == 401
    token = demo.secrets["DEMO_KUBE_TOKEN"]
    nodes = requests.get(url, verify=str(demo.ca_bundle), timeout=5,
                         headers={"Authorization": f"Bearer {token}"}).json()
    assert nodes["kind"] == "NodeList" and len(nodes["items"]) == 3


def test_generated_environment_layer_loads(demo: DemoEnvironment, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = demo.write_environment(tmp_path / "demo.generated.toml", BASE)
    for name, value in demo.environ().items():
        monkeypatch.setenv(name, value)
    env = load_environment(path)
    assert env.name == "demo"
    assert env.table("http").base_url == demo.base_url
    assert env.table("dns").authoritative == [f"127.0.0.1:{p}" for p in demo.dns_ports]
    assert demo.secrets["DEMO_KUBE_TOKEN"] in env.secrets
    assert env.table("kubernetes").clusters[0].token == demo.secrets["DEMO_KUBE_TOKEN"]


def test_generated_layer_needs_its_secrets(demo: DemoEnvironment, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_launch.core.errors import ConfigError

    path = demo.write_environment(tmp_path / "demo.generated.toml", BASE)
    for name, value in demo.environ().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DEMO_KUBE_TOKEN")
    with pytest.raises(ConfigError, match="DEMO_KUBE_TOKEN"):
        load_environment(path)


def test_unknown_fault_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown demo faults: no_such_fault"):
        start_demo(faults=["no_such_fault"], with_monitoring=False)


def test_faults_break_what_they_name(tmp_path: Path) -> None:
    broken = start_demo(faults=["no_hsts", "insecure_cookie", "admin_open", "bad_backup_checksum",
                                "dns_serial_mismatch", "node_not_ready", "server_version_leak"],
                        with_monitoring=False)
    try:
        response = _get(broken, "/")
        assert "Strict-Transport-Security" not in response.headers
        assert "Secure" not in response.headers["Set-Cookie"]
        assert "1.4.0" in response.headers["Server"]
        assert _get(broken, "/admin").status_code == 200
        serials = {dns.query.udp(dns.message.make_query("demo.launch.test", dns.rdatatype.SOA), "127.0.0.1",
                                 port=p, timeout=2).answer[0][0].serial for p in broken.dns_ports}
        assert len(serials) == 2
        s3 = _s3(broken)
        objects = s3.list_objects_v2(Bucket=BACKUP_BUCKET, Prefix=BACKUP_PREFIX)["Contents"]  # type: ignore[attr-defined]
        newest = max(objects, key=lambda o: (o["LastModified"], o["Key"]))
        body = s3.get_object(Bucket=BACKUP_BUCKET, Key=newest["Key"])  # type: ignore[attr-defined]
        assert body["Metadata"]["sha256"] != hashlib.sha256(body["Body"].read()).hexdigest()
        token = broken.secrets["DEMO_KUBE_TOKEN"]
        nodes = requests.get(broken.kube_url + "/api/v1/nodes", verify=str(broken.ca_bundle), timeout=5,
                             headers={"Authorization": f"Bearer {token}"}).json()
        ready = [c["status"] for n in nodes["items"] for c in n["status"]["conditions"] if c["type"] == "Ready"]
        assert ready.count("True") == 2
    finally:
        broken.stop()
    assert not broken.workdir.exists()


def test_demo_with_monitoring_scrapes_the_app() -> None:
    from testbed.support import require_binary

    require_binary("prometheus", "prometheus")
    require_binary("prometheus-alertmanager", "prometheus-alertmanager")
    demo = start_demo()
    try:
        assert demo.prometheus_url and demo.alertmanager_url
        targets = requests.get(demo.prometheus_url + "/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
        # both app instances, and the simulated launch metrics (payments, registrations, ...)
        assert sorted((t["labels"]["job"], t["health"]) for t in targets) == [
            ("catalog", "up"), ("catalog", "up"), ("demo-launch-metrics", "up")]
        rules = requests.get(demo.prometheus_url + "/api/v1/rules", timeout=5).json()["data"]["groups"][0]["rules"]
        assert {r["name"] for r in rules} >= {"CatalogHighErrorRate", "CatalogInstanceDown"}
        receivers = requests.get(demo.alertmanager_url + "/api/v2/receivers", timeout=5).json()
        assert {"name": "catalog-oncall"} in receivers
    finally:
        demo.stop()


def test_backup_faults_break_the_newest_backup() -> None:
    from pytest_launch.demo.storage import newest_backup_body

    catalog = DEMO_CATALOG.read_bytes()
    with pytest.raises(EOFError):
        gzip.decompress(newest_backup_body(catalog, frozenset({"backup_truncated_gzip"})))
    broken = json.loads(gzip.decompress(newest_backup_body(catalog, frozenset({"backup_schema_violation"}))))
    assert isinstance(broken["books"][17]["isbn"], int)
    assert json.loads(gzip.decompress(newest_backup_body(catalog, frozenset()))) == json.loads(catalog)
