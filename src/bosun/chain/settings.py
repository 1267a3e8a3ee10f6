"""Settings of the layered chain (`[chain]` in .bosun/config.toml)."""

from bosun.base.config import Setting, declare

declare(
    Setting(
        "chain.runtime",
        "str",
        "claude",
        "runtime preset of an agent node's orchestrator when neither the node nor the graph "
        "sets `runtime`",
    ),
    Setting(
        "chain.mode",
        "str",
        "supervised",
        "how an agent node runs when neither the node nor the graph sets `mode`: "
        "`supervised` (an interactive session under a runner) or `headless` (the CLI's "
        "print mode, its JSON event stream read by bosun)",
        choices=("supervised", "headless"),
    ),
    Setting(
        "chain.node_timeout",
        "duration",
        3600.0,
        "how long an agent node may run when it sets no `timeout`; then it fails and its "
        "orchestrator session is stopped",
        minimum=0.1,
    ),
    Setting(
        "chain.merge_target",
        "str",
        "run",
        "where an agent node's branch lands: `run` (the branch the node runs on) or a branch "
        "name; a node or graph `merge_target` attribute wins",
    ),
    Setting(
        "chain.merge_timeout",
        "duration",
        3600.0,
        "how long the guardian waits for MERGE_COMPLETE or MERGE_FAILED after MERGE_READY",
        minimum=0.1,
    ),
    Setting(
        "chain.heartbeat_interval",
        "duration",
        5.0,
        "seconds between heartbeats of the guardian and the runners",
        minimum=0.05,
    ),
    Setting(
        "chain.poll_interval",
        "duration",
        0.2,
        "seconds between a runner's or the guardian's looks at signals, sessions and files",
        minimum=0.01,
    ),
    Setting(
        "chain.runner_grace",
        "duration",
        30.0,
        "seconds past the node timeout before the guardian stops a runner that has not "
        "reported, and the wait for a runner to exit after it reported",
        minimum=0.1,
    ),
)
