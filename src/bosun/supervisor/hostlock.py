"""The supervisor's host lock: `.bosun/supervisor.lock`, held with `flock` for the process
lifetime (the kernel lets go when the process dies, however it dies).

The file records pid, hostname, boot id, start time and a heartbeat refreshed every tick —
for people, and for the rename-aware takeover of `policies/lock_takeover.py`. The record is
rewritten *in place* through the locked descriptor: the file is never renamed or unlinked,
because a second process opening a new inode at the same path would get a second "lock".
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import socket
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bosun.base.clock import Clock, SystemClock, iso
from bosun.base.errors import LockHeld, OperationFailed
from bosun.base.paths import atomic_write_bytes
from bosun.supervisor.guards import report_guard
from bosun.supervisor.policies.lock_takeover import (
    Locality,
    LockRecord,
    TakeoverConfig,
    TakeoverDecision,
    Verdict,
    classify_df_source,
    decide_takeover,
)

if TYPE_CHECKING:
    from bosun.store.protocol import Tx

log = logging.getLogger("bosun.supervisor.hostlock")
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
DF_TIMEOUT_S = 10.0


def read_boot_id(path: Path = BOOT_ID) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip() or None
    except OSError:
        return None


def run_df(path: Path) -> str | None:
    """`df -P PATH` output, or None when df fails (which counts as not local)."""
    try:
        out = subprocess.run(
            ["df", "-P", str(path)],
            capture_output=True,
            text=True,
            timeout=DF_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout if out.returncode == 0 else None


def pid_alive(pid: int) -> bool:
    """Signal 0: dead only when the kernel says there is no such process."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class HostLockRefused(LockHeld):
    """The lock is held (or may be held) by someone else; bosun stays closed."""

    def __init__(
        self,
        message: str,
        hint: str,
        *,
        holder: LockRecord | None,
        decision: TakeoverDecision | None,
        path: Path,
    ) -> None:
        super().__init__(message, hint)
        self.holder = holder
        self.decision = decision
        self.path = path


@dataclass(frozen=True)
class LockAcquired:
    record: LockRecord
    previous: LockRecord | None
    decision: TakeoverDecision


class HostLock:
    def __init__(
        self,
        path: Path,
        config: TakeoverConfig | None = None,
        clock: Clock | None = None,
        *,
        hostname: str | None = None,
        boot_id: str | None = None,
        pid: int | None = None,
        df: Callable[[Path], str | None] = run_df,
        probe: Callable[[int], bool] = pid_alive,
    ) -> None:
        self.path = path
        self.config = config or TakeoverConfig()
        self.clock = clock or SystemClock()
        self.hostname = hostname or socket.gethostname()
        self.boot_id = boot_id if boot_id is not None else read_boot_id()
        self.pid = pid if pid is not None else os.getpid()
        self._df = df
        self._probe = probe
        self._fd: int | None = None
        self.record: LockRecord | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def acquire(self) -> LockAcquired:
        """Take the lock or raise HostLockRefused naming the holder and what to do."""
        if self._fd is not None:
            raise OperationFailed(
                f"{self.path} is already held by this process",
                "acquire the host lock once per supervisor",
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise OperationFailed(
                f"cannot open {self.path}: {exc.strerror}", "check the permissions of .bosun/"
            ) from exc
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise OperationFailed(
                        f"cannot lock {self.path}: {exc.strerror}",
                        "check the permissions of .bosun/",
                    ) from exc
                holder = self._read(fd)
                raise self._held_by_live(holder) from None
            raw = _read_raw(fd)
            previous = _parse(raw)
            now = self.clock.now()
            if raw.strip() and previous is None:
                decision = self._unreadable(raw)
            else:
                decision = decide_takeover(
                    previous,
                    self.hostname,
                    now,
                    self.config,
                    df_output=lambda: self._df(self.path.parent),
                    pid_alive=self._probe,
                    boot_id=self.boot_id,
                )
            if not decision.takes:
                raise self._refuse(previous, decision)
            if _read_raw(fd) != raw:  # compare-and-swap under the flock: first writer wins
                raise HostLockRefused(
                    f"{self.path} changed while it was being taken over",
                    "start the supervisor again",
                    holder=previous,
                    decision=decision,
                    path=self.path,
                )
            record = LockRecord(self.pid, self.hostname, self.boot_id, now, now)
            _write(fd, record)
        except BaseException:
            os.close(fd)  # closing the descriptor releases the flock
            raise
        self._fd, self.record = fd, record
        if decision.verdict == Verdict.TAKE_OVER:
            log.warning("took over %s: %s", self.path, decision.reason)
        return LockAcquired(record, previous, decision)

    def refresh(self) -> LockRecord:
        """Refresh the heartbeat (every tick)."""
        fd, record = self._held()
        record = LockRecord(
            record.pid, record.hostname, record.boot_id, record.started_at, self.clock.now()
        )
        _write(fd, record)
        self.record = record
        return record

    def release(self) -> None:
        """Mark the record released and let go of the flock (the file stays)."""
        if self._fd is None or self.record is None:
            return
        fd, record = self._fd, self.record
        try:
            now = self.clock.now()
            _write(
                fd,
                LockRecord(
                    record.pid,
                    record.hostname,
                    record.boot_id,
                    record.started_at,
                    now,
                    released_at=now,
                ),
            )
        finally:
            self._fd, self.record = None, None
            os.close(fd)

    def __enter__(self) -> HostLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    # -- messages -------------------------------------------------------------------------

    def recovery_command(self) -> str:
        return f"rm '{self.path}'"

    def _held_by_live(self, holder: LockRecord | None) -> HostLockRefused:
        who = (
            f"pid {holder.pid} on host {holder.hostname} since {iso(holder.started_at)}"
            if holder
            else "a process that has not written its record yet"
        )
        return HostLockRefused(
            f"another supervisor holds {self.path}: {who}",
            "stop it with `bosun stop` (or wait for it to exit) before starting another",
            holder=holder,
            decision=None,
            path=self.path,
        )

    def _refuse(self, holder: LockRecord | None, decision: TakeoverDecision) -> HostLockRefused:
        if decision.verdict == Verdict.WOULD_TAKE_OVER:
            log.warning("dry run: would take over %s: %s", self.path, decision.reason)
            message = f"dry run: would take over {self.path} ({decision.reason})"
            hint = (
                "set supervisor.lock.dry_run = false to let bosun take it over, "
                f"or remove it yourself: {self.recovery_command()}"
            )
        else:
            message = f"not taking over {self.path}: {decision.reason}"
            hint = (
                f"if host {holder.hostname if holder else '?'!r} no longer runs a bosun "
                f"supervisor for this project, remove the lock: {self.recovery_command()}"
            )
        return HostLockRefused(message, hint, holder=holder, decision=decision, path=self.path)

    # -- file helpers ---------------------------------------------------------------------

    def _held(self) -> tuple[int, LockRecord]:
        if self._fd is None or self.record is None:
            raise OperationFailed(f"{self.path} is not held", "acquire the host lock first")
        return self._fd, self.record

    def _read(self, fd: int) -> LockRecord | None:
        for _ in range(3):  # the holder may be rewriting it this instant
            record = _parse(_read_raw(fd))
            if record is not None:
                return record
        return None

    def _unreadable(self, raw: bytes) -> TakeoverDecision:
        """A record nobody can read may be a foreign host's: taken (and kept aside) only on
        a provably local disk, where the free flock proves no one holds it."""
        locality = classify_df_source(self._df(self.path.parent))
        if locality != Locality.LOCAL:
            return TakeoverDecision(
                Verdict.REFUSE,
                "its record is unreadable and the state "
                f"directory is not on a provably local disk ({locality})",
                locality,
            )
        self._keep_corrupt(raw)
        return TakeoverDecision(
            Verdict.TAKE, "unreadable record on a local disk, not locked", locality
        )

    def _keep_corrupt(self, raw: bytes) -> None:
        stamp = int(self.clock.now())
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        atomic_write_bytes(aside, raw)
        log.warning("%s held an unreadable record; copied it to %s", self.path, aside.name)


def _read_raw(fd: int) -> bytes:
    size = os.fstat(fd).st_size
    return os.pread(fd, size, 0) if size else b""


def _parse(raw: bytes) -> LockRecord | None:
    try:
        data: Any = json.loads(raw.decode("utf-8"))
        return LockRecord(
            pid=int(data["pid"]),
            hostname=str(data["hostname"]),
            boot_id=data.get("boot_id"),
            started_at=float(data["started_at"]),
            heartbeat_at=float(data["heartbeat_at"]),
            released_at=(None if data.get("released_at") is None else float(data["released_at"])),
        )
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, AttributeError):
        return None


def _write(fd: int, record: LockRecord) -> None:
    """Rewrite the record in place through the locked descriptor, then fsync."""
    data = asdict(record)
    data["started"] = iso(record.started_at)
    data["heartbeat"] = iso(record.heartbeat_at)
    payload = (json.dumps(data, sort_keys=True) + "\n").encode("utf-8")
    try:
        os.pwrite(fd, payload, 0)
        os.ftruncate(fd, len(payload))
        os.fsync(fd)
    except OSError as exc:
        raise OperationFailed(
            f"cannot write the host lock record: {exc.strerror}", "check the disk holding .bosun/"
        ) from exc


def read_lock_record(path: Path) -> LockRecord | None:
    """The record in a lock file, for `bosun status` (no locking)."""
    try:
        return _parse(path.read_bytes())
    except OSError:
        return None


def audit_acquisition(tx: Tx, acquired: LockAcquired, path: Path, cadence: float = 1.0) -> None:
    """Record taking the lock as an event (a renamed host's takeover is its own, loud kind)
    and report the host_lock guard healthy (clearing an earlier refusal)."""
    data = {
        "path": str(path),
        "reason": acquired.decision.reason,
        "verdict": str(acquired.decision.verdict),
        "record": asdict(acquired.record),
        "previous": asdict(acquired.previous) if acquired.previous else None,
        "locality": acquired.decision.locality and str(acquired.decision.locality),
    }
    kind = (
        "supervisor.lock_taken_over"
        if acquired.decision.verdict == Verdict.TAKE_OVER
        else "supervisor.lock_acquired"
    )
    tx.emit(kind, acquired.record.hostname, data)
    adopt_renamed_host(tx, acquired)
    report_guard(tx, "host_lock", acquired.record.hostname, enabled=True, cadence=cadence)


def same_host_renamed(previous: LockRecord | None, current: LockRecord) -> bool:
    """The same boot id under another name is the same host, renamed (positive evidence:
    the kernel's boot id, not a name)."""
    return (
        previous is not None
        and previous.hostname != current.hostname
        and bool(previous.boot_id)
        and previous.boot_id == current.boot_id
    )


def adopt_renamed_host(tx: Tx, acquired: LockAcquired) -> int:
    """After a host rename, the live sessions recorded under the old name are this host's:
    record them under the new name, so the supervisor (which watches its own host's
    sessions) supervises and recovers them. Returns how many were adopted."""
    previous, current = acquired.previous, acquired.record
    if previous is None or not same_host_renamed(previous, current):
        return 0
    adopted = tx.run(
        "agent_session_adopt_host", old_host=previous.hostname, new_host=current.hostname
    )
    tx.emit(
        "supervisor.host_renamed",
        current.hostname,
        {"old_host": previous.hostname, "boot_id": current.boot_id, "sessions": adopted},
    )
    if adopted:
        log.warning(
            "host renamed %s -> %s (same boot id): adopted %d session(s)",
            previous.hostname,
            current.hostname,
            adopted,
        )
    return adopted


def audit_refusal(tx: Tx, refused: HostLockRefused, hostname: str, cadence: float = 1.0) -> None:
    """Record a refusal (or a dry-run would-take-over) as an event, and report the host_lock
    guard errored with the message and the recovery command, so `bosun guards` and `bosun
    status` say it loudly after this process has gone."""
    dry = refused.decision is not None and refused.decision.verdict == Verdict.WOULD_TAKE_OVER
    tx.emit(
        "supervisor.lock_takeover_dry_run" if dry else "supervisor.lock_refused",
        hostname,
        {
            "path": str(refused.path),
            "message": refused.message,
            "hint": refused.hint,
            "holder": asdict(refused.holder) if refused.holder else None,
            "verdict": refused.decision and str(refused.decision.verdict),
        },
    )
    if refused.decision is not None:  # a live holder on this host is not an error
        report_guard(
            tx,
            "host_lock",
            hostname,
            enabled=False,
            dry_run=dry,
            cadence=cadence,
            error=f"{refused.message}; {refused.hint}",
        )
