"""A tiny stand-in for an interactive coding-agent CLI, used by the runtime driver tests.

It follows the sim agent's screen contract: bracketed paste on, an idle composer line
`app> `, a busy line with `esc to interrupt`, an optional trust dialog, and for each prompt
it takes an acknowledgement line `● received <n>: <first 60 chars>` plus one JSON line in
$BOSUN_SIM_PROMPT_LOG. On a terminal it reads raw bytes (pastes, Enter); on a pipe, lines.

Behaviour from the environment:
  TESTAGENT_EXIT=<code>        print a line and exit with <code> at once
  TESTAGENT_START_DELAY=<s>    draw the composer only after <s> seconds
  TESTAGENT_TRUST=1            ask "Do you trust the files in this folder?" first (1/Enter)
  TESTAGENT_BUSY=<s>           stay busy <s> seconds after each prompt
  TESTAGENT_SWALLOW=first      swallow the first Enter of every prompt
  TESTAGENT_SWALLOW=120        swallow an Enter within 120 ms of the last text byte
  TESTAGENT_SWALLOW=all        never take a prompt (every Enter is swallowed)
  TESTAGENT_SHOW_ENV=NAME,...  print `env NAME=<value or unset>` lines at start
"""

from __future__ import annotations

import codecs
import json
import os
import sys
import time

PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"


def out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


class Agent:
    def __init__(self, tty: bool) -> None:
        self.tty = tty
        self.nl = "\r\n" if tty else "\n"
        self.count = 0
        self.log = os.environ.get("BOSUN_SIM_PROMPT_LOG")
        self.busy = float(os.environ.get("TESTAGENT_BUSY", "0") or 0)
        swallow = os.environ.get("TESTAGENT_SWALLOW", "")
        self.swallow_first = swallow == "first"
        self.swallow_all = swallow == "all"
        self.swallow_ms = float(swallow) if swallow.replace(".", "").isdigit() else 0.0
        self.buffer = ""
        self.swallowed = False
        self.last_text_at = 0.0

    def prompt(self) -> None:
        out(f"app> {self.buffer}")

    def take(self, text: str) -> None:
        self.count += 1
        flat = " ".join(text.split())
        if self.log:
            with open(self.log, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"n": self.count, "text": text, "ts": time.time()}) + "\n")
        out(f"{self.nl}● received {self.count}: {flat[:60]}{self.nl}")
        if self.busy:
            out(f"⠋ working (esc to interrupt){self.nl}")
            time.sleep(self.busy)
            out(f"done{self.nl}")
        self.buffer = ""
        self.swallowed = False
        self.prompt()

    def enter(self) -> None:
        if not self.buffer.strip():
            return
        late = (time.monotonic() - self.last_text_at) * 1000
        if (
            self.swallow_all
            or (self.swallow_first and not self.swallowed)
            or (self.swallow_ms and late < self.swallow_ms)
        ):
            self.swallowed = True
            return
        self.take(self.buffer)

    def typed(self, text: str) -> None:
        self.buffer += text
        self.last_text_at = time.monotonic()
        out(text.replace("\n", self.nl + "  "))


def trust(tty: bool) -> None:
    out("Do you trust the files in this folder?\r\n 1. Yes, proceed\r\n 2. No, exit\r\n")
    while True:
        data = os.read(0, 64) if tty else sys.stdin.readline().encode()
        if not data:
            sys.exit(1)
        if b"1" in data or b"\r" in data or b"\n" in data:
            out("trusted\r\n")
            return
        if b"2" in data:
            sys.exit(1)


def run_tty(agent: Agent) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    pending = ""
    pasting = False
    while True:
        data = os.read(0, 4096)
        if not data:
            return
        pending += decoder.decode(data)
        while pending:
            if pending.startswith(PASTE_START):
                pasting, pending = True, pending[len(PASTE_START) :]
                continue
            if pending.startswith(PASTE_END):
                pasting, pending = False, pending[len(PASTE_END) :]
                continue
            if pending.startswith("\x1b") and len(pending) < len(PASTE_START):
                break  # maybe the start of a paste marker; wait for more bytes
            char, pending = pending[0], pending[1:]
            if char in "\r\n" and not pasting:
                agent.enter()
            elif char in "\r\n":
                agent.typed("\n")
            elif char == "\x03":
                sys.exit(130)
            elif char >= " " or char == "\t":
                agent.typed(char)


def main() -> None:
    for name in filter(None, os.environ.get("TESTAGENT_SHOW_ENV", "").split(",")):
        print(f"env {name}={os.environ.get(name, '<unset>')}", flush=True)
    print(f"cwd {os.getcwd()}", flush=True)
    if "TESTAGENT_EXIT" in os.environ:
        print("exiting at once", flush=True)
        sys.exit(int(os.environ["TESTAGENT_EXIT"]))
    time.sleep(float(os.environ.get("TESTAGENT_START_DELAY", "0") or 0))
    tty = os.isatty(0)
    if os.environ.get("TESTAGENT_TRUST") == "1":
        if tty:
            import tty as ttymod

            ttymod.setraw(0)
        trust(tty)
    agent = Agent(tty)
    if not tty:
        agent.prompt()
        for line in sys.stdin:
            agent.typed(line.rstrip("\n"))
            agent.take(agent.buffer)
        return
    import termios
    import tty as ttymod

    saved = termios.tcgetattr(0)
    ttymod.setraw(0)
    out("\x1b[?2004h")
    try:
        agent.prompt()
        run_tty(agent)
    finally:
        out("\x1b[?2004l")
        termios.tcsetattr(0, termios.TCSADRAIN, saved)


if __name__ == "__main__":
    main()
