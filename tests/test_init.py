"""`launch init [DIR]` (issue 14 item 2): a starter readiness suite in a team's repository, then
`pytest -m t_minus_7 --launch-env=prod` there gives a NO_GO whose reasons name what to configure,
and probes nothing. init never overwrites a file and says what it skipped; a DIR that is a file
or cannot be written is one line and exit 2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_launch.config.approvals import load_signoffs, load_waivers
from pytest_launch.config.environment import load_environment
from pytest_launch.config.starter import starter_files, suite_files

ROOT = Path(__file__).resolve().parent.parent
READINESS = ROOT / "readiness"


def launch(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest_launch.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_init_then_the_first_run_is_a_no_go_naming_each_table_to_fill_in(tmp_path: Path) -> None:
    init = launch("init", "team", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    team = tmp_path / "team"
    assert "wrote" in init.stdout and "cd team" in init.stdout
    assert "pytest -m t_minus_7 --launch-env=prod" in init.stdout
    assert (team / "pytest.ini").is_file() and (team / "readiness" / "environments" / "prod.toml").is_file()

    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "t_minus_7", "--launch-env=prod", "-p", "no:cacheprovider",
         "--launch-allow-backdate", "--launch-json", str(tmp_path / "results.json")],
        cwd=team, capture_output=True, text=True, timeout=300)
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    assert "Traceback" not in output and "INTERNALERROR" not in output
    assert "launch decision (prod, t_minus_7): NO_GO" in output
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert results["verdict"] == "NO_GO"
    reasons = [reason["text"] for reason in results["reasons"]]
    for table in ("[tls]", "[dns]", "[http]", "[prometheus]", "[kubernetes]", "[database]"):
        assert any(f"not configured: fill in {table} in" in text and "environments/prod.toml" in text
                   for text in reasons), (table, reasons[:5])
    # nothing was probed: every automated check skipped as not configured, or was refused as
    # destructive; the manual items wait for a sign-off
    checks = [c for c in results["checks"] if c["kind"] == "check"]
    assert checks and {c["outcome"] for c in checks} <= {"skipped", "refused"}, \
        sorted({(c["nodeid"], c["outcome"]) for c in checks if c["outcome"] not in ("skipped", "refused")})
    assert all("not configured" in c["message"] for c in checks if c["outcome"] == "skipped")
    assert {c["outcome"] for c in results["checks"] if c["kind"] == "manual"} == {"failed"}
    # the run is the whole T-7 phase of the full checklist, not a partial one
    assert not results["run"].get("partial")
    assert (team / "reports" / "prod" / "t_minus_7" / "go-no-go.html").is_file()


def test_the_starter_suite_is_the_shipped_suite() -> None:
    """One source: every file init writes under readiness/ is the repository's readiness/ file,
    except the environments (the examples, commented out) and the approvals (starter versions)."""
    written = {f.path: f.content for f in starter_files(READINESS)}
    suite = {p.relative_to(READINESS).as_posix(): p.read_bytes() for p in suite_files(READINESS)}
    replaced = {"waivers.toml", "signoffs.toml"}
    for relative, content in suite.items():
        if relative.startswith("environments/") or relative in replaced:
            continue
        assert written.pop(f"readiness/{relative}") == content, relative
    assert sorted(written) == ["conftest.py", "readiness/environments/prod.toml",
                               "readiness/environments/staging.toml", "readiness/signoffs.toml",
                               "readiness/waivers.toml"]
    # the team's root conftest.py is the repository's own
    assert written["conftest.py"] == (ROOT / "conftest.py").read_bytes()
    # the demo's environment and approvals stay in the repository
    assert not any("demo" in path for path in written)


@pytest.mark.parametrize("name", ["prod", "staging"])
def test_the_starter_environments_configure_nothing_but_their_name(tmp_path: Path, name: str) -> None:
    from launch_suite.settings import SUITE_TABLES

    written = {f.path: f.content for f in starter_files(READINESS)}
    path = tmp_path / f"{name}.toml"
    path.write_bytes(written[f"readiness/environments/{name}.toml"])
    env = load_environment(path, {}, added_tables=SUITE_TABLES)
    assert list(env) == ["environment"]
    assert env["environment"].name == name
    text = path.read_text(encoding="utf-8")
    # every table of the example is there to uncomment, and no example host is left live
    example = (READINESS / "environments" / f"{name}.example.toml").read_text(encoding="utf-8")
    for line in example.splitlines():
        if line.startswith("[") and line != "[environment]":
            assert f"# {line}\n" in text, line
    assert not [line for line in text.splitlines() if "example" in line and not line.lstrip().startswith("#")
                and not line.startswith("description")]


def test_the_starter_approvals_are_empty_and_their_example_is_valid(tmp_path: Path) -> None:
    written = {f.path: f.content for f in starter_files(READINESS)}
    for name, load in (("waivers", load_waivers), ("signoffs", load_signoffs)):
        path = tmp_path / f"{name}.toml"
        path.write_bytes(written[f"readiness/{name}.toml"])
        assert load(path) == []
        # uncommenting the example (after the "#" separator line) gives one valid entry
        head, example = path.read_text(encoding="utf-8").split("#\n", 1)
        path.write_text("\n".join(line.removeprefix("# ") for line in example.splitlines()) + "\n",
                        encoding="utf-8")
        (entry,) = load(path)
        assert entry.environments == ["prod"]


def test_init_never_overwrites_and_lists_what_it_skipped(tmp_path: Path) -> None:
    (tmp_path / "readiness").mkdir()
    (tmp_path / "readiness" / "checklist.toml").write_text("# ours\n", encoding="utf-8")
    (tmp_path / "conftest.py").write_text("# our fixtures\n", encoding="utf-8")
    elsewhere = tmp_path.parent / f"{tmp_path.name}-target.toml"
    (tmp_path / "readiness" / "policy.toml").symlink_to(elsewhere)  # a dangling link is not written through

    result = launch("init", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "readiness" / "checklist.toml").read_text(encoding="utf-8") == "# ours\n"
    assert (tmp_path / "conftest.py").read_text(encoding="utf-8") == "# our fixtures\n"
    assert not elsewhere.exists()
    assert "skipped 3 files that already exist (never overwritten):" in result.stdout
    for path in ("readiness/checklist.toml", "readiness/policy.toml", "conftest.py"):
        assert f"  {path}\n" in result.stdout
    assert (tmp_path / "readiness" / "test_security.py").is_file()
    # in the current folder: no cd, the three next commands
    next_steps = result.stdout.split("next:\n", 1)[1].splitlines()
    assert len(next_steps) == 3 and not any(step.strip().startswith("cd ") for step in next_steps)

    again = launch("init", ".", cwd=tmp_path)
    assert again.returncode == 0
    assert "wrote 0 files" in again.stdout
    assert f"skipped {len(starter_files(READINESS))} files" in again.stdout
    assert "pytest.ini exists, so no pytest.ini was written" in again.stdout  # the first run wrote it


@pytest.mark.parametrize("config_file, snippet", [
    ("pyproject.toml", '[tool.pytest.ini_options]\n    testpaths = ["readiness"]'),
    ("setup.cfg", "[tool:pytest]\n    testpaths = readiness"),
    ("pytest.ini", "[pytest]\n    testpaths = readiness"),
])
def test_an_existing_pytest_configuration_gets_a_snippet_not_a_pytest_ini(tmp_path: Path, config_file: str,
                                                                          snippet: str) -> None:
    (tmp_path / config_file).write_text("# the team's own\n", encoding="utf-8")
    result = launch("init", str(tmp_path), cwd=tmp_path.parent)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / config_file).read_text(encoding="utf-8") == "# the team's own\n"
    assert f"{config_file} exists, so no pytest.ini was written" in result.stdout
    assert snippet in result.stdout
    if config_file != "pytest.ini":
        assert not (tmp_path / "pytest.ini").exists()


def test_init_into_a_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    target = tmp_path / "team"
    target.write_text("not a folder\n", encoding="utf-8")
    result = launch("init", str(target), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"launch init: {target}: expected a folder to write the starter suite into, found a file"]
    assert target.read_text(encoding="utf-8") == "not a folder\n"


def test_init_where_the_suite_folder_is_a_file_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "readiness").write_text("", encoding="utf-8")
    result = launch("init", cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "readiness" in result.stderr and "a file" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["readiness"]


@pytest.fixture
def unwritable_folder() -> Iterator[Path]:
    """A folder nobody can write into: read-only for an ordinary user; as root (which writes
    anywhere a mode forbids) the folder is made immutable (chattr +i), and made mutable again."""
    folder = Path(tempfile.mkdtemp(prefix="launch-init-"))
    immutable = False
    try:
        if os.geteuid() == 0:
            chattr = shutil.which("chattr")
            done = subprocess.run([chattr, "+i", str(folder)], capture_output=True) if chattr else None
            if done is None or done.returncode != 0:
                pytest.skip("running as root, and chattr +i is not available here: no folder root cannot write")
            immutable = True
        else:
            folder.chmod(0o555)
        yield folder
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)
        shutil.rmtree(folder)


def test_init_into_an_unwritable_folder_is_one_line_and_exit_2(unwritable_folder: Path) -> None:
    result = launch("init", str(unwritable_folder), cwd=unwritable_folder.parent)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("launch init: ") and str(unwritable_folder) in lines[0], lines
    assert "Permission denied" in lines[0] or "Operation not permitted" in lines[0], lines
    assert list(unwritable_folder.iterdir()) == []


def test_launch_help_lists_init() -> None:
    result = launch("--help", cwd=ROOT)
    assert result.returncode == 0
    assert "init" in result.stdout
    usage = launch("init", "--help", cwd=ROOT)
    assert "DIR" in usage.stdout and "never overwrites a file" in " ".join(usage.stdout.split())


@pytest.mark.parametrize("with_root_conftest", [True, False])
def test_the_root_conftest_gives_checks_outside_readiness_the_suites_tables(tmp_path: Path,
                                                                          with_root_conftest: bool) -> None:
    """The root conftest.py's job: a team's own checks in another folder read the same environment
    file, suite tables included. Without it, that run stops at the unknown [application] table."""
    init = launch("init", "team", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    team = tmp_path / "team"
    if not with_root_conftest:
        (team / "conftest.py").unlink()
    (team / "checks").mkdir()
    (team / "checks" / "test_release.py").write_text(
        "import pytest\n\n\n"
        "@pytest.mark.t_minus_7\n@pytest.mark.application\n@pytest.mark.normal\n@pytest.mark.owner('app-team')\n"
        "def test_the_release_is_named(launch_env):\n"
        "    assert launch_env.table('application').expected_version == '2.0.0'\n", encoding="utf-8")
    (team / "team.toml").write_text('[environment]\nname = "team"\n\n[application]\nexpected_version = "2.0.0"\n',
                                    encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "pytest", "checks", "--launch-env=team.toml", "-p", "no:cacheprovider",
                          "--launch-allow-backdate", "--launch-report-dir", str(tmp_path / "reports")],
                         cwd=team, capture_output=True, text=True, timeout=300)
    output = run.stdout + run.stderr
    if with_root_conftest:
        assert "1 passed" in output, output
    else:
        assert run.returncode == 4, output
        assert "application" in output and "Traceback" not in output


def test_the_demo_in_a_starter_suite_says_where_it_runs(tmp_path: Path) -> None:
    """A starter suite has no demo environment: `--env=demo` there is one line (exit 4) naming
    where the demo runs, before any demo server starts."""
    assert launch("init", cwd=tmp_path).returncode == 0
    run = subprocess.run([sys.executable, "-m", "pytest", "-m", "t_minus_7", "--env=demo", "-p", "no:cacheprovider"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    output = (run.stdout + run.stderr).strip()
    assert run.returncode == 4, output
    assert output.splitlines() == ["ERROR: --env=demo: this suite has no environments/demo.toml; the demo runs from a "
                                   "checkout of pytest-launch (pytest readiness -m t_minus_7 --env=demo there)"]


def test_the_next_commands_can_be_pasted_for_a_folder_with_a_space(tmp_path: Path) -> None:
    result = launch("init", "our team", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    next_steps = [step.strip() for step in result.stdout.split("next:\n", 1)[1].splitlines()]
    assert next_steps[0] == "cd 'our team'" and len(next_steps) == 4  # cd, then the three commands
    assert (tmp_path / "our team" / "readiness" / "checklist.toml").is_file()
