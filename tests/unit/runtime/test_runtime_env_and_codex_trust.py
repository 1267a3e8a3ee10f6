"""A session's environment (the preset's pass_env allow-list) and Codex's folder trust."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bosun.base.errors import OperationFailed
from bosun.runtime.codex_trust import pre_accept_codex_trust
from bosun.runtime.env import session_environment

BASE = {
    "PATH": "/bin",
    "HOME": "/h",
    "ANTHROPIC_BASE_URL": "http://127.0.0.1:1",
    "OPENAI_API_KEY": "k",
    "GEMINI_API_KEY": "g",
    "AWS_SECRET": "s",
    "BOSUN_SUPERVISOR_TICK_INTERVAL": "0.2",
    "CLAUDECODE": "1",
    "TMUX": "/tmp/x",
}


def test_pass_env_keeps_the_base_and_the_presets_own_variables_only() -> None:
    env = session_environment(BASE, {"BOSUN_IDENTITY": "p/t"}, allow=("ANTHROPIC_*",))
    assert env == {
        "PATH": "/bin",
        "HOME": "/h",
        "ANTHROPIC_BASE_URL": "http://127.0.0.1:1",
        "BOSUN_SUPERVISOR_TICK_INTERVAL": "0.2",
        "BOSUN_IDENTITY": "p/t",
    }


def test_a_star_keeps_everything_but_nested_session_and_unset_variables() -> None:
    env = session_environment(BASE, unset=("AWS_SECRET",), allow=("*",))
    assert "OPENAI_API_KEY" in env and "GEMINI_API_KEY" in env
    assert not {"CLAUDECODE", "TMUX", "AWS_SECRET"} & set(env)


def test_codex_trust_is_appended_once_and_keeps_the_rest(tmp_path: Path) -> None:
    home = tmp_path / "codex"
    home.mkdir()
    (home / "config.toml").write_text('model = "scripted"\n[tui]\nx = 1\n')
    work = tmp_path / "w t"
    work.mkdir()
    assert pre_accept_codex_trust(work, {"CODEX_HOME": str(home)})
    assert not pre_accept_codex_trust(work, {"CODEX_HOME": str(home)})
    config = tomllib.loads((home / "config.toml").read_text())
    assert config["model"] == "scripted" and config["tui"] == {"x": 1}
    assert config["projects"][str(work.resolve())] == {"trust_level": "trusted"}


def test_a_codex_config_that_is_not_toml_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("model = [\n")
    with pytest.raises(OperationFailed):
        pre_accept_codex_trust(tmp_path, {"CODEX_HOME": str(tmp_path)})
    assert (tmp_path / "config.toml").read_text() == "model = [\n"
