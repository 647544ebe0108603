"""DNS probe: dnspython lookups against the environment's nameservers (or the system's).

    [dns]
    zone = "example.com"
    nameservers = ["192.0.2.53", "192.0.2.54:5353"]   # optional; default: the system's resolver
    authoritative = ["198.51.100.1"]                  # optional; default: the zone's NS, resolved
    timeout = 3
    ttl_min = 60
    ttl_max = 86400
    caa_issuers = ["letsencrypt.org"]

    [dns.expected."www.example.com"]
    A = ["192.0.2.10"]
    AAAA = ["2001:db8::10"]

Timeouts and servers that all fail (SERVFAIL) raise NoAnswer (a ProbeError: the check ends in
error) naming the name and the servers asked; a name
that does not exist (NXDOMAIN) or has no record of the type is an answer with no values, which
never matches an expected record.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Iterable
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.nameserver
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.resolver

from pytest_launch.core.settings import Table
from pytest_launch.probes.addresses import split_host_port
from pytest_launch.probes.base import Evidence, Probe
from pytest_launch.probes.deadline import timeout_problem
from pytest_launch.probes.errors import NoAnswer, ProbeError, WrongAnswer, conclude

RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "TXT", "CAA", "NS", "SOA")
_TEXT_TYPES = {"TXT", "SPF"}


def split_server(text: str, default_port: int = 53) -> tuple[str, int]:
    """'192.0.2.1' or '192.0.2.1:5353' or '[2001:db8::1]:53' -> (address, port)."""
    address, port = split_host_port(text, default_port)
    ipaddress.ip_address(address)  # ValueError for a host name: nameservers are addresses
    return address, port


@dataclasses.dataclass
class DnsSettings(Table):
    """[dns]: the zone, who to ask, and what its records must be."""

    zone: str | None = None
    nameservers: list[str] = dataclasses.field(default_factory=list)
    authoritative: list[str] = dataclasses.field(default_factory=list)
    timeout: float = 3.0
    ttl_min: int | None = None
    ttl_max: int | None = None
    caa_issuers: list[str] = dataclasses.field(default_factory=list)
    expected: dict[str, dict[str, list[str]]] = dataclasses.field(default_factory=dict)

    def validate(self) -> tuple[str, str] | None:
        for server in [*self.nameservers, *self.authoritative]:
            try:
                split_server(server)
            except ValueError as error:
                return ("nameservers as IP addresses, optionally with :port", f"{server!r} ({error})")
        problem = timeout_problem("timeout", self.timeout)
        if problem:
            return problem
        if self.ttl_min is not None and self.ttl_max is not None and self.ttl_min > self.ttl_max:
            return ("ttl_min <= ttl_max", f"{self.ttl_min} > {self.ttl_max}")
        for name, records in self.expected.items():
            for rdtype, values in records.items():
                if rdtype.upper() not in RECORD_TYPES:
                    return (f"record types among {', '.join(RECORD_TYPES)} in expected.{name}", repr(rdtype))
                for value in values:
                    try:
                        normalise(rdtype, value)
                    except Exception as error:  # dnspython raises several syntax errors
                        return (f"a valid {rdtype.upper()} record in expected.{name}", f"{value!r} ({error})")
        return None


@dataclasses.dataclass
class DnsAnswer:
    """The records of one name and type: `values` empty when the name or the type does not exist."""

    name: str
    rdtype: str
    values: list[str]
    ttl: int | None
    status: str              # "ok", "nxdomain" or "noanswer"
    server: str              # who answered ("system resolver" or address:port)

    def evidence(self) -> dict[str, Any]:
        return {"values": self.values, "ttl": self.ttl, "status": self.status, "server": self.server}


@dataclasses.dataclass
class CaaRecord:
    flags: int
    tag: str
    value: str

    @property
    def issuer(self) -> str:
        """The issuer domain of an issue/issuewild record (without parameters)."""
        return self.value.split(";")[0].strip()


@dataclasses.dataclass
class MailPolicy:
    """An SPF or DMARC record set: present, well formed, and what is wrong with it."""

    kind: str                # "SPF" or "DMARC"
    name: str                # where it was looked up
    records: list[str]
    problems: list[str]

    @property
    def present(self) -> bool:
        return bool(self.records)

    @property
    def well_formed(self) -> bool:
        return self.present and not self.problems


def normalise(rdtype: str, value: str) -> str:
    """A record's value in canonical text: expected and answered values compare equal when they
    mean the same thing ("10 mail.example.com" and "10 mail.example.com." are one MX)."""
    rdtype = rdtype.upper()
    if rdtype in _TEXT_TYPES:
        text = value.strip()
        return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text
    rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), value, origin=dns.name.root)
    return rdata.to_text()


def _rdata_text(rdata: Any) -> str:
    if rdata.rdtype in (dns.rdatatype.TXT, dns.rdatatype.SPF):
        return b"".join(rdata.strings).decode("utf-8", "replace")
    return str(rdata.to_text())


class DnsProbe(Probe[DnsSettings]):
    """Lookups, expected records, SOA agreement, CAA, SPF, DMARC and TTLs. Usable outside pytest:

        probe = DnsProbe(DnsSettings(zone="example.com", nameservers=["192.0.2.53"]))
        probe.lookup("www.example.com", "A").values
    """

    kind = "dns"

    def __init__(self, settings: DnsSettings | None = None, evidence: Evidence | None = None,
                 secrets: Iterable[str] = ()) -> None:
        super().__init__(settings or DnsSettings(), evidence, secrets)
        if self.settings.nameservers:
            self.resolver = dns.resolver.Resolver(configure=False)
            self.resolver.nameservers = [dns.nameserver.Do53Nameserver(*split_server(s))
                                         for s in self.settings.nameservers]
            self._asked = ", ".join(self.settings.nameservers)
        else:
            self.resolver = dns.resolver.Resolver()
            self._asked = "the system resolver"
        self.resolver.timeout = self.settings.timeout
        self.resolver.lifetime = self.settings.timeout
        self.resolver.cache = None

    # -- names -------------------------------------------------------------------------------
    def qualify(self, name: str) -> str:
        """`name` as an absolute name: "@" is the zone, a name ending in "." or in the zone is
        kept, anything else is taken as relative to the zone."""
        zone = (self.settings.zone or "").rstrip(".")
        if name == "@":
            if not zone:
                raise ValueError('"@" needs [dns] zone')
            return zone + "."
        if name.endswith("."):
            return name
        if not zone or name == zone or name.endswith("." + zone):
            return name + "."
        return f"{name}.{zone}."

    def _zone(self, zone: str | None) -> str:
        zone = zone or self.settings.zone
        if not zone:
            raise ProbeError("[dns]", "no zone given and [dns] zone is not set", self.secrets)
        return zone.rstrip(".") + "."

    # -- lookups -----------------------------------------------------------------------------
    def lookup(self, name: str, rdtype: str) -> DnsAnswer:
        """The records of type `rdtype` at `name` (relative names are in the zone)."""
        rdtype = rdtype.upper()
        qname = self.qualify(name)
        target = f"{qname} {rdtype}"
        try:
            answer = self.resolver.resolve(qname, rdtype, raise_on_no_answer=False, search=False)
        except dns.resolver.NXDOMAIN:
            result = DnsAnswer(qname, rdtype, [], None, "nxdomain", self._asked)
        except dns.resolver.LifetimeTimeout:
            raise NoAnswer(target, f"no answer from {self._asked} within {self.settings.timeout:g}s",
                             self.secrets) from None
        except dns.resolver.NoNameservers as error:
            raise NoAnswer(target, f"every nameserver failed ({self._asked}): {_short(error)}", self.secrets) from None
        except dns.exception.DNSException as error:
            raise NoAnswer(target, f"lookup failed: {_short(error)}", self.secrets) from None
        else:
            rrset = answer.rrset
            if rrset is None:
                result = DnsAnswer(qname, rdtype, [], None, "noanswer", self._asked)
            else:
                result = DnsAnswer(qname, rdtype, sorted(_rdata_text(r) for r in rrset), rrset.ttl, "ok",
                                   self._asked)
        self._record(target, result.evidence())
        return result

    def expected_problems(self, expected: dict[str, dict[str, list[str]]] | None = None) -> list[str]:
        """One line per expected record set that does not match what is served (missing, extra or
        different values; lookups that failed). Empty when everything matches."""
        expected = self.settings.expected if expected is None else expected
        if not expected:
            return ["no expected records to compare: [dns] expected is empty"]
        problems: list[str] = []
        unanswered: list[ProbeError] = []
        for name, records in expected.items():
            for rdtype, values in records.items():
                try:
                    answer = self.lookup(name, rdtype)
                except ProbeError as error:
                    unanswered.append(error)
                    continue
                want = sorted(normalise(rdtype, v) for v in values)
                have = sorted(normalise(rdtype, v) for v in answer.values)
                if want != have:
                    missing = [v for v in want if v not in have]
                    extra = [v for v in have if v not in want]
                    found = answer.status if answer.status != "ok" else ", ".join(have)
                    problems.append(f"{answer.name} {rdtype.upper()}: expected {', '.join(want)}; found {found}"
                                    + (f" (missing {', '.join(missing)})" if missing else "")
                                    + (f" (unexpected {', '.join(extra)})" if extra and answer.status == "ok" else ""))
        self._record("expected records", {"record_sets": sum(len(r) for r in expected.values()),
                                          "mismatches": len(problems), "no_answer": len(unanswered)})
        return conclude(unanswered, problems, "DNS lookups")

    def ttl_problems(self, expected: dict[str, dict[str, list[str]]] | None = None,
                     ttl_min: int | None = None, ttl_max: int | None = None) -> list[str]:
        """One line per expected record set whose TTL is outside [ttl_min, ttl_max]."""
        expected = self.settings.expected if expected is None else expected
        low = self.settings.ttl_min if ttl_min is None else ttl_min
        high = self.settings.ttl_max if ttl_max is None else ttl_max
        if low is None and high is None:
            return ["no TTL bounds: set [dns] ttl_min and/or ttl_max"]
        if not expected:
            return ["no record sets to check: [dns] expected is empty"]
        problems: list[str] = []
        unanswered: list[ProbeError] = []
        for name, records in expected.items():
            for rdtype in records:
                try:
                    answer = self.lookup(name, rdtype)
                except ProbeError as error:
                    unanswered.append(error)
                    continue
                if answer.ttl is None:
                    problems.append(f"{answer.name} {rdtype.upper()}: no record, so no TTL ({answer.status})")
                elif (low is not None and answer.ttl < low) or (high is not None and answer.ttl > high):
                    problems.append(f"{answer.name} {rdtype.upper()}: TTL {answer.ttl}s outside "
                                    f"[{low if low is not None else 0}, {high if high is not None else '∞'}]")
        self._record("TTL bounds", {"ttl_min": low, "ttl_max": high, "problems": len(problems),
                                    "no_answer": len(unanswered)})
        return conclude(unanswered, problems, "DNS lookups")

    # -- authoritative servers ---------------------------------------------------------------
    def authoritative_servers(self, zone: str | None = None) -> list[str]:
        """The servers to ask directly: [dns] authoritative, or the zone's NS names resolved."""
        if self.settings.authoritative:
            return list(self.settings.authoritative)
        zone_name = self._zone(zone)
        ns = self.lookup(zone_name, "NS")
        if not ns.values:
            raise ProbeError(f"{zone_name} NS", f"no NS records ({ns.status})", self.secrets)
        servers = []
        for host in ns.values:
            for rdtype in ("A", "AAAA"):
                servers.extend(self.lookup(host, rdtype).values)
        if not servers:
            raise ProbeError(f"{zone_name} NS", "no address for any of its nameservers", self.secrets)
        return servers

    def soa_serials(self, zone: str | None = None, servers: Iterable[str] | None = None) -> dict[str, int]:
        """The SOA serial each authoritative server gives for the zone, asked directly (no
        recursion). A server that gives no answer (timeout, SERVFAIL) raises NoAnswer (error); one that
        answers without authority or without the SOA raises WrongAnswer (a failure)."""
        zone_name = self._zone(zone)
        serials: dict[str, int] = {}
        for server in (list(servers) if servers is not None else self.authoritative_servers(zone_name)):
            address, port = split_server(server)
            target = f"{zone_name} SOA @{server}"
            query = dns.message.make_query(zone_name, dns.rdatatype.SOA)
            query.flags &= ~dns.flags.RD
            try:
                response, _ = dns.query.udp_with_fallback(query, address, port=port, timeout=self.settings.timeout)
            except dns.exception.Timeout:
                raise NoAnswer(target, f"no answer within {self.settings.timeout:g}s", self.secrets) from None
            except (OSError, dns.exception.DNSException) as error:
                raise NoAnswer(target, f"query failed: {_short(error)}", self.secrets) from None
            if response.rcode() == dns.rcode.SERVFAIL:
                raise NoAnswer(target, "SERVFAIL: the server could not answer for the zone", self.secrets)
            if not response.flags & dns.flags.AA:
                raise WrongAnswer(f"{target}: not authoritative for the zone "
                                  f"(rcode {dns.rcode.to_text(response.rcode())})")
            soa = response.get_rrset(response.answer, dns.name.from_text(zone_name), dns.rdataclass.IN,
                                     dns.rdatatype.SOA)
            if soa is None:
                raise WrongAnswer(f"{target}: no SOA record in the answer")
            serials[server] = int(soa[0].serial)
        self._record(f"{zone_name} SOA serials", {"serials": serials, "agree": len(set(serials.values())) == 1})
        return serials

    # -- CAA, SPF, DMARC ---------------------------------------------------------------------
    def caa(self, name: str | None = None) -> list[CaaRecord]:
        """The CAA records relevant to `name` (default: the zone): the closest ones found walking
        up the tree (RFC 8659)."""
        qname = dns.name.from_text(self.qualify(name) if name else self._zone(None))
        while qname != dns.name.root and len(qname.labels) > 1:
            answer = self.lookup(qname.to_text(), "CAA")
            if answer.values:
                records = []
                for value in answer.values:
                    rdata: Any = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.CAA, value)  # a CAA record
                    records.append(CaaRecord(int(rdata.flags), rdata.tag.decode(), rdata.value.decode()))
                return records
            qname = qname.parent()
        return []

    def caa_issuers(self, name: str | None = None) -> list[str]:
        """The CAs the CAA records allow to issue for `name` (issue and issuewild tags)."""
        return sorted({r.issuer for r in self.caa(name) if r.tag in ("issue", "issuewild") and r.issuer})

    def caa_problems(self, name: str | None = None, issuers: Iterable[str] | None = None) -> list[str]:
        """Empty when CAA records exist for `name` and allow every CA in `issuers` (default:
        [dns] caa_issuers, the CAs of the served certificates); else what is wrong."""
        wanted = sorted(self.settings.caa_issuers if issuers is None else issuers)
        if not wanted:
            return ["no CA to look for: set [dns] caa_issuers"]
        where = self.qualify(name) if name else self._zone(None)
        allowed = self.caa_issuers(name)
        if not allowed:
            problems = [f"{where}: no CAA issue record (any CA may issue)"]
        else:
            problems = [f"{where}: CAA does not allow {ca} (allowed: {', '.join(allowed)})"
                        for ca in wanted if ca not in allowed]
        self._record(f"{where} CAA", {"allowed": allowed, "expected": wanted, "problems": len(problems)})
        return problems

    def spf(self, domain: str | None = None) -> MailPolicy:
        name = self.qualify(domain) if domain else self._zone(None)
        texts = self.lookup(name, "TXT").values
        records = [t for t in texts if re.match(r"(?i)v=spf1(\s|$)", t)]
        problems = spf_problems(records)
        self._record(f"{name} SPF", {"records": records, "problems": problems})
        return MailPolicy("SPF", name, records, problems)

    def dmarc(self, domain: str | None = None) -> MailPolicy:
        base = self.qualify(domain) if domain else self._zone(None)
        name = "_dmarc." + base
        texts = self.lookup(name, "TXT").values
        records = [t for t in texts if re.match(r"(?i)v\s*=\s*DMARC1", t)]
        problems = dmarc_problems(records)
        self._record(f"{name} DMARC", {"records": records, "problems": problems})
        return MailPolicy("DMARC", name, records, problems)



_SPF_MECHANISM = re.compile(
    r"^[+\-~?]?(all|include:\S+|exists:\S+|a(:[^/\s]+)?(/\d+)?(//\d+)?|mx(:[^/\s]+)?(/\d+)?(//\d+)?|ptr(:\S+)?|"
    r"ip4:(?P<ip4>[^\s]+)|ip6:(?P<ip6>[^\s]+))$", re.IGNORECASE)
_SPF_MODIFIER = re.compile(r"^[a-z][a-z0-9_.\-]*=\S*$", re.IGNORECASE)


def spf_problems(records: list[str]) -> list[str]:
    """What is wrong with a domain's SPF records (RFC 7208): none, several, or a bad term."""
    if not records:
        return ["no SPF record (a TXT record starting with v=spf1)"]
    problems = []
    if len(records) > 1:
        problems.append(f"{len(records)} SPF records: exactly one is allowed")
    for record in records:
        terms = record.split()[1:]
        for position, term in enumerate(terms):
            match = _SPF_MECHANISM.match(term)
            if match:
                for family, group in (("ip4", match.group("ip4")), ("ip6", match.group("ip6"))):
                    if group:
                        try:
                            ipaddress.ip_network(group, strict=False)
                            if family == "ip4" and ":" in group or family == "ip6" and ":" not in group:
                                raise ValueError
                        except ValueError:
                            problems.append(f"bad {family} address {group!r} in {record!r}")
                if term.lstrip("+") == "all":
                    problems.append(f"'{term}' lets every server send mail for the domain in {record!r}")
                if term.lstrip("+-~?").lower() == "all" and position != len(terms) - 1:
                    problems.append(f"terms after '{term}' are never used in {record!r}")
            elif not _SPF_MODIFIER.match(term):
                problems.append(f"unknown SPF term {term!r} in {record!r}")
    return problems


def dmarc_problems(records: list[str]) -> list[str]:
    """What is wrong with a domain's DMARC record (RFC 7489)."""
    if not records:
        return ["no DMARC record (a TXT record at _dmarc.<domain> starting with v=DMARC1)"]
    problems = []
    if len(records) > 1:
        problems.append(f"{len(records)} DMARC records: exactly one is allowed")
    for record in records:
        tags = [t.strip() for t in record.split(";") if t.strip()]
        pairs = [t.partition("=") for t in tags]
        if not pairs or pairs[0][0].strip() != "v" or pairs[0][2].strip() != "DMARC1":
            problems.append(f"{record!r} does not start with v=DMARC1")
        values = {k.strip().lower(): v.strip() for k, _, v in pairs}
        if len(pairs) < 2 or pairs[1][0].strip().lower() != "p":
            problems.append(f"{record!r}: the p= tag must follow v=DMARC1")
        for tag in ("p", "sp"):
            if tag in values and values[tag].lower() not in ("none", "quarantine", "reject"):
                problems.append(f"{record!r}: {tag}={values[tag]} is not none, quarantine or reject")
        if "pct" in values and not (values["pct"].isdigit() and 0 <= int(values["pct"]) <= 100):
            problems.append(f"{record!r}: pct={values['pct']} is not 0-100")
        for tag in ("adkim", "aspf"):
            if tag in values and values[tag].lower() not in ("r", "s"):
                problems.append(f"{record!r}: {tag}={values[tag]} is not r or s")
        for tag in ("rua", "ruf"):
            for uri in filter(None, (u.strip() for u in values.get(tag, "").split(","))):
                if not re.match(r"^[a-z][a-z0-9+.\-]*:", uri, re.IGNORECASE):
                    problems.append(f"{record!r}: {tag} {uri!r} is not a URI (mailto:...)")
    return problems


def _short(error: BaseException) -> str:
    return str(error).splitlines()[0][:300] if str(error) else type(error).__name__
