"""The terminal UI's search box: fuzzy text and state/role/runtime filters."""

from __future__ import annotations

from bosun.core.attention import Attention, Level
from bosun.tui.filtering import Query, apply, fuzzy_match, parse_query
from bosun.tui.snapshot import AgentRow


def row(identity: str, runtime: str, level: Level, status: str = "active") -> AgentRow:
    role, name = identity.split("/")
    return AgentRow(
        identity=identity, role=role, name=name, runtime=runtime, status=status,
        screen="ready", phase="executing", work_id="w-1", context_pct=None, cost_usd=None,
        incarnation=1, last_activity=0.0, idle_s=0.0, attention=Attention(level, ""),
    )


ROWS = [
    row("polecat/toast", "sim", Level.WAITING),
    row("polecat/bagel", "claude", Level.WORKING),
    row("crew/ada", "codex", Level.IDLE),
    row("runner/impl_auth", "sim", Level.DONE, status="terminated"),
]


def names(query: str) -> list[str]:
    return [r.name for r in apply(ROWS, parse_query(query))]


def test_parse_query_splits_filters_from_free_text() -> None:
    q = parse_query("tst state:waiting,Stalled role:polecat runtime:sim state:idle")
    assert q == Query("tst", frozenset({"waiting", "stalled", "idle"}),
                      frozenset({"polecat"}), frozenset({"sim"}))
    assert parse_query("").empty and not parse_query("x").empty
    assert parse_query("foo:bar").text == "foo:bar"  # unknown keys are text


def test_fuzzy_match_wants_the_letters_in_order() -> None:
    assert fuzzy_match("tst", "polecat/toast")
    assert fuzzy_match("pc ts", "polecat/toast")
    assert not fuzzy_match("tsat", "polecat/toast")
    assert fuzzy_match("", "anything")


def test_filters_combine_and_keep_the_attention_order() -> None:
    assert names("") == ["toast", "bagel", "ada", "impl_auth"]
    assert names("state:waiting,done") == ["toast", "impl_auth"]
    assert names("state:terminated") == ["impl_auth"]  # the identity status works too
    assert names("runtime:sim") == ["toast", "impl_auth"]
    assert names("role:crew") == ["ada"]
    assert names("runtime:sim role:runner") == ["impl_auth"]
    assert names("bgl") == ["bagel"]
    assert names("state:idle tst") == []
