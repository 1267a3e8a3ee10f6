"""Pure trigger policies: functions of (state, now, config) with no I/O."""
