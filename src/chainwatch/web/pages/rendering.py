"""Jinja2 templates with what every page needs: the translator, the language switch, assets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from chainwatch import __version__
from chainwatch.web.assets import ECHARTS_SCRIPT
from chainwatch.web.i18n import LANGUAGES, Translator

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent.parent / "templates"))


def _number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return ""
    return f"{value:,.{digits}f}"


def _local_time(value: dt.datetime | None) -> str:
    """A stored time in the server's time zone; the database keeps naive times in UTC."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


TEMPLATES.env.filters["number"] = _number
TEMPLATES.env.filters["local_time"] = _local_time


def language_of(request: Request) -> str:
    return str(getattr(request.state, "lang", LANGUAGES[0]))


def switch_url(request: Request, language: str) -> str:
    """The current address with ``lang`` set, keeping every other query parameter."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    params.append(("lang", language))
    return f"{request.url.path}?{urlencode(params)}"


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    language = language_of(request)
    t = Translator(language)
    charts = bool(getattr(request.app.state, "charts_available", False))
    full = {
        "t": t,
        "lang": language,
        "version": __version__,
        "switch": {code: switch_url(request, code) for code in LANGUAGES},
        "charts_available": charts,
        "echarts_script": ECHARTS_SCRIPT,
        **(context or {}),
    }
    return TEMPLATES.TemplateResponse(request, template, full, status_code=status_code)


def render_error(request: Request, status: int, message: str) -> HTMLResponse:
    return render(request, "error.html", {"status": status, "message": message}, status_code=status)
