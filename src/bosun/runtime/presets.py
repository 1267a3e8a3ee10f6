"""Runtime presets: data (TOML) that says how to launch, resume and read one agent CLI.

Built-in presets ship in `bosun/runtime/presets/*.toml`; a project adds or overrides them in
`.bosun/runtimes/<name>.toml`. An override is merged onto the built-in of the same name
(tables key by key, everything else replaced), so `argv = ["/opt/claude/bin/claude"]` alone
is a valid override. A file that does not fit the schema is refused with its path and field.

argv words may use placeholders, each filled by bosun and passed as one word (never via a
shell): {session_id} {prompt} {settings_file} {mcp_config} {python} {shell} {cwd} {model}
{reasoning_effort} (the last two from a pipeline node's resolved llm_model/reasoning_effort).
"""

from __future__ import annotations

import os
import shutil
import string
import sys
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bosun.base.errors import ConfigError, NotFound, RuntimeFailure
from bosun.runtime.env import patterns_problem, session_environment
from bosun.runtime.preset_schema import schema_of, setting, validate
from bosun.runtime.screen import ScreenPatterns

BUILTIN_DIR = Path(__file__).with_name("presets")
PLACEHOLDERS = frozenset(
    {
        "session_id",
        "prompt",
        "settings_file",
        "mcp_config",
        "python",
        "shell",
        "cwd",
        "model",
        "reasoning_effort",
    }
)


@dataclass(frozen=True)
class Preset:
    """One runtime preset. Every field declared with `setting` is a field of the preset
    file, validated from this declaration (preset_schema.py); adding one is one line here."""

    name: str = setting("str")  # filled from the file name
    description: str = setting("str")
    argv: tuple[str, ...] = setting("words", placeholders=True)
    install: str = setting("str", "")
    driver: str = setting("str", "tmux", choices=("tmux", "subprocess"))
    prompt_mode: str = setting("str", "argument", choices=("argument", "send", "none"))
    prompt_args: tuple[str, ...] = setting("words", (), placeholders=True)
    # the prompt words go right after argv (a CLI whose list flags would swallow them)
    prompt_first: bool = setting("bool", False)
    # bosun generates and stores the id when set
    session_id_args: tuple[str, ...] = setting("words", (), placeholders=True)
    # empty: the CLI cannot resume a conversation
    resume_argv: tuple[str, ...] = setting("words", (), placeholders=True)
    # added (before the prompt) when a model is chosen, e.g. ["--model", "{model}"]
    model_argv: tuple[str, ...] = setting("words", (), placeholders=True)
    # added after model_argv when a reasoning effort is chosen ({reasoning_effort})
    reasoning_argv: tuple[str, ...] = setting("words", (), placeholders=True)
    # headless (print) mode: program and options; then model_argv, headless_resume_args
    # (when resuming) and headless_prompt_args, in that order (see headless_command)
    headless_argv: tuple[str, ...] = setting("words", (), placeholders=True)
    headless_resume_args: tuple[str, ...] = setting("words", (), placeholders=True)
    headless_prompt_args: tuple[str, ...] = setting("words", ("{prompt}",), placeholders=True)
    # how bosun reads a headless run's stdout: the CLI's JSON event stream, or plain text
    headless_events: str = setting(
        "str", "text", choices=("claude_stream_json", "codex_json", "gemini_stream_json", "text")
    )
    hooks: str = setting("str", "none", choices=("claude", "none"))
    hook_args: tuple[str, ...] = setting("words", (), placeholders=True)
    context_source: str = setting("str", "none", choices=("statusline", "sim_file", "none"))
    gupp_compatible: bool = setting("bool", False)
    # starts its hooked work by itself; otherwise bosun gives it a first prompt
    self_starting: bool = setting("bool", False)
    config_file_fallback: bool = setting("bool", False)
    trust: str = setting("str", "none", choices=("claude_json", "codex_config", "screen", "none"))
    unset_env: tuple[str, ...] = setting("words", ())
    # glob patterns of bosun's environment variables the session gets besides BASE_ENV
    # (runtime/env.py): the CLI's API key, base URL and config variables; nothing else
    pass_env: tuple[str, ...] = setting("words", ())
    # autonomy (agents.autonomy): the flags for "allowlist" and "full"; "cli" adds none
    allowlist_args: tuple[str, ...] = setting("words", (), placeholders=True)
    full_access_args: tuple[str, ...] = setting("words", (), placeholders=True)
    # where bosun reads the id (and context use) of a session the CLI names itself
    session_files: str = setting("str", "none", choices=("codex", "gemini", "none"))
    # the CLI version bosun's real-CLI tests ran against ("" when never tested)
    tested_version: str = setting("str", "")
    set_env: Mapping[str, str] = setting("env", factory=dict)
    ready_timeout: float = setting("number", 30.0)
    screen: ScreenPatterns = setting("table", factory=ScreenPatterns)
    source: str = ""  # the file it was read from (not a file field)

    @property
    def can_resume(self) -> bool:
        return bool(self.resume_argv)

    @property
    def owns_session_id(self) -> bool:
        return bool(self.session_id_args)

    def launch_argv(
        self,
        *,
        session_id: str | None = None,
        prompt: str | None = None,
        settings_file: str | None = None,
        cwd: str = "",
        model: str | None = None,
        reasoning_effort: str | None = None,
        autonomy: str = "cli",
    ) -> list[str]:
        """The argv that starts a fresh session (before resolving the binary)."""
        words = list(self.argv)
        if session_id and self.session_id_args:
            words += self.session_id_args
        return self._finish(
            words, session_id, prompt, settings_file, cwd, model, reasoning_effort, autonomy
        )

    def resume(
        self,
        session_id: str,
        *,
        prompt: str | None = None,
        settings_file: str | None = None,
        cwd: str = "",
        model: str | None = None,
        reasoning_effort: str | None = None,
        autonomy: str = "cli",
    ) -> list[str]:
        """The argv that resumes conversation `session_id`."""
        if not self.resume_argv:
            raise RuntimeFailure(
                f"runtime preset {self.name!r} cannot resume a conversation",
                "restart it fresh (--fresh); the seance prompt carries the state",
                code="no_resume",
            )
        words = list(self.resume_argv)
        return self._finish(
            words, session_id, prompt, settings_file, cwd, model, reasoning_effort, autonomy
        )

    @property
    def can_run_headless(self) -> bool:
        return bool(self.headless_argv)

    def headless_command(
        self,
        prompt: str,
        *,
        model: str | None = None,
        resume_id: str | None = None,
        cwd: str = "",
        reasoning_effort: str | None = None,
    ) -> list[str]:
        """The argv of one headless (print-mode) run: headless_argv, model_argv (when a
        model is chosen), reasoning_argv (when an effort is), headless_resume_args (when
        resuming), headless_prompt_args."""
        if not self.headless_argv:
            raise RuntimeFailure(
                f"runtime preset {self.name!r} has no headless mode",
                f"set headless_argv in .bosun/runtimes/{self.name}.toml or run the node "
                'supervised (mode="supervised")',
                code="no_headless",
            )
        if resume_id and not self.headless_resume_args:
            raise RuntimeFailure(
                f"runtime preset {self.name!r} cannot resume a headless session",
                f"set headless_resume_args in .bosun/runtimes/{self.name}.toml",
                code="no_resume",
            )
        words = list(self.headless_argv)
        words += self.model_argv if model else ()
        words += self.reasoning_argv if reasoning_effort else ()
        if resume_id:
            words += self.headless_resume_args
        words += self.headless_prompt_args
        values = self._values(resume_id, prompt, None, cwd, model, reasoning_effort)
        return [word.format_map(values) for word in words]

    def environment(
        self,
        base: Mapping[str, str],
        extra: Mapping[str, str] | None = None,
        also_pass: Iterable[str] = (),
    ) -> dict[str, str]:
        """The complete environment of a session of this preset: `base` (bosun's own)
        kept to BASE_ENV, `pass_env` and `also_pass` (the project's `agents.pass_env`),
        without `unset_env`; then `set_env` and `extra` (what bosun sets) on top."""
        return session_environment(
            base,
            extra={**self.set_env, **(extra or {})},
            unset=self.unset_env,
            allow=(*self.pass_env, *also_pass),
        )

    def autonomy_args(self, autonomy: str) -> tuple[str, ...]:
        """The permission flags for an autonomy level (allowlist, full; cli adds none)."""
        return {"allowlist": self.allowlist_args, "full": self.full_access_args}.get(autonomy, ())

    def _finish(
        self,
        words: list[str],
        session_id: str | None,
        prompt: str | None,
        settings_file: str | None,
        cwd: str,
        model: str | None = None,
        reasoning_effort: str | None = None,
        autonomy: str = "cli",
    ) -> list[str]:
        prompt_words = self.prompt_args if prompt and self.prompt_mode == "argument" else ()
        if self.prompt_first:
            words += prompt_words
        words += self.model_argv if model else ()
        words += self.reasoning_argv if reasoning_effort else ()
        words += self.autonomy_args(autonomy)
        if settings_file and self.hook_args:
            words += self.hook_args
        # Otherwise the prompt comes last: a preset whose flags take several values
        # (Claude's --mcp-config, --allowedTools) puts `--` before it in prompt_args.
        if not self.prompt_first:
            words += prompt_words
        values = self._values(session_id, prompt, settings_file, cwd, model, reasoning_effort)
        return [word.format_map(values) for word in words]

    @staticmethod
    def _values(
        session_id: str | None,
        prompt: str | None,
        settings_file: str | None,
        cwd: str,
        model: str | None,
        reasoning_effort: str | None = None,
    ) -> dict[str, str]:
        return {
            "session_id": session_id or "",
            "prompt": prompt or "",
            "settings_file": settings_file or "",
            # bosun writes its MCP server registration next to its settings file
            "mcp_config": str(Path(settings_file).with_name("mcp.json")) if settings_file else "",
            "python": sys.executable,
            "shell": os.environ.get("SHELL") or "/bin/sh",
            "cwd": cwd,
            "model": model or "",
            "reasoning_effort": reasoning_effort or "",
        }

    def resolve_binary(self, argv: list[str], path: str | None = None) -> list[str]:
        """argv with its program made absolute (pitfall 11); refuse one not on PATH."""
        program = argv[0]
        found = program if os.sep in program else shutil.which(program, path=path)
        if found is None or not os.access(found, os.X_OK):
            raise RuntimeFailure(
                f"the {self.name} runtime needs `{program}`, which is not on PATH",
                self.install
                or f"install {program} or set argv in .bosun/runtimes/{self.name}.toml",
                code="binary_missing",
            )
        return [os.path.abspath(found), *argv[1:]]

    def to_json(self) -> dict[str, Any]:
        data = {
            k: (list(v) if isinstance(v, tuple) else v)
            for k, v in self.__dict__.items()
            if k not in ("screen", "set_env")
        }
        data["set_env"] = dict(self.set_env)
        data["screen"] = {
            k: (list(v) if isinstance(v, tuple) else v) for k, v in self.screen.__dict__.items()
        }
        data["can_resume"] = self.can_resume
        return data


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}", "fix the preset file") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}", "check the file") from exc


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _build(name: str, raw: dict[str, Any], source: str) -> Preset:
    data = validate(raw, source, name, Preset)
    for key, spec in schema_of(Preset).items():
        if not spec.placeholders:
            continue
        for word in data.get(key, ()):
            for _, field_name, _, _ in string.Formatter().parse(word):
                if field_name is not None and field_name not in PLACEHOLDERS:
                    raise ConfigError(
                        f"{source}: field `{key}` uses unknown placeholder {{{field_name}}}",
                        "placeholders: " + ", ".join("{" + p + "}" for p in sorted(PLACEHOLDERS)),
                    )
    problem = patterns_problem(data.get("pass_env", ()))
    if problem:
        raise ConfigError(
            f"{source}: field `pass_env`: {problem}",
            'name variables or globs, e.g. pass_env = ["OPENAI_API_KEY", "OPENAI_*"]',
        )
    screen = ScreenPatterns(**data.pop("screen", {}))
    return Preset(screen=screen, source=source, **data)


_Signature = tuple[tuple[str, int, int], ...]
# project runtimes dir -> (signature of the preset files, presets built from them)
_cache: dict[Path | None, tuple[_Signature, dict[str, Preset]]] = {}


def _signature(project_runtimes: Path | None) -> _Signature:
    """Path, mtime and size of every preset file: a changed, added or removed file changes
    it. A few stat calls, so the supervisor can ask for presets on every tick."""
    dirs = [BUILTIN_DIR]
    if project_runtimes is not None:
        dirs.append(project_runtimes)
    marks = []
    for folder in dirs:
        try:
            paths = sorted(folder.glob("*.toml"))
        except OSError:
            continue
        for path in paths:
            try:
                stat = path.stat()
            except OSError:
                continue
            marks.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(marks)


def forget_presets() -> None:
    """Drop the cache: the next `load_presets` reads every file again."""
    _cache.clear()


def load_presets(project_runtimes: Path | None = None) -> dict[str, Preset]:
    """Built-in presets, with the project's `.bosun/runtimes/*.toml` merged on top.

    Parsed once and kept until a preset file changes (its mtime or size), so the supervisor
    does not re-parse every TOML file for every agent on every tick."""
    signature = _signature(project_runtimes)
    cached = _cache.get(project_runtimes)
    if cached is not None and cached[0] == signature:
        return dict(cached[1])
    presets = _parse_presets(project_runtimes)
    _cache[project_runtimes] = (signature, presets)
    return dict(presets)


def _parse_presets(project_runtimes: Path | None) -> dict[str, Preset]:
    raws: dict[str, tuple[dict[str, Any], str]] = {}
    for path in sorted(BUILTIN_DIR.glob("*.toml")):
        raws[path.stem] = (_read(path), str(path))
    if project_runtimes is not None and project_runtimes.is_dir():
        for path in sorted(project_runtimes.glob("*.toml")):
            over = _read(path)
            base = raws.get(path.stem, ({}, ""))[0]
            raws[path.stem] = (_merge(base, over), str(path))
    return {name: _build(name, raw, source) for name, (raw, source) in sorted(raws.items())}


def get_preset(name: str, project_runtimes: Path | None = None) -> Preset:
    presets = load_presets(project_runtimes)
    if name not in presets:
        raise NotFound(
            f"unknown runtime preset {name!r}",
            "known: " + ", ".join(presets) + "; see `bosun runtimes list`",
        )
    return presets[name]
