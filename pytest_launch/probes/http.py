"""HTTP probe: a requests Session bound to the environment's base URL.

    [http]
    base_url = "https://shop.example.com"
    timeout = 10            # seconds, connect and each read, on every request (0 < timeout <= 300)
    retries = 2             # idempotent requests only, with exponential backoff (urllib3 Retry; 0..10)
    ca_bundle = "ca.pem"    # optional; TLS verification is always on unless verify = false

Every request has an overall deadline, timeout x (retries + 1) plus the backoff pauses, for the
whole request (connect, status line, headers, body, retries): it holds against a server dripping
any part of its answer (pytest_launch.probes.deadline). No answer (connection
refused, timeouts, the deadline, DNS failures, TLS handshake failures) raises `NoAnswer`; a 5xx
answer raises `ProbeError`: both name the target (with any password in the URL masked) and end
the check in *error*. Any other answer is returned for the check to judge.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.structures import CaseInsensitiveDict
from urllib3.util.retry import Retry

from pytest_launch import __version__
from pytest_launch.core.settings import Table, http_url_problem
from pytest_launch.probes.base import Evidence, Probe
from pytest_launch.probes.deadline import (
    DeadlineAdapter,
    DeadlineExceeded,
    first_problem,
    overall_deadline,
    request_within,
    retries_problem,
    timeout_problem,
)
from pytest_launch.probes.errors import NoAnswer, ProbeError, mask_secrets
from pytest_launch.probes.fanout import fan_out

USER_AGENT = f"pytest-launch/{__version__}"
RETRY_STATUSES = (502, 503, 504)


@dataclasses.dataclass
class HttpSettings(Table):
    """[http]: the web service under test."""

    base_url: str
    timeout: float = 10.0
    retries: int = 2
    backoff_factor: float = 0.2
    verify: bool = True
    ca_bundle: str | None = None
    follow_redirects: bool = True
    headers: dict[str, str] = dataclasses.field(default_factory=dict)

    def validate(self) -> tuple[str, str] | None:
        return first_problem(
            http_url_problem("base_url", self.base_url),
            timeout_problem("timeout", self.timeout),
            retries_problem("retries", self.retries),
            None if math.isfinite(self.backoff_factor) and 0 <= self.backoff_factor <= 10
            else ("backoff_factor to be a number of seconds from 0 to 10", repr(self.backoff_factor)),
        )

    @property
    def deadline_s(self) -> float:
        """The overall deadline of one request: every attempt's timeout plus the backoff pauses."""
        return overall_deadline(self.timeout, self.retries, self.backoff_factor)


@dataclasses.dataclass
class Cookie:
    """One Set-Cookie header, parsed: the attributes a security check looks at."""

    name: str
    value: str
    secure: bool = False
    httponly: bool = False
    samesite: str | None = None
    path: str | None = None
    domain: str | None = None
    max_age: str | None = None
    expires: str | None = None

    @classmethod
    def parse(cls, header: str) -> Cookie:
        first, *attributes = header.split(";")
        name, _, value = first.partition("=")
        cookie = cls(name.strip(), value.strip())
        for attribute in attributes:
            key, has_value, val = attribute.strip().partition("=")
            key = key.strip().lower()
            val = val.strip()
            if key == "secure":
                cookie.secure = True
            elif key == "httponly":
                cookie.httponly = True
            elif key == "samesite" and has_value:
                cookie.samesite = val.capitalize()
            elif key in ("path", "domain", "expires") and has_value:
                setattr(cookie, key, val)
            elif key == "max-age" and has_value:
                cookie.max_age = val
        return cookie

    def evidence(self) -> dict[str, Any]:
        """The cookie without its value (a session cookie's value is a secret)."""
        return {"name": self.name, "secure": self.secure, "httponly": self.httponly, "samesite": self.samesite}


@dataclasses.dataclass
class Hop:
    """One answer on the way: its status, its URL and where it pointed next."""

    status: int
    url: str
    location: str | None


@dataclasses.dataclass
class HttpResult:
    """What one request measured."""

    method: str
    url: str
    status: int
    reason: str
    elapsed_ms: float
    headers: CaseInsensitiveDict[str]
    cookies: list[Cookie]
    redirect_chain: list[Hop]
    response: requests.Response = dataclasses.field(repr=False)

    @property
    def text(self) -> str:
        return self.response.text

    def json(self) -> Any:
        return self.response.json()

    def cookie(self, name: str) -> Cookie | None:
        return next((c for c in self.cookies if c.name == name), None)

    def evidence(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "elapsed_ms": round(self.elapsed_ms, 1),
            "redirects": [f"{hop.status} {hop.url}" for hop in self.redirect_chain[:-1]],
            "final_url": self.url,
        }


class HttpProbe(Probe[HttpSettings]):
    """Requests against one web service. Usable outside pytest:

        probe = HttpProbe(HttpSettings(base_url="https://example.com"))
        result = probe.get("/health")
    """

    kind = "http"

    def __init__(self, settings: HttpSettings, evidence: Evidence | None = None,
                 secrets: Iterable[str] = ()) -> None:
        super().__init__(settings, evidence, secrets)
        self._verify: bool | str = settings.ca_bundle if settings.ca_bundle and settings.verify else settings.verify
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers.update(settings.headers)
        retry = Retry(
            total=settings.retries,
            connect=settings.retries,
            read=settings.retries,
            status=settings.retries,
            backoff_factor=settings.backoff_factor,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=Retry.DEFAULT_ALLOWED_METHODS,  # idempotent methods only
            raise_on_status=False,
            respect_retry_after_header=False,  # a Retry-After of minutes must not outlast the timeout
        )
        adapter = DeadlineAdapter(max_retries=retry, pool_maxsize=32)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def url(self, path: str = "") -> str:
        """`path` joined to the base URL (an absolute URL is kept as it is)."""
        base = self.settings.base_url if self.settings.base_url.endswith("/") else self.settings.base_url + "/"
        return urljoin(base, path.lstrip("/")) if not urlsplit(path).scheme else path

    def request(self, method: str, path: str = "", *, follow_redirects: bool | None = None,
                accept_5xx: bool = False, timeout: float | None = None, **kwargs: Any) -> HttpResult:
        """One request; raises ProbeError when no answer came or the answer is a 5xx
        (unless `accept_5xx`)."""
        method = method.upper()
        url = self.url(path)
        target = f"{method} {url}"
        follow = self.settings.follow_redirects if follow_redirects is None else follow_redirects
        seconds = self.settings.timeout if timeout is None else timeout
        deadline = overall_deadline(seconds, self.settings.retries, self.settings.backoff_factor)
        kwargs.setdefault("verify", self._verify)  # per request: Session.verify loses to REQUESTS_CA_BUNDLE
        start = time.perf_counter()
        try:
            response = request_within(self.session, method, url, allow_redirects=follow, timeout=seconds,
                                      deadline_s=deadline, **kwargs)
        except requests.RequestException as error:
            raise NoAnswer(target, describe_request_error(error, seconds, self.settings.retries),
                           self.secrets) from None
        elapsed_ms = (time.perf_counter() - start) * 1000
        result = HttpResult(
            method=method,
            url=mask_secrets(response.url, self.secrets),
            status=response.status_code,
            reason=response.reason or "",
            elapsed_ms=elapsed_ms,
            headers=response.headers,
            cookies=[Cookie.parse(h) for h in _set_cookie_headers(response)],
            redirect_chain=[Hop(r.status_code, mask_secrets(r.url, self.secrets), r.headers.get("Location"))
                            for r in [*response.history, response]],
            response=response,
        )
        self._record(target, result.evidence())
        if response.status_code >= 500 and not accept_5xx:
            raise ProbeError(target, f"server error {response.status_code} {response.reason or ''}".rstrip(),
                             self.secrets)
        return result

    def get(self, path: str = "", **kwargs: Any) -> HttpResult:
        return self.request("GET", path, **kwargs)

    def head(self, path: str = "", **kwargs: Any) -> HttpResult:
        return self.request("HEAD", path, **kwargs)

    def burst(self, path: str = "", count: int = 50, concurrency: int = 10, **kwargs: Any) -> list[int]:
        """DESTRUCTIVE (load): `count` GETs at once, `concurrency` at a time, without retries;
        the status of each. A rate-limit check asserts that 429 is among them."""
        if count > 10_000:
            raise ValueError("a burst is bounded: count must be at most 10000")
        single = HttpProbe(dataclasses.replace(self.settings, retries=0), None, self.secrets)
        try:
            outcomes = fan_out(lambda _: single.get(path, accept_5xx=True, **kwargs).status, range(count), concurrency)
        finally:
            single.close()
        statuses = [o.result() for o in outcomes]
        counts = {str(s): statuses.count(s) for s in sorted(set(statuses))}
        self._record(f"burst GET {self.url(path)} x{count}", {"statuses": counts})
        return statuses

    def close(self) -> None:
        self.session.close()


def _set_cookie_headers(response: requests.Response) -> list[str]:
    raw = getattr(response.raw, "headers", None)
    if raw is not None and hasattr(raw, "getlist"):
        return list(raw.getlist("Set-Cookie"))
    header = response.headers.get("Set-Cookie")
    return [header] if header else []


def describe_request_error(error: BaseException, timeout: float, retries: int) -> str:
    """A short, human reason for a failed request: refused, timed out, DNS, TLS."""
    after = f" (after {retries} retries)" if retries else ""
    chain = _causes(error)
    names = {type(e).__name__ for e in chain}
    text = " ".join(str(e) for e in chain)
    if isinstance(error, DeadlineExceeded):
        return str(error)
    if isinstance(error, requests.exceptions.SSLError) or "SSLError" in names:
        reason = _ssl_reason(chain)
        return f"TLS handshake failed: {reason}"
    if isinstance(error, requests.exceptions.ConnectTimeout) or "ConnectTimeoutError" in names:
        return f"connect timed out after {timeout:g}s{after}"
    if isinstance(error, requests.exceptions.ReadTimeout) or "ReadTimeoutError" in names:
        return f"no answer within {timeout:g}s (read timeout){after}"
    if "NameResolutionError" in names or "gaierror" in names:
        return f"DNS lookup failed for the host{after}"
    if "ConnectionRefusedError" in names or "Connection refused" in text:
        return f"connection refused{after}"
    if "RemoteDisconnected" in names or "ConnectionResetError" in names:
        return f"connection closed without an answer{after}"
    if isinstance(error, requests.exceptions.TooManyRedirects):
        return "too many redirects"
    if isinstance(error, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return f"invalid URL: {error}"
    return f"request failed: {type(error).__name__}: {str(error)[:300]}"


def _causes(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    stack: list[BaseException] = [error]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.append(current)
        for nxt in (current.__cause__, current.__context__, getattr(current, "reason", None)):
            if isinstance(nxt, BaseException):
                stack.append(nxt)
        stack.extend(a for a in getattr(current, "args", ()) if isinstance(a, BaseException))
    return seen


def _ssl_reason(chain: list[BaseException]) -> str:
    for error in chain:
        message = getattr(error, "verify_message", None)
        if message:
            return f"certificate verify failed: {message}"
    for error in chain:
        reason = getattr(error, "reason", None)
        if isinstance(reason, str) and reason:
            return reason
    return str(chain[-1])[:200]

