"""plans: run plans (抽查/复查) and their sites; runs.plan_id

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("ratio", sa.String(length=20), nullable=True),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.Column("strata", sa.JSON(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("include_failed_from", sa.String(length=10), nullable=True),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("totals", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
    )
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plans_period"), ["period"], unique=False)

    op.create_table(
        "plan_sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("site_code", sa.String(length=10), nullable=False),
        sa.Column("stratum", sa.JSON(), nullable=False),
        sa.Column("portal", sa.Boolean(), nullable=False),
        sa.Column("recheck", sa.Boolean(), nullable=False),
        sa.Column("drawn", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_sites_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_plan_sites_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_sites")),
        sa.UniqueConstraint("plan_id", "site_id", name="uq_plan_sites_plan_id_site_id"),
    )
    with op.batch_alter_table("plan_sites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_sites_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_plan_sites_site_id"), ["site_id"], unique=False)

    # On SQLite the reference goes inline in ADD COLUMN: SQLite cannot add a constraint to an existing table,
    # and rebuilding ``runs`` (batch mode) would drop it under PRAGMA foreign_keys=ON, cascading into
    # site_results. PostgreSQL adds the constraint under its conventional name.
    op.add_column(
        "runs",
        sa.Column(
            "plan_id",
            sa.Integer(),
            sa.ForeignKey("plans.id", name="fk_runs_plan_id_plans", ondelete="SET NULL"),
            nullable=True,
        ),
        inline_references=op.get_bind().dialect.name == "sqlite",
    )
    op.create_index(op.f("ix_runs_plan_id"), "runs", ["plan_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_runs_plan_id"), table_name="runs")
    # A plain DROP COLUMN (SQLite >= 3.35 drops a column-level reference with it): no rebuild, no cascade.
    op.drop_column("runs", "plan_id")
    with op.batch_alter_table("plan_sites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_sites_site_id"))
        batch_op.drop_index(batch_op.f("ix_plan_sites_plan_id"))
    op.drop_table("plan_sites")
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plans_period"))
    op.drop_table("plans")
