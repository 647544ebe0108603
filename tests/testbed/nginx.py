"""Test bed: nginx (Debian package nginx-light) serving HTTPS on loopback with certificates from a
CA made in the test (trustme: root -> intermediate -> leaves).

One nginx process, one server block per case, each on its own free port:

    good             leaf + intermediate, valid 1 year, TLS 1.2/1.3, HSTS and security headers,
                     a Secure/HttpOnly/SameSite cookie, /limited rate-limited (429), /broken 500
    expired          leaf expired yesterday
    expiring         leaf expiring in 10 days
    wrong_host       leaf for wrong.example.test, served to localhost
    no_intermediate  leaf only: the intermediate is missing from the chain
    legacy           also accepts TLS 1.0/1.1 (only if the local OpenSSL can still speak them)
    http             plain http that redirects to the good server

Also `silent_server`: a TCP server that accepts and never answers (for timeout tests).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from testbed.support import free_port, port_open, refusing_socket, require_binary, terminate, wait_until

HOST = "localhost"
CASES = ("good", "expired", "expiring", "wrong_host", "no_intermediate", "legacy")


@dataclasses.dataclass
class NginxTestbed:
    ca: trustme.CA                 # the root, the only trust anchor
    intermediate: trustme.CA
    ca_bundle: Path                # root certificate (PEM) to trust
    ports: dict[str, int]          # case -> port, plus "http"
    legacy_protocols_served: bool  # False when the local OpenSSL refuses to serve TLS 1.0/1.1
    directory: Path

    def url(self, case: str = "good", path: str = "/") -> str:
        scheme = "http" if case == "http" else "https"
        return f"{scheme}://{HOST}:{self.ports[case]}{path}"


_CONF = """
worker_processes 1;
{user}
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    default_type text/plain;
{http}
}}
"""


def nginx_conf(directory: Path, http: str) -> str:
    """A whole nginx.conf for a foreground nginx under `directory` (pid, logs, temp paths there),
    with `http` (server blocks and http-level directives) inside its http block."""
    return _CONF.format(user="user root;" if os.geteuid() == 0 else "", dir=directory, http=http)


_RATE_LIMIT_ZONE = """    limit_req_zone $binary_remote_addr zone=burst:1m rate=2r/s;
    limit_req_status 429;"""

_GOOD_EXTRA = """
        add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;
        add_header X-Content-Type-Options "nosniff" always;
        add_header X-Frame-Options "DENY" always;
        add_header Content-Security-Policy "default-src 'self'" always;
        add_header Referrer-Policy "strict-origin-when-cross-origin" always;
        location = /login {{ add_header Set-Cookie "session=s3cr3t-token; Path=/; Secure; HttpOnly; SameSite=Strict"; add_header Set-Cookie "theme=dark; Path=/"; add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always; return 200 "login\\n"; }}
        location = /limited {{ limit_req zone=burst burst=2 nodelay; alias {dir}/www/limited.txt; }}
        location = /broken {{ return 500 "broken\\n"; }}
        location = /moved {{ return 302 /landing; }}
        location = /landing {{ return 200 "landed\\n"; }}
"""


def _server(port: int, cert: Path | None, key: Path | None, protocols: str, ciphers: str | None,
            extra: str = "", body: str = "ok") -> str:
    if cert is None:
        return f"""
    server {{
        listen 127.0.0.1:{port};
        server_name {HOST};
        {extra}
    }}"""
    cipher_line = f"ssl_ciphers {ciphers};" if ciphers else ""
    return f"""
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name {HOST};
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols {protocols};
        {cipher_line}
        {extra}
        location / {{ return 200 "{body}\\n"; }}
    }}"""


def _write_leaf(directory: Path, name: str, leaf: trustme.LeafCert, with_chain: bool) -> tuple[Path, Path]:
    cert = directory / f"{name}.crt"
    key = directory / f"{name}.key"
    blobs = leaf.cert_chain_pems if with_chain else leaf.cert_chain_pems[:1]
    cert.write_bytes(b"".join(b.bytes() for b in blobs))
    key.write_bytes(leaf.private_key_pem.bytes())
    return cert, key


def _nginx_accepts_legacy(nginx: str, directory: Path, cert: Path, key: Path) -> bool:
    """Whether this nginx/OpenSSL loads a TLS 1.0/1.1 configuration at all (nginx -t)."""
    conf = directory / "legacy-check.conf"
    port = free_port()
    conf.write_text(nginx_conf(directory, _server(port, cert, key, "TLSv1 TLSv1.1", "DEFAULT:@SECLEVEL=0")))
    done = subprocess.run([nginx, "-t", "-p", str(directory), "-c", str(conf)], capture_output=True, timeout=10)
    return done.returncode == 0


@pytest.fixture(scope="session")
def nginx_testbed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NginxTestbed]:
    nginx = require_binary("nginx", "nginx-light")
    directory = tmp_path_factory.mktemp("nginx")
    for sub in ("tmp", "logs", "www"):
        (directory / sub).mkdir()
    (directory / "www" / "limited.txt").write_text("ok\n")  # limit_req needs a content handler, not `return`
    root = trustme.CA(organization_name="pytest-launch test root")
    intermediate = root.create_child_ca()
    now = dt.datetime.now(dt.timezone.utc)
    leaves = {
        "good": intermediate.issue_cert(HOST, "127.0.0.1", not_after=now + dt.timedelta(days=365)),
        "expired": intermediate.issue_cert(HOST, "127.0.0.1", not_before=now - dt.timedelta(days=90),
                                           not_after=now - dt.timedelta(days=1)),
        "expiring": intermediate.issue_cert(HOST, "127.0.0.1", not_after=now + dt.timedelta(days=10)),
        "wrong_host": intermediate.issue_cert("wrong.example.test", not_after=now + dt.timedelta(days=365)),
        "no_intermediate": intermediate.issue_cert(HOST, "127.0.0.1", not_after=now + dt.timedelta(days=365)),
        "legacy": intermediate.issue_cert(HOST, "127.0.0.1", not_after=now + dt.timedelta(days=365)),
    }
    ca_bundle = directory / "root-ca.pem"
    root.cert_pem.write_to_path(str(ca_bundle))
    ports = {case: free_port() for case in (*CASES, "http")}
    files = {case: _write_leaf(directory, case, leaf, with_chain=case != "no_intermediate")
             for case, leaf in leaves.items()}
    legacy_ok = _nginx_accepts_legacy(nginx, directory, *files["legacy"])
    servers = []
    for case in CASES:
        cert, key = files[case]
        if case == "legacy":
            if not legacy_ok:
                continue
            servers.append(_server(ports[case], cert, key, "TLSv1 TLSv1.1 TLSv1.2", "DEFAULT:@SECLEVEL=0", body=case))
        else:
            extra = _GOOD_EXTRA if case == "good" else ""
            servers.append(_server(ports[case], cert, key, "TLSv1.2 TLSv1.3", None, extra.format(dir=directory), body=case))
    servers.append(_server(ports["http"], None, None, "", None,
                           f"location / {{ return 301 https://{HOST}:{ports['good']}$request_uri; }}"))
    conf = directory / "nginx.conf"
    conf.write_text(nginx_conf(directory, "\n".join([_RATE_LIMIT_ZONE, *servers])))
    log = directory / "error.log"
    process = subprocess.Popen([nginx, "-p", str(directory), "-c", str(conf), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=open(directory / "stderr.log", "wb"))
    try:
        listening = [p for c, p in ports.items() if c != "legacy" or legacy_ok]

        def ready() -> bool:
            if process.poll() is not None:
                pytest.fail("nginx exited: " + (directory / "stderr.log").read_text(errors="replace")[-2000:])
            return all(port_open(p) for p in listening)

        wait_until(ready, timeout=15, what="nginx", log=log)
        yield NginxTestbed(root, intermediate, ca_bundle, ports, legacy_ok, directory)
    finally:
        terminate(process)


@dataclasses.dataclass
class SilentServer:
    port: int
    accepted: list[socket.socket]


@pytest.fixture(scope="session")
def silent_server() -> Iterator[SilentServer]:
    """A TCP server on loopback that accepts connections and never sends a byte."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)
    server = SilentServer(listener.getsockname()[1], [])
    stop = threading.Event()

    def accept_forever() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            server.accepted.append(conn)

    thread = threading.Thread(target=accept_forever, name="silent-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in server.accepted:
            conn.close()
        listener.close()


@pytest.fixture(scope="session")
def closed_port() -> Iterator[int]:
    """A loopback port with nothing listening (connection refused), held for the whole session
    so that no server started later can take it."""
    sock = refusing_socket()
    yield sock.getsockname()[1]
    sock.close()
