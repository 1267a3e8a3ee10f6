"""Supervisor settings: defaults from the issue, per-key and cross-key validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from bosun.base.config import default_config, load_config
from bosun.base.errors import ConfigError
from bosun.supervisor.policies.detect import Condition
from bosun.supervisor.policies.ladder import Strategy
from bosun.supervisor.typed_settings import validate_supervisor_config


def test_defaults_are_the_documented_ones() -> None:
    s = validate_supervisor_config(default_config())
    assert (s.detect.stale_after, s.detect.stall_after) == (300, 600)
    assert (s.detect.checkpoint_at, s.detect.handoff_at) == (75, 85)
    assert s.ladder.verify_within == 120
    assert s.ladder.catalog[Condition.STALLED] == (
        Strategy.NUDGE,
        Strategy.SEANCE_RESTART,
        Strategy.CONTEXT_CYCLE,
        Strategy.ESCALATE,
    )
    assert (s.patrol.interval, s.patrol.top_interval, s.patrol.compliance_window) == (300, 600, 120)
    assert (s.resume.max_resurrections, s.resume.max_attempts) == (2, 3)
    assert s.lock.auto_heal_renamed_host is True and s.lock.stale_after == 300
    assert s.poll_interval <= 0.25
    assert set(s.guards) == {
        "patrol",
        "recovery_ladder",
        "context_cycling",
        "resume_queue",
        "host_lock",
    }


def load(tmp_path: Path, toml: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    path = tmp_path / "config.toml"
    path.write_text(toml)
    return load_config(path, env or {})


def test_the_catalog_and_durations_come_from_the_config_file(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        '[supervisor.recovery]\nstale = ["context_cycle", "escalate"]\nverify_within = "3m"\n',
    )
    s = validate_supervisor_config(config)
    assert s.ladder.catalog[Condition.STALE] == (Strategy.CONTEXT_CYCLE, Strategy.ESCALATE)
    assert s.ladder.verify_within == 180


def test_an_unknown_strategy_is_refused_with_the_key_and_allowed_values(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, '[supervisor.recovery]\nstalled = ["nudge", "reboot"]\n')
    assert "supervisor.recovery.stalled" in info.value.message
    assert "'reboot'" in info.value.message
    assert "nudge, seance_restart, context_cycle, escalate" in info.value.message


def test_an_unknown_strategy_from_the_environment_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, "", {"BOSUN_SUPERVISOR_RECOVERY_CRASHED": "seance_restart,pray"})
    assert "supervisor.recovery.crashed" in info.value.message


def test_an_empty_ladder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="at least one strategy"):
        load(tmp_path, "[supervisor.recovery]\nwaiting = []\n")


@pytest.mark.parametrize(
    "toml",
    [
        "[supervisor]\nstall_after = -5\n",
        '[supervisor.patrol]\ninterval = "-1m"\n',
        "[supervisor.recovery]\nmax_restarts = 0\n",
        "[supervisor]\npoll_interval = 1\n",
    ],
)
def test_negative_or_out_of_range_values_are_refused_with_the_key(
    tmp_path: Path, toml: str
) -> None:
    key = toml.split("]\n")[1].split(" =")[0]
    with pytest.raises(ConfigError) as info:
        load(tmp_path, toml)
    assert key in info.value.message


@pytest.mark.parametrize(("checkpoint", "handoff"), [(85, 75), (80, 80)])
def test_thresholds_out_of_order_are_refused_at_start(
    tmp_path: Path, checkpoint: int, handoff: int
) -> None:
    config = load(
        tmp_path, f"[supervisor.context]\ncheckpoint_at = {checkpoint}\nhandoff_at = {handoff}\n"
    )
    with pytest.raises(ConfigError) as info:
        validate_supervisor_config(config)
    assert "supervisor.context.checkpoint_at" in info.value.message
    assert "checkpoint_at < handoff_at <= 100" in info.value.hint


def test_a_handoff_above_100_percent_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="supervisor.context.handoff_at"):
        load(tmp_path, "[supervisor.context]\nhandoff_at = 120\n")


def test_max_delay_below_base_delay_is_refused(tmp_path: Path) -> None:
    config = load(tmp_path, "[supervisor.recovery]\nrestart_delay = 30\nrestart_max_delay = 5\n")
    with pytest.raises(ConfigError) as info:
        validate_supervisor_config(config)
    assert "supervisor.recovery.restart_max_delay" in info.value.message


def test_bad_role_names_in_patrol_lists_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="supervisor.patrol.top_roles"):
        load(tmp_path, '[supervisor.patrol]\ntop_roles = ["Mayor/Bad"]\n')
