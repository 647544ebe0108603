"""An authoritative DNS responder for the demo zone, built on dnspython (UDP and TCP, 127.0.0.1).

It answers from a zone parsed from master-file text: the records of the zone with the AA flag,
NODATA (SOA in the authority section) for a name without that type, NXDOMAIN for an unknown
name inside the zone, REFUSED outside it. Two of them, on two ports, play the zone's two
authoritative nameservers.
"""

from __future__ import annotations

import socketserver
import struct
import threading
from typing import Any, cast

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.zone

DEMO_ZONE = "demo.launch.test."
DEMO_CAA_ISSUER = "ca.demo.launch.test"
DEMO_SOA_SERIAL = 2026112501

ZONE_TEMPLATE = """\
$TTL 300
@               IN SOA   ns1.demo.launch.test. hostmaster.demo.launch.test. (
                         {serial} 3600 600 1209600 300 )
@               IN NS    ns1.demo.launch.test.
@               IN NS    ns2.demo.launch.test.
@               IN A     127.0.0.1
@               IN AAAA  ::1
@               IN MX    10 mail.demo.launch.test.
@               IN TXT   "v=spf1 mx -all"
{caa}
www             IN A     127.0.0.1
www             IN AAAA  ::1
api             IN A     127.0.0.1
mail            IN A     127.0.0.1
ns1             IN A     127.0.0.1
ns2             IN A     127.0.0.1
_dmarc          IN TXT   "v=DMARC1; p=reject; rua=mailto:dmarc@demo.launch.test"
"""


def zone_text(serial: int = DEMO_SOA_SERIAL, caa: bool = True) -> str:
    caa_line = f'@               IN CAA   0 issue "{DEMO_CAA_ISSUER}"' if caa else ""
    return ZONE_TEMPLATE.format(serial=serial, caa=caa_line)


def answer(zone: dns.zone.Zone, wire: bytes) -> bytes | None:
    """The wire-format answer to the query `wire`, or None for garbage."""
    try:
        query = dns.message.from_wire(wire)
    except Exception:
        return None
    response = dns.message.make_response(query)
    if not query.question:
        response.set_rcode(dns.rcode.FORMERR)
        return response.to_wire()
    question = query.question[0]
    name = question.name
    origin = cast(dns.name.Name, zone.origin)  # set: the zone is read with an origin
    if not name.is_subdomain(origin):
        response.set_rcode(dns.rcode.REFUSED)
        return response.to_wire()
    response.flags |= dns.flags.AA
    soa = zone.find_rrset(origin, dns.rdatatype.SOA)
    node = zone.get_node(name)
    if node is None:
        response.set_rcode(dns.rcode.NXDOMAIN)
        response.authority.append(soa)
        return response.to_wire()
    rdataset = node.get_rdataset(dns.rdataclass.IN, question.rdtype)
    if rdataset is None:
        response.authority.append(soa)  # NODATA
    else:
        response.answer.append(zone.find_rrset(name, question.rdtype))
    return response.to_wire()


class _UDPHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, sock = self.request
        reply = answer(self.server.zone, data)  # type: ignore[attr-defined]
        if reply is not None:
            sock.sendto(reply, self.client_address)


class _TCPHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(5)
        try:
            header = self.request.recv(2)
            if len(header) < 2:
                return
            (length,) = struct.unpack("!H", header)
            data = b""
            while len(data) < length:
                chunk = self.request.recv(length - len(data))
                if not chunk:
                    return
                data += chunk
            reply = answer(self.server.zone, data)  # type: ignore[attr-defined]
            if reply is not None:
                self.request.sendall(struct.pack("!H", len(reply)) + reply)
        except OSError:
            return


class _UDPServer(socketserver.ThreadingUDPServer):
    daemon_threads = True
    allow_reuse_address = True


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class AuthoritativeServer:
    """One authoritative nameserver for the zone, on UDP and TCP of the same port."""

    def __init__(self, text: str, origin: str = DEMO_ZONE) -> None:
        self.zone = dns.zone.from_text(text, origin=origin, relativize=False, check_origin=True)
        self._udp, self._tcp = self._bind_pair()
        self._udp.zone = self.zone  # type: ignore[attr-defined]
        self._tcp.zone = self.zone  # type: ignore[attr-defined]
        self._threads: list[threading.Thread] = []

    @staticmethod
    def _bind_pair() -> tuple[_UDPServer, _TCPServer]:
        last: OSError | None = None
        for _ in range(20):  # a UDP port whose TCP twin is free too
            udp = _UDPServer(("127.0.0.1", 0), _UDPHandler)
            port = udp.server_address[1]
            try:
                tcp = _TCPServer(("127.0.0.1", port), _TCPHandler)
            except OSError as exc:
                udp.server_close()
                last = exc
                continue
            return udp, tcp
        raise OSError(f"no free UDP+TCP port pair on 127.0.0.1: {last}")

    @property
    def port(self) -> int:
        return self._udp.server_address[1]

    @property
    def serial(self) -> int:
        soa: Any = self.zone.find_rdataset(cast(dns.name.Name, self.zone.origin), dns.rdatatype.SOA)[0]
        return int(soa.serial)

    def start(self) -> AuthoritativeServer:
        for server in (self._udp, self._tcp):
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                      name=f"demo-dns-{self.port}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in (self._udp, self._tcp):
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)


def query_udp_works(port: int) -> bool:
    """A quick readiness probe: the server answers a SOA query."""
    import dns.query

    query = dns.message.make_query(DEMO_ZONE, dns.rdatatype.SOA)
    try:
        dns.query.udp(query, "127.0.0.1", port=port, timeout=1.0)
        return True
    except (OSError, dns.exception.Timeout):
        return False


__all__ = ["AuthoritativeServer", "DEMO_ZONE", "DEMO_CAA_ISSUER", "zone_text"]
