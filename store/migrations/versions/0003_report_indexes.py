"""covering index for report aggregates

Revision ID: 0003_report_indexes
Revises: 0001
Create Date: 2026-11-23 16:30:00

The weekly report groups a week of mentions by day, platform and sentiment,
ranks by reach, groups authors (by their keyed hash) and finds alumni; with
every column it reads in one index (``id`` included, for the "about us"
filter and the week's id range), SQLite and PostgreSQL answer from the index
alone instead of visiting each of the week's rows.
"""

from __future__ import annotations

from alembic import op

revision = "0003_report_indexes"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mention_report",
            [
                "published_at",
                "duplicate_of_id",
                "platform",
                "sentiment_label",
                "reach",
                "author_key",
                "alumnus_id",
                "id",
            ],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.drop_index("ix_mention_report")
