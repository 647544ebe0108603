"""Issue 12 part 5: every setting has an effect.

Two walks over every key of every table (from the settings dataclasses, nested tables too, so a
key added tomorrow is covered without editing this file):

- a name walk (AST): every key is read somewhere outside its own dataclass. Weak on its own: a
  key named like another key passes (it let `[prometheus] min_samples` and `[dns] ttl_min`
  through while no check read them);
- the effect walk: every key has a scenario in which changing its value changes what a real
  check or probe does (outcome, message or evidence): `SCENARIOS` (probes against the nginx test
  bed), `CHECK_SCENARIOS` (the real readiness check, run in this process by tests/check_harness.py
  against one embedded demo, the test bed's CDN and PostgreSQL, a token-checking stand-in) and
  one pytester run. A key without a scenario fails `test_every_key_has_a_scenario_or_says_why_not`
  by name, unless an explicit list says why (the plugin's own keys; keys that cannot change an
  outcome here).

Last, the check-by-check review: what it found a check passing on fails (or skips) that check
with its own message (`REVIEW_CASES`)."""

from __future__ import annotations

import ast
import dataclasses
import json
import typing
from pathlib import Path
from typing import Any

import pytest
from check_harness import CheckOutcome, run_check, with_keys

from launch_project import SUITE_TABLES  # and readiness/ on sys.path, for launch_suite
from pytest_launch.config import tables
from pytest_launch.config.reference import _nested
from readiness_runs import run_one_check

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

    for table in sorted({*tables.TABLES, *SUITE_TABLES}):
        walk(table, tables.settings_class(table, SUITE_TABLES))
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
    assert {table.split(".")[0] for table, _ in keys} == {*tables.TABLES, *SUITE_TABLES}


# ------------------------------------------------------------------ behaviour of keys the review wired
def _run(pytester: pytest.Pytester, environment: str, check_file: str, name: str) -> dict[str, Any]:
    return run_one_check(pytester, environment, check_file, name, env_name="settings")


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
    ("http", "timeout"): (1, 2, lambda tb, v: _outcome(lambda: _http(
        tb, base_url=f"http://127.0.0.1:{tb.silent_port}", timeout=v).get("/"))),
    # the wait between retries: two retries of a refused connection wait 2 s with 1.0, none with 0
    # (the threshold leaves 1.5 s for a loaded machine to be slow with 0, and cannot be reached early with 1.0)
    ("http", "backoff_factor"): (0, 1.0, lambda tb, v: _elapsed_s(lambda: _outcome(lambda: _http(
        tb, base_url=_refused(tb), retries=2, backoff_factor=v).get("/"))) >= 1.5),
}


def _elapsed_s(call: Any) -> float:
    import time

    started = time.monotonic()
    call()
    return time.monotonic() - started


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


# ------------------------------------------------------------------ every key a check reads: the real check, changed
# Each scenario runs a real readiness check (tests/check_harness.py: in this process, with the
# probes its fixtures would give it) against the embedded demo, once with the key at value a and
# once at value b, and the check must do something different: another outcome, another message,
# or (where `observe` says so) other evidence. One demo serves every scenario.
@dataclasses.dataclass(frozen=True)
class Scenario:
    check: str                      # readiness file::check
    a: Any                          # {key: value} for the key's table, or a function env -> env
    b: Any
    observe: Any = None             # CheckOutcome -> what must differ (default: outcome and message)
    a_passes: bool = True           # value a is the demo's healthy setting: the check passes under it


APP, SEC, INFRA, DATA, MON = ("test_application.py::", "test_security.py::", "test_infrastructure.py::",
                              "test_data.py::", "test_monitoring.py::")


def _step(**changes: Any) -> Any:
    """A one-journey, one-step [application] journeys variant (for the journeys.steps keys)."""
    def variant(env: Any) -> Any:
        app = env.table("application")
        step = dataclasses.replace(app.journeys[0].steps[0], **changes)
        journey = dataclasses.replace(app.journeys[0], steps=[step])
        return with_keys(env, "application", journeys=[journey])
    return variant


def _journey(**changes: Any) -> Any:
    def variant(env: Any) -> Any:
        app = env.table("application")
        return with_keys(env, "application", journeys=[dataclasses.replace(app.journeys[0], **changes)])
    return variant


def _entry(table: str, key: str, index: int = 0, **changes: Any) -> Any:
    """A variant changing one entry of a list of sub-tables ([[kubernetes.clusters]], [tls] endpoints, ...)."""
    def variant(env: Any) -> Any:
        entries = list(getattr(env.table(table), key))
        entries[index] = dataclasses.replace(entries[index], **changes)
        return with_keys(env, table, **{key: entries})
    return variant


def _url(env: Any, table: str, key: str, path: str) -> Any:
    """A variant pointing [table] key at another path of the same host (a 404 on the demo)."""
    from urllib.parse import urlsplit

    parts = urlsplit(getattr(env.table(table), key))
    return with_keys(env, table, **{key: f"{parts.scheme}://{parts.netloc}{path}"})


def _derived(table: str, key: str, value: Any) -> Any:
    """A variant setting [table] key to value(env) (a value computed from the demo's own)."""
    return lambda env: with_keys(env, table, **{key: value(env)})


def _rate_limit(**changes: Any) -> Any:
    return _derived("security", "rate_limit", lambda e: dataclasses.replace(e.table("security").rate_limit, **changes))


def _rotated_only(env: Any) -> Any:
    """Only the demo's rotated secret (the other one, never rotated, is the demo's waived risk)."""
    return with_keys(env, "secrets_rotation", secrets=["demo/catalog/db-password"])


def _older_backup_checksums(env: Any) -> Any:
    """The checksums S3Probe finds recorded with an older (plain, metadata-checksummed) demo backup."""
    from pytest_launch.plugin.fixtures import build_probe

    s3 = build_probe("s3", env)
    backups = env.table("backups")
    listed = s3.s3.list_objects_v2(Bucket=backups.bucket, Prefix=backups.prefix)["Contents"]
    older = sorted(o["Key"] for o in listed if o["Key"].endswith(".json"))[0]
    return s3.recorded_checksums(backups.bucket, older)


def _strict_schema(env: Any) -> Path:
    """The demo's catalog schema, requiring a field no book has."""
    schema = json.loads(Path(env.table("catalog").schema).read_text())
    strict = env.demo.workdir / "strict.schema.json"
    schema.setdefault("required", []).append("no_such_field")
    strict.write_text(json.dumps(schema))
    return strict


def _evidence(*names: str) -> Any:
    return lambda outcome: (outcome.outcome, {n: outcome.evidence.get(n) for n in names})


def _same(env: Any) -> Any:
    return env


TOKEN = "effect-token-5b1e"  # the stand-in API's bearer token (a test value, not a secret)


def _token_api(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """A stand-in for the token-protected HTTP APIs the demo does not run (Grafana; Prometheus or
    Alertmanager behind an authenticating proxy): 401 without `Bearer TOKEN`, else /-/ready,
    Grafana's /api/health and /api/search with one dashboard."""
    path = environ.get("PATH_INFO", "")
    if environ.get("HTTP_AUTHORIZATION") != f"Bearer {TOKEN}":
        status, body = "401 Unauthorized", {"message": "Unauthorized"}
    elif path == "/-/ready":
        status, body = "200 OK", {"ready": True}
    elif path == "/api/health":
        status, body = "200 OK", {"database": "ok", "version": "11.0.0"}
    elif path == "/api/search":
        status, body = "200 OK", [{"uid": "launch-overview", "title": "Launch overview"}]
    else:
        status, body = "404 Not Found", {"message": "Not found"}
    start_response(status, [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]


def _grafana(**changes: Any) -> Any:
    """[grafana] on the token-protected stand-in, with `changes` (values may be functions of env)."""
    def variant(env: Any) -> Any:
        from launch_suite.settings import GrafanaSettings

        values = {"url": env.token_api_url, "token": TOKEN, "dashboards": ["launch-overview"], "timeout": 5}
        values.update({k: v(env) if callable(v) else v for k, v in changes.items()})
        changed = with_keys(env, "environment")
        changed._tables["grafana"] = GrafanaSettings(**values)
        return changed
    return variant


def _api_ready(probe_name: str, **changes: Any) -> Any:
    """Whether the [probe_name] probe (Prometheus, Alertmanager) finds its server ready, with changes."""
    def call(env: Any) -> Any:
        from pytest_launch.plugin.fixtures import build_probe

        return build_probe(probe_name, env).ready()
    return call


def _api_at(probe_name: str, where: str, **changes: Any) -> Any:
    """A variant pointing [probe_name] at the demo's HTTPS app ("https") or the token stand-in ("token")."""
    def variant(env: Any) -> Any:
        url = env.table("http").base_url if where == "https" else env.token_api_url
        values = {"url": url, "ca_bundle": str(env.demo.ca_bundle) if where == "https" else None, "verify": True,
                  "bearer_token": TOKEN if where == "token" else None}
        values.update(changes)
        return with_keys(env, probe_name, **values)
    return variant


# ---- [rollout] and [success]: the stage machinery (pytest_launch.core.rollout, stage_checks) on the demo's Prometheus
GO, TRIGGER = "request_rate >= 0 over 5s", "error_rate > 50% over 5s"


def _rollout(**changes: Any) -> Any:
    """A small [rollout] plan over the demo's Prometheus (5 s windows at a 1 s step), with changes."""
    def variant(env: Any) -> Any:
        from pytest_launch.core.rollout import RolloutSettings

        values = {"stages": [5, 25], "go_criteria": [GO], "rollback_triggers": [TRIGGER], "min_samples": 2,
                  "default_window": "5s", "step": "1s", "metrics": {}}
        values.update(changes)
        changed = with_keys(env, "environment")
        changed._tables["rollout"] = RolloutSettings(**values)
        return changed
    return variant


def _criterion(**changes: Any) -> Any:
    from pytest_launch.core.rollout import Criterion

    return _rollout(go_criteria=[Criterion(**{"expr": GO, **changes})])


def _stage_override(**changes: Any) -> Any:
    from pytest_launch.core.rollout import StageSettings

    return _rollout(stage={"25": StageSettings(**changes)})


def _judged(env: Any, plan: Any, metrics: dict[str, str]) -> list[Any]:
    from pytest_launch.core.rollout import evaluate_check, judge_check
    from pytest_launch.plugin.fixtures import build_probe
    from pytest_launch.plugin.stage_checks import StageItem, _id, _marks

    env.demo.monitoring_ready()
    probe = build_probe("prometheus", env)
    judged = []
    for check in plan.checks:
        result = evaluate_check(check, plan, probe, metrics)
        verdict = judge_check(check, result, plan.stage)
        item = StageItem(plan.stage, check, plan)
        judged.append((check.key, verdict.ok, verdict.inconclusive, result.query, result.window,
                       result.sample_count > 2, _id(item), sorted(str((m.name, m.args)) for m in _marks(item))))
    return judged


def _stage_25(env: Any) -> list[Any]:
    """Each check of stage 25: where written, passed, inconclusive, its query and window, whether
    it had more than 2 samples, its pytest id and marks (checklist link, severity, owner)."""
    from pytest_launch.core.errors import ConfigError
    from pytest_launch.core.rollout import metric_queries, stage_plan

    rollout = env.table("rollout")
    try:
        plan = stage_plan(rollout, 25, "effects.toml", getattr(env.table("prometheus"), "step", None) or "15s")
    except ConfigError as error:  # what --launch-stage 25 says when the plan has no such stage
        return [f"ConfigError: {error.message}"]
    return _judged(env, plan, metric_queries(rollout, env.table("prometheus")))


def _success(**changes: Any) -> Any:
    def variant(env: Any) -> Any:
        from pytest_launch.core.rollout import SuccessSettings

        values = {"criteria": [GO], "window": "5s", "step": "1s", "min_samples": 2, "metrics": {}}
        values.update(changes)
        changed = with_keys(env, "environment")
        changed._tables["success"] = SuccessSettings(**values)
        return changed
    return variant


def _success_checks(env: Any) -> list[Any]:
    from pytest_launch.core.rollout import metric_queries, success_plan

    success = env.table("success")
    metrics = {**metric_queries(None, env.table("prometheus")), **success.metrics}
    return _judged(env, success_plan(success, "effects.toml"), metrics)


def _cdn(**changes: Any) -> Any:
    """[cdn] on the test bed's caching nginx (the demo has no CDN), with changes (values may be functions of env)."""
    def variant(env: Any) -> Any:
        from launch_suite.settings import CdnSettings

        values = {"urls": [env.cdn_testbed.url("edge", "/asset?t=settings-effect")]}
        values.update({k: v(env) if callable(v) else v for k, v in changes.items()})
        changed = with_keys(env, "environment")
        changed._tables["cdn"] = CdnSettings(**values)
        return changed
    return variant


def _database(**changes: Any) -> Any:
    """[database] on the test bed's PostgreSQL primary and its streaming replica (the demo has none)."""
    def variant(env: Any) -> Any:
        from launch_suite.settings import DatabaseSettings

        pair = env.postgres_pair
        values = {"dsn": pair.dsn(), "expected_replicas": 1, "replicas": [pair.replica_name]}
        values.update({k: v(env) if callable(v) else v for k, v in changes.items()})
        changed = with_keys(env, "environment")
        changed._tables["database"] = DatabaseSettings(**values)
        return changed
    return variant


def _connect_waited_s(env: Any) -> bool:
    """Whether INF-02 waited on a silent server for more than 3.5 s before giving up (psycopg's
    shortest connect timeout is 2 s: 1 waits 2 s, 5 waits 5 s; 1.5 s apart either way, however
    slowly a loaded machine runs the check around the wait)."""
    return env.silent_tcp.waited_after_connect_s(lambda: run_check(env, INFRA + "test_database_replication")) > 3.5


class CountingSilentServer:
    """Accepts TCP connections on 127.0.0.1 and never answers; counts them and notes when each was
    accepted, so that a test can time a client's wait from its first connection, without the
    client's own set-up (building a client, loading a module) that a loaded machine slows down."""

    def __init__(self) -> None:
        import socket
        import threading

        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self.accepted: list[Any] = []
        self.accepted_at: list[float] = []  # time.monotonic() of each accept
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import time

        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            self.accepted_at.append(time.monotonic())
            self.accepted.append(connection)  # held open, never answered

    def waited_after_connect_s(self, call: Any) -> float:
        """Run `call`; the seconds from its first accepted connection until it returned (0 when it
        opened none)."""
        import time

        first = len(self.accepted_at)
        call()
        returned_at = time.monotonic()
        return returned_at - self.accepted_at[first] if len(self.accepted_at) > first else 0.0

    def stop(self) -> None:
        self._socket.close()
        for connection in self.accepted:
            connection.close()


def _silent_s3(**changes: Any) -> Any:
    """[aws] pointing at a server that accepts connections and never answers."""
    return lambda env: with_keys(env, "aws", endpoint_url=f"http://127.0.0.1:{env.silent_tcp.port}", **changes)


def _s3_listing(env: Any) -> Any:
    from pytest_launch.plugin.fixtures import build_probe

    return _outcome(lambda: build_probe("s3", env).newest_object())


def _s3_attempts(env: Any) -> int:
    """How many connections one S3 listing opened to the silent server before giving up."""
    before = len(env.silent_tcp.accepted)
    _s3_listing(env)
    return len(env.silent_tcp.accepted) - before


def _s3_waited_longer_than_s(seconds: float) -> Any:
    """Whether one S3 listing waited on the silent server longer than `seconds` before giving up."""
    return lambda env: env.silent_tcp.waited_after_connect_s(lambda: _s3_listing(env)) > seconds


CHECK_SCENARIOS: dict[tuple[str, str], Scenario] = {
    # [application]
    ("application", "health_path"): Scenario(APP + "test_health_endpoint", {"health_path": "/health"},
                                             {"health_path": "/no-such-health"}),
    ("application", "health_field"): Scenario(APP + "test_health_endpoint", {"health_field": "status"},
                                              {"health_field": "instance"}),
    ("application", "health_ok_values"): Scenario(APP + "test_health_endpoint", {"health_ok_values": ["ok"]},
                                                  {"health_ok_values": ["UP"]}),
    ("application", "home_path"): Scenario(APP + "test_maintenance_mode_removed", {"home_path": "/"},
                                           {"home_path": "/no-such-page"}),
    ("application", "maintenance_markers"): Scenario(APP + "test_maintenance_mode_removed",
                                                     {"maintenance_markers": ["maintenance"]},
                                                     {"maintenance_markers": ["book catalog"]}),
    ("application", "version_path"): Scenario(APP + "test_deployed_version", {"version_path": "/version"},
                                              {"version_path": "/health"}),
    ("application", "version_field"): Scenario(APP + "test_deployed_version", {"version_field": "version"},
                                               {"version_field": "commit"}),
    ("application", "expected_version"): Scenario(APP + "test_deployed_version", {"expected_version": "1.4.0"},
                                                  {"expected_version": "1.5.0"}),
    ("application", "journeys"): Scenario(APP + "test_critical_user_journeys", _same, {"journeys": []}),
    ("application.journeys", "name"): Scenario(APP + "test_critical_user_journeys", _journey(name="browse"),
                                               _journey(name="search"), observe=lambda o: sorted(o.evidence)),
    ("application.journeys", "steps"): Scenario(APP + "test_critical_user_journeys", _same, _journey(steps=[])),
    ("application.journeys.steps", "path"): Scenario(APP + "test_critical_user_journeys", _step(path="/api/authors"),
                                                     _step(path="/api/no-such-thing")),
    ("application.journeys.steps", "method"): Scenario(APP + "test_critical_user_journeys", _step(method="GET"),
                                                       _step(method="HEAD")),
    ("application.journeys.steps", "status"): Scenario(APP + "test_critical_user_journeys", _step(status=200),
                                                       _step(status=404)),
    ("application.journeys.steps", "contains"): Scenario(APP + "test_critical_user_journeys",
                                                         _step(contains=["Jane Austen"]), _step(contains=["Zola"])),
    ("application.journeys.steps", "json_keys"): Scenario(APP + "test_critical_user_journeys",
                                                          _step(path="/api/authors/a-001", contains=[],
                                                                json_keys=["name"]),
                                                          _step(path="/api/authors/a-001", contains=[],
                                                                json_keys=["no_such_key"])),
    # [providers]
    ("providers", "feature_flags_url"): Scenario(APP + "test_feature_flag_service", _same,
                                                 lambda e: _url(e, "providers", "feature_flags_url", "/sandbox/x/health")),
    ("providers", "feature_flags_list_url"): Scenario(APP + "test_feature_flag_service", _same,
                                                      lambda e: _url(e, "providers", "feature_flags_list_url", "/health")),
    ("providers", "expected_flags"): Scenario(APP + "test_feature_flag_service", {"expected_flags": ["new-checkout"]},
                                              {"expected_flags": ["no-such-flag"]}),
    ("providers", "error_tracking_dsn"): Scenario(APP + "test_error_tracking_configured", _same,
                                                  lambda e: _url(e, "providers", "error_tracking_dsn", "/not-a-project")),
    ("providers", "payments_url"): Scenario(APP + "test_payment_provider_healthy", _same,
                                            lambda e: _url(e, "providers", "payments_url", "/sandbox/x/health")),
    ("providers", "email_url"): Scenario(APP + "test_email_provider_healthy", _same,
                                         lambda e: _url(e, "providers", "email_url", "/sandbox/x/health")),
    ("providers", "push_url"): Scenario(APP + "test_push_provider_healthy", _same,
                                        lambda e: _url(e, "providers", "push_url", "/sandbox/x/health")),
    ("providers", "analytics_url"): Scenario(APP + "test_analytics_configured", _same,
                                             lambda e: _url(e, "providers", "analytics_url", "/sandbox/x/health")),
    # [load_balancer]
    ("load_balancer", "backends"): Scenario(INFRA + "test_load_balancer_backends_healthy", _same, _derived(
        "load_balancer", "backends", lambda e: [e.table("http").base_url + "/no-such-health"])),
    # [security]
    ("security", "http_redirect_url"): Scenario(SEC + "test_plain_http_redirects_to_https", _same, _derived(
        "security", "http_redirect_url", lambda e: e.table("http").base_url + "/")),
    ("security", "hsts_min_days"): Scenario(SEC + "test_hsts_max_age", {"hsts_min_days": 180}, {"hsts_min_days": 400}),
    ("security", "header_paths"): Scenario(SEC + "test_security_headers", {"header_paths": ["/"]},
                                           {"header_paths": ["/", "/health"]}, observe=lambda o: sorted(o.evidence)),
    ("security", "cookie_paths"): Scenario(SEC + "test_cookies_secure", {"cookie_paths": ["/"]},
                                           {"cookie_paths": ["/health"]}),
    ("security", "admin_paths"): Scenario(SEC + "test_admin_endpoints_require_authentication", {"admin_paths": ["/admin"]},
                                          {"admin_paths": ["/admin", "/health"]}),
    ("security", "waf_probes"): Scenario(SEC + "test_waf_blocks_attack_signatures", _same,
                                         {"waf_probes": ["/api/books?q=tolstoy"]}),
    ("security", "rate_limit"): Scenario(SEC + "test_api_rate_limiting", _same, {"rate_limit": None}),
    ("security.rate_limit", "path"): Scenario(SEC + "test_api_rate_limiting", _same, _derived(
        "security", "rate_limit", lambda e: dataclasses.replace(e.table("security").rate_limit, path="/health"))),
    # each value bursts its own URL (the demo limits per path and query): a's burst leaves b's window untouched
    ("security.rate_limit", "requests"): Scenario(SEC + "test_api_rate_limiting", _rate_limit(path="/api/books?r=60"),
                                                  _rate_limit(path="/api/books?r=5", requests=5)),
    ("security.rate_limit", "concurrency"): Scenario(SEC + "test_api_rate_limiting", _same, _derived(
        "security", "rate_limit", lambda e: dataclasses.replace(e.table("security").rate_limit, concurrency=1)), observe=_evidence("concurrency")),
    ("security", "buckets"): Scenario(SEC + "test_buckets_private_and_encrypted", _same,
                                      {"buckets": ["no-such-bucket-here"]}),
    # [secrets_rotation]
    ("secrets_rotation", "secrets"): Scenario(SEC + "test_secrets_rotated", {"secrets": ["demo/catalog/db-password"]},
                                              {"secrets": ["demo/catalog/search-api-key"]}),
    ("secrets_rotation", "max_age_days"): Scenario(SEC + "test_secrets_rotated",
                                                   {"secrets": ["demo/catalog/db-password"], "max_age_days": 90},
                                                   {"secrets": ["demo/catalog/db-password"], "max_age_days": 0}),
    # [http] (the other keys: SCENARIOS above, at the probe level)
    ("http", "base_url"): Scenario(APP + "test_health_endpoint", _same,
                                   _derived("http", "base_url", lambda e: e.table("http").base_url + "/prefix")),
    # [tls] and its endpoints
    ("tls", "endpoints"): Scenario(INFRA + "test_tls_certificates_valid", _same, {"endpoints": []}),
    ("tls.endpoints", "host"): Scenario(INFRA + "test_tls_certificates_valid", _same,
                                        _entry("tls", "endpoints", host="other.launch.test")),
    ("tls.endpoints", "port"): Scenario(INFRA + "test_tls_certificates_valid", _same,
                                        _derived("tls", "endpoints", lambda e: [dataclasses.replace(
                                            e.table("tls").endpoints[0], port=e.demo.refused_port)])),
    ("tls.endpoints", "address"): Scenario(INFRA + "test_tls_certificates_valid", _same,
                                           _entry("tls", "endpoints", address="127.0.0.2")),
    ("tls", "refused_protocols"): Scenario(SEC + "test_legacy_tls_refused", _same,
                                           {"refused_protocols": ["TLSv1", "TLSv1.2"]}),
    ("tls", "accepted_protocols"): Scenario(SEC + "test_legacy_tls_refused", _same,
                                            {"accepted_protocols": ["TLSv1.2", "TLSv1.1"]}),
    # [dns]
    ("dns", "zone"): Scenario(INFRA + "test_dns_soa_serials_agree", _same, {"zone": None}),
    ("dns", "nameservers"): Scenario(INFRA + "test_dns_expected_records", _same, _derived(
        "dns", "nameservers", lambda e: [f"127.0.0.1:{e.servfail_port}"])),
    ("dns", "authoritative"): Scenario(INFRA + "test_dns_soa_serials_agree", _same, _derived(
        "dns", "authoritative", lambda e: [*e.table("dns").authoritative, f"127.0.0.1:{e.demo.refused_port}"])),
    ("dns", "timeout"): Scenario(INFRA + "test_dns_expected_records", _same, {"timeout": 0.000001}),
    ("dns", "ttl_min"): Scenario(INFRA + "test_dns_expected_records", _same, {"ttl_min": 100000}),
    ("dns", "ttl_max"): Scenario(INFRA + "test_dns_expected_records", _same, {"ttl_max": 1}),
    ("dns", "caa_issuers"): Scenario(INFRA + "test_dns_caa_names_our_ca", _same, {"caa_issuers": ["other-ca.example"]}),
    ("dns", "expected"): Scenario(INFRA + "test_dns_expected_records", _same,
                                  {"expected": {"demo.launch.test": {"A": ["192.0.2.1"]}}}),
    # [kubernetes] and its clusters
    ("kubernetes", "clusters"): Scenario(INFRA + "test_kubernetes_clusters_ready", _same, {"clusters": []}),
    ("kubernetes", "ca_bundle"): Scenario(INFRA + "test_kubernetes_clusters_ready", _same, {"ca_bundle": None}),
    ("kubernetes", "timeout"): Scenario(INFRA + "test_kubernetes_clusters_ready", _same, {"timeout": 0.000001}),
    ("kubernetes", "autoscalers"): Scenario(INFRA + "test_autoscaling_policies", _same,
                                            {"autoscalers": ["catalog/no-such-workload"]}),
    ("kubernetes", "min_replicas"): Scenario(INFRA + "test_autoscaling_policies", _same, {"min_replicas": 50}),
    ("kubernetes.clusters", "name"): Scenario(INFRA + "test_kubernetes_clusters_ready", _same,
                                              _entry("kubernetes", "clusters", name="other-cluster"),
                                              observe=lambda o: sorted(o.evidence)),
    ("kubernetes.clusters", "api_url"): Scenario(INFRA + "test_kubernetes_clusters_ready", _same, _derived(
        "kubernetes", "clusters", lambda e: [dataclasses.replace(
            e.table("kubernetes").clusters[0], api_url=f"https://127.0.0.1:{e.demo.refused_port}")])),
    ("kubernetes.clusters", "token"): Scenario(INFRA + "test_kubernetes_clusters_ready", _same,
                                               _entry("kubernetes", "clusters", token="not-the-token")),
    ("kubernetes.clusters", "ca_bundle"): Scenario(INFRA + "test_kubernetes_clusters_ready", _same, _derived(
        "kubernetes", "clusters", lambda e: [dataclasses.replace(
            e.table("kubernetes").clusters[0], ca_bundle=str(ROOT / "pyproject.toml"))])),
    # [aws]
    ("aws", "profile"): Scenario(DATA + "test_backup_fresh_and_checksum_verified", _same, {"profile": "no-such-profile"}),
    ("aws", "region"): Scenario(SEC + "test_secrets_rotated", _rotated_only,
                                lambda e: with_keys(_rotated_only(e), "aws", region="ap-southeast-2")),
    ("aws", "endpoint_url"): Scenario(DATA + "test_backup_fresh_and_checksum_verified", _same, _derived(
        "aws", "endpoint_url", lambda e: f"http://127.0.0.1:{e.demo.refused_port}")),
    # [backups]
    ("backups", "bucket"): Scenario(DATA + "test_backup_fresh_and_checksum_verified", _same, {"bucket": "no-such-bucket"}),
    ("backups", "prefix"): Scenario(DATA + "test_backup_fresh_and_checksum_verified", _same, {"prefix": "elsewhere/"}),
    ("backups", "max_age_hours"): Scenario(DATA + "test_backup_fresh_and_checksum_verified", _same,
                                           {"max_age_hours": 0.0001}),
    ("backups", "min_size_bytes"): Scenario(DATA + "test_backup_fresh_and_checksum_verified", _same,
                                            {"min_size_bytes": 10**9}),
    # the newest demo backup carries only S3's own checksum; the older ones carry a metadata sha256
    ("backups", "checksum_metadata_key"): Scenario(_older_backup_checksums, _same, {"checksum_metadata_key": "md5"}),
    # [catalog]
    ("catalog", "source"): Scenario(DATA + "test_catalog_integrity", _same, {"source": "/health"}),
    ("catalog", "schema"): Scenario(DATA + "test_catalog_integrity", _same, _derived(
        "catalog", "schema", lambda e: str(_strict_schema(e)))),
    ("catalog", "search_path"): Scenario(DATA + "test_search_index_built", _same, {"search_path": "/api/authors"}),
    ("catalog", "search_probes"): Scenario(DATA + "test_search_index_built", _same, {"search_probes": []}),
    ("catalog.search_probes", "query"): Scenario(DATA + "test_search_index_built", _same,
                                                 _entry("catalog", "search_probes", query="tolstoy")),
    ("catalog.search_probes", "expect"): Scenario(DATA + "test_search_index_built", _same,
                                                  _entry("catalog", "search_probes", expect="War and Peace")),
    # [restore] (the drill writes only under its scratch location, which the evidence names)
    ("restore", "scratch_prefix"): Scenario(DATA + "test_backup_restore_round_trip", _same,
                                            {"scratch_prefix": "backups/"}),
    ("restore", "scratch_bucket"): Scenario(DATA + "test_backup_restore_round_trip", _same,
                                            {"scratch_bucket": "no-such-scratch-bucket"}),
    ("restore", "count_tolerance_percent"): Scenario(DATA + "test_backup_restore_round_trip", _same,
                                                     {"count_tolerance_percent": 50.0},
                                                     observe=lambda o: (o.outcome, json.dumps(o.evidence, default=str)
                                                                        .count("50.0"))),
    # [prometheus] (the demo's Prometheus scrapes both app instances)
    ("prometheus", "url"): Scenario(MON + "test_prometheus_targets_up", _same, _derived(
        "prometheus", "url", lambda e: f"http://127.0.0.1:{e.demo.refused_port}")),
    ("prometheus", "timeout_s"): Scenario(MON + "test_prometheus_targets_up", _same, {"timeout_s": 0.000001}),
    ("prometheus", "queries"): Scenario(MON + "test_sli_queries_return_data", _same, {"queries": {}}),
    ("prometheus", "min_samples"): Scenario(MON + "test_sli_queries_return_data", {"min_samples": 1},
                                            {"min_samples": 5}),
    ("prometheus", "default_window"): Scenario(MON + "test_sli_queries_return_data", {"default_window": "1m"},
                                               {"default_window": "1ms"}, observe=lambda o: (o.outcome, json.dumps(
                                                   o.evidence, default=str).count("[1ms]"))),
    ("prometheus", "expected_jobs"): Scenario(MON + "test_prometheus_targets_up", _same,
                                              {"expected_jobs": ["no-such-job"]}),
    ("prometheus", "expected_alerts"): Scenario(MON + "test_alert_rules_exist", _same,
                                                {"expected_alerts": ["NoSuchAlert"]}),
    # [alertmanager]
    ("alertmanager", "url"): Scenario(MON + "test_alertmanager_receivers", _same, _derived(
        "alertmanager", "url", lambda e: f"http://127.0.0.1:{e.demo.refused_port}")),
    ("alertmanager", "timeout_s"): Scenario(MON + "test_alertmanager_receivers", _same, {"timeout_s": 0.000001}),
    ("alertmanager", "expected_receivers"): Scenario(MON + "test_alertmanager_receivers", _same,
                                                     {"expected_receivers": ["no-such-receiver"]}),
    ("alertmanager", "synthetic_receiver"): Scenario(MON + "test_synthetic_alert_delivered", _same,
                                                     {"synthetic_receiver": "catalog-team-chat", "delivery_timeout_s": 2}),
    ("alertmanager", "synthetic_labels"): Scenario(MON + "test_synthetic_alert_delivered", _same,
                                                   {"synthetic_labels": {"team": "launch-effects"},
                                                    "delivery_timeout_s": 2},
                                                   observe=lambda o: (o.outcome, "launch-effects" in json.dumps(
                                                       o.evidence, default=str))),
    # transport keys of the API probes: the demo's HTTPS app (its own CA) and a token-checking stand-in
    **{(name, "ca_bundle"): Scenario(_api_ready(name), _api_at(name, "https"), _api_at(name, "https", ca_bundle=None))
       for name in ("prometheus", "alertmanager")},
    **{(name, "verify"): Scenario(_api_ready(name), _api_at(name, "https", ca_bundle=None, verify=False),
                                  _api_at(name, "https", ca_bundle=None, verify=True))
       for name in ("prometheus", "alertmanager")},
    **{(name, "bearer_token"): Scenario(_api_ready(name), _api_at(name, "token"),
                                        _api_at(name, "token", bearer_token="not-the-token"))
       for name in ("prometheus", "alertmanager")},
    # [grafana] (the demo runs none: the token-checking stand-in, or the demo's HTTPS app for ca_bundle)
    ("grafana", "url"): Scenario(MON + "test_grafana_dashboards", _grafana(), _grafana(
        url=lambda e: f"http://127.0.0.1:{e.demo.refused_port}")),
    ("grafana", "token"): Scenario(MON + "test_grafana_dashboards", _grafana(), _grafana(token="not-the-token")),
    ("grafana", "dashboards"): Scenario(MON + "test_grafana_dashboards", _grafana(),
                                        _grafana(dashboards=["launch-overview", "no-such-dashboard"])),
    ("grafana", "timeout"): Scenario(MON + "test_grafana_dashboards", _grafana(), _grafana(timeout=0.000001)),
    ("grafana", "ca_bundle"): Scenario(MON + "test_grafana_dashboards",
                                       _grafana(url=lambda e: e.table("http").base_url,
                                                ca_bundle=lambda e: str(e.demo.ca_bundle)),
                                       _grafana(url=lambda e: e.table("http").base_url),
                                       observe=lambda o: (o.outcome, "certificate" in o.message.lower()),
                                       a_passes=False),  # the demo's app is no Grafana: a 404, after the handshake
    # [rollout] (stage 25 of a small plan), its criteria tables and stage overrides
    ("rollout", "stages"): Scenario(_stage_25, _rollout(), _rollout(stages=[5, 50])),
    ("rollout", "go_criteria"): Scenario(_stage_25, _rollout(), _rollout(go_criteria=["request_rate < 0 over 5s"])),
    ("rollout", "rollback_triggers"): Scenario(_stage_25, _rollout(),
                                               _rollout(rollback_triggers=["error_rate >= 0% over 5s"])),
    ("rollout", "min_samples"): Scenario(_stage_25, _rollout(), _rollout(min_samples=1000)),
    ("rollout", "default_window"): Scenario(_stage_25, _rollout(go_criteria=["request_rate >= 0"]),
                                            _rollout(go_criteria=["request_rate >= 0"], default_window="4s")),
    ("rollout", "step"): Scenario(_stage_25, _rollout(), _rollout(step="10s")),
    ("rollout", "metrics"): Scenario(_stage_25, _rollout(), _rollout(metrics={"request_rate": "vector(-1)"})),
    ("rollout", "stage"): Scenario(_stage_25, _rollout(), _stage_override(min_samples=1000)),
    ("rollout.stage", "go_criteria"): Scenario(_stage_25, _stage_override(go_criteria=[GO]),
                                               _stage_override(go_criteria=["request_rate < 0 over 5s"])),
    ("rollout.stage", "rollback_triggers"): Scenario(_stage_25, _stage_override(rollback_triggers=[TRIGGER]),
                                                     _stage_override(rollback_triggers=["error_rate >= 0% over 5s"])),
    ("rollout.stage", "min_samples"): Scenario(_stage_25, _stage_override(min_samples=2),
                                               _stage_override(min_samples=1000)),
    ("rollout.go_criteria", "expr"): Scenario(_stage_25, _criterion(), _criterion(expr="request_rate < 0 over 5s")),
    # the criterion's metadata: the generated check's pytest id and marks (what the decision reads)
    ("rollout.go_criteria", "name"): Scenario(_stage_25, _criterion(name="traffic"), _criterion(name="requests")),
    ("rollout.go_criteria", "owner"): Scenario(_stage_25, _criterion(owner="sre"), _criterion(owner="payments")),
    ("rollout.go_criteria", "checklist"): Scenario(_stage_25, _criterion(checklist="DAY-14"),
                                                   _criterion(checklist="DAY-15")),
    ("rollout.go_criteria", "severity"): Scenario(_stage_25, _criterion(severity="blocker"),
                                                  _criterion(severity="minor")),
    ("rollout.go_criteria", "category"): Scenario(_stage_25, _criterion(category="performance"),
                                                  _criterion(category="business")),
    ("prometheus", "step"): Scenario(_stage_25, _rollout(step=None),
                                     lambda e: with_keys(_rollout(step=None)(e), "prometheus", step="10s")),
    # [success] (T+1 criteria)
    ("success", "criteria"): Scenario(_success_checks, _success(), _success(criteria=["request_rate < 0 over 5s"])),
    ("success", "window"): Scenario(_success_checks, _success(criteria=["request_rate >= 0"]),
                                    _success(criteria=["request_rate >= 0"], window="4s")),
    ("success", "step"): Scenario(_success_checks, _success(), _success(step="10s")),
    ("success", "min_samples"): Scenario(_success_checks, _success(), _success(min_samples=1000)),
    ("success", "metrics"): Scenario(_success_checks, _success(), _success(metrics={"request_rate": "vector(-1)"})),
    ("alertmanager", "delivery_timeout_s"): Scenario(MON + "test_synthetic_alert_delivered", _same,
                                                     {"delivery_timeout_s": 0.05}),
    # [cdn] (the test bed's caching nginx: an edge that hits on repeat, one that bypasses its cache)
    ("cdn", "urls"): Scenario(INFRA + "test_cdn_configuration", _cdn(),
                              _cdn(urls=lambda e: [e.cdn_testbed.url("no_store", "/?t=settings-effect")])),
    ("cdn", "cache_status_headers"): Scenario(INFRA + "test_cdn_configuration", _cdn(),
                                              _cdn(cache_status_headers=["X-Other-Cache"])),
    ("cdn", "require_hit"): Scenario(INFRA + "test_cdn_configuration",
                                     _cdn(urls=lambda e: [e.cdn_testbed.url("bypass", "/?t=effect-a")], require_hit=False),
                                     _cdn(urls=lambda e: [e.cdn_testbed.url("bypass", "/?t=effect-b")], require_hit=True)),
    # [database] (the test bed's primary and replica; the lag keys while the replica applies 2 s late)
    ("database", "dsn"): Scenario(INFRA + "test_database_replication", _database(),
                                  _database(dsn=lambda e: e.postgres_pair.dsn(password="not-the-password"))),
    ("database", "expected_replicas"): Scenario(INFRA + "test_database_replication", _database(),
                                                _database(expected_replicas=2)),
    ("database", "replicas"): Scenario(INFRA + "test_database_replication", _database(),
                                       _database(replicas=["replica-b"])),
    ("database", "max_lag_seconds"): Scenario(INFRA + "test_read_replicas_lag", _database(max_lag_seconds=60),
                                              _database(max_lag_seconds=0.5)),
    ("database", "max_lag_bytes"): Scenario(INFRA + "test_read_replicas_lag", _database(max_lag_seconds=60),
                                            _database(max_lag_seconds=60, max_lag_bytes=1)),
    ("database", "connect_timeout"): Scenario(_connect_waited_s, _database(
        dsn=lambda e: f"host=127.0.0.1 port={e.silent_tcp.port} dbname=postgres user=x", connect_timeout=1), _database(
        dsn=lambda e: f"host=127.0.0.1 port={e.silent_tcp.port} dbname=postgres user=x", connect_timeout=5)),
    # [aws] waits: a silent S3 endpoint (boto3 retries a read timeout in its standard mode)
    ("aws", "read_timeout"): Scenario(_s3_waited_longer_than_s(1.5), _silent_s3(read_timeout=0.3, max_attempts=1),
                                      _silent_s3(read_timeout=3.0, max_attempts=1)),
    ("aws", "max_attempts"): Scenario(_s3_attempts, _silent_s3(read_timeout=0.2, max_attempts=1),
                                      _silent_s3(read_timeout=0.2, max_attempts=2)),
}


@pytest.fixture(scope="module")
def demo_environment(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The embedded demo (with Prometheus and Alertmanager: CI has their binaries) and its
    environment loaded as the plugin loads it."""
    import os

    from launch_project import load_suite_environment as load_environment
    from pytest_launch.demo.environment import start_demo
    from pytest_launch.demo.no_answer import NoAnswerServer
    from pytest_launch.demo.servers import DemoWSGIServer
    from testbed.support import wait_until

    demo = start_demo(tmp_path_factory.mktemp("demo"))
    saved = {name: os.environ.get(name) for name in demo.environ()}
    os.environ.update(demo.environ())  # boto3 reads the (fake) AWS credentials from the process
    try:
        generated = demo.write_environment(demo.workdir / "demo.generated.toml",
                                           ROOT / "readiness" / "environments" / "demo.toml")
        environment = load_environment(generated)
        assert environment.table("prometheus") is not None and environment.table("alertmanager") is not None, (
            "the demo runs without Prometheus or Alertmanager: install their binaries")
        environment.demo = demo
        # the SLI queries need two scrapes of both instances: wait until they answer (not a fixed sleep)
        wait_until(lambda: run_check(environment, MON + "test_sli_queries_return_data").outcome == "passed",
                   timeout=30, what="the demo's Prometheus to hold two scrapes")
        # the [rollout] scenarios judge 5 s windows, at the demo's own 5 s step too: wait until
        # such a window holds its samples and the always-true go criterion passes (a scenario run
        # right after start-up found too few samples under both of its values)
        wait_until(lambda: _stage_25(_rollout(step=None)(environment))[0][1] is True, timeout=60,
                   what="the demo's Prometheus to hold two 5 s steps of samples")
        servfail = NoAnswerServer("dns")  # a DNS server answering SERVFAIL to everything
        environment.servfail_port = servfail.port
        api = DemoWSGIServer(_token_api, tls=None, server_header="api").start()
        environment.token_api_url = f"http://127.0.0.1:{api.port}"
        environment.silent_tcp = CountingSilentServer()
        yield environment
        environment.silent_tcp.stop()
        api.stop()
        servfail.stop()
    finally:
        demo.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _variant(environment: Any, change: Any) -> Any:
    return change(environment) if callable(change) else with_keys(environment, _TABLE_OF[id(change)], **change)


def _observe(scenario: Scenario, outcome: CheckOutcome) -> Any:
    return scenario.observe(outcome) if scenario.observe else (outcome.outcome, outcome.message)


_TABLE_OF: dict[int, str] = {}


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # verify = false, on purpose
@pytest.mark.parametrize("table, key", list(CHECK_SCENARIOS), ids=[f"{t}.{k}" for t, k in CHECK_SCENARIOS])
def test_changing_the_key_changes_what_the_check_does(request: pytest.FixtureRequest, demo_environment: Any,
                                                     table: str, key: str) -> None:
    scenario = CHECK_SCENARIOS[(table, key)]
    if table == "cdn":
        demo_environment.cdn_testbed = request.getfixturevalue("cdn_testbed")
    if table == "database":
        lagging = key in ("max_lag_seconds", "max_lag_bytes")
        demo_environment.postgres_pair = request.getfixturevalue("postgres_apply_delayed" if lagging else "postgres_pair")
    for change in (scenario.a, scenario.b):
        if not callable(change):
            _TABLE_OF[id(change)] = table.split(".")[0]
    if callable(scenario.check):  # a probe-level scenario: what the probe call returns (or raises)
        first, second = (_outcome(lambda: scenario.check(_variant(demo_environment, change)))  # noqa: B023
                         for change in (scenario.a, scenario.b))
        assert first != second, f"[{table}] {key}: the probe gave the same under both values: {first}"
        return
    first = run_check(_variant(demo_environment, scenario.a), scenario.check)
    second = run_check(_variant(demo_environment, scenario.b), scenario.check)
    assert _observe(scenario, first) != _observe(scenario, second), (
        f"[{table}] {key}: {scenario.check} did the same under both values: {first} / {second}")
    # value a is the demo's healthy setting (or close to it) in every scenario: it passes
    assert first.outcome == "passed" or not scenario.a_passes, f"[{table}] {key}: value a did not pass: {first}"


# ------------------------------------------------------------------ the walk: every key has a scenario, or says why not
# Keys of the plugin itself, not of a check or probe: they decide how results become a verdict
# and what the report says, and their effect is proven on the verdict by the pytester tests named.
PLUGIN_KEYS: dict[tuple[str, str], str] = {
    ("environment", "name"): "the report's environment (tests/test_environment_layers.py, report tests)",
    ("environment", "production"): "production guards on destructive checks (tests/test_plugin_decision.py)",
    ("environment", "description"): "shown in the report header only (tests/test_report_html.py)",
    ("environment", "extends"): "layering of environment files (tests/test_environment_layers.py)",
    ("environment", "release"): "approvals scoped to a release (tests/test_approvals_scope.py)",
    ("policy", "blocking_severities"): "which failures block the verdict (tests/test_decision.py)",
    ("policy", "require_destructive"): "destructive checks must run (tests/test_decision.py)",
    ("policy", "strict"): "strict decision rules (tests/test_plugin_decision.py)",
    ("environment", "generated"): "marks a layer a tool wrote; reports name the user's file instead "
                                  "(tests/test_environment_layers.py::test_a_generated_layer_is_never_named_and_paths_are_relative_to_the_root)",
    ("reports", "url"): "the published page's link in JSON, Markdown and JUnit (tests/test_report_url.py)",
    ("reports", "notify"): "where the verdict is sent (tests/test_notify.py::test_environment_file_targets_and_a_literal_url_are_masked_too)",
    ("reports", "notify_on"): "when the verdict is sent (tests/test_notify.py: only on change, always, nogo)",
    ("reports", "notify_timeout"): "bounds each send; a send that times out is recorded, never changes the verdict "
                                   "(tests/test_notify.py::test_a_server_that_never_answers_costs_the_timeout)",
    ("rollout", "rollback_steps"): "the runbook a fired trigger and a ROLLBACK report show; the verdict is "
                                   "ROLLBACK with or without it (tests/test_stage_checks.py, tests/test_rollout.py)",
}

# Keys a check or probe reads whose effect cannot be shown by a changed outcome here, and why.
CANNOT_CHANGE_AN_OUTCOME: dict[tuple[str, str], str] = {
    # the pool size of the TLS fan-out: by design every endpoint is probed and reported whatever
    # the pool size (tests/test_fanout.py proves no outcome is dropped); only the duration changes
    ("tls", "max_workers"): "bounds concurrency only; the outcome is the same by design",
    # a connection that never completes needs an address that drops SYNs: on loopback a port
    # refuses or accepts at once, and this machine has no route that silently drops packets
    ("aws", "connect_timeout"): "no address here leaves a TCP connect hanging",
}

# Keys a check or probe reads that have no scenario yet: known debt, listed so that it stays
# visible (the issue 12 part 5 report says what is left). Remove a key from here when its
# scenario lands; a key added to a table without a scenario fails the walk below by name.
NO_SCENARIO_YET: dict[tuple[str, str], str] = {
    ("aws", "transfer_timeout"): "needs a store that drips an object's body, which the demo has not; its effect is "
                                 "proven in tests/test_deadlines.py::test_s3_object_body_ends_at_the_transfer_timeout",
}

# keys proven by the pytester test above (test_alertmanager_require_cluster_and_min_peers_decide_mon03)
PROVEN_BY_A_RUN = {("alertmanager", "require_cluster"), ("alertmanager", "min_peers")}


def test_every_key_has_a_scenario_or_says_why_not() -> None:
    keys = {(table, key) for table, _, key in every_key()}
    proven = set(SCENARIOS) | set(CHECK_SCENARIOS) | PROVEN_BY_A_RUN
    listed = set(PLUGIN_KEYS) | set(CANNOT_CHANGE_AN_OUTCOME) | set(NO_SCENARIO_YET)
    missing = sorted(keys - proven - listed)
    assert not missing, ("keys with no scenario showing that changing them changes what a check does (add one "
                         "to CHECK_SCENARIOS, or say why not in one of the lists): "
                         + ", ".join(f"[{t}] {k}" for t, k in missing))
    stale = sorted((listed | proven) - keys)
    assert not stale, f"scenarios or list entries for keys that no longer exist: {stale}"
    both = sorted(proven & listed)
    assert not both, f"keys both proven and listed as unproven (remove them from the list): {both}"


# ------------------------------------------------------------------ the check-by-check review: each fix fails (or skips) with its own message
# What the review found a check passing on, against the real check and the demo: the outcome and
# the words of its own message. (DAY-03 and APP-04: demo faults stale_instance and
# error_tracking_not_sentry, tests/test_readiness_suite.py.)
REVIEW_CASES: dict[str, tuple[str, Any, str, str]] = {
    "journey without steps": (APP + "test_critical_user_journeys", _journey(steps=[]), "failed",
                              "journey 'browse the catalog' has no steps: it proves nothing"),
    "smoke journey without steps": (APP + "test_launch_day_smoke_tests", _journey(steps=[]), "failed",
                                    "has no steps: it proves nothing"),
    "no cookie on the cookie pages": (SEC + "test_cookies_secure", {"cookie_paths": ["/health"]}, "skipped",
                                      "no evidence: no page of [security] cookie_paths set a cookie"),
    "no dashboard listed": (MON + "test_grafana_dashboards", _grafana(dashboards=[]), "skipped",
                            "not configured: [grafana] dashboards is empty"),
    "a TTL longer than ttl_max": (INFRA + "test_dns_expected_records", {"ttl_max": 1}, "failed", "outside [60, 1]"),
    "an SLI with fewer series than min_samples": (MON + "test_sli_queries_return_data", {"min_samples": 2},
                                                  "failed", "fewer than the 2 asked for"),
    "a backend on the previous release": (APP + "test_deployed_version", {"expected_version": "1.3.9"}, "failed",
                                          "version '1.4.0' is deployed, '1.3.9' expected"),
    "a DSN host that is not a Sentry ingest": (APP + "test_error_tracking_configured", _derived(
        "providers", "error_tracking_dsn", lambda e: f"https://k3y@{e.table('http').base_url[8:]}/4507"), "failed",
        "is not a live Sentry ingest: /api/relay/healthcheck/live/ answered 404"),
}
_REVIEW_TABLES = {"no cookie on the cookie pages": "security", "a TTL longer than ttl_max": "dns",
                  "an SLI with fewer series than min_samples": "prometheus",
                  "a backend on the previous release": "application"}


@pytest.mark.parametrize("case", list(REVIEW_CASES))
def test_what_the_review_found_fails_with_its_own_message(demo_environment: Any, case: str) -> None:
    check, change, outcome, words = REVIEW_CASES[case]
    variant = change(demo_environment) if callable(change) else with_keys(demo_environment, _REVIEW_TABLES[case],
                                                                            **change)
    healthy = _grafana()(demo_environment) if "dashboard" in case else demo_environment  # the demo has no Grafana
    assert run_check(healthy, check).outcome == "passed"
    found = run_check(variant, check)
    assert found.outcome == outcome and words in found.message, f"{case}: {found}"
