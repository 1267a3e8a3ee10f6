"""The scripted model server: a loopback HTTP server that plays a Script.

`ModelServer(script).start()` serves on 127.0.0.1 (port 0 picks a free port) in a
background thread; `.url` is its base URL, `.requests` the log of every request (also
appended as JSON lines to `log_path`), `.stop()` ends it and releases stalled streams.
"""

from __future__ import annotations

import contextlib
import datetime
import gzip
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bosun.runtime.modelserver import routes
from bosun.runtime.modelserver.script import Script, Turn
from bosun.runtime.modelserver.wire import Reply, Request


class ModelServer:
    def __init__(
        self,
        script: Script,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_path: Path | None = None,
    ) -> None:
        self.script = script
        self._address = (host, port)
        self._log_path = log_path
        self._lock = threading.Lock()
        self._log: list[dict[str, Any]] = []
        self._fault_hits: dict[int, int] = {}
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle -------------------------------------------------------------------------
    def start(self) -> ModelServer:
        httpd = ThreadingHTTPServer(self._address, _Handler)
        httpd.daemon_threads = True
        httpd.model = self  # type: ignore[attr-defined]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="bosun-model-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until stop() is called from another (the CLI's loop)."""
        if self._thread is None:
            self.start()
        self._stopping.wait()

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the model server is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._log)

    # one request -----------------------------------------------------------------------
    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        entry: dict[str, Any] = {
            "n": 0,
            "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds"),
            "method": handler.command,
            "path": handler.path,
        }
        try:
            body = _read_body(handler)
            route = routes.find(handler.command, handler.path)
            if route is None:
                self._record(entry | {"status": 404}, entry)
                _send_json(handler, 404, {"error": {"message": f"no route {handler.path}"}})
                return
            entry["api"] = route.api
            if route.kind == "count":
                self._record(entry | {"status": 200}, entry)
                _send_json(handler, 200, route.count_tokens(body))
                return
            request = route.parse(body)
            self._answer(handler, route, body, request, entry)
        except (ValueError, json.JSONDecodeError) as exc:
            self._record(entry | {"status": 400}, entry)
            _send_json(handler, 400, {"error": {"message": f"bad request: {exc}"}})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (or a stall ended with the server): already logged
        finally:
            self._record(entry | {"status": 499}, entry)

    def _answer(
        self,
        handler: BaseHTTPRequestHandler,
        route: routes.Route,
        body: dict[str, Any],
        request: Request,
        entry: dict[str, Any],
    ) -> None:
        side = not request.tools
        turn = None if side else self.script.next_turn(request.replies, request.last_user_text)
        entry.update(
            {
                "model": request.model,
                "stream": request.stream,
                "replies": request.replies,
                "tools": len(request.tools),
                "tool_names": list(request.tools),
                "side": side,
                "turn": turn.number if turn else None,
                "last_user": request.last_user_text[-200:],
            }
        )
        with self._lock:
            seq = len(self._log) + 1
            fault = self._take_fault(turn)
        entry["fault"] = fault
        if fault in ("overloaded", "rate_limit", "server_error"):
            status, error = route.error_body(fault)
            headers = {
                "retry-after-ms": str(self.script.retry_after_ms),
                "retry-after": str(max(1, -(-self.script.retry_after_ms // 1000))),
            }
            self._record(entry | {"status": status}, entry)
            _send_json(handler, status, error, headers)
            return
        reply = self._reply(route, body, request, turn, seq)
        entry["reply"] = {
            "text": reply.text,
            "tool": reply.tool_name,
            "input_tokens": reply.input_tokens,
        }
        response_id = f"{route.id_prefix}{seq:06d}"
        self._record(entry | {"status": 200}, entry)
        if not request.stream:
            if fault == "drop":
                _drop(handler)
                return
            if fault == "stall":
                self._stall(turn)
            _send_json(handler, 200, route.render_json(reply, request, response_id))
            return
        events = route.render_events(reply, request, response_id)
        cut = len(events) // 2 if fault in ("stall", "drop") else len(events)
        _start_stream(handler, route.content_type)
        for event in events[:cut]:
            _send_chunk(handler, event)
        if fault == "drop":
            _drop(handler)
            return
        if fault == "stall":
            self._stall(turn)
        for event in events[cut:]:
            _send_chunk(handler, event)
        _send_chunk(handler, b"")

    def _take_fault(self, turn: Turn | None) -> str | None:
        if turn is None or turn.fault is None:
            return None
        hits = self._fault_hits.get(turn.number, 0)
        if hits >= turn.fault_times:
            return None
        self._fault_hits[turn.number] = hits + 1
        return turn.fault

    def _stall(self, turn: Turn | None) -> None:
        seconds = turn.stall_seconds if turn is not None else None
        self._stopping.wait(seconds)
        if self._stopping.is_set():
            raise BrokenPipeError("the model server stopped during a stall")

    def _reply(
        self,
        route: routes.Route,
        body: dict[str, Any],
        request: Request,
        turn: Turn | None,
        seq: int,
    ) -> Reply:
        estimate = max(1, request.input_chars // 4)
        if turn is None:
            text = (
                route.side_text(body, self.script) if not request.tools else (self.script.done_text)
            )
            return Reply(text=text, input_tokens=estimate, output_tokens=max(1, len(text) // 4))
        if turn.input_tokens is not None:
            input_tokens = turn.input_tokens
        elif turn.context_used is not None:
            input_tokens = int(turn.context_used * self.script.context_window)
        else:
            input_tokens = estimate
        name: str | None = None
        tool_input: dict[str, Any] = {}
        if turn.shell is not None:
            name, tool_input = route.shell_call(turn.shell, request)
        elif turn.tool is not None:
            name, tool_input = turn.tool, dict(turn.tool_input)
        size = len(turn.text) + len(json.dumps(tool_input))
        return Reply(
            text=turn.text,
            tool_name=name,
            tool_input=tool_input,
            call_id=f"{route.call_prefix}{seq:06d}",
            input_tokens=input_tokens,
            output_tokens=turn.output_tokens
            if turn.output_tokens is not None
            else max(1, size // 4),
        )

    def _record(self, entry: dict[str, Any], request_entry: dict[str, Any]) -> None:
        """Log a request once, as soon as its answer is decided and before it is sent.

        So `.requests` already holds a request when its client sees the answer (or the
        start of a stalled stream).
        """
        with self._lock:
            if request_entry.get("logged"):
                return
            request_entry["logged"] = True
            entry.pop("logged", None)
            entry["n"] = len(self._log) + 1
            self._log.append(entry)
            if self._log_path is not None:
                with self._log_path.open("a", encoding="utf-8") as log:
                    log.write(json.dumps(entry) + "\n")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bosun-model-server"

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.server.model.handle(self)  # type: ignore[attr-defined]

    do_GET = do_POST  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return


def _read_body(handler: BaseHTTPRequestHandler) -> dict[str, Any]:
    length = int(handler.headers.get("Content-Length") or 0)
    raw = handler.rfile.read(length) if length else b""
    if handler.headers.get("Content-Encoding", "").lower() == "gzip":
        raw = gzip.decompress(raw)
    if not raw:
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("the body is not a JSON object")
    return data


def _send_json(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> None:
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(data)
    handler.wfile.flush()


def _start_stream(handler: BaseHTTPRequestHandler, content_type: str) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Cache-Control", "no-cache")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    handler.wfile.flush()


def _send_chunk(handler: BaseHTTPRequestHandler, data: bytes) -> None:
    """One chunk of a chunked body; the empty chunk ends the body."""
    handler.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
    handler.wfile.flush()


def _drop(handler: BaseHTTPRequestHandler) -> None:
    """Cut the connection without ending the body: the client sees a broken stream."""
    handler.close_connection = True
    handler.wfile.flush()
    with contextlib.suppress(OSError):
        handler.connection.shutdown(socket.SHUT_RDWR)
