"""The one error shape of every failing dashboard response: `{"error": {"code", "message"}}`."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from bosun.base.errors import BosunError, NotFound

STATUS = {
    "not_found": 404,
    "invalid_input": 400,
    "invalid_name": 400,
    "unauthorized": 401,
    "forbidden_host": 403,
    "method_not_allowed": 405,
    "internal": 500,
}


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def error_response(
    code: str, message: str, status: int | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        error_body(code, message), status_code=status or STATUS.get(code, 500), headers=headers
    )


def from_bosun_error(exc: BosunError) -> JSONResponse:
    """A bosun error as an envelope: not found → 404, bad input → 400, the rest → 500."""
    if isinstance(exc, NotFound):
        return error_response("not_found", exc.message, 404)
    status = 400 if exc.exit_code == 2 else 500
    return error_response(exc.code, exc.message, status)
