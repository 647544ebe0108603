"""No secret in Allure results (issue 11 item 8): every string allure-pytest would write is
masked by the run's Redactor before its file logger writes it.

A pytest plugin module, registered by the core plugin when allure-pytest is active
(`--alluredir`) and the environment has secrets. allure-pytest (2.13 .. 2.16) writes through
`allure_commons.logger.AllureFileLogger`, a plugin of allure's own plugin manager
(`allure_commons.plugin_manager`) whose `report_result`, `report_container`, `report_globals`
and `report_attached_*` hooks write the files. At session start this module puts a masking
stand-in in its place: the stand-in masks every string of the result objects (name, fullName,
statusDetails message and trace, parameters, steps, labels, links, attachments' names) and
the text attachments (captured stdout/stderr/log, `allure.attach`), then hands them to the
original logger. Binary attachments (screenshots) are written as they are: they cannot be
masked.

Node ids with a secret are already masked when the items are collected
(pytest_redaction.mask_node_id), so allure's own names and history ids start masked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import allure_commons
import pytest
from allure_commons.logger import AllureFileLogger

from pytest_launch.core.redact import Redactor

_MAX_DEPTH = 20


def mask_in_place(value: Any, redactor: Redactor, depth: int = 0) -> Any:
    """`value` with every string masked: strings, lists and dicts are copied, attrs objects
    (allure's model classes) are changed in place."""
    if isinstance(value, str):
        return redactor.text(value)
    if depth > _MAX_DEPTH:
        return value
    if isinstance(value, list):
        return [mask_in_place(v, redactor, depth + 1) for v in value]
    if isinstance(value, tuple):
        return tuple(mask_in_place(v, redactor, depth + 1) for v in value)
    if isinstance(value, dict):
        return {mask_in_place(k, redactor, depth + 1): mask_in_place(v, redactor, depth + 1) for k, v in value.items()}
    fields = getattr(type(value), "__attrs_attrs__", None)
    if fields is not None:
        for field in fields:
            setattr(value, field.name, mask_in_place(getattr(value, field.name), redactor, depth + 1))
    return value


def _masked_body(body: str | bytes, redactor: Redactor) -> str | bytes:
    if isinstance(body, str):
        return redactor.text(body)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return body  # binary (a screenshot): cannot be masked
    return redactor.text(text).encode("utf-8")


class MaskingAllureLogger:
    """Stands in for allure's file logger: masks, then lets the original write."""

    def __init__(self, logger: Any, redactor: Redactor) -> None:
        self.logger = logger
        self.redactor = redactor

    @allure_commons.hookimpl
    def report_result(self, result: Any) -> None:
        self.logger.report_result(mask_in_place(result, self.redactor))

    @allure_commons.hookimpl
    def report_container(self, container: Any) -> None:
        self.logger.report_container(mask_in_place(container, self.redactor))

    @allure_commons.hookimpl
    def report_globals(self, globals_item: Any) -> None:
        self.logger.report_globals(mask_in_place(globals_item, self.redactor))

    @allure_commons.hookimpl
    def report_attached_data(self, body: str | bytes, file_name: str) -> None:
        self.logger.report_attached_data(body=_masked_body(body, self.redactor), file_name=file_name)

    @allure_commons.hookimpl
    def report_attached_file(self, source: str | Path, file_name: str) -> None:
        body = Path(source).read_bytes()
        masked = _masked_body(body, self.redactor)
        if masked is body:
            self.logger.report_attached_file(source=source, file_name=file_name)
        else:
            self.logger.report_attached_data(body=masked, file_name=file_name)


def install(redactor: Redactor, config: pytest.Config) -> int:
    """Put a masking stand-in in place of each of allure's file loggers; how many were replaced.
    At the end the originals go back, so that allure-pytest's own clean-up finds them."""
    manager = allure_commons.plugin_manager
    swapped = []
    for name, plugin in list(manager.list_name_plugin()):
        if isinstance(plugin, AllureFileLogger):
            manager.unregister(plugin=plugin, name=name)
            stand_in = MaskingAllureLogger(plugin, redactor)
            manager.register(stand_in)
            swapped.append((name, plugin, stand_in))

    def restore() -> None:
        for name, plugin, stand_in in swapped:
            if manager.is_registered(stand_in):
                manager.unregister(plugin=stand_in)
            if not manager.is_registered(plugin):
                manager.register(plugin, name)

    config.add_cleanup(restore)
    return len(swapped)


class AllureRedactor:
    """The pytest plugin: installs the masking stand-in once allure-pytest has configured itself."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        install(self.redactor, session.config)
