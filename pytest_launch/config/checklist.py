"""readiness/checklist.toml: every launch item, automated by checks or signed off by a person.

    [[item]]
    id = "INF-04"
    title = "SSL certificates valid (>30 days)"
    phase = "t_minus_7"
    category = "infra"
    severity = "blocker"
    owner = "platform-team"
    mode = "automated"          # or "manual"
    description = "..."
"""

from __future__ import annotations

from pathlib import Path

from pytest_launch.config.toml import read_toml
from pytest_launch.core.errors import ConfigError, describe, did_you_mean
from pytest_launch.core.model import ChecklistItem
from pytest_launch.core.settings import build, only_tables
from pytest_launch.core.vocabulary import CATEGORIES, PHASES, SEVERITIES


def load_checklist(path: Path | None) -> list[ChecklistItem]:
    """The checklist's items; no file means no checklist (an empty list)."""
    if path is None or not path.exists():
        return []
    file = str(path)
    data = read_toml(path, "checklist")
    only_tables(data, file, {"item": ChecklistItem}, "only [[item]] tables", arrays=True)
    raw_items = data.get("item", [])
    if not isinstance(raw_items, list):
        raise ConfigError(file, "item", "an array of tables [[item]]", describe(raw_items))
    items: list[ChecklistItem] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_items):
        key = f"item[{index}]"
        entry = build(ChecklistItem, raw, file, key)
        for field, words in (("phase", PHASES), ("category", CATEGORIES), ("severity", SEVERITIES)):
            value = getattr(entry, field)
            if value not in words:
                raise ConfigError(file, f"{key}.{field}", "one of " + ", ".join(words), repr(value),
                                  did_you_mean(value, words))
        if not entry.id.strip():
            raise ConfigError(file, f"{key}.id", "a non-empty id", "an empty string")
        if entry.id in seen:
            raise ConfigError(file, f"{key}.id", "a unique id", f"{entry.id!r} again (first at item[{seen[entry.id]}])")
        seen[entry.id] = index
        items.append(entry)
    return items
