"""go-no-go.json: the versioned results document every other output is rendered from.

`build_document` turns the decision and its inputs into the document; `document_inputs`
reads the inputs back, so `launch merge` can recompute the verdict with the same
`decide`; `read_document` validates a file against the shipped JSON Schema.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pytest_launch import __version__
from pytest_launch.config.policy import Policy
from pytest_launch.core.errors import ConfigError
from pytest_launch.core.model import (
    ALL_ENVIRONMENTS,
    SCHEMA_VERSION,
    ChecklistItem,
    CheckResult,
    Decision,
    RunInfo,
    Signoff,
    Waiver,
    display_verdict,
)
from pytest_launch.core.redact import Redactor, copy_with_strings, map_strings, strings_of
from pytest_launch.outputs.atomic import write_bytes_atomic


def _waiver_dict(waiver: Waiver) -> dict[str, Any]:
    return {"check": waiver.check, "reason": waiver.reason, "owner": waiver.owner,
            "approved_by": waiver.approved_by, "expires": waiver.expires.isoformat(),
            "created": waiver.created.isoformat() if waiver.created else None,
            "environments": list(waiver.environments), "accepts": list(waiver.accepts),
            "everywhere": ALL_ENVIRONMENTS in waiver.environments,
            "accepts_no_evidence": sorted(o for o in waiver.accepted_outcomes if o != "failed")}


def build_document(
    decision: Decision,
    checks: list[CheckResult],
    checklist: list[ChecklistItem],
    run: RunInfo,
    policy: Policy,
    environment: dict[str, Any],
    redactor: Redactor | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The results document for one decision; every string passes through the redactor."""
    run_dict = dataclasses.asdict(run)
    # complete: the evidence is whole and covers the decision's whole scope
    run_dict["complete"] = decision.complete and decision.scope.get("complete", True)
    run_dict["incomplete_reasons"] = [r.text for r in decision.reasons
                                      if r.code in ("partial", "not_evaluated", "incomplete")]
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "pytest-launch", "version": __version__},
        "verdict": decision.verdict,
        "display_verdict": display_verdict(decision.verdict, run.stage),
        "headline": decision.headline,
        "reasons": [dataclasses.asdict(r) for r in decision.reasons],
        "environment": environment,
        "run": run_dict,
        "policy": policy.to_dict(),
        "checks": [
            {
                "nodeid": c.nodeid, "outcome": c.outcome, "kind": c.kind, "title": c.title,
                "phase": c.phase, "category": c.category, "severity": c.severity,
                "severity_defaulted": c.severity_defaulted, "blocking": decision.blocking.get(c.nodeid, True),
                "owner": c.owner, "checklist": c.checklist, "rollback_trigger": c.rollback_trigger,
                "destructive": c.destructive, "duration_s": round(c.duration_s, 4), "evidence": c.evidence,
                "message": c.message,
                "waiver": _waiver_dict(decision.waived[c.nodeid]) if c.nodeid in decision.waived else None,
                "source": c.source,
            }
            for c in checks
        ],
        "checklist": [
            {**dataclasses.asdict(cov.item), "status": cov.status, "checks": cov.checks}
            for cov in decision.coverage
        ],
        "waivers": [{**_waiver_dict(s.waiver), "status": s.status, "matched": s.matched,
                     "triggers_not_waived": s.triggers_not_waived} for s in decision.waivers],
        "signoffs": [
            {"item": s.signoff.item, "by": s.signoff.by, "at": s.signoff.at.isoformat(),
             "evidence": s.signoff.evidence,
             "expires": s.signoff.expires.isoformat() if s.signoff.expires else None, "status": s.status,
             "environments": list(s.signoff.environments), "release": s.signoff.release,
             "everywhere": ALL_ENVIRONMENTS in s.signoff.environments,
             # the release this sign-off covered in this run (None: it is not bound to one)
             "covered_release": run.release if s.signoff.release is not None and s.status == "valid" else None}
            for s in decision.signoffs
        ],
        "summary": decision.summary,
        "scope": {**decision.scope, "selection": {"markexpr": run.markexpr, "keyword": run.keywordexpr,
                                                  "args": run_dict["args"], "stage": run.stage}},
    }
    if extra:
        doc.update(extra)
    return _masked_document(doc, redactor or Redactor())


_PLAIN = frozenset({str, int, float, bool, type(None)})  # a value with no string inside, or a string


def _masked_document(doc: dict[str, Any], redactor: Redactor) -> dict[str, Any]:
    """The document with every string masked, made to encode as UTF-8. Its strings are looked at
    together (see Redactor.clean); only a document that holds something to mask, or a string
    that does not encode, is gone through string by string, in a copy (Redactor.data).

    The check entries, nearly all of the document, were made just now from the checks: they are
    not copied when clean (issue 16), and their strings are gathered from their values (every
    entry has the same keys, looked at once). The rest is copied as Redactor.data copies it."""
    entries: list[dict[str, Any]] = doc["checks"]
    rest, texts = copy_with_strings({key: value for key, value in doc.items() if key != "checks"})
    if entries:
        values = [value for entry in entries for value in entry.values()]
        texts += entries[0]
        texts += [value for value in values if type(value) is str]
        # evidence, waivers (an empty one, most checks' evidence, holds no string)
        texts += strings_of([value for value in values if value and type(value) not in _PLAIN])
    joined = "\n".join(texts)
    if redactor.text(joined) == joined:
        masked = {key: entries if key == "checks" else rest[key] for key in doc}
    else:
        masked = redactor.data(doc)
    if not encodes_as_utf8(joined):
        masked = map_strings(masked, valid_text)
    return masked


def encodes_as_utf8(text: str) -> bool:
    """True when `text` encodes as UTF-8 (it holds no lone surrogate)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def valid_text(value: str) -> str:
    """`value` made to encode as UTF-8: a lone surrogate (from bytes that were not UTF-8, decoded
    with surrogateescape) becomes U+FFFD instead of failing every writer."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        try:  # surrogateescape'd bytes back to bytes: one U+FFFD per bad byte
            raw = value.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            raw = value.encode("utf-8", "surrogatepass")
        return raw.decode("utf-8", "replace")
    return value


def document_inputs(doc: dict[str, Any]) -> tuple[list[CheckResult], list[ChecklistItem], list[Waiver],
                                                   list[Signoff], RunInfo, Policy]:
    """The inputs of `decide` as recorded in a results document."""
    check_fields = {f.name for f in dataclasses.fields(CheckResult)}
    checks = [CheckResult(**{k: v for k, v in c.items() if k in check_fields}) for c in doc["checks"]]
    item_fields = {f.name for f in dataclasses.fields(ChecklistItem)}
    checklist = [ChecklistItem(**{k: v for k, v in i.items() if k in item_fields}) for i in doc["checklist"]]
    # approvals without their environments (an older document) apply nowhere: fail-safe
    waivers = [Waiver(check=w["check"], reason=w["reason"], owner=w["owner"], approved_by=w["approved_by"],
                      expires=dt.date.fromisoformat(w["expires"]), environments=list(w.get("environments") or []),
                      created=dt.date.fromisoformat(w["created"]) if w.get("created") else None,
                      accepts=list(w.get("accepts") or []))
               for w in doc["waivers"]]
    signoffs = [Signoff(item=s["item"], by=s["by"], at=dt.date.fromisoformat(s["at"]), evidence=s["evidence"],
                        environments=list(s.get("environments") or []), release=s.get("release"),
                        expires=dt.date.fromisoformat(s["expires"]) if s.get("expires") else None)
                for s in doc["signoffs"]]
    run_fields = {f.name for f in dataclasses.fields(RunInfo)}
    run = RunInfo(**{k: v for k, v in doc["run"].items() if k in run_fields})
    policy_fields = {f.name for f in dataclasses.fields(Policy)}
    policy = Policy(**{k: v for k, v in doc.get("policy", {}).items() if k in policy_fields})
    return checks, checklist, waivers, signoffs, run, policy


@lru_cache(maxsize=1)
def results_schema() -> dict[str, Any]:
    """The JSON Schema of the results document, shipped in the package."""
    text = resources.files("pytest_launch.outputs").joinpath("results.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate_document(doc: Any, source: str = "results document") -> None:
    """Raise ConfigError unless `doc` is a results document of the schema version we read."""
    import jsonschema

    if not isinstance(doc, dict):
        raise ConfigError(source, None, "a JSON object", type(doc).__name__)
    version = doc.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ConfigError(source, "schema_version", f"{SCHEMA_VERSION} (this pytest-launch {__version__} reads it)",
                          repr(version))
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(results_schema()).iter_errors(doc))
    if error is not None:
        key = ".".join(str(p) for p in error.absolute_path) or None
        raise ConfigError(source, key, "a value matching the results schema", error.message[:200])


def read_document(path: Path) -> dict[str, Any]:
    """Load and validate a go-no-go.json file."""
    try:
        text = Path(path).read_text("utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), None, "an existing results file", "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), None, "a readable UTF-8 results file", str(exc)) from None
    try:
        doc: dict[str, Any] = json.loads(text)  # validate_document refuses anything but a results document
    except json.JSONDecodeError as exc:
        raise ConfigError(str(path), None, "valid JSON", f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    validate_document(doc, str(path))
    return doc


# one encoder for every entry (json.dumps with options makes a new one per call). json, not a
# faster library: orjson wrote the document in 2 ms instead of 25-48, but it holds a few of the
# standard library's objects for good (dataclasses._FIELD among them), which keeps `typing`
# alive through the interpreter's shutdown, and with it, through typing's caches and overload
# registry, every pytest module: the shutdown then walks the whole heap once more, 200-280 ms
# on 3,000 checks (issue 16, measured; docs/performance.md, "Seventh round")
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False)


def dump_bytes(doc: dict[str, Any]) -> bytes:
    """The document as UTF-8 JSON: one top-level key per line and, in its lists, one entry per
    line (a check, a reason, a checklist item), so that a diff or grep of two runs reads check by
    check (in_progress.py reads the "run" line alone by that). Each line is encoded by json's C
    encoder; json's indented dump is pure Python, several times slower."""
    encode = _ENCODER.encode
    lines = []
    for key, value in doc.items():
        if isinstance(value, list) and value:
            text = "[\n  " + ",\n  ".join(encode(entry) for entry in value) + "\n ]"
        else:
            text = encode(value)
        lines.append(f" {encode(key)}: {text}")
    return ("{\n" + ",\n".join(lines) + "\n}\n").encode("utf-8")


def write_document(path: Path, doc: dict[str, Any]) -> None:
    """Write the document atomically: the previous file stays whole until the new one is complete."""
    write_bytes_atomic(path, dump_bytes(doc))
