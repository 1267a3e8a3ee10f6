"""Agent sessions as bosun runs them: spawn, restart with a seance, stop, send, nudge.

This package sits between the drivers (runtime/, gitops/) and the engines that use it
(supervisor, pipeline runners, trigger fallbacks). It follows one order:
register the identity, pin the hook, create the worktree, launch, record the session.
"""
