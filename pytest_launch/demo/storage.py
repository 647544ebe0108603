"""The demo's AWS side, in moto's server mode: the backup bucket with real catalog backups, and
the service's secrets in Secrets Manager.

Backups are the catalog JSON. The two older ones are plain JSON under
backups/catalog-<UTC timestamp>.json with their sha256 (hex) in the object metadata
(x-amz-meta-sha256), the way older backup scripts wrote them; the newest is written the modern
way: gzip-compressed (.json.gz) with only S3's own SHA-256 checksum (ChecksumAlgorithm="SHA256",
no metadata key). The bucket is versioned, default-encrypted, blocks public access, and has a
lifecycle (retention) rule.

Faults of the newest backup: bad_backup_checksum (a metadata sha256 that does not match),
backup_truncated_gzip (the upload was cut off: a truncated gzip whose S3 checksum matches the
truncated bytes), backup_schema_violation (/books/17/isbn is a number).
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import logging
from collections.abc import Iterable
from typing import Any

BACKUP_BUCKET = "demo-catalog-backups"
BACKUP_PREFIX = "backups/"
DEMO_REGION = "eu-west-1"
ROTATED_SECRET = "demo/catalog/db-password"
STALE_SECRET = "demo/catalog/search-api-key"  # never rotated: the demo's waived risk (SEC-06)

STORAGE_FAULTS = frozenset({"bad_backup_checksum", "no_versioning", "no_lifecycle", "public_bucket",
                            "no_encryption", "no_backups", "backup_truncated_gzip", "backup_schema_violation"})


def start_moto() -> Any:
    """A ThreadedMotoServer on a free port of 127.0.0.1, request logging off, state reset.

    One demo per process at a time: moto's state is process-global."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    # moto keeps its state in module globals, shared by every server of this process: start empty
    import requests

    host, port = server.get_host_and_port()
    requests.post(f"http://{host}:{port}/moto-api/reset", timeout=10).raise_for_status()
    return server


def client(service: str, endpoint_url: str, access_key: str, secret_key: str) -> Any:
    import boto3
    from botocore.config import Config

    # the service is named at run time: boto3-stubs types only literal service names
    return boto3.client(service, endpoint_url=endpoint_url, region_name=DEMO_REGION,  # type: ignore[call-overload]
                        aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                        config=Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2}))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def backup_key(when: dt.datetime, suffix: str = ".json") -> str:
    return f"{BACKUP_PREFIX}catalog-{when.strftime('%Y%m%dT%H%M%SZ')}{suffix}"


def newest_backup_body(catalog_bytes: bytes, faults: frozenset[str]) -> bytes:
    """The newest backup's bytes: the catalog gzipped, or broken as a fault says."""
    if "backup_schema_violation" in faults:
        document = json.loads(catalog_bytes)
        document["books"][17]["isbn"] = int(document["books"][17]["isbn"])
        catalog_bytes = json.dumps(document, indent=1).encode()
    body = gzip.compress(catalog_bytes, mtime=0)
    if "backup_truncated_gzip" in faults:
        body = body[: len(body) * 2 // 3]
    return body


def seed_backups(s3: Any, catalog_bytes: bytes, faults: Iterable[str] = (),
                 now: dt.datetime | None = None) -> list[str]:
    """Create and configure the backup bucket and upload the backups; returns their keys."""
    faults = frozenset(faults)
    now = now or dt.datetime.now(dt.timezone.utc)
    s3.create_bucket(Bucket=BACKUP_BUCKET, CreateBucketConfiguration={"LocationConstraint": DEMO_REGION})
    if "no_versioning" not in faults:
        s3.put_bucket_versioning(Bucket=BACKUP_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    if "public_bucket" not in faults:
        s3.put_public_access_block(Bucket=BACKUP_BUCKET, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True,
            "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    if "no_encryption" not in faults:
        s3.put_bucket_encryption(Bucket=BACKUP_BUCKET, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    if "no_lifecycle" not in faults:
        s3.put_bucket_lifecycle_configuration(Bucket=BACKUP_BUCKET, LifecycleConfiguration={"Rules": [{
            "ID": "catalog-backup-retention", "Status": "Enabled", "Filter": {"Prefix": BACKUP_PREFIX},
            "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}],
            "Expiration": {"Days": 90}, "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]})
    if "no_backups" in faults:
        return []
    keys = []
    # older backups first, the newest last (moto stamps LastModified with upload time)
    for hours_ago in (48, 24):
        key = backup_key(now - dt.timedelta(hours=hours_ago))
        s3.put_object(Bucket=BACKUP_BUCKET, Key=key, Body=catalog_bytes, ContentType="application/json",
                      Metadata={"sha256": sha256_hex(catalog_bytes), "source": "catalog.json"})
        keys.append(key)
    key = backup_key(now, ".json.gz")
    body = newest_backup_body(catalog_bytes, faults)
    metadata = {"source": "catalog.json"}
    if "bad_backup_checksum" in faults:
        metadata["sha256"] = sha256_hex(body + b"tampered")
    s3.put_object(Bucket=BACKUP_BUCKET, Key=key, Body=body, ContentType="application/gzip",
                  Metadata=metadata, ChecksumAlgorithm="SHA256")
    keys.append(key)
    return keys


def seed_secrets(secretsmanager: Any) -> None:
    """One secret rotated (today), one never rotated."""
    secretsmanager.create_secret(Name=ROTATED_SECRET, SecretString="initial-demo-value",
                                 Description="catalog database password")
    secretsmanager.rotate_secret(SecretId=ROTATED_SECRET, RotationRules={"AutomaticallyAfterDays": 30})
    secretsmanager.create_secret(Name=STALE_SECRET, SecretString="initial-demo-value",
                                 Description="search provider API key (rotation not yet automated)")
