"""Settings of agent sessions and the Claude Code integration."""

from bosun.base.config import Setting, declare
from bosun.runtime.env import patterns_problem

declare(
    Setting(
        "claude.stop_gate",
        "bool",
        True,
        "block Claude's Stop while its hook holds unfinished work (fails open on errors)",
    ),
    Setting(
        "claude.stop_gate_max_blocks",
        "int",
        3,
        "consecutive Stop blocks before the gate lets the agent stop anyway",
        minimum=1,
        maximum=8,
    ),
    Setting(
        "agents.autonomy",
        "choice",
        "allowlist",
        "what an agent may run unasked: allowlist (bosun, git and file edits in its worktree; "
        "anything else asks, shown as waiting), cli (the CLI's own permission mode), full "
        "(the CLI's skip-all-permissions flag)",
        choices=("allowlist", "cli", "full"),
    ),
    Setting(
        "agents.pass_env",
        "list",
        [],
        "more of bosun's environment variables every agent gets (names or globs, e.g. "
        "GH_TOKEN, AWS_*), added to its preset's pass_env; nothing else is passed on",
        check=patterns_problem,
    ),
)
