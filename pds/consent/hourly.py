"""Caps over the last hour (requests, offers): refused with 429 and when to try again."""

from __future__ import annotations

import datetime as dt

from pds.consent.errors import RateLimited

HOUR = dt.timedelta(hours=1)


def check_cap(
    count: int, oldest: dt.datetime | None, limit: int, since: dt.datetime, what: str
) -> None:
    """RateLimited ("at most `limit` `what`") when `count` since `since` reached `limit`: the
    wait is until the oldest of them is an hour old, plus a second (so 1 to 3601 s)."""
    if count < limit:
        return
    wait = int((oldest - since).total_seconds()) + 1 if oldest else int(HOUR.total_seconds())
    raise RateLimited(f"at most {limit} {what}", retry_after=wait)
