"""At the end of a run: build the CheckResults and RunInfo, call `decide` once, and write
every output from the one results document."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_launch.decision import decide
from pytest_launch.model import RunInfo
from pytest_launch.outputs.jsonfile import build_document, write_document

if TYPE_CHECKING:
    import pytest

    from pytest_launch.controller import LaunchController
    from pytest_launch.state import LaunchState


def environment_dict(controller: LaunchController) -> dict[str, Any]:
    env = controller.state.environment
    if env is None:
        return {"name": "none", "production": False, "description": "no --env given", "source": None}
    return {"name": env.name, "production": env.production, "description": env.description,
            "source": str(env.path)}


def decide_and_write(controller: LaunchController, session: pytest.Session) -> tuple[dict[str, Any], list[Path]]:
    """The run's results document, and the files written from it."""
    state = controller.state
    selected = controller.selected if controller.selected is not None else []
    checks = controller.collector.finish(selected)
    titles = {item.id: item.title for item in state.checklist}
    for check in checks:  # a linked check is shown with its checklist item's title
        if check.title is None and check.checklist in titles:
            check.title = titles[check.checklist]
    run = RunInfo(**controller.run_info(session))
    run.selected = len(checks)
    decision = decide(checks, state.checklist, state.waivers, state.signoffs, run, state.policy, state.today)
    extra: dict[str, Any] = {}
    if decision.verdict == "ROLLBACK":
        steps = _rollback_steps()
        if steps:
            extra["rollback_steps"] = steps
    environment = environment_dict(controller)
    doc = build_document(decision, checks, state.checklist, run, state.policy, environment, state.redactor, extra)
    written = write_outputs(doc, state.report_dir, state.json_path, controller.config)
    return doc, written


def report_folder(report_dir: Path, environment_name: str) -> Path:
    """reports/<env>/, the environment name made safe as a folder name."""
    from pytest_launch.outputs.history import history_path

    return history_path(report_dir, environment_name).parent


def write_outputs(doc: dict[str, Any], report_dir: Path | None, json_path: Path | None,
                  config: pytest.Config | None = None) -> list[Path]:
    """Write the report folder (JSON first, then history and renderings, under the folder's
    lock; a rendering that fails becomes an error page showing the JSON's verdict), then
    --launch-json, which is written even when the folder could not be."""
    from pytest_launch.outputs.render_all import write_report

    written: list[Path] = []
    try:
        if report_dir is not None:
            written.extend(write_report(doc, report_folder(report_dir, doc["environment"]["name"])))
    finally:
        if json_path is not None:  # after the folder: it carries the folder's history_problems
            write_document(json_path, doc)
            written.insert(0, json_path)
    return written


def preflight_outputs(state: LaunchState, inputs: list[Path]) -> None:
    """Before any check runs: every path this run will write is ours to write (usage error if not)."""
    from pytest_launch.outputs.paths import preflight_output_paths

    name = state.environment.name if state.environment is not None else "none"
    folder = report_folder(state.report_dir, name) if state.report_dir is not None else None
    preflight_output_paths(state.json_path, folder, inputs)


def _rollback_steps() -> list[str]:
    try:
        from pytest_launch.rollout import ROLLBACK_STEPS
    except ImportError:
        return []
    return list(ROLLBACK_STEPS)
