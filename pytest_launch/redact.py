"""The one place secrets are masked. Every writer passes its text through a Redactor.

Secrets are the values that came from ${VAR} in the environment file, passwords in URLs
(`scheme://user:password@host`) and bearer/basic credentials in header-like text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

MASK = "***"
# The scheme is bounded: an unbounded one made the search quadratic (a 1 MB message took minutes).
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]{0,31}://)(?P<user>[^:/@\s]*):(?P<password>[^@/\s]+)@")
_AUTH_HEADER = re.compile(r"(?i)\b(authorization\s*[:=]\s*['\"]?(?:bearer|basic|token)\s+)([^\s'\",}]+)")
# `password=value` (query strings, environment dumps) and `"password": "value"` (JSON, dicts);
# prose such as "search-api-key: never rotated" is left alone.
_KEYED = re.compile(r"(?i)(?<![a-z])((?:password|passwd|secret|token|api[_-]?key)\s*=\s*['\"]?)([^\s'\",}&]{4,})"
                    r"|(?<![a-z])((?:password|passwd|secret|token|api[_-]?key)['\"]\s*:\s*['\"])([^'\"]{4,})")
# A word every credential pattern above needs (same flags): text without one skips them all.
_MAY_HOLD_CREDENTIALS = re.compile(r"(?i)passw|secret|token|api|authorization")
# text() is called for every string of every report (metadata, evidence, messages) and again for
# the whole document; most strings repeat (marker names, owners, evidence keys): remember them.
_CACHE_MAX_TEXT = 512
_CACHE_MAX_ENTRIES = 50_000


class Redactor:
    """Masks the known secret values and the credential patterns in text and data."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is masked whole.
        # Very short values (one or two characters) would mask ordinary text; they are not secrets.
        self._secrets = sorted({s for s in secrets if len(s) >= 3}, key=len, reverse=True)
        self._masked: dict[str, str] = {}

    def add(self, secrets: Iterable[str]) -> None:
        self._secrets = sorted(set(self._secrets) | {s for s in secrets if len(s) >= 3}, key=len, reverse=True)
        self._masked.clear()

    @property
    def secrets(self) -> list[str]:
        return list(self._secrets)

    def text(self, text: str) -> str:
        masked = self._masked.get(text)
        if masked is not None:
            return masked
        masked = self._mask(text)
        if len(text) <= _CACHE_MAX_TEXT and len(self._masked) < _CACHE_MAX_ENTRIES:
            self._masked[text] = masked
        return masked

    def _mask(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        if "://" in text:
            text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
        if _MAY_HOLD_CREDENTIALS.search(text):
            text = _AUTH_HEADER.sub(lambda m: m.group(1) + MASK, text)
            text = _KEYED.sub(lambda m: (m.group(1) or m.group(3)) + MASK, text)
        return text

    def data(self, value: Any) -> Any:
        """A copy of JSON-like data with every string redacted (keys included)."""
        return map_strings(value, self.text)


def map_strings(value: Any, change: Callable[[str], str]) -> Any:
    """A copy of JSON-like data (dicts, lists, tuples as lists) with `change` applied to every
    string, dictionary keys included."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {change(str(k)): map_strings(v, change) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [map_strings(v, change) for v in value]
    return value
