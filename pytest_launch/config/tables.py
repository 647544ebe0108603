"""The registry of environment-file tables: table name -> "module:SettingsDataclass".

Imported lazily, like pytest-testinfra's backends, so that loading an environment does not
import every probe. A suite adds its own tables through the `pytest_launch_tables` hook
(pytest_launch.plugin.hookspecs; the readiness suite's are in readiness/conftest.py): they
arrive here as `extra` {name: class}. A table neither built in nor added is an unknown table
(an error with a "did you mean"), except [custom], which is free-form for a team's own checks.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Iterable, Mapping
from typing import Any

from pytest_launch.core.errors import ConfigError

TABLES: dict[str, str] = {
    "environment": "pytest_launch.config.environment:EnvironmentInfo",
    "policy": "pytest_launch.config.policy:Policy",
    # probes (issue 3) -- one settings dataclass per probe module
    "http": "pytest_launch.probes.http:HttpSettings",
    "tls": "pytest_launch.probes.tls:TlsSettings",
    "dns": "pytest_launch.probes.dns:DnsSettings",
    "aws": "pytest_launch.probes.aws:AwsSettings",
    "backups": "pytest_launch.probes.aws:BackupSettings",
    "prometheus": "pytest_launch.probes.prometheus:PrometheusSettings",
    "alertmanager": "pytest_launch.probes.alertmanager:AlertmanagerSettings",
    # rollout and thresholds (issue 6)
    "rollout": "pytest_launch.core.rollout:RolloutSettings",
    "success": "pytest_launch.core.rollout:SuccessSettings",
    # where reports are published and who hears the verdict (issue 15)
    "reports": "pytest_launch.config.reports:ReportsSettings",
}

FREE_FORM_TABLES: frozenset[str] = frozenset({"custom"})

# The tables a fixture reads, for the plan (`launch plan`): fixture name -> the tables it needs,
# each one table or alternatives any one of which is enough. A check's tables are those of the
# fixtures it uses plus its `@pytest.mark.env_tables(...)`; a fixture that reads the environment
# (`launch_env`) and is not listed here must be declared with that marker, or the plan says
# "undeclared" (never "configured"). `launch_probes` builds any probe: it is not listed.
FIXTURE_TABLES: dict[str, tuple[tuple[str, ...], ...]] = {
    "launch_http": (("http",),),
    "launch_tls": (("tls",),),
    "launch_dns": (("dns",),),
    "launch_s3": (("aws", "backups"),),
    "launch_aws": (("aws",),),
    "launch_prometheus": (("prometheus",),),
    "launch_alertmanager": (("alertmanager",),),
    # the launch-day stage checks and the T+1 success criteria (plugin.stage_checks)
    "launch_stage_prometheus": (("prometheus",),),
    "launch_stage_verdict": (("rollout",), ("prometheus",)),
    "launch_success_verdict": (("success",), ("prometheus",)),
}
# fixtures that hand a check the whole environment: what reads through them must be declared
ENVIRONMENT_FIXTURES: frozenset[str] = frozenset({"launch_env", "launch_probes"})


def settings_class(table: str, extra: Mapping[str, type[Any]] | None = None) -> type[Any] | None:
    """The settings dataclass for `table` (built in, or among the `extra` tables a suite added),
    or None for a free-form table."""
    if table in FREE_FORM_TABLES:
        return None
    if extra and table in extra:
        return extra[table]
    module_name, _, class_name = TABLES[table].partition(":")
    found: type[Any] | None = getattr(importlib.import_module(module_name), class_name)
    return found


def known_tables(extra: Mapping[str, type[Any]] | None = None) -> list[str]:
    return sorted(set(TABLES) | FREE_FORM_TABLES | set(extra or ()))


def is_known(table: str, extra: Mapping[str, type[Any]] | None = None) -> bool:
    return table in TABLES or table in FREE_FORM_TABLES or bool(extra and table in extra)


def added_tables(registrations: Iterable[tuple[str, Mapping[str, type[Any]] | None]]) -> dict[str, type[Any]]:
    """The tables the `pytest_launch_tables` implementations add, as one {name: class}.
    `registrations` holds (who registered, what). A name taken by a built-in table or by two
    registrations, or a value that is not a dataclass, is a ConfigError."""
    added: dict[str, type[Any]] = {}
    owner: dict[str, str] = {}
    for who, registered in registrations:
        for name, cls in (registered or {}).items():
            where = f"pytest_launch_tables in {who}"
            if not dataclasses.is_dataclass(cls) or not isinstance(cls, type):
                raise ConfigError(where, name, "a settings dataclass (a core.settings.Table)", repr(cls))
            if name in TABLES or name in FREE_FORM_TABLES:
                raise ConfigError(where, name, "a table name that is not built in", f"[{name}] is pytest-launch's own")
            if name in added and added[name] is not cls:
                raise ConfigError(where, name, "a table name registered once", f"also registered by {owner[name]}")
            added[name] = cls
            owner[name] = who
    return added
