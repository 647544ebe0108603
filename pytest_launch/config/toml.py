"""Reading a TOML file into a dict, with syntax errors turned into ConfigError."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pytest_launch.config.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def read_toml(path: Path, what: str = "file") -> dict[str, Any]:
    """Parse the TOML file at `path`; a missing file or a syntax error is a ConfigError."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(str(path), None, f"an existing {what}", "no such file") from None
    except OSError as exc:
        raise ConfigError(str(path), None, f"a readable {what}", exc.strerror or str(exc)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            str(path), None, "UTF-8 text", f"a byte that is not UTF-8 at offset {exc.start}"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), None, "valid TOML", f"a syntax error: {exc}") from None
