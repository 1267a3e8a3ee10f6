"""The processor: one per target (under a lease), one batch at a time.

claim → build the chain in the scratch worktree → gate the whole chain → land it, or bisect
it (land green prefixes, fail the culprit, queue the rest again). No transaction is open
while git or a gate runs; every step is recorded before the next one starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bosun.base.errors import BosunError, GitError
from bosun.base.ids import short_id
from bosun.gitops.branches import main_branch
from bosun.gitops.git import Git
from bosun.mergequeue import policy
from bosun.mergequeue.bypass import watch_target
from bosun.mergequeue.checkouts import behind_checkouts, repair_behind_checkouts
from bosun.mergequeue.gates import GateResult, LeaseLost, run_gates
from bosun.mergequeue.intake import consume_merge_ready
from bosun.mergequeue.landing import crash_point, land, record_chain, recover
from bosun.mergequeue.lease import Lease, ensure_target, open_lease
from bosun.mergequeue.orphans import GateGroups, reap_orphan_gates
from bosun.mergequeue.outcomes import load, requeue, settle_conflict, settle_failed, transition
from bosun.mergequeue.queue import MergeQueue, ensure_queue_identity, repo_git
from bosun.mergequeue.records import MergeRequest, RequestStatus
from bosun.mergequeue.scratch import Chain, Link, Scratch
from bosun.mergequeue.untested import has_gates, record_untested_landing

if TYPE_CHECKING:
    from bosun.core.context import Context

MAX_REBUILDS = 10  # the target moved under us this many times in a row: give the turn back


@dataclass
class ProcessReport:
    target: str
    lease_held_by: str | None = None
    batches: int = 0
    gate_runs: int = 0
    merged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    requeued: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    direct_commits: list[str] = field(default_factory=list)  # on the target, not by the queue
    untested: bool = False  # something landed with no gates configured

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def process(
    ctx: Context, target: str | None = None, *, until_empty: bool = True, intake: bool = True
) -> list[ProcessReport]:
    """Process the queue of `target` (default: every target with pending requests)."""
    repo = repo_git(ctx)
    ensure_queue_identity(ctx)
    if intake:
        consume_merge_ready(ctx)
    targets = [target] if target else MergeQueue(ctx).pending_targets()
    if not target:  # a checkout left behind by a landing is repaired even with nothing queued
        behind = {str(d["target"]) for d in behind_checkouts(ctx).values()}
        targets += sorted(behind.difference(targets))
    reports = [Processor(ctx, repo, t).run(until_empty=until_empty) for t in targets]
    if not target:  # the main branch is watched for direct commits even with nothing queued
        try:
            main = main_branch(repo, ctx.config)
        except BosunError:
            main = None
        if main is not None and main not in targets:
            watched = Processor(ctx, repo, main).watch()
            if watched.direct_commits:
                reports.append(watched)
    return reports


class Processor:
    def __init__(self, ctx: Context, repo: Git, target: str) -> None:
        assert ctx.paths is not None
        self.ctx, self.repo, self.target = ctx, repo, target
        self.scratch = Scratch(repo, ctx.paths.home, target)
        self.report = ProcessReport(target)
        cfg = ctx.config
        self.mode = cfg.text("merge_queue.batch")
        self.floor = cfg.integer("merge_queue.batch_floor")
        self.ceiling = cfg.integer("merge_queue.batch_ceiling")
        self.lease: Lease = open_lease(ctx, target)

    def run(self, *, until_empty: bool) -> ProcessReport:
        ensure_target(self.ctx, self.target, policy.initial_window(self.floor, self.ceiling))
        if not self.lease.acquire():
            self.report.lease_held_by = self.lease.describe_holder() or "another processor"
            return self.report
        try:
            self._repair()
            repair_behind_checkouts(self.ctx, self.repo, self.target)
            self.report.recovered += [r.id for r in recover(self.ctx, self.repo, self.target)]
            self._watch()
            while self.process_batch() and until_empty:
                pass
        except LeaseLost:
            pass  # the new holder recovers our `testing` requests
        finally:
            self.lease.release()
        return self.report

    def watch(self) -> ProcessReport:
        """Only look for direct commits on the target (under its lease)."""
        ensure_target(self.ctx, self.target, policy.initial_window(self.floor, self.ceiling))
        if not self.lease.acquire():
            self.report.lease_held_by = self.lease.describe_holder() or "another processor"
            return self.report
        try:
            self._watch()
        finally:
            self.lease.release()
        return self.report

    def _watch(self) -> None:
        try:
            found = watch_target(self.ctx, self.repo, self.target)
        except GitError as exc:  # never let the watch stop the queue
            self._event("merge.watch_failed", {"error": exc.message})
            return
        self.report.direct_commits += [c.commit for c in found]

    # -- one batch ------------------------------------------------------------------------

    def _repair(self) -> None:
        """Before anything else: end a dead processor's gates, then fix its scratch tree."""
        killed = reap_orphan_gates(self.ctx, self.target, self.lease.holder, self.scratch.path)
        done = self.scratch.repair()
        if killed or done:
            self._event("merge.scratch_repaired", {"killed_gate_groups": killed, "done": done})

    def process_batch(self) -> bool:
        """Claim and settle one batch; False when nothing was queued, or when git failed in
        the queue's own machinery: then the batch is queued again (nobody is blamed), the
        scratch tree is rebuilt, and this run ends."""
        try:
            return self._process_batch()
        except GitError as exc:
            self._event("merge.infra_error", {"error": exc.message})
            self.scratch.rebuild()
            for request in recover(self.ctx, self.repo, self.target):
                if request.status == RequestStatus.MERGED:
                    self.report.merged.append(request.id)
                else:
                    self.report.requeued.append(request.id)
            return False

    def _process_batch(self) -> bool:
        tip = self.repo.rev(f"refs/heads/{self.target}")
        batch_id = short_id("mb", 3)
        pending = self._claim(batch_id, tip)
        if not pending:
            return False
        self.report.batches += 1
        crash_point("claimed")
        if tip is not None:
            reset = self.scratch.prepare(tip)
            if reset:
                self._event("merge.scratch_reset", {"files": reset[:50], "batch": batch_id})
        red = tested = False
        rebuilds = 0
        while pending:
            tip = self.repo.rev(f"refs/heads/{self.target}")
            if tip is None:
                self._fail_all(pending, f"target branch {self.target} does not exist", {})
                break
            chain = self._build(tip, pending, batch_id)
            if not chain.links:
                break
            tested = True
            result = self._gate(chain, len(chain.links), batch_id)
            if not result.green:
                red = True
                pending = self._settle_red(chain, result, batch_id)
                continue
            if self._land(chain, 0, len(chain.links), result, batch_id):
                break
            pending = [lk.request for lk in chain.links]
            rebuilds += 1
            if rebuilds >= MAX_REBUILDS:
                self._requeue(
                    pending, f"the target kept moving during {MAX_REBUILDS} builds; queued again"
                )
                break
            self._event("merge.target_moved", {"batch": batch_id, "rebuild": rebuilds})
        if tested:
            self._adapt(green=not red)
        return True

    def _claim(self, batch_id: str, tip: str | None) -> list[MergeRequest]:
        with self.ctx.store.transaction() as tx:
            row = tx.one("mt_get", target=self.target)
            window = int(row["window_size"]) if row else 1
            limit = policy.batch_limit(self.mode, window)
            rows = tx.all("mq_in_status", target=self.target, status="queued", limit=limit)
            claimed = []
            for r in rows:
                request = MergeRequest.from_row(r)
                claimed.append(
                    transition(
                        tx,
                        request,
                        RequestStatus.TESTING,
                        "merge.testing",
                        {"batch": batch_id, "window": window, "base": tip},
                        batch_id=batch_id,
                        base=tip,
                        attempts=request.attempts + 1,
                        reason=f"testing in batch {batch_id}",
                    )
                )
            return claimed

    def _build(self, base: str, requests: list[MergeRequest], batch_id: str) -> Chain:
        chain = self.scratch.build(base, requests)
        with self.ctx.store.transaction() as tx:
            for request, reason in chain.broken:
                self._settle_failed_in(tx, request, reason, {"batch": batch_id})
            for request, files in chain.conflicts:
                current = load(tx, request.id)
                if current is not None and current.status == RequestStatus.TESTING:
                    settle_conflict(self.ctx, tx, current, files)
                    self.report.conflicts.append(request.id)
        record_chain(self.ctx, self.target, chain.links, base, batch_id)
        crash_point("built")
        self._renew()
        return chain

    def _gate(self, chain: Chain, prefix: int, batch_id: str) -> GateResult:
        assert self.ctx.paths is not None
        candidate = chain.tip(prefix)
        commands = self.ctx.config.words("merge_queue.gates")
        if commands:
            self.scratch.for_gate(candidate)
        links = chain.links[:prefix]
        env = {
            "BOSUN_MERGE_TARGET": self.target,
            "BOSUN_MERGE_BASE": chain.base,
            "BOSUN_MERGE_CANDIDATE": candidate,
            "BOSUN_MERGE_REQUESTS": ",".join(lk.request.id for lk in links),
            "BOSUN_MERGE_BRANCHES": ",".join(lk.request.branch for lk in links),
        }
        self.report.gate_runs += 1
        result = run_gates(
            commands,
            self.scratch.path,
            timeout=self.ctx.config.number("merge_queue.gate_timeout"),
            log=self.ctx.paths.logs / "merge" / f"{batch_id}-{self.report.gate_runs}",
            env=env,
            flake_retries=self.ctx.config.integer("merge_queue.flake_retries"),
            tick=self.lease.renew,
            groups=GateGroups(self.ctx, self.target, self.lease.holder, self.scratch.path),
        )
        self._event(
            "merge.gate",
            {
                "batch": batch_id,
                "candidate": candidate,
                "requests": env["BOSUN_MERGE_REQUESTS"].split(","),
                **result.to_json(),
            },
        )
        crash_point("gated")
        self._renew()
        return result

    def _land(self, chain: Chain, start: int, end: int, result: GateResult, batch_id: str) -> bool:
        links = chain.links[start:end]
        untested = not has_gates(self.ctx)
        ok = land(
            self.ctx,
            self.repo,
            self.target,
            chain.tip(start),
            links,
            {
                "batch": batch_id,
                "gate_seconds": round(result.seconds, 3),
                "flaky": list(result.flaky),
                "untested": untested,
            },
        )
        if ok:
            self.report.merged += [lk.request.id for lk in links]
        if ok and untested:
            self.report.untested = True
            record_untested_landing(self.ctx, self.target, [lk.request.id for lk in links])
        return ok

    def _settle_red(self, chain: Chain, result: GateResult, batch_id: str) -> list[MergeRequest]:
        """Fail the culprit of a red chain (bisecting it when it holds several requests),
        landing every green prefix on the way. Returns the requests after the culprit,
        to be rebuilt without it and re-tested in this batch (Zuul: their own result is
        unknown)."""
        links = chain.links
        if len(links) == 1 or result.not_found:
            self._fail_links(links, result, batch_id)
            return []
        bisection = policy.Bisection.after_red_batch(len(links))
        red = {len(links): result}
        while (probe := bisection.probe()) is not None:
            outcome = self._gate(chain, probe, batch_id)
            if outcome.green:
                if not self._land(chain, bisection.good, probe, outcome, batch_id):
                    self._requeue(
                        [lk.request for lk in links[bisection.good :]],
                        "the target moved during bisection; queued again",
                    )
                    return []
            else:
                red[probe] = outcome
            bisection = bisection.record(probe, outcome.green)
        self._fail_links([links[bisection.culprit]], red[bisection.bad], batch_id, isolated=True)
        retest = [links[i].request for i in bisection.retest]
        if retest:
            self._event(
                "merge.retest",
                {
                    "batch": batch_id,
                    "without": links[bisection.culprit].request.id,
                    "requests": [r.id for r in retest],
                },
            )
        return retest

    # -- settling -------------------------------------------------------------------------

    def _fail_links(
        self, links: list[Link], result: GateResult, batch_id: str, isolated: bool = False
    ) -> None:
        detail = {
            "batch": batch_id,
            "gate": result.to_json(),
            "tail": result.tail,
            "isolated_by_bisection": isolated,
        }
        self._fail_all([lk.request for lk in links], result.reason, detail)

    def _fail_all(self, requests: list[MergeRequest], reason: str, detail: dict[str, Any]) -> None:
        with self.ctx.store.transaction() as tx:
            for request in requests:
                self._settle_failed_in(tx, request, reason, detail)

    def _settle_failed_in(
        self, tx: Any, request: MergeRequest, reason: str, detail: dict[str, Any]
    ) -> None:
        current = load(tx, request.id)
        if current is not None and current.status == RequestStatus.TESTING:
            settle_failed(self.ctx, tx, current, reason, detail)
            self.report.failed.append(request.id)

    def _requeue(self, requests: list[MergeRequest], reason: str) -> None:
        with self.ctx.store.transaction() as tx:
            for request in requests:
                current = load(tx, request.id)
                if current is not None and current.status == RequestStatus.TESTING:
                    requeue(tx, current, reason)
                    self.report.requeued.append(request.id)

    def _adapt(self, *, green: bool) -> None:
        if self.mode != policy.ADAPTIVE:
            return
        with self.ctx.store.transaction() as tx:
            row = tx.one("mt_get", target=self.target)
            current = int(row["window_size"]) if row else self.floor
            window = policy.next_window(current, green, self.floor, self.ceiling)
            if window != current:
                tx.run("mt_set_window", target=self.target, window_size=window)
                tx.emit(
                    "merge.window",
                    self.target,
                    {"old": current, "new": window, "after": "green" if green else "red"},
                )

    def _renew(self) -> None:
        if not self.lease.renew():
            raise LeaseLost(self.target)

    def _event(self, kind: str, data: dict[str, Any]) -> None:
        with self.ctx.store.transaction() as tx:
            tx.emit(kind, self.target, data)
