"""The vocabulary of PRODUCT §2 through pytest: registered markers, the launch option group,
-m composition, checklist inheritance, and the usage errors of a bad link."""

from __future__ import annotations

import pytest

from launch_project import TODAY, check_by_name, make_project, read_report
from pytest_launch.core.vocabulary import CATEGORIES, PHASES, SEVERITIES

pytestmark = pytest.mark.usefixtures("launch_today")


@pytest.fixture
def launch_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)


ALL_MARKERS = [*PHASES, *CATEGORIES, *SEVERITIES, "owner", "checklist", "destructive", "rollback_trigger"]


def test_pytest_markers_lists_every_marker_with_a_description(pytester):
    result = pytester.runpytest_inprocess("--markers")
    assert result.ret == 0
    out = result.stdout.str()
    for name in ALL_MARKERS:
        lines = [line for line in out.splitlines() if line.startswith(f"@pytest.mark.{name}")]
        assert lines, f"{name} is not listed"
        assert len(lines[0].split(":", 1)[1].strip()) > 10, lines[0]
    assert "@pytest.mark.checklist(item_id)" in out and "@pytest.mark.owner(name)" in out


def test_help_shows_the_launch_options_in_their_own_group(pytester):
    result = pytester.runpytest_inprocess("--help")
    out = result.stdout.str()
    group = out.split("launch readiness (pytest-launch):", 1)
    assert len(group) == 2, "no launch group in --help"
    section = group[1].split("\n\n", 1)[0]
    for option in ["--env=NAME|PATH", "--launch-json=PATH", "--launch-report-dir=DIR", "--launch-gate",
                   "--launch-strict", "--launch-allow-destructive", "--launch-stage=PERCENT"]:
        assert option in section, option
    for ini in ["launch_environments_dir", "launch_checklist", "launch_waivers", "launch_signoffs", "launch_policy"]:
        assert ini in out, ini


def test_strict_markers_accepts_the_whole_vocabulary(pytester):
    decorators = "\n".join(f"@pytest.mark.{m}" for m in [*PHASES, *CATEGORIES, *SEVERITIES,
                                                         "destructive", "rollback_trigger"])
    pytester.makepyfile("import pytest\n\n" + decorators + '\n@pytest.mark.owner("sre")\ndef test_all():\n    pass\n')
    result = pytester.runpytest_inprocess("--strict-markers", "-p", "no:cacheprovider")
    assert result.ret == 0
    result.assert_outcomes(passed=1)
    # and a typo is still caught
    pytester.makepyfile("import pytest\n\n@pytest.mark.blockr\ndef test_typo():\n    pass\n")
    assert pytester.runpytest_inprocess("--strict-markers", "-p", "no:cacheprovider").ret != 0


SELECTION = """
import pytest

@pytest.mark.t_minus_7
@pytest.mark.security
@pytest.mark.blocker
def test_headers():
    pass

@pytest.mark.t_minus_7
@pytest.mark.security
@pytest.mark.minor
def test_cookie_flags():
    pass

@pytest.mark.t_0
@pytest.mark.security
@pytest.mark.blocker
def test_waf():
    pass

@pytest.mark.checklist("SEC-01")
def test_tls_inherited():
    pass

@pytest.mark.checklist("PERF-02")
def test_cache_inherited():
    pass
"""


def selected(result: pytest.RunResult) -> list[str]:
    return sorted(line.split("::")[1].split(" ")[0] for line in result.stdout.lines
                  if "::" in line and " PASSED" in line)


@pytest.mark.parametrize("expr, names", [
    ("t_minus_7 and security and blocker", ["test_headers", "test_tls_inherited"]),
    ("security and not blocker", ["test_cookie_flags"]),
    ("t_0", ["test_waf"]),
    ("performance", ["test_cache_inherited"]),
    ("normal or minor", ["test_cache_inherited", "test_cookie_flags"]),
])
def test_mark_expressions_compose_and_select_inherited_markers(pytester, expr, names):
    make_project(pytester, SELECTION)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-v", "-m", expr, "test_checks.py")
    assert selected(result) == names


def test_owner_marker_from_the_checklist_lands_in_the_report(pytester):
    make_project(pytester, SELECTION)
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", "-m", "security", "test_checks.py")
    doc = read_report(pytester)
    tls = check_by_name(doc, "::test_tls_inherited")
    assert (tls["phase"], tls["category"], tls["severity"], tls["owner"]) == \
        ("t_minus_7", "security", "blocker", "security-team")
    headers = check_by_name(doc, "::test_headers")
    assert headers["owner"] is None and headers["checklist"] is None


def test_a_check_may_repeat_its_items_markers(pytester):
    make_project(pytester, """
        import pytest

        @pytest.mark.checklist("SEC-01")
        @pytest.mark.t_minus_7
        @pytest.mark.blocker
        @pytest.mark.owner("security-team")
        def test_tls():
            pass
    """)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "test_checks.py")
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize("marker, words", [
    ("@pytest.mark.critical", "is marked severity critical but its checklist item SEC-01"),
    ("@pytest.mark.t_0", "is marked phase t_0 but its checklist item SEC-01"),
    ("@pytest.mark.infra", "is marked category infra but its checklist item SEC-01"),
    ('@pytest.mark.owner("someone-else")', "is marked owner('someone-else') but its checklist item SEC-01"),
])
def test_a_contradiction_with_the_checklist_is_a_usage_error_naming_both(pytester, marker, words):
    make_project(pytester, f"""
        import pytest

        @pytest.mark.checklist("SEC-01")
        {marker}
        def test_tls():
            pass
    """)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", "test_checks.py")
    assert result.ret == 4
    err = result.stderr.str()
    assert "test_checks.py::test_tls" in err and words in err
    assert "Traceback" not in err + result.stdout.str()
    result.stdout.no_fnmatch_line("*PASSED*")


def test_an_unknown_checklist_id_is_a_usage_error_with_a_hint(pytester):
    make_project(pytester, """
        import pytest

        @pytest.mark.checklist("SEC-1")
        def test_tls():
            pass
    """)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", "test_checks.py")
    assert result.ret == 4
    err = result.stderr.str()
    assert "test_checks.py::test_tls: checklist id 'SEC-1' is not in" in err
    assert "checklist.toml" in err and "did you mean 'SEC-01'?" in err
    assert "Traceback" not in err + result.stdout.str()


def test_an_unknown_checklist_id_under_xdist_stops_the_run_without_a_go(pytester):
    make_project(pytester, """
        import pytest

        @pytest.mark.checklist("NOPE-1")
        def test_tls():
            pass
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", "-n", "2", "--launch-gate",
                                           "test_checks.py")
    assert result.ret != 0
    assert "checklist id 'NOPE-1' is not in" in result.stdout.str() + result.stderr.str()
    report = pytester.path / "reports" / "prod" / "partial" / "go-no-go.json"  # one file named
    if report.exists():
        assert read_report(pytester)["verdict"] == "NO_GO"


def test_a_checklist_marker_without_an_id_is_a_usage_error(pytester):
    make_project(pytester, "import pytest\n\n@pytest.mark.checklist\ndef test_x():\n    pass\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "test_checks.py")
    assert result.ret == 4
    assert "@pytest.mark.checklist expects an item id" in result.stderr.str()


def test_severity_defaulted_is_reported(pytester):
    make_project(pytester, "import pytest\n\n@pytest.mark.t_minus_7\ndef test_bare():\n    pass\n", checklist=None)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod")
    doc = read_report(pytester)
    bare = check_by_name(doc, "::test_bare")
    assert bare["severity"] is None and bare["severity_defaulted"] is True and bare["blocking"] is True
    assert doc["verdict"] == "GO"
    assert "test_checks.py::test_bare has no severity marker: counted as blocking" in result.stdout.str()


def test_the_most_severe_of_several_severities_counts(pytester):
    make_project(pytester, """
        import pytest

        @pytest.mark.minor
        @pytest.mark.critical
        def test_two():
            assert False
    """, checklist=None)
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod")
    doc = read_report(pytester)
    assert check_by_name(doc, "::test_two")["severity"] == "critical"
    assert doc["verdict"] == "NO_GO"


LAYERED = {
    "test_layered.py": """
        import pytest

        pytestmark = [pytest.mark.t_minus_7, pytest.mark.owner("module-team"), pytest.mark.minor]

        @pytest.mark.security
        @pytest.mark.owner("class-team")
        class TestEdge:
            @pytest.mark.owner("own-team")
            @pytest.mark.critical
            def test_own_owner(self):
                pass

            def test_class_owner(self):
                pass

        @pytest.mark.data
        @pytest.mark.rollback_trigger
        def test_module_owner():
            pass
    """,
    "test_other.py": """
        import pytest

        pytestmark = pytest.mark.t_0

        @pytest.mark.infra
        def test_nothing_inherited_from_the_other_module():
            pass
    """,
    "test_linked.py": """
        import pytest

        @pytest.mark.checklist("PERF-02")
        class TestCache:
            def test_warm(self):
                pass

            def test_hit_rate(self):
                pass

        def test_unlinked():
            pass
    """,
}


def test_metadata_comes_from_the_closest_marker_of_function_class_and_module(pytester):
    # the end of a run reads each parent's markers once for all its checks: every check still
    # gets its own markers, and nothing of another module or class
    make_project(pytester, LAYERED)
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "--env=prod", "test_layered.py", "test_other.py",
                                 "test_linked.py")
    doc = read_report(pytester)
    shown = {c["nodeid"].split("::", 1)[1]: (c["phase"], c["category"], c["severity"], c["owner"],
                                              c["rollback_trigger"])
             for c in doc["checks"] if c["kind"] == "check"}
    assert shown == {
        # two severities (critical on the method, minor on the module): the most severe counts
        "TestEdge::test_own_owner": ("t_minus_7", "security", "critical", "own-team", False),
        "TestEdge::test_class_owner": ("t_minus_7", "security", "minor", "class-team", False),
        "test_module_owner": ("t_minus_7", "data", "minor", "module-team", True),
        "test_nothing_inherited_from_the_other_module": ("t_0", "infra", None, None, False),
        # a class's checklist link: both its checks get the item's markers, the module's other check none
        "TestCache::test_warm": ("t_minus_7", "performance", "normal", "perf-team", False),
        "TestCache::test_hit_rate": ("t_minus_7", "performance", "normal", "perf-team", False),
        "test_unlinked": (None, None, None, None, False),
    }
    assert {c["nodeid"].split("::", 1)[1]: c["checklist"] for c in doc["checks"]
            if c["nodeid"].startswith("test_linked.py")} == \
        {"TestCache::test_warm": "PERF-02", "TestCache::test_hit_rate": "PERF-02", "test_unlinked": None}
