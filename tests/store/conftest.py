"""Fixtures of the store contract suite: every test here runs once per backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from store_contract import open_backend

from bosun.base.clock import FakeClock
from bosun.base.config import default_config
from bosun.core.context import Context
from bosun.store.protocol import Store


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(backend: tuple[str, str], clock: FakeClock) -> Iterator[Store]:
    opened = open_backend(backend, clock)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def ctx(store: Store, clock: FakeClock) -> Context:
    return Context(store=store, config=default_config(), clock=clock)
