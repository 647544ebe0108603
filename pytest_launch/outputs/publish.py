"""Publish a report folder to S3 (or any S3-compatible store) through boto3, with the right
content types, so the page opens in a browser straight from the bucket."""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path
from urllib.parse import quote, urlparse

from pytest_launch.core.errors import ConfigError
from pytest_launch.outputs.jsonfile import read_document

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".json": "application/json",
    ".jsonl": "application/x-ndjson",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
SKIPPED_SUFFIXES = (".lock", ".tmp")
CONNECT_TIMEOUT_S = 5
READ_TIMEOUT_S = 30


def content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _encoding = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def parse_s3_url(url: str) -> tuple[str, str]:
    """(bucket, prefix) of s3://bucket/prefix."""
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ConfigError("launch publish", "target", "s3://bucket/prefix", repr(url))
    return parsed.netloc, parsed.path.strip("/")


def files_to_publish(folder: Path) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(str(folder), None, "a report folder", "no such folder")
    files = sorted(p for p in folder.rglob("*") if p.is_file()
                   and not p.name.startswith(".") and not p.name.endswith(SKIPPED_SUFFIXES))
    if not files:
        raise ConfigError(str(folder), None, "a report folder with files", "an empty folder")
    return files


def publish(folder: Path, target: str, endpoint_url: str | None = None) -> list[str]:
    """Upload every file of `folder` under s3://bucket/prefix; returns the keys written.
    Raises ConfigError, naming the bucket, when it cannot be reached or written."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, prefix = parse_s3_url(target)
    files = files_to_publish(folder)
    endpoint_url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
    client = boto3.client("s3", endpoint_url=endpoint_url, config=Config(
        connect_timeout=CONNECT_TIMEOUT_S, read_timeout=READ_TIMEOUT_S,
        retries={"max_attempts": 2, "mode": "standard"}))
    where = f"s3://{bucket}" + (f" at {endpoint_url}" if endpoint_url else "")
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        found = {"404": "no such bucket", "NoSuchBucket": "no such bucket",
                 "403": "access denied"}.get(str(code), f"error {code}")
        raise ConfigError(where, None, "a bucket this account can write", found) from None
    except BotoCoreError as exc:
        raise ConfigError(where, None, "a reachable S3 endpoint", type(exc).__name__ + ": "
                          + str(exc).split("\n")[0][:160]) from None
    keys = []
    root = Path(folder)
    for path in files:
        key = "/".join(p for p in (prefix, path.relative_to(root).as_posix()) if p)
        try:
            client.upload_file(str(path), bucket, key,
                               ExtraArgs={"ContentType": content_type(path)})
        except (ClientError, BotoCoreError) as exc:
            raise ConfigError(f"{where}/{key}", None, "a successful upload",
                              str(exc).split("\n")[0][:160]) from None
        keys.append(key)
    return keys


def page_addresses(folder: Path, base: str | None) -> list[tuple[str, bool]]:
    """The address of every go-no-go.html in `folder` once published: under `base` (the address
    the upload target is served at) when given, else the `report_url` its go-no-go.json recorded
    (True: recorded). A page with neither is left out."""
    addresses: list[tuple[str, bool]] = []
    root = Path(folder)
    for page in sorted(root.rglob("go-no-go.html")):
        relative = page.relative_to(root).as_posix()
        if base:
            addresses.append((base.rstrip("/") + "/" + quote(relative), False))
            continue
        results = page.with_name("go-no-go.json")
        try:
            recorded = read_document(results).get("report_url") if results.exists() else None
        except ConfigError:
            recorded = None
        if isinstance(recorded, str) and recorded:
            addresses.append((recorded, True))
    return addresses
