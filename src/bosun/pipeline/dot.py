"""A hand-written parser for the Attractor subset of DOT (spec §2.2, §2.3).

Accepted: one `digraph` with an optional bare name and an optional trailing `;`; `//` and
`/* */` comments (and `#` at line start); node ids matching `[A-Za-z_][A-Za-z0-9_]*`;
attribute blocks `[k=v, k=v]` (commas required, one block per statement) whose keys may be
qualified (`a.b.c`) and whose values are strings or bare values (`gpt-5.4`, `summary:high`,
`900s`, `-1`, `0.5`); chained edges `a -> b -> c [attrs]` (one edge per pair, each with the
attributes); `node [...]` and `edge [...]` defaults scoped to what follows in the same
(sub)graph; `subgraph [name] { ... }` flattened, its `label` becoming a class on its nodes.
Extensions kept from Graphviz: an unnamed digraph and `"a" + "b"` concatenation. Refused:
`strict`, undirected graphs and `--`, ports, quoted or numeric node ids, anonymous `{ }`
blocks, subgraphs as edge endpoints. Every error carries line, column and a hint.
"""

from __future__ import annotations

import bisect
import re

from bosun.pipeline.dot_lexer import (
    IDENTIFIER,
    KEY,
    VALUE,
    DotSyntaxError,
    Tok,
    position,
    tokenize,
)
from bosun.pipeline.graph import Edge, Graph, Node, build_graph

__all__ = ["DotSyntaxError", "parse_dot", "subgraph_class", "tokenize"]

_KEYWORDS = {"digraph", "graph", "node", "edge", "subgraph", "strict"}
_NOT_CLASS = re.compile(r"[^a-z0-9-]+")
_ID_HINT = 'node ids match [A-Za-z_][A-Za-z0-9_]*; put human-readable names in label="..."'
_COMMA_HINT = 'spec §2.3: separate attributes with commas, e.g. [shape=box, label="x"]'


def subgraph_class(label: str) -> str:
    """A subgraph label as a class (§2.10): lowercased, spaces to '-', all but [a-z0-9-] dropped."""
    return _NOT_CLASS.sub("", label.strip().lower().replace(" ", "-"))


class _Scope:
    __slots__ = ("node_defaults", "edge_defaults", "attrs", "members")

    def __init__(self, node_defaults: dict[str, str], edge_defaults: dict[str, str]) -> None:
        self.node_defaults = node_defaults
        self.edge_defaults = edge_defaults
        self.attrs: dict[str, str] = {}
        self.members: list[str] = []


class _Parser:
    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.toks = tokenize(text, source)
        self.i = 0
        self.graph_attrs: dict[str, str] = {}
        self.nodes: dict[str, dict[str, str]] = {}
        self.node_pos: dict[str, int] = {}
        self.node_classes: dict[str, list[str]] = {}
        self.declared: set[str] = set()
        self.edges: list[tuple[str, str, dict[str, str], int]] = []
        self.scopes: list[_Scope] = []
        self._line_starts: list[int] | None = None
        self.bare_values: set[str] = set()

    # -- token helpers ---------------------------------------------------------------
    def peek(self) -> Tok:
        return self.toks[self.i]

    def next(self) -> Tok:
        tok = self.toks[self.i]
        if tok.kind != "eof":
            self.i += 1
        return tok

    def error(self, tok: Tok, message: str, hint: str = "", offset: int = 0) -> DotSyntaxError:
        line, column = position(self.text, tok.pos + offset)
        return DotSyntaxError(message, line, column, self.source, hint)

    def expect(self, value: str, hint: str = "") -> Tok:
        tok = self.next()
        if tok.kind not in ("punct", "arrow") or tok.value != value:
            raise self.error(tok, f"expected {value!r} but found {tok.text!r}", hint)
        return tok

    def accept(self, value: str) -> bool:
        tok = self.toks[self.i]
        if tok.kind == "punct" and tok.value == value:
            self.i += 1
            return True
        return False

    def at(self, value: str) -> bool:
        tok = self.toks[self.i]
        return tok.kind == "punct" and tok.value == value

    def node_id(self, tok: Tok, what: str = "a node id") -> str:
        """The node id at `tok` (already consumed): Identifier of §2.2, ASCII, not a keyword."""
        if tok.value in self.nodes and tok.kind == "word":  # checked when first seen
            return tok.value
        if tok.kind == "word" and IDENTIFIER.match(tok.value):
            if tok.value.lower() in _KEYWORDS:
                raise self.error(tok, f"unexpected keyword {tok.value!r}", _ID_HINT)
            return tok.value
        if tok.kind == "word" and ":" in tok.value:
            raise self.error(
                tok, "ports ('node:port') are not supported", _ID_HINT, tok.value.index(":")
            )
        if tok.kind == "word" and "--" in tok.value:
            raise self.error(
                tok,
                "'--' is an undirected edge; pipelines use '->'",
                "write a -> b",
                tok.value.index("--"),
            )
        if tok.kind == "string":
            raise self.error(
                tok, f"quoted node id {tok.value!r}; spec §2.3 wants bare ids", _ID_HINT
            )
        if tok.kind == "word":
            raise self.error(tok, f"invalid node id {tok.value!r}", _ID_HINT)
        raise self.error(tok, f"expected {what} but found {tok.text!r}")

    def value(self, key: str) -> str:
        tok = self.next()
        if tok.kind == "string":
            value = tok.value
            while self.accept("+"):
                more = self.next()
                if more.kind != "string":
                    raise self.error(more, "expected a quoted string after '+'")
                value += more.value
            return value
        if tok.kind == "word":
            if tok.value in self.bare_values or VALUE.match(tok.value):
                self.bare_values.add(tok.value)
                return tok.value
            raise self.error(
                tok,
                f"invalid bare value {tok.value!r} for {key!r}",
                "quote it; bare values are numbers, durations or [A-Za-z_][A-Za-z0-9_.:-]*",
            )
        raise self.error(tok, f"expected a value for {key!r} but found {tok.text!r}")

    def key(self) -> str:
        tok = self.next()
        if tok.kind == "word" and KEY.match(tok.value):
            return tok.value
        if tok.kind in ("word", "string"):
            raise self.error(
                tok,
                f"invalid attribute name {tok.text!r}",
                "attribute names are bare identifiers, optionally qualified (a.b.c)",
            )
        raise self.error(tok, f"expected an attribute name but found {tok.text!r}")

    def line_of(self, pos: int) -> int:
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        return bisect.bisect_right(self._line_starts, pos)

    # -- grammar ---------------------------------------------------------------------
    def parse(self) -> Graph:
        tok = self.next()
        word = tok.value.lower() if tok.kind == "word" else ""
        if word == "strict":
            raise self.error(
                tok, "a 'strict' digraph; spec §2.3 refuses the strict modifier", "remove 'strict'"
            )
        if word != "digraph":
            if word == "graph":
                raise self.error(
                    tok, "an undirected 'graph'; pipelines are one 'digraph'", "write digraph"
                )
            raise self.error(tok, f"expected 'digraph' but found {tok.text!r}")
        name = ""
        nxt = self.peek()
        if nxt.kind == "string" or (nxt.kind == "word" and not IDENTIFIER.match(nxt.value)):
            raise self.error(
                nxt,
                f"invalid graph name {nxt.text!r}",
                "name the digraph with a bare identifier, e.g. digraph my_pipeline {",
            )
        if nxt.kind == "word":
            name = self.next().value
        self.expect("{")
        self.scopes.append(_Scope({}, {}))
        self.statements()
        self.expect("}")
        self.accept(";")
        trailing = self.peek()
        if trailing.kind != "eof":
            raise self.error(
                trailing,
                "unexpected text after the digraph (one digraph only)",
                "spec §2.3: one digraph per file",
            )
        nodes = [
            Node(
                nid,
                attrs,
                tuple(dict.fromkeys(self._classes(nid, attrs))),
                self.line_of(self.node_pos[nid]),
                nid in self.declared,
            )
            for nid, attrs in self.nodes.items()
        ]
        edges = [
            Edge(src, dst, attrs, order, self.line_of(pos))
            for order, (src, dst, attrs, pos) in enumerate(self.edges)
        ]
        return build_graph(name, self.graph_attrs, nodes, edges, self.source)

    def _classes(self, nid: str, attrs: dict[str, str]) -> list[str]:
        declared = [c.strip() for c in attrs.get("class", "").split(",") if c.strip()]
        return declared + self.node_classes.get(nid, [])

    def statements(self) -> None:
        while True:
            tok = self.peek()
            if tok.kind == "eof" or (tok.kind == "punct" and tok.value == "}"):
                return
            if tok.kind == "punct" and tok.value == ";":
                self.next()
                continue
            self.statement()

    def statement(self) -> None:
        tok = self.next()
        word = tok.value.lower() if tok.kind == "word" else ""
        scope = self.scopes[-1]
        if word in ("graph", "node", "edge") and self.at("["):
            attrs = self.attr_block()
            if word == "node":
                scope.node_defaults = {**scope.node_defaults, **attrs}
            elif word == "edge":
                scope.edge_defaults = {**scope.edge_defaults, **attrs}
            elif len(self.scopes) == 1:
                self.graph_attrs.update(attrs)
            else:
                scope.attrs.update(attrs)
            return
        if word == "subgraph":
            self.subgraph(tok)
            return
        if tok.kind == "punct" and tok.value == "{":
            if self._block_is_an_endpoint():
                raise self.error(tok, "a subgraph as an edge endpoint is not supported")
            raise self.error(
                tok,
                "an anonymous '{ ... }' block",
                "spec §2.2: write 'subgraph { ... }'; subgraphs are not edge endpoints",
            )
        nxt = self.peek()
        if nxt.kind == "punct" and nxt.value == "=":
            if tok.kind != "word" or not KEY.match(tok.value):
                raise self.error(tok, f"invalid attribute name {tok.text!r}")
            self.next()
            value = self.value(tok.value)
            if len(self.scopes) == 1:
                self.graph_attrs[tok.value] = value
            else:
                scope.attrs[tok.value] = value
            return
        if tok.kind == "punct":
            raise self.error(tok, f"expected a statement but found {tok.value!r}")
        first = self.node_id(tok)
        if nxt.kind == "arrow":
            self.edge_chain(first, tok.pos)
            return
        attrs = self.attr_block() if self.at("[") else {}
        self.touch_node(first, tok.pos)
        self.declared.add(first)
        if attrs:
            self.nodes[first].update(attrs)

    def _block_is_an_endpoint(self) -> bool:
        depth, j = 1, self.i
        while depth and self.toks[j].kind != "eof":
            tok = self.toks[j]
            if tok.kind == "punct" and tok.value in "{}":
                depth += 1 if tok.value == "{" else -1
            j += 1
        return self.toks[j].kind == "arrow"

    def subgraph(self, keyword: Tok) -> None:
        nxt = self.peek()
        if nxt.kind in ("word", "string"):
            if nxt.kind == "string" or not IDENTIFIER.match(nxt.value):
                raise self.error(nxt, f"invalid subgraph name {nxt.text!r}", _ID_HINT)
            self.next()
        self.expect("{")
        parent = self.scopes[-1]
        scope = _Scope(dict(parent.node_defaults), dict(parent.edge_defaults))
        self.scopes.append(scope)
        self.statements()
        self.expect("}")
        self.scopes.pop()
        if self.peek().kind == "arrow":
            raise self.error(keyword, "a subgraph as an edge endpoint is not supported")
        label = scope.attrs.get("label", "")
        cls = subgraph_class(label) if label else ""
        for nid in scope.members:
            if cls and cls not in self.node_classes.setdefault(nid, []):
                self.node_classes[nid].append(cls)
            parent.members.append(nid)

    def edge_chain(self, first: str, first_pos: int) -> None:
        chain = [(first, first_pos)]
        while self.peek().kind == "arrow":
            self.next()
            tok = self.next()
            if (tok.kind == "punct" and tok.value == "{") or (
                tok.kind == "word" and tok.value.lower() == "subgraph"
            ):
                raise self.error(tok, "a subgraph as an edge endpoint is not supported")
            chain.append((self.node_id(tok, "a node id after '->'"), tok.pos))
        attrs = self.attr_block() if self.at("[") else {}
        scope = self.scopes[-1]
        merged = {**scope.edge_defaults, **attrs} if scope.edge_defaults else attrs
        for nid, pos in chain:
            self.touch_node(nid, pos)
        for (src, pos), (dst, _) in zip(chain, chain[1:], strict=False):
            self.edges.append((src, dst, dict(merged), pos))

    def touch_node(self, nid: str, pos: int) -> None:
        if nid not in self.nodes:
            self.nodes[nid] = dict(self.scopes[-1].node_defaults)
            self.node_pos[nid] = pos
        for scope in self.scopes[1:]:
            scope.members.append(nid)

    def attr_block(self) -> dict[str, str]:
        """`'[' Attr (',' Attr)* ']'`: commas required, one block per statement (§2.2)."""
        self.expect("[")
        attrs: dict[str, str] = {}
        while True:
            key = self.key()
            self.expect("=", f"write {key}=value")
            attrs[key] = self.value(key)
            if self.accept("]"):
                break
            tok = self.next()
            if tok.kind != "punct" or tok.value != ",":
                raise self.error(
                    tok, f"expected ',' or ']' after {key!r} but found {tok.text!r}", _COMMA_HINT
                )
        if self.at("["):
            raise self.error(
                self.peek(), "a second attribute block", "spec §2.2: merge them into one [...]"
            )
        return attrs


def parse_dot(text: str, source: str = "") -> Graph:
    """Parse one digraph; raise DotSyntaxError (with line:column and a hint) on anything else."""
    return _Parser(text, source).parse()
