"""Start-up speed (issue 16): the plugin imports at the moment of use. Real pytest runs in fresh
interpreters (pytester subprocesses) write the modules they ended with (sys.modules at exit);
the tests compare them with what each kind of run needs:

- a run that does not decide (no --launch-env/--env/--launch-json/--launch-gate) loads the
  hooks and what its hooks use: no decision, no output, no rollout, no probe, no Allure glue,
  and none of Jinja2, filelock, boto3, dnspython, cryptography, requests;
- a deciding run whose checks use no probe loads the decision and the outputs, never a probe,
  the rollout plans, the post-launch report, the Allure glue or a probe's client library;
- under xdist the workers load what a non-deciding run loads: the decision is the controller's.

Third-party modules are judged against a run of the same checks with the plugin blocked
(`-p no:launch`): another installed plugin (pytest-html loads Jinja2) is not ours to count."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest

from launch_project import CAN_FORK_WRITER, make_project

CHECKS = """
import pytest

@pytest.mark.checklist("SEC-01")
def test_certificates(launch_evidence):
    launch_evidence.record(days_left=40, threshold=30)

@pytest.mark.t_minus_7
@pytest.mark.performance
@pytest.mark.normal
@pytest.mark.owner("perf-team")
def test_cache():
    assert 1 + 1 == 3, "cache cold"
"""

# every process (pytest, and each xdist worker) writes the modules it ended with, at exit
DUMP_CONFTEST = """
import atexit, json, os, sys

def _dump():
    name = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), f"modules-{name}.json"), "w") as f:
        json.dump(sorted(sys.modules), f)

atexit.register(_dump)
"""

# what registering the options, markers and hooks needs, and what every run's hooks use
# (loading the launch files, collection, the reports' metadata, the redaction of pytest's output)
HOOKS_ONLY = {
    "pytest_launch",
    "pytest_launch.config", "pytest_launch.config.approvals", "pytest_launch.config.checklist",
    "pytest_launch.config.environment", "pytest_launch.config.policy", "pytest_launch.config.reports",
    "pytest_launch.config.tables",
    "pytest_launch.config.toml",
    "pytest_launch.core", "pytest_launch.core.clock", "pytest_launch.core.errors", "pytest_launch.core.evidence",
    "pytest_launch.core.model",
    "pytest_launch.core.redact", "pytest_launch.core.settings",
    "pytest_launch.core.vocabulary",
    "pytest_launch.plugin", "pytest_launch.plugin.collection", "pytest_launch.plugin.facts", "pytest_launch.plugin.fixtures",
    "pytest_launch.plugin.gate", "pytest_launch.plugin.hooks", "pytest_launch.plugin.hookspecs",
    "pytest_launch.plugin.options", "pytest_launch.plugin.plan",  # plan: declared tables, checked in every run
    "pytest_launch.plugin.redaction", "pytest_launch.plugin.reports",
    "pytest_launch.plugin.selection", "pytest_launch.plugin.stage_checks", "pytest_launch.plugin.state",
    "pytest_launch.plugin.trigger_waivers",
    "pytest_launch.probes", "pytest_launch.probes.errors",  # the registry (names only) and ProbeError
}
# what only a deciding run may add: the decision, and the outputs it writes
DECIDING_ONLY_PREFIXES = ("pytest_launch.plugin.controller", "pytest_launch.plugin.finish",
                          "pytest_launch.plugin.junit",  # the JUnit launch-decision testcase
                          "pytest_launch.core.decision", "pytest_launch.outputs")
# never in a run whose checks use no probe, no rollout, no success criteria and no Allure
NEVER_UNUSED = ("pytest_launch.core.plan", "pytest_launch.core.rollout", "pytest_launch.core.thresholds", "pytest_launch.outputs.plan",
                "pytest_launch.outputs.merge", "pytest_launch.outputs.publish",
                "pytest_launch.outputs.notify", "pytest_launch.plugin.allure", "pytest_launch.plugin.allure_redaction",
                "pytest_launch.demo", "pytest_launch.cli")
HEAVY = {"jinja2", "markupsafe", "filelock", "boto3", "botocore", "dns", "cryptography", "requests", "urllib3",
         "yaml", "psycopg", "jsonschema", "allure_commons", "moto", "trustme", "prometheus_client"}
OUTPUT_LIBRARIES = {"jinja2", "markupsafe"}  # the renderings


def _run(pytester: pytest.Pytester, *args: str) -> dict[str, set[str]]:
    for old in pytester.path.glob("modules-*.json"):
        old.unlink()
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
    assert result.ret in (0, 1), result.stdout.str() + result.stderr.str()
    found = {path.stem.removeprefix("modules-"): set(json.loads(path.read_text()))
             for path in pytester.path.glob("modules-*.json")}
    assert "main" in found, result.stdout.str()
    return found


def _ours(modules: set[str]) -> set[str]:
    return {m for m in modules if m == "pytest_launch" or m.startswith("pytest_launch.")}


def _top(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    # when this file itself runs under xdist, the runs below must not take its worker's name
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    make_project(pytester, {"test_checks.py": CHECKS, "conftest.py": DUMP_CONFTEST}, suite_tables=False)
    return pytester


@pytest.fixture
def without_plugin(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """The third-party modules of the same run with pytest-launch blocked."""
    monkeypatch.delenv("PYTEST_ADDOPTS")  # --launch-allow-backdate is no option without the plugin
    modules = _run(project, "-p", "no:launch")["main"]
    monkeypatch.setenv("PYTEST_ADDOPTS", "--launch-allow-backdate")
    assert not _ours(modules)
    return _top(modules)


def test_a_run_that_does_not_decide_loads_only_the_hooks(project: pytest.Pytester, without_plugin: set[str]) -> None:
    result = project.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == 1  # the failing check fails; no verdict line, no report
    assert "launch decision" not in result.stdout.str()
    assert not (project.path / "reports").exists()
    modules = _run(project)["main"]
    assert sorted(_ours(modules) - HOOKS_ONLY) == []
    assert {"pytest_launch.plugin.hooks", "pytest_launch.plugin.state"} <= _ours(modules)  # the dump saw the plugin
    assert sorted((HEAVY & _top(modules)) - without_plugin) == []


def test_a_deciding_run_without_probes_loads_the_decision_and_outputs_only(
        project: pytest.Pytester, without_plugin: set[str]) -> None:
    report = project.path / "out.json"
    modules = _run(project, "--launch-env", "prod", "--launch-json", str(report))["main"]
    assert json.loads(report.read_text())["verdict"] == "NO_GO"  # it did decide, and wrote its outputs
    assert (project.path / "reports" / "prod" / "all" / "go-no-go.html").is_file()
    extra = _ours(modules) - HOOKS_ONLY
    assert sorted(m for m in extra if not m.startswith(DECIDING_ONLY_PREFIXES)) == []
    assert sorted(m for m in _ours(modules) if m.startswith(NEVER_UNUSED)) == []
    assert sorted(m for m in _ours(modules) if m.startswith("pytest_launch.probes.")) == ["pytest_launch.probes.errors"]
    assert sorted((HEAVY & _top(modules)) - without_plugin - OUTPUT_LIBRARIES) == []


# the modules of the full renderings, which a run uses at its end only
RENDERINGS = {"jinja2", "markupsafe", "pytest_launch.outputs.html", "pytest_launch.outputs.render_all"}

FIRST_CHECK_CONFTEST = """
import json, os, sys

def pytest_runtest_setup(item):
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "modules-first-check.json")
    if not os.path.exists(path):
        with open(path, "w") as f:
            json.dump(sorted(sys.modules), f)
"""


def test_a_deciding_run_loads_the_renderings_at_its_end_only(project: pytest.Pytester, without_plugin: set[str]) -> None:
    """The in-progress placeholder, written before the first check, needs no template: Jinja2 and
    the full page load when the run's report is rendered, not while its checks run. Where a child
    process writes the report (Linux, two CPUs or more), pytest's own process never loads them."""
    (project.path / "conftest.py").write_text(DUMP_CONFTEST + FIRST_CHECK_CONFTEST)
    modules = _run(project, "--launch-env", "prod", "--launch-json", str(project.path / "out.json"))["main"]
    at_first_check = set(json.loads((project.path / "modules-first-check.json").read_text()))
    folder = project.path / "reports" / "prod" / "all"
    assert (folder / "go-no-go.html").is_file() and "IN PROGRESS" not in (folder / "go-no-go.html").read_text()
    assert json.loads((project.path / "out.json").read_text())["verdict"] == "NO_GO"
    if CAN_FORK_WRITER:  # rendered in full by the child that wrote the report
        assert sorted((RENDERINGS - without_plugin) & modules) == []
    else:
        assert RENDERINGS - without_plugin <= modules
    assert sorted((RENDERINGS - without_plugin) & at_first_check) == []
    assert "pytest_launch.outputs.in_progress" in at_first_check  # the placeholder was written before


def test_a_run_that_writes_junit_renders_in_its_own_process_at_its_end(
        project: pytest.Pytester, without_plugin: set[str]) -> None:
    """--junitxml: the JUnit file, written at the session's end, records whether the report was
    written, so the report is written in-process, before it: the renderings load at the end."""
    (project.path / "conftest.py").write_text(DUMP_CONFTEST + FIRST_CHECK_CONFTEST)
    modules = _run(project, "--launch-env", "prod", "--junitxml", str(project.path / "junit.xml"))["main"]
    at_first_check = set(json.loads((project.path / "modules-first-check.json").read_text()))
    folder = project.path / "reports" / "prod" / "all"
    assert "IN PROGRESS" not in (folder / "go-no-go.html").read_text()
    assert RENDERINGS - without_plugin <= modules
    assert sorted((RENDERINGS - without_plugin) & at_first_check) == []
    assert "launch-decision" in (project.path / "junit.xml").read_text()


def test_under_xdist_the_workers_load_only_the_hooks(project: pytest.Pytester, without_plugin: set[str]) -> None:
    report = project.path / "out.json"
    found = _run(project, "-n", "2", "--launch-env", "prod", "--launch-json", str(report))
    assert json.loads(report.read_text())["verdict"] == "NO_GO"
    workers = {name: modules for name, modules in found.items() if name != "main"}
    assert sorted(workers) == ["gw0", "gw1"]
    for modules in workers.values():
        assert sorted(_ours(modules) - HOOKS_ONLY) == []
        assert sorted((HEAVY & _top(modules)) - without_plugin) == []


def test_a_check_that_uses_a_probe_loads_that_probe_only(project: pytest.Pytester) -> None:
    """The other side: an environment with an [http] table and a check that uses launch_http load
    the HTTP probe (and requests), and no other probe."""
    env = project.path / "readiness" / "environments" / "prod.toml"
    env.write_text(env.read_text() + textwrap.dedent("""
        [http]
        base_url = "http://127.0.0.1:9"
        timeout = 0.5
        retries = 0
        """))
    (project.path / "test_probe.py").write_text(textwrap.dedent("""
        def test_probe_is_built(launch_http):
            assert launch_http is not None
        """))
    modules = _run(project, "--launch-env", "prod", "--launch-json", str(project.path / "out.json"))["main"]
    probes = sorted(m for m in _ours(modules) if m.startswith("pytest_launch.probes."))
    assert "pytest_launch.probes.http" in probes
    assert not {"pytest_launch.probes.tls", "pytest_launch.probes.dns", "pytest_launch.probes.aws"} & set(probes)
    assert "requests" in _top(modules)


def test_the_dump_sees_what_a_run_loads(project: pytest.Pytester) -> None:
    """The measurement can fail: a check that imports a heavy module shows up in the dump."""
    (project.path / "test_heavy.py").write_text("import jinja2\n\ndef test_uses_jinja():\n    assert jinja2\n")
    assert "jinja2" in _top(_run(project)["main"])


# pytest's own packages and ours: the modules a run's objects (items, reports, config) hang from
RUN_PACKAGES = {"_pytest", "pytest", "pluggy", "pytest_launch"}


def _kept_past_first_collection(pytester: pytest.Pytester, *args: str) -> set[str]:
    """The modules the interpreter's shutdown wipes by hand after its first garbage collection,
    because something still held them (`python -v` names them "# cleanup[3] wiping")."""
    result = pytester.run(sys.executable, "-v", "-m", "pytest", "-p", "no:cacheprovider", *args)
    assert result.ret in (0, 1), result.stdout.str() + "\n".join(result.errlines[-20:])
    return {line.split()[-1] for line in result.errlines if line.startswith("# cleanup[3] wiping ")}


def test_a_deciding_run_keeps_no_pytest_module_alive_into_the_shutdown(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the plugin imports must not hold the standard library's `typing` to the end: typing's
    caches and overload registry reach every pytest module, and the whole heap of the run would
    then be walked once more at exit (orjson did that: 200-280 ms on 3,000 checks, issue 16)."""
    monkeypatch.delenv("PYTEST_ADDOPTS")
    bare = _kept_past_first_collection(project, "-p", "no:launch")
    monkeypatch.setenv("PYTEST_ADDOPTS", "--launch-allow-backdate")
    deciding = _kept_past_first_collection(project, "--launch-env", "prod", "--launch-json", "out.json")
    assert {"sys", "builtins"} <= bare  # the measure sees the shutdown
    assert json.loads((project.path / "out.json").read_text())["verdict"] == "NO_GO"  # it did decide
    assert sorted(m for m in deciding - bare if m.split(".")[0] in RUN_PACKAGES | {"typing"}) == []


def test_the_shutdown_measure_sees_a_module_kept_alive(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """The measurement can fail: a conftest that keeps `typing` alive past the first collection
    (a reference the collector cannot see, as an extension module's static one is) shows pytest's
    modules kept with it."""
    (project.path / "conftest.py").write_text(textwrap.dedent("""
        import ctypes, typing
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(typing))  # never released
        """))
    monkeypatch.delenv("PYTEST_ADDOPTS")  # --launch-allow-backdate is no option without the plugin
    kept = _kept_past_first_collection(project, "-p", "no:launch")
    assert "typing" in kept and any(m.startswith("_pytest.") for m in kept)
