"""Logging for bosun's long-running processes, with every password taken out.

A database URL or a libpq conninfo can reach a log line through an exception's text, a
setting echoed in a warning or a traceback; `RedactSecrets` rewrites each record before any
handler writes it (`bosun.base.dburl.redact_secrets`: `scheme://user:***@`, `password=***`).
`configure_logging` is the one place a process sets its handlers up; `redact_logging` puts
the filter on whatever handlers exist (Python's last-resort handler included) and on the
hooks that print uncaught exceptions, for processes whose handlers someone else made.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from typing import IO, Any

from bosun.base.dburl import redact_secrets

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactSecrets(logging.Filter):
    """Replace passwords in a record's message, exception and stack text (never drops it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact_secrets(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = redact_secrets(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_secrets(record.stack_info)
        return True


_FILTER = RedactSecrets()


def redact_handler(handler: logging.Handler) -> logging.Handler:
    if _FILTER not in handler.filters:
        handler.addFilter(_FILTER)
    return handler


def configure_logging(level: int = logging.INFO, stream: IO[str] | None = None) -> None:
    """The process's log handler (to `stream`, stderr by default), redacting passwords."""
    root = logging.getLogger()
    if not any(getattr(h, "bosun", False) for h in root.handlers):  # once per process
        handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.bosun = True  # type: ignore[attr-defined]
        root.addHandler(redact_handler(handler))
    root.setLevel(level)
    redact_logging()


def redact_logging(*loggers: str) -> None:
    """Put the filter on the handlers of the root logger, of `loggers` (a library's own,
    e.g. uvicorn's), on the last-resort handler, and on the uncaught-exception hooks."""
    for name in ("", *loggers):
        for handler in logging.getLogger(name).handlers:
            redact_handler(handler)
    if logging.lastResort is not None:
        redact_handler(logging.lastResort)
    if not getattr(sys.excepthook, "redacts", False):
        sys.excepthook = _redacting_excepthook
    if not getattr(threading.excepthook, "redacts", False):
        threading.excepthook = _redacting_thread_excepthook


def format_exception(exc: BaseException) -> str:
    """A traceback as text, passwords redacted."""
    return redact_secrets("".join(traceback.format_exception(exc)))


def _redacting_excepthook(kind: Any, value: BaseException, tb: Any) -> None:
    sys.stderr.write(redact_secrets("".join(traceback.format_exception(kind, value, tb))))


def _redacting_thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit or args.exc_value is None:
        return
    name = args.thread.name if args.thread is not None else "?"
    text = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
    sys.stderr.write(redact_secrets(f"Exception in thread {name}:\n{text}"))


_redacting_excepthook.redacts = True  # type: ignore[attr-defined]
_redacting_thread_excepthook.redacts = True  # type: ignore[attr-defined]
