"""The "in progress" placeholder: before any check runs, the report a deciding run will write
(the phase's canonical page for a complete run, its own partial/ folder for a partial run) is
replaced, atomically, by a NO_GO document "in progress since …, never finished". The end of the
run replaces it; a run killed by SIGKILL, SIGTERM or os._exit leaves the placeholder, never the
previous GO. The next run that starts there finds it and adds a history line for the run that
never finished.

A -x/--maxfail run writes the placeholder over the canonical page (it may well complete); if it
stops early it is partial and puts back, byte for byte, the files the placeholder replaced.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from pytest_launch.outputs.atomic import write_bytes_atomic
from pytest_launch.outputs.history import HISTORY_FILE, append_history

REPORT_FILES = ("go-no-go.json", "go-no-go.html", "go-no-go.md")


@dataclasses.dataclass
class Placeholder:
    folder: Path
    previous: dict[str, bytes | None]  # file name -> the bytes it had before the placeholder


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def record_unfinished(folder: Path) -> bool:
    """When the report in `folder` is a placeholder left by a run that never finished, add that
    run to the history (NO_GO, never finished); True when it did."""
    doc = _read_json(folder / "go-no-go.json")
    if doc is None or not (doc.get("run") or {}).get("in_progress"):
        return False
    append_history(folder / HISTORY_FILE, doc)
    return True


def save_previous(folder: Path) -> Placeholder:
    previous: dict[str, bytes | None] = {}
    for name in REPORT_FILES:
        try:
            previous[name] = (folder / name).read_bytes()
        except FileNotFoundError:
            previous[name] = None
    return Placeholder(folder, previous)


def restore_previous(saved: Placeholder) -> None:
    """Put back the report files the placeholder replaced (a run that turned out partial)."""
    for name, content in saved.previous.items():
        path = saved.folder / name
        if content is None:
            path.unlink(missing_ok=True)
        else:
            write_bytes_atomic(path, content)
