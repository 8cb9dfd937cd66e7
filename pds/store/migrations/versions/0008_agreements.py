"""IEEE 7012 agreements: the vendor's answer on each access request, the agreement a grant and
a published intent carry, and the signed record of every agreement interaction.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UTCDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("access_requests") as batch:
        batch.add_column(sa.Column("agreement", sa.JSON(none_as_null=True)))
    with op.batch_alter_table("grants") as batch:
        batch.add_column(sa.Column("agreement", sa.String(32)))
    with op.batch_alter_table("intents") as batch:
        batch.add_column(sa.Column("agreement", sa.String(32)))
    op.create_table(
        "agreement_records",
        sa.Column(
            "pod_id",
            sa.String(64),
            sa.ForeignKey("pods.id", ondelete="CASCADE", name="fk_agreement_records_pod_id_pods"),
            nullable=False,
        ),
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("request_id", sa.String(32), nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("interaction", sa.String(16), nullable=False),
        sa.Column("vendor_id", sa.String(64), nullable=False),
        sa.Column("agreement", sa.String(32)),
        sa.Column("status", sa.String(128), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("signed", sa.Text, nullable=False),
        sa.Column("vendor_signed", sa.Text),
        sa.PrimaryKeyConstraint("pod_id", "id", name="pk_agreement_records"),
        sa.UniqueConstraint("pod_id", "request_id", "sequence", name="uq_agreement_records_step"),
    )
    op.create_index("ix_agreement_records_pod_at", "agreement_records", ["pod_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_agreement_records_pod_at", "agreement_records")
    op.drop_table("agreement_records")
    with op.batch_alter_table("intents") as batch:
        batch.drop_column("agreement")
    with op.batch_alter_table("grants") as batch:
        batch.drop_column("agreement")
    with op.batch_alter_table("access_requests") as batch:
        batch.drop_column("agreement")
