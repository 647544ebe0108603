"""The embedded demo environment: a small local stand-in for production, all on 127.0.0.1.

    demo = start_demo(workdir)          # a few seconds; ports picked free at start
    demo.write_environment(path, base)  # the generated environment layer pointing at it
    ...
    demo.stop()

What runs (every server in a thread of this process, except the optional Prometheus and
Alertmanager binaries):

- the book-catalog web app over HTTPS, twice ("app-a" and "app-b", the load balancer's pool),
  with a certificate chain (leaf + intermediate) from a trustme CA, TLS 1.2+ only;
- a plain-HTTP port that redirects to HTTPS;
- two authoritative DNS servers for demo.launch.test agreeing on the SOA serial;
- S3 and Secrets Manager in moto's server mode: the backup bucket with real backups of the
  catalog JSON (older ones plain with a metadata sha256, the newest gzipped with only S3's
  own SHA-256 checksum), a rotated and a never-rotated secret;
- a Kubernetes API stand-in replaying recorded responses (no real cluster can run here);
- Prometheus scraping the app and Alertmanager with a webhook receiver on the app, when their
  binaries are installed (Debian: prometheus, prometheus-alertmanager); otherwise the demo
  environment simply does not configure them, and their checks skip as "not configured".

`faults` (names from app.APP_FAULTS, kube.KUBE_FAULTS, storage.STORAGE_FAULTS, DNS_FAULTS,
UNREACHABLE_FAULTS, DEPLOY_FAULTS, no_answer.NO_ANSWER_FAULTS)
break one behaviour each: the readiness suite's own tests use them for a broken production.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import trustme

from pytest_launch.demo import app as demo_app
from pytest_launch.demo import dns_server, kube, storage
from pytest_launch.demo.no_answer import NO_ANSWER_FAULTS, NoAnswerServer
from pytest_launch.demo.processes import refusing_socket
from pytest_launch.demo.servers import DemoWSGIServer, redirect_app, sentry_ingest_app, server_tls_context
from pytest_launch.outputs.atomic import write_text_atomic

DATA = Path(__file__).parent / "data"
CATALOG = DATA / "catalog.json"
CATALOG_SCHEMA = DATA / "catalog.schema.json"
HOSTNAME = "demo.launch.test"
DNS_FAULTS = frozenset({"dns_serial_mismatch", "no_caa"})
# payment_failures: demo/launch_metrics.py; alert_*: the on-call receiver (demo/monitoring.py)
MONITORING_FAULTS = frozenset({"no_prometheus", "no_alertmanager", "payment_failures", "alert_receiver_down",
                               "alert_receiver_500", "alert_routed_elsewhere"})
# providers whose configured URL points at a port that refuses connections
UNREACHABLE_FAULTS = frozenset({"email_unreachable", "error_tracking_unreachable"})
# stale_instance: app-b (the balancer's second backend) still runs the previous release (DAY-03);
# error_tracking_not_sentry: the DSN names a host that answers, but is no Sentry ingest (APP-04)
# redirect_elsewhere: plain HTTP redirects to HTTPS on another host (a parked domain) (SEC-10)
DEPLOY_FAULTS = frozenset({"stale_instance", "error_tracking_not_sentry", "redirect_elsewhere"})
PREVIOUS_VERSION = "1.3.9"
ALL_FAULTS = (demo_app.APP_FAULTS | kube.KUBE_FAULTS | storage.STORAGE_FAULTS | DNS_FAULTS
              | MONITORING_FAULTS | UNREACHABLE_FAULTS | DEPLOY_FAULTS | NO_ANSWER_FAULTS
              | {"expired_certificate", "backend_down", "backend_reports_down"})

# Secrets reach the environment file through ${VAR}, like production secrets do.
SECRET_VARIABLES = ("DEMO_KUBE_TOKEN", "DEMO_SENTRY_DSN")
# moto accepts any credentials; boto3 reads these from the process environment (its standard chain)
AWS_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


@dataclasses.dataclass
class DemoEnvironment:
    workdir: Path
    faults: frozenset[str]
    ca_bundle: Path
    https_port: int
    https_b_port: int
    http_port: int
    dns_ports: list[int]
    aws_endpoint: str
    kube_url: str
    prometheus_url: str | None
    alertmanager_url: str | None
    secrets: dict[str, str]
    app: demo_app.CatalogApp
    refused_port: int  # a port of 127.0.0.1 held closed: connections to it are refused
    tls_abort_port: int | None = None  # tls_no_handshake: a TCP server that aborts every handshake
    dns_servfail_port: int | None = None  # dns_servfail: a DNS server answering SERVFAIL
    _stoppers: list[Any] = dataclasses.field(default_factory=list, repr=False)

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def environ(self) -> dict[str, str]:
        """The process variables a run against the demo needs: the ${VAR} secrets of the
        environment file and the (fake) AWS credentials for moto."""
        return dict(self.secrets)

    def monitoring_ready(self, timeout: float = 20.0) -> None:
        """Wait until Prometheus (when the demo runs it) has scraped both app instances."""
        if self.prometheus_url:
            from pytest_launch.demo.monitoring import wait_monitoring_ready

            wait_monitoring_ready(self.prometheus_url, 2, timeout)

    def stop(self) -> None:
        """Stop every server (in reverse order of start) and remove the work folder."""
        while self._stoppers:
            stopper = self._stoppers.pop()
            try:
                stopper()
            except Exception:
                pass
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> DemoEnvironment:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ the environment layer
    def environment_layer(self, base: Path) -> str:
        """The TOML layer over `base` (readiness/environments/demo.toml) with this run's ports and
        paths. Secrets stay ${VAR} placeholders."""
        q = json.dumps
        a, b = self.https_port, self.https_b_port
        lines = [
            "# Generated by pytest_launch.demo at start: this run's ports and paths, layered over the",
            "# hand-written demo environment. Do not edit; it is rewritten on every demo run.",
            "[environment]",
            "generated = true  # reports and messages name the file it extends",
            f"extends = {q(str(base.resolve()))}",
            "",
            "[http]",
            f"base_url = {q(self.base_url)}",
            f"ca_bundle = {q(str(self.ca_bundle))}",
            "",
            "[tls]",
            f"ca_bundle = {q(str(self.ca_bundle))}",
            "endpoints = [",
            f"  {{ host = {q(HOSTNAME)}, port = {a}, address = \"127.0.0.1\" }},",
            f"  {{ host = {q('www.' + HOSTNAME)}, port = {b}, address = \"127.0.0.1\" }},",
            *([f"  {{ host = {q('api.' + HOSTNAME)}, port = {self.tls_abort_port}, address = \"127.0.0.1\" }},"]
              if self.tls_abort_port else []),
            "]",
            "",
            "[dns]",
            f"nameservers = [{q(f'127.0.0.1:{self.dns_servfail_port or self.dns_ports[0]}')}]",
            "authoritative = [" + ", ".join(q(f"127.0.0.1:{p}") for p in self.dns_ports) + "]",
            "",
            "[security]",
            f"http_redirect_url = {q(f'http://127.0.0.1:{self.http_port}/')}",
            "",
            "[load_balancer]",
            "backends = [" + ", ".join(q(f"https://127.0.0.1:{p}/health") for p in (a, b)) + "]",
            "",
            "[providers]",
            f"feature_flags_url = {q(self.base_url + '/sandbox/flags/health')}",
            f"feature_flags_list_url = {q(self.base_url + '/sandbox/flags/api/flags')}",
            f"payments_url = {q(self.base_url + '/sandbox/payments/health')}",
            f"email_url = {q(self._provider_base('email_unreachable') + '/sandbox/email/health')}",
            f"push_url = {q(self.base_url + '/sandbox/push/health')}",
            f"analytics_url = {q(self.base_url + '/sandbox/analytics/health')}",
            "",
            "[kubernetes]",
            f"ca_bundle = {q(str(self.ca_bundle))}",
            "[[kubernetes.clusters]]",
            'name = "demo-eu-west-1"',
            f"api_url = {q(self.kube_url)}",
            'token = "${DEMO_KUBE_TOKEN}"',
            "",
            "[aws]",
            f"endpoint_url = {q(self.aws_endpoint)}",
            "",
        ]
        lines += ["[catalog]", f"schema = {q(str(CATALOG_SCHEMA))}", ""]
        if self.prometheus_url:
            from pytest_launch.demo.monitoring import PROMETHEUS_TABLE

            lines += ["[prometheus]", f"url = {q(self.prometheus_url)}", PROMETHEUS_TABLE]
        if self.alertmanager_url and _importable("pytest_launch.probes.alertmanager"):
            lines += ["[alertmanager]", f"url = {q(self.alertmanager_url)}",
                      'expected_receivers = ["catalog-oncall"]', 'synthetic_receiver = "catalog-oncall"',
                      "delivery_timeout_s = 10", ""]
        return "\n".join(lines)

    def _provider_base(self, unreachable_fault: str) -> str:
        """The app's base URL, or one whose port refuses connections when the fault is on."""
        if unreachable_fault in self.faults:
            return f"https://127.0.0.1:{self.refused_port}"
        return self.base_url

    def write_environment(self, path: Path, base: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, self.environment_layer(base))
        return path


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _make_certificates(workdir: Path, expired: bool) -> tuple[Path, Any, trustme.CA]:
    """A root CA, an intermediate, and a leaf for the demo names (chain: leaf + intermediate)."""
    import datetime as dt

    root = trustme.CA(organization_name=f"Demo Launch CA ({dns_server.DEMO_CAA_ISSUER})")
    intermediate = root.create_child_ca()
    not_after = None
    not_before = None
    if expired:  # "expires soon": 10 days left, below the 30-day threshold
        not_before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=80)
        not_after = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=10)
    leaf = intermediate.issue_cert(HOSTNAME, "www." + HOSTNAME, "api." + HOSTNAME, "localhost", "127.0.0.1",
                                   organization_name="Demo book catalog", not_before=not_before,
                                   not_after=not_after)
    bundle = workdir / "demo-ca.pem"
    root.cert_pem.write_to_path(str(bundle))
    return bundle, leaf, root


def start_demo(workdir: Path | None = None, faults: Iterable[str] = (),
               with_monitoring: bool = True, wait_for_monitoring: bool = True) -> DemoEnvironment:
    """Start every demo server; stop them all again if one fails to start.

    Prometheus needs about five seconds before its first scrape (its target discovery reports
    every 5 s); with `wait_for_monitoring=False` the demo returns without waiting for that, and
    `monitoring_ready()` waits later (the readiness suite overlaps it with collection)."""
    import tempfile

    fault_set = frozenset(faults)
    unknown = fault_set - ALL_FAULTS
    if unknown:
        raise ValueError(f"unknown demo faults: {', '.join(sorted(unknown))} (known: {', '.join(sorted(ALL_FAULTS))})")
    workdir = Path(tempfile.mkdtemp(prefix="launch-demo-")) if workdir is None else workdir
    workdir.mkdir(parents=True, exist_ok=True)
    stoppers: list[Any] = []
    try:
        return _start(workdir, fault_set, stoppers, with_monitoring, wait_for_monitoring)
    except BaseException:
        for stopper in reversed(stoppers):
            try:
                stopper()
            except Exception:
                pass
        raise


def _start(workdir: Path, faults: frozenset[str], stoppers: list[Any], with_monitoring: bool,
           wait_for_monitoring: bool) -> DemoEnvironment:
    catalog_bytes = CATALOG.read_bytes()
    catalog = json.loads(catalog_bytes)
    ca_bundle, leaf, _root = _make_certificates(workdir, "expired_certificate" in faults)
    chain_pem = "".join(blob.bytes().decode() for blob in leaf.cert_chain_pems)
    tls = server_tls_context(chain_pem, leaf.private_key_pem.bytes().decode())
    admin_token = secrets.token_urlsafe(24)
    server_header = "catalog/1.4.0 Python/3.11" if "server_version_leak" in faults else "catalog"

    app_faults = faults & demo_app.APP_FAULTS
    app_a = demo_app.CatalogApp(catalog, admin_token=admin_token, faults=app_faults, instance="app-a")
    server_a = DemoWSGIServer(app_a, tls=tls, server_header=server_header).start()
    stoppers.append(server_a.stop)
    b_faults = app_faults | ({"health_down"} if "backend_down" in faults else set())
    # backend_reports_down: app-b's /health answers 200 {"status": "DOWN"} (INF-06 reads the body)
    b_faults |= {demo_app.HEALTH_REPORTS_DOWN} if "backend_reports_down" in faults else set()
    b_version = PREVIOUS_VERSION if "stale_instance" in faults else demo_app.APP_VERSION
    app_b = demo_app.CatalogApp(catalog, admin_token=admin_token, faults=b_faults, instance="app-b",
                                version=b_version)
    server_b = DemoWSGIServer(app_b, tls=tls, server_header=server_header).start()
    stoppers.append(server_b.stop)
    base_url = f"https://127.0.0.1:{server_a.port}"
    redirect_base = "https://parked.launch.test" if "redirect_elsewhere" in faults else base_url
    redirector = DemoWSGIServer(redirect_app(redirect_base), tls=None, server_header="catalog").start()
    stoppers.append(redirector.stop)

    monitoring = None
    if with_monitoring:  # spawned now, waited for last: the rest starts meanwhile
        from pytest_launch.demo.monitoring import start_monitoring

        monitoring = start_monitoring(
            workdir, [server_a.port, server_b.port], base_url + "/hooks/alertmanager", str(ca_bundle),
            stoppers, prometheus="no_prometheus" not in faults, alertmanager="no_alertmanager" not in faults,
            faults=faults)

    dns_ports = []
    for index in range(2):
        serial = dns_server.DEMO_SOA_SERIAL + (1 if index == 1 and "dns_serial_mismatch" in faults else 0)
        server = dns_server.AuthoritativeServer(dns_server.zone_text(serial, caa="no_caa" not in faults)).start()
        stoppers.append(server.stop)
        dns_ports.append(server.port)

    moto = storage.start_moto()
    stoppers.append(moto.stop)
    host, port = moto.get_host_and_port()
    aws_endpoint = f"http://{host}:{port}"
    access_key, secret_key = "demo-" + secrets.token_hex(6), secrets.token_urlsafe(18)
    s3 = storage.client("s3", aws_endpoint, access_key, secret_key)
    storage.seed_backups(s3, catalog_bytes, faults & storage.STORAGE_FAULTS)
    storage.seed_secrets(storage.client("secretsmanager", aws_endpoint, access_key, secret_key))

    refused = refusing_socket()
    stoppers.append(refused.close)
    refused_port = refused.getsockname()[1]
    sentry = DemoWSGIServer(sentry_ingest_app(), tls=tls, server_header="relay").start()
    stoppers.append(sentry.stop)
    sentry_port = sentry.port
    if "error_tracking_not_sentry" in faults:
        sentry_port = server_a.port  # the app itself: it answers, but not as a Sentry ingest
    if "error_tracking_unreachable" in faults:
        sentry_port = refused_port

    kube_token = secrets.token_urlsafe(24)
    kube_server = DemoWSGIServer(kube.KubeReplayApp(kube_token, faults & kube.KUBE_FAULTS), tls=tls,
                                 server_header="kube-apiserver").start()
    stoppers.append(kube_server.stop)

    prometheus_url = alertmanager_url = None
    if monitoring is not None:
        prometheus_url, alertmanager_url = monitoring.prometheus_url, monitoring.alertmanager_url
        if wait_for_monitoring:
            monitoring.wait()

    tls_abort_port = dns_servfail_port = None
    if "tls_no_handshake" in faults:
        aborting = NoAnswerServer("tls")
        stoppers.append(aborting.stop)
        tls_abort_port = aborting.port
    if "dns_servfail" in faults:
        servfail = NoAnswerServer("dns")
        stoppers.append(servfail.stop)
        dns_servfail_port = servfail.port

    secret_values = {
        "DEMO_KUBE_TOKEN": kube_token,
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": secret_key,
        "DEMO_SENTRY_DSN": f"https://{secrets.token_hex(16)}@127.0.0.1:{sentry_port}/4507",
    }
    return DemoEnvironment(
        workdir=workdir, faults=faults, ca_bundle=ca_bundle, https_port=server_a.port,
        https_b_port=server_b.port, http_port=redirector.port, dns_ports=dns_ports,
        aws_endpoint=aws_endpoint, kube_url=f"https://127.0.0.1:{kube_server.port}",
        prometheus_url=prometheus_url, alertmanager_url=alertmanager_url,
        secrets=secret_values, app=app_a, refused_port=refused_port, tls_abort_port=tls_abort_port,
        dns_servfail_port=dns_servfail_port, _stoppers=stoppers,
    )


__all__ = ["DemoEnvironment", "start_demo", "ALL_FAULTS", "SECRET_VARIABLES"]
