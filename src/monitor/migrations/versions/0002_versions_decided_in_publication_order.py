"""Article versions remember when their observations were decided (publication order).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import monitor.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("article_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decided_at", monitor.models.UTCDateTime(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_article_versions_decided_at"), ["decided_at"], unique=False
        )
    # Versions stored before this revision were decided when they were stored.
    op.execute("UPDATE article_versions SET decided_at = fetched_at")


def downgrade() -> None:
    with op.batch_alter_table("article_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_versions_decided_at"))
        batch_op.drop_column("decided_at")
