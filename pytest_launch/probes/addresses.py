"""Reading `host`, `host:port` and `[v6]:port` as the environment file writes them."""

from __future__ import annotations


def split_host_port(text: str, default_port: int) -> tuple[str, int]:
    """'host' -> (host, default_port); 'host:port' and '[2001:db8::1]:port' -> (host, port).
    ValueError for an empty host or a port outside 1-65535."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.lstrip(":") or str(default_port)
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    else:
        host, port = text, str(default_port)
    if not host:
        raise ValueError("no host")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"bad port {port!r}")
    return host, int(port)
