"""What the HTTP-API probes (Prometheus, Alertmanager) share: a requests Session with the
plugin's User-Agent and an optional bearer token, verification per request (requests ignores
Session.verify when REQUESTS_CA_BUNDLE is set), a timeout on every call, and transport errors
turned into NoAnswer (a ProbeError) that names the target with secrets masked."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, ClassVar, TypeVar

import requests

from pytest_launch.core.errors import ConfigError
from pytest_launch.core.settings import Table, http_url_problem
from pytest_launch.probes.base import Evidence, Probe
from pytest_launch.probes.deadline import deadline_session, request_within, timeout_problem
from pytest_launch.probes.errors import NoAnswer, ProbeError, mask_secrets
from pytest_launch.probes.http import USER_AGENT, describe_request_error


@dataclasses.dataclass
class ApiSettings(Table):
    """The keys every HTTP-API table shares ([prometheus], [alertmanager])."""

    url: str
    timeout_s: float = 10.0
    verify: bool = True
    ca_bundle: str | None = None
    bearer_token: str | None = None  # only through ${VAR}

    def validate(self) -> tuple[str, str] | None:
        return http_url_problem("url", self.url) or timeout_problem("timeout_s", self.timeout_s)


SettingsT = TypeVar("SettingsT", bound=ApiSettings)
ClientT = TypeVar("ClientT", bound="ApiClient[Any]")


class ApiClient(Probe[SettingsT]):
    """Base of a probe that talks to one HTTP API; subclasses name their environment table."""

    table: ClassVar[str]

    def __init__(self, settings: SettingsT, evidence: Evidence | None = None, secrets: Iterable[str] = ()) -> None:
        token = {settings.bearer_token} if settings.bearer_token else set()
        super().__init__(settings, evidence, frozenset(secrets) | token)
        self.base_url = settings.url.rstrip("/")
        self.session = deadline_session()
        self.session.headers["User-Agent"] = USER_AGENT
        if settings.bearer_token:
            self.session.headers["Authorization"] = f"Bearer {settings.bearer_token}"
        self._verify: bool | str = settings.ca_bundle if (settings.ca_bundle and settings.verify) else settings.verify

    @classmethod
    def from_environment(cls: type[ClientT], env: Any) -> ClientT:
        """The probe for `env`'s table. (Literal tokens and relative ca_bundle paths are handled
        when the environment file is loaded.)"""
        settings = env.table(cls.table)
        if settings is None:
            raise ConfigError(str(env.where), cls.table, f"a [{cls.table}] table with url", "no such table")
        return cls(settings, secrets=env.secrets)

    def _target(self, path: str) -> str:
        return mask_secrets(self.base_url + path, self.secrets)

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One request whose whole answer must arrive within timeout_s (no retries); NoAnswer
        for transport failures and the deadline."""
        timeout = self.settings.timeout_s
        try:
            return request_within(self.session, method, self.base_url + path, timeout=timeout,
                                  deadline_s=timeout, verify=self._verify, **kwargs)
        except requests.RequestException as error:
            raise NoAnswer(self._target(path), describe_request_error(error, timeout, 0), self.secrets) from None

    def get(self, path: str) -> requests.Response:
        """GET base_url + path (read-only APIs: Kubernetes, Grafana): NoAnswer when nothing
        answers within timeout_s, ProbeError for an error status (its body masked)."""
        url = self.base_url + "/" + path.lstrip("/")
        target = f"GET {mask_secrets(url, self.secrets)}"
        timeout = self.settings.timeout_s
        try:
            response = request_within(self.session, "GET", url, timeout=timeout, deadline_s=timeout,
                                      verify=self._verify)
        except requests.RequestException as error:
            raise NoAnswer(target, describe_request_error(error, timeout, 0), self.secrets) from None
        if response.status_code >= 400:
            body = mask_secrets(response.text[:200], self.secrets)
            raise ProbeError(target, f"HTTP {response.status_code}: {body}", self.secrets)
        return response

    def json(self, path: str) -> Any:
        """The JSON answer of GET path; ProbeError when it is not JSON."""
        response = self.get(path)
        try:
            return response.json()
        except ValueError:
            raise ProbeError(f"GET {mask_secrets(self.base_url + '/' + path.lstrip('/'), self.secrets)}",
                             "the answer is not JSON", self.secrets) from None

    def close(self) -> None:
        self.session.close()
