"""Triggers: waking thread participants safely, as jobs with attempts, safeguards and a
fallback chain."""
