"""The day after (T+1): success criteria and the post-launch report (issue 6).

    [success]
    window = "24h"          # for criteria without `over`: the first 24 hours
    step = "5m"             # resolution of the range queries (24h at 5m: 289 points)
    min_samples = 200       # points with data within the window, of 289
    criteria = [
        "availability >= 99.9% over 24h",
        "error_rate < 0.1% over 24h",
        "p95(latency) < 500ms over 24h",
        { expr = "registrations > 1000 over 24h", checklist = "SC-04" },
        { expr = "uploads > 100 over 24h", category = "business", severity = "normal" },
        { expr = "payment_success_rate > 95% over 24h", checklist = "SC-06" },
    ]

    [success.metrics]       # optional; merged over [prometheus].queries and [rollout].metrics
    availability = 'avg_over_time(up{job="api"}[{window}])'
    registrations = 'sum(increase(user_registrations_total{{labels}}[{window}]))'

`pytest -m t_plus_1 --env=prod` runs one check per criterion (pytest_launch.plugin.stage_checks), which
also writes post-launch.md at the end of the run; `render_post_launch(results_doc, history)`
turns that run's results document (go-no-go.json)
and the environment's history into post-launch.md: launch metrics, criteria met and missed,
the issues found across this environment's launch runs, and a lessons-and-improvements
section for the team to fill in.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pytest_launch.outputs.atomic import write_text_atomic
from pytest_launch.outputs.markdown_text import md_escape

# (the [success] table and its plan are pytest_launch.core.rollout's SuccessSettings and success_plan;
# not imported here, so that writing a report never loads the rollout plans and thresholds)
__all__ = ["render_post_launch", "write_post_launch"]

POST_LAUNCH_FILE = "post-launch.md"


# --------------------------------------------------------------------------- the report


def _esc(value: Any, limit: int = 200) -> str:
    return md_escape(value, limit)


def is_success_check(check: dict[str, Any]) -> bool:
    evidence = check.get("evidence")
    return isinstance(evidence, dict) and evidence.get("kind") == "success"


def _measured(evidence: dict[str, Any]) -> str:
    value = evidence.get("measured")
    if value is None:
        return "no data"
    threshold = str(evidence.get("threshold") or "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if threshold.endswith("%"):
            return f"{value * 100:.4g}%"
        if threshold.endswith("ms"):
            return f"{value * 1000:.4g}ms"
        return f"{value:.6g}"
    return str(value)


def _criterion_text(check: dict[str, Any]) -> str:
    """The criterion, after the checklist item it measures ("SC-04 registrations > 1000 over 24h")."""
    evidence = check.get("evidence") or {}
    text = str(evidence.get("expression") or check.get("title") or check.get("nodeid"))
    return f"{check['checklist']} {text}" if check.get("checklist") else text


def _str_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v.get("nodeid") or v) if isinstance(v, dict) else str(v) for v in value]
    if isinstance(value, str) and value:
        return [value]
    return []


def render_post_launch(results_doc: dict[str, Any], history: Iterable[Any]) -> str:
    """post-launch.md from a T+1 run's results document and this environment's history lines
    (oldest first; each a dict with verdict, counts, blockers, time; anything else is skipped)."""
    doc = results_doc if isinstance(results_doc, dict) else {}
    environment = doc.get("environment") or {}
    run = doc.get("run") or {}
    checks = [c for c in doc.get("checks") or [] if isinstance(c, dict)]
    name = environment.get("name") or "unknown"
    lines: list[str] = [f"# Post-launch report: {_esc(name)}", ""]
    lines.append(f"Run finished {_esc(run.get('finished') or run.get('started') or 'unknown')}; "
                 f"verdict **{_esc(doc.get('display_verdict') or doc.get('verdict') or 'unknown')}**"
                 + (f" — {_esc(doc.get('headline'), 300)}" if doc.get("headline") else "") + ".")
    if run.get("complete") is False:
        lines.append("")
        lines.append("> **Incomplete evidence:** this run did not complete; criteria without a result are missed.")
    lines.append("")

    success = [c for c in checks if is_success_check(c)]
    met = [c for c in success if c.get("outcome") == "passed"]
    missed = [c for c in success if c.get("outcome") != "passed"]
    lines += ["## Launch metrics", ""]
    if success:
        lines += ["| criterion | measured | threshold | window | result | query |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for check in success:
            ev = check["evidence"]
            lines.append(f"| {_esc(_criterion_text(check))} | {_esc(_measured(ev))} | "
                         f"{_esc(str(ev.get('threshold', '')))} | {_esc(ev.get('window') or '')} | "
                         f"{_esc(ev.get('result') or check.get('outcome'))} | `{_esc(ev.get('query') or '', 300)}` |")
    else:
        lines.append("No success criterion was measured in this run (is [success] configured, and was the run "
                     "`pytest -m t_plus_1 --env=...`?). Nothing here counts as met.")
    lines.append("")

    lines += [f"## Success criteria: {len(met)} met, {len(missed)} missed", ""]
    lines.append("### Met")
    lines += [f"- {_esc(_criterion_text(c))}: {_esc(_measured(c['evidence']))}" for c in met] or ["- none"]
    lines += ["", "### Missed"]
    for check in missed:
        ev = check["evidence"]
        status = ev.get("result") or check.get("outcome")
        owner = f" (owner: {_esc(check['owner'])})" if check.get("owner") else ""
        lines.append(f"- {_esc(_criterion_text(check))}: **{_esc(status)}**, measured {_esc(_measured(ev))}"
                     f"{owner} — {_esc(ev.get('reason') or check.get('message') or '', 300)}")
    if not missed:
        lines.append("- none")
    lines.append("")

    operational = [c for c in checks if not is_success_check(c) and c.get("phase") == "t_plus_1"]
    lines += ["## Operational items", ""]
    if operational:
        lines += ["| check | outcome | owner | message |", "| --- | --- | --- | --- |"]
        for check in operational:
            label = check.get("title") or check.get("nodeid")
            if check.get("checklist"):
                label = f"{check['checklist']} {label}"
            lines.append(f"| {_esc(label)} | {_esc(check.get('outcome'))} | {_esc(check.get('owner') or '')} | "
                         f"{_esc(check.get('message') or '', 160)} |")
    else:
        lines.append("No operational (T+1) check in this run.")
    lines.append("")

    lines += _history_section(history)
    lines += [
        "## Lessons and improvements",
        "",
        "_To be filled in by the team at the retrospective._",
        "",
        "### What went well",
        "",
        "- ",
        "",
        "### What went wrong",
        "",
        "- ",
        "",
        "### Improvements and action items",
        "",
        "| action | owner | due |",
        "| --- | --- | --- |",
        "|  |  |  |",
        "",
    ]
    return "\n".join(lines)


def _history_section(history: Iterable[Any]) -> list[str]:
    entries = [h for h in (history or []) if isinstance(h, dict)]
    lines = ["## Issues found across this environment's launch runs", ""]
    if not entries:
        lines += ["No history: no earlier run of this environment was recorded.", ""]
        return lines
    verdicts: dict[str, int] = {}
    for entry in entries:
        verdict = str(entry.get("verdict") or "unknown")
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
    lines.append(f"{len(entries)} runs: " + ", ".join(f"{v} {k}" for k, v in sorted(verdicts.items())) + ".")
    lines.append("")
    stages = [e for e in entries if e.get("stage") is not None]
    if stages:
        lines += ["### Rollout stages", "", "| time | stage | decision |", "| --- | --- | --- |"]
        for entry in stages:
            lines.append(f"| {_esc(entry.get('time') or '')} | {_esc(entry.get('stage'))}% | "
                         f"{_esc(entry.get('display_verdict') or entry.get('verdict') or 'unknown')} |")
        lines.append("")
    problems = [e for e in entries if str(e.get("verdict")) not in ("GO",) or _str_list(e.get("blockers"))]
    lines.append("### Runs that were not a clean GO")
    lines.append("")
    if not problems:
        lines += ["- none", ""]
        return lines
    seen: dict[str, int] = {}
    for entry in problems:
        blockers = _str_list(entry.get("blockers"))
        counts = entry.get("counts") if isinstance(entry.get("counts"), dict) else {}
        failed = counts.get("failed", "?") if counts else "?"
        lines.append(f"- {_esc(entry.get('time') or 'unknown time')}: {_esc(entry.get('verdict') or 'unknown')}"
                     f" ({_esc(failed)} failed)" + (": " + ", ".join(_esc(b, 120) for b in blockers[:10]) if blockers else "")
                     + (f" … and {len(blockers) - 10} more" if len(blockers) > 10 else ""))
        for blocker in blockers:
            seen[blocker] = seen.get(blocker, 0) + 1
    lines.append("")
    recurring = sorted(((n, b) for b, n in seen.items() if n > 1), reverse=True)
    if recurring:
        lines += ["### Recurring blockers", ""]
        lines += [f"- {_esc(b, 160)}: in {n} runs" for n, b in recurring[:20]]
        lines.append("")
    return lines


def write_post_launch(folder: Path, results_doc: dict[str, Any], history: Iterable[Any]) -> Path:
    """Write post-launch.md atomically into `folder` (reports/<env>/)."""
    path = Path(folder) / POST_LAUNCH_FILE
    write_text_atomic(path, render_post_launch(results_doc, history))
    return path
