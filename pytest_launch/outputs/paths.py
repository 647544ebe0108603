"""Where a run may write, checked before any check runs.

An output goes only to a path that is ours to replace: a new path, or a regular file (and, for
`--launch-json`, one that holds a results document, or nothing). Anything else -- a symlink (to
anything: /proc/self/fd/1, /dev/null, a file elsewhere), a FIFO, a device, a socket, a
directory, one of the run's own input files, or a file we did not write -- is refused, because
the atomic rename would replace it with a regular file. Folders may be reached through
symlinks (we never replace a folder), but each must accept a real write: a temporary file is
created, written, synced and removed, since permission bits lie (root ignores them) and a full
disk shows only on write.

`preflight_output_paths` raises OutputPathError, one message naming the option, the path, what
was expected and what was found; the plugin turns it into a usage error (exit 4). The atomic
writer repeats the file-type check at write time (`refuse_unless_replaceable`), as the second
line of defence against a path that changed during the run.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

# every file a run writes in its report folder (the lock files included)
REPORT_FILES = ("go-no-go.json", "go-no-go.html", "go-no-go.md", "history.jsonl", "post-launch.md",
                ".history.jsonl.lock", ".go-no-go.lock")
_MAX_DOCUMENT_BYTES = 64 * 1024 * 1024  # an existing --launch-json larger than this is not ours


class OutputPathError(Exception):
    """An output path that is not ours to write: one clear message for a usage error."""

    def __init__(self, what: str, path: Path | str, expected: str, found: str) -> None:
        self.message = f"{what}: {path}: expected {expected}, found {found}"
        super().__init__(self.message)


class NotOurFile(OSError):
    """Raised at write time when the target is not a regular file (it changed after pre-flight)."""


def file_kind(mode: int) -> str:
    """How a file that is not a regular file is described to a user."""
    if stat.S_ISLNK(mode):
        return "a symlink"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISREG(mode):
        return "a regular file"
    return "a special file"


def _found(path: Path, mode: int) -> str:
    kind = file_kind(mode)
    if stat.S_ISLNK(mode):
        try:
            kind += f" to {os.readlink(path)}"
        except OSError:
            pass
    return kind


def refuse_unless_replaceable(path: Path) -> None:
    """NotOurFile unless `path` is missing or a regular file (not followed through a symlink)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise NotOurFile(0, f"refused to replace {_found(path, mode)} (outputs go only to regular files or new paths)",
                         str(path))


def check_output_file(path: Path, what: str) -> None:
    """OutputPathError unless `path` is a new path or a regular file."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputPathError(what, path, "a regular file or a new path", exc.strerror or str(exc)) from None
    if not stat.S_ISREG(mode):
        raise OutputPathError(what, path, "a regular file or a new path", _found(path, mode))


def check_folder_writable(folder: Path, what: str) -> None:
    """Create `folder` (and its parents) when missing, then prove it accepts a write."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        mode = os.lstat(folder).st_mode
        raise OutputPathError(what, folder, "a folder (or a path where one can be created)",
                              _found(folder, mode)) from None
    except OSError as exc:
        raise OutputPathError(what, folder, "a folder that can be created",
                              f"{exc.strerror or exc} ({exc.filename or folder})") from None
    if not folder.is_dir():
        raise OutputPathError(what, folder, "a folder", _found(folder, os.lstat(folder).st_mode))
    tmp_name = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=".launch-preflight.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as handle:
            handle.write(b"pytest-launch pre-flight write test\n" * 32)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise OutputPathError(what, folder, "a writable folder", f"{exc.strerror or exc} on a test write") from None
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def _holds_a_results_document(path: Path) -> bool:
    """True for an empty file or a JSON object with our schema_version and verdict."""
    size = os.lstat(path).st_size
    if size == 0:
        return True
    if size > _MAX_DOCUMENT_BYTES:
        return False
    try:
        doc = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return False
    return isinstance(doc, dict) and "schema_version" in doc and "verdict" in doc


def preflight_output_paths(json_path: Path | None, report_folder: Path | None,
                           inputs: Iterable[Path] = ()) -> None:
    """Check every path the run will write before it starts; OutputPathError on the first problem.

    json_path: --launch-json; report_folder: the folder the run writes go-no-go.* and its history
    into (created here when missing); inputs: the files the run reads (checklist, policy, waivers,
    sign-offs, environment file and its bases, ini file), which no output may replace.
    """
    input_files = [Path(p) for p in inputs if p is not None and Path(p).exists()]

    def not_an_input(path: Path, what: str) -> None:
        for source in input_files:
            if path.exists() and _same_file(path, source):
                raise OutputPathError(what, path, "an output path", f"an input of this run ({source})")

    if json_path is not None:
        json_path = Path(json_path)
        what = "--launch-json"
        check_output_file(json_path, what)
        not_an_input(json_path, what)
        if json_path.exists() and not _holds_a_results_document(json_path):
            raise OutputPathError(what, json_path, "a new path or an earlier go-no-go.json (a results document)",
                                  "a file that is not a results document (refused: it is not ours to replace)")
        if report_folder is not None:
            for name in REPORT_FILES[1:]:
                if _same_file(json_path, Path(report_folder) / name):
                    raise OutputPathError(what, json_path, "a path of its own",
                                          f"the report's {name}, which the run also writes")
        check_folder_writable(json_path.parent, what)
    if report_folder is not None:
        report_folder = Path(report_folder)
        what = "report folder (--launch-report-dir)"
        check_folder_writable(report_folder, what)
        for name in REPORT_FILES:
            check_output_file(report_folder / name, what)
            not_an_input(report_folder / name, what)
