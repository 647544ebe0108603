"""The redactor: known secrets and credential patterns are masked, ordinary prose is not."""

from __future__ import annotations

import pytest

from pytest_launch.redact import MASK, Redactor


@pytest.mark.parametrize("text, secret", [
    ("GET https://launch:hunter2pw@api.example.com/health", "hunter2pw"),
    ("Authorization: Bearer eyJhbGciOi.payload.sig", "eyJhbGciOi.payload.sig"),
    ("https://api.example.com/?token=abcdef123&page=2", "abcdef123"),
    ("DB_PASSWORD=correcthorse", "correcthorse"),
    ("{'password': 'hunter22'}", "hunter22"),
    ('{"api_key": "zzzz1234"}', "zzzz1234"),
])
def test_credential_patterns_are_masked(text: str, secret: str) -> None:
    masked = Redactor().text(text)
    assert secret not in masked and MASK in masked


def test_known_secret_values_are_masked_longest_first() -> None:
    redactor = Redactor(["abc123", "abc123-extended", "x"])  # one-letter values are not secrets
    assert redactor.text("a abc123-extended b abc123 x") == "a *** b *** x"


@pytest.mark.parametrize("prose", [
    "secret demo/catalog/search-api-key: never rotated (no LastRotatedDate)",
    "token: the health endpoint answered 200",
    "password reset e-mails are delivered",
])
def test_prose_about_credentials_is_left_alone(prose: str) -> None:
    assert Redactor().text(prose) == prose


def test_data_is_redacted_in_keys_and_nested_values() -> None:
    redactor = Redactor(["s3cr3t-value"])
    data = {"url": "https://u:pw12@h", "nested": [{"s3cr3t-value": ("s3cr3t-value", 1)}], "n": 2.5}
    assert redactor.data(data) == {"url": "https://u:***@h", "nested": [{MASK: [MASK, 1]}], "n": 2.5}
