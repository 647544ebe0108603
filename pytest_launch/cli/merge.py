"""launch merge: combine shard or region runs into one decision."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_parser(commands: Any) -> None:
    merge = commands.add_parser("merge", help="combine shard or region runs into one decision")
    merge.add_argument("results", nargs="+", metavar="RESULTS.json")
    merge.add_argument("-o", "--output", required=True, metavar="merged.json")
    merge.add_argument("--render", metavar="DIR", help="also write HTML and Markdown into DIR")
    merge.add_argument("--allow-mixed", action="store_true",
                       help="merge results of different environments or phases (refused without it); the merged "
                       "document (`mixed`) and its pages say what differed")
    merge.add_argument("--allow-backdate", action="store_true",
                       help="judge as of a $LAUNCH_TODAY earlier than today under CI=true (a rehearsal on "
                            "purpose; refused otherwise, like pytest --launch-allow-backdate)")
    merge.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from pytest_launch.core.clock import judging_date, refuse_backdate_in_ci
    from pytest_launch.outputs.jsonfile import read_document, write_document
    from pytest_launch.outputs.merge import merge_documents, source_labels

    # merge decides (waivers and sign-offs judged as of $LAUNCH_TODAY): the plugin's clock rule
    clock = judging_date()
    refuse_backdate_in_ci(clock, args.allow_backdate, flag="--allow-backdate")
    paths = [Path(p) for p in args.results]
    docs = [read_document(p) for p in paths]
    labels = source_labels(paths, docs)
    merged = merge_documents(docs, labels, [str(p) for p in paths], allow_mixed=args.allow_mixed,
                             today=clock.date)
    write_document(Path(args.output), merged)
    print(f"{args.output}: {merged['display_verdict']} from {len(paths)} runs "
          f"({', '.join(labels)}), {merged['summary'].get('total', 0)} checks")
    for text in merged.get("mixed") or []:
        print(f"MIXED INPUTS (--allow-mixed): {text}")
    if clock.note():
        print(clock.note(), file=sys.stderr)
    if args.render:
        from pytest_launch.outputs.render_all import render_all

        for path in render_all(merged, Path(args.render), record_history=False, step_summary=False):
            print(path)
    return 0
