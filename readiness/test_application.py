"""Application checks (checklist: Pre-Launch Validation / Application, launch-day deploy and smoke).

Journeys are read-only (GET/HEAD/OPTIONS only, enforced when the environment file is loaded).
Provider checks probe each provider's health URL; a provider that is not configured skips.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from launch_suite.checks import setting, table
from launch_suite.health import maintenance_signs

from pytest_launch.probes.errors import ProbeError, conclude
from pytest_launch.probes.fanout import fan_out

# Relay (Sentry's ingest) answers its liveness here: 200 {"is_healthy": true}
SENTRY_LIVENESS_PATH = "/api/relay/healthcheck/live/"


def _health_problem(result: Any, app: Any) -> str | None:
    if result.status != 200:
        return f"{result.url}: answered {result.status}, expected 200"
    try:
        body = result.json()
    except ValueError:
        return None if result.text.strip().lower() in [v.lower() for v in app.health_ok_values] else (
            f"{result.url}: body {result.text[:80]!r} is not a healthy status")
    value = body.get(app.health_field) if isinstance(body, dict) else None
    if str(value) not in app.health_ok_values:
        return f"{result.url}: {app.health_field} = {value!r}, expected one of {app.health_ok_values}"
    return None


def _journey_problems(launch_http: Any, journey: Any, evidence: Any) -> list[str]:
    problems = []
    steps = []
    if not journey.steps:  # a journey of no steps would pass having asked nothing
        return [f"journey {journey.name!r} has no steps: it proves nothing"]
    for number, step in enumerate(journey.steps, 1):
        label = f"journey {journey.name!r} step {number} ({step.method} {step.path})"
        try:
            result = launch_http.request(step.method, step.path)
        except ProbeError as error:  # no answer: no evidence on this journey, so the check errors
            raise type(error)(f"{label}: {error.target}", error.problem) from None
        steps.append({"path": step.path, "status": result.status, "elapsed_ms": round(result.elapsed_ms, 1)})
        if result.status != step.status:
            problems.append(f"{label}: answered {result.status}, expected {step.status}")
            break
        missing = [text for text in step.contains if text not in result.text]
        if missing:
            problems.append(f"{label}: the answer does not contain {missing}")
        if step.json_keys:
            try:
                body = result.json()
            except ValueError:
                problems.append(f"{label}: the answer is not JSON")
                continue
            absent = [k for k in step.json_keys if not isinstance(body, dict) or k not in body]
            if absent:
                problems.append(f"{label}: the JSON answer lacks {absent}")
    evidence.record(**{f"journey {journey.name}": steps})
    return problems


def _journeys(env: Any) -> list[Any]:
    journeys = table(env, "application").journeys
    if not journeys:
        pytest.skip(f"not configured: [application] journeys is empty in {env.where}")
    return journeys


# ------------------------------------------------------------------------------------ APP-09
@pytest.mark.env_tables("application")
@pytest.mark.checklist("APP-09")
def test_critical_user_journeys(launch_env: Any, launch_http: Any, launch_evidence: Any) -> None:
    problems = []
    for journey in _journeys(launch_env):
        problems += _journey_problems(launch_http, journey, launch_evidence)
    assert not problems, "\n".join(problems)


@pytest.mark.env_tables("application")
@pytest.mark.checklist("DAY-04")
def test_launch_day_smoke_tests(launch_env: Any, launch_http: Any, launch_evidence: Any) -> None:
    """Launch morning: the same journeys, against the freshly deployed version."""
    problems = []
    for journey in _journeys(launch_env):
        problems += _journey_problems(launch_http, journey, launch_evidence)
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------------ APP-10
@pytest.mark.env_tables("application")
@pytest.mark.checklist("APP-10")
def test_health_endpoint(launch_env: Any, launch_http: Any, launch_evidence: Any) -> None:
    app = table(launch_env, "application")
    path = setting(launch_env, "application", "health_path")
    result = launch_http.get(path, accept_5xx=True)
    launch_evidence.record(health_status=result.status, elapsed_ms=round(result.elapsed_ms, 1))
    problem = _health_problem(result, app)
    assert problem is None, problem


# ------------------------------------------------------------------------------------ DAY-03
@pytest.mark.env_tables("application", "load_balancer")
@pytest.mark.checklist("DAY-03")
def test_deployed_version(launch_env: Any, launch_http: Any, launch_evidence: Any) -> None:
    """The version endpoint of the base URL and of every `[load_balancer] backends` instance
    reports `expected_version`: one answer through the balancer is one instance, and a rollout
    that stopped half-way leaves the others on the previous release."""
    app = table(launch_env, "application")
    path = setting(launch_env, "application", "version_path")
    expected = setting(launch_env, "application", "expected_version")
    backends = table(launch_env, "load_balancer").backends
    targets = [path, *dict.fromkeys(_instance_url(backend, path) for backend in backends)]
    deployed: dict[str, str] = {}
    problems: list[str] = []
    unanswered: list[ProbeError] = []
    for outcome in fan_out(launch_http.get, targets):
        if not outcome.ok:
            unanswered.append(_as_probe_error(outcome))
            continue
        result = outcome.result()
        if result.status != 200:
            problems.append(f"{result.url}: answered {result.status}, expected 200")
            continue
        try:
            version = result.json().get(app.version_field)
        except (ValueError, AttributeError):
            version = result.text.strip()[:80]
        deployed[result.url] = str(version)
        if str(version) != expected:
            problems.append(f"{result.url}: version {version!r} is deployed, {expected!r} expected")
    launch_evidence.record(deployed_versions=deployed, expected_version=expected)
    conclude(unanswered, problems, "version endpoints")
    assert not problems, "\n".join(problems)


def _instance_url(backend: str, path: str) -> str:
    """The version endpoint of one backend: its health URL's scheme and host with `path`."""
    parts = urlsplit(backend)
    return f"{parts.scheme}://{parts.netloc}/{path.lstrip('/')}"


def _as_probe_error(outcome: Any) -> ProbeError:
    if isinstance(outcome.error, ProbeError):
        return outcome.error
    raise outcome.error


# ------------------------------------------------------------------------------------ DAY-13
@pytest.mark.env_tables("application")
@pytest.mark.checklist("DAY-13")
def test_maintenance_mode_removed(launch_env: Any, launch_http: Any, launch_evidence: Any) -> None:
    """The home page and the health endpoint answer 200, and the home page is not a maintenance
    page (which sites often answer with 200): no Retry-After, no redirect to a /maintenance path,
    no [application] maintenance_markers text in its title or first heading."""
    app = table(launch_env, "application")
    statuses = {}
    signs: dict[str, list[str]] = {}
    for path in [p for p in (app.home_path, app.health_path) if p]:
        result = launch_http.get(path, accept_5xx=True)
        statuses[path] = result.status
        found = maintenance_signs(result.text if path == app.home_path else "", result.headers, result.url,
                                  app.maintenance_markers)
        if found:
            signs[path] = found
    launch_evidence.record(statuses=statuses, maintenance_signs=signs, markers=app.maintenance_markers)
    not_open = {p: s for p, s in statuses.items() if s != 200}
    assert not not_open, f"the site is not open (maintenance page or error): {not_open}"
    assert not signs, "the site answers its maintenance page: " + "; ".join(
        f"{path} ({', '.join(found)})" for path, found in signs.items())


# ------------------------------------------------------------------------- providers: APP-03..08
def _provider_health(launch_env: Any, launch_http: Any, launch_evidence: Any, key: str, what: str) -> None:
    url = setting(launch_env, "providers", key)
    result = launch_http.get(url, accept_5xx=True)
    launch_evidence.record(**{f"{what} health": {"status": result.status, "elapsed_ms": round(result.elapsed_ms, 1)}})
    assert 200 <= result.status < 300, f"{what}: {result.url} answered {result.status}, expected 2xx"


@pytest.mark.env_tables("providers")
@pytest.mark.checklist("APP-03")
def test_feature_flag_service(launch_env: Any, launch_http: Any, launch_evidence: Any) -> None:
    _provider_health(launch_env, launch_http, launch_evidence, "feature_flags_url", "feature-flag service")
    providers = table(launch_env, "providers")
    if providers.expected_flags:
        url = setting(launch_env, "providers", "feature_flags_list_url")
        result = launch_http.get(url)
        assert result.status == 200, f"feature flags: {result.url} answered {result.status}"
        try:
            known = {flag.get("key") for flag in result.json().get("flags", [])}
        except (ValueError, AttributeError):
            raise AssertionError(f"feature flags: {result.url} did not answer a JSON list of flags") from None
        missing = [f for f in providers.expected_flags if f not in known]
        launch_evidence.record(flags_defined=sorted(k for k in known if k), expected_flags=providers.expected_flags)
        assert not missing, f"feature flags not defined in the flag service: {missing}"


@pytest.mark.env_tables("providers")
@pytest.mark.checklist("APP-04")
def test_error_tracking_configured(launch_env: Any, launch_http: Any, launch_evidence: Any) -> None:
    """A well-formed Sentry DSN (https://KEY@HOST/PROJECT) whose host is a live Sentry ingest:
    Relay's liveness endpoint answers 200 with is_healthy true. Any host answers its home page;
    a 404 or a page that is not Relay's answer means errors sent there are lost."""
    dsn = setting(launch_env, "providers", "error_tracking_dsn")
    parts = urlsplit(dsn)
    project = parts.path.strip("/")
    assert parts.scheme in ("http", "https") and parts.username and parts.hostname and project.isdigit(), (
        "[providers] error_tracking_dsn is not a Sentry DSN of the form https://PUBLIC_KEY@HOST/PROJECT_ID")
    host = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    result = launch_http.get(host + SENTRY_LIVENESS_PATH, accept_5xx=True, follow_redirects=False)
    try:
        healthy = result.json().get("is_healthy") is True
    except (ValueError, AttributeError):
        healthy = False
    launch_evidence.record(ingest_host=host, project=project, status=result.status, is_healthy=healthy)
    assert result.status == 200 and healthy, (
        f"error tracking ingest host {host} is not a live Sentry ingest: {SENTRY_LIVENESS_PATH} answered "
        f"{result.status}" + ("" if result.status != 200 else " without is_healthy: true"))


@pytest.mark.env_tables("providers")
@pytest.mark.checklist("APP-05")
def test_analytics_configured(launch_env: Any, launch_http: Any, launch_evidence: Any) -> None:
    _provider_health(launch_env, launch_http, launch_evidence, "analytics_url", "analytics")


@pytest.mark.env_tables("providers")
@pytest.mark.checklist("APP-06")
def test_payment_provider_healthy(launch_env: Any, launch_http: Any, launch_evidence: Any) -> None:
    _provider_health(launch_env, launch_http, launch_evidence, "payments_url", "payment provider")


@pytest.mark.env_tables("providers")
@pytest.mark.checklist("APP-07")
def test_email_provider_healthy(launch_env: Any, launch_http: Any, launch_evidence: Any) -> None:
    _provider_health(launch_env, launch_http, launch_evidence, "email_url", "email provider")


@pytest.mark.env_tables("providers")
@pytest.mark.checklist("APP-08")
def test_push_provider_healthy(launch_env: Any, launch_http: Any, launch_evidence: Any) -> None:
    _provider_health(launch_env, launch_http, launch_evidence, "push_url", "push notification provider")
