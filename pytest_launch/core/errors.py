"""The one error type for bad input in the files a user writes."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from pathlib import Path


class ConfigError(Exception):
    """A user mistake in a configuration file: shown as one line, never as a traceback."""

    def __init__(
        self,
        file: str,
        key: str | None,
        expected: str,
        found: str,
        hint: str | None = None,
    ) -> None:
        self.file = str(file)
        self.key = key
        self.expected = expected
        self.found = found
        self.hint = hint
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def relative_to(self, root: Path | str | None) -> ConfigError:
        """Name the file(s) relative to `root` (pytest's rootdir) where they are inside it: a
        message never shows a machine-local absolute path the user did not type."""
        if root is not None:
            prefix = str(Path(root).resolve()).rstrip(os.sep) + os.sep
            self.file = self.file.replace(prefix, "")
        return self

    @property
    def message(self) -> str:
        where = f"{self.file}: {self.key}" if self.key else self.file
        text = f"{where}: expected {self.expected}, found {self.found}"
        if self.hint:
            text += f" ({self.hint})"
        return text


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A 'did you mean' hint for a misspelt key, or None when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def describe(value: object, limit: int = 60) -> str:
    """A short, printable description of a found value for an error message."""
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"{type(value).__name__} {text}"


def shown_path(path: Path | str, root: Path | str | None) -> str:
    """`path` as messages and reports show it: relative to `root` (the repository root, pytest's
    rootdir) when it is inside it, else as it is."""
    if root is not None:
        try:
            return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
        except (ValueError, OSError):
            pass
    return str(path)
