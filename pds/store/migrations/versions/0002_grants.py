"""Vendor grants: signing keys, access requests, grants, DPoP replay records, notifications;
the grant an audit event is about.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UTCDateTime = sa.DateTime(timezone=True)


def _pod_fk(primary_key: bool = True) -> sa.Column:
    return sa.Column(
        "pod_id",
        sa.String(64),
        sa.ForeignKey("pods.id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("grant_id", sa.String(32)))
    op.create_table(
        "signing_keys",
        _pod_fk(),
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("alg", sa.String(16), nullable=False),
        sa.Column("private_pem", sa.Text, nullable=False),
        sa.Column("public_jwk", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("retired_at", UTCDateTime),
    )
    op.create_table(
        "access_requests",
        _pod_fk(),
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("vendor_id", sa.String(64), nullable=False),
        sa.Column("vendor_jwk", sa.JSON, nullable=False),
        sa.Column("vendor", sa.JSON, nullable=False),
        sa.Column("scopes", sa.JSON, nullable=False),
        sa.Column("purpose", sa.JSON, nullable=False),
        sa.Column("duration_seconds", sa.Integer, nullable=False),
        sa.Column("terms", sa.JSON, nullable=False),
        sa.Column("callback", sa.String(2048)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("decided_at", UTCDateTime),
        sa.Column("grant_id", sa.String(32)),
    )
    op.create_index("ix_access_requests_pod_status", "access_requests", ["pod_id", "status"])
    op.create_table(
        "grants",
        _pod_fk(),
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("request_id", sa.String(32), nullable=False),
        sa.Column("vendor_id", sa.String(64), nullable=False),
        sa.Column("vendor", sa.JSON, nullable=False),
        sa.Column("scopes", sa.JSON, nullable=False),
        sa.Column("purpose", sa.JSON, nullable=False),
        sa.Column("terms", sa.JSON, nullable=False),
        sa.Column("callback", sa.String(2048)),
        sa.Column("issued_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime),
        sa.Column("revoked_by", sa.String(16)),
        sa.Column("status_index", sa.Integer, nullable=False),
        sa.Column("kid", sa.String(64), nullable=False),
        sa.Column("token", sa.Text, nullable=False),
        sa.Column("receipt", sa.Text, nullable=False),
        sa.UniqueConstraint("pod_id", "status_index", name="uq_grants_pod_status_index"),
    )
    op.create_index("ix_grants_pod_vendor", "grants", ["pod_id", "vendor_id"])
    op.create_table(
        "dpop_proofs",
        _pod_fk(),
        sa.Column("proof_hash", sa.String(64), primary_key=True),
        sa.Column("expires_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_dpop_proofs_expires_at", "dpop_proofs", ["expires_at"])
    op.create_table(
        "notifications",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        _pod_fk(primary_key=False),
        sa.Column("grant_id", sa.String(32), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime, nullable=False),
        sa.Column("delivered_at", UTCDateTime),
        sa.Column("last_error", sa.String(500)),
    )
    op.create_index("ix_notifications_due", "notifications", ["delivered_at", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_notifications_due", table_name="notifications")
    op.drop_index("ix_dpop_proofs_expires_at", table_name="dpop_proofs")
    op.drop_index("ix_grants_pod_vendor", table_name="grants")
    op.drop_index("ix_access_requests_pod_status", table_name="access_requests")
    for table in ("notifications", "dpop_proofs", "grants", "access_requests", "signing_keys"):
        op.drop_table(table)
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("grant_id")
