"""The "in progress" placeholder: before any check runs, the report a deciding run will write
(the phase's canonical page for a complete run, its own partial/ folder for a partial run) is
replaced, atomically, by a NO_GO document "in progress since …, never finished". The end of the
run replaces it; a run killed by SIGKILL, SIGTERM or os._exit leaves the placeholder, never the
previous GO. The next run that starts there finds it and adds a history line for the run that
never finished.

A placeholder is also what a *live* run leaves while it runs. So each deciding run holds a lock
for its whole life (`RunLock`: a file lock on `.launch-run-<since>-<pid>.lock` in the folder,
named by the placeholder's "since" and the run's pid) and releases it at its end. A run that
starts and finds a placeholder asks whether a lock of that "since" is still held: held, it is a
live run ("another run is in progress since …") and no "never finished" line is written; free
or absent, that run is dead (killed, crashed, os._exit) as before. The OS releases the lock of a
killed process, so a dead run never looks alive.

A -x/--maxfail run writes the placeholder over the canonical page (it may well complete); if it
stops early it is partial and puts back, byte for byte, the files the placeholder replaced.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path
from typing import Any

from pytest_launch.outputs.atomic import write_bytes_atomic, write_text_atomic
from pytest_launch.outputs.history import HISTORY_FILE, append_history
from pytest_launch.outputs.jsonfile import dump_bytes
from pytest_launch.outputs.locks import REPORT_FOLDER_LOCK, REPORT_LOCK_TIMEOUT_S, FileLock, LockTimeout
from pytest_launch.outputs.short_page import (
    HTML_FILE,
    JSON_FILE,
    MARKDOWN_FILE,
    in_progress_page_html,
    in_progress_page_markdown,
)

REPORT_FILES = (JSON_FILE, HTML_FILE, MARKDOWN_FILE)


@dataclasses.dataclass
class Placeholder:
    folder: Path
    previous: dict[str, bytes | None]  # file name -> the bytes it had before the placeholder


def write_placeholder(doc: dict[str, Any], folder: Path, *, json_copy: Path | None = None) -> list[Path]:
    """The placeholder's report files in `folder`, under the folder's lock as every writer of them
    holds it: go-no-go.json, then the in-progress page and summary (outputs/short_page.py: no
    template, so a run loads Jinja2 and the full page at its end only); the same JSON at `json_copy`
    (--launch-json) last. The paths written; LockTimeout when another writer holds the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    encoded = dump_bytes(doc)
    written = [folder / JSON_FILE, folder / HTML_FILE, folder / MARKDOWN_FILE]
    with FileLock(folder / REPORT_FOLDER_LOCK, timeout=REPORT_LOCK_TIMEOUT_S):
        write_bytes_atomic(written[0], encoded)
        write_text_atomic(written[1], in_progress_page_html(doc))
        write_text_atomic(written[2], in_progress_page_markdown(doc))
        if json_copy is not None:
            write_bytes_atomic(json_copy, encoded)
            written.append(json_copy)
    return written


def _read_placeholder(path: Path) -> dict[str, Any] | None:
    """The document at `path` when it may be a placeholder; None when it is a finished run's.

    A finished run's document holds every check (a megabyte on 3,000 checks, issue 16): its
    "run" is read from its own line (jsonfile.dump_bytes writes one top-level key per line), and
    the document is parsed whole only when that line is missing or says the run is in progress."""
    try:
        text = path.read_text("utf-8")
    except (OSError, ValueError):
        return None
    run = _top_level_value(text, "run")
    if isinstance(run, dict) and not run.get("in_progress"):
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def _top_level_value(text: str, key: str) -> Any:
    """The value of a top-level key of a document as jsonfile.dump_bytes writes it (`\n "key": value,`
    on a line of its own: a line break inside a value is written as an escape, and a list's
    entries are indented by two spaces); None when there is no such line or it does not parse."""
    marker = f'\n "{key}": '
    start = text.find(marker)
    if start < 0:
        return None
    end = text.find("\n", start + 1)
    line = text[start + len(marker):end if end >= 0 else len(text)].rstrip().removesuffix(",")
    try:
        return json.loads(line)
    except ValueError:
        return None


RUN_LOCK_PREFIX = ".launch-run-"


def _lock_stem(since: str) -> str:
    return RUN_LOCK_PREFIX + re.sub(r"[^0-9A-Za-z]", "", since) + "-"


@dataclasses.dataclass
class RunLock:
    """The lock a run holds from its placeholder to its last write."""

    lock: FileLock
    path: Path

    def release(self) -> None:
        self.lock.release()
        self.path.unlink(missing_ok=True)


def hold_run_lock(folder: Path, since: str) -> RunLock:
    """Take the run's own lock in `folder` (a new name per run: it never waits)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_lock_stem(since)}{os.getpid()}.lock"
    lock = FileLock(path, timeout=0)
    lock.acquire()
    return RunLock(lock, path)


def _held(path: Path) -> bool:
    """Whether another process holds the run lock at `path`; a free one is a dead run's: removed."""
    lock = FileLock(path, timeout=0)
    try:
        lock.acquire()
    except LockTimeout:
        return True
    lock.release()
    path.unlink(missing_ok=True)
    return False


def record_unfinished(folder: Path) -> str | None:
    """When the report in `folder` is a placeholder left by a run that never finished, add that
    run to the history (NO_GO, never finished). When the placeholder's run still holds its lock
    it is live, not unfinished: nothing is recorded and the sentence saying so is returned."""
    doc = _read_placeholder(folder / "go-no-go.json")
    since = (doc or {}).get("run", {}).get("in_progress") if isinstance((doc or {}).get("run"), dict) else None
    live = False
    for path in sorted(folder.glob(RUN_LOCK_PREFIX + "*.lock")):
        if _held(path) and isinstance(since, str) and path.name.startswith(_lock_stem(since)):
            live = True
    if doc is None or not since:
        return None
    if live:
        return (f"another run is in progress since {since} (it holds its lock in {folder.name}/): "
                "its report will replace this run's or be replaced by it, whichever ends last")
    append_history(folder / HISTORY_FILE, doc)
    return None


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
