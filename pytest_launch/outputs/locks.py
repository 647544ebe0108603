"""An exclusive lock on a file, between processes and between threads, with a timeout: the
report folder's lock, the history's and a run's own lock (POSIX `flock` on a descriptor of our
own, so two holders in one process exclude each other too).

Written here rather than taken from filelock, which these outputs used until issue 16: importing
filelock 4 registers fork handlers that keep every module alive through the interpreter's
shutdown, so Python then walked the whole heap twice more on exit (0.2-0.4 s of CPU after a
3,000-check run, more than every other cost of the plugin together). What we need is one
non-blocking `flock` retried until a deadline.

The lock file is opened with O_NOFOLLOW (a symlink put in its place is refused, never followed)
and left behind on release, as filelock left it: removing it would let a waiting process lock a
file that is no longer the one a third process opens.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from pathlib import Path
from types import TracebackType

POLL_S = 0.05  # how often a waiting process tries again
# the logger is asked for only when a lock is waited for: every logger that exists costs every
# check of the run a little (pytest's log capture visits all loggers at each phase of each check)
LOGGER_NAME = "pytest_launch.locks"


# a report folder's lock: every writer of its report files holds it while it writes them
# (outputs/render_all.py at a run's end, outputs/in_progress.py before its checks)
REPORT_FOLDER_LOCK = ".go-no-go.lock"
REPORT_LOCK_TIMEOUT_S = 60.0


class LockTimeout(OSError):
    """The lock was held by another holder for longer than the timeout."""


class FileLock:
    """`with FileLock(path, timeout=30):` holds an exclusive lock on `path` (created if missing)."""

    def __init__(self, path: str | os.PathLike[str], timeout: float) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self._fd: int | None = None

    @property
    def is_locked(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock, waiting up to `timeout` seconds; LockTimeout when it stays taken."""
        if self._fd is not None:
            raise RuntimeError(f"{self.path}: this lock is already held by this object")
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        deadline = time.monotonic() + max(0.0, self.timeout)
        waited = False
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise LockTimeout(0, f"lock not acquired within {self.timeout:g}s",
                                          str(self.path)) from None
                    if not waited:
                        logging.getLogger(LOGGER_NAME).debug("lock %s not acquired, waiting up to %gs",
                                                             self.path, self.timeout)
                        waited = True
                    time.sleep(min(POLL_S, left))
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        """Let the lock go (nothing happens when it is not held)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.release()
