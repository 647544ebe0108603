"""Outside text made inert in GitHub-flavoured Markdown: the one escaper of every Markdown file
the plugin writes (the summary, the in-progress and error pages, the plan, the post-launch
report). A module of its own: the in-progress page, written before a run's first check, loads it
without the summary's renderer and the digest it reads (issue 16)."""

from __future__ import annotations

import re
from typing import Any

TEXT_LIMIT = 200

# Inline markup characters. Block markers (#, -, +, 1.) only act at the start of a line, and
# escaped text never starts one here; ( ) and ! only act after ] or before [, which are escaped.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]|~])")


def md_escape(value: Any, limit: int = TEXT_LIMIT) -> str:
    """Outside text made inert for GitHub-flavoured Markdown: one line, no HTML, no markup."""
    text = "" if value is None else str(value)
    text = " ".join(text.split())  # newlines would end a list item or a table row
    if len(text) > limit:
        text = text[: limit - 1] + "\u2026"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)
