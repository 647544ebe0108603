"""reports/<env>/history.jsonl: one summary line per run, so nightly runs show a trend.

Appends are atomic: a file lock (outputs/locks.py) serialises writers, and each line goes out in a
single os.write on a descriptor opened with O_APPEND, so two concurrent runs never interleave
or corrupt lines. Readers skip lines that do not parse or do not fit the
schema of a history line (a crash in another tool, a manual edit) and report each of them.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import stat
from pathlib import Path
from typing import Any

from pytest_launch.outputs.locks import FileLock
from pytest_launch.outputs.paths import NotOurFile, refuse_unless_replaceable

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
    """The summary line of one results document (one walk over its checks)."""
    run = doc.get("run", {})
    failing: list[Any] = []
    blockers: list[Any] = []
    for check in doc.get("checks", []):
        if is_failing(check):
            failing.append(check.get("nodeid"))
            if check.get("blocking") and not check.get("waiver"):
                blockers.append(check.get("nodeid"))
    return {
        "time": run.get("finished") or run.get("started"),
        "started": run.get("started"),
        "run_id": run.get("run_id") or None,
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
    append_history_entry(path, history_entry(doc))


def append_history_entry(path: Path, entry: dict[str, Any]) -> None:
    """Append a summary line made by history_entry to `path` (created with its folder when missing)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(entry, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8") + b"\n"
    # the lock file stays behind by design (see outputs/locks.py): a hidden one, beside the history
    with FileLock(str(path.parent / f".{path.name}.lock"), timeout=LOCK_TIMEOUT_S):
        refuse_unless_replaceable(path)
        # O_NOFOLLOW: never through a symlink; O_NONBLOCK: a FIFO put there meanwhile cannot hang us
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise NotOurFile(0, "refused to append to a file that is not a regular file", str(path))
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


# The shape of a history line: field -> (the types it may hold, how it is described). A line whose
# fields do not have these types (or that is not an object, or holds a number that is not
# finite) is skipped and reported: it would otherwise break the renderings of every later run.
_OPTIONAL_TEXT = ((str, type(None)), "a string or null")
HISTORY_FIELDS: dict[str, tuple[tuple[type, ...], str]] = {
    "verdict": ((str,), "a string"),
    "time": _OPTIONAL_TEXT,
    "started": _OPTIONAL_TEXT,
    "run_id": _OPTIONAL_TEXT,
    "environment": _OPTIONAL_TEXT,
    "display_verdict": _OPTIONAL_TEXT,
    "complete": ((bool, type(None)), "true, false or null"),
    "counts": ((dict,), "an object of integers"),
    "failing_blockers": ((int,), "an integer"),
    "blockers": ((list,), "a list of strings"),
    "failing": ((list,), "a list of strings"),
    "git_revision": _OPTIONAL_TEXT,
    "stage": ((int, type(None)), "an integer or null"),
    "markexpr": _OPTIONAL_TEXT,
    "ci_url": _OPTIONAL_TEXT,
}
REQUIRED_HISTORY_FIELDS = ("verdict",)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "an object"}.get(type(value), type(value).__name__)


def _not_finite(value: Any) -> bool:
    """True when `value` holds a number that is not finite (1e400, NaN) at any depth."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def history_entry_problem(entry: Any) -> str | None:
    """Why a parsed history line cannot be used, or None when it fits the schema. The problem
    names the field, what was expected and the kind of value found (never the value: a history
    file edited by hand may hold anything)."""
    if not isinstance(entry, dict):
        return f"expected an object, found {_kind(entry)}"
    if _not_finite(entry):
        return "expected finite numbers, found a number that is not finite"
    for name in REQUIRED_HISTORY_FIELDS:
        if name not in entry:
            return f"{name}: expected {HISTORY_FIELDS[name][1]}, found nothing"
    for name, (types, words) in HISTORY_FIELDS.items():
        if name not in entry:
            continue
        value = entry[name]
        if isinstance(value, bool) and bool not in types:
            return f"{name}: expected {words}, found {_kind(value)}"
        if not isinstance(value, types):
            return f"{name}: expected {words}, found {_kind(value)}"
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            return f"{name}: expected {words} (0 or more), found a negative integer"
    counts = entry.get("counts", {})
    for key, count in counts.items():
        if isinstance(count, bool) or not isinstance(count, int):
            return f"counts.{key}: expected an integer, found {_kind(count)}"
    for name in ("blockers", "failing"):
        if any(not isinstance(nodeid, (str, type(None))) for nodeid in entry.get(name, [])):
            return f"{name}: expected a list of strings, found a list holding something else"
    return None


@dataclasses.dataclass
class History:
    """The runs read back from a history file, and the lines that were skipped (and why)."""

    runs: list[dict[str, Any]]
    problems: list[str]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a finite number")


def read_history_checked(path: Path, limit: int = 30) -> History:
    """The last `limit` runs (every run when `limit` is 0), oldest first, and one problem per
    skipped line: a missing file is an empty history; a line that is not valid JSON, not an
    object, or whose fields do not have the types of HISTORY_FIELDS is skipped and reported
    ("history.jsonl line 7: ...").

    The lines are read from the newest back, and only until `limit` usable runs are found: a
    history grows by a line per run (nightly, for months), and a run parses the lines it shows,
    not all of them (issue 16). A bad line older than those runs changes no output and is not
    reported."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return History([], [])
    entries: list[dict[str, Any]] = []
    problems: list[str] = []
    lines = raw.splitlines()
    for number in range(len(lines), 0, -1):
        if limit and len(entries) == limit:
            break
        line = lines[number - 1]
        if not line.strip():
            continue
        try:
            entry = json.loads(line.decode("utf-8"), parse_constant=_reject_constant)
        except UnicodeDecodeError:
            problems.append(f"{path.name} line {number}: expected UTF-8 text, found other bytes (skipped)")
            continue
        except (ValueError, RecursionError):
            problems.append(f"{path.name} line {number}: expected a JSON object, found text that is not JSON "
                            f"(skipped)")
            continue
        problem = history_entry_problem(entry)
        if problem is not None:
            problems.append(f"{path.name} line {number}: {problem} (skipped)")
            continue
        entries.append(entry)
    return History(entries[::-1], problems[::-1])


def read_history(path: Path, limit: int = 30) -> list[dict[str, Any]]:
    """The last `limit` usable runs, oldest first (see read_history_checked)."""
    return read_history_checked(path, limit).runs
