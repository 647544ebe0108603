"""Benchmark: the TLS probe over 200 endpoints, sequentially and with the fan-out helper.

    python benchmarks/fanout_tls.py [--endpoints 200] [--delay-ms 50] [--workers 200]

200 TLS servers listen on loopback (threads in a child process, so that the servers and the
probes do not share one interpreter lock); each waits `--delay-ms` before its handshake,
like a distant server. The same TlsProbe then probes every endpoint one after the other, and
again through its fan-out (`probe_many`, a bounded thread pool). Printed: both times, their
ratio, the slowest single probe, and whether the targets hold:

    fan-out  <= 3 x the slowest single probe
    fan-out  >= 20 x faster than sequential

Both ends run on this machine, so the fan-out also pays the CPU of 2 x 200 handshakes (client and
server) on its cores; the run measures that cost (the same fan-out with no delay) and prints it
too, since against remote servers only the client's half remains.

Loopback only; every connection bounded by the probe's timeout; the servers stop with the run.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import selectors
import socket
import ssl
import sys
import tempfile
import time
from pathlib import Path

import trustme

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pytest_launch.probes.tls import TlsEndpoint, TlsProbe, TlsSettings  # noqa: E402


def _serve(count: int, delay, cert_file: str, key_file: str, ports_out, stop_event) -> None:
    """Child process: `count` TLS servers that sleep `delay.value` seconds before each handshake.
    One selector thread accepts on every port; a thread pool does the delayed handshakes."""
    # these servers stand in for 200 separate machines: let their threads take turns quickly
    sys.setswitchinterval(0.0005)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    listeners = []
    selector = selectors.DefaultSelector()
    for _ in range(count):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(256)
        listener.setblocking(False)
        selector.register(listener, selectors.EVENT_READ)
        listeners.append(listener)
    ports_out.send([s.getsockname()[1] for s in listeners])

    def handle(conn: socket.socket) -> None:
        try:
            conn.setblocking(True)
            conn.settimeout(10)
            time.sleep(delay.value)  # a distant server: the handshake starts late
            with context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)  # until the client closes
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    with concurrent.futures.ThreadPoolExecutor(max_workers=count + 16) as pool:
        while not stop_event.is_set():
            for key, _ in selector.select(timeout=0.05):
                try:
                    conn, _ = key.fileobj.accept()
                except BlockingIOError:
                    continue
                pool.submit(handle, conn)
    for listener in listeners:
        listener.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=200)
    parser.add_argument("--delay-ms", type=float, default=50.0)
    parser.add_argument("--workers", type=int, default=200, help="fan-out pool size ([tls] max_workers)")
    args = parser.parse_args()

    ca = trustme.CA()
    leaf = ca.issue_cert("localhost", "127.0.0.1")
    with tempfile.TemporaryDirectory(prefix="fanout-bench-") as folder:
        cert_file, key_file, ca_file = (Path(folder) / n for n in ("cert.pem", "key.pem", "ca.pem"))
        leaf.private_key_and_cert_chain_pem.write_to_path(str(cert_file))
        leaf.private_key_pem.write_to_path(str(key_file))
        ca.cert_pem.write_to_path(str(ca_file))

        context = multiprocessing.get_context("spawn")
        receive, send = context.Pipe(duplex=False)
        stop = context.Event()
        delay = context.Value("d", args.delay_ms / 1000)
        server = context.Process(target=_serve, args=(args.endpoints, delay, str(cert_file),
                                                      str(key_file), send, stop), daemon=True)
        server.start()
        try:
            if not receive.poll(30):
                print("the TLS servers did not start", file=sys.stderr)
                return 1
            ports = receive.recv()
            endpoints = [TlsEndpoint("localhost", port, address="127.0.0.1") for port in ports]
            probe = TlsProbe(TlsSettings(ca_bundle=str(ca_file), timeout=10, max_workers=args.workers))
            probe.probe(endpoints[0])  # warm up (imports, the trust store)

            singles = []
            start = time.perf_counter()
            for endpoint in endpoints:
                one = time.perf_counter()
                result = probe.probe(endpoint)
                singles.append(time.perf_counter() - one)
                assert result.verified, result.verify_error
            sequential = time.perf_counter() - start

            start = time.perf_counter()
            outcomes = probe.probe_many(endpoints)
            fanned = time.perf_counter() - start

            delay.value = 0.0  # the same fan-out without the delay: the CPU cost of the handshakes
            start = time.perf_counter()
            probe.probe_many(endpoints)
            floor = time.perf_counter() - start
        finally:
            stop.set()
            server.join(timeout=5)
            if server.is_alive():
                server.terminate()

    failed = [o for o in outcomes if not o.ok]
    slowest = max(singles)
    speedup = sequential / fanned
    within = fanned / slowest
    print(f"endpoints: {len(endpoints)}  handshake delay: {args.delay_ms:g} ms  pool: {args.workers}")
    print(f"sequential:            {sequential:8.3f} s")
    print(f"fan-out:               {fanned:8.3f} s  ({len(failed)} failed)")
    print(f"slowest single probe:  {slowest:8.3f} s")
    print(f"fan-out, no delay:     {floor:8.3f} s  (CPU cost of {len(endpoints)} handshakes, both ends, on this machine)")
    print(f"ratio sequential / fan-out:      {speedup:6.1f}x  (target >= 20x)  {'OK' if speedup >= 20 else 'MISSED'}")
    print(f"ratio fan-out / slowest single:  {within:6.2f}x  (target <= 3x)   {'OK' if within <= 3 else 'MISSED'}")
    for outcome in failed[:5]:
        print(f"  failed: {outcome.error}")
    print(f"fan-out minus that CPU cost: {fanned - floor:6.3f} s = {(fanned - floor) / slowest:.2f}x the slowest single probe")
    return 0 if not failed and speedup >= 20 and within <= 3 else 1


if __name__ == "__main__":
    sys.exit(main())
