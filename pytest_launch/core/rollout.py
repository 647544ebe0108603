"""Launch day: staged rollout gates and rollback triggers (issue 6, PRODUCT §4).

    [rollout]
    stages = [5, 25, 50, 100]            # traffic percentages, in order
    min_samples = 10                     # measurements a windowed criterion needs
    default_window = "10m"               # for expressions without `over`
    step = "15s"                         # resolution of the range queries (default: [prometheus].step)
    go_criteria = [
        "error_rate < 0.1% over 10m",
        "p95(latency) < 500ms over 10m",
        "payment_success_rate > 95% over 15m",
    ]
    rollback_triggers = [
        "error_rate > 5% over 2m",
        "payment_failure_rate > 5% over 5m",
        { expr = "data_corruption_events > 0 over 10m", name = "data corruption", owner = "data-team" },
    ]

    [rollout.metrics]                    # metric name -> PromQL template ({window} {labels} {quantile})
    error_rate = 'sum(rate(http_requests_total{code=~"5..",{labels}}[{window}])) / sum(rate(http_requests_total{{labels}}[{window}]))'

    [rollout.stage.5]                    # optional per-stage overrides
    min_samples = 5
    go_criteria = ["error_rate < 0.5% over 10m"]

The stage gate itself is decided by pytest-launch's one decision function over ordinary
checks (see `pytest_launch.plugin.stage_checks`); this module holds the plan, the pure stage
evaluation used by those checks and by scripts, and the rollback procedure.

Outcomes: ROLLBACK when any rollback trigger fires (FAIL); HOLD when any go criterion is not
PASS (FAIL, NO_DATA or ERROR) or when any trigger cannot be evaluated (NO_DATA or ERROR: the
system cannot be shown safe); PROCEED otherwise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pytest_launch.core.errors import ConfigError
from pytest_launch.core.settings import Table
from pytest_launch.core.thresholds import (
    ERROR,
    NO_DATA,
    PASS,
    Threshold,
    ThresholdResult,
    evaluate,
    parse_threshold,
)
from pytest_launch.core.vocabulary import Category, Severity

DEFAULT_STAGES: tuple[int, ...] = (5, 25, 50, 100)

PROCEED = "PROCEED"
HOLD = "HOLD"
ROLLBACK = "ROLLBACK"



@dataclasses.dataclass
class Criterion(Table):
    """A go criterion or rollback trigger written as a table instead of a plain string."""

    expr: str
    name: str = ""
    owner: str | None = None
    checklist: str | None = None
    severity: Severity = "blocker"
    category: Category | None = None  # default: performance


@dataclasses.dataclass
class StageSettings(Table):
    """[rollout.stage.N]: overrides for one traffic step."""

    go_criteria: list[str | Criterion] | None = None  # replaces [rollout].go_criteria
    rollback_triggers: list[str | Criterion] | None = None  # replaces [rollout].rollback_triggers
    min_samples: int | None = None


def expression_problem(entries: Sequence[str | Criterion], key: str) -> tuple[str, str] | None:
    """(expected, found) for the first threshold expression of `entries` (at `key`) that does
    not parse, for a settings table's validate(); None when all parse."""
    for index, entry in enumerate(entries):
        text = entry.expr if isinstance(entry, Criterion) else entry
        try:
            parse_threshold(text, "", f"{key}[{index}]")
        except ConfigError as exc:
            return (f"in {key}[{index}] a threshold expression: {exc.expected}",
                    f"{exc.found} ({exc.hint})" if exc.hint else exc.found)
    return None


@dataclasses.dataclass
class RolloutSettings(Table):
    """[rollout]: the traffic steps, their go criteria and the rollback triggers."""

    stages: list[int] = dataclasses.field(default_factory=lambda: list(DEFAULT_STAGES))
    go_criteria: list[str | Criterion] = dataclasses.field(default_factory=list)
    rollback_triggers: list[str | Criterion] = dataclasses.field(default_factory=list)
    min_samples: int = 10
    default_window: str = "10m"
    step: str | None = None
    metrics: dict[str, str] = dataclasses.field(default_factory=dict)
    stage: dict[str, StageSettings] = dataclasses.field(default_factory=dict)
    # the organisation's rollback runbook, in order: shown with a fired trigger and in a ROLLBACK report
    rollback_steps: list[str] = dataclasses.field(default_factory=list)

    def validate(self) -> tuple[str, str] | None:
        for index, step in enumerate(self.rollback_steps):
            if not step.strip():
                return ("rollback_steps to be non-empty steps of the rollback runbook", f"step {index + 1} is empty")
        if not self.stages:
            return ("stages to list at least one traffic percentage", "an empty list")
        if any(not 0 < s <= 100 for s in self.stages) or list(self.stages) != sorted(set(self.stages)):
            return ("stages to be increasing percentages from 1 to 100", repr(self.stages))
        for name, value in (("default_window", self.default_window), ("step", self.step)):
            if value is not None and not is_duration(value):
                return (f"{name} to be a duration such as 15s, 10m, 2h, 1d", repr(value))
        if self.min_samples < 1:
            return ("min_samples to be 1 or more", str(self.min_samples))
        for key, stage in self.stage.items():
            if not key.isdigit() or int(key) not in self.stages:
                return (f"[rollout.stage.N] for a stage listed in stages {self.stages}", f"stage {key!r}")
            if stage.min_samples is not None and stage.min_samples < 1:
                return (f"stage.{key}.min_samples to be 1 or more", str(stage.min_samples))
        # every expression must parse: a malformed one stops the run before any check
        for key, entries in self._expression_lists():
            problem = expression_problem(entries, f"rollout.{key}")
            if problem:
                return problem
        return None

    def _expression_lists(self) -> list[tuple[str, list[str | Criterion]]]:
        lists: list[tuple[str, list[str | Criterion]]] = [("go_criteria", self.go_criteria),
                                                          ("rollback_triggers", self.rollback_triggers)]
        for key, stage in self.stage.items():
            if stage.go_criteria is not None:
                lists.append((f"stage.{key}.go_criteria", stage.go_criteria))
            if stage.rollback_triggers is not None:
                lists.append((f"stage.{key}.rollback_triggers", stage.rollback_triggers))
        return lists


def is_duration(text: str) -> bool:
    return len(text) >= 2 and text[:-1].isdigit() and int(text[:-1]) > 0 and text[-1] in "smhd"


# --------------------------------------------------------------------------- the plan


@dataclasses.dataclass(frozen=True)
class StageCheck:
    """One go criterion or rollback trigger of a stage, ready to evaluate."""

    kind: Literal["go", "rollback", "success"]
    threshold: Threshold
    key: str  # where it is written: rollout.go_criteria[0]
    name: str = ""
    owner: str | None = None
    checklist: str | None = None
    severity: str = "blocker"
    category: str = "performance"

    @property
    def expression(self) -> str:
        return self.threshold.format()

    @property
    def label(self) -> str:
        """A short, stable id for the check (used in pytest node ids)."""
        return self.name or self.expression

    @property
    def mode(self) -> str:
        return "trigger" if self.kind == "rollback" else "criterion"


@dataclasses.dataclass(frozen=True)
class StagePlan:
    stage: int
    go: tuple[StageCheck, ...]
    triggers: tuple[StageCheck, ...]
    min_samples: int
    default_window: str
    step: str
    rollback_steps: tuple[str, ...] = ()  # [rollout] rollback_steps

    @property
    def checks(self) -> tuple[StageCheck, ...]:
        return self.go + self.triggers


def stage_plan(settings: RolloutSettings, stage: int, file: str = "<environment>",
               default_step: str = "15s") -> StagePlan:
    """The go criteria, rollback triggers and sample minimum of `stage`. A stage not in the plan
    is a ConfigError."""
    if stage not in settings.stages:
        raise ConfigError(file, "rollout.stages", f"the stage {stage} to be one of the planned stages",
                          repr(settings.stages), hint=f"--launch-stage must be one of {settings.stages}")
    override = settings.stage.get(str(stage))
    go_key, go_entries = "go_criteria", settings.go_criteria
    trig_key, trig_entries = "rollback_triggers", settings.rollback_triggers
    min_samples = settings.min_samples
    if override is not None:
        if override.go_criteria is not None:
            go_key, go_entries = f"stage.{stage}.go_criteria", override.go_criteria
        if override.rollback_triggers is not None:
            trig_key, trig_entries = f"stage.{stage}.rollback_triggers", override.rollback_triggers
        if override.min_samples is not None:
            min_samples = override.min_samples
    return StagePlan(
        stage=stage,
        go=tuple(plan_checks("go", go_key, go_entries, file)),
        triggers=tuple(plan_checks("rollback", trig_key, trig_entries, file)),
        min_samples=min_samples,
        default_window=settings.default_window,
        step=settings.step or default_step,
        rollback_steps=tuple(settings.rollback_steps),
    )


def plan_checks(kind: Literal["go", "rollback", "success"], key: str, entries: Sequence[str | Criterion],
            file: str, table: str = "rollout") -> list[StageCheck]:
    out = []
    for index, entry in enumerate(entries):
        where = f"{table}.{key}[{index}]"
        if isinstance(entry, Criterion):
            out.append(StageCheck(kind, parse_threshold(entry.expr, file, where), where, entry.name,
                                  entry.owner, entry.checklist, entry.severity, entry.category or "performance"))
        else:
            out.append(StageCheck(kind, parse_threshold(entry, file, where), where))
    return out


def metric_queries(rollout: RolloutSettings | None, prometheus: Any | None) -> dict[str, str]:
    """Metric name -> PromQL template: [prometheus].queries, overridden by [rollout].metrics."""
    queries: dict[str, str] = dict(getattr(prometheus, "queries", None) or {})
    if rollout is not None:
        queries.update(rollout.metrics)
    return queries


# --------------------------------------------------------------------------- T+1 success


@dataclasses.dataclass
class SuccessSettings(Table):
    """[success]: what the first day must show."""

    criteria: list[str | Criterion] = dataclasses.field(default_factory=list)
    window: str = "24h"
    step: str = "5m"
    min_samples: int = 1
    metrics: dict[str, str] = dataclasses.field(default_factory=dict)

    def validate(self) -> tuple[str, str] | None:
        for name, value in (("window", self.window), ("step", self.step)):
            if not is_duration(value):
                return (f"{name} to be a duration such as 5m, 24h, 1d", repr(value))
        if self.min_samples < 1:
            return ("min_samples to be 1 or more", str(self.min_samples))
        return expression_problem(self.criteria, "success.criteria")


def success_plan(settings: SuccessSettings, file: str = "<environment>") -> StagePlan:
    """The success criteria as a plan of checks (stage 100: the full launch)."""
    checks = plan_checks("success", "criteria", settings.criteria, file, table="success")
    return StagePlan(stage=100, go=tuple(checks), triggers=(), min_samples=settings.min_samples,
                     default_window=settings.window, step=settings.step)


# --------------------------------------------------------------------------- evaluation


def evaluate_check(check: StageCheck, plan: StagePlan, probe: Any, metrics: Mapping[str, str],
                   now: float | None = None) -> ThresholdResult:
    """Evaluate one go criterion (must hold) or rollback trigger (fires when it holds)."""
    return evaluate(check.threshold, probe, metrics, mode=check.mode, default_window=plan.default_window,
                    step=plan.step, min_samples=plan.min_samples, now=now)


# --------------------------------------------------------------------------- for checks


@dataclasses.dataclass
class CheckVerdict:
    """What a stage check (a pytest item) must do with one result.

    `inconclusive`: the evidence could not be collected (NO_DATA / ERROR): the check errors
    (in setup), which holds the stage but never reads as a fired trigger.
    `failed`: a go criterion measured and failed (HOLD), or a trigger fired (ROLLBACK)."""

    ok: bool
    inconclusive: bool
    message: str
    evidence: dict[str, Any]


def judge_check(check: StageCheck, result: ThresholdResult, stage: int | None = None,
                rollback_steps: Sequence[str] = ()) -> CheckVerdict:
    """Turn a ThresholdResult into the check's pass/fail message and evidence."""
    evidence = result.evidence()
    evidence.update(stage=stage, kind=check.kind, key=check.key)
    measured = _shown(result.measured, check.threshold.unit)
    what = {"go": "go criterion", "rollback": "rollback trigger", "success": "success criterion"}[check.kind]
    hold = "HOLD: " if check.kind != "success" else ""
    head = f"{what} {check.expression!r}"
    detail = f"measured {measured}, threshold {check.threshold.op} {result.threshold_text}"
    window = f", window {result.window}" if result.window else ""
    if result.status in (NO_DATA, ERROR):
        message = (f"{hold}{head} is {result.status}: {result.reason} (query: {result.query}{window}); "
                   f"no data is never a pass")
        if check.kind == "rollback":
            message += " — a trigger that cannot be evaluated cannot show the system is safe"
        return CheckVerdict(False, True, message, evidence)
    if check.kind != "rollback":
        if result.status == PASS:
            return CheckVerdict(True, False, f"PASS: {head}: {detail}{window}", evidence)
        return CheckVerdict(False, False, f"{hold or 'MISSED: '}{head} FAILED: {detail}{window}; {result.reason} "
                                          f"(query: {result.query})", evidence)
    if result.status == PASS:
        return CheckVerdict(True, False, f"quiet: {head} did not fire: {detail}{window}", evidence)
    if rollback_steps:
        evidence["rollback_steps"] = list(rollback_steps)
    steps = "; ".join(f"{i}. {s}" for i, s in enumerate(rollback_steps, 1)) or \
        "none configured ([rollout] rollback_steps in the environment file)"
    return CheckVerdict(False, False, f"ROLLBACK: {head} FIRED: {detail}{window}; {result.reason} "
                                      f"(query: {result.query}). Rollback steps: {steps}", evidence)


def _shown(value: float | None, unit: str | None) -> str:
    if value is None:
        return "nothing"
    if unit == "%":
        return f"{value * 100:.4g}%"
    if unit == "ms":
        return f"{value * 1000:.4g}ms"
    if unit == "s":
        return f"{value:.4g}s"
    return f"{value:.6g}"

