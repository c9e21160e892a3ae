"""SQLAlchemy models of the operational database. Import from here."""

from chainwatch.store.models.alerts import Alert, AlertEvent
from chainwatch.store.models.base import Base
from chainwatch.store.models.enterprises import Enterprise
from chainwatch.store.models.ingest import IngestBatch
from chainwatch.store.models.reports import (
    DirectReport,
    DirectReportPrice,
    DirectReportProduct,
    DirectReportRevision,
)
from chainwatch.store.models.risk_items import RiskItem, RiskItemEvent

__all__ = [
    "Alert",
    "AlertEvent",
    "Base",
    "DirectReport",
    "DirectReportPrice",
    "DirectReportProduct",
    "DirectReportRevision",
    "Enterprise",
    "IngestBatch",
    "RiskItem",
    "RiskItemEvent",
]
