"""Combine the results documents of shards or regions into one, and compare two documents.

`merge_documents` never decides by hand: it rebuilds decide()'s inputs from every document
(jsonfile.document_inputs), joins them, and calls the same pure `decide` as a run does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_launch.config.policy import Policy
from pytest_launch.core.clock import JudgingDate, judging_date
from pytest_launch.core.decision import decide, incompleteness
from pytest_launch.core.errors import ConfigError
from pytest_launch.core.model import VERDICTS, ChecklistItem, CheckResult, RunInfo, Signoff, Waiver
from pytest_launch.core.vocabulary import PHASES
from pytest_launch.outputs.history import is_failing
from pytest_launch.outputs.jsonfile import build_document, document_inputs

SHARED_KINDS = ("manual", "uncovered")  # checklist-derived entries, the same in every input


def source_labels(paths: Sequence[Path], docs: Sequence[dict[str, Any]]) -> list[str]:
    """One distinct label per input: the file stem, else the environment name, else both."""
    candidates = [
        [Path(p).stem for p in paths],
        [str(d.get("environment", {}).get("name") or Path(p).stem) for p, d in zip(paths, docs)],
        [f"{Path(p).parent.name}/{Path(p).stem}" for p in paths],
    ]
    for labels in candidates:
        if len(set(labels)) == len(labels):
            return labels
    return [f"{Path(p).stem}-{index + 1}" for index, p in enumerate(paths)]


def _parse_time(value: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _joined(values: Sequence[Any], separator: str = "; ") -> str:
    seen: list[str] = []
    for value in values:
        if value not in (None, "") and str(value) not in seen:
            seen.append(str(value))
    return separator.join(seen)


def _scope_facts(runs: Sequence[RunInfo], labels: Sequence[str],
                 checks: Sequence[Sequence[CheckResult]]) -> dict[str, Any]:
    """The facts the decision needs from every input, carried into the merged run: each input's
    own incompleteness (recomputed from what it stored: a shard with no checks is incomplete),
    its partial selection, the union of the phases in scope, the environments and release.

    Partial inputs stay partial in the merge: nothing stored proves that several partial shards
    together covered every check of their phases, so such a merge is never GO."""
    problems: list[str] = []
    partial: list[str] = []
    phases: list[str] = []
    environments: list[str] = []
    for run, label, shard_checks in zip(runs, labels, checks):
        problems += [f"{label}: {text}" for text in incompleteness(run, shard_checks)]
        partial += [f"{label}: {text}" for text in run.partial]
        if run.scope_phases is None:
            partial.append(f"{label}: its scope was not recorded")
        else:
            phases += [p for p in run.scope_phases if p not in phases]
        if not run.environments:
            problems.append(f"{label}: its environment was not recorded (no approval applies)")
        environments += [e for e in (run.environments or []) if e not in environments]
    releases = {r.release for r in runs}
    return {"shard_problems": problems, "partial": partial,
            "scope_phases": [p for p in PHASES if p in phases] + [p for p in phases if p not in PHASES],
            "environments": environments, "release": releases.pop() if len(releases) == 1 else None}


def _merge_runs(runs: Sequence[RunInfo], labels: Sequence[str], files: Sequence[str]) -> RunInfo:
    stages = {r.stage for r in runs}
    if len(stages) > 1:
        raise ConfigError(", ".join(files), "run.stage", "the same --launch-stage in every input",
                          ", ".join(sorted(str(s) for s in stages)))
    starts = [t for t in (_parse_time(r.started) for r in runs) if t is not None]
    ends = [t for t in (_parse_time(r.finished) for r in runs) if t is not None]
    started = min(starts).isoformat() if starts else _joined([r.started for r in runs])
    finished = max(ends).isoformat() if ends else _joined([r.finished for r in runs])
    try:
        duration = (max(ends) - min(starts)).total_seconds() if starts and ends else max(
            r.duration_s for r in runs)
    except TypeError:  # naive and aware times mixed
        duration = max(r.duration_s for r in runs)
    interrupted = [f"{label}: {r.interrupted}" for r, label in zip(runs, labels) if r.interrupted]
    revisions = {r.git_revision for r in runs if r.git_revision}
    return RunInfo(
        started=started, finished=finished, duration_s=round(duration, 3),
        args=list(runs[0].args), markexpr=_joined([r.markexpr for r in runs], " | "),
        keywordexpr=_joined([r.keywordexpr for r in runs], " | "),
        stage=runs[0].stage, selected=sum(r.selected for r in runs),
        collection_errors=sum(r.collection_errors for r in runs),
        interrupted="; ".join(interrupted) or None,
        crashed_workers=[f"{label}/{w}" for r, label in zip(runs, labels) for w in r.crashed_workers],
        host=_joined([r.host for r in runs], ", "),
        ci_url=next((r.ci_url for r in runs if r.ci_url), None),
        git_revision=_joined(sorted(revisions), ", ") or None,
        pytest_version=runs[0].pytest_version, python_version=runs[0].python_version,
        plugin_version=runs[0].plugin_version,
        sources=[s for r, label in zip(runs, labels) for s in (r.sources or [label])],
    )


def _merge_policy(policies: Sequence[Policy]) -> Policy:
    """The strictest combination: a severity blocking in any input blocks in the merge."""
    blocking: list[str] = []
    required: list[str] = []
    for policy in policies:
        blocking += [s for s in policy.blocking_severities if s not in blocking]
        required += [r for r in policy.require_destructive if r not in required]
    return Policy(blocking_severities=blocking, require_destructive=required,
                  strict=any(p.strict for p in policies))


def _merge_environment(docs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    environments = [d.get("environment", {}) for d in docs]
    names = _joined([e.get("name") for e in environments], "+")
    if len({e.get("name") for e in environments}) == 1:
        merged = dict(environments[0])
    else:
        merged = {"name": names, "description": "merged: " + _joined(
            [e.get("description") or e.get("name") for e in environments]), "source": None}
    merged["production"] = any(bool(e.get("production")) for e in environments)
    return merged


def _unique(items: list[Any]) -> list[Any]:
    result: list[Any] = []
    for item in items:
        if item not in result:
            result.append(item)
    return result


def _environment_of(doc: dict[str, Any]) -> str | None:
    name = doc.get("environment", {}).get("name")
    return str(name) if name else None


def _phases_of(doc: dict[str, Any]) -> str | None:
    phases = doc.get("run", {}).get("scope_phases")
    return "+".join(str(p) for p in phases) if phases else None


def mixed_inputs(docs: Sequence[dict[str, Any]], files: Sequence[str]) -> list[str]:
    """What differs between the inputs that a merge of shards of one run should share: the
    environment and the phases. One sentence per difference, naming every file and its value
    ([] when they all agree). A value an input did not record is not compared here: the merge
    already treats such an input as partial (never GO)."""
    found = []
    for what, plural, value_of in (("environment", "environments", _environment_of),
                                   ("phases", "phases", _phases_of)):
        values = [(f, value_of(doc)) for f, doc in zip(files, docs)]
        if len({v for _f, v in values if v is not None}) > 1:
            found.append(f"different {plural}: " + ", ".join(f"{f} {what} {v}" for f, v in values if v is not None))
    return found


def refuse_mixed_inputs(docs: Sequence[dict[str, Any]], files: Sequence[str]) -> None:
    """ConfigError (one line naming both files and values) when the inputs are of different
    environments or phases: merged, they would make one decision of two launches."""
    mixed = mixed_inputs(docs, files)
    if mixed:
        raise ConfigError(", ".join(files), None, "results of one environment and the same phases "
                          "(--allow-mixed merges them anyway, and the merged report says so)", "; ".join(mixed))


def merge_documents(docs: Sequence[dict[str, Any]], labels: Sequence[str],
                    files: Sequence[str] | None = None,
                    today: dt.date | None = None, allow_mixed: bool = False) -> dict[str, Any]:
    """One results document from several, with one verdict from `decide`.

    Every check keeps its source (`source`: the input's label, or the source it already had in
    a merged input). A node id that ran in several inputs (the same suite against two regions)
    becomes "<nodeid> [<source>]" so each result counts, and a waiver naming that node id is
    applied to each copy. Manual and uncovered items come from the shared checklist: they are
    kept once, passed if any input had them passed (a valid sign-off is evidence anywhere).

    Inputs of different environments or phases are refused (ConfigError) unless `allow_mixed`;
    then the merged document's `mixed` lists what differed, and every rendering shows it.
    """
    if not docs:
        raise ConfigError("launch merge", None, "at least one results file", "none")
    files = list(files or labels)
    mixed = mixed_inputs(docs, files)
    if mixed and not allow_mixed:
        refuse_mixed_inputs(docs, files)
    inputs = [document_inputs(doc) for doc in docs]
    checks_per_input: list[list[CheckResult]] = [list(i[0]) for i in inputs]

    counts: dict[str, int] = {}
    for checks in checks_per_input:
        for check in checks:
            if check.kind not in SHARED_KINDS:
                counts[check.nodeid] = counts.get(check.nodeid, 0) + 1

    merged_checks: list[CheckResult] = []
    shared: dict[str, CheckResult] = {}
    renamed: dict[str, list[str]] = {}
    for checks, label in zip(checks_per_input, labels):
        for check in checks:
            if check.kind in SHARED_KINDS:
                kept = shared.get(check.nodeid)
                if kept is None:
                    shared[check.nodeid] = check
                    merged_checks.append(check)
                elif kept.outcome != "passed" and check.outcome == "passed":
                    merged_checks[merged_checks.index(kept)] = check
                    shared[check.nodeid] = check
                continue
            source = check.source or label
            if counts[check.nodeid] > 1:
                new_id = f"{check.nodeid} [{source}]"
                renamed.setdefault(check.nodeid, []).append(new_id)
                check = dataclasses.replace(check, nodeid=new_id)
            merged_checks.append(dataclasses.replace(check, source=source))

    checklist: list[ChecklistItem] = []
    seen_items: set[str] = set()
    for _checks, items, *_rest in inputs:
        for item in items:
            if item.id not in seen_items:
                seen_items.add(item.id)
                checklist.append(item)

    waivers: list[Waiver] = []
    for waiver in _unique([w for i in inputs for w in i[2]]):
        if waiver.check in renamed:
            waivers += [dataclasses.replace(waiver, check=new_id) for new_id in renamed[waiver.check]]
        else:
            waivers.append(waiver)
    signoffs: list[Signoff] = _unique([s for i in inputs for s in i[3]])
    run = _merge_runs([i[4] for i in inputs], labels, files)
    for key, value in _scope_facts([i[4] for i in inputs], labels, checks_per_input).items():
        setattr(run, key, value)
    policy = _merge_policy([i[5] for i in inputs])

    clock = JudgingDate(today, dt.date.today()) if today is not None else judging_date()
    for key, value in clock.run_fields().items():
        setattr(run, key, value)
    decision = decide(merged_checks, checklist, waivers, signoffs, run, policy, clock.date)
    extra: dict[str, Any] = {}
    steps = next((d["rollback_steps"] for d in docs if d.get("rollback_steps")), None)
    if decision.verdict == "ROLLBACK" and steps:
        extra["rollback_steps"] = steps
    carried = [f"{label}: {text}" for doc, label in zip(docs, labels) for text in doc.get("mixed") or []]
    if mixed or carried:
        extra["mixed"] = mixed + carried
    return build_document(decision, merged_checks, checklist, run, policy, _merge_environment(docs),
                          extra=extra)


# verdicts from best to worst (core.model.VERDICTS is in that order): a move to the right is a
# regression. A stage run's PROCEED/HOLD/ROLLBACK are display words of these canonical ones.
VERDICT_ORDER: tuple[str, ...] = VERDICTS


def verdict_rank(verdict: str) -> int:
    """0 for GO up to 3 for ROLLBACK; a word that is not a verdict ranks worst (fail-safe)."""
    return VERDICT_ORDER.index(verdict) if verdict in VERDICT_ORDER else len(VERDICT_ORDER)


@dataclasses.dataclass
class Difference:
    verdict_before: str
    verdict_after: str
    newly_failing: list[dict[str, Any]]
    newly_passing: list[str]
    added: list[str]
    removed: list[str]
    # checks (and signed-off manual items) that passed before and now did not: any other
    # outcome, a waived failure, or no longer in the run at all: evidence that was lost
    lost_evidence: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    canonical_before: str = ""
    canonical_after: str = ""
    scope_notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def verdict_changed(self) -> bool:
        return self.verdict_before != self.verdict_after

    @property
    def verdict_worse(self) -> bool:
        return verdict_rank(self.canonical_after) > verdict_rank(self.canonical_before)

    @property
    def regressions(self) -> list[str]:
        """Why this is a regression, one line each (empty: none): a worse verdict first, then
        every check that passed before and no longer does."""
        lines = []
        if self.verdict_worse:
            shown = ""
            if (self.verdict_before, self.verdict_after) != (self.canonical_before, self.canonical_after):
                shown = f" (shown as {self.verdict_before} -> {self.verdict_after})"
            lines.append(f"the verdict got worse: {self.canonical_before} -> {self.canonical_after}{shown}")
        for lost in self.lost_evidence:
            lines.append(f"{lost['nodeid']} passed before, now {lost['now']}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {"verdict_before": self.verdict_before, "verdict_after": self.verdict_after,
                "verdict_changed": self.verdict_changed, "verdict_worse": self.verdict_worse,
                "newly_failing": [{"nodeid": c.get("nodeid"), "outcome": c.get("outcome"),
                                   "owner": c.get("owner"), "checklist": c.get("checklist"),
                                   "blocking": c.get("blocking"), "message": c.get("message")}
                                  for c in self.newly_failing],
                "newly_passing": self.newly_passing, "added": self.added, "removed": self.removed,
                "lost_evidence": self.lost_evidence, "regression": bool(self.regressions),
                "regressions": self.regressions, "scope_notes": self.scope_notes}


def _passed(check: dict[str, Any]) -> bool:
    return check.get("outcome") == "passed" and check.get("kind") != "uncovered" and not check.get("waiver")


def _now(check: dict[str, Any] | None) -> str:
    """What a check that passed before is now, in words."""
    if check is None:
        return "absent from the run (no result)"
    outcome = str(check.get("outcome") or "no result")
    if check.get("waiver"):
        return f"{outcome} (waived)"
    if check.get("kind") == "uncovered":
        return "uncovered (no check)"
    return outcome


def _scope(doc: dict[str, Any]) -> tuple[str, str]:
    run = doc.get("run", {})
    phases = run.get("scope_phases")
    stage = run.get("stage")
    scope = ", ".join(phases) if phases else "(scope not recorded)"
    if stage is not None:
        scope += f" stage {stage}%"
    return str(doc.get("environment", {}).get("name") or "?"), scope


def diff_documents(old: dict[str, Any], new: dict[str, Any]) -> Difference:
    """What changed from `old` to `new`: verdict, checks newly failing or passing, checks that
    appeared or disappeared, and the regressions (a worse verdict, evidence lost)."""
    old_checks = {c["nodeid"]: c for c in old.get("checks", [])}
    new_checks = {c["nodeid"]: c for c in new.get("checks", [])}
    failing_before = {n for n, c in old_checks.items() if is_failing(c)}
    newly_failing = [c for n, c in new_checks.items() if is_failing(c) and n not in failing_before]
    newly_passing = [n for n in failing_before
                     if n in new_checks and new_checks[n].get("outcome") == "passed"
                     and not is_failing(new_checks[n])]
    lost = [{"nodeid": n, "before": "passed", "now": _now(new_checks.get(n)),
             "outcome": new_checks[n].get("outcome") if n in new_checks else None,
             "owner": c.get("owner"), "checklist": c.get("checklist")}
            for n, c in old_checks.items() if _passed(c) and not (n in new_checks and _passed(new_checks[n]))]
    notes = []
    (env_old, scope_old), (env_new, scope_new) = _scope(old), _scope(new)
    if env_old != env_new:
        notes.append(f"the runs are of different environments: {env_old} -> {env_new}")
    if scope_old != scope_new:
        notes.append(f"the runs are of different scopes: {scope_old} -> {scope_new}")
    return Difference(
        verdict_before=old.get("display_verdict") or old.get("verdict", "?"),
        verdict_after=new.get("display_verdict") or new.get("verdict", "?"),
        newly_failing=newly_failing, newly_passing=sorted(newly_passing),
        added=sorted(set(new_checks) - set(old_checks)),
        removed=sorted(set(old_checks) - set(new_checks)),
        lost_evidence=lost, canonical_before=str(old.get("verdict", "?")),
        canonical_after=str(new.get("verdict", "?")), scope_notes=notes,
    )
