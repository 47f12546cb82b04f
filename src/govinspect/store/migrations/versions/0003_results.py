"""results: runs, site results, findings, column overrides

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 08:45:01.980359
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "column_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_code", sa.String(length=10), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("column_class", sa.String(length=40), nullable=True),
        sa.Column("max_age_days", sa.Integer(), nullable=True),
        sa.Column("ignore", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_column_overrides")),
        sa.UniqueConstraint("site_code", "url", name="uq_column_overrides_site_code_url"),
    )
    with op.batch_alter_table("column_overrides", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_column_overrides_site_code"), ["site_code"], unique=False)

    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("profile", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("crawl_id", sa.Integer(), nullable=True),
        sa.Column("source_run_id", sa.Integer(), nullable=True),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["crawl_id"], ["crawls.id"], name=op.f("fk_runs_crawl_id_crawls"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["source_run_id"], ["runs.id"], name=op.f("fk_runs_source_run_id_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_runs_period"), ["period"], unique=False)
        batch_op.create_index(batch_op.f("ix_runs_status"), ["status"], unique=False)

    op.create_table(
        "site_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("site_code", sa.String(length=10), nullable=False),
        sa.Column("verdict", sa.String(length=10), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("part2", sa.Float(), nullable=True),
        sa.Column("part3", sa.Float(), nullable=True),
        sa.Column("vetoes", sa.JSON(), nullable=False),
        sa.Column("fired", sa.JSON(), nullable=False),
        sa.Column("deductions", sa.JSON(), nullable=False),
        sa.Column("has_services", sa.Boolean(), nullable=False),
        sa.Column("model", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_site_results_run_id_runs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_site_results_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_results")),
        sa.UniqueConstraint("run_id", "site_id", name="uq_site_results_run_id_site_id"),
    )
    with op.batch_alter_table("site_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_site_results_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_site_results_site_code"), ["site_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_site_results_site_id"), ["site_id"], unique=False)

    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("check", sa.String(length=60), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("raw_severity", sa.String(length=10), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["site_results.id"],
            name=op.f("fk_findings_result_id_site_results"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_findings_check"), ["check"], unique=False)
        batch_op.create_index(batch_op.f("ix_findings_result_id"), ["result_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_findings_result_id"))
        batch_op.drop_index(batch_op.f("ix_findings_check"))

    op.drop_table("findings")
    with op.batch_alter_table("site_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_site_results_site_id"))
        batch_op.drop_index(batch_op.f("ix_site_results_site_code"))
        batch_op.drop_index(batch_op.f("ix_site_results_run_id"))

    op.drop_table("site_results")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_runs_status"))
        batch_op.drop_index(batch_op.f("ix_runs_period"))

    op.drop_table("runs")
    with op.batch_alter_table("column_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_column_overrides_site_code"))

    op.drop_table("column_overrides")
