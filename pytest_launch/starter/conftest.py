"""The root conftest.py: pytest loads it for every run under this folder (the readiness suite in
readiness/, checks of your own in other folders, your tests), before the checks are collected.

What it does: it makes the readiness suite's environment tables ([application], [security],
[kubernetes], [database], ...: readiness/launch_suite/settings.py) known to every such run, not
only to runs that collect readiness/ (whose own conftest.py registers the same tables). So a
folder of your own checks reads the same environment file:

    pytest -m t_minus_7 --launch-env=prod              # the readiness suite (testpaths)
    pytest checks/ --launch-env=prod                   # your own checks, same prod.toml

Put here what several folders share: fixtures your own checks use (a logged-in API client, the
release under test), and environment tables of your own, added to `pytest_launch_tables` below
as settings dataclasses (see readiness/launch_suite/settings.py for how a table is written).
What only the readiness suite needs belongs in readiness/conftest.py.

`launch init` writes this file into a new suite; pytest-launch's repository root has the same one.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

# launch_suite (readiness/launch_suite/): the suite's own code, imported under the same name
# readiness/conftest.py uses, so both register the very same table classes
SUITE = str(Path(__file__).resolve().parent / "readiness")
if SUITE not in sys.path:
    sys.path.insert(0, SUITE)


@pytest.hookimpl(optionalhook=True)  # a run with -p no:launch has no such hook
def pytest_launch_tables() -> dict[str, type[Any]]:
    """Environment tables every run under this folder knows (pytest-launch's hook)."""
    from launch_suite.settings import SUITE_TABLES

    return dict(SUITE_TABLES)
