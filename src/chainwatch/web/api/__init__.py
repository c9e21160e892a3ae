"""The JSON API under /api/v1: thin routes over chainwatch.registry and chainwatch.ingest."""

from __future__ import annotations

from fastapi import APIRouter

from chainwatch.web.api import batches, enterprises, overview

router = APIRouter()
router.include_router(enterprises.router)
router.include_router(overview.router)
router.include_router(batches.router)
