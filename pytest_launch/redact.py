"""The one place secrets are masked. Every writer passes its text through a Redactor.

Secrets are the values that came from ${VAR} in the environment file, passwords in URLs
(`scheme://user:password@host`) and bearer/basic credentials in header-like text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

MASK = "***"
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<password>[^@/\s]+)@")
_AUTH_HEADER = re.compile(r"(?i)\b(authorization\s*[:=]\s*['\"]?(?:bearer|basic|token)\s+)([^\s'\",}]+)")
# `password=value` (query strings, environment dumps) and `"password": "value"` (JSON, dicts);
# prose such as "search-api-key: never rotated" is left alone.
_KEYED = re.compile(r"(?i)(?<![a-z])((?:password|passwd|secret|token|api[_-]?key)\s*=\s*['\"]?)([^\s'\",}&]{4,})"
                    r"|(?<![a-z])((?:password|passwd|secret|token|api[_-]?key)['\"]\s*:\s*['\"])([^'\"]{4,})")


class Redactor:
    """Masks the known secret values and the credential patterns in text and data."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is masked whole.
        # Very short values (one or two characters) would mask ordinary text; they are not secrets.
        self._secrets = sorted({s for s in secrets if len(s) >= 3}, key=len, reverse=True)

    def add(self, secrets: Iterable[str]) -> None:
        self._secrets = sorted(set(self._secrets) | {s for s in secrets if len(s) >= 3}, key=len, reverse=True)

    @property
    def secrets(self) -> list[str]:
        return list(self._secrets)

    def text(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
        text = _AUTH_HEADER.sub(lambda m: m.group(1) + MASK, text)
        text = _KEYED.sub(lambda m: (m.group(1) or m.group(3)) + MASK, text)
        return text

    def data(self, value: Any) -> Any:
        """A copy of JSON-like data with every string redacted (keys included)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.data(v) for v in value]
        return value
