"""The live dashboard: a read-only Starlette app that shows the fleet and patches each panel
from the event log over Server-Sent Events.

    app.py        the app factory (routes, lifespan, error envelope)
    security.py   loopback rule, token, security headers, read-only methods
    events.py     the one event reader, fanning frames out to every SSE client
    cache.py      panel data computed once per change and shared by every client
    panels/       the panel registry; one small module per panel
    graph.py      a pipeline run's graph as SVG (Graphviz `dot`) or a text fallback
    api.py        `/api/…` JSON, the same shapes as the CLI's `--json`
    server.py     running it under uvicorn (`bosun dashboard`)
"""
