"""The model stylesheet (spec §8): CSS-like rules that give nodes their LLM provider, model
and reasoning effort.

    Stylesheet ::= Rule+
    Rule       ::= Selector '{' Declaration ( ';' Declaration )* ';'? '}'
    Selector   ::= '*' | ShapeName | '#' Identifier | '.' ClassName

Specificity: `*` 0 < shape 1 < `.class` 2 < `#id` 3; among equal specificity the later rule
wins. Resolution for each property (§8.5): the node's own attribute, then the best
stylesheet rule, then the graph attribute of the same name, then nothing (the runtime's
default). Kilroy's `max_tokens` is accepted as a fourth property.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bosun.pipeline.catalog import infer_provider

if TYPE_CHECKING:
    from bosun.pipeline.graph import Graph, Node

PROPERTIES = ("llm_model", "llm_provider", "reasoning_effort", "max_tokens")
RESOLVED = ("llm_provider", "llm_model", "reasoning_effort")
REASONING_EFFORTS = ("low", "medium", "high")
_SELECTOR = re.compile(r"^(\*|#[A-Za-z_][A-Za-z0-9_]*|\.[A-Za-z0-9_-]+|[A-Za-z][A-Za-z0-9_]*)$")
_RULE = re.compile(r"\s*([^{}\s]+)\s*\{([^{}]*)\}\s*", re.S)


class StylesheetError(ValueError):
    """A `model_stylesheet` that does not parse; `message` says where."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class StyleRule:
    selector: str
    declarations: tuple[tuple[str, str], ...]
    order: int

    @property
    def specificity(self) -> int:
        if self.selector == "*":
            return 0
        if self.selector.startswith("#"):
            return 3
        if self.selector.startswith("."):
            return 2
        return 1

    def matches(self, node: Node) -> bool:
        sel = self.selector
        if sel == "*":
            return True
        if sel.startswith("#"):
            return node.id == sel[1:]
        if sel.startswith("."):
            return sel[1:] in node.classes or sel[1:] in _classes_attr(node)
        return node.shape == sel


def _classes_attr(node: Node) -> list[str]:
    return [c.strip() for c in node.get("class").split(",") if c.strip()]


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def parse_stylesheet(text: str) -> tuple[StyleRule, ...]:
    """The rules of a stylesheet, in order; raises `StylesheetError` on bad syntax."""
    rules: list[StyleRule] = []
    pos = 0
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    while pos < len(text):
        if not text[pos:].strip():
            break
        match = _RULE.match(text, pos)
        if match is None:
            snippet = text[pos:].strip()[:40]
            raise StylesheetError(f"expected `selector {{ property: value; }}` at {snippet!r}")
        selector, body = match.group(1), match.group(2)
        if not _SELECTOR.match(selector):
            raise StylesheetError(f"bad selector {selector!r} (use *, a shape, .class or #id)")
        decls: list[tuple[str, str]] = []
        for part in body.split(";"):
            if not part.strip():
                continue
            if ":" not in part:
                raise StylesheetError(f"{selector}: declaration {part.strip()!r} has no ':'")
            key, value = part.split(":", 1)
            key, value = key.strip(), _unquote(value)
            if key not in PROPERTIES:
                raise StylesheetError(
                    f"{selector}: unknown property {key!r} (use {', '.join(PROPERTIES)})"
                )
            if not value:
                raise StylesheetError(f"{selector}: {key} has no value")
            decls.append((key, value))
        if not decls:
            raise StylesheetError(f"{selector}: empty rule")
        rules.append(StyleRule(selector, tuple(decls), len(rules)))
        pos = match.end()
    if not rules and text.strip():
        raise StylesheetError("no rules found")
    return tuple(rules)


def stylesheet_values(rules: tuple[StyleRule, ...], node: Node) -> dict[str, str]:
    """The stylesheet's value for each property of `node` (best specificity, later wins)."""
    best: dict[str, tuple[int, int, str]] = {}
    for rule in rules:
        if not rule.matches(node):
            continue
        for key, value in rule.declarations:
            rank = (rule.specificity, rule.order)
            if key not in best or rank >= best[key][:2]:
                best[key] = (*rank, value)
    return {key: v[2] for key, v in best.items()}


def resolve_model(graph: Graph, node: Node) -> dict[str, str]:
    """Provider, model, reasoning effort (and max_tokens when set) for `node`, each with
    where it came from: node attribute > stylesheet > graph attribute > runtime default.
    A provider left open is inferred from the model id (§8.4 'auto-detected')."""
    try:
        rules = parse_stylesheet(graph.get("model_stylesheet"))
    except StylesheetError:
        rules = ()
    styled = stylesheet_values(rules, node)
    out: dict[str, str] = {}
    for key in PROPERTIES:
        if node.get(key).strip():
            out[key], out[f"{key}_source"] = node.get(key).strip(), "node"
        elif key in styled:
            out[key], out[f"{key}_source"] = styled[key], "stylesheet"
        elif graph.get(key).strip():
            out[key], out[f"{key}_source"] = graph.get(key).strip(), "graph"
    if out.get("llm_model") and not out.get("llm_provider"):
        inferred = infer_provider(out["llm_model"])
        if inferred:
            out["llm_provider"], out["llm_provider_source"] = inferred, "inferred"
    return out


def model_env(graph: Graph, node: Node) -> dict[str, str]:
    """The resolved model as environment variables for the agent's session:
    `BOSUN_LLM_PROVIDER`, `BOSUN_LLM_MODEL`, `BOSUN_REASONING_EFFORT` (set ones only)."""
    resolved = resolve_model(graph, node)
    names = {
        "llm_provider": "BOSUN_LLM_PROVIDER",
        "llm_model": "BOSUN_LLM_MODEL",
        "reasoning_effort": "BOSUN_REASONING_EFFORT",
        "max_tokens": "BOSUN_MAX_TOKENS",
    }
    return {env: resolved[key] for key, env in names.items() if resolved.get(key)}
