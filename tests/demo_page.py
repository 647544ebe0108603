"""The demo's T-7 page for the page tests (print, narrow screen, screenshot), fast: a stored
results document of a real demo run (tests/data/demo-t-minus-7.json, as README's
`pytest readiness -m t_minus_7 --env=demo` writes it) rendered by the current code, with a
history line of the night before, so the page shows "since the last run" as it would in use.

Regenerate the stored document after a change to the suite or the document (about 20 s), and
the README's screenshot of the page top (docs/img/go-no-go-top.png, headless Chromium, 1366x768):

    python tests/demo_page.py            # runs the demo, rewrites tests/data/demo-t-minus-7.json
    python tests/demo_page.py screenshot # renders it and takes the screenshot
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STORED = Path(__file__).resolve().parent / "data" / "demo-t-minus-7.json"
DEMO_COMMAND = ["readiness", "-m", "t_minus_7", "--env=demo"]  # README's demo run


def demo_document() -> dict[str, Any]:
    """The stored demo T-7 results document (a fresh copy)."""
    return json.loads(STORED.read_text("utf-8"))


def demo_history(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Two earlier nights: the last one failed one check less and had one failing that passes now."""
    from pytest_launch.outputs.history import history_entry

    earlier = copy.deepcopy(doc)
    passed = next(c for c in earlier["checks"] if c["outcome"] == "passed" and c["kind"] == "check")
    passed["outcome"] = "failed"
    skipped = next(c for c in earlier["checks"] if c["outcome"] == "skipped")
    skipped["outcome"] = "passed"
    lines = []
    for night, verdict in ((2, "NO_GO"), (1, "NO_GO")):
        earlier["run"]["started"] = earlier["run"]["finished"] = f"2026-11-2{5 - night}T02:00:00+00:00"
        earlier["verdict"] = verdict
        earlier["display_verdict"] = verdict.replace("_", "-")
        lines.append(history_entry(earlier))
    return lines


def demo_page_html() -> str:
    from pytest_launch.outputs.html import render_html

    doc = demo_document()
    return render_html(doc, demo_history(doc))


def regenerate() -> None:
    """Run the demo as README says and store its document (the run's arguments as typed)."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "go-no-go.json"
        env = {**os.environ, "PYTEST_ADDOPTS": ""}
        subprocess.run([sys.executable, "-m", "pytest", *DEMO_COMMAND, "-p", "no:cacheprovider",
                        "--launch-report-dir", str(Path(folder) / "reports"), "--launch-json", str(report)],
                       cwd=ROOT, env=env, check=False)
        doc = json.loads(report.read_text("utf-8"))
    doc["run"]["args"] = list(DEMO_COMMAND)  # the command README gives, not this script's temp folders
    doc["scope"]["selection"]["args"] = list(DEMO_COMMAND)
    STORED.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {STORED} ({doc['verdict']}, {len(doc['checks'])} checks)")


def screenshot(target: Path = ROOT / "docs" / "img" / "go-no-go-top.png", chromium: str = "chromium") -> None:
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "go-no-go.html"
        page.write_text(demo_page_html(), encoding="utf-8")
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--hide-scrollbars", f"--user-data-dir={Path(folder) / 'profile'}", "--window-size=1366,768",
                        f"--screenshot={target}", page.as_uri()], check=True, capture_output=True)
    print(f"wrote {target}")


if __name__ == "__main__":
    screenshot() if sys.argv[1:] == ["screenshot"] else regenerate()
