"""Secrets out of what pytest itself prints and writes: failure reports (terminal, junitxml,
xdist), captured output, log records and warnings. The masking is the Redactor's; this module
only applies it to pytest's objects."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from pytest_launch.redact import Redactor


def redact_report(report: pytest.TestReport, redactor: Redactor) -> None:
    """Secrets never reach pytest's own terminal output, junitxml or our reports."""
    if report.longrepr is not None:
        text = str(report.longrepr)
        masked = redactor.text(text)
        if masked != text:
            if isinstance(report.longrepr, tuple):
                path, lineno, reason = report.longrepr
                report.longrepr = (path, lineno, redactor.text(str(reason)))
            else:
                # Mask pytest's own repr objects in place, so that they keep their shape (the
                # short summary's crash line, xdist serialisation); fall back to plain text.
                _mask_repr(report.longrepr, redactor)
                if redactor.text(str(report.longrepr)) != str(report.longrepr):
                    crash = getattr(report.longrepr, "reprcrash", None)
                    report.longrepr = RedactedRepr(masked, redactor.text(crash.message) if crash else masked,
                                                   crash.path if crash else "", crash.lineno if crash else 0)
    if report.sections:
        report.sections = [(title, redactor.text(content)) for title, content in report.sections]


def _mask_repr(value: Any, redactor: Redactor, depth: int = 0) -> Any:
    """`value` with every string masked; pytest's repr objects (_pytest._code) are changed in place."""
    if isinstance(value, str):
        return redactor.text(value)
    if depth > 10:
        return value
    if isinstance(value, list):
        return [_mask_repr(v, redactor, depth + 1) for v in value]
    if isinstance(value, tuple):
        return tuple(_mask_repr(v, redactor, depth + 1) for v in value)
    if type(value).__module__.startswith("_pytest._code") and hasattr(value, "__dict__"):
        for name, attr in list(vars(value).items()):
            if name != "style":  # "long"/"short"/...: a keyword, not text
                object.__setattr__(value, name, _mask_repr(attr, redactor, depth + 1))
    return value


class RedactedRepr:
    """A failure representation whose secrets were masked; prints as pytest would."""

    def __init__(self, text: str, crash_message: str, path: str, lineno: int) -> None:
        from _pytest._code.code import ReprFileLocation

        self.text = text
        self.reprcrash = ReprFileLocation(path, lineno, crash_message)

    def toterminal(self, tw: Any) -> None:
        for line in self.text.splitlines():
            tw.line(line)

    def __str__(self) -> str:
        return self.text


class LogRedactor(logging.Filter):
    """Masks secrets in a log record (message and exception text) before a handler writes it."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: logging reports it itself
            return True
        masked = self.redactor.text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor.text(record.exc_text)
        return True


class WarningRedactor:
    """Masks secrets in warnings (`warnings.warn(f"... {token}")`) before pytest's warnings
    summary, junitxml or xdist see them."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor

    @pytest.hookimpl(tryfirst=True)
    def pytest_warning_recorded(self, warning_message: Any) -> None:
        text = str(warning_message.message)
        masked = self.redactor.text(text)
        if masked != text:
            try:
                warning_message.message = warning_message.category(masked)
            except Exception:  # a warning class with another signature
                warning_message.message = UserWarning(masked)
