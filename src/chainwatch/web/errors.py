"""Error answers: the house JSON shape under /api, friendly pages everywhere else.

Every error a client of the API can meet — a ChainwatchError from the domain, a request that
fails validation, an unknown route — comes back as
``{"ok": false, "error": message, "errors": details, "status": N}`` with HTTP status N.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from chainwatch.errors import ChainwatchError

log = logging.getLogger(__name__)
API_PREFIX = "/api/"


def wants_json(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX) or request.url.path == "/openapi.json"


def error_body(message: str, status: int, errors: list[Any] | None = None) -> dict[str, Any]:
    return {"ok": False, "error": message, "errors": list(errors or []), "status": status}


def _plain(value: Any) -> Any:
    """JSON-safe copy of a validation detail (pydantic may put exceptions in ``ctx``)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def validation_details(exc: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    details = []
    parts = []
    for problem in exc.errors():
        location = [str(part) for part in problem.get("loc", ())]
        field = ".".join(location[1:]) or ".".join(location) or "request"
        detail = {
            "field": field,
            "location": location,
            "problem": problem.get("msg", ""),
            "type": problem.get("type", ""),
        }
        if "input" in problem:
            detail["got"] = _plain(problem["input"])
        details.append(detail)
        got = f" (got {detail['got']!r})" if detail.get("got") is not None else ""
        parts.append(f"{field}: {detail['problem']}{got}")
    message = "invalid request: " + "; ".join(parts) if parts else "invalid request"
    return message, details


def _page(request: Request, status: int, message: str) -> Response:
    from chainwatch.web.pages.rendering import render_error

    return render_error(request, status, message)


async def _chainwatch_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, ChainwatchError):  # registered for ChainwatchError only
        raise exc
    if wants_json(request):
        return JSONResponse(exc.to_dict(), status_code=exc.status)
    return _page(request, exc.status, exc.message)


async def _validation_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, RequestValidationError):
        raise exc
    message, details = validation_details(exc)
    if wants_json(request):
        return JSONResponse(error_body(message, 422, details), status_code=422)
    return _page(request, 422, message)


async def _http_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, StarletteHTTPException):
        raise exc
    status = exc.status_code
    if status == 404:
        message = (
            f"no such address: {request.method} {request.url.path}. The API lives under "
            "/api/v1; its endpoints are listed at /docs"
        )
    elif status == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    else:
        message = str(exc.detail)
    if wants_json(request):
        return JSONResponse(
            error_body(message, status), status_code=status, headers=getattr(exc, "headers", None)
        )
    return _page(request, status, message)


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    message = "internal error; the server log has the details"
    if wants_json(request):
        return JSONResponse(error_body(message, 500), status_code=500)
    return _page(request, 500, message)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ChainwatchError, _chainwatch_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _server_error)
