"""The overall deadline of a network call, and the bounds every timeout and retry setting obeys.

A per-read timeout does not bound a call: a server that sends one byte every second never lets a
read time out. Every HTTP call of the probes therefore has an overall deadline,

    deadline = timeout x (retries + 1) + the backoff pauses between attempts

checked between the reads of the body (streamed in small reads, so a slow drip is cut off), on
top of urllib3's connect and read timeouts per attempt. A call ends within the deadline plus at
most one read timeout (the read in flight when the deadline passes).

Settings: every timeout is a finite number of seconds above 0 and at most MAX_TIMEOUT_S; every
retry count an integer from 0 to MAX_RETRIES. `inf`, `nan`, 0, negative or huge values are
usage errors naming the file, key, expected and found.
"""

from __future__ import annotations

import math
import time
from typing import Any

import requests
from urllib3 import exceptions as urllib3_exceptions

MAX_TIMEOUT_S = 300.0
MAX_RETRIES = 10
READ_SIZE = 64 * 1024


class DeadlineExceeded(requests.exceptions.Timeout):
    """The whole answer did not arrive within the call's overall deadline."""


def timeout_problem(key: str, value: Any) -> tuple[str, str] | None:
    """(expected, found) when `value` is not a usable timeout in seconds, else None."""
    if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
            or not 0 < value <= MAX_TIMEOUT_S):
        return (f"{key} to be a finite number of seconds above 0 and at most {MAX_TIMEOUT_S:g}", repr(value))
    return None


def retries_problem(key: str, value: Any, low: int = 0, high: int = MAX_RETRIES) -> tuple[str, str] | None:
    """(expected, found) when `value` is not a retry (or attempt) count in [low, high], else None."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return (f"{key} to be a whole number from {low} to {high}", repr(value))
    return None


def first_problem(*problems: tuple[str, str] | None) -> tuple[str, str] | None:
    return next((p for p in problems if p), None)


def overall_deadline(timeout: float, retries: int = 0, backoff_factor: float = 0.0) -> float:
    """Seconds a call with these settings may take in all: every attempt's timeout plus the
    backoff pauses between them (urllib3: backoff_factor x 2^(n-1) before retry n >= 2)."""
    pauses = sum(min(backoff_factor * 2.0 ** (n - 1), 120.0) for n in range(2, retries + 1))
    return timeout * (retries + 1) + pauses


def request_within(session: requests.Session, method: str, url: str, *, timeout: float,
                   deadline_s: float, **kwargs: Any) -> requests.Response:
    """`session.request(...)` whose whole answer (headers and body) must arrive within
    `deadline_s` seconds; each connect and read also within `timeout`. Raises DeadlineExceeded
    (a requests Timeout) when the body is still arriving at the deadline."""
    ends = time.monotonic() + deadline_s
    response = session.request(method, url, timeout=timeout, stream=True, **kwargs)
    try:
        chunks: list[bytes] = []
        while True:
            if time.monotonic() > ends:
                raise DeadlineExceeded(f"the whole answer did not arrive within {deadline_s:g}s "
                                       f"(overall deadline; {sum(map(len, chunks))} bytes came)")
            chunk = response.raw.read1(READ_SIZE, decode_content=True)
            if not chunk:
                break
            chunks.append(chunk)
    except urllib3_exceptions.ProtocolError as error:
        response.close()
        raise requests.exceptions.ChunkedEncodingError(error) from error
    except urllib3_exceptions.DecodeError as error:
        response.close()
        raise requests.exceptions.ContentDecodingError(error) from error
    except urllib3_exceptions.ReadTimeoutError as error:
        response.close()
        raise requests.exceptions.ReadTimeout(error) from error
    except urllib3_exceptions.SSLError as error:
        response.close()
        raise requests.exceptions.SSLError(error) from error
    except BaseException:
        response.close()
        raise
    response._content = b"".join(chunks)  # what requests' own .content would have read
    response._content_consumed = True  # type: ignore[attr-defined]  # requests' private flag, untyped
    response.close()
    return response
