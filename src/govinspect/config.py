"""Settings from the environment, an optional ``govinspect.toml`` and defaults — in that order of precedence.

``govinspect.toml`` is looked for in the current directory (or at ``GOVINSPECT_CONFIG``); keys are the
lower-case names without the prefix: ``home = "/srv/govinspect"``, ``database_url = "postgresql://…"``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = "./govinspect-data"
_KEYS = ("home", "database_url", "broker_url")


class ConfigError(Exception):
    """A configuration the operator must fix; the message is shown as it is."""


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    broker_url: str | None = None

    @property
    def snapshots_dir(self) -> Path:
        return self.home / "snapshots"


def _read_toml(path: Path) -> dict[str, object]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"配置文件 {path} 无法读取：{exc}") from exc
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise ConfigError(f"配置文件 {path} 含有未知配置项：{', '.join(unknown)}（可用：{', '.join(_KEYS)}）")
    return data


def load_settings(env: dict[str, str] | None = None, cwd: Path | None = None) -> Settings:
    env = dict(os.environ) if env is None else env
    cwd = cwd or Path.cwd()
    config_path = Path(env["GOVINSPECT_CONFIG"]) if env.get("GOVINSPECT_CONFIG") else cwd / "govinspect.toml"
    if env.get("GOVINSPECT_CONFIG") and not config_path.is_file():
        raise ConfigError(f"GOVINSPECT_CONFIG 指向的配置文件不存在：{config_path}")
    file_values = _read_toml(config_path) if config_path.is_file() else {}

    def pick(key: str) -> str | None:
        value = env.get(f"GOVINSPECT_{key.upper()}") or file_values.get(key)
        return str(value) if value else None

    home = Path(pick("home") or DEFAULT_HOME)
    if not home.is_absolute():
        home = (cwd / home).resolve()
    database_url = pick("database_url") or f"sqlite:///{home / 'govinspect.db'}"
    return Settings(home=home, database_url=database_url, broker_url=pick("broker_url"))
