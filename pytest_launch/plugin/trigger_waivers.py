"""A rollback trigger is never waivable: a waiver that can only ever match triggers is a mistake
in the waivers file, found when the suite is collected (the whole suite, before -m/-k). Under
xdist the workers find it, and the controller process stops the run with it."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from pytest_launch.core.model import Waiver
from pytest_launch.plugin.reports import MarksOfParents, checklist_id_of


def trigger_only_waivers(items: Sequence[pytest.Item], waivers: Sequence[Waiver], waivers_path: Path | str) -> list[str]:
    """One message per waiver whose every matching collected check is a rollback trigger."""
    problems: list[str] = []
    if not waivers:
        return problems
    # each check's names (node id, checklist id) read once, not once per waiver
    by_name: dict[str, list[pytest.Item]] = {}
    parents: MarksOfParents = {}
    for node in items:
        link = checklist_id_of(node, parents)
        for name in {node.nodeid, link} if link is not None else (node.nodeid,):
            by_name.setdefault(name, []).append(node)
    for index, waiver in enumerate(waivers):
        matched = by_name.get(waiver.check, [])
        if matched and all(node.get_closest_marker("rollback_trigger") is not None for node in matched):
            names = ", ".join(node.nodeid for node in matched[:5]) + (" ..." if len(matched) > 5 else "")
            problems.append(
                f"{waivers_path}: waiver[{index}] (check = {waiver.check!r}) names only rollback triggers ({names}): "
                f"a rollback trigger is never waivable; remove the waiver, or name the check it is meant for")
    return problems


# on the xdist controller process: the usage problems the workers found (pytest_testnodedown)
WORKER_USAGE_PROBLEMS_KEY = pytest.StashKey[set[str]]()


def report_worker_usage_problems(session: pytest.Session) -> bool:
    """The usage error a plain run raises at collection, for problems xdist workers found: said
    once (the first caller takes them), exit code 4. True when there were any."""
    problems = session.config.stash.get(WORKER_USAGE_PROBLEMS_KEY, set())
    if not problems:
        return False
    session.config.stash[WORKER_USAGE_PROBLEMS_KEY] = set()
    message = "ERROR: " + "\n".join(sorted(problems))
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(message, red=True)
    else:
        print(message, file=sys.stderr)
    session.exitstatus = pytest.ExitCode.USAGE_ERROR
    return True
