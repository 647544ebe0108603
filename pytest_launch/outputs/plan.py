"""The plan of a readiness run (core.plan.Plan) as text, JSON or Markdown: `launch plan --format`.

    text       a table, one row per checklist item, its checks and approvals indented under it,
               then the gaps, one line each, and the summary line
    json       the plan as a document (`plan_version` 1): items, checks, tables, approvals, gaps
    markdown   the same table for a CI step summary or a chat message (outside text escaped)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

from pytest_launch.core.plan import GAP_KINDS, Plan, PlannedApproval, PlannedCheck
from pytest_launch.outputs.markdown_text import md_escape

PLAN_VERSION = 1
_GAP_WORDS = {"uncovered": "uncovered", "missing_table": "missing table", "undeclared": "undeclared tables",
              "unsigned": "unsigned"}
_COLUMNS = ("ITEM", "PHASE", "CATEGORY", "SEVERITY", "OWNER", "MODE", "STATUS")


def render_plan(plan: Plan, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(plan_document(plan), indent=1, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return plan_markdown(plan)
    return plan_text(plan)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, frozenset, set)):
        items = [_jsonable(v) for v in value]
        return sorted(items) if isinstance(value, (set, frozenset)) else items
    return value


def plan_document(plan: Plan) -> dict[str, Any]:
    """The plan as built-in types (dates as YYYY-MM-DD)."""
    doc = _jsonable(dataclasses.asdict(plan))
    doc["items"] = [{**item, "status": source.status} for item, source in zip(doc["items"], plan.items)]
    return {"plan_version": PLAN_VERSION, "exit_code": plan.exit_code, "gap_counts": plan.gap_counts(), **doc}


def summary_line(plan: Plan) -> str:
    env = plan.environment.name if plan.environment is not None else "no environment"
    scope = ", ".join(plan.scope_phases) or "no phase"
    if not plan.gaps:
        return f"launch plan ({env}, {scope}): {len(plan.items)} items, no gaps: exit 0"
    counts = ", ".join(f"{n} {_GAP_WORDS[k]}" for k, n in plan.gap_counts().items() if n)
    gaps = f"{len(plan.gaps)} gap{'' if len(plan.gaps) == 1 else 's'}"
    return f"launch plan ({env}, {scope}): {gaps} ({counts}): exit {plan.exit_code}"


def _header(plan: Plan) -> list[str]:
    env = plan.environment
    if env is None:
        where = "no environment (pass --launch-env NAME)"
    else:
        where = f"{env.name} ({env.where}){', production' if env.production else ''}" \
                f"{', release ' + env.release if env.release else ''}"
    selection = f" (-m {plan.selection})" if plan.selection else " (no -m: every phase)"
    lines = [f"environment: {where}",
             f"scope: {', '.join(plan.scope_phases) or 'no phase'}{selection}; approvals judged on "
             f"{plan.judged_on.isoformat()}",
             "nothing was run or probed: no check, no fixture, no network"]
    lines += [f"note: {note}" for note in plan.notes]
    return lines


def _tables_text(check: PlannedCheck) -> str:
    parts = [f"[{t.name}] " + ("optional, " + ("configured" if t.configured else "not configured") if t.optional
                               else "configured" if t.configured else "MISSING") for t in check.tables]
    if check.undeclared:
        parts.append("UNDECLARED (reads the environment through " + ", ".join(check.undeclared) + ")")
    return "; ".join(parts) or "no table needed"


def approval_text(approval: PlannedApproval) -> str:
    who = "sign-off by" if approval.kind == "signoff" else f"waiver of {approval.subject} approved by"
    expires = f"expires {approval.expires.isoformat()}" if approval.expires else "no expiry"
    scope = "environments " + (", ".join(approval.environments) or "none")
    if approval.release:
        scope += f", release {approval.release}"
    status = "VALID here" if approval.applies else {
        "expired": "EXPIRED", "other_environment": "NOT for this environment",
        "other_release": "NOT for this release", "future": "dated in the future (not yet valid)",
    }.get(approval.status, approval.status.upper())
    return f"{who} {approval.by}, {expires}, {scope}: {status}"


def plan_text(plan: Plan) -> str:
    rows = [list(_COLUMNS)] + [[i.id, i.phase, i.category, i.severity, i.owner, i.mode, i.status.upper()]
                               for i in plan.items]
    widths = [max(len(row[c]) for row in rows) for c in range(len(_COLUMNS))]
    lines = _header(plan) + [""]
    lines.append("  ".join(v.ljust(w) for v, w in zip(rows[0], widths)).rstrip())
    for item, row in zip(plan.items, rows[1:]):
        lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
        lines.append(f"    {item.title}")
        for check in item.checks:
            lines.append(f"    check {check.nodeid}{_destructive(plan, check)}: {_tables_text(check)}")
        if item.mode == "automated" and not item.checks:
            lines.append("    check: none")
        for approval in item.approvals:
            lines.append(f"    {approval_text(approval)}")
    if plan.unlinked:
        lines += ["", "checks linked to no checklist item:"]
        for check in plan.unlinked:
            labels = ", ".join(v for v in (check.phase, check.category, check.severity, check.owner) if v)
            lines.append(f"  {check.nodeid} ({labels or 'no labels'}): {_tables_text(check)}")
    lines.append("")
    if plan.gaps:
        lines.append(f"gaps ({len(plan.gaps)}):")
        for kind in GAP_KINDS:
            lines += [f"  {_GAP_WORDS[kind]}: {gap.text}" for gap in plan.gaps if gap.kind == kind]
    lines.append(summary_line(plan))
    return "\n".join(lines) + "\n"


def _destructive(plan: Plan, check: PlannedCheck) -> str:
    if not check.destructive:
        return ""
    if plan.environment is not None and plan.environment.production:
        return " (destructive: refused against production unless --launch-allow-destructive)"
    return " (destructive)"


def _md_checks(checks: list[PlannedCheck]) -> str:
    return "<br>".join(f"{md_escape(c.nodeid, 160)}: {md_escape(_tables_text(c), 160)}" for c in checks) or "none"


def plan_markdown(plan: Plan) -> str:
    lines = ["## Launch plan \u2014 " + md_escape(plan.environment.name if plan.environment else "no environment", 60),
             ""]
    lines += [f"- {md_escape(line, 400)}" for line in _header(plan)]
    lines += ["", "| Item | Phase | Category | Severity | Owner | Mode | Checks and tables | Approvals | Status |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for item in plan.items:
        approvals = "<br>".join(md_escape(approval_text(a), 200) for a in item.approvals) or "\u2014"
        checks = _md_checks(item.checks) if item.mode == "automated" or item.checks else "manual"
        status = "\u2705 ready" if not item.gaps else "\u274c " + md_escape(item.status, 20)
        lines.append(f"| **{md_escape(item.id, 40)}** {md_escape(item.title, 80)} | {item.phase} | {item.category} | "
                     f"{item.severity} | {md_escape(item.owner, 60)} | {item.mode} | {checks} | {approvals} | "
                     f"{status} |")
    if plan.unlinked:
        lines += ["", "Checks linked to no checklist item:", ""]
        lines += [f"- {md_escape(c.nodeid, 160)}: {md_escape(_tables_text(c), 160)}" for c in plan.unlinked]
    lines.append("")
    if plan.gaps:
        lines += [f"**Gaps ({len(plan.gaps)})**", ""]
        for kind in GAP_KINDS:
            lines += [f"- {_GAP_WORDS[kind]}: {md_escape(gap.text, 400)}" for gap in plan.gaps if gap.kind == kind]
        lines.append("")
    lines.append(f"**{md_escape(summary_line(plan), 300)}**")
    return "\n".join(lines) + "\n"
