"""Agents do not inherit the operator's secrets: the base allow-list, each preset's
`pass_env`, the project's `[agents] pass_env`, and clear errors for bad entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from bosun.base.config import load_config
from bosun.base.errors import ConfigError
from bosun.runtime.env import BASE_ENV, allowed, session_environment
from bosun.runtime.modelserver.clients import prepare_client
from bosun.runtime.presets import Preset, load_presets

# What an operator's shell typically holds and no built-in preset may pass on.
OPERATOR_SECRETS = {
    "GITHUB_TOKEN": "ghp_x",
    "GH_TOKEN": "gho_x",
    "NPM_TOKEN": "npm_x",
    "NODE_AUTH_TOKEN": "npm_y",
    "AWS_ACCESS_KEY_ID": "AKIA",
    "AWS_SECRET_ACCESS_KEY": "aws-secret",
    "AWS_SESSION_TOKEN": "aws-session",
    "PGPASSWORD": "pg",
    "SSH_AUTH_SOCK": "/tmp/ssh-agent.sock",
    "DOCKER_PASSWORD": "d",
    "STRIPE_SECRET_KEY": "sk_live",
    "GOOGLE_CLIENT_SECRET": "gcs",
    "FOO_KEY": "foo",
    "DATABASE_URL": "postgresql://u:p@db/x",
}
BASICS = {"PATH": "/usr/bin", "HOME": "/home/op", "LANG": "C.UTF-8", "BOSUN_X": "1"}
# each CLI's own key and base URL (the preset must pass these)
OWN = {
    "claude": {
        "ANTHROPIC_API_KEY": "a",
        "ANTHROPIC_BASE_URL": "http://a",
        "CLAUDE_CONFIG_DIR": "/c",
    },
    "codex": {"OPENAI_API_KEY": "o", "OPENAI_BASE_URL": "http://o", "CODEX_HOME": "/x"},
    "gemini": {"GEMINI_API_KEY": "g", "GOOGLE_GEMINI_BASE_URL": "http://g"},
    "aider": {
        "OPENAI_API_KEY": "o",
        "ANTHROPIC_API_KEY": "a",
        "GEMINI_API_KEY": "g",
        "AIDER_MODEL": "m",
    },
    "cursor": {"CURSOR_API_KEY": "c"},
    "sim": {},
    "shell": {},
}
OTHERS_KEYS = {"OPENAI_API_KEY": "o", "ANTHROPIC_API_KEY": "a", "GEMINI_API_KEY": "g"}


def test_the_base_holds_no_credentials_and_not_the_ssh_agent() -> None:
    assert "SSH_AUTH_SOCK" not in BASE_ENV
    assert not any(allowed(name) for name in OPERATOR_SECRETS)
    assert session_environment({**BASICS, **OPERATOR_SECRETS}) == BASICS


@pytest.mark.parametrize("name", sorted(OWN))
def test_every_builtin_preset_passes_its_own_variables_and_no_operator_secret(name: str) -> None:
    preset = load_presets()[name]
    env = preset.environment({**BASICS, **OPERATOR_SECRETS, **OTHERS_KEYS, **OWN[name]})
    assert not set(OPERATOR_SECRETS) & set(env), name
    assert OWN[name].items() <= env.items()
    assert BASICS.items() <= env.items()
    strangers = set(OTHERS_KEYS) - set(OWN[name])
    assert not strangers & set(env), f"{name} passes another CLI's key"


def test_a_preset_without_pass_env_gets_the_base_only(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text('description = "mine"\nargv = ["mine"]\n')
    mine = load_presets(tmp_path)["mine"]
    assert mine.pass_env == ()
    assert mine.environment({**BASICS, **OPERATOR_SECRETS, **OTHERS_KEYS}) == BASICS


def test_the_projects_pass_env_and_what_bosun_sets_arrive_and_unset_env_wins() -> None:
    preset = Preset(
        name="p",
        description="",
        argv=("p",),
        pass_env=("P_*",),
        unset_env=("P_DROPPED",),
        set_env={"P_FIXED": "1"},
    )
    base = {**BASICS, **OPERATOR_SECRETS, "P_KEY": "k", "P_DROPPED": "x"}
    env = preset.environment(base, extra={"BOSUN_IDENTITY": "r/n"}, also_pass=["GH_TOKEN"])
    assert env == {
        **BASICS,
        "P_KEY": "k",
        "GH_TOKEN": "gho_x",
        "P_FIXED": "1",
        "BOSUN_IDENTITY": "r/n",
    }


@pytest.mark.parametrize("tool", ["claude", "codex", "gemini"])
def test_what_bosun_sets_for_the_model_server_reaches_the_cli(tool: str, tmp_path: Path) -> None:
    client = prepare_client(tool, "http://127.0.0.1:1", tmp_path / "home")
    env = load_presets()[tool].environment({**BASICS, **client})
    assert client.items() <= env.items()


def test_a_project_preset_can_widen_its_list_and_a_bad_entry_names_file_and_field(
    tmp_path: Path,
) -> None:
    (tmp_path / "sim.toml").write_text('pass_env = ["SIM_EXTRA", "MY_*"]\n')
    sim = load_presets(tmp_path)["sim"]
    env = sim.environment({**BASICS, "SIM_EXTRA": "1", "MY_TOKEN": "t", "GH_TOKEN": "g"})
    assert env == {**BASICS, "SIM_EXTRA": "1", "MY_TOKEN": "t"}
    (tmp_path / "sim.toml").write_text('pass_env = ["GH TOKEN"]\n')
    with pytest.raises(ConfigError) as err:
        load_presets(tmp_path)
    message = err.value.message
    assert "sim.toml: field `pass_env`: 'GH TOKEN' is not a variable name or glob" in message
    assert "\n" not in message


def test_agents_pass_env_is_read_from_the_file_or_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[agents]\npass_env = ["GH_TOKEN", "AWS_*"]\n')
    assert load_config(config, env={}).words("agents.pass_env") == ["GH_TOKEN", "AWS_*"]
    from_env = load_config(config, env={"BOSUN_AGENTS_PASS_ENV": "NPM_TOKEN, PG*"})
    assert from_env.words("agents.pass_env") == ["NPM_TOKEN", "PG*"]
    assert load_config(None, env={}).words("agents.pass_env") == []


@pytest.mark.parametrize("value", ['["GH_TOKEN=x"]', '["ok", 3]', '[""]', "5"])
def test_a_bad_agents_pass_env_is_a_one_line_error(tmp_path: Path, value: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f"[agents]\npass_env = {value}\n")
    with pytest.raises(ConfigError) as err:
        load_config(config, env={})
    assert err.value.message.startswith("agents.pass_env = ")
    assert "\n" not in err.value.message


def test_the_tmux_server_starts_with_the_base_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from bosun.runtime.tmux_cli import client_environment

    for key, value in {
        **OPERATOR_SECRETS,
        **OTHERS_KEYS,
        "TMUX": "/x",
        "TMUX_TMPDIR": "/t",
    }.items():
        monkeypatch.setenv(key, value)
    env = client_environment()
    assert not (set(OPERATOR_SECRETS) | set(OTHERS_KEYS) | {"TMUX"}) & set(env)
    assert env["TMUX_TMPDIR"] == "/t" and "PATH" in env


def test_docs_list_the_base_and_every_presets_pass_env() -> None:
    text = (Path(__file__).parents[3] / "docs" / "agents.md").read_text(encoding="utf-8")
    section = text[text.index("- **Environment**") : text.index("- **Program**")]
    for pattern in BASE_ENV:
        assert f"`{pattern}`" in section, pattern
    proxies = {"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY"}
    rows = {
        cells[1].strip(): cells[2]
        for line in section.splitlines()
        if line.strip().startswith("|") and len(cells := line.split("|")) > 3
    }
    for name, preset in load_presets().items():
        [row] = [row for names, row in rows.items() if name in names.split(", ")]
        for pattern in preset.pass_env:
            if pattern.upper() in proxies:
                assert "proxies" in row, name
            else:
                assert f"`{pattern}`" in row, (name, pattern)
