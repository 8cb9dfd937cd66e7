"""Persistence on SQLite (embedded) or PostgreSQL (providers): one module per kind of row.

Callers (the use cases in ``pds.consent``) open a transaction with ``Store.begin()`` and pass
the connection to the functions of ``pods``, ``resources``, ``tokens``, ``keys``, ``requests``,
``grants``, ``replay``, ``outbox`` and ``audit``, which return frozen dataclasses;
``vendor_reads`` is the hot path of vendor requests. Nothing here knows about HTTP or RDF.
"""

from pds.store.engine import SchemaOutOfDate, migrate, open_engine, require_current_schema
from pds.store.errors import AlreadyExists, NotFound, PreconditionFailed, StoreError
from pds.store.store import Store

__all__ = [
    "AlreadyExists",
    "NotFound",
    "PreconditionFailed",
    "SchemaOutOfDate",
    "Store",
    "StoreError",
    "migrate",
    "open_engine",
    "require_current_schema",
]
