"""Servers that give no (whole) answer, on loopback, for the "no answer" and deadline tests:

- `slow_drip_server`: an HTTP server that sends its headers, then its body one byte every 0.2 s
  (for at most 60 s, then it stops by itself): a per-read timeout never fires against it.
  Path `/drip-status` drips the status line instead, `/drip-headers` a header, one byte every
  0.5 s (the answer never gets past them).
- `silent_tcp_server`: accepts connections and never sends a byte (connect works, reads time out).
- `tls_abort_server`: accepts, reads the ClientHello, and closes: a TLS handshake that fails
  before any certificate is seen.
- `tls_drip_server`: reads the ClientHello, then drips a handshake record one byte every 0.5 s
  (a per-read timeout never fires; only the handshake's overall deadline ends it).
- `dns_servfail_server`: a UDP DNS server answering SERVFAIL to every query.
- `dns_silent_server`: a bound UDP socket that reads queries and never answers.

Each runs in a daemon thread of the test process, bounded in time, stopped at the end of the session.
"""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import dns.message
import dns.rcode
import pytest

DRIP_INTERVAL_S = 0.2
DRIP_MAX_S = 60.0
HEAD_DRIP_INTERVAL_S = 0.5


@dataclass
class Server:
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class _DripHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(5)
        try:
            request = self.request.recv(65536)  # the request (small, one read is enough here)
            path = (request.split(b" ", 2)[1:2] or [b""])[0]
            if path.startswith((b"/drip-status", b"/drip-headers")):
                self._drip_head(b"HTTP/1.1 200 OK\r\n" if path.startswith(b"/drip-headers") else b"")
                return
            body_length = int(DRIP_MAX_S / DRIP_INTERVAL_S)
            self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Content-Length: %d\r\nConnection: close\r\n\r\n" % body_length)
            stop = time.monotonic() + DRIP_MAX_S
            while time.monotonic() < stop and not self.server.stopping.is_set():  # type: ignore[attr-defined]
                self.request.sendall(b" ")
                self.server.stopping.wait(DRIP_INTERVAL_S)  # type: ignore[attr-defined]
        except OSError:
            pass  # the client gave up: that is the point

    def _drip_head(self, sent: bytes) -> None:
        """Send `sent`, then an endless status line or header, one byte every 0.5 s."""
        self.request.sendall(sent + (b"X-Drip: " if sent else b"HTTP/1.1 2"))
        stop = time.monotonic() + DRIP_MAX_S
        while time.monotonic() < stop and not self.server.stopping.is_set():  # type: ignore[attr-defined]
            self.request.sendall(b"0" if not sent else b"x")
            self.server.stopping.wait(HEAD_DRIP_INTERVAL_S)  # type: ignore[attr-defined]


class _SilentHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.server.stopping.wait(DRIP_MAX_S)  # type: ignore[attr-defined]


class _AbortHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(5)
        try:
            self.request.recv(65536)  # the ClientHello, then close without a ServerHello
        except OSError:
            pass


class _TlsDripHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(5)
        try:
            self.request.recv(65536)  # the ClientHello
            self.request.sendall(b"\x16\x03\x03\x40\x00")  # a handshake record of 16 KiB, never completed
            stop = time.monotonic() + DRIP_MAX_S
            while time.monotonic() < stop and not self.server.stopping.is_set():  # type: ignore[attr-defined]
                self.request.sendall(b"\x00")
                self.server.stopping.wait(HEAD_DRIP_INTERVAL_S)  # type: ignore[attr-defined]
        except OSError:
            pass


class _ServfailHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, sock = self.request
        try:
            query = dns.message.from_wire(data)
        except Exception:  # noqa: BLE001 - not DNS: ignore it
            return
        answer = dns.message.make_response(query)
        answer.set_rcode(dns.rcode.SERVFAIL)
        sock.sendto(answer.to_wire(), self.client_address)


class _ThreadingTCP(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _ThreadingUDP(socketserver.ThreadingUDPServer):
    daemon_threads = True


def _serve(server_class: type, handler: type) -> Iterator[Server]:
    server = server_class(("127.0.0.1", 0), handler)
    server.stopping = threading.Event()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield Server(server.server_address[1])
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def slow_drip_server() -> Iterator[Server]:
    yield from _serve(_ThreadingTCP, _DripHandler)


@pytest.fixture(scope="session")
def silent_tcp_server() -> Iterator[Server]:
    yield from _serve(_ThreadingTCP, _SilentHandler)


@pytest.fixture(scope="session")
def tls_abort_server() -> Iterator[Server]:
    yield from _serve(_ThreadingTCP, _AbortHandler)


@pytest.fixture(scope="session")
def tls_drip_server() -> Iterator[Server]:
    yield from _serve(_ThreadingTCP, _TlsDripHandler)


@pytest.fixture(scope="session")
def dns_servfail_server() -> Iterator[Server]:
    yield from _serve(_ThreadingUDP, _ServfailHandler)


@pytest.fixture(scope="session")
def dns_silent_server() -> Iterator[Server]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # bound, read by nobody: queries go unanswered
    sock.bind(("127.0.0.1", 0))
    yield Server(sock.getsockname()[1])
    sock.close()
