"""Monthly direct reports (直联直报): reports, product and price lines, revisions.

Revision ID: 0003_reports
Revises: 0001
Create Date: 2026-11-23
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003_reports"
down_revision = "0001"
branch_labels = None
depends_on = None

_MONEY = sa.Numeric(18, 2)


def _line_table(name: str, *columns: Any) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("report_id", sa.Integer(), nullable=False),
        *columns,
        sa.PrimaryKeyConstraint("id", name=f"pk_{name}"),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["direct_reports.id"],
            name=f"fk_{name}_report_id_direct_reports",
            ondelete="CASCADE",
        ),
    )
    op.create_index(f"ix_{name}_report_id", name, ["report_id"])


def upgrade() -> None:
    op.create_table(
        "direct_reports",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("output", _MONEY, nullable=False),
        sa.Column("value_added", _MONEY, nullable=False),
        sa.Column("revenue", _MONEY, nullable=False),
        sa.Column("taxes", _MONEY, nullable=False),
        sa.Column("profit", _MONEY, nullable=False),
        sa.Column("electricity_kwh", _MONEY, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("on_time", sa.Boolean(), nullable=False),
        sa.Column("first_submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_direct_reports"),
        sa.ForeignKeyConstraint(
            ["uscc"], ["enterprises.uscc"], name="fk_direct_reports_uscc_enterprises"
        ),
        sa.UniqueConstraint("uscc", "period", name="uq_direct_reports_uscc"),
    )
    op.create_index("ix_direct_reports_uscc", "direct_reports", ["uscc"])
    op.create_index("ix_direct_reports_period", "direct_reports", ["period"])
    op.create_index("ix_direct_reports_status", "direct_reports", ["status"])
    _line_table(
        "direct_report_products",
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("unit", sa.String(20), nullable=False),
        sa.Column("quantity", sa.Numeric(18, 3), nullable=False),
    )
    _line_table(
        "direct_report_prices",
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("material", sa.String(100), nullable=False),
        sa.Column("unit", sa.String(20), nullable=False),
        sa.Column("price", sa.Numeric(18, 4), nullable=False),
    )
    _line_table(
        "direct_report_revisions",
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(8), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.UniqueConstraint("report_id", "revision", name="uq_direct_report_revisions_report_id"),
    )


def downgrade() -> None:
    op.drop_table("direct_report_revisions")
    op.drop_table("direct_report_prices")
    op.drop_table("direct_report_products")
    op.drop_table("direct_reports")
