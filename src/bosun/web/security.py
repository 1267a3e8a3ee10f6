"""Who may read the dashboard, and the headers every response carries.

- Bound to a loopback address, it needs no token, but only answers requests whose Host
  header names a loopback address (a web page elsewhere cannot read it by DNS rebinding).
- Bound to any other address, every route requires the token from `.bosun/dashboard.token`
  (created with mode 0600 on first use): `Authorization: Bearer TOKEN`, or the cookie that
  a one-time `?token=TOKEN` link sets. A wrong or missing token gets a bare 401.
- It is read-only: any method but GET and HEAD is refused.
- Every response carries a CSP without inline scripts, nosniff and frame-deny.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bosun.base.errors import OperationFailed
from bosun.web.envelope import error_response

log = logging.getLogger("bosun.web")

COOKIE = "bosun_dashboard"
TOKEN_FILE = "dashboard.token"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
)
READ_METHODS = frozenset({"GET", "HEAD"})
LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "127.0.0.1", "::1", "[::1]"})


def is_loopback(host: str) -> bool:
    """True for `localhost` and loopback IP addresses (127.0.0.0/8, ::1)."""
    name = host.strip().lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


def needs_token(bind_host: str) -> bool:
    """The binding rule: anything but a loopback address requires the token."""
    return not is_loopback(bind_host)


def load_or_create_token(path: Path) -> tuple[str, bool]:
    """The token in `path`, or a new one written there with mode 0600; (token, created)."""
    try:
        token = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        token = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise OperationFailed(
            f"cannot read the dashboard token {path}: {exc}",
            f"fix or remove {path}; a new token is made on next start",
        ) from exc
    if len(token) >= 32:
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
        return token, False
    token = secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (token + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return token, True


def _host_name(host_header: str) -> str:
    if host_header.startswith("["):
        return host_header.split("]", 1)[0] + "]"
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


class SecurityMiddleware:
    """Read-only methods, the token (when one is set) or a loopback Host, and the headers."""

    def __init__(self, app: ASGIApp, token: str | None = None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in {h for h, _ in SECURITY_HEADERS}
                ]
                message = {**message, "headers": [*headers, *SECURITY_HEADERS]}
            await send(message)

        response = self._refusal(scope)
        if response is not None:
            await response(scope, receive, send_secured)  # type: ignore[operator]
            return
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send_secured(message)

        try:
            await self.app(scope, receive, send_tracked)
        except Exception as exc:  # noqa: BLE001 - one envelope for every failure
            log.exception("dashboard request %s failed", scope.get("path"))
            if started:
                raise
            failure = error_response("internal", f"internal error: {type(exc).__name__}")
            await failure(scope, receive, send_secured)

    def _refusal(self, scope: Scope) -> object | None:
        if scope["method"] not in READ_METHODS:
            return error_response(
                "method_not_allowed", "the dashboard is read-only", headers={"Allow": "GET, HEAD"}
            )
        headers = Headers(scope=scope)
        if self.token is None:
            if not is_loopback(_host_name(headers.get("host", ""))):
                return error_response(
                    "forbidden_host", "this dashboard only answers on a loopback address"
                )
            return None
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if "token" in query:
            if not self._valid(query["token"]):
                return _unauthorized()
            rest = urlencode({k: v for k, v in query.items() if k != "token"})
            redirect = RedirectResponse(scope["path"] + (f"?{rest}" if rest else ""), 303)
            redirect.set_cookie(
                COOKIE,
                self.token,
                httponly=True,
                samesite="strict",
                path="/",
                secure=scope.get("scheme") == "https",
            )
            return redirect
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer ") and self._valid(auth[7:].strip()):
            return None
        cookie = _cookie(headers.get("cookie", ""), COOKIE)
        if cookie is not None and self._valid(cookie):
            return None
        return _unauthorized()

    def _valid(self, candidate: str) -> bool:
        assert self.token is not None
        return hmac.compare_digest(candidate.encode("utf-8", "replace"), self.token.encode())


def _unauthorized() -> object:
    return error_response(
        "unauthorized", "unauthorized", headers={"WWW-Authenticate": 'Bearer realm="bosun"'}
    )


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None
