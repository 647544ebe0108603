"""Issue 12 leftovers: a 200 is neither "open" nor "healthy".

- DAY-13 (maintenance mode removed) passed when the site answered 200 with its maintenance page;
  it now fails on a Retry-After header, a redirect to a /maintenance path, or an
  `[application] maintenance_markers` text in the page's title or first heading.
- INF-06 (load-balancer backends healthy) passed when a backend answered 200 with a body saying
  it is down; it now reads the body's health word and fails with it.

Real HTTP servers on loopback (a small one per test, below), the real readiness checks in a
pytest subprocess (tests/readiness_runs.run_one_check). The demo faults `maintenance_page` and
`backend_reports_down` are in tests/test_readiness_suite.py."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from launch_suite.health import health_word, is_healthy_word, maintenance_signs

from readiness_runs import run_one_check

OPEN_HOME = "<!doctype html><title>Book catalog</title><h1>Book catalog</h1><p>Motorcycle maintenance books.</p>"
MAINTENANCE = "<!doctype html><title>Scheduled maintenance</title><h1>We'll be right back</h1>"

# path -> (status, content type, body, extra headers)
PAGES: dict[str, tuple[int, str, str, dict[str, str]]] = {
    "/open/": (200, "text/html", OPEN_HOME, {}),
    "/marker/": (200, "text/html", MAINTENANCE, {}),
    "/retry-after/": (200, "text/html", "<title>Book catalog</title>", {"Retry-After": "3600"}),
    "/redirect/": (302, "text/html", "", {"Location": "/maintenance.html"}),
    "/maintenance.html": (200, "text/html", "<title>Please wait</title>", {}),
    "/health": (200, "application/json", '{"status": "ok"}', {}),
    "/spring-up": (200, "application/json", '{"status": "UP", "components": {"db": {"status": "UP"}}}', {}),
    "/spring-down": (200, "application/json", '{"status": "DOWN", "components": {"db": {"status": "DOWN"}}}', {}),
    "/plain-down": (200, "text/plain", "DOWN\n", {}),
    "/healthy-false": (200, "application/json", '{"healthy": false}', {}),
    "/health-json-fail": (200, "application/health+json", '{"status": "fail", "output": "db unreachable"}', {}),
    "/plain-ok": (200, "text/plain", "OK", {}),
    "/no-verdict": (200, "application/json", '{"uptime_s": 12}', {}),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        status, content_type, body, headers = PAGES.get(self.path, (404, "text/plain", "no such page", {}))
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _day13(pytester: pytest.Pytester, site: str, home: str, extra: str = "") -> dict:
    return run_one_check(pytester, f'[http]\nbase_url = "{site}"\nretries = 0\n\n[application]\nhome_path = "{home}"\n'
                                   f'health_path = "/health"\n{extra}', "test_application.py",
                         "test_maintenance_mode_removed", "open-and-healthy")


# ------------------------------------------------------------------------------------ DAY-13
@pytest.mark.parametrize(("home", "words"), [
    ("/marker/", "title 'Scheduled maintenance' holds the marker 'maintenance'"),
    ("/retry-after/", "Retry-After: 3600"),
    ("/redirect/", "redirected to /maintenance.html"),
])
def test_day13_fails_on_a_maintenance_page_that_answers_200(pytester, site, home, words):
    check = _day13(pytester, site, home)
    assert check["outcome"] == "failed", check
    assert "the site answers its maintenance page" in check["message"] and words in check["message"]


def test_day13_passes_on_the_open_site_and_the_markers_are_a_setting(pytester, site):
    # the open page mentions "maintenance" in its content, not in its title or heading: open
    assert _day13(pytester, site, "/open/")["outcome"] == "passed"
    # a team whose maintenance page says something else names its words
    check = _day13(pytester, site, "/open/", 'maintenance_markers = ["book catalog"]\n')
    assert check["outcome"] == "failed" and "holds the marker 'book catalog'" in check["message"]


# ------------------------------------------------------------------------------------ INF-06
def test_inf06_fails_with_the_word_of_each_backend_that_says_it_is_down(pytester, site):
    paths = ["/spring-up", "/spring-down", "/plain-down", "/healthy-false", "/health-json-fail", "/plain-ok",
             "/no-verdict"]
    backends = ", ".join(json.dumps(site + p) for p in paths)
    check = run_one_check(pytester, f'[http]\nbase_url = "{site}"\nretries = 0\n\n[load_balancer]\n'
                                    f'backends = [{backends}]\n', "test_infrastructure.py",
                          "test_load_balancer_backends_healthy", "open-and-healthy")
    assert check["outcome"] == "failed", check
    message = check["message"]
    for path, said in (("/spring-down", "'DOWN' (status)"), ("/plain-down", "'DOWN' (body)"),
                       ("/healthy-false", "'false' (healthy)"), ("/health-json-fail", "'fail' (status)")):
        assert f"backend {site}{path} answered 200 but its health says {said}: not healthy" in message, message
    for healthy in ("/spring-up", "/plain-ok", "/no-verdict"):
        assert f"{site}{healthy} " not in message
    assert check["evidence"]["backend_health"][site + "/spring-down"] == "status=DOWN"


def test_inf06_passes_when_every_backend_says_it_is_healthy(pytester, site):
    backends = ", ".join(json.dumps(site + p) for p in ("/spring-up", "/plain-ok", "/health"))
    check = run_one_check(pytester, f'[http]\nbase_url = "{site}"\nretries = 0\n\n[load_balancer]\n'
                                    f'backends = [{backends}]\n', "test_infrastructure.py",
                          "test_load_balancer_backends_healthy", "open-and-healthy")
    assert check["outcome"] == "passed", check


# ------------------------------------------------------------------------------------ the readers
@pytest.mark.parametrize(("body", "stated", "healthy"), [
    ('{"status": "UP"}', ("status", "UP"), True),
    ('{"status": "OUT_OF_SERVICE"}', ("status", "OUT_OF_SERVICE"), False),
    ('{"State": "degraded"}', ("state", "degraded"), False),
    ('{"healthy": true}', ("healthy", "true"), True),
    ('{"is_healthy": false}', ("is_healthy", "false"), False),
    ('"DOWN"', ("body", "DOWN"), False),
    ("ok", ("body", "ok"), True),
    ("Service Unavailable", ("body", "Service Unavailable"), False),
    ('{"checks": {"db": "down"}}', None, None),
    ("<html><body>fine</body></html>", None, None),
    ("", None, None),
])
def test_health_word(body, stated, healthy):
    assert health_word(body) == stated
    if stated is not None:
        assert is_healthy_word(stated[1]) is healthy


def test_maintenance_signs_read_only_the_title_and_first_heading():
    assert maintenance_signs(OPEN_HOME, {}, "https://shop/", ["maintenance"]) == []
    assert maintenance_signs(MAINTENANCE, {}, "https://shop/", ["BE RIGHT BACK"]) == [
        "heading \"We'll be right back\" holds the marker 'BE RIGHT BACK'"]
