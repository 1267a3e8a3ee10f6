"""Shared fixtures: git repositories, bosun projects, store backends, tmux servers.

Everything a fixture creates it removes, even when the test fails.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

# Tests never inherit an agent identity, a project or a terminal width from the shell
# that runs them (CI sets COLUMNS; bosun's piped output is then cut to it).
for _var in ("BOSUN_IDENTITY", "BOSUN_HOME", "BOSUN_DATABASE_URL", "TMUX", "CLAUDECODE",
             "COLUMNS", "LINES"):
    os.environ.pop(_var, None)

from backends import open_backend  # noqa: E402,F401  (tests/ is on sys.path)
from gitrepo import GIT_ENV, git, make_repo  # noqa: E402,F401

os.environ.update(GIT_ENV)


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    """A fresh git repository on branch main with one commit."""
    return make_repo(tmp_path / "repo")


@pytest.fixture
def project(git_repo: Path) -> Path:
    """A git repository with `bosun init` done; returns the repository root."""
    from bosun.core.project import init_project

    init_project(git_repo, env={})
    return git_repo


# -- PostgreSQL ---------------------------------------------------------------------------


def _pg_base_url() -> str:
    return os.environ.get("BOSUN_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_reachable(url: str) -> str | None:
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=3).close()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


@pytest.fixture(scope="session")
def pg_base_url() -> str:
    url = _pg_base_url()
    problem = _pg_reachable(url)
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true but unreachable: {problem}")
        pytest.skip(f"PostgreSQL not reachable at {url}: {problem}")
    return url


@pytest.fixture
def pg_url(pg_base_url: str) -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped afterwards."""
    import psycopg

    schema = f"bosun_t_{secrets.token_hex(5)}"
    with psycopg.connect(pg_base_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in pg_base_url else "?"
    try:
        yield f"{pg_base_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(pg_base_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(dialect, location): a SQLite file path or a PostgreSQL URL with its own schema."""
    if request.param == "sqlite":
        yield "sqlite", str(tmp_path / "contract.db")
    else:
        yield "postgres", request.getfixturevalue("pg_url")


# -- tmux ---------------------------------------------------------------------------------


@pytest.fixture
def tmux_socket() -> Iterator[str]:
    """A private tmux server socket name (`tmux -L NAME`), killed afterwards."""
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed: apt-get install -y tmux")
    name = f"bosun-test-{secrets.token_hex(4)}"
    try:
        yield name
    finally:
        from bosun.runtime.tmux_cli import remove_server

        remove_server(name)


@pytest.fixture
def bosun(project: Path):  # type: ignore[no-untyped-def]
    """The real CLI as a subprocess in the `project` repository (see tests/clirunner.py)."""
    from clirunner import Bosun

    return Bosun(project)
