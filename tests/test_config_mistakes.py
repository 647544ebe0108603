"""Issue 11 item 15: mistakes that would silently change the policy are usage errors.

A misspelt table or a key outside any table in any launch file, an ini path (launch_checklist,
launch_policy, launch_waivers, launch_signoffs, launch_environments_dir) set explicitly but
missing, and TOML nested deeper than any launch file needs: exit 4 before any check runs, one
message naming file, key, expected and found (with a "did you mean"), no traceback."""

from __future__ import annotations

import pytest

from launch_project import TODAY, make_project

pytestmark = pytest.mark.usefixtures("launch_today")


@pytest.fixture
def launch_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)


# a failing `normal` check that the team's policy means to block
NORMAL_FAILS = """
import pathlib
import pytest

@pytest.mark.normal
@pytest.mark.owner("perf-team")
def test_cache_warm():
    pathlib.Path("check-ran").write_text("yes")
    assert False, "cache cold"
"""

CHECKLIST_OK = """
[[item]]
id = "SEC-01"
title = "TLS"
phase = "t_minus_7"
category = "security"
severity = "blocker"
owner = "security-team"
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", "--launch-gate", *args)


def assert_usage_error(pytester: pytest.Pytester, result: pytest.RunResult, *words: str) -> None:
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == 4, output
    for word in words:
        assert word in output, output
    for bad in ("Traceback", "INTERNALERROR", "RecursionError"):
        assert bad not in output, output
    assert not (pytester.path / "check-ran").exists(), "a check ran although the configuration was refused"


def test_the_policy_that_blocks_normal_gives_no_go_when_spelt_right(pytester):
    """The baseline for the cases below: spelt right, the policy blocks the failing normal check."""
    make_project(pytester, NORMAL_FAILS, checklist=None, policy='[policy]\nblocking_severities = ["blocker", "normal"]\n')
    result = run(pytester)
    assert result.ret == 1  # NO_GO
    assert "NO_GO" in result.stdout.str()


@pytest.mark.parametrize("policy,words", [
    ('[polcy]\nblocking_severities = ["blocker", "normal"]\n',
     "readiness/policy.toml: polcy: expected only a [policy] table, found an unknown table (did you mean 'policy'?)"),
    ('blocking_severities = ["blocker", "normal"]\n',
     "readiness/policy.toml: blocking_severities: expected only a [policy] table, found a key outside any table "
     "(a key of [policy]: move it under that table)"),
    ('[policy]\nblocking_severities = ["blocker", "normal"]\n[policy_extra]\nstrict = true\n',
     "readiness/policy.toml: policy_extra: expected only a [policy] table, found an unknown table"),
    ('[Policy]\nstrict = true\n', "did you mean 'policy'?"),
])
def test_a_policy_mistake_is_a_usage_error_not_the_default_policy(pytester, policy, words):
    make_project(pytester, NORMAL_FAILS, checklist=None, policy=policy)
    assert_usage_error(pytester, run(pytester), words)


@pytest.mark.parametrize("name,text,words", [
    ("checklist", CHECKLIST_OK.replace("[[item]]", "[[items]]"),
     "readiness/checklist.toml: items: expected only [[item]] tables, found an unknown table (did you mean 'item'?)"),
    ("checklist", 'severity = "blocker"\n' + CHECKLIST_OK,
     "readiness/checklist.toml: severity: expected only [[item]] tables, found a key outside any table "
     "(a key of [[item]]: move it under that table)"),
    ("waivers", '[[waivers]]\ncheck = "SEC-01"\n',
     "readiness/waivers.toml: waivers: expected only [[waiver]] tables, found an unknown table "
     "(did you mean 'waiver'?)"),
    ("waivers", 'expires = 2026-11-30\n',
     "readiness/waivers.toml: expires: expected only [[waiver]] tables, found a key outside any table"),
    ("signoffs", '[[sign_off]]\nitem = "SEC-01"\n',
     "readiness/signoffs.toml: sign_off: expected only [[signoff]] tables, found an unknown table "
     "(did you mean 'signoff'?)"),
    ("env", '[enviroment]\nname = "prod"\nproduction = true\n',
     "readiness/environments/prod.toml: enviroment: expected a known table"),
    ("env", 'production = true\n[environment]\nname = "prod"\n',
     "readiness/environments/prod.toml: production: expected a known table"),
])
def test_an_unknown_table_or_a_stray_key_in_any_file_is_a_usage_error(pytester, name, text, words):
    files = {"checklist": CHECKLIST_OK, "env": '[environment]\nname = "prod"\n'}
    files[name] = text
    make_project(pytester, NORMAL_FAILS, checklist=files["checklist"], env=files["env"],
                 waivers=files.get("waivers"), signoffs=files.get("signoffs"))
    assert_usage_error(pytester, run(pytester), words)


@pytest.mark.parametrize("key,value", [
    ("launch_policy", "readiness/polcy.toml"),
    ("launch_checklist", "readiness/checklst.toml"),
    ("launch_waivers", "readiness/waiver.toml"),
    ("launch_signoffs", "readiness/sign-offs.toml"),
    ("launch_environments_dir", "readiness/environment"),
])
def test_an_ini_path_that_does_not_exist_is_a_usage_error(pytester, key, value):
    make_project(pytester, NORMAL_FAILS, checklist=CHECKLIST_OK, waivers="", signoffs="", policy="[policy]\n")
    pytester.makeini(f"[pytest]\n{key} = {value}\n")
    result = run(pytester)
    assert_usage_error(pytester, result, f"tox.ini: {key}: expected an existing path for", "no such path:",
                       "did you mean")


def test_an_ini_path_given_with_dash_o_that_does_not_exist_is_a_usage_error(pytester):
    make_project(pytester, NORMAL_FAILS, checklist=CHECKLIST_OK, policy="[policy]\n")
    assert_usage_error(pytester, run(pytester, "-o", "launch_policy=nowhere/policy.toml"),
                       "launch_policy: expected an existing path for the policy file ('nowhere/policy.toml'",
                       "does not exist either")


def test_absent_default_files_are_allowed_and_a_missing_checklist_is_said_up_front(pytester):
    make_project(pytester, NORMAL_FAILS, checklist=None)
    result = run(pytester)
    assert result.ret == 0  # the default policy: a normal failure is a risk (GO_WITH_RISKS)
    assert "launch checklist: none (" in result.stdout.str()
    assert "the verdict judges the collected checks only" in result.stdout.str()


DEEP_ARRAY = "x = " + "[" * 500 + "]" * 500 + "\n"
DEEP_INLINE = "x = " + "{a = " * 500 + "1" + "}" * 500 + "\n"
DEEP_DOTTED = "x." + ".".join(["a"] * 500) + " = 1\n"


@pytest.mark.parametrize("nesting", [DEEP_ARRAY, DEEP_INLINE, DEEP_DOTTED], ids=["arrays", "inline", "dotted"])
@pytest.mark.parametrize("name", ["policy", "checklist", "waivers", "signoffs", "env"])
def test_500_levels_of_nested_toml_is_a_usage_error_naming_the_file(pytester, name, nesting):
    files: dict[str, str | None] = {"policy": None, "checklist": CHECKLIST_OK, "waivers": None, "signoffs": None,
                                    "env": '[environment]\nname = "prod"\n'}
    table = {"policy": "[policy]\n", "checklist": "[[item]]\n", "waivers": "[[waiver]]\n",
             "signoffs": "[[signoff]]\n", "env": "[custom]\n"}[name]
    files[name] = (files[name] or "") + table + nesting
    make_project(pytester, NORMAL_FAILS, checklist=files["checklist"], env=files["env"], waivers=files["waivers"],
                 signoffs=files["signoffs"], policy=files["policy"])
    path = {"env": "readiness/environments/prod.toml"}.get(name, f"readiness/{name}.toml")
    assert_usage_error(pytester, run(pytester), path, "expected at most 32 levels of nested tables and arrays")
