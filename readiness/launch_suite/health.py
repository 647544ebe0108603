"""What a health answer or a home page *says*, beyond its status code.

A 200 is not "healthy" and not "open": a health endpoint may answer 200 with a body saying the
service is down (Spring Boot's {"status": "DOWN"}, a health+json {"status": "fail"}, a plain
"DOWN"), and a site in maintenance often answers its maintenance page with 200.

    health_word(text)                 the health word of a body, or None when it states none
    maintenance_signs(...)            why an answer looks like a maintenance page (empty: it does not)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser
from typing import Any

# JSON keys that commonly hold a health verdict, most specific first (Spring Boot and the
# health+json draft use "status"; others "state", "health"; booleans "healthy", "ok", ...)
STATUS_KEYS = ("status", "state", "health", "healthy", "is_healthy", "ok", "up", "alive")
HEALTHY_WORDS = frozenset({"ok", "pass", "passed", "passing", "healthy", "up", "green", "available", "alive",
                           "ready", "serving", "success", "good", "true"})
# anything else stated (down, fail, unhealthy, out_of_service, unknown, degraded, warn, red, ...)
# is not healthy: a backend that says it is not fine is not proven fine


def _word(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)) and str(value).strip():
        return str(value).strip()
    return None


def health_word(text: str, max_plain_length: int = 40) -> tuple[str, str] | None:
    """(where, word) of the health verdict a body states: a JSON status field (`status`, `state`,
    `health`, `healthy`, ...), a JSON scalar, or a short plain-text body ("OK", "DOWN"). None
    when the body states none (an empty body, HTML, a JSON object without such a field)."""
    stripped = text.strip()
    if not stripped:
        return None
    try:
        body = json.loads(stripped)
    except ValueError:
        if len(stripped) <= max_plain_length and "<" not in stripped:
            return ("body", stripped)
        return None
    if isinstance(body, Mapping):
        lowered = {str(k).lower(): v for k, v in body.items()}
        for key in STATUS_KEYS:
            if key in lowered and _word(lowered[key]) is not None:
                return (key, _word(lowered[key]) or "")
        return None
    word = _word(body)
    return ("body", word) if word is not None else None


def is_healthy_word(word: str) -> bool:
    return word.strip().lower() in HEALTHY_WORDS


class _TitleAndHeading(HTMLParser):
    """The <title> and the first <h1> of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.heading = ""
        self._in: str | None = None
        self._headings = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "title" and not self.title:
            self._in = "title"
        elif tag == "h1" and not self._headings:
            self._in = "h1"

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1" and self._in == "h1":
            self._headings += 1
        if tag in ("title", "h1"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
        elif self._in == "h1":
            self.heading += data


def page_title_and_heading(html: str) -> tuple[str, str]:
    parser = _TitleAndHeading()
    parser.feed(html[:200_000])
    return " ".join(parser.title.split()), " ".join(parser.heading.split())


def maintenance_signs(text: str, headers: Mapping[str, str], final_url: str, markers: Iterable[str]) -> list[str]:
    """Why this answer looks like a maintenance page: a Retry-After header (the way a site says
    "come back later"), a final URL (after redirects) whose path names maintenance, or a marker
    (case-insensitive) in the page's <title> or first <h1> (a plain-text body: in its first
    200 characters). Empty when none of them holds. Only the title and heading are searched in
    HTML, so a page that merely mentions "maintenance" in its content is not taken for one."""
    signs = []
    retry_after = headers.get("Retry-After")
    if retry_after:
        signs.append(f"Retry-After: {retry_after[:40]}")
    path = final_url.split("?", 1)[0].split("://", 1)[-1].partition("/")[2].lower()
    if "maintenance" in path:
        signs.append(f"redirected to /{path[:80]}")
    title, heading = page_title_and_heading(text) if "<" in text else (text[:200], "")
    for marker in markers:
        needle = marker.strip().lower()
        if not needle:
            continue
        for where, value in (("title", title), ("heading", heading)):
            if needle in value.lower():
                signs.append(f"{where} {value[:80]!r} holds the marker {marker!r}")
                break
    return signs
