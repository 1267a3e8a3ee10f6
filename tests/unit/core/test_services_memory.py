"""The core services on the in-memory store: mirrors, clocks and validation, no processes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bosun.base.clock import FakeClock
from bosun.base.config import default_config
from bosun.base.errors import InvalidInput, InvalidName
from bosun.base.paths import ProjectPaths
from bosun.core.context import Context, memory_context
from bosun.core.mirrors import write_if_newer
from bosun.core.records import IdentityStatus
from bosun.store.sqlite import SqliteStore


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def project_ctx(tmp_path: Path, clock: FakeClock) -> Context:
    paths = ProjectPaths(tmp_path)
    paths.home.mkdir()
    return Context(
        store=SqliteStore(":memory:", clock), config=default_config(), paths=paths, clock=clock
    )


def test_mirrors_follow_each_committed_change(project_ctx: Context, clock: FakeClock) -> None:
    assert project_ctx.paths is not None
    ident = project_ctx.paths.identity_mirror("polecat", "toast")
    hook = project_ctx.paths.hook_mirror("polecat", "toast")
    project_ctx.identities.create("polecat", "toast")
    assert json.loads(ident.read_text())["status"] == "active"
    work = project_ctx.work.create("w")
    project_ctx.hooks.pin("polecat", "toast", work.id)
    clock.advance(1)
    project_ctx.hooks.update_phase("polecat", "toast", "executing")
    data = json.loads(hook.read_text())
    assert (data["phase"], data["work_id"], data["mirrored_at"]) == (
        "executing",
        work.id,
        clock.now(),
    )
    project_ctx.identities.mark_crashed("polecat", "toast")
    assert json.loads(ident.read_text())["status"] == "crashed"


def test_no_mirror_is_written_for_a_change_that_rolled_back(project_ctx: Context) -> None:
    assert project_ctx.paths is not None
    project_ctx.identities.create("polecat", "toast")
    mirror = project_ctx.paths.identity_mirror("polecat", "toast")
    before = mirror.read_text()
    with (
        pytest.raises(RuntimeError, match="later step failed"),
        project_ctx.store.transaction() as tx,
    ):
        project_ctx.identities.set_status_in(tx, "polecat", "toast", IdentityStatus.CRASHED)
        raise RuntimeError("later step failed")
    assert mirror.read_text() == before
    assert project_ctx.identities.get("polecat", "toast").status == IdentityStatus.ACTIVE


def test_an_older_mirror_write_never_replaces_a_newer_one(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    write_if_newer(path, {"v": "new"}, 20.0)
    write_if_newer(path, {"v": "old"}, 10.0)
    assert json.loads(path.read_text())["v"] == "new"
    write_if_newer(path, None, 30.0)
    assert not path.exists()


def test_memory_context_runs_the_services(clock: FakeClock) -> None:
    with memory_context(clock) as ctx:
        ctx.identities.create("polecat", "toast")
        clock.advance(400)
        assert [i.ref for i in ctx.identities.find_stale()] == ["polecat/toast"]
        with pytest.raises(InvalidInput, match="negative"):
            ctx.identities.find_stale(-1)
        with pytest.raises(InvalidName):
            ctx.identities.list(role="Bad Role")
        with pytest.raises(InvalidInput, match="unknown identity status"):
            ctx.identities.list(status="sleeping")


def test_text_limits_are_enforced_before_the_store(clock: FakeClock) -> None:
    with memory_context(clock) as ctx:
        ctx.identities.create("polecat", "toast")
        ctx.hooks.pin("polecat", "toast", ctx.work.create("w").id)
        big = "x" * (64 * 1024 + 1)
        with pytest.raises(InvalidName, match="limit is 65536 bytes"):
            ctx.hooks.checkpoint("polecat", "toast", big)
        with pytest.raises(InvalidName, match="limit is 65536 bytes"):
            ctx.hooks.update_resumption("polecat", "toast", big)
        assert ctx.hooks.get("polecat", "toast").checkpoint_note is None
