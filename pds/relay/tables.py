"""The relay's own schema (SQLAlchemy Core), made with `create_all` when the relay starts.

Nothing here is shared with the pod: the tables are the relay's, prefixed `relay_`, so that an
operator may even keep them in a database that also holds pods. What is stored is the least the
relay needs (docs/relay.md §9): the anonymous intent, its forwarding address and reply token,
vendors' subscriptions, notices waiting for delivery, used JWS ids, and per-hour counters.
"""

from __future__ import annotations

import sqlalchemy as sa

from pds.store.tables import UTCDateTime

metadata = sa.MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "ix": "ix_%(table_name)s_%(column_0_label)s",
    }
)

_BIG_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")

keys = sa.Table(
    "relay_keys",
    metadata,
    # One row, slot 1: the relay's Ed25519 signing key, made on first start.
    sa.Column("slot", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("kid", sa.String(64), nullable=False),
    sa.Column("private_pem", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

announcements = sa.Table(
    "relay_announcements",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("intent_id", sa.String(96), nullable=False, unique=True),  # urn:pds:intent:...
    sa.Column("intent", sa.Text, nullable=False),  # the intent as announced, JSON, no reply_to
    # "/166/1604/" style: the category's notation and those of every broader category.
    sa.Column("category_path", sa.String(256), nullable=False),
    sa.Column("country", sa.String(2)),  # near.country, or NULL: matches every country
    sa.Column("key_thumbprint", sa.String(43), nullable=False),  # the per-intent key
    sa.Column("forward_to", sa.String(2048), nullable=False),
    sa.Column("reply_token", sa.String(64), nullable=False, unique=True),
    sa.Column("announced_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),  # the end of offers_until, UTC
    sa.Index("ix_relay_announcements_expires_at", "expires_at"),
    sa.Index("ix_relay_announcements_announced_at", "announced_at"),
)

# Where polls of an offer's decision go, kept after the intent itself is forgotten (withdrawn or
# past its last day): vendors learn the customer's answer to offers made while it was open.
# Only the reply token and the pod's reply address: nothing of the intent.
routes = sa.Table(
    "relay_routes",
    metadata,
    sa.Column("reply_token", sa.String(64), primary_key=True),
    sa.Column("forward_to", sa.String(2048), nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),  # the intent's end + DECISION_DAYS
    sa.Index("ix_relay_routes_expires_at", "expires_at"),
)

subscriptions = sa.Table(
    "relay_subscriptions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("vendor_id", sa.String(43), nullable=False),  # thumbprint of the vendor's key
    sa.Column("categories", sa.String(512), nullable=False),  # "/916/222/" style
    sa.Column("countries", sa.String(256), nullable=False),  # "/GB/FR/", or "" for any
    sa.Column("callback", sa.String(2048), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Index("ix_relay_subscriptions_vendor_id", "vendor_id"),
    sa.Index("ix_relay_subscriptions_expires_at", "expires_at"),
)

outbox = sa.Table(
    "relay_outbox",
    metadata,
    sa.Column("id", _BIG_ID, primary_key=True, autoincrement=True),
    sa.Column(
        "announcement_id",
        sa.String(32),
        sa.ForeignKey("relay_announcements.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column(
        "subscription_id",
        sa.String(32),
        sa.ForeignKey("relay_subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # the signed notice, resent unchanged
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Index("ix_relay_outbox_next_attempt_at", "next_attempt_at"),
    sa.Index("ix_relay_outbox_announcement_id", "announcement_id"),
    sa.Index("ix_relay_outbox_subscription_id", "subscription_id"),
)

replay = sa.Table(
    "relay_replay",
    metadata,
    # SHA-256 of (typ, key thumbprint, jti): each signed request is accepted once.
    sa.Column("jws_hash", sa.String(64), primary_key=True),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Index("ix_relay_replay_expires_at", "expires_at"),
)

rate = sa.Table(
    "relay_rate",
    metadata,
    # A keyed hash of (what, network) with a secret that lives only in the server's memory:
    # the counters cannot be turned back into addresses, nor linked to what was announced.
    sa.Column("bucket", sa.String(64), primary_key=True),
    sa.Column("window_start", UTCDateTime, primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
)
