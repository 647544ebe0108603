"""The demo's web application: the book-catalog service, as a small WSGI app.

It behaves the way a well-prepared production service should (security headers, secure cookies,
an admin area that wants credentials, rate limiting, a tiny WAF, /health, /metrics), so the
readiness suite has something real to probe. A `faults` set switches individual behaviours off,
which is how the suite's own tests get a "broken" production to fail against.

Routes:
    /                       an HTML page that sets the session cookie
    /health                 {"status": "ok", ...}
    /version                {"version": ..., "commit": ...}
    /metrics                Prometheus text format (its own registry)
    /api/books              list (?q= title/author search, ?genre=), /api/books/<id or isbn>
    /api/authors            list, /api/authors/<id>
    /api/search?q=          the search index
    /api/catalog.json       the catalog document as served
    /admin/...              401 without the admin bearer token
    /sandbox/<provider>/health   stand-ins for third-party providers (payments, email, push,
                            analytics, flags), clearly named as such in the demo environment
    /sandbox/flags/api/flags     the feature flags the flag-service stand-in knows
    /hooks/alertmanager     a pager stand-in: Alertmanager's webhook receiver (POST), GET lists
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote_plus

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

APP_VERSION = "1.4.0"
APP_COMMIT = "3f9c2e1"
SERVER_NAME = "catalog"

# Every fault the demo can be started with (see DemoEnvironment / PYTEST_LAUNCH_DEMO_FAULTS).
APP_FAULTS = frozenset({
    "no_hsts",            # no Strict-Transport-Security header
    "short_hsts",         # HSTS max-age of one day
    "no_security_headers",  # no CSP / X-Content-Type-Options / X-Frame-Options / Referrer-Policy
    "server_version_leak",  # Server: catalog/1.4.0 Python/3.11
    "insecure_cookie",    # session cookie without Secure/HttpOnly/SameSite
    "no_rate_limit",      # never answers 429
    "admin_open",         # /admin answers 200 without credentials
    "no_waf",             # attack signatures pass through
    "health_down",        # /health answers 503
    "health_slow_drip",   # /health sends its body one byte every 0.2 s (a minute in all)
    "corrupt_catalog",    # the served catalog has a duplicate ISBN and a dangling author id
    "provider_down",      # the payment provider stand-in answers 503
    "flags_down",         # the feature-flag service stand-in answers 503
    "analytics_down",     # the analytics stand-in answers 503
    "push_down",          # the push notification provider stand-in answers 503
    "search_index_missing",  # /api/search finds nothing
    "api_errors",         # every /api/ request answers 500 (a bad release: the error rate soars)
    "maintenance_page",   # / answers 200 with the maintenance page ("Down for maintenance")
})
# set on one instance by the demo environment (fault backend_reports_down), not a fault of its own:
# /health answers 200 with Spring Boot's {"status": "DOWN"}
HEALTH_REPORTS_DOWN = "health_reports_down"

_WAF_SIGNATURES = ("<script", "' or '1'='1", "' or 1=1", "union select", "../", "%3cscript")

_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
}

# provider stand-in (/sandbox/<provider>/health) -> the fault that makes it answer 503
PROVIDER_DOWN_FAULTS = {"payments": "provider_down", "flags": "flags_down", "analytics": "analytics_down",
                        "push": "push_down"}
DEMO_FLAGS = {"new-checkout": True, "recommendations": False, "catalog-search-v2": True}


class FixedWindowLimiter:
    """At most `limit` requests per `window_s` per key (client address and path with query)."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}

    def allow(self, key: tuple[str, str]) -> bool:
        now = time.monotonic()
        with self._lock:
            start, count = self._windows.get(key, (now, 0))
            if now - start >= self.window_s:
                start, count = now, 0
            count += 1
            self._windows[key] = (start, count)
            return count <= self.limit


class CatalogApp:
    """The WSGI application. `https` says whether it is served over TLS (HSTS only then)."""

    def __init__(self, catalog: dict[str, Any], *, admin_token: str, https: bool = True,
                 faults: Iterable[str] = (), rate_limit: int = 20, rate_window_s: float = 1.0,
                 instance: str = "app-a", version: str = APP_VERSION) -> None:
        self.catalog = catalog
        self.admin_token = admin_token
        self.https = https
        self.faults = frozenset(faults)
        self.instance = instance
        self.version = version
        self.limiter = FixedWindowLimiter(rate_limit, rate_window_s)
        self.alerts_received: list[dict[str, Any]] = []
        self._alerts_lock = threading.Lock()
        self.registry = CollectorRegistry()
        self.requests_total = Counter("http_requests_total", "HTTP requests served",
                                      ["handler", "method", "code"], registry=self.registry)
        self.request_seconds = Histogram("http_request_duration_seconds", "Request latency",
                                         ["handler"], registry=self.registry,
                                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
        self.books_gauge = Gauge("catalog_books", "Books in the catalog", registry=self.registry)
        self.books_gauge.set(len(catalog.get("books", [])))
        self.build_info = Gauge("catalog_build_info", "Build information", ["version", "commit"],
                                registry=self.registry)
        self.build_info.labels(APP_VERSION, APP_COMMIT).set(1)
        self.url_map = Map([
            Rule("/", endpoint="home"),
            Rule("/health", endpoint="health"),
            Rule("/version", endpoint="version"),
            Rule("/metrics", endpoint="metrics"),
            Rule("/api/books", endpoint="books"),
            Rule("/api/books/<key>", endpoint="book"),
            Rule("/api/authors", endpoint="authors"),
            Rule("/api/authors/<key>", endpoint="author"),
            Rule("/api/search", endpoint="search"),
            Rule("/api/catalog.json", endpoint="catalog"),
            Rule("/admin", endpoint="admin"),
            Rule("/admin/<path:rest>", endpoint="admin"),
            Rule("/sandbox/flags/api/flags", endpoint="flags"),
            Rule("/sandbox/<provider>/health", endpoint="provider_health"),
            Rule("/hooks/alertmanager", endpoint="alert_hook", methods=["GET", "POST"]),
        ])
        self._served_catalog = self._build_served_catalog()

    # ---------------------------------------------------------------- plumbing
    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        started = time.perf_counter()
        handler = "unknown"
        try:
            adapter = self.url_map.bind_to_environ(environ)
            try:
                endpoint, args = adapter.match()
                handler = endpoint
                response = self._guarded(request, endpoint, dict(args))
            except HTTPException as exc:
                response = self._json({"error": exc.name}, exc.code or 500)
        except Exception:  # a demo must never leak a traceback
            response = self._json({"error": "internal error"}, 500)
        self._decorate(response)
        self.requests_total.labels(handler, request.method, str(response.status_code)).inc()
        self.request_seconds.labels(handler).observe(time.perf_counter() - started)
        return response(environ, start_response)

    def _guarded(self, request: Request, endpoint: str, args: dict[str, Any]) -> Response:
        if "no_waf" not in self.faults and self._looks_like_attack(request):
            return self._json({"error": "request blocked by WAF"}, 403)
        if request.path.startswith("/api/") and "api_errors" in self.faults:
            return self._json({"error": "internal error"}, 500)
        if request.path.startswith("/api/") and "no_rate_limit" not in self.faults:
            client = request.remote_addr or "?"
            if not self.limiter.allow((client, request.full_path)):
                response = self._json({"error": "too many requests"}, 429)
                response.headers["Retry-After"] = "1"
                return response
        answer: Response = getattr(self, f"on_{endpoint}")(request, **args)
        return answer

    @staticmethod
    def _looks_like_attack(request: Request) -> bool:
        raw = (request.full_path or "").lower()
        decoded = unquote_plus(raw)
        return any(sig in raw or sig in decoded for sig in _WAF_SIGNATURES)

    def _decorate(self, response: Response) -> None:
        if self.https and "no_hsts" not in self.faults:
            max_age = 86400 if "short_hsts" in self.faults else 31536000
            response.headers["Strict-Transport-Security"] = f"max-age={max_age}; includeSubDomains"
        if "no_security_headers" not in self.faults:
            for name, value in _SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
        response.headers["X-Served-By"] = self.instance

    @staticmethod
    def _json(data: Any, status: int = 200, cache: str = "no-store") -> Response:
        response = Response(json.dumps(data, ensure_ascii=False), status=status,
                            mimetype="application/json")
        response.headers["Cache-Control"] = cache
        return response

    def _build_served_catalog(self) -> dict[str, Any]:
        served: dict[str, Any] = json.loads(json.dumps(self.catalog))
        if "corrupt_catalog" in self.faults and served.get("books"):
            first = served["books"][0]
            served["books"].append(dict(first, id="b-999", title=first["title"] + " (copy)"))
            served["books"][1]["author_ids"] = ["a-404"]
        return served

    # ---------------------------------------------------------------- pages
    def on_home(self, request: Request) -> Response:
        if "maintenance_page" in self.faults:  # what a site in maintenance often answers: a 200
            page = ("<!doctype html><html lang=en><head><meta charset=utf-8><title>Down for maintenance"
                    "</title></head><body><h1>We'll be right back</h1><p>The catalog is being upgraded."
                    "</p></body></html>")
            return Response(page, mimetype="text/html", headers={"Cache-Control": "no-store"})
        html = ("<!doctype html><html lang=en><head><meta charset=utf-8><title>Book catalog</title>"
                "</head><body><h1>Book catalog</h1><p>{n} books.</p></body></html>")
        response = Response(html.format(n=len(self.catalog.get("books", []))), mimetype="text/html")
        session = secrets.token_urlsafe(16)
        if "insecure_cookie" in self.faults:
            response.set_cookie("session", session, path="/")
        else:
            response.set_cookie("session", session, path="/", secure=True, httponly=True, samesite="Strict")
        response.headers["Cache-Control"] = "no-store"
        return response

    def on_health(self, request: Request) -> Response:
        if "health_slow_drip" in self.faults:
            return _slow_drip(json.dumps({"status": "ok", "instance": self.instance}).encode().rjust(300))
        if "health_down" in self.faults:
            return self._json({"status": "down", "checks": {"catalog": "unavailable"}}, 503)
        if HEALTH_REPORTS_DOWN in self.faults:
            return self._json({"status": "DOWN", "components": {"db": {"status": "DOWN"}}})
        return self._json({"status": "ok", "instance": self.instance,
                           "checks": {"catalog": "ok", "books": len(self.catalog.get("books", []))}})

    def on_version(self, request: Request) -> Response:
        return self._json({"version": self.version, "commit": APP_COMMIT})

    def on_metrics(self, request: Request) -> Response:
        return Response(generate_latest(self.registry), mimetype=CONTENT_TYPE_LATEST.split(";")[0],
                        headers={"Cache-Control": "no-store"})

    # ---------------------------------------------------------------- the catalog API
    def _authors_by_id(self) -> dict[str, dict[str, Any]]:
        return {a["id"]: a for a in self._served_catalog.get("authors", [])}

    def _with_authors(self, book: dict[str, Any]) -> dict[str, Any]:
        authors = self._authors_by_id()
        return dict(book, authors=[authors[a]["name"] for a in book.get("author_ids", []) if a in authors])

    def on_books(self, request: Request) -> Response:
        books = self._served_catalog.get("books", [])
        genre = request.args.get("genre")
        if genre:
            books = [b for b in books if genre in b.get("genres", [])]
        query = (request.args.get("q") or "").strip().lower()
        if query:
            books = self._search(query)
        return self._json({"count": len(books), "books": [self._with_authors(b) for b in books]},
                          cache="public, max-age=60")

    def on_book(self, request: Request, key: str) -> Response:
        for book in self._served_catalog.get("books", []):
            if key in (book.get("id"), book.get("isbn")):
                return self._json(self._with_authors(book), cache="public, max-age=300")
        raise NotFound()

    def on_authors(self, request: Request) -> Response:
        authors = self._served_catalog.get("authors", [])
        return self._json({"count": len(authors), "authors": authors}, cache="public, max-age=300")

    def on_author(self, request: Request, key: str) -> Response:
        author = self._authors_by_id().get(key)
        if author is None:
            raise NotFound()
        books = [b["id"] for b in self._served_catalog.get("books", []) if key in b.get("author_ids", [])]
        return self._json(dict(author, books=books), cache="public, max-age=300")

    def _search(self, query: str) -> list[dict[str, Any]]:
        if "search_index_missing" in self.faults:
            return []
        authors = self._authors_by_id()
        hits = []
        for book in self._served_catalog.get("books", []):
            names = " ".join(authors.get(a, {}).get("name", "") for a in book.get("author_ids", []))
            if query in book.get("title", "").lower() or query in names.lower() or query == book.get("isbn"):
                hits.append(book)
        return hits

    def on_search(self, request: Request) -> Response:
        query = (request.args.get("q") or "").strip().lower()
        if not query:
            return self._json({"error": "q is required"}, 400)
        hits = self._search(query)
        return self._json({"query": query, "count": len(hits),
                           "results": [{"id": b["id"], "isbn": b["isbn"], "title": b["title"]} for b in hits]})

    def on_catalog(self, request: Request) -> Response:
        return self._json(self._served_catalog)

    # ---------------------------------------------------------------- admin
    def on_admin(self, request: Request, rest: str = "") -> Response:
        if "admin_open" in self.faults:
            return self._json({"admin": True, "users": 3})
        auth = request.headers.get("Authorization", "")
        expected = f"Bearer {self.admin_token}"
        if not hmac.compare_digest(auth.encode(), expected.encode()):
            response = self._json({"error": "authentication required"}, 401)
            response.headers["WWW-Authenticate"] = 'Bearer realm="catalog-admin"'
            return response
        return self._json({"admin": True, "users": 3})

    # ---------------------------------------------------------------- provider stand-ins
    def on_provider_health(self, request: Request, provider: str) -> Response:
        known = {"payments", "email", "push", "analytics", "flags", "errors"}
        if provider not in known:
            raise NotFound()
        if PROVIDER_DOWN_FAULTS.get(provider) in self.faults:
            return self._json({"status": "unavailable"}, 503)
        return self._json({"status": "ok", "provider": provider, "sandbox": True})

    def on_flags(self, request: Request) -> Response:
        return self._json({"flags": [{"key": k, "enabled": v} for k, v in DEMO_FLAGS.items()]})

    def on_alert_hook(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                payload = json.loads(request.get_data(as_text=True) or "{}")
            except ValueError:
                return self._json({"error": "not JSON"}, 400)
            with self._alerts_lock:
                self.alerts_received.append(payload)
            return self._json({"received": True})
        with self._alerts_lock:
            return self._json({"notifications": list(self.alerts_received)})


def _slow_drip(body: bytes, interval_s: float = 0.2) -> Response:
    """`body`, one byte every `interval_s`: every read gets a byte well within any read timeout,
    so only an overall deadline ends the request (the client hanging up ends the drip)."""
    def drip() -> Any:
        for index in range(len(body)):
            yield body[index:index + 1]
            time.sleep(interval_s)

    return Response(drip(), mimetype="application/json", headers={"Content-Length": str(len(body)),
                                                                  "Cache-Control": "no-store"})
