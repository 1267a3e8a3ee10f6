"""The sim agent: a real interactive terminal program that behaves like a coding agent.

`bosun sim-agent [--identity ROLE/NAME] [--prompt TEXT]` shows a composer (`sim> `), a busy
line (`… esc to interrupt`) while it works, treats fast input as a paste, primes itself with
`bosun prime --json`, works the pinned work item's task script (see `taskscript`), answers
prompts, reports context usage like Claude Code's status line (see `context`) and injects
faults on request (see `faults`). It is how bosun runs end to end without an LLM.

Files (environment variable, else the default under the project's `.bosun/state/`):

    BOSUN_CONTEXT_FILE     context/<role>-<name>.json    context usage (status-line shape)
    BOSUN_SIM_TRANSCRIPT   transcripts/<role>-<name>.log prompts (`> …`) and output lines
    BOSUN_SIM_STATE        sim/<role>-<name>.json        the ledger of `once` faults
    BOSUN_SIM_PROMPT_LOG   (none)                        one JSON line per accepted prompt
    BOSUN_SIM_FAULTS       -                             faults as a JSON object
    BOSUN_SIM_BOSUN        -                             argv used to call bosun (default:
                                                         the running Python's `-m bosun`)

Module map: `keys` (input decoding, paste detection), `screen` (what is shown), `console`
(state shared by the two threads), `terminal` (the main loop), `agent` (the worker),
`workspace` (shell, files, git), `bosunctl` (the bosun CLI), `main` (wiring).
"""
