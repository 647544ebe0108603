"""Waivers (accepted risks) and sign-offs (evidence for manual items), and their validity.

    [[waiver]]                          [[signoff]]
    check = "SEC-02"                    item = "MON-06"
    reason = "..."                      by = "jane.doe"
    owner = "security-lead"             at = 2026-11-20
    approved_by = "cto"                 evidence = "https://..."   # an http(s) link
    expires = 2026-11-30   # required   expires = 2026-12-01   # optional
    environments = ["prod"]  # required environments = ["prod"]   # required, ["*"]: every one
    accepts = ["failed"]   # default    release = "1.4.0"          # optional

An approval counts only in the environments it names; a release-bound sign-off only while the
environment's release is that one; a waiver accepts only the outcomes it names (an error or a
skip is no evidence at all, and must be written out).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TypeVar

from pytest_launch.config.toml import read_toml
from pytest_launch.core.errors import ConfigError, describe
from pytest_launch.core.model import Signoff, SignoffState, Waiver, applies_to
from pytest_launch.core.settings import build, only_tables

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
    signoffs = _load(path, "signoff", Signoff, "sign-offs file")
    for index, signoff in enumerate(signoffs):
        if not is_link(signoff.evidence):
            assert path is not None
            line = _line_of(path, "signoff", index, "evidence")
            raise ConfigError(f"{path}:{line}" if line else str(path), f"signoff[{index}].evidence",
                              "an https:// or http:// link to the evidence", repr(signoff.evidence[:80]))
    return signoffs


def is_link(value: str) -> bool:
    """True for an http(s) link with a host: the only evidence a report renders as a link."""
    return re.match(r"^https?://[^\s/]+", value.strip(), flags=re.IGNORECASE) is not None


def _line_of(path: Path, array: str, index: int, key: str) -> int | None:
    """The line of `key` in the index-th [[array]] table of the file (for messages)."""
    header = f"[[{array}]]"
    count = -1
    inside = False
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            if stripped.split("#", 1)[0].replace(" ", "") == header:
                count += 1
                inside = count == index
            else:
                inside = False
        elif inside and re.match(rf"{re.escape(key)}\s*=", stripped):
            return number
    return None


def waiver_active(waiver: Waiver, today: dt.date) -> bool:
    """A waiver counts up to and including its expiry date."""
    return today <= waiver.expires


def signoff_status(signoff: Signoff, today: dt.date, manual_ids: set[str], known_ids: set[str],
                   environments: list[str] | None = None, release: str | None = None) -> SignoffState:
    """valid, expired, future, unknown_item, not_manual, other_environment or other_release."""
    if signoff.item not in known_ids:
        return "unknown_item"
    if signoff.item not in manual_ids:
        return "not_manual"
    if not applies_to(signoff.environments, environments or []):
        return "other_environment"
    if signoff.release is not None and signoff.release != release:
        return "other_release"
    if signoff.at > today:
        return "future"
    if signoff.expires is not None and signoff.expires < today:
        return "expired"
    return "valid"


def valid_signoff_for(item_id: str, signoffs: list[Signoff], today: dt.date,
                      manual_ids: set[str], known_ids: set[str], environments: list[str] | None = None,
                      release: str | None = None) -> Signoff | None:
    """The most recent valid sign-off of a manual item in these environments and release, or None."""
    valid = [s for s in signoffs if s.item == item_id
             and signoff_status(s, today, manual_ids, known_ids, environments, release) == "valid"]
    return max(valid, key=lambda s: s.at) if valid else None
