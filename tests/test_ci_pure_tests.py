""".ci/pure-tests.txt, the tests .ci/other-pythons runs on the other supported Pythons, stays
honest: each listed file exists and needs no server (imports nothing of the test bed, asks for
none of its fixtures), and CI runs the list on every Python the classifiers claim."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
CI = ROOT / ".ci"
TESTBED = "testbed"
# helpers that run the readiness suite or its checks, which probe servers (the demo, the test bed)
SERVER_HELPERS = {"run_suite", "run_one_check", "run_check", "start_demo"}


def listed() -> list[str]:
    lines = (CI / "pure-tests.txt").read_text("utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def bed_fixtures() -> set[str]:
    """Every fixture the test-bed plugins define (tests/testbed/*.py)."""
    names = set()
    for path in (ROOT / "tests" / "testbed").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.FunctionDef) and any("fixture" in ast.unparse(d) for d in node.decorator_list):
                names.add(node.name)
    return names


def test_the_list_names_existing_test_files_once_each():
    files = listed()
    assert files, "no pure test listed"
    assert len(files) == len(set(files))
    for name in files:
        assert (ROOT / name).is_file() and Path(name).name.startswith("test_"), name


def test_no_listed_file_uses_the_test_bed():
    fixtures = bed_fixtures()
    assert {"nginx_testbed", "prometheus_server", "closed_port"} <= fixtures  # the walk sees them
    for name in listed():
        tree = ast.parse((ROOT / name).read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                modules = []
            for module in modules:
                assert module.split(".")[0] != TESTBED, f"{name} imports {module}: not pure"
            if isinstance(node, ast.ImportFrom):
                helpers = {alias.name for alias in node.names} & SERVER_HELPERS
                assert not helpers, f"{name} imports {sorted(helpers)} from {node.module}: not pure"
            if isinstance(node, ast.FunctionDef):
                asked = {arg.arg for arg in node.args.args} & fixtures
                assert not asked, f"{name}::{node.name} asks for the test bed's {sorted(asked)}: not pure"
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "getfixturevalue" and node.args
                    and isinstance(node.args[0], ast.Constant) and node.args[0].value in fixtures):
                raise AssertionError(f"{name} asks for the test bed's {node.args[0].value!r}: not pure")


def test_ci_runs_the_list_on_every_claimed_python():
    run = (CI / "run").read_text("utf-8")
    other = (CI / "other-pythons").read_text("utf-8")
    assert "bash .ci/other-pythons" in run and "pure-tests.txt" in other
    assert "Programming Language :: Python :: " in other  # the versions come from the classifiers
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    prefix = "Programming Language :: Python :: 3."
    minors = sorted(int(c[len(prefix):]) for c in project["classifiers"] if c.startswith(prefix))
    assert project["requires-python"] == f">=3.{minors[0]}", (project["requires-python"], minors)
    assert minors == list(range(minors[0], minors[-1] + 1)), f"a gap in the claimed Pythons: {minors}"
