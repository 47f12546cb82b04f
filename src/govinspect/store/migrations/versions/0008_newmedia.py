"""newmedia: account settings (menu, sources), collected posts, source states, new-media runs and results

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "newmedia_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_pk", sa.Integer(), nullable=False),
        sa.Column("menu", sa.JSON(), nullable=True),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_pk"],
            ["accounts.id"],
            name=op.f("fk_newmedia_settings_account_pk_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newmedia_settings")),
        sa.UniqueConstraint("account_pk", name=op.f("uq_newmedia_settings_account_pk")),
    )
    op.create_table(
        "newmedia_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("post_key", sa.String(length=40), nullable=False),
        sa.Column("post_id", sa.String(length=200), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newmedia_posts")),
        sa.UniqueConstraint(
            "platform", "account_id", "post_key", name="uq_newmedia_posts_platform_account_id_post_key"
        ),
    )
    op.create_index("ix_newmedia_posts_platform_account_id", "newmedia_posts", ["platform", "account_id"])
    op.create_table(
        "newmedia_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("url_hash", sa.String(length=40), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=40), nullable=True),
        sa.Column("etag", sa.String(length=500), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("closed_text", sa.String(length=200), nullable=True),
        sa.Column("attempts", sa.JSON(), nullable=False),
        sa.Column("first_fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newmedia_sources")),
        sa.UniqueConstraint(
            "platform", "account_id", "kind", "url_hash", name="uq_newmedia_sources_identity"
        ),
    )
    op.create_table(
        "newmedia_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("profile", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newmedia_runs")),
    )
    op.create_index(op.f("ix_newmedia_runs_period"), "newmedia_runs", ["period"])
    op.create_index(op.f("ix_newmedia_runs_status"), "newmedia_runs", ["status"])
    op.create_table(
        "account_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("account_pk", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("verdict", sa.String(length=10), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("vetoes", sa.JSON(), nullable=False),
        sa.Column("fired", sa.JSON(), nullable=False),
        sa.Column("deductions", sa.JSON(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["newmedia_runs.id"],
            name=op.f("fk_account_results_run_id_newmedia_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_pk"],
            ["accounts.id"],
            name=op.f("fk_account_results_account_pk_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_results")),
        sa.UniqueConstraint(
            "run_id", "platform", "account_id", name="uq_account_results_run_id_platform_account_id"
        ),
    )
    op.create_index(op.f("ix_account_results_run_id"), "account_results", ["run_id"])
    op.create_index(op.f("ix_account_results_account_pk"), "account_results", ["account_pk"])
    op.create_table(
        "account_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("check", sa.String(length=60), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("raw_severity", sa.String(length=10), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["account_results.id"],
            name=op.f("fk_account_findings_result_id_account_results"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_findings")),
    )
    op.create_index(op.f("ix_account_findings_check"), "account_findings", ["check"])
    op.create_index(op.f("ix_account_findings_result_id"), "account_findings", ["result_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_account_findings_result_id"), table_name="account_findings")
    op.drop_index(op.f("ix_account_findings_check"), table_name="account_findings")
    op.drop_table("account_findings")
    op.drop_index(op.f("ix_account_results_account_pk"), table_name="account_results")
    op.drop_index(op.f("ix_account_results_run_id"), table_name="account_results")
    op.drop_table("account_results")
    op.drop_index(op.f("ix_newmedia_runs_status"), table_name="newmedia_runs")
    op.drop_index(op.f("ix_newmedia_runs_period"), table_name="newmedia_runs")
    op.drop_table("newmedia_runs")
    op.drop_table("newmedia_sources")
    op.drop_index("ix_newmedia_posts_platform_account_id", table_name="newmedia_posts")
    op.drop_table("newmedia_posts")
    op.drop_table("newmedia_settings")
