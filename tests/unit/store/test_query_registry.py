"""The store registers every area's named queries itself; callers never import them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import bosun.store
from bosun.store import queries

STORE = Path(bosun.store.__file__).parent
SRC = STORE.parent


def test_every_query_module_is_an_area_the_store_loads() -> None:
    modules = sorted(p.stem.removeprefix("queries_") for p in STORE.glob("queries_*.py"))
    assert modules == sorted(queries.AREAS)


def test_no_module_outside_the_store_imports_a_query_module() -> None:
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if STORE not in path.parents and "bosun.store.queries" in path.read_text()
    ]
    assert offenders == []


def test_an_area_query_is_found_without_importing_its_module() -> None:
    code = (
        "import sys\n"
        "from bosun.store.queries import sql_for\n"
        "assert 'bosun.store.queries_triggers' not in sys.modules\n"
        "print(sql_for('trigger_job_get', 'sqlite'))\n"
        "assert 'bosun.store.queries_triggers' in sys.modules\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "trigger_jobs" in out.stdout


def test_a_core_query_loads_no_area() -> None:
    code = (
        "import sys\n"
        "from bosun.store.queries import sql_for\n"
        "sql_for('identity_touch', 'sqlite')\n"
        "print(sorted(m for m in sys.modules if m.startswith('bosun.store.queries_')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_unknown_query_name_is_named() -> None:
    with pytest.raises(KeyError, match="no_such_query"):
        queries.sql_for("no_such_query", "sqlite")
