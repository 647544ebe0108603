"""The three notification payloads of a results document, read through the digest: the verdict,
the why in one sentence, the top to-dos (by owner, most severe first), the accepted risks counted,
what changed since the previous run, and the link to the page.

- slack: an incoming-webhook message with blocks (header, sections, a button to the page) and a
  plain `text` fallback; outside text is escaped for Slack (&, <, >: no mention, no link);
- teams: a Microsoft Teams Workflows message, an Adaptive Card (1.4) in `attachments`
  (contentType application/vnd.microsoft.card.adaptive), the page as an Action.OpenUrl;
- webhook: plain JSON, the results document's summary, verdict and reasons, the digest's
  sentence and to-dos, and the link.

Pure: no I/O. The caller passes the payload through the redactor before it leaves.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pytest_launch.outputs.digest import Digest, digest

TOP_TODOS = 5
ICONS = {"GO": "\U0001f7e2", "GO_WITH_RISKS": "\U0001f7e1", "NO_GO": "\U0001f534", "ROLLBACK": "\u23ea"}
TEAMS_COLOURS = {"GO": "Good", "GO_WITH_RISKS": "Warning", "NO_GO": "Attention", "ROLLBACK": "Attention"}
PHASE_NAMES = {"t_minus_7": "T-7", "t_0": "T-0", "t_plus_1": "T+1"}
PAGE_BUTTON = "Open the go/no-go page"


def _clip(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def title(doc: dict[str, Any], summary: Digest) -> str:
    run = doc.get("run") or {}
    scope = [PHASE_NAMES.get(str(p), str(p)) for p in run.get("scope_phases") or []]
    if run.get("stage") is not None:
        scope.append(f"stage {run['stage']} %")
    where = f" ({', '.join(scope)})" if scope else ""
    return f"{ICONS.get(summary.verdict, '')} {summary.display_verdict} \u2014 {summary.environment}{where}".strip()


def top_todos(summary: Digest, limit: int = TOP_TODOS) -> tuple[list[str], int]:
    """The first `limit` to-dos as "owner: what", most severe first, and how many are left out."""
    lines = [_clip(todo.line, 300) for todo in summary.todos[:limit]]
    return lines, max(0, len(summary.todos) - limit)


def footer(summary: Digest) -> list[str]:
    """Short facts under the to-dos: accepted risks, what changed, the day judged on."""
    parts = []
    if summary.accepted:
        parts.append(f"{len(summary.accepted)} accepted risk{'s' if len(summary.accepted) != 1 else ''}")
    if summary.risks:
        parts.append(f"{len(summary.risks)} non-blocking risk{'s' if len(summary.risks) != 1 else ''}")
    if summary.changes is not None:
        parts.append("since the previous run: " + summary.changes.sentence)
    if summary.judged_on:
        parts.append(f"judged on {summary.judged_on}")
    return parts


def _link(doc: dict[str, Any]) -> str | None:
    url = doc.get("report_url")
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None


# ------------------------------------------------------------------------------------ Slack

def slack_escape(text: str) -> str:
    """Slack's three control characters: no <!channel>, no <url|label> from outside text."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(doc: dict[str, Any], summary: Digest) -> dict[str, Any]:
    esc = slack_escape
    head = _clip(title(doc, summary), 150)  # a header block holds at most 150 characters
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": head, "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": esc(_clip(summary.sentence, 2900))}},
    ]
    todos, more = top_todos(summary)
    if todos:
        text = f"*Before GO ({len(summary.todos)}):*\n" + "\n".join(f"\u2022 {esc(line)}" for line in todos)
        if more:
            text += f"\n\u2026 and {more} more on the page"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _clip_lines(text, 2900)}})
    facts = footer(summary)
    if facts:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": esc(_clip(" \u00b7 ".join(facts), 2900))}]})
    link = _link(doc)
    if link:
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": PAGE_BUTTON}, "url": link}]})
    return {"text": esc(_clip(f"{head}: {summary.why}", 2900)), "blocks": blocks}


def _clip_lines(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


# ------------------------------------------------------------------------------------ Teams

_TEAMS_MARKUP = re.compile(r"([\\*_\[\]()`~#>])")


def teams_escape(text: str) -> str:
    """Adaptive Card TextBlocks read a little Markdown: outside text is made literal."""
    return _TEAMS_MARKUP.sub(r"\\\1", str(text))


def teams_payload(doc: dict[str, Any], summary: Digest) -> dict[str, Any]:
    esc = teams_escape
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": esc(title(doc, summary)), "weight": "Bolder", "size": "Large",
         "color": TEAMS_COLOURS.get(summary.verdict, "Attention"), "wrap": True},
        {"type": "TextBlock", "text": esc(_clip(summary.sentence, 2000)), "wrap": True},
    ]
    todos, more = top_todos(summary)
    if todos:
        body.append({"type": "TextBlock", "text": f"Before GO ({len(summary.todos)}):", "weight": "Bolder",
                     "wrap": True, "spacing": "Medium"})
        lines = [f"- {esc(line)}" for line in todos] + ([f"- \u2026 and {more} more on the page"] if more else [])
        body.append({"type": "TextBlock", "text": "\r".join(lines), "wrap": True})
    facts = footer(summary)
    if facts:
        body.append({"type": "TextBlock", "text": esc(" \u00b7 ".join(facts)), "wrap": True, "isSubtle": True,
                     "size": "Small"})
    card: dict[str, Any] = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                            "type": "AdaptiveCard", "version": "1.4", "body": body}
    link = _link(doc)
    if link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": PAGE_BUTTON, "url": link}]
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}


# ---------------------------------------------------------------------------------- webhook

def webhook_payload(doc: dict[str, Any], summary: Digest) -> dict[str, Any]:
    run = doc.get("run") or {}
    return {
        "tool": "pytest-launch",
        "verdict": summary.verdict,
        "display_verdict": summary.display_verdict,
        "sentence": summary.sentence,
        "headline": doc.get("headline"),
        "environment": summary.environment,
        "phases": run.get("scope_phases"),
        "stage": run.get("stage"),
        "judged_on": summary.judged_on,
        "complete": summary.complete,
        "partial": summary.partial,
        "summary": doc.get("summary"),
        "reasons": [{key: reason.get(key) for key in ("code", "blocking", "text", "nodeid", "checklist", "owner")}
                    for reason in doc.get("reasons") or [] if isinstance(reason, dict)],
        "todos": [{"owner": t.owner_label, "item": t.item, "title": t.title, "severity": t.severity,
                   "line": t.line} for t in summary.todos],
        "accepted_risks": [{"item": a.item, "accepted_by": a.accepted_by, "until": a.until, "line": a.line}
                           for a in summary.accepted],
        "changes": summary.changes.sentence if summary.changes is not None else None,
        "report_url": _link(doc),
        "ci_url": run.get("ci_url"),
        "started": run.get("started"),
    }


BUILDERS: dict[str, Callable[[dict[str, Any], Digest], dict[str, Any]]] = {
    "slack": slack_payload, "teams": teams_payload, "webhook": webhook_payload}


def payload(fmt: str, doc: dict[str, Any], previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """The `fmt` payload (slack, teams or webhook) of `doc`; `previous`: the previous run (a history line)."""
    return BUILDERS[fmt](doc, digest(doc, previous=previous))
