"""security: server-side web sessions, login throttle, API token scopes, secret rotation

Revision ID: 0005_security
Revises: 0004_report_snapshot

* ``web_session``: one row per signed-in browser (the cookie holds a random
  id, the row its SHA-256), deleted on logout, password change and
  deactivation; ``expires_at`` is fixed at sign-in.
* ``login_failure``: failed sign-ins (hashed normalised name, hashed
  address), so throttling holds across web workers.
* ``secret_rotation``: generation and salt of rotatable derived secrets
  (the webhook secret); no secret is stored.
* ``api_token.scope``: ``read`` | ``review`` | ``admin``. Tokens created
  before this revision become ``read``: they carried their user's whole
  role, which is exactly what this revision ends; create a ``review`` token
  for a CRM that decides suggestions.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import store.types

revision = "0005_security"
down_revision = "0004_report_snapshot"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("scope", sa.String(length=16), server_default="read", nullable=False)
        )

    op.create_table(
        "web_session",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id_hash"),
    )
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.create_index("ix_web_session_user", ["user_id"], unique=False)

    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("ip_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.create_index("ix_login_failure_name", ["name_hash", "at"], unique=False)
        batch_op.create_index("ix_login_failure_at", ["at"], unique=False)

    op.create_table(
        "secret_rotation",
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("salt", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("rotated_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rotated_by", sqlmodel.sql.sqltypes.AutoString(length=150), nullable=False),
        sa.PrimaryKeyConstraint("purpose"),
    )


def downgrade() -> None:
    op.drop_table("secret_rotation")
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failure_at")
        batch_op.drop_index("ix_login_failure_name")
    op.drop_table("login_failure")
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.drop_index("ix_web_session_user")
    op.drop_table("web_session")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("scope")
