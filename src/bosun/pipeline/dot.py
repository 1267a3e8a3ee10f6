"""A hand-written parser for the Attractor subset of DOT.

Accepted: one `digraph`; `//`, `#` (line start) and `/* */` comments; quoted and bare ASCII
ids; attribute lists separated by commas or semicolons; qualified keys (`a.b.c`); chained
edges `a -> b -> c [attrs]` (one edge per pair, each with the attributes); `node [...]` and
`edge [...]` defaults scoped to what follows in the same (sub)graph; subgraphs flattened, a
subgraph `label` becoming a class on its nodes. Every error carries line and column.
"""

from __future__ import annotations

import bisect
import re
from typing import NamedTuple

from bosun.base.errors import InvalidInput
from bosun.pipeline.graph import Edge, Graph, Node, build_graph, class_name

_TOKEN = re.compile(
    r"""[ \t\r\n]*(?:
      (-?[A-Za-z0-9_.]+)
    | ([{}\[\]=;,+:])
    | (->)
    | ("(?:[^"\\]|\\.)*")
    | (//[^\n]*|/\*(?:[^*]|\*(?!/))*\*/|(?m:^\#[^\n]*))
    | (--)
    | ("|/\*)
    | (.)
    | $)
    """,
    re.VERBOSE | re.DOTALL,
)
_ID, _PUNCT, _ARROW, _STRING, _COMMENT, _UNDIRECTED, _UNCLOSED, _OTHER = range(1, 9)
_KEYWORDS = {"digraph", "graph", "node", "edge", "subgraph", "strict"}
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "l": "\n", "r": "\n"}
_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)


class DotSyntaxError(InvalidInput):
    """A graph that is not valid in the dialect; `line` and `column` are 1-based."""

    code = "dot_syntax"

    def __init__(self, message: str, line: int, column: int, source: str = "") -> None:
        where = f"{source}:" if source else ""
        super().__init__(
            f"{where}{line}:{column}: {message}",
            "see docs/pipelines.md for the DOT dialect bosun accepts",
        )
        self.line = line
        self.column = column
        self.detail = message


class _Tok(NamedTuple):
    kind: str  # id | string | arrow | punct | eof
    value: str
    pos: int

    @property
    def text(self) -> str:
        return self.value if self.kind != "eof" else "end of input"


def _unquote(raw: str) -> str:
    body = raw[1:-1]
    if "\\" not in body:
        return body
    return _ESCAPE_RE.sub(lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), body)


def tokenize(text: str, source: str = "") -> list[_Tok]:
    tokens: list[_Tok] = []
    append = tokens.append
    for match in _TOKEN.finditer(text):
        group = match.lastindex
        if group is None:  # trailing whitespace up to the end
            continue
        value = match.group(group)
        if group == _ID:
            append(_Tok("id", value, match.start(group)))
        elif group == _PUNCT:
            append(_Tok("punct", value, match.start(group)))
        elif group == _ARROW:
            append(_Tok("arrow", value, match.start(group)))
        elif group == _STRING:
            pos = match.start(group)
            if not value.isascii():
                _fail(text, pos, "identifiers and strings must be ASCII", source)
            append(_Tok("string", _unquote(value), pos))
        elif group == _COMMENT:
            continue
        elif group == _UNDIRECTED:
            _fail(
                text, match.start(group), "'--' is an undirected edge; pipelines use '->'", source
            )
        elif group == _UNCLOSED:
            what = "string" if value == '"' else "comment"
            _fail(text, match.start(group), f"unterminated {what}", source)
        else:
            pos = match.start(group)
            if not value.isascii():
                _fail(text, pos, f"non-ASCII character {value!r}; ids must be ASCII", source)
            _fail(text, pos, f"unexpected character {value!r}", source)
    tokens.append(_Tok("eof", "", len(text)))
    return tokens


def _position(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, column


def _fail(text: str, pos: int, message: str, source: str) -> None:
    line, column = _position(text, pos)
    raise DotSyntaxError(message, line, column, source)


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

    # -- token helpers ---------------------------------------------------------------
    def peek(self) -> _Tok:
        return self.toks[self.i]

    def next(self) -> _Tok:
        tok = self.toks[self.i]
        if tok.kind != "eof":
            self.i += 1
        return tok

    def error(self, tok: _Tok, message: str) -> DotSyntaxError:
        line, column = _position(self.text, tok.pos)
        return DotSyntaxError(message, line, column, self.source)

    def expect(self, value: str) -> _Tok:
        tok = self.next()
        if tok.kind not in ("punct", "arrow") or tok.value != value:
            raise self.error(tok, f"expected {value!r} but found {tok.text!r}")
        return tok

    def accept(self, value: str) -> bool:
        tok = self.toks[self.i]
        if tok.kind == "punct" and tok.value == value:
            self.i += 1
            return True
        return False

    def ident(self, what: str) -> str:
        tok = self.next()
        if tok.kind not in ("id", "string"):
            raise self.error(tok, f"expected {what} but found {tok.text!r}")
        value = tok.value
        while tok.kind == "string" and self.accept("+"):
            more = self.next()
            if more.kind != "string":
                raise self.error(more, "expected a quoted string after '+'")
            value += more.value
        return value

    def line_of(self, pos: int) -> int:
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        return bisect.bisect_right(self._line_starts, pos)

    # -- grammar ---------------------------------------------------------------------
    def parse(self) -> Graph:
        tok = self.next()
        if tok.kind == "id" and tok.value.lower() == "strict":
            tok = self.next()
        if tok.kind != "id" or tok.value.lower() != "digraph":
            if tok.kind == "id" and tok.value.lower() == "graph":
                raise self.error(tok, "an undirected 'graph'; pipelines are one 'digraph'")
            raise self.error(tok, f"expected 'digraph' but found {tok.text!r}")
        name = ""
        if self.peek().kind in ("id", "string"):
            name = self.ident("a graph name")
        self.expect("{")
        self.scopes.append(_Scope({}, {}))
        self.statements()
        self.expect("}")
        trailing = self.peek()
        if trailing.kind != "eof":
            raise self.error(trailing, "unexpected text after the digraph (one digraph only)")
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
        tok = self.peek()
        word = tok.value.lower() if tok.kind == "id" else ""
        scope = self.scopes[-1]
        if word in ("graph", "node", "edge") and self._is_attr_stmt():
            self.next()
            attrs = self.attr_lists()
            if word == "node":
                scope.node_defaults = {**scope.node_defaults, **attrs}
            elif word == "edge":
                scope.edge_defaults = {**scope.edge_defaults, **attrs}
            elif len(self.scopes) == 1:
                self.graph_attrs.update(attrs)
            else:
                scope.attrs.update(attrs)
            return
        if word == "subgraph" or (tok.kind == "punct" and tok.value == "{"):
            self.subgraph()
            return
        if tok.kind == "punct":
            raise self.error(tok, f"expected a statement but found {tok.value!r}")
        if word in _KEYWORDS:
            raise self.error(tok, f"unexpected keyword {tok.value!r}")
        first = self.ident("a node id")
        nxt = self.peek()
        if nxt.kind == "punct" and nxt.value == "=":
            self.next()
            value = self.ident("a value")
            if len(self.scopes) == 1:
                self.graph_attrs[first] = value
            else:
                scope.attrs[first] = value
            return
        if nxt.kind == "punct" and nxt.value == ":":
            raise self.error(nxt, "ports ('node:port') are not supported")
        if nxt.kind == "arrow":
            self.edge_chain(first, tok.pos)
            return
        attrs = self.attr_lists() if nxt.kind == "punct" and nxt.value == "[" else {}
        self.touch_node(first, tok.pos)
        self.declared.add(first)
        if attrs:
            self.nodes[first].update(attrs)

    def _is_attr_stmt(self) -> bool:
        nxt = self.toks[self.i + 1]
        return nxt.kind == "punct" and nxt.value == "["

    def subgraph(self) -> None:
        if self.peek().kind == "id":
            self.next()  # 'subgraph'
            if self.peek().kind in ("id", "string"):
                self.ident("a subgraph name")
        brace = self.expect("{")
        parent = self.scopes[-1]
        scope = _Scope(dict(parent.node_defaults), dict(parent.edge_defaults))
        self.scopes.append(scope)
        self.statements()
        self.expect("}")
        self.scopes.pop()
        nxt = self.peek()
        if nxt.kind == "arrow":
            raise self.error(brace, "a subgraph as an edge endpoint is not supported")
        label = scope.attrs.get("label", "")
        cls = class_name(label) if label else ""
        for nid in scope.members:
            if cls and cls not in self.node_classes.setdefault(nid, []):
                self.node_classes[nid].append(cls)
            parent.members.append(nid)

    def edge_chain(self, first: str, first_pos: int) -> None:
        chain = [(first, first_pos)]
        while self.peek().kind == "arrow":
            self.next()
            tok = self.peek()
            if (
                tok.kind == "punct"
                and tok.value == "{"
                or (tok.kind == "id" and tok.value.lower() == "subgraph")
            ):
                raise self.error(tok, "a subgraph as an edge endpoint is not supported")
            chain.append((self.ident("a node id after '->'"), tok.pos))
        attrs = self.attr_lists() if self.accept_peek("[") else {}
        scope = self.scopes[-1]
        merged = {**scope.edge_defaults, **attrs} if scope.edge_defaults else attrs
        for nid, pos in chain:
            self.touch_node(nid, pos)
        for (src, pos), (dst, _) in zip(chain, chain[1:], strict=False):
            self.edges.append((src, dst, dict(merged), pos))

    def accept_peek(self, value: str) -> bool:
        tok = self.peek()
        return tok.kind == "punct" and tok.value == value

    def touch_node(self, nid: str, pos: int) -> None:
        if nid not in self.nodes:
            self.nodes[nid] = dict(self.scopes[-1].node_defaults)
            self.node_pos[nid] = pos
        for scope in self.scopes[1:]:
            scope.members.append(nid)

    def attr_lists(self) -> dict[str, str]:
        attrs: dict[str, str] = {}
        while self.accept("["):
            while not self.accept("]"):
                key_tok = self.peek()
                key = self.ident("an attribute name")
                if not key_tok.kind == "string" and key.startswith("-"):
                    raise self.error(key_tok, f"invalid attribute name {key!r}")
                self.expect("=")
                attrs[key] = self.ident(f"a value for {key!r}")
                if not self.accept(","):
                    self.accept(";")
        return attrs


def parse_dot(text: str, source: str = "") -> Graph:
    """Parse one digraph; raise DotSyntaxError (with line:column) on anything else."""
    return _Parser(text, source).parse()
