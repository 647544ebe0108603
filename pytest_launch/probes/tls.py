"""TLS probe: connect with SNI, fetch the presented chain, parse it with cryptography.

    [tls]
    endpoints = ["shop.example.com", "api.example.com:8443"]
    timeout = 5              # seconds, connect and handshake
    ca_bundle = "ca.pem"     # optional: verify against this bundle instead of the system store
    max_workers = 32         # fan-out pool size
    min_days_left = 30

One handshake per endpoint when the chain verifies (two when it does not: the second, unverified,
only fetches the chain to describe it). The fan-out runs many endpoints at once on a bounded pool.

What Python's ssl module cannot tell is reported as such, never guessed: the OCSP staple is
"untestable here", and so is a protocol version the local OpenSSL cannot speak.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import ipaddress
import socket
import ssl
import tempfile
import threading
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID

from pytest_launch.core.settings import Table
from pytest_launch.probes.addresses import split_host_port
from pytest_launch.probes.base import Evidence, Probe
from pytest_launch.probes.deadline import Watchdog, timeout_problem
from pytest_launch.probes.errors import NoAnswer, ProbeError, conclude
from pytest_launch.probes.fanout import DEFAULT_MAX_WORKERS, Outcome, fan_out

PROTOCOLS: dict[str, ssl.TLSVersion] = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}
ACCEPTED = "accepted"
REFUSED = "refused"
UNTESTABLE = "untestable here"
OCSP_UNTESTABLE = ("untestable here: Python's ssl module does not expose the stapled OCSP response "
                   "(no status_request callback); check it with `openssl s_client -status`")
# OpenSSL verify codes meaning "the issuer of a presented certificate was not found"
_ISSUER_NOT_FOUND = {2, 20, 21}


@dataclasses.dataclass
class TlsEndpoint(Table):
    """One endpoint: `host` is the name checked and sent as SNI; `address` (optional) is where to
    connect when it is not `host` itself (a load balancer's IP, a loopback test server)."""

    host: str
    port: int = 443
    address: str | None = None

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclasses.dataclass
class TlsSettings(Table):
    """[tls]: the endpoints whose certificates and protocols are checked."""

    endpoints: list[str | TlsEndpoint] = dataclasses.field(default_factory=list)
    timeout: float = 5.0
    ca_bundle: str | None = None
    max_workers: int | None = None          # default: 32, or the launch_tls_max_workers ini value
    min_days_left: int = 30
    refused_protocols: list[str] = dataclasses.field(default_factory=lambda: ["TLSv1", "TLSv1.1"])
    accepted_protocols: list[str] = dataclasses.field(default_factory=lambda: ["TLSv1.2"])

    def validate(self) -> tuple[str, str] | None:
        problem = timeout_problem("timeout", self.timeout)
        if problem:
            return problem
        if self.max_workers is not None and self.max_workers < 1:
            return ("max_workers to be at least 1", str(self.max_workers))
        for name in [*self.refused_protocols, *self.accepted_protocols]:
            if name not in PROTOCOLS:
                return ("protocol names among " + ", ".join(PROTOCOLS), repr(name))
        for endpoint in self.endpoints:
            if isinstance(endpoint, str):
                try:
                    parse_endpoint(endpoint)
                except ValueError as error:
                    return ("endpoints as 'host' or 'host:port'", f"{endpoint!r} ({error})")
        return None

    def targets(self) -> list[TlsEndpoint]:
        return [parse_endpoint(e) if isinstance(e, str) else e for e in self.endpoints]


def parse_endpoint(text: str, default_port: int = 443) -> TlsEndpoint:
    """'host', 'host:port', '[v6]:port' -> TlsEndpoint."""
    host, port = split_host_port(text, default_port)
    return TlsEndpoint(host=host, port=port)


@dataclasses.dataclass
class CertInfo:
    """One certificate, parsed."""

    subject: str
    issuer: str
    common_name: str | None
    sans: list[str]
    not_before: dt.datetime
    not_after: dt.datetime
    days_left: int                 # whole days until not_after (negative: expired)
    serial: str
    key_type: str                  # RSA, EC, Ed25519, ...
    key_size: int | None
    signature_algorithm: str
    is_ca: bool
    self_signed: bool
    sha256: str

    @classmethod
    def from_der(cls, der: bytes, now: dt.datetime | None = None) -> CertInfo:
        cert = x509.load_der_x509_certificate(der)
        now = now or dt.datetime.now(dt.timezone.utc)
        try:
            san_ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            sans = [*san_ext.get_values_for_type(x509.DNSName),
                    *(str(ip) for ip in san_ext.get_values_for_type(x509.IPAddress))]
        except x509.ExtensionNotFound:
            sans = []
        try:
            is_ca = bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
        except x509.ExtensionNotFound:
            is_ca = False
        cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        key = cert.public_key()
        key_type, key_size = _key_description(key)
        oid = cert.signature_algorithm_oid
        not_after = cert.not_valid_after_utc
        return cls(
            subject=cert.subject.rfc4514_string(),
            issuer=cert.issuer.rfc4514_string(),
            common_name=str(cns[0].value) if cns else None,
            sans=sans,
            not_before=cert.not_valid_before_utc,
            not_after=not_after,
            days_left=int((not_after - now).total_seconds() // 86400),
            serial=format(cert.serial_number, "x"),
            key_type=key_type,
            key_size=key_size,
            signature_algorithm=getattr(oid, "_name", None) or oid.dotted_string,
            is_ca=is_ca,
            self_signed=cert.issuer == cert.subject,
            sha256=cert.fingerprint(hashes.SHA256()).hex(),
        )

    def evidence(self) -> dict[str, Any]:
        return {"subject": self.subject, "issuer": self.issuer, "not_after": self.not_after.isoformat(),
                "days_left": self.days_left}


def _key_description(key: Any) -> tuple[str, int | None]:
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC ({key.curve.name})", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    return type(key).__name__, None


@dataclasses.dataclass
class TlsResult:
    """What one endpoint presented and how it verified."""

    endpoint: str                  # host:port as asked
    server_name: str               # the SNI and the name checked against the certificate
    protocol: str | None
    cipher: str | None
    chain: list[CertInfo]          # as presented by the server, leaf first
    verified: bool                 # the chain verifies to the trust store (or the CA bundle)
    verify_error: str | None
    hostname_matches: bool
    missing_intermediate: bool
    chain_complete_known: bool     # False when only the leaf could be read (old Python, no pyOpenSSL)
    ocsp_staple: bool | None = None
    ocsp_staple_status: str = OCSP_UNTESTABLE

    @property
    def leaf(self) -> CertInfo:
        return self.chain[0]

    @property
    def days_left(self) -> int:
        return self.leaf.days_left

    @property
    def min_days_left(self) -> int:
        """The fewest days left of any presented certificate (leaf and intermediates)."""
        return min(c.days_left for c in self.chain)

    @property
    def intermediates(self) -> list[CertInfo]:
        return [c for c in self.chain[1:] if not c.self_signed]

    def evidence(self) -> dict[str, Any]:
        return {
            "days_left": self.days_left,
            "min_days_left": self.min_days_left,
            "not_after": self.leaf.not_after.isoformat(),
            "issuer": self.leaf.issuer,
            "verified": self.verified,
            "verify_error": self.verify_error,
            "hostname_matches": self.hostname_matches,
            "missing_intermediate": self.missing_intermediate,
            "protocol": self.protocol,
            "key": f"{self.leaf.key_type} {self.leaf.key_size}",
            "signature_algorithm": self.leaf.signature_algorithm,
        }


class TlsProbe(Probe[TlsSettings]):
    """Certificates and protocols of TLS endpoints. Usable outside pytest:

        probe = TlsProbe(TlsSettings(endpoints=["example.com"]))
        result = probe.probe("example.com")
        outcomes = probe.probe_many()           # all endpoints, concurrently
    """

    kind = "tls"

    def __init__(self, settings: TlsSettings | None = None, evidence: Evidence | None = None,
                 secrets: Iterable[str] = ()) -> None:
        super().__init__(settings or TlsSettings(), evidence, secrets)
        self._contexts: dict[str, ssl.SSLContext] = {}  # built once: thread-safe, and not free
        self._contexts_lock = threading.Lock()  # a fan-out's threads must not each build one

    # -- one endpoint ------------------------------------------------------------------------
    def probe(self, endpoint: str | TlsEndpoint, port: int | None = None, *,
              address: str | None = None) -> TlsResult:
        """Handshake with `endpoint` (SNI = its host), read and check its certificate chain."""
        target = self._endpoint(endpoint, port, address)
        name = str(target)
        try:
            sock = self._handshake(target, self._verifying_context())
            verified, verify_error, verify_code = True, None, None
        except ssl.SSLCertVerificationError as error:
            verified = False
            verify_error = error.verify_message or str(error)
            verify_code = error.verify_code
            sock = self._handshake(target, self._fetching_context())
        try:
            ders, complete_known = presented_chain(sock)
            protocol, cipher = sock.version(), (sock.cipher() or (None,))[0]
        finally:
            sock.close()
        if not ders:
            raise ProbeError(name, "the server presented no certificate", self.secrets)
        now = dt.datetime.now(dt.timezone.utc)
        chain = [CertInfo.from_der(der, now) for der in ders]
        missing = (not verified and verify_code in _ISSUER_NOT_FOUND and complete_known
                   and not chain[-1].is_ca and not chain[-1].self_signed)
        result = TlsResult(
            endpoint=name, server_name=target.host, protocol=protocol, cipher=cipher, chain=chain,
            verified=verified, verify_error=verify_error,
            hostname_matches=hostname_matches(target.host, chain[0].sans),
            missing_intermediate=missing, chain_complete_known=complete_known,
        )
        self._record(name, result.evidence())
        return result

    def protocols(self, endpoint: str | TlsEndpoint, port: int | None = None, *,
                  address: str | None = None) -> dict[str, str]:
        """Which protocol versions the endpoint accepts: "accepted", "refused", or
        "untestable here: ..." when the local OpenSSL cannot speak that version (never "refused").
        An endpoint that completes no handshake at any version gave no answer: NoAnswer."""
        target = self._endpoint(endpoint, port, address)
        support = local_protocol_support()
        answers: dict[str, str] = {}
        for version_name, version in PROTOCOLS.items():
            local = support[version_name]
            if local is not True:
                answers[version_name] = f"{UNTESTABLE}: {local}"
                continue
            context = _legacy_capable_context(version)
            try:
                self._handshake(target, context).close()
                answers[version_name] = ACCEPTED
            except ProbeError as error:
                if error.problem.startswith("TLS handshake failed") or "closed the connection" in error.problem:
                    answers[version_name] = REFUSED
                else:
                    raise
        self._record(f"{target} protocols", answers)
        if answers and all(a == REFUSED or a.startswith(UNTESTABLE) for a in answers.values()) \
                and REFUSED in answers.values():
            # not one handshake at any version: the endpoint gave no TLS answer at all
            raise NoAnswer(str(target), "no TLS handshake completed at any protocol version", self.secrets)
        return answers

    # -- many endpoints ----------------------------------------------------------------------
    def probe_many(self, endpoints: Iterable[str | TlsEndpoint] | None = None,
                   max_workers: int | None = None) -> list[Outcome[TlsEndpoint, TlsResult]]:
        """`probe` on every endpoint (default: the settings' endpoints) at most `max_workers` at a
        time. Each outcome holds a TlsResult or the ProbeError of its endpoint."""
        targets = [self._endpoint(e, None, None) for e in (self.settings.targets() if endpoints is None else endpoints)]
        return fan_out(self.probe, targets, max_workers or self.settings.max_workers or DEFAULT_MAX_WORKERS)

    def days_left_problems(self, min_days: int | None = None,
                           endpoints: Iterable[str | TlsEndpoint] | None = None) -> list[str]:
        """One line per endpoint whose chain has fewer than `min_days` days left, does not verify,
        or does not match its host name. Empty when all are fine. An endpoint that gave no answer
        raises NoAnswer (the check ends in error, never in a failure)."""
        threshold = self.settings.min_days_left if min_days is None else min_days
        targets = list(self.settings.targets() if endpoints is None else endpoints)
        if not targets:
            return ["no TLS endpoints to check: [tls] endpoints is empty"]
        problems: list[str] = []
        unanswered: list[ProbeError] = []
        for outcome in self.probe_many(targets):
            if not outcome.ok:
                unanswered.append(_as_probe_error(outcome.error))
                continue
            result = outcome.result()
            if result.min_days_left < threshold:
                problems.append(f"{result.endpoint}: certificate chain expires in {result.min_days_left} days "
                                f"(on {min(c.not_after for c in result.chain):%Y-%m-%d}); at least {threshold} required")
            if not result.verified:
                problems.append(f"{result.endpoint}: chain does not verify: {result.verify_error}")
            if not result.hostname_matches:
                problems.append(f"{result.endpoint}: certificate does not name {result.server_name} "
                                f"(names: {', '.join(result.leaf.sans) or 'none'})")
        self._record("days_left check", {"threshold_days": threshold, "endpoints": len(targets),
                                         "problems": len(problems), "no_answer": len(unanswered)})
        return conclude(unanswered, problems, "TLS endpoints")

    # -- plumbing ----------------------------------------------------------------------------
    def _endpoint(self, endpoint: str | TlsEndpoint, port: int | None, address: str | None) -> TlsEndpoint:
        target = parse_endpoint(endpoint) if isinstance(endpoint, str) else endpoint
        if port is not None or address is not None:
            target = dataclasses.replace(target, port=port or target.port, address=address or target.address)
        return target

    def _verifying_context(self) -> ssl.SSLContext:
        context = self._contexts.get("verify")
        if context is None:
            with self._contexts_lock:
                context = self._contexts.get("verify")
                if context is None:
                    context = self._contexts["verify"] = self._new_verifying_context()
        return context

    def _new_verifying_context(self) -> ssl.SSLContext:
        if self.settings.ca_bundle:
            if not Path(self.settings.ca_bundle).is_file():
                raise ProbeError(self.settings.ca_bundle, "the [tls] ca_bundle file does not exist", self.secrets)
            context = ssl.create_default_context(cafile=self.settings.ca_bundle)
        else:
            context = ssl.create_default_context()
        context.check_hostname = False  # checked separately, so that both problems are reported
        return context

    @staticmethod
    def _fetching_context() -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context

    def _handshake(self, target: TlsEndpoint, context: ssl.SSLContext) -> ssl.SSLSocket:
        timeout = self.settings.timeout
        where = str(target) + (f" (at {target.address})" if target.address else "")
        try:
            raw = socket.create_connection((target.address or target.host, target.port), timeout=timeout)
        except socket.gaierror:
            raise NoAnswer(where, "DNS lookup failed for the host", self.secrets) from None
        except ConnectionRefusedError:
            raise NoAnswer(where, "connection refused", self.secrets) from None
        except TimeoutError:
            raise NoAnswer(where, f"connect timed out after {timeout:g}s", self.secrets) from None
        except OSError as error:
            raise NoAnswer(where, f"cannot connect: {error.strerror or error}", self.secrets) from None
        # one deadline for the whole handshake: `timeout` bounds each read only, and a server that
        # drips its ServerHello a byte at a time would hold the check without end
        watchdog = Watchdog(timeout)
        try:
            sni = None if _is_ip(target.host) else target.host
            sock: ssl.SSLSocket | None = None
            with watchdog.armed():
                watchdog.watch(raw)
                try:
                    sock = context.wrap_socket(raw, server_hostname=sni)
                except (OSError, ValueError):
                    if not watchdog.expired:
                        raise
            if sock is not None and not watchdog.expired:
                return sock
            (sock or raw).close()
            raise NoAnswer(where, f"no TLS handshake within {timeout:g}s (the handshake's overall deadline)",
                           self.secrets)
        except ssl.SSLCertVerificationError:
            raw.close()
            raise
        except TimeoutError:
            raw.close()
            raise NoAnswer(where, f"no TLS handshake within {timeout:g}s", self.secrets) from None
        except ssl.SSLError as error:
            raw.close()
            raise NoAnswer(where, f"TLS handshake failed: {error.reason or error}", self.secrets) from None
        except (ConnectionResetError, BrokenPipeError, ssl.SSLEOFError):
            raw.close()
            raise NoAnswer(where, "TLS handshake failed: the server closed the connection", self.secrets) from None
        except OSError as error:
            raw.close()
            raise NoAnswer(where, f"TLS handshake failed: {error}", self.secrets) from None



def _as_probe_error(error: BaseException | None) -> ProbeError:
    if isinstance(error, ProbeError):
        return error
    return ProbeError("TLS probe", f"{type(error).__name__}: {error}")


def presented_chain(sock: ssl.SSLSocket) -> tuple[list[bytes], bool]:
    """The certificates the server presented (DER, leaf first), and whether that is the whole
    presented chain (True) or only the leaf (False, when this Python cannot read the chain)."""
    public = getattr(sock, "get_unverified_chain", None)  # Python >= 3.13
    if callable(public):
        return [c if isinstance(c, bytes) else c.public_bytes(ssl._ssl.ENCODING_DER)  # type: ignore[attr-defined]
                for c in public() or []], True
    sslobj = getattr(sock, "_sslobj", None)  # Python 3.10-3.12: the C object has it
    private = getattr(sslobj, "get_unverified_chain", None)
    if callable(private):
        return [c.public_bytes(ssl._ssl.ENCODING_DER) for c in private() or []], True  # type: ignore[attr-defined]
    leaf = sock.getpeercert(binary_form=True)
    return ([leaf] if leaf else []), False


def hostname_matches(hostname: str, sans: Iterable[str]) -> bool:
    """RFC 6125 matching of `hostname` against a certificate's subjectAltNames: exact names,
    a wildcard only as the whole left-most label, IP addresses exactly."""
    if _is_ip(hostname):
        wanted = ipaddress.ip_address(hostname.strip("[]"))
        return any(_is_ip(san) and ipaddress.ip_address(san) == wanted for san in sans)
    host = hostname.rstrip(".").lower()
    for san in sans:
        pattern = san.rstrip(".").lower()
        if pattern == host:
            return True
        if pattern.startswith("*.") and "." in host:
            first, _, rest = host.partition(".")
            if rest == pattern[2:] and first and rest.count(".") >= 1:
                return True
    return False


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
        return True
    except ValueError:
        return False


def _legacy_capable_context(version: ssl.TLSVersion) -> ssl.SSLContext:
    """A client context that speaks exactly `version`, weak ciphers allowed (@SECLEVEL=0), so
    that a server still accepting TLS 1.0/1.1 is found out."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():  # TLS 1.0/1.1 are deprecated: asking for them is the point
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = version
        context.maximum_version = version
    if version < ssl.TLSVersion.TLSv1_3:
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


@functools.lru_cache(maxsize=1)
def local_protocol_support() -> dict[str, bool | str]:
    """For each protocol version: True when this Python/OpenSSL completes a handshake with itself
    in memory at that version, else the reason it cannot (so a probe reports it as untestable)."""
    support: dict[str, bool | str] = {}
    with tempfile.TemporaryDirectory(prefix="launch-tls-") as folder:
        cert_file, key_file = _self_signed(Path(folder))
        for name, version in PROTOCOLS.items():
            support[name] = _self_handshake(version, cert_file, key_file)
    return support


def _self_handshake(version: ssl.TLSVersion, cert_file: Path, key_file: Path) -> bool | str:
    try:
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            server.minimum_version = version
            server.maximum_version = version
        if version < ssl.TLSVersion.TLSv1_3:
            server.set_ciphers("DEFAULT:@SECLEVEL=0")
        server.load_cert_chain(cert_file, key_file)
        client = _legacy_capable_context(version)
    except (ssl.SSLError, ValueError) as error:
        return f"the local OpenSSL ({ssl.OPENSSL_VERSION}) cannot be set to {version.name}: {error}"
    c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    client_obj = client.wrap_bio(c_in, c_out, server_side=False)
    server_obj = server.wrap_bio(s_in, s_out, server_side=True)
    done = {"client": False, "server": False}
    try:
        for _ in range(20):
            for side, obj in (("client", client_obj), ("server", server_obj)):
                if not done[side]:
                    try:
                        obj.do_handshake()
                        done[side] = True
                    except ssl.SSLWantReadError:
                        pass
            s_in.write(c_out.read())
            c_in.write(s_out.read())
            if all(done.values()):
                return True
    except ssl.SSLError as error:
        return f"the local OpenSSL ({ssl.OPENSSL_VERSION}) refuses {version.name}: {error.reason or error}"
    return f"the local OpenSSL ({ssl.OPENSSL_VERSION}) did not complete a {version.name} handshake"


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "launch-self-test")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file
