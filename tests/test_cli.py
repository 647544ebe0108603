"""launch-report: render, merge, diff, publish (against moto's S3 server on 127.0.0.1)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys

import boto3
import pytest
from report_samples import sample_document

from pytest_launch.cli import main
from pytest_launch.outputs.history import append_history
from pytest_launch.outputs.jsonfile import read_document
from testbed.support import free_port


def write(path, doc):
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.fixture
def today(monkeypatch):
    # the sample documents are dated 2025-03-03: decide() as of that day
    monkeypatch.setenv("LAUNCH_TODAY", "2025-03-03")


# ------------------------------------------------------------------------------- render

def test_render_writes_html_and_markdown_next_to_the_json(tmp_path, capsys):
    results = write(tmp_path / "go-no-go.json", sample_document(40))
    yesterday = dt.datetime(2025, 3, 2, 2, 0, tzinfo=dt.timezone.utc)
    append_history(tmp_path / "history.jsonl", sample_document(40, seed=3, started=yesterday))
    assert main(["render", str(results)]) == 0
    html = (tmp_path / "go-no-go.html").read_text()
    assert ">NO-GO</div>" in html and "<svg" in html  # the trend read the existing history
    assert (tmp_path / "go-no-go.md").read_text().startswith("## ")
    assert len((tmp_path / "history.jsonl").read_text().splitlines()) == 1  # not appended
    out = capsys.readouterr().out
    assert "go-no-go.html" in out and "go-no-go.md" in out


def test_render_into_another_folder(tmp_path):
    results = write(tmp_path / "r.json", sample_document(10))
    assert main(["render", str(results), "-o", str(tmp_path / "site")]) == 0
    assert (tmp_path / "site" / "go-no-go.html").exists()


def test_bad_inputs_are_one_line_errors_with_exit_2(tmp_path, capsys):
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json")
    future = write(tmp_path / "future.json", {**sample_document(5), "schema_version": 99})
    invalid = write(tmp_path / "invalid.json", {**sample_document(5), "verdict": "MAYBE"})
    cases = [
        (tmp_path / "missing.json", "no such file"),
        (bad_json, "expected valid JSON"),
        (future, "schema_version: expected 1"),
        (invalid, "verdict"),
    ]
    for path, expected in cases:
        assert main(["render", str(path)]) == 2
        err = capsys.readouterr().err
        assert expected in err and str(path) in err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_console_script_exit_code_without_traceback(tmp_path):
    script = shutil.which("launch-report")
    command = [script] if script else [sys.executable, "-m", "pytest_launch.cli"]
    result = subprocess.run(command + ["diff", str(tmp_path / "a.json"), str(tmp_path / "b.json")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "a.json: expected an existing results file, found no such file" in result.stderr
    assert "Traceback" not in result.stderr
    usage = subprocess.run(command + ["frobnicate"], capture_output=True, text=True, timeout=60)
    assert usage.returncode == 2 and "invalid choice" in usage.stderr


# ------------------------------------------------------------------------------- merge

def test_merge_keeps_sources_and_recomputes_the_verdict_with_decide(tmp_path, today, capsys):
    eu = sample_document(40, env="eu", seed=1, fail_rate=0.0)
    us = sample_document(40, env="us", seed=2, fail_rate=0.0)
    # make eu all good (manual items signed) and us fail one blocking check
    for doc in (eu, us):
        for check in doc["checks"]:
            if check["kind"] == "manual":
                check["outcome"] = "passed"
    target = next(c for c in us["checks"] if c["blocking"] and c["kind"] == "check")
    target.update(outcome="failed", message="p95 812 ms", evidence={"measured": 812, "threshold": "< 500"})
    a = write(tmp_path / "eu.json", eu)
    b = write(tmp_path / "us.json", us)
    out = tmp_path / "merged.json"
    assert main(["merge", str(a), str(b), "-o", str(out), "--allow-backdate"]) == 2  # two environments: refused without --allow-mixed
    assert not out.exists()
    capsys.readouterr()
    assert main(["merge", str(a), str(b), "-o", str(out), "--allow-mixed", "--allow-backdate"]) == 0
    merged = read_document(out)  # validates against the schema
    assert merged["verdict"] == "NO_GO"
    assert merged["run"]["sources"] == ["eu", "us"]
    assert {c["source"] for c in merged["checks"] if c["kind"] == "check"} == {"eu", "us"}
    # the same test ran in both regions: both results count, each named by its source
    failing = [c for c in merged["checks"] if c["outcome"] == "failed"]
    assert [c["nodeid"] for c in failing if c["blocking"]] == [f"{target['nodeid']} [us]"]
    assert any(c["nodeid"] == f"{target['nodeid']} [eu]" and c["outcome"] == "passed"
               for c in merged["checks"])
    blocking = [r for r in merged["reasons"] if r["blocking"] and r["nodeid"]]
    assert blocking and blocking[0]["nodeid"] == f"{target['nodeid']} [us]"
    manual = [c for c in merged["checks"] if c["kind"] == "manual"]
    assert len(manual) == len({c["nodeid"] for c in manual})  # checklist items kept once
    assert merged["environment"]["name"] == "eu+us"
    assert "NO-GO from 2 runs (eu, us)" in capsys.readouterr().out


def test_merge_of_disjoint_shards_and_a_waiver(tmp_path, today):
    doc = sample_document(60, fail_rate=0.0)
    for check in doc["checks"]:
        if check["kind"] == "manual":
            check["outcome"] = "passed"
    automated = [c for c in doc["checks"] if c["kind"] == "check"]
    first = {**doc, "checks": automated[:30] + [c for c in doc["checks"] if c["kind"] == "manual"]}
    second = {**doc, "checks": automated[30:]}
    paths = [write(tmp_path / "shard1.json", first), write(tmp_path / "shard2.json", second)]
    out = tmp_path / "merged.json"
    assert main(["merge", *map(str, paths), "-o", str(out), "--render", str(tmp_path / "site"),
                 "--allow-backdate"]) == 0
    merged = read_document(out)
    assert len([c for c in merged["checks"] if c["kind"] == "check"]) == len(automated)
    assert all(" [" not in c["nodeid"] for c in merged["checks"])  # disjoint: ids unchanged
    waived = [c for c in merged["checks"] if c["waiver"]]
    assert len(waived) == 1 and merged["verdict"] in ("GO_WITH_RISKS", "NO_GO")
    assert {c["source"] for c in merged["checks"] if c["kind"] == "check"} == {"shard1", "shard2"}
    assert (tmp_path / "site" / "go-no-go.html").exists()


def test_merge_refuses_different_stages(tmp_path, capsys):
    a = write(tmp_path / "a.json", sample_document(10, stage=25))
    b = write(tmp_path / "b.json", sample_document(10, stage=50))
    assert main(["merge", str(a), str(b), "-o", str(tmp_path / "m.json")]) == 2
    assert "the same --launch-stage" in capsys.readouterr().err
    assert not (tmp_path / "m.json").exists()


# ------------------------------------------------------------------------------- diff

def test_diff_lists_newly_failing_and_newly_passing(tmp_path, capsys):
    old = sample_document(40, fail_rate=0.0)
    new = json.loads(json.dumps(old))
    broken = next(c for c in new["checks"] if c["kind"] == "check" and c["outcome"] == "passed")
    broken.update(outcome="failed")
    fixed_old = next(c for c in old["checks"] if c["kind"] == "check" and c["nodeid"] != broken["nodeid"])
    fixed_old["outcome"] = "error"
    new.update(verdict="ROLLBACK", display_verdict="ROLLBACK")
    a, b = write(tmp_path / "old.json", old), write(tmp_path / "new.json", new)
    assert main(["diff", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert f"verdict: {old['display_verdict']} -> ROLLBACK (changed)" in out
    assert "newly failing: 1" in out and f"- {broken['nodeid']}: failed" in out
    assert "newly passing: 1" in out and f"+ {fixed_old['nodeid']}" in out
    assert main(["diff", str(a), str(b), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [c["nodeid"] for c in data["newly_failing"]] == [broken["nodeid"]]
    assert data["newly_passing"] == [fixed_old["nodeid"]] and data["verdict_changed"]


# ------------------------------------------------------------------------------- publish

@pytest.fixture
def s3_server(monkeypatch):
    from moto.server import ThreadedMotoServer

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def test_publish_uploads_every_file_with_its_content_type(tmp_path, s3_server, monkeypatch):
    site = tmp_path / "site"
    results = write(tmp_path / "go-no-go.json", sample_document(20))
    assert main(["render", str(results), "-o", str(site)]) == 0
    shutil.copy(results, site / "go-no-go.json")
    append_history(site / "history.jsonl", sample_document(20))  # leaves .history.jsonl.lock
    (site / "img").mkdir()
    (site / "img" / "report.png").write_bytes(b"\x89PNG\r\n")
    s3 = boto3.client("s3", endpoint_url=s3_server)
    s3.create_bucket(Bucket="launch-reports")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server)  # the endpoint from the environment
    assert main(["publish", str(site), "s3://launch-reports/prod/2025-03-03"]) == 0
    listed = {o["Key"] for o in s3.list_objects_v2(Bucket="launch-reports")["Contents"]}
    assert listed == {f"prod/2025-03-03/{name}" for name in
                      ("go-no-go.html", "go-no-go.md", "go-no-go.json", "history.jsonl", "img/report.png")}
    types = {key.rsplit("/", 1)[-1]: s3.head_object(Bucket="launch-reports", Key=key)["ContentType"]
             for key in listed}
    assert types == {"go-no-go.html": "text/html; charset=utf-8",
                     "go-no-go.md": "text/markdown; charset=utf-8",
                     "go-no-go.json": "application/json", "history.jsonl": "application/x-ndjson",
                     "report.png": "image/png"}
    body = s3.get_object(Bucket="launch-reports", Key="prod/2025-03-03/go-no-go.html")["Body"].read()
    assert body == (site / "go-no-go.html").read_bytes()


def test_publish_to_a_missing_bucket_or_unreachable_endpoint_is_a_clear_error(tmp_path, s3_server, capsys, closed_port):
    site = tmp_path / "site"
    site.mkdir()
    (site / "go-no-go.md").write_text("## GO\n")
    assert main(["publish", str(site), "s3://no-such-bucket/x", "--endpoint-url", s3_server]) == 2
    err = capsys.readouterr().err
    assert "s3://no-such-bucket" in err and "no such bucket" in err and "Traceback" not in err
    closed = f"http://127.0.0.1:{closed_port}"
    assert main(["publish", str(site), "s3://launch-reports", "--endpoint-url", closed]) == 2
    err = capsys.readouterr().err
    assert "expected a reachable S3 endpoint" in err and closed in err
    assert len(err.strip().splitlines()) == 1


def test_publish_bad_arguments(tmp_path, capsys):
    assert main(["publish", str(tmp_path / "nope"), "s3://b/p"]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert main(["publish", str(tmp_path), "https://b/p"]) == 2
    assert "expected s3://bucket/prefix" in capsys.readouterr().err


def test_publish_prints_the_address_of_each_page(tmp_path, s3_server, capsys):
    site = tmp_path / "site"
    doc = sample_document(20)
    doc["report_url"] = "https://reports.example/launch/prod/t_minus_7/go-no-go.html"
    results = write(tmp_path / "go-no-go.json", doc)
    assert main(["render", str(results), "-o", str(site / "t_minus_7")]) == 0
    shutil.copy(results, site / "t_minus_7" / "go-no-go.json")
    boto3.client("s3", endpoint_url=s3_server).create_bucket(Bucket="launch-reports")
    capsys.readouterr()
    assert main(["publish", str(site), "s3://launch-reports/prod", "--endpoint-url", s3_server,
                 "--url", "https://launch-reports.example/prod/"]) == 0
    assert "page: https://launch-reports.example/prod/t_minus_7/go-no-go.html\n" in capsys.readouterr().out
    # without --url: the address the run recorded (--launch-report-url / [reports] url)
    assert main(["publish", str(site), "s3://launch-reports/prod", "--endpoint-url", s3_server]) == 0
    assert (f"page: {doc['report_url']} (as the run recorded it)" in capsys.readouterr().out)
    assert main(["publish", str(site), "s3://launch-reports/prod", "--url", "ftp://x"]) == 2
    assert "--url: expected BASE to be an http:// or https:// URL" in capsys.readouterr().err
