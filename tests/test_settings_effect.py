"""Issue 12 part 5: every setting has an effect.

Every key of every table (walked from the settings dataclasses, so a key added tomorrow is
covered without editing this file) must be read by a readiness check or a probe somewhere other
than its own dataclass and validation; a key nothing reads fails here by name: remove it, or
wire it to the check its documentation promises. Behaviour scenarios against real servers prove
the effect of the keys this review found unwired or unbounded."""

from __future__ import annotations

import ast
import dataclasses
import json
import typing
from pathlib import Path
from typing import Any

import pytest

from pytest_launch.config import tables
from pytest_launch.config.reference import _nested

ROOT = Path(__file__).parent.parent
READERS = [*sorted((ROOT / "pytest_launch").rglob("*.py")), *sorted((ROOT / "readiness").rglob("*.py"))]


def every_key() -> list[tuple[str, type[Any], str]]:
    """(table path, settings class, key) for every key of every registered table, nested ones too."""
    found: list[tuple[str, type[Any], str]] = []
    seen: set[type[Any]] = set()

    def walk(name: str, cls: type[Any]) -> None:
        hints = typing.get_type_hints(cls)
        for field in dataclasses.fields(cls):
            found.append((name, cls, field.name))
            for child in _nested(hints[field.name]):
                if child not in seen:
                    seen.add(child)
                    walk(f"{name}.{field.name}", child)

    for table in sorted(tables.TABLES):
        walk(table, tables.settings_class(table))
    return found


def names_read_outside_settings(settings_classes: set[str]) -> set[str]:
    """Attribute names, keyword names and string constants used in the plugin and the suite,
    leaving out the settings dataclasses' own fields and validate() (declaring and checking a key
    is not reading it)."""
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.ClassDef) and node.name in settings_classes:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name != "validate":
                    visit(item)
            return
        if isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.add(node.value)
        elif isinstance(node, ast.keyword) and node.arg:
            names.add(node.arg)
        for child in ast.iter_child_nodes(node):
            visit(child)

    for path in READERS:
        visit(ast.parse(path.read_text(encoding="utf-8")))
    return names


def test_every_key_is_read_by_a_check_or_a_probe() -> None:
    keys = every_key()
    read = names_read_outside_settings({cls.__name__ for _, cls, _ in keys})
    unread = [f"[{table}] {key}" for table, _, key in keys if key not in read]
    assert not unread, ("keys that no check or probe reads (remove them, or wire them to the check their "
                        f"documentation promises): {unread}")


def test_the_walk_sees_nested_tables_and_every_table() -> None:
    keys = {(table, key) for table, _, key in every_key()}
    assert ("http", "timeout") in keys and ("application.journeys.steps", "json_keys") in keys
    assert {table.split(".")[0] for table, _ in keys} == set(tables.TABLES)


# ------------------------------------------------------------------ behaviour of keys the review wired
def _run(pytester: pytest.Pytester, environment: str, check_file: str, name: str) -> dict[str, Any]:
    env = pytester.path / "env.toml"
    env.write_text('[environment]\nname = "settings"\n\n' + environment)
    report = pytester.path / "go-no-go.json"
    result = pytester.runpytest_subprocess(
        str(ROOT / "readiness" / check_file), "-k", name, f"--env={env}", "--rootdir", str(ROOT),
        "-c", str(ROOT / "pyproject.toml"), "-p", "no:cacheprovider", "-p", "no:randomly",
        "--launch-report-dir", str(pytester.path / "reports"), "--launch-json", str(report), timeout=120)
    checks = [c for c in json.loads(report.read_text())["checks"] if c["nodeid"].endswith(f"::{name}")]
    assert len(checks) == 1, result.stdout.str()[-3000:]
    return checks[0]


def test_alertmanager_require_cluster_and_min_peers_decide_mon03(pytester, alertmanager_server) -> None:
    """[alertmanager] require_cluster was read by nothing: MON-03 passed against a single,
    unclustered Alertmanager whatever it said. Now it fails naming the cluster state."""
    base = f'[alertmanager]\nurl = "{alertmanager_server.url}"\nexpected_receivers = ["default"]\n'
    single = _run(pytester, base, "test_monitoring.py", "test_alertmanager_receivers")
    assert single["outcome"] == "passed", single
    required = _run(pytester, base + "require_cluster = true\nmin_peers = 2\n", "test_monitoring.py",
                    "test_alertmanager_receivers")
    assert required["outcome"] == "failed", required
    assert "cluster is disabled" in required["message"] and "at least 2" in required["message"]


# ------------------------------------------------------------------ one scenario per key: a change changes the result
def _http(nginx_testbed: Any, case: str = "good", **settings: Any) -> Any:
    from pytest_launch.probes.http import HttpProbe, HttpSettings

    values = {"base_url": nginx_testbed.url(case), "ca_bundle": str(nginx_testbed.ca_bundle), "timeout": 3,
              "retries": 0, **settings}
    return HttpProbe(HttpSettings(**values))


def _outcome(call: Any) -> str:
    from pytest_launch.probes.errors import ProbeError

    try:
        return repr(call())
    except ProbeError as error:
        return f"{type(error).__name__}: {error.problem}"


# (table, key) -> (value a, value b, the observable result of a probe or check under a value)
SCENARIOS: dict[tuple[str, str], tuple[Any, Any, Any]] = {
    ("http", "follow_redirects"): (True, False, lambda tb, v: _http(tb, "http", follow_redirects=v).get("/x").status),
    ("http", "verify"): (True, False, lambda tb, v: _outcome(
        lambda: _http(tb, ca_bundle=None, verify=v).get("/").status)),
    ("http", "ca_bundle"): ("testbed", None, lambda tb, v: _outcome(
        lambda: _http(tb, ca_bundle=str(tb.ca_bundle) if v else None).get("/").status)),
    ("http", "headers"): ({}, {"X-Probe": "1"}, lambda tb, v: dict(
        _http(tb, headers=v).get("/").response.request.headers).get("X-Probe")),
    ("tls", "min_days_left"): (5, 30, lambda tb, v: len(_tls(tb, min_days_left=v).days_left_problems(
        endpoints=[_endpoint(tb, "expiring")]))),
    ("tls", "ca_bundle"): ("testbed", None, lambda tb, v: len(_tls(tb, ca_bundle=str(tb.ca_bundle) if v else None)
                                                           .days_left_problems(endpoints=[_endpoint(tb, "good")]))),
    ("http", "retries"): (0, 2, lambda tb, v: _outcome(lambda: _http(tb, base_url=_refused(tb), retries=v,
                                                                     backoff_factor=0).get("/"))),
    ("tls", "timeout"): (1, 2, lambda tb, v: _outcome(lambda: _tls(tb, timeout=v).probe(
        _silent_endpoint(tb)))),
}


def _refused(nginx_testbed: Any) -> str:
    return f"http://127.0.0.1:{nginx_testbed.closed_port}"


def _silent_endpoint(nginx_testbed: Any) -> Any:
    from pytest_launch.probes.tls import TlsEndpoint

    return TlsEndpoint("localhost", nginx_testbed.silent_port, address="127.0.0.1")


def _tls(nginx_testbed: Any, **settings: Any) -> Any:
    from pytest_launch.probes.tls import TlsProbe, TlsSettings

    return TlsProbe(TlsSettings(**{"ca_bundle": str(nginx_testbed.ca_bundle), "timeout": 3, **settings}))


def _endpoint(nginx_testbed: Any, case: str) -> Any:
    from pytest_launch.probes.tls import TlsEndpoint

    return TlsEndpoint("localhost", nginx_testbed.ports[case], address="127.0.0.1")


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # verify = false, on purpose
@pytest.mark.parametrize("table, key", list(SCENARIOS), ids=[f"{t}.{k}" for t, k in SCENARIOS])
def test_changing_the_key_changes_the_result(nginx_testbed: Any, closed_port: int, silent_tcp_server: Any,
                                            table: str, key: str) -> None:
    nginx_testbed.closed_port = closed_port  # the scenarios' other real servers, on the same object
    nginx_testbed.silent_port = silent_tcp_server.port
    first, second, observe = SCENARIOS[(table, key)]
    assert observe(nginx_testbed, first) != observe(nginx_testbed, second)


def test_every_scenario_names_a_real_key() -> None:
    keys = {(table, key) for table, _, key in every_key()}
    assert set(SCENARIOS) <= keys, set(SCENARIOS) - keys
