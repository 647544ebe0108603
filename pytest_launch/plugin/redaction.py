"""Secrets out of what pytest itself prints and writes: node ids (parametrize ids), test and
collection reports (terminal, junitxml, xdist), captured output, log records, warnings and
pytest's --debug log. The masking is the Redactor's; this module only applies it to pytest's
objects."""

from __future__ import annotations

import logging
import sys
from collections.abc import Generator
from typing import Any, TextIO

import pytest
from _pytest._code.code import ReprFileLocation, ReprFuncArgs

from pytest_launch.core.redact import Redactor


def redact_report(report: pytest.TestReport | pytest.CollectReport, redactor: Redactor,
                  shared_clean: bool = False) -> None:
    """Secrets never reach pytest's own terminal output, junitxml or our reports: the node id,
    location and keywords (a parametrize id holding a secret), the failure and the sections.
    All of them are looked at in one pass first (Redactor.clean): a report with nothing to mask,
    nearly every report, is left as it is without a look at each string. `shared_clean`: the
    node id, location and keywords were found clean for the check at the end of collection
    (clean_shared_parts: they are the check's, not the report's) and are not looked at again."""
    if shared_clean and report.longrepr is None and not report.sections:
        return  # nearly every report of a check: nothing of its own to look at
    location = vars(report).get("location")  # a TestReport's; a CollectReport's is computed from its id
    keywords = getattr(report, "keywords", None)
    parts = []
    if not shared_clean:
        parts.append(report.nodeid)
        if isinstance(location, tuple) and len(location) == 3:
            parts.append(str(location[2]))
        if isinstance(keywords, dict):
            parts += [str(k) for k in keywords]
    if report.longrepr is not None:
        strings = failure_strings(report.longrepr)
        parts += strings if strings is not None else [str(report.longrepr)]
    if report.sections:
        parts += [content for _, content in report.sections]
    if not parts or redactor.clean(parts):
        return
    report.nodeid = redactor.text(report.nodeid)
    if isinstance(location, tuple) and len(location) == 3:
        setattr(report, "location", (location[0], location[1], redactor.text(str(location[2]))))  # noqa: B010 - a TestReport's attribute (a CollectReport's is a read-only property)
    if isinstance(keywords, dict):
        setattr(report, "keywords", {redactor.text(str(k)): v for k, v in keywords.items()})  # noqa: B010 - TestReport only
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
                    report.longrepr = RedactedRepr(  # type: ignore[assignment]  # duck-types TerminalRepr
                        masked, redactor.text(crash.message) if crash else masked,
                        crash.path if crash else "", crash.lineno if crash else 0)
    if report.sections:
        report.sections = [(title, redactor.text(content)) for title, content in report.sections]


def clean_shared_parts(items: list[pytest.Item], redactor: Redactor) -> list[int] | None:
    """What each item's reports will share (node id, location, keywords) looked at for all the
    items at once: the number of keywords of each item when nothing of them is to be masked,
    else None (then each report is looked at whole). Keywords only grow while a check runs, so
    a report with as many keywords as counted here has the same ones."""
    texts: list[str] = []
    counts: list[int] = []
    inherited: dict[Any, set[Any]] = {}  # a parent's keywords, read once for all its items
    for item in items:
        texts.append(item.nodeid)
        texts.append(str(item.location[2]))
        own = getattr(item.keywords, "_markers", None)
        if not isinstance(own, dict) or item.parent is None:  # not pytest's NodeKeywords: walk it all
            keywords = dict.fromkeys(item.keywords, 1)  # as pytest's TestReport takes them
            texts += map(str, keywords)
            counts.append(len(keywords))
            continue
        # pytest's NodeKeywords: the item's own, then its parent's that are not its own
        above = inherited.get(item.parent)
        if above is None:
            above = inherited[item.parent] = set(item.parent.keywords)
            texts += map(str, above)
        texts += map(str, own)
        counts.append(len(own) + len(above) - sum(1 for keyword in own if keyword in above))
    return counts if redactor.clean(texts) else None


def failure_strings(longrepr: object) -> list[str] | None:
    """Every string pytest prints for a failure representation, without printing it (rendering
    one costs more than looking at its text, issue 16): the strings of pytest's own repr objects
    (_pytest._code.code), and the lines pytest makes by joining two of them (`name = value` of a
    function's arguments, `path:lineno: message` of the crash). None for a representation of
    another kind (a plugin's own): then its printed text is looked at."""
    found: list[str] = []
    stack: list[Any] = [longrepr]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
        elif value is None or isinstance(value, (bool, int, float)):
            continue
        elif isinstance(value, ReprFuncArgs):
            shown = [f"{name} = {arg}" for name, arg in value.args]
            found += shown
            found.append(", ".join(shown))
        elif isinstance(value, ReprFileLocation):
            found.append(f"{value.path}:{value.lineno}: {value.message}")
        elif type(value).__module__ == "_pytest._code.code" and hasattr(value, "__dict__"):
            stack.extend(vars(value).values())
        else:
            return None
    return found


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
    base, count = masked, 1
    while masked in taken:  # a masked id may meet another masked id, or a literal "[***]"
        count += 1
        masked = f"{base[:-1]}-{count}]" if base.endswith("]") else f"{base}-{count}"
    if masked != nodeid:
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
        setattr(item, "_nodeid", nodeid)  # noqa: B010 - pytest's private attribute, untyped


class PytestRedactor:
    """The hooks that mask pytest's own objects: node ids as items are collected, collection
    reports (a `ValueError` raised in pytest_generate_tests), warnings
    (`warnings.warn(f"... {token}")`) before pytest's summary, junitxml or xdist see them."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self._node_ids: set[str] = set()
        # ids of items found clean with the other items of their collector, in one pass, before
        # any hook saw them (pytest_make_collect_report): not looked at again one by one (issue 16)
        self._clean_ids: set[str] = set()

    @pytest.hookimpl(trylast=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        session.config.stash[_LIVE_MASKED] = mask_live_output(session.config, self.redactor)
        if hasattr(session.config, "workerinput"):
            return
        line = unmasked_warning(session.config, self.redactor)
        terminal = session.config.pluginmanager.get_plugin("terminalreporter")
        if line is not None and terminal is not None:
            terminal.write_line(line, yellow=True, bold=True)

    @pytest.hookimpl(tryfirst=True)
    def pytest_itemcollected(self, item: pytest.Item) -> None:
        nodeid = item.nodeid
        if nodeid in self._clean_ids and nodeid not in self._node_ids:
            self._node_ids.add(nodeid)  # nothing to mask, and no other item has this id
            return
        mask_node_id(item, self.redactor, self._node_ids)

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Generator[None, Any, Any]:
        report = yield
        redact_report(report, self.redactor)
        # the ids of the items this collector made, all looked at in one pass (Redactor.clean)
        # before pytest hands the items to any hook; an id with something to mask, or changed
        # before pytest_itemcollected, is looked at there on its own
        ids = [node.nodeid for node in report.result if isinstance(node, pytest.Item)]
        if ids and self.redactor.clean(ids):
            self._clean_ids.update(ids)
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


# -- modes in which pytest writes without us (issue 11 item 11) -------------------------------------

_LIVE_MASKED = pytest.StashKey[bool]()

# the plugins that mask pytest's own output: with secrets loaded, blocking one is a usage error
REDACTING_PLUGINS = ("launch-redactor", "launch-warning-redactor", "launch-allure-redactor")


def refuse_blocked_redactors(config: pytest.Config, redactor: Redactor) -> None:
    """`-p no:launch-redactor` would print the environment's secrets: refused while there are any."""
    if not redactor.secrets:
        return
    for name in REDACTING_PLUGINS:
        if config.pluginmanager.is_blocked(name):
            raise pytest.UsageError(
                f"-p no:{name}: this part of pytest-launch masks the environment's ${{VAR}} secrets in pytest's "
                f"own output; it cannot be disabled while the environment has secrets")


def mask_debug_log(config: pytest.Config, redactor: Redactor) -> bool:
    """pytest's --debug log (and PYTEST_DEBUG's trace on stderr) through the redactor, from the
    moment the secrets are known (nothing before holds them); False when it cannot be done."""
    root = getattr(getattr(config, "trace", None), "root", None)
    writer = getattr(root, "_writer", None)  # pluggy's TagTracer keeps its writer here
    if root is None or writer is None or not redactor.secrets:
        return root is not None
    if getattr(writer, "launch_masked", False):
        return True

    def masked_writer(text: str) -> None:
        writer(redactor.text(text))

    masked_writer.launch_masked = True  # type: ignore[attr-defined]
    root.setwriter(masked_writer)
    return True


class MaskingStream:
    """A text stream that masks what is written, a line at a time (a secret printed in pieces,
    `print("token", token)`, is whole by the end of the line), before the stream it wraps."""

    def __init__(self, stream: TextIO, redactor: Redactor) -> None:
        self.stream = stream
        self.redactor = redactor
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        cut = self._pending.rfind("\n") + 1
        if cut:
            self.stream.write(self.redactor.text(self._pending[:cut]))
            self._pending = self._pending[cut:]
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self.stream.write(self.redactor.text(self._pending))
            self._pending = ""
        self.stream.flush()

    def __getattr__(self, name: str) -> Any:  # encoding, isatty, fileno, ...
        return getattr(self.stream, name)


def mask_live_output(config: pytest.Config, redactor: Redactor) -> bool:
    """What the checks print through Python's sys.stdout/sys.stderr, masked on its way to the
    terminal under -s/--capture=no and in tee-sys's live copy; False when this pytest keeps the
    live copy where we cannot reach it. (Output written below Python, by subprocesses or
    os.write, reaches the terminal only under no/sys/tee-sys capture and cannot be masked.)"""
    if not redactor.secrets:
        return True
    capture = config.getoption("capture", "fd")
    if capture == "no":
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = MaskingStream(sys.stdout, redactor), MaskingStream(sys.stderr, redactor)

        def restore() -> None:
            for stream in (sys.stdout, sys.stderr):
                if isinstance(stream, MaskingStream):
                    stream.flush()
            sys.stdout, sys.stderr = saved

        config.add_cleanup(restore)
        return True
    if capture == "tee-sys":
        capman = config.pluginmanager.get_plugin("capturemanager")
        capturing = getattr(capman, "_global_capturing", None)
        tees = [getattr(getattr(capturing, name, None), "tmpfile", None) for name in ("out", "err")]
        if not tees or not all(hasattr(tee, "_other") for tee in tees):
            return False
        for tee in [t for t in tees if t is not None]:  # pytest's TeeCaptureIO writes its live copy to `_other`
            if not isinstance(tee._other, MaskingStream):
                tee._other = MaskingStream(tee._other, redactor)
        return True
    return True


def unmasked_modes(config: pytest.Config) -> list[str]:
    """The options of this run under which pytest or Python write to the terminal without us."""
    modes = []
    capture = config.getoption("capture", "fd")
    if capture in ("no", "sys", "tee-sys"):
        modes.append(f"--capture={capture} (output written below Python, by subprocesses or os.write)")
    if capture == "tee-sys" and not config.stash.get(_LIVE_MASKED, False):
        modes.append("--capture=tee-sys (the live copy of the checks' output; the captured copy is masked)")
    if config.pluginmanager.is_blocked("warnings"):
        modes.append("-p no:warnings (Python prints warnings itself)")
    if config.getoption("usepdb", False) or config.getoption("trace", False):
        modes.append("--pdb/--trace (the debugger shows values as they are)")
    if config.getoption("setupshow", False) or config.getoption("setuponly", False):
        modes.append("--setup-show/--setup-only (fixture parameters are printed as they are)")
    return modes


def unmasked_warning(config: pytest.Config, redactor: Redactor) -> str | None:
    """The one line the terminal shows when the run has secrets and uses a mode we cannot mask."""
    modes = unmasked_modes(config)
    if not redactor.secrets or not modes:
        return None
    return ("pytest-launch: WARNING: secrets from the environment are NOT masked in output written under "
            + "; ".join(modes) + " (reports, junitxml, Allure and logs stay masked)")
