"""`pytest --launch-plan`: collect, select with -m as a real run does, then print the plan
(core.plan.build_plan) instead of running anything: no check, no fixture, no probe.

The tables a check needs are read from what it declares, never guessed: the tables of the probe
fixtures it uses (config.tables.FIXTURE_TABLES, looked up in its whole fixture closure) plus its
`@pytest.mark.env_tables("security", ...)` markers. A check that reaches the environment some
other way (`launch_env`, `launch_probes`, a fixture of its own that takes `launch_env`) without
that marker is "undeclared": the plan cannot vouch for its tables and says so.
"""

from __future__ import annotations

import contextvars
import dataclasses
from typing import TYPE_CHECKING, Any

import pytest

from pytest_launch.config.tables import ENVIRONMENT_FIXTURES, FIXTURE_TABLES, is_known, known_tables
from pytest_launch.core.errors import did_you_mean
from pytest_launch.core.redact import Redactor
from pytest_launch.plugin.collection import _ChecklistNode
from pytest_launch.plugin.reports import checklist_id_of, read_metadata
from pytest_launch.plugin.selection import run_selection
from pytest_launch.plugin.state import LaunchState, added_tables_of

if TYPE_CHECKING:  # the planner (core.plan) loads only in a run that plans (start-up speed, issue 16)
    from pytest_launch.core.plan import CheckNeeds, Plan

PLANNER_NAME = "launch-planner"
TABLES_MARKER = "env_tables"


@dataclasses.dataclass
class PlanResult:
    plan: Plan
    redactor: Redactor  # masks the environment's secrets in whatever is rendered from the plan


PLAN_KEY = pytest.StashKey[PlanResult]()


def _table_names(node: pytest.Item, arg: Any, known: set[str] | None) -> tuple[str, ...]:
    if not isinstance(arg, str) or not arg.strip():
        raise pytest.UsageError(f"{node.nodeid}: @pytest.mark.{TABLES_MARKER} expects table names such as "
                                f"'security' or 'security|backups', found {arg!r}")
    alternatives = tuple(name.strip() for name in arg.split("|"))
    for name in alternatives:
        if known is not None and name not in known:
            hint = did_you_mean(name, known)
            raise pytest.UsageError(f"{node.nodeid}: @pytest.mark.{TABLES_MARKER}({arg!r}): {name!r} is not a "
                                    f"known environment table{' (' + hint + ')' if hint else ''}")
    return alternatives


def declared_tables(node: pytest.Item, known: set[str] | None) -> tuple[list[tuple[str, ...]], list[str]] | None:
    """(the tables the node's `env_tables` markers name, its optional ones), None without such a
    marker. A needed table is one name or alternatives written "security|backups" (either one is
    enough); `optional=("catalog",)` names tables the check reads only when they are configured.
    A name that is not a string or not a known table (`known`; None: not checked) is a usage
    error (a typo must not read as "missing")."""
    markers = list(node.iter_markers(TABLES_MARKER))
    if not markers:
        return None
    needs: list[tuple[str, ...]] = []
    optional: list[str] = []
    for marker in markers:
        needs += [_table_names(node, arg, known) for arg in marker.args]
        extra = set(marker.kwargs) - {"optional"}
        if extra:
            raise pytest.UsageError(f"{node.nodeid}: @pytest.mark.{TABLES_MARKER} takes table names and optional=(...), "
                                    f"found {', '.join(sorted(extra))}=")
        names = marker.kwargs.get("optional", ())
        for arg in [names] if isinstance(names, str) else list(names):
            optional += _table_names(node, arg, known)
    return needs, optional


# In a real run, the tables a check that declares `env_tables` may read (its declaration plus
# its probe fixtures' tables), while its setup and call run: plugin.fixtures.require_table fails
# the check when it reads another one, so that a declaration `launch plan` relies on stays true.
_DECLARED = contextvars.ContextVar[tuple[str, frozenset[str]] | None]("launch_declared_tables", default=None)


def allowed_tables(node: pytest.Item) -> frozenset[str] | None:
    """The tables a check declares it may read (None: it declares nothing)."""
    declared = declared_tables(node, None)
    if declared is None:
        return None
    names = {name for alternatives in declared[0] for name in alternatives} | set(declared[1])
    for fixture in getattr(node, "fixturenames", ()):
        names.update(name for alternatives in FIXTURE_TABLES.get(fixture, ()) for name in alternatives)
    return frozenset(names)


def undeclared_read(names: tuple[str, ...]) -> str | None:
    """Why reading one of `names` breaks the running check's declaration, or None."""
    current = _DECLARED.get()
    if current is None or set(names) & current[1]:
        return None
    wanted = " or ".join(f"[{name}]" for name in names)
    return (f"{current[0]} reads {wanted}, which its @pytest.mark.{TABLES_MARKER}(...) does not name: add "
            f"{names[0]!r} to it (launch plan tells from it whether the environment configures what the check needs)")


_TOKEN_KEY = pytest.StashKey["contextvars.Token[tuple[str, frozenset[str]] | None]"]()


class DeclaredTablesGuard:
    """Registered once collection is over, only in a run where some collected check carries an
    `env_tables` marker (issue 16: two hook calls per check, in every run, for a rule most
    suites never use)."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        # from the start of the check's setup (before its fixtures) to the start of its teardown,
        # so through its call: read once per check (a marker added while the check runs cannot
        # widen what it declared: it can only make a read fail). Plain hooks, not wrappers: a
        # wrapper around setup and one around call cost every check (issue 16).
        allowed = allowed_tables(item)
        if allowed is not None:
            item.stash[_TOKEN_KEY] = _DECLARED.set((item.nodeid, allowed))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        token = item.stash.get(_TOKEN_KEY, None)
        if token is not None:
            del item.stash[_TOKEN_KEY]
            _DECLARED.reset(token)


GUARD_NAME = "launch-declared-tables"


def marker_used(items: list[pytest.Item], name: str) -> bool:
    """True when a marker `name` is on one of the items or on a node above one (a module's
    `pytestmark`, a class): each node's own markers are looked at once."""
    seen: set[int] = set()
    for item in items:
        node: Any = item
        while node is not None and id(node) not in seen:
            seen.add(id(node))
            for marker in node.own_markers:  # a loop, not any(<generator>): once per collected node
                if marker.name == name:
                    return True
            node = node.parent
    return False


@pytest.hookimpl(trylast=True)  # after every other plugin's last word on the selection
def pytest_collection_finish(session: pytest.Session) -> None:
    manager = session.config.pluginmanager
    if not manager.has_plugin(GUARD_NAME) and marker_used(session.items, TABLES_MARKER):
        manager.register(DeclaredTablesGuard(), GUARD_NAME)


def check_needs(node: pytest.Item, known: set[str]) -> CheckNeeds:
    """What a selected check needs from the environment, from its fixtures and markers only."""
    from pytest_launch.core.plan import CheckNeeds

    info = getattr(node, "_fixtureinfo", None)
    tables: list[tuple[str, ...]] = []
    closure = list(getattr(node, "fixturenames", ()))
    for name in closure:
        tables += FIXTURE_TABLES.get(name, ())
    declared = declared_tables(node, known)
    undeclared: list[str] = []
    optional: list[str] = []
    if declared is not None:
        tables += declared[0]
        optional = declared[1]
    elif info is None:
        undeclared.append(f"its own item type ({type(node).__name__})")
    else:
        undeclared += [name for name in info.argnames if name in ENVIRONMENT_FIXTURES]
        for name, definitions in info.name2fixturedefs.items():
            if name in FIXTURE_TABLES or name in undeclared:
                continue
            if name in ENVIRONMENT_FIXTURES - {"launch_env"} or any(
                    set(d.argnames) & ENVIRONMENT_FIXTURES for d in definitions):
                undeclared.append(name)
    meta = read_metadata(node)
    return CheckNeeds(node.nodeid, checklist_id_of(node), tuple(tables), tuple(undeclared),
                      meta.get("phase"), meta.get("category"), meta.get("severity"), meta.get("owner"),
                      bool(meta.get("destructive")), tuple(optional))


def plan_of(items: list[pytest.Item], config: pytest.Config, state: LaunchState) -> Plan:
    from pytest_launch.core.plan import PlanEnvironment, build_plan

    env = state.environment
    added = env.added_tables if env is not None else added_tables_of(config)
    known = set(known_tables(added))
    needs = [check_needs(node, known) for node in items if not isinstance(node, _ChecklistNode)]
    environment = None
    if env is not None:
        environment = PlanEnvironment(env.name, env.where, frozenset(n for n in env if is_known(n, added)),
                                      env.production, env.release)
    selection = run_selection(config)
    return build_plan(needs, state.checklist, environment, state.waivers, state.signoffs, state.today,
                      selection.phases, selection=config.option.markexpr or "", partial=selection.partial,
                      paths_narrowed=selection.paths_narrowed)


class LaunchPlanner:
    """Registered for `--launch-plan` only: after collection and -m, build and print the plan,
    run nothing, and exit 1 when the plan has gaps (0 otherwise)."""

    def __init__(self, config: pytest.Config, state: LaunchState) -> None:
        self.config = config
        self.state = state

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        if session.testsfailed:
            raise session.Interrupted(f"{session.testsfailed} error(s) during collection: the plan cannot see every "
                                      f"check (fix the collection errors above)")
        plan = plan_of(session.items, self.config, self.state)
        self.config.stash[PLAN_KEY] = PlanResult(plan, self.state.redactor)
        return True  # nothing runs

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        result = self.config.stash.get(PLAN_KEY, None)
        if result is None:
            return
        terminalreporter.section("launch plan")
        # lazy for start-up speed: every run loads this module (the tables check), only --launch-plan renders
        from pytest_launch.outputs.plan import render_plan

        text = result.redactor.text(render_plan(result.plan, self.config.option.launch_plan_format))
        for line in text.rstrip("\n").splitlines():
            terminalreporter.write_line(line)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        result = self.config.stash.get(PLAN_KEY, None)
        if result is not None and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = result.plan.exit_code


def refuse_plan_with(config: pytest.Config) -> None:
    """--launch-plan runs nothing and writes no report: options that ask for a run are usage errors."""
    if not getattr(config.option, "launch_plan", False):
        return
    clashing = [flag for dest, flag in (("launch_gate", "--launch-gate"), ("launch_json", "--launch-json"),
                                        ("launch_allow_destructive", "--launch-allow-destructive"),
                                        ("launch_notify", "--launch-notify"))
                if getattr(config.option, dest, None)]
    if clashing:
        raise pytest.UsageError(f"--launch-plan runs no check, writes no report and sends nothing: drop {', '.join(clashing)} "
                                f"(the plan's own format: --launch-plan-format text|json|markdown)")
    # no xdist workers: nothing runs, and a worker would only load the suite again
    # (pytest-xdist reads these in its own pytest_cmdline_main, before or after this one)
    if hasattr(config.option, "numprocesses"):
        config.option.numprocesses = 0
        config.option.dist = "no"
        config.option.tx = []
