"""Node handlers and the registry that maps a node's type to its handler."""

from bosun.pipeline.handlers.base import (
    BranchResult,
    CancelToken,
    Handler,
    HandlerContext,
    HandlerRegistry,
    RunContext,
    default_registry,
)

__all__ = [
    "BranchResult",
    "CancelToken",
    "Handler",
    "HandlerContext",
    "HandlerRegistry",
    "RunContext",
    "default_registry",
]
