"""The supervisor: detection, the recovery ladder, patrol, restart limits, the resume queue,
the host lock and guard posture. Decisions live in `policies/` (pure functions); the
engine loop executes them through the runtime drivers and records outcomes as events."""
