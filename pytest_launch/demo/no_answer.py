"""Demo servers that give no answer, for the demo faults of "one meaning for no answer":

- `tls_no_handshake`: a TCP server on 127.0.0.1 that reads the ClientHello and closes, listed as a
  third [tls] endpoint: the TLS handshake fails before any certificate is seen (INF-04 errors).
- `dns_servfail`: a UDP DNS server answering SERVFAIL to every query, made the [dns] resolver
  (INF-05's expected records error: no answer, no evidence).

Each runs in a daemon thread and is stopped with the demo.
"""

from __future__ import annotations

import socketserver
import threading
from typing import Any

import dns.message
import dns.rcode

NO_ANSWER_FAULTS = frozenset({"tls_no_handshake", "dns_servfail"})


class _AbortHandshake(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(5)
        try:
            self.request.recv(65536)  # the ClientHello; then close without a ServerHello
        except OSError:
            pass


class _Servfail(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, sock = self.request
        try:
            answer = dns.message.make_response(dns.message.from_wire(data))
        except Exception:  # noqa: BLE001 - not a DNS query: no answer
            return
        answer.set_rcode(dns.rcode.SERVFAIL)
        sock.sendto(answer.to_wire(), self.client_address)


class _TCP(socketserver.ThreadingTCPServer):
    daemon_threads = True


class _UDP(socketserver.ThreadingUDPServer):
    daemon_threads = True


class NoAnswerServer:
    """One of the servers above on 127.0.0.1 (a free port), serving in a daemon thread."""

    def __init__(self, kind: str) -> None:
        server_class, handler = {"tls": (_TCP, _AbortHandshake), "dns": (_UDP, _Servfail)}[kind]
        self._server: Any = server_class(("127.0.0.1", 0), handler)
        self.port: int = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
