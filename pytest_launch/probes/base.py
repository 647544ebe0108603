"""The base of every probe class: its settings, the secrets it masks, the evidence it records and
`close()` (also as a context manager: `with HttpProbe(settings) as probe: ...`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, ClassVar, Generic, TypeVar

from pytest_launch.probes.errors import mask_secrets

# where a probe sends what it measured: one {"<kind> <target>": values} mapping per call
# (the plugin's fixtures pass launch_evidence.record; outside pytest, any callable or None)
Evidence = Callable[[dict[str, Any]], None]

SettingsT = TypeVar("SettingsT")
ProbeT = TypeVar("ProbeT", bound="Probe[Any]")


class Probe(Generic[SettingsT]):
    """Settings, secrets, evidence and close(); subclasses name their evidence `kind`."""

    kind: ClassVar[str] = "probe"  # the first word of each evidence key ("http", "tls", ...)

    def __init__(self, settings: SettingsT, evidence: Evidence | None = None, secrets: Iterable[str] = ()) -> None:
        self.settings = settings
        self.secrets = frozenset(secrets)
        self._evidence = evidence

    def _record(self, target: str, values: dict[str, Any]) -> None:
        """Record `values` measured on `target` (masked) as evidence, when a recorder was given."""
        if self._evidence is not None:
            self._evidence({f"{self.kind} {mask_secrets(target, self.secrets)}": values})

    def close(self) -> None:
        """Release connections and sessions; a probe holding none has nothing to do."""

    def __enter__(self: ProbeT) -> ProbeT:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
