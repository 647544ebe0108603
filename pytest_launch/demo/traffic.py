"""Synthetic visitors of the demo: real HTTPS requests to the demo app's catalog API, a few per
second, spread over both app instances, so that the demo's HTTP metrics (request rate, error
rate, latency) describe user traffic and not only Prometheus's own scrapes. A broken demo
(fault `api_errors`: the API answers 500) therefore shows its error rate on launch day.

Only 127.0.0.1; every request has a timeout; errors are counted, never raised (the app's own
metrics are the evidence).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence

import requests

# read-only pages a visitor browses (distinct from the paths the suite's rate-limit burst uses)
BROWSE_PATHS: tuple[str, ...] = (
    "/api/books/9780141439518",
    "/api/authors/a-001",
    "/api/search?q=dickens",
    "/api/books?genre=gothic",
)


class SyntheticVisitors:
    """A background thread sending one GET every `interval_s`, round robin over instances and
    pages. `stop()` ends it within one request timeout."""

    def __init__(self, base_urls: Sequence[str], ca_bundle: str, interval_s: float = 0.25,
                 timeout_s: float = 2.0) -> None:
        self.base_urls = list(base_urls)
        self.ca_bundle = ca_bundle
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.sent = 0
        self.failed = 0  # connection errors (an HTTP error status is an answer, counted by the app)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> SyntheticVisitors:
        self._thread = threading.Thread(target=self._run, name="demo-visitors", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        pages = itertools.cycle([(base, path) for path in BROWSE_PATHS for base in self.base_urls])
        with requests.Session() as session:
            session.trust_env = False  # no proxy, no REQUESTS_CA_BUNDLE in place of the demo's CA
            while not self._stop.is_set():
                base, path = next(pages)
                try:
                    session.get(base + path, verify=self.ca_bundle, timeout=self.timeout_s).close()
                except requests.RequestException:
                    self.failed += 1
                self.sent += 1
                self._stop.wait(self.interval_s)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout_s + 3)
