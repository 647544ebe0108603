"""reports/<env>/index.html: one page that links the latest report of each phase, launch-day
stage and the last partial run, with its verdict and date, so the go/no-go meeting opens one page.
Rebuilt from the go-no-go.json files below the folder each time a report is written."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from pytest_launch.outputs.atomic import write_text_atomic

INDEX_FILE = "index.html"
_PHASE_ORDER = ("t_minus_7", "t_0", "t_plus_1", "all")


def _entries(env_folder: Path, current: tuple[Path, dict[str, Any]] | None = None) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(env_folder.glob("*/go-no-go.json")) + sorted(env_folder.glob("t_0/stage-*/go-no-go.json")):
        if current is not None and path.parent == current[0]:
            # the report just written: its document is in memory, not read back
            found.append((path.parent.relative_to(env_folder).as_posix(), current[1]))
            continue
        try:
            doc = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict):
            found.append((path.parent.relative_to(env_folder).as_posix(), doc))
    return sorted(found, key=_order)


def _order(entry: tuple[str, dict[str, Any]]) -> tuple[int, int, str]:
    name = entry[0]
    if name == "partial":
        return (3, 0, name)
    if name.startswith("t_0/stage-"):
        return (1, int(name.rsplit("-", 1)[1]) if name.rsplit("-", 1)[1].isdigit() else 0, name)
    top = name.split("+")[0]
    return (0 if name != "all" else 2, _PHASE_ORDER.index(top) if top in _PHASE_ORDER else 9, name)


def _label(name: str) -> str:
    if name == "partial":
        return "last partial run (never a launch decision)"
    if name.startswith("t_0/stage-"):
        return f"launch day, traffic step {name.rsplit('-', 1)[1]} %"
    if name == "all":
        return "all phases"
    return " + ".join(name.split("+"))


def render_index(env_folder: Path, current: tuple[Path, dict[str, Any]] | None = None) -> str:
    """The index of `env_folder`; `current` (report folder, its document): the report just written,
    taken from memory instead of being read back."""
    rows = []
    environment = env_folder.name
    for name, doc in _entries(env_folder, current):
        run = doc.get("run") or {}
        environment = (doc.get("environment") or {}).get("name") or environment
        verdict = str(doc.get("display_verdict") or doc.get("verdict") or "?")
        css = {"GO": "go", "GO WITH RISKS": "risk", "PROCEED": "go"}.get(verdict, "nogo")
        when = run.get("finished") or run.get("started") or ""
        if run.get("in_progress"):
            when = f"in progress since {run['in_progress']}, never finished"
        rows.append(
            f'<tr><td><a href="{html.escape(name)}/go-no-go.html">{html.escape(_label(name))}</a></td>'
            f'<td class="{css}">{html.escape(verdict)}</td><td>{html.escape(str(when))}</td>'
            f'<td>{html.escape(str(doc.get("headline") or ""))}</td></tr>')
    body = "\n".join(rows) or '<tr><td colspan="4">no report yet</td></tr>'
    title = f"Launch reports: {html.escape(str(environment))}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font: 15px/1.4 system-ui, sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #bbb; padding: .3em .6em; text-align: left; }}
.go {{ background: #d7f5d7; }} .risk {{ background: #fff3c4; }} .nogo {{ background: #f9d0d0; font-weight: bold; }}
</style></head><body>
<h1>{title}</h1>
<p>The latest go/no-go page of each phase and launch-day step. A partial run (a narrowed selection)
is never a launch decision and never replaces a phase's page.</p>
<table><thead><tr><th>report</th><th>verdict</th><th>date</th><th>headline</th></tr></thead>
<tbody>
{body}
</tbody></table>
</body></html>
"""


def write_index(env_folder: Path, current: tuple[Path, dict[str, Any]] | None = None) -> Path:
    path = Path(env_folder) / INDEX_FILE
    write_text_atomic(path, render_index(Path(env_folder), current))
    return path
