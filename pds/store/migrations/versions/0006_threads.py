"""Conversations between the customer and vendors: threads and their messages.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UTCDateTime = sa.DateTime(timezone=True)


def _pod_id() -> sa.Column:
    return sa.Column(
        "pod_id",
        sa.String(64),
        sa.ForeignKey("pods.id", ondelete="CASCADE"),
        primary_key=True,
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "threads",
        _pod_id(),
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("vendor_id", sa.String(64), nullable=False),
        sa.Column("vendor", sa.JSON, nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("started_by", sa.String(16), nullable=False),
        sa.Column("offer_id", sa.String(32)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("customer_read_at", UTCDateTime),
        sa.UniqueConstraint("pod_id", "offer_id", name="uq_threads_offer"),
    )
    op.create_index("ix_threads_pod_vendor", "threads", ["pod_id", "vendor_id"])
    op.create_table(
        "thread_messages",
        _pod_id(),
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("thread_id", sa.String(32), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("signed", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index(
        "ix_thread_messages_thread", "thread_messages", ["pod_id", "thread_id", "created_at"]
    )
    op.create_index(
        "ix_thread_messages_author", "thread_messages", ["pod_id", "author", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_thread_messages_author", "thread_messages")
    op.drop_index("ix_thread_messages_thread", "thread_messages")
    op.drop_table("thread_messages")
    op.drop_index("ix_threads_pod_vendor", "threads")
    op.drop_table("threads")
