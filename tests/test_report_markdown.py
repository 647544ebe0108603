"""go-no-go.md and the GitHub step summary."""

from __future__ import annotations

import re

from report_samples import sample_document

from pytest_launch.outputs.markdown import md_escape, render_markdown, write_step_summary


def test_verdict_environment_and_counts():
    doc = sample_document(40)
    text = render_markdown(doc)
    first = text.splitlines()[0]
    assert first.startswith("## ") and "NO-GO" in first and "prod" in first
    table = [line for line in text.splitlines() if line.startswith("|")]
    assert len(table) == 3
    header = [c.strip() for c in table[0].strip("|").split("|")]
    values = [c.strip() for c in table[2].strip("|").split("|")]
    counts = dict(zip(header, values))
    assert counts["total"] == str(doc["summary"]["total"])
    assert counts["blocking failures"] == str(doc["summary"]["blocking_failures"])
    assert "[CI run](<https://github.com/musicconnect/launch/actions/runs/1234>)" in text


def test_blocking_reasons_first_and_capped():
    doc = sample_document(2000)
    blocking = [r for r in doc["reasons"] if r["blocking"]]
    assert len(blocking) > 10
    text = render_markdown(doc, max_reasons=10)
    assert text.index("**Blocking") < text.index("and ")
    assert f"**Blocking ({len(blocking)})**" in text
    assert f"- … and {len(blocking) - 10} more" in text
    assert "**Risks and notes" in text  # listed, all cut
    assert len(text.splitlines()) < 40
    assert len(text) < 6000


def test_stage_run_reads_proceed_or_hold():
    text = render_markdown(sample_document(20, stage=25))
    assert "HOLD" in text.splitlines()[0] and "stage 25 %" in text


def test_incomplete_run_is_flagged():
    text = render_markdown(sample_document(20, complete=False))
    assert "Incomplete evidence" in text and "worker gw1 crashed" in text


def test_hostile_test_ids_cannot_inject_html_or_break_the_table():
    payload = "<script>alert(1)</script> | x | <img src=x onerror=y> [link](javascript:z) `code`"
    doc = sample_document(40, payload=payload)
    doc["reasons"][0]["nodeid"] = payload
    doc["reasons"][0]["text"] = "line one\n| a | b |\nline three"
    doc["environment"]["name"] = payload
    text = render_markdown(doc)
    assert "<script" not in text and "<img" not in text
    assert "&lt;script&gt;" in text
    assert not re.search(r"(?<!\\)\]\(javascript", text)  # the link stays literal text
    for line in text.splitlines():
        if line.startswith("|"):
            assert line.count("|") - line.count("\\|") == 10  # 9 columns
        else:
            assert " | " not in line.replace("\\|", "")
    assert "line one | a" not in text


def test_md_escape():
    assert md_escape("a|b") == "a\\|b"
    assert md_escape("<b>&") == "&lt;b&gt;&amp;"
    assert md_escape("x" * 300, limit=10) == "x" * 9 + "…"
    assert md_escape("two\nlines") == "two lines"
    assert md_escape(None) == ""


def test_step_summary_appends_when_set(tmp_path, monkeypatch):
    target = tmp_path / "summary.md"
    target.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(target))
    assert write_step_summary("## GO")
    assert target.read_text() == "earlier step\n## GO\n"
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    assert not write_step_summary("## GO")
    assert target.read_text() == "earlier step\n## GO\n"


def test_reason_line_does_not_repeat_what_the_decision_text_says():
    doc = sample_document(10)
    doc["reasons"] = [{"code": "failed", "blocking": True, "nodeid": "t.py::test_tls",
                       "checklist": "SEC-01", "owner": "sec",
                       "text": "FAILED t.py::test_tls [SEC-01, owner sec]: expired",
                       "evidence": {"measured": 3, "threshold": ">= 30"}}]
    (line,) = [line for line in render_markdown(doc).splitlines() if line.startswith("- ")]
    assert line.count("test\\_tls") == 1 and line.count("owner sec") == 1
    assert line.startswith("- **SEC-01**") and "(measured: 3; threshold: &gt;= 30)" in line
