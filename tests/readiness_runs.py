"""Running the readiness suite for the plugin's tests: in a subprocess (moto and the demo keep
per-process state), rooted at this repository, with the report read back."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).parent.parent
READINESS = ROOT / "readiness"
ENVIRONMENTS = READINESS / "environments"


def run_suite(pytester: pytest.Pytester, *args: str) -> tuple[Any, dict[str, Any]]:
    """pytest on the readiness suite with `args`; the result and its go-no-go.json."""
    report = pytester.path / "go-no-go.json"
    result = pytester.runpytest_subprocess(
        "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"), "-p", "no:cacheprovider",
        "--launch-report-dir", str(pytester.path / "reports"), "--launch-json", str(report),
        "-p", "no:randomly", *args, timeout=170)
    assert report.exists(), result.stdout.str()[-3000:]
    return result, json.loads(report.read_text())


def run_one_check(pytester: pytest.Pytester, environment: str, check_file: str, name: str,
                  env_name: str) -> dict[str, Any]:
    """One readiness check (readiness/`check_file`, selected by `-k name`) against an environment
    file made of `environment` under an [environment] table named `env_name`; its JSON entry."""
    env = pytester.path / "env.toml"
    env.write_text(f'[environment]\nname = "{env_name}"\n\n' + environment)
    report = pytester.path / "go-no-go.json"
    result = pytester.runpytest_subprocess(
        str(READINESS / check_file), "-k", name, f"--env={env}", "--rootdir", str(ROOT),
        "-c", str(ROOT / "pyproject.toml"), "-p", "no:cacheprovider", "-p", "no:randomly",
        "--launch-report-dir", str(pytester.path / "reports"), "--launch-json", str(report), timeout=120)
    checks = [c for c in json.loads(report.read_text())["checks"] if c["nodeid"].endswith(f"::{name}")]
    assert len(checks) == 1, result.stdout.str()[-3000:]
    return checks[0]


def checklist_items(*phases: str) -> list[dict[str, Any]]:
    """The checklist's items, of the given phases only when any are named."""
    items = tomllib.loads((READINESS / "checklist.toml").read_text())["item"]
    return [i for i in items if not phases or i["phase"] in phases]
