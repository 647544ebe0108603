"""docs/ci/*.yml: the nightly CI files parse, run the right commands, and docs/ci.md shows them."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from pytest_launch.cli import build_parser
from pytest_launch.core.vocabulary import PHASES

yaml = pytest.importorskip("yaml")

DOCS = Path(__file__).resolve().parent.parent / "docs"
GITHUB = DOCS / "ci" / "github-nightly.yml"
GITLAB = DOCS / "ci" / "gitlab-ci.yml"


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def commands(script: str) -> list[list[str]]:
    """Shell lines of a run/script block split into words (variables left as text)."""
    result = []
    for line in script.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            result.append(shlex.split(line, comments=True))
    return result


def assert_readiness_command(words: list[str]) -> None:
    assert words[:2] == ["pytest", "readiness"]
    assert words[words.index("-m") + 1] in PHASES
    assert any(w.startswith("--env=") for w in words)
    assert "--launch-gate" in words


def assert_publish_command(words: list[str]) -> None:
    start = words.index("launch")  # the CLI (launch-report is its alias)
    args = build_parser().parse_args(words[start + 1:start + 4])  # the real CLI accepts it
    assert args.command == "publish"
    assert args.target.startswith("s3://")


def github_steps() -> list[dict]:
    workflow = load(GITHUB)
    (job,) = workflow["jobs"].values()
    return job["steps"]


def test_github_workflow_is_a_nightly_schedule():
    workflow = load(GITHUB)
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    (schedule,) = triggers["schedule"]
    assert len(schedule["cron"].split()) == 5
    assert "workflow_dispatch" in triggers


def test_github_workflow_runs_the_gate_keeps_history_uploads_publishes_and_fails_on_no_go():
    steps = github_steps()
    runs = {i: commands(s["run"]) for i, s in enumerate(steps) if "run" in s}
    uses = {i: s["uses"].split("@")[0] for i, s in enumerate(steps) if "uses" in s}

    (suite_index,) = [i for i, cmds in runs.items() if any(c[:1] == ["pytest"] for c in cmds)]
    suite = steps[suite_index]
    assert_readiness_command(next(c for c in runs[suite_index] if c[:1] == ["pytest"]))
    assert "set +e" in suite["run"] and "GITHUB_OUTPUT" in suite["run"]  # the job goes on

    restore = [i for i, u in uses.items() if u == "actions/cache/restore"]
    save = [i for i, u in uses.items() if u == "actions/cache/save"]
    assert restore and restore[0] < suite_index < save[0]
    for index in restore + save:
        assert steps[index]["with"]["path"].endswith("history.jsonl")
    assert steps[save[0]]["if"] == "always()"

    (upload,) = [i for i, u in uses.items() if u == "actions/upload-artifact"]
    assert upload > suite_index and steps[upload]["if"] == "always()"
    assert "reports/" in steps[upload]["with"]["path"]

    publish = [i for i, cmds in runs.items() if any(c[:2] == ["launch", "publish"] for c in cmds)]
    assert publish and publish[0] > suite_index
    for words in commands(steps[publish[0]]["run"]):
        assert_publish_command(words)

    last = steps[-1]
    assert last["if"] == "always()" and "steps.readiness.outputs.exit_code" in last["run"]
    assert re.search(r'exit "\$\{code:-\d\}"', last["run"])
    assert suite["id"] == "readiness"


def test_gitlab_job_runs_the_gate_keeps_history_uploads_publishes_and_fails_on_no_go():
    (job,) = load(GITLAB).values()
    assert any("schedule" in rule["if"] for rule in job["rules"])
    script = "\n".join(job["script"])
    lines = commands(script.replace("|| code=$?", "").replace("|| echo", "#"))
    pytest_line = next(c for c in lines if c[:1] == ["pytest"])
    assert_readiness_command(pytest_line)
    assert "|| code=$?" in script  # the job goes on to publish, then fails
    assert job["script"][-1] == "exit $code"
    publish = [c for c in lines if c[:2] == ["launch", "publish"]]
    assert publish
    for words in publish:
        assert_publish_command(words)
    assert job["cache"]["when"] == "always"
    assert any(p.endswith("history.jsonl") for p in job["cache"]["paths"])
    assert job["artifacts"]["when"] == "always"
    assert any(p.startswith("reports") for p in job["artifacts"]["paths"])


def test_docs_page_shows_both_files_verbatim():
    page = (DOCS / "ci.md").read_text("utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", page, re.S)
    assert GITHUB.read_text("utf-8") in blocks
    assert GITLAB.read_text("utf-8") in blocks
    assert "pytest readiness -m t_minus_7 --env=prod --launch-gate" in page
