"""At the end of a run: build the CheckResults and RunInfo, call `decide` once, and write
every output from the one results document."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_launch.decision import decide
from pytest_launch.model import RunInfo
from pytest_launch.outputs.jsonfile import build_document, write_document

if TYPE_CHECKING:
    import pytest

    from pytest_launch.controller import LaunchController


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
    """Write JSON first (the source of truth), then the renderings; a rendering that fails is
    reported on stderr and never costs the JSON."""
    written: list[Path] = []
    if json_path is not None:
        write_document(json_path, doc)
        written.append(json_path)
    if report_dir is None:
        return written
    folder = report_folder(report_dir, doc["environment"]["name"])
    write_document(folder / "go-no-go.json", doc)
    written.append(folder / "go-no-go.json")
    from pytest_launch.outputs.render_all import render_all

    try:
        written.extend(render_all(doc, folder))
    except Exception as exc:  # a rendering bug must not cost the JSON, which is already written
        print(f"pytest-launch: could not render the reports: {type(exc).__name__}: {exc}", file=sys.stderr)
    return written


def _rollback_steps() -> list[str]:
    try:
        from pytest_launch.rollout import ROLLBACK_STEPS
    except ImportError:
        return []
    return list(ROLLBACK_STEPS)
