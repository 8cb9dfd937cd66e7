"""Persistence: pods, RDF resource rows, owner tokens and audit events, on SQLite or PostgreSQL.

Callers open a transaction with ``Store.begin()`` and pass the connection to the functions of
``pods``, ``resources``, ``tokens`` and ``audit``. Nothing here knows about HTTP.
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
