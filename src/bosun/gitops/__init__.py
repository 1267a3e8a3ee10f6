"""Git drivers: an argv-only git runner, agent worktrees, rebase/merge primitives."""
