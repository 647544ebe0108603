"""What the restore drill (DAT-03) does with a backup's bytes: decompress them (the compression is
detected by content, never by the file name), parse the JSON, validate it against the catalog's
JSON Schema, and compare its record counts with the live catalog. Plain Python, no pytest.

    data, compression = decompress(raw)           # RestoreError: "truncated gzip: ..."
    document = parse_json(data)                   # RestoreError: "not valid JSON: ..."
    schema_violations(document, schema)           # ["schema: /books/17/isbn: 42 is not of type 'string'"]
    count_differences(document, live, 5.0)        # ["counts: books: the backup holds 40, ..."]

Compressions: gzip, bzip2 and xz through the standard library. zstd is recognised by its magic
number but not decoded (no zstd decoder is a dependency): such a backup is reported as not
restorable here, never passed unread.
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import zlib
from typing import Any

import jsonschema

# magic numbers -> compression name
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)
_MAX_PROBLEMS = 20


class RestoreError(Exception):
    """The backup cannot be restored: the message says exactly why."""


def detect_compression(data: bytes) -> str | None:
    """The compression of `data` by its magic number (gzip, bzip2, xz, zstd), or None."""
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    return None


def decompress(data: bytes) -> tuple[bytes, str | None]:
    """`data` decompressed, and the compression found (None: stored as is)."""
    compression = detect_compression(data)
    if compression is None:
        return data, None
    if compression == "zstd":
        raise RestoreError("zstd-compressed: no zstd decoder is installed here, so the backup cannot be "
                           "restored and checked")
    try:
        if compression == "gzip":
            return gzip.decompress(data), compression
        if compression == "bzip2":
            return bz2.decompress(data), compression
        return lzma.decompress(data), compression
    except (EOFError, OSError, zlib.error, lzma.LZMAError, ValueError) as error:
        # gzip says EOFError; bz2 and lzma say so in the message of ValueError / LZMAError
        if isinstance(error, EOFError) or "ended before the end-of-stream marker" in str(error):
            raise RestoreError(f"truncated {compression}: unexpected end of stream after {len(data):,} bytes "
                               "(the upload was cut off?)") from None
        raise RestoreError(f"corrupt {compression}: {error} ({len(data):,} bytes)") from None


def parse_json(data: bytes) -> Any:
    """The JSON document in `data` (UTF-8)."""
    try:
        return json.loads(data)
    except UnicodeDecodeError as error:
        raise RestoreError(f"not valid JSON: not UTF-8 text ({error.reason} at byte {error.start:,})") from None
    except json.JSONDecodeError as error:
        raise RestoreError(f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}") from None


def json_pointer(path: Any) -> str:
    """A JSON Pointer (RFC 6901) for a jsonschema error path: /books/17/isbn."""
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in path]
    return "/" + "/".join(parts) if parts else "/"


def schema_violations(document: Any, schema: dict[str, Any]) -> list[str]:
    """Every JSON Schema violation as 'schema: <pointer>: <what>' (at most 20)."""
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    problems = []
    for error in sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path]):
        problems.append(f"schema: {json_pointer(error.absolute_path)}: {error.message}")
        if len(problems) >= _MAX_PROBLEMS:
            break
    return problems


def record_counts(document: Any) -> dict[str, int]:
    """How many records the document holds: per top-level list of an object, or '(root)'."""
    if isinstance(document, list):
        return {"(root)": len(document)}
    if isinstance(document, dict):
        return {key: len(value) for key, value in document.items() if isinstance(value, list)}
    return {}


def count_differences(backup: Any, live: Any, tolerance_percent: float) -> list[str]:
    """Where the backup's record counts differ from the live catalog's by more than
    `tolerance_percent` of the live count (a backup is older than the live data)."""
    mine, theirs = record_counts(backup), record_counts(live)
    problems = []
    for key, live_count in sorted(theirs.items()):
        if key not in mine:
            problems.append(f"counts: the backup has no {key!r} (the live catalog holds {live_count:,})")
            continue
        difference = abs(mine[key] - live_count)
        percent = 100.0 * difference / live_count if live_count else (0.0 if not difference else 100.0)
        if percent > tolerance_percent:
            problems.append(f"counts: {key}: the backup holds {mine[key]:,}, the live catalog {live_count:,} "
                            f"({percent:.1f} % apart; at most {tolerance_percent:g} % allowed)")
    return problems
