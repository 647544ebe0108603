"""Data checks (checklist: Pre-Launch Validation / Data; tasks 6.2.3 and 6.2.6; rollback trigger
"data corruption"; T+1 backup verification).

The book-catalog service keeps its data as JSON: the data must validate against its JSON Schema
and the referential rules (launch_suite.catalog); backups are copies of that JSON in S3, plain
or compressed (pytest_launch.probes.restore reads them).
The restore drill writes only under [restore] scratch_prefix and never touches the backups or
the live data; it is marked destructive (it writes).
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest
from launch_suite.catalog import catalog_problems
from launch_suite.checks import load_catalog, load_schema, table

from pytest_launch.probes.errors import ProbeError
from pytest_launch.probes.restore import (
    RestoreError,
    count_differences,
    decompress,
    parse_json,
    record_counts,
    schema_violations,
)


def _integrity(launch_env: Any, launch_http: Any, launch_evidence: Any) -> None:
    schema = load_schema(launch_env)
    document, where = load_catalog(launch_env, launch_http)
    problems = catalog_problems(document, schema)
    books = document.get("books", []) if isinstance(document, dict) else []
    authors = document.get("authors", []) if isinstance(document, dict) else []
    launch_evidence.record(source=where, books=len(books), authors=len(authors), problems=problems)
    assert books, f"{where}: the catalog holds no books"
    assert not problems, f"{where}: {len(problems)} integrity problem(s):\n" + "\n".join(problems)


# ------------------------------------------------------------------------------------ DAT-02
@pytest.mark.env_tables("catalog")
@pytest.mark.checklist("DAT-02")
def test_catalog_integrity(launch_env: Any, launch_http: Any, launch_evidence: Any) -> None:
    """Schema, author ids, ISBN check digits, no duplicate ids or ISBNs."""
    _integrity(launch_env, launch_http, launch_evidence)


@pytest.mark.rollback_trigger
@pytest.mark.env_tables("catalog")
@pytest.mark.checklist("RB-03")
def test_no_data_corruption(launch_env: Any, launch_http: Any, launch_evidence: Any) -> None:
    """Rollback trigger: the catalog as served now still passes every integrity rule."""
    _integrity(launch_env, launch_http, launch_evidence)


# ------------------------------------------------------------------------------------ DAT-06
@pytest.mark.env_tables("catalog")
@pytest.mark.checklist("DAT-06")
def test_search_index_built(launch_env: Any, launch_http: Any, launch_evidence: Any) -> None:
    catalog = table(launch_env, "catalog")
    if not catalog.search_probes:
        pytest.skip(f"not configured: [catalog] search_probes is empty in {launch_env.where}")
    problems, hits = [], {}
    for probe in catalog.search_probes:
        result = launch_http.get(catalog.search_path, params={"q": probe.query})
        hits[probe.query] = result.status
        if result.status != 200:
            problems.append(f"search {probe.query!r}: {result.url} answered {result.status}")
        elif probe.expect not in result.text:
            problems.append(f"search {probe.query!r}: {probe.expect!r} not among the results")
    launch_evidence.record(search_status=hits, probes=len(catalog.search_probes))
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------ DAT-08, OPS-04
def _backup_fresh_and_intact(launch_s3: Any, launch_evidence: Any) -> None:
    if launch_s3.backups is None:
        pytest.skip("not configured: no [backups] table")
    problems = launch_s3.backup_problems()
    newest = launch_s3.newest_object()
    checksum = launch_s3.checksum_problem(newest.bucket, newest.key, required=True)
    if checksum and checksum not in problems:
        problems.append(checksum)
    launch_evidence.record(newest_backup=newest.url, age_hours=round(newest.age_hours, 2),
                           rpo_hours=launch_s3.backups.max_age_hours, size=newest.size)
    assert not problems, "\n".join(problems)


@pytest.mark.env_tables("backups")
@pytest.mark.checklist("DAT-08")
def test_backup_fresh_and_checksum_verified(launch_s3: Any, launch_evidence: Any) -> None:
    _backup_fresh_and_intact(launch_s3, launch_evidence)


@pytest.mark.env_tables("backups")
@pytest.mark.checklist("OPS-04")
def test_post_launch_backup_verification(launch_s3: Any, launch_evidence: Any) -> None:
    _backup_fresh_and_intact(launch_s3, launch_evidence)


# ------------------------------------------------------------------------------------ DAT-09
@pytest.mark.env_tables("backups")
@pytest.mark.checklist("DAT-09")
def test_backup_retention_policy(launch_s3: Any, launch_evidence: Any) -> None:
    if launch_s3.backups is None:
        pytest.skip("not configured: no [backups] table")
    bucket = launch_s3.backups.bucket
    versioning = launch_s3.versioning_enabled(bucket)
    rules = launch_s3.lifecycle_rules(bucket)
    launch_evidence.record(bucket=bucket, versioning=versioning,
                           lifecycle_rules=[r.get("ID") or "(unnamed)" for r in rules])
    problems = []
    if not versioning:
        problems.append(f"s3://{bucket}: versioning is not enabled (an overwrite or delete loses the backup)")
    if not rules:
        problems.append(f"s3://{bucket}: no enabled lifecycle rule (no retention policy)")
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------------ DAT-03
@pytest.mark.destructive
@pytest.mark.env_tables("backups", "restore", optional=("catalog", "http"))
@pytest.mark.checklist("DAT-03")
def test_backup_restore_round_trip(launch_env: Any, launch_s3: Any, launch_probes: Any, launch_evidence: Any) -> None:
    """DESTRUCTIVE (writes a scratch copy): restore the newest backup into the scratch location and
    read it back (the same bytes); hold it against every recorded checksum (the rule of DAT-08:
    metadata key or S3's own SHA-256); decompress it (gzip, bzip2, xz, detected by content);
    parse the JSON; validate it against the [catalog] schema and compare its record counts with
    the live catalog (when [catalog] is configured). The backup itself is left untouched."""
    if launch_s3.backups is None:
        pytest.skip("not configured: no [backups] table")
    restore = table(launch_env, "restore")
    backups = launch_s3.backups
    scratch_bucket = restore.scratch_bucket or backups.bucket
    scratch_prefix = restore.scratch_prefix.rstrip("/") + "/"
    if scratch_bucket == backups.bucket and (scratch_prefix.startswith(backups.prefix) and backups.prefix
                                             or backups.prefix.startswith(scratch_prefix)):
        raise AssertionError(f"[restore] scratch_prefix {scratch_prefix!r} overlaps the backups prefix "
                             f"{backups.prefix!r}: the drill must never write where backups live")
    s3 = launch_s3.s3
    newest = launch_s3.newest_object()
    source = s3.head_object(Bucket=newest.bucket, Key=newest.key)
    original = launch_s3.read_object(newest.bucket, newest.key)
    scratch_key = f"{scratch_prefix}{uuid.uuid4().hex}/{newest.key.rsplit('/', 1)[-1]}"
    target = f"s3://{scratch_bucket}/{scratch_key}"
    try:
        s3.put_object(Bucket=scratch_bucket, Key=scratch_key, Body=original,
                      ContentType=source.get("ContentType") or "application/octet-stream")
        restored = launch_s3.read_object(scratch_bucket, scratch_key)
    except Exception as error:
        raise ProbeError(target, f"restore into the scratch location failed: {type(error).__name__}") from None
    finally:
        _remove_all_versions(s3, scratch_bucket, scratch_key)
    digest = hashlib.sha256(original).hexdigest()
    launch_evidence.record(backup=newest.url, restored_to=target, bytes=len(restored), sha256=digest,
                           recorded_sha256=launch_s3.recorded_checksums(newest.bucket, newest.key),
                           identical=restored == original)
    problems = []
    if restored != original:
        problems.append(f"{target}: the restored bytes differ from the backup")
    checksum = launch_s3.checksum_problem(newest.bucket, newest.key, required=True, content_sha256=digest)
    if checksum:
        problems.append(checksum)
    problems += _restored_content_problems(launch_env, launch_probes, launch_evidence, newest.url, restored,
                                           restore.count_tolerance_percent)
    after = s3.head_object(Bucket=newest.bucket, Key=newest.key)
    if (after.get("ETag"), after.get("LastModified")) != (source.get("ETag"), source.get("LastModified")):
        problems.append(f"{newest.url}: the backup changed during the drill")
    assert not problems, "\n".join(problems)


def _restored_content_problems(launch_env: Any, launch_probes: Any, launch_evidence: Any, url: str,
                               restored: bytes, tolerance_percent: float) -> list[str]:
    """What is wrong with the restored data: not decompressible, not JSON, against the schema, or
    too far from the live catalog's record counts."""
    try:
        data, compression = decompress(restored)
        document = parse_json(data)
    except RestoreError as error:
        launch_evidence.record(restorable=False)
        return [f"{url}: unrestorable: {error}"]
    records = record_counts(document)
    launch_evidence.record(restorable=True, compression=compression or "none", restored_bytes=len(data),
                           records=records)
    if not any(records.values()):
        return [f"{url}: the restored data holds no records ({records or 'no list at all'}): nothing to restore"]
    catalog = launch_env.table("catalog")
    if catalog is None:
        launch_evidence.record(schema="not configured (no [catalog] table)",
                               live_counts="not configured (no [catalog] table)")
        return []
    problems = [f"{url}: {problem}" for problem in schema_violations(document, load_schema(launch_env))]
    http = launch_probes.http if launch_env.table("http") is not None else None
    live, where = load_catalog(launch_env, http)
    launch_evidence.record(schema=catalog.schema, schema_violations=len(problems), live_catalog=where,
                           live_records=record_counts(live), count_tolerance_percent=tolerance_percent)
    problems += [f"{url}: {problem}" for problem in count_differences(document, live, tolerance_percent)]
    return problems


def _remove_all_versions(s3: Any, bucket: str, key: str) -> None:
    try:
        versions = s3.list_object_versions(Bucket=bucket, Prefix=key)
        for entry in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
            if entry["Key"] == key:
                s3.delete_object(Bucket=bucket, Key=key, VersionId=entry["VersionId"])
    except Exception:
        pass  # best effort: the lifecycle rule expires what is left
