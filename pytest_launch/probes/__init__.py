"""Probes: plain-Python clients that measure one kind of target and raise ProbeError when they
cannot. Usable outside pytest; `pytest_launch.plugin.fixtures` builds them from the environment.

The registry maps a probe's name to "module:Class" and is imported lazily, like
pytest-testinfra's backends, so that using one probe never imports the others' libraries.
"""

from __future__ import annotations

import importlib
from typing import Any

PROBES: dict[str, str] = {
    "http": "pytest_launch.probes.http:HttpProbe",
    "tls": "pytest_launch.probes.tls:TlsProbe",
    "dns": "pytest_launch.probes.dns:DnsProbe",
    "s3": "pytest_launch.probes.aws:S3Probe",
    "aws": "pytest_launch.probes.aws:AwsProbe",
    "prometheus": "pytest_launch.probes.prometheus:PrometheusProbe",
    "alertmanager": "pytest_launch.probes.alertmanager:AlertmanagerProbe",
}


def probe_class(name: str) -> type[Any]:
    """The probe class registered as `name` (imported on first use)."""
    try:
        target = PROBES[name]
    except KeyError:
        raise KeyError(f"no probe named {name!r}; known probes: {', '.join(sorted(PROBES))}") from None
    module_name, _, class_name = target.partition(":")
    cls: type[Any] = getattr(importlib.import_module(module_name), class_name)
    return cls


def known_probes() -> list[str]:
    return sorted(PROBES)
