"""Waivers (accepted risks) and sign-offs (evidence for manual items), and their validity.

    [[waiver]]                          [[signoff]]
    check = "SEC-02"                    item = "MON-06"
    reason = "..."                      by = "jane.doe"
    owner = "security-lead"             at = 2026-11-20
    approved_by = "cto"                 evidence = "https://..."
    expires = 2026-11-30   # required   expires = 2026-12-01   # optional
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TypeVar

from pytest_launch.config.errors import ConfigError, describe
from pytest_launch.config.schema import build, only_tables
from pytest_launch.config.toml import read_toml
from pytest_launch.model import Signoff, Waiver

T = TypeVar("T")


def _load(path: Path | None, array: str, model_cls: type[T], what: str) -> list[T]:
    if path is None or not path.exists():
        return []
    file = str(path)
    data = read_toml(path, what)
    only_tables(data, file, {array: model_cls}, f"only [[{array}]] tables", arrays=True)
    raw = data.get(array, [])
    if not isinstance(raw, list):
        raise ConfigError(file, array, f"an array of tables [[{array}]]", describe(raw))
    return [build(model_cls, entry, file, f"{array}[{i}]")
            for i, entry in enumerate(raw)]


def load_waivers(path: Path | None) -> list[Waiver]:
    return _load(path, "waiver", Waiver, "waivers file")


def load_signoffs(path: Path | None) -> list[Signoff]:
    return _load(path, "signoff", Signoff, "sign-offs file")


def waiver_active(waiver: Waiver, today: dt.date) -> bool:
    """A waiver counts up to and including its expiry date."""
    return today <= waiver.expires


def signoff_status(signoff: Signoff, today: dt.date, manual_ids: set[str], known_ids: set[str]) -> str:
    """valid, expired, future, unknown_item or not_manual."""
    if signoff.item not in known_ids:
        return "unknown_item"
    if signoff.item not in manual_ids:
        return "not_manual"
    if signoff.at > today:
        return "future"
    if signoff.expires is not None and signoff.expires < today:
        return "expired"
    return "valid"


def valid_signoff_for(item_id: str, signoffs: list[Signoff], today: dt.date,
                      manual_ids: set[str], known_ids: set[str]) -> Signoff | None:
    """The most recent valid sign-off of a manual item, or None."""
    valid = [s for s in signoffs if s.item == item_id
             and signoff_status(s, today, manual_ids, known_ids) == "valid"]
    return max(valid, key=lambda s: s.at) if valid else None
