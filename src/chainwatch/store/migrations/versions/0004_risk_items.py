"""Chain risk lists (一链一清单): risk items and their history.

Revision ID: 0004_risk_items
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_risk_items"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_items",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("chain_id", sa.String(64), nullable=False),
        sa.Column("segment_id", sa.String(64), nullable=True),
        sa.Column("product", sa.String(200), nullable=True),
        sa.Column("uscc", sa.String(18), nullable=True),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("position", sa.String(16), nullable=False),
        sa.Column("risk_type", sa.String(16), nullable=False),
        sa.Column("grade", sa.String(2), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("affected", sa.JSON(), nullable=False),
        sa.Column("alternatives", sa.JSON(), nullable=False),
        sa.Column("owner", sa.String(100), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("found", sa.Boolean(), nullable=False),
        sa.Column("closed_grade", sa.String(2), nullable=True),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("screened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_risk_items"),
        sa.UniqueConstraint("key", name="uq_risk_items_key"),
    )
    op.create_index("ix_risk_items_kind", "risk_items", ["kind"])
    op.create_index("ix_risk_items_chain_id", "risk_items", ["chain_id"])
    op.create_index("ix_risk_items_uscc", "risk_items", ["uscc"])
    op.create_index("ix_risk_items_grade", "risk_items", ["grade"])
    op.create_index("ix_risk_items_status", "risk_items", ["status"])
    op.create_table(
        "risk_item_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("from_status", sa.String(8), nullable=True),
        sa.Column("to_status", sa.String(8), nullable=True),
        sa.Column("actor", sa.String(100), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_risk_item_events"),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["risk_items.id"],
            name="fk_risk_item_events_item_id_risk_items",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_risk_item_events_item_id", "risk_item_events", ["item_id"])


def downgrade() -> None:
    op.drop_table("risk_item_events")
    op.drop_table("risk_items")
