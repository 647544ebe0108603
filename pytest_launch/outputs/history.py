"""reports/<env>/history.jsonl: one summary line per run, so nightly runs show a trend.

Appends are atomic: a file lock (filelock) serialises writers, and each line goes out in a
single os.write on a descriptor opened with O_APPEND, so two concurrent runs never interleave
or corrupt lines. Readers skip lines that do not parse (a crash in another tool, a manual edit).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from filelock import FileLock

HISTORY_FILE = "history.jsonl"
LOCK_TIMEOUT_S = 30.0


def history_path(reports_dir: Path, environment: str) -> Path:
    """reports/<env>/history.jsonl, with the environment name made safe as a folder name."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", environment or "unknown").strip(".") or "unknown"
    return Path(reports_dir) / safe / HISTORY_FILE


def is_failing(check: dict[str, Any]) -> bool:
    """A check that counts against the launch in "what changed": not passed, not waived, and
    either a real failure / missing result or a blocking check without a result."""
    if check.get("outcome") == "passed" and check.get("kind") != "uncovered":
        return False
    if check.get("waiver"):
        return False
    return check.get("outcome") in ("failed", "error", "missing") or bool(check.get("blocking")) \
        or check.get("kind") == "uncovered"


def history_entry(doc: dict[str, Any]) -> dict[str, Any]:
    """The summary line of one results document."""
    run = doc.get("run", {})
    checks = doc.get("checks", [])
    failing = [c.get("nodeid") for c in checks if is_failing(c)]
    blockers = [c.get("nodeid") for c in checks
                if is_failing(c) and c.get("blocking") and not c.get("waiver")]
    return {
        "time": run.get("finished") or run.get("started"),
        "started": run.get("started"),
        "environment": doc.get("environment", {}).get("name"),
        "verdict": doc.get("verdict"),
        "display_verdict": doc.get("display_verdict"),
        "complete": run.get("complete"),
        "counts": dict(doc.get("summary", {})),
        "failing_blockers": len(blockers),
        "blockers": blockers,
        "failing": failing,
        "git_revision": run.get("git_revision"),
        "stage": run.get("stage"),
        "markexpr": run.get("markexpr"),
        "ci_url": run.get("ci_url"),
    }


def append_history(path: Path, doc: dict[str, Any]) -> None:
    """Append the run's summary line to `path` (created with its folder when missing)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(history_entry(doc), ensure_ascii=False, separators=(",", ":"),
                      default=str).encode("utf-8") + b"\n"
    # filelock leaves its lock file behind by design: a hidden one, beside the history
    with FileLock(str(path.parent / f".{path.name}.lock"), timeout=LOCK_TIMEOUT_S):
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size:
                # a previous writer died mid-line: start ours on a fresh line
                with open(path, "rb") as handle:
                    handle.seek(size - 1)
                    if handle.read(1) != b"\n":
                        line = b"\n" + line
            written = os.write(fd, line)
            if written != len(line):  # a full disk; never leave half a line behind silently
                raise OSError(f"{path}: wrote {written} of {len(line)} bytes of a history line")
            os.fsync(fd)
        finally:
            os.close(fd)


def read_history(path: Path, limit: int = 30) -> list[dict[str, Any]]:
    """The last `limit` runs, oldest first; a missing file is an empty history and lines that
    do not parse as a JSON object are skipped."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    entries: list[dict[str, Any]] = []
    for line in raw.splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries[-limit:] if limit else entries
