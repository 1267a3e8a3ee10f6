"""A trigger worker process for the concurrency tests: `python queue_worker_main.py DIALECT
LOCATION DELAY_S`. No-op processing: with DELAY_S > 0 one job at a time, each taking DELAY_S;
with 0, whole claimed batches completed in one transaction. Stops on SIGTERM."""

from __future__ import annotations

import sys
import time

from bosun.triggers.queue import Lease, QueueConfig, TriggerQueue
from bosun.triggers.worker import TriggerWorker, WorkerConfig, noop_batch


def main(dialect: str, location: str, delay: float) -> int:
    if dialect == "sqlite":
        from bosun.store.sqlite import SqliteStore

        store, beats = SqliteStore(location), SqliteStore(location)
        waiter = None
    else:
        from bosun.store.listener import Listener
        from bosun.store.postgres import PostgresStore

        store, beats = PostgresStore(location), PostgresStore(location)
        waiter = Listener(location)
    # 5 s: a live worker on a loaded 2-core machine can miss a few 0.2 s heartbeats
    queue = TriggerQueue(store, QueueConfig(worker_stale_after=5.0, max_rescues=5))

    def process(lease: Lease, q: TriggerQueue) -> None:
        started = time.time()
        if delay:
            time.sleep(delay)
        q.complete(lease, hop="noop", reason="noop", started_at=started)

    worker = TriggerWorker(
        queue,
        process,
        WorkerConfig(claim_batch=8, poll_interval=0.05, heartbeat=0.2, rescue_interval=0.3),
        waiter=waiter,
        batch=None if delay else noop_batch,
        heartbeat_store=beats,
    )
    worker.install_signal_handlers()
    stats = worker.run()
    store.close()
    beats.close()
    print(f"processed={stats.processed} rescued={stats.rescued} lost={stats.lost}", flush=True)
    return 1 if stats.lost else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
