"""Readiness checks of the edge, run through pytest against real nginx servers on 127.0.0.1:

- SEC-09 "Old TLS versions disabled" (test_security.py::test_legacy_tls_refused): passes against
  the test bed's modern server (TLS 1.2/1.3), fails against its legacy one (also TLS 1.0/1.1).
- INF-03 "CDN configuration validated" (test_infrastructure.py::test_cdn_configuration): passes
  against an nginx proxy_cache edge (Cache-Control, X-Cache-Status MISS then HIT), fails against
  a proxy without cache headers, an edge whose cache is bypassed (BYPASS every time) and an
  origin answering Cache-Control: no-store (MISS every time).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_launch.probes.cdn import cache_status_is_hit
from pytest_launch.probes.tls import local_protocol_support

ROOT = Path(__file__).parent.parent
READINESS = ROOT / "readiness"
SEC09 = "test_security.py::test_legacy_tls_refused"
INF03 = "test_infrastructure.py::test_cdn_configuration"


def _run(pytester: pytest.Pytester, check_file: str, name: str, environment: str) -> dict[str, Any]:
    """Run one readiness check through pytest against `environment` (TOML); its report entry."""
    env_file = pytester.path / "edge.toml"
    env_file.write_text('[environment]\nname = "edge-testbed"\n\n' + environment)
    report = pytester.path / "go-no-go.json"
    result = pytester.runpytest_inprocess(
        str(READINESS / check_file), "-k", name, f"--env={env_file}", "--rootdir", str(ROOT),
        "-c", str(ROOT / "pyproject.toml"), "-p", "no:cacheprovider", "-p", "no:randomly",
        "--launch-report-dir", str(pytester.path / "reports"), "--launch-json", str(report))
    assert report.exists(), result.stdout.str()[-3000:]
    checks = [c for c in json.loads(report.read_text())["checks"] if c["nodeid"].endswith(f"::{name}")]
    assert len(checks) == 1, result.stdout.str()[-3000:]
    return checks[0]


# ------------------------------------------------------------------------------------ SEC-09
def _tls_environment(nginx_testbed: Any, *cases: str) -> str:
    endpoints = ", ".join(f'{{ host = "localhost", port = {nginx_testbed.ports[c]}, address = "127.0.0.1" }}'
                          for c in cases)
    return (f"[tls]\nca_bundle = {json.dumps(str(nginx_testbed.ca_bundle))}\nendpoints = [{endpoints}]\n"
            'refused_protocols = ["TLSv1", "TLSv1.1"]\naccepted_protocols = ["TLSv1.2", "TLSv1.3"]\ntimeout = 3\n')


def test_sec09_passes_against_the_modern_server(nginx_testbed: Any, pytester: pytest.Pytester) -> None:
    support = local_protocol_support()
    if support["TLSv1"] is not True or support["TLSv1.1"] is not True:
        pytest.skip(f"this OpenSSL cannot speak TLS 1.0/1.1, so their refusal is not measurable: {support}")
    check = _run(pytester, "test_security.py", "test_legacy_tls_refused", _tls_environment(nginx_testbed, "good"))
    assert check["outcome"] == "passed", check["message"]
    port = nginx_testbed.ports["good"]
    answers = next(v for k, v in check["evidence"].items() if str(port) in k)
    assert answers["TLSv1"] == "refused" and answers["TLSv1.1"] == "refused" and answers["TLSv1.3"] == "accepted"


def test_sec09_fails_against_a_server_accepting_tls_1_0(nginx_testbed: Any, pytester: pytest.Pytester) -> None:
    support = local_protocol_support()
    if not nginx_testbed.legacy_protocols_served or support["TLSv1"] is not True:
        pytest.skip(f"the local OpenSSL cannot serve or speak TLS 1.0 here: {support['TLSv1']}")
    check = _run(pytester, "test_security.py", "test_legacy_tls_refused",
                 _tls_environment(nginx_testbed, "good", "legacy"))
    assert check["outcome"] == "failed"
    legacy, good = nginx_testbed.ports["legacy"], nginx_testbed.ports["good"]
    assert f"localhost:{legacy}" in check["message"]
    assert "accepts TLSv1; it must refuse it" in check["message"]
    assert "accepts TLSv1.1; it must refuse it" in check["message"]
    assert f"localhost:{good}" not in check["message"]  # the modern endpoint is not blamed


# ------------------------------------------------------------------------------------ INF-03
def _cdn_environment(urls: list[str], require_hit: bool = True) -> str:
    return (f'[http]\nbase_url = {json.dumps(urls[0])}\ntimeout = 3\nretries = 0\n\n'
            f"[cdn]\nurls = {json.dumps(urls)}\nrequire_hit = {json.dumps(require_hit)}\n")


def test_inf03_passes_against_a_caching_edge(cdn_testbed: Any, pytester: pytest.Pytester) -> None:
    url = cdn_testbed.url("edge", "/asset?case=inf03-pass")
    check = _run(pytester, "test_infrastructure.py", "test_cdn_configuration", _cdn_environment([url]))
    assert check["outcome"] == "passed", check["message"]
    evidence = check["evidence"][f"cdn {url}"]
    assert evidence["cache_status"] == ["MISS", "HIT"]  # a cold URL: filled, then served from the cache
    assert evidence["cache_control"] == "public, max-age=300"


def test_inf03_fails_against_edges_that_do_not_cache(cdn_testbed: Any, pytester: pytest.Pytester) -> None:
    edge, plain, bypass, no_store = (cdn_testbed.url(case, "/asset?case=inf03-fail")
                                     for case in ("edge", "plain", "bypass", "no_store"))
    check = _run(pytester, "test_infrastructure.py", "test_cdn_configuration",
                 _cdn_environment([edge, plain, bypass, no_store]))
    assert check["outcome"] == "failed"
    # the report's message: "AssertionError: " + the check's lines (pytest indents the following ones)
    lines = [line.strip().removeprefix("AssertionError: ") for line in check["message"].splitlines()]
    assert not [line for line in lines if line.startswith(edge)]  # the caching edge passes
    assert f"{plain}: no Cache-Control header" in lines
    assert any(line.startswith(f"{plain}: no cache status header") for line in lines)
    assert f"{bypass}: the CDN did not serve it from its cache in 2 requests (X-Cache-Status: BYPASS, BYPASS)" in lines
    assert any(line.startswith(f"{no_store}: Cache-Control 'no-store' forbids a shared cache") for line in lines)
    assert f"{no_store}: the CDN did not serve it from its cache in 2 requests (X-Cache-Status: MISS, MISS)" in lines


def test_inf03_without_require_hit_accepts_headers_alone(cdn_testbed: Any, pytester: pytest.Pytester) -> None:
    url = cdn_testbed.url("bypass", "/asset?case=inf03-headers")
    check = _run(pytester, "test_infrastructure.py", "test_cdn_configuration",
                 _cdn_environment([url], require_hit=False))
    assert check["outcome"] == "passed", check["message"]
    assert check["evidence"][f"cdn {url}"]["cache_status"] == ["BYPASS"]  # one request only


def test_inf03_errors_naming_an_unreachable_cdn(cdn_testbed: Any, closed_port: int, pytester: pytest.Pytester) -> None:
    """No answer from the CDN is no evidence: error (docs/decision.md, one meaning for no answer)."""
    url = f"http://127.0.0.1:{closed_port}/asset"
    check = _run(pytester, "test_infrastructure.py", "test_cdn_configuration", _cdn_environment([url]))
    assert check["outcome"] == "error"
    assert f"127.0.0.1:{closed_port}" in check["message"] and "refused" in check["message"].lower()


@pytest.mark.parametrize("header, value, hit", [
    ("X-Cache-Status", "HIT", True), ("X-Cache-Status", "MISS", False), ("X-Cache-Status", "BYPASS", False),
    ("X-Cache-Status", "STALE", True), ("X-Cache-Status", "EXPIRED", False), ("X-Cache", "TCP_HIT from edge-1", True),
    ("X-Cache", "Hit from cloudfront", True), ("X-Cache", "Miss from cloudfront", False),
    ("CF-Cache-Status", "DYNAMIC", False), ("CF-Cache-Status", "REVALIDATED", True),
    ("Cache-Status", "ExampleCache; hit", True), ("Cache-Status", "ExampleCache; fwd=uri-miss", False),
    ("Cache-Status", "Origin; fwd=stale; stored", False), ("X-Served-From-Cache", "true", True),
    ("X-Served-From-Cache", "false", False), ("X-Cache", "", False),
])
def test_cache_status_dialects(header: str, value: str, hit: bool) -> None:
    assert cache_status_is_hit(header, value) is hit
