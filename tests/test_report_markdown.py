"""go-no-go.md and the GitHub step summary."""

from __future__ import annotations

import datetime as dt
import re

from report_samples import sample_document

from pytest_launch.outputs.digest import digest
from pytest_launch.outputs.history import history_entry
from pytest_launch.outputs.markdown import MAX_OWNERS, MAX_PER_OWNER, md_escape, render_markdown, write_step_summary


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


def test_every_list_is_capped_on_its_own_and_says_how_many_more_with_the_link():
    doc = sample_document(2000)
    url = "https://reports.example/launch/prod/t_minus_7/go-no-go.html"
    doc["report_url"] = url
    text = render_markdown(doc)
    summary = digest(doc)
    assert len(summary.todos) > MAX_PER_OWNER and summary.accepted and summary.notes
    # each owner's list is capped by itself, and says how many more and where
    for group in summary.groups[:MAX_OWNERS]:
        assert f"**{md_escape(group.owner)}** ({len(group.todos)})" in text
        if len(group.todos) > MAX_PER_OWNER:
            assert f"- … and {len(group.todos) - MAX_PER_OWNER} more on [the full report](<{url}>)" in text
    # the accepted risk reaches the chat however long the to-do list is (the lists share no cap)
    assert f"### Accepted risks ({len(summary.accepted)})" in text
    assert "accepted by cto until" in text
    assert f"### Notes ({len(summary.notes)})" in text
    assert text.count(f"(<{url}>)") >= 2  # the meta line and the last line link the page
    assert len(text) < 12000


def test_without_a_report_url_the_caps_point_at_the_file():
    doc = sample_document(2000)
    text = render_markdown(doc)
    assert "more in go-no-go.html" in text and "full report" not in text


def test_owner_grouped_todos_most_severe_owner_first():
    doc = sample_document(200)
    text = render_markdown(doc)
    summary = digest(doc)
    owners = [g.owner for g in summary.groups]
    positions = [text.index(f"**{md_escape(owner)}** (") for owner in owners[:MAX_OWNERS]]
    assert positions == sorted(positions)
    assert "sign off **MON-06** On-call rotation set up" in text
    assert text.index("### Before GO") < text.index("### Accepted risks") < text.index("| total |")


def test_changes_since_the_previous_run_from_the_history():
    doc = sample_document(40, fail_rate=0.0)
    earlier = sample_document(40, fail_rate=0.0, started=dt.datetime(2025, 3, 2, 2, 0, tzinfo=dt.timezone.utc))
    text = render_markdown(doc, [history_entry(earlier)])
    assert "**Since the previous run** (2025-03-02T02:00" in text
    assert "verdict unchanged (NO-GO); 0 newly failing, 0 fixed, 4 still failing" in text
    assert "Since the previous run" not in render_markdown(doc)


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


def test_a_todo_names_the_item_and_title_once_and_the_failure_in_plain_words():
    doc = sample_document(10)
    doc["reasons"] = [{"code": "failed", "blocking": True, "nodeid": "t.py::test_tls",
                       "checklist": "SEC-01", "owner": "sec", "title": "TLS certificates valid",
                       "text": "FAILED t.py::test_tls [SEC-01, owner sec]: expired",
                       "message": "AssertionError: certificate expires in 3 days",
                       "evidence": {"measured": 3, "threshold": ">= 30"}}]
    text = render_markdown(doc)
    (line,) = [line for line in text.splitlines() if line.startswith("- **SEC-01**")]
    assert line.count("SEC-01") == 1 and "AssertionError" not in line
    assert "certificate expires in 3 days (measured 3, threshold &gt;= 30)" in line
    assert "**sec** (1)" in text
