"""routing confidence: score, runner-up and status (routed / triage / corrected) of each mention

Revision ID: 0009_routing
Revises: 0008_matching
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0009_routing"
down_revision = "0008_matching"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_score", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("team_runner_up", AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column("team_status", AutoString(length=16), nullable=True))
        batch_op.create_index("ix_mention_team_status", ["team_status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.drop_index("ix_mention_team_status")
        batch_op.drop_column("team_status")
        batch_op.drop_column("team_runner_up")
        batch_op.drop_column("team_score")
