"""Environment files (PRODUCT §5): load, layer over a base file, substitute ${VAR}, validate.

    [environment]
    name = "prod"
    production = true
    extends = "_base.toml"      # optional: a base file layered under this one

A layer written by a tool (the demo's ports, `generated = true` in its [environment]) is never
named in messages or reports: they name the file the user wrote, relative to the repository
root (`root`, pytest's rootdir) when it is inside it.

Every value that came from ${VAR} is a secret: the loader collects the substituted values so
that the redactor can mask them in every output.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pytest_launch.config import tables
from pytest_launch.config.toml import read_toml
from pytest_launch.core.errors import ConfigError, shown_path
from pytest_launch.core.settings import Table, build, only_tables

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# keys whose values are credentials: they must come through ${VAR}, never be written in the file
SECRET_KEY = re.compile(r"(?i)(^|_)(token|password|passwd|secret|api_key|apikey|dsn|secret_access_key)$")
# keys naming a file: relative paths are relative to the environment file's folder
FILE_KEYS = ("ca_bundle",)
_MAX_EXTENDS_DEPTH = 5


@dataclasses.dataclass
class EnvironmentInfo(Table):
    """[environment]: who this environment is."""

    name: str = ""
    production: bool = False
    description: str = ""
    extends: str | None = None
    # the release deployed here (else [application] expected_version): a sign-off that names a
    # release counts only while it is this one
    release: str | None = None
    # a layer written by a tool over the user's file (the demo's ports): messages and reports
    # name the file it extends instead
    generated: bool = False


class Environment(Mapping[str, Any]):
    """A loaded environment: its tables, typed where the schema knows them, and its secrets."""

    def __init__(self, path: Path, data: dict[str, Any], secrets: set[str],
                 bases: tuple[Path, ...] = (), added_tables: Mapping[str, type[Any]] | None = None,
                 generated: frozenset[Path] = frozenset(), root: Path | None = None) -> None:
        self.path = path
        self.bases = bases  # the files layered under this one (`extends`), nearest first
        self.generated = generated  # the layers a tool wrote (never named to the user)
        self.root = root  # the repository root: files inside it are named relative to it
        self.secrets = frozenset(secrets)
        # tables a suite added through the pytest_launch_tables hook, beside the built-in ones
        self.added_tables: dict[str, type[Any]] = dict(added_tables or {})
        self._tables: dict[str, Any] = {}
        file = str(path)
        for table, value in data.items():
            if not tables.is_known(table, self.added_tables):
                # the classes are imported only now, to name the table a stray key belongs to
                known = tables.known_tables(self.added_tables)
                try:
                    only_tables({table: value}, file,
                                {name: tables.settings_class(name, self.added_tables) for name in ["environment", *known]},
                                "a known table (" + ", ".join(known) + ")")
                except ConfigError as exc:
                    if exc.hint is None and isinstance(value, dict):
                        exc.hint = ("a test suite's own tables are added by its conftest.py through the "
                                    "pytest_launch_tables hook (the readiness suite's: readiness/conftest.py, "
                                    "loaded when readiness/ or a file in it is on the command line or in testpaths)")
                    raise
            cls = tables.settings_class(table, self.added_tables)
            if cls is None:
                if not isinstance(value, dict):
                    raise ConfigError(file, table, "a table", type(value).__name__)
                self._tables[table] = value
            else:
                self._tables[table] = _resolve_files(build(cls, value, file, table), path.parent)
        info = self._tables.get("environment")
        if info is None:
            info = EnvironmentInfo()
            self._tables["environment"] = info
        if not info.name:
            info.name = path.stem

    @property
    def name(self) -> str:
        name: str = self._tables["environment"].name
        return name

    @property
    def production(self) -> bool:
        production: bool = self._tables["environment"].production
        return production

    @property
    def description(self) -> str:
        description: str = self._tables["environment"].description
        return description

    @property
    def release(self) -> str | None:
        """[environment] release, else [application] expected_version, else None."""
        info = self._tables["environment"]
        if info.release:
            return str(info.release)
        application = self._tables.get("application")
        expected = getattr(application, "expected_version", None) if application is not None else None
        return str(expected) if expected else None

    @property
    def where(self) -> str:
        """The file, and the base files under it, for messages: a table missing from the top
        file may belong in a base file."""
        return _chain(self.path, self.bases, self.generated, self.root)

    @property
    def source(self) -> str:
        """The file the user wrote (the top layer a tool did not generate), as reports name it."""
        return _shown_layers((self.path, *self.bases), self.generated, self.root)[0]

    def table(self, name: str) -> Any | None:
        """The table `name`, or None when this environment does not configure it."""
        return self._tables.get(name)

    def __getitem__(self, name: str) -> Any:
        try:
            return self._tables[name]
        except KeyError:
            raise KeyError(f"the environment {self.name!r} ({self.path}) has no [{name}] table") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)

    def __repr__(self) -> str:
        return f"<Environment {self.name} from {self.path}>"


def resolve_path(name_or_path: str, environments_dir: Path) -> Path:
    """`--env` takes a name (looked up in the environments folder) or a path to a .toml file."""
    if name_or_path.endswith(".toml") or os.sep in name_or_path or "/" in name_or_path:
        return Path(name_or_path)
    return environments_dir / f"{name_or_path}.toml"


def load_environment(path: Path, process_env: Mapping[str, str] | None = None,
                     added_tables: Mapping[str, type[Any]] | None = None, root: Path | None = None) -> Environment:
    """Load, layer and validate the environment file at `path`; `added_tables` are the tables a
    suite registered ({name: settings dataclass}, from the pytest_launch_tables hook); `root`: the
    repository root, files inside it are named relative to it."""
    if process_env is None:
        process_env = os.environ
    if not path.exists():
        folder = path.parent
        known = sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []
        hint = ("known environments: " + ", ".join(known)) if known else None
        raise ConfigError(shown_path(path, root), None, "an environment file", "no such file", hint)
    layers: list[Path] = []
    generated: set[Path] = set()
    try:
        raw = _load_layered(path, 0, layers, generated)
    except ConfigError as exc:
        raise exc.relative_to(root) from None
    secrets: set[str] = set()
    where = _chain(path, tuple(layers[1:]), frozenset(generated), root)
    data = _substitute(raw, where, "", process_env, secrets)
    try:
        environment = Environment(path, data, secrets, tuple(layers[1:]), added_tables, frozenset(generated), root)
    except ConfigError as exc:  # the key may come from a base file: name the whole chain
        exc.file = where
        raise
    _refuse_literal_secrets(raw, where, "")
    return environment


def _shown_layers(layers: tuple[Path, ...], generated: frozenset[Path], root: Path | None) -> list[str]:
    """The layers a user wrote (every one when a tool wrote them all), as messages name them."""
    written = [p for p in layers if p not in generated] or list(layers)
    return [shown_path(p, root) for p in written]


def _chain(path: Path, bases: tuple[Path, ...], generated: frozenset[Path] = frozenset(),
           root: Path | None = None) -> str:
    first, *rest = _shown_layers((path, *bases), generated, root)
    return f"{first} (over {', '.join(rest)})" if rest else first


def _load_layered(path: Path, depth: int, layers: list[Path], generated: set[Path]) -> dict[str, Any]:
    layers.append(path)
    data = read_toml(path, "environment file")
    env_table = data.get("environment", {})
    if isinstance(env_table, dict) and env_table.get("generated") is True:
        generated.add(path)
    base = env_table.get("extends") if isinstance(env_table, dict) else None
    if base is None:
        return data
    if not isinstance(base, str):
        raise ConfigError(str(path), "environment.extends", "a string (a path)", type(base).__name__)
    if depth >= _MAX_EXTENDS_DEPTH:
        raise ConfigError(str(path), "environment.extends", f"at most {_MAX_EXTENDS_DEPTH} levels of extends",
                          "a deeper chain (a cycle?)")
    base_path = (path.parent / base).resolve()
    merged = _deep_merge(_load_layered(base_path, depth + 1, layers, generated), data)
    merged.setdefault("environment", {}).pop("extends", None)
    merged["environment"].pop("generated", None)  # the merged environment is the user's one
    return merged


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _substitute(value: Any, file: str, key: str, process_env: Mapping[str, str], secrets: set[str]) -> Any:
    if isinstance(value, str):
        def replace(match: re.Match[str]) -> str:
            var = match.group(1)
            if var not in process_env:
                raise ConfigError(file, key or None, f"the environment variable {var} to be set",
                                  "it is not set", f"export {var}=... before the run")
            secret = process_env[var]
            if secret:
                secrets.add(secret)
            return secret
        return _VAR.sub(replace, value)
    if isinstance(value, dict):
        return {k: _substitute(v, file, f"{key}.{k}" if key else k, process_env, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, file, f"{key}[{i}]", process_env, secrets) for i, v in enumerate(value)]
    return value


def _refuse_literal_secrets(value: Any, file: str, key: str) -> None:
    """A credential key's value must come (at least in part) from ${VAR}."""
    if isinstance(value, dict):
        for name, inner in value.items():
            _refuse_literal_secrets(inner, file, f"{key}.{name}" if key else name)
        return
    name = key.rsplit(".", 1)[-1]
    if isinstance(value, str) and value and SECRET_KEY.search(name) and not _VAR.search(value):
        raise ConfigError(file, key, "a ${VAR} reference (secrets are never written in environment files)",
                          "a literal value", f"write {name} = \"${{{name.upper()}}}\" and export {name.upper()}")


def _resolve_files(settings: Any, folder: Path) -> Any:
    changes = {}
    for name in FILE_KEYS:
        value = getattr(settings, name, None)
        if isinstance(value, str) and value and not Path(value).expanduser().is_absolute():
            changes[name] = str(folder / value)
    return dataclasses.replace(settings, **changes) if changes else settings
