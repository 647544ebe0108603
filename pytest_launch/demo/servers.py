"""Threaded servers of the demo: a TLS WSGI server, a plain-HTTP redirector, and their lifecycle.

The TLS handshake happens in each connection's own thread (not in the accept loop), so one
slow or silent client cannot stall the server. Request logging is off; the Server header
names no version (unless the app's fault asks for a leak).
"""

from __future__ import annotations

import socket
import ssl
import threading
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler
from werkzeug.wrappers import Request, Response

_HANDSHAKE_TIMEOUT_S = 10.0


class _QuietHandler(WSGIRequestHandler):
    server_header = "catalog"

    def version_string(self) -> str:  # the Server header
        return getattr(self.server, "server_header", self.server_header)

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass

    def log_error(self, *args: Any) -> None:
        pass

    def log(self, *args: Any, **kwargs: Any) -> None:
        pass


class DemoWSGIServer(ThreadedWSGIServer):
    """A threaded WSGI server on 127.0.0.1; with `tls`, every connection is wrapped in TLS."""

    def __init__(self, app: Any, tls: ssl.SSLContext | None = None, server_header: str = "catalog",
                 port: int = 0) -> None:
        super().__init__("127.0.0.1", port, app, handler=_QuietHandler)
        self.tls = tls
        self.server_header = server_header
        self._thread: threading.Thread | None = None

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(_HANDSHAKE_TIMEOUT_S)
        try:
            conn = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # a refused handshake (TLS 1.0 probe, port scan): nothing to serve
        try:
            conn.settimeout(30)
            super().finish_request(conn, client_address)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client hanging up mid-request is not worth a traceback on stderr

    def start(self) -> DemoWSGIServer:
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"demo-http-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def server_tls_context(cert_chain_pem: str, key_pem: str) -> ssl.SSLContext:
    """A server context that accepts TLS 1.2 and 1.3 only."""
    import tempfile
    from pathlib import Path

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    with tempfile.TemporaryDirectory() as folder:
        cert_path = Path(folder) / "cert.pem"
        key_path = Path(folder) / "key.pem"
        cert_path.write_text(cert_chain_pem)
        key_path.write_text(key_pem)
        context.load_cert_chain(str(cert_path), str(key_path))
    return context


def redirect_app(https_base: str) -> Any:
    """A WSGI app that sends every plain-HTTP request to the same path over HTTPS (301)."""

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        target = https_base.rstrip("/") + request.full_path.rstrip("?")
        response = Response("", status=301, headers={"Location": target})
        return response(environ, start_response)

    return app


def sentry_ingest_app() -> Any:
    """A stand-in for a Sentry ingest host (Relay): its liveness endpoint answers as Relay's does
    (GET /api/relay/healthcheck/live/ -> 200 {"is_healthy": true}); every other path 404."""

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/api/relay/healthcheck/live/":
            response = Response('{"is_healthy": true}', mimetype="application/json")
        else:
            response = Response('{"detail": "not found"}', status=404, mimetype="application/json")
        return response(environ, start_response)

    return app


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
