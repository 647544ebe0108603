"""The plugin's own tests: pytester for plugin behaviour, testbed/ for real servers."""

import os
import sys
from pathlib import Path

import pytest

# launch_suite (readiness/launch_suite/): the readiness suite's own code, which some tests import
# plainly, as the suite's checks do (pytest puts readiness/ on sys.path for readiness/conftest.py)
READINESS = str(Path(__file__).resolve().parent.parent / "readiness")
if READINESS not in sys.path:
    sys.path.insert(0, READINESS)

# .ci/other-pythons runs the pure tests (.ci/pure-tests.txt) on the other supported Pythons with
# LAUNCH_TESTS_PURE=1 and only the runtime dependencies: no test bed there, so a listed test that
# asks for a server fails with "fixture not found" instead of passing on a Python it never ran on.
PURE = os.environ.get("LAUNCH_TESTS_PURE") == "1"
TESTBED_PLUGINS = [
    # test-bed plugins (real servers on loopback), one line each:
    "testbed.nginx",
    "testbed.bind9",
    "testbed.moto_s3",
    "testbed.prometheus",
    "testbed.alertmanager",
    "testbed.postgres",
    "testbed.cdn",
    "testbed.faulty",
]
pytest_plugins = ["pytester", *([] if PURE else TESTBED_PLUGINS)]


@pytest.fixture(autouse=True)
def _rehearsal_clock_allowed(request: pytest.FixtureRequest) -> None:
    """The plugin's tests judge approvals as of a fixed day ($LAUNCH_TODAY = launch_project.TODAY,
    in the past), and CI runs them with CI=true, where a back-dated run is refused unless asked
    for: every pytest a test starts (pytester in-process or subprocess, or a subprocess with
    os.environ) asks for it. pytester clears PYTEST_ADDOPTS when it starts, so this runs after it.
    A test of the refusal itself removes the variable again.
    Hypothesis's pytest plugin is blocked in those runs: no project there uses it, and importing
    it cost every pytest a test starts about 0.3 s of CPU (a third of a bare start). So are
    pytest-html and pytest-metadata (in the test extra for benchmarks/overhead.py --vs-pytest-html
    only): about 0.05 s of every start."""
    if "pytester" not in request.fixturenames:
        return
    request.getfixturevalue("pytester")
    monkeypatch = request.getfixturevalue("monkeypatch")
    monkeypatch.setenv("PYTEST_ADDOPTS", "--launch-allow-backdate -p no:hypothesispytest -p no:html -p no:metadata")


if PURE:  # properties without an explicit count run fewer examples too (tests/property_budget.py)
    from hypothesis import settings
    from property_budget import FLOOR

    settings.register_profile("other-pythons", max_examples=FLOOR)
    settings.load_profile("other-pythons")
