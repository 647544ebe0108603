"""The plan of a readiness run, without running it (`launch plan`, `pytest --launch-plan`).

One pure function, `build_plan`, from what collection found (each check's checklist link and the
environment tables it needs), the checklist, the environment's tables, waivers, sign-offs and
the judging date. It probes nothing. For every checklist item of the phases in scope it says
which checks cover it, whether the environment configures the tables they need, and which
waiver or sign-off applies (and whether it is valid here, today). The gaps it finds are evidence
a real run would be missing before any probe answers:

- `uncovered`: an automated item without a check;
- `missing_table`: a check needs a table the environment does not configure (it would skip
  "not configured", which blocks);
- `undeclared`: a check reads the environment (through `launch_env`, `launch_probes` or a
  fixture of its own) without declaring the tables it needs (`@pytest.mark.env_tables(...)`),
  so nothing can tell whether they are configured: never shown as configured;
- `unsigned`: a manual item without a valid sign-off for this environment (and release) today.

A plan with a gap exits 1 (`EXIT_GAPS`), one without 0.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Literal

from pytest_launch.config.approvals import signoff_status, waiver_active
from pytest_launch.core.model import ChecklistItem, Signoff, Waiver, applies_to
from pytest_launch.core.vocabulary import PHASES

EXIT_OK = 0
EXIT_GAPS = 1

GapKind = Literal["uncovered", "missing_table", "undeclared", "unsigned"]
GAP_KINDS: tuple[GapKind, ...] = ("uncovered", "missing_table", "undeclared", "unsigned")


@dataclasses.dataclass(frozen=True)
class CheckNeeds:
    """What collection tells about one selected check (no check runs to learn it)."""

    nodeid: str
    checklist: str | None = None
    # each entry is one table, or alternatives any one of which is enough (("aws", "backups"))
    tables: tuple[tuple[str, ...], ...] = ()
    # what reads the environment without a declaration of its tables: "launch_env", a fixture name
    undeclared: tuple[str, ...] = ()
    phase: str | None = None
    category: str | None = None
    severity: str | None = None
    owner: str | None = None
    destructive: bool = False
    # tables the check reads only when they are configured: shown, never a gap
    optional: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class PlanEnvironment:
    """The environment as the plan needs it: its name, file and which tables it configures."""

    name: str
    where: str  # the file (and the files under it), for messages
    tables: frozenset[str]
    production: bool = False
    release: str | None = None


@dataclasses.dataclass
class TableStatus:
    name: str  # "cdn", or alternatives "aws or backups"
    configured: bool
    optional: bool = False  # read only when configured: never a gap


@dataclasses.dataclass
class PlannedCheck:
    nodeid: str
    tables: list[TableStatus]
    undeclared: list[str]
    destructive: bool = False
    # an unlinked check's own labels (a linked check has its item's)
    phase: str | None = None
    category: str | None = None
    severity: str | None = None
    owner: str | None = None

    @property
    def tables_ok(self) -> bool:
        return not self.undeclared and all(t.configured or t.optional for t in self.tables)


@dataclasses.dataclass
class PlannedApproval:
    """A waiver or sign-off that names this item (or one of its checks), and whether it counts."""

    kind: Literal["waiver", "signoff"]
    status: str  # valid, expired, future, other_environment, other_release
    applies: bool  # valid for this environment (and release) on the judging date
    by: str  # the sign-off's author, the waiver's approver
    expires: dt.date | None
    environments: list[str]
    release: str | None = None
    subject: str = ""  # what the waiver names (item id or node id); the sign-off's item
    detail: str = ""  # the waiver's reason, the sign-off's evidence link


@dataclasses.dataclass
class PlanItem:
    id: str
    title: str
    phase: str
    category: str
    severity: str
    owner: str
    mode: str
    checks: list[PlannedCheck]
    approvals: list[PlannedApproval]
    gaps: list[GapKind]

    @property
    def status(self) -> str:
        """One word for the table: ready, or the first gap."""
        return self.gaps[0] if self.gaps else "ready"


@dataclasses.dataclass
class Gap:
    kind: GapKind
    text: str  # one line: the item or check, its owner, what is missing and what to do
    item: str | None = None
    nodeid: str | None = None
    owner: str | None = None


@dataclasses.dataclass
class Plan:
    environment: PlanEnvironment | None
    judged_on: dt.date
    scope_phases: list[str]
    selection: str  # the -m expression ("" for none)
    partial: list[str]  # why the selection is narrower than whole phases (a real run is then partial)
    items: list[PlanItem]
    unlinked: list[PlannedCheck]  # selected checks that link to no checklist item
    gaps: list[Gap]
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_GAPS if self.gaps else EXIT_OK

    def gap_counts(self) -> dict[str, int]:
        return {kind: sum(1 for g in self.gaps if g.kind == kind) for kind in GAP_KINDS}


def _table_statuses(needs: CheckNeeds, environment: PlanEnvironment | None) -> list[TableStatus]:
    configured = environment.tables if environment is not None else frozenset()
    seen: dict[str, TableStatus] = {}
    for alternatives in needs.tables:
        name = " or ".join(alternatives)
        if name not in seen:
            seen[name] = TableStatus(name, any(a in configured for a in alternatives))
    for name in needs.optional:
        if name not in seen:
            seen[name] = TableStatus(name, name in configured, optional=True)
    return sorted(seen.values(), key=lambda t: t.name)


def _planned(needs: CheckNeeds, environment: PlanEnvironment | None) -> PlannedCheck:
    return PlannedCheck(needs.nodeid, _table_statuses(needs, environment), sorted(set(needs.undeclared)),
                        needs.destructive, needs.phase, needs.category, needs.severity, needs.owner)


def _waiver_approval(waiver: Waiver, environment: PlanEnvironment | None, today: dt.date) -> PlannedApproval:
    run_envs = [environment.name] if environment is not None else []
    if not applies_to(waiver.environments, run_envs):
        status = "other_environment"
    elif not waiver_active(waiver, today):
        status = "expired"
    else:
        status = "valid"
    return PlannedApproval("waiver", status, status == "valid", waiver.approved_by, waiver.expires,
                           list(waiver.environments), None, waiver.check, waiver.reason)


def _signoff_approval(signoff: Signoff, environment: PlanEnvironment | None, today: dt.date,
                      manual_ids: set[str], known_ids: set[str]) -> PlannedApproval:
    status = signoff_status(signoff, today, manual_ids, known_ids,
                            [environment.name] if environment is not None else [],
                            environment.release if environment is not None else None)
    return PlannedApproval("signoff", status, status == "valid", signoff.by, signoff.expires,
                           list(signoff.environments), signoff.release, signoff.item, signoff.evidence)


def _table_gaps(subject: str, owner: str | None, check: PlannedCheck, environment: PlanEnvironment | None,
                item: str | None) -> list[Gap]:
    gaps = []
    missing = [t.name for t in check.tables if not t.configured and not t.optional]
    if missing:
        where = environment.where if environment is not None else "no environment (pass --launch-env NAME)"
        tables = ", ".join(f"[{name}]" for name in missing)
        gaps.append(Gap("missing_table", f"{subject}: {check.nodeid} needs {tables}, not configured in {where}",
                        item, check.nodeid, owner))
    if check.undeclared:
        gaps.append(Gap("undeclared", f"{subject}: {check.nodeid} reads the environment through "
                                      f"{', '.join(check.undeclared)} without declaring its tables: add "
                                      f"@pytest.mark.env_tables(\"name\", ...) naming every table it reads",
                        item, check.nodeid, owner))
    return gaps


def _owner(owner: str | None) -> str:
    return f" ({owner})" if owner else ""


def build_plan(checks: Sequence[CheckNeeds], checklist: Sequence[ChecklistItem],
               environment: PlanEnvironment | None, waivers: Sequence[Waiver], signoffs: Sequence[Signoff],
               today: dt.date, scope_phases: Sequence[str], *, selection: str = "",
               partial: Sequence[str] = (), paths_narrowed: bool = False) -> Plan:
    """The plan: every checklist item of `scope_phases` against the selected `checks`."""
    phases = [p for p in PHASES if p in scope_phases]
    known_ids = {item.id for item in checklist}
    manual_ids = {item.id for item in checklist if item.mode == "manual"}
    by_item: dict[str, list[PlannedCheck]] = {}
    unlinked: list[PlannedCheck] = []
    gaps: list[Gap] = []
    for needs in checks:
        planned = _planned(needs, environment)
        if needs.checklist is not None and needs.checklist in known_ids:
            by_item.setdefault(needs.checklist, []).append(planned)
        else:
            unlinked.append(planned)
    items: list[PlanItem] = []
    for entry in checklist:
        if entry.phase not in phases:
            continue
        linked = sorted(by_item.get(entry.id, []), key=lambda c: c.nodeid)
        nodeids = {c.nodeid for c in linked}
        approvals = [_waiver_approval(w, environment, today) for w in waivers
                     if w.check == entry.id or w.check in nodeids]
        approvals += [_signoff_approval(s, environment, today, manual_ids, known_ids) for s in signoffs
                      if s.item == entry.id]
        item_gaps: list[Gap] = []
        subject = f"{entry.id}{_owner(entry.owner)}"
        if entry.mode == "manual":
            signed = [a for a in approvals if a.kind == "signoff"]
            if not any(a.applies for a in signed):
                env_text = environment.name if environment is not None else "no environment"
                release = environment.release if environment is not None else None
                found = "; ".join(_approval_phrase(a) for a in signed)
                item_gaps.append(Gap(
                    "unsigned", f"{subject}: manual item without a valid sign-off for {env_text}"
                                f"{' release ' + release if release else ''} on {today.isoformat()}"
                                f"{' (' + found + ')' if found else ''}: add a [[signoff]] for {entry.id}",
                    entry.id, None, entry.owner))
        elif not linked:
            why = ("no check collected (only some files were named: a check elsewhere would not count)"
                   if paths_narrowed else "no check links to it")
            item_gaps.append(Gap("uncovered", f"{subject}: automated item with {why}: add "
                                              f"@pytest.mark.checklist({entry.id!r}) to a check, or make it manual",
                                 entry.id, None, entry.owner))
        for check in linked:
            item_gaps += _table_gaps(subject, entry.owner, check, environment, entry.id)
        gaps += item_gaps
        kinds: list[GapKind] = []
        for gap in item_gaps:
            if gap.kind not in kinds:
                kinds.append(gap.kind)
        items.append(PlanItem(entry.id, entry.title, entry.phase, entry.category, entry.severity, entry.owner,
                              entry.mode, linked, approvals, kinds))
    unlinked.sort(key=lambda c: c.nodeid)
    for check in unlinked:
        gaps += _table_gaps(check.nodeid + _owner(check.owner), check.owner, check, environment, None)
    notes: list[str] = []
    if environment is None:
        notes.append("no environment given (--launch-env NAME): no table is configured and no approval applies")
    if not checklist:
        notes.append("no checklist: only the collected checks are planned")
    if partial:
        notes.append("partial selection (" + "; ".join(partial) + "): a real run with it is a partial run, "
                     "NO_GO, written under partial/")
    return Plan(environment, today, phases, selection, list(partial), items, unlinked, gaps, notes)


def _approval_phrase(approval: PlannedApproval) -> str:
    """'by jane: expired 2026-11-01' and the like, for a gap line."""
    words = {"expired": f"expired {approval.expires.isoformat() if approval.expires else ''}".strip(),
             "other_environment": "given for " + (", ".join(approval.environments) or "no environment"),
             "other_release": f"for release {approval.release}",
             "future": "dated in the future"}
    return f"{approval.kind} by {approval.by}: {words.get(approval.status, approval.status)}"
