"""reports/<env>/history.jsonl: one line per run, atomic appends, corrupt lines skipped."""

from __future__ import annotations

import json
import multiprocessing

from report_samples import sample_document

from pytest_launch.outputs.history import append_history, history_path, read_history, read_history_checked


def test_append_and_read_back(tmp_path):
    path = history_path(tmp_path / "reports", "prod")
    assert path == tmp_path / "reports" / "prod" / "history.jsonl"
    doc = sample_document(40)
    append_history(path, doc)
    doc2 = sample_document(40, fail_rate=0.0)
    doc2["verdict"] = "GO"
    append_history(path, doc2)
    entries = read_history(path)
    assert [e["verdict"] for e in entries] == [doc["verdict"], "GO"]
    first = entries[0]
    assert first["environment"] == "prod"
    assert first["git_revision"] == "3f9c2a1d0b7e"
    assert first["markexpr"] == "t_minus_7" and first["stage"] is None
    assert first["counts"] == doc["summary"]
    assert first["failing_blockers"] == doc["summary"]["blocking_failures"]
    blocking = {c["nodeid"] for c in doc["checks"] if c["blocking"] and c["outcome"] != "passed"
                and not c["waiver"]}
    assert set(first["blockers"]) == blocking
    assert blocking <= set(first["failing"])
    assert first["started"] == doc["run"]["started"]


def test_environment_name_cannot_escape_the_reports_folder(tmp_path):
    path = history_path(tmp_path, "../../etc/passwd")
    assert tmp_path in path.parents and ".." not in path.parts


def test_missing_file_is_an_empty_history(tmp_path):
    assert read_history(tmp_path / "nothing.jsonl") == []


def test_corrupt_lines_are_skipped_and_a_torn_last_line_does_not_swallow_the_next(tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_bytes(b'{"verdict": "GO"}\nnot json\n[1, 2]\n\xff\xfe\n{"verdict": "NO_')
    append_history(path, sample_document(10))
    entries = read_history(path)
    assert [e["verdict"] for e in entries] == ["GO", "NO_GO"]


def test_limit_keeps_the_last_runs(tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_text("".join(json.dumps({"verdict": "GO", "n": n}) + "\n" for n in range(50)))
    assert [e["n"] for e in read_history(path, limit=3)] == [47, 48, 49]


def _append_many(path: str, worker: int, count: int) -> None:
    doc = sample_document(300, seed=worker, fail_rate=0.3)  # long lines, several KB each
    for run in range(count):
        doc["run"]["git_revision"] = f"w{worker}-r{run}"
        append_history(path, doc)


def test_concurrent_runs_never_corrupt_the_file(tmp_path):
    path = tmp_path / "history.jsonl"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(str(path), w, 25)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(120)
        assert process.exitcode == 0
    lines = path.read_bytes().splitlines()
    assert len(lines) == 100
    revisions = [json.loads(line)["git_revision"] for line in lines]  # every line parses
    assert sorted(revisions) == sorted(f"w{w}-r{r}" for w in range(4) for r in range(25))
    assert len(lines[0]) > 4096  # longer than a pipe buffer: the lock, not luck, keeps it whole


def test_only_the_runs_shown_are_read_from_a_long_history(tmp_path):
    """A history grows by a line per run: a run reads back from the newest line until it has the
    runs it shows. A bad line among them is skipped and reported (one more line is read in its
    place); a bad line older than them changes nothing and is not looked at."""
    path = tmp_path / "history.jsonl"
    lines = [json.dumps({"verdict": "GO", "n": n}) for n in range(200)]
    lines[2] = "{not json"  # line 3: long before the last 30 runs
    lines[190] = json.dumps({"verdict": 7, "n": 190})  # line 191: among them
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    history = read_history_checked(path, 30)
    assert [e["n"] for e in history.runs] == [n for n in range(169, 200) if n != 190]
    assert history.problems == ["history.jsonl line 191: verdict: expected a string, found an integer (skipped)"]
    every = read_history_checked(path, 0)
    assert len(every.runs) == 198 and [p.split(":")[0] for p in every.problems] == [
        "history.jsonl line 3", "history.jsonl line 191"]
