"""Every published pipeline in tests/pipeline_corpus parses with bosun's DOT parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from bosun.pipeline.conditions import ConditionError, parse_condition
from bosun.pipeline.dot import parse_dot

CORPUS = Path(__file__).resolve().parents[2] / "pipeline_corpus"
FILES = sorted(CORPUS.rglob("*.dot"))
# Conditions that use operators spec §10.7 reserves for the future (fabro-style `contains`, `!`).
FUTURE_OPERATORS = {"attractor-pi-dev/examples/ralph-wiggum/pipeline.dot"}


def test_the_corpus_holds_at_least_twenty_pipelines_all_listed_in_its_readme() -> None:
    readme = (CORPUS / "README.md").read_text()
    assert len(FILES) >= 20
    missing = [
        str(p.relative_to(CORPUS)) for p in FILES if f"`{p.relative_to(CORPUS)}`" not in readme
    ]
    assert missing == []
    for origin in {p.relative_to(CORPUS).parts[0] for p in FILES}:
        assert (CORPUS / origin / "LICENSE").is_file()


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_published_pipeline_parses(path: Path) -> None:
    graph = parse_dot(path.read_text(encoding="utf-8"), str(path))
    assert graph.nodes
    assert graph.edges


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_published_pipeline_conditions_parse(path: Path) -> None:
    graph = parse_dot(path.read_text(encoding="utf-8"), str(path))
    refused = []
    for edge in graph.edges:
        try:
            parse_condition(edge.attrs.get("condition", ""))
        except ConditionError:
            refused.append(edge.ref)
    expected_refusals = str(path.relative_to(CORPUS)) in FUTURE_OPERATORS
    assert bool(refused) is expected_refusals, refused
