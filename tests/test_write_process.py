"""The end of a run's outputs written by a child process while pytest prints its summary
(outputs/write_process.py, issue 16): what the child writes and tells is what writing in-process
writes and tells, and every way the child can fail fails the run, as an unwritable report does.

The mechanism's own tests run in fresh interpreters (`python -c`): this test process may be an
xdist worker, with threads a fork must not copy. The plugin's run real pytest subprocesses,
where the child is used (Linux, two CPUs or more), and in-process runs with --junitxml, where
the report is written before the JUnit file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from launch_project import CAN_FORK_WRITER, make_project, report_folder


def _python(snippet: str) -> subprocess.CompletedProcess[str]:
    """MECHANISM and then `snippet`, in a fresh interpreter."""
    return subprocess.run([sys.executable, "-c", MECHANISM + textwrap.dedent(snippet)], capture_output=True,
                          text=True, timeout=60, check=False)


MECHANISM = """
import errno, json, os, sys, threading
from pathlib import Path
from pytest_launch.outputs.write_process import ReportWriterFailed, fork_is_safe, start_write

def report(pending):
    try:
        document, written = pending.wait()
    except ReportWriterFailed as exc:
        print(json.dumps({"failed": exc.strerror}))
    except OSError as exc:
        print(json.dumps({"oserror": [exc.errno, exc.strerror, exc.filename]}))
    else:
        print(json.dumps({"written": [str(p) for p in written], "document": document, "parent": os.getpid()}))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork: POSIX only (elsewhere the outputs are written in-process)")
class TestTheChild:
    def test_tells_the_parent_the_documents_top_level_and_what_it_wrote(self, tmp_path) -> None:
        out = _python(f"""
            def write():
                path = Path({str(tmp_path)!r}) / f"written-by-{{os.getpid()}}"
                path.write_text("x")
                return {{"verdict": "NO_GO", "reasons": [{{"code": "failed", "text": "caf\u00e9 \u2014 \U0001f680"}}],
                         "history_problems": ["history.jsonl line 2: not JSON (skipped)"]}}, [path]
            report(start_write(write, in_child=True))
            """)
        told = json.loads(out.stdout)
        assert told["document"] == {"verdict": "NO_GO", "reasons": [{"code": "failed", "text": "caf\u00e9 \u2014 \U0001f680"}],
                                    "history_problems": ["history.jsonl line 2: not JSON (skipped)"]}
        [written] = told["written"]
        assert written.startswith(str(tmp_path / "written-by-"))
        assert int(written.rsplit("-", 1)[1]) != told["parent"]  # another process wrote it
        assert os.path.exists(written)

    def test_an_oserror_in_the_child_is_raised_in_the_parent_as_it_was(self, tmp_path) -> None:
        out = _python(f"""
            def write():
                raise OSError(errno.ENOSPC, "No space left on device", {str(tmp_path / "go-no-go.html")!r})
            report(start_write(write, in_child=True))
            """)
        assert json.loads(out.stdout) == {"oserror": [28, "No space left on device", str(tmp_path / "go-no-go.html")]}

    def test_a_bug_in_the_child_fails_the_write_and_leaves_its_traceback(self) -> None:
        out = _python("""
            def write():
                raise KeyError("verdict")
            report(start_write(write, in_child=True))
            """)
        told = json.loads(out.stdout)
        assert "stopped on KeyError" in told["failed"] and "may be incomplete" in told["failed"]
        assert "Traceback" in out.stderr and "KeyError: 'verdict'" in out.stderr

    def test_a_child_killed_while_writing_fails_the_write(self) -> None:
        out = _python("""
            import signal
            def write():
                os.kill(os.getpid(), signal.SIGKILL)
            report(start_write(write, in_child=True))
            """)
        told = json.loads(out.stdout)
        assert "killed by SIGKILL" in told["failed"]

    def test_a_document_that_does_not_encode_is_a_bug_in_the_child(self) -> None:
        out = _python("""
            report(start_write(lambda: ({"verdict": object()}, []), in_child=True))
            """)
        assert "stopped on TypeError" in json.loads(out.stdout)["failed"]
        assert "is not JSON serializable" in out.stderr  # its traceback

    def test_a_child_that_sends_no_document_fails_the_write(self) -> None:
        out = _python("""
            report(start_write(lambda: (["GO"], []), in_child=True))
            """)
        assert "sent no results document" in json.loads(out.stdout)["failed"]

    def test_a_child_that_exits_without_a_word_fails_the_write(self) -> None:
        out = _python("""
            def write():
                os._exit(0)
            report(start_write(write, in_child=True))
            """)
        assert "without saying how it went" in json.loads(out.stdout)["failed"]

    def test_output_buffered_before_the_fork_is_printed_once(self) -> None:
        out = _python("""
            sys.stdout.write("before the fork\\n")  # buffered: stdout is a pipe here
            report(start_write(lambda: ({}, []), in_child=True))
            """)
        assert out.stdout.count("before the fork") == 1

    def test_in_process_when_asked_and_its_errors_are_raised_at_once(self, tmp_path) -> None:
        out = _python(f"""
            def write():
                raise OSError(errno.EACCES, "Permission denied", {str(tmp_path)!r})
            try:
                start_write(write, in_child=False)
            except OSError as exc:
                print(json.dumps({{"raised": exc.errno}}))
            pending = start_write(lambda: ({{"verdict": "GO"}}, [Path("x")]), in_child=False)
            document, written = pending.wait()
            print(json.dumps({{"in_child": pending.in_child, "document": document, "written": [str(p) for p in written]}}))
            """)
        first, second = out.stdout.splitlines()
        assert json.loads(first) == {"raised": 13}
        assert json.loads(second) == {"in_child": False, "document": {"verdict": "GO"}, "written": ["x"]}

    @pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the threads are counted in /proc (Linux)")
    def test_no_fork_while_another_thread_runs(self) -> None:
        out = _python("""
            import time
            alone = fork_is_safe()
            stop = threading.Event()
            thread = threading.Thread(target=stop.wait)
            thread.start()
            with_thread = fork_is_safe()
            stop.set()
            thread.join()
            deadline = time.monotonic() + 30
            while len(os.listdir("/proc/self/task")) > 1 and time.monotonic() < deadline:
                time.sleep(0.01)  # the thread's end, as the system sees it (a moment after join)
            print(json.dumps([alone, with_thread, fork_is_safe()]))
            """)
        assert json.loads(out.stdout) == [CAN_FORK_WRITER, False, CAN_FORK_WRITER]


# the checks of the plugin's runs: one that passes (a GO without the failure below), and one
# that breaks the report folder while the run is under way, as a full disk or a wrong mount would
CHECKS = {"test_checks.py": """
    import os, pathlib, pytest

    @pytest.mark.t_minus_7
    @pytest.mark.security
    @pytest.mark.blocker
    @pytest.mark.owner("security-team")
    def test_tls():
        assert not os.environ.get("FAIL_THE_CHECK"), "caf\u00e9 \u2014 \U0001f680 is down"

    @pytest.mark.t_minus_7
    @pytest.mark.monitoring
    @pytest.mark.minor
    @pytest.mark.owner("sre")
    def test_break_the_page():
        assert not os.environ.get("FAIL_A_MINOR_CHECK"), "a minor failure"
        if os.environ.get("BREAK_THE_PAGE"):
            page = pathlib.Path(os.environ["BREAK_THE_PAGE"])
            assert page.is_file()  # the in-progress placeholder
            page.unlink()
            page.mkdir()  # the final page cannot replace a folder
            (page / "keep").write_text("")
    """}
# a conftest.py plugin that kills the process writing the report in the middle of it (the child
# where there is one: the function it replaces runs there)
KILL_THE_WRITER = """
import os, signal
from pytest_launch.outputs import render_all

def _killed(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

render_all.write_report = _killed
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    make_project(pytester, CHECKS, checklist=None)
    return pytester


def _run(pytester: pytest.Pytester, *args: str, in_process: bool = False) -> pytest.RunResult:
    args = ("-p", "no:cacheprovider", "--env=prod", "--launch-gate", *args)
    return pytester.runpytest_inprocess(*args) if in_process else pytester.runpytest_subprocess(*args)


def test_a_go_written_by_the_child_reads_as_it_would_in_process(project: pytest.Pytester) -> None:
    result = _run(project)
    output = result.stdout.str()
    folder = report_folder(project)
    doc = json.loads((folder / "go-no-go.json").read_text())
    assert result.ret == 0 and doc["verdict"] == "GO"
    assert "IN PROGRESS" not in (folder / "go-no-go.html").read_text()
    assert ">GO<" in (folder / "go-no-go.html").read_text() or "verdict-go" in (folder / "go-no-go.html").read_text()
    assert "GO" in (folder / "go-no-go.md").read_text().splitlines()[0]
    assert len((folder / "history.jsonl").read_text().splitlines()) == 1
    # the paths are printed once written, after pytest's own summary lines, with the verdict
    assert f"launch reports: {folder.relative_to(project.path) / 'go-no-go.json'}" in output
    assert output.index("launch decision: reasons") < output.index("launch reports:") < output.index("launch decision (prod): GO")


@pytest.mark.parametrize("how", ["child", "junit", "no terminal"])
def test_a_no_go_decided_by_the_child_gives_its_exit_code_and_reasons(project: pytest.Pytester, how: str,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The child decides and writes; pytest's process shows what it decided (the exit code, the
    reasons, the verdict line, the JUnit case), from the top level the child sent, which is the
    written JSON's."""
    monkeypatch.setenv("FAIL_THE_CHECK", "1")
    extra = {"child": (), "junit": ("--junitxml=junit.xml",), "no terminal": ("-p", "no:terminal")}[how]
    result = _run(project, *extra)
    output = result.stdout.str()
    doc = json.loads((report_folder(project) / "go-no-go.json").read_text(encoding="utf-8"))
    assert doc["verdict"] == "NO_GO"
    assert result.ret == 1
    [reason] = [r for r in doc["reasons"] if r["blocking"]]
    assert "caf\u00e9 \u2014 \U0001f680" in reason["text"]
    if how == "no terminal":
        assert "launch decision" not in output
        return
    assert f"BLOCKING {reason['text']}" in output  # the text the JSON holds, non-ASCII whole
    assert "launch decision (prod): NO_GO: 1 blocking failure" in output.rstrip().splitlines()[-1]
    if how == "junit":
        assert 'failure message="NO_GO' in (project.path / "junit.xml").read_text(encoding="utf-8")


def test_the_gates_exit_code_is_the_childs_verdicts(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """A minor check fails: pytest alone would exit 1; the gate, strict, exits 10 (GO_WITH_RISKS),
    a code only the child's decision can give."""
    monkeypatch.setenv("FAIL_A_MINOR_CHECK", "1")
    result = _run(project, "--launch-strict")
    assert json.loads((report_folder(project) / "go-no-go.json").read_text())["verdict"] == "GO_WITH_RISKS"
    assert result.ret == 10
    assert "launch decision (prod): GO_WITH_RISKS" in result.stdout.str()


@pytest.mark.parametrize("how", ["child", "junit"])
def test_a_plugin_that_exits_0_after_the_decision_does_not_turn_a_no_go_into_0(project: pytest.Pytester, how: str,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A conftest.py's pytest_sessionfinish calls pytest.exit(returncode=0) after the decision was
    started: the gate's exit code is set once the decision is in, after every session-finish hook,
    so the NO-GO still exits 1."""
    monkeypatch.setenv("FAIL_THE_CHECK", "1")
    (project.path / "conftest.py").write_text((project.path / "conftest.py").read_text() + """
import pytest

@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    pytest.exit("a plugin says all is well", returncode=0)
""")
    result = _run(project, *{"child": (), "junit": ("--junitxml=junit.xml",)}[how])
    assert json.loads((report_folder(project) / "go-no-go.json").read_text())["verdict"] == "NO_GO"
    assert result.ret == 1


@pytest.mark.parametrize("how", ["child", "junit", "no terminal"])
def test_a_report_that_cannot_be_written_fails_the_run_whoever_writes_it(project: pytest.Pytester, how: str,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    page = report_folder(project) / "go-no-go.html"
    monkeypatch.setenv("BREAK_THE_PAGE", str(page))
    extra = {"child": (), "junit": ("--junitxml=junit.xml",), "no terminal": ("-p", "no:terminal")}[how]
    result = _run(project, *extra)
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.INTERNAL_ERROR  # not the GO the checks alone would give
    assert f"could not write the launch report: {page}: refused to replace a directory" in output
    assert "launch decision (prod): GO" not in output and "launch reports:" not in output
    assert page.is_dir()  # left as it was: nothing half-written in its place
    if how == "junit":
        junit = (project.path / "junit.xml").read_text()
        assert 'failure message="NO DECISION: pytest-launch: could not write the launch report' in junit


@pytest.mark.skipif(not CAN_FORK_WRITER, reason="the report is written by a child only on Linux with two CPUs or more; "
                                          "elsewhere the in-process write is what the other tests cover")
def test_a_writer_killed_midway_fails_the_run_and_leaves_the_in_progress_page(project: pytest.Pytester) -> None:
    (project.path / "conftest.py").write_text((project.path / "conftest.py").read_text() + KILL_THE_WRITER)
    result = _run(project)
    output = result.stdout.str() + result.stderr.str()
    folder = report_folder(project)
    assert result.ret == pytest.ExitCode.INTERNAL_ERROR
    assert "could not write the launch report: the process writing the report" in output
    assert "killed by SIGKILL" in output
    assert "launch decision (prod): GO" not in output
    # what the folder shows is the run's in-progress NO-GO, never a GO nobody finished writing
    assert "IN PROGRESS" in (folder / "go-no-go.html").read_text()
    assert json.loads((folder / "go-no-go.json").read_text())["verdict"] == "NO_GO"


def test_in_process_pytest_writes_the_report_too(project: pytest.Pytester) -> None:
    """pytest run inside this test's process (pytester's in-process runs: under xdist, beside
    its worker's threads, the report is written in that process; in a serial run, by a child):
    either way the report is whole and the run's outcome is the decision's."""
    result = _run(project, in_process=True)
    folder = report_folder(project)
    assert result.ret == 0
    assert json.loads((folder / "go-no-go.json").read_text())["verdict"] == "GO"
    assert "IN PROGRESS" not in (folder / "go-no-go.html").read_text()
