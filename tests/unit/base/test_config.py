from pathlib import Path

import pytest

from bosun.base.config import all_settings, load_config, render_default_toml
from bosun.base.errors import ConfigError


def test_defaults_file_and_environment_are_layered(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[identity]\nstale_after = "10m"\n')
    assert load_config(None, env={}).get("identity.stale_after") == 300
    assert load_config(path, env={}).get("identity.stale_after") == 600
    config = load_config(path, env={"BOSUN_IDENTITY_STALE_AFTER": "42"})
    assert config.get("identity.stale_after") == 42
    assert config.source("identity.stale_after") == "env"


def test_unknown_keys_are_refused_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[identity]\nstale_afterr = 5\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert "identity.stale_afterr" in info.value.message
    assert "stale_after" in info.value.hint


def test_bad_values_are_refused_naming_key_and_source(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[identity]\nstale_after = -5\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert "identity.stale_after" in info.value.message
    with pytest.raises(ConfigError) as env_info:
        load_config(None, env={"BOSUN_MIRRORS_ENABLED": "perhaps"})
    assert "BOSUN_MIRRORS_ENABLED" in env_info.value.message


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[identity\n")
    with pytest.raises(ConfigError):
        load_config(path, env={})


def test_the_default_file_lists_every_setting_and_loads_back(tmp_path: Path) -> None:
    text = render_default_toml()
    for key in all_settings():
        assert f"# {key.rsplit('.', 1)[-1]} = " in text
    path = tmp_path / "config.toml"
    path.write_text(text)
    assert load_config(path, env={}).get("identity.stale_after") == 300
