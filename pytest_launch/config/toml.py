"""Reading a TOML file into a dict, with syntax errors turned into ConfigError."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pytest_launch.core.errors import ConfigError

# deeper than any launch file needs; far below where a recursive validator would hit the
# interpreter's recursion limit
MAX_DEPTH = 32

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
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), None, "valid TOML", f"a syntax error: {exc}") from None
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise ConfigError(str(path), None, f"at most {MAX_DEPTH} levels of nested tables and arrays",
                          "nesting too deep to parse") from None
    _refuse_deep_nesting(data, str(path))
    return data


def _refuse_deep_nesting(data: dict[str, Any], file: str) -> None:
    """ConfigError when tables and arrays nest deeper than MAX_DEPTH (dotted keys such as
    a.a.a.a... = 1 parse without recursion but would exhaust every recursive validator after)."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, key, depth = stack.pop()
        if depth > MAX_DEPTH:
            shown = key if len(key) <= 60 else key[:57] + "..."
            raise ConfigError(file, shown or None, f"at most {MAX_DEPTH} levels of nested tables and arrays",
                              f"{depth} levels or more")
        if isinstance(value, dict):
            stack.extend((inner, f"{key}.{name}" if key else str(name), depth + 1) for name, inner in value.items())
        elif isinstance(value, list):
            stack.extend((inner, f"{key}[{index}]", depth + 1) for index, inner in enumerate(value))
