"""A check's own facts (its evidence, a manual item's sign-off, a refusal, an inconclusive
probe), kept on its item while it runs and read from there once per report.

Where the decision is made in the process that ran the check (a plain run), the controller
reads them from the item itself: nothing is copied onto pytest's reports. An xdist worker
cannot hand its items to the controller, so it puts the same facts, with the check's metadata
and message, on each report under the run's channel name (plugin.reports), the one way to the
controller. One reader of the stash, two transports (issue 16: a plain run no longer builds,
masks and strips a facts property three times per check).
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_launch.core.evidence import Evidence
from pytest_launch.core.redact import Redactor
from pytest_launch.plugin.collection import SIGNOFF_KEY
from pytest_launch.plugin.reports import EVIDENCE, INCONCLUSIVE, REFUSED, SIGNOFF

EVIDENCE_KEY = pytest.StashKey[Evidence]()  # launch_evidence: the values the check recorded
REFUSED_KEY = pytest.StashKey[str]()  # set by the plugin only: the check was refused as destructive
# the call report whose failure was a ProbeError (no usable answer, no evidence either way); the
# report itself, so that a rerun of the check (pytest-rerunfailures) is judged on its own call
INCONCLUSIVE_KEY = pytest.StashKey[pytest.TestReport]()


def check_facts(item: pytest.Item, report: pytest.TestReport, redactor: Redactor) -> dict[str, Any]:
    """The plugin's facts about one report of `item` (empty for nearly every report of a check
    that records no evidence), masked: they reach the results document and, on a worker, every
    plugin that reads user properties."""
    stash = item.stash
    facts: dict[str, Any] = {}
    evidence = stash.get(EVIDENCE_KEY, None)
    if evidence is not None and evidence.values:
        facts[EVIDENCE] = evidence.values
    when = report.when
    if when == "setup":
        if report.skipped and REFUSED_KEY in stash:
            facts[REFUSED] = True
    elif when == "call":
        if report.failed and stash.get(INCONCLUSIVE_KEY, None) is report:
            facts[INCONCLUSIVE] = True
        signoff = stash.get(SIGNOFF_KEY, None)
        if signoff is not None:
            facts[SIGNOFF] = signoff
    if not facts or redactor.clean(facts):
        return facts
    return redactor.data(facts)  # type: ignore[no-any-return]
