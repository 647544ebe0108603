"""launch init [DIR]: write a starter readiness suite into a team's repository (default: here).

    launch init ../team && cd ../team && pytest -m t_minus_7 --launch-env=prod

Writes readiness/ (the full checklist, the checks and their launch_suite helpers, the policy,
environments/prod.toml and staging.toml with every table commented out, empty waivers and
sign-offs with one commented example each, the suite's conftest.py), the root conftest.py and a
pytest.ini (when the folder has no pytest configuration yet; otherwise it prints what to add).
It never overwrites a file: files that exist are skipped and listed. The first run gives a NO_GO
whose reasons name every table to fill in; nothing is probed before a table is configured.
"""

from __future__ import annotations

import argparse
import os
import shlex
from pathlib import Path
from typing import Any

from pytest_launch.core.errors import ConfigError


def add_parser(commands: Any) -> None:
    init = commands.add_parser(
        "init", help="write a starter readiness suite (never overwrites a file)",
        description="Write a starter readiness suite into DIR: readiness/ (checklist, checks, policy, "
        "environments/prod.toml and staging.toml with every table commented out, empty waivers and "
        "sign-offs), conftest.py and pytest.ini. It never overwrites a file: existing files are skipped "
        "and listed.")
    init.add_argument("folder", metavar="DIR", nargs="?", default=".",
                      help="the repository to write into (default: the current folder; created if missing)")
    init.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pytest_launch.config.starter import PYTEST_SNIPPETS, SUITE, existing_pytest_config, pytest_ini, starter_files

    folder = Path(args.folder)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(str(folder), None, "a folder to write the starter suite into", "a file")
    files = starter_files()
    config_file = existing_pytest_config(folder) if folder.is_dir() else None
    if config_file is None:
        files.append(pytest_ini())
    for parent in {Path(file.path).parent for file in files}:
        target = folder / parent
        if target.exists() and not target.is_dir():
            raise ConfigError(str(target), None, "a folder (the starter suite goes in it)", "a file")
    folder.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    skipped: list[str] = []
    for file in files:
        target = folder / file.path
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(target, "xb") as out:  # exclusive: an existing file (or a symlink) is never replaced
                out.write(file.content)
        except FileExistsError:
            skipped.append(file.path)
            continue
        written.append(file.path)

    shown = os.path.relpath(folder) if not folder.is_absolute() else str(folder)
    print(f"launch init: wrote {len(written)} files into {shown}" + (":" if written else ""))
    tops = sorted({name.split("/", 1)[0] + ("/" if "/" in name else "") for name in written})
    if tops:
        print("  " + ", ".join(tops))
    if skipped:
        print(f"skipped {len(skipped)} files that already exist (never overwritten):")
        for skipped_path in skipped:
            print(f"  {skipped_path}")
    run_suite = "pytest -m t_minus_7 --launch-env=prod"
    if config_file is not None:
        print(f"{config_file} exists, so no pytest.ini was written: add this to {config_file} so that "
              f"`{run_suite}` finds the suite (or add {SUITE} to its testpaths):")
        for line in PYTEST_SNIPPETS[config_file].splitlines():
            print(f"    {line}")
    print("next:")
    here = folder.resolve() == Path.cwd().resolve()
    steps = [] if here else [f"cd {shlex.quote(shown)}"]
    steps += ["launch plan --launch-env=prod -m t_minus_7    # what is covered and configured; probes nothing",
              f"$EDITOR {SUITE}/environments/prod.toml    # uncomment a table, put in your hosts",
              f"{run_suite}    # NO_GO until then: its reasons name each table to fill in"]
    for step in steps:
        print(f"  {step}")
    return 0
