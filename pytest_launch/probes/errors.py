"""The one error type of every probe: a clear message naming the target, never a secret."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from pytest_launch.core.redact import Redactor

_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@")
_MASK = "***"


def mask_secrets(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every known secret masked (by the one Redactor: every form, every fragment)
    and the whole userinfo of every URL (``user:password@``)."""
    text = _redactor(frozenset(s for s in secrets if s)).text(text)
    return _USERINFO.sub(lambda m: f"{m.group('scheme')}{_MASK}@", text)


@functools.lru_cache(maxsize=32)
def _redactor(secrets: frozenset[str]) -> Redactor:
    return Redactor(secrets)


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

    def __reduce__(self) -> tuple[type[ProbeError], tuple[str, str]]:  # picklable (xdist, concurrent.futures process pools)
        return (ProbeError, (self.target, self.problem))


class NoAnswer(ProbeError):
    """The target gave no answer at all: connection refused or reset, a connect or read timeout,
    the overall deadline, a TLS handshake that failed before any certificate was seen, a DNS
    lookup that timed out or SERVFAILed. No evidence either way, so the check ends in *error*
    (blocks, never waivable as a failure). A target that answered something wrong is a failure."""

    def __reduce__(self) -> tuple[type[ProbeError], tuple[str, str]]:
        return (NoAnswer, (self.target, self.problem))


class WrongAnswer(AssertionError):
    """The target answered, and the answer is wrong (a DNS server that is not authoritative for
    its zone, ...): evidence of a problem, so the check *fails*."""


def conclude(unanswered: list[ProbeError], problems: list[str], what: str = "targets") -> list[str]:
    """The one meaning of "no answer" for a check over many targets: when any target gave no
    answer, the check has no evidence about it, so it ends in *error* (NoAnswer naming every such
    target, and what was found wrong on the others) even when others answered wrongly: a waiver
    of the failures must never hide a target nobody could reach. Otherwise the problems found
    are returned for the check to assert on."""
    if unanswered:
        lines = [str(e) for e in unanswered]
        if problems:
            lines.append("also found on the targets that answered: " + "; ".join(problems))
        raise NoAnswer(f"{len(unanswered)} of the {what}", "no answer: " + "\n".join(lines))
    return problems
