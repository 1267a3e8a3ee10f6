"""The host lock's takeover decision: rename-aware, fail-closed.

The supervisor holds `.bosun/supervisor.lock` with `flock`. When it gets the flock but the
record inside names a *different* host, that host may still be running on a shared volume
(where flock is not shared), so its pid is never probed blindly. The lock is taken over only
when all three hold, checked in this order:

1. `df -P` puts the state directory on a local `/dev/…` device (network, overlay, tmpfs,
   anything unknown and a failing `df` all count as not local);
2. the recorded pid is dead — probed only after (1), since on a local disk a differing
   hostname can only be this machine under an old name;
3. the recorded heartbeat is older than `stale_after` (5 minutes).

Otherwise bosun stays closed and says what to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Locality(StrEnum):
    LOCAL = "local"
    NETWORK = "network"
    UNKNOWN = "unknown"


_NETWORK_TYPES = (
    "nfs",
    "cifs",
    "smb",
    "sshfs",
    "fuse.",
    "9p",
    "ceph",
    "glusterfs",
    "lustre",
    "afs",
)


def df_source(df_output: str | None) -> str | None:
    """The `Filesystem` column of `df -P PATH` output, or None when it cannot be read."""
    if not df_output:
        return None
    lines = [line for line in df_output.splitlines() if line.strip()]
    if len(lines) < 2 or not lines[0].split()[0].lower().startswith("filesystem"):
        return None
    fields = lines[-1].split()
    # Filesystem, blocks, used, available, capacity ("42%"), mount point: find the capacity
    # column, so a source or mount point with spaces still splits right.
    for index in range(4, len(fields)):
        capacity = fields[index].endswith("%") or fields[index] == "-"
        if capacity and index - 3 >= 1 and all(_number(f) for f in fields[index - 3 : index]):
            return " ".join(fields[: index - 3])
    return None


def _number(field: str) -> bool:
    return field.isdigit() or field == "-"


def classify_df_source(df_output: str | None) -> Locality:
    """Is the filesystem in this `df -P` output a local disk?"""
    source = df_source(df_output)
    if source is None:
        return Locality.UNKNOWN
    if source.startswith("//") or ":" in source or "@" in source:
        return Locality.NETWORK  # //server/share (cifs), host:/export (nfs), user@host: (sshfs)
    if any(source.lower().startswith(kind) for kind in _NETWORK_TYPES):
        return Locality.NETWORK
    if source.startswith("/dev/") and len(source) > len("/dev/"):
        return Locality.LOCAL
    return Locality.UNKNOWN  # overlay, tmpfs, none, garbage: not provably local


@dataclass(frozen=True)
class LockRecord:
    pid: int
    hostname: str
    boot_id: str | None
    started_at: float
    heartbeat_at: float
    released_at: float | None = None  # the holder let go cleanly


class Verdict(StrEnum):
    TAKE = "take"  # fresh file, or our own host's dead holder: take it
    TAKE_OVER = "take_over"  # a renamed host's dead lock: take it over, audited
    WOULD_TAKE_OVER = "would_take_over"  # dry run: would take over, stays closed
    REFUSE = "refuse"  # fail closed


@dataclass(frozen=True)
class TakeoverConfig:
    auto_heal_renamed_host: bool = True
    dry_run: bool = False
    stale_after: float = 300.0


@dataclass(frozen=True)
class TakeoverDecision:
    verdict: Verdict
    reason: str
    locality: Locality | None = None
    pid_probed: bool = False

    @property
    def takes(self) -> bool:
        return self.verdict in (Verdict.TAKE, Verdict.TAKE_OVER)


def decide_takeover(
    record: LockRecord | None,
    hostname: str,
    now: float,
    config: TakeoverConfig,
    *,
    df_output: Callable[[], str | None],
    pid_alive: Callable[[int], bool],
    boot_id: str | None = None,
) -> TakeoverDecision:
    """Decide about a lock file whose flock we just obtained.

    `df_output` and `pid_alive` are only called when the decision needs them, in the order
    the module docstring gives, so a foreign pid is never probed on a non-local disk.
    """
    if record is None:
        return TakeoverDecision(Verdict.TAKE, "no previous holder recorded")
    if record.released_at is not None:
        return TakeoverDecision(
            Verdict.TAKE, f"released by pid {record.pid} on host {record.hostname!r}"
        )
    if record.hostname == hostname:
        # The kernel released the flock, so the holder on this host is gone.
        return TakeoverDecision(
            Verdict.TAKE, f"previous holder pid {record.pid} on this host has exited"
        )
    if record.boot_id and record.boot_id == boot_id:
        # The same boot id is the same host under a new name; the flock is free, so the
        # holder has exited, as on this host.
        return TakeoverDecision(
            Verdict.TAKE,
            f"previous holder pid {record.pid} on this host (renamed from "
            f"{record.hostname!r}, same boot id) has exited",
        )
    foreign = f"the lock names host {record.hostname!r} (pid {record.pid}), not {hostname!r}"
    if not config.auto_heal_renamed_host:
        return TakeoverDecision(Verdict.REFUSE, f"{foreign}; auto_heal_renamed_host is off")
    locality = classify_df_source(df_output())
    if locality != Locality.LOCAL:
        return TakeoverDecision(
            Verdict.REFUSE,
            f"{foreign}; the state directory is not on a provably local disk ({locality})",
            locality,
        )
    if pid_alive(record.pid):
        return TakeoverDecision(
            Verdict.REFUSE, f"{foreign}; pid {record.pid} is alive", locality, True
        )
    age = now - record.heartbeat_at
    if age < config.stale_after:
        return TakeoverDecision(
            Verdict.REFUSE,
            f"{foreign}; its heartbeat is only {age:.0f}s old "
            f"(stale after {config.stale_after:g}s)",
            locality,
            True,
        )
    reason = (
        f"{foreign}; local disk, pid {record.pid} dead, heartbeat {age:.0f}s old: a renamed host"
    )
    if config.dry_run:
        return TakeoverDecision(Verdict.WOULD_TAKE_OVER, reason, locality, True)
    return TakeoverDecision(Verdict.TAKE_OVER, reason, locality, True)
