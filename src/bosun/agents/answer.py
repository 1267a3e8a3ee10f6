"""Answering the prompt on an agent's screen (`bosun agent answer`, the TUI's y/n/c).

A CHOICE is `approve` or `deny` (the preset's approve_keys / deny_keys), the label or
number of one of the dialog's numbered options read from the screen (`2`, `Yes, and don't
ask again`), or else keys to press (`y`, `1 Enter`). The answer is verified like every
other delivery: the prompt must leave the screen within `verify` seconds."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bosun.base.errors import Conflict, InvalidInput

if TYPE_CHECKING:
    from bosun.agents.fleet import Fleet

_OPTION = re.compile(r"^[\s│┃>❯›*]*(\d{1,2})[.)]\s+(\S.*?)\s*[│┃]?\s*$")
WAITING = "waiting_input"


@dataclass(frozen=True)
class Choice:
    key: str
    label: str


def dialog_choices(screen: str, tail: int = 15) -> list[Choice]:
    """The numbered options (`1. Yes`, `❯ 2) No`) in the last `tail` lines of `screen`."""
    found: dict[str, Choice] = {}
    for line in screen.splitlines()[-tail:]:
        match = _OPTION.match(line)
        if match:
            found[match.group(1)] = Choice(match.group(1), match.group(2))
    return list(found.values())


def keys_for(
    choice: list[str], choices: list[Choice], approve: tuple[str, ...], deny: tuple[str, ...]
) -> tuple[str, ...]:
    """The keys that give `choice` (words as typed on the command line)."""
    text = " ".join(choice).strip()
    if text in ("approve", "deny"):
        return approve if text == "approve" else deny
    wanted = text.casefold()
    for option in choices:
        if wanted in (option.key, option.label.casefold()):
            return (option.key,)
    if len(choice) == 1 and len(text) > 2 and choices:
        labels = ", ".join(f"{c.key}. {c.label}" for c in choices)
        raise InvalidInput(
            f"{text!r} is none of the choices on screen: {labels}",
            "give a number, a label, approve or deny",
        )
    return tuple(choice)


def check_choice(choice: list[str]) -> None:
    """Bad input is refused before any agent is looked at."""
    if not choice or any(not k or len(k) > 200 or not k.isprintable() for k in choice):
        raise InvalidInput(
            "give a choice of printable words: approve, deny, an option's number or label, "
            "or keys",
            "e.g. `approve`, `2`, `y`, `1 Enter`",
        )


def answer(
    fleet: Fleet, role: str, name: str, choice: list[str], verify: float = 5.0
) -> dict[str, Any]:
    check_choice(choice)
    session, handle = fleet.require_live(role, name)
    state = str(fleet.runtime.screen_state(handle))
    if state != WAITING:
        raise Conflict(
            f"{role}/{name} shows no prompt waiting for an answer (screen: {state})",
            "send it a message with `bosun agent send` instead",
        )
    preset = fleet.preset(session.preset)
    choices = dialog_choices(fleet.runtime.capture(handle, 40))
    keys = keys_for(choice, choices, preset.approve_keys, preset.deny_keys)
    if any(len(k) > 16 for k in keys):
        raise InvalidInput("each key is 1-16 printable characters", "e.g. `y`, `1 Enter`")
    for key in keys:
        fleet.runtime.press(handle, key)
    deadline = time.monotonic() + verify
    verified = False
    while time.monotonic() < deadline:
        if str(fleet.runtime.screen_state(handle)) != WAITING:
            verified = True
            break
        time.sleep(0.1)
    with fleet.ctx.store.transaction() as tx:
        tx.emit(
            "agent.answered",
            session.ref,
            {
                "keys": list(keys),
                "choice": " ".join(choice),
                "verified": verified,
                "incarnation": session.incarnation,
            },
        )
    return {
        "identity": session.ref,
        "keys": list(keys),
        "verified": verified,
        "choices": [c.__dict__ for c in choices],
    }
