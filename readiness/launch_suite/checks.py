"""Helpers the readiness suite's checks share (readiness/test_*.py): "not configured" skips,
paths relative to the environment file, the Kubernetes/Grafana API clients, the catalog source.

Plain functions; pytest is used only for `pytest.skip` (a skipped blocking check blocks).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from pytest_launch.probes.deadline import request_within
from pytest_launch.probes.errors import NoAnswer, ProbeError, mask_secrets
from pytest_launch.probes.http import describe_request_error


def table(env: Any, name: str) -> Any:
    """The environment's [name] table, or skip: 'not configured: no [name] table in FILE'."""
    value = env.table(name)
    if value is None:
        pytest.skip(f"not configured: no [{name}] table in {env.where}")
    return value


def setting(env: Any, name: str, key: str) -> Any:
    """[name] key, or skip when the table or the key is missing or empty."""
    value = table(env, name).get(key)
    if value in (None, "", [], {}):
        pytest.skip(f"not configured: [{name}] {key} is not set in {env.where}")
    return value


def env_path(env: Any, path: str) -> Path:
    """A file named in the environment file, relative to that file's folder."""
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else Path(env.path).parent / candidate


def http_verify(env: Any, ca_bundle: str | None = None) -> bool | str:
    """What `verify=` to pass: a CA bundle from the table, else [http] ca_bundle, else the system."""
    if ca_bundle:
        return str(env_path(env, ca_bundle))
    http = env.table("http")
    if http is not None and http.ca_bundle:
        return str(env_path(env, http.ca_bundle))
    return True


class ApiClient:
    """A small read-only JSON API client with a bearer token, a timeout and masked errors
    (Kubernetes and Grafana APIs)."""

    def __init__(self, base_url: str, token: str | None, verify: bool | str, timeout: float,
                 secrets: frozenset[str] = frozenset()) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout
        self.secrets = secrets | ({token} if token else set())
        self.session = requests.Session()
        self.session.trust_env = False  # REQUESTS_CA_BUNDLE must not override verify=
        self.verify = verify
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str) -> requests.Response:
        url = urljoin(self.base_url, path.lstrip("/"))
        try:
            response = request_within(self.session, "GET", url, timeout=self.timeout, deadline_s=self.timeout,
                                      verify=self.verify)
        except requests.RequestException as error:
            raise NoAnswer(f"GET {url}", describe_request_error(error, self.timeout, 0), self.secrets) from None
        if response.status_code >= 400:
            body = mask_secrets(response.text[:200], self.secrets)
            raise ProbeError(f"GET {url}", f"HTTP {response.status_code}: {body}", self.secrets)
        return response

    def json(self, path: str) -> Any:
        response = self.get(path)
        try:
            return response.json()
        except ValueError:
            raise ProbeError(f"GET {response.url}", "the answer is not JSON", self.secrets) from None

    def close(self) -> None:
        self.session.close()


def node_not_ready(node: dict[str, Any]) -> str | None:
    """Why a Kubernetes node is not Ready, or None when it is."""
    for condition in node.get("status", {}).get("conditions", []):
        if condition.get("type") == "Ready":
            if condition.get("status") == "True":
                return None
            return f"Ready={condition.get('status')} ({condition.get('reason', 'no reason')})"
    return "no Ready condition reported"


def load_catalog(env: Any, http_probe: Any) -> tuple[Any, str]:
    """The catalog document from [catalog] source: a path on [http] base_url, a URL, or a file.
    Returns (document, where it came from)."""
    source = table(env, "catalog").source
    if urlsplit(source).scheme in ("http", "https") or source.startswith("/"):
        if http_probe is None:
            pytest.skip(f"not configured: [catalog] source {source} needs an [http] table")
        result = http_probe.get(source)
        if result.status != 200:
            raise AssertionError(f"{result.url}: the catalog source answered {result.status}, expected 200")
        try:
            return result.json(), result.url
        except ValueError:
            raise AssertionError(f"{result.url}: the catalog source is not valid JSON") from None
    path = env_path(env, source)
    if not path.is_file():
        raise AssertionError(f"[catalog] source {path} does not exist")
    try:
        return json.loads(path.read_text(encoding="utf-8")), str(path)
    except ValueError as error:
        raise AssertionError(f"[catalog] source {path} is not valid JSON: {error}") from None


def load_schema(env: Any) -> dict[str, Any]:
    path = env_path(env, table(env, "catalog").schema)
    if not path.is_file():
        raise AssertionError(f"[catalog] schema {path} does not exist")
    return json.loads(path.read_text(encoding="utf-8"))


def backups_bucket(env: Any) -> str:
    backups = table(env, "backups")
    return backups.bucket


def fill_template(template: str, window: str, quantile: float = 0.95) -> str:
    """An SLI query template of [prometheus].queries with no extra labels, over `window`."""
    query = template.replace("{labels}", "").replace("{window}", window)
    return query.replace("{quantile}", repr(quantile))


_HIT = re.compile(r"(?<![a-z])(hit|stale|revalidated|updating)(?![a-z])")
_NOT_CACHEABLE = ("no-store", "private")


def cache_status_is_hit(header: str, value: str | None) -> bool:
    """Whether a CDN cache-status header value says the answer came from the cache:
    HIT / TCP_HIT / "Hit from cloudfront" / STALE / REVALIDATED / UPDATING / RFC 9211
    `name; hit`, or "true" for X-Served-From-Cache. MISS, BYPASS, EXPIRED, DYNAMIC are not."""
    if not value:
        return False
    text = value.strip().lower()
    if header.lower() == "x-served-from-cache":
        return text in ("true", "yes", "1")
    if ";" in text:  # RFC 9211 Cache-Status: each cache's entry is `name; param; param`
        return any(p.strip() == "hit" for entry in text.split(",") for p in entry.split(";")[1:])
    return bool(_HIT.search(text))


def cache_control_problem(value: str | None) -> str | None:
    """Why a Cache-Control value keeps a shared cache (a CDN) from storing the answer, or None."""
    if value is None:
        return "no Cache-Control header"
    directives = {d.strip().split("=")[0].lower(): d.strip() for d in value.split(",") if d.strip()}
    forbidding = [d for d in _NOT_CACHEABLE if d in directives]
    if forbidding:
        return f"Cache-Control {value!r} forbids a shared cache to store it ({', '.join(forbidding)})"
    return None
