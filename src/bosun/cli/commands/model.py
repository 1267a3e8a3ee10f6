"""`bosun model`: the scripted model server that stands in for a model provider."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import typer

from bosun.cli.common import JSON, output

app = typer.Typer(help="A scripted model server: run real agent CLIs without tokens.")


@app.command("serve")
def serve(
    script: Path = typer.Argument(..., help="The model script (TOML; see docs/model-server.md)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(0, "--port", help="Port to listen on (0 picks a free one)."),
    log: Path = typer.Option(None, "--log", help="Append every request as a JSON line here."),
    as_json: bool = JSON,
) -> None:
    """Serve the Anthropic, OpenAI (Responses, Chat) and Gemini APIs from a script.

    Prints the base URL (with --json: url, host, port, turns), then serves until SIGINT or
    SIGTERM. Point a CLI at it: ANTHROPIC_BASE_URL=URL, a Codex model provider with
    base_url=URL/v1, or GOOGLE_GEMINI_BASE_URL=URL.
    """
    from bosun.runtime.modelserver import ModelServer, load_script  # lazy: CLI start-up time

    server = ModelServer(load_script(script), host=host, port=port, log_path=log).start()
    info = {
        "url": server.url,
        "host": host,
        "port": int(server.url.rsplit(":", 1)[1]),
        "turns": len(server.script.turns),
        "log": str(log) if log else None,
    }
    output(info, as_json, f"bosun model server on {server.url} ({info['turns']} turns)")
    sys.stdout.flush()
    signal.signal(signal.SIGTERM, lambda *_: server.stop())
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


@app.command("check")
def check(
    script: Path = typer.Argument(..., help="The model script to validate."),
    as_json: bool = JSON,
) -> None:
    """Validate a model script and list its turns."""
    from bosun.runtime.modelserver import load_script  # lazy: CLI start-up time

    parsed = load_script(script)
    turns = [
        {
            "turn": t.number,
            "text": t.text,
            "shell": t.shell,
            "tool": t.tool,
            "match": t.match,
            "fault": t.fault,
        }
        for t in parsed.turns
    ]
    lines = [f"{script}: {len(turns)} turns"] + [
        f"  {t['turn']}: " + ", ".join(f"{k}={v!r}" for k, v in t.items() if v and k != "turn")
        for t in turns
    ]
    output(turns, as_json, "\n".join(lines))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="model")
