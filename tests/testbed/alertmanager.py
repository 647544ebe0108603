"""Test bed: a real Alertmanager (Debian package `prometheus-alertmanager`) on 127.0.0.1,
clustering off, whose receiver for synthetic readiness alerts is a webhook server in the test.

Fixtures:

- ``alertmanager_server`` (session): an `AlertmanagerServer` with ``url``, ``webhook`` (the
  received notifications) and ``settings(**kw)`` (AlertmanagerSettings pointing at it).
  Routing: alerts labelled ``readiness="synthetic"`` go to the ``readiness-webhook`` receiver
  (group_wait 0s so delivery is immediate); alerts also labelled ``route="blackhole"`` go to
  ``blackhole`` (no endpoint: never delivered); everything else goes to ``default``.
- ``alertmanager_scenario`` (function): ``start(receiver, route)`` runs a fresh Alertmanager (its
  notification counters start at 0, so no other test's retries count) whose
  ``readiness-webhook`` receiver is ``"up"`` (answers 200), ``"refusing"`` (its URL is a port
  that refuses connections) or ``"500"`` (answers 500); with ``route="elsewhere"`` synthetic
  alerts go to ``other-team`` (a webhook that is up) instead.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from testbed.support import free_port, require_binary, terminate, wait_until

CONFIG = """\
route:
  receiver: default
  group_by: [alertname, readiness_id]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - matchers: ['readiness="synthetic"', 'route="blackhole"']
      receiver: blackhole
    - matchers: ['readiness="synthetic"']
      receiver: readiness-webhook
receivers:
  - name: default
  - name: blackhole
  - name: readiness-webhook
    webhook_configs:
      - url: "http://127.0.0.1:{webhook_port}/hook"
        send_resolved: true
"""


SCENARIO_CONFIG = """\
route:
  receiver: default
  group_by: [alertname, readiness_id]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - matchers: ['readiness="synthetic"']
      receiver: {synthetic_receiver}
receivers:
  - name: default
  - name: readiness-webhook
    webhook_configs:
      - url: "{hook_url}"
        send_resolved: true
  - name: other-team
    webhook_configs:
      - url: "{other_url}"
"""


class Webhook:
    """A local HTTP server that records every notification Alertmanager posts to it and answers
    with `status` (200: accepted; 500: a receiver endpoint that is up but failing)."""

    def __init__(self, status: int = 200) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = status
        self._lock = threading.Lock()
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                try:
                    payload = json.loads(body)
                except ValueError:
                    payload = {"unparsed": body.decode(errors="replace")}
                with webhook._lock:
                    webhook.received.append(payload)
                self.send_response(webhook.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="am-webhook", daemon=True)
        self.thread.start()

    def alerts_with(self, readiness_id: str, status: str = "firing") -> list[dict[str, Any]]:
        """Notified alerts carrying `readiness_id` with the given status."""
        with self._lock:
            payloads = list(self.received)
        return [a for p in payloads for a in p.get("alerts", [])
                if a.get("labels", {}).get("readiness_id") == readiness_id and a.get("status") == status]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclasses.dataclass
class AlertmanagerServer:
    url: str
    port: int
    webhook: Webhook
    log: Path

    def settings(self, **overrides: Any) -> Any:
        from pytest_launch.probes.alertmanager import AlertmanagerSettings

        values: dict[str, Any] = {"url": self.url, "timeout_s": 5.0, "delivery_timeout_s": 15.0,
                                  "synthetic_receiver": "readiness-webhook"}
        values.update(overrides)
        return AlertmanagerSettings(**values)

    def probe(self, **overrides: Any) -> Any:
        from pytest_launch.probes.alertmanager import AlertmanagerProbe

        return AlertmanagerProbe(self.settings(**overrides))


def _run_alertmanager(workdir: Path, config_text: str) -> tuple[subprocess.Popen[bytes], str, int, Path]:
    """Start the real Alertmanager on a free port with `config_text`; wait until it is ready."""
    binary = require_binary("prometheus-alertmanager", "prometheus-alertmanager")
    config = workdir / "alertmanager.yml"
    config.write_text(config_text)
    port = free_port()
    log = workdir / "alertmanager.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.path={workdir / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=warn"],
            stdout=log_file, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _ready(url), timeout=30, what="alertmanager", log=log)
    except BaseException:
        terminate(process)
        raise
    return process, url, port, log


def _ready(url: str) -> bool:
    try:
        return requests.get(f"{url}/-/ready", timeout=1).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(scope="session")
def alertmanager_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AlertmanagerServer]:
    webhook = Webhook()
    try:
        process, url, port, log = _run_alertmanager(tmp_path_factory.mktemp("alertmanager"),
                                                    CONFIG.format(webhook_port=webhook.port))
    except BaseException:
        webhook.close()
        raise
    try:
        yield AlertmanagerServer(url=url, port=port, webhook=webhook, log=log)
    finally:
        terminate(process)
        webhook.close()


RECEIVER_BEHAVIOURS = ("up", "refusing", "500")


@pytest.fixture
def alertmanager_scenario(tmp_path: Path, closed_port: int) -> Iterator[Callable[..., AlertmanagerServer]]:
    """``start(receiver="up"|"refusing"|"500", route="expected"|"elsewhere")``: a fresh real
    Alertmanager whose readiness-webhook receiver behaves so (see the module docstring)."""
    started: list[tuple[subprocess.Popen[bytes], list[Webhook]]] = []

    def start(receiver: str = "up", route: str = "expected") -> AlertmanagerServer:
        assert receiver in RECEIVER_BEHAVIOURS and route in ("expected", "elsewhere")
        hook = Webhook(status=500 if receiver == "500" else 200)
        other = Webhook()
        hook_url = (f"http://127.0.0.1:{closed_port}/hook" if receiver == "refusing"
                    else f"http://127.0.0.1:{hook.port}/hook")
        config = SCENARIO_CONFIG.format(
            synthetic_receiver="readiness-webhook" if route == "expected" else "other-team",
            hook_url=hook_url, other_url=f"http://127.0.0.1:{other.port}/hook")
        workdir = tmp_path / f"alertmanager-{len(started)}"
        workdir.mkdir()
        try:
            process, url, port, log = _run_alertmanager(workdir, config)
        except BaseException:
            hook.close()
            other.close()
            raise
        started.append((process, [hook, other]))
        return AlertmanagerServer(url=url, port=port, webhook=hook, log=log)

    yield start
    for process, hooks in started:
        terminate(process)
        for hook in hooks:
            hook.close()
