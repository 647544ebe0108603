"""From pytest's test reports to CheckResults, on the process that makes the decision.

Workers (and a plain run) put each check's metadata and evidence on the report as built-in
types (`user_properties`), because pytest-xdist carries `report.__dict__` only. The controller
folds the setup/call/teardown reports of each check into one CheckResult.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pytest_launch.markers import CATEGORIES, PHASES, SEVERITIES
from pytest_launch.model import CheckResult

META = "launch_meta"
EVIDENCE = "launch_evidence"
SIGNOFF = "launch_signoff"
MESSAGE = "launch_message"
INCONCLUSIVE = "launch_inconclusive"  # the check raised ProbeError: no evidence was gathered
MAX_MESSAGE = 4000
_SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
_META_KEY = pytest.StashKey[dict[str, Any]]()


def item_metadata(node: pytest.Item) -> dict[str, Any]:
    """The check's launch metadata, from its markers (after checklist inheritance). Read once
    per check (at its setup report, the one the controller uses), not once per phase."""
    cached = node.stash.get(_META_KEY, None)
    if cached is None:
        cached = node.stash[_META_KEY] = _read_metadata(node)
    return dict(cached)


def _read_metadata(node: pytest.Item) -> dict[str, Any]:
    # one walk over the markers, closest first (iter_markers is what every get_closest_marker repeats)
    names: list[str] = []
    closest: dict[str, Any] = {}
    for marker in node.iter_markers():
        names.append(marker.name)
        closest.setdefault(marker.name, marker)
    severities = sorted({n for n in names if n in SEVERITIES}, key=_SEVERITY_RANK.__getitem__)
    owner = closest.get("owner")
    checklist = closest.get("checklist")
    checklist_item = getattr(node, "checklist_item", None)
    return {
        "kind": getattr(node, "kind", "check"),
        "title": checklist_item.title if checklist_item is not None else None,
        "phase": next((n for n in names if n in PHASES), None),
        "category": next((n for n in names if n in CATEGORIES), None),
        # several severities on one check: the most severe counts
        "severity": severities[0] if severities else None,
        "owner": str(owner.args[0]) if owner is not None and owner.args else None,
        "checklist": str(checklist.args[0]) if checklist is not None and checklist.args else None,
        "rollback_trigger": "rollback_trigger" in closest,
        "destructive": "destructive" in closest,
    }


def report_message(report: pytest.TestReport) -> str:
    """A short message for a failed or skipped report: the crash line or the skip reason."""
    longrepr = report.longrepr
    if longrepr is None:
        return ""
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        text = str(longrepr[2])
        return text[len("Skipped: "):] if text.startswith("Skipped: ") else text
    crash = getattr(longrepr, "reprcrash", None)
    text = crash.message if crash is not None and getattr(crash, "message", None) else str(longrepr)
    return truncate(text)


def truncate(text: str, limit: int = MAX_MESSAGE) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"… [truncated: {len(text) - limit} more characters]"


class ResultCollector:
    """Accumulates one CheckResult per nodeid from the reports pytest (or xdist) delivers."""

    def __init__(self) -> None:
        self.results: dict[str, CheckResult] = {}
        # checks whose outcome pytest settled (a call report, or setup that failed/skipped):
        # a check interrupted during its call has only a passed setup report, and no result
        self.settled: set[str] = set()
        # nodeid -> metadata, for checks that delivered none (never ran, crashed worker)
        self.describe: Callable[[str], dict[str, Any] | None] | None = None
        self.described: set[str] = set()

    def add(self, report: pytest.TestReport) -> None:
        props = dict(p for p in report.user_properties if isinstance(p, tuple) and len(p) == 2)
        result = self.results.get(report.nodeid)
        if result is None:
            meta = props.get(META) or {}
            result = CheckResult(nodeid=report.nodeid, outcome="passed", **meta)
            self.results[report.nodeid] = result
        elif props.get(META) and result.kind == "check" and result.phase is None:
            for key, value in props[META].items():
                setattr(result, key, value)
        if props.get(META):
            self.described.add(report.nodeid)
        if props.get(EVIDENCE):
            result.evidence.update(props[EVIDENCE])
        if props.get(SIGNOFF):
            result.evidence.update(props[SIGNOFF])
        result.duration_s += float(getattr(report, "duration", 0.0) or 0.0)
        if report.when != "setup" or not report.passed:
            self.settled.add(report.nodeid)
        outcome = _outcome_of(report, props)
        if outcome is None:
            return
        if _RANK[outcome] > _RANK[result.outcome]:
            result.outcome = outcome
            result.message = truncate(str(props[MESSAGE])) if MESSAGE in props else report_message(report)
            if report.when not in ("call", "setup", "???") and outcome == "error":
                result.message = f"error in {report.when}: {result.message}"

    def finish(self, selected: list[str]) -> list[CheckResult]:
        """Every selected check's result, `missing` where none arrived, in selection order."""
        out: list[CheckResult] = []
        for nodeid in selected:
            result = self.results.get(nodeid)
            if result is None:
                result = CheckResult(nodeid=nodeid, outcome="missing",
                                     message="no result: the check never ran to completion")
            out.append(result)
        seen = set(selected)
        out.extend(r for nodeid, r in self.results.items() if nodeid not in seen)
        for result in out:
            if self.describe is not None and result.nodeid not in self.described:
                for key, value in (self.describe(result.nodeid) or {}).items():
                    setattr(result, key, value)
            if result.outcome == "passed" and result.nodeid not in self.settled:
                result.outcome = "missing"
                result.message = "no result: the check was interrupted before it finished"
        return out


# a later, worse report wins: error in teardown after a pass is an error
_RANK = {"passed": 0, "refused": 1, "skipped": 2, "failed": 3, "error": 4, "missing": 5}


def _outcome_of(report: pytest.TestReport, props: dict[str, Any]) -> str | None:
    if props.get("launch_refused") and report.skipped:
        return "refused"
    if hasattr(report, "wasxfail"):
        # an expected failure proves nothing; an unexpected pass passed
        return "passed" if report.passed else "skipped"
    if report.when == "call":
        return "error" if props.get(INCONCLUSIVE) and report.failed else report.outcome
    if report.failed:
        # setup or teardown failure; "???" is xdist's report for a crashed worker
        return "error"
    if report.skipped:
        return "skipped"
    return None
