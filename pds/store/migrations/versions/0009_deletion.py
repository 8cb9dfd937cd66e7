"""Stop and delete: the customer's request that a vendor delete what a grant let it hold, the
vendor's signed acknowledgement, and the pod's signed receipt for it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-20
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UTCDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("grants") as batch:
        batch.add_column(sa.Column("deletion_requested_at", UTCDateTime))
        batch.add_column(sa.Column("deletion_acknowledged_at", UTCDateTime))
        batch.add_column(sa.Column("deletion_ack", sa.Text))
        batch.add_column(sa.Column("deletion_receipt", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("grants") as batch:
        batch.drop_column("deletion_receipt")
        batch.drop_column("deletion_ack")
        batch.drop_column("deletion_acknowledged_at")
        batch.drop_column("deletion_requested_at")
