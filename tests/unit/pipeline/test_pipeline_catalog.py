"""The model catalog is data: bosun's format, LiteLLM's, a project copy, provider inference,
and preflight's unknown-model warning (an error only under --strict-models)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bosun.base.errors import ConfigError, InvalidInput
from bosun.pipeline.catalog import (
    PINNED,
    infer_provider,
    load_catalog,
    parse_catalog,
    update_catalog,
)
from bosun.pipeline.dot import parse_dot
from bosun.pipeline.preflight import preflight

LITELLM = {
    "sample_spec": {"max_tokens": "set to max output tokens"},
    "claude-opus-4-9": {"litellm_provider": "anthropic", "mode": "chat"},
    "gpt-7": {"litellm_provider": "openai", "mode": "chat"},
    "gemini/gemini-4-pro": {"litellm_provider": "gemini", "mode": "chat"},
}


def test_the_pinned_catalog_knows_current_model_ids() -> None:
    catalog = load_catalog()
    assert catalog.path == str(PINNED)
    assert {"gpt-5.4", "gpt-5.2", "gpt-5.3-codex"} <= set(catalog.providers["openai"]["models"])
    assert "claude-opus-4-6" in catalog.providers["anthropic"]["models"]


@pytest.mark.parametrize(
    ("model", "provider"),
    [
        ("claude-opus-4-6", "anthropic"),
        ("sonnet", "anthropic"),
        ("gpt-5.4", "openai"),
        ("o3", "openai"),
        ("gemini-3-pro", "google"),
        ("openrouter/some-model", "openrouter"),
        ("mystery", ""),
    ],
)
def test_the_provider_is_inferred_from_the_model_id(model: str, provider: str) -> None:
    assert infer_provider(model) == provider


def test_a_litellm_catalog_adds_its_models_to_the_pinned_providers(tmp_path: Path) -> None:
    file = tmp_path / "model_prices_and_context_window.json"
    file.write_text(json.dumps(LITELLM))
    catalog = parse_catalog(file)
    assert "claude-opus-4-9" in catalog.providers["anthropic"]["models"]
    assert "gpt-7" in catalog.providers["openai"]["models"]
    assert "gemini-4-pro" in catalog.providers["google"]["models"]
    assert catalog.providers["openai"]["presets"] == ["codex", "aider"]


def test_update_stores_a_project_copy_that_load_prefers(tmp_path: Path) -> None:
    source = tmp_path / "litellm.json"
    source.write_text(json.dumps(LITELLM))
    home = tmp_path / ".bosun"
    home.mkdir()
    stored = update_catalog(source, home)
    assert Path(stored.path) == home / "model_catalog.json"
    loaded = load_catalog("", home)
    assert "gpt-7" in loaded.providers["openai"]["models"]
    assert load_catalog(str(PINNED), home).path == str(PINNED)  # the setting wins


def test_bad_catalog_files_are_refused_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        update_catalog(tmp_path / "missing.json", tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text('{"x": 1}')
    with pytest.raises(ConfigError):
        parse_catalog(bad)


def test_an_unknown_model_is_a_warning_unless_strict() -> None:
    graph = parse_dot(
        "digraph { start [shape=Mdiamond]; exit [shape=Msquare]\n"
        ' a [prompt="x", llm_model="gpt-9000"]\n start -> a -> exit }'
    )
    report = preflight(graph, load_catalog(), None)
    assert report.ok and report.warnings and "gpt-9000" in report.warnings[0]
    assert report.checks[0]["provider"] == "openai"  # inferred
    strict = preflight(graph, load_catalog(), None, strict_models=True)
    assert not strict.ok and "not present in the catalog" in strict.failure
