"""SQLAlchemy models of the operational database. Import from here."""

from chainwatch.store.models.base import Base
from chainwatch.store.models.enterprises import Enterprise
from chainwatch.store.models.ingest import IngestBatch

__all__ = ["Base", "Enterprise", "IngestBatch"]
