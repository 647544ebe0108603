"""The hooks pytest-launch offers to conftest.py files and other plugins (added in
pytest_addhooks, the way pytest-html and pytest-xdist offer theirs)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.hookspec
def pytest_launch_tables(config: pytest.Config) -> dict[str, type[Any]] | None:
    """Environment-file tables a suite adds: {table name: settings dataclass (a core.settings.Table)}.

    Called in pytest-launch's pytest_configure, before the environment file is loaded, so
    implement it in a plugin or in an initial conftest.py (one in the rootdir, or in a folder
    given on the command line or in `testpaths`). Each table is then validated like a built-in
    one (unknown key, wrong type: a usage error naming file, key, expected and found); a table
    no plugin registers is an unknown table. A name may be registered once, and not as a
    built-in table. `python -m pytest_launch.config.reference FILE...` calls it without
    arguments, so an implementation used there takes none.
    """
