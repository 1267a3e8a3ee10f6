"""Settings of threads and triggers (section [threads] and [triggers])."""

from bosun.base.config import Setting, declare

declare(
    Setting(
        "triggers.enabled",
        "bool",
        True,
        "run the trigger worker inside `bosun supervise` (wakes dormant thread participants)",
    ),
    Setting(
        "threads.project",
        "str",
        "default",
        "the project scope of threads created here; reconciliation never crosses it",
    ),
    Setting(
        "threads.include_closed",
        "bool",
        False,
        "let unread reconciliation wake participants of closed threads",
    ),
    # queue
    Setting(
        "triggers.max_attempts",
        "int",
        5,
        "failed attempts before a trigger job is dead",
        minimum=1,
        maximum=100,
    ),
    Setting(
        "triggers.max_rescues",
        "int",
        3,
        "times a job may be rescued from a lost worker before it is dead",
        minimum=0,
        maximum=100,
    ),
    Setting(
        "triggers.retry_base", "duration", 2.0, "first retry delay; doubles per failure", minimum=0
    ),
    Setting("triggers.retry_cap", "duration", 300.0, "longest retry delay", minimum=0),
    Setting(
        "triggers.retry_jitter",
        "float",
        0.1,
        "retry delay jitter as a fraction (0.1 = ±10 %)",
        minimum=0,
        maximum=1,
    ),
    Setting(
        "triggers.claim_batch",
        "int",
        4,
        "jobs a worker claims per transaction",
        minimum=1,
        maximum=100,
    ),
    Setting(
        "triggers.lease",
        "duration",
        300.0,
        "a claimed job's lease; a job past it with a silent worker is rescued",
        minimum=1,
    ),
    Setting(
        "triggers.poll_interval",
        "duration",
        0.5,
        "how often an idle worker polls when no notification arrives",
        minimum=0.01,
    ),
    Setting(
        "triggers.worker_heartbeat", "duration", 5.0, "how often a worker heartbeats", minimum=0.05
    ),
    Setting(
        "triggers.worker_stale_after",
        "duration",
        30.0,
        "a worker silent this long has its jobs rescued",
        minimum=0.1,
    ),
    Setting(
        "triggers.rescue_interval",
        "duration",
        10.0,
        "how often a worker sweeps for jobs of lost workers",
        minimum=0.05,
    ),
    Setting(
        "triggers.reconcile_interval",
        "duration",
        5.0,
        "polling fallback: how often unread threads are reconciled",
        minimum=0.05,
    ),
    Setting(
        "triggers.auto_wake", "bool", True, "enqueue triggers for participants with unread messages"
    ),
    # delivery
    Setting(
        "triggers.max_payload",
        "int",
        2000,
        "bytes of trigger text typed into a session",
        minimum=64,
        maximum=65536,
    ),
    # collision
    Setting(
        "triggers.quiet_window",
        "duration",
        20.0,
        "deliver only after this long without screen change or input",
        minimum=0,
    ),
    Setting(
        "triggers.recheck",
        "duration",
        5.0,
        "how soon a deferred delivery checks again",
        minimum=0.01,
    ),
    Setting(
        "triggers.max_defer", "duration", 60.0, "longest a delivery waits for quiet", minimum=0
    ),
    Setting(
        "triggers.collision_timeout",
        "choice",
        "deliver",
        "after max_defer: deliver anyway or fail with collision_timeout",
        choices=("deliver", "fail"),
    ),
    Setting(
        "triggers.busy_backoff_cap",
        "duration",
        60.0,
        "longest pause between two looks at a target whose screen is busy (the pause "
        "doubles from `recheck`); the worker never waits on a busy screen",
        minimum=0.1,
    ),
    Setting(
        "triggers.job_ttl",
        "duration",
        6 * 3600.0,
        "a job whose target is still busy this long after the job was created is dead "
        "(and escalated)",
        minimum=1,
    ),
    # rate limits (token buckets)
    Setting(
        "triggers.target_rate",
        "float",
        6.0,
        "triggers per minute a target agent may receive (bucket refill)",
        minimum=0.001,
    ),
    Setting(
        "triggers.target_burst",
        "int",
        3,
        "triggers a target may receive at once (bucket size)",
        minimum=1,
    ),
    Setting(
        "triggers.thread_rate",
        "float",
        12.0,
        "triggers per minute one thread may cause (bucket refill)",
        minimum=0.001,
    ),
    Setting(
        "triggers.thread_burst",
        "int",
        6,
        "triggers one thread may cause at once (bucket size)",
        minimum=1,
    ),
    # loop safeguards
    Setting(
        "triggers.max_idle_turns",
        "int",
        20,
        "triggered turns without progress before the pair is blocked",
        minimum=1,
    ),
    Setting(
        "triggers.max_same_findings",
        "int",
        3,
        "cycles with the same normalised finding before the pair is blocked",
        minimum=2,
    ),
    # fallback chain
    Setting(
        "triggers.max_resumes",
        "int",
        2,
        "resume attempts before spawning a fresh session",
        minimum=0,
        maximum=10,
    ),
    Setting(
        "triggers.resume_stale_after",
        "duration",
        43200.0,
        "a session older than this skips resume and is spawned fresh",
        minimum=0,
    ),
    Setting(
        "triggers.summary_messages",
        "int",
        10,
        "recent messages in the thread summary given to a spawned session",
        minimum=1,
        maximum=200,
    ),
)
