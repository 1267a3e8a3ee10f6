"""Claude Code integration: the settings bosun passes with `--settings`, and the hook and
status-line handlers Claude Code runs (`bosun claude-hook <event>`)."""
