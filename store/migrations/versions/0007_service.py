"""service across hosts: the scheduler lease row, run attempts, fencing tokens, coalesced ticks

Revision ID: 0007_service
Revises: 0006_crawl_isolation
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007_service"
down_revision = "0006_crawl_isolation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduler_lease",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("host", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("renewed_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("job_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("lease_generation", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("coalesced", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.drop_constraint("uq_job_run_tick", type_="unique")
        batch_op.create_unique_constraint("uq_job_run_attempt", ["job", "tick", "attempt"])
        batch_op.create_index("ix_job_run_status", ["status"], unique=False)
    # Runs left "running" by the previous scheduler (host-local bookkeeping) are
    # closed by the first leader of the new kind: they carry no lease generation.


def downgrade() -> None:
    op.execute("DELETE FROM job_run WHERE attempt > 1")
    with op.batch_alter_table("job_run", schema=None) as batch_op:
        batch_op.drop_index("ix_job_run_status")
        batch_op.drop_constraint("uq_job_run_attempt", type_="unique")
        batch_op.create_unique_constraint("uq_job_run_tick", ["job", "tick"])
        batch_op.drop_column("coalesced")
        batch_op.drop_column("lease_generation")
        batch_op.drop_column("attempt")
    op.drop_table("scheduler_lease")
