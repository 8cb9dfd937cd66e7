"""Plain words for what the page shows: times, durations, resources, audit events."""

from __future__ import annotations

import datetime as dt

from pds.store.audit import AuditEvent

MODE_WORDS = {"read": "see", "append": "add records to"}

# What happened, said of whoever did it ("Example Shop read your profile").
EVENT_WORDS = {
    "data.read": "read",
    "data.append": "added a record to",
    "data.write": "changed",
    "request.submit": "asked for access",
    "request.approve": "allowed access for",
    "request.deny": "said no to",
    "grant.revoke": "took back access from",
    "grant.return": "gave back its access",
    "owner.claim": "claimed the pod",
    "owner.login": "tried to sign in",
    "owner.password": "changed the password",
    "owner.token.create": "created an API token",
    "owner.token.revoke": "revoked an API token",
    "terms.update": "changed the terms",
}


# The same, for an attempt that was refused ("Example Shop tried to read your profile").
TRIED_WORDS = {
    "data.read": "tried to read",
    "data.append": "tried to add a record to",
    "data.write": "tried to change",
    "owner.claim": "tried to claim the pod",
}


def format_time(value: dt.datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.astimezone(dt.UTC).strftime("%-d %b %Y, %H:%M UTC")


def describe_duration(seconds: int) -> str:
    """'30 days', '1 hour', '2 weeks': the largest unit that divides the time exactly."""
    for unit, size in (
        ("year", 365 * 86400),
        ("week", 7 * 86400),
        ("day", 86400),
        ("hour", 3600),
        ("minute", 60),
    ):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    if seconds >= 86400:
        return f"about {round(seconds / 86400)} days"
    return f"{seconds} seconds"


def resource_words(resource: str | None) -> str:
    """'/profile' -> 'your profile'; a vendor container -> 'records the vendor keeps...'."""
    if not resource:
        return ""
    if resource == "/profile":
        return "your profile"
    if resource.startswith("/preferences"):
        return "your preferences"
    if resource.startswith("/vendors/"):
        return "records a vendor keeps in your pod"
    return resource


def actor_words(actor: str, names: dict[str, str]) -> str:
    if actor == "owner":
        return "You"
    if actor in ("unknown", "anonymous"):
        return "Someone unknown"
    return names.get(actor, f"A vendor ({actor[:8]}…)")


def describe_event(event: AuditEvent, names: dict[str, str]) -> str:
    """One sentence for an audit event: who did what to which data (no outcome)."""
    verb = EVENT_WORDS.get(event.action, event.action)
    if event.outcome == "refused":
        verb = TRIED_WORDS.get(event.action, verb)
    target = resource_words(event.resource)
    vendor = event.detail.get("vendor")
    if event.action in ("request.approve", "request.deny", "grant.revoke") and vendor:
        target = names.get(vendor, "a vendor")
    return " ".join(part for part in (actor_words(event.actor, names), verb, target) if part)
