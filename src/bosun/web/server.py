"""Serving the dashboard under uvicorn: bind (refusing a non-loopback address without the
token), announce the URL once listening, serve until interrupted."""

from __future__ import annotations

import errno
import socket
import webbrowser
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import uvicorn

from bosun.base.errors import InvalidInput, OperationFailed
from bosun.base.logs import redact_logging
from bosun.web.app import create_app
from bosun.web.security import TOKEN_FILE, load_or_create_token, needs_token

if TYPE_CHECKING:
    from bosun.core.context import Context


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0 picks a free one)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise InvalidInput(
            f"cannot bind to {host!r}: {exc.strerror}",
            "give an IP address or host name of this machine with --host",
        ) from exc
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(512)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise OperationFailed(
                f"port {port} on {host} is in use", "pick another with --port (0 picks a free one)"
            ) from exc
        raise OperationFailed(
            f"cannot listen on {host}:{port}: {exc.strerror}", "check --host and --port"
        ) from exc
    sock.set_inheritable(True)
    return sock


def url_for(host: str, port: int) -> str:
    shown = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def serve(
    ctx: Context,
    host: str,
    port: int,
    *,
    announce: Callable[[dict[str, Any]], None],
    open_browser: bool = False,
) -> None:
    """Serve until interrupted; `announce(info)` runs once the socket listens."""
    if ctx.paths is None:
        raise InvalidInput("the dashboard needs a project", "run it inside a bosun project")
    sock = bind(host, port)  # first: a refused address leaves no token behind
    token = None
    info: dict[str, Any] = {}
    if needs_token(host):
        path = ctx.paths.home / TOKEN_FILE
        try:
            token, created = load_or_create_token(path)
        except BaseException:
            sock.close()
            raise
        info["token_required"] = True
        info["token_file"] = str(path)
        if created:
            info["token"] = token  # printed once: the file keeps it
    actual = int(sock.getsockname()[1])
    info = {
        "url": url_for(host, actual),
        "host": host,
        "port": actual,
        "token_required": False,
        **info,
    }
    if "token" in info:
        info["login_url"] = info["url"] + "?token=" + info["token"]

    def ready() -> None:
        announce(info)
        if open_browser:
            webbrowser.open(info.get("login_url") or info["url"])

    app = create_app(ctx, token=token, on_ready=ready)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=2,
        ws="none",
    )
    redact_logging("uvicorn", "uvicorn.error", "uvicorn.access")  # Config set them up
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
