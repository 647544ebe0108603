"""Render every human output of one run from its results document: go-no-go.html,
go-no-go.md (also to $GITHUB_STEP_SUMMARY), the history line, and for a T+1 run the
post-launch report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_launch.outputs.atomic import write_text_atomic
from pytest_launch.outputs.history import HISTORY_FILE, append_history, read_history
from pytest_launch.outputs.html import render_html
from pytest_launch.outputs.markdown import render_markdown, write_step_summary


def render_all(doc: dict[str, Any], folder: Path, *, record_history: bool = True) -> list[Path]:
    """Write the renderings into `folder` (reports/<env>/); returns the paths written."""
    history_file = folder / HISTORY_FILE
    earlier = read_history(history_file)
    written: list[Path] = []
    html_path = folder / "go-no-go.html"
    write_text_atomic(html_path, render_html(doc, earlier))
    written.append(html_path)
    markdown = render_markdown(doc)
    md_path = folder / "go-no-go.md"
    write_text_atomic(md_path, markdown)
    written.append(md_path)
    write_step_summary(markdown)
    if _is_post_launch(doc):
        try:
            from pytest_launch.postlaunch import render_post_launch
        except ImportError:
            pass
        else:
            post_path = folder / "post-launch.md"
            write_text_atomic(post_path, render_post_launch(doc, earlier))
            written.append(post_path)
    if record_history:
        append_history(history_file, doc)
        written.append(history_file)
    return written


def _is_post_launch(doc: dict[str, Any]) -> bool:
    return "t_plus_1" in (doc.get("run", {}).get("markexpr") or "")
