"""The S3 probe against moto's S3 server on loopback (boto3 pointed at its endpoint_url)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from pytest_launch.core.errors import ConfigError
from pytest_launch.core.settings import build
from pytest_launch.probes.aws import AwsSettings, BackupSettings, S3Probe
from pytest_launch.probes.errors import ProbeError

LATER = dt.timedelta(hours=25)


@pytest.fixture
def bucket(moto_s3) -> str:
    return moto_s3.new_bucket()


def probe(moto_s3, bucket: str | None = None, prefix: str = "db/", **backup) -> S3Probe:
    backups = BackupSettings(bucket=bucket, prefix=prefix, **backup) if bucket else None
    return S3Probe(AwsSettings(region="us-east-1", endpoint_url=moto_s3.endpoint_url, max_attempts=1,
                               connect_timeout=2, read_timeout=5), backups)


def put(moto_s3, bucket: str, key: str, body: bytes, **kwargs) -> None:
    moto_s3.client().put_object(Bucket=bucket, Key=key, Body=body, **kwargs)


def test_newest_object_and_its_age(moto_s3, bucket, aws_credentials):
    put(moto_s3, bucket, "db/2024-06-01.dump", b"old")
    put(moto_s3, bucket, "db/2024-06-02.dump", b"newer")
    put(moto_s3, bucket, "other/ignored.txt", b"x")
    newest = probe(moto_s3, bucket).newest_object()
    assert newest.key == "db/2024-06-02.dump" and newest.size == 5
    assert 0 <= newest.age_hours < 1


def test_backup_younger_than_a_day_passes_and_older_fails(moto_s3, bucket, aws_credentials):
    body = b"pg_dump output"
    put(moto_s3, bucket, "db/today.dump", body, Metadata={"sha256": hashlib.sha256(body).hexdigest()})
    s3 = probe(moto_s3, bucket)
    assert s3.backup_problems() == []
    later = dt.datetime.now(dt.timezone.utc) + LATER  # the same backup, seen a day later
    (problem,) = s3.backup_problems(now=later)
    assert "newest backup is 25.0 h old; at most 24 h allowed" in problem


def test_empty_prefix_is_missing_evidence(moto_s3, bucket, aws_credentials):
    with pytest.raises(ProbeError, match=rf"s3://{bucket}/db/: no object under this prefix"):
        probe(moto_s3, bucket).newest_object()
    assert probe(moto_s3, bucket).backup_problems() == [f"s3://{bucket}/db/: no object under this prefix"]


def test_missing_bucket_names_it(moto_s3, aws_credentials):
    with pytest.raises(ProbeError, match=r"s3://no-such-bucket-x/db/: NoSuchBucket"):
        probe(moto_s3, "no-such-bucket-x").newest_object()


def test_checksum_match_and_mismatch(moto_s3, bucket, aws_credentials):
    body = b"backup content"
    good = hashlib.sha256(body).hexdigest()
    put(moto_s3, bucket, "db/a.dump", body, Metadata={"sha256": good})
    put(moto_s3, bucket, "db/b.dump", body, Metadata={"sha256": "0" * 64})
    put(moto_s3, bucket, "db/c.dump", body)
    s3 = probe(moto_s3, bucket)
    assert s3.object_sha256(bucket, "db/a.dump") == good
    assert s3.checksum_problem(bucket, "db/a.dump") is None
    assert "does not match the recorded 000" in s3.checksum_problem(bucket, "db/b.dump")
    assert s3.checksum_problem(bucket, "db/c.dump") == (
        f"s3://{bucket}/db/c.dump: no recorded checksum to compare with (neither metadata sha256 nor S3's own "
        "SHA-256 checksum)")
    assert s3.checksum_problem(bucket, "db/c.dump", expected=good) is None


def test_s3_native_sha256_checksum_is_used(moto_s3, bucket, aws_credentials):
    put(moto_s3, bucket, "db/native.dump", b"abc", ChecksumAlgorithm="SHA256")
    s3 = probe(moto_s3, bucket)
    assert s3.recorded_checksum(bucket, "db/native.dump") == hashlib.sha256(b"abc").hexdigest()
    assert s3.checksum_problem(bucket, "db/native.dump") is None


def test_every_recorded_checksum_must_match(moto_s3, bucket, aws_credentials):
    """A metadata checksum that disagrees with S3's own (right) one is a mismatch: no source wins."""
    put(moto_s3, bucket, "db/both.dump", b"abc", ChecksumAlgorithm="SHA256", Metadata={"sha256": "0" * 64})
    s3 = probe(moto_s3, bucket)
    assert set(s3.recorded_checksums(bucket, "db/both.dump")) == {"metadata sha256", "S3 ChecksumSHA256"}
    problem = s3.checksum_problem(bucket, "db/both.dump")
    assert problem.endswith(f"does not match the recorded {'0' * 64} (metadata sha256)")


def test_bucket_settings_off_then_on(moto_s3, bucket, aws_credentials):
    s3 = probe(moto_s3, bucket)
    assert not s3.versioning_enabled()
    assert s3.lifecycle_rules() == []
    assert not s3.public_access_blocked()
    admin = moto_s3.client()
    admin.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    admin.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "expire-old", "Status": "Enabled", "Filter": {"Prefix": "db/"}, "Expiration": {"Days": 30}},
        {"ID": "off", "Status": "Disabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}},
    ]})
    admin.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
    admin.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    assert s3.versioning_enabled()
    assert [r["ID"] for r in s3.lifecycle_rules()] == ["expire-old"]
    assert s3.default_encryption() == "aws:kms"
    assert s3.public_access_blocked()


def test_partial_public_access_block_is_not_blocked(moto_s3, bucket, aws_credentials):
    moto_s3.client().put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": True})
    s3 = probe(moto_s3, bucket)
    assert s3.public_access_block()["BlockPublicPolicy"] is False
    assert not s3.public_access_blocked()


def test_no_credentials_is_a_clear_error(moto_s3, bucket, aws_credentials, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(ProbeError, match="no AWS credentials found by boto3's standard chain"):
        probe(moto_s3, bucket).newest_object()


def test_credentials_from_a_profile(moto_s3, bucket, aws_credentials, monkeypatch, tmp_path):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    credentials = tmp_path / "credentials"
    credentials.write_text("[launch]\naws_access_key_id = a\naws_secret_access_key = b\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    put(moto_s3, bucket, "db/x", b"x")
    s3 = S3Probe(AwsSettings(profile="launch", region="us-east-1", endpoint_url=moto_s3.endpoint_url),
                 BackupSettings(bucket=bucket, prefix="db/"))
    assert s3.newest_object().key == "db/x"
    with pytest.raises(ProbeError, match=r"\[aws\] profile: the profile 'nope' is not in the AWS config"):
        S3Probe(AwsSettings(profile="nope"))


def test_unreachable_endpoint_names_it(aws_credentials, closed_port):
    s3 = S3Probe(AwsSettings(region="us-east-1", endpoint_url=f"http://127.0.0.1:{closed_port}", max_attempts=1,
                             connect_timeout=1, read_timeout=1), BackupSettings(bucket="b"))
    with pytest.raises(ProbeError, match=rf"s3://b/: cannot connect to http://127.0.0.1:{closed_port}"):
        s3.newest_object()


def test_evidence_is_recorded(moto_s3, bucket, aws_credentials):
    put(moto_s3, bucket, "db/x", b"x")
    recorded: dict = {}
    s3 = S3Probe(AwsSettings(region="us-east-1", endpoint_url=moto_s3.endpoint_url),
                 BackupSettings(bucket=bucket, prefix="db/"), evidence=recorded.update)
    s3.newest_object()
    assert recorded[f"s3 s3://{bucket}/db/ newest"]["key"] == "db/x"


def test_settings_refuse_credentials_and_bad_values():
    with pytest.raises(ConfigError, match=r"aws.aws_secret_access_key: expected one of the keys of \[aws\]"):
        build(AwsSettings, {"aws_secret_access_key": "x"}, "env.toml", "aws")
    with pytest.raises(ConfigError, match=r"backups: expected bucket as a bare name"):
        build(BackupSettings, {"bucket": "s3://b"}, "env.toml", "backups")
    with pytest.raises(ConfigError, match=r"backups.bucket: expected a string, found nothing"):
        build(BackupSettings, {}, "env.toml", "backups")
