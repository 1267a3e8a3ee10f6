"""The `runs` table and `run.*` events on both store backends."""

from __future__ import annotations

from backends import open_backend
from bosun.base.config import default_config
from bosun.core.context import Context
from bosun.pipeline.recorder import register_run


def test_runs_are_registered_updated_and_listed_with_events(backend) -> None:  # type: ignore[no-untyped-def]
    import bosun.store.queries_pipeline  # noqa: F401

    store = open_backend(backend)
    try:
        ctx = Context(store=store, config=default_config())
        register_run(ctx, "r1", "/g.dot", "/tmp/r1", "starting", None, True)
        register_run(ctx, "r1", "/g.dot", "/tmp/r1", "running", 42, False)
        with store.transaction() as tx:
            tx.run(
                "run_finish",
                run_id="r1",
                status="success",
                failure_reason=None,
                current_node="exit",
                restart_count=0,
                now=tx.now,
            )
        with store.transaction(write=False) as tx:
            rows = tx.all("run_list", status=None, limit=5)
        assert [(r["run_id"], r["status"], r["pid"], r["detached"]) for r in rows] == [
            ("r1", "success", 42, 1)
        ]
        kinds = [e.kind for e in ctx.events.since(0)]
        assert kinds == ["run.launched", "run.started"]
    finally:
        store.close()
