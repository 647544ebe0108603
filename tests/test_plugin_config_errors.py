"""Bad input stops the run before any check (PRODUCT §5): one clear message naming file, key,
expected and found; pytest's usage-error exit code 4; no traceback."""

from __future__ import annotations

import pytest

from launch_project import CHECKLIST, PROD, TODAY, make_project, report_path

pytestmark = pytest.mark.usefixtures("launch_today")


@pytest.fixture
def launch_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)
    monkeypatch.delenv("LAUNCH_NOT_SET_ANYWHERE", raising=False)


# The check writes a file when it runs: a bad input must stop the run before it.
SENTINEL_CHECK = """
import pathlib
import pytest

@pytest.mark.checklist("SEC-01")
def test_tls():
    pathlib.Path("check-ran").write_text("yes")
"""

WAIVER_OK = """
[[waiver]]
environments = ["prod"]
check = "SEC-01"
reason = "r"
owner = "o"
approved_by = "cto"
expires = 2026-11-30
"""

SIGNOFF_OK = """
[[signoff]]
environments = ["prod"]
item = "MON-06"
by = "jane"
at = 2026-11-20
evidence = "https://e.example/1"
"""

CASES = {
    "missing environment file": (
        dict(), ["--env=staging"],
        ["staging.toml", "expected an environment file, found no such file", "known environments: prod"]),
    "toml syntax error": (
        dict(env='[environment]\nname = "prod"\nproduction = tru\n'), [],
        ["prod.toml", "expected valid TOML, found a syntax error", "line 3"]),
    "unknown table": (
        dict(env=PROD + '\n[htttp]\nurl = "https://x.example"\n'), [],
        ["prod.toml: htttp: expected a known table", "found an unknown table", "did you mean 'http'?"]),
    "unknown key": (
        dict(env='[environment]\nname = "prod"\nprodution = true\n'), [],
        ["prod.toml: environment.prodution: expected one of the keys of [environment]", "found an unknown key",
         "did you mean 'production'?"]),
    "wrong type": (
        dict(env='[environment]\nname = "prod"\nproduction = "yes"\n'), [],
        ["prod.toml: environment.production: expected true or false, found str 'yes'"]),
    "missing variable": (
        dict(env=PROD + '\n[custom]\ntoken = "Bearer ${LAUNCH_NOT_SET_ANYWHERE}"\n'), [],
        ["prod.toml: custom.token: expected the environment variable LAUNCH_NOT_SET_ANYWHERE to be set",
         "found it is not set"]),
    "waiver without expiry": (
        dict(waivers=WAIVER_OK.replace("expires = 2026-11-30\n", "")), [],
        ["waivers.toml: waiver[0].expires: expected a date (YYYY-MM-DD), found nothing (it is required)"]),
    "waiver with a bad date": (
        dict(waivers=WAIVER_OK.replace("2026-11-30", '"next friday"')), [],
        ["waivers.toml: waiver[0].expires: expected a date (YYYY-MM-DD), found str 'next friday'"]),
    "waiver with an impossible date": (
        dict(waivers=WAIVER_OK.replace("2026-11-30", "2026-13-45")), [],
        ["waivers.toml: expected valid TOML, found a syntax error"]),
    "waiver with an empty approver": (
        dict(waivers=WAIVER_OK.replace('"cto"', '" "')), [],
        ["waivers.toml: waiver[0]: expected a non-empty approved_by, found an empty string"]),
    "waiver with a misspelt key": (
        dict(waivers=WAIVER_OK.replace("approved_by", "approver")), [],
        ["waivers.toml: waiver[0].approver: expected one of the keys of [waiver[0]]", "did you mean 'approved_by'?"]),
    "waivers as a plain table": (
        dict(waivers='[waiver]\ncheck = "SEC-01"\n'), [],
        ["waivers.toml: waiver: expected an array of tables [[waiver]]"]),
    "sign-off without a signer": (
        dict(signoffs=SIGNOFF_OK.replace('by = "jane"\n', "")), [],
        ["signoffs.toml: signoff[0].by: expected a string, found nothing (it is required)"]),
    "sign-off with a bad date": (
        dict(signoffs=SIGNOFF_OK.replace("2026-11-20", "20")), [],
        ["signoffs.toml: signoff[0].at: expected a date (YYYY-MM-DD), found int 20"]),
    "sign-off file with an unknown table": (
        dict(signoffs=SIGNOFF_OK.replace("[[signoff]]", "[[sign_off]]")), [],
        ["signoffs.toml: sign_off: expected only [[signoff]] tables", "did you mean 'signoff'?"]),
    "checklist with a bad severity": (
        dict(checklist=CHECKLIST.replace('severity = "normal"', 'severity = "high"')), [],
        ["checklist.toml: item[1].severity: expected one of blocker, critical, normal, minor, trivial",
         "found 'high'"]),
    "checklist with a duplicate id": (
        dict(checklist=CHECKLIST.replace('id = "PERF-02"', 'id = "SEC-01"')), [],
        ["checklist.toml: item[1].id: expected a unique id, found 'SEC-01' again (first at item[0])"]),
    "policy with an unknown severity": (
        dict(policy='[policy]\nblocking_severities = ["blocker", "urgent"]\n'), [],
        ["policy.toml: policy: expected blocking_severities from blocker, critical, normal, minor, trivial",
         "found 'urgent'"]),
}


@pytest.mark.parametrize("files, args, words", list(CASES.values()), ids=list(CASES))
def test_bad_input_is_one_clear_usage_error_before_any_check(pytester, files, args, words):
    make_project(pytester, SENTINEL_CHECK, **files)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", *args, "--launch-gate")
    assert result.ret == 4
    err = result.stderr.str()
    for word in words:
        assert word in err, f"{word!r} not in {err!r}"
    error_lines = [line for line in err.splitlines() if line.startswith("ERROR:")]
    assert len(error_lines) == 1, err
    assert "Traceback" not in err + result.stdout.str()
    assert not (pytester.path / "check-ran").exists()
    assert not report_path(pytester).exists()


def test_an_env_path_works_as_well_as_a_name(pytester):
    make_project(pytester, SENTINEL_CHECK)
    (pytester.path / "elsewhere.toml").write_text('[environment]\nname = "elsewhere"\n')
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=elsewhere.toml", "test_checks.py")
    result.assert_outcomes(passed=1, failed=1)  # one file named: the manual item MON-06 is judged too
    assert report_path(pytester, "elsewhere", "partial").exists()
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=missing/nowhere.toml")
    assert result.ret == 4
    assert "nowhere.toml: expected an environment file, found no such file" in result.stderr.str()


def test_an_unknown_checklist_id_is_a_usage_error_before_any_check(pytester):
    make_project(pytester, SENTINEL_CHECK.replace("SEC-01", "SEC-99"))
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod")
    assert result.ret == 4
    assert "checklist id 'SEC-99' is not in" in result.stderr.str()
    assert "Traceback" not in result.stderr.str() + result.stdout.str()
    assert not (pytester.path / "check-ran").exists()


def test_a_bad_launch_today_is_a_usage_error(pytester, monkeypatch):
    monkeypatch.setenv("LAUNCH_TODAY", "tomorrow")
    make_project(pytester, SENTINEL_CHECK)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod")
    assert result.ret == 4
    assert "LAUNCH_TODAY: expected a date YYYY-MM-DD, found 'tomorrow'" in result.stderr.str()


def test_a_check_that_needs_the_environment_without_env_says_pass_env(pytester):
    make_project(pytester, """
        def test_needs_env(launch_env):
            assert launch_env.name
    """)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "test_checks.py")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*this check needs an environment: pass --env NAME*"])
    assert "Traceback" not in result.stdout.str()


def test_the_environment_is_readable_mapping_style_and_typed(pytester, monkeypatch):
    monkeypatch.setenv("LAUNCH_TEST_TOKEN", "t0ken-value-123")
    make_project(pytester, """
        def test_env(launch_env):
            assert launch_env.name == "prod" and launch_env.production is True
            assert launch_env["environment"]["production"] is True
            assert launch_env["custom"]["token"] == "t0ken-value-123"
            assert launch_env["custom"]["retries"] == 3
            assert launch_env.table("http") is None
    """, env=PROD + '\n[custom]\ntoken = "${LAUNCH_TEST_TOKEN}"\nretries = 3\n')
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", "test_checks.py",
                                          "--deselect", "readiness/checklist.toml::MON-06")
    result.assert_outcomes(passed=1)


def test_a_base_file_is_layered_under_the_environment(pytester):
    make_project(pytester, """
        def test_env(launch_env):
            assert launch_env["custom"] == {"region": "eu", "replicas": 5}
            assert launch_env.production is True
    """, env=PROD.replace('production = true', 'production = true\nextends = "_base.toml"')
             + '\n[custom]\nreplicas = 5\n')
    (pytester.path / "readiness/environments/_base.toml").write_text('[custom]\nregion = "eu"\nreplicas = 1\n')
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", "test_checks.py",
                                          "--deselect", "readiness/checklist.toml::MON-06")
    result.assert_outcomes(passed=1)


# --------------------------------------------------------------------------- pytest_launch_tables
# A suite's own environment tables come from a conftest.py (or plugin) through the hook; the
# readiness suite's conftest registers its [application], [kubernetes], ... the same way.

QUEUE_CONFTEST = """
import dataclasses

from pytest_launch.core.settings import Table


@dataclasses.dataclass
class QueueSettings(Table):
    url: str
    depth_max: int = 100


def pytest_launch_tables(config):
    return {"queue": QueueSettings}
"""

QUEUE_CHECK = """
def test_queue(launch_env):
    queue = launch_env.table("queue")
    assert (queue.url, queue.depth_max) == ("amqp://q.test", 7)
"""


def _run_with_queue(pytester, queue_table, conftest=QUEUE_CONFTEST, *args):
    make_project(pytester, {"test_checks.py": QUEUE_CHECK, "conftest.py": conftest}, env=PROD + queue_table,
                 suite_tables=False)
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", "test_checks.py", *args)


def test_a_table_a_conftest_registers_is_typed_and_validated(pytester):
    result = _run_with_queue(pytester, '\n[queue]\nurl = "amqp://q.test"\ndepth_max = 7\n')
    result.assert_outcomes(passed=1, failed=1)  # test_queue passes; the manual MON-06 has no evidence
    result = _run_with_queue(pytester, '\n[queue]\nurl = "amqp://q.test"\ndepht_max = 7\n')
    assert result.ret == 4
    err = result.stderr.str()
    # the file named relative to the rootdir (the project), never as a machine-local absolute path
    assert "ERROR: readiness/environments/prod.toml: queue.depht_max: expected" in err, err
    assert str(pytester.path) not in err
    assert "unknown key" in err and "depth_max" in err, err  # what was found, and the key it resembles
    assert "Traceback" not in err + result.stdout.str()
    result = _run_with_queue(pytester, '\n[queue]\nurl = "amqp://q.test"\ndepth_max = "seven"\n')
    assert result.ret == 4 and "queue.depth_max: expected an integer, found" in result.stderr.str()


def test_without_the_hook_a_suite_table_is_an_unknown_table(pytester):
    result = _run_with_queue(pytester, '\n[queue]\nurl = "amqp://q.test"\n', "")
    assert result.ret == 4
    err = result.stderr.str()
    assert "queue: expected a known table (" in err and "found an unknown table" in err, err
    assert "Traceback" not in err + result.stdout.str()
    assert "pytest_launch_tables hook" in err, err  # where such tables come from
    # the readiness suite's tables too, when no conftest registers them
    result = _run_with_queue(pytester, '\n[kubernetes]\nclusters = []\n', "")
    assert result.ret == 4
    assert "kubernetes: expected a known table (alertmanager, aws," in result.stderr.str()
    # a misspelt table still gets its "did you mean"
    result = _run_with_queue(pytester, '\n[queue]\nurl = "amqp://q.test"\n\n[prometeus]\nurl = "http://p.test"\n')
    assert result.ret == 4
    err = result.stderr.str()
    assert "prometeus: expected a known table (" in err and "queue" in err and "prometheus" in err.split("found")[-1], err


def test_a_suite_table_cannot_take_a_built_in_name(pytester):
    conftest = QUEUE_CONFTEST.replace('{"queue": QueueSettings}', '{"http": QueueSettings}')
    result = _run_with_queue(pytester, "", conftest)
    assert result.ret == 4
    err = result.stderr.str()
    assert "http: expected a table name that is not built in, found [http] is pytest-launch's own" in err, err
    assert "Traceback" not in err + result.stdout.str()


def test_the_readiness_tables_are_registered_when_one_check_file_is_named(pytester):
    """`pytest readiness/test_security.py`: readiness/conftest.py is an initial conftest, so its
    tables exist when the plugin loads the environment (no 'unknown table [security]')."""
    from launch_project import READINESS

    env = pytester.path / "env.toml"
    env.write_text('[environment]\nname = "staging"\nproduction = false\n\n'
                   '[security]\nadmin_paths = []\n\n[kubernetes]\nautoscalers = []\n')
    for workers in ([], ["-n", "2"]):
        result = pytester.runpytest_subprocess(
            str(READINESS / "test_security.py"), "-k", "test_admin", f"--env={env}", "--rootdir",
            str(READINESS.parent), "-c", str(READINESS.parent / "pyproject.toml"), "-p", "no:cacheprovider",
            "--launch-report-dir", str(pytester.path / "reports"), *workers)
        output = result.stdout.str() + result.stderr.str()
        assert "unknown table" not in output and result.ret in (0, 1), output[-3000:]
