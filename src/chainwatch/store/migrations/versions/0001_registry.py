"""Enterprise registry and ingest batches.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_batches",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("file", sa.String(500), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("loaded", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ingest_batches"),
    )
    op.create_index("ix_ingest_batches_kind", "ingest_batches", ["kind"])
    op.create_index("ix_ingest_batches_sha256", "ingest_batches", ["sha256"])
    op.create_table(
        "enterprises",
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("industry_code", sa.String(5), nullable=False),
        sa.Column("scale", sa.String(8), nullable=True),
        sa.Column("land_area_mu", sa.Numeric(14, 2), nullable=True),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("founded_on", sa.Date(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("business_scope", sa.Text(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("uscc", name="pk_enterprises"),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["ingest_batches.id"], name="fk_enterprises_batch_id_ingest_batches"
        ),
    )
    op.create_index("ix_enterprises_name", "enterprises", ["name"])
    op.create_index("ix_enterprises_region_code", "enterprises", ["region_code"])
    op.create_index("ix_enterprises_industry_code", "enterprises", ["industry_code"])
    op.create_index("ix_enterprises_batch_id", "enterprises", ["batch_id"])


def downgrade() -> None:
    op.drop_table("enterprises")
    op.drop_table("ingest_batches")
