"""Runtime presets: shipped data, project overrides, clear errors, argv building."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bosun.base.errors import ConfigError, NotFound, RuntimeFailure
from bosun.runtime.presets import get_preset, load_presets

NAMES = {"claude", "codex", "gemini", "aider", "cursor", "sim", "shell"}


def test_every_builtin_preset_loads_with_the_documented_flags() -> None:
    presets = load_presets()
    assert set(presets) == NAMES
    claude = presets["claude"]
    assert claude.launch_argv(session_id="u-1", prompt="go", settings_file="/s.json") == [
        "claude",
        "--session-id",
        "u-1",
        "--settings",
        "/s.json",
        "--mcp-config",
        "/mcp.json",
        "go",
    ]
    assert claude.resume("u-1") == ["claude", "--resume", "u-1"]
    assert presets["codex"].resume("t-9") == ["codex", "resume", "t-9"]
    assert presets["gemini"].resume("g-2") == ["gemini", "--resume", "g-2"]
    assert not presets["aider"].can_resume
    assert claude.hooks == "claude" and claude.gupp_compatible and claude.trust == "claude_json"
    assert "CLAUDECODE" in claude.unset_env
    assert presets["sim"].launch_argv(prompt="p") == [
        sys.executable,
        "-m",
        "bosun",
        "sim-agent",
        "--prompt",
        "p",
    ]


def test_a_prompt_is_one_argv_word_whatever_it_contains() -> None:
    prompt = "fix it; rm -rf / $(id) `x` 'q' \"d\""
    assert get_preset("codex").launch_argv(prompt=prompt)[-1] == prompt


def test_aider_cannot_resume_and_says_so() -> None:
    with pytest.raises(RuntimeFailure) as err:
        get_preset("aider").resume("x")
    assert err.value.code == "no_resume"


def test_a_project_file_overrides_one_field_and_adds_presets(tmp_path: Path) -> None:
    (tmp_path / "claude.toml").write_text(
        'argv = ["/opt/claude/bin/claude"]\n[screen]\nsettle = 1.5\n'
    )
    (tmp_path / "mine.toml").write_text('description = "my agent"\nargv = ["my-agent"]\n')
    presets = load_presets(tmp_path)
    assert presets["claude"].argv == ("/opt/claude/bin/claude",)
    assert presets["claude"].screen.settle == 1.5
    assert presets["claude"].screen.busy == ("(?i)esc to interrupt",)  # kept
    assert presets["claude"].source == str(tmp_path / "claude.toml")
    assert presets["mine"].launch_argv(prompt="hi") == ["my-agent", "hi"]


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ('description = "x"\nargv = "claude"\n', "argv"),
        ('description = "x"\nargv = ["a"]\nhooks = "maybe"\n', "hooks"),
        ('description = "x"\nargv = ["a"]\ncolour = 1\n', "colour"),
        ('description = "x"\nargv = ["a"]\n[screen]\nbusy = ["(unclosed"]\n', "screen.busy"),
        ('description = "x"\nargv = ["a"]\n[screen]\nspeed = 1\n', "screen.speed"),
        ('argv = ["a"]\n', "description"),
        ('description = "x"\nargv = ["a", "{token}"]\n', "argv"),
        ('description = "x"\nargv = ["a"]\nname = "other"\n', "name"),
    ],
)
def test_a_bad_preset_file_names_the_file_and_the_field(
    tmp_path: Path, content: str, field: str
) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(content)
    with pytest.raises(ConfigError) as err:
        load_presets(tmp_path)
    assert str(path) in err.value.message
    assert f"`{field}`" in err.value.message


def test_invalid_toml_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("argv = [\n")
    with pytest.raises(ConfigError, match="bad.toml: not valid TOML"):
        load_presets(tmp_path)


def test_unknown_preset_and_missing_binary_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="unknown runtime preset 'nope'"):
        get_preset("nope")
    claude = get_preset("claude")
    with pytest.raises(RuntimeFailure) as err:
        claude.resolve_binary(claude.launch_argv(), path=str(tmp_path))
    assert "needs `claude`, which is not on PATH" in err.value.message
    assert "npm install -g @anthropic-ai/claude-code" in err.value.hint
    tool = tmp_path / "claude"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    assert claude.resolve_binary(["claude", "-x"], path=str(tmp_path)) == [str(tool), "-x"]


def _bosun(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bosun", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_cli_lists_and_shows_presets_including_project_overrides(project: Path) -> None:
    runtimes = project / ".bosun" / "runtimes"
    runtimes.mkdir()
    (runtimes / "mine.toml").write_text('description = "my agent"\nargv = ["my-agent"]\n')
    listed = _bosun("runtimes", "list", "--json", cwd=project)
    assert listed.returncode == 0, listed.stderr
    names = [p["name"] for p in json.loads(listed.stdout)]
    assert set(names) == NAMES | {"mine"}
    shown = json.loads(_bosun("runtimes", "show", "claude", "--json", cwd=project).stdout)
    assert shown["resume_argv"] == ["claude", "--resume", "{session_id}"]
    assert shown["available"] is False
    text = _bosun("runtimes", "list", cwd=project).stdout
    assert text.splitlines()[0].split()[:2] == ["NAME", "PROGRAM"]
    bad = _bosun("runtimes", "show", "nope", cwd=project)
    assert bad.returncode == 2 and "unknown runtime preset 'nope'" in bad.stderr
    (runtimes / "broken.toml").write_text('description = 1\nargv = ["x"]\n')
    broken = _bosun("runtimes", "list", cwd=project)
    assert broken.returncode == 2
    assert "broken.toml: field `description` must be a string" in broken.stderr


def test_a_chosen_model_goes_before_the_prompt_in_every_cli_flag_form() -> None:
    presets = load_presets()
    claude, codex, gemini = presets["claude"], presets["codex"], presets["gemini"]
    assert claude.launch_argv(prompt="go", model="sonnet") == ["claude", "--model", "sonnet", "go"]
    assert codex.launch_argv(prompt="go", model="gpt-5") == ["codex", "-m", "gpt-5", "go"]
    assert gemini.resume("g-2", model="gemini-2.5-pro") == [
        "gemini",
        "--resume",
        "g-2",
        "-m",
        "gemini-2.5-pro",
    ]
    assert claude.launch_argv(prompt="go") == ["claude", "go"]  # no model: the CLI's default
    assert presets["sim"].launch_argv(model="x")[-2:] == ["bosun", "sim-agent"]  # no flag


def test_headless_command_orders_options_model_resume_and_prompt() -> None:
    presets = load_presets()
    claude = presets["claude"].headless_command("do it", model="opus", resume_id="s-1")
    assert claude[:5] == ["claude", "-p", "--output-format", "stream-json", "--verbose"]
    assert claude[-6:] == ["--model", "opus", "--resume", "s-1", "--", "do it"]
    codex = presets["codex"].headless_command("do it", model="gpt-5", resume_id="t-1")
    assert codex == [
        "codex", "exec", "--json", "--skip-git-repo-check", "-s", "workspace-write",
        "-m", "gpt-5", "resume", "t-1", "do it",
    ]  # fmt: skip
    gemini = presets["gemini"].headless_command("do it")
    assert gemini == ["gemini", "--yolo", "--output-format", "stream-json", "-p", "do it"]
    assert presets["aider"].headless_command("x")[-2:] == ["--message", "x"]
    assert presets["claude"].headless_events == "claude_stream_json"


def test_headless_mode_and_resume_are_refused_where_a_preset_has_none() -> None:
    presets = load_presets()
    with pytest.raises(RuntimeFailure, match="has no headless mode"):
        presets["sim"].headless_command("x")
    with pytest.raises(RuntimeFailure, match="cannot resume a headless session"):
        presets["aider"].headless_command("x", resume_id="s")


def test_a_bad_headless_events_format_is_refused_with_the_allowed_ones(tmp_path: Path) -> None:
    runtimes = tmp_path / "runtimes"
    runtimes.mkdir()
    (runtimes / "claude.toml").write_text('headless_events = "xml"\n')
    with pytest.raises(ConfigError, match="headless_events.*allowed: claude_stream_json"):
        load_presets(runtimes)


def test_a_reasoning_effort_reaches_codex_as_a_config_override() -> None:
    codex = load_presets()["codex"]
    assert codex.headless_command("go", model="gpt-5", reasoning_effort="high")[-5:] == [
        "-m", "gpt-5", "-c", "model_reasoning_effort=high", "go",
    ]  # fmt: skip
    assert codex.launch_argv(prompt="go", reasoning_effort="low")[1:3] == [
        "-c",
        "model_reasoning_effort=low",
    ]
    claude = load_presets()["claude"]
    assert "high" not in claude.headless_command("go", reasoning_effort="high")  # no flag
