"""Helpers the readiness suite's checks share (readiness/test_*.py): "not configured" skips,
paths relative to the environment file, the verification a client uses, the catalog source.
(The Kubernetes and CDN readings are general probes: pytest_launch.probes.kubernetes, .cdn;
the Grafana client is pytest_launch.probes.api_client.ApiClient.)

Plain functions; pytest is used only for `pytest.skip` (a skipped blocking check blocks).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from pytest_launch.plugin.fixtures import require_table


def table(env: Any, name: str) -> Any:
    """The environment's [name] table, or skip: 'not configured: fill in [name] in FILE'."""
    return require_table(env, name)


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
