"""DAT-03 "Backup/restore tested" (readiness/test_data.py::test_backup_restore_round_trip), run
through pytest against S3 (moto's server on 127.0.0.1) holding one newest backup per case:

- a good gzipped backup with only S3's own SHA-256 checksum (pass: it used to fail with "no
  recorded checksum (sha256)" and then "not valid JSON");
- a good plain JSON backup with a metadata checksum (pass);
- a truncated gzip whose S3 checksum matches its truncated bytes (fail: unrestorable);
- a backup whose bytes do not match its recorded checksum (fail);
- a schema violation (fail), a backup far from the live catalog's counts (fail), one with no
  recorded checksum at all (fail), and gzip of something that is not JSON (fail).
"""

from __future__ import annotations

import bz2
import copy
import gzip
import hashlib
import json
import lzma
from pathlib import Path
from typing import Any

import pytest

from pytest_launch.demo.environment import CATALOG as DEMO_CATALOG
from pytest_launch.demo.environment import CATALOG_SCHEMA as DEMO_SCHEMA
from pytest_launch.probes.restore import RestoreError, decompress, json_pointer, parse_json

ROOT = Path(__file__).parent.parent
READINESS = ROOT / "readiness"
CHECK = "test_backup_restore_round_trip"
CATALOG = DEMO_CATALOG.read_bytes()


def _catalog_with(change: Any) -> bytes:
    document = json.loads(CATALOG)
    change(document)
    return json.dumps(document).encode()


def _truncated_gzip() -> bytes:
    whole = gzip.compress(CATALOG)
    return whole[: len(whole) * 2 // 3]


def _set_isbn_number(document: dict[str, Any]) -> None:
    document["books"][17]["isbn"] = 9780141439518


def _half_the_books(document: dict[str, Any]) -> None:
    document["books"] = document["books"][: len(document["books"]) // 2]


def _run_dat03(pytester: pytest.Pytester, moto_s3: Any, body: bytes, key: str, **put: Any) -> dict[str, Any]:
    bucket = moto_s3.new_bucket("restore")
    moto_s3.client().put_object(Bucket=bucket, Key=f"backups/{key}", Body=body, **put)
    env_file = pytester.path / "restore.toml"
    (pytester.path / "live-catalog.json").write_bytes(CATALOG)  # the live catalog: a file next to it
    env_file.write_text(
        '[environment]\nname = "restore-testbed"\nproduction = false\n\n'
        f'[aws]\nendpoint_url = {json.dumps(moto_s3.endpoint_url)}\nregion = "us-east-1"\nmax_attempts = 1\n\n'
        f'[backups]\nbucket = "{bucket}"\nprefix = "backups/"\n\n'
        '[restore]\nscratch_prefix = "restore-drill/"\n\n'
        f"[catalog]\nsource = \"live-catalog.json\"\nschema = {json.dumps(str(DEMO_SCHEMA))}\n")
    report = pytester.path / "go-no-go.json"
    result = pytester.runpytest_inprocess(
        str(READINESS / "test_data.py"), "-k", CHECK, f"--env={env_file}", "--rootdir", str(ROOT),
        "-c", str(ROOT / "pyproject.toml"), "-p", "no:cacheprovider", "-p", "no:randomly",
        "--launch-report-dir", str(pytester.path / "reports"), "--launch-json", str(report))
    assert report.exists(), result.stdout.str()[-3000:]
    (check,) = [c for c in json.loads(report.read_text())["checks"] if c["nodeid"].endswith(f"::{CHECK}")]
    # the drill leaves the backups alone and cleans its scratch copy up
    keys = [o["Key"] for o in moto_s3.client().list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == [f"backups/{key}"], keys
    return check


def test_gzipped_backup_with_only_an_s3_checksum_restores(pytester, moto_s3, aws_credentials) -> None:
    check = _run_dat03(pytester, moto_s3, gzip.compress(CATALOG), "catalog.json.gz", ChecksumAlgorithm="SHA256")
    assert check["outcome"] == "passed", check["message"]
    evidence = check["evidence"]
    assert evidence["compression"] == "gzip" and evidence["restored_bytes"] == len(CATALOG)
    assert list(evidence["recorded_sha256"]) == ["S3 ChecksumSHA256"]
    assert evidence["records"] == {"authors": 20, "books": 31} == evidence["live_records"]
    assert evidence["schema_violations"] == 0


def test_plain_json_backup_with_a_metadata_checksum_restores(pytester, moto_s3, aws_credentials) -> None:
    check = _run_dat03(pytester, moto_s3, CATALOG, "catalog.json",
                       Metadata={"sha256": hashlib.sha256(CATALOG).hexdigest()})
    assert check["outcome"] == "passed", check["message"]
    assert check["evidence"]["compression"] == "none"
    assert list(check["evidence"]["recorded_sha256"]) == ["metadata sha256"]


def test_truncated_gzip_is_unrestorable(pytester, moto_s3, aws_credentials) -> None:
    body = _truncated_gzip()
    check = _run_dat03(pytester, moto_s3, body, "catalog.json.gz", ChecksumAlgorithm="SHA256")
    assert check["outcome"] == "failed"
    assert f"unrestorable: truncated gzip: unexpected end of stream after {len(body):,} bytes" in check["message"]
    assert "sha256" not in check["message"]  # its own checksum matches the truncated bytes
    assert check["evidence"]["restorable"] is False


def test_bytes_not_matching_the_recorded_checksum_fail(pytester, moto_s3, aws_credentials) -> None:
    check = _run_dat03(pytester, moto_s3, CATALOG, "catalog.json",
                       Metadata={"sha256": hashlib.sha256(CATALOG + b"tampered").hexdigest()})
    assert check["outcome"] == "failed"
    assert f"content sha256 {hashlib.sha256(CATALOG).hexdigest()} does not match the recorded" in check["message"]
    assert "(metadata sha256)" in check["message"]


def test_no_recorded_checksum_fails(pytester, moto_s3, aws_credentials) -> None:
    check = _run_dat03(pytester, moto_s3, CATALOG, "catalog.json")
    assert check["outcome"] == "failed"
    assert "no recorded checksum to compare with (neither metadata sha256 nor S3's own SHA-256" in check["message"]


def test_schema_violation_fails_naming_the_json_pointer(pytester, moto_s3, aws_credentials) -> None:
    body = gzip.compress(_catalog_with(_set_isbn_number))
    check = _run_dat03(pytester, moto_s3, body, "catalog.json.gz", ChecksumAlgorithm="SHA256")
    assert check["outcome"] == "failed"
    assert "schema: /books/17/isbn: 9780141439518 is not of type 'string'" in check["message"]


def test_counts_far_from_the_live_catalog_fail(pytester, moto_s3, aws_credentials) -> None:
    body = gzip.compress(_catalog_with(_half_the_books))
    check = _run_dat03(pytester, moto_s3, body, "catalog.json.gz", ChecksumAlgorithm="SHA256")
    assert check["outcome"] == "failed"
    assert "counts: books: the backup holds 15, the live catalog 31 (51.6 % apart; at most 5 % allowed)" \
        in check["message"]


def test_gzip_of_something_that_is_not_json_fails(pytester, moto_s3, aws_credentials) -> None:
    body = gzip.compress(b"PGDMP\x00binary pg_dump custom format")
    check = _run_dat03(pytester, moto_s3, body, "catalog.json.gz", ChecksumAlgorithm="SHA256")
    assert check["outcome"] == "failed"
    assert "unrestorable: not valid JSON" in check["message"]


def test_a_backup_without_records_fails(pytester, moto_s3, aws_credentials) -> None:
    body = gzip.compress(b'{"books": [], "authors": []}')
    check = _run_dat03(pytester, moto_s3, body, "catalog.json.gz", ChecksumAlgorithm="SHA256")
    assert check["outcome"] == "failed"
    assert "the restored data holds no records ({'books': 0, 'authors': 0}): nothing to restore" in check["message"]


# ------------------------------------------------------------------ the content rules, directly
def test_compression_is_detected_by_content_not_by_name() -> None:
    assert decompress(gzip.compress(b"{}")) == (b"{}", "gzip")
    assert decompress(b"{}") == (b"{}", None)
    assert decompress(bz2.compress(CATALOG)) == (CATALOG, "bzip2")
    assert decompress(lzma.compress(CATALOG)) == (CATALOG, "xz")
    with pytest.raises(RestoreError, match=r"^zstd-compressed: no zstd decoder"):
        decompress(b"\x28\xb5\x2f\xfd" + b"\x00" * 20)
    with pytest.raises(RestoreError, match=r"^truncated bzip2: unexpected end of stream after 20 bytes"):
        decompress(bz2.compress(CATALOG)[:20])
    with pytest.raises(RestoreError, match=r"^truncated xz: unexpected end of stream"):
        decompress(lzma.compress(CATALOG)[:40])
    broken = bytearray(gzip.compress(CATALOG))
    broken[-8] ^= 0xFF  # the CRC
    with pytest.raises(RestoreError, match=r"^corrupt gzip: CRC check failed"):
        decompress(bytes(broken))
    with pytest.raises(RestoreError, match=r"^not valid JSON: not UTF-8 text"):
        parse_json(b'{"a": "\xff"}')
    assert json_pointer(["books", 17, "a/b~c"]) == "/books/17/a~1b~0c"
    assert json_pointer([]) == "/"
    assert copy.deepcopy(json.loads(CATALOG)) == parse_json(CATALOG)
