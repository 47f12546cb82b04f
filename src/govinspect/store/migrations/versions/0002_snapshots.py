"""snapshots: crawls and the fetched pages of each crawl

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crawls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawls")),
    )
    with op.batch_alter_table("crawls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crawls_status"), ["status"], unique=False)

    op.create_table(
        "snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("crawl_id", sa.Integer(), nullable=True),
        sa.Column("site_code", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("url_hash", sa.String(length=40), nullable=False),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=20), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=True),
        sa.Column("declared_charset", sa.String(length=40), nullable=True),
        sa.Column("encoding", sa.String(length=40), nullable=True),
        sa.Column("body_sha256", sa.String(length=64), nullable=True),
        sa.Column("body_size", sa.Integer(), nullable=True),
        sa.Column("not_modified", sa.Boolean(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("elapsed_ms", sa.Integer(), nullable=True),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("referrer", sa.Text(), nullable=True),
        sa.Column("etag", sa.String(length=500), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["crawl_id"], ["crawls.id"], name=op.f("fk_snapshots_crawl_id_crawls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snapshots")),
    )
    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.create_index("ix_snapshots_site_code_url_hash", ["site_code", "url_hash"], unique=False)
        batch_op.create_index("ix_snapshots_crawl_id_site_code", ["crawl_id", "site_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_snapshots_error"), ["error"], unique=False)
        batch_op.create_index(batch_op.f("ix_snapshots_body_sha256"), ["body_sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_snapshots_body_sha256"))
        batch_op.drop_index(batch_op.f("ix_snapshots_error"))
        batch_op.drop_index("ix_snapshots_crawl_id_site_code")
        batch_op.drop_index("ix_snapshots_site_code_url_hash")
    op.drop_table("snapshots")
    with op.batch_alter_table("crawls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crawls_status"))
    op.drop_table("crawls")
