"""readiness/README.md's table "What each check proves" names every automated checklist item."""

from __future__ import annotations

import re
from pathlib import Path

from readiness_runs import checklist_items

README = Path(__file__).parent.parent / "readiness" / "README.md"


def _table_ids() -> set[str]:
    text = README.read_text()
    section = text.split("## What each check proves", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| item")]
    return {match for row in rows for match in re.findall(r"\b[A-Z]+-\d{2}\b", row.split(" | ")[0])}


def test_every_automated_item_is_in_the_table_and_nothing_else():
    automated = {item["id"] for item in checklist_items() if item["mode"] == "automated"}
    listed = _table_ids()
    assert automated - listed == set(), f"automated items missing from the table: {sorted(automated - listed)}"
    assert listed - automated == set(), f"the table names items that are not automated: {sorted(listed - automated)}"


def test_every_row_says_what_it_cannot_see():
    section = README.read_text().split("## What each check proves", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith(("| item", "| ---"))]
    assert rows and all(len([c for c in row.strip("|").split(" | ") if c.strip()]) == 4 for row in rows), rows
