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


def _pod_id(*, primary_key: bool) -> sa.Column:
    """Every table is keyed by pod; rows go when their pod goes."""
    return sa.Column(
        "pod_id",
        sa.String(64),
        sa.ForeignKey("pods.id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


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
    sa.Column("suspended_at", UTCDateTime),  # by the provider: the pod answers nothing meanwhile
    sa.Column("quota_bytes", sa.BigInteger),  # storage for documents; None: the server's default
)

resources = sa.Table(
    "resources",
    metadata,
    _pod_id(primary_key=True),
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
    _pod_id(primary_key=True),
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
    _pod_id(primary_key=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("resource", sa.String(1024)),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("grant_id", sa.String(32)),  # added in 0002
    # Never the data itself nor any token: only what the customer needs to understand the event.
    sa.Column("detail", sa.JSON, nullable=False, default=dict),
    sa.Index("ix_audit_events_pod_at", "pod_id", "at"),
)


signing_keys = sa.Table(
    "signing_keys",
    metadata,
    _pod_id(primary_key=True),
    sa.Column("kid", sa.String(64), primary_key=True),
    sa.Column("alg", sa.String(16), nullable=False),
    # PKCS#8 PEM. The database is the pod's vault: whoever reads it reads the data anyway.
    sa.Column("private_pem", sa.Text, nullable=False),
    sa.Column("public_jwk", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),  # published from then on
    # Signing starts only once every server and JWKS cache has had time to publish the key.
    sa.Column("signs_from", UTCDateTime, nullable=False),  # added in 0003
    # Retired keys sign nothing new but stay published while grants they signed are in force.
    sa.Column("retired_at", UTCDateTime),
)

access_requests = sa.Table(
    "access_requests",
    metadata,
    _pod_id(primary_key=True),
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("vendor_id", sa.String(64), nullable=False),
    sa.Column("vendor_jwk", sa.JSON, nullable=False),
    sa.Column("vendor", sa.JSON, nullable=False),  # self-declared name, homepage, contact
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("purpose", sa.JSON, nullable=False),
    sa.Column("duration_seconds", sa.Integer, nullable=False),
    sa.Column("terms", sa.JSON, nullable=False),
    sa.Column("callback", sa.String(2048)),
    sa.Column("status", sa.String(16), nullable=False),  # pending, approved, denied
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("decided_at", UTCDateTime),
    sa.Column("grant_id", sa.String(32)),
    # The network the request came from (an IPv4 address, an IPv6 /64): floods are capped by it.
    sa.Column("client", sa.String(64)),
    # The vendor's answer to the customer's IEEE 7012 agreement (0008), NULL when it gave none.
    sa.Column("agreement", sa.JSON(none_as_null=True)),
    sa.Index("ix_access_requests_pod_status", "pod_id", "status"),
    sa.Index("ix_access_requests_pod_client", "pod_id", "client", "created_at"),
)

grants = sa.Table(
    "grants",
    metadata,
    _pod_id(primary_key=True),
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
    sa.Column("revoked_by", sa.String(16)),  # owner or vendor (given back)
    sa.Column("status_index", sa.Integer, nullable=False),
    sa.Column("kid", sa.String(64), nullable=False),
    # The grant is bound to the vendor's key (cnf.jkt): useless to anyone without that key.
    sa.Column("token", sa.Text, nullable=False),
    sa.Column("receipt", sa.Text, nullable=False),  # signed consent receipt (compact JWS)
    sa.Column("agreement", sa.String(32)),  # the IEEE 7012 agreement agreed on (0008), if any
    # Stop and delete (0009): when the customer asked the vendor to delete what it holds; when
    # the vendor said it had, its signed acknowledgement, and the pod's signed receipt for it.
    sa.Column("deletion_requested_at", UTCDateTime),
    sa.Column("deletion_acknowledged_at", UTCDateTime),
    sa.Column("deletion_ack", sa.Text),
    sa.Column("deletion_receipt", sa.Text),
    sa.UniqueConstraint("pod_id", "status_index", name="uq_grants_pod_status_index"),
    sa.Index("ix_grants_pod_vendor", "pod_id", "vendor_id"),
)

dpop_proofs = sa.Table(
    "dpop_proofs",
    metadata,
    # SHA-256 of (key thumbprint, jti): a proof is accepted once, by any worker.
    _pod_id(primary_key=True),
    sa.Column("proof_hash", sa.String(64), primary_key=True),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Index("ix_dpop_proofs_expires_at", "expires_at"),
)

notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    _pod_id(primary_key=False),
    sa.Column("grant_id", sa.String(32), nullable=False),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # signed JWT
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("delivered_at", UTCDateTime),
    sa.Column("last_error", sa.String(500)),
    sa.Column("failed_at", UTCDateTime),  # delivery gave up: shown to the customer, not retried
    sa.Index("ix_notifications_due", "delivered_at", "next_attempt_at"),
)


def _key_led_by_pod(table: sa.Table) -> None:
    """On PostgreSQL, make the pod lead the primary key of a table with a serial id.

    A provider can then distribute every table by pod_id (Citus), `pods` being a reference
    table. SQLite keeps `id` alone: only a rowid key autoincrements there, and a SQLite file is
    never sharded. Queries never depend on which of the two the key is.
    """
    ddl = sa.DDL(
        f"ALTER TABLE {table.name} DROP CONSTRAINT pk_{table.name}, "
        f"ADD CONSTRAINT pk_{table.name} PRIMARY KEY (pod_id, id)"
    )
    sa.event.listen(table, "after_create", ddl.execute_if(dialect="postgresql"))


_key_led_by_pod(audit_events)
_key_led_by_pod(notifications)

intents = sa.Table(
    "intents",
    metadata,
    _pod_id(primary_key=True),
    sa.Column("id", sa.String(64), primary_key=True),  # the document's name under /intents/
    sa.Column("public_id", sa.String(32), nullable=False),  # what vendors see
    sa.Column("reply_token", sa.String(43), nullable=False),  # where offers go
    sa.Column("status", sa.String(16), nullable=False),  # published, paused, closed
    sa.Column("published_at", UTCDateTime, nullable=False),
    sa.Column("closed_at", UTCDateTime),
    # This intent's own key (PKCS#8 PEM) for what the pod tells relays: no two intents share one.
    sa.Column("relay_key", sa.Text, nullable=False),
    # The IEEE 7012 agreement the customer proffered when publishing it (0008).
    sa.Column("agreement", sa.String(32)),
    sa.UniqueConstraint("pod_id", "public_id", name="uq_intents_public_id"),
    sa.UniqueConstraint("pod_id", "reply_token", name="uq_intents_reply_token"),
)

intent_announcements = sa.Table(
    "intent_announcements",
    metadata,
    _pod_id(primary_key=True),
    sa.Column("intent_id", sa.String(64), primary_key=True),
    sa.Column("relay", sa.String(512), primary_key=True),  # the relay's base URL
    sa.Column("announcement_id", sa.String(64)),  # the relay's id, once it took it
    sa.Column("reply_url", sa.String(2048)),  # where vendors send offers, at the relay
    sa.Column("withdraw_url", sa.String(2048)),
    sa.Column("announced_at", UTCDateTime),
    sa.Column("withdrawn_at", UTCDateTime),
    sa.Column("error", sa.String(500)),  # why the relay refused or could not be reached
)

offers = sa.Table(
    "offers",
    metadata,
    _pod_id(primary_key=True),
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("intent_id", sa.String(64), nullable=False),
    sa.Column("vendor_id", sa.String(64), nullable=False),
    sa.Column("vendor_jwk", sa.JSON, nullable=False),
    sa.Column("vendor", sa.JSON, nullable=False),  # self-declared name, homepage, contact
    sa.Column("offer", sa.JSON, nullable=False),  # summary, price, valid until, link, terms
    sa.Column("client", sa.String(64)),  # the network it came from, to cap floods
    sa.Column("status", sa.String(16), nullable=False),  # received, shortlisted, declined, accepted
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("decided_at", UTCDateTime),
    sa.Column("request_id", sa.String(32)),  # the access request an acceptance made
    sa.Index("ix_offers_pod_intent", "pod_id", "intent_id", "received_at"),
)

threads = sa.Table(
    "threads",
    metadata,
    _pod_id(primary_key=True),
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("vendor_id", sa.String(64), nullable=False),
    sa.Column("vendor", sa.JSON, nullable=False),  # self-declared name, homepage, contact
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("started_by", sa.String(16), nullable=False),  # customer, vendor, offer
    sa.Column("offer_id", sa.String(32)),  # the offer the thread is about, if any
    sa.Column("state", sa.String(16), nullable=False),  # open, muted, closed
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),  # the last message
    sa.Column("customer_read_at", UTCDateTime),  # the customer last opened it
    sa.Index("ix_threads_pod_vendor", "pod_id", "vendor_id"),
    sa.UniqueConstraint("pod_id", "offer_id", name="uq_threads_offer"),
)

thread_messages = sa.Table(
    "thread_messages",
    metadata,
    _pod_id(primary_key=True),
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("thread_id", sa.String(32), nullable=False),
    sa.Column("author", sa.String(64), nullable=False),  # "customer" or the vendor id
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("signed", sa.Text),  # the vendor's signed message (compact JWS), as sent
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_thread_messages_thread", "pod_id", "thread_id", "created_at"),
    sa.Index("ix_thread_messages_author", "pod_id", "author", "created_at"),
)

agreement_records = sa.Table(
    "agreement_records",
    metadata,
    # Every IEEE 7012 agreement interaction (proffer, the vendor's answer, the customer's
    # decision), signed by the pod; the vendor holds the same signed record.
    _pod_id(primary_key=True),
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("request_id", sa.String(32), nullable=False),
    sa.Column("sequence", sa.Integer, nullable=False),  # 1 proffer, 2 answer, 3... decisions
    sa.Column("interaction", sa.String(16), nullable=False),  # proffer, answer, decision
    sa.Column("vendor_id", sa.String(64), nullable=False),
    sa.Column("agreement", sa.String(32)),  # the agreement the interaction is about, if any
    sa.Column("status", sa.String(128), nullable=False),  # a DPV P7012 negotiation status IRI
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("signed", sa.Text, nullable=False),  # the pod's signed record (compact JWS)
    sa.Column("vendor_signed", sa.Text),  # the vendor's own signed answer, as it sent it
    sa.UniqueConstraint("pod_id", "request_id", "sequence", name="uq_agreement_records_step"),
    sa.Index("ix_agreement_records_pod_at", "pod_id", "at"),
)


EXPORTED_TABLES = (
    api_tokens,
    audit_events,
    signing_keys,
    access_requests,
    grants,
    intents,
    intent_announcements,
    offers,
    threads,
    thread_messages,
    agreement_records,
)
"""Pod-keyed tables copied as JSON rows by export/import (resources travel as RDF).

Replay records and undelivered notifications are transient and stay behind."""
