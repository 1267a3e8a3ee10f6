"""Runtimes: how a session is launched and driven.

A runtime is a *driver* (tmux, subprocess, or the fake next to the protocol) plus a *preset*
(claude, codex, gemini, aider, cursor, sim, shell) that says how to launch and resume a CLI
and how to read its screen. `protocol.py` defines the driver protocol every driver passes
one conformance suite against (tests/integration/runtime/test_conformance.py).
"""
