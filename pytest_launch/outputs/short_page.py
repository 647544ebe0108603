"""Pages without a template: the verdict, the headline, one note and the reasons of a results
document, every string escaped. Two uses:

- the error page, written when a rendering fails, so that a page never disagrees with the JSON;
- the in-progress page, written before any check runs (outputs/in_progress.py): NO_GO, "in
  progress since …, never finished", until the end of the run replaces it with the full page.

Neither needs Jinja2 or the page's template: a run pays for the full renderings once, at its
end, and holds none of their modules while its checks run (issue 16)."""

from __future__ import annotations

import html
from typing import Any

from pytest_launch.outputs.markdown_text import md_escape

JSON_FILE = "go-no-go.json"
HTML_FILE = "go-no-go.html"
MARKDOWN_FILE = "go-no-go.md"


def _summary_of(doc: dict[str, Any]) -> tuple[str, str, list[str]]:
    verdict = str(doc.get("display_verdict") or doc.get("verdict") or "UNKNOWN")  # as the full page shows it
    headline = str(doc.get("headline") or "")
    reasons: list[Any] = doc["reasons"] if isinstance(doc.get("reasons"), list) else []
    texts = []
    for reason in reasons:
        if isinstance(reason, dict):
            mark = "BLOCKING" if reason.get("blocking") else "note"
            texts.append(f"{mark}: {reason.get('text', '')}")
        else:
            texts.append(str(reason))
    return verdict, headline, texts


def summary_page_html(doc: dict[str, Any], note: str, note_id: str) -> str:
    """The simplest page that shows the document's verdict, headline and reasons, with `note`
    (plain text, escaped here) in a paragraph of id `note_id`."""
    verdict, headline, reasons = _summary_of(doc)
    esc = html.escape
    items = "".join(f"<li>{esc(text)}</li>" for text in reasons) or "<li>none</li>"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            # nothing to load and nothing to run: a page that shows text only
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\">"
            f"<title>Launch decision: {esc(verdict)}</title></head><body>\n"
            f"<h1 id=\"verdict\">Launch decision: <span class=\"verdict-word\" "
            f"data-verdict=\"{esc(str(doc.get('verdict') or 'UNKNOWN'))}\">{esc(verdict)}</span></h1>\n"
            f"<p>{esc(headline)}</p>\n"
            f"<p id=\"{esc(note_id)}\"><strong>{esc(note)}</strong></p>\n"
            f"<h2>Reasons</h2>\n<ul>{items}</ul>\n</body></html>\n")


def summary_page_markdown(doc: dict[str, Any], note: str) -> str:
    """The Markdown twin of summary_page_html."""
    verdict, headline, reasons = _summary_of(doc)
    lines = [f"## {md_escape(verdict, 40)} \u2014 launch decision", "", md_escape(headline), "",
             f"**{md_escape(note)}**", "", "### Reasons", ""]
    lines += [f"- {md_escape(text)}" for text in reasons] or ["- none"]
    return "\n".join(lines) + "\n"


def _error_note(error: str, what: str, shows: str) -> str:
    return f"The full {what} could not be rendered ({error}); {shows} the verdict and reasons of {JSON_FILE}, which is complete."


def error_page_html(doc: dict[str, Any], error: str) -> str:
    """The page written when the full page fails to render: the JSON's verdict, never another."""
    return summary_page_html(doc, _error_note(error, "report", "this page shows"), "render-error")


def error_page_markdown(doc: dict[str, Any], error: str) -> str:
    """The Markdown twin of error_page_html."""
    return summary_page_markdown(doc, _error_note(error, "summary", "this shows"))


def _in_progress_note(doc: dict[str, Any]) -> str:
    run = doc.get("run")
    since = (run.get("in_progress") if isinstance(run, dict) else None) or "?"
    return (f"IN PROGRESS since {since}, never finished: a run started here and has not (yet) written its "
            f"result. Its full report replaces this page when it ends; a run killed or crashed leaves this "
            f"page, never an earlier verdict.")


def in_progress_page_html(doc: dict[str, Any]) -> str:
    """The page of a run that has not finished (the placeholder's)."""
    return summary_page_html(doc, _in_progress_note(doc), "in-progress")


def in_progress_page_markdown(doc: dict[str, Any]) -> str:
    """The Markdown twin of in_progress_page_html."""
    return summary_page_markdown(doc, _in_progress_note(doc))
