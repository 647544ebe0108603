"""go-no-go.md: a short summary for chat and CI step summaries, rendered from the results document.

Every value from the outside world goes through `md_escape`: HTML-significant characters become
entities and Markdown punctuation is backslash-escaped, so a test id with `<script>` or `|`
cannot inject HTML or break a table.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pytest_launch.core.clock import document_clock_note
from pytest_launch.outputs.digest import Digest, Todo, digest, previous_run
from pytest_launch.outputs.markdown_text import md_escape

ICONS = {"GO": "\U0001f7e2", "GO_WITH_RISKS": "\U0001f7e1", "NO_GO": "\U0001f534", "ROLLBACK": "\u23ea"}
PHASE_NAMES = {"t_minus_7": "T-7", "t_0": "T-0", "t_plus_1": "T+1"}
MAX_OWNERS = 8  # owner groups listed; the rest are counted
MAX_PER_OWNER = 5  # to-dos listed per owner; the rest are counted
MAX_ACCEPTED = 8
MAX_RISKS = 5
MAX_NOTES = 5
COUNT_KEYS = ("total", "passed", "failed", "error", "skipped", "refused", "missing", "waived", "blocking_failures")


def safe_link(url: Any) -> str | None:
    """An http(s) URL as a Markdown link destination (<...>, so spaces and brackets cannot end it), or None."""
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        return None
    return "<" + url.replace(">", "%3E").replace("<", "%3C").replace(" ", "%20") + ">"


def _more(hidden: int, link: str | None, what: str = "more") -> str:
    """The line that says how many a capped list left out, and where they are."""
    where = f"on [the full report]({link})" if link else "in go-no-go.html"
    return f"- \u2026 and {hidden} {what} {where}"


def _capped(lines: list[str], cap: int, link: str | None, what: str = "more") -> list[str]:
    return lines[:cap] + ([_more(len(lines) - cap, link, what)] if len(lines) > cap else [])


def _todo_line(todo: Todo) -> str:
    head = " ".join(p for p in (todo.action, f"**{md_escape(todo.item, 40)}**" if todo.item else "",
                                md_escape(todo.title, 120) if todo.title else "") if p)
    if not todo.item and not todo.title and todo.nodeid:
        head = " ".join(p for p in (todo.action, md_escape(todo.nodeid.rsplit("::", 1)[-1], 120)) if p)
    problem = md_escape(todo.problem, 240)
    severity = f" _({md_escape(todo.severity, 10)})_" if todo.severity else ""
    return f"- {head} \u2014 {problem}{severity}" if head else f"- {problem}{severity}"


def _scope(doc: dict[str, Any]) -> str:
    run = doc.get("run", {})
    phases = run.get("scope_phases") or []
    words = [PHASE_NAMES.get(str(p), str(p)) for p in phases]
    scope = md_escape(", ".join(words), 40) if words else ""
    if run.get("stage") is not None:
        scope = (scope + ", " if scope else "") + f"stage {md_escape(run.get('stage'), 10)} %"
    return f" ({scope})" if scope else ""


def render_markdown(doc: dict[str, Any], history: list[dict[str, Any]] | None = None, *,
                    summary: Digest | None = None) -> str:
    """The chat-sized summary, read through the digest: the verdict and why in one sentence, the
    to-dos grouped by owner (each group and each list capped on its own, saying how many more and
    where), accepted risks, other risks, notes, what changed since the previous run, the counts
    and the link to the published page. `history`: the environment's runs, oldest first.
    `summary`: `digest(doc, previous_run(doc, history))` when the caller has computed it already."""
    run = doc.get("run", {})
    environment = doc.get("environment", {})
    verdict = doc.get("verdict", "")
    if summary is None:
        summary = digest(doc, previous=previous_run(doc, history or []))
    link = safe_link(doc.get("report_url"))
    lines = [f"## {ICONS.get(verdict, '')} {md_escape(summary.display_verdict, 40)} \u2014 "
             f"{md_escape(environment.get('name'), 60)}{_scope(doc)}", ""]
    lines.append(f"**{md_escape(summary.sentence, 400)}**")
    lines.append("")
    meta = [f"markers: {md_escape(run.get('markexpr') or '(none)', 80)}",
            f"started {md_escape(run.get('started'), 40)}"]
    if run.get("judged_on"):
        meta.append(f"judged on {md_escape(run['judged_on'], 20)}")
    if run.get("git_revision"):
        meta.append(f"revision {md_escape(run['git_revision'], 40)}")
    ci_link = safe_link(run.get("ci_url"))
    if ci_link:
        meta.append(f"[CI run]({ci_link})")
    if link:
        meta.append(f"**[full report]({link})**")
    lines.append(" \u00b7 ".join(meta))
    clock_note = document_clock_note(run)
    if clock_note:
        lines += ["", f"\u26a0\ufe0f **{md_escape(clock_note, 300)}**"]
    if run.get("partial"):
        lines += ["", f"\u26a0\ufe0f **PARTIAL RUN, not a launch decision:** "
                      f"{md_escape('; '.join(map(str, run['partial'])), 300)}"]
    if doc.get("mixed"):
        lines += ["", f"\u26a0\ufe0f **MIXED INPUTS (merged with --allow-mixed):** "
                      f"{md_escape('; '.join(map(str, doc['mixed'])), 400)}"]
    if not run.get("complete", False):
        why = "; ".join(run.get("incomplete_reasons") or []) or "the run did not complete"
        lines += ["", f"\u26a0\ufe0f **Incomplete evidence:** {md_escape(why, 300)}"]

    if summary.groups:
        lines += ["", f"### Before GO: {len(summary.todos)} to do, by owner", ""]
        for group in summary.groups[:MAX_OWNERS]:
            lines.append(f"**{md_escape(group.owner, 60)}** ({len(group.todos)})")
            lines += _capped([_todo_line(t) for t in group.todos], MAX_PER_OWNER, link)
            lines.append("")
        hidden = summary.groups[MAX_OWNERS:]
        if hidden:
            lines.append(_more(len(hidden), link, f"more owners ({sum(len(g.todos) for g in hidden)} to-dos)")[2:])
            lines.append("")
        lines.pop()
    if summary.accepted:
        lines += ["", f"### Accepted risks ({len(summary.accepted)})", ""]
        lines += _capped([f"- {md_escape(risk.line, 400)}" for risk in summary.accepted], MAX_ACCEPTED, link)
    if summary.risks:
        lines += ["", f"### Risks nobody accepted ({len(summary.risks)}, not blocking)", ""]
        lines += _capped([f"- **{md_escape(t.owner_label, 60)}:** " + _todo_line(t)[2:] for t in summary.risks],
                         MAX_RISKS, link)
    if summary.notes:
        lines += ["", f"### Notes ({len(summary.notes)})", ""]
        lines += _capped([f"- {md_escape(note, 300)}" for note in summary.notes], MAX_NOTES, link)
    if summary.changes is not None:
        lines += ["", f"**Since the previous run** ({md_escape(summary.changes.time_before, 40)}): "
                      f"{md_escape(summary.changes.sentence, 300)}"]

    counts = doc.get("summary", {})
    lines.append("")
    lines.append("| " + " | ".join(k.replace("_", " ") for k in COUNT_KEYS) + " |")
    lines.append("|" + "---:|" * len(COUNT_KEYS))
    lines.append("| " + " | ".join(str(int(counts.get(k, 0) or 0)) for k in COUNT_KEYS) + " |")
    waivers = doc.get("waivers", [])
    signoffs = doc.get("signoffs", [])
    if waivers or signoffs:
        used = sum(1 for w in waivers if w.get("status") == "used")
        expired = sum(1 for w in waivers if w.get("status") == "expired")
        unused = sum(1 for w in waivers if w.get("status") == "unused")
        valid = sum(1 for s in signoffs if s.get("status") == "valid")
        lines.append("")
        lines.append(f"Waivers: {used} used, {expired} expired, {unused} unused \u00b7 "
                     f"sign-offs: {valid} valid of {len(signoffs)}")
    if link:
        lines += ["", f"[Open the full go/no-go report]({link})"]
    lines.append("")
    return "\n".join(lines)


def write_step_summary(text: str) -> bool:
    """Append `text` to $GITHUB_STEP_SUMMARY when it is set; True when written."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return False
    with Path(target).open("a", encoding="utf-8") as handle:
        handle.write(text if text.endswith("\n") else text + "\n")
    return True
