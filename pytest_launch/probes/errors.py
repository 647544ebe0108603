"""The one error type of every probe: a clear message naming the target, never a secret."""

from __future__ import annotations

import re
from collections.abc import Iterable

_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@")
_MASK = "***"


def mask_secrets(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with the userinfo of every URL (``user:password@``) and every known secret masked."""
    text = _USERINFO.sub(lambda m: f"{m.group('scheme')}{_MASK}@", text)
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, _MASK)
    return text


class ProbeError(Exception):
    """A probe could not measure what it was asked to: connection refused, timeout, DNS failure,
    handshake failure, HTTP 5xx, an API error. Never a pass.

    ``target`` names what was probed (a URL, host:port, bucket); the message is masked: no
    password from a URL and no known secret ever appears in it.
    """

    def __init__(self, target: str, problem: str, secrets: Iterable[str] = ()) -> None:
        self.target = mask_secrets(str(target), secrets)
        self.problem = mask_secrets(str(problem), secrets)
        super().__init__(f"{self.target}: {self.problem}")

    def __reduce__(self):  # picklable (xdist, concurrent.futures process pools)
        return (ProbeError, (self.target, self.problem))
