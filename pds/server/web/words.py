"""Plain words for what the page shows: times, durations, modes, vendor names."""

from __future__ import annotations

import datetime as dt

MODE_WORDS = {"read": "see", "append": "add records to"}


def format_time(value: dt.datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.astimezone(dt.UTC).strftime("%-d %b %Y, %H:%M UTC")


def describe_duration(seconds: int) -> str:
    """'30 days', '1 hour', '2 weeks': the largest unit that fits exactly, else rounded down."""
    for unit, size in (
        ("year", 365 * 86400),
        ("week", 7 * 86400),
        ("day", 86400),
        ("hour", 3600),
        ("minute", 60),
    ):
        if seconds >= size and (seconds % size == 0 or unit in ("minute",) or seconds >= 2 * size):
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def resource_words(resource: str, names: dict[str, str] | None = None) -> str:
    """'/profile' -> 'Your profile'; a vendor container -> 'Records ... keeps in your pod'."""
    if resource == "/profile":
        return "Your profile"
    if resource.startswith("/preferences"):
        return "Your preferences"
    if resource.startswith("/vendors/"):
        return "Records the vendor keeps in your pod"
    return resource
