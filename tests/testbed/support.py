"""Shared helpers of the test bed: finding server binaries, free ports, waiting for readiness."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_launch.demo.processes import refusing_socket, terminate, wait_for

__all__ = ["require_binary", "free_port", "wait_until", "port_open", "terminate", "refusing_socket"]


def require_binary(name: str, package: str, extra_dirs: tuple[str, ...] = ()) -> str:
    """The path of a server binary. In CI (CI=true) a missing binary fails the test; elsewhere
    the test is skipped with the Debian package to install."""
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin", *extra_dirs])
    found = shutil.which(name, path=search)
    if found:
        return found
    message = f"{name} not found: apt-get install {package} (bash .ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
    raise AssertionError("unreachable")


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port on 127.0.0.1 that is free right now (TCP by default, SOCK_DGRAM for UDP)."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], bool], timeout: float = 15.0, what: str = "server",
               log: Path | None = None) -> None:
    """Poll `predicate` until it is true; fail the test with the server's log when it never is."""
    try:
        wait_for(predicate, timeout, what, log)
    except TimeoutError as exc:
        pytest.fail(str(exc))


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False
