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
