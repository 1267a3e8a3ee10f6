"""Settings are declared once — name, type, default, help, environment variable — and loaded
from `.bosun/config.toml`, then `BOSUN_…` environment variables, with clear errors.

Each package declares its settings in its own `settings.py` (importing only this module);
`all_settings()` collects them, so `bosun config` and docs/configuration.md list every one.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bosun
from bosun.base.durations import parse_duration
from bosun.base.errors import ConfigError, InvalidInput


@dataclass(frozen=True)
class Setting:
    key: str  # "section.name" or "name" for top-level settings
    type: str  # int | float | bool | str | duration | list | choice
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    check: Callable[[Any], str | None] | None = field(default=None, compare=False)

    @property
    def env(self) -> str:
        return "BOSUN_" + self.key.replace(".", "_").upper()

    def convert(self, raw: Any, source: str) -> Any:
        try:
            value = _CONVERTERS[self.type](raw)
        except (ValueError, TypeError, InvalidInput) as exc:
            raise ConfigError(
                f"{self.key} = {raw!r} ({source}) is not a valid {self.type}",
                f"{self.help}; default {self.default!r}",
            ) from exc
        if self.choices and value not in self.choices:
            raise ConfigError(
                f"{self.key} = {raw!r} ({source}) is not one of the allowed values",
                "allowed: " + ", ".join(self.choices),
            )
        if isinstance(value, int | float) and not isinstance(value, bool):
            if self.minimum is not None and value < self.minimum:
                raise ConfigError(
                    f"{self.key} = {raw!r} ({source}) is below {self.minimum:g}",
                    f"{self.help}; default {self.default!r}",
                )
            if self.maximum is not None and value > self.maximum:
                raise ConfigError(
                    f"{self.key} = {raw!r} ({source}) is above {self.maximum:g}",
                    f"{self.help}; default {self.default!r}",
                )
        if self.check is not None:
            problem = self.check(value)
            if problem:
                raise ConfigError(f"{self.key} = {raw!r} ({source}): {problem}", self.help)
        return value


def _to_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


def _to_int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise TypeError(raw)
    return int(raw)


def _to_float(raw: Any) -> float:
    if isinstance(raw, bool):
        raise TypeError(raw)
    return float(raw)


def _to_list(raw: Any) -> list[Any]:
    if isinstance(raw, list):
        return raw
    if isinstance(raw, str):
        return [part.strip() for part in raw.split(",") if part.strip()]
    raise TypeError(raw)


def _to_str(raw: Any) -> str:
    if not isinstance(raw, str | int | float) or isinstance(raw, bool):
        raise TypeError(raw)
    return str(raw)


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "int": _to_int,
    "float": _to_float,
    "bool": _to_bool,
    "str": _to_str,
    "choice": _to_str,
    "duration": parse_duration,
    "list": _to_list,
    "any": lambda raw: raw,
}

_REGISTRY: dict[str, Setting] = {}
_COLLECTED = False


def declare(*settings: Setting) -> None:
    for setting in settings:
        _REGISTRY[setting.key] = setting


def all_settings() -> dict[str, Setting]:
    """Every declared setting, found in the `settings.py` module of each bosun package."""
    global _COLLECTED
    if not _COLLECTED:
        for info in pkgutil.iter_modules(bosun.__path__):
            if info.ispkg and (Path(bosun.__path__[0]) / info.name / "settings.py").exists():
                importlib.import_module(f"bosun.{info.name}.settings")
        _COLLECTED = True
    return dict(sorted(_REGISTRY.items()))


class Config:
    """Resolved settings: defaults < config.toml < environment (< explicit overrides)."""

    def __init__(self, values: Mapping[str, Any], sources: Mapping[str, str]) -> None:
        self._values = dict(values)
        self._sources = dict(sources)

    def get(self, key: str) -> object:
        """The value, untyped: read it with the typed accessors below where its type matters."""
        try:
            return self._values[key]
        except KeyError:
            raise ConfigError(f"unknown setting {key!r}", "see `bosun config list`") from None

    def __getitem__(self, key: str) -> object:
        return self.get(key)

    def number(self, key: str) -> float:
        """A float, int or duration setting, in its unit (durations: seconds)."""
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._mistyped(key, value, "a number")
        return float(value)

    def integer(self, key: str) -> int:
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._mistyped(key, value, "an integer")
        return value

    def flag(self, key: str) -> bool:
        value = self.get(key)
        if not isinstance(value, bool):
            raise self._mistyped(key, value, "a boolean")
        return value

    def text(self, key: str) -> str:
        value = self.get(key)
        if not isinstance(value, str):
            raise self._mistyped(key, value, "a string")
        return value

    def optional_text(self, key: str) -> str | None:
        """A string setting whose default is unset (None or "")."""
        value = self.get(key)
        if value is None or value == "":
            return None
        return self.text(key)

    def words(self, key: str) -> list[str]:
        value = self.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._mistyped(key, value, "a list of strings")
        return list(value)

    @staticmethod
    def _mistyped(key: str, value: object, wanted: str) -> ConfigError:
        return ConfigError(
            f"setting {key!r} holds {value!r}, not {wanted}",
            "read it with the accessor that matches its declared type",
        )

    def source(self, key: str) -> str:
        return self._sources.get(key, "default")

    def section(self, name: str) -> dict[str, Any]:
        prefix = name + "."
        return {k[len(prefix) :]: v for k, v in self._values.items() if k.startswith(prefix)}

    def items(self) -> Iterable[tuple[str, Any]]:
        return self._values.items()

    def with_overrides(self, **overrides: Any) -> Config:
        """A copy with some settings replaced (keys use '__' for '.'); validated."""
        values = dict(self._values)
        sources = dict(self._sources)
        registry = all_settings()
        for raw_key, raw in overrides.items():
            key = raw_key.replace("__", ".")
            if key not in registry:
                raise ConfigError(f"unknown setting {key!r}", "see `bosun config list`")
            values[key] = registry[key].convert(raw, "override")
            sources[key] = "override"
        return Config(values, sources)


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, full + "."))
        else:
            flat[full] = value
    return flat


def load_config(path: Path | None, env: Mapping[str, str] | None = None) -> Config:
    """Load and validate settings; unknown keys and bad values are refused with the key."""
    env = os.environ if env is None else env
    registry = all_settings()
    raw: dict[str, Any] = {}
    if path is not None and path.exists():
        try:
            raw = _flatten(tomllib.loads(path.read_text(encoding="utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}", "fix the file") from exc
        except OSError as exc:
            raise ConfigError(
                f"cannot read {path}: {exc.strerror or exc}", "make it a readable TOML file"
            ) from exc
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key in raw:
        if key not in registry:
            section = key.rsplit(".", 1)[0] if "." in key else ""
            known = [k for k in registry if k.startswith(section + ".")] if section else []
            raise ConfigError(
                f"unknown setting {key!r} in {path}",
                ("known in [" + section + "]: " + ", ".join(known))
                if known
                else "see `bosun config list` for every setting",
            )
    for key, setting in registry.items():
        if setting.env in env:
            values[key] = setting.convert(env[setting.env], f"environment {setting.env}")
            sources[key] = "env"
        elif key in raw:
            values[key] = setting.convert(raw[key], str(path))
            sources[key] = "file"
        else:
            values[key] = setting.default
            sources[key] = "default"
    return Config(values, sources)


def default_config() -> Config:
    return load_config(None, env={})


def render_default_toml() -> str:
    """config.toml with every setting commented out at its default, grouped by section."""
    lines = [
        "# bosun project configuration. Every setting is listed at its default, commented out.",
        "# Environment variables (BOSUN_<SECTION>_<KEY>) override this file.",
        "",
    ]
    current = None
    ordered = sorted(all_settings().items(), key=lambda kv: ("." in kv[0], kv[0]))
    for key, setting in ordered:
        section, _, name = key.rpartition(".")
        if section != current:
            if section:
                lines += ["", f"# [{section}]"]
            current = section
        lines.append(f"# {setting.help}")
        lines.append(f"# {name} = {_toml_value(setting.default)}")
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if value is None:
        return '""'
    return repr(value)
