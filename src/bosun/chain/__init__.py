"""The layered chain: a pipeline's agent nodes as supervised sessions.

launcher (layer 0, `bosun run --detach`) → guardian (layer 1, the run process) → runner
(layer 2, one process per agent node execution) → orchestrator (layer 3, the agent session).
See docs/layers.md.
"""
