"""The link to the published page: --launch-report-url BASE or [reports] url (BASE is where
reports/<env>/ is published), in the JSON (report_url), the Markdown summary and the JUnit
launch-decision testcase."""

from __future__ import annotations

import json

import pytest

from launch_project import PROD, TODAY, make_project, read_report

CHECKS = """
import pytest

@pytest.mark.t_minus_7
@pytest.mark.checklist("SEC-01")
def test_tls():
    pass
"""


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)


def test_the_option_links_the_phase_page_in_json_markdown_and_junit(pytester):
    make_project(pytester, CHECKS)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", "-m", "t_minus_7",
                                          "--launch-report-url=https://reports.example/launch/prod/",
                                          "--junitxml=junit.xml")
    assert result.ret == 1  # NO_GO (MON-06 not signed off): the launch-decision testcase fails
    page = "https://reports.example/launch/prod/t_minus_7/go-no-go.html"
    doc = read_report(pytester, folder="t_minus_7")
    assert doc["report_url"] == page
    markdown = (pytester.path / "reports" / "prod" / "t_minus_7" / "go-no-go.md").read_text()
    assert f"[Open the full go/no-go report](<{page}>)" in markdown
    assert f"report: {page}" in (pytester.path / "junit.xml").read_text()


def test_the_environment_file_gives_the_base_and_the_option_wins(pytester):
    make_project(pytester, CHECKS, env=PROD + '\n[reports]\nurl = "https://intranet.example/launch/prod"\n')
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", "-m", "t_minus_7", "--launch-json=a.json")
    assert json.loads((pytester.path / "a.json").read_text())["report_url"] == \
        "https://intranet.example/launch/prod/t_minus_7/go-no-go.html"
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", "-m", "t_minus_7", "--launch-json=b.json",
                                 "--launch-report-url=https://other.example/p")
    assert json.loads((pytester.path / "b.json").read_text())["report_url"] == \
        "https://other.example/p/t_minus_7/go-no-go.html"


def test_no_base_no_link(pytester):
    make_project(pytester, CHECKS)
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", "-m", "t_minus_7")
    assert "report_url" not in read_report(pytester, folder="t_minus_7")


@pytest.mark.parametrize("how", ["option", "file"])
def test_a_base_that_is_not_an_http_url_is_a_usage_error(pytester, how):
    env = PROD + ('\n[reports]\nurl = "reports.example/prod"\n' if how == "file" else "")
    make_project(pytester, CHECKS, env=env)
    extra = ["--launch-report-url=reports.example/prod"] if how == "option" else []
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", "-m", "t_minus_7", *extra)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert "to be an http:// or https:// URL" in err and "Traceback" not in err
