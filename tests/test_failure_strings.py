"""A failing report is looked at for secrets through the strings of pytest's failure
representation (plugin.redaction.failure_strings), not through its printed text, which costs
more to make (issue 16). The look must never be narrower than the printed text: whatever
masking finds in what pytest prints, it finds in those strings. Real failure representations,
made by pytest from real exceptions, in every traceback style pytest has."""

from __future__ import annotations

import sys

import pytest
from _pytest._code.code import ExceptionInfo

from pytest_launch.core.redact import Redactor
from pytest_launch.plugin.redaction import failure_strings

SECRET = "Zq7-transit-Secret-4410"
STYLES = ["long", "short", "line", "native", "value", "auto", "no"]


def _fails_in_message() -> None:
    raise AssertionError(f"rejected with {SECRET}")


def _fails_with_a_secret_local() -> None:
    credential = SECRET  # noqa: F841 - shown by --showlocals
    raise RuntimeError("no answer")


# pytest prints this function's argument as name = value: a credential pattern that neither the
# name nor the value shows alone (the function's own source, printed too, must not show it)
def _fails_with_a_secret_argument(token: str = "abcd1234efgh") -> None:
    raise RuntimeError("refused")


def _fails_in_a_chain() -> None:
    try:
        raise KeyError(f"lookup of {SECRET}")
    except KeyError as exc:
        raise RuntimeError("wrapper") from exc


def _fails_with_a_credential_url() -> None:
    raise ConnectionError("https://ops:pw-99887766@db.example/ refused")


def _fails_in_an_exception_group() -> None:
    raise ExceptionGroup("several", [ValueError(f"inner {SECRET}"), KeyError("other")])  # noqa: F821 - 3.11+


def _fails_with_a_note() -> None:
    error = RuntimeError("plain")
    error.add_note(f"while reading {SECRET}")  # type: ignore[attr-defined]  # 3.11+
    raise error


FAILURES = [_fails_in_message, _fails_with_a_secret_local, _fails_with_a_secret_argument, _fails_in_a_chain,
            _fails_with_a_credential_url]
if sys.version_info >= (3, 11):  # exception groups and notes: what pytest prints of them
    FAILURES += [_fails_in_an_exception_group, _fails_with_a_note]


def representation(fail, style: str, showlocals: bool):
    try:
        fail()
    except Exception:
        excinfo = ExceptionInfo.from_current()
    return excinfo.getrepr(style=style, showlocals=showlocals, funcargs=True, chain=True)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("showlocals", [False, True], ids=["plain", "showlocals"])
@pytest.mark.parametrize("fail", FAILURES, ids=lambda f: f.__name__)
def test_what_masking_finds_in_the_printed_failure_it_finds_in_its_strings(fail, style, showlocals):
    redactor = Redactor([SECRET])
    longrepr = representation(fail, style, showlocals)
    strings = failure_strings(longrepr)
    assert strings is not None  # pytest's own representation: walked, not printed
    if not redactor.clean([str(longrepr)]):
        assert not redactor.clean(strings), (style, str(longrepr))


def test_each_failure_here_shows_something_to_mask_somewhere():
    # the cases above test something: with locals and long tracebacks, every failure prints a secret
    redactor = Redactor([SECRET])
    for fail in FAILURES:
        longrepr = representation(fail, "long", True)
        assert not redactor.clean([str(longrepr)]), fail.__name__
        assert not redactor.clean(failure_strings(longrepr)), fail.__name__


def test_the_joined_argument_line_is_looked_at():
    redactor = Redactor()
    longrepr = representation(_fails_with_a_secret_argument, "long", False)
    assert "token = 'abcd1234efgh'" in str(longrepr)
    assert not redactor.clean(failure_strings(longrepr))


def test_a_representation_of_another_kind_is_printed_to_be_looked_at():
    class PluginRepr:
        def __str__(self) -> str:
            return f"custom failure {SECRET}"

    assert failure_strings(PluginRepr()) is None
    assert failure_strings("plain text") == ["plain text"]
    assert failure_strings(("path.py", 3, "Skipped: reason")) == ["Skipped: reason", "path.py"]
