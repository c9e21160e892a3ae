"""Server-rendered pages (Jinja2): overview, enterprise search and profile, data loads."""

from __future__ import annotations

from fastapi import APIRouter

from chainwatch.web.pages import batches, enterprises, overview

router = APIRouter(include_in_schema=False)
router.include_router(overview.router)
router.include_router(enterprises.router)
router.include_router(batches.router)
