"""The starter suite `launch init` writes into a team's repository: which files, with what content.

One source: the readiness suite is the repository's `readiness/` folder, which the wheel carries
as `pytest_launch/suite/` (a setuptools package-dir mapping, pyproject.toml), byte for byte. A
starter suite is that suite, except

- `environments/`: `prod.toml` and `staging.toml` are the commented examples
  (`prod.example.toml`, `staging.example.toml`) with every table but `[environment]` commented
  out, so nothing is probed until a team fills a table in, and every check says which table to
  fill in ("not configured: fill in [tls] in .../prod.toml"). The demo's `demo.toml` stays in
  the repository (the demo runs from a checkout with the `demo` extra);
- `waivers.toml` and `signoffs.toml`: empty, with one commented example each (the repository's
  files hold the demo's approvals);

plus the files beside the suite from `pytest_launch/starter/`: the root `conftest.py` (the same
file as the repository's own root conftest.py) and `pytest.ini`.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from pytest_launch.core.errors import ConfigError

SUITE = "readiness"  # the folder the suite is written to (the plugin's ini defaults point there)
PACKAGE = Path(__file__).resolve().parent.parent
STARTER = PACKAGE / "starter"
# the example environments a starter suite gets, commented out: example -> written as
ENVIRONMENTS = {"prod.example.toml": "prod.toml", "staging.example.toml": "staging.toml"}
# suite files a starter suite gets in a starter version (from pytest_launch/starter/)
STARTER_VERSIONS = ("waivers.toml", "signoffs.toml")
# files beside the suite (from pytest_launch/starter/)
BESIDE_SUITE = ("conftest.py",)
PYTEST_INI = "pytest.ini"
# files that configure pytest in a folder (pytest's own order): one there means no pytest.ini
PYTEST_CONFIG_FILES = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")
# what to add to each of them so that `pytest -m t_minus_7 --launch-env=prod` finds the suite
PYTEST_SNIPPETS = {
    "pytest.ini": "[pytest]\ntestpaths = readiness",
    ".pytest.ini": "[pytest]\ntestpaths = readiness",
    "pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = ["readiness"]',
    "tox.ini": "[pytest]\ntestpaths = readiness",
    "setup.cfg": "[tool:pytest]\ntestpaths = readiness",
}
_TABLE_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\"' -]+?)\s*\]\]?\s*(#.*)?$")
_LEFT_OUT = {"__pycache__", ".pytest_cache"}


@dataclasses.dataclass(frozen=True)
class StarterFile:
    path: str  # relative to the folder written into, with "/"
    content: bytes


def suite_template() -> Path:
    """The readiness suite this pytest-launch ships: `pytest_launch/suite/` in an installed wheel;
    in a source checkout (an editable install, PYTHONPATH) the repository's `readiness/`, which
    the wheel is built from."""
    installed = PACKAGE / "suite"
    if (installed / "checklist.toml").is_file():
        return installed
    checkout = PACKAGE.parent / SUITE
    if (checkout / "checklist.toml").is_file():
        return checkout
    raise ConfigError(str(installed), None, "the readiness suite shipped with pytest-launch",
                      "no such folder (reinstall pytest-launch)")


def suite_files(template: Path) -> list[Path]:
    """Every file of the suite template, sorted (caches and compiled files left out)."""
    return sorted(path for path in template.rglob("*")
                  if path.is_file() and not _LEFT_OUT & set(path.relative_to(template).parts)
                  and path.suffix != ".pyc")


def commented_environment(example: str, written_as: str) -> str:
    """An example environment with every table but [environment] commented out (comment lines
    stay as they are), under a header saying so."""
    lines: list[str] = []
    table: str | None = None
    for line in example.splitlines():
        header = _TABLE_HEADER.match(line)
        if header:
            table = header.group(1)
        if table is None or table == "environment" or not line.strip() or line.lstrip().startswith("#"):
            lines.append(line)
        else:
            lines.append(f"# {line}")
    name = written_as.removesuffix(".toml")
    intro = [
        f"# Written by `launch init` from pytest-launch's {written_as.replace('.toml', '.example.toml')}.",
        "# Every table below [environment] is commented out: until you fill one in, the checks that need",
        f'# it skip as "not configured: fill in [tls] in {SUITE}/environments/{written_as}", and a',
        "# skipped blocking check blocks the launch. Nothing is probed before you configure it: the",
        "# example hosts (books.example.com, 203.0.113.x, 10.0.x.x) are placeholders. Uncomment a",
        f"# table, put in your own values, and run: pytest -m t_minus_7 --launch-env={name}",
        "",
    ]
    return "\n".join(intro + lines) + "\n"


def starter_files(template: Path | None = None) -> list[StarterFile]:
    """The files of a starter suite, in the order they are written (the suite, then the files
    beside it). pytest.ini is not among them: `launch init` writes it only where no pytest
    configuration exists."""
    template = suite_template() if template is None else template
    files: list[StarterFile] = []
    for path in suite_files(template):
        relative = path.relative_to(template).as_posix()
        if relative.startswith("environments/") or relative in STARTER_VERSIONS:
            continue
        files.append(StarterFile(f"{SUITE}/{relative}", path.read_bytes()))
    for example, written_as in ENVIRONMENTS.items():
        text = commented_environment((template / "environments" / example).read_text(encoding="utf-8"), written_as)
        files.append(StarterFile(f"{SUITE}/environments/{written_as}", text.encode("utf-8")))
    for name in STARTER_VERSIONS:
        files.append(StarterFile(f"{SUITE}/{name}", (STARTER / name).read_bytes()))
    for name in BESIDE_SUITE:
        files.append(StarterFile(name, (STARTER / name).read_bytes()))
    return files


def pytest_ini() -> StarterFile:
    return StarterFile(PYTEST_INI, (STARTER / PYTEST_INI).read_bytes())


def existing_pytest_config(folder: Path) -> str | None:
    """The name of the first pytest configuration file in `folder` (pytest's order), or None."""
    return next((name for name in PYTEST_CONFIG_FILES if (folder / name).exists()), None)
