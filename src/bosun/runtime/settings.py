"""Settings of the runtime layer (drivers, input delivery, presets)."""

from bosun.base.config import Setting, declare

declare(
    Setting(
        "runtime.max_send_bytes",
        "int",
        16384,
        "largest text (UTF-8 bytes) typed into a session; longer text is refused",
        minimum=1,
        maximum=1048576,
    ),
    Setting(
        "runtime.enter_delay",
        "duration",
        0.15,
        "pause between typing text and pressing Enter (Codex/Ink swallow an early Enter)",
        minimum=0.15,
        maximum=10,
    ),
    Setting(
        "runtime.verify_retries",
        "int",
        3,
        "extra Enter presses when the text still sits in the composer",
        minimum=0,
        maximum=10,
    ),
    Setting(
        "runtime.verify_timeout",
        "duration",
        1.5,
        "how long to watch the composer after each Enter before pressing it again",
        minimum=0.1,
        maximum=60,
    ),
    Setting(
        "runtime.ready_timeout",
        "duration",
        30.0,
        "how long to wait for a session's ready screen before typing into it",
        minimum=0.1,
    ),
    Setting(
        "runtime.lock_timeout",
        "duration",
        60.0,
        "how long a sender waits for another sender to the same pane",
        minimum=0.1,
    ),
    Setting(
        "runtime.tmux_socket",
        "str",
        "",
        "tmux -L socket name; empty uses bosun-<short project hash>",
    ),
    Setting(
        "runtime.claude_trust",
        "bool",
        True,
        "pre-accept the folder-trust dialog of Claude Code (~/.claude.json) and Codex "
        "(config.toml) for worktrees",
    ),
)
