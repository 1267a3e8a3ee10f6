"""The dashboard app: `create_app(ctx)` returns a Starlette app serving the page, each panel's
fragment, the SSE feed, the JSON API and its own static files (no CDN).

    GET /                 the page, every panel rendered (query parameters go to the panels)
    GET /panels/NAME      one panel's <section>, for the page to patch
    GET /events           Server-Sent Events (resumable with Last-Event-ID or ?since=ID)
    GET /api/…            JSON (see api.py)
    GET /static/…         CSS and JS
"""

from __future__ import annotations

import asyncio
import contextlib
import html
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

import bosun.web.settings  # noqa: F401  (declares dashboard.*)
from bosun import __version__
from bosun.base.errors import BosunError
from bosun.web import api
from bosun.web.cache import PanelCache
from bosun.web.envelope import error_response, from_bosun_error
from bosun.web.events import EventHub, EventStream
from bosun.web.panels import KindMap, all_panels, get_panel
from bosun.web.security import SecurityMiddleware
from bosun.web.view import View

if TYPE_CHECKING:
    from bosun.core.context import Context

STATIC = Path(__file__).parent / "static"


class Dashboard:
    """Everything the routes share: the view on the project, the event hub, the cache."""

    def __init__(
        self, ctx: Context, *, token: str | None = None, probe_screens: bool | None = None
    ) -> None:
        self.ctx = ctx
        self.token = token
        self.view = View(ctx, probe_screens=probe_screens)
        self.panels = all_panels()
        self.kinds = KindMap(self.panels)
        self.hub = EventHub(
            lambda since, limit: ctx.events.since(since, limit=limit),
            self.kinds,
            start_id=ctx.events.last_id(),
            poll=ctx.config.number("dashboard.poll_interval"),
            tick=ctx.config.number("dashboard.tick_interval"),
            timely=[p.name for p in self.panels if p.timely],
            replay_limit=ctx.config.integer("dashboard.replay_limit"),
        )
        self.cache = PanelCache(
            self.view, self.hub.version, ttl=ctx.config.number("dashboard.tick_interval") / 2
        )

    @property
    def project_name(self) -> str:
        return self.ctx.paths.root.name if self.ctx.paths else "bosun"


def create_app(
    ctx: Context,
    *,
    token: str | None = None,
    on_ready: Callable[[], None] | None = None,
    probe_screens: bool | None = None,
) -> Starlette:
    dashboard = Dashboard(ctx, token=token, probe_screens=probe_screens)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        reader = asyncio.create_task(dashboard.hub.run(), name="bosun-dashboard-events")
        if on_ready is not None:
            on_ready()
        try:
            yield
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/panels/{name}", fragment),
            Route("/events", events),
            *api.ROUTES,
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[Middleware(SecurityMiddleware, token=token)],
        exception_handlers={HTTPException: http_error},
        lifespan=lifespan,
    )
    app.state.dashboard = dashboard
    return app


def _dashboard(request: Request) -> Dashboard:
    return request.app.state.dashboard  # type: ignore[no-any-return]


async def index(request: Request) -> Response:
    d = _dashboard(request)
    since = d.hub.last_id  # read before the panels: the feed resumes from here
    params = dict(request.query_params)
    sections = []
    for panel in d.panels:
        try:
            rendered = await d.cache.get(panel, params)
            sections.append(
                rendered.section(panel, {k: v for k, v in params.items() if k in panel.params})
            )
        except BosunError as exc:
            sections.append(
                f'<section class="panel" id="panel-{panel.name}" '
                f'data-panel="{panel.name}"><header><h2>{html.escape(panel.title)}'
                f'</h2></header><p class="alert">{html.escape(exc.message)}</p>'
                "</section>"
            )
    page = PAGE.format(
        project=html.escape(d.project_name),
        root=html.escape(str(d.ctx.paths.root) if d.ctx.paths else ""),
        version=html.escape(__version__),
        since=since,
        panels="\n".join(sections),
    )
    return HTMLResponse(page)


async def fragment(request: Request) -> Response:
    name = request.path_params["name"]
    panel = get_panel(name)
    if panel is None:
        return error_response("not_found", f"no panel {name!r}")
    params = {k: v for k, v in request.query_params.items() if k in panel.params}
    try:
        rendered = await _dashboard(request).cache.get(panel, params)
    except BosunError as exc:
        return from_bosun_error(exc)
    return HTMLResponse(
        rendered.section(panel, params), headers={"X-Bosun-Version": str(rendered.version)}
    )


async def events(request: Request) -> Response:
    header = request.headers.get("last-event-id")
    try:
        since = api.int_param(
            header if header else request.query_params.get("since"), "Last-Event-ID"
        )
    except BosunError as exc:
        return from_bosun_error(exc)
    return EventStream(_dashboard(request).hub, since)  # type: ignore[return-value]


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    message = "no such page" if exc.status_code == 404 else str(exc.detail)
    return error_response(code, message, exc.status_code)


PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>bosun · {project}</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/dashboard.css">
<script src="/static/dashboard.js" defer></script>
</head>
<body data-since="{since}">
<header class="top">
  <h1>bosun <span class="project">{project}</span></h1>
  <span class="root">{root}</span>
  <span class="spacer"></span>
  <span id="conn" class="conn connecting" title="live updates">connecting</span>
  <span id="last-event" class="last-event">event #{since}</span>
  <span class="version">v{version}</span>
</header>
<main class="grid">
{panels}
</main>
</body>
</html>
"""
