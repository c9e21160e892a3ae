from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from chainwatch.store.models.base import Base


class Enterprise(Base):
    """A firm of the registry, keyed by its 统一社会信用代码 (GB 32100-2015)."""

    __tablename__ = "enterprises"

    uscc: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    industry_code: Mapped[str] = mapped_column(String(5), index=True)
    scale: Mapped[str | None] = mapped_column(String(8))  # 规上 / 规下
    land_area_mu: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    employees: Mapped[int | None] = mapped_column(Integer)
    founded_on: Mapped[dt.date | None] = mapped_column(Date)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    business_scope: Mapped[str | None] = mapped_column(Text)
    longitude: Mapped[float | None]
    latitude: Mapped[float | None]
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_batches.id"), index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
