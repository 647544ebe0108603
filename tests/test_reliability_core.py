"""Hard to fool, hard to break (issue 7, the core's part): a worker killed mid-run, SIGINT
mid-run, atomic replace of an earlier report, hostile input, fuzzed loaders, and production
safety for destructive checks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from launch_project import (
    PROD,
    SUITE_TABLES,
    TODAY,
    check_by_name,
    make_project,
    read_report,
    report_path,
    verdict_line_of,
)
from pytest_launch.config import tables
from pytest_launch.config.approvals import load_signoffs, load_waivers
from pytest_launch.config.checklist import load_checklist
from pytest_launch.config.environment import load_environment
from pytest_launch.config.policy import load_policy
from pytest_launch.core.errors import ConfigError
from pytest_launch.outputs import atomic
from pytest_launch.outputs.jsonfile import validate_document
from testbed.support import wait_until


@pytest.fixture
def launch_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)


# -- a worker killed mid-run ------------------------------------------------------------------

@pytest.mark.usefixtures("launch_today")
def test_a_worker_killed_mid_run_gives_no_go_names_the_test_and_writes_the_report(pytester):
    make_project(pytester, """
        import os
        import signal
        import pytest
        pytestmark = [pytest.mark.t_minus_7, pytest.mark.critical]

        @pytest.mark.parametrize("n", range(6))
        def test_fine(n):
            pass

        def test_killed():
            os.kill(os.getpid(), signal.SIGKILL)
    """, checklist=None)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", "-n", "2", "--launch-gate")
    assert result.ret == 1
    doc = read_report(pytester)
    assert doc["verdict"] == "NO_GO"
    assert check_by_name(doc, "::test_killed")["outcome"] == "error"
    assert doc["run"]["complete"] is False
    assert any("crashed" in text for text in doc["run"]["incomplete_reasons"])
    reasons = result.stdout.str().split("launch decision: reasons")[-1]
    assert "test_checks.py::test_killed" in reasons
    assert verdict_line_of(result.stdout.str()).startswith("launch decision (prod): NO")


# -- SIGINT mid-run ---------------------------------------------------------------------------

SLEEPER = """
import pathlib
import time
import pytest
pytestmark = [pytest.mark.t_minus_7, pytest.mark.blocker]

def test_1_quick():
    pass

def test_2_slow():
    pathlib.Path("started").write_text("yes")
    time.sleep(60)

def test_3_never():
    pass
"""


# pytest started with SIGINT as Ctrl-C delivers it, whatever this process inherited: a shell
# without job control starts a background command (`bash .ci/run &`) with SIGINT ignored, every
# process below inherits that, and a Python started so never installs its KeyboardInterrupt
# handler (the signal would be lost and the check would sleep to its end, a false failure)
PYTEST_WITH_CTRL_C = ("import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
                      "runpy.run_module('pytest', run_name='__main__', alter_sys=True)")


def interrupt_run(root: Path, *args: str) -> tuple[int, str]:
    """Run pytest in `root`, send SIGINT once the slow check started; its exit code and output."""
    env = dict(os.environ, LAUNCH_TODAY=TODAY)
    with open(root / "out.txt", "wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", PYTEST_WITH_CTRL_C, "-p", "no:cacheprovider", "--env=prod",
                                 "--launch-gate", *args], cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: (root / "started").exists(), timeout=60, what="the slow check",
                       log=root / "out.txt")
            proc.send_signal(signal.SIGINT)
            try:
                code = proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                pytest.fail("the run did not stop within 60 s of SIGINT; its output:\n"
                            + (root / "out.txt").read_text("utf-8", errors="replace")[-4000:], pytrace=False)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return code, (root / "out.txt").read_text("utf-8", errors="replace")


def test_sigint_mid_run_writes_an_incomplete_no_go_report_over_the_earlier_one(pytester, launch_today):
    make_project(pytester, SLEEPER.replace("time.sleep(60)", "pass"), checklist=None)
    first = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod")
    assert first.ret == 0 and read_report(pytester)["verdict"] == "GO"
    (pytester.path / "started").unlink()

    make_project(pytester, SLEEPER, checklist=None)
    code, output = interrupt_run(pytester.path)
    assert code == 2, output  # pytest's "interrupted" keeps its meaning under --launch-gate
    doc = read_report(pytester)  # whole and valid, and the new one
    assert doc["verdict"] == "NO_GO"
    assert doc["run"]["complete"] is False
    assert doc["run"]["interrupted"] == "KeyboardInterrupt"
    assert check_by_name(doc, "::test_1_quick")["outcome"] == "passed"
    assert check_by_name(doc, "::test_2_slow")["outcome"] == "missing"
    assert check_by_name(doc, "::test_3_never")["outcome"] == "missing"
    assert "launch decision (prod): NO" in output
    assert "Traceback" not in output
    assert not list((pytester.path / "reports" / "prod").glob("**/.*.tmp"))


def test_sigint_under_xdist_writes_an_incomplete_no_go_report(pytester, launch_today):
    make_project(pytester, SLEEPER, checklist=None)
    code, output = interrupt_run(pytester.path, "-n", "2")
    assert code == 2, output
    doc = read_report(pytester)
    assert doc["verdict"] == "NO_GO"
    assert doc["run"]["complete"] is False
    assert check_by_name(doc, "::test_2_slow")["outcome"] in ("missing", "error")


# -- atomic replace ---------------------------------------------------------------------------

def _earlier_report(tmp_path: Path) -> tuple[dict, dict, Path]:
    from report_samples import sample_document

    old, new = sample_document(20), sample_document(40)
    old["headline"], new["headline"] = "the earlier run", "the new run"
    validate_document(old)
    from pytest_launch.plugin.finish import write_outputs

    write_outputs(old, None, tmp_path / "go-no-go.json")
    return old, new, tmp_path / "go-no-go.json"


@pytest.mark.parametrize("where, exc", [("replace", OSError(28, "No space left on device")),
                                        ("fsync", KeyboardInterrupt()),
                                        ("chmod", SystemExit(1))])
def test_a_write_that_dies_leaves_the_earlier_report_whole(tmp_path, monkeypatch, where, exc):
    from pytest_launch.plugin.finish import write_outputs

    old, new, path = _earlier_report(tmp_path)
    before = path.read_bytes()

    def die(*args, **kwargs):
        raise exc

    monkeypatch.setattr(atomic.os, where, die)
    with pytest.raises(type(exc)):
        write_outputs(new, None, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert json.loads(before)["headline"] == "the earlier run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["go-no-go.json"]  # no temporary file left behind
    write_outputs(new, None, path)
    assert json.loads(path.read_text())["headline"] == "the new run"


def test_the_report_is_never_visible_half_written(tmp_path, monkeypatch):
    """Whenever the target path exists, it holds a whole document: the rename is the only
    moment the new content becomes visible."""
    from pytest_launch.plugin.finish import write_outputs

    old, new, path = _earlier_report(tmp_path)
    seen: list[str] = []
    real_write = os.write
    real_replace = os.replace

    def spy_replace(src, dst, *a, **kw):
        seen.append(Path(dst).read_text())  # just before the swap: still the old one
        real_replace(src, dst, *a, **kw)
        seen.append(Path(dst).read_text())  # just after: the whole new one

    monkeypatch.setattr(atomic.os, "replace", spy_replace)
    assert real_write is os.write
    write_outputs(new, None, path)
    monkeypatch.undo()
    assert [json.loads(text)["headline"] for text in seen] == ["the earlier run", "the new run"]


# -- hostile input ----------------------------------------------------------------------------

@pytest.mark.usefixtures("launch_today")
@pytest.mark.timeout(300)  # a guard against a hang, not a timing assertion: the redactor was quadratic
def test_a_one_megabyte_message_is_truncated_with_a_marker(pytester):
    make_project(pytester, """
        import pytest

        @pytest.mark.blocker
        def test_huge(launch_evidence):
            launch_evidence.record(body="y" * 1_000_000)
            assert False, "x" * 1_000_000 + " from https://ops:pw-4321@db.example/ " + "z" * 1_000_000

        @pytest.mark.minor
        def test_huge_skip():
            pytest.skip("z" * 1_000_000)
    """, checklist=None)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", "--launch-gate")
    assert result.ret == 1
    doc = read_report(pytester)
    huge = check_by_name(doc, "::test_huge")
    assert len(huge["message"]) < 5_000
    assert huge["message"].endswith("more characters]") and "truncated" in huge["message"]
    assert len(huge["evidence"]["body"]) < 5_000 and huge["evidence"]["body"].endswith("[truncated]")
    skip = check_by_name(doc, "::test_huge_skip")
    assert len(skip["message"]) < 5_000 and "truncated" in skip["message"]
    assert all(len(r["text"]) < 5_000 for r in doc["reasons"])
    assert report_path(pytester).stat().st_size < 100_000
    assert "pw-4321" not in result.stdout.str()
    assert len(verdict_line_of(result.stdout.str())) < 300


@pytest.mark.usefixtures("launch_today")
def test_bytes_that_are_not_utf8_do_not_break_the_report(pytester):
    make_project(pytester, r"""
        import sys
        import pytest

        @pytest.mark.blocker
        def test_bytes(launch_evidence):
            sys.stdout.buffer.write(b"raw \xff\xfe bytes\n")
            launch_evidence.record(raw=b"\xff\x00", decoded=b"\xffok".decode("utf-8", "surrogateescape"))
            raise ValueError("bad " + b"\xffzz".decode("utf-8", "surrogateescape"))
    """, checklist=None)
    # pytester cannot decode such output itself: run pytest directly and keep the bytes
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--env=prod", "--launch-gate",
                           "--junitxml=junit.xml"], cwd=pytester.path, capture_output=True, timeout=120,
                          env=dict(os.environ, LAUNCH_TODAY=TODAY))
    output = (proc.stdout + proc.stderr).decode("utf-8", errors="replace")
    assert proc.returncode == 1, output
    assert "INTERNALERROR" not in output
    assert "launch decision (prod): NO" in output
    doc = read_report(pytester)
    bad = check_by_name(doc, "::test_bytes")
    assert bad["message"] == "ValueError: bad \ufffdzz"
    assert bad["evidence"] == {"raw": "b'\\xff\\x00'", "decoded": "\ufffdok"}
    assert doc["verdict"] == "NO_GO"
    report_path(pytester).read_bytes().decode("utf-8")  # strictly valid UTF-8


def test_an_environment_file_with_ten_thousand_keys(tmp_path):
    lines = ["[environment]", 'name = "big"', "[custom]"] + [f'key_{i} = "value {i}"' for i in range(10_000)]
    (tmp_path / "big.toml").write_text("\n".join(lines))
    environment = load_environment(tmp_path / "big.toml", {})
    assert len(environment["custom"]) == 10_000 and environment["custom"]["key_9999"] == "value 9999"
    bad = ["[environment]"] + [f'unknown_{i} = {i}' for i in range(10_000)]
    (tmp_path / "bad.toml").write_text("\n".join(bad))
    with pytest.raises(ConfigError) as info:
        load_environment(tmp_path / "bad.toml", {})
    assert "environment.unknown_0" in info.value.message and len(info.value.message) < 500


@pytest.mark.usefixtures("launch_today")
def test_an_environment_with_ten_thousand_keys_runs(pytester):
    env = PROD + "\n[custom]\n" + "\n".join(f"k{i} = {i}" for i in range(10_000)) + "\n"
    make_project(pytester, "def test_k(launch_env):\n    assert launch_env['custom']['k9999'] == 9999\n",
                 checklist=None, env=env)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod")
    result.assert_outcomes(passed=1)


@pytest.mark.usefixtures("launch_today")
def test_a_checklist_with_duplicate_ids_is_a_usage_error(pytester):
    make_project(pytester, "def test_x():\n    pass\n", checklist="""
        [[item]]
        id = "SEC-01"
        title = "a"
        phase = "t_minus_7"
        category = "security"
        severity = "blocker"
        owner = "x"

        [[item]]
        id = "SEC-01"
        title = "b"
        phase = "t_0"
        category = "security"
        severity = "minor"
        owner = "y"
    """)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod")
    assert result.ret == 4
    assert "item[1].id: expected a unique id, found 'SEC-01' again (first at item[0])" in result.stderr.str()
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


# -- fuzzing the loaders ----------------------------------------------------------------------

def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if not isinstance(value, float) or value == value and abs(value) != float("inf") \
            else ("nan" if value != value else ("inf" if value > 0 else "-inf"))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def toml_document(data: dict[str, object]) -> str:
    """Top-level keys with inline values: `waiver = [{...}]` is the same TOML as [[waiver]]."""
    return "\n".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in data.items()) + "\n"


scalars = (st.text(max_size=20) | st.integers(-10**6, 10**6) | st.floats(allow_nan=True) | st.booleans()
           | st.dates(dt.date(2000, 1, 1), dt.date(2100, 1, 1))
           | st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2100, 1, 1))
           | st.sampled_from(["${LAUNCH_FUZZ_SET}", "${LAUNCH_FUZZ_UNSET}", "https://u:p@h/x", "", " "]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


def near_valid_table(fields: list[str]) -> st.SearchStrategy[dict[str, object]]:
    keys = st.sampled_from(fields) | st.text(max_size=10)
    return st.dictionaries(keys, values, max_size=len(fields) + 2)


WAIVER_FIELDS = ["check", "reason", "owner", "approved_by", "expires", "created"]
SIGNOFF_FIELDS = ["item", "by", "at", "evidence", "expires"]
ITEM_FIELDS = ["id", "title", "phase", "category", "severity", "owner", "mode", "description", "references"]


def _fields_of(table: str) -> list[str]:
    cls = tables.settings_class(table, SUITE_TABLES)
    if cls is None or not dataclasses.is_dataclass(cls):
        return ["x"]
    return [f.name for f in dataclasses.fields(cls)] + [name for name, tp in typing.get_type_hints(cls).items()
                                                         if dataclasses.is_dataclass(tp)]


TABLE_NAMES = tables.known_tables(SUITE_TABLES)


@st.composite
def environment_documents(draw) -> dict[str, object]:
    names = draw(st.lists(st.sampled_from(TABLE_NAMES) | st.text(min_size=1, max_size=8), max_size=4, unique=True))
    doc: dict[str, object] = {}
    for name in names:
        doc[name] = draw(near_valid_table(_fields_of(name) if name in TABLE_NAMES else ["x"]) | values)
    return doc


def approvals_documents(array: str, fields: list[str]) -> st.SearchStrategy[dict[str, object]]:
    entries = st.lists(near_valid_table(fields) | values, max_size=3)
    return st.dictionaries(st.sampled_from([array, array + "s", "x"]), entries | values, max_size=2)


LOADERS = {
    "environment": (lambda p: load_environment(p, {"LAUNCH_FUZZ_SET": "fuzz-secret"}, SUITE_TABLES),
                    environment_documents()),
    "waivers": (load_waivers, approvals_documents("waiver", WAIVER_FIELDS)),
    "signoffs": (load_signoffs, approvals_documents("signoff", SIGNOFF_FIELDS)),
    "checklist": (load_checklist, approvals_documents("item", ITEM_FIELDS)),
    "policy": (load_policy, st.dictionaries(st.sampled_from(["policy", "x"]), near_valid_table(
        ["blocking_severities", "require_destructive", "strict"]) | values, max_size=2)),
}


def only_config_errors(loader, path: Path) -> None:
    try:
        loader(path)
    except ConfigError as exc:
        assert exc.message and str(path) in exc.message
        assert "Traceback" not in exc.message


@pytest.mark.parametrize("name", list(LOADERS))
def test_fuzzed_structured_input_gives_a_config_error_never_a_crash(name, tmp_path_factory):
    loader, documents = LOADERS[name]
    folder = tmp_path_factory.mktemp(name)

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(documents)
    def fuzz(data):
        path = folder / f"{name}.toml"
        path.write_text(toml_document(data), encoding="utf-8")
        only_config_errors(loader, path)

    fuzz()


@pytest.mark.parametrize("name", list(LOADERS))
def test_fuzzed_bytes_give_a_config_error_never_a_crash(name, tmp_path_factory):
    loader, _ = LOADERS[name]
    folder = tmp_path_factory.mktemp(name)
    fragments = st.sampled_from([b"[environment]\n", b"[[waiver]]\n", b"[[signoff]]\n", b"[[item]]\n",
                                 b"[policy]\n", b'name = "x"\n', b"expires = 2026-11-30\n", b"at = 2026-02-30\n",
                                 b"= = =\n", b"\xff\xfe", b"[custom]\n", b'check = """\n', b"x = ${A}\n"])

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(fragments | st.binary(max_size=30), max_size=6))
    def fuzz(chunks):
        path = folder / f"{name}.toml"
        path.write_bytes(b"".join(chunks))
        only_config_errors(loader, path)

    fuzz()


ALLOWED_TOP_LEVEL = {"environment": set(TABLE_NAMES), "waivers": {"waiver"}, "signoffs": {"signoff"},
                     "checklist": {"item"}, "policy": {"policy"}}


@pytest.mark.parametrize("name", list(LOADERS))
def test_a_top_level_name_the_file_does_not_know_is_never_silently_ignored(name, tmp_path_factory):
    """Issue 11 item 15: a misspelt table or a key outside any table would leave the default in
    force (for the policy: a wrong GO). Whatever its name and value, it is a ConfigError."""
    loader, _ = LOADERS[name]
    folder = tmp_path_factory.mktemp(name)
    names = st.text(st.characters(min_codepoint=97, max_codepoint=122) | st.sampled_from("_-"), min_size=1,
                    max_size=14).filter(lambda n: n not in ALLOWED_TOP_LEVEL[name])

    @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
    @given(names, values | st.dictionaries(st.text(max_size=8), values, max_size=3))
    def fuzz(unknown, value):
        path = folder / f"{name}.toml"
        path.write_text(toml_document({unknown: value}), encoding="utf-8")
        with pytest.raises(ConfigError) as caught:
            loader(path)
        assert str(path) in caught.value.message

    fuzz()


@pytest.mark.parametrize("name", list(LOADERS))
def test_fuzzed_deep_nesting_gives_a_config_error_never_a_recursion_error(name, tmp_path_factory):
    loader, _ = LOADERS[name]
    folder = tmp_path_factory.mktemp(name)
    table = {"environment": "[custom]", "waivers": "[[waiver]]", "signoffs": "[[signoff]]",
             "checklist": "[[item]]", "policy": "[policy]"}[name]

    def nested(kinds: list[str]) -> str:
        text = "1"
        for kind in reversed(kinds):
            text = f"[{text}]" if kind == "array" else f"{{a = {text}}}"
        return text

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.sampled_from(["array", "inline"]), min_size=20, max_size=1200),
           st.integers(min_value=0, max_value=1200))
    def fuzz(kinds, dotted):
        path = folder / f"{name}.toml"
        key = ".".join(["k"] * (dotted + 1))
        path.write_text(f"{table}\n{key} = {nested(kinds)}\n", encoding="utf-8")
        only_config_errors(loader, path)  # a RecursionError would escape and fail the test

    fuzz()


@pytest.mark.usefixtures("launch_today")
def test_a_fuzz_finding_reaches_the_user_as_a_usage_error(pytester):
    make_project(pytester, "def test_x():\n    pass\n", checklist=None,
                 waivers='waiver = [{check = "SEC-01", reason = [1], owner = "o", approved_by = "a", '
                         'expires = 2026-11-30}]\n')
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod")
    assert result.ret == 4
    assert "waiver[0].reason: expected a string, found list [1]" in result.stderr.str()


# -- production safety ------------------------------------------------------------------------

DESTRUCTIVE = """
import pathlib
import pytest

@pytest.fixture
def restore_target():
    pathlib.Path("fixture-wrote").write_text("state changed")
    return "db"

@pytest.mark.checklist("DAT-03")
@pytest.mark.destructive
def test_restore_backup(restore_target):
    pathlib.Path("restored").write_text("state changed")

class TestBurst:
    pytestmark = pytest.mark.destructive

    @pytest.mark.minor
    def test_rate_limit_burst(self):
        pathlib.Path("burst").write_text("load sent")

@pytest.mark.critical
def test_read_only():
    pass
"""

DESTRUCTIVE_CHECKLIST = """
[[item]]
id = "DAT-03"
title = "Backup restore tested"
phase = "t_minus_7"
category = "data"
severity = "critical"
owner = "dba"
"""

WROTE = ("restored", "fixture-wrote", "burst")


@pytest.mark.usefixtures("launch_today")
@pytest.mark.parametrize("xdist", [False, True], ids=["plain", "xdist"])
def test_a_destructive_check_never_runs_against_production_without_the_flag(pytester, xdist):
    make_project(pytester, DESTRUCTIVE, checklist=DESTRUCTIVE_CHECKLIST)
    args = ["-p", "no:cacheprovider", "--env=prod", "--launch-gate", "-rs"] + (["-n", "2"] if xdist else [])
    result = pytester.runpytest_subprocess(*args) if xdist else pytester.runpytest_inprocess(*args)
    for name in WROTE:
        assert not (pytester.path / name).exists(), f"{name}: a destructive check ran against production"
    # a refused blocking check has no evidence: it blocks (the minor one is a risk)
    assert result.ret == 1
    doc = read_report(pytester)
    assert check_by_name(doc, "::test_restore_backup")["outcome"] == "refused"
    assert check_by_name(doc, "::test_rate_limit_burst")["outcome"] == "refused"
    assert check_by_name(doc, "::test_read_only")["outcome"] == "passed"
    assert doc["verdict"] == "NO_GO"
    assert [r["nodeid"] for r in doc["reasons"] if r["code"] == "refused" and r["blocking"]] == [
        "test_checks.py::test_restore_backup"]
    assert sum(1 for r in doc["reasons"] if "NOT RUN" in r["text"]) == 2
    assert "--launch-allow-destructive" in result.stdout.str()


@pytest.mark.usefixtures("launch_today")
def test_production_from_a_base_file_refuses_destructive_checks_too(pytester):
    """A route the flag does not name: the environment says `production = true` only in the base
    file it extends. The refusal is decided once per run (LaunchState.refuses_destructive) from
    the layered environment, not from the file given to --env."""
    make_project(pytester, DESTRUCTIVE, checklist=DESTRUCTIVE_CHECKLIST,
                 env='[environment]\nname = "prod"\nextends = "_base.toml"\n')
    (pytester.path / "readiness" / "environments" / "_base.toml").write_text(
        '[environment]\nproduction = true\n', encoding="utf-8")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", "--launch-gate")
    for name in WROTE:
        assert not (pytester.path / name).exists(), f"{name}: a destructive check ran against production"
    assert result.ret == 1
    doc = read_report(pytester)
    assert doc["environment"]["production"] is True
    assert check_by_name(doc, "::test_restore_backup")["outcome"] == "refused"
    assert check_by_name(doc, "::test_read_only")["outcome"] == "passed"


@pytest.mark.usefixtures("launch_today")
def test_a_required_destructive_check_refused_is_missing_evidence(pytester):
    make_project(pytester, DESTRUCTIVE, checklist=DESTRUCTIVE_CHECKLIST,
                 policy='[policy]\nrequire_destructive = ["DAT-03"]\n')
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", "--launch-gate")
    assert result.ret == 1
    assert not (pytester.path / "restored").exists()
    doc = read_report(pytester)
    assert doc["verdict"] == "NO_GO"
    assert doc["reasons"][0]["code"] == "refused" and doc["reasons"][0]["blocking"]


@pytest.mark.usefixtures("launch_today")
def test_the_flag_or_a_non_production_environment_lets_destructive_checks_run(pytester):
    make_project(pytester, DESTRUCTIVE, checklist=DESTRUCTIVE_CHECKLIST)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", "--launch-allow-destructive")
    result.assert_outcomes(passed=3)
    assert all((pytester.path / name).exists() for name in WROTE)
    assert read_report(pytester)["summary"]["refused"] == 0
    for name in WROTE:
        (pytester.path / name).unlink()
    make_project(pytester, DESTRUCTIVE, checklist=DESTRUCTIVE_CHECKLIST, env=PROD.replace("true", "false"))
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod")
    result.assert_outcomes(passed=3)
    assert all((pytester.path / name).exists() for name in WROTE)


@pytest.mark.usefixtures("launch_today")
def test_an_unwritable_report_folder_is_one_clear_usage_error_before_the_run(pytester):
    make_project(pytester, "import pathlib, pytest\n\n@pytest.mark.blocker\ndef test_ok():\n"
                           "    pathlib.Path('check-ran').write_text('yes')\n", checklist=None)
    (pytester.path / "not-a-folder").write_text("a file where the report folder should be")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", "--launch-gate",
                                          "--launch-report-dir=not-a-folder")
    assert result.ret == 4  # found before any check ran (issue 11 item 12), never 0 and not a verdict code
    output = result.stdout.str() + result.stderr.str()
    assert "report folder (--launch-report-dir): not-a-folder/prod/all: expected a folder that can be created" in output
    assert "Traceback" not in output and "INTERNALERROR" not in output
    assert not (pytester.path / "check-ran").exists()
