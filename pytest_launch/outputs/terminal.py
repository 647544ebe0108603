"""The terminal summary: the reasons, then the verdict as the very last line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_launch.core.clock import document_clock_note

MAX_REASONS = 25
_COLOURS = {"GO": {"green": True}, "GO_WITH_RISKS": {"yellow": True}, "NO_GO": {"red": True},
            "ROLLBACK": {"red": True, "bold": True}}


def write_reasons(reporter: Any, doc: dict[str, Any], written: Sequence[Path] = ()) -> None:
    reasons = doc["reasons"]
    reporter.write_sep("-", "launch decision: reasons")
    if not reasons:
        reporter.write_line(f"no blockers, no risks: {doc['headline']}")
    for reason in reasons[:MAX_REASONS]:
        mark = "BLOCKING" if reason["blocking"] else "note    " if reason["code"] not in ("waived", "nonblocking_failed") else "risk    "
        reporter.write_line(f"{mark} {reason['text']}")
    if len(reasons) > MAX_REASONS:
        reporter.write_line(f"... and {len(reasons) - MAX_REASONS} more (see the JSON/HTML report)")
    steps = doc.get("rollback_steps")
    if steps:
        reporter.write_line("rollback procedure:")
        for number, step in enumerate(steps, 1):
            reporter.write_line(f"  {number}. {step}")
    if doc["run"].get("judged_on"):
        reporter.write_line(f"judged on {doc['run']['judged_on']} (waivers and sign-offs are valid or expired as of that day)")
    for problem in doc.get("history_problems") or []:
        reporter.write_line(f"history: {problem}", yellow=True)
    for record in doc.get("notifications") or []:
        failed = record.get("status") == "failed"
        reporter.write_line(notification_line(record), red=failed, bold=failed)
    reports = [p for p in written if p.suffix in (".html", ".md", ".json")]
    if reports:
        reporter.write_line("launch reports: " + ", ".join(_shown(p) for p in reports))


def notification_line(record: dict[str, Any]) -> str:
    """One terminal line for a record."""
    status = record.get("status")
    target = record.get("target")
    if status == "sent":
        return f"notification sent: {target} (HTTP {record.get('http_status')}; {record.get('reason')})"
    if status == "skipped":
        return f"notification not sent: {target} ({record.get('reason')})"
    return (f"notification FAILED: {target}: {record.get('error')} "
            f"(the verdict and the exit code do not change)")


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def verdict_line(doc: dict[str, Any]) -> str:
    scope = doc["environment"]["name"]
    if doc["run"].get("markexpr"):
        scope += f", {doc['run']['markexpr']}"
    if doc["run"].get("keywordexpr"):
        scope += f", -k {doc['run']['keywordexpr']}"
    if doc["run"].get("partial"):
        scope += ", PARTIAL RUN"
    if doc["run"].get("stage") is not None:
        scope += f", stage {doc['run']['stage']}%"
        word = doc["display_verdict"]  # PROCEED / HOLD / ROLLBACK
    else:
        word = doc["verdict"]  # the canonical word, easy to grep in a CI log
    return f"launch decision ({scope}): {word}: {doc['headline']}"


def write_verdict_line(reporter: Any, doc: dict[str, Any]) -> None:
    note = document_clock_note(doc["run"])
    if note:  # right above the verdict, where a reader of the CI log looks
        reporter.write_line(f"pytest-launch: {note}", yellow=True, bold=True)
    reporter.write_sep("=", verdict_line(doc), **_COLOURS.get(doc["verdict"], {}))
