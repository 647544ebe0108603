"""The go/no-go decision (PRODUCT §4): one pure function, no pytest import.

Every output and the exit code show what `decide` returns; nothing else decides.
Fail-safe: a blocking check that failed, errored, was skipped or produced no result, an
unsigned manual item, an uncovered item, an incomplete run or zero checks all give NO_GO.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any

from pytest_launch.config.approvals import signoff_status, waiver_active
from pytest_launch.config.policy import Policy
from pytest_launch.core.model import (
    ALL_ENVIRONMENTS,
    ChecklistItem,
    CheckResult,
    CoverageStatus,
    Decision,
    ItemCoverage,
    Reason,
    ReasonCode,
    RunInfo,
    Signoff,
    SignoffStatus,
    Verdict,
    Waiver,
    WaiverStatus,
    applies_to,
)

BAD_OUTCOMES = frozenset({"failed", "error", "skipped", "missing"})
RISK_CODES = frozenset({"waived", "nonblocking_failed"})
_OUTCOME_WORDS = {"failed": "FAILED", "error": "ERROR", "skipped": "SKIPPED (no evidence)",
                  "missing": "NO RESULT", "refused": "NOT RUN (destructive, refused)"}


def is_blocking(check: CheckResult, policy: Policy) -> bool:
    """Blocking severities block; a check with no severity blocks (fail-safe)."""
    return check.severity is None or check.severity in policy.blocking_severities


def decide(
    checks: Sequence[CheckResult],
    checklist: Sequence[ChecklistItem],
    waivers: Sequence[Waiver],
    signoffs: Sequence[Signoff],
    run: RunInfo,
    policy: Policy,
    today: dt.date,
) -> Decision:
    blocking = {c.nodeid: is_blocking(c, policy) for c in checks}
    waiver_states, waived = _apply_waivers(checks, waivers, today, run.environments or [])
    reasons: list[Reason] = []

    incomplete = incompleteness(run, checks)
    for text in incomplete:
        reasons.append(Reason("incomplete", True, f"incomplete evidence: {text}"))
    scope = judge_scope(run, checklist, checks)
    reasons += scope_reasons(run, scope)

    for check in checks:
        reason = _check_reason(check, blocking[check.nodeid], waived.get(check.nodeid), run, policy)
        if reason is not None:
            reasons.append(reason)
        if check.severity_defaulted and check.kind == "check":
            reasons.append(Reason("severity_defaulted", False,
                                  f"{check.nodeid} has no severity marker: counted as blocking",
                                  check.nodeid, check.checklist, check.owner))

    for state in waiver_states:
        w = state.waiver
        if state.status == "expired":
            reasons.append(Reason("expired_waiver", False,
                                  f"waiver for {w.check} expired on {w.expires.isoformat()}: it has no effect "
                                  f"(owner {w.owner}, approved by {w.approved_by})", None, None, w.owner))
        for trigger in state.triggers_not_waived:
            reasons.append(Reason("trigger_not_waived", False,
                                  f"waiver for {w.check} was not applied to rollback trigger {trigger}: a rollback "
                                  f"trigger is never waivable (owner {w.owner})", trigger, None, w.owner))
        if state.status == "unused" and not state.triggers_not_waived:
            reasons.append(Reason("unused_waiver", False,
                                  f"waiver for {w.check} matched no failing check: it is unused "
                                  f"(owner {w.owner})", None, None, w.owner))
        elif state.status == "other_environment":
            reasons.append(Reason("unused_waiver", False,
                                  f"waiver for {w.check} was given for {', '.join(w.environments) or 'no environment'}, "
                                  f"not {'+'.join(run.environments or []) or 'this environment'}: it has no effect here "
                                  f"(owner {w.owner})", None, None, w.owner))

    manual_ids = {i.id for i in checklist if i.mode == "manual"}
    known_ids = {i.id for i in checklist}
    signoff_states = [SignoffStatus(s, signoff_status(s, today, manual_ids, known_ids, run.environments, run.release))
                      for s in signoffs]
    for signoff_state in signoff_states:
        if signoff_state.status != "valid":
            s = signoff_state.signoff
            why = {"expired": f"expired on {s.expires.isoformat() if s.expires else '?'}",
                   "future": f"is dated in the future ({s.at.isoformat()})",
                   "unknown_item": "names an item that is not in the checklist",
                   "not_manual": "names an automated item (only manual items take sign-offs)",
                   "other_environment": f"was given for {', '.join(s.environments) or 'no environment'}, not "
                                        f"{'+'.join(run.environments or []) or 'this environment'}",
                   "other_release": f"covers release {s.release}, not {run.release or 'an unknown release'}",
                   }[signoff_state.status]
            reasons.append(Reason("invalid_signoff", False,
                                  f"sign-off of {s.item} by {s.by} {why}: it does not count", None, s.item))

    verdict = _verdict(reasons)
    reasons.sort(key=_reason_order)
    return Decision(
        verdict=verdict,
        headline=(f"in progress since {run.in_progress}, never finished" if run.in_progress
                  else _headline(verdict, reasons, checks)),
        reasons=reasons,
        complete=not incomplete,
        blocking=blocking,
        waived=waived,
        waivers=waiver_states,
        signoffs=signoff_states,
        coverage=_coverage(checklist, checks, waived, scope),
        summary=_summary(checks, blocking, waived),
        scope=scope,
    )


def judge_scope(run: RunInfo, checklist: Sequence[ChecklistItem], checks: Sequence[CheckResult]) -> dict[str, Any]:
    """The scope of the decision: every checklist item of the phases the run selected.

    `not_evaluated`: the in-scope items no result of this run speaks for. `complete`: the run
    selected whole phases (not partial) and evaluated every in-scope item."""
    evaluated = {c.checklist for c in checks if c.checklist}
    if run.scope_phases is None:  # not recorded (a hand-made RunInfo): no scope to judge
        return {"phases": None, "partial": list(run.partial), "in_scope": None, "not_evaluated": [],
                "complete": not run.partial}
    phases = list(run.scope_phases)
    in_scope = [item.id for item in checklist if item.phase in phases]
    not_evaluated = [item_id for item_id in in_scope if item_id not in evaluated]
    return {"phases": phases, "partial": list(run.partial), "in_scope": len(in_scope),
            "not_evaluated": not_evaluated, "complete": not run.partial and not not_evaluated}


def scope_reasons(run: RunInfo, scope: dict[str, Any]) -> list[Reason]:
    """A partial run is never GO; nor is a run that left in-scope items without a result."""
    missing = scope["not_evaluated"]
    count = _plural(len(missing), "in-scope item")
    if run.partial:
        return [Reason("partial", True, f"partial run: {'; '.join(run.partial)}; {count} not evaluated")]
    if missing:
        shown = ", ".join(missing[:12]) + (f", … (+{len(missing) - 12})" if len(missing) > 12 else "")
        return [Reason("not_evaluated", True, f"{count} of the selected phases not evaluated "
                       f"(no result in this run): {shown}")]
    return []


def incompleteness(run: RunInfo, checks: Sequence[CheckResult]) -> list[str]:
    """Why the run's evidence is incomplete; empty when it is complete."""
    problems: list[str] = []
    if run.in_progress:
        return [f"the run in progress since {run.in_progress} never finished (killed, crashed or still "
                f"running): no result of it can be trusted"]
    problems += list(run.shard_problems)
    if not run.sources:  # a merged run stores each input's problems in shard_problems
        if run.collection_errors:
            problems.append(f"{run.collection_errors} collection error(s): some checks could not even be collected")
        if run.interrupted:
            problems.append(f"the run was interrupted ({run.interrupted})")
        for worker in run.crashed_workers:
            problems.append(f"worker {worker} crashed")
    if not checks:
        problems.append("zero checks were selected: nothing was verified")
    missing = sum(1 for c in checks if c.outcome == "missing")
    if missing and not run.sources:
        problems.append(f"{missing} selected check(s) produced no result")
    return problems


def _apply_waivers(checks: Sequence[CheckResult], waivers: Sequence[Waiver], today: dt.date,
                   environments: list[str]) -> tuple[list[WaiverStatus], dict[str, Waiver]]:
    """Which checks each waiver accepts: the outcomes it names (`accepts`; a measured failure only
    when it names none), of the checks it names, in the environments it names, until it expires;
    never a rollback trigger, in a stage run or outside one."""
    states: list[WaiverStatus] = []
    waived: dict[str, Waiver] = {}
    for waiver in waivers:
        matching = [c for c in checks if waiver.check in (c.nodeid, c.checklist)]
        if not applies_to(waiver.environments, environments):
            states.append(WaiverStatus(waiver, "other_environment", []))
            continue
        triggers = [c.nodeid for c in matching if c.rollback_trigger and c.outcome != "passed"]
        matching = [c for c in matching if not c.rollback_trigger]
        if not waiver_active(waiver, today):
            states.append(WaiverStatus(waiver, "expired", [c.nodeid for c in matching], triggers))
            continue
        accepted = [c for c in matching if c.outcome in waiver.accepted_outcomes]
        for check in accepted:
            waived.setdefault(check.nodeid, waiver)
        states.append(WaiverStatus(waiver, "used" if accepted else "unused", [c.nodeid for c in accepted], triggers))
    return states, waived


def _check_reason(check: CheckResult, blocking: bool, waiver: Waiver | None, run: RunInfo,
                  policy: Policy) -> Reason | None:
    if check.outcome == "passed":
        return None
    where = _where(check)
    detail = _detail(check)
    if check.outcome == "refused":
        if waiver is not None:  # a waiver that names `refused` in accepts: an accepted risk, never GO
            return _check("waived", False, f"WAIVED {where}: destructive check not run, accepted until "
                          f"{waiver.expires.isoformat()} by {waiver.approved_by}{_where_valid(waiver)} "
                          f"({waiver.reason}){detail}", check)
        required = bool({check.nodeid, check.checklist} & set(policy.require_destructive))
        if blocking or required:
            # no evidence: it blocks like a skip, and says how to get the evidence
            return _check("refused", True, f"NOT RUN {where}: destructive check refused against production, so "
                          f"there is no evidence: run it with --launch-allow-destructive in a window the team "
                          f"chose, or accept it with a waiver that names accepts = [\"refused\"]{detail}", check)
        return _check("nonblocking_failed", False, f"NOT RUN {where}: destructive check refused against production "
                      f"(severity {check.severity}, not blocking){detail}", check)
    word = _OUTCOME_WORDS[check.outcome]
    if check.kind == "manual" and check.outcome == "failed":
        word = "NOT SIGNED OFF"
    elif check.kind == "uncovered" and check.outcome == "failed":
        word = "UNCOVERED"
    elif check.kind == "collection":
        word = "SKIPPED AT COLLECTION (no evidence for the checks it holds)"
    if waiver is not None:
        no_evidence = " (no evidence: this waiver accepts an " + check.outcome + ")" if check.outcome != "failed" else ""
        return _check("waived", False, f"WAIVED {where}: {word.lower()}{no_evidence}, accepted until "
                      f"{waiver.expires.isoformat()} by {waiver.approved_by}{_where_valid(waiver)} "
                      f"({waiver.reason}){detail}", check)
    if check.rollback_trigger and run.stage is not None and check.outcome == "failed":
        return _check("rollback", True, f"ROLLBACK TRIGGER FIRED {where}{detail}", check)
    if not blocking:
        return _check("nonblocking_failed", False, f"{word} {where} (severity {check.severity}, not blocking){detail}", check)
    code: ReasonCode
    if check.kind == "manual":
        code = "unsigned"
    elif check.kind == "uncovered":
        code = "uncovered"
    else:
        code = check.outcome
    return _check(code, True, f"{word} {where}{detail}", check)


def _where_valid(waiver: Waiver) -> str:
    return " for every environment" if ALL_ENVIRONMENTS in waiver.environments else \
        f" for {', '.join(waiver.environments)}"


def _check(code: ReasonCode, blocking: bool, text: str, check: CheckResult) -> Reason:
    return Reason(code, blocking, text, check.nodeid, check.checklist, check.owner, check.evidence,
                  check.title, first_line(check.message))


def first_line(message: str, limit: int = 300) -> str:
    line = message.strip().splitlines()[0] if message.strip() else ""
    return line if len(line) <= limit else line[:limit] + "…"


def _where(check: CheckResult) -> str:
    parts = [check.checklist] if check.checklist else []
    parts.append(f"owner {check.owner}" if check.owner else "no owner")
    label = check.title or check.nodeid
    if check.title and check.kind == "check":
        label = f"{check.nodeid} ({check.title})"
    return f"{label} [{', '.join(parts)}]"


def _detail(check: CheckResult) -> str:
    out = ""
    shown = format_evidence(check.evidence)
    if shown:
        out += f": {shown}"
    message = first_line(check.message)
    if message:
        out += f" — {message}"
    return out


def format_evidence(evidence: dict[str, Any], limit: int = 6) -> str:
    """The measured values as `key=value` pairs, the first few only."""
    items = list(evidence.items())[:limit]
    text = ", ".join(f"{k}={v}" for k, v in items)
    if len(evidence) > limit:
        text += f", … (+{len(evidence) - limit})"
    return text


def _verdict(reasons: Sequence[Reason]) -> Verdict:
    if any(r.code == "rollback" for r in reasons):
        return "ROLLBACK"
    if any(r.blocking for r in reasons):
        return "NO_GO"
    if any(r.code in RISK_CODES for r in reasons):
        return "GO_WITH_RISKS"
    return "GO"


_ORDER = ["rollback", "partial", "not_evaluated", "incomplete", "failed", "error", "missing", "skipped", "unsigned", "uncovered", "refused",
          "waived", "nonblocking_failed", "expired_waiver", "unused_waiver", "trigger_not_waived", "invalid_signoff", "severity_defaulted"]


def _reason_order(reason: Reason) -> tuple[int, int]:
    return (0 if reason.blocking else 1, _ORDER.index(reason.code))


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _headline(verdict: Verdict, reasons: Sequence[Reason], checks: Sequence[CheckResult]) -> str:
    counts = Counter(r.code for r in reasons if r.blocking or r.code in RISK_CODES)
    parts: list[str] = [r.text for r in reasons if r.code == "partial"]
    phrases: list[tuple[ReasonCode, str, str]] = [
        ("rollback", "rollback trigger fired", "rollback triggers fired"),
        ("not_evaluated", "scope not fully evaluated", "scope not fully evaluated"),
        ("incomplete", "sign of incomplete evidence", "signs of incomplete evidence"),
        ("failed", "blocking failure", "blocking failures"),
        ("error", "blocking error", "blocking errors"),
        ("missing", "blocking check without a result", "blocking checks without a result"),
        ("skipped", "blocking check skipped", "blocking checks skipped"),
        ("unsigned", "manual item not signed off", "manual items not signed off"),
        ("uncovered", "checklist item not covered by any check", "checklist items not covered by any check"),
        ("refused", "blocking destructive check not run", "blocking destructive checks not run"),
        ("waived", "waived failure", "waived failures"),
        ("nonblocking_failed", "non-blocking failure", "non-blocking failures"),
    ]
    for code, one, many in phrases:
        if counts.get(code):
            parts.append(_plural(counts[code], one, many))
    if not parts:
        return f"all {_plural(len(checks), 'check')} passed"
    return ", ".join(parts)


def _coverage(checklist: Sequence[ChecklistItem], checks: Sequence[CheckResult],
              waived: dict[str, Waiver], scope: dict[str, Any]) -> list[ItemCoverage]:
    by_item: dict[str, list[CheckResult]] = {}
    for check in checks:
        if check.checklist:
            by_item.setdefault(check.checklist, []).append(check)
    out: list[ItemCoverage] = []
    for item in checklist:
        linked = by_item.get(item.id, [])
        ids = [c.nodeid for c in linked]
        status: CoverageStatus
        if any(c.kind == "uncovered" for c in linked):
            status = "uncovered"
        elif not linked:
            status = "not_evaluated" if item.id in scope["not_evaluated"] else "not_selected"
        elif item.mode == "manual":
            status = "signed" if all(c.outcome == "passed" for c in linked) else (
                "waived" if all(c.outcome == "passed" or c.nodeid in waived for c in linked) else "unsigned")
        else:
            bad = [c for c in linked if c.outcome in BAD_OUTCOMES | {"refused"} and c.nodeid not in waived]
            if any(c.outcome in ("failed", "error") for c in bad):
                status = "failed"
            elif bad:
                status = "missing"
            elif any(c.nodeid in waived for c in linked):
                status = "waived"
            else:
                status = "passed"
        out.append(ItemCoverage(item, status, ids))
    return out


def _summary(checks: Sequence[CheckResult], blocking: dict[str, bool], waived: dict[str, Waiver]) -> dict[str, int]:
    outcomes = Counter(c.outcome for c in checks)
    summary = {"total": len(checks)}
    for outcome in ("passed", "failed", "error", "skipped", "refused", "missing"):
        summary[outcome] = outcomes.get(outcome, 0)
    summary["waived"] = len(waived)
    summary["blocking_failures"] = sum(1 for c in checks if c.outcome in BAD_OUTCOMES and blocking[c.nodeid]
                                       and c.nodeid not in waived)
    summary["manual_signed"] = sum(1 for c in checks if c.kind == "manual" and c.outcome == "passed")
    summary["manual_missing"] = sum(1 for c in checks if c.kind == "manual" and c.outcome != "passed")
    summary["uncovered"] = sum(1 for c in checks if c.kind == "uncovered")
    return summary
