"""A small launch project for the plugin's pytester tests: checklist, environment, waivers,
sign-offs and checks written into pytester's folder, and the go-no-go.json read back
(validated against the shipped schema)."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from pytest_launch.config.environment import Environment, load_environment
from pytest_launch.core.vocabulary import PHASES
from pytest_launch.outputs.jsonfile import validate_document
from pytest_launch.plugin.finish import report_folder as plugin_report_folder

READINESS = Path(__file__).resolve().parent.parent / "readiness"
if str(READINESS) not in sys.path:  # launch_suite: the readiness suite's own code, beside its checks
    sys.path.insert(0, str(READINESS))

from launch_suite.settings import SUITE_TABLES  # noqa: E402  (needs readiness/ on sys.path)

# where a pytest run on its own (a subprocess, one thread) decides and writes its report in a
# forked child, as outputs.write_process.fork_is_safe decides: Linux with two CPUs or more
CAN_FORK_WRITER = sys.platform.startswith("linux") and len(os.sched_getaffinity(0)) >= 2

# a pytester project's conftest.py that adds the readiness suite's tables, as readiness/conftest.py does
SUITE_TABLES_CONFTEST = f"""
import sys

if {str(READINESS)!r} not in sys.path:
    sys.path.insert(0, {str(READINESS)!r})

from launch_suite.settings import SUITE_TABLES


def pytest_launch_tables():
    return dict(SUITE_TABLES)
"""



def load_suite_environment(path: Path, process_env: Any = None) -> Environment:
    """load_environment with the readiness suite's tables added, as readiness/conftest.py adds them."""
    return load_environment(path, process_env, SUITE_TABLES)


TODAY = "2026-11-25"  # LAUNCH_TODAY for every run: dates in waivers and sign-offs are fixed

CHECKLIST = """
[[item]]
id = "SEC-01"
title = "TLS certificates valid"
phase = "t_minus_7"
category = "security"
severity = "blocker"
owner = "security-team"

[[item]]
id = "PERF-02"
title = "Cache warm"
phase = "t_minus_7"
category = "performance"
severity = "normal"
owner = "perf-team"

[[item]]
id = "MON-06"
title = "On-call rotation set up"
phase = "t_minus_7"
category = "monitoring"
severity = "critical"
owner = "sre"
mode = "manual"

[[item]]
id = "T0-12"
title = "Error rate within budget"
phase = "t_0"
category = "performance"
severity = "blocker"
owner = "sre"
"""

# two passing checks of CHECKLIST's T-7 automated items: with MON06_SIGNED, a GO project
PASSING_CHECKS = """
import pytest

@pytest.mark.t_minus_7
@pytest.mark.checklist("SEC-01")
def test_tls():
    pass

@pytest.mark.t_minus_7
@pytest.mark.checklist("PERF-02")
def test_cache():
    pass
"""

# a valid sign-off of CHECKLIST's one manual item (MON-06) for prod: with it, passing checks can be GO
MON06_SIGNED = """
[[signoff]]
item = "MON-06"
by = "jane.doe"
at = 2026-11-20
evidence = "https://pagerduty.example/schedules/ABC"
environments = ["prod"]
"""

PROD = """
[environment]
name = "prod"
production = true
description = "production"
"""


def make_project(pytester: pytest.Pytester, checks: str | dict[str, str] | None = None, *,
                 checklist: str | None = CHECKLIST, env: str | None = PROD, waivers: str | None = None,
                 signoffs: str | None = None, policy: str | None = None, suite_tables: bool = True) -> Path:
    """Write a launch project; `checks` is the source of test_checks.py (or {name: source}).
    With `suite_tables` its conftest.py adds the readiness suite's environment tables ([application],
    [kubernetes], ...) through the pytest_launch_tables hook, after any conftest.py of `checks`."""
    pytester.makeini("[pytest]\n")
    root = pytester.path
    (root / "readiness" / "environments").mkdir(parents=True, exist_ok=True)
    files = {
        "readiness/checklist.toml": checklist,
        "readiness/environments/prod.toml": env,
        "readiness/waivers.toml": waivers,
        "readiness/signoffs.toml": signoffs,
        "readiness/policy.toml": policy,
    }
    for name, text in files.items():
        if text is not None:
            (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    if isinstance(checks, str):
        checks = {"test_checks.py": checks}
    checks = dict(checks or {})
    if suite_tables:
        checks["conftest.py"] = textwrap.dedent(checks.get("conftest.py", "")) + SUITE_TABLES_CONFTEST
    for name, source in (checks or {}).items():
        (root / name).write_text(textwrap.dedent(source), encoding="utf-8")
    return root


def report_folder(pytester: pytest.Pytester, env: str = "prod", phases: list[str] | None = None, *,
                  stage: int | None = None, partial: bool = False, report_dir: str = "reports") -> Path:
    """Where the report of a run lands, computed by the plugin's own rule (so tests do not
    hard-code the layout): reports/<env>/<phase>/, all/ for every phase (`phases` None: a run
    without a phase term in -m), t_0/stage-<N>/ for a stage run, partial/ for a partial run.
    `report_dir` is --launch-report-dir, relative to the project."""
    return plugin_report_folder(pytester.path / report_dir, env, list(PHASES) if phases is None else phases,
                                stage, partial)


def report_path(pytester: pytest.Pytester, env: str = "prod", folder: str | None = None) -> Path:
    """reports/<env>/<folder>/go-no-go.json; without `folder`, the one report the runs so far wrote
    (the phase's page, a stage's page or partial/)."""
    if folder is not None:
        return pytester.path / "reports" / env / folder / "go-no-go.json"
    found = sorted((pytester.path / "reports" / env).glob("**/go-no-go.json"))
    assert len(found) <= 1, f"several reports, name the folder: {found}"
    return found[0] if found else pytester.path / "reports" / env / "t_minus_7" / "go-no-go.json"


def read_report(pytester: pytest.Pytester, env: str = "prod", folder: str | None = None) -> dict[str, Any]:
    """The go-no-go.json the run wrote, validated against the shipped JSON Schema."""
    doc = json.loads(report_path(pytester, env, folder).read_text("utf-8"))
    validate_document(doc, "go-no-go.json")
    return doc


def check_by_name(doc: dict[str, Any], suffix: str) -> dict[str, Any]:
    matches = [c for c in doc["checks"] if c["nodeid"].endswith(suffix)]
    assert len(matches) == 1, f"{suffix!r} matched {[c['nodeid'] for c in doc['checks']]}"
    return matches[0]


def last_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def verdict_line_of(output: str) -> str:
    """The terminal's last line with the separator '=' stripped."""
    return last_line(output).strip("= ").strip()
