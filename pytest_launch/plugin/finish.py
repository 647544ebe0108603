"""At the end of a run: build the CheckResults and RunInfo, call `decide` once, and write
every output from the one results document."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from pytest_launch.config.environment import Environment
from pytest_launch.config.reports import page_url
from pytest_launch.core.decision import decide
from pytest_launch.core.model import CheckResult, RunInfo
from pytest_launch.outputs.history import history_path
from pytest_launch.outputs.in_progress import write_placeholder
from pytest_launch.outputs.index_page import write_index
from pytest_launch.outputs.jsonfile import build_document, write_document
from pytest_launch.outputs.paths import preflight_output_paths
from pytest_launch.plugin.selection import Selection, report_subfolder
from pytest_launch.plugin.state import LaunchState


@dataclasses.dataclass
class RunFacts:
    """What the end of a run knows, handed over by the controller: the loaded inputs, every
    check's result (missing ones already filled in) and the run's description."""

    state: LaunchState
    checks: list[CheckResult]
    run: RunInfo


def environment_dict(env: Environment | None) -> dict[str, Any]:
    if env is None:
        return {"name": "none", "production": False, "description": "no --env given", "source": None}
    return {"name": env.name, "production": env.production, "description": env.description,
            "source": env.source}  # the file the user wrote, relative to the rootdir when inside it


def decide_document(facts: RunFacts) -> tuple[dict[str, Any], Path | None]:
    """The run's results document (one call of `decide`), and the report folder it goes to."""
    state, checks, run = facts.state, facts.checks, facts.run
    titles = {item.id: item.title for item in state.checklist}
    for check in checks:  # a linked check is shown with its checklist item's title
        if check.title is None and check.checklist in titles:
            check.title = titles[check.checklist]
    run.selected = len(checks)
    decision = decide(checks, state.checklist, state.waivers, state.signoffs, run, state.policy, state.today)
    extra: dict[str, Any] = {}
    if decision.verdict == "ROLLBACK":
        steps = _rollback_steps(state)
        if steps:
            extra["rollback_steps"] = steps
    environment = environment_dict(state.environment)
    folder = None
    if state.report_dir is not None:
        folder = report_folder(state.report_dir, environment["name"], run.scope_phases or [], run.stage,
                               bool(run.partial))
        if state.report_url:  # where the page will be once reports/<env>/ is published
            extra["report_url"] = page_url(state.report_url, folder.relative_to(environment_folder(folder)).as_posix())
    doc = build_document(decision, checks, state.checklist, run, state.policy, environment, state.redactor, extra)
    return doc, folder


def placeholder_document(state: LaunchState, config: pytest.Config, selection: Selection,
                         since: str, run_id: str = "") -> dict[str, Any]:
    """The NO_GO document a run writes where its report will go before any check runs: "in
    progress since …, never finished" until the end of the run replaces it."""
    run = RunInfo(started=since, run_id=run_id, args=[state.redactor.text(a) for a in config.invocation_params.args],
                  markexpr=config.option.markexpr or "", stage=state.stage, in_progress=since,
                  partial=list(selection.partial))
    decision = decide([], state.checklist, state.waivers, state.signoffs, run, state.policy, state.today)
    return build_document(decision, [], state.checklist, run, state.policy, environment_dict(state.environment),
                          state.redactor)


def report_folder(report_dir: Path, environment_name: str, phases: list[str] | None = None,
                  stage: int | None = None, partial: bool = False) -> Path:
    """reports/<env>/<phase>/ (reports/<env>/t_0/stage-<N>/ for a stage run, reports/<env>/partial/
    for a partial run), the environment name made safe as a folder name."""
    return history_path(report_dir, environment_name).parent / report_subfolder(phases or [], stage, partial)


def write_outputs(doc: dict[str, Any], folder: Path | None, json_path: Path | None,
                  config: pytest.Config | None = None, *, placeholder: bool = False) -> list[Path]:
    """Write the report folder (JSON first, with --launch-json from the same encoded text, then
    history and renderings, under the folder's lock; a rendering that fails becomes an error page
    showing the JSON's verdict) and the environment's index page. --launch-json is written even
    when the folder could not be. `placeholder`: the in-progress document written before any
    check runs, with its short pages and no history line (no run to record yet)."""
    written: list[Path] = []
    try:
        if folder is not None:
            if placeholder:
                written.extend(write_placeholder(doc, folder, json_copy=json_path))
            else:
                # the full renderings (Jinja2, the page) load here, at the end of the run that uses them
                from pytest_launch.outputs.render_all import write_report

                written.extend(write_report(doc, folder, json_copy=json_path))
            written.append(write_index(environment_folder(folder), current=(folder, doc)))
    finally:
        if json_path is not None:
            if json_path in written:
                written.remove(json_path)
            else:  # the folder failed before its JSON (or there is none): --launch-json on its own
                write_document(json_path, doc)
            written.insert(0, json_path)
    return written


def environment_folder(folder: Path) -> Path:
    """reports/<env>/ from a report folder below it (<phase>/, partial/ or t_0/stage-<N>/)."""
    return folder.parent.parent if folder.parent.name == "t_0" and folder.name.startswith("stage-") else folder.parent


def preflight_outputs(state: LaunchState, inputs: list[Path], selection: Selection) -> None:
    """Before any check runs: every path this run will write is ours to write (usage error if not)."""
    name = state.environment.name if state.environment is not None else "none"
    folder = None
    if state.report_dir is not None:
        folder = report_folder(state.report_dir, name, selection.phases, state.stage, bool(selection.partial))
    preflight_output_paths(state.json_path, folder, inputs)


def _rollback_steps(state: LaunchState) -> list[str]:
    """The environment's rollback runbook ([rollout] rollback_steps), for a ROLLBACK report."""
    rollout = state.environment.table("rollout") if state.environment is not None else None
    return list(rollout.rollback_steps) if rollout is not None else []
