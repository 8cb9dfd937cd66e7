"""Intents the customer published, where they were announced, and the offers they got.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
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
        "intents",
        _pod_id(),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("public_id", sa.String(32), nullable=False),
        sa.Column("reply_token", sa.String(43), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("published_at", UTCDateTime, nullable=False),
        sa.Column("closed_at", UTCDateTime),
        sa.Column("relay_key", sa.Text, nullable=False),
        sa.UniqueConstraint("public_id", name="uq_intents_public_id"),
        sa.UniqueConstraint("reply_token", name="uq_intents_reply_token"),
    )
    op.create_table(
        "intent_announcements",
        _pod_id(),
        sa.Column("intent_id", sa.String(64), primary_key=True),
        sa.Column("relay", sa.String(512), primary_key=True),
        sa.Column("announcement_id", sa.String(64)),
        sa.Column("reply_url", sa.String(2048)),
        sa.Column("withdraw_url", sa.String(2048)),
        sa.Column("announced_at", UTCDateTime),
        sa.Column("withdrawn_at", UTCDateTime),
        sa.Column("error", sa.String(500)),
    )
    op.create_table(
        "offers",
        _pod_id(),
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("intent_id", sa.String(64), nullable=False),
        sa.Column("vendor_id", sa.String(64), nullable=False),
        sa.Column("vendor_jwk", sa.JSON, nullable=False),
        sa.Column("vendor", sa.JSON, nullable=False),
        sa.Column("offer", sa.JSON, nullable=False),
        sa.Column("client", sa.String(64)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.Column("decided_at", UTCDateTime),
        sa.Column("request_id", sa.String(32)),
    )
    op.create_index("ix_offers_pod_intent", "offers", ["pod_id", "intent_id", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_offers_pod_intent", "offers")
    op.drop_table("offers")
    op.drop_table("intent_announcements")
    op.drop_table("intents")
