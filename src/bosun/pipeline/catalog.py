"""The model catalog: which llm_provider/llm_model pairs bosun knows, and which runtime
presets serve each provider. It is data, not code: the pinned copy
(`model_catalog.toml` next to this module), a project copy written by `bosun run catalog
update --from FILE` (`.bosun/model_catalog.json`), or the file named by the setting
`pipeline.model_catalog`, in that order of preference (the setting wins).

Accepted formats: bosun's own (`[providers.<name>] models = […], presets = […]`, TOML or
JSON) and LiteLLM's `model_prices_and_context_window.json` (`{model: {"litellm_provider":
…}}`), whose models are added to the pinned providers.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bosun.base.errors import ConfigError, InvalidInput
from bosun.base.paths import atomic_write_json

PINNED = Path(__file__).with_name("model_catalog.toml")
PROJECT_FILE = "model_catalog.json"

# Model id → provider, for a node that sets llm_model without llm_provider (§8.4: the
# provider is "auto-detected"). First match wins.
_PROVIDER_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"^(claude|opus|sonnet|haiku)", "anthropic"),
    (r"^(gpt-|o[1-9](-|$)|chatgpt|codex)", "openai"),
    (r"^gemini", "google"),
    (r"^sim(-|$)", "sim"),
)
_LITELLM_PROVIDERS = {"vertex_ai-language-models": "google", "gemini": "google"}


def infer_provider(model: str) -> str:
    """The provider a bare model id belongs to ('' when it cannot be told)."""
    text = model.strip().lower()
    if "/" in text:  # provider/model, as LiteLLM and OpenRouter write it
        return _LITELLM_PROVIDERS.get(text.split("/", 1)[0], text.split("/", 1)[0])
    for pattern, provider in _PROVIDER_PATTERNS:
        if re.match(pattern, text):
            return provider
    return ""


@dataclass(frozen=True)
class Catalog:
    path: str
    version: str
    providers: dict[str, dict[str, list[str]]]
    aliases: dict[str, str]

    def provider(self, name: str) -> str:
        key = name.strip().lower()
        return self.aliases.get(key, key)

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "aliases": self.aliases, "providers": self.providers}


def _read(file: Path) -> dict[str, Any]:
    try:
        text = file.read_text(encoding="utf-8")
        data = json.loads(text) if file.suffix == ".json" else tomllib.loads(text)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"model catalog {file} cannot be read: {exc}",
            "fix the file, unset pipeline.model_catalog, or run `bosun run catalog update`",
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"model catalog {file} is not a table", "see docs/pipelines.md")
    return data


def _bosun_format(file: Path, data: dict[str, Any]) -> Catalog:
    providers = {
        str(name).lower(): {
            "models": [str(m) for m in spec.get("models", [])],
            "presets": [str(p) for p in spec.get("presets", [])],
        }
        for name, spec in dict(data.get("providers", {})).items()
    }
    aliases = {str(k): str(v) for k, v in dict(data.get("aliases", {})).items()}
    return Catalog(str(file), str(data.get("version", "")), providers, aliases)


def _litellm_format(file: Path, data: dict[str, Any], base: Catalog) -> Catalog:
    providers = {
        k: {"models": list(v["models"]), "presets": list(v["presets"])}
        for k, v in base.providers.items()
    }
    for model, spec in data.items():
        if not isinstance(spec, dict) or "litellm_provider" not in spec:
            continue
        raw = str(spec["litellm_provider"]).lower()
        provider = base.aliases.get(raw, _LITELLM_PROVIDERS.get(raw, raw))
        entry = providers.setdefault(provider, {"models": [], "presets": []})
        name = model.split("/", 1)[1] if model.lower().startswith(raw + "/") else model
        if name not in entry["models"]:
            entry["models"].append(name)
    return Catalog(str(file), f"litellm:{file.name}", providers, base.aliases)


def parse_catalog(file: Path) -> Catalog:
    data = _read(file)
    if "providers" in data:
        return _bosun_format(file, data)
    if any(isinstance(v, dict) and "litellm_provider" in v for v in data.values()):
        return _litellm_format(file, data, _bosun_format(PINNED, _read(PINNED)))
    raise ConfigError(
        f"model catalog {file}: neither bosun's format ([providers.<name>]) nor LiteLLM's",
        "see docs/pipelines.md, 'Model catalog'",
    )


def load_catalog(path: str | Path = "", project_dir: Path | None = None) -> Catalog:
    """The setting's file, else the project's updated copy, else the pinned one."""
    if path:
        return parse_catalog(Path(path))
    if project_dir is not None and (project_dir / PROJECT_FILE).is_file():
        return parse_catalog(project_dir / PROJECT_FILE)
    return parse_catalog(PINNED)


def update_catalog(source: Path, project_dir: Path) -> Catalog:
    """Check `source` and store it, normalised, as the project's catalog."""
    if not source.is_file():
        raise InvalidInput(f"no catalog file {source}", "pass --from PATH of a JSON or TOML file")
    catalog = parse_catalog(source)
    target = project_dir / PROJECT_FILE
    atomic_write_json(target, {**catalog.to_json(), "source": str(source.absolute())})
    return Catalog(str(target), catalog.version, catalog.providers, catalog.aliases)
