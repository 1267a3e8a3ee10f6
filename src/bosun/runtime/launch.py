"""`python -m bosun.runtime.launch SPEC.json`: start a session's program without a shell.

tmux runs this small launcher (argv words only, never a shell string). It reads the spec
bosun wrote (argv, cwd, complete environment), deletes it (it may hold secrets), changes
directory and replaces itself with the program (`os.execvpe`), so the pane's process *is*
the agent and its exit status is the agent's. Only the terminal variables tmux sets for the
pane (TERM, TMUX, TMUX_PANE, COLORTERM) are taken from the launcher's own environment.

Imports stay minimal: this runs once per session start.
"""

from __future__ import annotations

import json
import os
import sys

PANE_VARS = ("TERM", "TMUX", "TMUX_PANE", "COLORTERM")
EXIT_CANNOT_RUN = 127


def read_spec(path: str) -> tuple[list[str], str, dict[str, str]]:
    """The spec's argv, cwd and environment; the file is deleted even when it cannot be
    read (a half-written one may still hold secrets)."""
    try:
        with open(path, encoding="utf-8") as fh:
            spec = json.load(fh)
    finally:
        if os.path.isfile(path):
            os.unlink(path)
    argv = [str(word) for word in spec["argv"]]
    env = {str(k): str(v) for k, v in spec["env"].items()}
    return argv, str(spec["cwd"]), env


def main(args: list[str]) -> int:
    if len(args) != 1:
        sys.stderr.write("usage: python -m bosun.runtime.launch SPEC.json\n")
        return 2
    try:
        argv, cwd, env = read_spec(args[0])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        sys.stderr.write(f"bosun launch: cannot read {args[0]}: {exc}\n")
        return EXIT_CANNOT_RUN
    for var in PANE_VARS:
        if var in os.environ and var not in env:
            env[var] = os.environ[var]
    try:
        os.chdir(cwd)
        os.execvpe(argv[0], argv, env)
    except OSError as exc:
        sys.stderr.write(f"bosun launch: cannot run {argv[0]!r} in {cwd}: {exc}\n")
        sys.stderr.flush()
    return EXIT_CANNOT_RUN


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
