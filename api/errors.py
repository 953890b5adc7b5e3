"""One error format for every response: ``{"error": ..., "detail": ...}``; no stack traces leak."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import RateLimited, ReceiptSnapError

logger = logging.getLogger(__name__)


def error_body(error: str, detail: object = None) -> dict[str, object]:
    return {"error": error, "detail": detail}


def install(app: FastAPI) -> None:
    @app.exception_handler(ReceiptSnapError)
    async def _domain(_: Request, exc: ReceiptSnapError) -> JSONResponse:
        headers: dict[str, str] = {}
        if exc.status_code == 401:
            headers["WWW-Authenticate"] = "Bearer"
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after_seconds)
        return JSONResponse(
            error_body(exc.code, exc.message), status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
        return JSONResponse(
            error_body(code.get(exc.status_code, "http_error"), exc.detail),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        return JSONResponse(error_body("invalid_request", detail), status_code=422)

    @app.exception_handler(ValueError)
    async def _value(_: Request, exc: ValueError) -> JSONResponse:
        # PostgreSQL text cannot hold NUL (psycopg2 refuses it with a ValueError): the input's
        # fault, not ours. Handled here, not in the catch-all below, which Starlette runs in
        # its outermost middleware and then re-raises as a server error.
        if _is_nul_in_text(exc):
            return JSONResponse(
                error_body("invalid_request", "NUL characters are not allowed"), status_code=400
            )
        raise exc

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.error("api.unhandled path=%s", request.url.path, exc_info=exc)
        return JSONResponse(error_body("internal", "internal server error"), status_code=500)


def _is_nul_in_text(exc: BaseException) -> bool:
    """psycopg2 refuses strings with NUL (0x00) characters with a ValueError."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ValueError) and "NUL (0x00)" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
