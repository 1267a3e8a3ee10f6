"""Every published pipeline in tests/pipeline_corpus parses with bosun's DOT parser and
validates as its source expects: no errors, except where the source refuses it too. The
tool-only ones also run (tests/integration/pipeline/test_pipeline_corpus_runs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bosun.pipeline.conditions import ConditionError, parse_condition
from bosun.pipeline.dot import parse_dot
from bosun.pipeline.validate import errors, validate

CORPUS = Path(__file__).resolve().parents[2] / "pipeline_corpus"
FILES = sorted(CORPUS.rglob("*.dot"))
# Conditions that use operators spec §10.7 reserves for the future (fabro-style `contains`, `!`).
FUTURE_OPERATORS = {"attractor-pi-dev/examples/ralph-wiggum/pipeline.dot"}
# The errors bosun reports per file; every other file validates without errors, as in its
# source. ralph-wiggum uses fabro's `contains`/`!` operators, which spec §10.7 reserves.
EXPECTED_ERRORS = {"attractor-pi-dev/examples/ralph-wiggum/pipeline.dot": {"condition_syntax"}}
# Files whose verdict differs from their source's, on purpose (docs/pipelines.md).
DIFFERS_FROM_SOURCE = {
    # Kilroy refuses llm_model without llm_provider (llm_provider_required, an error);
    # the spec (§8.4) infers the provider from the model id, and so does bosun.
    "kilroy/cmd/kilroy/testdata/batch/has_errors.dot": "llm_provider_required",
}


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


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_published_pipeline_validates_as_its_source_expects(path: Path) -> None:
    name = str(path.relative_to(CORPUS))
    graph = parse_dot(path.read_text(encoding="utf-8"), str(path))
    found = {d.rule for d in errors(validate(graph))}
    assert found == EXPECTED_ERRORS.get(name, set())


def test_the_deliberate_differences_are_warnings_not_silence() -> None:
    for name, rule in DIFFERS_FROM_SOURCE.items():
        graph = parse_dot((CORPUS / name).read_text(encoding="utf-8"), name)
        resolved = {d.rule: d.severity.value for d in validate(graph)}
        assert rule not in resolved or resolved[rule] == "warning"
