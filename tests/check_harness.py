"""Run one readiness check (readiness/test_*.py) in this process against an environment, with the
same probes its fixtures would give it, and see what it did: passed, failed, errored or skipped,
its message and its evidence. For the settings-effect scenarios (tests/test_settings_effect.py):
hundreds of small "change one key, run the real check" runs, each in milliseconds, where a pytest
subprocess per run would take seconds.

    outcome = run_check(environment, "test_application.py::test_deployed_version")
    changed = with_keys(environment, "application", expected_version="9.9.9")

What it does not do: the plugin's decision, markers, waivers or reports (the pytester tests
cover those); only the check function and the probes it is given."""

from __future__ import annotations

import copy
import dataclasses
import importlib.util
import inspect
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pytest_launch.core.evidence import Evidence
from pytest_launch.plugin.fixtures import LaunchProbes, build_probe
from pytest_launch.probes.errors import ProbeError

READINESS = Path(__file__).parent.parent / "readiness"
_MODULES: dict[str, ModuleType] = {}


@dataclasses.dataclass(frozen=True)
class CheckOutcome:
    outcome: str  # passed, failed, error, skipped
    message: str
    evidence: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.outcome}: {self.message[:300]}"


def _module(file: str) -> ModuleType:
    if file not in _MODULES:
        spec = importlib.util.spec_from_file_location(f"readiness_{Path(file).stem}", READINESS / file)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _MODULES[file] = module
    return _MODULES[file]


def run_check(environment: Any, check: str) -> CheckOutcome:
    """Call the check `file.py::test_name` with its launch_* fixtures built from `environment`."""
    file, name = check.split("::")
    function = _module(file).__dict__[name]
    evidence = Evidence()
    probes = LaunchProbes(environment, evidence)
    built: list[Any] = [probes]

    def fixture(parameter: str) -> Any:
        if parameter == "launch_env":
            return environment
        if parameter == "launch_evidence":
            return evidence
        if parameter == "launch_probes":
            return probes
        if parameter.startswith("launch_"):
            probe = build_probe(parameter.removeprefix("launch_"), environment, evidence)
            built.append(probe)
            return probe
        raise LookupError(f"{check}: the harness has no fixture {parameter!r}")

    try:
        arguments = {p: fixture(p) for p in inspect.signature(function).parameters}
        function(**arguments)
        outcome = CheckOutcome("passed", "", dict(evidence.values))
    except pytest.skip.Exception as skip:
        outcome = CheckOutcome("skipped", str(skip.msg), dict(evidence.values))
    except (AssertionError, pytest.fail.Exception) as failure:
        outcome = CheckOutcome("failed", str(failure).split("\nassert ")[0], dict(evidence.values))
    except ProbeError as error:
        outcome = CheckOutcome("error", f"{type(error).__name__}: {error}", dict(evidence.values))
    finally:
        for probe in built:
            close = getattr(probe, "close", None)
            if callable(close):
                close()
    return outcome


def with_keys(environment: Any, table: str, **values: Any) -> Any:
    """A copy of `environment` whose [table] has `values` in place of its own (the table is
    created with its defaults when the environment lacks it)."""
    from pytest_launch.config import tables

    changed = copy.copy(environment)
    changed._tables = dict(environment._tables)
    current = environment.table(table)
    if current is None:
        current = tables.settings_class(table, environment.added_tables)()
    changed._tables[table] = dataclasses.replace(current, **values)
    return changed


def without_table(environment: Any, table: str) -> Any:
    changed = copy.copy(environment)
    changed._tables = {name: value for name, value in environment._tables.items() if name != table}
    return changed
