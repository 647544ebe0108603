"""go-no-go.md: a short summary for chat and CI step summaries, rendered from the results document.

Every value from the outside world goes through `md_escape`: HTML-significant characters become
entities and Markdown punctuation is backslash-escaped, so a test id with `<script>` or `|`
cannot inject HTML or break a table.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pytest_launch.core.clock import document_clock_note
from pytest_launch.outputs.html import evidence_pairs

ICONS = {"GO": "\U0001f7e2", "GO_WITH_RISKS": "\U0001f7e1", "NO_GO": "\U0001f534", "ROLLBACK": "\u23ea"}
MAX_REASONS = 10
TEXT_LIMIT = 200

# Inline markup characters. Block markers (#, -, +, 1.) only act at the start of a line, and
# escaped text never starts one here; ( ) and ! only act after ] or before [, which are escaped.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]|~])")


def md_escape(value: Any, limit: int = TEXT_LIMIT) -> str:
    """Outside text made inert for GitHub-flavoured Markdown: one line, no HTML, no markup."""
    text = "" if value is None else str(value)
    text = " ".join(text.split())  # newlines would end a list item or a table row
    if len(text) > limit:
        text = text[: limit - 1] + "\u2026"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)


def _evidence(evidence: Any) -> str:
    pairs = evidence_pairs(evidence or {})
    if not pairs:
        return ""
    shown = [f"{md_escape(k, 40)}: {md_escape(v, 80)}" for k, v in pairs[:3]]
    return " (" + "; ".join(shown) + ")"


def _reason_line(reason: dict[str, Any]) -> str:
    text = str(reason.get("text") or "")
    subject = reason.get("checklist") or ""
    parts = [f"**{md_escape(subject, 40)}**" if subject else ""]
    if reason.get("nodeid") and reason["nodeid"] not in text:  # the decision's text often names it
        parts.append(md_escape(reason["nodeid"], 120))
    head = " ".join(p for p in parts if p)
    line = f"- {head + ': ' if head else ''}{md_escape(text)}"
    if reason.get("owner") and f"owner {reason['owner']}" not in text:
        line += f" \u2014 owner {md_escape(reason['owner'], 60)}"
    return line + _evidence(reason.get("evidence"))


def render_markdown(doc: dict[str, Any], max_reasons: int = MAX_REASONS) -> str:
    """The verdict, the reasons (blocking first, at most `max_reasons` listed) and the counts."""
    run = doc.get("run", {})
    environment = doc.get("environment", {})
    verdict = doc.get("verdict", "")
    display = doc.get("display_verdict") or verdict
    lines = [f"## {ICONS.get(verdict, '')} {md_escape(display, 40)} \u2014 "
             f"{md_escape(environment.get('name'), 60)}"
             + (f" (stage {md_escape(run.get('stage'), 10)} %)" if run.get("stage") is not None else "")]
    lines.append("")
    lines.append(f"**{md_escape(doc.get('headline'), 300)}**")
    lines.append("")
    meta = [f"markers: {md_escape(run.get('markexpr') or '(none)', 80)}",
            f"started {md_escape(run.get('started'), 40)}"]
    if run.get("judged_on"):
        meta.append(f"judged on {md_escape(run['judged_on'], 20)}")
    if run.get("git_revision"):
        meta.append(f"revision {md_escape(run['git_revision'], 40)}")
    ci_url = run.get("ci_url")
    if isinstance(ci_url, str) and ci_url.startswith(("https://", "http://")):
        meta.append(f"[CI run](<{ci_url.replace('>', '%3E').replace('<', '%3C').replace(' ', '%20')}>)")
    lines.append(" \u00b7 ".join(meta))
    clock_note = document_clock_note(run)
    if clock_note:
        lines.append("")
        lines.append(f"\u26a0\ufe0f **{md_escape(clock_note, 300)}**")
    if run.get("partial"):
        lines.append("")
        lines.append(f"\u26a0\ufe0f **PARTIAL RUN, not a launch decision:** "
                     f"{md_escape('; '.join(run['partial']), 300)}")
    if doc.get("mixed"):
        lines.append("")
        lines.append(f"\u26a0\ufe0f **MIXED INPUTS (merged with --allow-mixed):** "
                     f"{md_escape('; '.join(map(str, doc['mixed'])), 400)}")
    if not run.get("complete", False):
        why = "; ".join(run.get("incomplete_reasons") or []) or "the run did not complete"
        lines.append("")
        lines.append(f"\u26a0\ufe0f **Incomplete evidence:** {md_escape(why, 300)}")

    reasons = sorted(doc.get("reasons", []), key=lambda r: (not r.get("blocking"),
                                                             r.get("code") != "rollback"))
    blocking = [r for r in reasons if r.get("blocking")]
    other = [r for r in reasons if not r.get("blocking")]
    shown = 0
    for title, group in (("Blocking", blocking), ("Risks and notes", other)):
        if not group:
            continue
        lines.append("")
        lines.append(f"**{title} ({len(group)})**")
        lines.append("")
        room = max(0, max_reasons - shown)
        for reason in group[:room]:
            lines.append(_reason_line(reason))
        shown += min(room, len(group))
        if len(group) > room:
            lines.append(f"- \u2026 and {len(group) - room} more")

    summary = doc.get("summary", {})
    keys = ("total", "passed", "failed", "error", "skipped", "refused", "missing", "waived",
            "blocking_failures")
    lines.append("")
    lines.append("| " + " | ".join(k.replace("_", " ") for k in keys) + " |")
    lines.append("|" + "---:|" * len(keys))
    lines.append("| " + " | ".join(str(int(summary.get(k, 0) or 0)) for k in keys) + " |")
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
