"""Reliability: servers that accept TCP (or receive UDP) and never answer (PRODUCT §7).

Every probe must come back with a clear failure naming its target (never a pass) within its
configured timeout plus a small slack; a probe that retries must stay within its documented worst
case, and make exactly the attempts its settings allow. Twenty such endpoints in one fan-out cost
about one timeout, not twenty.

The servers are real sockets on 127.0.0.1 (nothing mocked): one kind holds each connection open
and reads what the client sends but never writes a byte; the other accepts and never even reads.
DNS gets a UDP port that never answers, and one that answers every query "truncated" so that the
client retries over TCP, on the same port, to a TCP server that never answers.

To keep the file fast, every (probe call, server) case runs at the same time, each on its own
server, in its own thread: the bounds are upper bounds, so running side by side can only make
them harder to meet. These are bounds on our own timeout mechanism, not speed benchmarks: the
slack is generous for a shared machine, yet smaller than one more timeout, so a probe that waits
twice (or retries once more than asked) fails.
"""

from __future__ import annotations

import dataclasses
import os
import re
import selectors
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import dns.flags
import dns.message
import pytest

from pytest_launch.probes.alertmanager import AlertmanagerProbe, AlertmanagerSettings
from pytest_launch.probes.aws import AwsSettings, S3Probe
from pytest_launch.probes.dns import DnsProbe, DnsSettings
from pytest_launch.probes.errors import ProbeError
from pytest_launch.probes.fanout import fan_out
from pytest_launch.probes.http import HttpProbe, HttpSettings
from pytest_launch.probes.prometheus import PrometheusProbe, PrometheusSettings, QueryResult
from pytest_launch.probes.tls import TlsEndpoint, TlsProbe, TlsSettings, local_protocol_support

TIMEOUT = 1.0      # seconds: each probe's configured timeout in the batch below
SLACK = 0.8        # seconds on top of a case's budget; less than one more TIMEOUT
FANOUT_TIMEOUT = 0.5
FANOUT_ENDPOINTS = 20
GIVE_UP = 30.0     # the batch waits at most this long for a case: a hang shows as "never returned"
TIMEOUT_WORDS = re.compile(r"timed out|no answer within|no TLS handshake within|within \d")


# -- servers that never answer --------------------------------------------------------------------

class SilentTcpServer:
    """A listener on 127.0.0.1 that accepts every connection and never writes to it. With
    `read=True` it reads (and drops) what the client sends; with `read=False` it never reads.
    `accepted` counts connections: one per attempt the client made."""

    def __init__(self, read: bool, port: int = 0) -> None:
        self.read = read
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(64)
        self.listener.setblocking(False)
        self.port: int = self.listener.getsockname()[1]
        self.accepted = 0
        self.connections: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name=f"silent-tcp-{self.port}")
        self._thread.start()

    def _serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self.listener, selectors.EVENT_READ)
            while not self._stop.is_set():
                for key, _ in selector.select(0.05):
                    if key.fileobj is self.listener:
                        try:
                            conn, _ = self.listener.accept()
                        except BlockingIOError:
                            continue
                        self.accepted += 1
                        self.connections.append(conn)  # held open until close()
                        if self.read:
                            conn.setblocking(False)
                            selector.register(conn, selectors.EVENT_READ)
                        continue
                    conn = key.fileobj
                    try:
                        data = conn.recv(65536)  # type: ignore[union-attr]
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    if not data:  # the client gave up: stop watching, keep it open
                        selector.unregister(conn)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for conn in self.connections:
            conn.close()
        self.listener.close()


class TruncatingUdpServer:
    """Answers every DNS query over UDP with an empty response whose TC flag is set, so the
    client must ask again over TCP (on the same port)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.sock.settimeout(0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name=f"truncating-udp-{port}")
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, client = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            response = dns.message.make_response(dns.message.from_wire(data))
            response.flags |= dns.flags.TC
            self.sock.sendto(response.to_wire(), client)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


class SilentDns:
    """A DNS port on 127.0.0.1 that never answers: over UDP (`tcp=False`: a bound socket that
    never reads), or over TCP (`tcp=True`: UDP answers "truncated", TCP never answers)."""

    def __init__(self, tcp: bool, read: bool = True) -> None:
        self.tcp_server: SilentTcpServer | None = None
        self.udp_server: TruncatingUdpServer | None = None
        self.udp_socket: socket.socket | None = None
        if not tcp:
            self.udp_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.udp_socket.bind(("127.0.0.1", 0))
            self.port = self.udp_socket.getsockname()[1]
            return
        for _ in range(50):  # a port free for both UDP and TCP
            self.tcp_server = SilentTcpServer(read=read)
            try:
                self.udp_server = TruncatingUdpServer(self.tcp_server.port)
                break
            except OSError:
                self.tcp_server.close()
        else:
            raise RuntimeError("no port free for both UDP and TCP on 127.0.0.1")
        self.port = self.tcp_server.port

    @property
    def accepted(self) -> int:
        return self.tcp_server.accepted if self.tcp_server else 0

    def close(self) -> None:
        for server in (self.tcp_server, self.udp_server, self.udp_socket):
            if server is not None:
                server.close()


# -- the cases ------------------------------------------------------------------------------------

@pytest.fixture(autouse=True, scope="module")
def _offline_aws() -> Iterator[None]:
    """Test-only credentials for boto3's standard chain, and no instance-metadata lookups: the S3
    client must talk to nothing but the silent server on 127.0.0.1."""
    names = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE",
             "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED", "AWS_PROFILE", "AWS_SESSION_TOKEN")
    saved = {name: os.environ.get(name) for name in names}
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(AWS_ACCESS_KEY_ID="testing-key-id", AWS_SECRET_ACCESS_KEY="testing-not-a-secret",
                      AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=os.devnull,
                      AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true")
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _http_backoff(retries: int, factor: float) -> float:
    """urllib3 Retry's sleeps before the retries: none before the first, then factor x 2^(n-1)."""
    return sum(factor * 2 ** (n - 1) for n in range(2, retries + 1))


def _s3_backoff(attempts: int) -> float:
    """botocore "standard" mode: before attempt i+1 at most min(2^(i-1), 20) s (jittered)."""
    return sum(min(2 ** (i - 1), 20) for i in range(1, attempts))


@dataclasses.dataclass
class Case:
    """One probe call against one silent server: how long it may take and how many connections
    (attempts) it must make."""

    id: str
    prepare: Callable[[int], Callable[[], Any]]  # port -> the probe call (probe built, not yet called)
    budget: float                    # seconds, from the probe's settings and its docs
    attempts: int | None = 1         # TCP connections expected (None: not counted)
    server: str = "tcp"              # "tcp", "dns-udp", "dns-tcp"


# Each helper builds its probe first (building a boto3 client is CPU, not a network wait) and
# gives the call that is timed.

def _http(retries: int, method: str = "GET") -> Callable[[int], Callable[[], Any]]:
    def prepare(port: int) -> Callable[[], Any]:
        probe = HttpProbe(HttpSettings(base_url=f"http://127.0.0.1:{port}", timeout=TIMEOUT, retries=retries))
        return lambda: probe.request(method, "/health")
    return prepare


def _tls(method: str) -> Callable[[int], Callable[[], Any]]:
    def prepare(port: int) -> Callable[[], Any]:
        probe = TlsProbe(TlsSettings(timeout=TIMEOUT))
        return lambda: getattr(probe, method)(TlsEndpoint("127.0.0.1", port))
    return prepare


def _s3(attempts: int, method: str) -> Callable[[int], Callable[[], Any]]:
    def prepare(port: int) -> Callable[[], Any]:
        probe = S3Probe(AwsSettings(region="us-east-1", endpoint_url=f"http://127.0.0.1:{port}",
                                    connect_timeout=TIMEOUT, read_timeout=TIMEOUT, max_attempts=attempts))
        probe.s3.generate_presigned_url("get_object", Params={"Bucket": "warm-up", "Key": "k"})  # no network
        return lambda: getattr(probe, method)("launch-backups")
    return prepare


def _prometheus(method: str) -> Callable[[int], Callable[[], Any]]:
    def prepare(port: int) -> Callable[[], Any]:
        probe = PrometheusProbe(PrometheusSettings(url=f"http://127.0.0.1:{port}", timeout_s=TIMEOUT))
        return lambda: probe.query("up") if method == "query" else probe.ready()
    return prepare


def _alertmanager_status(port: int) -> Callable[[], Any]:
    return AlertmanagerProbe(AlertmanagerSettings(url=f"http://127.0.0.1:{port}", timeout_s=TIMEOUT)).status


def _dns(method: str) -> Callable[[int], Callable[[], Any]]:
    def prepare(port: int) -> Callable[[], Any]:
        server = f"127.0.0.1:{port}"
        probe = DnsProbe(DnsSettings(zone="launch.test", nameservers=[server], timeout=TIMEOUT))
        if method == "lookup":
            return lambda: probe.lookup("www", "A")
        if method == "expected_problems":
            return lambda: probe.expected_problems({"www": {"A": ["192.0.2.10"]}})
        return lambda: probe.soa_serials(servers=[server])
    return prepare


CASES = [
    Case("http-get-no-retries", _http(0), TIMEOUT),
    # documented worst case: (retries + 1) x timeout plus the backoff; three connections
    Case("http-get-2-retries", _http(2), 3 * TIMEOUT + _http_backoff(2, 0.2), attempts=3),
    Case("http-post-never-resent", _http(2, "POST"), TIMEOUT),
    Case("tls-probe", _tls("probe"), TIMEOUT),
    Case("tls-protocols", _tls("protocols"), TIMEOUT),
    # max_attempts counts every attempt, the first included
    Case("s3-newest-object-1-attempt", _s3(1, "newest_object"), TIMEOUT),
    Case("s3-versioning-2-attempts", _s3(2, "versioning_enabled"), 2 * TIMEOUT + _s3_backoff(2), attempts=2),
    Case("prometheus-query", _prometheus("query"), TIMEOUT),
    Case("prometheus-ready", _prometheus("ready"), TIMEOUT),
    Case("alertmanager-status", _alertmanager_status, TIMEOUT),
    Case("dns-udp-lookup", _dns("lookup"), TIMEOUT, attempts=None, server="dns-udp"),
    Case("dns-udp-expected", _dns("expected_problems"), TIMEOUT, attempts=None, server="dns-udp"),
    Case("dns-udp-soa", _dns("soa"), TIMEOUT, attempts=None, server="dns-udp"),
    Case("dns-tcp-lookup", _dns("lookup"), TIMEOUT, server="dns-tcp"),
    Case("dns-tcp-soa", _dns("soa"), TIMEOUT, server="dns-tcp"),
]
KINDS = {"reads-never-writes": True, "never-reads": False}
RUNS = [(case, kind) for case in CASES for kind in KINDS if case.server != "dns-udp" or kind == "never-reads"]


@dataclasses.dataclass
class Run:
    case: Case
    kind: str
    port: int
    finished: bool = False
    seconds: float = 0.0
    value: Any = None
    error: BaseException | None = None
    attempts: int = 0


@pytest.fixture(scope="module")
def silent_runs() -> dict[str, Run]:
    """Every case against its own silent server, all at once; what each returned and when."""
    local_protocol_support()  # the local OpenSSL self-test is a one-time CPU cost, not a network wait
    servers: list[Any] = []
    runs: dict[str, Run] = {}
    threads = []
    try:
        for case, kind in RUNS:
            if case.server == "tcp":
                server: Any = SilentTcpServer(read=KINDS[kind])
            else:
                server = SilentDns(tcp=case.server == "dns-tcp", read=KINDS[kind])
            servers.append(server)
            run = runs[f"{case.id}-{kind}"] = Run(case, kind, server.port)
            call = case.prepare(server.port)

            def work(run: Run = run, call: Callable[[], Any] = call) -> None:
                start = time.perf_counter()
                try:
                    run.value = call()
                except BaseException as error:  # kept and judged by the test
                    run.error = error
                run.seconds = time.perf_counter() - start
                run.finished = True

            threads.append(threading.Thread(target=work, daemon=True, name=f"case-{case.id}-{kind}"))
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + GIVE_UP
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        for run, server in zip(runs.values(), servers):
            run.attempts = server.accepted if hasattr(server, "accepted") else 0
    finally:
        for server in servers:
            server.close()
    return runs


def failure_text(value: Any, error: BaseException | None) -> str | None:
    """The failure a probe call gave, or None when it returned something that reads as a pass."""
    if error is not None:
        return str(error)
    if isinstance(value, QueryResult):
        return None if value.ok else f"{value.status}: {value.error}"
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return "; ".join(value)  # a helper's list of problems
    return None


@pytest.mark.parametrize("run_id", [f"{case.id}-{kind}" for case, kind in RUNS])
def test_probe_fails_clearly_within_its_timeout(silent_runs: dict[str, Run], run_id: str) -> None:
    run = silent_runs[run_id]
    assert run.finished, f"{run_id}: never returned within {GIVE_UP:g}s from a server that never answers"
    message = failure_text(run.value, run.error)
    assert message is not None, f"{run_id}: a server that never answered gave a pass: {run.value!r}"
    if run.error is not None:
        assert isinstance(run.error, ProbeError), f"{run_id}: not a ProbeError: {run.error!r}"
    assert f"127.0.0.1:{run.port}" in message, f"{run_id}: the failure does not name the target: {message}"
    assert TIMEOUT_WORDS.search(message), f"{run_id}: the failure does not say it timed out: {message}"
    assert run.seconds < run.case.budget + SLACK, (
        f"{run_id}: took {run.seconds:.2f}s; its settings allow {run.case.budget:.2f}s (+{SLACK}s slack)")


@pytest.mark.parametrize("run_id", [f"{case.id}-{kind}" for case, kind in RUNS if case.attempts is not None])
def test_probe_makes_exactly_the_attempts_its_settings_allow(silent_runs: dict[str, Run], run_id: str) -> None:
    run = silent_runs[run_id]
    assert run.attempts == run.case.attempts, (
        f"{run_id}: {run.attempts} connections to the silent server, expected {run.case.attempts}")


def test_prometheus_query_against_a_silent_server_is_an_error_not_no_data(silent_runs: dict[str, Run]) -> None:
    result = silent_runs["prometheus-query-never-reads"].value
    assert isinstance(result, QueryResult)
    assert result.status == "error" and result.value is None and not result.ok


# -- fan-out --------------------------------------------------------------------------------------

def test_twenty_silent_endpoints_in_one_fan_out_cost_one_timeout_not_twenty(monkeypatch: pytest.MonkeyPatch) -> None:
    built = []  # verifying contexts: loading the trust store is CPU each thread would otherwise spend
    original = TlsProbe._new_verifying_context
    monkeypatch.setattr(TlsProbe, "_new_verifying_context", lambda self: built.append(1) or original(self))
    servers = [SilentTcpServer(read=n % 2 == 0) for n in range(FANOUT_ENDPOINTS)]
    try:
        probe = TlsProbe(TlsSettings(timeout=FANOUT_TIMEOUT))
        targets = [TlsEndpoint("127.0.0.1", server.port) for server in servers]
        start = time.perf_counter()
        outcomes = fan_out(probe.probe, targets)
        elapsed = time.perf_counter() - start
    finally:
        for server in servers:
            server.close()
    assert [o.target for o in outcomes] == targets
    not_failed = [str(o.target) for o in outcomes if o.ok]
    assert not not_failed, f"silent endpoints gave a pass: {not_failed}"
    for outcome in outcomes:
        assert isinstance(outcome.error, ProbeError)
        assert str(outcome.error).startswith(f"127.0.0.1:{outcome.target.port}: no TLS handshake within 0.5s")
    assert len(built) == 1, f"one fan-out built {len(built)} verifying contexts (trust store loads), not one"
    sequential = FANOUT_ENDPOINTS * FANOUT_TIMEOUT
    assert elapsed < 3 * FANOUT_TIMEOUT, (
        f"{FANOUT_ENDPOINTS} silent endpoints took {elapsed:.2f}s in one fan-out "
        f"(one timeout is {FANOUT_TIMEOUT}s; one after another would be {sequential:g}s)")
