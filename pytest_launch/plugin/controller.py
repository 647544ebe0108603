"""The controller: where the decision is made (the only process of a plain run, the controller
under xdist). It gathers the results and the facts about completeness; at the end of the
session it calls the one decision function once and writes every output (in a child forked then,
where that is safe: outputs.write_process), and shows the decision: the terminal's lines, the
JUnit case and the gate's exit code, read from the top level of the document written."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
import platform
import secrets
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_launch import __version__
from pytest_launch.core.model import RunInfo
from pytest_launch.outputs.history import HISTORY_FILE, read_history_checked
from pytest_launch.outputs.in_progress import (
    Placeholder,
    RunLock,
    hold_run_lock,
    record_unfinished,
    restore_previous,
    save_previous,
)
from pytest_launch.outputs.terminal import write_reasons, write_verdict_line
from pytest_launch.outputs.write_process import PendingWrite, WriteOutcome, fork_is_safe, start_write
from pytest_launch.plugin.facts import check_facts
from pytest_launch.plugin.finish import RunFacts, decide_document, placeholder_document, report_folder, write_outputs
from pytest_launch.plugin.gate import NO_RUN_MODES, settle_exit_status
from pytest_launch.plugin.junit import add_decision_testcase, writes_junit
from pytest_launch.plugin.reports import (
    DROPPED,
    DROPPED_KEY,
    WORKER_META,
    MarksOfParents,
    ResultCollector,
    plugin_facts,
    read_metadata,
    without_plugin_facts,
)
from pytest_launch.plugin.selection import Selection, may_stop_early, run_selection, stopped_early
from pytest_launch.plugin.state import LaunchState
from pytest_launch.plugin.trigger_waivers import report_worker_usage_problems


class LaunchController:
    """Runs where the decision is made (the only process in a plain run, the controller under
    xdist): gathers results and completeness, decides once and writes every output (itself or
    by its child), and shows the decision."""

    def __init__(self, config: pytest.Config, state: LaunchState) -> None:
        self.config = config
        self.state = state
        self.collector = ResultCollector(state.channel)
        self.selected: list[str] | None = None
        self.collection_errors = 0
        self.interrupted: str | None = None
        self.crashed_workers: list[str] = []
        self.started = dt.datetime.now(dt.timezone.utc)
        self.run_id = secrets.token_hex(8)  # the placeholder's and the final document's
        self.t0 = time.monotonic()
        self.document: dict[str, Any] | None = None
        self.written: list[Path] = []
        # metadata of checks that never delivered a report of their own (-x, Ctrl-C, a crashed
        # worker): from the collected items, or under xdist from the workers that finished
        self.items: dict[str, pytest.Item] = {}
        self.plain_reports: list[pytest.TestReport] = []  # a plain run's, in the order pytest delivered them
        self.worker_metadata: dict[str, dict[str, Any]] = {}
        self.marks_of_parents: MarksOfParents = {}  # read at the end, once per module or class
        self.collector.describe = self.metadata_of
        self.selection: Selection = run_selection(config)
        self.stopped: str | None = None  # why a -x/--maxfail run stopped early
        self.placeholder: Placeholder | None = None  # the report files the in-progress page replaced
        self.pending: PendingWrite | None = None  # the outputs being written (outputs.write_process)
        self.session: pytest.Session | None = None
        self.pytest_status = 0  # pytest's exit status at the session's end, before the gate's
        self.run_lock: RunLock | None = None  # held from the placeholder to the last write: "a live run"

    # -- facts about completeness --------------------------------------------------------
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors += 1
        elif report.skipped:  # under xdist too: workers send their skipped collect reports
            self.collector.add_collection_skip(report)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if not hasattr(self.config, "workerinput") and not _xdist_active(self.config):
            self.selected = [item.nodeid for item in session.items]
            self.items = {item.nodeid: item for item in session.items}

    @pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook: absent under -p no:xdist
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        if self.selected is None:
            self.selected = list(ids)

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.nodeid in self.items:
            # a plain run: folded at the end, the check's facts read from the check itself then.
            # pytest keeps every report to the end anyway (its summary); no result object lives
            # through the garbage collections of the run (issue 16)
            self.plain_reports.append(report)
            return
        # an xdist worker's report: the facts it carries under the run's channel
        self.collector.add(report, plugin_facts(report, self.collector.channel) if report.user_properties else {})
        # last, once every other plugin has seen the report (junitxml, report-log): our facts are
        # in the results now; dropped from the report, which pytest keeps to the end of the run
        # (three fewer objects per check for the garbage collector to walk, issue 16)
        if report.user_properties:
            report.user_properties = without_plugin_facts(report.user_properties, self.collector.channel)

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        # pytest also reports its own stops here (Interrupted: "1 error during collection", Exit)
        value = excinfo.value
        self.interrupted = "KeyboardInterrupt" if type(value) is KeyboardInterrupt else f"{excinfo.typename}: {value}"

    @pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook: absent under -p no:xdist
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        output = getattr(node, "workeroutput", None) or {}
        self.worker_metadata.update(output.get(WORKER_META, {}))
        self.collector.add_dropped(output.get(DROPPED, {}))
        if error:
            self.crashed_workers.append(str(getattr(node, "gateway", node).id if hasattr(node, "gateway") else node))

    def metadata_of(self, nodeid: str) -> dict[str, Any] | None:
        item = self.items.get(nodeid)
        return read_metadata(item, self.marks_of_parents) if item is not None else self.worker_metadata.get(nodeid)

    # -- the in-progress placeholder ----------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        # collection is over (a usage error there has already stopped the run); no check has run
        if not self.state.active or any(getattr(self.config.option, n, False) for n in NO_RUN_MODES):
            return
        state = self.state
        since = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        doc = placeholder_document(state, self.config, self.selection, since, self.run_id)
        folder = None
        if state.report_dir is not None:
            folder = report_folder(state.report_dir, doc["environment"]["name"], self.selection.phases,
                                   state.stage, bool(self.selection.partial))
            live = record_unfinished(folder)
            if live:
                reporter = self.config.pluginmanager.get_plugin("terminalreporter")
                if reporter is not None:
                    reporter.write_line(f"pytest-launch: {live}", yellow=True, bold=True)
            with contextlib.suppress(OSError):  # an unwritable folder is reported at the end, once
                self.run_lock = hold_run_lock(folder, since)
            if may_stop_early(self.config) and not self.selection.partial:
                self.placeholder = save_previous(folder)
        try:
            write_outputs(doc, folder, state.json_path, self.config, placeholder=True)
        except OSError:
            pass  # the end of the run reports an unwritable folder, once

    def release_placeholder(self, folder: Path | None) -> None:
        """At the end: a run that wrote its placeholder over the canonical page but turned out
        partial (stopped early) puts back what was there."""
        if self.placeholder is not None and folder != self.placeholder.folder:
            restore_previous(self.placeholder)
        self.placeholder = None

    # -- the decision ---------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if report_worker_usage_problems(session):  # the usage error a plain run raises at collection
            return
        if not self.state.active or exitstatus == pytest.ExitCode.USAGE_ERROR:
            return  # a usage error was already explained; the previous report stays as it was
        if any(getattr(self.config.option, name, False) for name in NO_RUN_MODES):
            return  # nothing was checked: no decision, and the previous report stays as it was

        self.stopped = stopped_early(self.config, session)
        if self.interrupted is None:
            reason = session.shouldfail or session.shouldstop
            if reason:
                self.interrupted = str(reason)
            elif exitstatus == pytest.ExitCode.INTERRUPTED:
                self.interrupted = "the run was interrupted"
        with _collector_paused():  # to the last result let go: see _collector_paused
            self.decide_and_report(session, exitstatus)

    def decide_and_report(self, session: pytest.Session, exitstatus: int) -> None:
        """Decide and write the outputs (in a child while pytest prints its summary, where that
        is safe: outputs.write_process), and show the decision once they are written."""
        self.session, self.pytest_status = session, int(exitstatus)
        config = self.config
        # in-process when the JUnit file, written at the session's end, is to record the decision
        # or a report that could not be written, and when notifying (a chat message is sent once,
        # from pytest's own process, and recorded in the document before it is written)
        in_child = not writes_junit(config) and not self.state.notify.targets and fork_is_safe()
        try:
            self.pending = start_write(self.decide_and_write, in_child=in_child)
        except OSError as exc:  # unwritable report folder, disk full: one clear line, "the tool broke"
            self.release_run_lock()
            self.write_failed(exc)
            return
        except BaseException:
            self.release_run_lock()
            raise
        finally:
            # decided (here, or in the child with its copy of them): the run's reports and results
            # go now, before the collector is back on (it would walk them once more) and before
            # pytest's last garbage collections (two full ones at its cleanup, each walking every
            # object still alive: 13,000 more for 3,000 checks, issue 16)
            self.plain_reports = []
            self.collector = ResultCollector(self.collector.channel)
            self.items = {}
        if not self.pending.in_child:
            self.wait_for_outputs()  # written already: the JUnit case is added before its file is

    def decide_and_write(self) -> WriteOutcome:
        """Fold the reports into the checks' results, decide (the one call of `decide`), write
        every output; the document's top level and the files written."""
        items, redactor = self.items, self.state.redactor
        for report in self.plain_reports:
            nodeid = report.nodeid
            item = items.get(nodeid)  # a report whose id a plugin changed after pytest logged it: no facts
            self.collector.add(report, check_facts(item, report, redactor) if item is not None else {}, nodeid)
        self.plain_reports = []
        self.collector.add_dropped(self.config.stash.get(DROPPED_KEY, {}))
        checks = self.collector.finish(self.selected if self.selected is not None else [])
        assert self.session is not None
        doc, folder = decide_document(RunFacts(self.state, checks, RunInfo(**self.run_info(self.session))))
        self.release_placeholder(folder)
        if self.state.notify.targets:  # before the write, so that the JSON records what happened
            doc["notifications"] = self.notify(doc, folder)
        written = write_outputs(doc, folder, self.state.json_path, self.config)
        # the terminal's lines, the JUnit case and the exit code read the document's top level only
        return {key: value for key, value in doc.items() if key not in _ENTRIES}, written

    def wait_for_outputs(self) -> None:
        """The decision and its outputs (made by a child while pytest printed its summary, or
        here already), waited for before anything shows them: the JUnit case, the gate's exit
        code; a report that could not be written fails the run."""
        pending, self.pending = self.pending, None
        if pending is None:
            return
        try:
            try:
                self.document, self.written = pending.wait()
            finally:
                self.release_run_lock()
        except OSError as exc:
            self.write_failed(exc)
            return
        add_decision_testcase(self.config, self.document, self.state.redactor)
        if self.config.option.launch_gate and self.session is not None:
            settle_exit_status(self.session, gate_exit_code(self.document["verdict"], self.pytest_status,
                                                            self.config.option.launch_strict or self.state.policy.strict))

    def write_failed(self, exc: OSError) -> None:
        """The report could not be written: one clear line, a NO DECISION JUnit case (when the
        file is still to be written), and pytest's internal-error exit status."""
        where = f": {exc.filename}" if exc.filename else ""
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        message = (f"pytest-launch: could not write the launch report{where}: {exc.strerror or exc} "
                   f"(a previous report there is left as it was)")
        if reporter is not None:
            reporter.write_line(message, red=True, bold=True)
        else:
            print(message, file=sys.stderr)
        add_decision_testcase(self.config, None, self.state.redactor, problem=message)
        self.document = None  # no verdict line, no reasons: the report is not there to back them
        self.written = []
        if self.session is not None:
            settle_exit_status(self.session, pytest.ExitCode.INTERNAL_ERROR)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        self.wait_for_outputs()
        if self.document is None:
            return
        write_reasons(terminalreporter, self.document, self.written)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.wait_for_outputs()  # a run without pytest's terminal summary (-p no:terminal)
        self.release_run_lock()  # a run that ended without writing its report (a usage error at the end)
        if self.document is None:
            return
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            write_verdict_line(reporter, self.document)

    def release_run_lock(self) -> None:
        if self.run_lock is not None:
            self.run_lock.release()
            self.run_lock = None

    def notify(self, doc: dict[str, Any], folder: Path | None) -> list[dict[str, Any]]:
        """Send the verdict to --launch-notify / [reports] notify targets; the records. Never
        raises: a chat server changes neither the verdict nor the exit code."""
        # requests, the payloads and the digest load only in a run that notifies
        from pytest_launch.outputs.digest import previous_run
        from pytest_launch.outputs.notify import notify_all

        notify = self.state.notify
        previous = None
        if folder is not None:
            try:
                previous = previous_run(doc, read_history_checked(folder / HISTORY_FILE, 5).runs)
            except OSError:  # the write below reports an unreadable folder; notify as if first
                previous = None
        return notify_all(notify.targets, notify.on, notify.timeout_s, doc, previous, self.state.redactor)

    def run_info(self, session: pytest.Session) -> dict[str, Any]:
        return {
            "started": self.started.isoformat(timespec="seconds"),
            "run_id": self.run_id,
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
            **self.state.clock.run_fields(),
            "scope_phases": list(self.selection.phases),
            "environments": [self.state.environment.name] if self.state.environment is not None else [],
            "release": self.state.environment.release if self.state.environment is not None else None,
            "partial": list(self.selection.partial) + ([self.stopped] if self.stopped else []),
        }


# the document's lists of entries, one per check or item: written to the files, read by no
# terminal line (outputs.terminal), no JUnit case and no exit code
_ENTRIES = ("checks", "checklist")


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off from the decision to the last of the run's results
    let go (the outputs built and written, or the child that decides and writes them forked).

    At the end of a run the heap holds every item and report of the run (about 145,000 objects
    for 3,000 checks), and the allocations of rendering the outputs set off a full collection
    that walks all of them: 150-200 ms, half the end of the run (issue 16, measured). Nothing
    made before the end is garbage for the outputs to wait on; what they leave is reclaimed by
    the next collection, once the collector is back on (memory is freed by reference counting
    meanwhile)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _xdist_active(config: pytest.Config) -> bool:
    """True on an xdist controller: pytest-xdist registers its distributing session ("dsession")
    only when it distributes (not under -p no:xdist, -n 0 or when xdist is not installed)."""
    return config.pluginmanager.hasplugin("dsession")


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
