"""A run that never finishes never leaves the previous GO in place (issue 11, item 7): before any
check runs, the report the run will write is replaced by an "in progress since …, never
finished" NO_GO page; the end of the run replaces it; the next run records the one that never
finished in the history. Real processes: SIGTERM, SIGKILL and os._exit(0) inside a check."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from launch_project import MON06_SIGNED, TODAY, make_project

CHECKS = """
import os
import time
from pathlib import Path
import pytest

@pytest.mark.checklist("SEC-01")
def test_tls():
    mode = os.environ.get("HANG_MODE")
    if mode:
        Path("check-started").write_text(str(os.getpid()))
        if mode == "exit":
            os._exit(0)
        if mode == "wait":  # until the test creates "release" (bounded: the test's deadline is 60 s)
            for _ in range(2400):
                if Path("release").exists():
                    return
                time.sleep(0.05)
        time.sleep(120)

@pytest.mark.checklist("PERF-02")
def test_cache():
    pass
"""

SIGNED = MON06_SIGNED

DEADLINE_S = 60.0


@pytest.fixture(autouse=True)
def launch_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)
    monkeypatch.delenv("HANG_MODE", raising=False)


def start(root: Path, *args: str, mode: str | None = None) -> subprocess.Popen:
    env = dict(os.environ)
    if mode:
        env["HANG_MODE"] = mode
    return subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--env=prod",
                             "--launch-gate", "-m", "t_minus_7", *args],
                            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def page(root: Path, folder: str = "t_minus_7") -> dict:
    return json.loads((root / "reports" / "prod" / folder / "go-no-go.json").read_text())


def history(root: Path, folder: str = "t_minus_7") -> list[dict]:
    path = root / "reports" / "prod" / folder / "history.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL", "os._exit(0)"])
@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["plain", "xdist"])
def test_a_killed_run_leaves_an_in_progress_no_go_not_the_previous_go(pytester, how, workers):
    make_project(pytester, CHECKS, signoffs=SIGNED)
    root = pytester.path
    assert start(root, *workers).wait(timeout=DEADLINE_S) == 0
    assert page(root)["verdict"] == "GO"

    process = start(root, *workers, mode="exit" if how == "os._exit(0)" else "hang")
    marker = root / "check-started"
    wait_for(marker.exists, "the check to start")
    if how == "os._exit(0)":
        process.wait(timeout=DEADLINE_S)
        if workers:  # the worker died: xdist may replace it and go on; stop the whole run
            process.send_signal(signal.SIGKILL)
    else:
        # the whole process group of the run (the controller and, under xdist, its workers)
        target = int(marker.read_text()) if workers else process.pid
        os.kill(target, getattr(signal, how))
        process.send_signal(getattr(signal, how))
    process.wait(timeout=DEADLINE_S)

    doc = page(root)
    if not workers or how != "os._exit(0)":
        assert doc["verdict"] == "NO_GO", doc["headline"]
        assert doc["run"]["in_progress"] and "never finished" in doc["headline"]
        html = (root / "reports" / "prod" / "t_minus_7" / "go-no-go.html").read_text()
        assert "IN PROGRESS since" in html and 'data-verdict="NO_GO"' in html
        assert "never finished" in (root / "reports" / "prod" / "index.html").read_text()
    else:  # xdist survived the worker's os._exit; killed afterwards or finished with a crashed worker
        assert doc["verdict"] == "NO_GO"
    # a run that never finished has no history line yet; one that finished (xdist replaced the
    # worker that called os._exit) recorded its NO_GO
    assert [h["verdict"] for h in history(root)] == (["GO"] if doc["run"].get("in_progress") else ["GO", "NO_GO"])

    # the next run records the one that never finished, then replaces the page with its own
    marker.unlink()
    assert start(root, *workers).wait(timeout=DEADLINE_S) == 0
    assert page(root)["verdict"] == "GO"
    verdicts = [h["verdict"] for h in history(root)]
    assert verdicts == ["GO", "NO_GO", "GO"]


def test_a_killed_partial_run_leaves_its_placeholder_in_partial_only(pytester):
    make_project(pytester, CHECKS, signoffs=SIGNED)
    root = pytester.path
    assert start(root).wait(timeout=DEADLINE_S) == 0
    before = (root / "reports" / "prod" / "t_minus_7" / "go-no-go.json").read_bytes()
    process = start(root, "-k", "tls", mode="hang")
    wait_for((root / "check-started").exists, "the check to start")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=DEADLINE_S)
    assert (root / "reports" / "prod" / "t_minus_7" / "go-no-go.json").read_bytes() == before
    partial = page(root, "partial")
    assert partial["verdict"] == "NO_GO" and partial["run"]["in_progress"]


def test_the_end_of_the_run_replaces_the_placeholder(pytester):
    make_project(pytester, CHECKS, signoffs=SIGNED)
    out = pytester.path / "result.json"
    assert start(pytester.path, f"--launch-json={out}").wait(timeout=DEADLINE_S) == 0
    for doc in (page(pytester.path), json.loads(out.read_text())):
        assert doc["verdict"] == "GO" and doc["run"]["in_progress"] is None
    assert [h["verdict"] for h in history(pytester.path)] == ["GO"]


def test_an_overlapping_run_is_live_not_never_finished(pytester):
    """Two runs writing the same report folder: the second one's start finds the first one's
    placeholder, but the first still holds its run lock: it is live, so no "never finished"
    history line is written and the second run says another run is in progress. Before: a
    false NO_GO "never finished" line for a run that then finished GO."""
    make_project(pytester, CHECKS, signoffs=SIGNED)
    root = pytester.path
    first = start(root, mode="wait")
    wait_for((root / "check-started").exists, "the first run's check to start")
    assert page(root)["run"]["in_progress"]  # the first run's placeholder, live
    second = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--env=prod", "--launch-gate",
                             "-m", "t_minus_7"], cwd=root, env=dict(os.environ), capture_output=True, text=True,
                            timeout=DEADLINE_S)
    assert second.returncode == 0, second.stdout[-2000:]
    assert "another run is in progress since" in second.stdout
    (root / "release").write_text("")
    assert first.wait(timeout=DEADLINE_S) == 0
    assert [h["verdict"] for h in history(root)] == ["GO", "GO"]  # no NO_GO "never finished" line
    assert page(root)["verdict"] == "GO" and not page(root)["run"].get("in_progress")
    # the locks are gone with their runs: a killed run after them is dead, and recorded as such
    assert not list((root / "reports" / "prod" / "t_minus_7").glob(".launch-run-*.lock"))
    (root / "check-started").unlink()
    killed = start(root, mode="hang")
    wait_for((root / "check-started").exists, "the third run's check to start")
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=DEADLINE_S)
    third = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--env=prod", "--launch-gate",
                            "-m", "t_minus_7"], cwd=root, env=dict(os.environ), capture_output=True, text=True,
                           timeout=DEADLINE_S)
    assert third.returncode == 0 and "another run is in progress" not in third.stdout
    assert [h["verdict"] for h in history(root)] == ["GO", "GO", "NO_GO", "GO"]


def finished_document(**run: object) -> dict:
    return {"schema_version": "1", "verdict": "GO", "run": {"started": "2026-11-25T02:00:00+00:00", **run},
            "checks": [{"nodeid": f"t.py::test_{n}", "outcome": "passed"} for n in range(3)]}


@pytest.mark.parametrize("layout", ["ours", "indented by two", "one line", "four spaces"])
def test_the_previous_report_is_read_as_a_placeholder_only_when_it_is_one(tmp_path: Path, layout: str) -> None:
    # the next run reads only the "run" line of a finished run's (large) document; a document
    # laid out otherwise (indented by two spaces, as a development version wrote it through
    # orjson; edited by hand; written by another tool) is read whole, as before
    from pytest_launch.outputs.in_progress import _read_placeholder
    from pytest_launch.outputs.jsonfile import dump_bytes

    def write(doc: dict) -> Path:
        text = {"ours": lambda d: dump_bytes(d).decode("utf-8"), "indented by two": lambda d: json.dumps(d, indent=2),
                "one line": json.dumps, "four spaces": lambda d: json.dumps(d, indent=4)}[layout](doc)
        (tmp_path / "go-no-go.json").write_text(text, "utf-8")
        return tmp_path / "go-no-go.json"

    read_by_key = layout == "ours"
    finished = _read_placeholder(write(finished_document(in_progress=None)))
    assert finished is None if read_by_key else finished["run"]["in_progress"] is None
    placeholder = finished_document(in_progress="2026-11-25T02:00:00+00:00")
    assert _read_placeholder(write(placeholder)) == placeholder
    (tmp_path / "go-no-go.json").write_text('{"run": {"in_progress": "2026', "utf-8")  # cut short
    assert _read_placeholder(tmp_path / "go-no-go.json") is None
    ours = dump_bytes(placeholder).decode("utf-8")  # ours, cut short inside its "run" line
    (tmp_path / "go-no-go.json").write_text(ours[:ours.index('"in_progress"') + 5], "utf-8")
    assert _read_placeholder(tmp_path / "go-no-go.json") is None


def test_the_placeholder_pages_are_short_escaped_and_wait_for_the_folder_lock(tmp_path: Path) -> None:
    """The placeholder's own writer: the JSON, a page and a summary that show its verdict and
    reasons with every string escaped, and the --launch-json copy; like every writer of a report
    folder it holds the folder's lock, and a folder held by another writer is left as it was."""
    from pytest_launch.outputs.in_progress import write_placeholder
    from pytest_launch.outputs.locks import REPORT_FOLDER_LOCK, FileLock, LockTimeout

    doc = {"schema_version": "1", "verdict": "NO_GO", "display_verdict": "NO_GO",
           "headline": "in progress since 2026-11-25T02:00:00+00:00, never finished",
           "run": {"in_progress": "2026-11-25T02:00:00+00:00"},
           "reasons": [{"blocking": True, "text": "partial: only <script>alert(1)</script> *named*"}]}
    folder, copy = tmp_path / "reports" / "prod" / "t_minus_7", tmp_path / "out.json"
    written = write_placeholder(doc, folder, json_copy=copy)
    assert [p.name for p in written] == ["go-no-go.json", "go-no-go.html", "go-no-go.md", "out.json"]
    assert json.loads((folder / "go-no-go.json").read_text()) == json.loads(copy.read_text()) == doc
    page = (folder / "go-no-go.html").read_text()
    assert 'data-verdict="NO_GO"' in page and "IN PROGRESS since 2026-11-25T02:00:00+00:00" in page
    assert "content=\"default-src 'none'\"" in page  # text only: nothing to load, nothing to run
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    summary = (folder / "go-no-go.md").read_text()
    assert summary.startswith("## NO\\_GO") and "IN PROGRESS since" in summary
    assert "<script>" not in summary and "\\*named\\*" in summary
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.name.startswith("go-no-go")}
    with FileLock(folder / REPORT_FOLDER_LOCK, timeout=1), \
            pytest.MonkeyPatch.context() as patch:
        patch.setattr("pytest_launch.outputs.in_progress.REPORT_LOCK_TIMEOUT_S", 0.2)
        with pytest.raises(LockTimeout):
            write_placeholder({**doc, "verdict": "GO"}, folder)
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.name.startswith("go-no-go")} == before
