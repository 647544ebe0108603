"""Our markers as Allure labels, without any allure decorator in the checks (PRODUCT §6).

A pytest plugin module, registered by the core plugin when allure-pytest is active
(`--alluredir`). allure-pytest (2.13 .. 2.16) reads labels from `allure_label` markers
(allure_pytest.utils.allure_labels) when it writes a test's result, so after the core's
checklist inheritance has put the phase, category, severity and owner markers on every item,
this module adds:

    severity = blocker | critical | normal | minor | trivial   (none given: blocker, and a
                                                               "severity-defaulted" tag: it
                                                               counts as blocking)
    epic     = the phase       feature = the category       owner = the owner marker
    tag      = the checklist id

and names the test after its checklist item's title ("<title> [<param id>]" for parametrized
checks) through allure's own runtime API, unless the check set an @allure.title itself.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from pytest_launch.plugin.reports import checklist_id_of, read_metadata
from pytest_launch.plugin.state import STATE_KEY

ALLURE_LABEL_MARK = "allure_label"  # allure_pytest.utils.ALLURE_LABEL_MARK
DEFAULT_SEVERITY = "blocker"  # a check without severity counts as blocking (fail-safe)
DEFAULTED_TAG = "severity-defaulted"

_TITLE_KEY = pytest.StashKey[str]()


def marker_labels(item: pytest.Item) -> list[tuple[str, str]]:
    """(label type, value) pairs for an item's launch markers, read by the one marker reader
    the decision uses (plugin.reports.read_metadata): the label shows the severity that counts."""
    meta = read_metadata(item)
    labels: list[tuple[str, str]] = [("severity", meta["severity"] or DEFAULT_SEVERITY)]
    if meta["severity"] is None:
        labels.append(("tag", DEFAULTED_TAG))
    if meta["phase"] is not None:
        labels.append(("epic", meta["phase"]))
    if meta["category"] is not None:
        labels.append(("feature", meta["category"]))
    if meta["owner"] is not None:
        labels.append(("owner", meta["owner"]))
    if meta["checklist"] is not None:
        labels.append(("tag", meta["checklist"]))
    return labels


def _already_labelled(item: pytest.Item) -> set[str]:
    """Label types the check set itself with allure decorators: those win."""
    return {str(m.kwargs.get("label_type")) for m in item.iter_markers(name=ALLURE_LABEL_MARK)}


def _checklist_titles(config: pytest.Config) -> dict[str, str]:
    state = config.stash.get(STATE_KEY, None)
    if state is None:
        return {}
    return {item.id: item.title for item in state.checklist}


def display_name(item: pytest.Item, titles: dict[str, str]) -> str | None:
    """The checklist item's title, with the parameter id of a parametrized check."""
    checklist = checklist_id_of(item)
    if checklist is None:
        return None
    title = titles.get(checklist)
    if not title:
        return None
    callspec = getattr(item, "callspec", None)
    return f"{title} [{callspec.id}]" if callspec is not None else title


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # trylast: after the core's checklist inheritance (tryfirst) has added the markers
    titles = _checklist_titles(config)
    for item in items:
        own = _already_labelled(item)
        for label_type, value in marker_labels(item):
            if label_type in ("severity", "epic", "feature", "owner") and label_type in own:
                continue
            item.add_marker(pytest.mark.allure_label(value, label_type=label_type))
        name = display_name(item, titles)
        if name is not None:
            item.stash[_TITLE_KEY] = name


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, Any, None]:
    # tryfirst wrapper = outermost: allure-pytest's own setup wrapper has named the test
    # (from the function name) by the time we get back here, so our title replaces it.
    yield
    name = item.stash.get(_TITLE_KEY, None)
    if name is None:
        return
    try:
        import allure
        from allure_pytest.utils import allure_title
    except ImportError:
        return
    if allure_title(item):  # @allure.title on the check wins
        return
    allure.dynamic.title(name)  # type: ignore[no-untyped-call]  # allure-pytest is untyped
