"""The overall deadline of a network call, and the bounds every timeout and retry setting obeys.

A per-read timeout does not bound a call: a server that sends one byte every second never lets a
read time out, whether it drips the status line, the headers or the body. Every HTTP call of the
probes therefore has an overall deadline,

    deadline = timeout x (retries + 1) + the backoff pauses between attempts

that holds for the whole request: connect, TLS handshake, status line, headers, body, and every
retry. Neither requests nor urllib3 offers one (urllib3's `Timeout(total=...)` bounds connect +
each read, per read; requests' `timeout` is per read too), so a small watchdog does it:

- a `DeadlineAdapter` (a requests HTTPAdapter) makes urllib3 use connection classes that hand
  every socket they open or reuse to the watchdog of the request running on that thread;
- `request_within` arms a watchdog (a threading.Timer) for `deadline_s`; when it fires, it shuts
  down every socket of that request (`shutdown(SHUT_RDWR)` on a duplicate of the descriptor, so
  no descriptor is closed under another thread), which makes the blocked read return at once,
  and any new connection (a retry) is refused. The request then fails with DeadlineExceeded.
  Whether the deadline has passed is read from the clock as well (`Watchdog.expired`): the
  timer's thread can run late on a busy machine, and a late answer must not count.

The body is also read in small reads with the deadline checked between them, so a call ends at
the deadline (plus the scheduling of one thread), never a read timeout later.

Settings: every timeout is a finite number of seconds above 0 and at most MAX_TIMEOUT_S; every
retry count an integer from 0 to MAX_RETRIES. `inf`, `nan`, 0, negative or huge values are
usage errors naming the file, key, expected and found.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3 import exceptions as urllib3_exceptions
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

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


class _Expired(Exception):
    """Raised inside urllib3 when a retry would open a connection after the deadline. Not an
    OSError, so urllib3 does not retry it; request_within turns it into DeadlineExceeded."""


class Watchdog:
    """The deadline of one request: at `deadline_s` it shuts down every socket handed to it.

    Whether the deadline has passed is read from the clock, not only from the timer: on a busy
    machine the timer's thread can run late, and an answer that came after the deadline must not
    count because the thread that would have cut it off had not been scheduled yet (a 1 µs
    timeout passed a check that way under load). Once the call ends (`armed` exits) the clock is
    read at that moment, so a check made just after a call that ended in time does not find it late."""

    def __init__(self, deadline_s: float) -> None:
        self.deadline_s = deadline_s
        self._fired = False
        self._ends: float | None = None  # the deadline on the monotonic clock, once armed
        self._ended: float | None = None  # when the call ended (disarmed)
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(deadline_s, self._fire)
        self._timer.daemon = True

    @property
    def expired(self) -> bool:
        """The deadline has passed (the timer fired, or the clock says so)."""
        if self._fired:
            return True
        if self._ends is None:
            return False
        return (self._ended if self._ended is not None else time.monotonic()) >= self._ends

    def watch(self, sock: socket.socket) -> None:
        """Shut `sock` down at the deadline (at once when it has passed). A duplicate of its
        descriptor is kept: shutting that down ends the connection for every descriptor of it,
        and closing it never closes the one urllib3 holds."""
        try:
            watched = socket.socket(fileno=os.dup(sock.fileno()))
        except OSError:
            return  # already closed: nothing left to cut off
        with self._lock:
            self._sockets.append(watched)
            if self.expired:
                _shut_down(watched)

    def _fire(self) -> None:
        with self._lock:
            self._fired = True
            for watched in self._sockets:
                _shut_down(watched)

    @contextlib.contextmanager
    def armed(self) -> Iterator[Watchdog]:
        token = _CURRENT.set(self)
        self._ends = time.monotonic() + self.deadline_s
        self._timer.start()
        try:
            yield self
        finally:
            self._ended = time.monotonic()
            self._timer.cancel()
            _CURRENT.reset(token)
            with self._lock:
                for watched in self._sockets:
                    watched.close()
                self._sockets.clear()


def _shut_down(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


# the watchdog of the request running in this thread (each fan_out worker thread has its own)
_CURRENT: contextvars.ContextVar[Watchdog | None] = contextvars.ContextVar("launch_watchdog", default=None)


class _Watched:
    """Mixed into urllib3's connections: every socket opened (before the TLS handshake) and
    every connection used for a request (a reused keep-alive one too) goes to the watchdog."""

    sock: socket.socket | None

    def _new_conn(self) -> socket.socket:
        watchdog = _CURRENT.get()
        if watchdog is not None and watchdog.expired:
            raise _Expired(f"no new connection after the overall deadline of {watchdog.deadline_s:g}s")
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        if watchdog is not None:
            watchdog.watch(sock)
            self._watched_by = watchdog
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        watchdog = _CURRENT.get()
        if watchdog is not None and getattr(self, "_watched_by", None) is not watchdog and self.sock is not None:
            watchdog.watch(self.sock)
            self._watched_by = watchdog
        super().request(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections obey request_within's watchdog (HTTP/HTTPS proxies too;
    through a SOCKS proxy only the body is bounded by the deadline)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _WATCHED_POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> PoolManager:
        manager: PoolManager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _WATCHED_POOLS
        return manager


def deadline_session() -> requests.Session:
    """A requests Session whose http(s) adapters are DeadlineAdapters (mount your own
    DeadlineAdapter for other retry settings)."""
    session = requests.Session()
    session.mount("http://", DeadlineAdapter())
    session.mount("https://", DeadlineAdapter())
    return session


def request_within(session: requests.Session, method: str, url: str, *, timeout: float,
                   deadline_s: float, **kwargs: Any) -> requests.Response:
    """`session.request(...)` whose whole answer (connect, status line, headers, body, retries)
    must arrive within `deadline_s` seconds; each connect and read also within `timeout`.
    Raises DeadlineExceeded (a requests Timeout) when it did not. The session's adapter for
    `url` must be a DeadlineAdapter (else the headers would be bounded per read only)."""
    if not isinstance(session.get_adapter(url), DeadlineAdapter):
        raise TypeError(f"request_within needs a DeadlineAdapter mounted for {url}")
    watchdog = Watchdog(deadline_s)
    with watchdog.armed():
        try:
            return _read_whole(session, method, url, timeout, watchdog, **kwargs)
        except Exception as error:
            if watchdog.expired and not isinstance(error, DeadlineExceeded):
                raise DeadlineExceeded(_late(deadline_s, None)) from None
            raise


def _late(deadline_s: float, body_bytes: int | None) -> str:
    came = "" if body_bytes is None else f"; {body_bytes} body bytes came"
    return (f"no answer within {deadline_s:g}s (the overall deadline for connect, status line, "
            f"headers and body{came})")


def _read_whole(session: requests.Session, method: str, url: str, timeout: float, watchdog: Watchdog,
                **kwargs: Any) -> requests.Response:
    response = session.request(method, url, timeout=timeout, stream=True, **kwargs)
    try:
        chunks: list[bytes] = []
        while True:
            if watchdog.expired:
                raise DeadlineExceeded(_late(watchdog.deadline_s, sum(map(len, chunks))))
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
    if watchdog.expired:  # the watchdog's shutdown can look like the end of a body without a length
        response.close()
        raise DeadlineExceeded(_late(watchdog.deadline_s, sum(map(len, chunks))))
    response._content = b"".join(chunks)  # what requests' own .content would have read
    response._content_consumed = True  # type: ignore[attr-defined]  # requests' private flag, untyped
    response.close()
    return response
