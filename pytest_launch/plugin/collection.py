"""Collection: checklist markers inherited by checks, and the checklist's own test items.

Each manual checklist item becomes a test item (`readiness/checklist.toml::MON-06`) that passes
only with a valid sign-off; each automated item that no collected check links to becomes an
item that fails as uncovered. Both carry the item's markers, so `-m` selects them like checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pytest_launch.config.approvals import valid_signoff_for
from pytest_launch.core.errors import did_you_mean
from pytest_launch.core.model import ChecklistItem
from pytest_launch.core.vocabulary import CATEGORIES, PHASES, SEVERITIES
from pytest_launch.plugin.facts import facts_of
from pytest_launch.plugin.reports import MarksOfParents, closest_marker
from pytest_launch.plugin.state import STATE_KEY, LaunchState


class LaunchEvidenceMissing(Exception):
    """A checklist item without the evidence it needs (no sign-off, no check)."""


class ChecklistFile(pytest.File):
    """The checklist file as a collector of its own items, parented to the session (it need not
    lie under the collected paths)."""

    uncovered: bool = True

    def collect(self) -> Iterator[pytest.Item]:
        state = self.config.stash[STATE_KEY]
        for item in state.checklist:
            if item.mode == "manual":
                yield ManualItem.from_parent(self, name=item.id, checklist_item=item)
            elif self.uncovered:
                yield UncoveredItem.from_parent(self, name=item.id, checklist_item=item)


def checklist_items(session: pytest.Session, state: LaunchState, *, uncovered: bool) -> list[pytest.Item]:
    """The checklist's manual items and (with `uncovered`) one item per automated item, for the
    session's collection; the automated items that a collected check covers are dropped later."""
    node = ChecklistFile.from_parent(session, path=state.checklist_path)
    node.uncovered = uncovered
    return list(node.collect())


class _ChecklistNode(pytest.Item):
    kind = "check"

    def __init__(self, *, checklist_item: ChecklistItem, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.checklist_item = checklist_item
        for marker in (item_markers(checklist_item) + [pytest.mark.checklist(checklist_item.id)]):
            self.add_marker(marker)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, LaunchEvidenceMissing):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"{self.checklist_item.id}: {self.checklist_item.title}"


class ManualItem(_ChecklistNode):
    """A manual checklist item: passes only with a valid sign-off."""

    kind = "manual"

    def runtest(self) -> None:
        state = self.config.stash[STATE_KEY]
        item = self.checklist_item
        env = state.environment
        signoff = valid_signoff_for(item.id, state.signoffs, state.today, state.manual_ids, set(state.items_by_id),
                                    [env.name] if env is not None else [], env.release if env is not None else None)
        if signoff is None:
            wanted = f" {item.description}" if item.description else " Evidence wanted: a link."
            raise LaunchEvidenceMissing(
                f"no valid sign-off for environment {env.name if env is not None else '(none)'}"
                f"{' release ' + env.release if env is not None and env.release else ''}: add a [[signoff]] for "
                f"{item.id} (by, at, evidence, environments) to "
                f"{self.config.getini('launch_signoffs')}.{wanted}")
        facts_of(self).signoff = {
            "signed_by": signoff.by, "signed_at": signoff.at.isoformat(), "evidence": signoff.evidence,
            "expires": signoff.expires.isoformat() if signoff.expires else None,
            "environments": list(signoff.environments), "release": signoff.release}


class UncoveredItem(_ChecklistNode):
    """An automated checklist item that no collected check links to."""

    kind = "uncovered"

    def runtest(self) -> None:
        item = self.checklist_item
        raise LaunchEvidenceMissing(
            f"automated item without a check: add @pytest.mark.checklist({item.id!r}) to a check, "
            f"or make the item manual")


def item_markers(item: ChecklistItem) -> list[pytest.MarkDecorator]:
    return [getattr(pytest.mark, item.phase), getattr(pytest.mark, item.category),
            getattr(pytest.mark, item.severity), pytest.mark.owner(item.owner)]


def own_labels(node: pytest.Item) -> dict[str, list[str]]:
    """The phase, category and severity words a node carries as markers."""
    names = {m.name for m in node.iter_markers()}
    return {"phase": sorted(names & set(PHASES)), "category": sorted(names & set(CATEGORIES)),
            "severity": sorted(names & set(SEVERITIES))}


def inherit_checklist_markers(items: list[pytest.Item], state: LaunchState) -> dict[str, str]:
    """Give every linked check its checklist item's markers; drop uncovered items that are covered.

    Returns the problems found, nodeid -> message: an unknown checklist id or a contradiction
    between a check's own markers and its item's."""
    covered: set[str] = set()
    problems: dict[str, str] = {}
    parents: MarksOfParents = {}  # the checks of one module or class share their parents' markers
    for node in items:
        if isinstance(node, _ChecklistNode):
            continue
        try:
            item_id = checklist_link(node, state, parents)
        except pytest.UsageError as exc:
            problems[node.nodeid] = str(exc)
            continue
        if item_id is not None:
            covered.add(item_id)
    items[:] = [n for n in items if not (isinstance(n, UncoveredItem) and n.checklist_item.id in covered)]
    return problems


def checklist_link(node: pytest.Item, state: LaunchState, parents: MarksOfParents | None = None) -> str | None:
    """The checklist id a check links to, after giving it the item's markers; None when it
    links to none. pytest.UsageError for an unknown id or a contradicting marker. `parents`:
    shared by the caller that links many checks (plugin.reports.read_metadata)."""
    by_id = state.items_by_id
    marker = closest_marker(node, "checklist", parents)
    if marker is None:
        return None
    if not marker.args or not isinstance(marker.args[0], str):
        raise pytest.UsageError(f"{node.nodeid}: @pytest.mark.checklist expects an item id such as 'SEC-03'")
    item_id = marker.args[0]
    item = by_id.get(item_id)
    if item is None:
        hint = did_you_mean(item_id, by_id)
        raise pytest.UsageError(
            f"{node.nodeid}: checklist id {item_id!r} is not in {state.checklist_path}"
            + (f" ({hint})" if hint else ""))
    labels = own_labels(node)
    for kind, words in labels.items():
        wanted = getattr(item, kind)
        if words and words != [wanted]:
            raise pytest.UsageError(
                f"{node.nodeid} is marked {kind} {', '.join(words)} but its checklist item {item_id} "
                f"({state.checklist_path}) says {kind} {wanted}: remove the marker or fix the item")
        if not words:
            node.add_marker(getattr(pytest.mark, wanted))
    owner = node.get_closest_marker("owner")
    if owner is None:
        node.add_marker(pytest.mark.owner(item.owner))
    elif owner.args and owner.args[0] != item.owner:
        raise pytest.UsageError(
            f"{node.nodeid} is marked owner({owner.args[0]!r}) but its checklist item {item_id} "
            f"({state.checklist_path}) says owner {item.owner!r}")
    return item_id
