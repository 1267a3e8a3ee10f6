"""The tokens of the Attractor DOT subset (spec §2.2) and the one-line syntax error.

One master regex splits the text. A `word` is any run of `[A-Za-z0-9_.:]` with inner `-`
(never `->`), so `claude-opus-4-6`, `summary:high`, `gpt-5.4` and `-1` are single tokens;
the parser then checks each word against the rule of its position (Identifier, Key, Value).
Strings may hold any character, non-ASCII included, except an unescaped `"` or `\\`; the
escapes are `\\"`, `\\\\`, `\\n` and `\\t`.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from bosun.base.errors import InvalidInput

_TOKEN = re.compile(
    r"""[ \t\r\n]*(?:
      (-?[A-Za-z0-9_.:]+(?:-(?!>)[A-Za-z0-9_.:]*)*)
    | ([{}\[\]=;,+])
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
_WORD, _PUNCT, _ARROW, _STRING, _COMMENT, _UNDIRECTED, _UNCLOSED, _OTHER = range(1, 9)

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
# Integer, Float, Duration (Integer + unit) and BareValue of §2.2; Boolean is a BareValue.
VALUE = re.compile(r"(?:-?[0-9]+(?:ms|s|m|h|d)?|-?[0-9]*\.[0-9]+|[A-Za-z_][A-Za-z0-9_.:-]*)\Z")
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}
_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)
_DOCS_HINT = "see docs/pipelines.md for the DOT dialect bosun accepts"


class DotSyntaxError(InvalidInput):
    """A graph that is not valid in the dialect; `line` and `column` are 1-based."""

    code = "dot_syntax"

    def __init__(
        self, message: str, line: int, column: int, source: str = "", hint: str = ""
    ) -> None:
        where = f"{source}:" if source else ""
        super().__init__(f"{where}{line}:{column}: {message}", hint or _DOCS_HINT)
        self.line = line
        self.column = column
        self.detail = message


class Tok(NamedTuple):
    kind: str  # word | string | arrow | punct | eof
    value: str
    pos: int

    @property
    def text(self) -> str:
        return self.value if self.kind != "eof" else "end of input"


def position(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, column


def fail(text: str, pos: int, message: str, source: str, hint: str = "") -> DotSyntaxError:
    line, column = position(text, pos)
    return DotSyntaxError(message, line, column, source, hint)


def _unquote(text: str, raw: str, pos: int, source: str) -> str:
    body = raw[1:-1]
    if "\\" not in body:
        return body
    for match in _ESCAPE_RE.finditer(body):
        if match.group(1) not in _ESCAPES:
            raise fail(
                text,
                pos + 1 + match.start(),
                f"unknown escape {match.group(0)!r} in a string",
                source,
                'strings know \\" \\\\ \\n \\t; write \\\\ for a literal backslash',
            )
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group(1)], body)


def tokenize(text: str, source: str = "") -> list[Tok]:
    tokens: list[Tok] = []
    append = tokens.append
    for match in _TOKEN.finditer(text):
        group = match.lastindex
        if group is None:  # trailing whitespace up to the end
            continue
        value = match.group(group)
        pos = match.start(group)
        if group == _WORD:
            append(Tok("word", value, pos))
        elif group == _PUNCT:
            append(Tok("punct", value, pos))
        elif group == _ARROW:
            append(Tok("arrow", value, pos))
        elif group == _STRING:
            append(Tok("string", _unquote(text, value, pos, source), pos))
        elif group == _COMMENT:
            continue
        elif group == _UNDIRECTED:
            raise fail(
                text,
                pos,
                "'--' is an undirected edge; pipelines use '->'",
                source,
                "spec §2.3: directed edges only; write a -> b",
            )
        elif group == _UNCLOSED:
            what = "string" if value == '"' else "comment"
            raise fail(text, pos, f"unterminated {what}", source)
        elif not value.isascii():
            raise fail(
                text,
                pos,
                f"non-ASCII character {value!r} outside a string; ids must be ASCII",
                source,
                'put human-readable names in label="..."',
            )
        else:
            raise fail(text, pos, f"unexpected character {value!r}", source)
    tokens.append(Tok("eof", "", len(text)))
    return tokens
