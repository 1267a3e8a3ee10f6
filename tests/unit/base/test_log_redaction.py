"""No password in any log line: records, their tracebacks, the last-resort handler and the
uncaught-exception hooks all go through `redact_secrets` (issue 18, item 14)."""

from __future__ import annotations

import io
import logging
import sys
import threading
from collections.abc import Iterator

import pytest

from bosun.base.dburl import redact_secrets
from bosun.base.logs import RedactSecrets, configure_logging, redact_logging

URL = "postgresql://fleet:s3cretpw@127.0.0.1:1/fleet"
CONNINFO = "host=127.0.0.1 port=1 user=fleet password='s3 cretpw' dbname=fleet"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (URL, "postgresql://fleet:***@127.0.0.1:1/fleet"),
        (CONNINFO, "host=127.0.0.1 port=1 user=fleet password=*** dbname=fleet"),
        ("postgresql://u@h/db?password=s3cretpw&sslmode=require",
         "postgresql://u@h/db?password=***&sslmode=require"),
        ("PGPASSWORD=s3cretpw psql", "PGPASSWORD=*** psql"),
        ("no secret at all", "no secret at all"),
    ],
)
def test_passwords_are_redacted_in_urls_and_conninfo_strings(text: str, shown: str) -> None:
    assert redact_secrets(text) == shown


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, sys.excepthook, threading.excepthook)
    root.handlers = []
    out = io.StringIO()
    try:
        yield out
    finally:
        root.handlers, level, sys.excepthook, threading.excepthook = saved
        root.setLevel(level)


def test_a_record_its_arguments_and_its_traceback_lose_the_password(stream: io.StringIO) -> None:
    configure_logging(logging.INFO, stream)
    log = logging.getLogger("bosun.test")
    log.warning("cannot open %s", URL)
    log.info(f"conninfo {CONNINFO}")
    try:
        raise RuntimeError(f"connection failed for {URL}")
    except RuntimeError:
        log.exception("loop crashed (%s)", CONNINFO)
    text = stream.getvalue()
    assert "s3cretpw" not in text and "cretpw" not in text
    assert text.count("***") >= 4 and "RuntimeError: connection failed" in text


def test_configuring_twice_adds_one_handler(stream: io.StringIO) -> None:
    configure_logging(logging.INFO, stream)
    configure_logging(logging.INFO, stream)
    logging.getLogger("bosun.test").warning("once")
    assert stream.getvalue().count("once") == 1


def test_the_last_resort_handler_and_other_handlers_redact(stream: io.StringIO) -> None:
    handler = logging.StreamHandler(stream)
    logging.getLogger().addHandler(handler)
    redact_logging()
    assert any(isinstance(f, RedactSecrets) for f in handler.filters)
    assert logging.lastResort is not None
    assert any(isinstance(f, RedactSecrets) for f in logging.lastResort.filters)
    logging.getLogger("bosun.test").error("url %s", URL)
    assert "s3cretpw" not in stream.getvalue()


def test_an_uncaught_exception_in_a_thread_prints_no_password(
    stream: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    redact_logging()

    def fail() -> None:
        raise ValueError(f"bad {URL}")

    thread = threading.Thread(target=fail, name="loop")
    thread.start()
    thread.join()
    err = capsys.readouterr().err
    assert "ValueError: bad postgresql://fleet:***@" in err and "s3cretpw" not in err
