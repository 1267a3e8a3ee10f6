"""The context every service and engine works in: the store, the clock, the settings, paths.

`open_project()` finds the project, loads its settings and opens its store; use it as a
context manager so the store is closed.

The core services are typed attributes of the context (`ctx.identities`, `ctx.hooks`, …),
each created on first use. Each service's module is imported only then: an agent's most
frequent call (`bosun identity heartbeat`) needs only `identities`, and importing every
service would add tens of milliseconds to it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from bosun.base.clock import Clock, SystemClock
from bosun.base.config import Config, default_config, load_config
from bosun.base.paths import ProjectPaths, find_project
from bosun.store.open import open_store
from bosun.store.protocol import Store

if TYPE_CHECKING:
    from bosun.core.commitments import Commitments
    from bosun.core.events import Events
    from bosun.core.hooks import Hooks
    from bosun.core.identities import Identities
    from bosun.core.signals import Signals
    from bosun.core.threads import Threads
    from bosun.core.work import Work


@dataclass
class Context:
    store: Store
    config: Config
    paths: ProjectPaths | None = None
    clock: Clock = field(default_factory=SystemClock)

    # Each service module is imported on first use (see the module's docstring).

    @cached_property
    def identities(self) -> Identities:
        from bosun.core.identities import Identities  # lazy: CLI start-up time

        return Identities(self)

    @cached_property
    def hooks(self) -> Hooks:
        from bosun.core.hooks import Hooks  # lazy: CLI start-up time

        return Hooks(self)

    @cached_property
    def work(self) -> Work:
        from bosun.core.work import Work  # lazy: CLI start-up time

        return Work(self)

    @cached_property
    def signals(self) -> Signals:
        from bosun.core.signals import Signals  # lazy: CLI start-up time

        return Signals(self)

    @cached_property
    def threads(self) -> Threads:
        from bosun.core.threads import Threads  # lazy: CLI start-up time

        return Threads(self)

    @cached_property
    def commitments(self) -> Commitments:
        from bosun.core.commitments import Commitments  # lazy: CLI start-up time

        return Commitments(self)

    @cached_property
    def events(self) -> Events:
        from bosun.core.events import Events  # lazy: CLI start-up time

        return Events(self)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_project(
    start: Path | None = None,
    env: dict[str, str] | None = None,
    clock: Clock | None = None,
) -> Context:
    env = dict(os.environ) if env is None else env
    paths = find_project(start, env)
    config = load_config(paths.config, env)
    store = open_store(paths, config, clock)
    return Context(store=store, config=config, paths=paths, clock=clock or SystemClock())


def memory_context(clock: Clock | None = None, config: Config | None = None) -> Context:
    """A context on an in-memory SQLite store, for fast tests."""
    from bosun.store.sqlite import SqliteStore  # loaded only when used, as in store/open.py

    return Context(
        store=SqliteStore(":memory:", clock),
        config=config or default_config(),
        clock=clock or SystemClock(),
    )
