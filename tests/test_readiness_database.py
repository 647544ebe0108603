"""The readiness suite's PostgreSQL replication checks (INF-02 "Database replication verified",
DAT-04 "Read replicas syncing") against a real primary and a streaming replica of the test bed
(tests/testbed/postgres.py).

Through pytest (the report's outcome and message): the healthy pair passes; a stopped replica,
replay paused behind the primary and a replica applying 2 s late fail. Calling the check
functions directly (as tests/test_readiness_suite.py does for Grafana; a pytest run costs about
1.5 s): a replica expected but absent, a wrong password, a role without pg_monitor, a DSN naming
the standby and a primary refusing connections fail, each naming what is wrong and never
showing the password.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from launch_project import load_suite_environment as load_environment
from pytest_launch.core.evidence import Evidence
from pytest_launch.probes.errors import NoAnswer
from testbed.postgres import MONITOR_ROLE, NOSY_ROLE, REPLICA_NAME, PostgresPair

ROOT = Path(__file__).parent.parent
CHECKS = ROOT / "readiness" / "test_infrastructure.py"
REPLICATION = "test_infrastructure.py::test_database_replication"
LAG = "test_infrastructure.py::test_read_replicas_lag"
PASSWORD_VARIABLE = "PG_MONITOR_PASSWORD"


def _environment(directory: Path, monkeypatch: pytest.MonkeyPatch, dsn: str, password: str,
                 **database: Any) -> Path:
    """An environment file whose [database] holds `dsn` (the password through
    ${PG_MONITOR_PASSWORD}, set to `password`) and the `database` settings."""
    lines = ["[environment]", 'name = "pg-testbed"', "", "[database]", f"dsn = {json.dumps(dsn)}"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in database.items()]
    env_file = directory / "pg.toml"
    env_file.write_text("\n".join(lines) + "\n")
    monkeypatch.setenv(PASSWORD_VARIABLE, password)
    return env_file


def _run_checks(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, dsn: str, password: str,
                **database: Any) -> dict[str, dict[str, Any]]:
    """Run INF-02 and DAT-04 of the readiness suite through pytest; the report's checks by name."""
    env_file = _environment(pytester.path, monkeypatch, dsn, password, **database)
    report = pytester.path / "go-no-go.json"
    result = pytester.runpytest_inprocess(
        str(CHECKS), "-k", "test_database_replication or test_read_replicas_lag", f"--env={env_file}",
        "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"), "-p", "no:cacheprovider",
        "-p", "no:randomly", "--launch-report-dir", str(pytester.path / "reports"), "--launch-json", str(report))
    assert report.exists(), result.stdout.str()[-3000:]
    document = json.loads(report.read_text())
    checks = {c["nodeid"].split("readiness/", 1)[-1]: c for c in document["checks"] if c.get("kind", "check") == "check"}
    assert set(checks) == {REPLICATION, LAG}, result.stdout.str()[-3000:]
    assert password not in report.read_text() and password not in result.stdout.str()
    return checks


@pytest.fixture(scope="module")
def infrastructure_checks() -> Any:
    spec = importlib.util.spec_from_file_location("readiness_infrastructure", CHECKS)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _call_checks(checks: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dsn: str, password: str,
                 **database: Any) -> dict[str, str]:
    """Call both check functions directly; what each raised ("" when it passed), by test name."""
    env = load_environment(_environment(tmp_path, monkeypatch, dsn, password, **database))
    messages = {}
    for name, function in ((REPLICATION, checks.test_database_replication), (LAG, checks.test_read_replicas_lag)):
        try:
            function(env, Evidence())
            messages[name] = ""
        except AssertionError as failure:
            messages[name] = str(failure)
            assert password not in messages[name]
        except NoAnswer as no_answer:  # the check errors: no evidence (docs/decision.md)
            messages[name] = f"no answer: {no_answer}"
            assert password not in messages[name]
    return messages


def _monitor(pair: PostgresPair, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
             **database: Any) -> dict[str, dict[str, Any]]:
    """The checks as a launch team configures them: the pg_monitor role, its password via ${VAR}."""
    return _run_checks(pytester, monkeypatch, pair.dsn_template(), pair.passwords[MONITOR_ROLE], **database)


def _failed(check: dict[str, Any], *words: str) -> None:
    assert check["outcome"] == "failed", (check["outcome"], check["message"])
    for word in words:
        assert word in check["message"], (word, check["message"])


def test_healthy_pair_passes(postgres_pair: PostgresPair, pytester: pytest.Pytester,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    postgres_pair.write(rows=10)
    postgres_pair.wait_streaming_and_caught_up()
    checks = _monitor(postgres_pair, pytester, monkeypatch, replicas=[REPLICA_NAME], max_lag_seconds=5)
    assert checks[REPLICATION]["outcome"] == "passed", checks[REPLICATION]["message"]
    assert checks[LAG]["outcome"] == "passed", checks[LAG]["message"]
    evidence = checks[REPLICATION]["evidence"]
    assert evidence["replicas"] == {REPLICA_NAME: {"state": "streaming", "sync_state": "async"}}
    assert evidence["streaming"] == 1 and evidence["primary"].startswith(f"{MONITOR_ROLE}@127.0.0.1:")
    lag = checks[LAG]["evidence"]["replicas"][REPLICA_NAME]
    assert lag["state"] == "streaming" and lag["replay_behind_bytes"] is not None
    assert lag["replay_behind_bytes"] <= checks[LAG]["evidence"]["max_lag_bytes"]


def test_stopped_replica_fails_both_checks(postgres_replica_stopped: PostgresPair, pytester: pytest.Pytester,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    checks = _monitor(postgres_replica_stopped, pytester, monkeypatch, replicas=[REPLICA_NAME])
    _failed(checks[REPLICATION], f"replica {REPLICA_NAME} is not connected to the primary",
            "0 replica(s) streaming", "no replica connected")
    _failed(checks[LAG], "no replica connected to the primary", "cannot be measured")


def test_stopped_replica_fails_by_count_alone(postgres_replica_stopped: PostgresPair, infrastructure_checks: Any,
                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    messages = _call_checks(infrastructure_checks, tmp_path, monkeypatch, postgres_replica_stopped.dsn_template(),
                            postgres_replica_stopped.passwords[MONITOR_ROLE], expected_replicas=1)
    assert "0 replica(s) streaming from the primary" in messages[REPLICATION]
    assert "1 expected" in messages[REPLICATION]


def test_more_replicas_expected_than_streaming(postgres_pair: PostgresPair, infrastructure_checks: Any,
                                               tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    messages = _call_checks(infrastructure_checks, tmp_path, monkeypatch, postgres_pair.dsn_template(),
                            postgres_pair.passwords[MONITOR_ROLE], replicas=[REPLICA_NAME, "replica-b"])
    assert "replica replica-b is not connected" in messages[REPLICATION]
    assert "1 replica(s) streaming" in messages[REPLICATION] and "2 expected" in messages[REPLICATION]
    assert "replica replica-b is not connected to the primary" in messages[LAG]
    assert "its lag cannot be measured" in messages[LAG]
    assert f"replica {REPLICA_NAME}:" not in messages[LAG]  # the streaming one is within its thresholds


def test_replay_paused_fails_on_the_byte_gap(postgres_replay_paused: PostgresPair, pytester: pytest.Pytester,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Replay stuck: PostgreSQL reports replay_lag NULL here (nothing to interpolate from), which
    the check used to read as 0 s and pass; the byte gap is measured and fails it."""
    checks = _monitor(postgres_replay_paused, pytester, monkeypatch, max_lag_seconds=5, max_lag_bytes=4096)
    assert checks[REPLICATION]["outcome"] == "passed"  # still streaming: receiving, not replaying
    _failed(checks[LAG], f"replica {REPLICA_NAME}: replay is", "bytes behind the primary", "at most 4096 allowed")
    behind = checks[LAG]["evidence"]["replicas"][REPLICA_NAME]["replay_behind_bytes"]
    assert behind > 4096


def test_delayed_apply_fails_on_the_time_lag(postgres_apply_delayed: PostgresPair, pytester: pytest.Pytester,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    checks = _monitor(postgres_apply_delayed, pytester, monkeypatch, max_lag_seconds=1)
    _failed(checks[LAG], f"replica {REPLICA_NAME}: replay lag", "at most 1s allowed (max_lag_seconds)")
    assert checks[LAG]["evidence"]["replicas"][REPLICA_NAME]["replay_lag_s"] > 1


def test_wrong_password_fails_without_showing_it(postgres_pair: PostgresPair, infrastructure_checks: Any,
                                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    messages = _call_checks(infrastructure_checks, tmp_path, monkeypatch, postgres_pair.dsn_template(),
                            "not-the-Password-42")
    for message in messages.values():
        assert f"PostgreSQL primary {MONITOR_ROLE}@127.0.0.1:{postgres_pair.primary.port}/postgres" in message
        assert "password authentication failed" in message


def test_role_without_pg_monitor_fails_naming_the_grant(postgres_pair: PostgresPair, infrastructure_checks: Any,
                                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL shows such a role one row per replica with every column but the pid NULL,
    which would read as "no replica streaming"."""
    messages = _call_checks(infrastructure_checks, tmp_path, monkeypatch, postgres_pair.dsn_template(NOSY_ROLE),
                            postgres_pair.passwords[NOSY_ROLE])
    for message in messages.values():
        assert f"role {NOSY_ROLE} cannot read the replicas' state" in message
        assert f"GRANT pg_monitor TO {NOSY_ROLE}" in message


def test_dsn_naming_the_standby_fails(postgres_pair: PostgresPair, infrastructure_checks: Any, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    messages = _call_checks(infrastructure_checks, tmp_path, monkeypatch,
                            postgres_pair.dsn_template(port=postgres_pair.replica.port),
                            postgres_pair.passwords[MONITOR_ROLE])
    for message in messages.values():
        assert f":{postgres_pair.replica.port}/postgres is a standby" in message
        assert "must name the primary" in message


def test_unreachable_primary_errors_naming_it(postgres_pair: PostgresPair, infrastructure_checks: Any,
                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             closed_port: int) -> None:
    port = closed_port
    messages = _call_checks(infrastructure_checks, tmp_path, monkeypatch, postgres_pair.dsn_template(port=port),
                            "whatever-secret-1")
    for message in messages.values():
        assert message.startswith("no answer: ")  # NoAnswer, not a failure
        assert f"PostgreSQL primary {MONITOR_ROLE}@127.0.0.1:{port}/postgres" in message
        assert "Connection refused" in message


def test_whole_dsn_as_a_secret(postgres_pair: PostgresPair, infrastructure_checks: Any, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    """As the example environments write it: dsn = "${CATALOG_PRIMARY_DSN}", a URL holding the
    password. It works, and a failure shows neither the URL nor the password."""
    password = postgres_pair.passwords[MONITOR_ROLE]
    url = f"postgresql://{MONITOR_ROLE}:{password}@127.0.0.1:{postgres_pair.primary.port}/postgres"
    messages = _call_checks(infrastructure_checks, tmp_path, monkeypatch, "${PG_MONITOR_PASSWORD}", url)
    assert messages == {REPLICATION: "", LAG: ""}
    wrong = url.replace(password, "Wrong-pw-77")
    messages = _call_checks(infrastructure_checks, tmp_path, monkeypatch, "${PG_MONITOR_PASSWORD}", wrong)
    for message in messages.values():
        assert "password authentication failed" in message and "Wrong-pw-77" not in message
        assert wrong not in message
