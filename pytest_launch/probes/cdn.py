"""What a CDN's answer says about its cache: whether a cache-status header reports a hit, and
whether Cache-Control lets a shared cache store the answer at all (INF-03 in the readiness suite).

Plain functions on header values; the request itself is the HTTP probe's.
"""

from __future__ import annotations

import re

_HIT = re.compile(r"(?<![a-z])(hit|stale|revalidated|updating)(?![a-z])")
_NOT_CACHEABLE = ("no-store", "private")


def cache_status_is_hit(header: str, value: str | None) -> bool:
    """Whether a CDN cache-status header value says the answer came from the cache:
    HIT / TCP_HIT / "Hit from cloudfront" / STALE / REVALIDATED / UPDATING / RFC 9211
    `name; hit`, or "true" for X-Served-From-Cache. MISS, BYPASS, EXPIRED, DYNAMIC are not."""
    if not value:
        return False
    text = value.strip().lower()
    if header.lower() == "x-served-from-cache":
        return text in ("true", "yes", "1")
    if ";" in text:  # RFC 9211 Cache-Status: each cache's entry is `name; param; param`
        return any(p.strip() == "hit" for entry in text.split(",") for p in entry.split(";")[1:])
    return bool(_HIT.search(text))


def cache_control_problem(value: str | None) -> str | None:
    """Why a Cache-Control value keeps a shared cache (a CDN) from storing the answer, or None."""
    if value is None:
        return "no Cache-Control header"
    directives = {d.strip().split("=")[0].lower(): d.strip() for d in value.split(",") if d.strip()}
    forbidding = [d for d in _NOT_CACHEABLE if d in directives]
    if forbidding:
        return f"Cache-Control {value!r} forbids a shared cache to store it ({', '.join(forbidding)})"
    return None
