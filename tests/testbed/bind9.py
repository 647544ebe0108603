"""Test bed: bind9 (`named`, Debian package bind9) as two authoritative servers for the zone
launch.test on loopback high ports, foreground, everything in a temporary folder.

Both serve the same zone file at first; `bind9_testbed.set_serial(1, n)` rewrites the second
server's zone with another SOA serial and reloads it (SIGHUP), so the serials disagree.
"""

from __future__ import annotations

import dataclasses
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import dns.rdatatype
import pytest

from testbed.support import free_port, require_binary, wait_until

ZONE = "launch.test"
SERIAL = 2024060101

_ZONE_FILE = """$TTL 300
$ORIGIN launch.test.
@        3600 IN SOA ns1.launch.test. hostmaster.launch.test. ({serial} 3600 600 86400 300)
@        3600 IN NS  ns1.launch.test.
@        3600 IN NS  ns2.launch.test.
ns1           IN A   127.0.0.1
ns2           IN A   127.0.0.1
www           IN A   127.0.0.1
www           IN A   127.0.0.2
www           IN AAAA ::1
api           IN CNAME www.launch.test.
@             IN MX  10 mail.launch.test.
mail          IN A   127.0.0.1
@             IN CAA 0 issue "letsencrypt.org"
@             IN CAA 0 iodef "mailto:security@launch.test"
@             IN TXT "v=spf1 mx ip4:127.0.0.1 -all"
_dmarc        IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@launch.test"
longttl  604800 IN A 127.0.0.1
; a subdomain that gets mail settings wrong: two SPF records, one malformed; a bad DMARC policy
broken        IN A   127.0.0.1
broken        IN TXT "v=spf1 mx -all"
broken        IN TXT "v=spf1 ipv4:10.0.0.1 ~all"
_dmarc.broken IN TXT "v=DMARC1; p=maybe"
; no CAA, no SPF, no DMARC at all
bare          IN A   127.0.0.1
"""

_CONF = """
options {{
    directory "{dir}";
    pid-file "{dir}/named.pid";
    session-keyfile "{dir}/session.key";
    managed-keys-directory "{dir}";
    listen-on port {port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
    notify no;
    allow-transfer {{ none; }};
}};
controls {{ }};
zone "{zone}" {{ type primary; file "{dir}/{zone}.zone"; }};
"""


@dataclasses.dataclass
class NamedServer:
    port: int
    directory: Path
    process: subprocess.Popen

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


@dataclasses.dataclass
class Bind9Testbed:
    zone: str
    servers: list[NamedServer]

    @property
    def addresses(self) -> list[str]:
        """The servers as "127.0.0.1:port", as the [dns] table names them."""
        return [s.address for s in self.servers]

    def serial(self, index: int) -> int:
        return _query_serial(self.servers[index].port)

    def set_serial(self, index: int, serial: int) -> None:
        """Rewrite server `index`'s zone with SOA serial `serial`, reload it, wait until it serves it."""
        server = self.servers[index]
        (server.directory / f"{self.zone}.zone").write_text(_ZONE_FILE.format(serial=serial))
        server.process.send_signal(signal.SIGHUP)
        wait_until(lambda: _query_serial(server.port) == serial, timeout=10, what=f"named reload to serial {serial}",
                   log=server.directory / "named.log")


def _query_serial(port: int) -> int | None:
    query = dns.message.make_query(ZONE, dns.rdatatype.SOA)
    try:
        answer = dns.query.udp(query, "127.0.0.1", port=port, timeout=0.5)
    except (dns.exception.Timeout, OSError):
        return None
    for rrset in answer.answer:
        for rdata in rrset:
            return int(rdata.serial)
    return None


def _start(named: str, directory: Path) -> NamedServer:
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    (directory / f"{ZONE}.zone").write_text(_ZONE_FILE.format(serial=SERIAL))
    conf = directory / "named.conf"
    conf.write_text(_CONF.format(dir=directory, port=port, zone=ZONE))
    log = directory / "named.log"
    # -g: foreground, log to stderr; -4: IPv4 only; -n 1: one worker thread (a small, shared machine).
    # Running as root needs no -u here: the files are ours, and named drops nothing it needs.
    process = subprocess.Popen([named, "-g", "-4", "-n", "1", "-c", str(conf), "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=open(log, "wb"), cwd=directory)
    return NamedServer(port, directory, process)


@pytest.fixture(scope="session")
def bind9_testbed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bind9Testbed]:
    named = require_binary("named", "bind9")
    base = tmp_path_factory.mktemp("bind9")
    servers: list[NamedServer] = []
    try:
        for name in ("ns1", "ns2"):
            servers.append(_start(named, base / name))
        for server in servers:
            def ready(server: NamedServer = server) -> bool:
                if server.process.poll() is not None:
                    pytest.fail("named exited:\n" + (server.directory / "named.log").read_text(errors="replace")[-3000:])
                return _query_serial(server.port) == SERIAL

            wait_until(ready, timeout=20, what="named", log=server.directory / "named.log")
        yield Bind9Testbed(ZONE, servers)
    finally:
        for server in servers:
            server.process.terminate()
        for server in servers:
            try:
                server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait(timeout=5)


@pytest.fixture
def bind9_serials_disagree(bind9_testbed: Bind9Testbed) -> Iterator[Bind9Testbed]:
    """The second server serves a newer serial than the first for the length of one test."""
    bind9_testbed.set_serial(1, SERIAL + 1)
    try:
        yield bind9_testbed
    finally:
        bind9_testbed.set_serial(1, SERIAL)



@pytest.fixture(scope="session")
def silent_udp_port() -> Iterator[int]:
    """A UDP port on loopback that receives queries and never answers (for DNS timeouts)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()
