"""pytest-launch's pytest hooks: read options, load the launch files, carry each check's
metadata and evidence to the controller, and at the end call the one decision function.
Everything else lives in plain-Python modules."""

from __future__ import annotations

import datetime as dt
import logging
import os
import platform
import socket
import sys
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from pytest_launch import __version__, markers
from pytest_launch.config.environment import Environment
from pytest_launch.config.errors import ConfigError
from pytest_launch.evidence import Evidence
from pytest_launch.items import STATE_KEY, ChecklistFile, checklist_link, inherit_checklist_markers
from pytest_launch.options import add_options
from pytest_launch.redact import Redactor
from pytest_launch.probes.errors import ProbeError
from pytest_launch.results import EVIDENCE, INCONCLUSIVE, MESSAGE, META, ResultCollector, item_metadata, report_message
from pytest_launch.state import LaunchState, load_state

# the probe fixtures (launch_http, launch_tls, ...) and the launch-day stage checks
pytest_plugins = ["pytest_launch.fixtures", "pytest_launch.stage_checks"]

_EVIDENCE_KEY = pytest.StashKey[Evidence]()
_PROBLEM_KEY = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    for line in markers.marker_lines():
        config.addinivalue_line("markers", line)
    try:
        state = load_state(config)
    except ConfigError as exc:
        message = exc.message
        if config.option.launch_env == "demo":
            # readiness/conftest.py replaces "demo" by the running demo's generated environment
            message += "\nthe demo environment is started by the readiness suite: run `pytest readiness --env=demo`"
        raise pytest.UsageError(message) from None
    config.stash[STATE_KEY] = state
    if state.redactor.secrets:
        config.pluginmanager.register(WarningRedactor(state.redactor), "launch-warning-redactor")
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(LaunchController(config, state), "launch-controller")
    if getattr(config.option, "allure_report_dir", None):
        try:
            from pytest_launch.outputs import allure_labels
        except ImportError:  # the reports module is optional at this stage
            pass
        else:
            config.pluginmanager.register(allure_labels, "launch-allure-labels")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    state = parent.config.stash.get(STATE_KEY, None)
    if state is not None and state.checklist and file_path == state.checklist_path:
        return ChecklistFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(wrapper=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> Generator[None, Any, Any]:
    result = yield
    if hasattr(collector.config, "workerinput"):
        # An xdist worker cannot stop the run with a usage error, and a check with an unknown
        # checklist id must not slip past `-m`: it becomes a collection error of its module.
        state = collector.config.stash[STATE_KEY]
        nodes = result if isinstance(result, list) else [result]
        for node in nodes:
            if isinstance(node, pytest.Item):
                try:
                    checklist_link(node, state)
                except pytest.UsageError as exc:
                    raise collector.CollectError(str(exc)) from None
    return result


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # tryfirst: the markers inherited from the checklist must exist before -m deselects
    problems = inherit_checklist_markers(items, config.stash[STATE_KEY])
    if not problems:
        return
    if not hasattr(config, "workerinput"):
        raise pytest.UsageError("\n".join(problems.values()))
    # an xdist worker cannot stop the run with a usage error: the checks concerned error instead
    for node in items:
        if node.nodeid in problems:
            node.stash[_PROBLEM_KEY] = problems[node.nodeid]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    problem = item.stash.get(_PROBLEM_KEY, None)
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    state = item.config.stash[STATE_KEY]
    if (item.get_closest_marker("destructive") is not None and state.environment is not None
            and state.environment.production and not state.allow_destructive):
        item.user_properties.append(("launch_refused", True))
        pytest.skip(f"refused: destructive check against production environment {state.environment.name!r} "
                    f"(pass --launch-allow-destructive to run it)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    state = item.config.stash[STATE_KEY]
    redactor = state.redactor
    evidence = item.stash.get(_EVIDENCE_KEY, None)
    ours = (META, EVIDENCE, MESSAGE, INCONCLUSIVE)
    props = [p for p in report.user_properties if not (isinstance(p, tuple) and p and p[0] in ours)]
    if evidence is not None and evidence.values:
        props.append((EVIDENCE, evidence.values))
    if report.longrepr is not None:
        props.append((MESSAGE, report_message(report)))
    if report.when == "call" and report.failed and call.excinfo is not None and call.excinfo.errisinstance(ProbeError):
        # the probe got no usable answer: no evidence either way (for a rollback trigger: HOLD, not ROLLBACK)
        props.append((INCONCLUSIVE, True))
    report.user_properties = [(p[0], redactor.data(p[1])) if isinstance(p, tuple) and len(p) == 2 else p
                              for p in props]
    if report.when == "setup":
        # the metadata comes from markers and does not change: the setup report carries it once
        # (the results document is redacted as a whole again)
        report.user_properties.append((META, item_metadata(item)))
    _redact_report(report, redactor)
    return report


def _redact_report(report: pytest.TestReport, redactor: Redactor) -> None:
    """Secrets never reach pytest's own terminal output, junitxml or our reports."""
    if report.longrepr is not None:
        text = str(report.longrepr)
        masked = redactor.text(text)
        if masked != text:
            if isinstance(report.longrepr, tuple):
                path, lineno, reason = report.longrepr
                report.longrepr = (path, lineno, redactor.text(str(reason)))
            else:
                # Mask pytest's own repr objects in place, so that they keep their shape (the
                # short summary's crash line, xdist serialisation); fall back to plain text.
                _mask_repr(report.longrepr, redactor)
                if redactor.text(str(report.longrepr)) != str(report.longrepr):
                    crash = getattr(report.longrepr, "reprcrash", None)
                    report.longrepr = RedactedRepr(masked, redactor.text(crash.message) if crash else masked,
                                                   crash.path if crash else "", crash.lineno if crash else 0)
    if report.sections:
        report.sections = [(title, redactor.text(content)) for title, content in report.sections]


def _mask_repr(value: Any, redactor: Redactor, depth: int = 0) -> Any:
    """`value` with every string masked; pytest's repr objects (_pytest._code) are changed in place."""
    if isinstance(value, str):
        return redactor.text(value)
    if depth > 10:
        return value
    if isinstance(value, list):
        return [_mask_repr(v, redactor, depth + 1) for v in value]
    if isinstance(value, tuple):
        return tuple(_mask_repr(v, redactor, depth + 1) for v in value)
    if type(value).__module__.startswith("_pytest._code") and hasattr(value, "__dict__"):
        for name, attr in list(vars(value).items()):
            if name != "style":  # "long"/"short"/...: a keyword, not text
                object.__setattr__(value, name, _mask_repr(attr, redactor, depth + 1))
    return value


class RedactedRepr:
    """A failure representation whose secrets were masked; prints as pytest would."""

    def __init__(self, text: str, crash_message: str, path: str, lineno: int) -> None:
        from _pytest._code.code import ReprFileLocation

        self.text = text
        self.reprcrash = ReprFileLocation(path, lineno, crash_message)

    def toterminal(self, tw: Any) -> None:
        for line in self.text.splitlines():
            tw.line(line)

    def __str__(self) -> str:
        return self.text


@pytest.fixture(scope="session")
def launch_env(request: pytest.FixtureRequest) -> Environment:
    """The environment given with --env: its tables, typed where the schema knows them."""
    environment = request.config.stash[STATE_KEY].environment
    if environment is None:
        pytest.fail("this check needs an environment: pass --env NAME (a file in launch_environments_dir) "
                    "or --env path/to/env.toml", pytrace=False)
    return environment


@pytest.fixture
def launch_evidence(request: pytest.FixtureRequest) -> Evidence:
    """Record measured values for the report: `launch_evidence.record(days_left=12, threshold=30)`."""
    evidence = Evidence()
    request.node.stash[_EVIDENCE_KEY] = evidence
    return evidence


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        # an xdist worker: every worker collects every check, so the controller learns the
        # metadata of a check whose own worker crashed before reporting it
        workeroutput[META] = {item.nodeid: item_metadata(item) for item in session.items}


def pytest_sessionstart(session: pytest.Session) -> None:
    state = session.config.stash.get(STATE_KEY, None)
    logging_plugin = session.config.pluginmanager.get_plugin("logging-plugin")
    if state is None or logging_plugin is None:
        return
    # --log-cli-level and --log-file write records straight to the terminal and a file
    for name in ("log_cli_handler", "log_file_handler"):
        handler = getattr(logging_plugin, name, None)
        if handler is not None:
            handler.addFilter(_LogRedactor(state.redactor))


class _LogRedactor(logging.Filter):
    """Masks secrets in a log record (message and exception text) before a handler writes it."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: logging reports it itself
            return True
        masked = self.redactor.text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor.text(record.exc_text)
        return True


class WarningRedactor:
    """Masks secrets in warnings (`warnings.warn(f"... {token}")`) before pytest's warnings
    summary, junitxml or xdist see them."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor

    @pytest.hookimpl(tryfirst=True)
    def pytest_warning_recorded(self, warning_message: Any) -> None:
        text = str(warning_message.message)
        masked = self.redactor.text(text)
        if masked != text:
            try:
                warning_message.message = warning_message.category(masked)
            except Exception:  # a warning class with another signature
                warning_message.message = UserWarning(masked)


class LaunchController:
    """Runs where the decision is made (the only process in a plain run, the controller under
    xdist): gathers results and completeness, decides once, writes every output."""

    def __init__(self, config: pytest.Config, state: LaunchState) -> None:
        self.config = config
        self.state = state
        self.collector = ResultCollector()
        self.selected: list[str] | None = None
        self.collection_errors = 0
        self.interrupted: str | None = None
        self.crashed_workers: list[str] = []
        self.started = dt.datetime.now(dt.timezone.utc)
        self.t0 = time.monotonic()
        self.document: dict[str, Any] | None = None
        self.written: list[Path] = []
        # metadata of checks that never delivered a report of their own (-x, Ctrl-C, a crashed
        # worker): from the collected items, or under xdist from the workers that finished
        self.items: dict[str, pytest.Item] = {}
        self.worker_metadata: dict[str, dict[str, Any]] = {}
        self.collector.describe = self.metadata_of

    # -- facts about completeness --------------------------------------------------------
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors += 1

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if not hasattr(self.config, "workerinput") and not _xdist_active(self.config):
            self.selected = [item.nodeid for item in session.items]
            self.items = {item.nodeid: item for item in session.items}

    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        if self.selected is None:
            self.selected = list(ids)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.collector.add(report)

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        # pytest also reports its own stops here (Interrupted: "1 error during collection", Exit)
        value = excinfo.value
        self.interrupted = "KeyboardInterrupt" if type(value) is KeyboardInterrupt else f"{excinfo.typename}: {value}"

    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        self.worker_metadata.update((getattr(node, "workeroutput", None) or {}).get(META, {}))
        if error:
            self.crashed_workers.append(str(getattr(node, "gateway", node).id if hasattr(node, "gateway") else node))

    def metadata_of(self, nodeid: str) -> dict[str, Any] | None:
        item = self.items.get(nodeid)
        return item_metadata(item) if item is not None else self.worker_metadata.get(nodeid)

    # -- the decision ---------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if not self.state.active or exitstatus == pytest.ExitCode.USAGE_ERROR:
            return  # a usage error was already explained; the previous report stays as it was
        if any(getattr(self.config.option, name, False) for name in _NOTHING_RUN_OPTIONS):
            return  # nothing was checked: no decision, and the previous report stays as it was
        from pytest_launch.session_outputs import decide_and_write

        if self.interrupted is None:
            reason = session.shouldfail or session.shouldstop
            if reason:
                self.interrupted = str(reason)
            elif exitstatus == pytest.ExitCode.INTERRUPTED:
                self.interrupted = "the run was interrupted"
        try:
            self.document, self.written = decide_and_write(self, session)
        except OSError as exc:  # unwritable report folder, disk full: one clear line, "the tool broke"
            where = f": {exc.filename}" if exc.filename else ""
            reporter = self.config.pluginmanager.get_plugin("terminalreporter")
            message = (f"pytest-launch: could not write the launch report{where}: {exc.strerror or exc} "
                       f"(a previous report there is left as it was)")
            if reporter is not None:
                reporter.write_line(message, red=True, bold=True)
            else:
                print(message, file=sys.stderr)
            session.exitstatus = pytest.ExitCode.INTERNAL_ERROR
            return
        if self.config.option.launch_gate:
            session.exitstatus = gate_exit_code(self.document["verdict"], int(exitstatus),
                                                self.config.option.launch_strict or self.state.policy.strict)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.document is None:
            return
        from pytest_launch.outputs.terminal import write_reasons

        write_reasons(terminalreporter, self.document, self.written)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.document is None:
            return
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            from pytest_launch.outputs.terminal import write_verdict_line

            write_verdict_line(reporter, self.document)

    def run_info(self, session: pytest.Session) -> dict[str, Any]:
        return {
            "started": self.started.isoformat(timespec="seconds"),
            "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "duration_s": round(time.monotonic() - self.t0, 3),
            "args": [self.state.redactor.text(a) for a in self.config.invocation_params.args],
            "markexpr": self.config.option.markexpr or "",
            "keywordexpr": self.config.option.keyword or "",
            "stage": self.state.stage,
            "selected": len(self.selected or []),
            "collection_errors": self.collection_errors,
            "interrupted": self.interrupted,
            "crashed_workers": self.crashed_workers,
            "host": socket.gethostname(),
            "ci_url": _ci_url(),
            "git_revision": _git_revision(self.config.rootpath),
            "pytest_version": pytest.__version__,
            "python_version": platform.python_version(),
            "plugin_version": __version__,
        }


# pytest modes that list or plan checks without running them (--setup-plan even reports them passed)
_NOTHING_RUN_OPTIONS = ("collectonly", "setupplan", "setuponly", "showfixtures", "show_fixtures_per_test")


def _xdist_active(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "numprocesses", None) or getattr(config.option, "dist", "no") != "no"
                or getattr(config.option, "tx", None))


def gate_exit_code(verdict: str, pytest_status: int, strict: bool) -> int:
    """--launch-gate: 0 GO, 0/10 GO_WITH_RISKS, 1 NO_GO, 20 ROLLBACK. pytest's own 2-5
    (interrupted, internal error, usage error, no tests) keep their meaning."""
    if verdict == "ROLLBACK":
        return 20
    if pytest_status in (2, 3, 4, 5):
        return pytest_status
    return {"GO": 0, "GO_WITH_RISKS": 10 if strict else 0, "NO_GO": 1}[verdict]


def _ci_url() -> str | None:
    env = os.environ
    if env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        return f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
    return env.get("CI_JOB_URL") or env.get("BUILD_URL") or None


def _git_revision(root: Path) -> str | None:
    head = root / ".git" / "HEAD"
    try:
        ref = head.read_text().strip()
        if ref.startswith("ref: "):
            ref_path = root / ".git" / ref[5:]
            if ref_path.exists():
                return ref_path.read_text().strip()[:12]
            packed = root / ".git" / "packed-refs"
            for line in packed.read_text().splitlines() if packed.exists() else []:
                if line.endswith(" " + ref[5:]):
                    return line.split()[0][:12]
            return None
        return ref[:12]
    except OSError:
        return None

