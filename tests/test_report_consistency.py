"""Issue 11 item 13: go-no-go.json, go-no-go.html and go-no-go.md can never disagree.

- history lines that are valid JSON but not a history line are skipped and reported (terminal
  and the document's `history_problems`), never allowed to break the renderings;
- a rendering that fails is replaced by an error page showing the JSON's verdict;
- two runs writing one report folder at once are serialised by the folder's lock (real
  processes), and a writer that cannot get the lock in time is refused with a clear message.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from report_samples import sample_document

from launch_project import TODAY, make_project, report_folder
from pytest_launch.outputs.history import read_history_checked
from pytest_launch.outputs.locks import REPORT_FOLDER_LOCK, FileLock
from pytest_launch.outputs.render_all import ReportFolderBusy, write_report
from testbed.support import wait_until

CHECKS = """
import os
import pytest

@pytest.mark.blocker
def test_gate():
    assert os.environ.get("LAUNCH_TEST_OUTCOME", "pass") == "pass", "the gate is closed"
"""


@pytest.fixture(autouse=True)
def launch_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)


def folder_of(pytester: pytest.Pytester) -> Path:
    """The canonical report folder of these runs (--launch-report-dir=out, no -m: every phase)."""
    return report_folder(pytester, report_dir="out")


def verdicts(folder: Path) -> tuple[str, str, str]:
    """The verdict each of the three files shows (canonical word for JSON and HTML, the display
    word for Markdown)."""
    doc = json.loads((folder / "go-no-go.json").read_text("utf-8"))
    page = (folder / "go-no-go.html").read_text("utf-8")
    match = re.search(r'data-verdict="([A-Z_]+)"', page)
    assert match, page[:400]
    first_line = (folder / "go-no-go.md").read_text("utf-8").splitlines()[0]
    assert doc["display_verdict"].replace("-", "\\-") in first_line or doc["display_verdict"] in first_line
    return doc["verdict"], match.group(1), first_line


def agree(folder: Path) -> str:
    json_verdict, html_verdict, _ = verdicts(folder)
    assert json_verdict == html_verdict
    return json_verdict


BAD_LINES = [
    b'{"failing_blockers":"n/a"}',
    b'{"verdict":"GO","failing_blockers":1e400}',
    b"[1]",
    b'{"verdict":"GO","failing_blockers":NaN}',
    b'{"verdict":"GO","counts":{"total":"many"}}',
    b'{"verdict":"GO","failing_blockers":true}',
    b'{"verdict":"GO","blockers":"test_a"}',
    b'{"verdict":["GO"]}',
    b'"GO"',
    b"[" * 3000 + b"]" * 3000,
]


def test_bad_history_lines_are_skipped_and_reported_and_every_report_agrees(pytester, monkeypatch):
    make_project(pytester, CHECKS, checklist=None)
    folder = folder_of(pytester)
    folder.mkdir(parents=True)
    good = b'{"verdict":"GO","display_verdict":"GO","failing_blockers":0,"time":"2026-11-20T02:00:00+00:00"}'
    (folder / "history.jsonl").write_bytes(b"\n".join([good, *BAD_LINES]) + b"\n")
    for outcome, verdict in (("fail", "NO_GO"), ("pass", "GO"), ("fail", "NO_GO")):
        monkeypatch.setenv("LAUNCH_TEST_OUTCOME", outcome)
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", "--launch-report-dir=out",
                                               "--launch-gate")
        output = result.stdout.str() + result.stderr.str()
        assert "could not render" not in output and "Traceback" not in output
        assert agree(folder) == verdict
        doc = json.loads((folder / "go-no-go.json").read_text("utf-8"))
        problems = doc["history_problems"]
        assert len(problems) == len(BAD_LINES)
        assert problems[0] == "history.jsonl line 2: verdict: expected a string, found nothing (skipped)"
        assert "line 3: expected finite numbers, found a number that is not finite" in problems[1]
        assert "line 4: expected an object, found a list" in problems[2]
        assert "line 7: failing_blockers: expected an integer, found a boolean" in problems[5]
        assert "line 11: expected a JSON object, found text that is not JSON" in problems[9]
        assert "history: history.jsonl line 2: verdict: expected a string, found nothing (skipped)" in output
        assert result.ret == (1 if verdict == "NO_GO" else 0)


def test_read_history_checked_names_the_line_field_and_kind_never_the_value(tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_bytes(b'{"verdict":"GO","time":{"secret":"hunter2"}}\n{"verdict":"GO"}\n')
    history = read_history_checked(path)
    assert history.runs == [{"verdict": "GO"}]
    assert history.problems == ["history.jsonl line 1: time: expected a string or null, found an object (skipped)"]
    assert "hunter2" not in " ".join(history.problems)


RENDER_BUG = """
import pytest_launch.outputs.render_all as render_all

def broken(*args, **kwargs):
    raise ValueError("a rendering bug")

render_all.{name} = broken
"""


@pytest.mark.parametrize("name", ["render_html", "render_markdown"])
def test_a_rendering_that_fails_becomes_an_error_page_with_the_json_verdict(pytester, name):
    """A rendering bug is simulated by replacing the renderer in a conftest (a real bug in the
    templates cannot be produced on purpose from outside)."""
    make_project(pytester, {"test_checks.py": CHECKS + """

@pytest.mark.blocker
def test_hostile():
    assert False, "<script>alert(1)</script> | *bold* [x](y)"
""", "conftest.py": RENDER_BUG.format(name=name)}, checklist=None)
    folder = folder_of(pytester)
    folder.mkdir(parents=True)
    # an earlier GO page must not survive beside a NO_GO JSON
    (folder / "go-no-go.html").write_text('<div data-verdict="GO">GO</div>')
    (folder / "go-no-go.md").write_text("## GO")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", "--launch-report-dir=out")
    output = result.stdout.str() + result.stderr.str()
    assert "could not render the" in output and "(ValueError); wrote an error page" in output
    assert "a rendering bug" not in output  # the exception's text may quote the document: type only
    json_verdict, html_verdict, md_first = verdicts(folder)
    assert json_verdict == html_verdict == "NO_GO"
    assert "NO" in md_first and "GO" in md_first and md_first.startswith("## ")
    broken = folder / ("go-no-go.html" if name == "render_html" else "go-no-go.md")
    text = broken.read_text("utf-8")
    assert "could not be rendered (ValueError)" in text
    assert "<script>" not in text
    assert "hostile" in text and "alert(1)" in text  # the JSON's reasons are listed, escaped


HOLD_THE_LOCK = """
import pathlib
import time
import pytest_launch.outputs.render_all as render_all

original = render_all.render_html

def paused(doc, *args, **kwargs):
    if (doc.get("run") or {}).get("in_progress"):  # the placeholder at the run's start: not paused
        return original(doc, *args, **kwargs)
    pathlib.Path("a-is-writing").write_text("yes")
    deadline = time.monotonic() + 60
    while not pathlib.Path("release-a").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return original(doc, *args, **kwargs)

render_all.render_html = paused
"""

SEE_THE_WAIT = """
import logging
import pathlib

class Marker(logging.Handler):
    def emit(self, record):
        if "not acquired" in record.getMessage() and ".go-no-go.lock" in record.getMessage():
            pathlib.Path("b-is-waiting").write_text("yes")

logger = logging.getLogger("pytest_launch.locks")
logger.setLevel(logging.DEBUG)
logger.addHandler(Marker())
"""


def _start(root: Path, plugin: str, outcome: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LAUNCH_TEST_OUTCOME": outcome, "PYTHONPATH": _pythonpath(root)}
    return subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", plugin,
                             "--env=prod", "--launch-report-dir=out", "-q"],
                            cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _pythonpath(root: Path) -> str:
    return os.pathsep.join([str(root), *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]])


def test_two_runs_writing_one_report_folder_are_serialised_and_the_reports_agree(pytester):
    make_project(pytester, CHECKS, checklist=None)
    root = pytester.path
    (root / "hold_the_lock.py").write_text(HOLD_THE_LOCK)
    (root / "see_the_wait.py").write_text(SEE_THE_WAIT)
    # NO_GO, paused in its final write (JSON and history written, page not yet), holding the folder's lock
    first = _start(root, "hold_the_lock", "fail")
    try:
        wait_until(lambda: (root / "a-is-writing").exists() or first.poll() is not None, timeout=60)
        assert first.poll() is None, first.communicate()[0].decode()
        # GO; its first write (the in-progress placeholder) reaches the lock while the first holds it
        second = _start(root, "see_the_wait", "pass")
        try:
            wait_until(lambda: (root / "b-is-waiting").exists() or second.poll() is not None, timeout=60)
            assert second.poll() is None, "the second writer did not wait for the first: " + \
                second.communicate()[0].decode()
            # the first writer's JSON is written, its page not yet: without the lock the second run
            # would write its JSON and page into the folder now, between the first's JSON and page
            (root / "release-a").write_text("go")
            out_first = first.communicate(timeout=120)[0].decode()
            out_second = second.communicate(timeout=120)[0].decode()
        finally:
            if second.poll() is None:
                second.kill()
    finally:
        if first.poll() is None:
            first.kill()
    assert "Traceback" not in out_first + out_second
    folder = folder_of(pytester)
    assert agree(folder) == "GO", (out_first, out_second)  # the second run wrote last, all of it
    runs = read_history_checked(folder / "history.jsonl").runs
    assert [r["verdict"] for r in runs] == ["NO_GO", "GO"]


def test_a_writer_that_cannot_get_the_lock_in_time_is_refused_and_writes_nothing(tmp_path):
    folder = tmp_path / "prod"
    folder.mkdir()
    (folder / "go-no-go.json").write_text('{"verdict": "GO"}')
    with FileLock(folder / REPORT_FOLDER_LOCK, timeout=1):
        with pytest.raises(ReportFolderBusy, match="another run has been writing this report folder"):
            write_report(sample_document(5), folder, lock_timeout_s=0.2, step_summary=False)
    assert (folder / "go-no-go.json").read_text() == '{"verdict": "GO"}'
    assert not (folder / "go-no-go.html").exists()


def test_the_error_page_and_the_history_problems_never_show_a_secret(pytester, monkeypatch):
    """The secrets corpus, for this family: the error page is rendered from the redacted
    document, and a history problem names field and kind, never the value."""
    secret = "s3cr3t-Err0rPage-77"
    monkeypatch.setenv("LAUNCH_TEST_TOKEN", secret)
    make_project(pytester, {"test_checks.py": """
import pytest

@pytest.mark.blocker
def test_leaky(launch_env):
    assert False, "token was " + launch_env["custom"]["token"]
""", "conftest.py": RENDER_BUG.format(name="render_html")}, checklist=None,
                 env='[environment]\nname = "prod"\n[custom]\ntoken = "${LAUNCH_TEST_TOKEN}"\n')
    folder = folder_of(pytester)
    folder.mkdir(parents=True)
    (folder / "history.jsonl").write_text(json.dumps({"verdict": "GO", "time": {"token": secret}}) + "\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", "--launch-report-dir=out")
    output = result.stdout.str() + result.stderr.str()
    assert "could not render the HTML page" in output
    assert "history.jsonl line 1: time: expected a string or null, found an object (skipped)" in output
    for path in folder.iterdir():
        if path.name != "history.jsonl":  # the hand-edited line itself stays as it was
            assert secret not in path.read_text("utf-8"), path.name
    assert secret not in output
    assert "token was" in (folder / "go-no-go.html").read_text("utf-8")
