"""Domain services: identities, hooks, work items, signals, events. No printing, tmux or git."""
