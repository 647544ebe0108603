"""launch diff: what changed between two runs."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def add_parser(commands: Any) -> None:
    diff = commands.add_parser("diff", help="what changed between two runs")
    diff.add_argument("old", metavar="OLD.json")
    diff.add_argument("new", metavar="NEW.json")
    diff.add_argument("--json", action="store_true", help="print the difference as JSON")
    diff.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pytest_launch.outputs.jsonfile import read_document
    from pytest_launch.outputs.merge import diff_documents

    difference = diff_documents(read_document(Path(args.old)), read_document(Path(args.new)))
    if args.json:
        print(json.dumps(difference.to_dict(), indent=1, ensure_ascii=False))
        return 0
    arrow = "changed" if difference.verdict_changed else "unchanged"
    print(f"verdict: {difference.verdict_before} -> {difference.verdict_after} ({arrow})")
    print(f"newly failing: {len(difference.newly_failing)}")
    for check in difference.newly_failing:
        owner = f" (owner {check.get('owner')})" if check.get("owner") else ""
        print(f"  - {check.get('nodeid')}: {check.get('outcome')}{owner}")
    print(f"newly passing: {len(difference.newly_passing)}")
    for nodeid in difference.newly_passing:
        print(f"  + {nodeid}")
    if difference.added or difference.removed:
        print(f"checks added: {len(difference.added)}, removed: {len(difference.removed)}")
    return 0
