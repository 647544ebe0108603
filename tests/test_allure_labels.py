"""With --alluredir, our markers become Allure labels: a real allure-pytest run writes the
result files, and we read them back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from launch_project import TODAY, make_project

pytest.importorskip("allure_pytest")

CHECKS = """
import allure
import pytest

@pytest.mark.checklist("SEC-01")
def test_tls():
    pass

@pytest.mark.checklist("T0-12")
@pytest.mark.rollback_trigger
@pytest.mark.parametrize("region", ["eu", "us"])
def test_error_rate(region):
    assert region == "eu", "error rate 6% in us"

@pytest.mark.checklist("PERF-02")
@allure.title("Custom title wins")
def test_cache():
    pass

@pytest.mark.t_minus_7
@pytest.mark.application
@pytest.mark.owner("app-team")
def test_unlinked_without_severity():
    pass
"""


def allure_results(folder: Path) -> dict[str, dict]:
    results = {}
    for path in folder.glob("*-result.json"):
        data = json.loads(path.read_text("utf-8"))
        results[data["fullName"].rsplit("#", 1)[-1] + data.get("name", "")] = data
        results[data["name"]] = data
    return results


def labels_of(result: dict) -> dict[str, list[str]]:
    labels: dict[str, list[str]] = {}
    for label in result["labels"]:
        labels.setdefault(label["name"], []).append(label["value"])
    return labels


def test_markers_become_allure_labels_and_titles(pytester: pytest.Pytester, monkeypatch):
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)
    make_project(pytester, CHECKS)
    alluredir = pytester.path / "allure-results"
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod",
                                          f"--alluredir={alluredir}", "test_checks.py",
                                          "--deselect", "readiness/checklist.toml::MON-06")
    result.assert_outcomes(passed=4, failed=1)
    results = allure_results(alluredir)

    tls = labels_of(results["TLS certificates valid"])
    assert tls["severity"] == ["blocker"]
    assert tls["epic"] == ["t_minus_7"]
    assert tls["feature"] == ["security"]
    assert tls["owner"] == ["security-team"]
    assert "SEC-01" in tls["tag"]

    eu = results["Error rate within budget [eu]"]
    us = results["Error rate within budget [us]"]
    assert eu["status"] == "passed" and us["status"] == "failed"
    us_labels = labels_of(us)
    assert us_labels["epic"] == ["t_0"] and us_labels["feature"] == ["performance"]
    assert us_labels["owner"] == ["sre"] and us_labels["severity"] == ["blocker"]
    assert "T0-12" in us_labels["tag"] and "rollback_trigger" in us_labels["tag"]

    custom = labels_of(results["Custom title wins"])  # the check's own @allure.title is kept
    assert custom["severity"] == ["normal"] and custom["owner"] == ["perf-team"]

    unlinked = results["test_unlinked_without_severity"]  # no checklist item: pytest's name
    unlinked_labels = labels_of(unlinked)
    assert unlinked_labels["severity"] == ["blocker"]  # counts as blocking: never "normal"
    assert "severity-defaulted" in unlinked_labels["tag"]
    assert unlinked_labels["feature"] == ["application"] and unlinked_labels["owner"] == ["app-team"]


def test_only_selected_checks_get_allure_results_with_their_titles(pytester: pytest.Pytester, monkeypatch):
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)
    make_project(pytester, CHECKS)
    alluredir = pytester.path / "allure-results"
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod",
                                          f"--alluredir={alluredir}", "-m", "security", "test_checks.py")
    result.assert_outcomes(passed=1)
    (only,) = [r for r in alluredir.glob("*-result.json")]
    assert json.loads(only.read_text())["name"] == "TLS certificates valid"
