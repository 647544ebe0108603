"""No secret in any output (PRODUCT §7, issue 2 "Safety", issue 7 "Secrets"): a ${VAR} value, a
token or a password in a URL, leaked through every place a check can leak it, reaches neither
the JSON, the HTML/Markdown/history renderings, --junitxml nor the terminal."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from launch_project import PROD, TODAY, check_by_name, make_project, read_report
from pytest_launch.core.redact import MASK, Redactor

SECRET = "s3cr3t-Value-9f8e7d"
URL_PASSWORD = "hunter2-db-pass"
BEARER = "eyJhbGciOiJIUzI1NiJ9.leaky"

LEAKS = f"""
import logging
import sys
import pytest

@pytest.fixture
def token(launch_env):
    return launch_env["custom"]["token"]

@pytest.mark.blocker
def test_assertion_message(token):
    assert token == "expected", f"login rejected for token {{token}}"

@pytest.mark.blocker
def test_assertion_compare(token):
    assert token in ["a", "b"]

@pytest.mark.blocker
def test_captured_output(token):
    print("stdout: using token", token)
    sys.stderr.write("stderr: token=" + token + "\\n")
    logging.getLogger("probe").warning("log: sending %s", token)
    assert False

@pytest.mark.blocker
def test_exception_text(token):
    raise RuntimeError("upstream said: invalid credentials " + token)

@pytest.mark.blocker
def test_url_with_credentials():
    raise ConnectionError("could not reach postgres://launch:{URL_PASSWORD}@db.internal:5432/app")

@pytest.mark.normal
def test_evidence_value(token, launch_evidence):
    launch_evidence.record(header="Bearer " + token, url="https://ops:{URL_PASSWORD}@api.example/health",
                           nested={{"list": [token, 1]}}, **{{token: "as a key"}})
    launch_evidence.record(auth="Authorization: Bearer {BEARER}")

@pytest.mark.minor
def test_skip_reason(token):
    pytest.skip("skipped because " + token + " is read-only")

@pytest.mark.trivial
def test_fail_without_trace(token):
    pytest.fail("probe failed with " + token, pytrace=False)

@pytest.mark.minor
def test_warning(token):
    import warnings
    warnings.warn("deprecated auth with " + token)
    warnings.warn(DeprecationWarning("old endpoint for " + token))

@pytest.mark.blocker
def test_environment_dump(launch_env):
    print(dict(launch_env["custom"]))
    assert False, repr(dict(launch_env["custom"]))
"""


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)
    monkeypatch.setenv("LAUNCH_TEST_TOKEN", SECRET)


def outputs_of(pytester: pytest.Pytester, result: pytest.RunResult) -> dict[str, str]:
    texts = {"terminal stdout": result.stdout.str(), "terminal stderr": result.stderr.str()}
    for path in sorted(pytester.path.rglob("*")):
        if path.is_file() and path.suffix in (".json", ".xml", ".html", ".md", ".jsonl", ".log"):
            texts[str(path.relative_to(pytester.path))] = path.read_text("utf-8", errors="replace")
    return texts


def assert_no_secret(texts: dict[str, str]) -> None:
    for name, text in texts.items():
        for secret in (SECRET, URL_PASSWORD, BEARER):
            assert secret not in text, f"{secret!r} leaked into {name}"


def assert_outputs_present(pytester: pytest.Pytester, texts: dict[str, str]) -> None:
    assert any(name.startswith("reports/prod/") and name.endswith("/go-no-go.json") for name in texts)
    assert "launch.json" in texts and "junit.xml" in texts
    if importlib.util.find_spec("pytest_launch.outputs.render_all") is not None:
        assert any(name.startswith("reports/prod/") and name.endswith("/go-no-go.html") for name in texts)
        assert any(name.startswith("reports/prod/") and name.endswith("/go-no-go.md") for name in texts)


def run_leaks(pytester: pytest.Pytester, *extra: str, subprocess: bool = False) -> pytest.RunResult:
    make_project(pytester, LEAKS, checklist=None, env=PROD + '\n[custom]\ntoken = "${LAUNCH_TEST_TOKEN}"\n')
    args = ["-p", "no:cacheprovider", "--env=prod", "--launch-json=launch.json", "--junitxml=junit.xml",
            "-rA", "--tb=long", "-l", *extra]
    if subprocess:
        return pytester.runpytest_subprocess(*args)
    return pytester.runpytest_inprocess(*args)


@pytest.mark.usefixtures("secret_env")
def test_no_secret_reaches_any_output(pytester):
    result = run_leaks(pytester, "--log-cli-level=WARNING", "--log-file=run.log")
    result.assert_outcomes(failed=7, passed=2, skipped=1)
    texts = outputs_of(pytester, result)
    assert_outputs_present(pytester, texts)
    assert_no_secret(texts)
    # the masked values are still there, so the reader sees that something was masked
    doc = read_report(pytester)
    assert check_by_name(doc, "::test_assertion_message")["message"].startswith(f"AssertionError: login rejected for token {MASK}")
    evidence = check_by_name(doc, "::test_evidence_value")["evidence"]
    assert evidence["header"] == f"Bearer {MASK}"
    assert evidence["url"] == f"https://ops:{MASK}@api.example/health"
    assert evidence["nested"] == {"list": [MASK, 1]}
    assert evidence[MASK] == "as a key"
    assert MASK in check_by_name(doc, "::test_skip_reason")["message"]
    assert f"postgres://launch:{MASK}@db.internal" in check_by_name(doc, "::test_url_with_credentials")["message"]
    assert f"stdout: using token {MASK}" in texts["terminal stdout"]
    assert f"UserWarning: deprecated auth with {MASK}" in texts["terminal stdout"]
    assert f"log: sending {MASK}" in texts["run.log"]
    assert f"log: sending {MASK}" in texts["terminal stdout"]  # live log


@pytest.mark.usefixtures("secret_env")
def test_no_secret_reaches_any_output_under_xdist(pytester):
    result = run_leaks(pytester, "-n", "2", subprocess=True)
    result.assert_outcomes(failed=7, passed=2, skipped=1)
    texts = outputs_of(pytester, result)
    assert_outputs_present(pytester, texts)
    assert_no_secret(texts)
    evidence = check_by_name(read_report(pytester), "::test_evidence_value")["evidence"]
    assert evidence["header"] == f"Bearer {MASK}"
    # the masked failure keeps its shape through xdist: the short summary names the real error
    result.stdout.fnmatch_lines(["FAILED test_checks.py::test_url_with_credentials - ConnectionError: could not*"])
    result.stdout.fnmatch_lines(["FAILED test_checks.py::test_exception_text - RuntimeError: upstream said*"])


@pytest.mark.usefixtures("secret_env")
def test_a_secret_on_the_command_line_is_masked_in_the_recorded_args(pytester):
    make_project(pytester, "import pytest\n\n@pytest.mark.blocker\ndef test_ok():\n    pass\n", checklist=None,
                 env=PROD + '\n[custom]\ntoken = "${LAUNCH_TEST_TOKEN}"\n')
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", "-k", f"not {SECRET}")
    doc = read_report(pytester)
    assert SECRET not in json.dumps(doc)
    assert f"not {MASK}" in doc["run"]["args"]
    assert result.ret == 0


def test_the_redactor_masks_secrets_urls_and_credentials():
    redactor = Redactor([SECRET, "ab"])
    assert redactor.text(f"x {SECRET} y") == f"x {MASK} y"
    assert redactor.text("ab cab") == "ab cab"  # two-character values are not treated as secrets
    assert redactor.text("https://user:pw123@host/x") == f"https://user:{MASK}@host/x"
    assert redactor.text("Authorization: Bearer abc.def") == f"Authorization: Bearer {MASK}"
    assert redactor.text("password=hunter22&x=1") == f"password={MASK}&x=1"
    # a secret that contains another is masked whole
    both = Redactor(["abcdef", "abc"])
    assert both.text("abcdef abc") == f"{MASK} {MASK}"
    assert Redactor([SECRET]).data({"k": [SECRET, {SECRET: 1}], "n": 2}) == {"k": [MASK, {MASK: 1}], "n": 2}


def test_environment_secrets_are_the_substituted_values(tmp_path: Path, monkeypatch):
    from pytest_launch.config.environment import load_environment

    env_file = tmp_path / "prod.toml"
    env_file.write_text('[custom]\ndsn = "postgres://app:${LAUNCH_DB_PW}@db/app"\nplain = "${LAUNCH_EMPTY}"\n')
    environment = load_environment(env_file, {"LAUNCH_DB_PW": URL_PASSWORD, "LAUNCH_EMPTY": ""})
    assert environment["custom"]["dsn"] == f"postgres://app:{URL_PASSWORD}@db/app"
    assert environment.secrets == frozenset({URL_PASSWORD})


# -- node ids, collection errors, transformed and partial secrets (issue 11 items 9, 10) ---------

PW = "p@ss/W0rd+Key&42-xyz"  # a second ${VAR} with characters that percent-encoding changes

IDS_AND_FORMS = """
import base64
import os
from urllib.parse import quote, quote_plus

import pytest

TOKEN = os.environ["LAUNCH_TEST_TOKEN"]  # what a check reads at collection time
PW = os.environ["LAUNCH_TEST_PW"]

def pytest_generate_tests(metafunc):
    if "hook_token" in metafunc.fixturenames:
        metafunc.parametrize("hook_token", [TOKEN], ids=lambda v: "hook-" + v)

@pytest.mark.blocker
def test_id_from_hook(hook_token):
    assert False

@pytest.mark.blocker
@pytest.mark.parametrize("value", [TOKEN, PW])
def test_id_from_value(value):
    pass

@pytest.mark.blocker
@pytest.mark.parametrize("value", [TOKEN + "-a", TOKEN + "-b"], ids=[TOKEN, TOKEN.upper() + "x"])
def test_ids_differing_only_by_secret(value):
    pass

@pytest.mark.blocker
def test_truncated_in_diff():
    assert "x" * 60 + TOKEN == "x" * 60 + "y"

@pytest.mark.blocker
def test_transformed():
    raise ConnectionError(f"GET /x?sig={quote(PW, safe='')}&q={quote_plus(PW)} as {TOKEN.upper()} "
                          f"header {base64.b64encode(('ops:' + PW).encode()).decode()}")

@pytest.mark.minor
def test_fragment_in_skip():
    pytest.skip("token ends with ..." + TOKEN[-10:])
"""

COLLECTION_ERROR = """
import os

def pytest_generate_tests(metafunc):
    raise ValueError("cannot build the targets for " + os.environ["LAUNCH_TEST_TOKEN"])

def test_never_runs(x):
    pass
"""


def leaked_forms(text: str, secret: str) -> list[str]:
    """MIN_FRAGMENT-long pieces of any common form of `secret` (any case) readable in `text`."""
    from pytest_launch.core.redact import MIN_FRAGMENT, secret_forms

    low = text.lower()
    found = []
    for form in secret_forms(secret):
        form = form.lower()
        found += [form[i:i + MIN_FRAGMENT] for i in range(len(form) - MIN_FRAGMENT + 1)
                  if form[i:i + MIN_FRAGMENT] in low]
    return found


def assert_no_form_of_a_secret(texts: dict[str, str]) -> None:
    for name, text in texts.items():
        for secret in (SECRET, PW):
            assert not leaked_forms(text, secret), f"{leaked_forms(text, secret)} of {secret!r} leaked into {name}"


def run_ids_and_forms(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *extra: str,
                      subprocess: bool = False) -> pytest.RunResult:
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)
    monkeypatch.setenv("LAUNCH_TEST_TOKEN", SECRET)
    monkeypatch.setenv("LAUNCH_TEST_PW", PW)
    make_project(pytester, {"test_checks.py": IDS_AND_FORMS, "test_collect_error.py": COLLECTION_ERROR},
                 checklist=None, env=PROD + '\n[custom]\ntoken = "${LAUNCH_TEST_TOKEN}"\npw = "${LAUNCH_TEST_PW}"\n')
    args = ["-p", "no:cacheprovider", "--env=prod", "--launch-json=launch.json", "--junitxml=junit.xml",
            "-v", "-rA", "--tb=long", "-l", "--continue-on-collection-errors", *extra]
    if subprocess:
        return pytester.runpytest_subprocess(*args)
    return pytester.runpytest_inprocess(*args)


@pytest.mark.parametrize("xdist", [False, True], ids=["in-process", "xdist"])
def test_no_form_of_a_secret_in_node_ids_collection_errors_or_messages(pytester, monkeypatch, xdist):
    result = run_ids_and_forms(pytester, monkeypatch, *(["-n", "2"] if xdist else []), subprocess=xdist)
    outcomes = result.parseoutcomes()
    assert (outcomes["failed"], outcomes["passed"], outcomes["skipped"]) == (3, 4, 1)
    assert outcomes["errors"] in (1, 2)  # the collection error: once, or once per xdist worker
    texts = outputs_of(pytester, result)
    assert_no_form_of_a_secret(texts)
    out = result.stdout.str()
    # the masked ids are still there and still distinct; the collection error says what went wrong
    assert f"test_id_from_hook[hook-{MASK}]" in out and f"test_id_from_value[{MASK}]" in out
    assert f"test_ids_differing_only_by_secret[{MASK}]" in out
    assert f"test_ids_differing_only_by_secret[{MASK}-2]" in out or f"test_ids_differing_only_by_secret[{MASK}x]" in out
    assert f"ValueError: cannot build the targets for {MASK}" in out
    nodeids = [c["nodeid"] for c in json.loads((pytester.path / "launch.json").read_text())["checks"]]
    assert len(nodeids) == len(set(nodeids)) and any(f"[hook-{MASK}]" in n for n in nodeids)
    assert f'name="test_id_from_hook[hook-{MASK}]"' in texts["junit.xml"]



def test_node_ids_looked_at_per_collector_keep_clean_ids_and_mask_the_rest(pytester, monkeypatch):
    """The ids of a collector's items are looked at in one pass (issue 16): a module whose ids are
    all clean keeps them as they are, a module with one id holding a secret has it masked, and
    the clean ids beside it in that module are untouched."""
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)
    monkeypatch.setenv("LAUNCH_TEST_TOKEN", SECRET)
    clean = ("import pytest\n\n@pytest.mark.minor\n@pytest.mark.parametrize('region', ['eu-west-1', 'us-east-1'])\n"
             "def test_region(region):\n    pass\n")
    mixed = (f"import pytest\n\n@pytest.mark.minor\n@pytest.mark.parametrize('value', ['plain', '{SECRET}'])\n"
             "def test_value(value):\n    pass\n")
    make_project(pytester, {"test_clean.py": clean, "test_mixed.py": mixed}, checklist=None,
                 env=PROD + '\n[custom]\ntoken = "${LAUNCH_TEST_TOKEN}"\n')
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", "--launch-json=launch.json", "-v")
    out = result.stdout.str()
    assert SECRET not in out
    for nodeid in ("test_clean.py::test_region[eu-west-1]", "test_clean.py::test_region[us-east-1]",
                   "test_mixed.py::test_value[plain]", f"test_mixed.py::test_value[{MASK}]"):
        assert f"{nodeid} PASSED" in out
    nodeids = {c["nodeid"] for c in json.loads((pytester.path / "launch.json").read_text())["checks"]}
    assert f"test_mixed.py::test_value[{MASK}]" in nodeids and "test_clean.py::test_region[eu-west-1]" in nodeids


@pytest.mark.parametrize("args", [["-v"], ["-v", "-n", "2"], ["--collect-only", "-q"]],
                         ids=["plain", "xdist", "collect-only"])
def test_a_secret_split_over_two_ids_or_in_a_class_id_is_masked_like_any_id(pytester, monkeypatch, args):
    """Routes around the one-pass look at a collector's ids (issue 16): half the secret ending one
    id and the other half starting the next (each half is itself a long piece of the secret),
    and a secret id among a class's methods; on the terminal, in --collect-only, under xdist
    and in junitxml."""
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)
    monkeypatch.setenv("LAUNCH_TEST_TOKEN", SECRET)
    half = len(SECRET) // 2
    split = (f"import pytest\n\n@pytest.mark.minor\n"
             f"@pytest.mark.parametrize('v', ['a', 'b'], ids=['x{SECRET[:half]}', '{SECRET[half:]}y'])\n"
             "def test_split(v):\n    pass\n")
    in_class = (f"import pytest\n\n@pytest.mark.minor\nclass TestTokens:\n"
                f"    @pytest.mark.parametrize('value', ['plain', '{SECRET}'])\n"
                "    def test_value(self, value):\n        pass\n")
    make_project(pytester, {"test_split.py": split, "test_class.py": in_class}, checklist=None,
                 env=PROD + '\n[custom]\ntoken = "${LAUNCH_TEST_TOKEN}"\n')
    run = pytester.runpytest_subprocess if "-n" in args else pytester.runpytest_inprocess
    result = run("-p", "no:cacheprovider", "--env=prod", "--junitxml=junit.xml", *args)
    texts = outputs_of(pytester, result)
    assert_no_form_of_a_secret(texts)
    out = result.stdout.str()
    assert "test_class.py::TestTokens::test_value[plain]" in out
    assert f"test_class.py::TestTokens::test_value[{MASK}]" in out
    assert f"test_split.py::test_split[x{MASK}]" in out and f"test_split.py::test_split[{MASK}y]" in out

# -- Allure results (issue 11 item 8) --------------------------------------------------------------

ALLURE_LEAKS = """
import base64
import logging
import os
import sys

import allure
import pytest

TOKEN = os.environ["LAUNCH_TEST_TOKEN"]
PW = os.environ["LAUNCH_TEST_PW"]

@pytest.fixture
def token(launch_env):
    return launch_env["custom"]["token"]

@pytest.fixture
def broken_teardown(token):
    yield
    raise RuntimeError("teardown could not revoke " + token)

@pytest.mark.blocker
def test_assert(token):
    assert token == "expected", "login rejected for " + token

@pytest.mark.minor
def test_skip(token):
    pytest.skip("read-only token " + token)

@pytest.mark.blocker
def test_fail(token):
    pytest.fail("probe failed with " + token.upper(), pytrace=False)

@pytest.mark.blocker
def test_teardown(broken_teardown):
    pass

@pytest.mark.blocker
def test_settings_repr(launch_env):
    assert False, repr(dict(launch_env["custom"]))

@pytest.mark.blocker
@pytest.mark.parametrize("credential", [TOKEN, "Basic " + base64.b64encode(("ops:" + PW).encode()).decode()])
def test_parameters(credential):
    pass

@pytest.mark.blocker
def test_attachments_steps_and_output(token):
    print("stdout has", token)
    sys.stderr.write("stderr has " + PW + "\\n")
    logging.getLogger("probe").warning("log has %s", token)
    allure.attach("attached " + token, name="body " + token, attachment_type=allure.attachment_type.TEXT)
    allure.dynamic.description("described with " + token)
    allure.dynamic.parameter("extra", PW)
    allure.dynamic.link("https://ops:" + PW + "@ci.example/run", name="run " + token)
    with allure.step("call with " + token):
        raise ConnectionError("truncated ..." + token[-11:])
"""


@pytest.mark.parametrize("xdist", [False, True], ids=["in-process", "xdist"])
def test_no_form_of_a_secret_in_any_allure_result_file(pytester, monkeypatch, xdist):
    pytest.importorskip("allure_pytest")
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)
    monkeypatch.setenv("LAUNCH_TEST_TOKEN", SECRET)
    monkeypatch.setenv("LAUNCH_TEST_PW", PW)
    make_project(pytester, ALLURE_LEAKS, checklist=None,
                 env=PROD + '\n[custom]\ntoken = "${LAUNCH_TEST_TOKEN}"\npw = "${LAUNCH_TEST_PW}"\n')
    args = ["-p", "no:cacheprovider", "--env=prod", "--alluredir=allure-results", "-rA"]
    if xdist:
        result = pytester.runpytest_subprocess(*args, "-n", "2")
    else:
        result = pytester.runpytest_inprocess(*args)
    outcomes = result.parseoutcomes()
    assert (outcomes["failed"], outcomes["passed"], outcomes["skipped"], outcomes["errors"]) == (4, 3, 1, 1)
    files = sorted((pytester.path / "allure-results").iterdir())
    results = [json.loads(f.read_text("utf-8")) for f in files if f.name.endswith("-result.json")]
    assert len(results) == 8 and any(f.name.endswith("-attachment.txt") for f in files)
    texts = {f.name: f.read_text("utf-8", errors="replace") for f in files}
    assert_no_form_of_a_secret(texts)
    # the fields that held a secret still say what happened, with the mask
    by_name = {r["name"]: r for r in results}
    assert f"login rejected for {MASK}" in by_name["test_assert"]["statusDetails"]["message"]
    assert f"read-only token {MASK}" in by_name["test_skip"]["statusDetails"]["message"]
    assert f"probe failed with {MASK}" in by_name["test_fail"]["statusDetails"]["message"]
    assert f"teardown could not revoke {MASK}" in by_name["test_teardown"]["statusDetails"]["message"]
    assert f"test_parameters[{MASK}]" in by_name
    step = by_name["test_attachments_steps_and_output"]
    assert step["steps"][0]["name"] == f"call with {MASK}"
    assert {"name": "extra", "value": repr(MASK)} in [{k: p[k] for k in ("name", "value")} for p in step["parameters"]]
    assert any(f"stdout has {MASK}" in text for text in texts.values())


# -- modes pytest-launch cannot mask (issue 11 item 11) ---------------------------------------------

MODES_CHECKS = """
import os
import warnings

import pytest

@pytest.mark.blocker
def test_prints(launch_env):
    token = launch_env["custom"]["token"]
    print("printed", token)
    warnings.warn("warned with " + token)
    assert False, "failed with " + token
"""


def make_secret_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, checks: str = MODES_CHECKS) -> None:
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)
    monkeypatch.setenv("LAUNCH_TEST_TOKEN", SECRET)
    make_project(pytester, checks, checklist=None, env=PROD + '\n[custom]\ntoken = "${LAUNCH_TEST_TOKEN}"\n')


@pytest.mark.parametrize("plugin", ["launch-redactor", "launch-warning-redactor", "launch-allure-redactor"])
def test_blocking_a_redactor_while_secrets_are_loaded_is_a_usage_error(pytester, monkeypatch, plugin):
    make_secret_project(pytester, monkeypatch)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", "-p", f"no:{plugin}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"-p no:{plugin}: this part of pytest-launch masks" in result.stderr.str()
    assert "Traceback" not in result.stderr.str() and SECRET not in result.stdout.str() + result.stderr.str()


def test_blocking_a_redactor_without_secrets_is_allowed(pytester, monkeypatch):
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)
    make_project(pytester, "import pytest\n\n@pytest.mark.blocker\ndef test_ok():\n    pass\n", checklist=None)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", "-p", "no:launch-redactor")
    assert result.ret == 0


@pytest.mark.parametrize("xdist", [False, True], ids=["in-process", "xdist"])
def test_the_debug_log_is_masked(pytester, monkeypatch, xdist):
    make_secret_project(pytester, monkeypatch)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", "--debug=debug.log",
                                           *(["-n", "2"] if xdist else []))
    assert result.ret == 1
    logs = {p.name: p.read_text("utf-8", errors="replace") for p in pytester.path.glob("*.log")}
    assert "debug.log" in logs and "pytest_runtest_logreport" in logs["debug.log"]
    assert_no_form_of_a_secret({**logs, "stdout": result.stdout.str(), "stderr": result.stderr.str()})


@pytest.mark.parametrize("mode, warned, masked", [
    (["-s"], True, True), (["--capture=no"], True, True), (["--capture=tee-sys"], True, True),
    (["--capture=sys"], True, True), (["-p", "no:warnings"], True, False), (["--setup-show"], True, True),
    ([], False, True),
])
def test_a_mode_that_cannot_be_masked_is_announced(pytester, monkeypatch, mode, warned, masked):
    """What Python prints is masked even under -s and tee-sys; what is written below Python
    (subprocesses, os.write) outside fd capture cannot be, and the run says so."""
    make_secret_project(pytester, monkeypatch)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", *mode)
    warnings = [line for line in result.stdout.lines if "secrets from the environment are NOT masked" in line]
    assert len(warnings) == (1 if warned else 0), result.stdout.str()
    if masked:
        assert_no_form_of_a_secret({"stdout": result.stdout.str(), "stderr": result.stderr.str()})
    if mode in (["-s"], ["--capture=tee-sys"]):
        assert f"printed {MASK}" in result.stdout.str()  # the live output, masked on its way


def test_no_warning_without_secrets(pytester, monkeypatch):
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)
    make_project(pytester, "import pytest\n\n@pytest.mark.blocker\ndef test_ok():\n    print('hi')\n", checklist=None)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", "-s")
    assert "NOT masked" not in result.stdout.str() and result.ret == 0


def test_help_says_where_secrets_are_not_masked(pytester):
    result = pytester.runpytest_subprocess("--help")
    help_text = " ".join(result.stdout.str().split())
    assert "NOT in output written below Python (subprocesses, os.write) under -s/--capture=no" in help_text
    assert "-p no:warnings, --pdb/--trace or --setup-show: the run warns" in help_text


# -- a Basic header built from a base_url password, echoed by a real server (item 10) -------------

ECHO_CHECKS = """
import pytest

@pytest.mark.blocker
def test_echo(launch_http, launch_evidence):
    answer = launch_http.get("/echo")
    sent = dict(answer.response.request.headers)
    print("sent", sent)
    launch_evidence.record(sent=sent, echoed=answer.text)
    assert answer.text == "", "the server echoed " + answer.text
"""


@pytest.fixture
def echo_server() -> Iterator[str]:
    """A real HTTP server on loopback that echoes the request's Authorization header (body and
    a response header), as a debugging proxy or an error page would."""
    import http.server
    import threading

    class Echo(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            body = f"Authorization: {self.headers.get('Authorization')}".encode()
            self.send_response(200)
            self.send_header("X-Seen-Authorization", self.headers.get("Authorization", ""))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("xdist", [False, True], ids=["in-process", "xdist"])
def test_a_basic_header_built_from_a_base_url_password_is_masked_everywhere(pytester, monkeypatch, echo_server, xdist):
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)
    monkeypatch.setenv("LAUNCH_TEST_TOKEN", SECRET)
    make_project(pytester, ECHO_CHECKS, checklist=None,
                 env=PROD + f'\n[http]\nbase_url = "http://launch:${{LAUNCH_TEST_TOKEN}}@{echo_server}"\nretries = 0\n')
    args = ["-p", "no:cacheprovider", "--env=prod", "--launch-json=launch.json", "--junitxml=junit.xml",
            "--alluredir=allure-results", "-rA", "--tb=long", "-l"]
    result = pytester.runpytest_subprocess(*args, "-n", "2") if xdist else pytester.runpytest_inprocess(*args)
    result.assert_outcomes(failed=1)
    texts = outputs_of(pytester, result)
    texts.update({p.name: p.read_text("utf-8", errors="replace") for p in (pytester.path / "allure-results").iterdir()})
    assert_no_form_of_a_secret(texts)
    check = check_by_name(json.loads(texts["launch.json"]), "::test_echo")
    assert check["evidence"]["echoed"].startswith("Authorization: Basic ") and MASK in check["evidence"]["echoed"]


def test_checks_whose_ids_differ_only_by_a_secret_are_judged_apart(pytester, monkeypatch):
    """Masking must never merge two checks into one id: a failing one would hide behind a pass."""
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)
    monkeypatch.setenv("LAUNCH_TEST_TOKEN", SECRET)
    make_project(pytester, """
        import os
        import pytest

        TOKEN = os.environ["LAUNCH_TEST_TOKEN"]

        @pytest.mark.blocker
        @pytest.mark.parametrize("value", ["***", TOKEN, TOKEN + "-old"], ids=["***", TOKEN, TOKEN + "-old"])
        def test_key(value):
            assert value != TOKEN
    """, checklist=None, env=PROD + '\n[custom]\ntoken = "${LAUNCH_TEST_TOKEN}"\n')
    for extra in ([], ["-n", "2"]):
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", "--launch-gate",
                                               "--launch-json=launch.json", *extra)
        assert result.ret == 1
        checks = json.loads((pytester.path / "launch.json").read_text())["checks"]
        ids = sorted(c["nodeid"] for c in checks)
        assert len(ids) == 3 == len(set(ids)), ids
        assert sorted(c["outcome"] for c in checks) == ["failed", "passed", "passed"]
        assert SECRET not in result.stdout.str()


@pytest.mark.usefixtures("secret_env")
@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["plain", "xdist"])
def test_a_keyword_added_while_a_check_runs_is_masked_in_its_later_reports(pytester, workers):
    # what a check's reports share (node id, location, keywords) is looked at once for all the
    # checks, at the end of collection; a keyword added later (keywords only grow) makes its
    # reports be looked at whole again
    make_project(pytester, {
        "test_grow.py": """
            import pytest

            @pytest.mark.t_minus_7
            @pytest.mark.minor
            def test_adds_a_keyword(request, launch_env):
                request.node.keywords["seen-" + launch_env["custom"]["token"]] = 1

            @pytest.mark.t_minus_7
            @pytest.mark.minor
            def test_plain():
                pass
        """,
        "conftest.py": """
            def pytest_runtest_logreport(report):
                with open("keywords.log", "a", encoding="utf-8") as out:
                    out.write(f"{report.nodeid} {report.when} {sorted(report.keywords)}\\n")
        """,
    }, checklist=None, env=PROD + '\n[custom]\ntoken = "${LAUNCH_TEST_TOKEN}"\n')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", *workers)
    result.assert_outcomes(passed=2)
    logged = (pytester.path / "keywords.log").read_text("utf-8")
    assert "test_adds_a_keyword teardown" in logged and "seen-" in logged  # the keyword is there, masked
    assert SECRET not in logged
    assert_no_secret(outputs_of(pytester, result))


PASSING_LEAKS = """
import logging
import pytest

@pytest.fixture
def token(launch_env):
    return launch_env["custom"]["token"]

@pytest.fixture
def late_evidence(token, launch_evidence):
    yield
    launch_evidence.record(revoked="revoked " + token)  # after the call: the teardown report's

@pytest.mark.normal
def test_passes_but_prints(token):
    print("stdout: passed with", token)
    logging.getLogger("probe").warning("log: passed with %s", token)

@pytest.mark.normal
def test_evidence_in_teardown(late_evidence):
    pass
"""


@pytest.mark.usefixtures("secret_env")
def test_a_passing_check_and_evidence_recorded_in_teardown_leak_nothing(pytester):
    # routes beside the failing ones above: a passed report with captured output (-rP prints it,
    # junitxml keeps it), and evidence a fixture records after the call (a plain run folds the
    # reports, and reads the check's evidence, at the end of the run)
    make_project(pytester, PASSING_LEAKS, checklist=None, env=PROD + '\n[custom]\ntoken = "${LAUNCH_TEST_TOKEN}"\n')
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", "--launch-json=launch.json",
                                          "--junitxml=junit.xml", "-o", "junit_logging=all", "-rP")
    result.assert_outcomes(passed=2)
    texts = outputs_of(pytester, result)
    assert_no_secret(texts)
    assert f"stdout: passed with {MASK}" in texts["terminal stdout"]
    assert f"log: passed with {MASK}" in texts["junit.xml"]
    doc = read_report(pytester)
    assert check_by_name(doc, "::test_evidence_in_teardown")["evidence"] == {"revoked": f"revoked {MASK}"}


SHARED_PARTS_CHECKS = """
import pytest

pytestmark = pytest.mark.t_minus_7

class TestGrouped:
    pytestmark = pytest.mark.security

    @pytest.mark.security  # also its class's: one keyword
    @pytest.mark.parametrize("n", [1, 2])
    def test_a(self, n):
        pass

    def test_b(self):
        pass

@pytest.mark.owner("sre")
def test_c():
    pass
"""

SHARED_PARTS_CONFTEST = """
import json, pytest
from pytest_launch.core.redact import Redactor
from pytest_launch.plugin.redaction import clean_shared_parts

def pytest_collection_finish(session):
    items = session.items
    naive = [len(dict.fromkeys(item.keywords, 1)) for item in items]
    clean = clean_shared_parts(items, Redactor(secrets=["module-keyword-s3cr3t-value"]))
    items[0].parent.parent.keywords["module-keyword-s3cr3t-value"] = 1  # a keyword every item inherits
    dirty = clean_shared_parts(items, Redactor(secrets=["module-keyword-s3cr3t-value"]))
    with open("counts.json", "w") as f:
        json.dump({"naive": naive, "clean": clean, "dirty": dirty}, f)
"""


def test_the_keywords_counted_at_collection_are_the_ones_each_report_carries(pytester: pytest.Pytester) -> None:
    """The end of collection counts each check's keywords (its own, and its parents' read once per
    parent) as pytest's reports will take them, and looks at the parents' keywords too: a secret
    in a keyword the module gives every check makes all of them be looked at report by report."""
    pytester.makepyfile(test_shared=SHARED_PARTS_CHECKS)
    pytester.makeconftest(SHARED_PARTS_CONFTEST)
    pytester.runpytest("-p", "no:cacheprovider", "--co", "-q")
    counts = json.loads((pytester.path / "counts.json").read_text())
    assert len(counts["naive"]) == 4 and counts["clean"] == counts["naive"]
    assert counts["dirty"] is None
