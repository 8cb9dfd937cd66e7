"""Plain words for what the page shows: times, durations, resources, audit events."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from pds.consent import Action, AuditEvent, Outcome
from pds.consent.audit import ANONYMOUS, OWNER, UNKNOWN

MODE_WORDS = {"read": "see", "append": "add to"}
UTC = ZoneInfo("UTC")

# What happened, said of whoever did it ("Example Shop read your profile"). Every action has
# its words: a test holds this table against the enum.
EVENT_WORDS = {
    Action.DATA_READ: "read",
    Action.DATA_APPEND: "added a record to",
    Action.DATA_WRITE: "changed",
    Action.REQUEST_SUBMIT: "asked for access",
    Action.REQUEST_APPROVE: "allowed access for",
    Action.REQUEST_DENY: "said no to",
    Action.REQUEST_REOPEN: "took back a standing rule's no to",
    Action.RULES_UPDATE: "changed the standing rules",
    Action.GRANT_REVOKE: "took back access from",
    Action.GRANT_RETURN: "gave back its access",
    Action.GRANT_SHORTEN: "shortened access for",
    Action.DELETION_REQUEST: "asked for your data to be deleted by",
    Action.DELETION_ACK: "confirmed it deleted your data",
    Action.OWNER_CLAIM: "claimed the pod",
    Action.OWNER_LOGIN: "tried to sign in",
    Action.OWNER_PASSWORD: "changed the password",
    Action.OWNER_TOKEN_CREATE: "created an API token",
    Action.OWNER_TOKEN_REVOKE: "revoked an API token",
    Action.TERMS_UPDATE: "changed the terms",
    Action.KEYS_ROTATE: "made a new signing key",
    Action.INTENT_PUBLISH: "published an intent",
    Action.INTENT_PAUSE: "paused an intent",
    Action.INTENT_RESUME: "resumed an intent",
    Action.INTENT_CLOSE: "closed an intent",
    Action.RELAYS_UPDATE: "changed the intent relays",
    Action.OFFER_RECEIVE: "made an offer",
    Action.OFFER_SHORTLIST: "shortlisted an offer from",
    Action.OFFER_DECLINE: "declined an offer from",
    Action.OFFER_ACCEPT: "accepted an offer from",
    Action.MESSAGE_RECEIVE: "wrote to you",
    Action.MESSAGE_SEND: "wrote to",
    Action.THREAD_STATE: "changed a conversation with",
    Action.RECORDS_SHARE: "shared records with",
    Action.EVIDENCE_EXPORT: "exported the signed evidence about",
}


# The same, for an attempt that was refused ("Example Shop tried to read your profile").
TRIED_WORDS = {
    Action.DATA_READ: "tried to read",
    Action.DATA_APPEND: "tried to add a record to",
    Action.DATA_WRITE: "tried to change",
    Action.OWNER_CLAIM: "tried to claim the pod",
}
# Events about a vendor, said with its name ("You took back access from Example Shop").
_ABOUT_A_VENDOR = (
    Action.REQUEST_APPROVE,
    Action.REQUEST_DENY,
    Action.REQUEST_REOPEN,
    Action.GRANT_REVOKE,
    Action.GRANT_SHORTEN,
    Action.DELETION_REQUEST,
    Action.OFFER_SHORTLIST,
    Action.OFFER_DECLINE,
    Action.OFFER_ACCEPT,
    Action.MESSAGE_SEND,
    Action.THREAD_STATE,
    Action.RECORDS_SHARE,
    Action.EVIDENCE_EXPORT,
)


def zone_label(zone: ZoneInfo) -> str:
    """How a time is labelled: 'UTC', or the zone's city ('Berlin time')."""
    if zone.key in ("UTC", "Etc/UTC"):
        return "UTC"
    return zone.key.rsplit("/", 1)[-1].replace("_", " ") + " time"


def format_time(value: dt.datetime | str | None, zone: ZoneInfo = UTC) -> str:
    """'5 Dec 2026, 14:03 UTC': a moment in the customer's time zone, labelled with it."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return f"{value.astimezone(zone):%-d %b %Y, %H:%M} {zone_label(zone)}"


def describe_period(start: dt.datetime, end: dt.datetime, zone: ZoneInfo = UTC) -> str:
    """'for 90 seconds, until 14:03 UTC' or 'for 30 days, until 5 Jan 2027': a short grant
    ends at a time of day, a long one on a date."""
    seconds = max(0, round((end - start).total_seconds()))
    local = end.astimezone(zone)
    until = f"{local:%H:%M} {zone_label(zone)}" if seconds < 86400 else f"{local:%-d %b %Y}"
    return f"for {describe_duration(seconds)}, until {until}"


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
        inside = [*resource.split("/", 3), ""][3]  # what follows /vendors/<vendor id>/
        if inside and not inside.endswith("/"):
            return "a record in a vendor's folder in your pod"
        return "a folder for its records in your pod"
    if resource.startswith("/threads/"):
        return ""  # a conversation: the event's words say it
    return resource


def actor_words(actor: str, names: dict[str, str]) -> str:
    if actor == OWNER:
        return "You"
    if actor == ANONYMOUS:  # not signed in: a wrong password or setup code
        return "Someone else"
    if actor == UNKNOWN:
        return "Someone unknown"
    return names.get(actor, f"A vendor ({actor[:8]}…)")


def describe_event(event: AuditEvent, names: dict[str, str]) -> str:
    """One sentence for an audit event: who did what to which data (no outcome)."""
    verb = EVENT_WORDS[event.action]
    if event.outcome == Outcome.REFUSED:
        verb = TRIED_WORDS.get(event.action, verb)
    target = resource_words(event.resource)
    vendor = event.detail.get("vendor")
    if event.action in _ABOUT_A_VENDOR and vendor:
        target = names.get(vendor, "a vendor")
    actor = actor_words(event.actor, names)
    if event.actor == OWNER and event.detail.get("rule"):
        actor = "Your standing rule"  # decided for the customer, as they asked
    return " ".join(part for part in (actor, verb, target) if part)


_NOT_ALLOWED = re.compile(r"the grant does not allow (\w+) on (\S+)")


def refusal_words(reason: str | None) -> str:
    """Why the pod refused a vendor's request, in words: the audit keeps the protocol's own
    reason ("the grant does not allow read on /preferences"), the customer reads this."""
    if not reason:
        return ""
    if match := _NOT_ALLOWED.search(reason):
        mode, path = match.groups()
        verb = MODE_WORDS.get(mode, "change")
        return f"your permission does not let them {verb} {resource_words(path) or 'that'}"
    if "revoked" in reason:
        return "you had taken the permission back"
    if "expired" in reason and "grant" in reason:
        return "the permission had ended"
    if "already used" in reason:
        return "it was a copy of an earlier request"
    if "proof" in reason.lower():
        return "the request was not signed with the vendor's key"
    if "grant" in reason or "token" in reason:
        return "it did not show a permission you gave"
    return reason
