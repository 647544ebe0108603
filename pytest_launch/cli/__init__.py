"""launch (also installed as launch-report): the commands around a readiness run.

    launch render RESULTS.json [-o DIR] [--history FILE]
    launch merge A.json B.json ... -o merged.json [--render DIR]
    launch diff OLD.json NEW.json [--json]
    launch publish DIR s3://bucket/prefix [--endpoint-url URL] [--url BASE]
    launch notify RESULTS.json --to '[slack:|teams:|webhook:]${VAR}' [--on change|always|nogo]
    launch init [DIR]
    launch plan --launch-env NAME [-m PHASES] [--format text|json|markdown] [PATH ...] [-- PYTEST_ARGS]

Each command lives in its own module of this package (``COMMANDS`` names them, in the order
``--help`` lists them); a module has ``add_parser(commands)`` that registers its arguments and
sets ``handler``. Modules import the outputs they use inside their handler, so the CLI starts
fast. Bad input (a missing file, invalid JSON, an unknown schema_version, an unreachable bucket)
gives one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from pytest_launch.core.errors import ConfigError

EXIT_OK = 0
EXIT_USAGE = 2

# command name -> module of this package that defines it
COMMANDS: dict[str, str] = {
    "render": "render",
    "merge": "merge",
    "diff": "diff",
    "publish": "publish",
    "notify": "notify",
    "init": "init",
    "plan": "plan",
}


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pytest-launch")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def program_name(argv0: str | None = None) -> str:
    name = os.path.basename(argv0 if argv0 is not None else sys.argv[0])
    return name if name in {"launch", "launch-report"} else "launch"


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog or program_name(),
        description="Start a readiness suite, and re-render, merge, compare and publish go/no-go results.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMANDS.values():
        module = importlib.import_module(f"{__name__}.{module_name}")
        module.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        exit_code: int = args.handler(args)
        return exit_code
    except ConfigError as exc:
        print(f"{parser.prog} {args.command}: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # an unwritable output folder, a full disk
        print(f"{parser.prog} {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
