"""Every human output of one results document, written next to its go-no-go.json:
the history line, go-no-go.html (with the trend read back from the history) and go-no-go.md,
plus the GitHub step summary when $GITHUB_STEP_SUMMARY is set, and post-launch.md for a run
that measured the success criteria (`pytest -m t_plus_1`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_launch.outputs.atomic import write_text_atomic
from pytest_launch.outputs.history import HISTORY_FILE, append_history, read_history
from pytest_launch.outputs.html import render_html
from pytest_launch.outputs.markdown import render_markdown, write_step_summary
from pytest_launch.postlaunch import is_success_check, write_post_launch

HTML_FILE = "go-no-go.html"
MARKDOWN_FILE = "go-no-go.md"


def render_all(doc: dict[str, Any], folder: Path, *, record_history: bool = True,
               history_file: Path | None = None, step_summary: bool = True) -> list[Path]:
    """Write the renderings into `folder` (reports/<env>/); returns the paths written.

    record_history: append this run to the history first (a run's end); False when re-rendering
    an old document (`launch-report render`), which must not add a run that did not happen.
    """
    folder = Path(folder)
    history = Path(history_file) if history_file is not None else folder / HISTORY_FILE
    written: list[Path] = []
    if record_history:
        append_history(history, doc)
        written.append(history)
    html_path = folder / HTML_FILE
    runs = read_history(history)
    write_text_atomic(html_path, render_html(doc, runs))
    written.append(html_path)
    markdown = render_markdown(doc)
    markdown_path = folder / MARKDOWN_FILE
    write_text_atomic(markdown_path, markdown)
    written.append(markdown_path)
    if step_summary:
        write_step_summary(markdown)
    if any(is_success_check(c) for c in doc.get("checks") or [] if isinstance(c, dict)):
        written.append(write_post_launch(folder, doc, runs))
    return written
