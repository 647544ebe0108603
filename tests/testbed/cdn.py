"""Test bed: a CDN stand-in made of nginx (Debian package nginx-light): caching edge servers
(`proxy_cache`) in front of an origin, all plain HTTP on 127.0.0.1, one nginx process.

    origin      /asset: Cache-Control "public, max-age=300"; /private: Cache-Control "no-store";
                /plain: no cache headers at all
    edge        proxy_cache in front of origin /asset; X-Cache-Status $upstream_cache_status
                (MISS on the first request of a URL, HIT after)
    bypass      the same edge with the cache bypassed (proxy_cache_bypass, proxy_no_cache):
                headers present, X-Cache-Status BYPASS, never a hit
    no_store    proxy_cache in front of origin /private: the origin forbids caching, always MISS
    plain       a proxy with no cache at all in front of origin /plain: no cache headers

Fixture `cdn_testbed` (session-scoped): `CdnTestbed.url(case, path)`. Each test should use its
own path (the edge caches per URL), e.g. `url("edge", "/asset?t=test_name")`.
"""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from testbed.nginx import nginx_conf
from testbed.support import free_port, port_open, require_binary, terminate, wait_until

CASES = ("origin", "edge", "bypass", "no_store", "plain")

_HTTP = """
    proxy_cache_path {dir}/cache keys_zone=edge:1m max_size=10m inactive=10m use_temp_path=off;

    server {{
        listen 127.0.0.1:{origin};
        location /asset {{ add_header Cache-Control "public, max-age=300"; return 200 "asset\\n"; }}
        location /private {{ add_header Cache-Control "no-store"; return 200 "private\\n"; }}
        location /plain {{ return 200 "plain\\n"; }}
    }}
    server {{
        listen 127.0.0.1:{edge};
        location / {{
            proxy_pass http://127.0.0.1:{origin}/asset;
            proxy_cache edge;
            proxy_cache_key $request_uri;
            proxy_cache_valid 200 1m;
            add_header X-Cache-Status $upstream_cache_status always;
        }}
    }}
    server {{
        listen 127.0.0.1:{bypass};
        location / {{
            proxy_pass http://127.0.0.1:{origin}/asset;
            proxy_cache edge;
            proxy_cache_key bypass$request_uri;
            proxy_cache_bypass 1;
            proxy_no_cache 1;
            add_header X-Cache-Status $upstream_cache_status always;
        }}
    }}
    server {{
        listen 127.0.0.1:{no_store};
        location / {{
            proxy_pass http://127.0.0.1:{origin}/private;
            proxy_cache edge;
            proxy_cache_key private$request_uri;
            add_header X-Cache-Status $upstream_cache_status always;
        }}
    }}
    server {{
        listen 127.0.0.1:{plain};
        location / {{ proxy_pass http://127.0.0.1:{origin}/plain; }}
    }}
"""


@dataclasses.dataclass
class CdnTestbed:
    ports: dict[str, int]
    directory: Path

    def url(self, case: str, path: str = "/asset") -> str:
        return f"http://127.0.0.1:{self.ports[case]}{path}"


@pytest.fixture(scope="session")
def cdn_testbed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CdnTestbed]:
    nginx = require_binary("nginx", "nginx-light")
    directory = tmp_path_factory.mktemp("cdn")
    for sub in ("tmp", "cache"):
        (directory / sub).mkdir()
    ports = {case: free_port() for case in CASES}
    conf = directory / "nginx.conf"
    conf.write_text(nginx_conf(directory, _HTTP.format(dir=directory, **ports)))
    stderr = directory / "stderr.log"
    with open(stderr, "wb") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen([nginx, "-p", str(directory), "-c", str(conf), "-g", "daemon off;"],
                                   stdout=subprocess.DEVNULL, stderr=log)
    try:
        def ready() -> bool:
            if process.poll() is not None:
                pytest.fail("nginx (CDN stand-in) exited: " + stderr.read_text(errors="replace")[-2000:])
            return all(port_open(port) for port in ports.values())

        wait_until(ready, timeout=15, what="nginx (CDN stand-in)", log=directory / "error.log")
        yield CdnTestbed(ports, directory)
    finally:
        terminate(process)
