"""Database URLs: checked before any connection, and never shown with their password."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from bosun.base.errors import ConfigError

_HINT = "write it as postgresql://user@host:port/database (percent-encode % as %25)"
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
# scheme://user:password@ — the password is everything up to the last @ before the host
_USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/?#@\s]*:)[^\s]*@")
# password=… in a libpq conninfo string (quoted or not), a URL's query or an environment dump
_PASSWORD_PARAM = re.compile(
    r"(?P<head>\b(?:pg)?password\s*=\s*)(?:'(?:[^'\\]|\\.)*'?|[^\s&'\"]+)", re.IGNORECASE
)


def check_database_url(url: str) -> None:
    """ConfigError (never echoing the password) unless `url` names a host's database."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, hostpart = rest.rpartition("@")
    user, _, password = userinfo.partition(":")
    for part, text in (("user name", user), ("password", password), ("host or path", hostpart)):
        if _BAD_ESCAPE.search(text):
            raise ConfigError(f"database_url has a malformed %-escape in its {part}", _HINT)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ConfigError(f"database_url is not a valid URL ({exc})", _HINT) from None
    named = parts.path.lstrip("/") or parse_qs(parts.query).get("dbname", [""])[0]
    if not named:
        raise ConfigError(
            "database_url has no database name; bosun will not pick libpq's default database",
            "add the database: postgresql://user@host:port/DATABASE",
        )


def redact_url(url: str) -> str:
    """`url` with its password (if any) replaced by ***."""
    return redact_secrets(url)


def redact_secrets(text: str) -> str:
    """`text` with the password of every `scheme://user:password@` and every `password=…`
    (conninfo, URL query) replaced by ***."""
    text = _USERINFO.sub(lambda m: f"{m['head']}***@", text)
    return _PASSWORD_PARAM.sub(lambda m: f"{m['head']}***", text)
