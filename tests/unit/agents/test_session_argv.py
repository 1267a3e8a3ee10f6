"""A pipeline node's resolved model reaches the agent CLI's command line, on every launch."""

from __future__ import annotations

from bosun.agents.launching import session_argv
from bosun.runtime.presets import load_presets

ENV = {"BOSUN_LLM_MODEL": "gpt-5.4", "BOSUN_REASONING_EFFORT": "high"}


def argv(preset: str, env: dict[str, str], resume_id: str | None = None) -> list[str]:
    return session_argv(
        load_presets()[preset], resume_id=resume_id, session_id="s-1", prompt="go",
        settings_file=None, cwd="/w", autonomy="cli", env=env,
    )


def test_the_model_and_effort_from_the_environment_reach_launch_and_resume() -> None:
    assert argv("codex", ENV) == [
        "codex", "-m", "gpt-5.4", "-c", "model_reasoning_effort=high", "go",
    ]
    assert argv("gemini", {"BOSUN_LLM_MODEL": "gemini-2.5-pro"}, resume_id="g-1")[-5:] == [
        "g-1", "-m", "gemini-2.5-pro", "-i", "go",
    ]


def test_without_a_model_the_cli_keeps_its_default() -> None:
    assert "-m" not in argv("codex", {}) and "--model" not in argv("claude", {})
    assert argv("claude", {"BOSUN_LLM_MODEL": "claude-opus-4-6"})[-4:] == [
        "--model", "claude-opus-4-6", "--", "go",
    ]
