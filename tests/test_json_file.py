"""go-no-go.json as written (issue 16): json's C encoder, one top-level key per line and one list
entry per line, so that a diff or grep of two runs reads check by check, and the next run reads
a finished run's "run" line alone."""

from __future__ import annotations

import datetime as dt
import enum
import json
from typing import Any

import pytest
from report_samples import sample_document

from pytest_launch.core.evidence import Evidence
from pytest_launch.outputs.in_progress import _top_level_value
from pytest_launch.outputs.jsonfile import dump_bytes, read_document, write_document


def test_a_real_document_reads_back_equal_one_check_per_line() -> None:
    # a seeded document with evidence, waivers, sign-offs, durations, non-ASCII and an XSS probe
    doc = sample_document(120, payload='<script>alert("x")</script> \u2014 caf\u00e9 \u2028 line\nbreak')
    text = dump_bytes(doc).decode("utf-8")
    assert json.loads(text) == doc
    lines = text.split("\n")  # not splitlines(): U+2028 is written as itself, inside its line
    top_keys = [json.loads(line.split(":", 1)[0]) for line in lines if line.startswith(' "')]
    assert top_keys == list(doc)
    # every check is one line of its own, in order: a diff of two runs reads check by check
    check_lines = [json.loads(line.rstrip(",")) for line in lines if line.startswith('  {"nodeid"')]
    assert check_lines == doc["checks"]
    assert "caf\u00e9" in text  # written as text, not as \\u escapes
    assert text.startswith("{\n") and text.endswith("\n}\n")


def test_every_top_level_value_reads_alone_from_its_line() -> None:
    doc = sample_document(30)
    text = dump_bytes(doc).decode("utf-8")
    assert _top_level_value(text, "run") == doc["run"]
    assert _top_level_value(text, "verdict") == doc["verdict"]
    assert _top_level_value(text, "checks") is None  # a list spans lines: the caller parses whole


def test_a_nested_run_key_does_not_pass_for_the_documents_own() -> None:
    # a check whose evidence has its own "run" (in progress) inside a finished document, and the
    # other way round: the reader takes the top-level one only
    finished = {"schema_version": "1", "checks": [{"evidence": {"run": {"in_progress": "2026-11-25"}}}],
                "run": {"in_progress": None}}
    assert _top_level_value(dump_bytes(finished).decode(), "run") == {"in_progress": None}
    running = {"schema_version": "1", "checks": [{"evidence": {"run": {"in_progress": None}}}],
               "run": {"in_progress": "2026-11-25"}}
    assert _top_level_value(dump_bytes(running).decode(), "run") == {"in_progress": "2026-11-25"}
    # a string that holds what a top-level line looks like stays inside its own line
    forged = {"schema_version": "1", "message": '\n "run": {"in_progress": null}', "run": {"in_progress": "2026-11-25"}}
    assert _top_level_value(dump_bytes(forged).decode(), "run") == {"in_progress": "2026-11-25"}


class Level(enum.Enum):
    HIGH = "high"


class Label(str):
    """A str subclass: written as its text."""


@pytest.mark.parametrize("value", [2 ** 70, {1: "a", "b": 2}, Label("sub-classed")],
                         ids=["int past 64 bits", "int key", "str subclass"])
def test_values_past_the_plain_ones_are_written_as_json_writes_them(value: Any) -> None:
    doc = {"schema_version": "1", "checks": [{"nodeid": "t.py::test_a", "evidence": {"measured": value}}]}
    assert json.loads(dump_bytes(doc))["checks"][0]["evidence"]["measured"] == json.loads(json.dumps(value))


def test_floats_are_written_as_the_same_numbers() -> None:
    values = [1.5, -0.0, 0.1 + 0.2, 1e16, 1e-7, 5e-324, 1.7976931348623157e308, 100.0, 12345678901234567.0]
    doc = {"schema_version": "1", "checks": [{"nodeid": "t.py::test_a", "duration_s": 0.0012, "evidence": values}]}
    written = json.loads(dump_bytes(doc))
    assert written == doc
    assert [repr(v) for v in written["checks"][0]["evidence"]] == [repr(v) for v in values]  # -0.0 stays -0.0


def test_a_value_json_refuses_never_becomes_a_half_written_file(tmp_path: Any) -> None:
    # NaN is not JSON: the encoder refuses it rather than write a file other tools cannot read;
    # evidence never holds one (next test), and the previous file stays whole
    target = tmp_path / "go-no-go.json"
    write_document(target, {"schema_version": "1", "run": {"in_progress": None}})
    with pytest.raises(ValueError):
        write_document(target, {"schema_version": "1", "checks": [{"evidence": {"rate": float("nan")}}]})
    assert json.loads(target.read_text("utf-8")) == {"schema_version": "1", "run": {"in_progress": None}}
    assert [p.name for p in tmp_path.iterdir()] == ["go-no-go.json"]  # no temporary file left


def test_evidence_json_could_not_write_reaches_the_document_as_text() -> None:
    evidence = Evidence()
    evidence.record(error_rate=float("nan"), p99=float("inf"), level=Level.HIGH, ok=1.5)
    doc = {"schema_version": "1", "checks": [{"nodeid": "t.py::test_a", "evidence": evidence.values}]}
    assert json.loads(dump_bytes(doc))["checks"][0]["evidence"] == {"error_rate": "nan", "p99": "inf",
                                                                    "level": "Level.HIGH", "ok": 1.5}


def test_a_document_written_reads_back_valid(tmp_path: Any) -> None:
    doc = sample_document(12)
    write_document(tmp_path / "go-no-go.json", doc)
    assert read_document(tmp_path / "go-no-go.json") == doc


def test_a_document_built_as_the_plugin_builds_it_is_written_masked() -> None:
    # checks with evidence (an int past 64 bits, NaN), a waiver, a sign-off, a failing and a
    # missing check: the secret is masked everywhere, keys included, before the encoder sees it
    from pytest_launch.config.policy import Policy
    from pytest_launch.core.decision import decide
    from pytest_launch.core.model import ChecklistItem, CheckResult, RunInfo, Signoff, Waiver
    from pytest_launch.core.redact import Redactor
    from pytest_launch.outputs import jsonfile

    secret, today = "hunter2-launch-token-XYZ", dt.date(2026, 11, 25)
    items = [ChecklistItem("SEC-06", "Secrets rotated", "t_minus_7", "security", "critical", "security-lead"),
             ChecklistItem("OPS-01", "On-call staffed", "t_minus_7", "monitoring", "critical", "sre", mode="manual")]
    evidence = Evidence()
    evidence.record(days_left=12, threshold=30, hosts=["a", "b"], ratio=0.25, error_rate=float("nan"),
                    bytes=2 ** 70, token=secret)
    checks = [CheckResult("readiness/test_tls.py::test_expiry", "failed", phase="t_minus_7", category="security",
                          severity="critical", owner="security-lead", checklist="SEC-06", duration_s=0.0123,
                          evidence={**evidence.values, secret: 1}, message=f"AssertionError: token {secret} expires"),
              CheckResult("readiness/test_app.py::test_health", "missing", phase="t_minus_7", severity="blocker")]
    waivers = [Waiver("SEC-06", "rotation after launch", "security-lead", "cto", dt.date(2027, 1, 31), ["prod"])]
    signoffs = [Signoff("OPS-01", "sre-lead", today, "https://wiki.example/oncall", environments=["prod"])]
    run = RunInfo(started="2026-11-25T02:00:00+00:00", markexpr="t_minus_7", judged_on=today.isoformat(),
                  environments=["prod"], duration_s=12.5)
    decision = decide(checks, items, waivers, signoffs, run, Policy(), today)
    doc = jsonfile.build_document(decision, checks, items, run, Policy(), {"name": "prod", "production": True},
                                  Redactor([secret]))
    text = dump_bytes(doc).decode("utf-8")
    written = json.loads(text)
    assert written == doc and written["checks"][0]["evidence"]["error_rate"] == "nan"
    assert str(2 ** 70) in text
    assert secret.lower() not in text.lower() and "***" in text
    assert written["verdict"] == "NO_GO"
