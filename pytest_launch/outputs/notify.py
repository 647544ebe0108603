"""Send a results document's verdict to its notification targets (Slack, Microsoft Teams, a
generic JSON webhook), when the policy says so, and record what happened.

    records = notify_all(targets, "change", 10.0, doc, previous, redactor)

- when: `change` (the canonical verdict differs from the previous run's, or there is no previous
  run), `always`, or `nogo` (NO_GO and ROLLBACK); never for a partial run (a `-k` debugging run
  is not a launch decision to announce); a target not sent to is recorded as skipped, with the
  reason;
- how: one POST of the payload as JSON (outputs.notify_payloads) through requests, redirects not
  followed, with a timeout on every connect and read and an overall deadline for the whole send
  (probes.deadline: a server that drips its answer cannot hold the run); urllib3's Retry retries
  a refused connection and a 429/502/503/504 answer twice (never a read that timed out, which may
  have been delivered, nor a 500);
- what is recorded: one dict per target (target shown masked, format, status sent / failed /
  skipped, HTTP status, error, reason, time), for the JSON's `notifications` and the terminal.
  A failure never raises: the verdict and the exit code do not depend on a chat server.

No URL is ever written: errors are described in our own words (connection refused, no answer
within N s, HTTP 500 and the first words of the answer), and every string passes the redactor,
which holds every target URL as a secret.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import requests
from urllib3.exceptions import NewConnectionError
from urllib3.exceptions import TimeoutError as TimeoutError_
from urllib3.util.retry import Retry

from pytest_launch.config.reports import NotifyTarget
from pytest_launch.core.redact import Redactor
from pytest_launch.outputs.notify_payloads import payload
from pytest_launch.probes.deadline import DeadlineAdapter, overall_deadline, request_within

FAILING = ("NO_GO", "ROLLBACK")
RETRIES = 2
BACKOFF_S = 0.5
RETRY_STATUSES = (429, 502, 503, 504)
ANSWER_SHOWN = 120  # characters of a refusing server's answer kept in the error


def should_send(on: str, doc: dict[str, Any], previous: dict[str, Any] | None) -> tuple[bool, str]:
    """(send?, why) for the policy `on`: change, always or nogo."""
    verdict = str(doc.get("verdict") or "")
    if (doc.get("run") or {}).get("partial"):  # its NO_GO is about the selection, not the launch
        return False, "a partial run is not a launch decision"
    if on == "always":
        return True, "notify_on always"
    if on == "nogo":
        if verdict in FAILING:
            return True, f"the verdict is {verdict}"
        return False, f"the verdict is {verdict}, and notify_on is nogo"
    if previous is None:
        return True, "no previous run to compare with"
    before = str(previous.get("verdict") or "")
    if before != verdict:
        return True, f"the verdict changed: {before or 'unknown'} -> {verdict}"
    return False, f"the verdict is unchanged since the previous run ({verdict})"


def _session() -> requests.Session:
    retry = Retry(total=RETRIES, connect=RETRIES, read=0, status=RETRIES, other=0, redirect=0,
                  backoff_factor=BACKOFF_S, status_forcelist=RETRY_STATUSES, allowed_methods=frozenset({"POST"}),
                  raise_on_status=False, respect_retry_after_header=False)
    session = requests.Session()
    session.trust_env = True
    for scheme in ("http://", "https://"):
        session.mount(scheme, DeadlineAdapter(max_retries=retry))
    return session


def _failure(exc: BaseException, timeout_s: float, deadline_s: float) -> str:
    """An error in our own words: exception texts quote the URL."""
    text = str(exc).lower()
    cause = getattr(exc.args[0], "reason", None) if exc.args else None  # urllib3's MaxRetryError holds it
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS handshake failed (certificate or protocol)"
    if isinstance(cause, NewConnectionError) or "refused" in text:  # (a NewConnectionError is a timeout class too)
        if "refused" in text:
            return "connection refused"
        if "resolve" in text or "name or service" in text:
            return "the host name does not resolve"
        return "could not connect"
    if isinstance(exc, requests.exceptions.Timeout) or isinstance(cause, TimeoutError_):
        if "overall deadline" in text:
            return f"no whole answer within {deadline_s:g} s (overall deadline)"
        return f"no answer within {timeout_s:g} s (timeout)"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "could not connect"
    return f"could not send ({type(exc).__name__})"


def send(target: NotifyTarget, body: dict[str, Any], timeout_s: float, redactor: Redactor) -> dict[str, Any]:
    """POST `body` to the target; the record of what happened (never raises for a network problem)."""
    record: dict[str, Any] = {"target": target.shown, "format": target.format, "status": "failed",
                              "http_status": None, "error": None, "reason": None,
                              "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    deadline_s = overall_deadline(timeout_s, RETRIES, BACKOFF_S) + 1.0
    try:
        with _session() as session:
            response = request_within(session, "POST", target.url, timeout=timeout_s, deadline_s=deadline_s,
                                      json=redactor.data(body), allow_redirects=False,
                                      headers={"User-Agent": "pytest-launch notify"})
    except (requests.exceptions.RequestException, OSError) as exc:
        record["error"] = _failure(exc, timeout_s, deadline_s)
        return record
    record["http_status"] = response.status_code
    if 200 <= response.status_code < 300:
        record["status"] = "sent"
        return record
    answer = " ".join((response.text or "").split())[:ANSWER_SHOWN]
    record["error"] = redactor.text(f"HTTP {response.status_code}" + (f": {answer}" if answer else ""))
    return record


def notify_all(targets: Sequence[NotifyTarget], on: str, timeout_s: float, doc: dict[str, Any],
               previous: dict[str, Any] | None, redactor: Redactor) -> list[dict[str, Any]]:
    """Send `doc` to every target the policy asks for; one record per target, in order."""
    go, why = should_send(on, doc, previous)
    records: list[dict[str, Any]] = []
    for target in targets:
        if not go:
            records.append({"target": target.shown, "format": target.format, "status": "skipped",
                            "http_status": None, "error": None, "reason": why,
                            "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")})
            continue
        try:
            record = send(target, payload(target.format, doc, previous), timeout_s, redactor)
        except Exception as exc:  # a bug here must not cost the run its report: recorded, by type only
            record = {"target": target.shown, "format": target.format, "status": "failed", "http_status": None,
                      "error": f"could not build or send the message ({type(exc).__name__})",
                      "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        record["reason"] = why
        records.append(record)
    return [redactor.data(record) for record in records]

