"""The schema of a runtime preset file, derived from the one declaration of each field.

A preset field is declared once, on the record it fills (`Preset` in presets.py, the
`[screen]` table's `ScreenPatterns` in screen.py), with `setting(kind, default, …)`. This
module reads those declarations and checks a file field by field, with errors that name the
file and the field (`claude.toml: field `screen.busy` must be a list of strings`).

Kinds: str, regex (a str that compiles), words (list of str), regexes, bool, number (at
least 0), int (a number, kept whole), env (table of str), table (a nested record).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bosun.base.errors import ConfigError

_META = "bosun.preset"
KINDS = frozenset({"str", "regex", "words", "regexes", "bool", "number", "int", "env", "table"})


@dataclass(frozen=True)
class FieldSpec:
    kind: str
    choices: tuple[str, ...] = ()
    placeholders: bool = False  # argv words: {placeholders} are checked and filled
    required: bool = False
    table: type | None = None  # kind "table": the record whose settings it holds


def setting(
    kind: str,
    default: Any = dataclasses.MISSING,
    *,
    choices: tuple[str, ...] = (),
    placeholders: bool = False,
    factory: Callable[[], Any] | None = None,
) -> Any:
    """A dataclass field that is also a preset file field (no default: required)."""
    if kind not in KINDS:
        raise ValueError(f"unknown preset field kind {kind!r}")
    table = factory if kind == "table" and isinstance(factory, type) else None
    if kind == "table" and table is None:
        raise ValueError("a table field needs its record class as `factory`")
    meta = {_META: FieldSpec(kind, choices, placeholders, table=table)}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def schema_of(record: type) -> dict[str, FieldSpec]:
    """The file fields of a dataclass declared with `setting`, in declaration order."""
    schema = {}
    for f in dataclasses.fields(record):
        spec = f.metadata.get(_META)
        if spec is not None:
            missing = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            schema[f.name] = dataclasses.replace(spec, required=missing)
    return schema


def _fail(source: str, key: str, problem: str, hint: str = "") -> ConfigError:
    return ConfigError(
        f"{source}: field `{key}` {problem}",
        hint or "see `bosun runtimes show claude` for a complete preset",
    )


def _check(source: str, key: str, value: Any, spec: FieldSpec) -> Any:
    kind, choices = spec.kind, spec.choices
    if kind in ("str", "regex"):
        if not isinstance(value, str):
            raise _fail(source, key, "must be a string")
        if choices and value not in choices:
            raise _fail(source, key, f"is {value!r}; allowed: " + ", ".join(choices))
        if kind == "regex" and value:
            _compile(source, key, value)
        return value
    if kind in ("words", "regexes"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _fail(source, key, "must be a list of strings")
        if kind == "regexes":
            for item in value:
                _compile(source, key, item)
        return tuple(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise _fail(source, key, "must be true or false")
        return value
    if kind in ("number", "int"):
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise _fail(source, key, "must be a number of at least 0")
        return int(value) if kind == "int" else value
    if kind == "table":
        if not isinstance(value, dict):
            raise _fail(source, key, f"must be a table ([{key}])")
        assert spec.table is not None
        return _fields(source, value, schema_of(spec.table), prefix=f"{key}.")
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise _fail(source, key, 'must be a table of strings (NAME = "value")')
    return dict(value)


def _compile(source: str, key: str, pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise _fail(
            source,
            key,
            f"has an invalid regular expression {pattern!r}: {exc}",
            "write a Python regular expression (TOML literal strings '…' avoid double escaping)",
        ) from exc


def _fields(
    source: str, raw: dict[str, Any], schema: dict[str, FieldSpec], prefix: str = ""
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in schema:
            where = f"{prefix[:-1]} fields" if prefix else "fields"
            raise _fail(
                source, prefix + key, "is not a known field", f"{where}: " + ", ".join(schema)
            )
        data[key] = _check(source, prefix + key, value, schema[key])
    return data


def validate(raw: dict[str, Any], source: str, name: str, record: type) -> dict[str, Any]:
    """Check every field against `record`'s declarations; return its keyword arguments
    (nested tables as dicts)."""
    schema = schema_of(record)
    data = _fields(source, raw, schema)
    required = [key for key, spec in schema.items() if spec.required and key != "name"]
    for key in required:
        if key not in data:
            raise _fail(source, key, "is missing", f"every preset needs: {', '.join(required)}")
    if not data["argv"]:
        raise _fail(source, "argv", "must name a program")
    if data.get("name", name) != name:
        raise _fail(
            source,
            "name",
            f"is {data['name']!r} but the file is named {name}.toml",
            "rename the file or drop the name field",
        )
    data["name"] = name
    if data.get("prompt_mode", "argument") == "argument" and not data.get("prompt_args"):
        data.setdefault("prompt_args", ("{prompt}",))
    return data
