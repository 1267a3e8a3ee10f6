"""Preflight: before any node runs, every agent node's resolved provider and model (node
attribute > stylesheet > graph attribute; a missing provider is inferred from the model id)
is checked against the model catalog (`bosun.pipeline.catalog`) and the runtime presets.

A provider nobody serves is an error. A model the catalog does not list is a warning (the
catalog may be older than the model), or an error under `--strict-models`. The result is
written to preflight_report.json.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bosun.pipeline.catalog import PINNED, Catalog, load_catalog
from bosun.pipeline.graph import Graph
from bosun.pipeline.nodetypes import NodeType
from bosun.pipeline.stylesheet import resolve_model

__all__ = ["PINNED", "Catalog", "PreflightReport", "installed_presets", "load_catalog", "preflight"]

PRESETS_DIR = Path(__file__).resolve().parents[1] / "runtime" / "presets"


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

    @property
    def warnings(self) -> list[str]:
        return [c["message"] for c in self.checks if c["ok"] and c.get("warning")]

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "catalog": self.catalog,
            "checks": self.checks,
            "failure_reason": self.failure,
            "warnings": self.warnings,
        }


def preflight(
    graph: Graph, catalog: Catalog, presets: set[str] | None, strict_models: bool = False
) -> PreflightReport:
    report = PreflightReport(catalog.path)
    for node in graph.nodes.values():
        if node.type != NodeType.AGENT:
            continue
        resolved = resolve_model(graph, node)
        raw_provider = resolved.get("llm_provider", "")
        model = resolved.get("llm_model", "")
        if not raw_provider and not model:
            continue
        provider = catalog.provider(raw_provider) if raw_provider else ""

        def check(
            name: str,
            ok: bool,
            message: str,
            warning: bool = False,
            node_id: str = node.id,
            provider: str = provider,
            model: str = model,
        ) -> None:
            report.checks.append(
                {
                    "node": node_id,
                    "check": name,
                    "provider": provider,
                    "model": model,
                    "ok": ok,
                    "warning": warning,
                    "message": message,
                }
            )

        if not provider:
            check(
                "provider_required",
                False,
                f"{node.id}: llm_model={model} has no llm_provider and none can be inferred",
            )
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
            message = (
                f"{node.id}: llm_provider={provider} model={model} not present in the catalog "
                f"({catalog.path}); update it with `bosun run catalog update --from FILE`"
            )
            check("model_in_catalog", not strict_models, message, warning=not strict_models)
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
