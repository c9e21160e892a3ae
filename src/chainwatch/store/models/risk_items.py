"""Chain risk list (一链一清单): risk items found by screening, and every event of their life
(screened, evidence changed, status, owner, due date, actions) kept as history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from chainwatch.store.models.base import Base


class RiskItem(Base):
    """One risk of one chain, identified across screening runs by ``key``."""

    __tablename__ = "risk_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)  # product / segment / …
    chain_id: Mapped[str] = mapped_column(String(64), index=True)
    segment_id: Mapped[str | None] = mapped_column(String(64))
    product: Mapped[str | None] = mapped_column(String(200))
    uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    position: Mapped[str] = mapped_column(String(16))  # 原材料/元器件, 中间产品, 终端产品
    risk_type: Mapped[str] = mapped_column(String(16))  # 材料, 零部件, 装备, 软件, …
    grade: Mapped[str] = mapped_column(String(2), index=True)  # 高 / 中 / 低
    score: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(8), index=True)  # 待核实 … 已销号 / 已排除
    explanation: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    affected: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    alternatives: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    owner: Mapped[str | None] = mapped_column(String(100))
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    found: Mapped[bool] = mapped_column(Boolean, default=True)  # found by the latest screening
    closed_grade: Mapped[str | None] = mapped_column(String(2))  # grade when closed/excluded
    detected_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    screened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    events: Mapped[list[RiskItemEvent]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="RiskItemEvent.id"
    )


class RiskItemEvent(Base):
    """One event of an item's history: created, rescreened (grade or points changed),
    not_found, reopened, status, owner, due, action (一链一策 measure) or note."""

    __tablename__ = "risk_item_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("risk_items.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    event: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(8))
    to_status: Mapped[str | None] = mapped_column(String(8))
    actor: Mapped[str | None] = mapped_column(String(100))
    text: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    item: Mapped[RiskItem] = relationship(back_populates="events")
