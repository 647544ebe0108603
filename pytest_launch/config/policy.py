"""The launch policy: which severities block, which refused checks count as missing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pytest_launch.config.toml import read_toml
from pytest_launch.core.settings import Table, build, only_tables
from pytest_launch.core.vocabulary import DEFAULT_BLOCKING_SEVERITIES, SEVERITIES


@dataclasses.dataclass
class Policy(Table):
    """[policy]: in readiness/policy.toml, or in the environment file (which wins)."""

    blocking_severities: list[str] = dataclasses.field(
        default_factory=lambda: list(DEFAULT_BLOCKING_SEVERITIES))
    # checklist ids or node ids of destructive checks that must run even where refused:
    # a refused one of these counts as missing evidence.
    require_destructive: list[str] = dataclasses.field(default_factory=list)
    # waived failures and non-blocking failures still let GO_WITH_RISKS exit 0 unless strict
    strict: bool = False

    def validate(self) -> tuple[str, str] | None:
        unknown = [s for s in self.blocking_severities if s not in SEVERITIES]
        if unknown:
            return ("blocking_severities from " + ", ".join(SEVERITIES), f"{unknown[0]!r}")
        return None

    def to_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


def load_policy(path: Path | None) -> Policy:
    """The policy file's [policy] table, or the default policy when there is no file."""
    if path is None or not path.exists():
        return Policy()
    data = read_toml(path, "policy file")
    only_tables(data, str(path), {"policy": Policy}, "only a [policy] table")
    return build(Policy, data.get("policy", {}), str(path), "policy")
