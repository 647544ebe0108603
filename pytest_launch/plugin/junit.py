"""The `launch-decision` testcase in pytest's own --junitxml file, so a CI system that reads only
JUnit shows the decision.

The testcase goes through pytest's junitxml plugin (its LogXML, only on the controller under
xdist), fed a synthetic report of its own, before LogXML writes the file at the end of the session:

- NO_GO and ROLLBACK: a failure whose message is the verdict and the headline, and whose text is
  every reason, blocking first;
- GO_WITH_RISKS: a passed testcase (the launch may go) with the risks in its <system-out>;
- GO: a passed testcase with the headline in its <system-out>;
- no decision (the report could not be written): a failure saying so, never a silent pass.

The testcase is never seen by pytest's other plugins (the terminal counts, our own results): only
LogXML receives the report. Every string passes through the run's redactor.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from pytest_launch.core.redact import Redactor
from pytest_launch.plugin.redaction import RedactedRepr

NODEID = "pytest_launch::launch-decision"  # classname pytest_launch, name launch-decision
FAILING_VERDICTS = frozenset({"NO_GO", "ROLLBACK"})


def _log_xml(config: pytest.Config) -> Any | None:
    """pytest's LogXML of this run (None without --junitxml, on an xdist worker, or when the
    junitxml plugin is disabled)."""
    try:
        from _pytest.junitxml import xml_key
    except ImportError:  # pragma: no cover - a pytest without its junitxml plugin
        return None
    return config.stash.get(xml_key, None)


def writes_junit(config: pytest.Config) -> bool:
    """True when this run writes a JUnit file (its decision case is added at the session's end)."""
    return _log_xml(config) is not None


def decision_text(doc: dict[str, Any], report_url: str | None = None) -> tuple[str, str]:
    """(message, details) of the decision: "NO_GO: <headline>; BLOCKING: <reason>; ..." (pytest
    shortens a long message attribute) and the whole decision, one line per reason."""
    verdict = str(doc.get("verdict") or "NO_GO")
    display = str(doc.get("display_verdict") or verdict)
    word = verdict if display.replace("-", "_").replace(" ", "_") == verdict else f"{verdict} ({display})"
    headline = f"{word}: {doc.get('headline') or ''}".strip()
    reasons = [r for r in doc.get("reasons") or [] if isinstance(r, dict)]
    reasons.sort(key=lambda r: not r.get("blocking"))
    blocking = [str(r.get("text") or "") for r in reasons if r.get("blocking")]
    message = "; ".join([headline] + [f"BLOCKING: {text}" for text in blocking])
    lines = [headline, ""]
    for reason in reasons:
        mark = "BLOCKING" if reason.get("blocking") else "risk" if reason.get("code") in (
            "waived", "nonblocking_failed") else "note"
        lines.append(f"{mark}: {reason.get('text') or ''}")
    if not reasons:
        lines.append("no blockers, no risks")
    run = doc.get("run") or {}
    scope = ", ".join(str(p) for p in run.get("scope_phases") or []) or "(no phase)"
    lines += ["", f"environment: {(doc.get('environment') or {}).get('name')}; phases: {scope}"]
    if run.get("judged_on"):
        lines.append(f"judged on {run['judged_on']}")
    report_url = report_url or doc.get("report_url")
    if report_url:
        lines.append(f"report: {report_url}")
    return message, "\n".join(lines)


def add_decision_testcase(config: pytest.Config, doc: dict[str, Any] | None, redactor: Redactor,
                          *, problem: str | None = None, report_url: str | None = None) -> bool:
    """Add the launch-decision testcase to this run's JUnit file; True when there is one to add to.
    `doc` None: no decision was made (`problem` says why), recorded as a failure."""
    xml = _log_xml(config)
    if xml is None:
        return False
    if doc is None:
        message = f"NO DECISION: {problem or 'the launch decision was not made'}"
        details, failed = message, True
    else:
        message, details = decision_text(doc, report_url)
        failed = doc.get("verdict") not in ("GO", "GO_WITH_RISKS")
    message, details = redactor.text(message), redactor.text(details)
    location = ("pytest_launch", None, "launch-decision")
    longrepr = RedactedRepr(details, message, "pytest_launch", 0) if failed else None
    call = pytest.TestReport(NODEID, location, {}, "failed" if failed else "passed",
                             longrepr, "call")  # type: ignore[arg-type]  # RedactedRepr duck-types TerminalRepr
    xml.pytest_runtest_logreport(call)
    if not failed:  # a failure's text already holds the whole decision
        out = ET.Element("system-out")
        out.text = details
        xml.node_reporter(call).append(out)
    xml.pytest_runtest_logreport(pytest.TestReport(NODEID, location, {}, "passed", None, "teardown"))
    return True
