"""Signing keys are published before they sign: the time each key starts signing.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UTCDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("signing_keys") as batch:
        batch.add_column(sa.Column("signs_from", UTCDateTime))
    # Keys made so far signed from the moment they were made.
    op.execute("UPDATE signing_keys SET signs_from = created_at")
    with op.batch_alter_table("signing_keys") as batch:
        batch.alter_column("signs_from", existing_type=UTCDateTime, nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("signing_keys") as batch:
        batch.drop_column("signs_from")
