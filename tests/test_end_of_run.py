"""The end of a run in one pass (issue 16): the results document is built once, encoded once
(--launch-json and the report folder's go-no-go.json are the same bytes), summarised once for
the history, and the HTML, Markdown and index page are rendered from it in memory."""

from __future__ import annotations

import json

import pytest

from launch_project import make_project, read_report, report_folder

CHECKS = """
import pytest

@pytest.mark.checklist("SEC-01")
def test_certificates(launch_evidence):
    launch_evidence.record(days_left=40, threshold=30)

@pytest.mark.t_minus_7
@pytest.mark.security
@pytest.mark.blocker
@pytest.mark.owner("sec")
def test_headers():
    assert False, "no HSTS header"
"""


def test_launch_json_and_the_report_folder_hold_the_same_document(pytester: pytest.Pytester) -> None:
    make_project(pytester, CHECKS)
    folder = report_folder(pytester)
    folder.mkdir(parents=True)
    # an earlier, broken history line: reported in the document, so in both JSON files alike
    (folder / "history.jsonl").write_text('{"verdict": "GO"}\nnot json\n', encoding="utf-8")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", "--launch-json", "out.json")
    assert result.ret == 1
    copy = (pytester.path / "out.json").read_bytes()
    assert copy == (folder / "go-no-go.json").read_bytes()
    doc = read_report(pytester)
    assert doc["verdict"] == "NO_GO"
    assert doc["history_problems"] == ["history.jsonl line 2: expected a JSON object, found text that is not JSON "
                                       "(skipped)"]
    # the history line of this run: one, with the failing blocker, read by the page's trend
    lines = [json.loads(line) for line in (folder / "history.jsonl").read_text().splitlines()[2:]]
    assert [(line["verdict"], line["failing_blockers"]) for line in lines] == [("NO_GO", 3)]
    assert "test_checks.py::test_headers" in lines[0]["blockers"]
    page = (folder / "go-no-go.html").read_text()
    assert "no HSTS header" in page
    assert "NO-GO" in (folder / "go-no-go.md").read_text()
    # the index page, rendered with this run's document in memory, shows this run
    index = (folder.parent / "index.html").read_text()
    assert doc["display_verdict"] in index and doc["headline"] in index
    output = result.stdout.str()
    assert "launch reports: out.json, " in output


def test_the_index_still_reads_the_other_phases_reports(pytester: pytest.Pytester) -> None:
    """Only the report just written comes from memory: another phase's page stays listed."""
    make_project(pytester, CHECKS)
    other = report_folder(pytester, phases=["t_0"])
    other.mkdir(parents=True)
    earlier = {"verdict": "GO", "display_verdict": "GO", "headline": "all 4 checks passed (earlier t_0 run)",
               "run": {"finished": "2026-11-24T10:00:00+00:00"}, "environment": {"name": "prod"}}
    (other / "go-no-go.json").write_text(json.dumps(earlier), encoding="utf-8")
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", "-m", "t_minus_7")
    index = (other.parent / "index.html").read_text()
    assert "all 4 checks passed (earlier t_0 run)" in index
    assert read_report(pytester, folder="t_minus_7")["headline"] in index
