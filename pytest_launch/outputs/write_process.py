"""The end of a run decided and written by a child process while pytest prints its summary.

The end of a run (the fold of every report into the checks' results, the one call of `decide`,
the results document, the JSON, the history line, the page and the summary with Jinja2's import,
the environment's index page: about 150 ms on 3,000 checks, issue 16) is work pytest's own
process does not need until it prints the report's paths, the reasons and the verdict line,
after pytest's own summary (the failures' tracebacks, the warnings). Where it is safe, the
process forks: the child decides and writes every output from its copy of the run, tells the
parent the document's top level (the verdict, its reasons: what the terminal, the exit code and
the JUnit case read) and the files written, and exits; the parent prints pytest's summary
meanwhile and waits for the child before it shows the decision. What the child writes and tells
(or the error that stopped it) is what doing the same in-process would have written and given.

Forked only where that is safe and pays: on Linux, with two CPUs or more for this process, and
pytest running one thread (a fork keeps only the calling thread: a lock another thread holds
would stay held in the child). Anywhere else, or when fork fails, the outputs are written
in-process, as before. The caller also writes in-process when something written at the end of
the session must already know whether the report was written (the JUnit file's decision case).
"""

from __future__ import annotations

import errno
import gc
import json
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

# what deciding and writing give back: the results document's top level, as written (built-in
# types only: it crosses a pipe as JSON), and the files written
WriteOutcome = tuple[dict[str, Any], list[Path]]


class ReportWriterFailed(OSError):
    """The child process that wrote the outputs died, or stopped on an error that is not an
    OSError (its traceback is on stderr): the report may be incomplete."""


class PendingWrite:
    """Outputs being written: `wait()` gives what writing gave, or raises what it raised."""

    def __init__(self, outcome: WriteOutcome | None = None, pid: int | None = None, pipe: int | None = None) -> None:
        self._outcome = outcome
        self._pid = pid
        self._pipe = pipe

    @property
    def in_child(self) -> bool:
        return self._pid is not None

    def wait(self) -> WriteOutcome:
        if self._pid is None:
            assert self._outcome is not None
            return self._outcome
        pid, pipe = self._pid, self._pipe
        self._pid = self._pipe = None
        assert pipe is not None
        message = b""
        try:
            with os.fdopen(pipe, "rb") as reader:
                message = reader.read()
        finally:
            _, status = os.waitpid(pid, 0)  # reaped whatever happens here (Ctrl-C included)
        outcome = _outcome_of(message, status, pid)
        self._outcome = outcome
        return outcome


def fork_is_safe() -> bool:
    """True where the outputs may be written by a forked child (see the module's docstring)."""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    try:
        if len(os.sched_getaffinity(0)) < 2:
            return False  # one CPU: the child would only take turns with the parent
        # every thread of the process, Python's and native ones (Python 3.12 warns on a fork
        # with several): a lock held by any of them would stay held in the child
        if threading.active_count() != 1 or len(os.listdir("/proc/self/task")) != 1:
            return False
    except OSError:
        return False
    return True


def start_write(write: Callable[[], WriteOutcome], *, in_child: bool) -> PendingWrite:
    """Decide and write the outputs with `write()`: in a forked child when `in_child` (and the fork
    succeeds), else here and now (then an error is raised by this call, as `write()` raises it)."""
    if in_child:
        pending = _fork(write)
        if pending is not None:
            return pending
    return PendingWrite(outcome=write())


def _fork(write: Callable[[], WriteOutcome]) -> PendingWrite | None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        if stream is not None:  # nothing buffered is written twice, by the parent and the child
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
    reader, writer = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # no process to be had (a limit on processes, memory): write here instead
        os.close(reader)
        os.close(writer)
        return None
    if pid == 0:  # the child: write, tell the parent, and leave without running anything else
        os.close(reader)
        _child(write, writer)
    os.close(writer)
    return PendingWrite(pid=pid, pipe=reader)


def _child(write: Callable[[], WriteOutcome], pipe: int) -> None:
    code = 0
    try:
        # the heap is the parent's, shared until written to: a collection would write to every
        # object's header, and copy every page of it
        gc.disable()
        document, written = write()
        # encoded here: a document that does not encode is a bug, reported as one
        message = json.dumps({"document": document, "written": [str(path) for path in written]})
    except OSError as exc:
        code = 1
        message = json.dumps({"oserror": [exc.errno, exc.strerror, None if exc.filename is None else str(exc.filename)]})
    except BaseException as exc:  # noqa: BLE001 - a bug, or Ctrl-C: the parent reports it, the traceback is on stderr
        code = 2
        traceback.print_exc()
        message = json.dumps({"failed": type(exc).__name__})
    try:
        with os.fdopen(pipe, "wb") as parent:
            parent.write(message.encode("utf-8"))
        sys.stderr.flush()
    finally:
        os._exit(code)  # no atexit handler, no pytest cleanup, no buffer of the parent's flushed


def _outcome_of(message: bytes, status: int, pid: int) -> WriteOutcome:
    """What the child told (its one JSON message) and how it ended, as writing in-process ends."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        raise ReportWriterFailed(errno.EIO, f"the process writing the report (pid {pid}) was killed by "
                                            f"{signal.Signals(number).name if number in signal.valid_signals() else number}; "
                                            f"the report may be incomplete")
    try:
        told = json.loads(message) if message else None
    except ValueError:
        told = None
    if not isinstance(told, dict):
        raise ReportWriterFailed(errno.EIO, f"the process writing the report (pid {pid}) ended with status "
                                            f"{os.waitstatus_to_exitcode(status)} without saying how it went; "
                                            f"the report may be incomplete")
    if "oserror" in told:
        number, text, filename = told["oserror"]
        raise OSError(number, text, filename) if filename is not None else OSError(number, text)
    if "failed" in told:
        raise ReportWriterFailed(errno.EIO, f"the process writing the report stopped on {told['failed']} "
                                            f"(its traceback is above); the report may be incomplete")
    document, written = told.get("document"), told.get("written")
    if not isinstance(document, dict) or not isinstance(written, list):
        raise ReportWriterFailed(errno.EIO, f"the process writing the report (pid {pid}) sent no results document; "
                                            f"the report may be incomplete")
    return document, [Path(str(path)) for path in written]
