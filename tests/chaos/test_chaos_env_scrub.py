"""Campaign (c): agents do not inherit the operator's secrets.

Round after round, bosun's own environment is filled with random secret-looking variables
(`*_TOKEN`, `*_SECRET*`, `*_PASSWORD`, `*_KEY`, `AWS_*`…, plus the usual suspects such as
GITHUB_TOKEN, PGPASSWORD and SSH_AUTH_SOCK) and with variables each preset *should* pass
(its `pass_env` names and globs, and the project's `[agents] pass_env`). For every built-in
preset the fleet builds a real LaunchSpec (the launch is intercepted: the real CLIs are not
run); the sim agent is also started for real in tmux and restarted, its environment read
from /proc/PID/environ. Checks: no planted secret (name or value) arrives, every wanted
variable does."""

from __future__ import annotations

import os
import random
import string
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from chaosmode import figures, size

from bosun.base.errors import RuntimeFailure
from bosun.runtime.env import allowed
from bosun.runtime.fake import FakeRuntime
from bosun.runtime.presets import BUILTIN_DIR
from bosun.runtime.protocol import LaunchSpec, SessionHandle

BUILTIN = sorted(path.stem for path in BUILTIN_DIR.glob("*.toml"))
ROUNDS = size(3, 40)  # rounds over every preset
NAMES_PER_ROUND = size(60, 400)  # random secret names planted per round
SIM_ROUNDS = size(1, 6)  # real sim launches (each with a restart)
SEED = int(os.environ.get("BOSUN_CHAOS_SEED", "18"))
PROJECT_PASS = ("CAMPAIGN_OPTED_*",)  # the campaign project's [agents] pass_env

USUAL_SUSPECTS = (
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "NPM_TOKEN",
    "NODE_AUTH_TOKEN",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "PGPASSWORD",
    "SSH_AUTH_SOCK",
    "DOCKER_PASSWORD",
    "DATABASE_URL",
    "FOO_KEY",
)
VENDORS = (
    "AWS", "GITHUB", "GH", "NPM", "NODE", "PG", "POSTGRES", "MYSQL", "REDIS", "DOCKER",
    "STRIPE", "SLACK", "SENTRY", "DATADOG", "TWILIO", "HEROKU", "AZURE", "GCP", "GOOGLE",
    "CLOUDFLARE", "VAULT", "OPENAI", "ANTHROPIC", "GEMINI", "CURSOR", "CODEX", "CLAUDE",
)  # fmt: skip
MIDDLES = ("", "_ACCESS", "_SECRET", "_PRIVATE", "_API", "_AUTH", "_DEPLOY", "_ADMIN", "_CI")
SUFFIXES = (
    "_TOKEN", "_SECRET", "_SECRET_KEY", "_PASSWORD", "_PASS", "_KEY", "_API_KEY",
    "_ACCESS_KEY_ID", "_SECRET_ACCESS_KEY", "_CREDENTIALS", "_SESSION_TOKEN", "_PAT",
    "PASSWORD", "_PASSPHRASE", "_PRIVATE_KEY",
)  # fmt: skip


def random_word(rng: random.Random, low: int = 2, high: int = 8) -> str:
    return "".join(rng.choices(string.ascii_uppercase, k=rng.randint(low, high)))


def secret_name(rng: random.Random) -> str:
    vendor = rng.choice(VENDORS) if rng.random() < 0.7 else random_word(rng)
    middle = rng.choice(MIDDLES) if rng.random() < 0.6 else "_" + random_word(rng)
    name = vendor + middle + rng.choice(SUFFIXES)
    return name.lower() if rng.random() < 0.05 else name


def wanted_names(rng: random.Random, patterns: tuple[str, ...]) -> list[str]:
    """One variable per pattern that the preset should pass (a glob's * filled at random)."""
    names = []
    for pattern in patterns:
        if any(c in pattern for c in "?[]"):
            continue
        names.append(pattern.replace("*", "CAMPAIGN_" + random_word(rng, 3, 6)))
    return names


@dataclass
class Tally:
    presets: set[str] = field(default_factory=set)
    specs: int = 0
    planted: int = 0
    wanted: int = 0
    leaked: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    sim_launches: int = 0

    def check(
        self, where: str, env: dict[str, str], secrets: dict[str, str], wanted: dict[str, str]
    ) -> None:
        arrived = "\0".join(env.values())  # a value copied into another variable counts
        self.leaked += [f"{where}:{k}" for k, v in secrets.items() if k in env or v in arrived]
        self.missing += [f"{where}:{k}" for k, v in wanted.items() if env.get(k) != v]
        self.planted += len(secrets)
        self.wanted += len(wanted)


class CapturingRuntime(FakeRuntime):
    """Keeps the LaunchSpec the fleet built, then refuses to start anything."""

    def __init__(self) -> None:
        super().__init__()
        self.specs: list[LaunchSpec] = []

    def launch(self, spec: LaunchSpec) -> SessionHandle:
        self.specs.append(spec)
        raise RuntimeFailure("captured by the campaign", "not started")


def plant(rng: random.Random, patterns: tuple[str, ...], count: int) -> dict[str, str]:
    names = set(USUAL_SUSPECTS)
    while len(names) < count + len(USUAL_SUSPECTS):
        names.add(secret_name(rng))
    token = "".join(rng.choices(string.ascii_letters + string.digits, k=24))
    return {
        name: f"s3cr3t-{token}-{i}."
        for i, name in enumerate(sorted(names))
        if not allowed(name, (*patterns, *PROJECT_PASS))
    }


@pytest.fixture
def campaign_project(project: Path, tmp_path: Path) -> Iterator[Path]:
    """The project with [agents] pass_env set, and stub binaries for every real CLI."""
    with open(project / ".bosun" / "config.toml", "a", encoding="utf-8") as config:
        patterns = ", ".join(f'"{p}"' for p in PROJECT_PASS)
        config.write(f"\n[agents]\npass_env = [{patterns}]\n\n[runtime]\nclaude_trust = false\n")
    stubs = tmp_path / "stub-bin"
    stubs.mkdir()
    for program in ("claude", "codex", "gemini", "aider", "cursor-agent"):
        stub = stubs / program
        stub.write_text("#!/bin/sh\nexit 0\n")
        stub.chmod(0o755)
    yield project


def test_no_preset_lets_a_planted_secret_through(
    campaign_project: Path, tmp_path: Path, tmux_socket: str
) -> None:
    from bosun.agents.fleet import Fleet, SpawnRequest
    from bosun.core.context import open_project

    rng = random.Random(SEED)
    tally = Tally()
    started = time.monotonic()
    stubs = tmp_path / "stub-bin"
    home = tmp_path / "home"
    home.mkdir()

    # every built-in preset, through the fleet's own spawn path (the launch intercepted)
    for round_no in range(ROUNDS):
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("PATH", f"{stubs}{os.pathsep}{os.environ['PATH']}")
            mp.setenv("HOME", str(home))
            mp.delenv("BOSUN_IDENTITY", raising=False)
            ctx = open_project(campaign_project, env=dict(os.environ))
            try:
                runtime = CapturingRuntime()
                fleet = Fleet(ctx, runtime)
                for name in BUILTIN:
                    preset = fleet.preset(name)
                    secrets = plant(rng, preset.pass_env, NAMES_PER_ROUND)
                    wanted_list = wanted_names(rng, (*preset.pass_env, *PROJECT_PASS))
                    wanted = {n: f"wanted-{i}-{round_no}" for i, n in enumerate(wanted_list)}
                    for key, value in {**secrets, **wanted}.items():
                        mp.setenv(key, value)
                    request = SpawnRequest(
                        name=f"{name}{round_no}", role="polecat", preset=name, worktree="none"
                    )
                    with pytest.raises(RuntimeFailure, match="captured"):
                        fleet.spawn(request)
                    spec = runtime.specs[-1]
                    assert spec.preset == name
                    tally.check(name, dict(spec.env), secrets, wanted)
                    tally.presets.add(name)
                    tally.specs += 1
                    for key in {**secrets, **wanted}:
                        mp.delenv(key)
            finally:
                ctx.close()

    # the sim agent for real: spawned and restarted by the CLI, read from /proc
    for round_no in range(SIM_ROUNDS):
        secrets = plant(rng, (), NAMES_PER_ROUND)
        wanted = {"CAMPAIGN_OPTED_" + random_word(rng): f"wanted-sim-{round_no}"}
        env = {
            **os.environ,
            **secrets,
            **wanted,
            "BOSUN_RUNTIME_TMUX_SOCKET": tmux_socket,
        }
        env.pop("BOSUN_IDENTITY", None)
        name = f"sim{round_no}"
        try:
            for step in ("spawn", "restart"):
                args = ["agent", step, name] + (
                    ["--runtime", "sim", "--worktree", "none"] if step == "spawn" else []
                )
                session = bosun_json(campaign_project, env, *args)
                tally.check(f"sim-{step}", process_environment(session["pid"]), secrets, wanted)
                tally.sim_launches += 1
        finally:
            bosun_json(campaign_project, env, "agent", "stop", name, check=False)

    line = figures(
        "env-scrub",
        presets=len(tally.presets),
        specs=tally.specs,
        sim_launches=tally.sim_launches,
        planted=tally.planted,
        wanted=tally.wanted,
        leaked=len(tally.leaked),
        missing=len(tally.missing),
        seconds=f"{time.monotonic() - started:.1f}",
    )
    assert tally.presets == set(BUILTIN)
    assert not tally.leaked, f"{line}\nleaked: {tally.leaked[:20]}"
    assert not tally.missing, f"{line}\nmissing: {tally.missing[:20]}"


def bosun_json(cwd: Path, env: dict[str, str], *args: str, check: bool = True) -> dict:
    import json

    done = subprocess.run(
        [sys.executable, "-m", "bosun", *args, "--json"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    if check:
        assert done.returncode == 0, f"bosun {' '.join(args)}: {done.stderr or done.stdout}"
    return json.loads(done.stdout) if done.returncode == 0 else {}


def process_environment(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().decode("utf-8", "replace")
    pairs = (item.split("=", 1) for item in raw.split("\0") if item)
    return {pair[0]: pair[1] if len(pair) > 1 else "" for pair in pairs}
