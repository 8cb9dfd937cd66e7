"""Errors the store raises; the server maps them to HTTP problems."""


class StoreError(Exception):
    """Base class of store errors."""


class NotFound(StoreError):
    """No row at that key."""


class AlreadyExists(StoreError):
    """A row already exists where the caller asked to create one."""


class PreconditionFailed(StoreError):
    """A compare-and-swap lost: the row changed since the caller read it."""
