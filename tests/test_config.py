"""Settings: environment over govinspect.toml over defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from govinspect.config import ConfigError, load_settings


def test_defaults_put_sqlite_in_the_home_folder(tmp_path: Path) -> None:
    settings = load_settings(env={}, cwd=tmp_path)
    assert settings.home == tmp_path / "govinspect-data"
    assert settings.database_url == f"sqlite:///{tmp_path / 'govinspect-data' / 'govinspect.db'}"
    assert settings.broker_url is None


def test_toml_then_environment(tmp_path: Path) -> None:
    (tmp_path / "govinspect.toml").write_text(
        'home = "/srv/gi"\ndatabase_url = "postgresql://db/gi"\n', encoding="utf-8"
    )
    from_file = load_settings(env={}, cwd=tmp_path)
    assert (from_file.home, from_file.database_url) == (Path("/srv/gi"), "postgresql://db/gi")
    from_env = load_settings(env={"GOVINSPECT_DATABASE_URL": "sqlite:///x.db"}, cwd=tmp_path)
    assert (from_env.home, from_env.database_url) == (Path("/srv/gi"), "sqlite:///x.db")


def test_bad_config_files_are_named(tmp_path: Path) -> None:
    (tmp_path / "govinspect.toml").write_text("homme = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="homme"):
        load_settings(env={}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="不存在"):
        load_settings(env={"GOVINSPECT_CONFIG": str(tmp_path / "missing.toml")}, cwd=tmp_path)
    (tmp_path / "broken.toml").write_text("home = [", encoding="utf-8")
    with pytest.raises(ConfigError, match="无法读取"):
        load_settings(env={"GOVINSPECT_CONFIG": str(tmp_path / "broken.toml")}, cwd=tmp_path)
