"""The redactor: known secrets (in every common form and in fragments) and credential patterns
are masked, ordinary prose is not."""

from __future__ import annotations

import base64
import json
import time
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from property_budget import examples

from pytest_launch.core.redact import FRAGMENT_SECRETS_FROM, MASK, MIN_FRAGMENT, Redactor, secret_parts


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


# -- partial and transformed secrets (issue 11 item 10) -----------------------------------------

SECRET_CHARS = st.characters(min_codepoint=33, max_codepoint=126)  # printable ASCII, no space
# surrounding text drawn from characters no secret form uses, so a match can only be the secret
FILLER = st.text(st.sampled_from(" \t\n;,()[]{}<>|~^"), max_size=30)
LONG_SECRET = st.text(SECRET_CHARS, min_size=FRAGMENT_SECRETS_FROM, max_size=60)

TRANSFORMS = {
    "plain": lambda s: s,
    "upper": str.upper,
    "lower": str.lower,
    "quote": lambda s: quote(s, safe=""),
    "quote-path": quote,
    "quote_plus": quote_plus,
    "json": lambda s: json.dumps(s)[1:-1],
    "repr": lambda s: repr(s)[1:-1],
}


def windows(text: str) -> set[str]:
    return {text[i:i + MIN_FRAGMENT].lower() for i in range(len(text) - MIN_FRAGMENT + 1)}


def visible_windows(masked: str, secret: str) -> set[str]:
    """MIN_FRAGMENT-long pieces of `secret` still readable in `masked` (letter case ignored)."""
    low = masked.lower()
    return {w for w in windows(secret) if w in low}


@settings(max_examples=examples(300), deadline=None)
@given(secret=LONG_SECRET, transform=st.sampled_from(sorted(TRANSFORMS)), before=FILLER, after=FILLER,
       cut=st.tuples(st.integers(0, 200), st.integers(0, 200)))
def test_no_fragment_of_a_transformed_secret_survives(secret, transform, before, after, cut):
    shown = TRANSFORMS[transform](secret)
    start = cut[0] % (len(shown) - MIN_FRAGMENT + 1)
    end = start + MIN_FRAGMENT + cut[1] % (len(shown) - start - MIN_FRAGMENT + 1)
    fragment = shown[start:end]  # what a truncating printer (pytest's diff "...") shows
    # the documented exception: a run of letters only (a word) is masked from FRAGMENT_SECRETS_FROM
    assume(not (fragment.isalpha() and len(fragment) < FRAGMENT_SECRETS_FROM))
    assume(not secret_parts(secret))  # a URL or connection string: its own rule, tested below
    masked = Redactor([secret]).text(before + fragment + after)
    assert not visible_windows(masked, fragment), (fragment, masked)


def base64_pieces(text: str) -> list[bytes]:
    """Every decoding of every base64-looking run of `text`, at every offset."""
    import re

    decoded = []
    for run in re.findall(r"[A-Za-z0-9+/_-]{4,}", text):
        run = run.replace("-", "+").replace("_", "/")
        for offset in range(4):
            body = run[offset:]
            body = body[:len(body) // 4 * 4]
            if body:
                decoded.append(base64.b64decode(body))
    return decoded


@settings(max_examples=examples(300), deadline=None)
@given(secret=st.text(SECRET_CHARS, min_size=MIN_FRAGMENT, max_size=40),
       user=st.text(st.characters(min_codepoint=97, max_codepoint=122), max_size=12),
       urlsafe=st.booleans(), trailing=st.text(SECRET_CHARS, max_size=6))
def test_a_secret_inside_base64_cannot_be_decoded_back(secret, user, urlsafe, trailing):
    """The Basic header requests builds from `https://user:password@host`, whatever the user."""
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    blob = encode(f"{user}:{secret}{trailing}".encode()).decode()
    masked = Redactor([secret]).text(f"Authorization: Basic {blob}")
    interior = secret[2:-2]  # a base64 group may share two bytes with the user or trailing text
    for piece in base64_pieces(masked):
        text = piece.decode("latin-1")
        assert not any(interior[i:i + 4] in text for i in range(len(interior) - 3)), (blob, masked)


def test_every_common_form_of_a_secret_is_masked():
    secret = "p@ss/w0rd+Secret&x"
    redactor = Redactor([secret])
    shown = [secret, secret.upper(), secret.lower(), quote(secret, safe=""), quote(secret), quote_plus(secret),
             json.dumps(secret), secret.replace("&", "&amp;"), secret.encode().hex(),
             base64.b64encode(secret.encode()).decode(), base64.b64encode(b"launch:" + secret.encode()).decode(),
             base64.urlsafe_b64encode(b"xy:" + secret.encode()).decode()]
    for text in shown:
        masked = redactor.text(f"value {text} end")
        assert MASK in masked and not visible_windows(masked, secret), (text, masked)


def test_a_truncated_secret_in_an_assertion_diff_is_masked():
    secret = "tok-ABCDEFGHIJ-1234567890X"
    # pytest's diff shows "...T-1234567890X": the tail of a long value
    assert "1234567890" not in Redactor([secret]).text(f"E   - ...{secret[-15:]}\nE   + expected")


def test_a_word_inside_a_long_secret_is_not_masked_alone():
    redactor = Redactor(["not-the-Password-42"])
    assert redactor.text("password authentication failed") == "password authentication failed"
    assert redactor.text("...the-Password-42") == f"...{MASK}"
    assert redactor.text("...e-Passwor") == f"...{MASK}"  # not letters only: a fragment


def test_short_secrets_are_masked_whole_only():
    redactor = Redactor(["pw-1234"])  # shorter than FRAGMENT_SECRETS_FROM: no fragments
    assert redactor.text("pw-1234 PW-1234 pw-12") == f"{MASK} {MASK} pw-12"


def test_a_url_secret_masks_its_secret_parts_not_its_host():
    dsn = "postgresql://readiness:Sup3r-S3cret-Pw@primary.db:5432/catalog"
    redactor = Redactor([dsn])
    assert redactor.text(f"connect {dsn}") == f"connect {MASK}"
    assert redactor.text("readiness/test_data.py checks primary.db") == "readiness/test_data.py checks primary.db"
    assert redactor.text("password ...r-S3cret-Pw rejected") == f"password ...{MASK} rejected"


def test_a_webhook_secret_masks_its_tokens_not_the_words_of_its_route():
    hook = "https://hooks.slack.com/services/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"
    redactor = Redactor([hook])
    assert redactor.text(f"posting to {hook}") == f"posting to {MASK}"
    # the route's words stay readable elsewhere in the report; each token is a secret of its own
    assert redactor.text("the services and triggers checks") == "the services and triggers checks"
    assert redactor.text("token Zq8sK2mXvP0wLr7Tn4Yb1Hc9 and B0EF45GH6") == f"token {MASK} and {MASK}"
    assert redactor.text("a tail ...P0wLr7Tn4Yb1Hc9") == f"a tail ...{MASK}"


@pytest.mark.timeout(120)  # a guard against a hang (the redactor was quadratic once), not a benchmark
def test_masking_stays_linear_on_a_large_text_with_many_secrets():
    import random
    import string

    rng = random.Random(7)
    secrets = ["".join(rng.choice(string.ascii_letters + string.digits) for _ in range(40)) for _ in range(50)]
    redactor = Redactor(secrets)
    text = "".join(rng.choice(string.ascii_letters + " ") for _ in range(1_000_000)) + secrets[7][3:20]
    started = time.perf_counter()
    masked = redactor.text(text)
    assert masked.endswith(MASK)
    assert time.perf_counter() - started < 30


def test_a_connection_string_secret_masks_its_password_not_where_it_connects():
    dsn = "host=127.0.0.1 port=5432 user=launch_monitor password=Zx9-secret-pw dbname=postgres"
    redactor = Redactor([dsn])
    assert redactor.text(f"connect {dsn}") == f"connect {MASK}"
    message = "PostgreSQL primary launch_monitor@127.0.0.1:5432/postgres: password authentication failed"
    assert redactor.text(message) == message
    assert redactor.text("pw ...9-secret-pw") == f"pw ...{MASK}"


# -- one look at many strings (issue 16: Redactor.clean, Redactor.data) ----------------------------

# pieces that make credential patterns, secret forms and their near misses meet across strings
PIECES = st.sampled_from(["Authorization", ": Bearer ", "Basic", "password", "=", '": "', "token", "'", "\n",
                          "\t", "https://", "u", ":", "pw", "@", "host/", "api_key", "x", "Zm9v", "%2F", "é"])
STRING = st.lists(PIECES, max_size=6).map("".join)


def json_like(leaf):
    return st.recursive(leaf, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(leaf, inner, max_size=4)
                        | st.lists(inner, max_size=3).map(tuple), max_leaves=12)


@settings(max_examples=examples(400), deadline=None)
@given(secret=st.sampled_from(["", "pw", "hunter2-very-long-secret", "Zm9vYmFy", "api_key=abc\tdef", "é-secret-é!"]),
       strings=st.lists(STRING | st.sampled_from(["hunter2-very-long-secret", "HUNTER2-VERY", "very-long-secre"]),
                        max_size=6),
       data=json_like(STRING | st.integers(0, 3) | st.none()))
def test_clean_is_never_optimistic_and_data_masks_as_string_by_string(secret, strings, data):
    """Whatever one string would have masked, the one-pass look says "not clean"; the copy that
    data() makes is exactly the string-by-string mapping."""
    from pytest_launch.core.redact import map_strings

    redactor = Redactor([secret] if secret else [])
    if redactor.clean(strings):
        assert all(Redactor([secret] if secret else []).text(s) == s for s in strings), strings
    fresh = Redactor([secret] if secret else [])
    assert redactor.data(data) == map_strings(data, fresh.text)


def test_data_returns_a_copy_even_when_nothing_is_masked() -> None:
    evidence = {"values": [1, 2], "nested": {"k": ("a", "b")}}
    copied = Redactor(["s3cr3t-value"]).data(evidence)
    assert copied == {"values": [1, 2], "nested": {"k": ["a", "b"]}}
    copied["values"].append(3)
    copied["nested"]["k"].append("c")
    assert evidence == {"values": [1, 2], "nested": {"k": ("a", "b")}}


def test_a_credential_split_across_two_strings_is_not_masked_in_either() -> None:
    """The one-pass look may see a match across two strings (a key "password" beside its value):
    it then looks string by string, and neither string alone is a credential."""
    redactor = Redactor()
    assert not redactor.clean(["password=hunter22", "ok"])
    assert redactor.data(["password", "=hunter22"]) == ["password", "=hunter22"]
    assert redactor.data({"password": "hunter22"}) == {"password": "hunter22"}
    assert redactor.data(["password=hunter22"]) == ["password=***"]


@pytest.mark.parametrize("char", ["\u0131", "\u0130", "\u017f", "\u212a"])
def test_the_quick_look_for_credential_words_is_as_wide_as_the_patterns(char: str) -> None:
    """A case-insensitive `re` pattern equates these characters with an ASCII letter that
    str.lower() does not give: the quick look must still let the patterns see them."""
    import re

    from pytest_launch.core.redact import holds_credential

    words = {"\u0131": "apı_key=hunter22", "\u0130": "Authorİzation: Bearer abcdef",
             "\u017f": "paſſword=hunter22", "\u212a": "to\u212aen=hunter22"}
    text = words[char]
    assert re.search(r"(?i)passw|secret|token|api|authorization", text)
    assert holds_credential(text)
    assert Redactor().text(text).endswith(MASK)


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.sampled_from(["p", "a", "s", "w", "o", "r", "d", "e", "c", "t", "k", "n", "i", "u", "h", "z",
                                 "P", "A", "S", "I", "K", "\u0131", "\u0130", "\u017f", "\u212a", "ß", "-", "_",
                                 "password", "Token", "api", "API_KEY", "Authorization", "bearer", "=", ": ", "'",
                                 '"', " ", "\n", "xyzw", "hunter22", "}", "&", "x"]),
                max_size=16).map("".join))
def test_the_quick_look_finds_exactly_what_the_patterns_find(text: str) -> None:
    """The patterns are tried only where a credential word starts: never narrower than a search."""
    from pytest_launch.core.redact import _AUTH_HEADER, _KEYED, holds_credential

    assert holds_credential(text) == bool(_KEYED.search(text) or _AUTH_HEADER.search(text)), text
