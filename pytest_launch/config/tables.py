"""The registry of environment-file tables: table name -> "module:SettingsDataclass".

Imported lazily, like pytest-testinfra's backends, so that loading an environment does not
import every probe. A table not listed here is an unknown table (an error with a "did you
mean"), except [custom], which is free-form for a team's own checks.
"""

from __future__ import annotations

import importlib
from typing import Any

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
    # readiness-suite tables (issue 4) are added below this line
    "application": "pytest_launch.suite_settings:ApplicationSettings",
    "security": "pytest_launch.suite_settings:SecuritySettings",
    "providers": "pytest_launch.suite_settings:ProvidersSettings",
    "load_balancer": "pytest_launch.suite_settings:LoadBalancerSettings",
    "cdn": "pytest_launch.suite_settings:CdnSettings",
    "kubernetes": "pytest_launch.suite_settings:KubernetesSettings",
    "database": "pytest_launch.suite_settings:DatabaseSettings",
    "grafana": "pytest_launch.suite_settings:GrafanaSettings",
    "catalog": "pytest_launch.suite_settings:CatalogSettings",
    "restore": "pytest_launch.suite_settings:RestoreSettings",
    "secrets_rotation": "pytest_launch.suite_settings:SecretsRotationSettings",
}

FREE_FORM_TABLES: frozenset[str] = frozenset({"custom"})


def settings_class(table: str) -> type[Any] | None:
    """The settings dataclass for `table`, or None for a free-form table."""
    if table in FREE_FORM_TABLES:
        return None
    module_name, _, class_name = TABLES[table].partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def known_tables() -> list[str]:
    return sorted(set(TABLES) | FREE_FORM_TABLES)
