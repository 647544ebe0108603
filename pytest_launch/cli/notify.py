"""launch notify: send a results document's verdict to Slack, Microsoft Teams or a JSON webhook."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_parser(commands: Any) -> None:
    notify = commands.add_parser(
        "notify", help="send the verdict, the why, the top to-dos and the page link to a chat webhook",
        description="Send RESULTS.json's verdict to each --to target. Webhook URLs are secrets: pass '${VAR}' in "
        "single quotes (expanded here, masked in every output). A failed send is reported on stderr and recorded "
        "in RESULTS.json's notifications; the exit code stays 0 (2 only for bad input).")
    notify.add_argument("results", metavar="RESULTS.json")
    notify.add_argument("--to", action="append", required=True, metavar="[FORMAT:]URL",
                        help="a webhook URL or '${VAR}' holding one, optionally prefixed slack:, teams: or webhook:; "
                        "repeatable")
    notify.add_argument("--format", choices=("slack", "teams", "webhook"), default=None,
                        help="the payload for --to targets without a prefix (default: guessed from the host: "
                        "hooks.slack.com is slack, Power Automate/Logic Apps hosts are teams, else webhook)")
    notify.add_argument("--on", "--notify-on", dest="on", choices=("change", "always", "nogo"), default="change",
                        help="change (the verdict differs from the previous run in the history; the default), "
                        "always, or nogo (NO_GO and ROLLBACK only)")
    notify.add_argument("--history", metavar="FILE",
                        help="history.jsonl to find the previous run in (default: next to RESULTS.json)")
    notify.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="timeout of each connect and read (default 10)")
    notify.add_argument("--no-record", action="store_true",
                        help="do not add the outcome to RESULTS.json's notifications")
    notify.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from pytest_launch.config.reports import NOTIFY_TIMEOUT_S, parse_target, target_secrets
    from pytest_launch.core.errors import ConfigError
    from pytest_launch.core.redact import Redactor
    from pytest_launch.outputs.digest import previous_run
    from pytest_launch.outputs.history import HISTORY_FILE, read_history_checked
    from pytest_launch.outputs.jsonfile import read_document, write_document
    from pytest_launch.outputs.notify import notify_all
    from pytest_launch.outputs.terminal import notification_line

    timeout_s = NOTIFY_TIMEOUT_S if args.timeout is None else args.timeout
    if not 0 < timeout_s <= 120:
        raise ConfigError("--timeout", None, "a number of seconds above 0 and at most 120", repr(args.timeout))
    targets = [parse_target(text, f"--to {i + 1}", fmt=args.format) for i, text in enumerate(args.to)]
    results = Path(args.results)
    doc = read_document(results)
    history = Path(args.history) if args.history else results.parent / HISTORY_FILE
    if args.history and not history.exists():
        raise ConfigError(str(history), None, "an existing history file", "no such file")
    previous = previous_run(doc, read_history_checked(history, 5).runs)
    redactor = Redactor(target_secrets(targets))
    records = notify_all(targets, args.on, timeout_s, doc, previous, redactor)
    for record in records:
        line = notification_line(record)
        print(line, file=sys.stderr if record["status"] == "failed" else sys.stdout)
    if not args.no_record:
        doc["notifications"] = list(doc.get("notifications") or []) + records
        write_document(results, doc)
    return 0
