"""`bosun agent list`, `bosun status` and `bosun events` as a person reads them at 80 columns:
names whole, relative times, colour only when asked for by the terminal, full times in --json."""

from __future__ import annotations

from clirunner import Bosun

LONG = "a-long-agent-name-for-the-80-column-test"
NARROW = {"COLUMNS": "80", "NO_COLOR": ""}


def make_agents(bosun: Bosun) -> None:
    for name in (LONG, "toast"):
        assert bosun("identity", "create", "polecat", name, "--runtime", "sim").code == 0
    assert bosun("identity", "mark-crashed", "polecat", "toast").code == 0


def test_agent_list_keeps_names_whole_at_80_columns(bosun: Bosun) -> None:
    make_agents(bosun)
    out = bosun("agent", "list", env=NARROW)
    assert out.code == 0, out.err
    lines = out.out.splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    assert any(f"polecat/{LONG}" in line for line in lines)
    assert lines[0].split()[0] == "AGENT" and "SEEN" in lines[0]
    assert " ago" in lines[1] and "\033[" not in out.out  # piped: no colour


def test_status_keeps_names_whole_and_colours_only_when_forced(bosun: Bosun) -> None:
    make_agents(bosun)
    plain = bosun("status", env=NARROW)
    assert f"polecat/{LONG}" in plain.out and "\033[" not in plain.out
    table = [line for line in plain.out.splitlines() if line.startswith("polecat/")]
    assert table and all(len(line) <= 80 for line in table)
    coloured = bosun("status", env={**NARROW, "FORCE_COLOR": "1"})
    assert "\033[31mcrashed\033[0m" in coloured.out
    none = bosun("status", env={**NARROW, "FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "\033[" not in none.out


def test_event_lines_show_relative_times_and_json_keeps_the_full_time(bosun: Bosun) -> None:
    make_agents(bosun)
    out = bosun("events", env=NARROW)
    lines = out.out.splitlines()
    assert lines and all(" ago  " in line for line in lines)
    created = [line for line in lines if "identity.created" in line]
    assert any(f"polecat/{LONG}" in line for line in created)  # the subject is never cut
    assert all(len(line) <= 80 or "polecat/" + LONG in line for line in lines)
    [first] = bosun.ok("events", "--limit", "1")
    assert first["ts"].endswith("Z") and "T" in first["ts"]
