"""A ladder strategy is one `Strategy` member plus one registered function; the config's
allowed values come from the enum."""

from __future__ import annotations

from bosun.supervisor.policies.detect import RECOVERY_CONDITIONS
from bosun.supervisor.policies.ladder import DEFAULT_CATALOG, Strategy
from bosun.supervisor.settings import CONDITIONS, STRATEGIES
from bosun.supervisor.settings import DEFAULT_CATALOG as CONFIG_CATALOG
from bosun.supervisor.strategies import EXECUTORS


def test_every_strategy_has_exactly_one_executor() -> None:
    assert set(EXECUTORS) == set(Strategy)


def test_the_settings_allow_exactly_the_enum_s_strategies_and_conditions() -> None:
    assert tuple(str(s) for s in Strategy) == STRATEGIES
    assert tuple(str(c) for c in RECOVERY_CONDITIONS) == CONDITIONS
    assert {
        str(c): [str(s) for s in DEFAULT_CATALOG[c]] for c in RECOVERY_CONDITIONS
    } == CONFIG_CATALOG
