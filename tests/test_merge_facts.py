"""launch-report merge judges stored facts only (issue 11, item 5): a shard that selected zero
checks, a partial shard (-k), an interrupted shard, and a merged document merged again all keep
the facts that made them incomplete; only complete shards can merge into a GO."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from launch_project import MON06_SIGNED, TODAY, make_project
from pytest_launch.cli import main
from pytest_launch.outputs.jsonfile import read_document

CHECKS = """
import pytest

@pytest.mark.checklist("SEC-01")
def test_tls():
    pass

@pytest.mark.checklist("PERF-02")
def test_health():
    pass

@pytest.mark.checklist("T0-12")
def test_error_rate():
    pass
"""

SIGNED = MON06_SIGNED


@pytest.fixture(autouse=True)
def launch_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)


def shard(pytester: pytest.Pytester, name: str, *args: str) -> Path:
    out = pytester.path / f"{name}.json"
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", f"--launch-json={out}", *args)
    return out


def merged(pytester: pytest.Pytester, *paths: Path, options: tuple[str, ...] = ()) -> dict:
    out = pytester.path / "merged.json"
    assert main(["merge", *map(str, paths), "-o", str(out), *options, "--allow-backdate"]) == 0  # TODAY is past
    return read_document(out)


def test_complete_go_shards_merge_into_go(pytester):
    make_project(pytester, CHECKS, signoffs=SIGNED)
    a = shard(pytester, "eu", "-m", "t_minus_7")
    b = shard(pytester, "us", "-m", "t_minus_7")
    doc = merged(pytester, a, b)
    assert doc["verdict"] == "GO" and doc["run"]["complete"] is True
    assert doc["scope"]["phases"] == ["t_minus_7"]


def test_a_shard_with_zero_checks_keeps_the_merge_incomplete(pytester):
    make_project(pytester, CHECKS, signoffs=SIGNED)
    a = shard(pytester, "eu", "-m", "t_minus_7")
    b = shard(pytester, "us", "-m", "t_plus_1")  # nothing of T+1 in this checklist: zero checks
    assert json.loads(b.read_text())["verdict"] == "NO_GO"
    doc = merged(pytester, a, b, options=("--allow-mixed",))  # T-7 and T+1: different phases
    assert doc["verdict"] == "NO_GO" and doc["run"]["complete"] is False
    assert any(r["code"] == "incomplete" and "us: zero checks were selected" in r["text"] for r in doc["reasons"])
    # merged again with a GO shard, the stored fact still decides
    c = shard(pytester, "ap", "-m", "t_minus_7")
    again = merged(pytester, pytester.path / "merged.json", c, options=("--allow-mixed",))
    assert again["verdict"] == "NO_GO"
    assert any("zero checks were selected" in r["text"] for r in again["reasons"])


def test_a_partial_shard_keeps_the_merge_partial(pytester):
    make_project(pytester, CHECKS, signoffs=SIGNED)
    a = shard(pytester, "eu", "-m", "t_minus_7")
    b = shard(pytester, "us", "-m", "t_minus_7", "-k", "health")
    doc = merged(pytester, a, b)
    assert doc["verdict"] == "NO_GO"
    assert doc["reasons"][0]["code"] == "partial" and "us: -k health" in doc["reasons"][0]["text"]
    assert doc["run"]["keywordexpr"] == "health"
    assert doc["scope"]["complete"] is False


def test_partial_shards_that_together_cover_the_phase_stay_no_go(pytester):
    # nothing stored proves that the two selections together covered every check of the phase
    make_project(pytester, CHECKS, signoffs=SIGNED)
    a = shard(pytester, "one", "-m", "t_minus_7", "-k", "tls or MON")
    b = shard(pytester, "two", "-m", "t_minus_7", "-k", "not (tls or MON)")
    doc = merged(pytester, a, b)
    assert doc["verdict"] == "NO_GO" and doc["reasons"][0]["code"] == "partial"


def test_an_interrupted_shard_is_named_in_the_merge(pytester):
    make_project(pytester, CHECKS.replace("def test_tls():\n    pass", "def test_tls():\n    assert False"),
                 signoffs=SIGNED)
    a = shard(pytester, "eu", "-m", "t_minus_7", "--maxfail=1")
    b = shard(pytester, "us", "-m", "t_minus_7")
    doc = merged(pytester, a, b)
    assert doc["verdict"] == "NO_GO"
    assert any(r["code"] == "partial" and "eu: stopped early" in r["text"] for r in doc["reasons"])


def test_a_document_without_scope_facts_is_not_trusted_by_a_merge(pytester):
    make_project(pytester, CHECKS, signoffs=SIGNED)
    a = shard(pytester, "eu", "-m", "t_minus_7")
    old = json.loads(a.read_text())
    for key in ("scope_phases", "partial", "environments"):
        old["run"].pop(key)
    b = pytester.path / "old.json"
    b.write_text(json.dumps(old))
    doc = merged(pytester, a, b)
    assert doc["verdict"] == "NO_GO"
    texts = " ".join(r["text"] for r in doc["reasons"])
    assert "old: its scope was not recorded" in texts and "old: its environment was not recorded" in texts
