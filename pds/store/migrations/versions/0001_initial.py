"""Pods, resources, owner API tokens and the audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

# Migrations are frozen history: they spell types out rather than import today's tables.
UTCDateTime = sa.DateTime(timezone=True)

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _pod_fk() -> sa.Column:
    return sa.Column(
        "pod_id", sa.String(64), sa.ForeignKey("pods.id", ondelete="CASCADE"), primary_key=True
    )


def upgrade() -> None:
    op.create_table(
        "pods",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("base_url", sa.String(512), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("claimed_at", UTCDateTime),
        sa.Column("owner_password_hash", sa.String(256)),
        sa.Column("setup_code_hash", sa.String(64)),
        sa.Column("setup_code_expires_at", UTCDateTime),
        sa.Column("settings", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pods"),
        sa.UniqueConstraint("base_url", name="uq_pods_base_url"),
    )
    op.create_table(
        "resources",
        _pod_fk(),
        sa.Column("path", sa.String(1024), primary_key=True),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("etag", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "api_tokens",
        _pod_fk(),
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("last_used_at", UTCDateTime),
        sa.Column("revoked_at", UTCDateTime),
    )
    op.create_table(
        "audit_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column(
            "pod_id", sa.String(64), sa.ForeignKey("pods.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("resource", sa.String(1024)),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index("ix_audit_events_pod_at", "audit_events", ["pod_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_pod_at", table_name="audit_events")
    for table in ("audit_events", "api_tokens", "resources", "pods"):
        op.drop_table(table)
