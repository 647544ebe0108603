"""The plan builder (core.plan.build_plan) and its renderings (outputs.plan), as plain data: no
pytest run, no server (listed in .ci/pure-tests.txt). The pytest side is tests/test_plan.py."""

from __future__ import annotations

import datetime as dt
import json

from pytest_launch.core.model import ChecklistItem, Signoff, Waiver
from pytest_launch.core.plan import CheckNeeds, PlanEnvironment, build_plan
from pytest_launch.outputs.plan import plan_document, plan_markdown, plan_text

TODAY = dt.date(2026, 11, 25)


def _items() -> list[ChecklistItem]:
    return [ChecklistItem("SEC-01", "TLS", "t_minus_7", "security", "blocker", "sec"),
            ChecklistItem("MON-06", "On-call", "t_minus_7", "monitoring", "critical", "sre", mode="manual"),
            ChecklistItem("T0-12", "Errors", "t_0", "performance", "blocker", "sre")]


def test_build_plan_judges_tables_alternatives_and_approvals_as_data() -> None:
    env = PlanEnvironment("prod", "prod.toml", frozenset({"http", "backups"}), production=True, release="2.0.0")
    checks = [CheckNeeds("t.py::a", "SEC-01", (("http",), ("aws", "backups"))),
              CheckNeeds("t.py::b", "SEC-01", (("cdn",),), destructive=True),
              CheckNeeds("t.py::free", None, (), ("launch_env",), phase="t_minus_7", owner="web")]
    signoffs = [Signoff("MON-06", "ann", dt.date(2026, 11, 1), "https://x.test/a", environments=["prod"],
                        release="1.9.0"),
                Signoff("MON-06", "bob", dt.date(2026, 12, 1), "https://x.test/b", environments=["*"])]
    waivers = [Waiver("t.py::b", "cdn later", "sec", "cto", dt.date(2026, 11, 30), environments=["prod"])]
    plan = build_plan(checks, _items(), env, waivers, signoffs, TODAY, ["t_minus_7"])
    sec, mon = plan.items
    assert [(t.name, t.configured) for t in sec.checks[0].tables] == [("aws or backups", True), ("http", True)]
    assert [(t.name, t.configured) for t in sec.checks[1].tables] == [("cdn", False)]
    assert sec.gaps == ["missing_table"] and [a.status for a in sec.approvals] == ["valid"]
    assert [a.status for a in mon.approvals] == ["other_release", "future"] and mon.gaps == ["unsigned"]
    assert [c.nodeid for c in plan.unlinked] == ["t.py::free"]
    assert [g.kind for g in plan.gaps] == ["missing_table", "unsigned", "undeclared"]
    assert plan.exit_code == 1 and [i.id for i in plan.items] == ["SEC-01", "MON-06"]


def test_build_plan_without_environment_never_says_configured() -> None:
    plan = build_plan([CheckNeeds("t.py::a", "SEC-01", (("http",),))], _items(), None, [], [],
                      TODAY, ["t_minus_7", "t_0"], paths_narrowed=True)
    assert plan.items[0].checks[0].tables[0].configured is False
    assert "no environment given" in plan.notes[0]
    uncovered = [g.text for g in plan.gaps if g.kind == "uncovered"]
    assert uncovered == ["T0-12 (sre): automated item with no check collected (only some files were named: a check "
                         "elsewhere would not count): add @pytest.mark.checklist('T0-12') to a check, or make it manual"]


def test_the_renderings_show_the_same_plan_and_escape_outside_text() -> None:
    env = PlanEnvironment("prod", "readiness/environments/prod.toml", frozenset({"http"}), production=True)
    checks = [CheckNeeds("t.py::test_a[x|<b>]", "SEC-01", (("http",),)), CheckNeeds("t.py::c", "T0-12", (("cdn",),))]
    plan = build_plan(checks, _items(), env, [], [], TODAY, ["t_minus_7", "t_0"], selection="t_minus_7 or t_0")
    text = plan_text(plan)
    assert "check t.py::test_a[x|<b>]: [http] configured" in text
    assert text.rstrip().endswith("launch plan (prod, t_minus_7, t_0): 2 gaps (1 missing table, 1 unsigned): exit 1")
    markdown = plan_markdown(plan)
    assert "t.py::test\\_a\\[x\\|&lt;b&gt;\\]: \\[http\\] configured" in markdown  # no table broken, no HTML
    assert "<b>" not in markdown
    doc = json.loads(json.dumps(plan_document(plan)))
    assert doc["exit_code"] == 1 and doc["judged_on"] == "2026-11-25"
    assert [i["status"] for i in doc["items"]] == ["ready", "unsigned", "missing_table"]
    assert doc["environment"]["tables"] == ["http"]
