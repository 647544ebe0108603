"""The HTTP probe against real nginx on loopback: pass cases and every failure it must name."""

from __future__ import annotations

import time

import pytest

from pytest_launch import __version__
from pytest_launch.core.errors import ConfigError
from pytest_launch.core.settings import build
from pytest_launch.probes.errors import ProbeError, mask_secrets
from pytest_launch.probes.http import Cookie, HttpProbe, HttpSettings


@pytest.fixture
def http(nginx_testbed) -> HttpProbe:
    probe = HttpProbe(HttpSettings(base_url=nginx_testbed.url("good"), ca_bundle=str(nginx_testbed.ca_bundle),
                                   timeout=3, retries=1, backoff_factor=0.05))
    yield probe
    probe.close()


def test_get_reports_status_headers_and_elapsed(http):
    result = http.get("/")
    assert result.status == 200
    assert result.text == "good\n"
    assert result.elapsed_ms > 0
    assert result.headers["strict-transport-security"].startswith("max-age=31536000")
    assert result.headers["X-Content-Type-Options"] == "nosniff"
    assert result.response.request.headers["User-Agent"] == f"pytest-launch/{__version__}"


def test_hsts_is_absent_on_a_server_without_it(nginx_testbed):
    probe = HttpProbe(HttpSettings(base_url=nginx_testbed.url("expiring"), ca_bundle=str(nginx_testbed.ca_bundle)))
    assert "Strict-Transport-Security" not in probe.get("/").headers


def test_cookies_carry_their_security_attributes(http):
    result = http.get("/login")
    session = result.cookie("session")
    assert session is not None
    assert (session.secure, session.httponly, session.samesite) == (True, True, "Strict")
    theme = result.cookie("theme")
    assert (theme.secure, theme.httponly, theme.samesite) == (False, False, None)


def test_redirect_chain_followed_and_not(nginx_testbed):
    probe = HttpProbe(HttpSettings(base_url=nginx_testbed.url("http"), ca_bundle=str(nginx_testbed.ca_bundle)))
    followed = probe.get("/landing")
    assert [hop.status for hop in followed.redirect_chain] == [301, 200]
    assert followed.url == nginx_testbed.url("good", "/landing")
    not_followed = probe.get("/landing", follow_redirects=False)
    assert not_followed.status == 301
    assert not_followed.redirect_chain[0].location == nginx_testbed.url("good", "/landing")


def test_rate_limit_answers_429_under_burst(http):
    statuses = http.burst("/limited", count=20, concurrency=10)
    assert 429 in statuses and 200 in statuses


def test_no_rate_limit_means_no_429(http):
    assert 429 not in http.burst("/", count=20, concurrency=10)


def test_5xx_is_an_error_naming_the_target(http, nginx_testbed):
    with pytest.raises(ProbeError, match=r"GET https://localhost:\d+/broken: server error 500"):
        http.get("/broken")
    assert http.get("/broken", accept_5xx=True).status == 500


def test_tls_verification_is_on_by_default(nginx_testbed):
    probe = HttpProbe(HttpSettings(base_url=nginx_testbed.url("good"), retries=0))  # no CA bundle
    with pytest.raises(ProbeError, match="TLS handshake failed: certificate verify failed"):
        probe.get("/")


def test_expired_certificate_fails_the_request(nginx_testbed):
    probe = HttpProbe(HttpSettings(base_url=nginx_testbed.url("expired"), ca_bundle=str(nginx_testbed.ca_bundle),
                                   retries=0))
    with pytest.raises(ProbeError, match="certificate has expired"):
        probe.get("/")


def test_connection_refused_names_the_target(closed_port):
    probe = HttpProbe(HttpSettings(base_url=f"http://127.0.0.1:{closed_port}", retries=1, backoff_factor=0.01))
    with pytest.raises(ProbeError, match=rf"GET http://127.0.0.1:{closed_port}/health: connection refused"):
        probe.get("/health")


def test_dns_failure_names_the_target(monkeypatch):
    # Mocked: a real failed lookup would send a query to the machine's resolver, off loopback.
    import socket

    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host == "no-such-host.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    probe = HttpProbe(HttpSettings(base_url="http://no-such-host.invalid", retries=0, timeout=2))
    with pytest.raises(ProbeError, match=r"no-such-host.invalid/: DNS lookup failed"):
        probe.get("/")


def test_silent_server_costs_at_most_the_timeout(silent_server):
    probe = HttpProbe(HttpSettings(base_url=f"http://127.0.0.1:{silent_server.port}", timeout=0.5, retries=0))
    start = time.monotonic()
    # with no retry the read timeout and the overall deadline are the same 0.5 s: either may end it
    with pytest.raises(ProbeError, match=r"no answer within 0.5s \((read timeout|the overall deadline)"):
        probe.get("/")
    assert time.monotonic() - start < 0.5 + 5  # bounded, not hanging: generous slack on a shared machine


def test_password_in_the_url_never_reaches_the_message(closed_port):
    probe = HttpProbe(HttpSettings(base_url=f"http://admin:hunter2@127.0.0.1:{closed_port}", retries=0))
    with pytest.raises(ProbeError) as caught:
        probe.get("/")
    assert "hunter2" not in str(caught.value)
    assert "http://***@127.0.0.1" in str(caught.value)


def test_known_secrets_are_masked():
    assert mask_secrets("token tok-123 in https://u:p@h/", ["tok-123"]) == "token *** in https://***@h/"


def test_evidence_records_target_and_measured_values(nginx_testbed):
    recorded: dict = {}
    probe = HttpProbe(HttpSettings(base_url=nginx_testbed.url("good"), ca_bundle=str(nginx_testbed.ca_bundle)),
                      evidence=recorded.update)
    probe.get("/")
    values = recorded[f"http GET {nginx_testbed.url('good')}"]
    assert values["status"] == 200 and values["elapsed_ms"] > 0


def test_settings_validation():
    with pytest.raises(ConfigError, match=r"env.toml: http: expected base_url to be an http"):
        build(HttpSettings, {"base_url": "ftp://x"}, "env.toml", "http")
    with pytest.raises(ConfigError, match=r"http.timout: .*did you mean 'timeout'"):
        build(HttpSettings, {"base_url": "https://x", "timout": 3}, "env.toml", "http")


def test_cookie_parsing():
    cookie = Cookie.parse("id=a=b; Secure; HttpOnly; SameSite=lax; Path=/; Max-Age=60")
    assert (cookie.name, cookie.value, cookie.secure, cookie.httponly, cookie.samesite, cookie.max_age) == (
        "id", "a=b", True, True, "Lax", "60")
