"""go-no-go.json as written (issue 16): orjson encodes the whole document in one call; whatever
orjson refuses is written by json in the same layout, so the file is what json writes either way
(but for the exponent of a tiny float: 1e-7, json 1e-07)."""

from __future__ import annotations

import datetime as dt
import enum
import json
from typing import Any

import pytest
from report_samples import sample_document

from pytest_launch.core.evidence import Evidence
from pytest_launch.outputs.in_progress import _top_level_value
from pytest_launch.outputs.jsonfile import dump_bytes, dumps_with_json, read_document, write_document


def test_the_file_is_what_json_writes_for_a_real_document() -> None:
    # a seeded document with evidence, waivers, sign-offs, durations, non-ASCII and an XSS probe
    doc = sample_document(120, payload='<script>alert("x")</script> \u2014 caf\u00e9 \u2028')
    written = dump_bytes(doc)
    assert written == dumps_with_json(doc).encode("utf-8")
    assert json.loads(written) == doc


def test_every_top_level_key_is_at_two_spaces_and_the_run_reads_alone() -> None:
    doc = sample_document(30)
    text = dump_bytes(doc).decode("utf-8")
    top_keys = [json.loads(line.split(":", 1)[0]) for line in text.splitlines() if line.startswith('  "')]
    assert top_keys == list(doc)  # every deeper line is indented further
    assert all(line.startswith((" ", "{", "}")) for line in text.splitlines())
    assert _top_level_value(text, "run") == doc["run"]
    assert _top_level_value(text, "verdict") == doc["verdict"]
    assert _top_level_value(text, "checks") == doc["checks"]
    assert text.endswith("\n}\n")


def test_a_nested_run_key_does_not_pass_for_the_documents_own() -> None:
    # a check whose evidence has its own "run" (in progress) inside a finished document, and the
    # other way round: the reader takes the top-level one only
    finished = {"schema_version": "1", "checks": [{"evidence": {"run": {"in_progress": "2026-11-25"}}}],
                "run": {"in_progress": None}}
    assert _top_level_value(dump_bytes(finished).decode(), "run") == {"in_progress": None}
    running = {"schema_version": "1", "checks": [{"evidence": {"run": {"in_progress": None}}}],
               "run": {"in_progress": "2026-11-25"}}
    assert _top_level_value(dump_bytes(running).decode(), "run") == {"in_progress": "2026-11-25"}


class Level(enum.Enum):
    HIGH = "high"


class Label(str):
    """A str subclass: json writes it as its text; orjson (told to pass subclasses) refuses it."""


@pytest.mark.parametrize("value", [
    2 ** 70,  # past orjson's 64 bits
    {1: "a", "b": 2},  # a key that is not a string
    Label("sub-classed"),
], ids=["big int", "int key", "str subclass"])
def test_what_orjson_refuses_is_written_by_json_in_the_same_layout(value: Any) -> None:
    doc = {"schema_version": "1", "checks": [{"nodeid": "t.py::test_a", "evidence": {"measured": value}}]}
    written = dump_bytes(doc)
    assert written == dumps_with_json(doc).encode("utf-8")
    assert json.loads(written)["checks"][0]["evidence"]["measured"] == json.loads(json.dumps(value))


def test_floats_are_written_as_the_same_numbers() -> None:
    # the one difference of orjson's text from json's: a tiny float's exponent (1e-7, json 1e-07)
    values = [1.5, -0.0, 0.1 + 0.2, 1e16, 1e-7, 5e-324, 1.7976931348623157e308, 100.0, 12345678901234567.0]
    doc = {"schema_version": "1", "checks": [{"nodeid": "t.py::test_a", "duration_s": 0.0012, "evidence": values}]}
    written = json.loads(dump_bytes(doc))
    assert written == json.loads(dumps_with_json(doc)) == doc
    assert [repr(v) for v in written["checks"][0]["evidence"]] == [repr(v) for v in values]  # -0.0 stays -0.0


def test_evidence_json_could_not_write_reaches_the_document_as_text() -> None:
    # orjson would write NaN as null and an enum as its value, where json refuses both: no such
    # value reaches a document, because evidence is kept as built-in types (core.evidence)
    evidence = Evidence()
    evidence.record(error_rate=float("nan"), p99=float("inf"), level=Level.HIGH, ok=1.5)
    doc = {"schema_version": "1", "checks": [{"nodeid": "t.py::test_a", "evidence": evidence.values}]}
    written = dump_bytes(doc)
    assert written == dumps_with_json(doc).encode("utf-8")
    assert json.loads(written)["checks"][0]["evidence"] == {"error_rate": "nan", "p99": "inf", "level": "Level.HIGH",
                                                            "ok": 1.5}


def test_a_document_written_reads_back_valid(tmp_path: Any) -> None:
    doc = sample_document(12)
    write_document(tmp_path / "go-no-go.json", doc)
    assert read_document(tmp_path / "go-no-go.json") == doc


def test_a_document_of_a_run_takes_orjsons_path_not_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    # json's indented encoder is pure Python and many times slower: a document as the plugin
    # builds it (checks with evidence, a waiver, a sign-off, a failing and a missing check,
    # masked) must never need it
    from pytest_launch.config.policy import Policy
    from pytest_launch.core.decision import decide
    from pytest_launch.core.model import ChecklistItem, CheckResult, RunInfo, Signoff, Waiver
    from pytest_launch.core.redact import Redactor
    from pytest_launch.outputs import jsonfile

    today = dt.date(2026, 11, 25)
    items = [ChecklistItem("SEC-06", "Secrets rotated", "t_minus_7", "security", "critical", "security-lead"),
             ChecklistItem("OPS-01", "On-call staffed", "t_minus_7", "monitoring", "critical", "sre", mode="manual")]
    evidence = Evidence()
    evidence.record(days_left=12, threshold=30, hosts=["a", "b"], ratio=0.25, error_rate=float("nan"))
    checks = [CheckResult("readiness/test_tls.py::test_expiry", "failed", phase="t_minus_7", category="security",
                          severity="critical", owner="security-lead", checklist="SEC-06", duration_s=0.0123,
                          evidence=evidence.values, message="AssertionError: token hunter2-abc expires"),
              CheckResult("readiness/test_app.py::test_health", "missing", phase="t_minus_7", severity="blocker")]
    waivers = [Waiver("SEC-06", "rotation after launch", "security-lead", "cto", dt.date(2027, 1, 31), ["prod"])]
    signoffs = [Signoff("OPS-01", "sre-lead", today, "https://wiki.example/oncall", environments=["prod"])]
    run = RunInfo(started="2026-11-25T02:00:00+00:00", markexpr="t_minus_7", judged_on=today.isoformat(),
                  environments=["prod"], duration_s=12.5)
    decision = decide(checks, items, waivers, signoffs, run, Policy(), today)
    doc = jsonfile.build_document(decision, checks, items, run, Policy(), {"name": "prod", "production": True},
                                  Redactor(["hunter2-abc"]))

    def no_fallback(doc: dict[str, Any]) -> str:
        raise AssertionError("orjson refused a document the plugin built")

    monkeypatch.setattr(jsonfile, "dumps_with_json", no_fallback)
    written = json.loads(dump_bytes(doc))
    assert written == doc and written["checks"][0]["evidence"]["error_rate"] == "nan"
    assert "hunter2-abc" not in dump_bytes(doc).decode()


def test_a_secret_is_masked_on_jsons_path_too() -> None:
    # the document is masked before it is encoded, whichever encoder writes it: an int past 64
    # bits beside the secret sends this one through json
    from pytest_launch.config.policy import Policy
    from pytest_launch.core.decision import decide
    from pytest_launch.core.model import CheckResult, RunInfo
    from pytest_launch.core.redact import Redactor
    from pytest_launch.outputs.jsonfile import build_document

    secret, today = "hunter2-launch-token-XYZ", dt.date(2026, 11, 25)
    checks = [CheckResult("t.py::test_a", "failed", phase="t_minus_7", severity="blocker",
                          evidence={"bytes": 2 ** 70, "token": secret, secret: 1}, message=f"token {secret} leaked")]
    run = RunInfo(started="2026-11-25T02:00:00+00:00", judged_on=today.isoformat(), environments=["prod"])
    doc = build_document(decide(checks, [], [], [], run, Policy(), today), checks, [], run, Policy(),
                         {"name": "prod", "production": True}, Redactor([secret]))
    text = dump_bytes(doc).decode()
    assert str(2 ** 70) in text  # json wrote it
    assert secret.lower() not in text.lower() and "***" in text
    assert json.loads(text)["verdict"] == "NO_GO"
