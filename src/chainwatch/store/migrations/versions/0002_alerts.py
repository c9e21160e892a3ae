"""Early-warning alerts (预警) and their history.

Revision ID: 0002_alerts
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_alerts"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("condition_key", sa.String(255), nullable=False),
        sa.Column("episode", sa.String(7), nullable=False),
        sa.Column("rule_id", sa.String(48), nullable=False),
        sa.Column("rule_name", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("grade", sa.String(4), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("subject_name", sa.String(200), nullable=True),
        sa.Column("region_code", sa.String(6), nullable=True),
        sa.Column("chain_id", sa.String(48), nullable=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("grade_period", sa.String(7), nullable=False),
        sa.Column("last_period", sa.String(7), nullable=False),
        sa.Column("ended_period", sa.String(7), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("assignee", sa.String(100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.UniqueConstraint("condition_key", "episode", name="uq_alerts_condition_key"),
    )
    for column in (
        "condition_key",
        "rule_id",
        "grade",
        "scope",
        "subject",
        "region_code",
        "chain_id",
        "period",
        "status",
    ):
        op.create_index(f"ix_alerts_{column}", "alerts", [column])
    op.create_table(
        "alert_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(8), nullable=False),
        sa.Column("actor", sa.String(100), nullable=True),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("assignee", sa.String(100), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_alert_events"),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name="fk_alert_events_alert_id_alerts",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_alert_events_alert_id", "alert_events", ["alert_id"])


def downgrade() -> None:
    op.drop_table("alert_events")
    op.drop_table("alerts")
