"""Loading the plugin warns nothing: a suite that turns warnings into errors (-W error,
filterwarnings = error) must run as it did without pytest-launch installed. Fresh interpreters,
so that no module of the plugin is imported before pytest loads it."""

from __future__ import annotations

import pytest

from launch_project import MON06_SIGNED, PASSING_CHECKS, make_project

CHECKS = PASSING_CHECKS


def test_a_run_that_decides_nothing_warns_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_one():\n    pass\n")
    result = pytester.runpytest_subprocess("-W", "error", "-p", "no:cacheprovider")
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=1, warnings=0)
    assert "PytestAssertRewriteWarning" not in result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize("plan", [False, True], ids=["decide", "plan"])
def test_a_deciding_run_and_a_plan_warn_nothing(pytester: pytest.Pytester, plan: bool) -> None:
    make_project(pytester, CHECKS, signoffs=MON06_SIGNED)
    args = ["-W", "error", "-p", "no:cacheprovider", "-m", "t_minus_7", "--launch-env=prod"]
    result = pytester.runpytest_subprocess(*args, *(["--launch-plan"] if plan else []))
    output = result.stdout.str() + result.stderr.str()
    assert "warning" not in output.lower(), output
    if not plan:
        assert result.ret == 0, output
        result.assert_outcomes(passed=3)
