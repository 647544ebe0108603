"""What the demo needs beyond pytest-launch's own dependencies: the `demo` extra.

    pip install 'pytest-launch[demo]'

A plain `pip install pytest-launch` runs readiness checks against real environments and leaves
the demo's servers out (moto's S3 server pulls in Flask, docker and more). `missing_modules()`
tells, before the demo starts, which of them are not installed, so `--env=demo` without the extra
says so in one line instead of a traceback.
"""

from __future__ import annotations

import importlib.util

INSTALL_HINT = "the demo needs: pip install 'pytest-launch[demo]'"

# the top-level modules the demo imports from the demo extra's packages: moto (S3, Secrets
# Manager), flask (moto's server mode), trustme (the demo CA), werkzeug (the demo's web apps)
DEMO_MODULES = ("moto", "flask", "trustme", "werkzeug")


def missing_modules() -> list[str]:
    """The demo's modules that cannot be imported here (none when the demo extra is installed)."""
    return [name for name in DEMO_MODULES if importlib.util.find_spec(name) is None]
