"""The results document is masked whole, whichever part of a check a secret is in (issue 16:
the check entries are no longer copied when nothing in them is to be masked; every string of
theirs is still looked at)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from pytest_launch.config.policy import Policy
from pytest_launch.core.decision import decide
from pytest_launch.core.model import ChecklistItem, CheckResult, RunInfo, Waiver
from pytest_launch.core.redact import Redactor
from pytest_launch.outputs.jsonfile import build_document, dump_bytes

TODAY = dt.date(2026, 11, 25)
SECRET = "hunter2-launch-token-XYZ"
ITEMS = [ChecklistItem("SEC-06", "Secrets rotated", "t_minus_7", "security", "critical", "security-lead")]


def document(checks: list[CheckResult], waivers: list[Waiver] = (), secrets: tuple[str, ...] = (SECRET,),
             items: list[ChecklistItem] = ITEMS) -> dict[str, Any]:
    run = RunInfo(started="2026-11-25T02:00:00+00:00", markexpr="t_minus_7", judged_on=TODAY.isoformat(),
                  environments=["prod"])
    decision = decide(checks, items, list(waivers), [], run, Policy(), TODAY)
    return build_document(decision, checks, items, run, Policy(), {"name": "prod", "production": True},
                          Redactor(secrets))


def dumps(doc: dict[str, Any]) -> str:
    """The text of go-no-go.json for `doc`."""
    return dump_bytes(doc).decode("utf-8")


def check(**fields: Any) -> CheckResult:
    base: dict[str, Any] = {"nodeid": "readiness/test_security.py::test_rotated", "outcome": "failed",
                            "phase": "t_minus_7", "category": "security", "severity": "critical",
                            "owner": "security-lead", "checklist": "SEC-06"}
    return CheckResult(**{**base, **fields})


@pytest.mark.parametrize("fields", [
    {"nodeid": f"readiness/test_security.py::test_rotated[{SECRET}]"},
    {"title": f"rotated {SECRET}"},
    {"owner": SECRET},
    {"message": f"AssertionError: token {SECRET} still valid"},
    {"evidence": {"token": SECRET}},
    {"evidence": {SECRET: 1}},  # a key
    {"evidence": {"tokens": [{"value": f"x {SECRET} y"}]}},  # deep inside
    {"evidence": {"seen": ("a", SECRET)}},  # a tuple (evidence is built-in types, but not only lists)
    {"source": f"ci-{SECRET}"},
    {"message": "Authorization: Bearer abcdef123456"},  # a credential pattern, no known secret
], ids=lambda fields: next(iter(fields)))
def test_a_secret_anywhere_in_a_check_is_masked_in_the_document(fields: dict[str, Any]) -> None:
    # passed and linked to no checklist item: no reason of the decision repeats the check's
    # strings, only its own entry holds the secret
    clean_check = check(nodeid="readiness/test_app.py::test_health", outcome="passed", checklist=None)
    doc = document([clean_check, check(**{"outcome": "passed", "checklist": None, **fields})], items=[])
    assert "hunter2" not in json.dumps(doc["reasons"]) + json.dumps(doc["summary"])
    text = dumps(doc)
    assert SECRET not in text and "abcdef123456" not in text
    assert "***" in text
    # the other check, and the rest of the document, are as they were
    assert doc["checks"][0]["nodeid"] == "readiness/test_app.py::test_health"
    assert json.loads(text)["checks"][0] == doc["checks"][0]


def test_a_secret_in_a_waiver_of_a_check_is_masked() -> None:
    waiver = Waiver("SEC-06", f"rotation after launch, ticket {SECRET}", "security-lead", "cto",
                    dt.date(2027, 1, 31), ["prod"])
    doc = document([check()], waivers=[waiver])
    assert doc["checks"][0]["waiver"] is not None
    assert SECRET not in dumps(doc)


def test_a_clean_document_holds_only_json_types_and_reads_back_equal() -> None:
    doc = document([check(evidence={"measured": 19, "hosts": ["a", "b"], "limits": {"max": 30}}),
                    check(nodeid="readiness/test_app.py::test_health", outcome="passed", checklist=None)],
                   secrets=())
    assert json.loads(dumps(doc)) == doc
    assert doc["checks"][0]["evidence"] == {"measured": 19, "hosts": ["a", "b"], "limits": {"max": 30}}


def test_a_check_key_that_is_a_secret_masks_the_document_string_by_string() -> None:
    # absurd, but fail-safe: a secret equal to one of the document's own key names is masked
    # there too (the look at the check entries includes their keys)
    doc = document([check()], secrets=("rollback_trigger",))
    assert "rollback_trigger" not in dumps(doc)


def test_a_string_that_does_not_encode_becomes_a_replacement_character() -> None:
    doc = document([check(message="bad byte \udcff here", evidence={"raw": "\udcfe"})], secrets=())
    text = dumps(doc)
    text.encode("utf-8")  # no UnicodeEncodeError
    assert json.loads(text)["checks"][0]["message"] == "bad byte \ufffd here"
    assert json.loads(text)["checks"][0]["evidence"] == {"raw": "\ufffd"}
