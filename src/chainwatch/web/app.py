"""The FastAPI application: JSON API under /api/v1, OpenAPI at /docs, pages at /.

Everything a browser loads comes from this server: our own CSS and JS under /static/, and the
npm packages (ECharts, Swagger UI) under /static/vendor/. A closed intranet needs nothing else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from chainwatch import __version__
from chainwatch.store.db import ensure_database
from chainwatch.web import api, pages
from chainwatch.web.api import alerts as alerts_api
from chainwatch.web.api import atlas as atlas_api
from chainwatch.web.api import monitor as monitor_api
from chainwatch.web.api import rankings as rankings_api
from chainwatch.web.api import reports as reports_api
from chainwatch.web.api import risk as risk_api
from chainwatch.web.api import risk_list as risk_list_api
from chainwatch.web.assets import SWAGGER_CSS, SWAGGER_JS, vendor_folders
from chainwatch.web.errors import install_error_handlers
from chainwatch.web.language import language_middleware
from chainwatch.web.pages import alerts as alerts_pages
from chainwatch.web.pages import atlas as atlas_pages
from chainwatch.web.pages import monitor as monitor_pages
from chainwatch.web.pages import reports as reports_pages
from chainwatch.web.pages import risk_list as risk_list_pages
from chainwatch.web.pages import risk_scenarios as risk_pages
from chainwatch.web.pages.rendering import render

STATIC = Path(__file__).parent / "static"
DESCRIPTION = """\
JSON API of chainwatch (产业链供应链安全监测与企业服务平台).

Successful answers are plain JSON objects. Every error is answered as
`{"ok": false, "error": "...", "errors": [...], "status": N}` with HTTP status N.
Names of regions and industries follow `?lang=zh-CN` (default) or `?lang=en`.
"""


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    await run_in_threadpool(ensure_database)
    yield


def _docs_page(request: Request) -> Response:
    if not getattr(request.app.state, "swagger_available", False):
        return render(request, "docs_missing.html", {"page": "docs"})
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="chainwatch API",
        swagger_js_url=SWAGGER_JS,
        swagger_css_url=SWAGGER_CSS,
        swagger_favicon_url="/static/favicon.svg",
        # The validator badge would call an outside server with the spec's address.
        swagger_ui_parameters={"validatorUrl": None},
    )


def create_app() -> FastAPI:
    app = FastAPI(
        title="chainwatch",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=_lifespan,
    )
    install_error_handlers(app)
    app.middleware("http")(language_middleware)
    app.include_router(api.router, prefix="/api/v1")
    app.include_router(alerts_api.router, prefix="/api/v1")
    app.include_router(rankings_api.router, prefix="/api/v1")
    app.include_router(atlas_api.router, prefix="/api/v1")
    app.include_router(monitor_api.router, prefix="/api/v1")
    app.include_router(risk_api.router, prefix="/api/v1")
    app.include_router(risk_list_api.router, prefix="/api/v1")
    app.include_router(reports_api.router, prefix="/api/v1")

    vendors = vendor_folders()
    app.state.charts_available = "echarts" in vendors
    app.state.swagger_available = "swagger-ui-dist" in vendors
    # Mounted before /static so the longer prefixes win.
    for package, folder in vendors.items():
        app.mount(
            f"/static/vendor/{package}", StaticFiles(directory=folder), name=f"vendor-{package}"
        )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    app.add_api_route("/docs", _docs_page, include_in_schema=False, response_class=HTMLResponse)
    app.include_router(pages.router)
    app.include_router(alerts_pages.router, include_in_schema=False)
    app.include_router(atlas_pages.router, include_in_schema=False)
    app.include_router(monitor_pages.router, include_in_schema=False)
    app.include_router(risk_pages.router, include_in_schema=False)
    app.include_router(risk_list_pages.router, include_in_schema=False)
    app.include_router(reports_pages.router, include_in_schema=False)
    return app
