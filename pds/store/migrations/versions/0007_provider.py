"""Provider mode: suspended pods, per-pod quotas, failed notifications, keys led by the pod.

Every primary key and unique constraint now starts with (or holds) pod_id on PostgreSQL, so a
provider can distribute the tables by pod (Citus) with `pods` as a reference table. SQLite keeps
its rowid keys for the two logs: it is one pod's file, never sharded.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UTCDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("pods") as batch:
        batch.add_column(sa.Column("suspended_at", UTCDateTime))
        batch.add_column(sa.Column("quota_bytes", sa.BigInteger))
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("failed_at", UTCDateTime))
    with op.batch_alter_table("intents") as batch:
        batch.drop_constraint("uq_intents_public_id", type_="unique")
        batch.drop_constraint("uq_intents_reply_token", type_="unique")
        batch.create_unique_constraint("uq_intents_public_id", ["pod_id", "public_id"])
        batch.create_unique_constraint("uq_intents_reply_token", ["pod_id", "reply_token"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table in ("audit_events", "notifications"):
            old = sa.inspect(bind).get_pk_constraint(table)["name"]
            op.execute(
                f'ALTER TABLE {table} DROP CONSTRAINT "{old}", '
                f"ADD CONSTRAINT pk_{table} PRIMARY KEY (pod_id, id)"
            )
    _name_primary_keys(bind)


def _name_primary_keys(bind: sa.Connection) -> None:
    """Earlier scripts let the database name most primary keys (`<table>_pkey` on PostgreSQL,
    none on SQLite) where a new database names them `pk_<table>`: name them alike, so that a
    later script can address a key by name on every database."""
    inspector = sa.inspect(bind)
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        key = inspector.get_pk_constraint(table)
        if key["name"] == f"pk_{table}" or not key["constrained_columns"]:
            continue
        if bind.dialect.name == "postgresql":
            op.execute(f'ALTER TABLE {table} RENAME CONSTRAINT "{key["name"]}" TO pk_{table}')
        else:  # SQLite names a key only in the table's definition: rebuild it
            with op.batch_alter_table(table, recreate="always") as batch:
                batch.create_primary_key(f"pk_{table}", key["constrained_columns"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("audit_events", "notifications"):
            op.execute(
                f"ALTER TABLE {table} DROP CONSTRAINT pk_{table}, "
                f"ADD CONSTRAINT pk_{table} PRIMARY KEY (id)"
            )
    with op.batch_alter_table("intents") as batch:
        batch.drop_constraint("uq_intents_public_id", type_="unique")
        batch.drop_constraint("uq_intents_reply_token", type_="unique")
        batch.create_unique_constraint("uq_intents_public_id", ["public_id"])
        batch.create_unique_constraint("uq_intents_reply_token", ["reply_token"])
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("failed_at")
    with op.batch_alter_table("pods") as batch:
        batch.drop_column("quota_bytes")
        batch.drop_column("suspended_at")
