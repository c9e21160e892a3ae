"""Early-warning alerts (预警) and the history of each: raised, escalated, assigned, handled,
resolved, condition ended.

An alert is one run of one condition (``condition_key``: rule, scope, subject and for imports
product and country; ``episode``: the run's first month), so re-evaluating the same data never
raises it twice, and a condition that ended and comes back later is a new alert.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from chainwatch.store.models.base import Base


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("condition_key", "episode"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    condition_key: Mapped[str] = mapped_column(String(255), index=True)
    episode: Mapped[str] = mapped_column(String(7))  # first month of the run, YYYY-MM
    rule_id: Mapped[str] = mapped_column(String(48), index=True)
    rule_name: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(24))
    grade: Mapped[str] = mapped_column(String(4), index=True)  # 红 / 橙 / 黄 / 提示
    scope: Mapped[str] = mapped_column(String(16), index=True)
    subject: Mapped[str] = mapped_column(String(64), index=True)  # uscc, region or chain code
    subject_name: Mapped[str | None] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(String(6), index=True)
    chain_id: Mapped[str | None] = mapped_column(String(48), index=True)
    period: Mapped[str] = mapped_column(String(7), index=True)  # month raised
    grade_period: Mapped[str] = mapped_column(String(7))
    last_period: Mapped[str] = mapped_column(String(7))
    ended_period: Mapped[str | None] = mapped_column(String(7))  # None while the run is open
    message: Mapped[str] = mapped_column(Text)
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(8), index=True)  # 新 / 已分派 / 处置中 / 已解除
    assignee: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    events: Mapped[list[AlertEvent]] = relationship(
        back_populates="alert", cascade="all, delete-orphan", order_by="AlertEvent.id"
    )


class AlertEvent(Base):
    """One step of an alert's life, with who (``actor``; None for the system) and when."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    event: Mapped[str] = mapped_column(String(8))  # 预警 升级 分派 处置 解除 条件结束
    actor: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(8))  # the alert's status after the event
    assignee: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)

    alert: Mapped[Alert] = relationship(back_populates="events")
