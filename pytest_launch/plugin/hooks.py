"""pytest-launch's pytest hooks: read options, load the launch files, carry each check's
metadata and evidence to the controller, and at the end call the one decision function.
Everything else lives in plain-Python modules."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_launch.core import vocabulary as markers
from pytest_launch.core.errors import ConfigError, shown_path
from pytest_launch.core.evidence import Evidence
from pytest_launch.plugin import hookspecs
from pytest_launch.plugin import plan as plan_plugin
from pytest_launch.plugin.collection import (
    UncoveredItem,
    checklist_items,
    checklist_link,
    inherit_checklist_markers,
)
from pytest_launch.plugin.facts import check_facts, facts_of
from pytest_launch.plugin.gate import (
    CONTROLLER_NAME,
    NO_RUN_MODES,
    gate_without_decision,
    reassert_settled_status,
    refuse_blocked_decision,
    refuse_gate_without_checks,
)
from pytest_launch.plugin.options import add_env_alias, add_options
from pytest_launch.plugin.plan import PLANNER_NAME, LaunchPlanner, refuse_plan_with
from pytest_launch.plugin.redaction import (
    LogRedactor,
    PytestRedactor,
    clean_shared_parts,
    mask_debug_log,
    redact_report,
    refuse_blocked_redactors,
)
from pytest_launch.plugin.reports import (
    CHANNEL_INPUT,
    DROPPED,
    DROPPED_KEY,
    MESSAGE,
    META,
    USAGE_PROBLEMS,
    WORKER_META,
    MarksOfParents,
    checklist_id_of,
    item_metadata,
    report_message,
    without_plugin_facts,
)
from pytest_launch.plugin.selection import run_selection
from pytest_launch.plugin.state import STATE_KEY, load_state
from pytest_launch.plugin.trigger_waivers import (
    WORKER_USAGE_PROBLEMS_KEY,
    report_worker_usage_problems,
    trigger_only_waivers,
)
from pytest_launch.probes.errors import ProbeError

if TYPE_CHECKING:
    from pytest_launch.config.environment import Environment

# Start-up speed (issue 16): loading the plugin imports what registering options, markers and
# hooks needs, and what every run's hooks use. The decision, the outputs (Jinja2, the file locks), the
# rollout plans (thresholds), the probes (requests, boto3, dnspython, cryptography) and the
# Allure glue load inside the hook or fixture of the run that first uses them; a run without
# --launch-env/--env/--launch-json/--launch-gate never loads the decision or an output
# (tests/test_module_loading.py).

# the probe fixtures (launch_http, launch_tls, ...) and the launch-day stage checks
pytest_plugins = ["pytest_launch.plugin.fixtures", "pytest_launch.plugin.stage_checks"]

_PROBLEM_KEY = pytest.StashKey[str]()
_WAIVER_PROBLEMS_KEY = pytest.StashKey[list[str]]()
_COLLECTED_KEY = pytest.StashKey[list[pytest.Item]]()  # every item pytest collected, before any hook
_DESELECTED_KEY = pytest.StashKey[set[str]]()  # announced through pytest_deselected (-m, -k, --lf, ...)
# a check whose reports' shared parts (node id, location, keywords) hold nothing to mask: how
# many keywords they had then (set for every selected check at the end of collection, when
# none of them holds anything to mask)
_CLEAN_KEYWORDS_KEY = pytest.StashKey[int]()


_ENV_OWNED_KEY = pytest.StashKey[bool]()


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)  # pytest_launch_tables: a suite's own environment tables


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    add_options(parser)
    # plugin.plan's hooks (a check that declares its tables reads no other, in a real run),
    # registered as the module this one imported: naming it in pytest_plugins made pytest warn
    # "Module already imported so cannot be rewritten" in every run
    if not pluginmanager.is_registered(plan_plugin):
        pluginmanager.register(plan_plugin, "pytest_launch.plugin.plan")


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser,
                                  args: list[str]) -> Generator[None, None, None]:
    # after the suite's conftest.py files added their options, before the full parse: a suite that
    # defines its own --env keeps it, and the launch environment is then --launch-env only
    yield
    early_config.stash[_ENV_OWNED_KEY] = not add_env_alias(parser)


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = []
    if config.stash.get(_ENV_OWNED_KEY, False):
        lines.append("pytest-launch: --env belongs to this suite (a conftest.py or another plugin defines it); "
                     "select the launch environment with --launch-env NAME|PATH")
    state = config.stash.get(STATE_KEY, None)
    if state is not None and state.active and not state.checklist_path.exists():
        # absent at its default place: the verdict judges the collected checks alone; say so up front
        lines.append(f"launch checklist: none ({shown_path(state.checklist_path, config.rootpath)} does not exist): "
                     f"the verdict judges the "
                     f"collected checks only, with no manual items and no coverage of checklist items")
    return lines


def pytest_configure(config: pytest.Config) -> None:
    for line in markers.marker_lines():
        config.addinivalue_line("markers", line)
    try:
        state = load_state(config)
    except ConfigError as exc:
        message = exc.relative_to(config.rootpath).message  # no machine-local path the user did not type
        if config.option.launch_env == "demo":
            # readiness/conftest.py replaces "demo" by the running demo's generated environment
            message += "\nthe demo environment is started by the readiness suite: run `pytest readiness --env=demo`"
        raise pytest.UsageError(message) from None
    if state.active and not hasattr(config, "workerinput") and not _nothing_runs(config):
        # lazy for start-up speed: the outputs load only in a run that decides
        from pytest_launch.outputs.paths import OutputPathError
        from pytest_launch.plugin.finish import preflight_outputs

        try:  # every output path is ours to write, before any check runs
            preflight_outputs(state, list(state.input_files), run_selection(config))
        except OutputPathError as exc:
            raise pytest.UsageError(f"{exc.message} (nothing was run; earlier reports are left as they were)") from None
    config.stash[STATE_KEY] = state
    if state.active and not hasattr(config, "workerinput"):
        refuse_blocked_decision(config)  # the gate must not be separable from the decision it reports
    refuse_blocked_redactors(config, state.redactor)
    mask_debug_log(config, state.redactor)
    # always: node ids are masked by the same redactor as the reports (credential patterns too),
    # so that an item and its reports keep one id (xdist matches them by id)
    config.pluginmanager.register(PytestRedactor(state.redactor), "launch-redactor")
    if hasattr(config, "workerinput"):
        config.pluginmanager.register(WorkerChecklistLinks(), "launch-worker-checklist-links")
    if hasattr(config, "workerinput") or state.refuses_destructive:
        config.pluginmanager.register(SetupGuard(), "launch-setup-guard")
    if state.active and not hasattr(config, "workerinput"):
        # lazy for start-up speed: the decision and its outputs load only in a run that decides
        from pytest_launch.plugin.controller import LaunchController

        config.pluginmanager.register(LaunchController(config, state), CONTROLLER_NAME)
    if config.option.launch_plan and not hasattr(config, "workerinput"):  # print the plan, run nothing
        config.pluginmanager.register(LaunchPlanner(config, state), PLANNER_NAME)
    if getattr(config.option, "allure_report_dir", None):
        # lazy for start-up speed: the Allure labels load only in a run that writes Allure results
        import pytest_launch.plugin.allure as allure_labels

        config.pluginmanager.register(allure_labels, "launch-allure-labels")
        if state.redactor.secrets:
            # lazy for start-up speed: allure_commons loads only in a run that writes Allure results
            from pytest_launch.plugin.allure_redaction import AllureRedactor

            config.pluginmanager.register(AllureRedactor(state.redactor), "launch-allure-redactor")


def _nothing_runs(config: pytest.Config) -> bool:
    return any(getattr(config.option, name, False) for name in NO_RUN_MODES)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    # before --version, --help, --markers, --fixtures answer and before --co collects
    refuse_gate_without_checks(config)
    refuse_plan_with(config)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist, on the controller: hand each worker the name of this run's channel."""
    state = node.config.stash.get(STATE_KEY, None)
    if state is not None:
        node.workerinput[CHANNEL_INPUT] = state.channel


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist, on the controller: keep the usage problems a worker found at collection (a
    plain run raises them as a usage error there; a worker cannot stop the run)."""
    output = getattr(node, "workeroutput", None) or {}
    node.config.stash.setdefault(WORKER_USAGE_PROBLEMS_KEY, set()).update(output.get(USAGE_PROBLEMS, []))


class WorkerChecklistLinks:
    """Registered on xdist workers only (a plain run links checks at collection's end, where a
    mistake is a usage error): a check with an unknown checklist id must not slip past `-m`."""

    @pytest.hookimpl(wrapper=True)
    def pytest_pycollect_makeitem(self, collector: pytest.Collector, name: str,
                                  obj: object) -> Generator[None, Any, Any]:
        result = yield
        # An xdist worker cannot stop the run with a usage error: it becomes a collection error of its module.
        state = collector.config.stash[STATE_KEY]
        nodes = result if isinstance(result, list) else [result]
        for node in nodes:
            if isinstance(node, pytest.Item):
                try:
                    checklist_link(node, state)
                except pytest.UsageError as exc:
                    raise collector.CollectError(str(exc)) from None
        return result


def _under_args(config: pytest.Config, path: Path) -> bool:
    base = Path(config.invocation_params.dir)
    for arg in config.args:
        folder = Path(arg.split("::", 1)[0])
        folder = (folder if folder.is_absolute() else base / folder).resolve()
        if path.resolve() == folder or folder in path.resolve().parents:
            return True
    return False


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    # tryfirst: the checklist's own items and the markers inherited from the checklist must exist
    # before -m, -k and --deselect select
    state = config.stash[STATE_KEY]
    if state.checklist and (state.active or _under_args(config, state.checklist_path)):
        # the checklist is judged whatever the layout: its manual items and its automated items
        # without a check are added to the session even when the checklist file lies outside the
        # collected paths; when only some files were collected, nothing tells whether an
        # automated item has a check elsewhere, so those items are not evaluated (partial run)
        items[:0] = checklist_items(session, state, uncovered=not run_selection(config).paths_narrowed)
    problems = inherit_checklist_markers(items, state)
    waiver_problems = trigger_only_waivers(items, state.waivers, config.getini("launch_waivers"))
    if waiver_problems:
        if not hasattr(config, "workerinput"):
            raise pytest.UsageError("\n".join(waiver_problems))
        # an xdist worker cannot stop the run: its controller does (LaunchController.usage_problems)
        config.stash[_WAIVER_PROBLEMS_KEY] = waiver_problems
    if not problems:
        return
    if not hasattr(config, "workerinput"):
        raise pytest.UsageError("\n".join(problems.values()))
    # an xdist worker cannot stop the run with a usage error: the checks concerned error instead
    for node in items:
        if node.nodeid in problems:
            node.stash[_PROBLEM_KEY] = problems[node.nodeid]


def pytest_itemcollected(item: pytest.Item) -> None:
    item.config.stash.setdefault(_COLLECTED_KEY, []).append(item)


def pytest_deselected(items: Sequence[pytest.Item]) -> None:
    if items:
        items[0].config.stash.setdefault(_DESELECTED_KEY, set()).update(i.nodeid for i in items)


def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    # what every report of a check shares (node id, location, keywords), looked at for all the
    # selected checks in one pass (issue 16): when nothing is to be masked, a check's reports
    # are looked at for what they add only (plugin.redaction.redact_report)
    counts = clean_shared_parts(session.items, config.stash[STATE_KEY].redactor)
    if counts is not None:
        for item, count in zip(session.items, counts):
            item.stash[_CLEAN_KEYWORDS_KEY] = count
    # a check collected, then removed without being deselected (a conftest's or plugin's
    # pytest_collection_modifyitems): its evidence was dropped; the controller judges it skipped
    deselected: set[str] = config.stash.get(_DESELECTED_KEY, set())
    kept = {item.nodeid for item in session.items} | deselected
    collected = config.stash.get(_COLLECTED_KEY, [])
    gone = [item for item in collected if item.nodeid not in kept]
    if not gone:  # nearly every run: no marker is read for this
        config.stash[DROPPED_KEY] = {}
        return
    parents: MarksOfParents = {}
    covered = {link for item in collected if not isinstance(item, UncoveredItem)
               for link in [checklist_id_of(item, parents)] if link}
    dropped = {item.nodeid: item_metadata(item, parents) for item in gone
               if not (isinstance(item, UncoveredItem) and item.checklist_item.id in covered)}
    config.stash[DROPPED_KEY] = dropped


class SetupGuard:
    """Before each check's setup: a check a worker found a mistake in errors, and a destructive
    check against production is refused. Registered only in a run where either can happen (an
    xdist worker; production without --launch-allow-destructive): elsewhere a hook that does
    nothing would still be called for every check (issue 16)."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if _PROBLEM_KEY in item.stash:  # `in`: a missing key costs Stash.get an exception
            pytest.fail(item.stash[_PROBLEM_KEY], pytrace=False)
        state = item.config.stash[STATE_KEY]
        environment = state.environment
        if state.refuses_destructive and environment is not None and item.get_closest_marker("destructive") is not None:
            facts_of(item).refused = True
            pytest.skip(f"refused: destructive check against production environment {environment.name!r} "
                        f"(pass --launch-allow-destructive to run it)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    config = item.config
    state = config.stash[STATE_KEY]
    redactor = state.redactor
    if call.excinfo is not None and report.failed and call.excinfo.errisinstance(ProbeError):
        # the probe got no usable answer: no evidence either way (for a rollback trigger: HOLD, not ROLLBACK)
        facts_of(item).inconclusive = report
    if report.user_properties:  # a check's own properties, masked; never read as the plugin's
        report.user_properties = [(p[0], redactor.data(p[1])) if isinstance(p, tuple) and len(p) == 2 else p
                                  for p in without_plugin_facts(report.user_properties, state.channel)]
    # what every report of a check shares (node id, location, keywords) was looked at once, at the
    # end of collection: a report is looked at for what it adds (failure, sections, properties)
    # while it has as many keywords as counted then (keywords only grow: the same ones)
    keywords_seen = item.stash.get(_CLEAN_KEYWORDS_KEY, None)
    redact_report(report, redactor, shared_clean=keywords_seen == len(report.keywords))
    if hasattr(config, "workerinput"):
        # an xdist worker: the controller learns a check's facts from its reports only (plugin.facts)
        facts = check_facts(item, report, redactor)
        if report.when == "setup":
            # the metadata comes from markers and does not change: the setup report carries it once
            facts[META] = redactor.data(item_metadata(item))
        if report.longrepr is not None:
            facts[MESSAGE] = report_message(report)  # of the masked report
        if facts:
            report.user_properties.append((state.channel, facts))
    return report


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
    facts_of(request.node).evidence = evidence
    return evidence


@pytest.hookimpl(trylast=True)  # after the controller's, which may settle it when the decision arrives
def pytest_unconfigure(config: pytest.Config) -> None:
    reassert_settled_status(config)


@pytest.hookimpl(trylast=True)  # after the controller decided (or did not)
def pytest_sessionfinish(session: pytest.Session) -> None:
    report_worker_usage_problems(session)  # a run that does not decide (a deciding one reported them first)
    gate_without_decision(session)
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        # an xdist worker: every worker collects every check, so the controller learns the
        # metadata of a check whose own worker crashed before reporting it
        parents: MarksOfParents = {}
        workeroutput[WORKER_META] = {item.nodeid: item_metadata(item, parents) for item in session.items}
        workeroutput[USAGE_PROBLEMS] = session.config.stash.get(_WAIVER_PROBLEMS_KEY, [])
        workeroutput[DROPPED] = session.config.stash.get(DROPPED_KEY, {})


def pytest_sessionstart(session: pytest.Session) -> None:
    state = session.config.stash.get(STATE_KEY, None)
    logging_plugin = session.config.pluginmanager.get_plugin("logging-plugin")
    if state is None or logging_plugin is None:
        return
    # --log-cli-level and --log-file write records straight to the terminal and a file
    for name in ("log_cli_handler", "log_file_handler"):
        handler = getattr(logging_plugin, name, None)
        if handler is not None:
            handler.addFilter(LogRedactor(state.redactor))
