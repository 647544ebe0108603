"""pytest glue of the launch-day stage gate: one check per go criterion and rollback trigger.

With ``--launch-stage N`` and an environment that has ``[rollout]``, every test function that
uses the ``launch_stage_verdict`` fixture (readiness/test_launch_day.py) is parametrized over
the stage's checks:

- each go criterion -> markers t_0, performance, its severity (blocker by default), owner;
- each rollback trigger -> the same plus ``rollback_trigger``.

A criterion or trigger that names a checklist item (``{ expr = "...", checklist = "DAY-16" }``)
inherits phase, category, severity and owner from the checklist instead.

The evaluation runs in the fixture's setup, so that evidence that could not be collected
(NO_DATA, ERROR, no Prometheus) makes the check *error* -- the stage HOLDs, and a trigger
that cannot be evaluated never reads as a fired one. In the test body a failed go criterion
fails (HOLD) and a fired trigger fails a ``rollback_trigger`` check, so the one decision
function gives ROLLBACK. Without ``--launch-stage`` every planned criterion and trigger is
still listed (so `--collect-only -m t_0` shows which checklist items the rollout covers), and
each one errors "run with --launch-stage N": a launch-day run without a stage is missing that
evidence, never a pass. An environment without ``[rollout]`` has none of these checks (their
checklist items show as uncovered).

The core plugin registers this module through its ``pytest_plugins``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from pytest_launch.core.errors import ConfigError
from pytest_launch.plugin.state import STATE_KEY

if TYPE_CHECKING:  # core.rollout (and core.thresholds) load only in a run whose environment plans a rollout
    from pytest_launch.core.rollout import CheckVerdict, StageCheck, StagePlan

PARAM = "launch_stage_check"
SUCCESS_PARAM = "launch_success_check"
_DESELECT_KEY = pytest.StashKey[bool]()


@dataclasses.dataclass(frozen=True)
class StageItem:
    """What one generated check evaluates (the parameter of ``launch_stage_check``)."""

    stage: int | None  # None: a run without --launch-stage (the check cannot be evaluated)
    check: StageCheck | None
    plan: StagePlan | None
    problem: str | None = None  # a setup problem: the check errors with it (HOLD)


def _environment(config: pytest.Config) -> Any:  # the run's Environment, or None
    state = config.stash.get(STATE_KEY, None)
    return getattr(state, "environment", None) if state is not None else None


def _stage(config: pytest.Config) -> int | None:
    try:
        stage: int | None = config.getoption("launch_stage")
        return stage
    except ValueError:
        return None


def stage_items(config: pytest.Config) -> list[StageItem]:
    """The stage's checks; one problem item when the stage cannot be evaluated at all. Without
    --launch-stage: every planned criterion and trigger (of any stage), each one erroring with
    "pass --launch-stage", so a launch-day run without a stage lists (and blocks on) the rollout
    checks instead of calling their checklist items uncovered; none without [rollout]."""
    stage = _stage(config)
    if stage is None:
        return unstaged_items(config)
    from pytest_launch.core.rollout import stage_plan  # lazy for start-up speed (see the imports)

    env = _environment(config)
    if env is None:
        return [StageItem(stage, None, None, f"--launch-stage {stage} needs an environment: pass --env NAME")]
    rollout = env.table("rollout")
    if rollout is None:
        return [StageItem(stage, None, None, f"--launch-stage {stage}: the environment {env.name!r} ({env.where}) "
                                             f"has no [rollout] table, so no go criterion can show the stage is safe")]
    prometheus = env.table("prometheus")
    default_step = getattr(prometheus, "step", None) or "15s"
    try:
        plan = stage_plan(rollout, stage, env.where, default_step)
    except ConfigError as exc:
        return [StageItem(stage, None, None, exc.message)]
    items = [StageItem(stage, check, plan) for check in plan.checks]
    if not plan.go:
        items.append(StageItem(stage, None, plan, f"stage {stage} has no go criteria in [rollout]: "
                                                  f"nothing shows it is healthy"))
    return items


def unstaged_items(config: pytest.Config) -> list[StageItem]:
    """The rollout checks of every planned stage (deduplicated by where they are written), for a
    run without --launch-stage: they cannot be evaluated, and say so."""
    env = _environment(config)
    rollout = env.table("rollout") if env is not None else None
    if rollout is None:
        return []
    from pytest_launch.core.rollout import stage_plan  # lazy for start-up speed (see the imports)

    stages = ", ".join(str(s) for s in rollout.stages)
    found: dict[str, StageItem] = {}
    for planned in rollout.stages:
        try:
            plan = stage_plan(rollout, planned, env.where)
        except ConfigError:  # pragma: no cover - stages come from the plan itself
            continue
        for check in plan.checks:
            what = "rollback trigger" if check.kind == "rollback" else "go criterion"
            found.setdefault(check.key + check.expression, StageItem(
                None, check, plan, f"{what} {check.expression!r} ({check.key}) is evaluated per traffic step: "
                                   f"run with --launch-stage N (N one of {stages}); not evaluated, so no evidence"))
    return list(found.values())


def _marks(item: StageItem) -> list[pytest.MarkDecorator]:
    check = item.check
    if check is None:
        return [pytest.mark.t_0, pytest.mark.performance, pytest.mark.blocker]
    marks: list[pytest.MarkDecorator] = []
    if check.checklist:
        marks.append(pytest.mark.checklist(check.checklist))
    else:
        phase = pytest.mark.t_plus_1 if check.kind == "success" else pytest.mark.t_0
        marks += [phase, getattr(pytest.mark, check.category), getattr(pytest.mark, check.severity)]
        if check.owner:
            marks.append(pytest.mark.owner(check.owner))
    if check.kind == "rollback":
        marks.append(pytest.mark.rollback_trigger)
    return marks


def _id(item: StageItem) -> str:
    if item.check is not None and item.check.kind == "success":
        linked = f"{item.check.checklist} " if item.check.checklist else ""
        return f"success: {linked}{item.check.label}"
    if item.check is None:
        return f"stage{item.stage}-not-evaluable"
    kind = "go" if item.check.kind == "go" else "rollback"
    if item.stage is None:
        linked = f"{item.check.checklist} " if item.check.checklist else ""
        return f"no-stage-{kind}: {linked}{item.check.label}"
    return f"stage{item.stage}-{kind}: {item.check.label}"


def success_items(config: pytest.Config) -> list[StageItem]:
    """The T+1 success criteria of [success]; none without an environment or [success]."""
    env = _environment(config)
    success = env.table("success") if env is not None else None
    if success is None:
        return []
    from pytest_launch.core.rollout import success_plan  # lazy for start-up speed (see the imports)

    plan = success_plan(success, env.where)
    return [StageItem(100, check, plan) for check in plan.go]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if SUCCESS_PARAM in metafunc.fixturenames:
        found = success_items(metafunc.config)
        if not found:
            metafunc.parametrize(SUCCESS_PARAM, [pytest.param(None, id="no-success-criteria")])
        else:
            metafunc.parametrize(SUCCESS_PARAM, [pytest.param(i, marks=_marks(i), id=_id(i)) for i in found])
    if PARAM not in metafunc.fixturenames:
        return
    items = stage_items(metafunc.config)
    if not items:
        # no [rollout] (or no --launch-stage and nothing planned): a placeholder, deselected in
        # pytest_collection_modifyitems
        metafunc.parametrize(PARAM, [pytest.param(None, id="no-launch-stage")])
        return
    metafunc.parametrize(PARAM, [pytest.param(i, marks=_marks(i), id=_id(i)) for i in items])


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep, drop = [], []
    for node in items:
        callspec = getattr(node, "callspec", None)
        if callspec is not None and any(name in callspec.params and callspec.params[name] is None
                                        for name in (PARAM, SUCCESS_PARAM)):
            drop.append(node)
        else:
            keep.append(node)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def launch_stage_prometheus(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The Prometheus probe the stage checks share (None when [prometheus] is missing)."""
    env = _environment(request.config)
    if env is None or env.table("prometheus") is None:
        yield None
        return
    from pytest_launch.probes.prometheus import PrometheusProbe

    probe = PrometheusProbe.from_environment(env)
    yield probe
    probe.close()


@pytest.fixture
def launch_stage_verdict(launch_stage_check: StageItem, launch_stage_prometheus: Any,
                         launch_evidence: Any, request: pytest.FixtureRequest) -> CheckVerdict:
    """Evaluates one stage check (in setup: inconclusive evidence errors the check)."""
    return _verdict(launch_stage_check, launch_stage_prometheus, launch_evidence, request)


@pytest.fixture
def launch_success_verdict(launch_success_check: StageItem, launch_stage_prometheus: Any,
                           launch_evidence: Any, request: pytest.FixtureRequest) -> CheckVerdict:
    """Evaluates one T+1 success criterion (in setup: inconclusive evidence errors the check)."""
    return _verdict(launch_success_check, launch_stage_prometheus, launch_evidence, request)


def _verdict(item: StageItem, prometheus: Any, launch_evidence: Any, request: pytest.FixtureRequest) -> CheckVerdict:
    success = item.check is not None and item.check.kind == "success"
    hold = "" if success else "HOLD: "
    if not success:
        launch_evidence.record(stage=item.stage)
    if item.problem is not None or item.check is None or item.plan is None:
        if item.check is not None:
            launch_evidence.record(expression=item.check.expression, kind=item.check.kind)
        launch_evidence.record(result="ERROR", reason=item.problem)
        pytest.fail(f"{hold}{item.problem}", pytrace=False)
    check, plan = item.check, item.plan
    if prometheus is None:
        message = (f"{hold}{check.kind} check {check.expression!r} cannot be evaluated: the environment has "
                   f"no [prometheus] table with the url of the metrics")
        launch_evidence.record(expression=check.expression, kind=check.kind, result="ERROR", reason=message)
        pytest.fail(message, pytrace=False)
    from pytest_launch.core.rollout import evaluate_check, judge_check, metric_queries  # lazy (see the imports)

    env = _environment(request.config)
    metrics = metric_queries(env.table("rollout"), env.table("prometheus")) if env is not None else {}
    success_table = env.table("success") if env is not None else None
    if success_table is not None:
        metrics.update(success_table.metrics)
    result = evaluate_check(check, plan, prometheus, metrics)
    verdict = judge_check(check, result, None if success else item.stage, plan.rollback_steps)
    launch_evidence.record(query=result.query, window=result.window, measured=result.measured,
                           threshold=result.threshold_text, result=result.status, expression=check.expression,
                           kind=check.kind, reason=result.reason, samples=result.sample_count,
                           series=result.series_count)
    if "rollback_steps" in verdict.evidence:
        launch_evidence.record(rollback_steps=verdict.evidence["rollback_steps"])
    if verdict.inconclusive:
        pytest.fail(verdict.message, pytrace=False)
    return verdict


def assert_stage_check(verdict: CheckVerdict) -> None:
    """The body of a stage check: a failed go criterion (HOLD) or a fired trigger (ROLLBACK) fails."""
    if not verdict.ok:
        pytest.fail(verdict.message, pytrace=False)
