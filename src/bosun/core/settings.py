"""Settings of the core layer and project-wide settings."""

from bosun.base.config import Setting, declare

declare(
    Setting(
        "database_url", "str", "", "PostgreSQL URL (postgresql://…); empty uses .bosun/bosun.db"
    ),
    Setting("main_branch", "str", "", "the project's target branch; empty detects main/master"),
    Setting(
        "identity.stale_after",
        "duration",
        300.0,
        "seconds without a heartbeat before an identity is stale",
        minimum=1,
    ),
    Setting("work.wisp_ttl", "duration", 86400.0, "default time to live of a wisp", minimum=1),
    Setting(
        "mirrors.enabled",
        "bool",
        True,
        "write JSON mirrors of identities and hooks under .bosun/state/",
    ),
)
