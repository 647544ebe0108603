"""How many examples a property test runs.

The whole suite (the README's test command, on the Python of .venv) runs every property at its
full count. `.ci/other-pythons` runs the pure tests on the other Pythons that requires-python
claims, to show the code runs there, not to search the property again: it sets
LAUNCH_TEST_EXAMPLES_DIVISOR=10, and each property runs a tenth of its count (at least 20)."""

from __future__ import annotations

import os

DIVISOR = max(1, int(os.environ.get("LAUNCH_TEST_EXAMPLES_DIVISOR", "1") or "1"))
FLOOR = 20


def examples(full: int) -> int:
    """`full` on the whole suite's run; `full // DIVISOR` (at least FLOOR) on the other Pythons."""
    return full if DIVISOR == 1 else max(FLOOR, full // DIVISOR)
