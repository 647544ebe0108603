"""outputs/locks.py: the report folder's, the history's and a run's own lock (issue 16 replaced
filelock by one flock on a descriptor of our own)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pytest_launch.outputs.locks import FileLock, LockTimeout

HOLD = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.readline()  # until the test lets go (or is killed)
"""


def test_a_second_holder_in_the_same_process_waits_then_times_out(tmp_path: Path) -> None:
    first = FileLock(tmp_path / ".go-no-go.lock", timeout=1)
    with first:
        second = FileLock(tmp_path / ".go-no-go.lock", timeout=0.2)
        with pytest.raises(LockTimeout, match="lock not acquired within 0.2s"):
            second.acquire()
        assert not second.is_locked
    with FileLock(tmp_path / ".go-no-go.lock", timeout=0) as again:
        assert again.is_locked
    assert not again.is_locked


def test_a_lock_held_by_another_process_is_refused_and_dies_with_that_process(tmp_path: Path) -> None:
    path = tmp_path / ".history.jsonl.lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LockTimeout):
            FileLock(path, timeout=0).acquire()
    finally:
        holder.kill()  # a crashed writer: the kernel lets its lock go
        holder.wait()
    with FileLock(path, timeout=0):
        pass


def test_a_waiting_holder_gets_the_lock_once_it_is_released(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / ".go-no-go.lock"
    caplog.set_level(logging.DEBUG, logger="pytest_launch.locks")
    waiting = threading.Event()
    got: list[bool] = []

    class Seen(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "not acquired" in record.getMessage():
                waiting.set()

    handler = Seen()
    logging.getLogger("pytest_launch.locks").addHandler(handler)
    try:
        first = FileLock(path, timeout=0)
        first.acquire()

        def take() -> None:
            with FileLock(path, timeout=60):
                got.append(True)

        thread = threading.Thread(target=take)
        thread.start()
        assert waiting.wait(60), "the second holder never waited"
        assert got == []
        first.release()
        thread.join(60)
        assert got == [True]
    finally:
        logging.getLogger("pytest_launch.locks").removeHandler(handler)


def test_a_symlink_in_place_of_the_lock_file_is_refused_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "somewhere-else"
    target.write_text("not ours")
    (tmp_path / ".go-no-go.lock").symlink_to(target)
    with pytest.raises(OSError):
        FileLock(tmp_path / ".go-no-go.lock", timeout=0).acquire()
    assert target.read_text() == "not ours"


def test_release_is_idempotent_and_one_object_holds_once(tmp_path: Path) -> None:
    lock = FileLock(tmp_path / "x.lock", timeout=0)
    lock.release()
    lock.acquire()
    with pytest.raises(RuntimeError, match="already held"):
        lock.acquire()
    lock.release()
    lock.release()
    assert not lock.is_locked
    assert os.path.exists(tmp_path / "x.lock")  # left behind on purpose (see outputs/locks.py)


def test_taking_a_free_lock_creates_no_logger(tmp_path: Path) -> None:
    """pytest's log capture visits every logger at each phase of each check: a logger made by the
    report folder's lock in every deciding run would cost every check (issue 16)."""
    code = ("import logging, sys\nfrom pytest_launch.outputs.locks import FileLock\n"
            f"with FileLock({str(tmp_path / 'x.lock')!r}, timeout=0):\n    pass\n"
            "print(sorted(logging.Logger.manager.loggerDict))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", result.stdout
