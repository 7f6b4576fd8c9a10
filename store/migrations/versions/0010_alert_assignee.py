"""alert assignment: the person who handles an alert, the note left for them, who assigned it and when

Revision ID: 0010_alert_assignee
Revises: 0009_routing
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

from store.types import UTCDateTime

revision = "0010_alert_assignee"
down_revision = "0009_routing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assignee", AutoString(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("note", AutoString(length=2000), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("assigned_by", AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column("assigned_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_column("assigned_at")
        batch_op.drop_column("assigned_by")
        batch_op.drop_column("note")
        batch_op.drop_column("assignee")
