"""The evidence a check records (measured values, thresholds, targets), kept as built-in types
so that it travels through pytest-xdist on the report's user_properties."""

from __future__ import annotations

import math
from typing import Any

USER_PROPERTY = "launch_evidence"
_MAX_STRING = 2000


def to_builtin(value: Any) -> Any:
    """A JSON-safe copy: dicts, lists, str, int, float, bool, None; anything else as its str().
    NaN and infinities become strings, so that no JSON reader mistakes them for numbers."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return value if len(value) <= _MAX_STRING else value[:_MAX_STRING] + "… [truncated]"
    if isinstance(value, dict):
        return {str(k): to_builtin(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_builtin(v) for v in value]
    return to_builtin(str(value))


class Evidence:
    """What the `launch_evidence` fixture gives a check: `launch_evidence.record(days_left=12, threshold=30)`."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def record(self, **values: Any) -> None:
        for key, value in values.items():
            self.values[key] = to_builtin(value)

    def __setitem__(self, key: str, value: Any) -> None:
        self.values[key] = to_builtin(value)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def __contains__(self, key: object) -> bool:
        return key in self.values

    def __repr__(self) -> str:
        return f"Evidence({self.values!r})"
