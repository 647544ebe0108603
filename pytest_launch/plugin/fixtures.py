"""Pytest fixtures that build probes from the environment file (`--env`).

    def test_hsts(launch_http):
        assert "Strict-Transport-Security" in launch_http.get("/").headers

Each fixture reads its own table ([http], [tls], [dns], [aws]/[backups]); an environment without
that table skips the check with "not configured: fill in [http] in <file>" (a skipped blocking
check blocks the launch, so a missing table is never a pass). Every probe call records what was
probed and what it measured through `launch_evidence`, and every message it raises is masked
with the environment's secrets.

`launch_probes` builds any registered probe on first use: `launch_probes.http`,
`launch_probes.prometheus`, ...
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from pytest_launch.plugin.options import TLS_WORKERS_INI
from pytest_launch.plugin.plan import undeclared_read
from pytest_launch.probes import PROBES, probe_class

if TYPE_CHECKING:  # the probe modules import their libraries (boto3, dnspython): built on first use
    from pytest_launch.probes.alertmanager import AlertmanagerProbe
    from pytest_launch.probes.aws import AwsProbe, S3Probe
    from pytest_launch.probes.dns import DnsProbe
    from pytest_launch.probes.http import HttpProbe
    from pytest_launch.probes.prometheus import PrometheusProbe
    from pytest_launch.probes.tls import TlsProbe


def require_table(env: Any, name: str, *alternatives: str) -> Any:
    """The environment's [name] table (else the first of `alternatives` present), or skip the
    check: 'not configured: fill in [name] in FILE' (a skipped blocking check blocks). The one
    such rule: the probe fixtures and the readiness suite's checks (launch_suite.checks.table) use it.
    A check that declares its tables (`@pytest.mark.env_tables`) fails when it reads another one."""
    problem = undeclared_read((name, *alternatives))
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    for table_name in (name, *alternatives):
        table = env.table(table_name)
        if table is not None:
            return table
    names = " or ".join(f"[{n}]" for n in (name, *alternatives))
    pytest.skip(f"not configured: fill in {names} in {env.where}")


def _recorder(evidence: Any) -> Callable[[dict[str, Any]], None]:
    def record(values: dict[str, Any]) -> None:
        evidence.record(**values)
    return record


def build_probe(name: str, env: Any, evidence: Any = None, config: pytest.Config | None = None) -> Any:
    """The probe `name` built from `env`'s tables (skips when its table is missing)."""
    record = _recorder(evidence) if evidence is not None else None
    secrets: frozenset[str] = getattr(env, "secrets", frozenset())
    if name == "http":
        from pytest_launch.probes.http import HttpProbe

        return HttpProbe(require_table(env, "http"), record, secrets)
    if name == "tls":
        from pytest_launch.probes.tls import TlsProbe

        settings = require_table(env, "tls")
        if settings.max_workers is None and config is not None and config.getini(TLS_WORKERS_INI):
            settings = dataclasses.replace(settings, max_workers=int(config.getini(TLS_WORKERS_INI)))
        return TlsProbe(settings, record, secrets)
    if name == "dns":
        from pytest_launch.probes.dns import DnsProbe

        return DnsProbe(require_table(env, "dns"), record, secrets)
    if name in ("s3", "aws"):
        from pytest_launch.probes.aws import AwsProbe, AwsSettings, S3Probe

        if name == "aws":
            return AwsProbe(require_table(env, "aws"), record, secrets)
        require_table(env, "aws", "backups")
        return S3Probe(env.table("aws") or AwsSettings(), env.table("backups"), record, secrets)
    # any other registered probe (prometheus, alertmanager, ...): its table has its name
    cls = probe_class(name)
    settings = require_table(env, name)
    accepted = inspect.signature(cls).parameters
    kwargs = {key: value for key, value in (("evidence", record), ("secrets", secrets)) if key in accepted}
    return cls(settings, **kwargs)


@pytest.fixture
def launch_http(launch_env: Any, launch_evidence: Any) -> Iterator[HttpProbe]:
    """An HttpProbe bound to [http] base_url: `.get(path)`, `.head`, `.request`, `.burst`."""
    with build_probe("http", launch_env, launch_evidence) as probe:
        yield probe


@pytest.fixture
def launch_tls(launch_env: Any, launch_evidence: Any, pytestconfig: pytest.Config) -> Iterator[TlsProbe]:
    """A TlsProbe over [tls] endpoints: `.probe(endpoint)`, `.probe_many()`, `.protocols(endpoint)`,
    `.days_left_problems(min_days)`."""
    with build_probe("tls", launch_env, launch_evidence, pytestconfig) as probe:
        yield probe


@pytest.fixture
def launch_dns(launch_env: Any, launch_evidence: Any) -> Iterator[DnsProbe]:
    """A DnsProbe from [dns]: `.lookup(name, type)`, `.expected_problems()`, `.soa_serials()`,
    `.caa_issuers()`, `.spf()`, `.dmarc()`, `.ttl_problems()`."""
    with build_probe("dns", launch_env, launch_evidence) as probe:
        yield probe


@pytest.fixture
def launch_s3(launch_env: Any, launch_evidence: Any) -> Iterator[S3Probe]:
    """An S3Probe from [aws] and [backups]: `.newest_object()`, `.backup_problems()`,
    `.versioning_enabled()`, `.lifecycle_rules()`, `.default_encryption()`,
    `.public_access_blocked()`, `.checksum_problem(bucket, key)`."""
    with build_probe("s3", launch_env, launch_evidence) as probe:
        yield probe


@pytest.fixture
def launch_aws(launch_env: Any, launch_evidence: Any) -> Iterator[AwsProbe]:
    """An AwsProbe from [aws]: `.session` (boto3) and `.client(service)` with timeouts and retries."""
    with build_probe("aws", launch_env, launch_evidence) as probe:
        yield probe


@pytest.fixture
def launch_prometheus(launch_env: Any, launch_evidence: Any) -> Iterator[PrometheusProbe]:
    """A PrometheusProbe from [prometheus]: `.query(promql, min_samples=)`, `.query_range()`,
    `.targets_down()`, `.rules()`, `.alert_rule(name)`, `.alerts()`, `.ready()`. A query with no
    series, NaN or too few samples is a no-data result, never a number."""
    with build_probe("prometheus", launch_env, launch_evidence) as probe:
        yield probe


@pytest.fixture
def launch_alertmanager(launch_env: Any, launch_evidence: Any) -> Iterator[AlertmanagerProbe]:
    """An AlertmanagerProbe from [alertmanager]: `.status()`, `.missing_receivers()`, `.alerts()`;
    `.send_synthetic_alert()` changes state: only from checks marked destructive."""
    with build_probe("alertmanager", launch_env, launch_evidence) as probe:
        yield probe


class LaunchProbes:
    """Every registered probe, built from the environment on first use: `launch_probes.http`."""

    def __init__(self, env: Any, evidence: Any, config: pytest.Config | None = None) -> None:
        self._env = env
        self._evidence = evidence
        self._config = config
        self._built: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in PROBES:
            raise AttributeError(f"no probe named {name!r}; known probes: {', '.join(sorted(PROBES))}")
        if name not in self._built:
            self._built[name] = build_probe(name, self._env, self._evidence, self._config)
        return self._built[name]

    def __dir__(self) -> list[str]:
        return sorted(PROBES)

    def close(self) -> None:
        for probe in self._built.values():
            close = getattr(probe, "close", None)
            if callable(close):
                close()


@pytest.fixture
def launch_probes(launch_env: Any, launch_evidence: Any, pytestconfig: pytest.Config) -> Iterator[LaunchProbes]:
    """All probes, lazily: `launch_probes.tls.probe_many()`, `launch_probes.prometheus...`."""
    probes = LaunchProbes(launch_env, launch_evidence, pytestconfig)
    yield probes
    probes.close()
