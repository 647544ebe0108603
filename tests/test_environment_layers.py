"""Environment files layered with `extends`: tables merge key by key, the top file wins, and
messages name every file of the chain."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_launch.config.environment import load_environment
from pytest_launch.core.errors import ConfigError


def test_a_base_file_is_layered_under_the_environment(tmp_path: Path) -> None:
    (tmp_path / "_base.toml").write_text(
        '[http]\nbase_url = "https://base.example"\ntimeout = 3.0\n[custom]\nteam = "sre"\nregion = "eu"\n')
    (tmp_path / "prod.toml").write_text(
        '[environment]\nname = "prod"\nproduction = true\nextends = "_base.toml"\n'
        '[http]\nbase_url = "https://prod.example"\n[custom]\nregion = "us"\n')
    env = load_environment(tmp_path / "prod.toml", process_env={})
    assert env["http"].base_url == "https://prod.example" and env["http"].timeout == 3.0
    assert env["custom"] == {"team": "sre", "region": "us"}
    assert env.production and env.name == "prod"
    assert env.bases == ((tmp_path / "_base.toml").resolve(),)
    assert env.where == f"{tmp_path / 'prod.toml'} (over {(tmp_path / '_base.toml').resolve()})"


def test_a_mistake_in_the_base_file_names_the_chain_of_files(tmp_path: Path) -> None:
    (tmp_path / "_base.toml").write_text('[http]\nbase_url = "https://base.example"\ntimeout = "soon"\n')
    (tmp_path / "prod.toml").write_text('[environment]\nextends = "_base.toml"\n')
    with pytest.raises(ConfigError) as excinfo:
        load_environment(tmp_path / "prod.toml", process_env={})
    message = str(excinfo.value)
    assert "http.timeout: expected a number, found str 'soon'" in message
    assert message.startswith(f"{tmp_path / 'prod.toml'} (over {(tmp_path / '_base.toml').resolve()})")


def test_a_cycle_of_extends_is_an_error_not_a_hang(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('[environment]\nextends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('[environment]\nextends = "a.toml"\n')
    with pytest.raises(ConfigError, match="levels of extends"):
        load_environment(tmp_path / "a.toml", process_env={})


def test_a_missing_base_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "prod.toml").write_text('[environment]\nextends = "nowhere.toml"\n')
    with pytest.raises(ConfigError, match="nowhere.toml: expected an existing environment file"):
        load_environment(tmp_path / "prod.toml", process_env={})


def test_a_generated_layer_is_never_named_and_paths_are_relative_to_the_root(tmp_path: Path) -> None:
    # the demo writes its ports into a generated layer in a temporary folder, over the file the
    # user wrote: messages and reports name the user's file, relative to the repository root
    root = tmp_path / "repo"
    (root / "readiness" / "environments").mkdir(parents=True)
    user_file = root / "readiness" / "environments" / "demo.toml"
    user_file.write_text('[environment]\nname = "demo"\n[http]\ntimeout = 5\n')
    generated = tmp_path / "launch-demo-x1y2" / "demo.generated.toml"
    generated.parent.mkdir()
    generated.write_text(f'[environment]\ngenerated = true\nextends = "{user_file}"\n'
                         '[http]\nbase_url = "https://127.0.0.1:4443"\n')
    env = load_environment(generated, process_env={}, root=root)
    assert env["http"].base_url == "https://127.0.0.1:4443" and env["http"].timeout == 5
    assert env.where == "readiness/environments/demo.toml"
    assert env.source == "readiness/environments/demo.toml"
    assert not env["environment"].generated  # the merged environment is the user's
    # without a root (or outside it) the path stays as it is, and the generated layer still unnamed
    assert load_environment(generated, process_env={}).where == str(user_file.resolve())
    assert load_environment(generated, process_env={}, root=tmp_path / "elsewhere").source == str(user_file.resolve())
    # a mistake in the user's file, read through the generated layer, names the user's file only
    user_file.write_text('[environment]\nname = "demo"\n[http]\ntimeout = "soon"\n')
    with pytest.raises(ConfigError) as excinfo:
        load_environment(generated, process_env={}, root=root)
    assert str(excinfo.value).startswith("readiness/environments/demo.toml: http.timeout: expected a number")
    assert "launch-demo" not in str(excinfo.value) and str(tmp_path) not in str(excinfo.value)


def test_a_file_under_the_root_is_named_relative_to_it_in_errors(tmp_path: Path) -> None:
    (tmp_path / "envs").mkdir()
    (tmp_path / "envs" / "prod.toml").write_text('[environment]\nextends = "missing.toml"\n')
    with pytest.raises(ConfigError) as excinfo:
        load_environment(tmp_path / "envs" / "prod.toml", process_env={}, root=tmp_path)
    assert str(tmp_path) not in str(excinfo.value)
    assert "envs/missing.toml" in str(excinfo.value)
    with pytest.raises(ConfigError, match=r"^envs/none\.toml: expected an environment file"):
        load_environment(tmp_path / "envs" / "none.toml", process_env={}, root=tmp_path)
