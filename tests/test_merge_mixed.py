"""launch merge refuses results of different environments or phases (one line, exit 2, naming both
files and values) unless --allow-mixed, and then the merged document, page and summary say so."""

from __future__ import annotations

import json

import pytest
from report_samples import sample_document

from pytest_launch.cli import main
from pytest_launch.outputs.jsonfile import read_document


def write(path, doc):
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("LAUNCH_TODAY", "2025-03-03")  # the sample documents' day


def test_different_environments_are_refused_in_one_line(tmp_path, capsys):
    a = write(tmp_path / "prod.json", sample_document(40, env="prod"))
    b = write(tmp_path / "staging.json", sample_document(40, env="staging"))
    out = tmp_path / "merged.json"
    assert main(["merge", str(a), str(b), "-o", str(out), "--allow-backdate"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert f"{a} environment prod" in err and f"{b} environment staging" in err
    assert "--allow-mixed" in err
    assert not out.exists()


def test_different_phases_are_refused(tmp_path, capsys):
    t7 = sample_document(40, env="prod")
    t0 = sample_document(40, env="prod")
    t0["run"]["scope_phases"] = ["t_0"]
    a, b = write(tmp_path / "a.json", t7), write(tmp_path / "b.json", t0)
    assert main(["merge", str(a), str(b), "-o", str(tmp_path / "m.json"), "--allow-backdate"]) == 2
    err = capsys.readouterr().err
    assert "different phases" in err and f"{b} phases t_0" in err
    assert f"{a} phases {'+'.join(t7['run']['scope_phases'])}" in err


def test_shards_of_one_environment_and_phase_merge_without_a_note(tmp_path, capsys):
    a = write(tmp_path / "a.json", sample_document(40, seed=1))
    b = write(tmp_path / "b.json", sample_document(40, seed=2))
    assert main(["merge", str(a), str(b), "-o", str(tmp_path / "m.json"), "--render", str(tmp_path / "site"), "--allow-backdate"]) == 0
    assert "MIXED" not in capsys.readouterr().out
    assert "mixed" not in read_document(tmp_path / "m.json")
    assert "MIXED INPUTS" not in (tmp_path / "site" / "go-no-go.html").read_text()


def test_allow_mixed_merges_and_every_output_says_so(tmp_path, capsys):
    a = write(tmp_path / "prod.json", sample_document(40, env="prod"))
    b = write(tmp_path / "staging.json", sample_document(40, env="staging"))
    out = tmp_path / "merged.json"
    assert main(["merge", str(a), str(b), "-o", str(out), "--allow-mixed", "--render", str(tmp_path / "site"), "--allow-backdate"]) == 0
    printed = capsys.readouterr().out
    assert "MIXED INPUTS (--allow-mixed): different environments" in printed
    merged = read_document(out)  # validates against the schema
    assert merged["mixed"] == [f"different environments: {a} environment prod, {b} environment staging"]
    page = (tmp_path / "site" / "go-no-go.html").read_text()
    assert 'id="mixed"' in page and "MIXED INPUTS" in page and "environment staging" in page
    summary = (tmp_path / "site" / "go-no-go.md").read_text()
    assert "MIXED INPUTS (merged with \\-\\-allow-mixed)" in summary or "MIXED INPUTS" in summary
    assert "environment staging" in summary
    # merged again (with a shard of the same mix), the note is carried
    again = tmp_path / "again.json"
    assert main(["merge", str(out), str(b), "-o", str(again), "--allow-mixed", "--allow-backdate"]) == 0
    assert any("different environments" in text for text in read_document(again)["mixed"])
