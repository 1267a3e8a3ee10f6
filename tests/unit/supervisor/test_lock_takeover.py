"""The host-lock takeover decision: `df -P` samples and the full truth table."""

from __future__ import annotations

import itertools

import pytest

from bosun.supervisor.policies.lock_takeover import (
    Locality,
    LockRecord,
    TakeoverConfig,
    Verdict,
    classify_df_source,
    decide_takeover,
    df_source,
)

HEADER = "Filesystem     1024-blocks      Used Available Capacity Mounted on\n"
DF = {
    "ext4": HEADER + "/dev/sda1        479596204 123456789 331723220      28% /\n",
    "nvme": HEADER + "/dev/nvme0n1p2   959786032 1234567 909686789       1% /home\n",
    "lvm": HEADER + "/dev/mapper/vg0-root 102626232 5120000 92247784       6% /srv\n",
    "overlay": HEADER + "overlay          264212084  24039528  82351384      23% /\n",
    "tmpfs": HEADER + "tmpfs             24684084      1052  24683032       1% /dev/shm\n",
    "nfs": HEADER + "fileserver:/export/home 1073741824 536870912 536870912 50% /home\n",
    "sshfs": HEADER + "me@build.lan:/srv/repo 1048576 10 1048566 1% /mnt/repo\n",
    "fuse.sshfs": HEADER + "fuse.sshfs 1048576 10 1048566 1% /mnt/repo\n",
    "cifs": HEADER + "//server/share     975058940 410337464 564721476      43% /mnt/share\n",
    "spaces": HEADER + "/dev/sdb1 1000 10 990 1% /media/my disk\n",
    "garbage": "this is not df output at all\n",
    "header_only": HEADER,
    "empty": "",
}
EXPECTED = {
    "ext4": Locality.LOCAL,
    "nvme": Locality.LOCAL,
    "lvm": Locality.LOCAL,
    "overlay": Locality.UNKNOWN,
    "tmpfs": Locality.UNKNOWN,
    "nfs": Locality.NETWORK,
    "sshfs": Locality.NETWORK,
    "fuse.sshfs": Locality.NETWORK,
    "cifs": Locality.NETWORK,
    "spaces": Locality.LOCAL,
    "garbage": Locality.UNKNOWN,
    "header_only": Locality.UNKNOWN,
    "empty": Locality.UNKNOWN,
}


@pytest.mark.parametrize("sample", sorted(DF))
def test_df_samples_are_classified(sample: str) -> None:
    assert classify_df_source(DF[sample]) == EXPECTED[sample]


def test_a_failing_df_is_not_local() -> None:
    assert classify_df_source(None) == Locality.UNKNOWN


def test_the_source_column_is_read_from_real_rows() -> None:
    assert df_source(DF["ext4"]) == "/dev/sda1"
    assert df_source(DF["nfs"]) == "fileserver:/export/home"
    assert df_source(DF["spaces"]) == "/dev/sdb1"


NOW = 1_800_000_000.0
ME = "newname"


def record(
    host: str = "oldname", heartbeat_age: float = 600.0, pid: int = 4242, released: bool = False
) -> LockRecord:
    return LockRecord(
        pid,
        host,
        "boot-1",
        NOW - 3600,
        NOW - heartbeat_age,
        NOW - heartbeat_age if released else None,
    )


class Probe:
    def __init__(self, alive: bool) -> None:
        self.alive = alive
        self.calls: list[int] = []

    def __call__(self, pid: int) -> bool:
        self.calls.append(pid)
        return self.alive


@pytest.mark.parametrize(
    ("df", "alive", "stale"),
    list(
        itertools.product(
            ["ext4", "overlay", "tmpfs", "nfs", "sshfs", "cifs", "garbage", None],
            [True, False],
            [True, False],
        )
    ),
)
def test_truth_table_takes_over_only_when_local_dead_and_stale(
    df: str | None, alive: bool, stale: bool
) -> None:
    probe = Probe(alive)
    output = None if df is None else DF[df]
    rec = record(heartbeat_age=301 if stale else 299)
    decision = decide_takeover(
        rec, ME, NOW, TakeoverConfig(), df_output=lambda: output, pid_alive=probe
    )
    local = df == "ext4"
    expected = Verdict.TAKE_OVER if (local and not alive and stale) else Verdict.REFUSE
    assert decision.verdict == expected, decision.reason
    # never pid-probed blindly: the pid is probed only once the disk is provably local
    assert probe.calls == ([4242] if local else [])
    assert decision.pid_probed == local


def test_with_auto_heal_off_a_foreign_lock_is_refused_without_df_or_probe() -> None:
    probe = Probe(False)

    def df() -> str:
        raise AssertionError("df must not run")

    decision = decide_takeover(
        record(),
        ME,
        NOW,
        TakeoverConfig(auto_heal_renamed_host=False),
        df_output=df,
        pid_alive=probe,
    )
    assert decision.verdict == Verdict.REFUSE and "auto_heal_renamed_host is off" in decision.reason
    assert probe.calls == []


def test_dry_run_says_it_would_take_over_and_stays_closed() -> None:
    decision = decide_takeover(
        record(),
        ME,
        NOW,
        TakeoverConfig(dry_run=True),
        df_output=lambda: DF["ext4"],
        pid_alive=Probe(False),
    )
    assert decision.verdict == Verdict.WOULD_TAKE_OVER and not decision.takes


def test_own_host_free_or_released_locks_are_taken_without_df_or_probe() -> None:
    probe = Probe(True)

    def df() -> str:
        raise AssertionError("df must not run")

    for rec in (None, record(host=ME, heartbeat_age=1), record(released=True, heartbeat_age=1)):
        decision = decide_takeover(rec, ME, NOW, TakeoverConfig(), df_output=df, pid_alive=probe)
        assert decision.verdict == Verdict.TAKE and decision.takes
    assert probe.calls == []


def test_refusals_say_which_condition_failed() -> None:
    net = decide_takeover(
        record(), ME, NOW, TakeoverConfig(), df_output=lambda: DF["nfs"], pid_alive=Probe(False)
    )
    assert "not on a provably local disk (network)" in net.reason
    live = decide_takeover(
        record(), ME, NOW, TakeoverConfig(), df_output=lambda: DF["ext4"], pid_alive=Probe(True)
    )
    assert "pid 4242 is alive" in live.reason
    fresh = decide_takeover(
        record(heartbeat_age=10),
        ME,
        NOW,
        TakeoverConfig(),
        df_output=lambda: DF["ext4"],
        pid_alive=Probe(False),
    )
    assert "heartbeat is only 10s old" in fresh.reason


def test_the_same_boot_id_under_a_new_name_is_this_host_and_takes_at_once() -> None:
    record = LockRecord(4242, "old-name", "boot-1", 0.0, 990.0)
    probed: list[int] = []

    def alive(pid: int) -> bool:
        probed.append(pid)
        return False

    decision = decide_takeover(
        record,
        "new-name",
        1000.0,
        TakeoverConfig(),
        df_output=lambda: None,  # not even a local disk is needed: the kernel says so
        pid_alive=alive,
        boot_id="boot-1",
    )
    assert decision.verdict == Verdict.TAKE and "same boot id" in decision.reason
    other = decide_takeover(
        record,
        "new-name",
        1000.0,
        TakeoverConfig(),
        df_output=lambda: None,
        pid_alive=alive,
        boot_id="boot-2",
    )
    assert other.verdict == Verdict.REFUSE
