"""--launch-env is the canonical option; --env is its alias unless the suite (a conftest.py)
defines its own --env, which then keeps working exactly as before (issue 10, item 5)."""

from __future__ import annotations

import json

import pytest

from launch_project import TODAY, make_project

CHECK = """
import pytest

@pytest.mark.checklist("SEC-01")
def test_tls():
    pass
"""

OWN_ENV_CONFTEST = """
import pytest

def pytest_addoption(parser):
    parser.addoption("--env", default="qa", help="the suite's own target environment")

@pytest.fixture
def target(request):
    return request.config.getoption("--env")
"""

USES_OWN_ENV = """
def test_own_env(target):
    assert target == "staging"
"""


@pytest.fixture(autouse=True)
def launch_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)


def test_launch_env_and_its_env_alias_select_the_same_environment(pytester):
    make_project(pytester, CHECK)
    for option in ("--launch-env=prod", "--env=prod"):
        out = pytester.path / f"{option[2:6]}.json"
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", option, f"--launch-json={out}")
        assert "Traceback" not in result.stdout.str() + result.stderr.str()
        assert json.loads(out.read_text())["environment"]["name"] == "prod"


def test_a_conftest_that_owns_env_keeps_it_and_launch_env_selects_the_environment(pytester):
    make_project(pytester, {"test_checks.py": CHECK, "test_own.py": USES_OWN_ENV, "conftest.py": OWN_ENV_CONFTEST})
    out = pytester.path / "out.json"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=staging", "--launch-env=prod",
                                           f"--launch-json={out}", "--launch-gate")
    text = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in text and "argparse" not in text
    result.assert_outcomes(passed=2, failed=3)  # the suite's own test saw its --env; 3 checklist items fail
    assert result.ret == 1  # the decision was made (NO_GO: MON-06 not signed off)
    doc = json.loads(out.read_text())
    assert doc["environment"]["name"] == "prod" and doc["verdict"] == "NO_GO"
    assert text.count("--env belongs to this suite") == 1
    assert "use --launch-env" in text or "with --launch-env" in text


def test_a_conftest_that_owns_env_under_xdist(pytester):
    make_project(pytester, {"test_checks.py": CHECK, "test_own.py": USES_OWN_ENV, "conftest.py": OWN_ENV_CONFTEST})
    out = pytester.path / "out.json"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "--env=staging",
                                           "--launch-env=prod", f"--launch-json={out}")
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    result.assert_outcomes(passed=2, failed=3)
    assert json.loads(out.read_text())["environment"]["name"] == "prod"


def test_help_says_when_env_is_the_alias_and_when_it_is_not(pytester):
    make_project(pytester, CHECK)
    plain = " ".join(pytester.runpytest_subprocess("--help").stdout.str().split())
    assert "--launch-env=NAME|PATH" in plain and "--env=NAME|PATH" in plain and "alias of --launch-env" in plain
    (pytester.path / "conftest.py").write_text(OWN_ENV_CONFTEST)
    owned = " ".join(pytester.runpytest_subprocess("--help").stdout.str().split())
    assert "the suite's own target environment" in owned and "alias of --launch-env" not in owned
    assert "unless a conftest.py or another plugin defines its own --env" in owned
