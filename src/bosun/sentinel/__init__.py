"""The action-claim sentinel: claims become commitments, and commitments are followed through.

`SENTINEL_GUARD` and `sentinel_enabled` let `bosun guards` list the sentinel (so "off" is
visible) without importing the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bosun.base.config import Config

SENTINEL_GUARD = "sentinel"


def sentinel_enabled(config: Config) -> bool:
    """Whether `[sentinel] enabled` is on (it is off by default)."""
    return config.flag("sentinel.enabled")
