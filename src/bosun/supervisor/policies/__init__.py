"""Pure supervisor policies: functions of (state, now, config) → decision. No I/O here.

detect         observations → conditions (crashed, stale, stalled, waiting, context…)
ladder         condition + attempt history → next recovery strategy; verification
restart        restart intensity (OTP) + geometric backoff (systemd RestartSteps)
patrol         patrol cadence per role, the nudge text, compliance of a nudge
resume         the resume queue: enqueue, drain, breaker, drain-time validation
lock_takeover  `df -P` locality and the rename-aware host-lock takeover decision
posture        guard posture (on-confirmed, on-stale, on-dry-run, off, …)
"""
