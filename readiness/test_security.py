"""Security checks (checklist: Pre-Launch Validation / Security, and task 6.2.2 security settings).

Read-only except the rate-limit burst, which is marked destructive (load): against a
`production = true` environment it runs only with --launch-allow-destructive.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from launch_suite.checks import setting, table

from pytest_launch.probes.aws import is_no_answer
from pytest_launch.probes.errors import NoAnswer, ProbeError, conclude
from pytest_launch.probes.tls import ACCEPTED, REFUSED

_VERSION = re.compile(r"\d+\.\d+|/\s*\d")
_LOGIN_WORDS = ("login", "signin", "sign-in", "auth", "sso")


def _pages(env: Any, key: str) -> list[str]:
    paths = table(env, "security").get(key)
    if not paths:
        pytest.skip(f"not configured: [security] {key} is empty in {env.where}")
    return paths


# ------------------------------------------------------------------------------------ SEC-03
@pytest.mark.destructive
@pytest.mark.env_tables("security")
@pytest.mark.checklist("SEC-03")
def test_api_rate_limiting(launch_env: Any, launch_http: Any, launch_evidence: Any) -> None:
    """DESTRUCTIVE (load): a bounded burst is answered with 429 before it ends."""
    probe = setting(launch_env, "security", "rate_limit")
    statuses = launch_http.burst(probe.path, count=probe.requests, concurrency=probe.concurrency)
    counts = {str(s): statuses.count(s) for s in sorted(set(statuses))}
    launch_evidence.record(burst_requests=probe.requests, concurrency=probe.concurrency, statuses=counts)
    assert 429 in statuses, (f"{launch_http.url(probe.path)}: {probe.requests} requests, {probe.concurrency} at a "
                             f"time, and not one 429 Too Many Requests (statuses: {counts})")


# ------------------------------------------------------------------------------------ SEC-05
@pytest.mark.env_tables("security")
@pytest.mark.checklist("SEC-05")
def test_waf_blocks_attack_signatures(launch_env: Any, launch_http: Any, launch_evidence: Any) -> None:
    """Harmless requests carrying SQL-injection / XSS signatures are refused (403/406)."""
    probes = _pages(launch_env, "waf_probes")
    statuses = {}
    for path in probes:
        statuses[path] = launch_http.get(path, follow_redirects=False).status
    launch_evidence.record(waf_probe_status=statuses)
    passed = {p: s for p, s in statuses.items() if s not in (403, 406)}
    assert not passed, f"the WAF let attack signatures through (expected 403): {passed}"


# ------------------------------------------------------------------------------------ SEC-06
@pytest.mark.env_tables("secrets_rotation")
@pytest.mark.checklist("SEC-06")
def test_secrets_rotated(launch_env: Any, launch_aws: Any, launch_evidence: Any) -> None:
    """Every configured secret was rotated within max_age_days (Secrets Manager LastRotatedDate)."""
    rotation = table(launch_env, "secrets_rotation")
    if not rotation.secrets:
        pytest.skip(f"not configured: [secrets_rotation] secrets is empty in {launch_env.where}")
    client = launch_aws.client("secretsmanager")
    now = dt.datetime.now(dt.timezone.utc)
    problems, ages = [], {}
    for secret_id in rotation.secrets:
        try:
            described = client.describe_secret(SecretId=secret_id)
        except Exception as error:  # botocore ClientError, endpoint errors
            if is_no_answer(error):  # Secrets Manager gave no answer: no evidence, the check errors
                raise NoAnswer(f"secret {secret_id}", f"Secrets Manager gave no answer ({type(error).__name__})") from None
            code = getattr(error, "response", {}).get("Error", {}).get("Code", type(error).__name__)
            problems.append(f"secret {secret_id} cannot be described ({code})")
            continue
        rotated = described.get("LastRotatedDate")
        if rotated is None:
            ages[secret_id] = None
            problems.append(f"secret {secret_id} has never been rotated (no LastRotatedDate)")
            continue
        age_days = (now - rotated).total_seconds() / 86400
        ages[secret_id] = round(age_days, 1)
        if age_days > rotation.max_age_days:
            problems.append(f"secret {secret_id} was last rotated {age_days:.0f} days ago, "
                            f"at most {rotation.max_age_days} allowed")
    launch_evidence.record(rotation_age_days=ages, max_age_days=rotation.max_age_days)
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------------ SEC-07
@pytest.mark.env_tables("security")
@pytest.mark.checklist("SEC-07")
def test_admin_endpoints_require_authentication(launch_env: Any, launch_http: Any, launch_evidence: Any) -> None:
    """Unauthenticated requests to admin endpoints get 401/403 (or a redirect to a login page)."""
    paths = _pages(launch_env, "admin_paths")
    statuses, problems = {}, []
    for path in paths:
        result = launch_http.get(path, follow_redirects=False)
        statuses[path] = result.status
        if result.status in (401, 403):
            continue
        location = (result.headers.get("Location") or "").lower()
        if 300 <= result.status < 400 and any(word in location for word in _LOGIN_WORDS):
            continue
        problems.append(f"{result.url}: answered {result.status} without credentials, expected 401/403")
    launch_evidence.record(unauthenticated_status=statuses)
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------------ SEC-09
@pytest.mark.checklist("SEC-09")
def test_legacy_tls_refused(launch_tls: Any, launch_evidence: Any) -> None:
    """TLS 1.0 and 1.1 refused, modern versions accepted, on every endpoint."""
    targets = launch_tls.settings.targets()
    if not targets:
        pytest.skip("not configured: [tls] endpoints is empty")
    problems: list[str] = []
    untestable: list[str] = []
    unanswered: list[ProbeError] = []
    for target in targets:
        try:
            answers = launch_tls.protocols(target)
        except ProbeError as error:
            unanswered.append(error)
            continue
        launch_evidence.record(**{f"protocols {target}": answers})
        for version in launch_tls.settings.refused_protocols:
            if answers[version] == ACCEPTED:
                problems.append(f"{target}: accepts {version}; it must refuse it")
            elif answers[version] != REFUSED:
                untestable.append(f"{target} {version}: {answers[version]}")
        for version in launch_tls.settings.accepted_protocols:
            if answers[version] == REFUSED:
                problems.append(f"{target}: refuses {version}; it must accept it")
    conclude(unanswered, problems, "TLS endpoints")
    assert not problems, "\n".join(problems)
    if untestable:
        pytest.skip("not measurable on this machine (missing evidence): " + "; ".join(untestable))


# ------------------------------------------------------------------------------------ SEC-10
@pytest.mark.env_tables("security")
@pytest.mark.checklist("SEC-10")
def test_hsts_max_age(launch_env: Any, launch_http: Any, launch_evidence: Any) -> None:
    security = table(launch_env, "security")
    result = launch_http.get("/")
    header = result.headers.get("Strict-Transport-Security")
    required = security.hsts_min_days * 86400
    match = re.search(r"max-age\s*=\s*\"?(\d+)", header or "", re.IGNORECASE)
    max_age = int(match.group(1)) if match else None
    launch_evidence.record(hsts=header, max_age_s=max_age, required_s=required)
    assert header, f"{result.url}: no Strict-Transport-Security header"
    assert max_age is not None, f"{result.url}: Strict-Transport-Security has no max-age: {header!r}"
    assert max_age >= required, (f"{result.url}: HSTS max-age {max_age}s ({max_age // 86400} days), "
                                 f"at least {required}s ({security.hsts_min_days} days) required")


@pytest.mark.env_tables("security")
@pytest.mark.checklist("SEC-10")
def test_plain_http_redirects_to_https(launch_env: Any, launch_http: Any, launch_evidence: Any) -> None:
    url = setting(launch_env, "security", "http_redirect_url")
    result = launch_http.get(url, follow_redirects=False)
    location = result.headers.get("Location", "")
    launch_evidence.record(status=result.status, location=location)
    assert result.status in (301, 302, 307, 308), f"{url}: answered {result.status}, expected a redirect to HTTPS"
    assert location.startswith("https://"), f"{url}: redirects to {location!r}, not to an https:// URL"
    # the same site over HTTPS: the plain-HTTP host's or [http] base_url's host (a redirect to a
    # parked or stale domain is HTTPS too, and sends every plain-HTTP visitor away)
    ours = {urlsplit(url).hostname, urlsplit(table(launch_env, "http").base_url or "").hostname} - {None}
    target = urlsplit(location).hostname
    assert target in ours, (f"{url}: redirects to another host {target!r} ({location}), not to the site "
                            f"({', '.join(sorted(ours))})")


# ------------------------------------------------------------------------------------ SEC-11
def _header_problems(url: str, headers: Any) -> list[str]:
    problems = []
    csp = headers.get("Content-Security-Policy")
    if not csp:
        problems.append(f"{url}: no Content-Security-Policy")
    if (headers.get("X-Content-Type-Options") or "").strip().lower() != "nosniff":
        problems.append(f"{url}: X-Content-Type-Options is {headers.get('X-Content-Type-Options')!r}, expected 'nosniff'")
    frame = (headers.get("X-Frame-Options") or "").strip().upper()
    if frame not in ("DENY", "SAMEORIGIN") and "frame-ancestors" not in (csp or ""):
        problems.append(f"{url}: no X-Frame-Options DENY/SAMEORIGIN and no CSP frame-ancestors")
    referrer = (headers.get("Referrer-Policy") or "").strip().lower()
    if not referrer or referrer == "unsafe-url":
        problems.append(f"{url}: Referrer-Policy is {headers.get('Referrer-Policy')!r}")
    return problems


@pytest.mark.env_tables("security")
@pytest.mark.checklist("SEC-11")
def test_security_headers(launch_env: Any, launch_http: Any, launch_evidence: Any) -> None:
    problems = []
    for path in _pages(launch_env, "header_paths"):
        result = launch_http.get(path)
        launch_evidence.record(**{f"headers {path}": {name: result.headers.get(name) for name in (
            "Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy")}})
        problems += _header_problems(result.url, result.headers)
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------------ SEC-12
@pytest.mark.env_tables("security")
@pytest.mark.checklist("SEC-12")
def test_no_server_version_leak(launch_env: Any, launch_http: Any, launch_evidence: Any) -> None:
    problems = []
    for path in _pages(launch_env, "header_paths"):
        result = launch_http.get(path)
        for name in ("Server", "X-Powered-By", "X-AspNet-Version", "X-Runtime-Version"):
            value = result.headers.get(name)
            launch_evidence.record(**{f"{name} {path}": value})
            if value and _VERSION.search(value):
                problems.append(f"{result.url}: {name}: {value!r} discloses a version")
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------------ SEC-13
@pytest.mark.env_tables("security")
@pytest.mark.checklist("SEC-13")
def test_cookies_secure(launch_env: Any, launch_http: Any, launch_evidence: Any) -> None:
    problems, seen = [], []
    for path in _pages(launch_env, "cookie_paths"):
        result = launch_http.get(path)
        for cookie in result.cookies:
            seen.append(cookie.evidence())
            missing = [flag for flag, ok in (("Secure", cookie.secure), ("HttpOnly", cookie.httponly),
                                             ("SameSite", cookie.samesite)) if not ok]
            if missing:
                problems.append(f"{result.url}: cookie {cookie.name!r} lacks {', '.join(missing)}")
    launch_evidence.record(cookies=seen)
    assert not problems, "\n".join(problems)
    if not seen:  # nothing was checked: the pages that set the session cookie are not in cookie_paths
        pytest.skip("no evidence: no page of [security] cookie_paths set a cookie (list the pages that set "
                    "the session cookie, or set cookie_paths = [] if the site sets none)")


# ------------------------------------------------------------------------------------ SEC-14
@pytest.mark.env_tables("security|backups")
@pytest.mark.checklist("SEC-14")
def test_buckets_private_and_encrypted(launch_env: Any, launch_s3: Any, launch_evidence: Any) -> None:
    security = launch_env.table("security")
    buckets = list(security.buckets) if security is not None and security.buckets else []
    if not buckets and launch_s3.backups is not None:
        buckets = [launch_s3.backups.bucket]
    if not buckets:
        pytest.skip("not configured: no [security] buckets and no [backups] bucket")
    problems = []
    for bucket in buckets:
        blocked = launch_s3.public_access_blocked(bucket)
        encryption = launch_s3.default_encryption(bucket)
        launch_evidence.record(**{f"s3://{bucket}": {"public_access_blocked": blocked, "encryption": encryption}})
        if not blocked:
            problems.append(f"s3://{bucket}: public access is not fully blocked (all four settings required)")
        if not encryption:
            problems.append(f"s3://{bucket}: no default encryption")
    assert not problems, "\n".join(problems)
