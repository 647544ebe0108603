"""launch render: rebuild go-no-go.html and go-no-go.md from a results JSON."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pytest_launch.core.errors import ConfigError


def add_parser(commands: Any) -> None:
    render = commands.add_parser("render", help="rebuild go-no-go.html and go-no-go.md from a results JSON")
    render.add_argument("results", metavar="RESULTS.json")
    render.add_argument("-o", "--output", metavar="DIR", help="folder to write to (default: the JSON's folder)")
    render.add_argument("--history", metavar="FILE", help="history.jsonl for the trend (default: DIR/history.jsonl)")
    render.add_argument("--step-summary", action="store_true",
                        help="also append the Markdown to $GITHUB_STEP_SUMMARY")
    render.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
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
    return 0
