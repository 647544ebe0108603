"""launch plan: the checklist against the checks, without running anything.

    launch plan --launch-env=prod [-m t_minus_7] [--format text|json|markdown] [PATH ...] [-- PYTEST_ARGS ...]

Runs pytest's collection in this process (`pytest --launch-plan`, the user's paths and any
pytest options after `--` passed through), so -m, testpaths, conftest.py files and the ini file
are read exactly as a real run reads them; then prints only the plan. No check, no fixture, no
probe runs. Exit codes: 0 no gaps; 1 the plan has gaps (one line each in the summary);
2 a usage or configuration error (one line on stderr); 3 the suite could not be collected
(pytest's own output is shown on stderr).
"""

from __future__ import annotations

import argparse
from typing import Any

EXIT_COLLECTION = 3


def add_parser(commands: Any) -> None:
    plan = commands.add_parser(
        "plan", help="the checklist against the checks, without running them (a CI pre-flight)",
        description="Collect the readiness suite as a real run would (nothing runs, nothing is probed) and print, "
        "for every checklist item in scope: its checks, whether the environment configures the tables they need, "
        "the waiver or sign-off that applies. Exit 0: no gaps; 1: gaps; 2: usage or configuration error; "
        "3: the suite could not be collected.")
    plan.add_argument("--launch-env", "--env", dest="launch_env", metavar="NAME|PATH", default=None,
                      help="the environment: a name in launch_environments_dir, or a path to a .toml file")
    plan.add_argument("-m", dest="markexpr", metavar="MARKEXPR", default=None,
                      help="the phases in scope, as a real run reads them (e.g. t_minus_7)")
    plan.add_argument("--format", dest="format", default="text", metavar="text|json|markdown",
                      help="output format (default text)")
    plan.add_argument("pytest_args", nargs="*", metavar="PATH | -- PYTEST_ARGS",
                      help="paths to collect, and after -- any other pytest option")
    plan.set_defaults(handler=run)


def pytest_arguments(args: argparse.Namespace) -> list[str]:
    """The pytest command line of the plan: `--launch-plan` and the user's selection."""
    argv = ["--launch-plan"]
    if args.launch_env:
        argv.append(f"--launch-env={args.launch_env}")
    if args.markexpr is not None:
        argv += ["-m", args.markexpr]
    return argv + list(args.pytest_args)


def run(args: argparse.Namespace) -> int:
    import contextlib
    import io
    import sys

    import pytest

    from pytest_launch.core.errors import ConfigError
    from pytest_launch.core.vocabulary import PLAN_FORMATS
    from pytest_launch.outputs.plan import render_plan
    from pytest_launch.plugin.plan import PLAN_KEY, PlanResult

    if args.format not in PLAN_FORMATS:
        raise ConfigError("--format", None, "one of " + ", ".join(PLAN_FORMATS), repr(args.format))

    class Catch:
        result: PlanResult | None = None

        @pytest.hookimpl(trylast=True)
        def pytest_sessionfinish(self, session: pytest.Session) -> None:
            self.result = session.config.stash.get(PLAN_KEY, None)

    catch = Catch()
    chatter = io.StringIO()  # pytest's own terminal output: shown only when collection fails
    with contextlib.redirect_stdout(chatter):
        status = int(pytest.main(pytest_arguments(args), plugins=[catch]))
    if status == pytest.ExitCode.USAGE_ERROR:
        return 2  # pytest wrote the one-line error to stderr
    if catch.result is None or status not in (0, 1):
        sys.stderr.write(chatter.getvalue())
        print(f"launch plan: the suite could not be collected (pytest exit {status}): no plan", file=sys.stderr)
        return EXIT_COLLECTION
    result = catch.result
    sys.stdout.write(result.redactor.text(render_plan(result.plan, args.format)))
    return result.plan.exit_code
