"""T+1: success criteria measured against a real Prometheus, and the post-launch report."""

from __future__ import annotations

import json

import pytest

from pytest_launch.core.errors import ConfigError
from pytest_launch.core.rollout import SuccessSettings, success_plan
from pytest_launch.core.settings import build
from pytest_launch.outputs.postlaunch import render_post_launch, write_post_launch
from testbed.support import wait_until


def success_check(expression, outcome, result, measured, threshold, owner="sre-team"):
    return {"nodeid": f"readiness/test_success_criteria.py::test_success_criterion[success: {expression}]",
            "outcome": outcome, "phase": "t_plus_1", "category": "performance", "owner": owner,
            "checklist": None, "message": "", "kind": "check",
            "evidence": {"kind": "success", "expression": expression, "query": "sum(rate(x[24h]))",
                         "window": "24h", "measured": measured, "threshold": threshold, "result": result,
                         "reason": f"because {result}"}}


DOC = {
    "verdict": "NO_GO", "display_verdict": "NO-GO", "headline": "2 blocking failures",
    "environment": {"name": "prod", "production": True},
    "run": {"started": "2026-11-26T09:00:00Z", "finished": "2026-11-26T09:01:00Z", "complete": True, "stage": None},
    "checks": [
        success_check("error_rate < 0.1% over 24h", "passed", "PASS", 0.0004, "0.1%"),
        success_check("p95(latency) < 500ms over 24h", "failed", "FAIL", 0.61, "500ms"),
        success_check("count(uploads) > 100 over 24h", "error", "NO_DATA", None, "100", owner="product"),
        {"nodeid": "readiness/test_ops.py::test_alerts_resolved", "outcome": "failed", "phase": "t_plus_1",
         "owner": "sre-team", "checklist": "OPS-01", "title": "All alerts resolved",
         "message": "2 alerts <script>alert(1)</script> | still firing", "evidence": {}},
        {"nodeid": "readiness/test_infra.py::test_tls", "outcome": "passed", "phase": "t_minus_7", "evidence": {}},
    ],
}

HISTORY = [
    {"time": "2026-11-19T02:00:00Z", "verdict": "NO_GO", "counts": {"failed": 3},
     "blockers": ["readiness/test_infra.py::test_tls", "readiness/test_data.py::test_backup"]},
    "not a dict",
    {"verdict": "NO_GO", "blockers": "readiness/test_infra.py::test_tls"},  # no time, blockers as a string
    {"time": "2026-11-25T10:00:00Z", "verdict": "NO_GO", "display_verdict": "HOLD", "stage": 5,
     "counts": {"failed": 1}, "blockers": [{"nodeid": "readiness/test_launch_day.py::test_rollout_stage[x]"}]},
    {"time": "2026-11-25T11:00:00Z", "verdict": "GO", "display_verdict": "PROCEED", "stage": 25, "blockers": []},
    {"time": "2026-11-25T12:00:00Z", "verdict": None, "counts": "garbage", "blockers": None},
]


def test_report_sections_metrics_met_and_missed():
    text = render_post_launch(DOC, HISTORY)
    assert text.startswith("# Post-launch report: prod")
    for heading in ("## Launch metrics", "## Success criteria: 1 met, 2 missed", "### Met", "### Missed",
                    "## Operational items", "## Issues found across this environment's launch runs",
                    "## Lessons and improvements", "### What went well", "### Improvements and action items"):
        assert heading in text
    met = text.split("### Met")[1].split("### Missed")[0]
    missed = text.split("### Missed")[1].split("## Operational items")[0]
    assert "error\\_rate &lt; 0.1% over 24h: 0.04%" in met
    assert "p95(latency) &lt; 500ms over 24h: **FAIL**, measured 610ms" in missed
    assert "count(uploads) &gt; 100 over 24h: **NO\\_DATA**, measured no data (owner: product)" in missed
    assert "| error\\_rate &lt; 0.1% over 24h | 0.04% | 0.1% | 24h | PASS |" in text


def test_report_history_issues_rollout_stages_and_recurring_blockers():
    text = render_post_launch(DOC, HISTORY)
    history = text.split("## Issues found")[1].split("## Lessons")[0]
    assert "5 runs:" in history  # the line that is not an object is skipped
    assert "| 2026-11-25T10:00:00Z | 5% | HOLD |" in history and "| 25% | PROCEED |" in history
    assert "2026-11-19T02:00:00Z: NO\\_GO (3 failed): readiness/test\\_infra.py::test\\_tls" in history
    assert "### Recurring blockers" in history
    assert "readiness/test\\_infra.py::test\\_tls: in 2 runs" in history


def test_outside_text_is_escaped():
    text = render_post_launch(DOC, HISTORY)
    assert "<script>" not in text and "&lt;script&gt;" in text
    operational_row = next(line for line in text.splitlines() if "OPS-01" in line)
    assert operational_row.count(" | ") == 3  # the message's | cannot add a column


def test_report_without_success_criteria_or_history_says_so():
    text = render_post_launch({"environment": {"name": "x"}, "checks": [], "run": {"complete": False}}, [])
    assert "No success criterion was measured" in text and "Nothing here counts as met" in text
    assert "## Success criteria: 0 met, 0 missed" in text
    assert "No history" in text and "Incomplete evidence" in text
    assert render_post_launch({}, None).startswith("# Post-launch report: unknown")


def test_write_post_launch_is_atomic_file(tmp_path):
    path = write_post_launch(tmp_path / "prod", DOC, HISTORY)
    assert path.name == "post-launch.md" and path.read_text().startswith("# Post-launch report: prod")


def test_success_settings():
    settings = build(SuccessSettings, {"criteria": ["error_rate < 0.1% over 24h",
                                                    {"expr": "count(uploads) > 100", "category": "business"}]},
                     "prod.toml", "success")
    plan = success_plan(settings)
    assert [c.kind for c in plan.go] == ["success", "success"]
    assert plan.go[1].category == "business" and plan.default_window == "24h" and plan.step == "5m"
    with pytest.raises(ConfigError, match=r"success\.criteria\[0\].*column 12"):
        build(SuccessSettings, {"criteria": ["error_rate ! 5"]}, "prod.toml", "success")


ENV = """\
[environment]
name = "t1-test"

[prometheus]
url = "{url}"
timeout_s = 5

[success]
window = "10s"
step = "1s"
min_samples = 3
criteria = [
    'error_rate{{service="pl-day"}} < 1% over 10s',
    {{ expr = 'payment_success_rate{{service="pl-day"}} > 95% over 10s', category = "business", owner = "payments" }},
    'count(uploads{{service="pl-nobody"}}) > 100 over 10s',
]

[success.metrics]
error_rate = 'sum(rate(app_requests_total{{code="500",{{labels}}}}[{{window}}])) / sum(rate(app_requests_total{{{{labels}}}}[{{window}}]))'
payment_success_rate = 'sum(rate(app_payments_total{{outcome="success",{{labels}}}}[{{window}}])) / sum(rate(app_payments_total{{{{labels}}}}[{{window}}]))'
uploads = 'app_uploads_total{{{{labels}}}}'
"""


def test_t_plus_1_run_measures_criteria_and_renders_the_report(pytester, prometheus_server):
    exporter = prometheus_server.exporter
    exporter.traffic("pl-day", rps=100, error_ratio=0.0, payments_ps=20, payment_success=0.8)
    try:
        wait_until(lambda: prometheus_server.has_data(
            'count_over_time(app_payments_total{service="pl-day",outcome="success"}[10s]) >= 4'),
            timeout=20, what="first-day traffic")
        pytester.makefile(".toml", env=ENV.format(url=prometheus_server.url))
        pytester.makepyfile(test_success_criteria=(
            "from pytest_launch.plugin.stage_checks import assert_stage_check\n\n"
            "def test_success_criterion(launch_success_verdict):\n"
            "    assert_stage_check(launch_success_verdict)\n"))
        result = pytester.runpytest_subprocess("-p", "pytest_launch.plugin.stage_checks", "--env", "env.toml", "-m",
                                               "t_plus_1", "--launch-json", "out.json", "-p", "no:cacheprovider")
    finally:
        exporter.stop_traffic("pl-day")
    doc = json.loads((pytester.path / "out.json").read_text())
    outcomes = {c["evidence"]["expression"]: (c["outcome"], c["category"], c["phase"]) for c in doc["checks"]}
    assert outcomes == {
        'error_rate{service="pl-day"} < 1% over 10s': ("passed", "performance", "t_plus_1"),
        'payment_success_rate{service="pl-day"} > 95% over 10s': ("failed", "business", "t_plus_1"),
        'count(uploads{service="pl-nobody"}) > 100 over 10s': ("error", "performance", "t_plus_1"),
    }, result.stdout.str()
    text = render_post_launch(doc, [])
    assert "## Success criteria: 1 met, 2 missed" in text
    assert 'payment\\_success\\_rate{service="pl-day"} &gt; 95% over 10s: **FAIL**, measured 80%' in text
