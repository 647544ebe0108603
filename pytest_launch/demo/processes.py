"""Starting and stopping the local servers the demo (and the plugin's test bed) run: waiting
until one is ready, and stopping one we started."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, log: Path | None = None) -> None:
    """Poll `predicate` until it is true; TimeoutError with the tail of the server's log when
    it never is. An OSError from the predicate counts as "not yet"."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.05)
    detail = ""
    if log is not None and log.exists():
        detail = ":\n" + log.read_text(errors="replace")[-3000:]
    raise TimeoutError(f"{what} did not become ready within {timeout:g}s{detail}")


def terminate(process: subprocess.Popen[bytes]) -> None:
    """Stop a server process we started (by its own pid): SIGTERM, then SIGKILL after 5 s."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def refusing_socket() -> socket.socket:
    """A TCP socket bound to a free port of 127.0.0.1 and never listening: while it stays open
    no other server can take the port, and every connection to it is refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock
