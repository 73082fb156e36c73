"""Errors as JSON with a clear message: `{"error": {"type": ..., "message": ...}}`, never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("icp.api")


class ErrorBody(BaseModel):
    """The error payload."""

    type: str
    message: str
    details: list[str] | None = None


class ErrorOut(BaseModel):
    """Every non-2xx response has this shape."""

    error: ErrorBody


class ApiError(Exception):
    """An error with an HTTP status, a type and a message meant for the caller."""

    def __init__(self, status: int, kind: str, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message
        self.headers = headers or {}


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "Missing, unknown or revoked API key."},
    403: {"model": ErrorOut, "description": "The key is read-only."},
    404: {"model": ErrorOut, "description": "No such object in this workspace."},
    413: {"model": ErrorOut, "description": "Request body too large."},
    422: {"model": ErrorOut, "description": "Invalid input."},
    429: {"model": ErrorOut, "description": "Rate limited; see Retry-After."},
}


def _json(
    status: int, kind: str, message: str, details: list[str] | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = ErrorOut(error=ErrorBody(type=kind, message=message, details=details))
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Maps project errors to HTTP statuses."""
    from scoring.errors import CsvFormatError, IcpConfigError, ValidationDataError
    from store.accounts import AmbiguousAccount
    from store.errors import NotFound

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return _json(exc.status, exc.kind, exc.message, headers=exc.headers)

    @app.exception_handler(NotFound)
    async def _nf(_: Request, exc: NotFound) -> JSONResponse:
        return _json(404, "not_found", str(exc))

    @app.exception_handler(AmbiguousAccount)
    async def _amb(_: Request, exc: AmbiguousAccount) -> JSONResponse:
        return _json(409, "ambiguous", str(exc))

    @app.exception_handler(IcpConfigError)
    async def _icp(_: Request, exc: IcpConfigError) -> JSONResponse:
        return _json(422, "invalid_icp", "the ICP is invalid", details=exc.messages)

    @app.exception_handler(CsvFormatError)
    async def _csv(_: Request, exc: CsvFormatError) -> JSONResponse:
        return _json(422, "invalid_csv", str(exc))

    @app.exception_handler(ValidationDataError)
    async def _vd(_: Request, exc: ValidationDataError) -> JSONResponse:
        return _json(422, "insufficient_data", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _rv(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()][:20]
        return _json(422, "invalid_request", "the request is invalid", details=details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _json(exc.status_code, "http_error", str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _any(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _json(500, "internal_error", "something went wrong on our side; the error was logged")
