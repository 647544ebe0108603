"""The readiness suite's conftest: starts the embedded demo environment for `--env=demo`.

    pytest readiness -m t_minus_7 --env=demo
    pytest readiness -m t_minus_7 --env=demo -n 2

How it works (and why it is `tryfirst`): the core plugin loads the environment named by `--env`
in its own `pytest_configure`. This conftest's `pytest_configure` runs first (tryfirst): when the
environment is `demo` it starts the demo (pytest_launch.demo: HTTPS app, DNS, moto S3, ...,
on free ports of 127.0.0.1), writes the generated environment layer with this run's ports
(it `extends` readiness/environments/demo.toml) and points `--env` at that file, so the core
loads it. Under pytest-xdist only the controller starts the demo; the workers, started later,
inherit PYTEST_LAUNCH_DEMO_ENV (the generated file) and the demo's ${VAR} secrets from the
controller's process environment. The demo stops when pytest unconfigures (also on Ctrl-C).

PYTEST_LAUNCH_DEMO_FAULTS="no_hsts,bad_backup_checksum" starts a broken demo (the suite's own
tests use it; the names are in pytest_launch.demo.environment.ALL_FAULTS).

The suite's own environment tables ([application], [security], [kubernetes], ...: the settings
dataclasses of launch_suite/settings.py) are added through the plugin's `pytest_launch_tables`
hook below. This file is an initial conftest (readiness/ is in `testpaths`, or a path under it is
on the command line, e.g. `pytest readiness/test_security.py`), so pytest registers it before the
plugin's pytest_configure loads the environment file; xdist workers load it the same way.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from launch_suite.settings import SUITE_TABLES

DEMO_NAME = "demo"
DEMO_ENV_VARIABLE = "PYTEST_LAUNCH_DEMO_ENV"
DEMO_PROMETHEUS_VARIABLE = "PYTEST_LAUNCH_DEMO_PROMETHEUS"
DEMO_FAULTS_VARIABLE = "PYTEST_LAUNCH_DEMO_FAULTS"
BASE_ENVIRONMENT = Path(__file__).parent / "environments" / "demo.toml"


def pytest_launch_tables() -> dict[str, type[Any]]:
    """The readiness suite's environment tables (pytest-launch's hook; also read by
    `python -m pytest_launch.config.reference readiness/conftest.py`)."""
    return dict(SUITE_TABLES)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if getattr(config.option, "launch_env", None) != DEMO_NAME:
        return
    if hasattr(config, "workerinput"):  # an xdist worker: the controller runs the demo
        generated = os.environ.get(DEMO_ENV_VARIABLE)
        if not generated:
            raise pytest.UsageError(f"--env=demo on an xdist worker without {DEMO_ENV_VARIABLE}: "
                                    "the controller did not start the demo")
        config.option.launch_env = generated
        return
    if not BASE_ENVIRONMENT.is_file():  # a suite written by `launch init`: the demo stays in pytest-launch's repository
        raise pytest.UsageError(f"--env=demo: this suite has no environments/{BASE_ENVIRONMENT.name}; the demo runs "
                                "from a checkout of pytest-launch (pytest readiness -m t_minus_7 --env=demo there)")
    from pytest_launch.demo.extra import INSTALL_HINT, missing_modules

    missing = missing_modules()
    if missing:  # a plain `pip install pytest-launch`: one line, not a traceback
        raise pytest.UsageError(f"--env=demo: {INSTALL_HINT} (not installed: {', '.join(missing)})")
    from pytest_launch.demo.environment import start_demo

    faults = [f.strip() for f in os.environ.get(DEMO_FAULTS_VARIABLE, "").split(",") if f.strip()]
    try:
        demo = start_demo(faults=faults, wait_for_monitoring=False)
    except ValueError as error:  # unknown fault names
        raise pytest.UsageError(f"{DEMO_FAULTS_VARIABLE}: {error}") from None
    variables = dict(demo.environ())
    generated = demo.write_environment(demo.workdir / "demo.generated.toml", BASE_ENVIRONMENT)
    variables[DEMO_ENV_VARIABLE] = str(generated)
    if demo.prometheus_url:
        variables[DEMO_PROMETHEUS_VARIABLE] = demo.prometheus_url
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)

    def stop() -> None:
        demo.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    config.add_cleanup(stop)
    config.option.launch_env = str(generated)


@pytest.fixture(scope="session", autouse=True)
def _demo_monitoring_ready() -> None:
    """In a demo run, wait (once per process) until the demo's Prometheus has scraped the app:
    its first scrape comes about five seconds after start, which collection mostly covers."""
    url = os.environ.get(DEMO_PROMETHEUS_VARIABLE)
    if url and os.environ.get(DEMO_ENV_VARIABLE):
        from pytest_launch.demo.monitoring import wait_monitoring_ready

        try:
            wait_monitoring_ready(url, 2, timeout=20)
        except TimeoutError:
            pass  # the monitoring checks themselves report what is missing
