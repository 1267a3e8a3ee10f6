"""The MCP server agents use to talk to bosun (threads, triggers, hooks, signals, heartbeat)."""
