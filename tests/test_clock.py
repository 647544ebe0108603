"""Issue 11 item 6: the date approvals are judged on is in every output, a moved clock is said
out loud, and under CI=true a back-dated run is refused unless --launch-allow-backdate."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from launch_project import make_project
from pytest_launch.outputs.jsonfile import validate_document

CHECKS = """
import pytest

@pytest.mark.checklist("SEC-01")
def test_tls():
    assert False, "certificate expires in 3 days"

@pytest.mark.checklist("PERF-02")
def test_cache():
    pass

@pytest.mark.checklist("T0-12")
def test_errors():
    pass
"""

# both expired long before the real today (2026-11-29 on the day this was written)
EXPIRED_WAIVER = """
[[waiver]]
environments = ["*"]
check = "SEC-01"
reason = "renewal booked"
owner = "security-lead"
approved_by = "cto"
expires = 2025-02-01
"""
OLD_SIGNOFF = """
[[signoff]]
environments = ["*"]
item = "MON-06"
by = "jane.doe"
at = 2025-01-10
evidence = "https://pagerduty.example/schedules/ABC"
expires = 2025-02-01
"""


def _project(pytester: pytest.Pytester) -> None:
    make_project(pytester, CHECKS, waivers=EXPIRED_WAIVER, signoffs=OLD_SIGNOFF)


def _run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *args: str,
         today: str | None, ci: bool) -> pytest.RunResult:
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)  # tests/conftest.py allows back-dating by default
    if today is None:
        monkeypatch.delenv("LAUNCH_TODAY", raising=False)
    else:
        monkeypatch.setenv("LAUNCH_TODAY", today)
    if ci:
        monkeypatch.setenv("CI", "true")
    else:
        monkeypatch.delenv("CI", raising=False)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", "--launch-gate",
                                         "--launch-json", "out.json", *args)


def _outputs(pytester: pytest.Pytester) -> tuple[dict, str, str]:
    doc = json.loads((pytester.path / "out.json").read_text("utf-8"))
    validate_document(doc, "out.json")
    html = next(pytester.path.glob("reports/**/go-no-go.html")).read_text("utf-8")
    markdown = next(pytester.path.glob("reports/**/go-no-go.md")).read_text("utf-8")
    return doc, html, markdown


def test_a_back_dated_run_in_ci_is_a_usage_error_without_the_flag(pytester, monkeypatch):
    _project(pytester)
    result = _run(pytester, monkeypatch, today="2025-01-15", ci=True)
    assert result.ret == 4
    err = result.stderr.str()
    assert "LAUNCH_TODAY" in err and "--launch-allow-backdate" in err and "'2025-01-15'" in err
    assert "Traceback" not in err
    assert not (pytester.path / "out.json").exists()
    assert not list(pytester.path.glob("reports/**/go-no-go.json"))


@pytest.mark.parametrize("ci", ["true", "1", "yes"])
def test_every_truthy_ci_value_refuses_back_dating(pytester, monkeypatch, ci):
    _project(pytester)
    monkeypatch.setenv("CI", ci)
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    monkeypatch.setenv("LAUNCH_TODAY", "2026-01-01")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", "--launch-gate")
    assert result.ret == 4


def test_a_back_dated_run_with_the_flag_says_so_in_every_output(pytester, monkeypatch):
    _project(pytester)
    result = _run(pytester, monkeypatch, "--launch-allow-backdate", today="2025-01-15", ci=True)
    # judged on 2025-01-15 the waiver and sign-off are valid: the rehearsal's verdict
    assert result.ret == 0, result.stdout.str()[-2000:]
    doc, html, markdown = _outputs(pytester)
    assert doc["verdict"] == "GO_WITH_RISKS"
    real_today = dt.date.today().isoformat()
    assert doc["run"]["judged_on"] == "2025-01-15" and doc["run"]["real_today"] == real_today
    assert doc["run"]["backdated"] is True and doc["run"]["forward_dated"] is False
    lines = [line for line in result.stdout.str().splitlines() if line.strip()]
    # the note stands right above the verdict line, the last line of the run
    assert "BACK-DATED: judged as of 2025-01-15" in lines[-2] and real_today in lines[-2]
    assert lines[-1].strip("= ").startswith("launch decision (prod")
    assert "judged on 2025-01-15" in result.stdout.str()
    assert 'class="complete bad clock">BACK-DATED: judged as of 2025-01-15' in html
    assert "<b>judged on</b> 2025-01-15" in html
    assert "**BACK-DATED: judged as of 2025-01-15" in markdown and "judged on 2025-01-15" in markdown


def test_back_dating_outside_ci_is_allowed_and_still_flagged(pytester, monkeypatch):
    _project(pytester)
    result = _run(pytester, monkeypatch, today="2025-01-15", ci=False)
    assert result.ret == 0
    doc, html, markdown = _outputs(pytester)
    assert doc["run"]["backdated"] is True
    assert "BACK-DATED" in html and "BACK-DATED" in markdown and "BACK-DATED" in result.stdout.str()


def test_a_run_on_the_real_today_shows_the_date_and_no_warning(pytester, monkeypatch):
    _project(pytester)
    result = _run(pytester, monkeypatch, today=None, ci=True)
    # judged today the waiver and the sign-off have expired: the failing blocker blocks
    assert result.ret == 1
    doc, html, markdown = _outputs(pytester)
    today = dt.date.today().isoformat()
    assert doc["verdict"] == "NO_GO"
    assert doc["run"]["judged_on"] == today and doc["run"]["backdated"] is False
    assert f"judged on {today}" in result.stdout.str() and f"<b>judged on</b> {today}" in html
    assert f"judged on {today}" in markdown
    for text in (result.stdout.str(), html, markdown):
        assert "BACK-DATED" not in text and "FORWARD-DATED" not in text


def test_a_forward_dated_run_is_flagged(pytester, monkeypatch):
    _project(pytester)
    later = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    result = _run(pytester, monkeypatch, today=later, ci=True)
    doc, html, markdown = _outputs(pytester)
    assert doc["run"]["forward_dated"] is True and doc["run"]["judged_on"] == later
    for text in (result.stdout.str(), html, markdown):
        assert f"FORWARD-DATED: judged as of {later}" in text


def test_a_run_that_decides_nothing_ignores_the_clock_in_ci(pytester, monkeypatch):
    # no --env, no --launch-json, no gate: no decision, so nothing to refuse
    make_project(pytester, "def test_plain():\n    pass\n")
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("LAUNCH_TODAY", "2020-01-01")
    assert pytester.runpytest_inprocess("-p", "no:cacheprovider", "test_checks.py").ret == 0


def test_merge_records_the_judging_date(pytester, monkeypatch, tmp_path: Path):
    from pytest_launch.outputs.merge import merge_documents

    _project(pytester)
    _run(pytester, monkeypatch, today="2025-01-15", ci=False)
    doc = json.loads((pytester.path / "out.json").read_text("utf-8"))
    monkeypatch.setenv("LAUNCH_TODAY", "2025-01-20")
    merged = merge_documents([doc, doc], ["eu", "us"])
    assert merged["run"]["judged_on"] == "2025-01-20" and merged["run"]["backdated"] is True
    monkeypatch.delenv("LAUNCH_TODAY")
    merged = merge_documents([doc, doc], ["eu", "us"])
    assert merged["run"]["judged_on"] == dt.date.today().isoformat() and merged["run"]["backdated"] is False
    # judged today the waiver has expired: the merged decision is NO_GO, not the rehearsal's GO
    assert merged["verdict"] == "NO_GO"


def test_launch_merge_refuses_a_back_dated_clock_in_ci_unless_allowed(pytester, monkeypatch, capsys):
    """`launch merge` decides too (waivers and sign-offs as of $LAUNCH_TODAY): under CI=true a
    back-dated merge is refused with one line, exit 2, like the plugin's run; --allow-backdate
    makes it a rehearsal on purpose, said in the merged document, page and on stderr."""
    from pytest_launch.cli import main

    _project(pytester)
    _run(pytester, monkeypatch, today=None, ci=False)
    shard = str(pytester.path / "out.json")
    merged, site = pytester.path / "merged.json", pytester.path / "site"
    monkeypatch.setenv("LAUNCH_TODAY", "2025-01-15")
    monkeypatch.setenv("CI", "true")
    assert main(["merge", shard, shard, "-o", str(merged), "--render", str(site)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "LAUNCH_TODAY" in err and "--allow-backdate" in err and "'2025-01-15'" in err
    assert not merged.exists() and not site.exists()

    assert main(["merge", shard, shard, "-o", str(merged), "--render", str(site), "--allow-backdate"]) == 0
    assert "BACK-DATED: judged as of 2025-01-15" in capsys.readouterr().err
    doc = json.loads(merged.read_text("utf-8"))
    assert doc["run"]["backdated"] is True
    assert doc["run"]["judged_on"] == "2025-01-15"
    assert 'class="complete bad clock">BACK-DATED: judged as of 2025-01-15' in (site / "go-no-go.html").read_text()
    assert "**BACK-DATED: judged as of 2025-01-15" in (site / "go-no-go.md").read_text()

    monkeypatch.setenv("CI", "false")  # outside CI back-dating is allowed, and still said
    assert main(["merge", shard, shard, "-o", str(merged)]) == 0
    assert "BACK-DATED" in capsys.readouterr().err
