"""What the go/no-go meeting needs from a results document, as plain data.

    summary = digest(doc, previous=previous_run(doc, history))
    summary.sentence           # "NO-GO: 11 manual items are not signed off and 3 blocking checks ..."
    for group in summary.groups:            # owners, the one with the most severe to-do first
        for todo in group.todos:            # most severe first
            todo.line                       # "security-lead: sign off SEC-01 Security scan ... — needs a link to ..."
    summary.accepted                        # accepted risks: who accepted, until when, what
    summary.changes                         # what changed since the previous run (None: no previous run)

One reading of the document for every human output (the HTML page, the Markdown summary, the
notifications), so they cannot tell the meeting different stories. Pure: no pytest, no template
engine, no I/O; the strings are the document's own (already redacted) values, not escaped —
escaping is each output's job.

A to-do is a blocking reason: what must happen before GO. A risk is a non-blocking failure that
nobody accepted; an accepted risk is a waived one. Notes are the bookkeeping the meeting should
see (expired or unused waivers, sign-offs that do not count, defaulted severities).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Any

from pytest_launch.core.vocabulary import SEVERITIES
from pytest_launch.outputs.history import history_entry, is_failing

# reasons about the run as a whole (no check, no owner): they come first
RUN_CODES = ("partial", "incomplete", "not_evaluated")
NO_EVIDENCE_CODES = ("skipped", "missing", "refused")
NOTE_CODES = ("expired_waiver", "unused_waiver", "invalid_signoff", "severity_defaulted", "trigger_not_waived")
# a non-blocking reason is a risk (nonblocking_failed), an accepted risk (waived) or else a note:
# none is dropped, whatever its code
VERDICT_RANK = {"GO": 0, "GO_WITH_RISKS": 1, "NO_GO": 2, "ROLLBACK": 3}
RUN_OWNER = "(the run)"
NO_OWNER = "(no owner)"
PROBLEM_LIMIT = 240

_SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
_CODE_RANK = {code: rank for rank, code in enumerate(
    ("rollback", *RUN_CODES, "failed", "error", "missing", "skipped", "refused", "unsigned", "uncovered",
     "nonblocking_failed"))}
_EXCEPTION_PREFIX = re.compile(r"^(?:[A-Za-z_][\w.]*(?:Error|Exception|Failed|Missing)|Failed|Skipped):\s+")


@dataclasses.dataclass(frozen=True)
class Todo:
    """One thing to do before GO (or, for a risk, one failure nobody accepted yet)."""

    code: str  # the decision's reason code: failed, error, skipped, missing, refused, unsigned, uncovered, ...
    owner: str | None
    item: str | None  # the checklist item id
    title: str | None  # the item's (else the check's) title
    severity: str | None  # None: no severity marker, counted as blocking
    action: str  # a verb where the failure does not say it: "sign off", "add a check for", "" for a failure
    problem: str  # the failure in plain words, one line
    nodeid: str | None  # the check (or checklist node) for the detail
    evidence: dict[str, Any]

    @property
    def owner_label(self) -> str:
        return self.owner or (RUN_OWNER if self.code in RUN_CODES else NO_OWNER)

    @property
    def subject(self) -> str:
        """The item id and title, once ("SEC-01 Security scan completed"); the check's name when
        it has neither."""
        parts = [p for p in (self.item, self.title) if p]
        if not parts and self.nodeid:
            parts = [self.nodeid.rsplit("::", 1)[-1]]
        return " ".join(parts)

    @property
    def text(self) -> str:
        """The to-do without its owner: "sign off SEC-01 Security scan completed — needs a link ..."."""
        head = " ".join(p for p in (self.action, self.subject) if p)
        return f"{head} \u2014 {self.problem}" if head and self.problem else head or self.problem

    @property
    def line(self) -> str:
        return f"{self.owner_label}: {self.text}"


@dataclasses.dataclass(frozen=True)
class OwnerGroup:
    owner: str  # the owner's label ("(no owner)", "(the run)" where there is none)
    todos: tuple[Todo, ...]  # most severe first

    @property
    def worst(self) -> str | None:
        return self.todos[0].severity if self.todos else None


@dataclasses.dataclass(frozen=True)
class AcceptedRisk:
    """A failure (or a missing result) a waiver accepts: shown, never hidden, never a pass."""

    item: str | None
    title: str | None
    nodeid: str | None
    owner: str | None  # the check's owner
    accepted_by: str  # the waiver's approver
    waiver_owner: str | None
    until: str  # the expiry date (ISO)
    days_left: int | None  # from the day the run was judged on
    reason: str  # why it was accepted
    outcome: str  # what the check did: failed, skipped, missing, refused, error
    no_evidence: bool  # the waiver accepts a check with no evidence (not a measured failure)
    problem: str  # the failure in plain words
    environments: tuple[str, ...]
    everywhere: bool

    @property
    def subject(self) -> str:
        parts = [p for p in (self.item, self.title) if p]
        return " ".join(parts) or (self.nodeid or "").rsplit("::", 1)[-1]

    @property
    def accepts(self) -> str:
        """What the waiver accepts here, in words: "a failure" or "no evidence (skipped)"."""
        return f"no evidence ({self.outcome})" if self.no_evidence else "a failure"

    @property
    def line(self) -> str:
        until = f"until {self.until}" + (f" ({self.days_left} days left)" if self.days_left is not None else "")
        where = "every environment" if self.everywhere else ", ".join(self.environments)
        return (f"{self.subject} \u2014 {self.problem}; accepted by {self.accepted_by} {until}"
                + (f" for {where}" if where else "") + (" \u2014 NO EVIDENCE accepted" if self.no_evidence else "")
                + (f": {self.reason}" if self.reason else ""))


@dataclasses.dataclass(frozen=True)
class ChangedCheck:
    nodeid: str
    item: str | None
    title: str | None
    owner: str | None


@dataclasses.dataclass(frozen=True)
class Changes:
    """What changed since the previous run of the same environment."""

    time_before: str | None  # the previous run's time (ISO, as recorded)
    verdict_before: str | None  # as people read it (display verdict)
    verdict_before_code: str | None  # canonical (GO, NO_GO, ...)
    verdict_now: str
    direction: str  # "worse", "better", "same", "unknown"
    known: bool  # the previous run recorded its failing checks (older history lines did not)
    newly_failing: tuple[ChangedCheck, ...]
    newly_passing: tuple[str, ...]  # failing before, passed now
    newly_waived: tuple[str, ...]  # failing before, accepted by a waiver now
    still_failing: int
    no_longer_run: tuple[str, ...]  # failing before, not in this run at all

    @property
    def sentence(self) -> str:
        verdict = (f"verdict {self.verdict_before or 'unknown'} \u2192 {self.verdict_now}"
                   if self.direction != "same" else f"verdict unchanged ({self.verdict_now})")
        return f"{verdict}; {self.checks_sentence}"

    @property
    def checks_sentence(self) -> str:
        """What changed in the checks, without the verdict ("1 newly failing, 2 fixed, ...")."""
        if not self.known:
            return "the previous run did not record its failing checks"
        parts = [f"{len(self.newly_failing)} newly failing", f"{len(self.newly_passing)} fixed"]
        if self.newly_waived:
            parts.append(f"{len(self.newly_waived)} newly accepted by a waiver")
        if self.no_longer_run:
            parts.append(f"{len(self.no_longer_run)} failing before and not run now")
        parts.append(f"{self.still_failing} still failing")
        return ", ".join(parts)


@dataclasses.dataclass(frozen=True)
class Digest:
    verdict: str  # canonical: GO, GO_WITH_RISKS, NO_GO, ROLLBACK
    display_verdict: str  # as people read it (PROCEED/HOLD for a stage run)
    environment: str
    why: str  # the reason in one sentence, without the verdict word
    todos: tuple[Todo, ...]  # what must happen before GO, most severe first
    groups: tuple[OwnerGroup, ...]  # the same to-dos by owner, the owner of the most severe first
    risks: tuple[Todo, ...]  # non-blocking failures nobody accepted, most severe first
    accepted: tuple[AcceptedRisk, ...]  # waived failures, soonest expiry first
    notes: tuple[str, ...]  # expired/unused waivers, invalid sign-offs, defaulted severities
    changes: Changes | None  # None: no previous run to compare with
    partial: bool  # a partial run: not a launch decision
    complete: bool  # the evidence is complete
    judged_on: str | None

    @property
    def sentence(self) -> str:
        """The verdict and why, in one sentence."""
        return f"{self.display_verdict}: {self.why}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the fields plus each entry's `line`/`text` (for a generic webhook)."""
        def entry(value: Any) -> Any:
            data = dataclasses.asdict(value)
            for name in ("line", "text", "subject", "owner_label", "accepts", "sentence", "checks_sentence"):
                if hasattr(value, name):
                    data[name] = getattr(value, name)
            return data

        result = dataclasses.asdict(self)
        result["sentence"] = self.sentence
        result["todos"] = [entry(t) for t in self.todos]
        result["risks"] = [entry(t) for t in self.risks]
        result["accepted"] = [entry(a) for a in self.accepted]
        result["groups"] = [{"owner": g.owner, "todos": [entry(t) for t in g.todos]} for g in self.groups]
        result["changes"] = entry(self.changes) if self.changes is not None else None
        return result


# ---------------------------------------------------------------------------------------------

def digest(doc: dict[str, Any], previous: dict[str, Any] | None = None) -> Digest:
    """The meeting's view of `doc`. `previous`: the previous run of the same environment, as a
    history line (outputs.history.history_entry) or a whole results document; None for none."""
    verdict = str(doc.get("verdict") or "NO_GO")
    display = str(doc.get("display_verdict") or verdict)
    run = _mapping(doc.get("run"))
    checks = {str(c.get("nodeid")): c for c in _entries(doc.get("checks"))}
    items = {str(i.get("id")): i for i in _entries(doc.get("checklist"))}
    reasons = _entries(doc.get("reasons"))

    todos = _sorted(_todo(r, checks, items) for r in reasons if r.get("blocking"))
    risks = _sorted(_todo(r, checks, items) for r in reasons
                    if not r.get("blocking") and r.get("code") == "nonblocking_failed")
    accepted = _accepted(doc, checks, items, run.get("judged_on"))
    notes = tuple(str(r.get("text") or "") for r in reasons
                  if not r.get("blocking") and r.get("code") not in ("waived", "nonblocking_failed"))
    partial = bool(run.get("partial"))
    return Digest(
        verdict=verdict, display_verdict=display,
        environment=str(_mapping(doc.get("environment")).get("name") or ""),
        why=_why(verdict, todos, risks, accepted, run),
        todos=todos, groups=_groups(todos), risks=risks, accepted=accepted, notes=notes,
        changes=changes_since(doc, previous) if previous is not None else None,
        partial=partial, complete=bool(run.get("complete", False)),
        judged_on=run.get("judged_on") or None,
    )


def previous_run(doc: dict[str, Any], history: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The last history line (oldest first, as read_history returns them) that is not `doc`'s own
    run: the line with its run id, or, for lines and documents without one (written before
    run ids), the line with its start time."""
    run = _mapping(doc.get("run"))
    run_id, started = run.get("run_id"), run.get("started")
    for entry in reversed(list(history)):
        if not isinstance(entry, dict):
            continue
        if run_id and entry.get("run_id"):
            own = entry["run_id"] == run_id  # two runs started within one second are two runs
        else:
            own = bool(started) and entry.get("started") == started
        if not own:
            return entry
    return None


def changes_since(doc: dict[str, Any], previous: dict[str, Any]) -> Changes:
    """What changed between `previous` (a history line or a results document) and `doc`."""
    if isinstance(previous.get("checks"), list):
        previous = history_entry(previous)
    verdict_now = str(doc.get("display_verdict") or doc.get("verdict") or "")
    before_code = previous.get("verdict")
    rank_before, rank_now = VERDICT_RANK.get(str(before_code)), VERDICT_RANK.get(str(doc.get("verdict")))
    if rank_before is None or rank_now is None:
        direction = "unknown"
    else:
        direction = "worse" if rank_now > rank_before else "better" if rank_now < rank_before else "same"
    common: dict[str, Any] = {
        "time_before": previous.get("time") or previous.get("started"),
        "verdict_before": previous.get("display_verdict") or before_code,
        "verdict_before_code": before_code, "verdict_now": verdict_now, "direction": direction,
    }
    failing_before = previous.get("failing")
    if not isinstance(failing_before, list):
        return Changes(**common, known=False, newly_failing=(), newly_passing=(), newly_waived=(),
                       still_failing=0, no_longer_run=())
    before = {str(n) for n in failing_before}
    checks = _entries(doc.get("checks"))
    failing_now = [c for c in checks if is_failing(c)]
    by_id = {str(c.get("nodeid")): c for c in checks}
    passed = {n for n, c in by_id.items() if c.get("outcome") == "passed" and c.get("kind") != "uncovered"}
    waived = {n for n, c in by_id.items() if c.get("waiver") and c.get("outcome") != "passed"}
    return Changes(
        **common, known=True,
        newly_failing=tuple(ChangedCheck(str(c.get("nodeid")), c.get("checklist"), c.get("title"), c.get("owner"))
                            for c in failing_now if str(c.get("nodeid")) not in before),
        newly_passing=tuple(sorted(before & passed)),
        newly_waived=tuple(sorted(before & waived)),
        still_failing=sum(1 for c in failing_now if str(c.get("nodeid")) in before),
        no_longer_run=tuple(sorted(before - set(by_id))),
    )


# ---------------------------------------------------------------------------------------------

def _todo(reason: dict[str, Any], checks: dict[str, dict[str, Any]], items: dict[str, dict[str, Any]]) -> Todo:
    code = str(reason.get("code") or "")
    nodeid = reason.get("nodeid")
    check = checks.get(str(nodeid), {}) if nodeid else {}
    item_id = reason.get("checklist") or check.get("checklist")
    item = items.get(str(item_id), {}) if item_id else {}
    severity = check.get("severity") if check else item.get("severity")
    title = reason.get("title") or check.get("title") or item.get("title")
    evidence = _mapping(reason.get("evidence")) or _mapping(check.get("evidence"))
    message = str(reason.get("message") or check.get("message") or "")
    action, problem = _action_and_problem(code, check, item, message, str(reason.get("text") or ""), evidence)
    return Todo(code=code, owner=reason.get("owner") or check.get("owner") or None, item=item_id or None,
                title=title or None, severity=severity if isinstance(severity, str) else None, action=action,
                problem=_clip(problem), nodeid=nodeid if code not in RUN_CODES else None, evidence=evidence)


def _action_and_problem(code: str, check: dict[str, Any], item: dict[str, Any], message: str, text: str,
                        evidence: dict[str, Any]) -> tuple[str, str]:
    kind = check.get("kind")
    outcome = check.get("outcome")
    if code in RUN_CODES:
        return "", re.sub(r"^incomplete evidence:\s*", "", text)
    if code == "unsigned" or (kind == "manual" and outcome == "failed"):
        return "sign off", _signoff_wanted(item)
    if code == "uncovered" or kind == "uncovered":
        return "add a check for", "no check is linked to this automated item"
    if code == "rollback":
        return "roll back:", _measured(plain_message(message) or "rollback trigger fired", evidence)
    if kind == "collection":
        return "", f"skipped at collection, so its checks have no evidence ({plain_message(message)})"
    if code == "refused" or outcome == "refused":
        return "run", "destructive check not run against production (no evidence): run it with " \
                      "--launch-allow-destructive in a chosen window, or accept it with a waiver"
    if code in ("skipped", "missing") or outcome in ("skipped", "missing"):
        detail = plain_message(message)
        what = "skipped" if outcome == "skipped" else "no result"
        return "", f"no evidence ({what}: {detail})" if detail else f"no evidence ({what})"
    detail = plain_message(message)
    if outcome == "error":
        return "", _measured(f"the check errored: {detail}" if detail else "the check errored", evidence)
    return "", _measured(detail or "failed", evidence)


def _signoff_wanted(item: dict[str, Any]) -> str:
    description = " ".join(str(item.get("description") or "").split())
    match = re.match(r"(?i)sign-?off evidence:\s*(.+)", description)
    if match:
        return "needs " + match.group(1).rstrip(".")
    return "needs a sign-off (who, when, a link to the evidence)"


def plain_message(message: str) -> str:
    """A check's message as plain words: its first line, without the exception's class name."""
    lines = [line.strip() for line in str(message or "").strip().splitlines() if line.strip()]
    if not lines:
        return ""
    return _EXCEPTION_PREFIX.sub("", lines[0]).strip()


def _measured(problem: str, evidence: dict[str, Any]) -> str:
    """Add the measured value and threshold when the words do not already say them."""
    if "measured" not in evidence or "threshold" not in evidence:
        return problem
    measured, threshold = evidence["measured"], evidence["threshold"]
    if str(measured) in problem and str(threshold) in problem:
        return problem
    return f"{problem} (measured {measured}, threshold {threshold})"


def _rank(todo: Todo) -> tuple[int, int, int, str, str]:
    first = todo.code in ("rollback", *RUN_CODES)
    # no severity counts as blocking: ranked with blocker (fail-safe)
    severity = -1 if first else _SEVERITY_RANK.get(todo.severity or "blocker", len(_SEVERITY_RANK))
    return (severity, _CODE_RANK.get(todo.code, 99), 0 if todo.item else 1, todo.item or "", todo.nodeid or "")


def _sorted(todos: Iterable[Todo]) -> tuple[Todo, ...]:
    return tuple(sorted(todos, key=_rank))


def _groups(todos: Sequence[Todo]) -> tuple[OwnerGroup, ...]:
    grouped: dict[str, list[Todo]] = {}
    for todo in todos:  # already most severe first: the first owner seen has the most severe to-do
        grouped.setdefault(todo.owner_label, []).append(todo)
    return tuple(OwnerGroup(owner, tuple(items)) for owner, items in grouped.items())


def _accepted(doc: dict[str, Any], checks: dict[str, dict[str, Any]], items: dict[str, dict[str, Any]],
              judged_on: Any) -> tuple[AcceptedRisk, ...]:
    waivers = {(str(w.get("check")), str(w.get("expires"))): w for w in _entries(doc.get("waivers"))}
    today = _date(judged_on)
    risks = []
    for check in checks.values():
        waiver = check.get("waiver")
        if not isinstance(waiver, dict) or check.get("outcome") == "passed":
            continue
        full = {**waivers.get((str(waiver.get("check")), str(waiver.get("expires"))), {}), **waiver}
        outcome = str(check.get("outcome") or "missing")
        until = str(full.get("expires") or "")
        expiry = _date(until)
        item = items.get(str(check.get("checklist")), {})
        risks.append(AcceptedRisk(
            item=check.get("checklist") or None, title=check.get("title") or item.get("title") or None,
            nodeid=check.get("nodeid"), owner=check.get("owner") or None,
            accepted_by=str(full.get("approved_by") or "unknown"), waiver_owner=full.get("owner") or None,
            until=until, days_left=(expiry - today).days if expiry and today else None,
            reason=" ".join(str(full.get("reason") or "").split()), outcome=outcome,
            no_evidence=outcome != "failed",
            problem=_clip(plain_message(str(check.get("message") or "")) or outcome),
            environments=tuple(str(e) for e in full.get("environments") or ()),
            everywhere=bool(full.get("everywhere")),
        ))
    return tuple(sorted(risks, key=lambda r: (r.until, r.item or "", r.nodeid or "")))


def _why(verdict: str, todos: Sequence[Todo], risks: Sequence[Todo], accepted: Sequence[AcceptedRisk],
         run: dict[str, Any]) -> str:
    if run.get("in_progress"):
        return f"a run started {run['in_progress']} and never finished, so there is no decision"
    if run.get("partial"):
        return ("a partial run is not a launch decision (" + "; ".join(str(p) for p in run["partial"])
                + "); run whole phases")
    triggers = [t for t in todos if t.code == "rollback"]
    if triggers:
        names = ", ".join(t.subject for t in triggers[:3]) + (" and more" if len(triggers) > 3 else "")
        stage = f" at {run['stage']} % traffic" if run.get("stage") is not None else ""
        return f"rollback trigger {names} fired{stage}; roll back now"
    if todos:
        owners = {t.owner_label for t in todos if t.code not in RUN_CODES}
        incomplete = [t.problem for t in todos if t.code in RUN_CODES]
        parts = [p for p in _counted(todos) if p]
        head = f"the evidence is incomplete ({incomplete[0]})" if incomplete else ""
        if parts:
            who = f" by {_n(len(owners), 'owner')}" if owners else ""
            count = len(todos) - len(incomplete)
            body = f"{_n(count, 'item')} to do{who} before GO: {_join(parts)}"
            return f"{head}; {body}" if head else body
        return head or f"{_n(len(todos), 'item')} to do before GO"
    if verdict == "NO_GO":  # fail-safe: a NO-GO without a blocking reason still says so
        return "the decision found evidence missing; see the reasons"
    extras = []
    if accepted:
        extras.append(f"{_n(len(accepted), 'accepted risk')}")
    if risks:
        extras.append(f"{_n(len(risks), 'non-blocking problem')}")
    if extras:
        return "nothing blocks the launch; " + _join(extras) + " to know about"
    return "every blocking check passed and every required sign-off is in"


def _counted(todos: Sequence[Todo]) -> list[str]:
    def count(codes: tuple[str, ...]) -> int:
        return sum(1 for t in todos if t.code in codes)

    return [
        _some(count(("failed",)), "blocking check failed", "blocking checks failed"),
        _some(count(("error",)), "blocking check errored", "blocking checks errored"),
        _some(count(NO_EVIDENCE_CODES), "blocking check has no evidence", "blocking checks have no evidence"),
        _some(count(("unsigned",)), "manual item is not signed off", "manual items are not signed off"),
        _some(count(("uncovered",)), "item has no check", "items have no check"),
    ]


def _some(n: int, one: str, many: str) -> str:
    return "" if n == 0 else f"{n} {one if n == 1 else many}"


def _n(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _join(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _clip(text: str, limit: int = PROBLEM_LIMIT) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _entries(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
