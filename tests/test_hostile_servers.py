"""Hostile input from the outside world, end to end: an HTTPS server on 127.0.0.1 whose response
headers carry XSS payloads, behind a certificate (made with trustme) whose subject CN and O are
XSS payloads. A pytester launch suite probes it through the plugin's own fixtures (`--env`
pointing at an environment file for that server), records what it saw as evidence and fails
with messages quoting it. The go-no-go.html and go-no-go.md the plugin writes must carry every
payload only escaped, never raw; and, when Chromium is installed, none of them runs in a real
browser (helpers shared with tests/test_report_browser.py).
"""

from __future__ import annotations

import http.server
import json
import re
import ssl
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from test_report_browser import IMG_PAYLOAD, SCRIPT_PAYLOAD, assert_no_payload_ran, dump_dom

from launch_project import make_project
from testbed.support import require_binary

ALERT_PAYLOAD = "<img src=x onerror=alert(1)>"
ENV_NAME = "hostile"

# Where each payload comes from: response headers (the page's script payload in Server, the
# alert payload in X-Powered-By and in a security header the headers check records), the
# certificate subject (CN: the page's img payload; O: the alert payload), and the CA's O.
HEADERS = {
    "X-Powered-By": ALERT_PAYLOAD,
    "Content-Security-Policy": f"default-src 'self' {SCRIPT_PAYLOAD}",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
_RUN: dict[str, str] = {}
# the payloads and their heads (a truncated or partly escaped payload still counts as raw)
RAW = [SCRIPT_PAYLOAD, IMG_PAYLOAD, ALERT_PAYLOAD, "<script>document.", "<img src=x onerror"]


class HostileHandler(http.server.BaseHTTPRequestHandler):
    def version_string(self) -> str:  # the Server header
        return SCRIPT_PAYLOAD

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        body = b"ok\n"
        self.send_response(200)
        for name, value in HEADERS.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def hostile_https(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """(port, CA bundle) of an HTTPS server on 127.0.0.1 with hostile headers and certificate."""
    folder = tmp_path_factory.mktemp("hostile-https")
    ca = trustme.CA(organization_name=f"Evil CA {ALERT_PAYLOAD}")
    leaf = ca.issue_cert("localhost", "127.0.0.1", common_name=IMG_PAYLOAD, organization_name=ALERT_PAYLOAD)
    ca_bundle = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_bundle))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    leaf.configure_cert(context)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HostileHandler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], ca_bundle
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


CHECKS = """
import pytest

VERSIONED = ("Server", "X-Powered-By")
SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy")


@pytest.mark.t_minus_7
@pytest.mark.security
@pytest.mark.critical
@pytest.mark.owner("security-team")
def test_no_server_banner(launch_http, launch_evidence):
    result = launch_http.get("/")
    problems = []
    for name in VERSIONED:
        value = result.headers.get(name)
        launch_evidence.record(**{f"{name} /": value})
        if value:
            problems.append(f"{name}: {value} ({result.url})")
    assert not problems, "; ".join(problems)


@pytest.mark.t_minus_7
@pytest.mark.security
@pytest.mark.normal
@pytest.mark.owner("security-team")
def test_security_headers_recorded(launch_http, launch_evidence):
    result = launch_http.get("/")
    launch_evidence.record(**{"headers /": {name: result.headers.get(name) for name in SECURITY_HEADERS}})
    assert all(result.headers.get(name) for name in SECURITY_HEADERS)


@pytest.mark.t_minus_7
@pytest.mark.security
@pytest.mark.blocker
@pytest.mark.owner("security-team")
def test_certificate_names_the_service(launch_tls, launch_evidence):
    (endpoint,) = launch_tls.settings.targets()
    result = launch_tls.probe(endpoint)
    launch_evidence.record(common_name=result.leaf.common_name, organization=result.leaf.subject)
    assert result.verified, result.verify_error
    assert result.leaf.common_name == "localhost", f"certificate CN is {result.leaf.common_name} ({result.leaf.subject})"
"""


@pytest.fixture
def launch_run(pytester: pytest.Pytester, hostile_https: tuple[int, Path]) -> dict[str, str]:
    """Run the hostile suite with --env pointing at an environment file for the server; the
    three reports it wrote (json, html, md) as text. Made once; the other tests read it."""
    if _RUN:
        return _RUN
    port, ca_bundle = hostile_https
    make_project(pytester, CHECKS, env=None, checklist=None)
    env_file = pytester.path / "envs" / f"{ENV_NAME}.toml"
    env_file.parent.mkdir()
    env_file.write_text(textwrap.dedent(f"""
        [environment]
        name = "{ENV_NAME}"
        production = false

        [http]
        base_url = "https://localhost:{port}"
        timeout = 5
        retries = 0
        ca_bundle = "{ca_bundle.as_posix()}"

        [tls]
        endpoints = [{{ host = "localhost", port = {port}, address = "127.0.0.1" }}]
        timeout = 5
        ca_bundle = "{ca_bundle.as_posix()}"
        """), encoding="utf-8")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", f"--env={env_file}")
    folder = pytester.path / "reports" / ENV_NAME / "all"  # no -m: every phase
    assert (folder / "go-no-go.html").exists(), result.stdout.str()[-3000:]
    reports = {kind: (folder / f"go-no-go.{kind}").read_text("utf-8") for kind in ("json", "html", "md")}
    reports["terminal"] = result.stdout.str()
    _RUN.update(reports)
    return _RUN


def _strings(value: object) -> Iterator[str]:
    """Every string in a JSON value (keys included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _carries(value: object, payload: str) -> bool:
    return any(payload in text for text in _strings(value))


def _check(doc: dict, name: str) -> dict:
    (check,) = [c for c in doc["checks"] if c["nodeid"].endswith(name)]
    return check


def test_the_payloads_reached_the_report_as_evidence_and_messages(launch_run: dict[str, str]) -> None:
    # the run really probed the hostile server: without this the escaping tests below prove nothing
    doc = json.loads(launch_run["json"])
    assert doc["verdict"] == "NO_GO"
    banner = _check(doc, "test_no_server_banner")
    assert banner["outcome"] == "failed"
    assert _carries(banner["evidence"], SCRIPT_PAYLOAD) and _carries(banner["evidence"], ALERT_PAYLOAD)
    assert _carries(banner, f"Server: {SCRIPT_PAYLOAD}")  # the failure message quotes it
    headers = _check(doc, "test_security_headers_recorded")
    assert headers["outcome"] == "passed"
    assert _carries(headers["evidence"], SCRIPT_PAYLOAD)
    certificate = _check(doc, "test_certificate_names_the_service")
    assert certificate["outcome"] == "failed"
    assert _carries(certificate["evidence"], IMG_PAYLOAD)
    assert _carries(certificate, f"certificate CN is {IMG_PAYLOAD}")
    assert _carries(certificate["evidence"], f"O=Evil CA \\{ALERT_PAYLOAD[:-1]}")  # the issuer, RFC 4514-escaped


def test_html_report_carries_the_payloads_only_escaped(launch_run: dict[str, str]) -> None:
    page = launch_run["html"]
    for raw in RAW:
        assert raw not in page, f"raw {raw!r} in go-no-go.html at ...{page[max(0, page.find(raw) - 200):page.find(raw) + 80]}..."
    assert "&lt;script&gt;document.body.setAttribute(" in page  # Server header, CSP evidence
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # X-Powered-By, certificate O
    assert re.search(r"&lt;img src=x onerror=(\\?&#34;|\\?&quot;|\\?\")document.title=", page)  # certificate CN


def test_markdown_report_carries_the_payloads_only_escaped(launch_run: dict[str, str]) -> None:
    summary = launch_run["md"]
    for raw in RAW:
        assert raw not in summary, f"raw {raw!r} in go-no-go.md: {summary}"
    assert "&lt;script&gt;" in summary
    assert "&lt;img src=x onerror=" in summary


def test_payloads_do_not_run_in_a_browser(launch_run: dict[str, str], tmp_path: Path) -> None:
    browser = require_binary("chromium", "chromium")
    page = tmp_path / "go-no-go.html"
    page.write_text(launch_run["html"], encoding="utf-8")
    assert_no_payload_ran(dump_dom(browser, tmp_path, page))
