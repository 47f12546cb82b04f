"""probes: availability probes of each site's homepage, from one or more vantage points

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "probes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("site_code", sa.String(length=10), nullable=False),
        sa.Column("vantage", sa.String(length=64), nullable=False),
        sa.Column("probed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=20), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_probes")),
    )
    op.create_index("ix_probes_site_code_probed_at", "probes", ["site_code", "probed_at"], unique=False)
    op.create_index("ix_probes_probed_at", "probes", ["probed_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_probes_probed_at", table_name="probes")
    op.drop_index("ix_probes_site_code_probed_at", table_name="probes")
    op.drop_table("probes")
