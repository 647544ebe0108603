"""The run-data model every output reads: plain dataclasses, built-in types only.

The checklist items, waivers and sign-offs are also what the loaders in pytest_launch/config
build from the TOML files (their type hints are what is validated). The go-no-go.json document
(schema_version SCHEMA_VERSION, pytest_launch/outputs/results.schema.json) is built from these
by pytest_launch.outputs.jsonfile, which also reads them back for `launch-report`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Literal, get_args

SCHEMA_VERSION = 1

# What a check's run produced. "refused": a destructive check not run against production;
# "missing": selected but no result ever arrived (crashed worker, interrupted run).
Outcome = Literal["passed", "failed", "error", "skipped", "refused", "missing"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
# what a result stands for: a check that ran, a manual checklist item (its sign-off), a checklist
# item nothing automates, or a collector skipped at collection (the checks it holds never ran)
CheckKind = Literal["check", "manual", "uncovered", "collection"]
Verdict = Literal["GO", "GO_WITH_RISKS", "NO_GO", "ROLLBACK"]
# why the verdict is what it is (Reason.code): a check's own outcome, or one of the others
ReasonCode = Literal[
    "failed", "error", "skipped", "missing", "refused", "waived", "nonblocking_failed", "rollback", "unsigned",
    "uncovered", "incomplete", "partial", "not_evaluated", "severity_defaulted", "expired_waiver",
    "trigger_not_waived", "unused_waiver", "invalid_signoff",
]
WaiverState = Literal["used", "unused", "expired", "other_environment"]
SignoffState = Literal["valid", "expired", "future", "unknown_item", "not_manual", "other_environment",
                       "other_release"]
# a checklist item's coverage: not_evaluated (in scope, no result in this run), not_selected (its
# phase is outside the run's scope)
CoverageStatus = Literal["passed", "failed", "waived", "missing", "signed", "unsigned", "uncovered", "not_evaluated",
                         "not_selected"]

# what a waiver can accept (`accepts = [...]`), and what it accepts when it names none
WAIVER_ACCEPTS: tuple[str, ...] = ("failed", "error", "skipped", "refused")
# a waiver that names no outcome accepts a measured failure only: an error, a skip or a refused
# destructive check is no evidence at all, and accepting it must be written out (issue 10)
DEFAULT_WAIVER_ACCEPTS = frozenset({"failed"})

VERDICTS: tuple[Verdict, ...] = get_args(Verdict)
STAGE_WORDS: dict[str, str] = {"GO": "PROCEED", "GO_WITH_RISKS": "PROCEED", "NO_GO": "HOLD",
                               "ROLLBACK": "ROLLBACK"}


def display_verdict(verdict: str, stage: int | None) -> str:
    """The verdict as people read it: PROCEED / HOLD / ROLLBACK for a --launch-stage run."""
    if stage is not None:
        return STAGE_WORDS[verdict]
    return verdict.replace("_", " ").replace("NO GO", "NO-GO")


@dataclasses.dataclass
class ChecklistItem:
    id: str
    title: str
    phase: str
    category: str
    severity: str
    owner: str
    mode: Literal["automated", "manual"] = "automated"
    description: str = ""
    references: list[str] = dataclasses.field(default_factory=list)


# outcomes a waiver may accept: "failed" (measured and wrong) by default; the others mean no
# evidence at all and must be written out (accepts = ["failed", "error"])
ALL_ENVIRONMENTS = "*"


@dataclasses.dataclass
class Waiver:
    check: str  # a checklist id or a test node id
    reason: str
    owner: str
    approved_by: str
    expires: dt.date
    # the environments the approval was given for (required in the file; ["*"]: every one);
    # an empty list applies nowhere
    environments: list[str] = dataclasses.field(default_factory=list)
    created: dt.date | None = None
    # the outcomes the waiver accepts; empty: failed only. An error, a skip or a destructive check
    # not run (refused) is accepted only when named here: there is no evidence either way
    accepts: list[str] = dataclasses.field(default_factory=list)

    def validate(self) -> tuple[str, str] | None:
        unknown = [o for o in self.accepts if o not in WAIVER_ACCEPTS]
        if unknown:
            return (f"accepts: a list of {', '.join(WAIVER_ACCEPTS)}", repr(unknown[0]))
        return _blank(self, ("check", "reason", "owner", "approved_by")) or _environments(self)

    @property
    def accepted_outcomes(self) -> frozenset[str]:
        return frozenset(self.accepts) if self.accepts else DEFAULT_WAIVER_ACCEPTS


@dataclasses.dataclass
class Signoff:
    item: str
    by: str
    at: dt.date
    evidence: str  # an https:// or http:// link
    expires: dt.date | None = None
    environments: list[str] = dataclasses.field(default_factory=list)  # as for a waiver
    release: str | None = None  # valid only while the environment's release is this one

    def validate(self) -> tuple[str, str] | None:
        return _blank(self, ("item", "by", "evidence")) or _environments(self)


def applies_to(environments: list[str], run_environments: list[str]) -> bool:
    """An approval counts in a run when it names every environment the run judged (or "*")."""
    if ALL_ENVIRONMENTS in environments:
        return True
    return bool(run_environments) and all(name in environments for name in run_environments)


def _environments(record: Any) -> tuple[str, str] | None:
    if record.environments and all(isinstance(e, str) and e.strip() for e in record.environments):
        return None
    return ('environments = ["prod", ...]: the environments the approval was given for ("*" for every one)',
            repr(record.environments) if record.environments else "none")


def _blank(record: Any, names: tuple[str, ...]) -> tuple[str, str] | None:
    """(expected, found) for the first of `names` that is an empty string, for the loaders."""
    for name in names:
        if not getattr(record, name).strip():
            return (f"a non-empty {name}", "an empty string")
    return None


@dataclasses.dataclass(slots=True)  # one per check: no per-instance __dict__ (issue 16)
class CheckResult:
    nodeid: str
    outcome: Outcome
    kind: CheckKind = "check"
    title: str | None = None
    phase: str | None = None
    category: str | None = None
    severity: str | None = None  # None: no severity given; counts as blocking
    owner: str | None = None
    checklist: str | None = None
    rollback_trigger: bool = False
    destructive: bool = False
    duration_s: float = 0.0
    message: str = ""
    evidence: dict[str, Any] = dataclasses.field(default_factory=dict)
    source: str | None = None  # the run a merged check came from

    @property
    def severity_defaulted(self) -> bool:
        return self.severity is None


@dataclasses.dataclass
class RunInfo:
    """What pytest knows about how complete the evidence is, plus run metadata."""

    started: str = ""
    finished: str = ""
    # this run's own id (random): two runs started within the same second are still two runs
    # (history: which line is a document's own run); "" in documents written before it existed
    run_id: str = ""
    duration_s: float = 0.0
    args: list[str] = dataclasses.field(default_factory=list)
    markexpr: str = ""
    keywordexpr: str = ""  # -k: the run judged a subset of the selected phase
    stage: int | None = None
    selected: int = 0
    collection_errors: int = 0
    interrupted: str | None = None  # why the run stopped early, or None
    crashed_workers: list[str] = dataclasses.field(default_factory=list)
    host: str = ""
    ci_url: str | None = None
    git_revision: str | None = None
    pytest_version: str = ""
    python_version: str = ""
    plugin_version: str = ""
    sources: list[str] = dataclasses.field(default_factory=list)  # merged runs
    judged_on: str = ""  # the date approvals were judged on (clock.JudgingDate)
    real_today: str = ""  # the machine's date when it judged
    backdated: bool = False  # judged_on < real_today ($LAUNCH_TODAY moved back)
    forward_dated: bool = False
    # the scope of the decision: the phases the run selected (every checklist item of these
    # phases must be evaluated); None when not recorded (then decide() judges no scope)
    scope_phases: list[str] | None = None
    # why the selection is narrower than whole phases (-k, paths, --deselect, ...): a partial run
    partial: list[str] = dataclasses.field(default_factory=list)
    # set on the placeholder written when a run starts: "in progress since <time>"; a document
    # that still says so was left by a run that never finished
    in_progress: str | None = None
    # the environment(s) judged (several after a merge) and their release: waivers and sign-offs
    # count only where they were given; None: not recorded, no approval applies
    environments: list[str] | None = None
    release: str | None = None
    # a merged run: why each input's own evidence was incomplete ("eu: zero checks were selected"),
    # stored so that merging again judges the same facts
    shard_problems: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Reason:
    """One line of why the verdict is what it is."""

    code: ReasonCode
    blocking: bool
    text: str
    nodeid: str | None = None
    checklist: str | None = None
    owner: str | None = None
    evidence: dict[str, Any] = dataclasses.field(default_factory=dict)
    title: str | None = None  # the checklist item's title, where there is one
    message: str = ""  # the check's own message (first line), apart from the text


@dataclasses.dataclass
class WaiverStatus:
    waiver: Waiver
    status: WaiverState
    matched: list[str] = dataclasses.field(default_factory=list)
    # rollback triggers the waiver named (by node id or checklist id) and was not applied to
    triggers_not_waived: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class SignoffStatus:
    signoff: Signoff
    status: SignoffState


@dataclasses.dataclass
class ItemCoverage:
    item: ChecklistItem
    status: CoverageStatus
    checks: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Decision:
    verdict: Verdict
    headline: str
    reasons: list[Reason]
    complete: bool
    blocking: dict[str, bool]  # nodeid -> counts as blocking
    waived: dict[str, Waiver]  # nodeid -> the waiver that accepted its failure
    waivers: list[WaiverStatus]
    signoffs: list[SignoffStatus]
    coverage: list[ItemCoverage]
    summary: dict[str, int]
    scope: dict[str, Any] = dataclasses.field(default_factory=dict)
