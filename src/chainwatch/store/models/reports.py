"""Monthly direct reports (直联直报): one current report per firm and month, its product and
price lines, and every submission, correction and confirmation kept as a revision."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from chainwatch.store.models.base import Base

MONEY = Numeric(18, 2)


class DirectReport(Base):
    """A firm's report for one month as it stands now (the latest revision)."""

    __tablename__ = "direct_reports"
    __table_args__ = (UniqueConstraint("uscc", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uscc: Mapped[str] = mapped_column(ForeignKey("enterprises.uscc"), index=True)
    period: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM
    output: Mapped[Decimal] = mapped_column(MONEY)  # 工业总产值, 元
    value_added: Mapped[Decimal] = mapped_column(MONEY)  # 增加值, 元
    revenue: Mapped[Decimal] = mapped_column(MONEY)  # 营业收入, 元
    taxes: Mapped[Decimal] = mapped_column(MONEY)  # 税收, 元
    profit: Mapped[Decimal] = mapped_column(MONEY)  # 利润, 元 (negative: a loss)
    electricity_kwh: Mapped[Decimal] = mapped_column(MONEY)  # 用电量, 千瓦时
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), index=True)  # 已提交 / 待确认 / 已确认
    flags: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    deadline: Mapped[dt.date] = mapped_column(Date)
    on_time: Mapped[bool] = mapped_column(Boolean)  # first submission by the deadline
    first_submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    source: Mapped[str] = mapped_column(String(16))  # api / page / file

    products: Mapped[list[DirectReportProduct]] = relationship(
        back_populates="report",
        cascade="all, delete-orphan",
        order_by="DirectReportProduct.line",
    )
    prices: Mapped[list[DirectReportPrice]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="DirectReportPrice.line"
    )
    revisions: Mapped[list[DirectReportRevision]] = relationship(
        back_populates="report",
        cascade="all, delete-orphan",
        order_by="DirectReportRevision.revision",
    )


class DirectReportProduct(Base):
    """主要产品产量: one product line of a report."""

    __tablename__ = "direct_report_products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("direct_reports.id", ondelete="CASCADE"), index=True
    )
    line: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[Decimal] = mapped_column(Numeric(18, 3))

    report: Mapped[DirectReport] = relationship(back_populates="products")


class DirectReportPrice(Base):
    """主要原材料价格: one input-price line of a report."""

    __tablename__ = "direct_report_prices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("direct_reports.id", ondelete="CASCADE"), index=True
    )
    line: Mapped[int] = mapped_column(Integer)
    material: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(20))
    price: Mapped[Decimal] = mapped_column(Numeric(18, 4))

    report: Mapped[DirectReport] = relationship(back_populates="prices")


class DirectReportRevision(Base):
    """One event of a report's life: 提交, 更正 (values replaced) or 确认 (flags confirmed).

    ``values`` is the whole report as it stood after the event (figures, product and price
    lines), so a correction never loses what was reported before.
    """

    __tablename__ = "direct_report_revisions"
    __table_args__ = (UniqueConstraint("report_id", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("direct_reports.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(8))  # 提交 / 更正 / 确认
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(8))
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    flags: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(Text)

    report: Mapped[DirectReport] = relationship(back_populates="revisions")
