"""What `pip install pytest-launch` gets (issue 14 items 1 and 4): the runtime dependencies are the
design card's packages plus what the plugin's own code needs, the demo's servers are an extra, and
the wheel holds the LICENSE, the report templates and data, and no tests. The wheel is built once
per module from a copy of the source (pip wheel, no dependencies, no build isolation: a few
seconds), so the repository gets no build/ folder."""

from __future__ import annotations

import email
import email.message
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

# the design card's runtime packages, and what the plugin itself imports (the core: the HTML
# report, the results schema, TOML on 3.10, locked report folders; the Alertmanager probe reads
# its YAML configuration and its /metrics text)
CARD = {"pytest", "pytest-xdist", "pytest-timeout", "requests", "cryptography", "dnspython", "boto3",
        "allure-pytest"}
CORE = {"jinja2", "jsonschema", "tomli", "pyyaml", "prometheus-client"}
# what only the demo needs: never a runtime dependency
DEMO_ONLY = {"moto", "trustme", "werkzeug", "flask"}
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def names(requirements: list[str]) -> set[str]:
    return {canonical(Requirement(text).name) for text in requirements}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "reports", ".pytest_cache")
    for folder in ("pytest_launch", "readiness"):
        shutil.copytree(ROOT / folder, source / folder, ignore=skip)
    for name in ("pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md"):
        shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(out), str(source)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stdout + build.stderr
    (built,) = out.glob("pytest_launch-*.whl")
    return built


def wheel_names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def wheel_metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        (path,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return email.message_from_bytes(archive.read(path))


def test_runtime_dependencies_are_the_cards_and_the_cores() -> None:
    runtime = names(PYPROJECT["project"]["dependencies"])
    assert runtime == CARD | CORE, (f"not the card's or the core's: {sorted(runtime - CARD - CORE)}; "
                                    f"missing: {sorted(CARD | CORE - runtime)}")
    assert not runtime & DEMO_ONLY


def test_the_demo_and_the_tests_are_extras() -> None:
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert {"moto", "trustme", "werkzeug"} <= names(extras["demo"])
    moto = next(Requirement(t) for t in extras["demo"] if Requirement(t).name == "moto")
    assert "server" in moto.extras  # the demo runs moto's S3 server
    test = [Requirement(t) for t in extras["test"]]
    own = next(r for r in test if canonical(r.name) == "pytest-launch")
    assert {"demo", "postgres"} <= own.extras  # the tests run the demo and the PostgreSQL checks
    assert {"hypothesis", "ruff", "mypy"} <= {canonical(r.name) for r in test}


def test_the_wheel_requires_only_the_runtime_list_without_an_extra(wheel: Path) -> None:
    required = wheel_metadata(wheel).get_all("Requires-Dist") or []
    plain = {canonical(Requirement(t).name) for t in required if "extra ==" not in t}
    assert plain == CARD | CORE
    demo = {canonical(Requirement(t).name) for t in required if re.search(r"extra\s*==\s*['\"]demo['\"]", t)}
    assert {"moto", "trustme", "werkzeug"} <= demo


def test_the_wheel_holds_license_templates_and_data_and_no_tests(wheel: Path) -> None:
    files = wheel_names(wheel)
    assert any(re.fullmatch(r"pytest_launch-[^/]+\.dist-info/licenses/LICENSE", name) for name in files), files
    for needed in ("pytest_launch/outputs/templates/go-no-go.html.j2", "pytest_launch/outputs/templates/report.css",
                   "pytest_launch/outputs/templates/report.js", "pytest_launch/outputs/results.schema.json",
                   "pytest_launch/demo/data/catalog.json", "pytest_launch/demo/data/kube/nodes.json",
                   "pytest_launch/py.typed"):
        assert needed in files, needed
    assert not [name for name in files if name.startswith(("tests/", "benchmarks/", "docs/", "reports/"))]
    assert not [name for name in files if "testbed" in name or "__pycache__" in name]
    # every module of the package is in the wheel (a new subpackage is not left behind)
    modules = {path.relative_to(ROOT).as_posix() for path in (ROOT / "pytest_launch").rglob("*.py")
               if "__pycache__" not in path.parts}
    assert modules <= set(files), sorted(modules - set(files))


def test_the_wheel_metadata_says_what_a_release_needs(wheel: Path) -> None:
    metadata = wheel_metadata(wheel)
    assert metadata["Version"] == PYPROJECT["project"]["version"]
    assert metadata["License-Expression"] == "MIT"
    classifiers = metadata.get_all("Classifier") or []
    assert "Framework :: Pytest" in classifiers
    assert "Operating System :: POSIX" in classifiers  # fcntl locks, O_NOFOLLOW
    # the classifiers name exactly the Pythons that requires-python claims and CI runs
    claimed = sorted(c.rsplit(":: ", 1)[1] for c in classifiers
                     if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c))
    assert claimed == PYTHONS
    assert metadata["Requires-Python"] == f">={PYTHONS[0]}"
    urls = dict(value.split(", ", 1) for value in metadata.get_all("Project-URL") or [])
    assert {"Homepage", "Documentation", "Changelog", "Issues"} <= set(urls), urls
    assert all(url.startswith("https://") for url in urls.values())
    scripts = zipfile.ZipFile(wheel).read(next(n for n in wheel_names(wheel) if n.endswith("entry_points.txt")))
    assert b"launch = pytest_launch.cli:main" in scripts and b"launch-report = pytest_launch.cli:main" in scripts


def test_the_changelog_describes_this_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    versions = re.findall(r"^## \[?(\d+\.\d+\.\d+)", changelog, flags=re.MULTILINE)
    assert versions[:2] == [PYPROJECT["project"]["version"], "0.1.0"], versions


def test_launch_version_names_the_installed_version() -> None:
    from importlib.metadata import version

    result = subprocess.run([sys.executable, "-m", "pytest_launch.cli", "--version"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"launch {version('pytest-launch')}"


def test_the_demo_without_its_extra_says_what_to_install(tmp_path: Path) -> None:
    """A plain install has no moto or trustme: `--env=demo` says in one line what to install, with
    pytest's usage-error exit code, and starts nothing. (The modules are hidden from a real run by
    a sitecustomize that marks them absent, as a venv without the extra would have them.)"""
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text(
        "import sys\nfor _name in ('moto', 'trustme'):\n    sys.modules[_name] = None\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(hide), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "readiness", "-m", "t_minus_7", "--env=demo", "-p", "no:cacheprovider",
         "--launch-report-dir", str(tmp_path / "reports")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 4, output
    assert output == ("ERROR: --env=demo: the demo needs: pip install 'pytest-launch[demo]' "
                      "(not installed: moto, trustme)"), output
    assert "Traceback" not in output
    assert not (tmp_path / "reports").exists()


def test_the_wheel_ships_the_readiness_suite_byte_for_byte(wheel: Path) -> None:
    """One source: pytest_launch/suite/ in the wheel is the repository's readiness/, file for file."""
    prefix = "pytest_launch/suite/"
    with zipfile.ZipFile(wheel) as archive:
        shipped = {name.removeprefix(prefix): archive.read(name) for name in archive.namelist()
                   if name.startswith(prefix)}
    suite = {path.relative_to(ROOT / "readiness").as_posix(): path.read_bytes()
             for path in (ROOT / "readiness").rglob("*")
             if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"}
    assert sorted(shipped) == sorted(suite)
    assert [name for name in suite if shipped[name] != suite[name]] == []
    for name in ("conftest.py", "pytest.ini", "waivers.toml", "signoffs.toml"):
        assert f"pytest_launch/starter/{name}" in wheel_names(wheel)


def test_launch_init_from_the_installed_wheel_writes_the_shipped_suite(wheel: Path, tmp_path: Path) -> None:
    """`launch init` run from the wheel (no source checkout beside it) finds the suite in the
    package and writes the same files as from a checkout."""
    installed = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(installed)
    env = {**os.environ, "PYTHONPATH": str(installed)}
    for where, environ in (("from-wheel", env), ("from-checkout", {**os.environ, "PYTHONPATH": str(ROOT)})):
        result = subprocess.run([sys.executable, "-m", "pytest_launch.cli", "init", where], cwd=tmp_path,
                                env=environ, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
    probe = subprocess.run([sys.executable, "-c", "import pytest_launch.config.starter as s; print(s.suite_template())"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert Path(probe.stdout.strip()) == installed / "pytest_launch" / "suite"

    def tree(folder: Path) -> dict[str, bytes]:
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    from_wheel, from_checkout = tree(tmp_path / "from-wheel"), tree(tmp_path / "from-checkout")
    assert from_wheel == from_checkout
    assert "readiness/checklist.toml" in from_wheel and "readiness/environments/demo.toml" not in from_wheel


def test_the_version_in_every_report_is_the_package_version() -> None:
    """The results document's tool.version, run.plugin_version and the probes' User-Agent read
    pytest_launch.__version__ (no metadata lookup at import): it must be the released version."""
    import pytest_launch

    assert pytest_launch.__version__ == PYPROJECT["project"]["version"]
