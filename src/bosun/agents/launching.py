"""What a session is started with: its argv (fresh or resumed, model and autonomy flags) and
its complete environment, as one LaunchSpec for the runtime driver."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from bosun.agents.claude.prepare import prepare_runtime
from bosun.agents.worktree_choice import project_root
from bosun.runtime.presets import Preset
from bosun.runtime.protocol import LaunchSpec

if TYPE_CHECKING:
    from bosun.core.context import Context
    from bosun.core.records import Identity


def session_argv(
    preset: Preset,
    *,
    resume_id: str | None,
    session_id: str | None,
    prompt: str | None,
    settings_file: str | None,
    cwd: str,
    autonomy: str,
    env: dict[str, str],
) -> list[str]:
    """The words that start (or resume) a session. A pipeline node's resolved model and
    reasoning effort travel in the session's environment (BOSUN_LLM_MODEL,
    BOSUN_REASONING_EFFORT), so every restart of the identity keeps them."""
    model = env.get("BOSUN_LLM_MODEL") or None
    effort = env.get("BOSUN_REASONING_EFFORT") or None
    if resume_id:
        return preset.resume(
            resume_id, prompt=prompt, settings_file=settings_file, cwd=cwd, model=model,
            reasoning_effort=effort, autonomy=autonomy,
        )
    return preset.launch_argv(
        session_id=session_id, prompt=prompt, settings_file=settings_file, cwd=cwd, model=model,
        reasoning_effort=effort, autonomy=autonomy,
    )


def launch_spec(
    ctx: Context,
    preset: Preset,
    identity: Identity,
    cwd: Path,
    *,
    session_id: str | None,
    resume_id: str | None,
    prompt: str | None,
    extra_env: dict[str, str],
) -> LaunchSpec:
    """The spec of one incarnation: the preset's argv (the prompt in it when the CLI takes
    it as an argument), its settings file prepared, and the scrubbed environment plus
    what bosun sets (identity, project, incarnation)."""
    argv = session_argv(
        preset, resume_id=resume_id, session_id=session_id,
        prompt=prompt if preset.prompt_mode == "argument" else None,
        settings_file=prepare_runtime(ctx, preset, cwd), cwd=str(cwd),
        autonomy=ctx.config.text("agents.autonomy"), env=extra_env,
    )  # fmt: skip
    env = preset.environment(
        os.environ,
        extra={
            **extra_env,
            "BOSUN_IDENTITY": identity.ref,
            "BOSUN_HOME": str(project_root(ctx)),
            "BOSUN_INCARNATION": str(identity.incarnation),
        },
        also_pass=ctx.config.words("agents.pass_env"),
    )
    return LaunchSpec(
        role=identity.role,
        name=identity.name,
        argv=tuple(preset.resolve_binary(argv)),
        cwd=cwd,
        env=env,
        patterns=preset.screen,
        preset=preset.name,
        incarnation=identity.incarnation,
    )
