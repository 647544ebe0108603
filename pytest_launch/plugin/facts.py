"""A check's own facts (its evidence, a manual item's sign-off, a refusal, an inconclusive
probe), kept on its item while it runs and read from there once per report.

Where the decision is made in the process that ran the check (a plain run), the controller
reads them from the item itself: nothing is copied onto pytest's reports. An xdist worker
cannot hand its items to the controller, so it puts the same facts, with the check's metadata
and message, on each report under the run's channel name (plugin.reports), the one way to the
controller. One reader of the item, two transports (issue 16: a plain run no longer builds,
masks and strips a facts property three times per check).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from pytest_launch.core.evidence import Evidence
from pytest_launch.core.redact import Redactor
from pytest_launch.plugin.reports import EVIDENCE, INCONCLUSIVE, REFUSED, SIGNOFF


@dataclasses.dataclass
class CheckFacts:
    """What the plugin learnt about one check while it ran (most checks: nothing)."""

    evidence: Evidence | None = None  # launch_evidence: the values the check recorded
    refused: bool = False  # set by the plugin only: the check was refused as destructive
    # the call report whose failure was a ProbeError (no usable answer, no evidence either way);
    # the report itself, so that a rerun of the check (pytest-rerunfailures) is judged on its own call
    inconclusive: pytest.TestReport | None = None
    signoff: dict[str, Any] | None = None  # a manual item's valid sign-off


_FACTS_KEY = pytest.StashKey[CheckFacts]()


def facts_of(item: pytest.Item) -> CheckFacts:
    """The check's facts, to write one (made on first use: a check without any has none)."""
    stash = item.stash
    if _FACTS_KEY not in stash:
        stash[_FACTS_KEY] = CheckFacts()
    return stash[_FACTS_KEY]


def check_facts(item: pytest.Item, report: pytest.TestReport, redactor: Redactor) -> dict[str, Any]:
    """The plugin's facts about one report of `item` (empty for every report of a check that
    records no evidence), masked: they reach the results document and, on a worker, every
    plugin that reads user properties."""
    stash = item.stash
    if _FACTS_KEY not in stash:  # `in`: a missing key costs Stash.get an exception
        return {}
    known = stash[_FACTS_KEY]
    facts: dict[str, Any] = {}
    if known.evidence is not None and known.evidence.values:
        facts[EVIDENCE] = known.evidence.values
    when = report.when
    if when == "setup":
        if report.skipped and known.refused:
            facts[REFUSED] = True
    elif when == "call":
        if report.failed and known.inconclusive is report:
            facts[INCONCLUSIVE] = True
        if known.signoff is not None:
            facts[SIGNOFF] = known.signoff
    if not facts or redactor.clean(facts):
        return facts
    return redactor.data(facts)  # type: ignore[no-any-return]
