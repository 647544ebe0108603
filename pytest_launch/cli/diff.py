"""launch diff: what changed between two runs; with --fail-on-regression, exit 1 on a regression
(a worse verdict, or a check that passed before and now did not: any loss of evidence)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

EXIT_REGRESSION = 1


def add_parser(commands: Any) -> None:
    diff = commands.add_parser("diff", help="what changed between two runs")
    diff.add_argument("old", metavar="OLD.json")
    diff.add_argument("new", metavar="NEW.json")
    diff.add_argument("--json", action="store_true", help="print the difference as JSON")
    diff.add_argument("--fail-on-regression", action="store_true",
                      help="exit 1 when the verdict got worse (GO < GO_WITH_RISKS < NO_GO < ROLLBACK) or a check "
                      "that passed in OLD did not pass in NEW (failed, error, skipped, refused, missing, waived or "
                      "gone); 0 otherwise")
    diff.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pytest_launch.outputs.jsonfile import read_document
    from pytest_launch.outputs.merge import diff_documents

    difference = diff_documents(read_document(Path(args.old)), read_document(Path(args.new)))
    failing = bool(args.fail_on_regression and difference.regressions)
    if args.json:
        print(json.dumps(difference.to_dict(), indent=1, ensure_ascii=False))
        return EXIT_REGRESSION if failing else 0
    for note in difference.scope_notes:
        print(f"note: {note}")
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
    if args.fail_on_regression:
        regressions = difference.regressions
        if regressions:
            print(f"REGRESSION ({len(regressions)}): exit {EXIT_REGRESSION}")
            for line in regressions:
                print(f"  ! {line}")
        else:
            print("no regression: the verdict is not worse and every check that passed before still passes")
    return EXIT_REGRESSION if failing else 0
