"""AWS / S3 probe: a boto3 session from the environment, and the S3 facts data checks need.

    [aws]
    profile = "prod-readonly"                # optional: a profile of ~/.aws/config
    region = "eu-west-1"
    endpoint_url = "https://s3.example.net"  # optional: an S3-compatible store

    [backups]
    bucket = "shop-backups"
    prefix = "postgres/"
    max_age_hours = 24

Credentials come only from boto3's standard chain (environment variables, shared credentials
file, SSO, instance or task role): the environment file has no key for them, and an unknown key
such as `aws_secret_access_key` is refused when the file is loaded.

Every call has connect and read timeouts and bounded retries (botocore); an object's body is read
in 1 MiB reads with `transfer_timeout` (an overall deadline for the whole body) checked between
them, so a store dripping the body ends in NoAnswer within transfer_timeout + one read_timeout.
Every failure raises ProbeError naming the bucket (and key). All helpers are read-only.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
import hashlib
import time
from collections.abc import Iterable, Iterator
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import urllib3.exceptions

from pytest_launch.core.settings import Table, http_url_problem
from pytest_launch.probes.base import Evidence, Probe
from pytest_launch.probes.deadline import MAX_RETRIES, first_problem, retries_problem, timeout_problem
from pytest_launch.probes.errors import NoAnswer, ProbeError

CHUNK_SIZE = 1024 * 1024
_NOT_CONFIGURED = {
    "NoSuchLifecycleConfiguration",
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchPublicAccessBlockConfiguration",
}


def is_no_answer(error: BaseException) -> bool:
    """Whether a botocore error means the endpoint gave no answer (cannot connect, timed out,
    closed the connection): no evidence, so the check errors, unlike an API error answer."""
    return isinstance(error, (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError,
                              botocore.exceptions.ReadTimeoutError, botocore.exceptions.ConnectionClosedError))


@dataclasses.dataclass
class AwsSettings(Table):
    """[aws]: where and as whom to talk to AWS (or an S3-compatible store). No credentials here."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    max_attempts: int = 3
    transfer_timeout: float = 300.0  # seconds the whole body of one object may take to arrive

    def validate(self) -> tuple[str, str] | None:
        return first_problem(http_url_problem("endpoint_url", self.endpoint_url),
                             timeout_problem("connect_timeout", self.connect_timeout),
                             timeout_problem("read_timeout", self.read_timeout),
                             timeout_problem("transfer_timeout", self.transfer_timeout),
                             retries_problem("max_attempts", self.max_attempts, 1, MAX_RETRIES + 1))


@dataclasses.dataclass
class BackupSettings(Table):
    """[backups]: where backups land and how fresh the newest must be."""

    bucket: str
    prefix: str = ""
    max_age_hours: float = 24.0
    min_size_bytes: int = 1
    checksum_metadata_key: str = "sha256"

    def validate(self) -> tuple[str, str] | None:
        if self.max_age_hours <= 0:
            return ("max_age_hours to be more than 0", str(self.max_age_hours))
        if self.bucket.startswith("s3://"):
            return ("bucket as a bare name (without s3://)", repr(self.bucket))
        return None


@dataclasses.dataclass
class S3Object:
    """One object: where it is, how big and how old."""

    bucket: str
    key: str
    size: int
    last_modified: dt.datetime
    age_hours: float
    etag: str

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def evidence(self) -> dict[str, Any]:
        return {"key": self.key, "size": self.size, "last_modified": self.last_modified.isoformat(),
                "age_hours": round(self.age_hours, 2)}


class AwsProbe(Probe[AwsSettings]):
    """A boto3 session built from [aws]; `client(name)` gives a client with timeouts and retries."""

    kind = "s3"

    def __init__(self, settings: AwsSettings | None = None, evidence: Evidence | None = None,
                 secrets: Iterable[str] = ()) -> None:
        super().__init__(settings or AwsSettings(), evidence, secrets)
        self._clients: dict[str, Any] = {}
        try:
            self.session = boto3.Session(profile_name=self.settings.profile, region_name=self.settings.region)
        except botocore.exceptions.ProfileNotFound:
            raise ProbeError("[aws] profile", f"the profile {self.settings.profile!r} is not in the AWS config",
                             self.secrets) from None
        self.config = botocore.config.Config(
            connect_timeout=self.settings.connect_timeout,
            read_timeout=self.settings.read_timeout,
            # total_max_attempts counts the first attempt too; botocore's "max_attempts" key
            # counts only retries, which made max_attempts = 3 four attempts
            retries={"total_max_attempts": self.settings.max_attempts, "mode": "standard"},
        )

    def client(self, service: str) -> Any:
        if service not in self._clients:
            # the service is named at run time: boto3-stubs types only literal service names
            self._clients[service] = self.session.client(service, endpoint_url=self.settings.endpoint_url,  # type: ignore[call-overload]
                                                         config=self.config)
        return self._clients[service]

    @contextlib.contextmanager
    def _errors(self, target: str) -> Iterator[None]:
        """botocore's exceptions as ProbeError naming the target."""
        try:
            yield
        except botocore.exceptions.ClientError as error:
            info = error.response.get("Error", {})
            raise ProbeError(target, f"{info.get('Code', 'error')}: {info.get('Message', '')}".rstrip(": "),
                             self.secrets) from None
        except botocore.exceptions.NoCredentialsError:
            raise ProbeError(target, "no AWS credentials found by boto3's standard chain (environment, "
                                     "shared credentials file, SSO, instance role)", self.secrets) from None
        except (botocore.exceptions.ConnectTimeoutError, botocore.exceptions.ReadTimeoutError) as error:
            raise NoAnswer(target, f"timed out ({type(error).__name__}) talking to "
                                     f"{self.settings.endpoint_url or 'AWS'}", self.secrets) from None
        except botocore.exceptions.EndpointConnectionError:
            raise NoAnswer(target, f"cannot connect to {self.settings.endpoint_url or 'the AWS endpoint'}",
                             self.secrets) from None
        except botocore.exceptions.BotoCoreError as error:
            raise ProbeError(target, f"{type(error).__name__}: {error}", self.secrets) from None

    def close(self) -> None:
        for client in self._clients.values():
            client.close()  # botocore clients hold a connection pool
        self._clients.clear()


class S3Probe(AwsProbe):
    """Read-only S3 facts for data checks. Usable outside pytest:

        s3 = S3Probe(AwsSettings(region="eu-west-1"), BackupSettings(bucket="b", prefix="db/"))
        s3.newest_object().age_hours
    """

    def __init__(self, settings: AwsSettings | None = None, backups: BackupSettings | None = None,
                 evidence: Evidence | None = None, secrets: Iterable[str] = ()) -> None:
        super().__init__(settings, evidence, secrets)
        self.backups = backups

    @property
    def s3(self) -> Any:
        return self.client("s3")

    def _bucket(self, bucket: str | None) -> str:
        if bucket:
            return bucket
        if self.backups is None:
            raise ProbeError("[backups]", "no bucket given and no [backups] table", self.secrets)
        return self.backups.bucket

    # -- objects -----------------------------------------------------------------------------
    def newest_object(self, bucket: str | None = None, prefix: str | None = None,
                      now: dt.datetime | None = None) -> S3Object:
        """The most recently modified object under `prefix` (default: [backups]). No object at all
        raises ProbeError: an empty prefix is missing evidence, not a fresh backup."""
        bucket = self._bucket(bucket)
        if prefix is None:
            prefix = self.backups.prefix if self.backups and bucket == self.backups.bucket else ""
        target = f"s3://{bucket}/{prefix}"
        newest: dict[str, Any] | None = None
        count = 0
        with self._errors(target):
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    count += 1
                    # ties (S3 keeps whole seconds) go to the later key: backups are named by date
                    if newest is None or (item["LastModified"], item["Key"]) > (newest["LastModified"], newest["Key"]):
                        newest = item
        if newest is None:
            raise ProbeError(target, "no object under this prefix", self.secrets)
        now = now or dt.datetime.now(dt.timezone.utc)
        modified = newest["LastModified"]
        result = S3Object(bucket, newest["Key"], int(newest["Size"]), modified,
                          (now - modified).total_seconds() / 3600, str(newest.get("ETag", "")).strip('"'))
        self._record(f"{target} newest", {**result.evidence(), "objects": count})
        return result

    def backup_problems(self, max_age_hours: float | None = None, now: dt.datetime | None = None) -> list[str]:
        """What is wrong with the newest backup under [backups]: too old, too small, or its content
        does not match its recorded checksum. Empty when it is fine."""
        if self.backups is None:
            return ["no [backups] table: nothing says where backups are"]
        limit = self.backups.max_age_hours if max_age_hours is None else max_age_hours
        try:
            newest = self.newest_object(now=now)
        except NoAnswer:
            raise  # no answer from the store: no evidence, the check errors
        except ProbeError as error:  # the store answered: no backup, no such bucket, access denied
            return [str(error)]
        problems = []
        if newest.age_hours > limit:
            problems.append(f"{newest.url}: newest backup is {newest.age_hours:.1f} h old; at most {limit:g} h allowed")
        if newest.size < self.backups.min_size_bytes:
            problems.append(f"{newest.url}: {newest.size} bytes; at least {self.backups.min_size_bytes} expected")
        problem = self.checksum_problem(newest.bucket, newest.key, required=False)
        if problem:
            problems.append(problem)
        self._record(f"s3://{newest.bucket}/{self.backups.prefix} backup",
                     {"age_hours": round(newest.age_hours, 2), "threshold_hours": limit, "problems": problems})
        return problems

    def object_sha256(self, bucket: str, key: str) -> str:
        """The sha256 of the object's content (streamed, never held in memory whole)."""
        digest = hashlib.sha256()
        for chunk in self.object_chunks(bucket, key):
            digest.update(chunk)
        return digest.hexdigest()

    def object_chunks(self, bucket: str, key: str) -> Iterator[bytes]:
        """The object's content in reads of at most 1 MiB, all within [aws] transfer_timeout from
        the GetObject call: botocore bounds each read by read_timeout only, so a store that
        drips the body would hold the check without end. NoAnswer at the deadline."""
        target = f"s3://{bucket}/{key}"
        deadline_s = self.settings.transfer_timeout
        ends = time.monotonic() + deadline_s
        received = 0
        with self._errors(target):
            answer = self.s3.get_object(Bucket=bucket, Key=key)
            body = answer["Body"]
            # read1 on botocore's urllib3 response: whatever has arrived, up to 1 MiB (its own
            # read(n) waits until n bytes came, so a drip would never reach the deadline check)
            stream = body._raw_stream
            try:
                while True:
                    if time.monotonic() > ends:
                        raise NoAnswer(target, f"the object's body did not arrive within {deadline_s:g}s "
                                               f"([aws] transfer_timeout; {received} bytes came)", self.secrets)
                    try:
                        chunk = stream.read1(CHUNK_SIZE)
                    except urllib3.exceptions.ReadTimeoutError:
                        raise NoAnswer(target, f"no part of the body within {self.settings.read_timeout:g}s "
                                               f"([aws] read_timeout; {received} bytes came)", self.secrets) from None
                    except (urllib3.exceptions.ProtocolError, OSError) as error:
                        raise NoAnswer(target, f"the connection ended after {received} bytes of the body "
                                               f"({type(error).__name__})", self.secrets) from None
                    if not chunk:
                        break
                    received += len(chunk)
                    yield chunk
                expected = answer.get("ContentLength")
                if expected is not None and received != expected:
                    raise NoAnswer(target, f"the connection ended after {received} of {expected} bytes", self.secrets)
            finally:
                body.close()

    def recorded_checksums(self, bucket: str, key: str) -> dict[str, str]:
        """Every sha256 recorded with the object, by where it is recorded: its metadata key
        ([backups] checksum_metadata_key, hex) and S3's own SHA-256 checksum (ChecksumSHA256,
        read with ChecksumMode=ENABLED; a multipart "-N" checksum is not a content sha256).
        Empty when neither exists. DAT-03 and DAT-08 both hold the content against all of them."""
        meta_key = (self.backups.checksum_metadata_key if self.backups else "sha256").lower()
        with self._errors(f"s3://{bucket}/{key}"):
            head = self.s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        found: dict[str, str] = {}
        recorded = head.get("Metadata", {}).get(meta_key)
        if recorded:
            found[f"metadata {meta_key}"] = recorded.strip().lower()
        s3_checksum = head.get("ChecksumSHA256")
        if s3_checksum and "-" not in s3_checksum:
            found["S3 ChecksumSHA256"] = base64.b64decode(s3_checksum).hex()
        return found

    def recorded_checksum(self, bucket: str, key: str) -> str | None:
        """The sha256 recorded with the object (the metadata key first, else S3's own); None
        when neither exists."""
        return next(iter(self.recorded_checksums(bucket, key).values()), None)

    def read_object(self, bucket: str, key: str) -> bytes:
        """The object's content."""
        return b"".join(self.object_chunks(bucket, key))

    def checksum_problem(self, bucket: str, key: str, expected: str | None = None,
                         required: bool = True, content_sha256: str | None = None) -> str | None:
        """None when the content's sha256 equals `expected` (default: every recorded checksum,
        `recorded_checksums`); else what is wrong. With `required`, an object without any
        recorded checksum is a problem. `content_sha256`: the content's digest when the caller
        already read the content (else it is streamed from S3)."""
        url = f"s3://{bucket}/{key}"
        wanted = {"expected": expected.strip().lower()} if expected else self.recorded_checksums(bucket, key)
        if not wanted:
            meta_key = self.backups.checksum_metadata_key if self.backups else "sha256"
            return (f"{url}: no recorded checksum to compare with (neither metadata {meta_key} nor S3's own "
                    "SHA-256 checksum)") if required else None
        actual = content_sha256 or self.object_sha256(bucket, key)
        mismatched = {where: value for where, value in wanted.items() if value != actual}
        self._record(f"{url} sha256", {"expected": wanted, "actual": actual, "match": not mismatched})
        if mismatched:
            return f"{url}: content sha256 {actual} does not match the recorded " + ", ".join(
                f"{value} ({where})" if where != "expected" else value for where, value in mismatched.items())
        return None

    # -- bucket settings ---------------------------------------------------------------------
    def _get(self, operation: str, bucket: str) -> dict[str, Any] | None:
        """A bucket-configuration call; None when that configuration is not set at all."""
        try:
            with self._errors(f"s3://{bucket}"):
                answer: dict[str, Any] = getattr(self.s3, operation)(Bucket=bucket)
                return answer
        except ProbeError as error:
            if any(error.problem.startswith(code + ":") or error.problem == code for code in _NOT_CONFIGURED):
                return None
            raise

    def versioning_enabled(self, bucket: str | None = None) -> bool:
        bucket = self._bucket(bucket)
        status = (self._get("get_bucket_versioning", bucket) or {}).get("Status")
        self._record(f"s3://{bucket} versioning", {"status": status or "never enabled"})
        return status == "Enabled"

    def lifecycle_rules(self, bucket: str | None = None, enabled_only: bool = True) -> list[dict[str, Any]]:
        """The bucket's lifecycle rules (only the enabled ones by default); [] when none."""
        bucket = self._bucket(bucket)
        rules: list[dict[str, Any]] = (self._get("get_bucket_lifecycle_configuration", bucket) or {}).get("Rules", [])
        if enabled_only:
            rules = [r for r in rules if r.get("Status") == "Enabled"]
        self._record(f"s3://{bucket} lifecycle", {"rules": [r.get("ID", "") for r in rules]})
        return rules

    def default_encryption(self, bucket: str | None = None) -> str | None:
        """The default server-side encryption algorithm (AES256, aws:kms, ...), or None."""
        bucket = self._bucket(bucket)
        config = (self._get("get_bucket_encryption", bucket) or {}).get("ServerSideEncryptionConfiguration", {})
        algorithms = [r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm")
                      for r in config.get("Rules", [])]
        algorithm = next((a for a in algorithms if a), None)
        self._record(f"s3://{bucket} encryption", {"algorithm": algorithm})
        return algorithm

    def public_access_block(self, bucket: str | None = None) -> dict[str, bool]:
        """The four public-access-block flags (all False when no block is configured)."""
        bucket = self._bucket(bucket)
        config = (self._get("get_public_access_block", bucket) or {}).get("PublicAccessBlockConfiguration", {})
        flags = {name: bool(config.get(name, False)) for name in
                 ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")}
        self._record(f"s3://{bucket} public access block", flags)
        return flags

    def public_access_blocked(self, bucket: str | None = None) -> bool:
        """True only when all four public-access-block flags are on."""
        return all(self.public_access_block(bucket).values())
