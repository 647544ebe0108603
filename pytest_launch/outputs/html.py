"""go-no-go.html: the one self-contained page the go/no-go meeting looks at.

`render_html(doc, history)` turns a results document (and the environment's history lines)
into a single HTML file: no network (a Content-Security-Policy forbids it, too), inline CSS with
a print stylesheet, and a small inline script (allowed by its hash only) that filters, searches
and groups the checks table. The page reads fully without the script.

The page is a decision page first (outputs/digest.py reads the document for it): the verdict and
why in one sentence, the to-dos before GO grouped by owner (most severe first), the accepted
risks, what changed since the last run. Then the appendix for the people who dig: the phase x
category matrix, checklist coverage, waivers and sign-offs, the trend and every check, with its
evidence as key/value rows (a list of endpoints as a small table) in a collapsed detail. The
print stylesheet prints the decision part alone unless "print the decision only" is unticked.

Everything from the outside world goes through Jinja2's autoescape; the view model below only
shapes values (strings, numbers), it never builds markup from outside data.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import math
from collections import Counter
from functools import lru_cache
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from pytest_launch.core.clock import document_clock_note
from pytest_launch.core.vocabulary import CATEGORIES, PHASES, SEVERITIES
from pytest_launch.outputs.digest import Digest, Todo, digest, previous_run

VERDICT_CLASS = {"GO": "go", "GO_WITH_RISKS": "risks", "NO_GO": "nogo", "ROLLBACK": "rollback"}

# The outcome keys a check row can carry (a waived failure is shown as "waived").
ROW_KEYS: tuple[str, ...] = ("failed", "error", "missing", "skipped", "refused", "waived", "passed",
                             "uncovered")
ROW_ORDER = {key: index for index, key in enumerate(ROW_KEYS)}

MATRIX_KEYS: tuple[str, ...] = ("passed", "failed", "waived", "missing")

MESSAGE_LIMIT = 400
DETAIL_MESSAGE_LIMIT = 2000
EVIDENCE_VALUE_LIMIT = 120
EVIDENCE_LIMIT = 320
EVIDENCE_INLINE = 100  # flat evidence this short stays inline in the checks table
EVIDENCE_ROWS = 40  # key/value rows shown per level of a check's evidence
EVIDENCE_TEXT = 600  # characters of one evidence value (wrapped on the page)
EVIDENCE_COLUMNS = 6  # a list of records with at most this many fields is a small table
EVIDENCE_DEPTH = 3
# characters of evidence (as JSON) the page shows as key/value rows, the decision's checks first,
# then the checks table in its order (failing first); the rest show their one-line text (the
# whole evidence stays in go-no-go.json). Keeps a page of thousands of checks small and fast.
EVIDENCE_BUDGET = 150_000
CHANGES_SHOWN = 25
TREND_RUNS = 20


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pytest_launch", "outputs/templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,  # a missing value or a typo in a template fails the render
        bytecode_cache=_bytecode_cache(),
    )
    return env


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Jinja2's cache of compiled templates, in its private per-user folder (mode 0700, checked
    by Jinja2): compiling the page's templates is most of a first render. None when that folder
    cannot be had (then every run compiles them)."""
    try:
        return jinja2.FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        return None


@lru_cache(maxsize=1)
def _assets() -> tuple[str, str, str]:
    """(css, script, CSP script hash) — the page's own code, read from the package."""
    folder = resources.files("pytest_launch.outputs").joinpath("templates")
    css = folder.joinpath("report.css").read_text("utf-8")
    script = folder.joinpath("report.js").read_text("utf-8")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return css, script, f"sha256-{digest}"


# ---------------------------------------------------------------------------------------------
# small formatting helpers (plain strings; escaping is the template's job)

def format_time(value: str | None) -> str:
    if not value:
        return "unknown"
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    if moment.tzinfo is not None:
        offset = moment.utcoffset()
        text += " UTC" if offset == dt.timedelta(0) else moment.strftime(" %z")
    return text


def format_duration(seconds: float | int | None) -> str:
    if seconds is None:
        return "unknown"
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


JSON_CONSTANTS: dict[Any, str] = {None: "null", True: "true", False: "false"}


def short_value(value: Any, limit: int = EVIDENCE_VALUE_LIMIT) -> str:
    """One evidence value as short text: strings as they are, everything else as JSON."""
    if isinstance(value, str):
        text = value
    elif value is None or value is True or value is False:
        text = JSON_CONSTANTS[value]
    elif type(value) is int or (type(value) is float and math.isfinite(value)):
        text = repr(value)  # what json.dumps writes for them, without the encoder
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
        except (TypeError, ValueError):
            text = repr(value)
    if len(text) > limit:
        text = text[: limit - 1] + "\u2026"
    return text


def clip(text: str | None, limit: int) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def evidence_pairs(evidence: Any) -> list[tuple[str, str]]:
    """Evidence as (key, value) pairs, measured and threshold first."""
    if not isinstance(evidence, dict):
        return [("value", short_value(evidence))] if evidence not in (None, "") else []
    first = [k for k in ("measured", "threshold") if k in evidence]
    rest = [k for k in evidence if k not in first]
    return [(str(k), short_value(evidence[k])) for k in first + rest]


def evidence_text(evidence: Any, limit: int = EVIDENCE_LIMIT) -> str:
    """Evidence as one short line, for the checks table (values past the limit are not encoded)."""
    if not isinstance(evidence, dict):
        return clip("; ".join(f"{k}={v}" for k, v in evidence_pairs(evidence)), limit)
    keys: Any = evidence
    if "measured" in evidence or "threshold" in evidence:
        first = [k for k in ("measured", "threshold") if k in evidence]
        keys = first + [k for k in evidence if k not in first]
    parts: list[str] = []
    length = 0
    for key in keys:
        value = evidence[key]
        if not (type(value) is str and len(value) <= EVIDENCE_VALUE_LIMIT):  # such a string is its short value
            value = short_value(value)
        part = f"{key}={value}"
        parts.append(part)
        length += len(part) + 2
        if length > limit:
            break
    return clip("; ".join(parts), limit)


def _scalar_text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return clip(value, EVIDENCE_TEXT) if value else '""'
    if isinstance(value, (int, float)):
        return str(value)
    return short_value(value, EVIDENCE_TEXT)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _cell_text(value: Any) -> str:
    if _is_scalar(value):
        return _scalar_text(value)
    if isinstance(value, (list, tuple)) and all(_is_scalar(v) for v in value):
        return ", ".join(_scalar_text(v) for v in value) if value else "none"
    return short_value(value)


def _evidence_table(rows: list[tuple[str, Any]]) -> dict[str, Any] | None:
    """Records (dicts) under labels as a small table: one row per record, one column per field."""
    if not rows or not all(isinstance(value, dict) and value for _label, value in rows):
        return None
    columns: list[str] = []
    for _label, record in rows:
        columns += [str(k) for k in record if str(k) not in columns]
    if len(columns) > EVIDENCE_COLUMNS:
        if not 2 <= len(rows) <= EVIDENCE_COLUMNS or len(columns) > EVIDENCE_ROWS:
            return None
        # a few records of many fields (TLS endpoints): one column per record, one row per field
        return {"kind": "table", "columns": [label for label, _record in rows],
                "rows": [(c, [_cell_text(record[c]) if c in record else "\u2014" for _label, record in rows])
                         for c in columns], "more": 0}
    body = [(label, [_cell_text(record[c]) if c in record else "\u2014" for c in columns])
            for label, record in rows[:EVIDENCE_ROWS]]
    return {"kind": "table", "columns": columns, "rows": body, "more": max(0, len(rows) - EVIDENCE_ROWS)}


def _same_shape_records(items: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The largest set (two or more) of entries whose values are objects with the same fields."""
    shapes: dict[tuple[str, ...], list[tuple[str, Any]]] = {}
    for key, value in items:
        if isinstance(value, dict) and value:
            shapes.setdefault(tuple(sorted(str(k) for k in value)), []).append((key, value))
    best = max(shapes.values(), key=len, default=[])
    return best if len(best) >= 2 else []


def evidence_summary(evidence: Any, limit: int = EVIDENCE_INLINE) -> str:
    """The one line a collapsed evidence detail shows: what it holds (its keys), not a dump."""
    if isinstance(evidence, dict):
        keys = [str(k) for k in evidence]
        return clip(", ".join(keys), limit) + (f" ({len(keys)} entries)" if len(keys) > 1 else "")
    if isinstance(evidence, (list, tuple)):
        return f"{len(evidence)} entries"
    return clip(_scalar_text(evidence), limit)


def evidence_tree(value: Any, depth: int = 0) -> dict[str, Any]:
    """Evidence as a tree the page shows as key/value rows: nested objects as nested rows, a list
    of records (endpoints, cookies) as a small table, lists of values joined, long values wrapped.
    Plain strings only: the template escapes them."""
    if _is_scalar(value):
        return {"kind": "text", "text": _scalar_text(value)}
    if depth >= EVIDENCE_DEPTH:
        return {"kind": "text", "text": short_value(value, EVIDENCE_TEXT)}
    if isinstance(value, dict):
        if not value:
            return {"kind": "text", "text": "none"}
        items = [(str(k), v) for k, v in value.items()]
        table = _evidence_table(items) if len(items) > 1 or depth > 0 else None
        if table is not None:
            return table
        records = _same_shape_records(items)
        table = _evidence_table(records) if records else None
        if table is not None:  # the endpoints as a table, the other values as rows under it
            shown = {label for label, _record in records}
            rest = [(k, v) for k, v in items if k not in shown]
            return {"kind": "group", "table": table,
                    "pairs": [(k, evidence_tree(v, depth + 1)) for k, v in rest[:EVIDENCE_ROWS]],
                    "more": max(0, len(rest) - EVIDENCE_ROWS)}
        first = [i for i in items if i[0] in ("measured", "threshold")]
        items = first + [i for i in items if i[0] not in ("measured", "threshold")]
        return {"kind": "pairs", "pairs": [(k, evidence_tree(v, depth + 1)) for k, v in items[:EVIDENCE_ROWS]],
                "more": max(0, len(items) - EVIDENCE_ROWS)}
    if isinstance(value, (list, tuple)):
        if not value:
            return {"kind": "text", "text": "none"}
        if all(_is_scalar(v) for v in value):
            return {"kind": "text", "text": clip(", ".join(_scalar_text(v) for v in value), EVIDENCE_TEXT)}
        table = _evidence_table([(str(n), v) for n, v in enumerate(value, 1)])
        if table is not None:
            return table
        return {"kind": "pairs", "pairs": [(str(n), evidence_tree(v, depth + 1))
                                           for n, v in enumerate(value[:EVIDENCE_ROWS], 1)],
                "more": max(0, len(value) - EVIDENCE_ROWS)}
    return {"kind": "text", "text": short_value(value, EVIDENCE_TEXT)}


class EvidenceBudget:
    """Hands out evidence trees until EVIDENCE_BUDGET characters of evidence are shown."""

    def __init__(self, characters: int = EVIDENCE_BUDGET) -> None:
        self.remaining = characters

    def tree(self, evidence: Any) -> dict[str, Any] | None:
        try:
            size = len(json.dumps(evidence, ensure_ascii=False, default=str))
        except (TypeError, ValueError):
            size = len(repr(evidence))
        if size > self.remaining:
            return None
        self.remaining -= size
        return evidence_tree(evidence)


def evidence_is_flat(evidence: Any) -> bool:
    """Evidence short and flat enough to read inline (no collapsed detail needed)."""
    if not isinstance(evidence, dict):
        return _is_scalar(evidence)
    return all(_is_scalar(v) for v in evidence.values()) and len(evidence_text(evidence)) <= EVIDENCE_INLINE


def safe_url(url: Any) -> str | None:
    """A link target only for http(s) URLs; anything else (javascript:, data:) is shown as text."""
    if isinstance(url, str) and url.lower().startswith(("https://", "http://")):
        return url
    return None


def row_key(check: dict[str, Any]) -> str:
    if check.get("kind") == "uncovered":
        return "uncovered"
    if check.get("waiver") and check.get("outcome") != "passed":
        return "waived"
    outcome = check.get("outcome", "missing")
    return outcome if outcome in ROW_ORDER else "missing"


# the matrix's outcome of each row key: failed (failed, error), passed, waived, else missing
MATRIX_OF_ROW: dict[str, str] = {key: "failed" if key in ("failed", "error") else key if key in ("passed", "waived")
                                 else "missing" for key in ROW_KEYS}


def matrix_key(check: dict[str, Any]) -> str:
    return MATRIX_OF_ROW[row_key(check)]


def _ordered(values: set[str], vocabulary: dict[str, str]) -> list[str]:
    known = [v for v in vocabulary if v in values]
    return known + sorted(v for v in values if v not in vocabulary)


# ---------------------------------------------------------------------------------------------
# the view model

def _detail(check: dict[str, Any], nodeid: str | None, budget: EvidenceBudget) -> dict[str, Any]:
    """What a to-do's collapsed detail shows: the node id, the whole message, the evidence."""
    evidence = check.get("evidence")
    tree = budget.tree(evidence) if evidence else None
    if evidence and tree is None:  # over the page's budget: its one line, the rest in the JSON
        tree = {"kind": "text", "text": evidence_text(evidence) + " (all of it in go-no-go.json)"}
    return {"nodeid": nodeid or "", "message": clip(str(check.get("message") or ""), DETAIL_MESSAGE_LIMIT),
            "evidence": tree}


def _todo_view(todo: Todo, checks: dict[str, dict[str, Any]], budget: EvidenceBudget) -> dict[str, Any]:
    check = checks.get(todo.nodeid or "", {})
    return {"owner": todo.owner_label, "severity": todo.severity or "no severity (blocking)",
            "sev": todo.severity or "none", "code": todo.code, "action": todo.action, "item": todo.item or "",
            "title": todo.title or ("" if todo.item else (todo.nodeid or "").rsplit("::", 1)[-1]),
            "problem": todo.problem, "detail": _detail(check, todo.nodeid, budget) if todo.nodeid else None}


def _decision(summary: Digest, doc: dict[str, Any], budget: EvidenceBudget) -> dict[str, Any]:
    checks = {str(c.get("nodeid")): c for c in doc.get("checks", []) if isinstance(c, dict)}
    groups = [{"owner": g.owner, "todos": [_todo_view(t, checks, budget) for t in g.todos]} for g in summary.groups]
    accepted = [{"risk": a, "detail": _detail(checks.get(a.nodeid or "", {}), a.nodeid, budget)}
                for a in summary.accepted]
    changes = summary.changes
    return {
        "why": summary.why, "sentence": summary.sentence, "groups": groups, "todo_count": len(summary.todos),
        "risks": [_todo_view(t, checks, budget) for t in summary.risks], "accepted": accepted,
        "notes": list(summary.notes), "changes": changes,
        "newly_failing": list(changes.newly_failing[:CHANGES_SHOWN]) if changes else [],
        "newly_passing": list(changes.newly_passing[:CHANGES_SHOWN]) if changes else [],
        "time_before": format_time(changes.time_before) if changes and changes.time_before else "",
    }


def _rollback_steps(doc: dict[str, Any]) -> list[str]:
    steps = doc.get("rollback_steps")
    if not steps:
        return []
    if isinstance(steps, str):
        return [line.strip() for line in steps.splitlines() if line.strip()]
    result = []
    if isinstance(steps, dict):
        steps = steps.get("steps", list(steps.values()))
    for step in steps if isinstance(steps, list) else [steps]:
        if isinstance(step, dict):
            text = step.get("text") or step.get("title") or step.get("step") or step.get("name")
            detail = [f"{k}: {short_value(v)}" for k, v in step.items()
                      if k not in ("text", "title", "step", "name")]
            result.append(" \u2014 ".join([str(text or "")] + detail).strip(" \u2014"))
        else:
            result.append(short_value(step, 1000))
    return result


def _matrix(checks: list[dict[str, Any]], keys: list[str] | None = None) -> dict[str, Any]:
    """The phase x category counts; `keys`: row_key of each check, when the caller has them."""
    keys = keys if keys is not None else [row_key(c) for c in checks]
    cells: dict[tuple[str, str], Counter[str]] = {}
    for check, outcome in zip(checks, keys):
        key = (check.get("phase") or "(none)", check.get("category") or "(none)")
        counter = cells.get(key)
        if counter is None:
            counter = cells[key] = Counter()
        counter[MATRIX_OF_ROW[outcome]] += 1
    phases = _ordered({phase for phase, _category in cells}, PHASES)
    categories = _ordered({category for _phase, category in cells}, CATEGORIES)
    rows = []
    for phase in phases:
        row = []
        for category in categories:
            counts = cells.get((phase, category), Counter())
            worst = next((k for k in ("failed", "missing", "waived", "passed") if counts.get(k)), "")
            row.append({"counts": [(k, counts.get(k, 0)) for k in MATRIX_KEYS], "worst": worst,
                        "empty": not counts})
        rows.append({"phase": phase, "cells": row})
    return {"categories": categories, "rows": rows, "keys": MATRIX_KEYS}


COVERAGE_ORDER = ("failed", "missing", "unsigned", "uncovered", "waived", "not_selected", "signed", "passed")


def _coverage(doc: dict[str, Any]) -> dict[str, Any]:
    items = doc.get("checklist", [])
    automated = Counter(i.get("status") for i in items if i.get("mode") == "automated"
                        and i.get("status") != "uncovered")
    manual = [i for i in items if i.get("mode") == "manual"]
    order = {s: n for n, s in enumerate(COVERAGE_ORDER)}
    return {
        "automated": sum(n for s, n in automated.items() if s != "not_selected"),
        "automated_detail": [(s, automated[s]) for s in ("passed", "failed", "waived", "missing")
                             if automated.get(s)],
        "manual_signed": sum(1 for i in manual if i.get("status") == "signed"),
        "manual_missing": sum(1 for i in manual if i.get("status") not in ("signed", "not_selected")),
        "not_selected": sum(1 for i in items if i.get("status") == "not_selected"),
        "uncovered": sum(1 for i in items if i.get("status") == "uncovered"),
        "total": len(items),
        "item_rows": sorted(items, key=lambda i: order.get(i.get("status"), 99)),
    }


def _history_entries(doc: dict[str, Any], history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Earlier runs, oldest first, without the current run if the history already holds it."""
    entries = [h for h in history if isinstance(h, dict)]
    started = doc.get("run", {}).get("started")
    if entries and started and entries[-1].get("started") == started:
        entries = entries[:-1]
    return entries


def _trend(doc: dict[str, Any], earlier: list[dict[str, Any]]) -> dict[str, Any] | None:
    current = {"time": doc.get("run", {}).get("started"), "verdict": doc.get("verdict"),
               "display_verdict": doc.get("display_verdict"),
               "failing_blockers": doc.get("summary", {}).get("blocking_failures", 0),
               "git_revision": doc.get("run", {}).get("git_revision")}
    runs = earlier[-(TREND_RUNS - 1):] + [current]
    if len(runs) < 2:
        return None
    width, height, top, bottom = 640, 150, 14, 34
    peak = max(int(r.get("failing_blockers") or 0) for r in runs) or 1
    slot = width / len(runs)
    bar_width = max(6.0, min(40.0, slot * 0.6))
    bars = []
    for index, run in enumerate(runs):
        count = int(run.get("failing_blockers") or 0)
        bar_height = max(2.0, (height - top - bottom) * count / peak)
        x = index * slot + (slot - bar_width) / 2
        verdict = run.get("verdict") or ""
        label = format_time(run.get("time"))[:10]
        bars.append({
            "x": round(x, 1), "y": round(height - bottom - bar_height, 1), "w": round(bar_width, 1),
            "h": round(bar_height, 1), "cls": VERDICT_CLASS.get(verdict, "unknown"), "count": count,
            "label_x": round(x + bar_width / 2, 1), "date": label[5:] if len(label) == 10 else label,
            "title": f"{format_time(run.get('time'))}: "
                     f"{run.get('display_verdict') or verdict}, {count} failing blocker(s)"
                     + (f", revision {run['git_revision']}" if run.get("git_revision") else ""),
            "current": run is current,
        })
    return {"bars": bars, "width": width, "height": height, "base": height - bottom,
            "runs": len(runs)}


# One row of the checks table as the template unpacks it (a tuple, in the order of the cells: no
# attribute lookup per cell): (key, blocking, nodeid, title, source, severity, category, owner,
# checklist item, duration, evidence text, evidence tree or None, message). Plain values only:
# the template escapes every one of them.
Row = tuple[str, bool, Any, Any, Any, Any, Any, Any, Any, str, str, "dict[str, Any] | None", str]


def _inline_evidence(evidence: Any) -> tuple[str, bool]:
    """(evidence_text(evidence), evidence_is_flat(evidence)) with the evidence walked once."""
    if evidence is None or evidence == "" or (isinstance(evidence, dict) and not evidence):
        return "", True  # most checks record none
    text = evidence_text(evidence)
    if isinstance(evidence, dict):
        return text, len(text) <= EVIDENCE_INLINE and all(_is_scalar(v) for v in evidence.values())
    return text, _is_scalar(evidence)


def _rows(doc: dict[str, Any], budget: EvidenceBudget,
          keys: list[str] | None = None) -> tuple[list[Row], list[tuple[str, int]]]:
    """The checks table: failing first, each row's display strings computed once here.
    `keys`: row_key of each check, when the caller has them already."""
    checks = doc.get("checks", [])
    keys = keys if keys is not None else [row_key(c) for c in checks]
    titles = {i.get("id"): i.get("title") for i in doc.get("checklist", [])}
    # failing first (the order of ROW_KEYS), blocking before not, then as the run listed them
    order = sorted(range(len(checks)), key=lambda n: (ROW_ORDER.get(keys[n], 99), not checks[n].get("blocking"), n))
    rows: list[Row] = []
    for n in order:  # in the table's order: the failing get the evidence budget first
        check, key = checks[n], keys[n]
        title = check.get("title")
        if title and title == titles.get(check.get("checklist")):
            title = None  # the checklist id links to it; keep rows lean
        severity = check.get("severity")
        if severity is None:
            severity = "none (blocking)" if check.get("severity_defaulted", True) else "-"
        evidence = check.get("evidence")
        text, flat = _inline_evidence(evidence)
        tree = None if flat else budget.tree(evidence)
        if tree is not None:
            text = evidence_summary(evidence)
        rows.append((key, bool(check.get("blocking")) and key not in ("passed", "waived"), check.get("nodeid", ""),
                     title, check.get("source") or "", severity, check.get("category") or "",
                     check.get("owner") or "", check.get("checklist") or "",
                     f"{float(check.get('duration_s') or 0):.2f}", text, tree,
                     clip(check.get("message"), MESSAGE_LIMIT)))
    counts = Counter(keys)
    return rows, [(k, counts[k]) for k in ROW_KEYS if counts.get(k)]


# what the page shows of the run and the environment, with the value a document without the key
# means: the template renders with StrictUndefined, so every value it reads is named here
RUN_SHOWN: dict[str, Any] = {
    "markexpr": "", "keywordexpr": "", "stage": None, "judged_on": "", "ci_url": None, "host": "",
    "git_revision": None, "partial": [], "in_progress": None, "pytest_version": "", "python_version": "",
    "sources": [],
}
ENVIRONMENT_SHOWN: dict[str, Any] = {"name": "", "production": False}
# the optional keys of a waiver's and a sign-off's row (older documents have fewer)
WAIVER_SHOWN: dict[str, Any] = {"accepts": [], "accepts_no_evidence": [], "environments": [], "everywhere": False,
                                "matched": []}
SIGNOFF_SHOWN: dict[str, Any] = {"expires": None, "environments": [], "everywhere": False, "release": None,
                                 "covered_release": False}


def build_view(doc: dict[str, Any], history: list[dict[str, Any]], meeting: Digest | None = None) -> dict[str, Any]:
    """What the page template reads. `meeting`: the document's digest with its previous run from
    `history`, when the caller has it already (render_all computes it once for every output)."""
    run = {**RUN_SHOWN, **doc.get("run", {})}
    environment = {**ENVIRONMENT_SHOWN, **doc.get("environment", {})}
    earlier = _history_entries(doc, history or [])
    if meeting is None:
        meeting = digest(doc, previous_run(doc, earlier))
    budget = EvidenceBudget()
    decision = _decision(meeting, doc, budget)
    checks = doc.get("checks", [])
    keys = [row_key(c) for c in checks]
    rows, row_counts = _rows(doc, budget, keys)
    summary = doc.get("summary", {})
    return {
        "doc": doc,
        "verdict": doc.get("verdict", ""),
        "verdict_class": VERDICT_CLASS.get(doc.get("verdict", ""), "nogo"),
        "display_verdict": doc.get("display_verdict") or doc.get("verdict", ""),
        "headline": doc.get("headline", ""),
        "environment": environment,
        "run": run,
        "started": format_time(run.get("started")),
        "finished": format_time(run.get("finished")),
        "duration": format_duration(run.get("duration_s")),
        "ci_link": safe_url(run.get("ci_url")),
        "complete": bool(run.get("complete", False)),
        "clock_note": document_clock_note(run),
        "incomplete_reasons": run.get("incomplete_reasons") or [],
        "mixed": [str(text) for text in doc.get("mixed") or []],  # launch merge --allow-mixed
        "decision": decision,
        "rollback_steps": _rollback_steps(doc),
        "matrix": _matrix(checks, keys),
        "coverage": _coverage(doc),
        "waivers": [{**WAIVER_SHOWN, **w} for w in doc.get("waivers", [])],
        "signoffs": [{**SIGNOFF_SHOWN, **s} for s in doc.get("signoffs", [])],
        "trend": _trend(doc, earlier),
        "rows": rows,
        "row_counts": row_counts,
        "summary": summary,
        "summary_items": [(k, summary.get(k, 0)) for k in
                          ("total", "passed", "failed", "error", "skipped", "refused", "missing",
                           "waived", "blocking_failures")],
        "severities": list(SEVERITIES),
        "safe_url": safe_url,
        "generated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def render_html(doc: dict[str, Any], history: list[dict[str, Any]] | None = None, *,
                summary: Digest | None = None) -> str:
    """The self-contained go-no-go page for a results document and its environment's history
    (oldest first, as read_history returns it; the current run may or may not be its last line).
    `summary`: `digest(doc, previous_run(doc, history))` when the caller has computed it already."""
    css, script, script_hash = _assets()
    view = build_view(doc, history or [], summary)
    template = _environment().get_template("go-no-go.html.j2")
    # css and script are the package's own files, never outside data
    return template.render(view=view, css=Markup(css), script=Markup(script),
                           csp=f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                               f"script-src '{script_hash}'; base-uri 'none'; form-action 'none'")
