"""The one place secrets are masked. Every writer passes its text through a Redactor.

Secrets are the values that came from ${VAR} in the environment file, passwords in URLs
(`scheme://user:password@host`) and bearer/basic credentials in header-like text.

A secret is masked in every form it commonly takes in transit, computed once per secret when
the redactor is built (`secret_forms`):

    the value itself, in any letter case (matching ignores case)
    percent-encoded (urllib's quote with and without "/" safe, quote_plus)
    JSON-, Python-repr- and HTML/XML-escaped
    hex of its UTF-8 bytes, and base64 / base64url of it at any offset inside a larger blob
    (the Basic header `base64("user:" + password)` whatever the user): base64 encodes 3 bytes
    at a time, so a secret inside a blob shows as one of three fixed strings, one per offset
    modulo 3 (the at most two bytes at each edge shared with their neighbours are not masked)

and in pieces: any run of MIN_FRAGMENT (8) or more characters of a form of a secret of
FRAGMENT_SECRETS_FROM (12) or more characters is masked wherever it appears (pytest truncates
long values in assertion diffs: `...T-1234567890X` shows a secret's tail), except that a run of
letters only (a word: "password" in "not-the-Password-42") must be FRAGMENT_SECRETS_FROM long,
so that prose stays readable. Shorter secrets are masked only whole (three characters at least;
base64 and hex forms from eight characters).

A secret that is a URL (a DSN, a webhook) is masked whole, and its secret-bearing parts (the
password, or the user when there is no password, path segments other than lower-case words such
as "services", and query values) count as
secrets of their own; its scheme, host and port do not, so "postgresql://" and the host name stay
readable elsewhere in the report. Likewise a key=value connection string
(`host=db user=app password=...`): masked whole, and the values of keys other than where and as
whom (host, port, user, dbname, sslmode, ...) count as secrets of their own.

Finding fragments is linear in the text: every 4th position of the lower-cased text is looked up
in a set of 5-character pieces of the secrets, and only around a hit are the 8-character windows
checked; matched windows are merged into the spans that are masked.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

MASK = "***"
MIN_SECRET = 3  # one- or two-character values would mask ordinary text; they are not secrets
MIN_FRAGMENT = 8  # this many characters of a long secret are masked wherever they appear
FRAGMENT_SECRETS_FROM = 12  # secrets at least this long are masked in fragments, shorter ones whole
_PROBE = 5  # piece looked up every _STRIDE positions: _PROBE + _STRIDE - 1 == MIN_FRAGMENT
_STRIDE = MIN_FRAGMENT - _PROBE + 1

# The scheme is bounded: an unbounded one made the search quadratic (a 1 MB message took minutes).
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]{0,31}://)(?P<user>[^:/@\s]*):(?P<password>[^@/\s]+)@")
_AUTH_HEADER = re.compile(r"(?i)\b(authorization\s*[:=]\s*['\"]?(?:bearer|basic|token)\s+)([^\s'\",}]+)")
# `password=value` (query strings, environment dumps) and `"password": "value"` (JSON, dicts);
# prose such as "search-api-key: never rotated" is left alone.
_KEYED = re.compile(r"(?i)(?<![a-z])((?:password|passwd|secret|token|api[_-]?key)\s*=\s*['\"]?)([^\s'\",}&]{4,})"
                    r"|(?<![a-z])((?:password|passwd|secret|token|api[_-]?key)['\"]\s*:\s*['\"])([^'\"]{4,})")
# Every match of the two patterns above starts where one of these words starts (letter case
# ignored). The words are looked for with str.find in the lower-cased text, and the patterns are
# tried only there (a case-insensitive regex searched over a whole results document took 30-120
# ms per megabyte; this takes a few). Before lowering, the four characters that a case-insensitive
# `re` pattern equates with an ASCII letter of these words although str.lower() does not lower
# them to it (dotless i, capital I with a dot, long s, Kelvin sign) are mapped to that letter, so
# the look is never narrower than the patterns themselves.
_CREDENTIAL_WORDS = ("passw", "secret", "token", "api", "authorization")
_RE_SPECIAL = "\u0131\u0130\u017f\u212a"
_RE_CASE_EQUIVALENTS = str.maketrans(dict(zip(_RE_SPECIAL, "iisk")))


def holds_credential(text: str) -> bool:
    """True when a credential pattern (`authorization: bearer ...`, `password=...`,
    `"token": "..."`) matches somewhere in `text`."""
    if text.isascii():
        low = text.lower()
    elif any(char in text for char in _RE_SPECIAL):  # str.translate is slow: only when needed
        low = _lowered(text.translate(_RE_CASE_EQUIVALENTS))
    else:
        low = _lowered(text)
    for word in _CREDENTIAL_WORDS:
        at = low.find(word)
        while at != -1:
            if _KEYED.match(text, at) or _AUTH_HEADER.match(text, at):
                return True
            at = low.find(word, at + 1)
    return False

# text() is called for every string of every report (metadata, evidence, messages) and again for
# the whole document; most strings repeat (marker names, owners, evidence keys): remember them.
_CACHE_MAX_TEXT = 512
_CACHE_MAX_ENTRIES = 50_000
_URLSAFE = str.maketrans("+/", "-_")


def _base64_cores(raw: bytes) -> set[str]:
    """What base64 of a blob holding `raw` at any offset surely contains: one string per offset
    modulo 3 (the bytes from the first group boundary inside `raw` to the last one)."""
    cores = set()
    for skip in range(3):
        body = raw[skip:]
        body = body[:len(body) // 3 * 3]
        if body:
            core = base64.b64encode(body).decode("ascii")
            cores.add(core)
            cores.add(core.translate(_URLSAFE))
    return cores


def escaped_forms(secret: str) -> set[str]:
    """The secret's own text as it is escaped in URLs, JSON, Python reprs and HTML/XML."""
    return {secret, quote(secret, safe=""), quote(secret), quote_plus(secret), html.escape(secret),
            json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1], repr(secret)[1:-1]}


def encoded_forms(secret: str) -> set[str]:
    """Hex and base64 (at any offset, see _base64_cores) of a secret of MIN_FRAGMENT characters or more."""
    if len(secret) < MIN_FRAGMENT:
        return set()
    raw = secret.encode("utf-8")
    return {raw.hex()} | {core for core in _base64_cores(raw) if len(core) >= MIN_FRAGMENT}


def secret_forms(secret: str) -> set[str]:
    """The forms `secret` commonly takes in transit (letter case aside: matching ignores it)."""
    return escaped_forms(secret) | encoded_forms(secret)


# a libpq-style connection string: `host=db port=5432 user=app password=... dbname=app`
_KEY_VALUES = re.compile(r"\s*(?:[A-Za-z_][A-Za-z0-9_]*\s*=\s*(?:'(?:[^'\\]|\\.)*'|[^\s']+)\s*)+")
_KEY_VALUE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*('(?:[^'\\]|\\.)*'|[^\s']+)")
# keys of a connection string that name where and as whom, not a credential
_PUBLIC_KEYS = frozenset({"host", "hostaddr", "port", "dbname", "user", "sslmode", "connect_timeout",
                          "application_name", "target_session_attrs", "sslrootcert", "sslcert", "sslkey",
                          "gssencmode", "channel_binding", "service", "options", "keepalives", "load_balance_hosts"})


def secret_parts(secret: str) -> list[str]:
    """The secret-bearing parts of a structured secret (a URL, a key=value connection string);
    [] for a value that is neither: the whole value is the secret."""
    if "://" not in secret and "=" in secret and _KEY_VALUES.fullmatch(secret):
        pairs = _KEY_VALUE.findall(secret)
        if len(pairs) >= 2 and any(key.lower() in _PUBLIC_KEYS for key, _ in pairs):
            values = [value.strip("'") for key, value in pairs if key.lower() not in _PUBLIC_KEYS]
            return [v for v in values if len(v) >= MIN_SECRET]
    return url_secret_parts(secret)


# a path segment that is a lower-case word or words ("services", "triggers", "api-version"): the
# route of a webhook, not its token; masking it would mask that word across the whole report
_PATH_WORD = re.compile(r"[a-z]+(?:[-_][a-z]+)*")


def url_secret_parts(secret: str) -> list[str]:
    """The secret-bearing parts of a URL-shaped secret (password, or user without a password,
    path segments, query values); [] for a value that is not a URL."""
    if "://" not in secret:
        return []
    try:
        parts = urlsplit(secret)
        password, user = parts.password, parts.username
        query = parse_qsl(parts.query, keep_blank_values=False)
    except ValueError:
        return []
    found = [password] if password else [user] if user else []
    found += [segment for segment in parts.path.split("/")
              if len(segment) >= MIN_FRAGMENT and not _PATH_WORD.fullmatch(segment)]
    found += [value for _, value in query if len(value) >= MIN_FRAGMENT]
    if parts.fragment and len(parts.fragment) >= MIN_FRAGMENT:
        found.append(parts.fragment)
    return [p for p in found if p and len(p) >= MIN_SECRET]


def _lowered(text: str) -> str:
    """`text` in lower case, character for character (a few characters lower to two)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


class Redactor:
    """Masks the known secret values (in every form and fragment, see the module docstring) and
    the credential patterns in text and data."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self._masked: dict[str, str] = {}
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = sorted(set(self._secrets) | {s for s in secrets if len(s) >= MIN_SECRET},
                               key=len, reverse=True)
        self._build()
        self._masked.clear()

    def _build(self) -> None:
        whole: set[str] = set()  # masked only as a whole (case ignored)
        pieces: set[str] = set()  # forms masked in any MIN_FRAGMENT-long window
        for secret in self._secrets:
            parts = secret_parts(secret)
            if parts:
                whole |= {_lowered(form) for form in secret_forms(secret)}
            else:
                parts = [secret]
            for part in parts:
                escaped = {_lowered(form) for form in escaped_forms(part)}
                (pieces if len(part) >= FRAGMENT_SECRETS_FROM else whole).update(escaped)
                pieces |= {_lowered(form) for form in encoded_forms(part)}
        self._windows = {p[i:i + MIN_FRAGMENT] for p in pieces for i in range(len(p) - MIN_FRAGMENT + 1)}
        self._probes = {w[i:i + _PROBE] for w in self._windows for i in range(MIN_FRAGMENT - _PROBE + 1)}
        # a whole form that is a run of a fragment-masked form is already covered
        whole = {w for w in whole if not (len(w) >= MIN_FRAGMENT and w[:MIN_FRAGMENT] in self._windows
                                          and all(w[i:i + MIN_FRAGMENT] in self._windows
                                                  for i in range(len(w) - MIN_FRAGMENT + 1)))}
        self._whole = (re.compile("|".join(re.escape(w) for w in sorted(whole, key=len, reverse=True)))
                       if whole else None)

    @property
    def secrets(self) -> list[str]:
        return list(self._secrets)

    def text(self, text: str) -> str:
        masked = self._masked.get(text)
        if masked is not None:
            return masked
        masked = self._mask(text)
        if len(text) <= _CACHE_MAX_TEXT and len(self._masked) < _CACHE_MAX_ENTRIES:
            self._masked[text] = masked
        return masked

    def _spans(self, text: str) -> list[tuple[int, int]]:
        """Where a secret (whole, or a fragment of a long one) is, merged, in order."""
        if not self._windows and self._whole is None:  # no secrets
            return []
        low = _lowered(text)  # the forms are lower case: matching ignores case
        pieces: list[tuple[int, int]] = []
        if self._windows and len(text) >= MIN_FRAGMENT:
            probes, windows, k = self._probes, self._windows, MIN_FRAGMENT
            hits = [p for p in range(0, len(low) - _PROBE + 1, _STRIDE) if low[p:p + _PROBE] in probes]
            last = len(low) - k
            for p in hits:
                for i in range(max(0, p - _STRIDE + 1), min(p, last) + 1):
                    if low[i:i + k] in windows:
                        pieces.append((i, i + k))
        # a run of letters only (a word: "password" of "not-the-Password-42") is masked from
        # FRAGMENT_SECRETS_FROM characters, any other run from MIN_FRAGMENT
        spans = [(start, end) for start, end in _merged(pieces)
                 if end - start >= FRAGMENT_SECRETS_FROM or not text[start:end].isalpha()]
        if self._whole is not None:
            spans += [m.span() for m in self._whole.finditer(low) if m.end() > m.start()]
        return _merged(spans)

    def _mask(self, text: str) -> str:
        spans = self._spans(text)
        if spans:
            pieces, at = [], 0
            for start, end in spans:
                pieces += [text[at:start], MASK]
                at = end
            pieces.append(text[at:])
            text = "".join(pieces)
        if "://" in text:
            text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
        if holds_credential(text):
            text = _AUTH_HEADER.sub(lambda m: m.group(1) + MASK, text)
            text = _KEYED.sub(lambda m: (m.group(1) or m.group(3)) + MASK, text)
        return text

    def clean(self, value: Any) -> bool:
        """True when no string of `value` (a string, or JSON-like data, keys included) holds
        anything to mask: all of them are looked at in one pass over their joined text.

        Never optimistic: whatever would be masked inside one of the strings is masked inside
        the joined text too (they are joined by a newline, which meets the patterns' word
        boundaries and look-behinds as the start or end of a string does); a match that spans two
        strings only makes the answer False, and the caller then masks string by string."""
        if isinstance(value, str):
            return self.text(value) == value
        try:  # a list of strings (a report's parts) needs no walk
            joined = "\n".join(value) if isinstance(value, list) else None
        except TypeError:
            joined = None
        if joined is None:
            joined = "\n".join(strings_of(value))
        return self.text(joined) == joined

    def data(self, value: Any) -> Any:
        """A copy of JSON-like data (dicts, lists; tuples become lists) with every string
        redacted, dictionary keys included. The copy is made in one walk that gathers the
        strings, which are then looked at in one pass (`clean`): data with nothing to mask is
        never looked at string by string; otherwise each part is handled the same way, so that
        only the parts that hold something to mask are masked string by string."""
        if isinstance(value, str):
            return self.text(value)
        return self.data_and_text(value)[0]

    def data_and_text(self, value: Any) -> tuple[Any, str]:
        """data(value), and the text its strings make joined by newlines, as they were before
        masking (for a caller that checks them in another way too, without a second walk)."""
        copied, strings = copy_with_strings(value)
        joined = "\n".join(strings)
        if self.text(joined) == joined:
            return copied, joined
        if isinstance(value, dict):
            return {self.text(str(k)): self.data(v) for k, v in value.items()}, joined
        if isinstance(value, (list, tuple)):
            return [self.data(v) for v in value], joined
        return value, joined


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching spans joined, in order."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def strings_of(value: Any) -> list[str]:
    """Every string of JSON-like data (dicts, lists, tuples), dictionary keys included (a key
    that is not a string as str() writes it), in no particular order."""
    found: list[str] = []
    stack = [value]
    pop, push, add, keep = stack.pop, stack.extend, found.append, found.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is str:
            add(item)
        elif kind in _SCALARS:  # most values of a results document: no string, no walk
            continue
        elif kind is dict:
            keep(map(str, item))  # str() of a str is the same object
            push(item.values())
        elif kind is list or kind is tuple:
            push(item)
        elif isinstance(item, str):  # subclasses
            add(item)
        elif isinstance(item, dict):
            keep(map(str, item))
            push(item.values())
        elif isinstance(item, (list, tuple)):
            push(item)
    return found


def copy_with_strings(value: Any) -> tuple[Any, list[str]]:
    """A copy of JSON-like data as map_strings makes it (dict and list containers are new; tuples
    become lists; keys that are not strings become str()), its strings unchanged, and every
    string of it (keys included), gathered in the same walk."""
    found: list[str] = []
    return _copy(value, found.append), found


def _copy(value: Any, add: Callable[[str], None]) -> Any:
    kind = type(value)
    if kind is str:
        add(value)
        return value
    if kind is dict or (kind is not list and kind is not tuple and isinstance(value, dict)):
        copied = {}
        for key, item in value.items():
            key = key if type(key) is str else str(key)
            add(key)
            copied[key] = _copy(item, add) if type(item) not in _SCALARS else item
        return copied
    if kind is list or kind is tuple or isinstance(value, (list, tuple)):
        return [_copy(item, add) if type(item) not in _SCALARS else item for item in value]
    if isinstance(value, str):
        add(value)
    return value


_SCALARS = frozenset({int, float, bool, type(None)})


def map_strings(value: Any, change: Callable[[str], str]) -> Any:
    """A copy of JSON-like data (dicts, lists, tuples as lists) with `change` applied to every
    string, dictionary keys included."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {change(str(k)): map_strings(v, change) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [map_strings(v, change) for v in value]
    return value
