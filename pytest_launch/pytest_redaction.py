"""Secrets out of what pytest itself prints and writes: node ids (parametrize ids), test and
collection reports (terminal, junitxml, xdist), captured output, log records, warnings and
pytest's --debug log. The masking is the Redactor's; this module only applies it to pytest's
objects."""

from __future__ import annotations

import logging
from collections.abc import Generator
from typing import Any

import pytest

from pytest_launch.redact import Redactor


def redact_report(report: pytest.TestReport | pytest.CollectReport, redactor: Redactor) -> None:
    """Secrets never reach pytest's own terminal output, junitxml or our reports: the node id,
    location and keywords (a parametrize id holding a secret), the failure and the sections."""
    report.nodeid = redactor.text(report.nodeid)
    location = vars(report).get("location")  # a TestReport's; a CollectReport's is computed from its id
    if isinstance(location, tuple) and len(location) == 3:
        report.location = (location[0], location[1], redactor.text(str(location[2])))
    keywords = getattr(report, "keywords", None)
    if isinstance(keywords, dict):
        report.keywords = {redactor.text(str(k)): v for k, v in keywords.items()}
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


def mask_node_id(item: pytest.Item, redactor: Redactor, taken: set[str]) -> None:
    """Give an item whose id holds a secret (`test_login[token-SECRET]`) a masked id and name, so
    that every output showing it (-v, -rA, junitxml, xdist, Allure, our reports) shows the mask.
    Two ids that differ only by their secret get a counter: node ids stay unique."""
    nodeid = item.nodeid
    masked = redactor.text(nodeid)
    if masked != nodeid:
        base, count = masked, 1
        while masked in taken:
            count += 1
            masked = f"{base[:-1]}-{count}]" if base.endswith("]") else f"{base}-{count}"
        old_name = item.name
        prefix = item.parent.nodeid + "::" if item.parent is not None and item.parent.nodeid else ""
        _set_node_id(item, masked)
        item.name = masked[len(prefix):] if masked.startswith(prefix) else redactor.text(old_name)
        item.__dict__.pop("location", None)  # computed from the name, when first asked
        own = getattr(item.keywords, "_markers", None)
        if isinstance(own, dict):
            for key in [k for k in own if redactor.text(str(k)) != k]:
                own[redactor.text(str(key))] = own.pop(key)
            own.setdefault(item.name, True)
    taken.add(masked)


def _set_node_id(item: pytest.Item, nodeid: str) -> None:
    """pytest keeps an item's id as `_id` (a NodeId, pytest 9) or `_nodeid` (a str, before)."""
    if hasattr(item, "_id"):
        from _pytest.nodeid import NodeId

        item._id = NodeId.parse(nodeid)
    else:
        item._nodeid = nodeid


class PytestRedactor:
    """The hooks that mask pytest's own objects: node ids as items are collected, collection
    reports (a `ValueError` raised in pytest_generate_tests), warnings
    (`warnings.warn(f"... {token}")`) before pytest's summary, junitxml or xdist see them."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self._node_ids: set[str] = set()

    @pytest.hookimpl(tryfirst=True)
    def pytest_itemcollected(self, item: pytest.Item) -> None:
        mask_node_id(item, self.redactor, self._node_ids)

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Generator[None, Any, Any]:
        report = yield
        redact_report(report, self.redactor)
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_warning_recorded(self, warning_message: Any) -> None:
        text = str(warning_message.message)
        masked = self.redactor.text(text)
        if masked != text:
            try:
                warning_message.message = warning_message.category(masked)
            except Exception:  # a warning class with another signature
                warning_message.message = UserWarning(masked)
