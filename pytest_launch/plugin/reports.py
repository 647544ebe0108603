"""From pytest's test reports to CheckResults, on the process that makes the decision.

The controller folds the setup/call/teardown reports of each check into one CheckResult, with
the plugin's facts about each report (plugin/facts.py): read from the check's item in a plain
run, from the report itself when an xdist worker sent it (workers put them in `user_properties`
as built-in types, because pytest-xdist carries `report.__dict__` only).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest

from pytest_launch.core.model import CheckResult, Outcome
from pytest_launch.core.vocabulary import CATEGORIES, PHASES, SEVERITIES

# The plugin's own facts about a report travel in ONE user property whose name holds a per-run
# random token (`channel_name`), made by the controller and handed to xdist workers: check code
# can write any user property it likes (record_property, item.user_properties), but not ours.
# Inside it, a dict with these keys:
META = "meta"  # the check's metadata (from markers), on the setup report
EVIDENCE = "evidence"  # launch_evidence.record(...)
SIGNOFF = "signoff"  # a manual item's valid sign-off
MESSAGE = "message"  # the redacted failure or skip message
INCONCLUSIVE = "inconclusive"  # the check raised ProbeError: no evidence was gathered
REFUSED = "refused"  # the plugin refused to run a destructive check against production
WORKER_META = "launch_meta"  # workeroutput key: every collected check's metadata, per worker
CHANNEL_INPUT = "launch_channel"  # workerinput key: the run's channel name
DROPPED = "launch_dropped"  # workeroutput key: checks removed at collection without being deselected
DROPPED_KEY = pytest.StashKey[dict[str, dict[str, Any]]]()  # the same, in a plain run
USAGE_PROBLEMS = "launch_usage_problems"  # workeroutput key: mistakes found at collection (a usage error)
MAX_MESSAGE = 4000
_SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
_META_KEY = pytest.StashKey[dict[str, Any]]()


def new_channel_name() -> str:
    """A user-property name no check can know in advance: made once per run, in the controller."""
    return f"launch:{secrets.token_hex(16)}"


def without_plugin_facts(properties: list[Any], channel: str) -> list[Any]:
    """A report's user properties without any under this run's channel name (the plugin's own,
    or a check's attempt to write one)."""
    return [p for p in properties if not (isinstance(p, tuple) and p and p[0] == channel)]


def plugin_facts(report: pytest.TestReport, channel: str) -> dict[str, Any]:
    """The plugin's facts on a report (empty when it carries none)."""
    for prop in report.user_properties:
        if isinstance(prop, tuple) and len(prop) == 2 and prop[0] == channel and isinstance(prop[1], dict):
            return prop[1]
    return {}


def checklist_id_of(node: pytest.Item, parents: MarksOfParents | None = None) -> str | None:
    """The checklist id a node's closest `checklist` marker names, or None; `parents`: see read_metadata."""
    return _first_arg(closest_marker(node, "checklist", parents))


def _first_arg(marker: Any) -> str | None:
    """What `@pytest.mark.owner("sre")` or `@pytest.mark.checklist("SEC-01")` names, or None."""
    return str(marker.args[0]) if marker is not None and marker.args else None


def item_metadata(node: pytest.Item, parents: MarksOfParents | None = None) -> dict[str, Any]:
    """The check's launch metadata, from its markers (after checklist inheritance). Cached on
    the check: an xdist worker reads it at the setup report and again at the end of its run.
    `parents`: shared by the callers that read many checks at once (see read_metadata)."""
    cached = node.stash.get(_META_KEY, None)
    if cached is None:
        cached = node.stash[_META_KEY] = read_metadata(node, parents)
    return dict(cached)


# the markers of a node's parents (module, class, package, session), closest first, per parent
MarksOfParents = dict[Any, list[Any]]


def read_metadata(node: pytest.Item, parents: MarksOfParents | None = None) -> dict[str, Any]:
    """The one reader of our markers (uncached): the decision's metadata and the Allure labels.

    The markers are those `node.iter_markers()` yields, in its order (the check's own, then each
    parent's, closest first), in one walk. `parents` keeps each parent's share of that walk for
    the next check with the same parent (issue 16: the end of a run reads every check's
    metadata; the checks of one module share all of it but their own markers)."""
    phase = category = owner = checklist = None
    severities: set[str] = set()
    rollback_trigger = destructive = False
    for mark in markers_of(node, parents):
        name = mark.name
        if name in SEVERITIES:
            severities.add(name)
        elif name in PHASES:
            phase = phase or name
        elif name in CATEGORIES:
            category = category or name
        elif name == "owner":
            owner = mark if owner is None else owner
        elif name == "checklist":
            checklist = mark if checklist is None else checklist
        elif name == "rollback_trigger":
            rollback_trigger = True
        elif name == "destructive":
            destructive = True
    checklist_item = getattr(node, "checklist_item", None)
    return {
        "kind": getattr(node, "kind", "check"),
        "title": checklist_item.title if checklist_item is not None else None,
        "phase": phase,
        "category": category,
        # several severities on one check: the most severe counts
        "severity": min(severities, key=_SEVERITY_RANK.__getitem__) if severities else None,
        "owner": _first_arg(owner),
        "checklist": _first_arg(checklist),
        "rollback_trigger": rollback_trigger,
        "destructive": destructive,
    }


def markers_of(node: pytest.Item, parents: MarksOfParents | None = None) -> list[Any]:
    """The markers `node.iter_markers()` yields, in its order; `parents`: see read_metadata."""
    parent = node.parent
    inherited = parents.get(parent) if parents is not None else None
    if inherited is None:
        inherited = [mark for ancestor in reversed(node.listchain()[:-1]) for mark in ancestor.own_markers]
        if parents is not None:
            parents[parent] = inherited
    return [*node.own_markers, *inherited]


def closest_marker(node: pytest.Item, name: str, parents: MarksOfParents | None = None) -> Any:
    """node.get_closest_marker(name), sharing the parents' markers as read_metadata does."""
    return next((mark for mark in markers_of(node, parents) if mark.name == name), None)


def report_message(report: pytest.TestReport | pytest.CollectReport) -> str:
    """A short message for a failed or skipped report: the crash line or the skip reason."""
    longrepr = report.longrepr
    if longrepr is None:
        return ""
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        text = str(longrepr[2])
        return truncate(text[len("Skipped: "):] if text.startswith("Skipped: ") else text)
    crash = getattr(longrepr, "reprcrash", None)
    text = crash.message if crash is not None and getattr(crash, "message", None) else str(longrepr)
    return truncate(text)


def truncate(text: str, limit: int = MAX_MESSAGE) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"… [truncated: {len(text) - limit} more characters]"


class ResultCollector:
    """Accumulates one CheckResult per nodeid from the reports pytest (or xdist) delivers."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.results: dict[str, CheckResult] = {}
        # checks whose outcome pytest settled (a call report, or setup that failed/skipped):
        # a check interrupted during its call has only a passed setup report, and no result
        self.settled: set[str] = set()
        # nodeid -> metadata, for checks that delivered none (never ran, crashed worker)
        self.describe: Callable[[str], dict[str, Any] | None] | None = None
        self.described: set[str] = set()

    def add(self, report: pytest.TestReport, props: dict[str, Any], nodeid: str | None = None) -> None:
        """Fold one report into its check's result; `props`: the plugin's facts about it
        (plugin.facts), read from the check or, under xdist, from the report. `nodeid`: the
        report's, when the caller has read it already (a property)."""
        if nodeid is None:
            nodeid = report.nodeid
        result = self.results.get(nodeid)
        if props:
            result = self._add_facts(nodeid, result, props)
        elif result is None:
            result = self.results[nodeid] = CheckResult(nodeid=nodeid, outcome="passed")
        result.duration_s += float(getattr(report, "duration", 0.0) or 0.0)
        when = report.when
        if report.outcome == "passed":
            # nearly every report: a passed report never makes a result worse (_outcome_of is
            # "passed" or None for it); the check is settled by its call or its teardown
            if when != "setup":
                self.settled.add(nodeid)
            return
        self.settled.add(nodeid)
        outcome = _outcome_of(report, props)
        if outcome is None:
            return
        if _RANK[outcome] > _RANK[result.outcome]:
            result.outcome = outcome
            result.message = str(props[MESSAGE]) if MESSAGE in props else report_message(report)  # both truncated by report_message
            if when not in ("call", "setup", "???") and outcome == "error":
                result.message = f"error in {when}: {result.message}"

    def _add_facts(self, nodeid: str, result: CheckResult | None, props: dict[str, Any]) -> CheckResult:
        """The check's result with the metadata, evidence and sign-off a report carries."""
        meta = props.get(META)
        if result is None:
            result = CheckResult(nodeid=nodeid, outcome="passed", **(meta or {}))
            self.results[nodeid] = result
        elif meta and result.kind == "check" and result.phase is None:
            for key, value in meta.items():
                setattr(result, key, value)
        if meta:
            self.described.add(nodeid)
        if props.get(EVIDENCE):
            result.evidence.update(props[EVIDENCE])
        if props.get(SIGNOFF):
            result.evidence.update(props[SIGNOFF])
        return result

    # -- evidence dropped before it became a check result (collection) -------------------------
    def add_collection_skip(self, report: pytest.CollectReport) -> None:
        """A module, class, package or conftest.py skipped at collection: every check it held
        is missing evidence. One blocking `skipped` result names it and the reason."""
        nodeid = report.nodeid or "."
        if nodeid in self.results:
            return
        self.results[nodeid] = CheckResult(
            nodeid=nodeid, outcome="skipped", kind="collection",
            message=truncate(f"skipped at collection ({report_message(report) or 'no reason given'}): "
                             f"the checks it holds were never collected, so there is no evidence for them"))
        self.settled.add(nodeid)
        self.described.add(nodeid)

    def add_dropped(self, dropped: dict[str, dict[str, Any]]) -> None:
        """Checks collected and then removed from the run without being deselected (a
        pytest_collection_modifyitems hook dropped them): `skipped`, no evidence."""
        for nodeid, meta in dropped.items():
            if nodeid in self.results:
                continue
            self.results[nodeid] = CheckResult(
                nodeid=nodeid, outcome="skipped", **meta,
                message="removed from the run at collection without being deselected (a "
                        "pytest_collection_modifyitems hook in a conftest.py or plugin dropped it): no evidence")
            self.settled.add(nodeid)
            self.described.add(nodeid)

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


def _outcome_of(report: pytest.TestReport, props: dict[str, Any]) -> Outcome | None:
    if props.get(REFUSED) and report.skipped:
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
