"""Issue 11 item 12: an output path that is not ours to replace is a usage error before any
check runs (exit 4, one message naming the option, the path, what was expected and what was
found), and nothing there is replaced: a FIFO stays a FIFO, a symlink a symlink, /dev/full a
device, an input file and an earlier report stay as they were. The atomic writer refuses the
same at write time, for a path that changed during the run."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from launch_project import CHECKLIST, TODAY, make_project, report_folder
from pytest_launch.outputs.atomic import write_text_atomic
from pytest_launch.outputs.paths import NotOurFile, OutputPathError, preflight_output_paths

# The check writes a file when it runs: a refused output path must stop the run before it.
SENTINEL_CHECK = """
import pathlib
import pytest

@pytest.mark.checklist("SEC-01")
def test_tls():
    pathlib.Path("check-ran").write_text("yes")
"""


@pytest.fixture(autouse=True)
def launch_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", "--launch-gate", *args)


def assert_refused_before_the_run(pytester: pytest.Pytester, result: pytest.RunResult, *words: str) -> None:
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == 4, output
    for word in words:
        assert word in output, output
    assert "Traceback" not in output and "INTERNALERROR" not in output
    assert not (pytester.path / "check-ran").exists(), "a check ran although an output path was refused"


def kind(path: Path) -> str:
    mode = os.lstat(path).st_mode
    return ("symlink" if stat.S_ISLNK(mode) else "fifo" if stat.S_ISFIFO(mode) else "chardev" if stat.S_ISCHR(mode)
            else "dir" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode) else "other")


def test_a_fifo_as_launch_json_is_refused_and_stays_a_fifo(pytester):
    make_project(pytester, SENTINEL_CHECK)
    fifo = pytester.path / "results.fifo"
    os.mkfifo(fifo)
    result = run(pytester, f"--launch-json={fifo}")
    assert_refused_before_the_run(pytester, result, f"--launch-json: {fifo}: expected a regular file or a new path, "
                                                    "found a FIFO (named pipe)")
    assert kind(fifo) == "fifo"


@pytest.mark.parametrize("target", ["/proc/self/fd/1", "/dev/null", "elsewhere.json"])
def test_a_symlink_as_launch_json_is_refused_whatever_it_points_to(pytester, target):
    make_project(pytester, SENTINEL_CHECK)
    if target == "elsewhere.json":  # even a symlink to an earlier results document
        (pytester.path / target).write_text('{"schema_version": 1, "verdict": "GO"}')
    link = pytester.path / "out.json"
    link.symlink_to(target)
    result = run(pytester, f"--launch-json={link}")
    assert_refused_before_the_run(pytester, result, f"found a symlink to {target}")
    assert kind(link) == "symlink" and os.readlink(link) == target
    if target == "elsewhere.json":
        assert (pytester.path / target).read_text() == '{"schema_version": 1, "verdict": "GO"}'


def full_device(folder) -> str:
    """A private /dev/full (the same character device, 1:7) in the test's own folder: were the
    code under test broken, it would replace this node and not the machine's /dev/full, which
    every later process (CI included) relies on. Needs root, as CI runs."""
    path = os.path.join(str(folder), "full")
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    return path


def test_dev_full_as_launch_json_is_refused_and_stays_a_device(pytester):
    # run as root here: permission bits would not have stopped the rename over /dev/full
    make_project(pytester, SENTINEL_CHECK)
    device = full_device(pytester.path)
    before = os.lstat(device)
    result = run(pytester, f"--launch-json={device}")
    assert_refused_before_the_run(pytester, result, f"--launch-json: {device}: expected a regular file or a new path, "
                                                    "found a character device")
    after = os.lstat(device)
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev and after.st_ino == before.st_ino


def test_a_directory_as_launch_json_is_refused(pytester):
    make_project(pytester, SENTINEL_CHECK)
    (pytester.path / "out").mkdir()
    result = run(pytester, "--launch-json=out")
    assert_refused_before_the_run(pytester, result, "--launch-json: out: expected a regular file or a new path, "
                                                    "found a directory")
    assert kind(pytester.path / "out") == "dir"


@pytest.mark.parametrize("name", ["readiness/checklist.toml", "readiness/environments/prod.toml", "tox.ini"])
def test_an_input_file_as_launch_json_is_refused_and_left_as_it_was(pytester, name):
    make_project(pytester, SENTINEL_CHECK)
    path = pytester.path / name
    before = path.read_bytes()
    result = run(pytester, f"--launch-json={name}")
    assert_refused_before_the_run(pytester, result, f"--launch-json: {name}: expected an output path, "
                                                    f"found an input of this run")
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_results_document_is_not_ours_to_replace(pytester):
    make_project(pytester, SENTINEL_CHECK)
    (pytester.path / "notes.json").write_text('{"mine": "keep me"}')
    result = run(pytester, "--launch-json=notes.json")
    assert_refused_before_the_run(pytester, result, "--launch-json: notes.json: expected a new path or an earlier "
                                                    "go-no-go.json (a results document)")
    assert (pytester.path / "notes.json").read_text() == '{"mine": "keep me"}'


def test_an_earlier_results_document_and_a_new_path_are_written(pytester):
    make_project(pytester, SENTINEL_CHECK)
    result = run(pytester, "--launch-json=out/new/results.json")
    assert result.ret == 1  # NO_GO: the manual item is not signed off; the run happened
    first = json.loads((pytester.path / "out/new/results.json").read_text())
    assert first["verdict"] == "NO_GO"
    (pytester.path / "check-ran").unlink()
    result = run(pytester, "--launch-json=out/new/results.json")
    assert result.ret == 1 and (pytester.path / "check-ran").exists()


def test_launch_json_cannot_be_another_file_of_the_report_folder(pytester):
    make_project(pytester, SENTINEL_CHECK)
    page = (report_folder(pytester) / "go-no-go.html").relative_to(pytester.path)  # the canonical page of this run
    result = run(pytester, f"--launch-json={page}")
    assert_refused_before_the_run(pytester, result, "expected a path of its own, found the report's go-no-go.html")


@pytest.mark.parametrize("name,make", [
    ("go-no-go.html", lambda p: p.symlink_to("/proc/self/fd/1")),
    ("go-no-go.md", lambda p: os.mkfifo(p)),
    ("history.jsonl", lambda p: p.symlink_to("../../../elsewhere.jsonl")),
    ("go-no-go.json", lambda p: p.mkdir()),
])
def test_a_special_file_in_the_report_folder_is_refused_and_the_earlier_report_left_intact(pytester, name, make):
    make_project(pytester, SENTINEL_CHECK)
    folder = report_folder(pytester)  # the canonical folder this run (every phase) writes
    folder.mkdir(parents=True)
    earlier = {"go-no-go.json": '{"verdict": "GO"}', "go-no-go.html": "<p>GO</p>", "go-no-go.md": "GO"}
    for other, text in earlier.items():
        if other != name:
            (folder / other).write_text(text)
    make(folder / name)
    before = kind(folder / name)
    result = run(pytester)
    assert_refused_before_the_run(pytester, result, f"{folder / name}: expected a regular file or a new path")
    assert kind(folder / name) == before
    for other, text in earlier.items():
        if other != name:
            assert (folder / other).read_text() == text


def test_a_report_folder_where_a_file_is_cannot_be_created(pytester):
    make_project(pytester, SENTINEL_CHECK)
    (pytester.path / "not-a-folder").write_text("a file where the report folder should be")
    result = run(pytester, "--launch-report-dir=not-a-folder")
    folder = report_folder(pytester, report_dir="not-a-folder").relative_to(pytester.path)  # not-a-folder/prod/all
    assert_refused_before_the_run(pytester, result, f"report folder (--launch-report-dir): {folder}: "
                                                    "expected a folder that can be created")
    assert (pytester.path / "not-a-folder").read_text() == "a file where the report folder should be"


def test_a_report_folder_that_refuses_a_real_write_is_caught_even_as_root(pytester):
    """/sys/kernel is a folder whose permission bits say "writable" to root (os.access agrees),
    but a file cannot be created in it: only a real test write finds out."""
    assert os.path.isdir("/sys/kernel")
    make_project(pytester, SENTINEL_CHECK, env='[environment]\nname = "kernel"\n')
    result = run(pytester, "--launch-report-dir=/sys")
    assert_refused_before_the_run(pytester, result, "report folder (--launch-report-dir): /sys/kernel")


def test_the_path_checks_run_only_on_the_controller_under_xdist(pytester):
    make_project(pytester, SENTINEL_CHECK)
    os.mkfifo(pytester.path / "results.fifo")
    result = run(pytester, "-n", "2", "--launch-json=results.fifo")
    assert_refused_before_the_run(pytester, result, "found a FIFO")


def test_a_fifo_put_in_place_during_the_run_is_refused_at_write_time(pytester):
    """The second line of defence: the path was fine at start, a check made it a FIFO."""
    target = report_folder(pytester) / "go-no-go.json"  # the canonical report this run writes
    make_project(pytester, f"""
        import os
        import pytest

        @pytest.mark.checklist("SEC-01")
        def test_tls():
            os.remove({str(target)!r})  # the in-progress placeholder the run wrote at its start
            os.mkfifo({str(target)!r})
    """)
    result = run(pytester)
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == 3, output  # the tool broke: never a verdict
    assert "could not write the launch report" in output and "refused to replace a FIFO" in output
    assert kind(target) == "fifo"
    assert "Traceback" not in output


# -- the functions themselves ----------------------------------------------------------------

def test_the_atomic_writer_refuses_a_symlink_and_leaves_its_target(tmp_path):
    target = tmp_path / "target.txt"
    target.write_text("keep")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    with pytest.raises(NotOurFile, match="refused to replace a symlink"):
        write_text_atomic(link, "new")
    assert link.is_symlink() and target.read_text() == "keep"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_preflight_accepts_new_paths_and_regular_files(tmp_path):
    folder = tmp_path / "reports" / "prod"
    preflight_output_paths(tmp_path / "a" / "b.json", folder, [])
    assert folder.is_dir() and list(folder.iterdir()) == []  # the test write left nothing behind
    with pytest.raises(OutputPathError, match="found an input of this run"):
        (tmp_path / "checklist.toml").write_text(CHECKLIST)
        preflight_output_paths(tmp_path / "checklist.toml", None, [tmp_path / "checklist.toml"])


def test_launch_report_refuses_to_write_through_a_symlink_or_into_a_device(tmp_path, capsys):
    """The CLI writes through the same atomic writer: one line, exit 2, nothing replaced."""
    from report_samples import sample_document

    from pytest_launch.cli import main
    from pytest_launch.outputs.jsonfile import write_document

    results = tmp_path / "go-no-go.json"
    write_document(results, sample_document(5))
    elsewhere = tmp_path / "elsewhere.html"
    elsewhere.write_text("keep")
    out = tmp_path / "out"
    out.mkdir()
    (out / "go-no-go.html").symlink_to(elsewhere)
    assert main(["render", str(results), "-o", str(out)]) == 2
    assert "refused to replace a symlink" in capsys.readouterr().err
    assert (out / "go-no-go.html").is_symlink() and elsewhere.read_text() == "keep"
    device = full_device(tmp_path)
    before = os.lstat(device)
    assert main(["merge", str(results), "-o", device, "--allow-backdate"]) == 2
    assert "refused to replace a character device" in capsys.readouterr().err
    assert stat.S_ISCHR(os.lstat(device).st_mode) and os.lstat(device).st_ino == before.st_ino
