"""Settings of the dashboard (`[dashboard]` in .bosun/config.toml)."""

from bosun.base.config import Setting, declare

declare(
    Setting(
        "dashboard.host",
        "str",
        "127.0.0.1",
        "address to bind; anything but loopback requires the dashboard token",
    ),
    Setting(
        "dashboard.port", "int", 8899, "port to bind (0 picks a free one)", minimum=0, maximum=65535
    ),
    Setting(
        "dashboard.poll_interval",
        "duration",
        0.05,
        "how often the one event reader looks for new events (shared by all clients)",
        minimum=0.005,
        maximum=5,
    ),
    Setting(
        "dashboard.tick_interval",
        "duration",
        5.0,
        "how often time-dependent panels (liveness, guard ages) are refreshed",
        minimum=0.5,
    ),
    Setting(
        "dashboard.yellow_after",
        "duration",
        120.0,
        "an agent not seen for this long shows yellow",
        minimum=1,
    ),
    Setting(
        "dashboard.red_after",
        "duration",
        300.0,
        "an agent not seen for this long shows red",
        minimum=1,
    ),
    Setting(
        "dashboard.probe_screens",
        "bool",
        True,
        "read each live agent's screen state (tmux) for the agents panel",
    ),
    Setting(
        "dashboard.replay_limit",
        "int",
        5000,
        "events a reconnecting client may replay; further behind it reloads every panel",
        minimum=100,
        maximum=1_000_000,
    ),
    Setting(
        "dashboard.rows",
        "int",
        200,
        "rows a list panel shows (the API returns them all)",
        minimum=10,
        maximum=100_000,
    ),
)
