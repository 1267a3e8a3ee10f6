"""Preflight: before any node runs, every agent node's llm_provider/llm_model pair must be
in the pinned model catalog (or the file named by pipeline.model_catalog) and served by a
runtime preset. The result is written to preflight_report.json."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bosun.base.errors import ConfigError
from bosun.pipeline.graph import Graph
from bosun.pipeline.nodetypes import NodeType

PINNED = Path(__file__).with_name("model_catalog.toml")
PRESETS_DIR = Path(__file__).resolve().parents[1] / "runtime" / "presets"


@dataclass(frozen=True)
class Catalog:
    path: str
    version: str
    providers: dict[str, dict[str, list[str]]]
    aliases: dict[str, str]

    def provider(self, name: str) -> str:
        key = name.strip().lower()
        return self.aliases.get(key, key)


def load_catalog(path: str | Path = "") -> Catalog:
    file = Path(path) if path else PINNED
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"model catalog {file} cannot be read: {exc}",
            "fix the file or unset pipeline.model_catalog",
        ) from exc
    providers = {
        str(name): {
            "models": [str(m) for m in spec.get("models", [])],
            "presets": [str(p) for p in spec.get("presets", [])],
        }
        for name, spec in dict(data.get("providers", {})).items()
    }
    return Catalog(
        str(file),
        str(data.get("version", "")),
        providers,
        {str(k): str(v) for k, v in dict(data.get("aliases", {})).items()},
    )


def installed_presets(directory: Path = PRESETS_DIR) -> set[str] | None:
    """Names of the runtime presets shipped with bosun, or None when none are installed."""
    if not directory.is_dir():
        return None
    names = {p.stem for p in directory.glob("*.toml")}
    return names or None


@dataclass
class PreflightReport:
    catalog: str
    checks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c["ok"] for c in self.checks)

    @property
    def failure(self) -> str:
        bad = [c for c in self.checks if not c["ok"]]
        return "preflight: " + "; ".join(c["message"] for c in bad) if bad else ""

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "catalog": self.catalog,
            "checks": self.checks,
            "failure_reason": self.failure,
        }


def preflight(graph: Graph, catalog: Catalog, presets: set[str] | None) -> PreflightReport:
    report = PreflightReport(catalog.path)
    for node in graph.nodes.values():
        if node.type != NodeType.AGENT:
            continue
        raw_provider = node.get("llm_provider") or graph.get("llm_provider")
        model = (node.get("llm_model") or graph.get("llm_model")).strip()
        if not raw_provider and not model:
            continue
        provider = catalog.provider(raw_provider) if raw_provider else ""

        def check(
            name: str,
            ok: bool,
            message: str,
            node_id: str = node.id,
            prov: str = provider,
            mod: str = model,
        ) -> None:
            report.checks.append(
                {
                    "node": node_id,
                    "check": name,
                    "provider": prov,
                    "model": mod,
                    "ok": ok,
                    "message": message,
                }
            )

        if not provider:
            check("provider_required", False, f"{node.id}: llm_model={model} has no llm_provider")
            continue
        spec = catalog.providers.get(provider)
        if spec is None:
            check(
                "provider_known",
                False,
                f"{node.id}: llm_provider={raw_provider} is not in the model catalog",
            )
            continue
        if model and model not in spec["models"]:
            check(
                "model_in_catalog",
                False,
                f"{node.id}: llm_provider={provider} model={model} not present in the catalog",
            )
        else:
            check("model_in_catalog", True, f"{node.id}: {provider}/{model or '(default)'} ok")
        if presets is None:
            check("runtime_preset", True, f"{node.id}: runtime presets not installed; skipped")
        elif not set(spec["presets"]) & presets:
            check(
                "runtime_preset",
                False,
                f"{node.id}: no runtime preset for llm_provider={provider} "
                f"(wants one of {', '.join(spec['presets'])})",
            )
        else:
            check("runtime_preset", True, f"{node.id}: preset available for {provider}")
    return report
