"""The sim agent's context usage, written like Claude Code's status-line `context_window`.

The file holds exactly the `context_window` object Claude Code passes to a status-line
command, so one reader serves both runtimes::

    {"total_input_tokens": 16000, "total_output_tokens": 900,
     "context_window_size": 200000, "used_percentage": 8, "remaining_percentage": 92,
     "current_usage": {"input_tokens": 4000, "output_tokens": 900,
                       "cache_creation_input_tokens": 0, "cache_read_input_tokens": 12000}}

As in Claude Code, `used_percentage` counts input tokens only (input + cache creation +
cache read of the current call). Usage grows per step and per prompt and never goes past
the window. The file is rewritten atomically after every change.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bosun.base.paths import atomic_write_json
from bosun.runtime.sim.taskscript import TaskScriptError

EXHAUSTED_PERCENT = 95


@dataclass(frozen=True)
class ContextModel:
    window: int = 200_000
    start: int = 12_000
    per_step: int = 4_000
    per_prompt: int = 1_500

    @classmethod
    def from_script(cls, data: dict[str, Any]) -> ContextModel:
        unknown = sorted(set(data) - {"window", "start", "per_step", "per_prompt"})
        if unknown:
            raise TaskScriptError(
                f"task script context has unknown key {unknown[0]!r}",
                "context keys: window, start, per_step, per_prompt",
            )
        values = {**asdict(cls()), **data}
        for key, value in values.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise TaskScriptError(
                    f"task script context {key} must be a whole number of tokens ≥ 0",
                    '"context": {"window": 200000, "per_step": 4000}',
                )
        if values["window"] < 1000 or values["start"] >= values["window"]:
            raise TaskScriptError(
                "task script context window must be ≥ 1000 tokens and larger than start",
                '"context": {"window": 200000, "start": 12000}',
            )
        return cls(**values)


class ContextMeter:
    """Token accounting for one session; thread-safe; writes its file on every change."""

    def __init__(self, path: Path | None, model: ContextModel | None = None) -> None:
        self.path = path
        self.model = model or ContextModel()
        self._lock = threading.Lock()
        self._prompt_tokens = self.model.start  # the whole conversation so far
        self._last_output = 0
        self._total_input = 0
        self._total_output = 0

    def use_model(self, model: ContextModel) -> None:
        with self._lock:
            if model == self.model:
                return
            self._prompt_tokens = max(self._prompt_tokens - self.model.start + model.start, 0)
            self.model = model
        self.write()

    def add_turn(self, input_tokens: int, output_tokens: int) -> None:
        """One model call: `input_tokens` new tokens in, `output_tokens` produced."""
        with self._lock:
            cap = self.model.window
            self._prompt_tokens = min(cap, self._prompt_tokens + input_tokens + self._last_output)
            self._last_output = min(output_tokens, cap - self._prompt_tokens)
            self._total_input += self._prompt_tokens
            self._total_output += self._last_output
        self.write()

    def step(self, output_chars: int = 0) -> None:
        self.add_turn(self.model.per_step, 200 + output_chars // 4)

    def prompt(self, text: str) -> None:
        self.add_turn(self.model.per_prompt + len(text) // 4, 150)

    def exhaust(self) -> None:
        """Usage jumps past 90 % (the exhaust-context fault)."""
        with self._lock:
            target = self.model.window * EXHAUSTED_PERCENT // 100
            self._prompt_tokens = max(self._prompt_tokens, target)
            self._total_input += self._prompt_tokens
        self.write()

    @property
    def used_percentage(self) -> int:
        with self._lock:
            return self._used()

    def _used(self) -> int:
        return min(100, round(100 * self._prompt_tokens / self.model.window))

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            used = self._used()
            fresh = min(self._prompt_tokens, self.model.per_step)
            return {
                "total_input_tokens": self._total_input,
                "total_output_tokens": self._total_output,
                "context_window_size": self.model.window,
                "used_percentage": used,
                "remaining_percentage": 100 - used,
                "current_usage": {
                    "input_tokens": fresh,
                    "output_tokens": self._last_output,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": self._prompt_tokens - fresh,
                },
            }

    def write(self) -> None:
        if self.path is not None:
            atomic_write_json(self.path, self.snapshot())
