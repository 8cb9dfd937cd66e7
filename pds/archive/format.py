"""The archive format: its name and version, what older versions lack, and the pieces both
export and import use."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

FORMAT = "vrm-pod-export"
VERSION = 5
# The format version that first holds each table (1 unless named): an older archive had no
# such rows.
TABLE_SINCE = {
    "intents": 2,
    "intent_announcements": 2,
    "offers": 2,
    "threads": 3,
    "thread_messages": 3,
    "agreement_records": 4,
}
# The format version that first holds each column added to an older table, and what the rows
# of an older archive get: version 2 added signing keys' signs_from and access requests'
# client; version 4 the IEEE 7012 agreement of requests, grants and intents; version 5 the
# deletion a customer asked of a vendor when a grant ended, and the vendor's signed answer.
ADDED_COLUMNS: dict[int, dict[str, dict[str, Callable[[dict[str, Any]], Any]]]] = {
    2: {
        "signing_keys": {"signs_from": lambda row: row.get("created_at")},
        "access_requests": {"client": lambda row: None},
    },
    4: {
        "access_requests": {"agreement": lambda row: None},
        "grants": {"agreement": lambda row: None},
        "intents": {"agreement": lambda row: None},
    },
    5: {
        "grants": {
            "deletion_requested_at": lambda row: None,
            "deletion_acknowledged_at": lambda row: None,
            "deletion_ack": lambda row: None,
            "deletion_receipt": lambda row: None,
        },
    },
}
MAX_MEMBER_BYTES = 512 * 1024 * 1024
Progress = Callable[[int], None]


class ArchiveError(Exception):
    """The archive cannot be imported; the message says why and nothing was written."""


def generated(column: sa.Column) -> bool:
    """Autoincrement keys are renumbered on import rather than copied."""
    return column.primary_key and column.autoincrement is True


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, indent=2, ensure_ascii=False).encode()


def iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def json_member(members: dict[str, bytes], name: str, kind: type) -> Any:
    try:
        value = json.loads(members[name])
    except KeyError:
        raise ArchiveError(f"not a pod export: {name} is missing") from None
    except ValueError as exc:
        raise ArchiveError(f"{name} is not valid JSON: {exc}") from None
    if not isinstance(value, kind):
        raise ArchiveError(f"{name} does not hold a JSON {kind.__name__}")
    return value


def object_of(value: Any, what: str) -> dict:
    if not isinstance(value, dict):
        raise ArchiveError(f"the archive's {what} is not a JSON object")
    return value


def time_of(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ArchiveError(f"{value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ArchiveError(f"{value!r} has no time zone")
    return moment
