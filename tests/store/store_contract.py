"""Helpers of the store contract suite (imported by its tests and its conftest)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from bosun.store.protocol import Store
from bosun.store.queries import register

ROOT_CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"
TABLES = ("events", "identities", "hooks", "work_items", "signals")
register({f"contract_dump_{t}": f"SELECT * FROM {t} ORDER BY 1, 2" for t in TABLES})


def _root_conftest() -> ModuleType:
    """tests/conftest.py as a module (pytest may have replaced `conftest` in sys.modules)."""
    name = "bosun_tests_root_conftest"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT_CONFTEST)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return sys.modules[name]


def open_backend(backend: tuple[str, str], clock: Any = None) -> Store:
    """The shared `open_backend` of tests/conftest.py."""
    opened: Store = _root_conftest().open_backend(backend, clock)
    return opened


def snapshot(store: Store) -> dict[str, list[dict[str, Any]]]:
    """Every row of the core tables, for "nothing changed" assertions."""
    with store.transaction(write=False) as tx:
        return {t: tx.all(f"contract_dump_{t}") for t in TABLES}
