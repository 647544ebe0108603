"""Issue 13's import rules, enforced: an AST walk over every module of pytest_launch/ (every
import, including those inside functions and under TYPE_CHECKING), and a fresh interpreter that
imports every core module and must not end up with pytest loaded. See docs/architecture.md."""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pytest_launch"

# Function-level imports of the package's own modules that are there for start-up speed of an
# optional feature (never to dodge a cycle): (module, imported module).
LAZY_OWN_IMPORTS_ALLOWED = {
    # the Allure redactor (and allure_commons) loads only in a run that writes Allure results
    ("pytest_launch.plugin.hooks", "pytest_launch.plugin.allure_redaction"),
    # the Allure labels: the same, in a run that writes Allure results (issue 16)
    ("pytest_launch.plugin.hooks", "pytest_launch.plugin.allure"),
    # the decision and every output (Jinja2, filelock) load only in a run that decides (issue 16;
    # tests/test_module_loading.py): the controller, and the pre-flight of the paths it will write
    ("pytest_launch.plugin.hooks", "pytest_launch.plugin.controller"),
    ("pytest_launch.plugin.hooks", "pytest_launch.plugin.finish"),
    ("pytest_launch.plugin.hooks", "pytest_launch.outputs.paths"),
    # the full renderings (Jinja2, the page) only at the end of a deciding run: the in-progress
    # placeholder, written before its first check, needs none of them (issue 16)
    ("pytest_launch.plugin.finish", "pytest_launch.outputs.render_all"),
    # every run loads plugin.plan (it holds a check to its declared tables); its renderings
    # (Markdown, the digest, filelock) only in a `pytest --launch-plan` run (issue 16)
    ("pytest_launch.plugin.plan", "pytest_launch.outputs.plan"),
    ("pytest_launch.plugin.plan", "pytest_launch.core.plan"),  # the planner itself, likewise
    # the rollout plans (and core.thresholds) only in a run whose environment plans a rollout or
    # T+1 success criteria, or that passes --launch-stage (issue 16)
    ("pytest_launch.plugin.stage_checks", "pytest_launch.core.rollout"),
    # each probe fixture loads its probe (and its heavy client library: boto3, dnspython,
    # cryptography) only when a check asks for it
    ("pytest_launch.plugin.fixtures", "pytest_launch.probes.http"),
    ("pytest_launch.plugin.fixtures", "pytest_launch.probes.tls"),
    ("pytest_launch.plugin.fixtures", "pytest_launch.probes.dns"),
    ("pytest_launch.plugin.fixtures", "pytest_launch.probes.aws"),
    ("pytest_launch.plugin.stage_checks", "pytest_launch.probes.prometheus"),
    # the notifications (requests, the payloads) only in a run with --launch-notify / [reports] notify
    ("pytest_launch.plugin.controller", "pytest_launch.outputs.notify"),
    ("pytest_launch.plugin.controller", "pytest_launch.outputs.digest"),  # the previous run, to notify
    # the demo's monitoring stack (Prometheus client) only when the demo starts it
    ("pytest_launch.demo.environment", "pytest_launch.demo.monitoring"),
}

# The `launch` commands (pytest_launch/cli/<command>.py) each load, inside their handler, only
# what that command uses: `launch --help` must not import every output and probe.
LAZY_IN_COMMAND_HANDLERS = "pytest_launch.cli."


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # the imported module (for `from X import name`: X, and X.name when that is a module)
    line: int
    in_function: bool
    under_import_error: bool


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(path: Path) -> list[Import]:
    module = module_name(path)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool, under_import_error: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner_function = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            guarded = under_import_error
            if isinstance(child, ast.Try) and any(_catches_import_error(h) for h in child.handlers):
                for statement in child.body:
                    visit_statement(statement, inner_function, True)
                for rest in (*child.handlers, *child.orelse, *child.finalbody):
                    visit_statement(rest, inner_function, under_import_error)
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    found.append(Import(module, alias.name, child.lineno, in_function, guarded))
            elif isinstance(child, ast.ImportFrom):
                base = resolve(module, is_package, child)
                found.append(Import(module, base, child.lineno, in_function, guarded))
                for alias in child.names:
                    candidate = f"{base}.{alias.name}"
                    if _is_module(candidate):
                        found.append(Import(module, candidate, child.lineno, in_function, guarded))
            visit(child, inner_function, guarded)

    def visit_statement(statement: ast.AST, in_function: bool, under_import_error: bool) -> None:
        wrapper = ast.Module(body=[statement], type_ignores=[])  # type: ignore[list-item]
        visit(wrapper, in_function, under_import_error)

    visit(tree, False, False)
    return found


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    names: list[ast.expr] = []
    if handler.type is None:
        return True
    names = list(handler.type.elts) if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(n, ast.Name) and n.id in {"ImportError", "ModuleNotFoundError", "Exception"}
               for n in names)


def _is_module(dotted: str) -> bool:
    if not dotted.startswith("pytest_launch"):
        return False
    relative = Path(*dotted.split(".")[1:]) if "." in dotted else Path()
    return (PACKAGE / relative).with_suffix(".py").is_file() or (PACKAGE / relative / "__init__.py").is_file()


MODULES = sorted(PACKAGE.rglob("*.py"))
ALL_IMPORTS = [imp for path in MODULES for imp in imports_of(path)]


def _in(dotted: str, package: str) -> bool:
    return dotted == package or dotted.startswith(package + ".")


def violations(source_layer: str, forbidden: tuple[str, ...]) -> list[str]:
    return [f"{imp.module} line {imp.line} imports {imp.target}" for imp in ALL_IMPORTS
            if _in(imp.module, source_layer) and any(_in(imp.target, f) for f in forbidden)]


def test_the_walk_sees_the_package() -> None:
    """The rules below are only as good as the walk: it must see modules of every layer, and
    imports inside functions."""
    layers = {m.split(".")[1] for m in (module_name(p) for p in MODULES) if "." in m}
    assert {"core", "config", "probes", "plugin", "outputs"} <= layers
    assert any(imp.in_function for imp in ALL_IMPORTS)


def test_core_imports_nothing_from_plugin_outputs_or_pytest() -> None:
    assert violations("pytest_launch.core", ("pytest_launch.plugin", "pytest_launch.outputs",
                                             "pytest", "_pytest", "xdist")) == []


def test_probes_import_nothing_from_plugin_or_outputs() -> None:
    assert violations("pytest_launch.probes", ("pytest_launch.plugin", "pytest_launch.outputs")) == []


def test_outputs_import_nothing_from_plugin() -> None:
    assert violations("pytest_launch.outputs", ("pytest_launch.plugin",)) == []


def test_nothing_in_the_package_imports_the_readiness_suite() -> None:
    assert violations("pytest_launch", ("readiness",)) == []


def test_no_import_error_guard_around_the_packages_own_modules() -> None:
    guarded = [f"{imp.module} line {imp.line} imports {imp.target}" for imp in ALL_IMPORTS
               if imp.under_import_error and _in(imp.target, "pytest_launch")]
    assert guarded == []


def test_no_function_level_import_of_the_packages_own_modules() -> None:
    """Such an import is how a cycle hides; the allow-list names the few that are for start-up
    speed of an optional feature."""
    lazy = {(imp.module, imp.target) for imp in ALL_IMPORTS
            if imp.in_function and _in(imp.target, "pytest_launch")
            and not imp.module.startswith(LAZY_IN_COMMAND_HANDLERS)}
    assert sorted(lazy - LAZY_OWN_IMPORTS_ALLOWED) == []


def test_the_allow_list_holds_only_imports_that_exist() -> None:
    lazy = {(imp.module, imp.target) for imp in ALL_IMPORTS if imp.in_function}
    assert sorted(LAZY_OWN_IMPORTS_ALLOWED - lazy) == []


def test_importing_every_core_module_loads_no_pytest() -> None:
    """A fresh interpreter (this one has pytest loaded already) imports every core module."""
    core = [module_name(p) for p in sorted((PACKAGE / "core").glob("*.py"))]
    script = (
        "import importlib, sys\n"
        f"for name in {core!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'pytest', '_pytest', 'xdist'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                            cwd=PACKAGE.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert len(core) >= 10


@pytest.mark.parametrize("bad_source, rule", [
    ("def f():\n    from pytest_launch.plugin import state\n", "function"),
    ("try:\n    from pytest_launch.plugin.state import STATE_KEY\nexcept ImportError:\n    pass\n", "guard"),
])
def test_the_walk_catches_what_the_rules_forbid(tmp_path: Path, bad_source: str, rule: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The walk flags a function-level import and an ImportError guard (so the rules can fail)."""
    fake = PACKAGE / "core" / "model.py"
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: bad_source)
    found = imports_of(fake)
    assert any(_in(i.target, "pytest_launch.plugin") for i in found)
    if rule == "function":
        assert all(i.in_function for i in found)
    else:
        assert all(i.under_import_error for i in found)


def test_the_vocabularys_types_name_the_vocabularys_words() -> None:
    """Severities and categories are listed once (core/vocabulary); the Literal types that
    settings use for validation must not drift from them."""
    from typing import get_args

    from pytest_launch.core.vocabulary import CATEGORIES, SEVERITIES, Category, Severity

    assert list(get_args(Severity)) == list(SEVERITIES)
    assert list(get_args(Category)) == list(CATEGORIES)
