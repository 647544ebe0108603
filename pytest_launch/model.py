"""The run-data model every output reads: plain dataclasses, built-in types only.

The checklist items, waivers and sign-offs are also what the loaders in pytest_launch/config
build from the TOML files (their type hints are what is validated). The go-no-go.json document
(schema_version SCHEMA_VERSION, pytest_launch/outputs/results.schema.json) is built from these
by pytest_launch.outputs.jsonfile, which also reads them back for `launch-report`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Literal

SCHEMA_VERSION = 1

# What a check's run produced. "refused": a destructive check not run against production;
# "missing": selected but no result ever arrived (crashed worker, interrupted run).
OUTCOMES: tuple[str, ...] = ("passed", "failed", "error", "skipped", "refused", "missing")

# what a waiver can accept (`accepts = [...]`), and what it accepts when it names none
WAIVER_ACCEPTS: tuple[str, ...] = ("failed", "error", "skipped", "refused")
DEFAULT_WAIVER_ACCEPTS = frozenset({"failed", "error", "skipped"})

VERDICTS: tuple[str, ...] = ("GO", "GO_WITH_RISKS", "NO_GO", "ROLLBACK")
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


@dataclasses.dataclass
class Waiver:
    check: str  # a checklist id or a test node id
    reason: str
    owner: str
    approved_by: str
    expires: dt.date
    created: dt.date | None = None
    # the outcomes the waiver accepts; empty: failed, error, skipped. A destructive check not run
    # (refused) is accepted only when named here: not running it is a separate decision
    accepts: list[str] = dataclasses.field(default_factory=list)

    def validate(self) -> tuple[str, str] | None:
        unknown = [o for o in self.accepts if o not in WAIVER_ACCEPTS]
        if unknown:
            return (f"accepts: a list of {', '.join(WAIVER_ACCEPTS)}", repr(unknown[0]))
        return _blank(self, ("check", "reason", "owner", "approved_by"))

    @property
    def accepted_outcomes(self) -> frozenset[str]:
        return frozenset(self.accepts) if self.accepts else DEFAULT_WAIVER_ACCEPTS


@dataclasses.dataclass
class Signoff:
    item: str
    by: str
    at: dt.date
    evidence: str
    expires: dt.date | None = None

    def validate(self) -> tuple[str, str] | None:
        return _blank(self, ("item", "by", "evidence"))


def _blank(record: Any, names: tuple[str, ...]) -> tuple[str, str] | None:
    """(expected, found) for the first of `names` that is an empty string, for the loaders."""
    for name in names:
        if not getattr(record, name).strip():
            return (f"a non-empty {name}", "an empty string")
    return None


@dataclasses.dataclass
class CheckResult:
    nodeid: str
    outcome: str
    kind: str = "check"  # "check" | "manual" | "uncovered" (a checklist item nothing automates)
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


@dataclasses.dataclass
class Reason:
    """One line of why the verdict is what it is."""

    code: str
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
    status: str  # "used" | "unused" | "expired"
    matched: list[str] = dataclasses.field(default_factory=list)
    # rollback triggers the waiver named (by node id or checklist id) and was not applied to
    triggers_not_waived: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class SignoffStatus:
    signoff: Signoff
    status: str  # "valid" | "expired" | "future" | "unknown_item" | "not_manual"


@dataclasses.dataclass
class ItemCoverage:
    item: ChecklistItem
    status: str  # passed | failed | waived | missing | signed | unsigned | uncovered | not_selected
    checks: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Decision:
    verdict: str
    headline: str
    reasons: list[Reason]
    complete: bool
    blocking: dict[str, bool]  # nodeid -> counts as blocking
    waived: dict[str, Waiver]  # nodeid -> the waiver that accepted its failure
    waivers: list[WaiverStatus]
    signoffs: list[SignoffStatus]
    coverage: list[ItemCoverage]
    summary: dict[str, int]
