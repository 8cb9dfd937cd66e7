"""Access requests remember the network they came from, to cap floods per client.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("access_requests") as batch:
        batch.add_column(sa.Column("client", sa.String(64)))
        batch.create_index("ix_access_requests_pod_client", ["pod_id", "client", "created_at"])


def downgrade() -> None:
    with op.batch_alter_table("access_requests") as batch:
        batch.drop_index("ix_access_requests_pod_client")
        batch.drop_column("client")
