"""`/api/…`: JSON for scripts, the same shapes as the CLI's `--json`.

    GET /api/status                 the dashboard itself: version, clients, last event id
    GET /api/panels                 the panels, their titles and the event kinds they watch
    GET /api/panels/NAME            a panel's data (`?wisps=1`, `?run=ID` where it applies)
    GET /api/agents/ROLE/NAME       one agent (as in `bosun agent list --json`)
    GET /api/runs/RUN_ID            one run (as in `bosun run status --json`) and its graph
    GET /api/runs/RUN_ID/graph.svg  that graph as SVG (or 404 when `dot` cannot draw it)
    GET /api/events?since=ID        up to 1000 events after ID (as in `bosun events --json`)

Every failure is `{"error": {"code", "message"}}` with its HTTP status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bosun import __version__
from bosun.base.errors import BosunError, InvalidInput, NotFound
from bosun.base.names import check_name
from bosun.pipeline.rundir import check_run_id
from bosun.web.envelope import error_response, from_bosun_error
from bosun.web.panels import all_panels, get_panel
from bosun.web.panels.runs import run_detail, run_svg

if TYPE_CHECKING:
    from bosun.web.app import Dashboard


def _dashboard(request: Request) -> Dashboard:
    return request.app.state.dashboard  # type: ignore[no-any-return]


def int_param(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise InvalidInput(
            f"{name} must be a non-negative event id, not {value!r}",
            "give the id of the last event you saw",
        )
    return number


async def status(request: Request) -> Response:
    d = _dashboard(request)
    return JSONResponse(
        {
            "version": __version__,
            "clients": len(d.hub.subscribers),
            "last_event_id": d.hub.last_id,
            "reads": d.hub.reads,
            "read_errors": d.hub.errors,
            "computations": d.cache.computations,
            "token_required": d.token is not None,
        }
    )


async def panels(request: Request) -> Response:
    return JSONResponse(
        [
            {
                "name": p.name,
                "title": p.title,
                "kinds": list(p.kinds),
                "params": list(p.params),
                "timely": p.timely,
            }
            for p in all_panels()
        ]
    )


async def panel_data(request: Request) -> Response:
    name = request.path_params["name"]
    panel = get_panel(name)
    if panel is None:
        return error_response("not_found", f"no panel {name!r}")
    try:
        rendered = await _dashboard(request).cache.get(panel, dict(request.query_params))
    except BosunError as exc:
        return from_bosun_error(exc)
    return JSONResponse(rendered.data, headers={"X-Bosun-Version": str(rendered.version)})


async def agent(request: Request) -> Response:
    role, name = request.path_params["role"], request.path_params["name"]
    try:
        check_name(role, "role")
        check_name(name)
        panel = get_panel("agents")
        assert panel is not None
        rendered = await _dashboard(request).cache.get(panel, {})
        for row in rendered.data["agents"]:
            if row["identity"] == f"{role}/{name}":
                return JSONResponse(row)
        raise NotFound(f"no agent {role}/{name}", "list agents at /api/panels/agents")
    except BosunError as exc:
        return from_bosun_error(exc)


async def run(request: Request) -> Response:
    d = _dashboard(request)
    try:
        run_id = check_run_id(request.path_params["run_id"])
        detail: dict[str, Any] = await anyio.to_thread.run_sync(run_detail, d.view, run_id)
    except BosunError as exc:
        return from_bosun_error(exc)
    return JSONResponse(detail)


async def run_graph(request: Request) -> Response:
    d = _dashboard(request)
    try:
        run_id = check_run_id(request.path_params["run_id"])
        svg = await anyio.to_thread.run_sync(run_svg, d.view, run_id)
    except BosunError as exc:
        return from_bosun_error(exc)
    return Response(svg, media_type="image/svg+xml")


async def events(request: Request) -> Response:
    d = _dashboard(request)
    try:
        since = int_param(request.query_params.get("since"), "since") or 0
    except BosunError as exc:
        return from_bosun_error(exc)
    found = await anyio.to_thread.run_sync(lambda: d.view.ctx.events.since(since, limit=1000))
    return JSONResponse([e.to_json() for e in found])


ROUTES = [
    Route("/api/status", status),
    Route("/api/panels", panels),
    Route("/api/panels/{name}", panel_data),
    Route("/api/agents/{role}/{name}", agent),
    Route("/api/runs/{run_id}", run),
    Route("/api/runs/{run_id}/graph.svg", run_graph),
    Route("/api/events", events),
]
