"""Properties of the scope rules: over random selections narrower than a phase, the verdict is
never GO or GO_WITH_RISKS (issue 10)."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st
from property_budget import examples

from pytest_launch.config.policy import Policy
from pytest_launch.core.decision import decide
from pytest_launch.core.model import ChecklistItem, CheckResult, RunInfo, Signoff, Waiver
from pytest_launch.core.vocabulary import PHASES as PHASE_TABLE
from pytest_launch.plugin.selection import phases_of_markexpr

TODAY = dt.date(2026, 11, 25)
PHASES = tuple(PHASE_TABLE)
OTHER_TERMS = ("security", "blocker", "destructive", "owner")
CATEGORIES = ("security", "data", "monitoring")

items = st.builds(ChecklistItem, id=st.sampled_from([f"IT-{n}" for n in range(8)]),
                  title=st.just("an item"), phase=st.sampled_from(PHASES), category=st.sampled_from(CATEGORIES),
                  severity=st.sampled_from(["blocker", "critical", "normal"]), owner=st.just("team"),
                  mode=st.sampled_from(["automated", "manual"]))


def expressions() -> st.SearchStrategy[str]:
    leaves = st.sampled_from([*PHASES, *OTHER_TERMS])
    return st.recursive(leaves, lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda e: f"(not {e})")), max_leaves=6)


def selects(expr: str, present: set[str]) -> bool:
    """The expression evaluated by Python itself (a second opinion on pytest's evaluation)."""
    names = {name: (name in present) for name in (*PHASES, *OTHER_TERMS)}
    return bool(eval(expr, {"__builtins__": {}}, names))  # noqa: S307 - our own generated expression


@settings(max_examples=examples(300), deadline=None)
@given(expressions())
def test_a_mark_expression_that_selects_part_of_a_phase_is_partial(expr):
    in_scope, narrowed = phases_of_markexpr(expr)
    for phase in PHASES:
        outcomes = {selects(expr, {phase, *combo})
                    for n in range(len(OTHER_TERMS) + 1) for combo in itertools.combinations(OTHER_TERMS, n)}
        assert (phase in in_scope) == (True in outcomes), expr
        assert (phase in narrowed) == (outcomes == {True, False}), expr


@settings(max_examples=examples(300), deadline=None)
@given(checklist=st.lists(items, max_size=8, unique_by=lambda i: i.id),
       outcomes=st.lists(st.sampled_from(["passed", "failed", "error", "skipped"]), max_size=8),
       partial=st.lists(st.sampled_from(["-k health", "--deselect x", "--lf", "only a.py named",
                                         "-m t_minus_7 and security selects only part of t_minus_7"]),
                        min_size=1, max_size=3),
       phases=st.lists(st.sampled_from(PHASES), min_size=1, unique=True),
       waive=st.booleans())
def test_a_partial_run_is_never_go(checklist, outcomes, partial, phases, waive):
    checks = [CheckResult(nodeid=f"t.py::test_{n}", outcome=o, severity="blocker", phase=item.phase,
                          checklist=item.id, kind="manual" if item.mode == "manual" else "check")
              for n, (item, o) in enumerate(zip(checklist, outcomes))]
    waivers = [Waiver(check=i.id, reason="r", owner="o", approved_by="a", expires=TODAY, environments=["*"],
                      accepts=["failed", "error", "skipped", "refused"]) for i in checklist] if waive else []
    signoffs = [Signoff(item=i.id, by="b", at=TODAY, evidence="https://e.example", environments=["*"])
                for i in checklist if i.mode == "manual"]
    run = RunInfo(scope_phases=phases, partial=partial, environments=["prod"])
    decision = decide(checks, checklist, waivers, signoffs, run, Policy(), TODAY)
    assert decision.verdict == "NO_GO"
    assert decision.reasons[0].code == "partial"
    assert decision.scope["complete"] is False
