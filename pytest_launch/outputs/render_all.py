"""Every output of one results document in its report folder: go-no-go.json, the history line,
go-no-go.html (with the trend read back from the history) and go-no-go.md, plus the GitHub step
summary when $GITHUB_STEP_SUMMARY is set, and post-launch.md for a run that measured the
success criteria (`pytest -m t_plus_1`).

The three files can never disagree:
- the whole write (JSON, history, renderings) holds the folder's lock (outputs/locks.py,
  `.go-no-go.lock`), so two runs writing one folder at once are serialised: a second writer
  waits up to REPORT_LOCK_TIMEOUT_S, then is refused with a clear message, never interleaved;
- the page and the summary read the document through one digest (outputs/digest.py), computed
  once per write with the same previous run; a rendering that fails (the digest too: then both)
  is replaced by an error page (HTML and Markdown, no template, every string escaped) that shows
  the JSON's verdict, headline and reasons;
- history lines that do not fit the schema are skipped and listed in the document's
  `history_problems` (and on the terminal), never allowed to break the renderings.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pytest_launch.outputs.atomic import write_bytes_atomic, write_text_atomic
from pytest_launch.outputs.digest import Digest, digest, previous_run
from pytest_launch.outputs.history import HISTORY_FILE, append_history_entry, history_entry, read_history_checked
from pytest_launch.outputs.html import render_html
from pytest_launch.outputs.jsonfile import dump_bytes
from pytest_launch.outputs.locks import REPORT_FOLDER_LOCK, REPORT_LOCK_TIMEOUT_S, FileLock, LockTimeout
from pytest_launch.outputs.markdown import render_markdown, write_step_summary
from pytest_launch.outputs.postlaunch import POST_LAUNCH_FILE, is_success_check, render_post_launch
from pytest_launch.outputs.short_page import (
    HTML_FILE,
    JSON_FILE,
    MARKDOWN_FILE,
    error_page_html,
    error_page_markdown,
)

HISTORY_RUNS = 30


class ReportFolderBusy(OSError):
    """Another writer held the report folder's lock for longer than REPORT_LOCK_TIMEOUT_S."""


def write_report(doc: dict[str, Any], folder: Path, *, write_json: bool = True, record_history: bool = True,
                 history_file: Path | None = None, step_summary: bool = True,
                 lock_timeout_s: float = REPORT_LOCK_TIMEOUT_S, json_copy: Path | None = None) -> list[Path]:
    """Write every output of `doc` into `folder` under the folder's lock; returns the paths written.

    write_json: write go-no-go.json too (False for `launch render`, which re-renders an
    existing one). json_copy: also write the same JSON text there (--launch-json), encoded once.
    record_history: append this run to the history (a run's end); False when re-rendering an old
    document, which must not add a run that did not happen.
    Problems in the history are recorded in `doc["history_problems"]` (the caller's dict).

    One pass over the one in-memory document: the JSON is encoded once, the history line is
    summarised once (appended, and the newest point of the page's trend), the digest is computed
    once, and the HTML and Markdown are rendered from the same dict and digest; nothing is read
    back from the files written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(folder / REPORT_FOLDER_LOCK), timeout=lock_timeout_s)
    try:
        with lock:
            return _write_locked(doc, folder, write_json, record_history, history_file, step_summary, json_copy)
    except LockTimeout:
        raise ReportFolderBusy(0, f"another run has been writing this report folder for {lock_timeout_s:.0f}s "
                                  f"(lock {REPORT_FOLDER_LOCK}); refused rather than mixing two runs' reports",
                               str(folder)) from None


def render_all(doc: dict[str, Any], folder: Path, *, record_history: bool = True,
               history_file: Path | None = None, step_summary: bool = True) -> list[Path]:
    """The renderings (and the history line) of `doc` into `folder`, without writing the JSON."""
    return write_report(doc, folder, write_json=False, record_history=record_history,
                        history_file=history_file, step_summary=step_summary)


def _write_locked(doc: dict[str, Any], folder: Path, write_json: bool, record_history: bool,
                  history_file: Path | None, step_summary: bool, json_copy: Path | None) -> list[Path]:
    history_path = Path(history_file) if history_file is not None else folder / HISTORY_FILE
    history = read_history_checked(history_path, HISTORY_RUNS)
    if history.problems:
        doc["history_problems"] = history.problems
    else:
        doc.pop("history_problems", None)
    written: list[Path] = []
    encoded = dump_bytes(doc) if write_json or json_copy is not None else b""
    if write_json:  # the source of truth first: a failing rendering never costs it
        write_bytes_atomic(folder / JSON_FILE, encoded)
        written.append(folder / JSON_FILE)
    runs = list(history.runs)
    if record_history:
        entry = history_entry(doc)
        append_history_entry(history_path, entry)
        written.append(history_path)
        runs = (runs + [entry])[-HISTORY_RUNS:]
    meeting = _digest_or_failure(doc, runs)  # computed once, for the page and the summary alike
    html_path = folder / HTML_FILE
    write_text_atomic(html_path, _rendered(lambda: render_html(doc, runs, summary=_given(meeting)), error_page_html, doc,
                                           "HTML page"))
    written.append(html_path)
    markdown = _rendered(lambda: render_markdown(doc, runs, summary=_given(meeting)), error_page_markdown, doc,
                         "Markdown summary")
    markdown_path = folder / MARKDOWN_FILE
    write_text_atomic(markdown_path, markdown)
    written.append(markdown_path)
    if step_summary:
        write_step_summary(markdown)
    if any(is_success_check(c) for c in _checks(doc)):
        post_launch = folder / POST_LAUNCH_FILE
        write_text_atomic(post_launch, _rendered(lambda: render_post_launch(doc, runs), error_page_markdown, doc,
                                                 "post-launch report"))
        written.append(post_launch)
    if json_copy is not None:  # last: a path outside the folder that fails leaves the folder whole
        write_bytes_atomic(json_copy, encoded)
        written.append(json_copy)
    return written


def _checks(doc: dict[str, Any]) -> list[dict[str, Any]]:
    checks = doc.get("checks")
    return [c for c in checks if isinstance(c, dict)] if isinstance(checks, list) else []


def _digest_or_failure(doc: dict[str, Any], runs: list[dict[str, Any]]) -> Digest | Exception:
    """The one reading of `doc` (and its previous run) that the page and the summary both show;
    the exception when computing it fails, for each rendering to raise (and so fall back to its
    error page, exactly as if it had computed the digest itself)."""
    try:
        return digest(doc, previous_run(doc, runs))
    except Exception as exc:  # raised again by _given inside each rendering
        return exc


def _given(meeting: Digest | Exception) -> Digest:
    if isinstance(meeting, Exception):
        raise meeting
    return meeting


def _rendered(render: Any, error_page: Any, doc: dict[str, Any], what: str) -> str:
    """The rendering, or the error page when rendering fails (reported on stderr by type only:
    an exception's text may quote the document)."""
    try:
        return str(render())
    except Exception as exc:  # a rendering bug must never leave a page that disagrees with the JSON
        print(f"pytest-launch: could not render the {what} ({type(exc).__name__}); "
              f"wrote an error page that shows the JSON's verdict instead", file=sys.stderr)
        return str(error_page(doc, type(exc).__name__))
