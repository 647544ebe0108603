"""launch-report: re-render, merge, compare and publish go-no-go.json results.

    launch-report render RESULTS.json [-o DIR] [--history FILE]
    launch-report merge A.json B.json ... -o merged.json [--render DIR]
    launch-report diff OLD.json NEW.json [--json]
    launch-report publish DIR s3://bucket/prefix [--endpoint-url URL]

Bad input (a missing file, invalid JSON, an unknown schema_version, an unreachable bucket)
gives one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from pytest_launch.core.errors import ConfigError

EXIT_OK = 0
EXIT_USAGE = 2


def _render(args: argparse.Namespace) -> int:
    from pytest_launch.outputs.history import HISTORY_FILE
    from pytest_launch.outputs.jsonfile import read_document
    from pytest_launch.outputs.render_all import render_all

    doc = read_document(Path(args.results))
    folder = Path(args.output) if args.output else Path(args.results).parent
    history = Path(args.history) if args.history else folder / HISTORY_FILE
    if args.history and not history.exists():
        raise ConfigError(str(history), None, "an existing history file", "no such file")
    written = render_all(doc, folder, record_history=False, history_file=history,
                         step_summary=args.step_summary)
    for path in written:
        print(path)
    return EXIT_OK


def _merge(args: argparse.Namespace) -> int:
    from pytest_launch.outputs.jsonfile import read_document, write_document
    from pytest_launch.outputs.merge import merge_documents, source_labels

    paths = [Path(p) for p in args.results]
    docs = [read_document(p) for p in paths]
    labels = source_labels(paths, docs)
    merged = merge_documents(docs, labels, [str(p) for p in paths])
    write_document(Path(args.output), merged)
    print(f"{args.output}: {merged['display_verdict']} from {len(paths)} runs "
          f"({', '.join(labels)}), {merged['summary'].get('total', 0)} checks")
    if args.render:
        from pytest_launch.outputs.render_all import render_all

        for path in render_all(merged, Path(args.render), record_history=False, step_summary=False):
            print(path)
    return EXIT_OK


def _diff(args: argparse.Namespace) -> int:
    from pytest_launch.outputs.jsonfile import read_document
    from pytest_launch.outputs.merge import diff_documents

    difference = diff_documents(read_document(Path(args.old)), read_document(Path(args.new)))
    if args.json:
        print(json.dumps(difference.to_dict(), indent=1, ensure_ascii=False))
        return EXIT_OK
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
    return EXIT_OK


def _publish(args: argparse.Namespace) -> int:
    from pytest_launch.outputs.publish import publish

    keys = publish(Path(args.folder), args.target, args.endpoint_url)
    bucket = args.target[len("s3://"):].split("/", 1)[0]
    print(f"published {len(keys)} file(s) to s3://{bucket}/")
    for key in keys:
        print(f"  {key}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="launch-report",
                                     description="Re-render, merge, compare and publish go/no-go results.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    render = commands.add_parser("render", help="rebuild go-no-go.html and go-no-go.md from a results JSON")
    render.add_argument("results", metavar="RESULTS.json")
    render.add_argument("-o", "--output", metavar="DIR", help="folder to write to (default: the JSON's folder)")
    render.add_argument("--history", metavar="FILE", help="history.jsonl for the trend (default: DIR/history.jsonl)")
    render.add_argument("--step-summary", action="store_true",
                        help="also append the Markdown to $GITHUB_STEP_SUMMARY")
    render.set_defaults(handler=_render)

    merge = commands.add_parser("merge", help="combine shard or region runs into one decision")
    merge.add_argument("results", nargs="+", metavar="RESULTS.json")
    merge.add_argument("-o", "--output", required=True, metavar="merged.json")
    merge.add_argument("--render", metavar="DIR", help="also write HTML and Markdown into DIR")
    merge.set_defaults(handler=_merge)

    diff = commands.add_parser("diff", help="what changed between two runs")
    diff.add_argument("old", metavar="OLD.json")
    diff.add_argument("new", metavar="NEW.json")
    diff.add_argument("--json", action="store_true", help="print the difference as JSON")
    diff.set_defaults(handler=_diff)

    publish = commands.add_parser("publish", help="upload a report folder to s3://bucket/prefix")
    publish.add_argument("folder", metavar="DIR")
    publish.add_argument("target", metavar="s3://bucket/prefix")
    publish.add_argument("--endpoint-url", help="S3-compatible endpoint (default: $AWS_ENDPOINT_URL)")
    publish.set_defaults(handler=_publish)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except ConfigError as exc:
        print(f"launch-report {args.command}: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # an unwritable output folder, a full disk
        print(f"launch-report {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
