"""Test bed: S3 through moto's server mode (ThreadedMotoServer) on a loopback port.

`moto_s3.endpoint_url` is what an [aws] table names; `moto_s3.client()` is an admin client for
setting up buckets in a test (test-only credentials, never written in an environment file).
`aws_credentials` puts fake credentials into the process environment, as boto3's standard chain
finds them in production.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from testbed.support import free_port, port_open, wait_until

TEST_KEY_ID = "testing-key-id"
TEST_SECRET = "testing-secret-key"
REGION = "us-east-1"


@dataclasses.dataclass
class MotoS3:
    endpoint_url: str

    def client(self) -> Any:
        return boto3.client("s3", endpoint_url=self.endpoint_url, region_name=REGION,
                            aws_access_key_id=TEST_KEY_ID, aws_secret_access_key=TEST_SECRET)

    def new_bucket(self, prefix: str = "launch") -> str:
        """A fresh, empty bucket (unique name, so tests never share state)."""
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[MotoS3]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        wait_until(lambda: port_open(port), timeout=20, what="moto server")
        yield MotoS3(f"http://127.0.0.1:{port}")
    finally:
        server.stop()


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Fake credentials in the process environment (boto3's standard chain), no shared files."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", TEST_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", TEST_SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask a metadata address
