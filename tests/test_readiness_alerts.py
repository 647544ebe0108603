"""MON-09 "Alert delivery tested" (readiness/test_monitoring.py::test_synthetic_alert_delivered),
run through pytest against a real Alertmanager on 127.0.0.1 whose on-call receiver's webhook is
up (pass), refuses connections (fail), answers 500 (fail), or whose route sends the synthetic
alert to another, working receiver (fail). Before, all four passed: the API lists the alert as
active and routed in each of them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parent.parent
READINESS = ROOT / "readiness"
CHECK = "test_synthetic_alert_delivered"


def _run_mon09(pytester: pytest.Pytester, url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    env_file = pytester.path / "alerts.toml"
    env_file.write_text('[environment]\nname = "alerts-testbed"\nproduction = false\n\n'
                        f'[alertmanager]\nurl = {json.dumps(url)}\nsynthetic_receiver = "readiness-webhook"\n'
                        "delivery_timeout_s = 8\n")
    report = pytester.path / "go-no-go.json"
    result = pytester.runpytest_inprocess(
        str(READINESS / "test_monitoring.py"), "-k", CHECK, f"--env={env_file}", "--rootdir", str(ROOT),
        "-c", str(ROOT / "pyproject.toml"), "-p", "no:cacheprovider", "-p", "no:randomly",
        "--launch-report-dir", str(pytester.path / "reports"), "--launch-json", str(report))
    assert report.exists(), result.stdout.str()[-3000:]
    document = json.loads(report.read_text())
    (check,) = [c for c in document["checks"] if c["nodeid"].endswith(f"::{CHECK}")]
    return check, document


def test_mon09_passes_when_the_receiver_accepts(alertmanager_scenario: Any, pytester: pytest.Pytester) -> None:
    check, _ = _run_mon09(pytester, alertmanager_scenario("up").url)
    assert check["outcome"] == "passed", check["message"]
    alert = check["evidence"]["synthetic_alert"]
    assert alert["delivered"] is True and alert["routed"] is True
    assert alert["method"].startswith("integration counters (no receiver label in Alertmanager")
    assert alert["attempts"] >= 1 and alert["failures"] == 0
    assert alert["integrations"]["webhook"]["failed_requests"] == 0
    assert alert["seconds_to_delivery"] > 0


@pytest.mark.parametrize("behaviour", ["refusing", "500"])
def test_mon09_fails_when_the_receiver_fails(alertmanager_scenario: Any, pytester: pytest.Pytester,
                                              behaviour: str) -> None:
    check, document = _run_mon09(pytester, alertmanager_scenario(behaviour).url)
    assert check["outcome"] == "failed"
    assert "synthetic alert not delivered: receiver 'readiness-webhook' was not notified (routed, but not " \
           "delivered): webhook: 1 of 1 notification request(s) failed" in check["message"]
    alert = check["evidence"]["synthetic_alert"]
    assert alert["routed"] is True and alert["delivered"] is False  # routed is not delivered
    assert alert["integrations"]["webhook"]["failed_requests"] >= 1
    assert document["verdict"] == "NO_GO"


def test_mon09_fails_when_the_route_sends_the_alert_elsewhere(alertmanager_scenario: Any,
                                                              pytester: pytest.Pytester) -> None:
    check, _ = _run_mon09(pytester, alertmanager_scenario("up", route="elsewhere").url)
    assert check["outcome"] == "failed"
    assert "routed to other-team, expected 'readiness-webhook'" in check["message"]
    assert check["evidence"]["synthetic_alert"]["delivered"] is False
