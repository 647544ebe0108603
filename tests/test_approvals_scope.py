"""Waivers and sign-offs count only where they were given (issue 10, item 4): the environments
they name, the release a sign-off names, the outcomes a waiver names (a failure by default:
an error or a skip is no evidence, and accepting it must be written out)."""

from __future__ import annotations

import json

import pytest

from launch_project import TODAY, make_project

FAILING_TLS = """
import os
import pytest

@pytest.mark.checklist("SEC-01")
def test_tls():
    assert False, "certificate expires in 3 days"

@pytest.mark.checklist("PERF-02")
def test_cache():
    pass

@pytest.mark.checklist("T0-12")
def test_error_rate():
    pass
"""

# no answer at all: a real connection to a loopback port where nothing listens
REFUSED_TLS = """
import socket
import pytest
from pytest_launch.probes.errors import ProbeError

@pytest.mark.checklist("SEC-01")
def test_tls():
    port = {port}
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError as exc:
        raise ProbeError(f"127.0.0.1:{{port}}", str(exc)) from None

@pytest.mark.checklist("PERF-02")
def test_cache():
    pass

@pytest.mark.checklist("T0-12")
def test_error_rate():
    pass
"""


def waiver(environments: str, accepts: str = "") -> str:
    return f"""
[[waiver]]
check = "SEC-01"
reason = "renewal ordered"
owner = "security-lead"
approved_by = "cto"
expires = 2026-12-31
environments = {environments}
{accepts}
"""


def signoff(environments: str, release: str = "") -> str:
    return f"""
[[signoff]]
item = "MON-06"
by = "jane.doe"
at = 2026-11-20
evidence = "https://pagerduty.example/schedules/ABC"
environments = {environments}
{release}
"""


PROD_RELEASE = """
[environment]
name = "prod"
production = true
release = "{release}"
"""


@pytest.fixture(autouse=True)
def launch_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)


def decide(pytester: pytest.Pytester, *args: str) -> tuple[int, dict]:
    out = pytester.path / "out.json"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", "--launch-gate",
                                           f"--launch-json={out}", *args)
    doc = json.loads(out.read_text())
    return result.ret, doc


def test_a_waiver_for_another_environment_has_no_effect(pytester):
    make_project(pytester, FAILING_TLS, waivers=waiver('["demo"]'), signoffs=signoff('["prod"]'))
    code, doc = decide(pytester)
    assert (code, doc["verdict"]) == (1, "NO_GO")
    assert [w["status"] for w in doc["waivers"]] == ["other_environment"]
    assert any(r["code"] == "failed" and r["checklist"] == "SEC-01" for r in doc["reasons"])
    assert any("given for demo, not prod" in r["text"] for r in doc["reasons"])


@pytest.mark.parametrize("xdist", [False, True], ids=["plain", "xdist"])
def test_a_waiver_for_this_environment_accepts_the_failure(pytester, xdist):
    make_project(pytester, FAILING_TLS, waivers=waiver('["prod", "staging"]'), signoffs=signoff('["prod"]'))
    code, doc = decide(pytester, *(["-n", "2"] if xdist else []))
    assert (code, doc["verdict"]) == (0, "GO_WITH_RISKS")
    assert [w["status"] for w in doc["waivers"]] == ["used"]


def test_a_waiver_for_every_environment_is_shown_as_such(pytester):
    make_project(pytester, FAILING_TLS, waivers=waiver('["*"]'), signoffs=signoff('["*"]'))
    code, doc = decide(pytester)
    assert (code, doc["verdict"]) == (0, "GO_WITH_RISKS")
    assert doc["waivers"][0]["everywhere"] is True and doc["signoffs"][0]["everywhere"] is True
    assert "for every environment" in next(r["text"] for r in doc["reasons"] if r["code"] == "waived")
    html = next(pytester.path.glob("reports/prod/**/go-no-go.html")).read_text()
    assert html.count("EVERY ENVIRONMENT") == 2


def test_a_signoff_for_another_environment_does_not_count(pytester):
    make_project(pytester, FAILING_TLS.replace('assert False, "certificate expires in 3 days"', "pass"),
                 signoffs=signoff('["staging"]'))
    code, doc = decide(pytester)
    assert (code, doc["verdict"]) == (1, "NO_GO")
    assert [s["status"] for s in doc["signoffs"]] == ["other_environment"]
    assert [r["code"] for r in doc["reasons"] if r["blocking"]] == ["unsigned"]


def test_a_waiver_of_a_failure_does_not_accept_an_error(pytester, closed_port):
    make_project(pytester, REFUSED_TLS.format(port=closed_port), waivers=waiver('["prod"]'),
                 signoffs=signoff('["prod"]'))
    code, doc = decide(pytester)
    assert (code, doc["verdict"]) == (1, "NO_GO")
    tls = next(c for c in doc["checks"] if c["checklist"] == "SEC-01")
    assert tls["outcome"] == "error" and tls["waiver"] is None
    assert [w["status"] for w in doc["waivers"]] == ["unused"]


def test_a_waiver_that_accepts_an_error_says_so(pytester, closed_port):
    make_project(pytester, REFUSED_TLS.format(port=closed_port),
                 waivers=waiver('["prod"]', 'accepts = ["failed", "error"]'), signoffs=signoff('["prod"]'))
    code, doc = decide(pytester)
    assert (code, doc["verdict"]) == (0, "GO_WITH_RISKS")
    waived = next(r for r in doc["reasons"] if r["code"] == "waived")
    assert "no evidence: this waiver accepts an error" in waived["text"]
    assert doc["waivers"][0]["accepts_no_evidence"] == ["error"]


@pytest.mark.parametrize("xdist", [False, True], ids=["plain", "xdist"])
def test_a_release_bound_signoff_lapses_when_the_release_changes(pytester, xdist):
    checks = FAILING_TLS.replace('assert False, "certificate expires in 3 days"', "pass")
    extra = ["-n", "2"] if xdist else []
    make_project(pytester, checks, env=PROD_RELEASE.format(release="1.4.0"),
                 signoffs=signoff('["prod"]', 'release = "1.4.0"'))
    code, doc = decide(pytester, *extra)
    assert (code, doc["verdict"]) == (0, "GO")
    assert doc["signoffs"][0]["covered_release"] == "1.4.0" and doc["run"]["release"] == "1.4.0"
    (pytester.path / "readiness/environments/prod.toml").write_text(PROD_RELEASE.format(release="1.4.1"))
    code, doc = decide(pytester, *extra)
    assert (code, doc["verdict"]) == (1, "NO_GO")
    assert [s["status"] for s in doc["signoffs"]] == ["other_release"]
    assert any("covers release 1.4.0, not 1.4.1" in r["text"] for r in doc["reasons"])


def test_the_release_falls_back_to_the_expected_application_version(pytester):
    env = '[environment]\nname = "prod"\n[application]\nexpected_version = "2.0.0"\n'
    make_project(pytester, FAILING_TLS.replace('assert False, "certificate expires in 3 days"', "pass"),
                 env=env, signoffs=signoff('["prod"]', 'release = "1.9.0"'))
    code, doc = decide(pytester)
    assert (code, doc["run"]["release"], doc["signoffs"][0]["status"]) == (1, "2.0.0", "other_release")


@pytest.mark.parametrize("text, found", [
    ('evidence = "see the wiki"', "'see the wiki'"),
    ('evidence = "javascript:alert(1)"', "'javascript:alert(1)'"),
    ('evidence = "ftp://files.example/x"', "'ftp://files.example/x'"),
])
def test_signoff_evidence_must_be_an_http_link(pytester, text, found):
    signoffs = signoff('["prod"]').replace('evidence = "https://pagerduty.example/schedules/ABC"', text)
    make_project(pytester, FAILING_TLS, signoffs=signoffs)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod")
    assert result.ret == 4
    err = result.stderr.str()
    assert "Traceback" not in err
    assert "signoffs.toml:6" in err and "signoff[0].evidence" in err and "https:// or http:// link" in err
    assert found in err


@pytest.mark.parametrize("kind", ["waiver", "signoff"])
def test_an_approval_without_environments_is_a_usage_error(pytester, kind):
    text = waiver('["prod"]') if kind == "waiver" else signoff('["prod"]')
    text = text.replace('environments = ["prod"]\n', "")
    make_project(pytester, FAILING_TLS, **{f"{kind}s": text})
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod")
    assert result.ret == 4
    assert "environments" in result.stderr.str() and "Traceback" not in result.stderr.str()


def test_a_waiver_with_an_unknown_outcome_is_a_usage_error(pytester):
    make_project(pytester, FAILING_TLS, waivers=waiver('["prod"]', 'accepts = ["broken"]'))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod")
    assert result.ret == 4 and "accepts" in result.stderr.str()
