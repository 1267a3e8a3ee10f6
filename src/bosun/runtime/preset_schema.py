"""The schema of a runtime preset file, checked field by field with errors that name the
file and the field (`claude.toml: field `screen.busy` must be a list of strings`)."""

from __future__ import annotations

import re
from typing import Any

from bosun.base.errors import ConfigError
from bosun.runtime.screen import RULES

# field -> (kind, choices). kinds: str, words (list of str), bool, number, env (table of str)
TOP: dict[str, tuple[str, tuple[str, ...]]] = {
    "name": ("str", ()),
    "description": ("str", ()),
    "install": ("str", ()),
    "argv": ("words", ()),
    "driver": ("str", ("tmux", "subprocess")),
    "prompt_mode": ("str", ("argument", "send", "none")),
    "prompt_args": ("words", ()),
    "session_id_args": ("words", ()),
    "resume_argv": ("words", ()),
    "headless_argv": ("words", ()),
    "hooks": ("str", ("claude", "none")),
    "hook_args": ("words", ()),
    "context_source": ("str", ("statusline", "sim_file", "none")),
    "gupp_compatible": ("bool", ()),
    "config_file_fallback": ("bool", ()),
    "trust": ("str", ("claude_json", "screen", "none")),
    "unset_env": ("words", ()),
    "set_env": ("env", ()),
    "ready_timeout": ("number", ()),
}
SCREEN: dict[str, tuple[str, tuple[str, ...]]] = {
    "ready": ("regexes", ()),
    "busy": ("regexes", ()),
    "waiting": ("regexes", ()),
    "composer": ("regex", ()),
    "ack": ("regexes", ()),
    "paste_placeholder": ("regex", ()),
    "trust_dialog": ("regex", ()),
    "trust_answer": ("words", ()),
    "rule": ("str", RULES),
    "window": ("number", ()),
    "settle": ("number", ()),
}
REQUIRED = ("description", "argv")


def _fail(source: str, key: str, problem: str, hint: str = "") -> ConfigError:
    return ConfigError(
        f"{source}: field `{key}` {problem}",
        hint or "see `bosun runtimes show claude` for a complete preset",
    )


def _check(source: str, key: str, value: Any, kind: str, choices: tuple[str, ...]) -> Any:
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
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise _fail(source, key, "must be a number of at least 0")
        return value
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


def validate(raw: dict[str, Any], source: str, name: str) -> dict[str, Any]:
    """Check every field; return keyword arguments for `Preset` (screen as a dict)."""
    data: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "screen":
            if not isinstance(value, dict):
                raise _fail(source, "screen", "must be a table ([screen])")
            screen = {}
            for skey, svalue in value.items():
                if skey not in SCREEN:
                    raise _fail(
                        source,
                        f"screen.{skey}",
                        "is not a known field",
                        "screen fields: " + ", ".join(SCREEN),
                    )
                screen[skey] = _check(source, f"screen.{skey}", svalue, *SCREEN[skey])
            if "window" in screen:
                screen["window"] = int(screen["window"])
            data["screen"] = screen
            continue
        if key not in TOP:
            raise _fail(source, key, "is not a known field", "fields: " + ", ".join(TOP))
        data[key] = _check(source, key, value, *TOP[key])
    for key in REQUIRED:
        if key not in data:
            raise _fail(source, key, "is missing", f"every preset needs: {', '.join(REQUIRED)}")
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
