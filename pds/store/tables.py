"""The database schema (SQLAlchemy Core). Every table is keyed by pod.

Alembic migrations in ``migrations/versions`` create and evolve these tables; this module is
the description the code queries against and must match the latest migration.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa


class UTCDateTime(sa.TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite hands back naive values)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(dt.UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


metadata = sa.MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ix": "ix_%(table_name)s_%(column_0_label)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

pods = sa.Table(
    "pods",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("base_url", sa.String(512), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("claimed_at", UTCDateTime),
    sa.Column("owner_password_hash", sa.String(256)),
    sa.Column("setup_code_hash", sa.String(64)),
    sa.Column("setup_code_expires_at", UTCDateTime),
    # Customer-level settings (terms, display name...) as a JSON object.
    sa.Column("settings", sa.JSON, nullable=False, default=dict),
)

resources = sa.Table(
    "resources",
    metadata,
    sa.Column(
        "pod_id", sa.String(64), sa.ForeignKey("pods.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("path", sa.String(1024), primary_key=True),
    sa.Column("media_type", sa.String(64), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("etag", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column(
        "pod_id", sa.String(64), sa.ForeignKey("pods.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    # SHA-256 of the secret part: tokens are 256-bit random, so a slow hash adds nothing.
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_used_at", UTCDateTime),
    sa.Column("revoked_at", UTCDateTime),
)

audit_events = sa.Table(
    "audit_events",
    metadata,
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
    # Never the data itself nor any token: only what the customer needs to understand the event.
    sa.Column("detail", sa.JSON, nullable=False, default=dict),
    sa.Index("ix_audit_events_pod_at", "pod_id", "at"),
)

EXPORTED_TABLES = (api_tokens, audit_events)
"""Pod-keyed tables copied as JSON rows by export/import (resources travel as RDF)."""
